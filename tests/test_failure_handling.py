"""What the client repeats (only failures another try may cure), the partial results of a send
whose answer cannot be read, the httpx log filter leaving clean records alone, and UTF-16 MO
parts joined without the later parts' byte-order marks."""

from __future__ import annotations

import asyncio
import codecs
import logging
import shutil
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hostile_servers import (
    RawRequest,
    RawServer,
    answer,
    head,
    raw_server,
    self_signed_certificate,
)
from servers import FakeClickatell, refused_url

from clickatell_protocol import (
    Accepted,
    AsyncClient,
    Client,
    HttpRequest,
    HttpResponse,
    IncomingMessage,
    Limits,
    MoReassembler,
    ResponseSyntaxError,
    TransportError,
    parse_request,
    parse_status_callback,
    render_response,
)
from clickatell_protocol.callbacks import CallbackError
from clickatell_protocol.errors import RequestRejected
from clickatell_protocol.transport import AsyncHttpxTransport, HttpxTransport, UrllibTransport
from clickatell_protocol.transport._httpx import _SecretsFilter

CREDENTIALS = {"api_id": "3456789", "user": "alice", "password": "s3cret"}
LIMITS = Limits(max_recipients_post=3)
NUMBERS = [f"4477009001{n:02d}" for n in range(6)]  # two requests of three

# -- a Clickatell server that misbehaves on one path ----------------------------------------


@contextmanager
def clickatell(path: str, data: bytes | None) -> Iterator[RawServer]:
    """The fake's answers on a raw socket, except ``data`` (then the connection closes) for
    every request to ``path``."""
    fake = FakeClickatell(limits=LIMITS)

    def script(request: RawRequest, conn: socket.socket) -> None:
        if request.path == path and data is not None:
            conn.sendall(data)
            return
        try:
            model = parse_request(request.method, request.target, request.body, limits=LIMITS)
            text = render_response(fake._reply(model))
        except RequestRejected as rejected:
            text = rejected.to_wire()
        conn.sendall(answer(text.encode("latin-1")))

    with raw_server(script) as server:
        yield server


