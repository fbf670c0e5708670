"""Status callback delivery: a total deadline per attempt, deliveries that do not wait for each
other, at-least-once with the retry schedule, and callback credentials never stored."""

from __future__ import annotations

import base64
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hostile_servers import RawRequest, raw_server

from clickatell_protocol import HttpRequest, HttpResponse, TransportError
from clickatell_protocol.server import ManualClock, ReferenceServer, Store, _serving, running
from clickatell_protocol.server.app import CALLBACK_RETRIES

NUMBER = "447700900123"
CALLBACK_USER = "cb-user"
CALLBACK_PASSWORD = "Cb-pa55word-never-stored"
SLOW, FAST = "1001", "1002"
BASIC = base64.b64encode(f"{CALLBACK_USER}:{CALLBACK_PASSWORD}".encode()).decode()


def send(server: ReferenceServer, api_id: str, text: str = "hi") -> str:
    """Send one message with every status callback on (``callback=3``); its ``apimsgid``."""
    query = urlencode(
        {"api_id": api_id, "user": "u", "password": "p", "to": NUMBER, "text": text, "callback": 3}
    )
    status, body = server.handle("GET", f"/http/sendmsg?{query}", b"")
    assert status == 200 and body.startswith("ID: "), body
    return body.split()[1]


def callback_rows(server: ReferenceServer) -> dict[str, tuple[int, int, float]]:
    """``api_id -> (attempts, delivered, next_attempt)`` of each account's single callback."""
    rows = server.store.query("SELECT api_id, attempts, delivered, next_attempt FROM callbacks")
    return {row[0]: (int(row[1]), int(row[2]), float(row[3])) for row in rows}


def wait_until(condition: Callable[[], bool], seconds: float = 30) -> bool:
    """Poll ``condition`` (a generous bound: the test is about order, not speed)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class Events:
    """What the receivers saw, in order."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def add(self, item: str) -> None:
        with self.lock:
            self.items.append(item)

    def count(self, item: str) -> int:
        with self.lock:
            return self.items.count(item)


@contextmanager
def dripping_receiver(events: Events) -> Iterator[str]:
    """A callback receiver that answers 200 with a huge ``Content-Length`` and then drips one
    byte every half second until the test ends: each read succeeds, the answer never ends."""
    stop = threading.Event()

    def drip(_request: RawRequest, connection: socket.socket) -> None:
        events.add("slow-connected")
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n")
        while not stop.wait(0.5):
            connection.sendall(b"O")

    with raw_server(drip) as server:
        try:
            yield f"{server.url}/slow"
        finally:
            stop.set()


@contextmanager
def receiver(events: Events, name: str) -> Iterator[str]:
    """A callback receiver that answers at once, noting ``name`` and the request headers."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        if size:
            environ["wsgi.input"].read(size)
        with events.lock:
            events.headers.append(
                {key: str(value) for key, value in environ.items() if key.startswith("HTTP_")}
            )
        events.add(name)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"OK"]

    with _serving(app) as httpd:
        yield f"http://127.0.0.1:{httpd.server_port}/{name}"


# -- a slow receiver does not hold the others ----------------------------------------------


def test_a_dripping_receiver_does_not_stall_another_accounts_callbacks() -> None:
    events = Events()
    with dripping_receiver(events) as slow_url, receiver(events, "fast-received") as fast_url:
        server = ReferenceServer(callback_scale=0.0, callback_timeout=1.0)
        server.add_account(SLOW, "u", "p", 100, callback_url=slow_url)
        server.add_account(FAST, "u", "p", 100, callback_url=fast_url)
        send(server, SLOW)
        with running(server, tick_every=0.05):
            assert wait_until(lambda: events.count("slow-connected") >= 1)
            # The slow exchange is under way (dripping); a callback queued now is not held up.
            send(server, FAST)
            assert wait_until(lambda: events.count("fast-received") >= 1)
            assert events.items[:2] == ["slow-connected", "fast-received"]
            # The slow attempt ended at its deadline and was retried (a new connection).
            assert wait_until(lambda: events.count("slow-connected") >= 2)
            rows = callback_rows(server)
    assert rows[FAST][:2] == (1, 1)
    assert rows[SLOW][0] >= 1 and rows[SLOW][1] == 0


class BlockingTransport:
    """A transport whose ``send`` blocks until released: the deadline must not rely on the
    transport's own timeouts."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0
        self.lock = threading.Lock()

    def send(self, request: HttpRequest) -> HttpResponse:
        with self.lock:
            self.calls += 1
        self.release.wait(30)
        return HttpResponse(200, (), b"OK")


