"""Time and memory bounds of the transports against hostile loopback servers.

Prints, for each transport, how long a server dripping one byte every 0.2 s holds a caller whose
``timeout`` is 3 s (the drip would last 56 s), and how long a 400 MB answer takes to be refused
with the default ``max_body`` (10 MB), then the process's peak RSS::

    PYTHONPATH=. .venv/bin/python benchmarks/transport_bounds.py
"""

from __future__ import annotations

import asyncio
import resource
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile_servers import RawRequest, drip, head, raw_server

from clickatell_protocol import HttpRequest, HttpResponse, TransportError
from clickatell_protocol.transport import (
    AsyncHttpxTransport,
    HttpxTransport,
    UrllibTransport,
)

HUGE = 400_000_000


def huge(request: RawRequest, conn: socket.socket) -> None:
    conn.sendall(head(length=HUGE))
    piece = b"0" * 65536
    try:
        for _ in range(HUGE // len(piece)):
            conn.sendall(piece)
    except OSError:
        pass  # the client stopped reading: what is measured


def _async(timeout: float) -> Callable[[HttpRequest], HttpResponse]:
    def send(request: HttpRequest) -> HttpResponse:
        async def go() -> HttpResponse:
            async with AsyncHttpxTransport(timeout=timeout) as transport:
                return await transport.send(request)

        return asyncio.run(go())

    return send


def _httpx(timeout: float) -> Callable[[HttpRequest], HttpResponse]:
    def send(request: HttpRequest) -> HttpResponse:
        with HttpxTransport(timeout=timeout) as transport:
            return transport.send(request)

    return send


TRANSPORTS: dict[str, Callable[[float], Callable[[HttpRequest], HttpResponse]]] = {
    "urllib": lambda timeout: UrllibTransport(timeout=timeout).send,
    "httpx": _httpx,
    "httpx-async": _async,
}


def held(send: Callable[[HttpRequest], HttpResponse], url: str) -> str:
    started = time.monotonic()
    try:
        send(HttpRequest("GET", f"{url}/http/getbalance"))
        outcome = "answered"
    except TransportError as error:
        outcome = str(error).rsplit(": ", 1)[-1]
    return f"{time.monotonic() - started:6.2f} s  {outcome}"


def main() -> None:
    for name, make in TRANSPORTS.items():
        with raw_server(drip(head(length=140) + b"0" * 140, every=0.2, limit=60)) as server:
            print(f"{name:12} drip, timeout=3 s: {held(make(3.0), server.url)}")
        with raw_server(huge) as server:
            print(f"{name:12} 400 MB answer:     {held(make(30.0), server.url)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"peak RSS: {peak} MB")


if __name__ == "__main__":
    main()
