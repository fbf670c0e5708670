"""The reference server: the whole protocol over real HTTP, with state in SQLite.

    from clickatell_protocol.server import ReferenceServer, running

    server = ReferenceServer()
    server.add_account("3456789", "alice", "s3cret", credits=100)
    with running(server) as base_url:       # a real HTTP server on a free loopback port
        ...                                 # point any client at base_url

``clickatell-protocol serve`` runs it from the command line; the ``clickatell_server`` pytest
fixture gives a test one with an account and a clock it can advance.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ._masking import mask_secrets
from .app import ReferenceServer
from .store import Store

__all__ = ["ManualClock", "ReferenceServer", "Store", "mask_secrets", "running"]


class ManualClock:
    """A clock that moves only when told: ``clock.advance(minutes=16)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**units)``; return the new time."""
        with self._lock:
            self.now += delta if delta is not None else timedelta(**units)
            return self.now


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    # The listen backlog (``socketserver``'s default is 5): a burst of clients connecting at
    # once waits in the queue instead of timing out while the accept loop catches up.
    request_queue_size = 1024


class _MaskingHandler(WSGIRequestHandler):
    """The access log of ``serve --verbose``, with secrets masked (request lines carry the
    query string: ``/http/auth?...&password=...``)."""

    def log_message(self, format: str, *args: Any) -> None:
        line = mask_secrets(format % args)
        sys.stderr.write(f"{self.address_string()} - - [{self.log_date_time_string()}] {line}\n")


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _make_server(
    app: Callable[..., Iterable[bytes]], host: str = "127.0.0.1", port: int = 0, quiet: bool = True
) -> WSGIServer:
    """A threaded ``wsgiref`` server for ``app``, bound and listening but not yet serving.

    Raises:
        OSError: the address cannot be bound (taken, not local, not resolvable).
    """
    handler = _QuietHandler if quiet else _MaskingHandler
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=handler)


@contextmanager
def _serving(
    app: Callable[..., Iterable[bytes]], host: str = "127.0.0.1", port: int = 0, quiet: bool = True
) -> Iterator[WSGIServer]:
    """Serve any WSGI ``app`` (threaded ``wsgiref``) until the block ends; yield the server,
    whose ``server_port`` is the port picked when ``port`` is 0.

    Raises:
        OSError: the address cannot be bound (taken, not local, not resolvable).
    """
    httpd = _make_server(app, host, port, quiet)
    serving = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="clickatell-serve",
        daemon=True,
    )
    serving.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        serving.join(timeout=5)


@contextmanager
def running(
    app: ReferenceServer,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    tick_every: float | None = 0.2,
    quiet: bool = True,
) -> Iterator[str]:
    """Serve ``app`` over HTTP (threaded ``wsgiref``) until the block ends; yield the base URL.

    ``port=0`` picks a free port. Every ``tick_every`` seconds a background thread advances
    message statuses and delivers due callbacks (``None``: only when asked, ``app.tick()``).

    Raises:
        ValueError: ``tick_every`` is not a positive number of seconds (zero would spin a core).
        OSError: the address cannot be bound (taken, not local, not resolvable).
    """
    if tick_every is not None and not (math.isfinite(tick_every) and tick_every > 0):
        raise ValueError(f"tick_every must be a positive number of seconds, not {tick_every!r}")
    stop = threading.Event()
    ticking = None
    if tick_every is not None:

        def tick() -> None:
            while not stop.wait(tick_every):
                app.tick(wait=False)  # a slow callback receiver must not hold up the loop

        ticking = threading.Thread(target=tick, name="clickatell-tick", daemon=True)
    with _serving(app, host, port, quiet) as httpd:
        if ticking is not None:
            ticking.start()
        try:
            yield f"http://{host}:{httpd.server_port}"
        finally:
            stop.set()
            if ticking is not None:
                ticking.join(timeout=5)