def test_the_deadline_holds_whatever_the_transport() -> None:
    clock = ManualClock()
    transport = BlockingTransport()
    server = ReferenceServer(
        clock=clock, callback_scale=1.0, callback_timeout=0.2, transport=transport
    )
    server.add_account("1", "u", "p", 100, callback_url="http://127.0.0.1:9/cb")
    send(server, "1")
    try:
        assert server.deliver_callbacks() == 0  # returns at the deadline, not when released
        attempts, delivered, next_attempt = callback_rows(server)["1"]
        assert (attempts, delivered) == (1, 0)
        assert next_attempt == (clock() + CALLBACK_RETRIES[0]).timestamp()
        assert server.pending_callbacks() == 1
    finally:
        transport.release.set()


def test_a_callback_in_flight_is_not_picked_twice() -> None:
    clock = ManualClock()
    transport = BlockingTransport()
    server = ReferenceServer(
        clock=clock, callback_scale=0.0, callback_timeout=30, transport=transport
    )
    server.add_account("1", "u", "p", 100, callback_url="http://127.0.0.1:9/cb")
    send(server, "1")
    server.deliver_callbacks(wait=False)
    assert wait_until(lambda: transport.calls == 1)
    server.deliver_callbacks(wait=False)  # the first attempt is still in flight
    server.tick(wait=False)
    transport.release.set()
    assert wait_until(lambda: server.pending_callbacks() == 0)
    assert transport.calls == 1
    assert callback_rows(server)["1"][:2] == (1, 1)


class CountingTransport:
    def __init__(self, fail: Callable[[HttpRequest], BaseException | None] | None = None) -> None:
        self.sent: list[HttpRequest] = []
        self.lock = threading.Lock()
        self.fail = fail

    def send(self, request: HttpRequest) -> HttpResponse:
        time.sleep(0.005)
        with self.lock:
            self.sent.append(request)
        failure = self.fail(request) if self.fail else None
        if failure is not None:
            raise failure
        return HttpResponse(200, (), b"OK")


def test_concurrent_rounds_deliver_each_callback_exactly_once() -> None:
    transport = CountingTransport()
    server = ReferenceServer(callback_scale=0.0, transport=transport)
    for account in ("1", "2", "3"):
        server.add_account(account, "u", "p", 100, callback_url=f"http://127.0.0.1:9/{account}")
    sent = [send(server, account, f"m{n}") for n in range(8) for account in ("1", "2", "3")]
    rounds = [threading.Thread(target=server.deliver_callbacks) for _ in range(6)]
    for thread in rounds:
        thread.start()
    for thread in rounds:
        thread.join(timeout=60)
    while server.deliver_callbacks():  # anything a busy round left for later
        pass
    assert server.pending_callbacks() == 0
    assert len(transport.sent) == len(sent) == 24
    assert len({(request.url, request.body) for request in transport.sent}) == 24


@pytest.mark.parametrize(
    "failure",
    [
        TransportError("connection refused"),
        RuntimeError("a transport that raises something else"),
    ],
)
def test_a_failed_attempt_is_retried_on_schedule(failure: BaseException) -> None:
    clock = ManualClock()
    transport = CountingTransport(fail=lambda request: failure)
    server = ReferenceServer(clock=clock, callback_scale=1.0, transport=transport)
    server.add_account("1", "u", "p", 100, callback_url="http://127.0.0.1:9/cb")
    send(server, "1")
    waited = timedelta(0)
    for attempt, wait in enumerate(CALLBACK_RETRIES, start=1):
        assert server.deliver_callbacks() == 0
        attempts, delivered, next_attempt = callback_rows(server)["1"]
        assert (attempts, delivered) == (attempt, 0)
        assert next_attempt == (clock() + wait).timestamp()
        assert server.deliver_callbacks() == 0  # not due yet
        clock.advance(wait)
        waited += wait
    assert server.deliver_callbacks() == 0  # the last retry: given up
    assert server.pending_callbacks() == 0
    assert len(transport.sent) == len(CALLBACK_RETRIES) + 1
    assert server.internal_errors == 0


# -- callback credentials are never stored ----------------------------------------------


def _file_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file())


def _secret_forms() -> list[bytes]:
    return [CALLBACK_PASSWORD.encode(), BASIC.encode(), f"Basic {BASIC}".encode()]


