"""Reference-server throughput for sendmsg, in process and over loopback HTTP (wsgiref).

Baselines measured in the same run: the same wsgiref server answering a constant body (what
HTTP alone costs), and the WSGI call of a constant application.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from clickatell_protocol import HttpRequest, parse_response
from clickatell_protocol.server import ReferenceServer, running
from clickatell_protocol.transport import UrllibTransport


def _constant_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ID: 0123456789abcdef0123456789abcdef\n"]


def _server() -> tuple[ReferenceServer, str]:
    server = ReferenceServer(callback_scale=0.0)
    server.add_account("1", "bench", "pw", credits=10**9)
    _, body = server.handle("GET", "/http/auth?api_id=1&user=bench&password=pw", b"")
    session = parse_response("auth", body).session_id.get_secret_value()  # type: ignore[union-attr]
    return server, session


def _form(session: str) -> bytes:
    return urlencode(
        {"session_id": session, "to": "447700900123", "text": "Benchmark message", "callback": 0}
    ).encode()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, bytes]]:
    server, session = _server()
    with running(server, tick_every=None) as base:
        yield base, _form(session)


@pytest.mark.benchmark(group="server-sendmsg-in-process")
def test_wsgi_call_constant_app_baseline(benchmark: Any) -> None:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/http/sendmsg"}
    assert benchmark(_constant_app, environ, lambda *a: None)


@pytest.mark.benchmark(group="server-sendmsg-in-process")
def test_sendmsg_in_process(benchmark: Any) -> None:
    server, session = _server()
    body = _form(session)
    status, answer = benchmark(server.handle, "POST", "/http/sendmsg", body)
    assert status == 200
    assert answer.startswith("ID: ")


@pytest.mark.benchmark(group="server-sendmsg-loopback")
def test_wsgiref_constant_app_baseline(benchmark: Any) -> None:
    from clickatell_protocol.server import _serving  # the server machinery `running` uses

    with _serving(_constant_app) as httpd:
        request = HttpRequest(
            "POST", f"http://127.0.0.1:{httpd.server_port}/http/sendmsg", (), b"x=1"
        )
        assert benchmark(UrllibTransport().send, request).status == 200


@pytest.mark.benchmark(group="server-sendmsg-loopback")
def test_sendmsg_over_loopback(benchmark: Any, served: tuple[str, bytes]) -> None:
    base, body = served
    request = HttpRequest(
        "POST",
        f"{base}/http/sendmsg",
        (("Content-Type", "application/x-www-form-urlencoded"),),
        body,
    )
    response = benchmark(UrllibTransport().send, request)
    assert response.text.startswith("ID: ")
