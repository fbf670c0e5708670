"""A status callback is never posted twice at once: when an attempt passes its deadline, its
retry is scheduled, but the retry does not start while the abandoned sending thread is still
posting, whatever slots the account has free. It starts once that thread returns, so delivery
stays at least once and keeps its schedule."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from clickatell_protocol import HttpRequest, HttpResponse
from clickatell_protocol.server import ManualClock, ReferenceServer, Store
from clickatell_protocol.server.app import CALLBACK_RETRIES
from clickatell_protocol.transport import UrllibTransport


class HeldTransport:
    """Posts that wait until released; counts them, and the most under way at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.started = self.finished = self.active = self.peak = 0

    def send(self, request: HttpRequest) -> HttpResponse:
        with self.lock:
            self.started += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            self.release.wait(60)
            return HttpResponse(200, b"")
        finally:
            with self.lock:
                self.active -= 1
                self.finished += 1

    def count(self, name: str) -> int:
        with self.lock:
            return int(getattr(self, name))


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> bool:
    """Poll ``condition`` (a generous bound: the test is about order, not speed)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def attempts(server: ReferenceServer) -> tuple[int, int]:
    """``(attempts, delivered)`` of the one queued callback."""
    row = server.store.query("SELECT attempts, delivered FROM callbacks")[0]
    return int(row[0]), int(row[1])


@pytest.mark.parametrize("workers", [1, 8, 16])
def test_a_retry_never_starts_beside_its_abandoned_attempt(workers: int) -> None:
    clock = ManualClock()
    transport = HeldTransport()
    server = ReferenceServer(
        Store(),
        clock=clock,
        delivery_delay=timedelta(days=365),  # the message stays at 003: one callback only
        transport=transport,
        callback_timeout=0.2,
        callback_workers=workers,
    )
    server.add_account("1", "u", "p", callback_url="http://receiver.invalid/status")
    query = urlencode(
        {"api_id": "1", "user": "u", "password": "p", "to": "447700900123", "text": "hi"}
    )
    status, body = server.handle("GET", f"/http/sendmsg?{query}&callback=3", b"")
    assert status == 200 and body.startswith("ID: "), body

    # The first attempt passes its deadline: settled as failed, its retry scheduled, while its
    # sending thread still posts.
    assert server.deliver_callbacks() == 0
    assert attempts(server) == (1, 0)
    assert wait_until(lambda: transport.count("started") == 1)

    # The retry is due, but the first post has not returned: it is not started beside it.
    clock.advance(CALLBACK_RETRIES[0] + timedelta(seconds=1))
    for _ in range(3):
        assert server.deliver_callbacks() == 0
        server.tick(wait=False)
    assert attempts(server) == (1, 0)
    assert transport.count("started") == 1

    # Once the first post returns, the retry goes out: at least once, one post at a time.
    transport.release.set()
    assert wait_until(lambda: transport.count("finished") == 1)
    assert wait_until(lambda: server.deliver_callbacks() == 1)
    assert attempts(server) == (2, 1)
    assert transport.count("started") == 2
    assert transport.count("peak") == 1
    assert server.pending_callbacks() == 0


@pytest.mark.parametrize("callback_timeout", [0.5, 3.0, 10.0])
def test_the_default_transport_gives_up_at_the_attempts_deadline(callback_timeout: float) -> None:
    # Its sending thread returns when the attempt is abandoned, so the retry is not held up
    # behind a post that goes on after the deadline.
    server = ReferenceServer(callback_timeout=callback_timeout)
    assert isinstance(server.transport, UrllibTransport)
    assert server.transport.timeout == callback_timeout


def test_a_given_transport_is_used_as_it_is() -> None:
    transport = HeldTransport()
    assert ReferenceServer(callback_timeout=0.5, transport=transport).transport is transport
