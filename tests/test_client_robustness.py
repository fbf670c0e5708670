"""The clients against servers that die mid-answer: a failed exchange is a TransportError (never
a ResponseSyntaxError or a short value), retried only where repeating is harmless and only
``retries`` times, and a split send that fails in a later request keeps what was accepted."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hostile_servers import (
    RawRequest,
    RawServer,
    Script,
    answer,
    head,
    raw_server,
    send_then_close,
    send_then_reset,
)
from servers import FakeClickatell

from clickatell_protocol import (
    Accepted,
    AsyncClient,
    Client,
    Limits,
    TransportError,
    parse_request,
    render_response,
)
from clickatell_protocol.errors import RequestRejected
from clickatell_protocol.parsing import ResponseSyntaxError
from clickatell_protocol.transport import AsyncHttpxTransport, HttpxTransport, UrllibTransport

CREDENTIALS = {"api_id": "3456789", "user": "alice", "password": "s3cret"}
NUMBERS = [f"4477009001{n:02d}" for n in range(6)]  # two requests of three
LIMITS = Limits(max_recipients_post=3)


@contextmanager
def hostile_clickatell(
    misbehave: Callable[[RawRequest, int], bytes | None],
) -> Iterator[tuple[RawServer, FakeClickatell]]:
    """A Clickatell server (the fake's answers) on a raw socket. ``misbehave(request, n)``,
    with ``n`` the number of requests so far to the same path, returns the bytes to send
    instead of the answer (then the connection closes), or ``None`` to answer normally."""
    fake = FakeClickatell(limits=LIMITS)
    counts: dict[str, int] = {}

    def script(request: RawRequest, conn: socket.socket) -> None:
        counts[request.path] = counts.get(request.path, 0) + 1
        bad = misbehave(request, counts[request.path])
        if bad is not None:
            conn.sendall(bad)
            return
        try:
            model = parse_request(request.method, request.target, request.body, limits=LIMITS)
            text = render_response(fake._reply(model))
        except RequestRejected as rejected:
            text = rejected.to_wire()
        conn.sendall(answer(text.encode("latin-1")))

    with raw_server(script) as server:
        yield server, fake


def on(path: str, data: bytes, *, times: int | None = None, after: int = 0) -> Any:
    """Misbehave with ``data`` on ``path``: from its request ``after + 1`` on, ``times`` times
    (``None``: always)."""

    def misbehave(request: RawRequest, n: int) -> bytes | None:
        if request.path != path or n <= after:
            return None
        if times is not None and n > after + times:
            return None
        return data

    return misbehave


def client(url: str, transport: Any = None, **options: Any) -> Client:
    return Client(
        transport or UrllibTransport(timeout=5),
        base_url=url,
        limits=LIMITS,
        sleep=lambda seconds: None,
        **CREDENTIALS,
        **options,
    )


def run_async(url: str, call: Callable[[AsyncClient], Any], **options: Any) -> Any:
    async def main() -> Any:
        async with AsyncHttpxTransport(timeout=5) as transport:
            async_client = AsyncClient(
                transport,
                base_url=url,
                limits=LIMITS,
                sleep=lambda seconds: asyncio.sleep(0),
                **CREDENTIALS,
                **options,
            )
            return await call(async_client)

    return asyncio.run(main())


# -- issue 10: a server that died mid-answer ---------------------------------------------

DEATHS = [
    # (case, what the server writes before it dies)
    ("closes after the headers, no length", head()),
    ("closes after the headers, with a length", head(length=16)),
    ("closes mid-line", head(length=16) + b"Credit: 12"),
    ("closes before answering", b""),
    ("sends a blank line and closes", head() + b"\n"),
]

Transports = [
    pytest.param(lambda: UrllibTransport(timeout=5), id="urllib"),
    pytest.param(lambda: HttpxTransport(timeout=5), id="httpx"),
]


@pytest.mark.parametrize("make", Transports)
@pytest.mark.parametrize(("case", "data"), DEATHS, ids=[case for case, _ in DEATHS])
def test_a_read_that_dies_is_retried_then_a_transport_error(
    make: Callable[[], Any], case: str, data: bytes
) -> None:
    with hostile_clickatell(on("/http/getbalance", data)) as (server, _fake):
        with pytest.raises(TransportError):
            client(server.url, make(), retries=2).balance()
        balances = [r for r in server.requests if r.path == "/http/getbalance"]
    assert len(balances) == 3  # the first try and `retries` more, no more


@pytest.mark.parametrize(("case", "data"), DEATHS, ids=[case for case, _ in DEATHS])
def test_a_read_that_dies_once_succeeds_on_the_retry(case: str, data: bytes) -> None:
    with hostile_clickatell(on("/http/getbalance", data, times=1)) as (server, fake):
        assert client(server.url).balance().credit == fake.credit


@pytest.mark.parametrize(("case", "data"), DEATHS, ids=[case for case, _ in DEATHS])
def test_a_send_that_dies_is_not_repeated(case: str, data: bytes) -> None:
    # The server may have sent the message and lost only the answer: a second try would send
    # (and charge) it twice.
    with hostile_clickatell(on("/http/sendmsg", data)) as (server, _fake):
        with pytest.raises(TransportError) as caught:
            client(server.url, retries=5).send("447700900123", "Hi")
        sends = [r for r in server.requests if r.path == "/http/sendmsg"]
    assert len(sends) == 1
    assert caught.value.partial is None  # nothing was answered before


@pytest.mark.parametrize(("case", "data"), DEATHS, ids=[case for case, _ in DEATHS])
def test_async_a_read_that_dies_is_a_bounded_transport_error(case: str, data: bytes) -> None:
    with hostile_clickatell(on("/http/getbalance", data)) as (server, _fake):
        with pytest.raises(TransportError):
            run_async(server.url, lambda c: c.balance(), retries=1)
        balances = [r for r in server.requests if r.path == "/http/getbalance"]
    assert len(balances) == 2


def test_an_auth_that_dies_before_a_send_is_retried() -> None:
    # Opening the session is harmless to repeat, even for a send: the send was not sent yet.
    with hostile_clickatell(on("/http/auth", b"", times=1)) as (server, _fake):
        result = client(server.url).send("447700900123", "Hi")
    assert len(result.results) == 1
    assert [r.path for r in server.requests] == ["/http/auth", "/http/auth", "/http/sendmsg"]


def test_a_refusal_with_a_status_is_not_retried() -> None:
    with hostile_clickatell(on("/http/getbalance", answer(b"gone", "404 Not Found"))) as (
        server,
        _fake,
    ):
        with pytest.raises(TransportError) as caught:
            client(server.url, retries=3).balance()
        balances = [r for r in server.requests if r.path == "/http/getbalance"]
    assert caught.value.status == 404
    assert len(balances) == 1


# -- issue 11 #3: a split send that fails later keeps the IDs already sent -----------------

LATER_FAILURES = [
    pytest.param(send_then_close(head(length=200) + b"ID: 0"), TransportError, id="cut"),
    pytest.param(send_then_reset(head(length=200)), TransportError, id="reset"),
    pytest.param(send_then_close(b""), TransportError, id="closed"),
    pytest.param(send_then_close(answer(b"Nonsense")), ResponseSyntaxError, id="garbage"),
]


def _second_send(script: Script) -> Callable[[RawRequest, int], bytes | None]:
    def misbehave(request: RawRequest, n: int) -> bytes | None:
        if request.path != "/http/sendmsg" or n != 2:
            return None
        # A script writes to a socket; collect what it writes instead.
        collected = _Collector()
        script(request, collected)  # type: ignore[arg-type]
        return collected.data

    return misbehave


class _Collector:
    def __init__(self) -> None:
        self.data = b""

    def sendall(self, data: bytes) -> None:
        self.data += data

    def setsockopt(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(("script", "kind"), LATER_FAILURES)
def test_a_split_send_failing_later_keeps_what_was_accepted(
    script: Script, kind: type[Exception]
) -> None:
    with hostile_clickatell(_second_send(script)) as (server, _fake):
        with pytest.raises(kind) as caught:
            client(server.url).send(NUMBERS, "Hi")
        sends = [r for r in server.requests if r.path == "/http/sendmsg"]
    partial = getattr(caught.value, "partial", None)
    assert partial is not None
    assert [line.to for line in partial.results] == NUMBERS[:3]
    assert all(isinstance(line, Accepted) for line in partial.results)
    assert len(sends) == 2  # the third chunk's worth is not sent after a failure


@pytest.mark.parametrize(("script", "kind"), LATER_FAILURES)
def test_async_a_split_send_failing_later_keeps_what_was_accepted(
    script: Script, kind: type[Exception]
) -> None:
    with (
        hostile_clickatell(_second_send(script)) as (server, _fake),
        pytest.raises(kind) as caught,
    ):
        run_async(server.url, lambda c: c.send(NUMBERS, "Hi"))
    partial = getattr(caught.value, "partial", None)
    assert partial is not None
    assert [line.to for line in partial.results] == NUMBERS[:3]
