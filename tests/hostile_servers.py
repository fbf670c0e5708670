"""Raw-socket HTTP servers on 127.0.0.1 that misbehave on purpose (no mocks).

Each connection reads one request (head and ``Content-Length`` body) and hands it to a script,
``script(request, connection)``, which writes whatever bytes it likes (a cut body, a drip, a
redirect) and returns; the connection is then closed. Every server stops with its block, and every
script is bounded in time, so no test can hang on one.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class RawRequest:
    """One request as the server read it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Script = Callable[[RawRequest, socket.socket], None]


@dataclass
class RawServer:
    """A running raw server: its base URL and every request it read, in order."""

    url: str
    port: int
    requests: list[RawRequest] = field(default_factory=list)


def _read_request(conn: socket.socket) -> RawRequest | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawRequest(method, target, headers, body)


@contextmanager
def raw_server(script: Script, tls: ssl.SSLContext | None = None) -> Iterator[RawServer]:
    """Serve ``script`` on a free loopback port until the block ends (over TLS with ``tls``)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    port = listener.getsockname()[1]
    scheme = "https" if tls is not None else "http"
    server = RawServer(f"{scheme}://127.0.0.1:{port}", port)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def handle(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                if tls is not None:
                    conn = tls.wrap_socket(conn, server_side=True)
                request = _read_request(conn)
                if request is None:
                    return
                server.requests.append(request)
                script(request, conn)
            except OSError:
                pass  # the client went away first: expected for the hostile cases

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            worker = threading.Thread(target=handle, args=(conn,), daemon=True)
            workers.append(worker)
            worker.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        stop.set()
        acceptor.join(timeout=5)
        listener.close()
        for worker in workers:
            worker.join(timeout=5)


# -- scripts -------------------------------------------------------------------------------


def head(status: str = "200 OK", *extra: str, length: int | None = None) -> bytes:
    """A status line and headers; ``Content-Length`` only when ``length`` is given."""
    lines = [f"HTTP/1.1 {status}", "Content-Type: text/plain", "Connection: close", *extra]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer(body: bytes, status: str = "200 OK") -> bytes:
    """A complete, well-framed answer."""
    return head(status, length=len(body)) + body


def send_then_close(data: bytes) -> Script:
    """Write ``data`` and close (an orderly FIN): the body is whatever ``data`` holds."""

    def script(request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(data)

    return script


def send_then_reset(data: bytes) -> Script:
    """Write ``data`` and abort the connection with a TCP reset (``SO_LINGER`` 0)."""

    def script(request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(data)
        time.sleep(0.05)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    return script


def drip(data: bytes, every: float = 0.2, limit: float = 30.0) -> Script:
    """Write ``data`` one byte every ``every`` seconds (at most ``limit`` seconds in all), as a
    server that is alive but slow; stops as soon as the client has gone."""

    def script(request: RawRequest, conn: socket.socket) -> None:
        started = time.monotonic()
        for index in range(len(data)):
            if time.monotonic() - started > limit:
                return
            conn.sendall(data[index : index + 1])
            time.sleep(every)

    return script


def stall(data: bytes, seconds: float = 10.0) -> Script:
    """Write ``data``, then hold the connection open without writing for ``seconds``."""

    def script(request: RawRequest, conn: socket.socket) -> None:
        conn.sendall(data)
        conn.settimeout(seconds)
        with contextlib.suppress(TimeoutError):
            conn.recv(1)  # returns when the client closes, or times out

    return script


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made by the ``openssl`` tool, valid one day, and its key;
    returns ``(certificate, key)`` paths in ``folder``."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key