def test_the_database_file_holds_no_callback_password(tmp_path: Path) -> None:
    events = Events()
    clock = ManualClock()
    with receiver(events, "received") as url:
        server = ReferenceServer(Store(str(tmp_path / "state.sqlite")), clock=clock)
        server.add_account(
            "1",
            "u",
            "p",
            100,
            callback_url=url,
            callback_user=CALLBACK_USER,
            callback_password=CALLBACK_PASSWORD,
        )
        send(server, "1", "one")
        send(server, "1", "two")
        queued = _file_bytes(tmp_path)
        clock.advance(seconds=10)
        server.tick()
        server.store.close()
    assert events.count("received") == 4  # 003 and 004 of each message
    # The receiver got the credentials: built at delivery time.
    assert {headers.get("HTTP_AUTHORIZATION") for headers in events.headers} == {f"Basic {BASIC}"}
    for content in (queued, _file_bytes(tmp_path)):
        for secret in _secret_forms():
            assert secret not in content


def test_after_a_restart_the_callback_password_comes_from_configuration(tmp_path: Path) -> None:
    database = str(tmp_path / "state.sqlite")
    clock = ManualClock()
    account: dict[str, Any] = {
        "callback_user": CALLBACK_USER,
        "callback_password": CALLBACK_PASSWORD,
    }
    events = Events()
    with receiver(events, "received") as url:
        first = ReferenceServer(Store(database), clock=clock, callback_scale=0.0)
        first.add_account("1", "u", "p", 100, callback_url=url, **account)
        send(first, "1")
        first.store.close()

        second = ReferenceServer(Store(database), clock=clock, callback_scale=0.0)
        # Not configured again in this process: nothing is sent without the credentials.
        assert second.deliver_callbacks() == 0
        assert events.count("received") == 0
        assert second.pending_callbacks() == 1
        # What ``serve --config`` does at each start: the account again, kept as it is.
        second.add_account("1", "u", "other", 5, callback_url=url, replace=False, **account)
        assert second.deliver_callbacks() == 1
        second.store.close()
    assert events.headers[0]["HTTP_AUTHORIZATION"] == f"Basic {BASIC}"
    for secret in _secret_forms():
        assert secret not in _file_bytes(tmp_path)


def test_a_database_from_an_earlier_version_is_scrubbed(tmp_path: Path) -> None:
    database = tmp_path / "state.sqlite"
    old = ReferenceServer(Store(str(database)))
    old.add_account("1", "u", "p", 100, callback_url="http://127.0.0.1:9/cb")
    send(old, "1")
    old.store.close()
    # What earlier versions wrote: the password in the account, the header in the queue.
    with sqlite3.connect(database) as db:
        db.execute(
            "UPDATE accounts SET callback_user = ?, callback_password = ?",
            (CALLBACK_USER, CALLBACK_PASSWORD),
        )
        db.execute(
            "UPDATE callbacks SET headers = ?",
            (f'[["Authorization", "Basic {BASIC}"], ["Content-Type", "x"]]',),
        )
    db.close()
    assert CALLBACK_PASSWORD.encode() in _file_bytes(tmp_path)

    transport = CountingTransport()
    server = ReferenceServer(Store(str(database)), callback_scale=0.0, transport=transport)
    assert server.deliver_callbacks() == 1  # still delivered, with the credentials it had
    assert ("Authorization", f"Basic {BASIC}") in transport.sent[0].headers
    server.store.close()
    for secret in _secret_forms():
        assert secret not in _file_bytes(tmp_path)


class SelectiveTransport:
    """Blocks (until released) for URLs with ``/slow``; answers others at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.delivered: list[str] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        if "/slow" in request.url:
            self.release.wait(30)
        self.delivered.append(request.url)
        return HttpResponse(200, (), b"OK")


def test_receivers_that_never_answer_do_not_use_up_the_workers() -> None:
    """Abandoned attempts hold their own account's slot, not the server's: with four workers
    and four accounts whose receivers never answer, a fifth account is still served."""
    transport = SelectiveTransport()
    server = ReferenceServer(
        callback_scale=100.0, callback_timeout=0.2, callback_workers=4, transport=transport
    )
    slow = [f"20{n}" for n in range(4)]
    for api_id in slow:
        server.add_account(api_id, "u", "p", 100, callback_url=f"http://127.0.0.1:9/slow{api_id}")
        send(server, api_id)
    server.add_account("300", "u", "p", 100, callback_url="http://127.0.0.1:9/fast")
    try:
        assert server.deliver_callbacks() == 0  # all four abandoned at their deadline
        assert {api_id: row[:2] for api_id, row in callback_rows(server).items()} == dict.fromkeys(
            slow, (1, 0)
        )
        send(server, "300")
        assert server.deliver_callbacks() == 1
        assert transport.delivered == ["http://127.0.0.1:9/fast"]
    finally:
        transport.release.set()
