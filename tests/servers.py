"""Real HTTP servers on 127.0.0.1 for the transport and client tests (no mocks).

- :class:`PlainServer`: fixed answers by path (200, 500, slow headers, slow body, echo).
- :class:`FakeClickatell`: a small Clickatell server built on the library's own server side
  (``parse_request`` → state → ``render_response``) that can expire sessions, answer 901, and
  caps recipients per request.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import SecretStr

from clickatell_protocol import (
    Accepted,
    Auth,
    AuthOK,
    Balance,
    ErrorReply,
    GetBalance,
    Limits,
    MessageStatus,
    Ping,
    PingOK,
    QueryMsg,
    QuickSend,
    Rejected,
    RequestRejected,
    SendMsg,
    SendResult,
    parse_request,
    render_response,
)
from clickatell_protocol.server import _serving


class _PlainHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path.startswith("/ok"):
            self._reply(200, b"Credit: 5")
        elif self.path.startswith("/error500"):
            self._reply(500, b"Internal trouble; password=hunter2 session_id=abc")
        elif self.path.startswith("/slow-headers"):
            time.sleep(1.5)
            self._reply(200, b"late")
        elif self.path.startswith("/slow-body"):
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"Credit: ")
            self.wfile.flush()
            time.sleep(1.5)
        elif self.path.startswith("/big"):
            self._reply(200, b"x" * 5000)
        else:
            self._reply(404, b"no such page")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        echo = f"{self.command} {self.headers.get('Content-Type')} ".encode() + body
        self._reply(200, echo)


class _QuietHTTPServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out closes its end while a slow answer is written: expected.
        pass


@contextmanager
def plain_server() -> Iterator[str]:
    """A plain HTTP server on a free loopback port; yields its base URL."""
    server = _QuietHTTPServer(("127.0.0.1", 0), _PlainHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class FakeClickatell:
    """Enough of a Clickatell server to exercise a client: sessions, 901, recipient caps."""

    def __init__(self, *, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.api_id, self.user, self.password = "3456789", "alice", "s3cret"
        self.sessions: set[str] = set()
        self.auth_count = 0
        self.requests: list[str] = []
        self.fail_next_with: list[int] = []
        self.credit = Decimal("100.5")
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def expire_sessions(self) -> None:
        with self._lock:
            self.sessions.clear()

    def _reply(self, model: Any) -> Any:
        if isinstance(model, Auth):
            ok = (
                model.api_id == self.api_id
                and model.user == self.user
                and model.password is not None
                and model.password.get_secret_value() == self.password
            )
            if not ok:
                return ErrorReply(code=1, description="Authentication failed")
            session = secrets.token_hex(16)
            self.sessions.add(session)
            self.auth_count += 1
            return AuthOK(session_id=SecretStr(session))
        session = model.session_id.get_secret_value() if model.session_id else None
        if session not in self.sessions:
            return ErrorReply(code=3, description="Session ID expired")
        if self.fail_next_with:
            code = self.fail_next_with.pop(0)
            return ErrorReply(code=code, description=f"Failure {code}")
        if isinstance(model, Ping):
            return PingOK()
        if isinstance(model, GetBalance):
            return Balance(credit=self.credit)
        if isinstance(model, QueryMsg):
            return MessageStatus(apimsgid=model.apimsgid or "0" * 32, status=4)
        if isinstance(model, SendMsg | QuickSend):
            lines: list[Accepted | Rejected] = []
            for number in model.to:
                if number.startswith("999"):
                    lines.append(Rejected(code=114, description="Cannot route message", to=number))
                else:
                    lines.append(Accepted(apimsgid=f"{next(self._ids):032x}", to=number))
            if len(lines) == 1 and isinstance(lines[0], Accepted):
                lines = [Accepted(apimsgid=lines[0].apimsgid)]
            return SendResult(results=tuple(lines))
        return ErrorReply(code=101, description="Invalid or missing parameters")

    def app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        target = environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        with self._lock:
            self.requests.append(environ.get("PATH_INFO", ""))
            try:
                model = parse_request(method, target, body, limits=self.limits)
                text = render_response(self._reply(model))
            except RequestRejected as rejected:
                text = rejected.to_wire() + "\n"
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text.encode("latin-1")]


@contextmanager
def fake_clickatell(**kwargs: Any) -> Iterator[tuple[str, FakeClickatell]]:
    """Serve a :class:`FakeClickatell` on a free loopback port; yields (base URL, state)."""
    fake = FakeClickatell(**kwargs)
    with _serving(fake.app) as server:
        yield f"http://127.0.0.1:{server.server_port}", fake


def refused_url() -> str:
    """A loopback URL on which nothing listens."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
