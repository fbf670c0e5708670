"""Transports against hostile loopback servers: cut bodies, resets, drips, huge answers,
redirects. Every failure of the HTTP exchange is a :class:`TransportError`, never a short body
handed on as if it were the answer."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable, Iterator

import pytest
from hostile_servers import (
    RawRequest,
    Script,
    answer,
    drip,
    head,
    raw_server,
    send_then_close,
    send_then_reset,
    stall,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clickatell_protocol import HttpRequest, HttpResponse, TransportError
from clickatell_protocol.transport import AsyncHttpxTransport, HttpxTransport, UrllibTransport

Send = Callable[[HttpRequest], HttpResponse]


def _urllib(timeout: float, max_body: int) -> Send:
    return UrllibTransport(timeout=timeout, max_body=max_body).send


def _httpx(timeout: float, max_body: int) -> Send:
    def send(request: HttpRequest) -> HttpResponse:
        with HttpxTransport(timeout=timeout, max_body=max_body) as transport:
            return transport.send(request)

    return send


def _httpx_async(timeout: float, max_body: int) -> Send:
    def send(request: HttpRequest) -> HttpResponse:
        async def go() -> HttpResponse:
            async with AsyncHttpxTransport(timeout=timeout, max_body=max_body) as transport:
                return await transport.send(request)

        return asyncio.run(go())

    return send


TRANSPORTS = [
    pytest.param(_urllib, id="urllib"),
    pytest.param(_httpx, id="httpx"),
    pytest.param(_httpx_async, id="httpx-async"),
]


@pytest.fixture(params=TRANSPORTS)
def make(request: pytest.FixtureRequest) -> Callable[..., Send]:
    factory: Callable[[float, int], Send] = request.param

    def build(timeout: float = 5.0, max_body: int = 1000) -> Send:
        return factory(timeout, max_body)

    return build


def get(base: str, query: str = "") -> HttpRequest:
    return HttpRequest("GET", f"{base}/http/getbalance{query}")


# -- issue 11 #3, issue 10: a cut answer is a failed exchange ------------------------------

CUT = [
    # (case, what the server writes before it closes)
    ("content-length longer than the body", head(length=16) + b"Credit: 12"),
    ("headers only, content-length given", head(length=16)),
    (
        "chunked, cut inside a chunk",
        head("200 OK", "Transfer-Encoding: chunked") + b"10\r\nCredit: 12",
    ),
    (
        "chunked, no last chunk",
        head("200 OK", "Transfer-Encoding: chunked") + b"10\r\nCredit: 12345.50\r\n",
    ),
    ("nothing at all", b""),
    ("status line cut", b"HTTP/1.1 20"),
    ("headers cut", b"HTTP/1.1 200 OK\r\nContent-Le"),
]


@pytest.mark.parametrize(("case", "data"), CUT, ids=[case for case, _ in CUT])
def test_a_cut_answer_is_a_transport_error(
    make: Callable[..., Send], case: str, data: bytes
) -> None:
    with raw_server(send_then_close(data)) as server, pytest.raises(TransportError) as caught:
        make()(get(server.url))
    assert caught.value.status is None


RESET = [
    ("reset after the headers", head(length=16)),
    ("reset inside the body", head(length=16) + b"Credit: 12"),
    ("reset before the status line", b""),
]


@pytest.mark.parametrize(("case", "data"), RESET, ids=[case for case, _ in RESET])
def test_a_reset_is_a_transport_error(make: Callable[..., Send], case: str, data: bytes) -> None:
    with raw_server(send_then_reset(data)) as server, pytest.raises(TransportError) as caught:
        make()(get(server.url))
    assert caught.value.status is None


WHOLE = [
    ("content-length", answer(b"Credit: 12345.50")),
    (
        "chunked",
        head("200 OK", "Transfer-Encoding: chunked") + b"10\r\nCredit: 12345.50\r\n0\r\n\r\n",
    ),
    # HTTP/1.0 framing: the body ends where the connection does.
    ("read until close", head() + b"Credit: 12345.50"),
]


@pytest.mark.parametrize(("case", "data"), WHOLE, ids=[case for case, _ in WHOLE])
def test_a_whole_answer_is_read_whole(make: Callable[..., Send], case: str, data: bytes) -> None:
    with raw_server(send_then_close(data)) as server:
        assert make()(get(server.url)).body == b"Credit: 12345.50"


# -- issue 11 #7: the body is bounded while it streams in; the timeout is a total deadline --


@pytest.mark.parametrize(
    "framing",
    [
        pytest.param(head(length=400_000_000), id="content-length"),
        pytest.param(head("200 OK", "Transfer-Encoding: chunked"), id="chunked"),
        pytest.param(head(), id="read-until-close"),
    ],
)
def test_a_huge_answer_is_refused_once_the_limit_is_passed(
    make: Callable[..., Send], framing: bytes
) -> None:
    # The server sends just over the limit and then stalls: a transport that reads the whole
    # answer before checking the limit waits for its timeout instead of refusing the size.
    chunked = b"chunked" in framing
    payload = b"x" * 1500
    body = b"%x\r\n" % len(payload) + payload + b"\r\n" if chunked else payload
    with (
        raw_server(stall(framing + body, seconds=10)) as server,
        pytest.raises(TransportError, match="larger than 1000 bytes"),
    ):
        make(timeout=8, max_body=1000)(get(server.url))


DRIPS = [
    # 100 bytes at 1 byte per 0.2 s: 20 s of an answer that is always about to come.
    pytest.param(head(length=100) + b"Credit: 1" + b"0" * 91, id="body"),
    pytest.param(b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 100 + b"\r\n\r\n", id="headers"),
]


@pytest.mark.parametrize("data", DRIPS)
def test_the_timeout_is_a_total_deadline(make: Callable[..., Send], data: bytes) -> None:
    with raw_server(drip(data, every=0.2, limit=25)) as server:
        started = time.monotonic()
        with pytest.raises(TransportError) as caught:
            make(timeout=0.8)(get(server.url))
        elapsed = time.monotonic() - started
    assert caught.value.status is None
    # Generous: the drip would run for 20 s; the deadline is 0.8 s.
    assert elapsed < 5, elapsed


def test_a_server_that_never_answers_is_held_to_the_deadline(make: Callable[..., Send]) -> None:
    # The server reads the request and answers nothing: the deadline, not the drip, ends it.
    with raw_server(stall(b"", seconds=10)) as server:
        started = time.monotonic()
        with pytest.raises(TransportError):
            make(timeout=0.5)(get(server.url))
    assert time.monotonic() - started < 5


# -- issue 11 #11: no redirect is followed --------------------------------------------------

REDIRECTS = [
    "301 Moved Permanently",
    "302 Found",
    "303 See Other",
    "307 Temporary Redirect",
    "308 Permanent Redirect",
]


def _redirect(location: str, status: str) -> Script:
    def script(request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(head(status, f"Location: {location}", length=0))

    return script


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_redirect_to_another_origin_is_refused_and_never_followed(
    make: Callable[..., Send], status: str, method: str
) -> None:
    with raw_server(send_then_close(answer(b"Credit: 666"))) as elsewhere:
        location = f"{elsewhere.url}/steal?password=s3cret&session_id=abcdef"
        with raw_server(_redirect(location, status)) as server:
            request = HttpRequest(
                method,
                f"{server.url}/http/getbalance?x=1",
                (("Authorization", "Basic dXNlcjpwYXNz"),),
                b"a=1" if method == "POST" else b"",
            )
            with pytest.raises(TransportError) as caught:
                make()(request)
        assert elsewhere.requests == []  # neither the request nor its Authorization went there
    error = caught.value
    assert error.status == int(status[:3])
    assert f"127.0.0.1:{elsewhere.port}" in str(error)  # the target host is named ...
    for secret in ("s3cret", "abcdef", "/steal", "password"):  # ... its path and query are not
        assert secret not in str(error)
        assert secret not in repr(error)
        assert secret not in error.excerpt


@pytest.mark.parametrize("status", REDIRECTS)
def test_a_same_origin_redirect_is_not_followed_either(
    make: Callable[..., Send], status: str
) -> None:
    # The API never redirects: any 3xx means the base URL is wrong; following it could only
    # hide that (and a chain of them may end on another origin).
    def script(request: RawRequest, conn: socket.socket) -> None:
        if request.path == "/http/getbalance":
            conn.sendall(head(status, "Location: /elsewhere?session_id=abcdef", length=0))
        else:
            conn.sendall(answer(b"Credit: 666"))

    with raw_server(script) as server:
        with pytest.raises(TransportError) as caught:
            make()(get(server.url))
        assert [request.path for request in server.requests] == ["/http/getbalance"]
    assert caught.value.status == int(status[:3])
    assert "abcdef" not in str(caught.value)


# -- property: whatever the body and wherever it is cut ------------------------------------


def _framed_by_query(request: RawRequest, conn: socket.socket) -> None:
    """Answers ``?body=<hex>&cut=<n>``: Content-Length of the whole body, then its first
    ``n`` bytes, then the connection closes."""
    query = dict(part.split("=", 1) for part in request.target.split("?", 1)[1].split("&"))
    body = bytes.fromhex(query["body"])
    conn.sendall(head(length=len(body)) + body[: int(query["cut"])])


@pytest.fixture(scope="module")
def framing_server() -> Iterator[str]:
    with raw_server(_framed_by_query) as server:
        yield server.url


@pytest.fixture(scope="module", params=["urllib", "httpx"])
def reused(request: pytest.FixtureRequest) -> Iterator[Send]:
    """One transport for every example (making one loads the CA certificates)."""
    if request.param == "urllib":
        yield UrllibTransport(timeout=5, max_body=1000).send
        return
    with HttpxTransport(timeout=5, max_body=1000) as transport:
        yield transport.send


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(min_size=1, max_size=300), data=st.data())
def test_property_a_body_is_returned_whole_or_not_at_all(
    framing_server: str, reused: Send, body: bytes, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(body)), label="cut")
    request = HttpRequest("GET", f"{framing_server}/x?body={body.hex()}&cut={cut}")
    if cut == len(body):
        assert reused(request).body == body
    else:
        with pytest.raises(TransportError):
            reused(request)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/plain,OK:%20x", "FILE:///etc/hostname"],
)
def test_urllib_opens_only_http_and_https(url: str) -> None:
    with pytest.raises(TransportError, match="only http and https"):
        UrllibTransport(timeout=1).send(HttpRequest("GET", url))