class Counting:
    """A transport that counts the requests it is handed, then hands them on."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.paths: list[str] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        self.paths.append(request.url.split("?", 1)[0].rsplit("/", 2)[-1])
        response: HttpResponse = self.inner.send(request)
        return response


class AsyncCounting(Counting):
    async def send(self, request: HttpRequest) -> HttpResponse:  # type: ignore[override]
        self.paths.append(request.url.split("?", 1)[0].rsplit("/", 2)[-1])
        response: HttpResponse = await self.inner.send(request)
        return response


BIG = answer(b"Credit: 5" + b" " * 500)
REDIRECT = head("302 Found", "Location: http://127.0.0.1:1/elsewhere", length=0)

RETRIES = [
    # (case, base URL or None for the server, the path counted, what the server answers
    # there, attempts, sleeps)
    ("a file: base URL", "file:///etc", "/http/auth", None, 1, []),
    ("an ftp: base URL", "ftp://127.0.0.1/x", "/http/auth", None, 1, []),
    ("an answer over max_body", None, "/http/getbalance", BIG, 1, []),
    ("a redirect", None, "/http/getbalance", REDIRECT, 1, []),
    ("a 404", None, "/http/getbalance", answer(b"gone", "404 Not Found"), 1, []),
    ("a 503", None, "/http/getbalance", answer(b"busy", "503 Busy"), 3, [0.5, 1.0]),
    ("a connection closed unanswered", None, "/http/getbalance", b"", 3, [0.5, 1.0]),
    ("an empty answer", None, "/http/getbalance", answer(b""), 3, [0.5, 1.0]),
    ("a cut answer", None, "/http/getbalance", head(length=20) + b"Cre", 3, [0.5, 1.0]),
    ("an auth over max_body", None, "/http/auth", BIG, 1, []),
    ("an auth closed unanswered", None, "/http/auth", b"", 3, [0.5, 1.0]),
]
IDS = [case[0] for case in RETRIES]

SYNC_TRANSPORTS = [
    pytest.param(lambda: UrllibTransport(timeout=5, max_body=100), id="urllib"),
    pytest.param(lambda: HttpxTransport(timeout=5, max_body=100), id="httpx"),
]


def _attempts(transport: Counting, path: str) -> int:
    return transport.paths.count(path.rsplit("/", 1)[-1])


@pytest.mark.parametrize("make", SYNC_TRANSPORTS)
@pytest.mark.parametrize(
    ("case", "base_url", "path", "data", "attempts", "sleeps"), RETRIES, ids=IDS
)
def test_only_failures_another_try_may_cure_are_repeated(
    make: Callable[[], Any],
    case: str,
    base_url: str | None,
    path: str,
    data: bytes | None,
    attempts: int,
    sleeps: list[float],
) -> None:
    slept: list[float] = []
    with clickatell(path, data) as server:
        transport = Counting(make())
        client = Client(
            transport,
            base_url=base_url or server.url,
            limits=LIMITS,
            sleep=slept.append,
            retries=2,
            backoff=0.5,
            **CREDENTIALS,
        )
        with pytest.raises(TransportError):
            client.balance()
    assert (_attempts(transport, path), slept) == (
        attempts,
        sleeps,
    )


@pytest.mark.parametrize(
    ("case", "base_url", "path", "data", "attempts", "sleeps"), RETRIES, ids=IDS
)
def test_async_only_failures_another_try_may_cure_are_repeated(
    case: str,
    base_url: str | None,
    path: str,
    data: bytes | None,
    attempts: int,
    sleeps: list[float],
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def main(url: str) -> AsyncCounting:
        async with AsyncHttpxTransport(timeout=5, max_body=100) as inner:
            transport = AsyncCounting(inner)
            client = AsyncClient(
                transport,
                base_url=url,
                limits=LIMITS,
                sleep=sleep,
                retries=2,
                backoff=0.5,
                **CREDENTIALS,
            )
            with pytest.raises(TransportError):
                await client.balance()
            return transport

    with clickatell(path, data) as server:
        transport = asyncio.run(main(base_url or server.url))
    assert (_attempts(transport, path), slept) == (
        attempts,
        sleeps,
    )


def _request(url: str) -> HttpRequest:
    return HttpRequest("GET", url + "/http/getbalance?session_id=x", (), b"")


TRANSPORT_CASES = [
    # (case, what the server sends or a URL, retryable)
    ("refused", "refused", True),
    ("closed unanswered", b"", True),
    ("cut", head(length=20) + b"Cre", True),
    ("503", answer(b"busy", "503 Busy"), True),
    ("404", answer(b"gone", "404 Not Found"), False),
    ("redirect", REDIRECT, False),
    ("over max_body", BIG, False),
    ("file: URL", "file:///etc", False),
]


@pytest.mark.parametrize("make", SYNC_TRANSPORTS)
@pytest.mark.parametrize(
    ("case", "what", "retryable"), TRANSPORT_CASES, ids=[c[0] for c in TRANSPORT_CASES]
)
def test_transport_errors_say_whether_a_retry_may_help(
    make: Callable[[], Any], case: str, what: bytes | str, retryable: bool
) -> None:
    def script(request: RawRequest, conn: socket.socket) -> None:
        assert isinstance(what, bytes)
        conn.sendall(what)

    with raw_server(script) as server:
        if isinstance(what, bytes):
            url = server.url
        else:
            url = refused_url() if what == "refused" else what
        with pytest.raises(TransportError) as caught:
            make().send(_request(url))
    assert caught.value.retryable is retryable


def test_a_transport_error_is_not_retryable_unless_said() -> None:
    assert (TransportError("x").retryable, TransportError("x", retryable=True).retryable) == (
        False,
        True,
    )


# -- a send whose answer cannot be read -----------------------------------------------------

GARBAGE = answer(b"Nonsense")


@contextmanager
def garbage_on_send(n: int) -> Iterator[RawServer]:
    """The fake's answers, but garbage for the ``n``-th sendmsg."""
    fake = FakeClickatell(limits=LIMITS)
    sends = [0]

    def script(request: RawRequest, conn: socket.socket) -> None:
        if request.path == "/http/sendmsg":
            sends[0] += 1
            if sends[0] == n:
                conn.sendall(GARBAGE)
                return
        model = parse_request(request.method, request.target, request.body, limits=LIMITS)
        conn.sendall(answer(render_response(fake._reply(model)).encode("latin-1")))

    with raw_server(script) as server:
        yield server


@pytest.mark.parametrize(("failing", "accepted"), [(1, None), (2, NUMBERS[:3])])
def test_an_unreadable_send_answer_declares_partial(
    failing: int, accepted: list[str] | None
) -> None:
    with garbage_on_send(failing) as server:
        client = Client(
            UrllibTransport(timeout=5),
            base_url=server.url,
            limits=LIMITS,
            sleep=lambda seconds: None,
            **CREDENTIALS,
        )
        with pytest.raises(ResponseSyntaxError) as caught:
            client.send(NUMBERS, "Hi")
    error = caught.value
    # Declared on the class, so no getattr: None unless a request was answered before.
    assert "partial" in type(error).__annotations__
    partial = error.partial  # type: ignore[attr-defined]
    got = None if partial is None else [line.to for line in partial.results]
    assert got == accepted
    assert partial is None or all(isinstance(line, Accepted) for line in partial.results)
    assert (error.command, error.line, error.column) == ("sendmsg", 1, 1)


