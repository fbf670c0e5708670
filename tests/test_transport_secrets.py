"""No log record emitted while the transports run, and no TransportError, carries a password or
a session id, whatever the logging configuration and however the exchange fails."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator

import pytest
from hostile_servers import answer, drip, head, raw_server, send_then_close, send_then_reset
from servers import fake_clickatell, refused_url

from clickatell_protocol import AsyncClient, Client, HttpRequest, HttpResponse, TransportError
from clickatell_protocol.transport import AsyncHttpxTransport, HttpxTransport, UrllibTransport

PASSWORD = "s3cret"  # FakeClickatell's password
SESSION = "0123456789abcdef0123456789abcdef"

Send = Callable[[HttpRequest], HttpResponse]


class Everything(logging.Handler):
    """Keeps every record, formatted and raw."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def texts(self) -> list[str]:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        return [
            text
            for record in self.records
            for text in (formatter.format(record), str(record.msg), repr(record.args))
        ]


@pytest.fixture
def everything() -> Iterator[Everything]:
    """A handler on the root logger, and every logger involved opened to DEBUG."""
    handler = Everything()
    root = logging.getLogger()
    names = ["httpx", "httpcore", "clickatell_protocol", "urllib3"]
    saved = [(name, logging.getLogger(name).level) for name in names]
    saved_root = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, level in saved:
            logging.getLogger(name).setLevel(level)


def _assert_clean(texts: list[str], *secrets: str) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text, text


def test_a_get_through_every_client_and_transport_logs_no_secret(everything: Everything) -> None:
    with fake_clickatell() as (url, _fake):
        options = {"api_id": "3456789", "user": "alice", "password": PASSWORD, "base_url": url}
        sessions: list[str] = []
        with HttpxTransport() as transport:
            client = Client(transport, method="GET", **options)
            sessions.append(client.authenticate().session_id.get_secret_value())
            client.balance()
            client.send("447700900123", "Hi")
        urllib_client = Client(UrllibTransport(), method="GET", **options)
        sessions.append(urllib_client.authenticate().session_id.get_secret_value())
        urllib_client.balance()

        async def main() -> None:
            async with AsyncHttpxTransport() as transport:
                client = AsyncClient(transport, method="GET", **options)
                sessions.append((await client.authenticate()).session_id.get_secret_value())
                await client.balance()

        asyncio.run(main())
    httpx_lines = [text for text in everything.texts() if "HTTP Request" in text]
    assert httpx_lines, "httpx logged no request: the test would prove nothing"
    assert any("password=***" in text for text in httpx_lines)
    _assert_clean(everything.texts(), PASSWORD, *sessions)


def _sync(factory: Callable[[], HttpxTransport]) -> Send:
    def send(request: HttpRequest) -> HttpResponse:
        with factory() as transport:
            return transport.send(request)

    return send


def _async(request: HttpRequest) -> HttpResponse:
    async def go() -> HttpResponse:
        async with AsyncHttpxTransport(timeout=0.6, max_body=100) as transport:
            return await transport.send(request)

    return asyncio.run(go())


TRANSPORTS = [
    pytest.param(lambda: UrllibTransport(timeout=0.6, max_body=100).send, id="urllib"),
    pytest.param(lambda: _sync(lambda: HttpxTransport(timeout=0.6, max_body=100)), id="httpx"),
    pytest.param(lambda: _async, id="httpx-async"),
]

FAILURES = [
    ("cut", send_then_close(head(length=50) + b"Credit: 1")),
    ("reset", send_then_reset(head(length=50))),
    ("drip", drip(head(length=50) + b"C" * 50, every=0.2, limit=5)),
    ("huge", send_then_close(answer(b"x" * 500))),
    ("500", send_then_close(answer(b"no; password=" + PASSWORD.encode(), "500 Oops"))),
    (
        "redirect",
        send_then_close(
            head(
                "307 Temporary Redirect", f"Location: http://h.test/?password={PASSWORD}", length=0
            )
        ),
    ),
]


@pytest.mark.parametrize("make", TRANSPORTS)
@pytest.mark.parametrize(("case", "script"), FAILURES, ids=[case for case, _ in FAILURES])
def test_transport_errors_show_no_secret(
    everything: Everything, make: Callable[[], Send], case: str, script: object
) -> None:
    with raw_server(script) as server:  # type: ignore[arg-type]
        request = HttpRequest(
            "GET", f"{server.url}/http/getbalance?password={PASSWORD}&session_id={SESSION}"
        )
        with pytest.raises(TransportError) as caught:
            make()(request)
    error = caught.value
    texts = [str(error), repr(error), error.excerpt, *map(str, error.args), *everything.texts()]
    assert "password=***" in str(error)
    _assert_clean(texts, PASSWORD, SESSION)


@pytest.mark.parametrize("make", TRANSPORTS)
def test_a_refused_connection_shows_no_secret(
    everything: Everything, make: Callable[[], Send]
) -> None:
    request = HttpRequest("GET", f"{refused_url()}/http/ping?session_id={SESSION}")
    with pytest.raises(TransportError) as caught:
        make()(request)
    _assert_clean([str(caught.value), repr(caught.value), *everything.texts()], SESSION)
