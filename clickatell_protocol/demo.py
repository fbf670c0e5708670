"""``clickatell-protocol demo``: every command, over real HTTP, against the reference server.

The server runs in this process on a free loopback port; the requests go through the real
:class:`UrllibTransport` and :class:`Client`. For each step the demo prints the request line, the
raw response and the typed value. It uses a manual clock, so message statuses and callbacks
move when the demo says so, and the run takes a few seconds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO
from urllib.parse import urlsplit

from ._http import HttpRequest, HttpResponse, redact
from .callbacks import CallbackUrlCheck, parse_status_callback
from .client import Client
from .errors import ApiError
from .parsing import parse_response
from .server import ManualClock, ReferenceServer, _serving, running
from .transport import UrllibTransport

__all__ = ["run_demo"]

API_ID, USER, PASSWORD = "3456789", "demo", "demo-password"
VOUCHER = "4000123412341234"


class _Recorder:
    """A transport that keeps every exchange, so the demo can show the wire."""

    def __init__(self) -> None:
        self.inner = UrllibTransport(timeout=10)
        self.exchanges: list[tuple[HttpRequest, HttpResponse]] = []

    def send(self, request: HttpRequest) -> HttpResponse:
        response = self.inner.send(request)
        self.exchanges.append((request, response))
        return response


class _Printer:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.color = out.isatty()

    def heading(self, number: int, title: str) -> None:
        text = f"{number:2d}. {title}"
        self.out.write(f"\n\033[1m{text}\033[0m\n" if self.color else f"\n{text}\n")

    def exchange(self, request: HttpRequest, response: HttpResponse) -> None:
        line = f"{request.method} {redact(request.url)}"
        if request.body:
            line += f"  [{redact(request.body.decode('latin-1'))}]"
        self.out.write(f"    > {line}\n")
        opens_session = urlsplit(request.url).path.lower().rstrip("/").endswith("/auth")
        for body_line in response.text.rstrip("\n").split("\n"):
            if opens_session and body_line.startswith("OK:"):
                # The session id is as good as the password for an hour: shown masked, like
                # the requests that carry it.
                body_line = "OK: *** (the session id, masked)"
            self.out.write(f"    < {body_line}\n")

    def value(self, value: Any) -> None:
        self.out.write(f"    = {value!r}\n")


@contextmanager
def _callback_receiver(received: list[Any]) -> Iterator[str]:
    """A local HTTP endpoint that reads status callbacks the way a user's application would."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(size) if size else environ.get("QUERY_STRING", "")
        value = parse_status_callback(payload, content_type=environ.get("CONTENT_TYPE"))
        if not isinstance(value, CallbackUrlCheck):
            received.append(value)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"OK"]

    with _serving(app) as httpd:
        yield f"http://127.0.0.1:{httpd.server_port}/callbacks"


def run_demo(out: TextIO = sys.stdout) -> int:
    """Walk every command through a real HTTP transport; return the exit status (0)."""
    printer = _Printer(out)
    clock = ManualClock()
    received: list[Any] = []
    with _callback_receiver(received) as callback_url:
        server = ReferenceServer(clock=clock, callback_scale=0.0)
        server.add_account(API_ID, USER, PASSWORD, credits=20, callback_url=callback_url)
        server.add_prefix("4477009009", routable=False)
        server.add_voucher(VOUCHER, credits=50, value="605")
        with running(server, tick_every=None) as base_url:
            recorder = _Recorder()
            client = Client(
                recorder,
                api_id=API_ID,
                user=USER,
                password=PASSWORD,
                base_url=base_url,
                clock=clock,
            )
            out.write(f"Reference server at {base_url}; account {API_ID}/{USER}\n")
            seen = 0

            def step(number: int, title: str, action: Callable[[], Any]) -> Any:
                nonlocal seen
                printer.heading(number, title)
                try:
                    value = action()
                except ApiError as error:
                    value = error
                for request, response in recorder.exchanges[seen:]:
                    printer.exchange(request, response)
                seen = len(recorder.exchanges)
                printer.value(value)
                return value

            step(1, "auth: open a session", client.authenticate)
            sent = step(
                2,
                "sendmsg to three numbers, status callbacks on (callback=3)",
                lambda: client.send(
                    ["447700900123", "447700900456", "447700900901"],
                    "Your parcel arrives today between 9 and 12.",
                    callback=3,
                    climsgid="order4711",
                ),
            )

            def bad_number() -> Any:
                session = client._session_id().get_secret_value()
                request = HttpRequest(
                    "GET",
                    f"{base_url}/http/sendmsg?session_id={session}"
                    "&to=447700900123,0044770,447700900456&text=Hello",
                )
                return parse_response("sendmsg", recorder.send(request).body)

            step(
                3, "sendmsg with one bad number (sent raw: the client would refuse it)", bad_number
            )
            first = sent.results[0].apimsgid
            step(4, "querymsg: the first message", lambda: client.query(first))
            clock.advance(seconds=10)
            server.tick()
            step(
                5,
                "querymsg by climsgid, ten seconds later",
                lambda: client.query(climsgid="order4711"),
            )
            step(6, "getmsgcharge", lambda: client.charge(first))
            step(7, "getbalance", client.balance)
            later = step(
                8,
                "sendmsg scheduled an hour ahead (deliv_time=60)",
                lambda: client.send("447700900789", "See you at the meeting.", deliv_time=60),
            )
            held = later.results[0].apimsgid
            step(9, "querymsg: held at 011", lambda: client.query(held))
            step(10, "delmsg: stopped before it left", lambda: client.stop(held))
            batch = step(
                11,
                "startbatch with a template",
                lambda: client.start_batch("Hi #field1#, code #field2#"),
            )
            step(
                12,
                "senditem",
                lambda: client.send_item(batch.batch_id, "447700900321", {1: "Ann", 2: "4711"}),
            )
            step(
                13,
                "quicksend",
                lambda: client.quick_send(batch.batch_id, ["447700900322", "447700900323"]),
            )
            step(14, "endbatch", lambda: client.end_batch(batch.batch_id))
            step(15, "token_pay", lambda: client.pay_token(VOUCHER))
            step(16, "getbalance after the voucher", client.balance)
            step(17, "routeCoverage of a routed prefix", lambda: client.coverage("447700900123"))
            step(18, "routeCoverage of a refused prefix", lambda: client.coverage("447700900901"))
            step(19, "a refused request: querymsg of an unknown id", lambda: client.query("f" * 32))
        printer.heading(20, "status callbacks received by the local receiver")
        for value in received:
            printer.value(value)
    out.write(f"\nDone: {len(recorder.exchanges)} requests, {len(received)} callbacks.\n")
    return 0