# -- the httpx log filter -------------------------------------------------------------------

FILTER_CASES = [
    # (msg, args, the msg and args after the filter, the message)
    (
        "HTTP Request: %s %s",
        ("GET", "http://h/x?user=u"),
        ("HTTP Request: %s %s", ("GET", "http://h/x?user=u")),
        "HTTP Request: GET http://h/x?user=u",
    ),
    (
        "HTTP Request: %s %s",
        ("GET", "http://h/x?password=pw"),
        ("HTTP Request: GET http://h/x?password=***", None),
        "HTTP Request: GET http://h/x?password=***",
    ),
    ("no args", None, ("no args", None), "no args"),
]


@pytest.mark.parametrize(("msg", "args", "after", "message"), FILTER_CASES)
def test_the_log_filter_rewrites_only_records_it_masks(
    msg: str, args: tuple[Any, ...] | None, after: tuple[Any, Any], message: str
) -> None:
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, msg, args, None)
    assert _SecretsFilter().filter(record)
    assert ((record.msg, record.args), record.getMessage()) == (after, message)


# -- UTF-16 MO parts ------------------------------------------------------------------------

LE, BE = codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE


def _wide(sequence: int, raw: bytes, charset: str = "UTF-16") -> IncomingMessage:
    return IncomingMessage(
        api_id="1",
        momsgid=f"{sequence:032x}",
        from_="447700900123",
        to="12345",
        timestamp=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=sequence),
        charset=charset,
        udh=f"05000309{2:02X}{sequence:02X}",
        text="",
        raw_text=raw,
    )


UTF16_CASES = [
    # (case, first part's bytes, second part's bytes)
    ("LE marks", LE + "Hello ".encode("utf-16-le"), LE + "world".encode("utf-16-le")),
    ("BE marks", BE + "Hello ".encode("utf-16-be"), BE + "world".encode("utf-16-be")),
    ("LE mark, unmarked later", LE + "Hello ".encode("utf-16-le"), "world".encode("utf-16-le")),
    ("BE mark, unmarked later", BE + "Hello ".encode("utf-16-be"), "world".encode("utf-16-be")),
    ("unmarked, BE mark later", "Hello ".encode("utf-16-be"), BE + "world".encode("utf-16-be")),
    ("unmarked", "Hello ".encode("utf-16-be"), "world".encode("utf-16-be")),
]


@pytest.mark.parametrize(("case", "first", "second"), UTF16_CASES, ids=[c[0] for c in UTF16_CASES])
def test_utf16_parts_join_without_their_marks(case: str, first: bytes, second: bytes) -> None:
    joiner = MoReassembler()
    assert joiner.add(_wide(1, first)) is None
    whole = joiner.add(_wide(2, second))
    assert whole is not None
    # The joined bytes still read as the text: the first mark (if any) leads, no other.
    order = "utf-16-le" if first.startswith(LE) else "utf-16-be"
    lead = first[:2] if first.startswith((LE, BE)) else b""
    assert (whole.text, whole.raw_text[len(lead) :].decode(order)) == (
        "Hello world",
        "Hello world",
    )


# -- the status callback's api_id -----------------------------------------------------------

STATUS = "apiMsgId=" + "a" * 32 + "&to=447700900123&timestamp=1700000000&status=004&charge=1"


@pytest.mark.parametrize(
    ("api_id", "expected"),
    [("", None), ("&api_id=", None), ("&api_id=12345", "12345"), ("&api_id=12a", "error")],
)
def test_status_callback_api_id_is_optional_digits(api_id: str, expected: str | None) -> None:
    try:
        got: str | None = parse_status_callback(STATUS + api_id).api_id  # type: ignore[union-attr]
    except CallbackError as error:
        assert error.field == "api_id"
        got = "error"
    assert got == expected


# -- a certificate that does not verify fails the same way every time -----------------------


@pytest.fixture(scope="module")
def untrusted_tls(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    """A server context with a self-signed certificate no client trusts."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl tool")
    cert, key = self_signed_certificate(tmp_path_factory.mktemp("untrusted"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    return context


@pytest.mark.parametrize("make", SYNC_TRANSPORTS)
def test_an_unverified_certificate_is_not_retried(
    make: Callable[[], Any], untrusted_tls: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    slept: list[float] = []

    def script(request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(answer(b"OK: " + b"a" * 32))

    with raw_server(script, tls=untrusted_tls) as server:
        transport = Counting(make())
        client = Client(
            transport, base_url=server.url, sleep=slept.append, retries=2, **CREDENTIALS
        )
        with pytest.raises(TransportError) as caught:
            client.balance()
    assert (caught.value.retryable, transport.paths, slept) == (False, ["auth"], [])
