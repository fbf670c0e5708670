"""The reference server end to end over loopback HTTP: every command, every error path a client
can trigger, callbacks with retries, load, restart, and fuzzing."""

from __future__ import annotations

import asyncio
import itertools
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import CONTEXT, request_kwargs

from clickatell_protocol import (
    COMMANDS,
    Accepted,
    Client,
    ErrorReply,
    HttpRequest,
    Rejected,
    ResponseSyntaxError,
    SendResult,
    StatusCallback,
    parse_response,
    parse_status_callback,
)
from clickatell_protocol.pytest_plugin import ClickatellServer
from clickatell_protocol.server import ManualClock, ReferenceServer, Store, _serving, running
from clickatell_protocol.transport import AsyncHttpxTransport, HttpxTransport, UrllibTransport

NUMBER = "447700900123"


def raw(server: ClickatellServer, path: str, **params: Any) -> Any:
    """Send a hand-built GET (no client-side validation) and parse the answer."""
    query = urlencode({k: str(v) for k, v in params.items()}, safe=",")
    response = UrllibTransport().send(HttpRequest("GET", f"{server.base_url}{path}?{query}"))
    command = path.rsplit("/", 1)[-1].removesuffix(".php")
    return parse_response(command, response.body)


def credentials(server: ClickatellServer) -> dict[str, str]:
    return {"api_id": server.api_id, "user": server.user, "password": server.password}


@pytest.mark.parametrize("transport", ["urllib", "httpx"])
def test_every_command(clickatell_server: ClickatellServer, transport: str) -> None:
    server = clickatell_server
    server.server.add_voucher("1234567812345678", credits=50, value="605")
    server.server.add_prefix("4477009009", routable=False)
    chosen = UrllibTransport() if transport == "urllib" else HttpxTransport()
    client = server.client(chosen)
    assert client.authenticate().kind == "auth_ok"
    assert client.ping().kind == "ping_ok"
    sent = client.send([NUMBER, "447700900456", "447700900901"], "Hello", climsgid="ref1")
    first = sent.results[0]
    assert isinstance(first, Accepted)
    assert isinstance(sent.results[2], Rejected)
    assert sent.results[2].code == 114
    assert client.query(first.apimsgid).status == 3
    server.clock.advance(seconds=10)
    assert client.query(climsgid="ref1").status == 4
    charge = client.charge(first.apimsgid)
    assert (charge.charge, charge.status) == (Decimal(1), 4)
    assert client.balance().credit == Decimal(998)
    held = client.send(NUMBER, "later", deliv_time=30).results[0]
    assert isinstance(held, Accepted)
    assert client.query(held.apimsgid).status == 11
    assert client.stop(held.apimsgid).status == 6
    assert client.balance().credit == Decimal(998)  # refunded
    assert client.pay_token("1234567812345678").value == "605"
    assert client.balance().credit == Decimal(1048)
    assert client.coverage(NUMBER).routable
    assert not client.coverage("447700900901").routable
    batch = client.start_batch("Hi #field1#")
    assert client.send_item(batch.batch_id, NUMBER, {1: "Ann"}).results
    assert len(client.quick_send(batch.batch_id, [NUMBER, "447700900456"]).results) == 2
    assert client.end_batch(batch.batch_id).kind == "batch_ended"
    si = client.si_push(NUMBER, "id1", "http://example.test/x", "Look")
    assert si.results[0].to == NUMBER
    mms = client.ind_push(
        NUMBER,
        from_="Shop",
        mms_subject="S",
        mms_class=80,
        mms_expire=3000,
        mms_from="Ann",
        mms_url="http://example.test/a.mms",
    )
    assert isinstance(mms.results[0], Accepted)
    # The text the batch item carried was the template with its field filled in.
    rows = server.server.store.query("SELECT text FROM messages WHERE text LIKE 'Hi %'")
    assert {row["text"] for row in rows} == {"Hi Ann", "Hi "}


def _session(server: ClickatellServer) -> str:
    reply = raw(server, "/http/auth", **credentials(server))
    return str(reply.session_id.get_secret_value())


ERROR_PATHS: list[tuple[str, str, Callable[[ClickatellServer], dict[str, Any]], int]] = [
    ("001 wrong password", "/http/auth", lambda s: {**credentials(s), "password": "nope"}, 1),
    # One code for every credential mismatch: the answer does not tell what exists.
    ("001 unknown user", "/http/auth", lambda s: {**credentials(s), "user": "mallory"}, 1),
    ("001 unknown api_id", "/http/auth", lambda s: {**credentials(s), "api_id": "999"}, 1),
    ("005 no credentials", "/http/getbalance", lambda s: {}, 5),
    # An unknown parameter is ignored now (PROTOCOL.md §1); an unknown charset is still 101.
    (
        "101 unknown charset",
        "/http/getbalance",
        lambda s: {**credentials(s), "charset": "UTF-16"},
        101,
    ),
    (
        "103 unknown apimsgid",
        "/http/querymsg",
        lambda s: {**credentials(s), "apimsgid": "f" * 32},
        103,
    ),
    ("104 unknown climsgid", "/http/querymsg", lambda s: {**credentials(s), "climsgid": "no"}, 104),
    (
        "105 bad number",
        "/http/sendmsg",
        lambda s: {**credentials(s), "to": "0123", "text": "x"},
        105,
    ),
    (
        "106 bad sender",
        "/http/sendmsg",
        lambda s: {**credentials(s), "to": NUMBER, "text": "x", "from": "Bad-Sender!"},
        106,
    ),
    (
        "107 empty text",
        "/http/sendmsg",
        lambda s: {**credentials(s), "to": NUMBER, "text": ""},
        107,
    ),
    (
        "113 too long",
        "/http/sendmsg",
        lambda s: {**credentials(s), "to": NUMBER, "text": "x" * 200},
        113,
    ),
    (
        "114 unroutable",
        "/http/sendmsg",
        lambda s: {**credentials(s), "to": "447700900901", "text": "x"},
        114,
    ),
    (
        "116 bad unicode",
        "/http/sendmsg",
        lambda s: {**credentials(s), "to": NUMBER, "text": "00zz", "unicode": 1},
        116,
    ),
    (
        "120 bad delivery time",
        "/http/sendmsg",
        lambda s: {**credentials(s), "to": NUMBER, "text": "x", "deliv_time": 4},
        120,
    ),
    (
        "201 unknown batch",
        "/http_batch/senditem",
        lambda s: {**credentials(s), "batch_id": "a" * 32, "to": NUMBER},
        201,
    ),
    ("202 no template", "/http_batch/startbatch", lambda s: {**credentials(s)}, 202),
    (
        "301 no credit",
        "/http/sendmsg",
        lambda s: {**credentials(s), "to": "447700900777", "text": "x"},
        301,
    ),
]


@pytest.mark.parametrize(
    ("name", "path", "params", "code"), ERROR_PATHS, ids=[e[0] for e in ERROR_PATHS]
)
def test_error_paths(
    clickatell_server: ClickatellServer,
    name: str,
    path: str,
    params: Callable[[ClickatellServer], dict[str, Any]],
    code: int,
) -> None:
    server = clickatell_server
    server.server.add_prefix("4477009009", routable=False)
    server.server.add_prefix("4477009007", charge=5000)  # more than the account has
    reply = raw(server, path, **params(server))
    assert isinstance(reply, ErrorReply), reply
    assert reply.code == code


def test_003_after_15_idle_minutes_and_ping_extends(clickatell_server: ClickatellServer) -> None:
    server = clickatell_server
    session = _session(server)
    server.clock.advance(minutes=14)
    assert raw(server, "/http/ping", session_id=session).kind == "ping_ok"
    server.clock.advance(minutes=14)
    assert raw(server, "/http/getbalance", session_id=session).kind == "balance"
    server.clock.advance(minutes=15)
    reply = raw(server, "/http/getbalance", session_id=session)
    assert isinstance(reply, ErrorReply)
    assert reply.code == 3


def test_007_ip_lockdown(clickatell_server: ClickatellServer) -> None:
    server = clickatell_server
    server.server.add_account("42", "locked", "pw", 10, allowed_ips=("10.9.8.7",))
    reply = raw(server, "/http/auth", api_id="42", user="locked", password="pw")
    assert isinstance(reply, ErrorReply)
    assert reply.code == 7


def test_batches_expire_after_a_day(clickatell_server: ClickatellServer) -> None:
    server = clickatell_server
    client = server.client()
    batch = client.start_batch("Hello")
    server.clock.advance(hours=24)
    reply = raw(
        server, "/http_batch/quicksend", **credentials(server), batch_id=batch.batch_id, to=NUMBER
    )
    assert isinstance(reply, ErrorReply)
    assert reply.code == 201


def test_invalid_recipients_among_several_get_their_own_lines(
    clickatell_server: ClickatellServer,
) -> None:
    reply = raw(
        clickatell_server,
        "/http/sendmsg",
        **credentials(clickatell_server),
        to=f"{NUMBER},0044,+447700900456,447700900457",
        text="Hi",
    )
    assert isinstance(reply, SendResult)
    assert [type(line).__name__ for line in reply.results] == [
        "Accepted",
        "Rejected",
        "Rejected",
        "Accepted",
    ]
    assert [line.to for line in reply.results] == [NUMBER, "0044", "", "447700900457"]
    assert {line.code for line in reply.results if isinstance(line, Rejected)} == {105}


def test_paths_methods_and_404(clickatell_server: ClickatellServer) -> None:
    transport = UrllibTransport()
    base = clickatell_server.base_url
    query = urlencode(credentials(clickatell_server))
    for path in ("/http/getbalance", "/http/getbalance.php", "/HTTP/GetBalance"):
        assert transport.send(HttpRequest("GET", f"{base}{path}?{query}")).text.startswith("Credit")
        post = HttpRequest("POST", f"{base}{path}", (), query.encode())
        assert transport.send(post).text.startswith("Credit")
    with pytest.raises(Exception, match="404"):
        transport.send(HttpRequest("GET", f"{base}/http/nothing"))


# -- callbacks ------------------------------------------------------------------------------


class _Receiver:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.received: list[StatusCallback] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(size) if size else environ.get("QUERY_STRING", "")
        with self.lock:
            self.calls += 1
            if self.calls <= self.failures:
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [b"busy"]
            value = parse_status_callback(payload)
            assert isinstance(value, StatusCallback)
            self.received.append(value)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"OK"]


@contextmanager
def receiver(failures: int = 0, port: int = 0) -> Iterator[tuple[str, _Receiver]]:
    app = _Receiver(failures)
    with _serving(app, port=port) as httpd:
        yield f"http://127.0.0.1:{httpd.server_port}/cb", app


@pytest.mark.parametrize("style", ["http_get", "http_post", "xml_post", "soap_get"])
def test_callbacks_follow_the_callback_value(style: str) -> None:
    clock = ManualClock()
    with receiver() as (url, app):
        server = ReferenceServer(clock=clock, callback_scale=0.0)
        server.add_account("1", "u", "p", 100, callback_url=url, callback_style=style)
        with running(server, tick_every=None) as base:
            client = Client(api_id="1", user="u", password="p", base_url=base, clock=clock)
            final_only = client.send(NUMBER, "a", callback=2).results[0]
            everything = client.send(NUMBER, "b", callback=3).results[0]
            silent = client.send(NUMBER, "c").results[0]
            clock.advance(seconds=10)
            server.tick()
    statuses = [(cb.apimsgid, cb.status) for cb in app.received]
    assert isinstance(final_only, Accepted)
    assert isinstance(everything, Accepted)
    assert isinstance(silent, Accepted)
    assert (final_only.apimsgid, 4) in statuses
    assert (final_only.apimsgid, 3) not in statuses
    assert (everything.apimsgid, 3) in statuses
    assert (everything.apimsgid, 4) in statuses
    assert all(apimsgid != silent.apimsgid for apimsgid, _ in statuses)


def test_failed_callbacks_are_retried_with_backoff() -> None:
    clock = ManualClock()
    with receiver(failures=3) as (url, app):
        server = ReferenceServer(clock=clock, callback_scale=1.0)
        server.add_account("1", "u", "p", 100, callback_url=url)
        with running(server, tick_every=None) as base:
            client = Client(api_id="1", user="u", password="p", base_url=base, clock=clock)
            client.send(NUMBER, "a", callback=3)
            server.deliver_callbacks()  # attempt 1 fails
            assert app.calls == 1
            server.deliver_callbacks()  # not due: the first retry waits 2 minutes
            assert app.calls == 1
            for wait in (2, 4):  # attempts 2 and 3 fail
                clock.advance(minutes=wait)
                server.deliver_callbacks()
            assert app.calls == 3
            clock.advance(minutes=7)
            assert server.deliver_callbacks() == 0  # the third retry waits 8 minutes
            clock.advance(minutes=1)
            assert server.deliver_callbacks() == 1
    assert len(app.received) == 1
    assert app.received[0].status == 3
    assert server.pending_callbacks() == 0


# -- load, restart, fuzz --------------------------------------------------------------------


def test_load_eight_threads_of_250_sends() -> None:
    server = ReferenceServer(callback_scale=0.0)
    server.add_account("1", "u", "p", 10_000)
    server.add_prefix("4477", charge="0.25")
    errors: list[BaseException] = []
    ids: list[str] = []
    lock = threading.Lock()
    with running(server, tick_every=None) as base:

        def work(worker: int) -> None:
            client = Client(api_id="1", user="u", password="p", base_url=base)
            try:
                for n in range(250):
                    line = client.send(f"4477009{worker:02d}{n:04d}", f"load {worker} {n}").results[
                        0
                    ]
                    assert isinstance(line, Accepted)
                    with lock:
                        ids.append(line.apimsgid)
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(ids) == 2000
    assert len(set(ids)) == 2000
    assert all(re.fullmatch("[0-9a-f]{32}", i) for i in ids)
    stored = server.store.query("SELECT apimsgid, charge FROM messages")
    assert {row["apimsgid"] for row in stored} == set(ids)
    spent = sum(Decimal(row["charge"]) for row in stored)
    account = server.store.account("1")
    assert account is not None
    assert account.credits == Decimal(10_000) - spent == Decimal(10_000) - Decimal("500")
    assert server.internal_errors == 0


def test_restart_with_a_file_database_loses_nothing(tmp_path: Path) -> None:
    database = str(tmp_path / "state.sqlite")
    clock = ManualClock()
    with receiver() as (dead_url, _):
        pass  # a port that no longer answers: callbacks stay pending
    first = ReferenceServer(Store(database), clock=clock, callback_scale=0.0)
    first.add_account("1", "u", "p", 100, callback_url=dead_url)
    with running(first, tick_every=None) as base:
        client = Client(api_id="1", user="u", password="p", base_url=base, clock=clock)
        sent = client.send([NUMBER, "447700900456"], "before the restart", callback=3)
        first.deliver_callbacks()
        pending = first.pending_callbacks()
        balance = client.balance().credit
    first.store.close()
    assert pending == 2

    second = ReferenceServer(Store(database), clock=clock, callback_scale=0.0)
    with receiver() as (url, app):
        with second.store.transaction() as db:  # the receiver moved: point the queue at it
            db.execute("UPDATE callbacks SET url = ?", (url,))
        with running(second, tick_every=None) as base:
            client = Client(api_id="1", user="u", password="p", base_url=base, clock=clock)
            for line in sent.results:
                assert isinstance(line, Accepted)
                assert client.query(line.apimsgid).status == 3
            assert client.balance().credit == balance
            assert second.deliver_callbacks() == 2
    assert {cb.apimsgid for cb in app.received} == {line.apimsgid for line in sent.results}  # type: ignore[union-attr]


PATHS = [*sorted({model.path for model in COMMANDS.values()}), "/http/sendmsg.php", "/x/y"]
KEYS = [
    "session_id",
    "api_id",
    "user",
    "password",
    "to",
    "text",
    "apimsgid",
    "climsgid",
    "deliv_time",
    "concat",
    "unicode",
    "batch_id",
    "template",
    "token",
    "msisdn",
    "from",
    "field1",
    "callback",
    "udh",
    "data",
]


def _command(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".php")


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    path=st.sampled_from(PATHS),
    method=st.sampled_from(["GET", "POST"]),
    pairs=st.lists(
        st.tuples(
            st.sampled_from(KEYS),
            st.one_of(
                st.sampled_from(
                    [
                        "3456789",
                        "tester",
                        "secret-password",
                        NUMBER,
                        "0" * 32,
                        "",
                        "5",
                        "00480069",
                        "Hi #field1#",
                    ]
                ),
                st.text(max_size=20),
            ),
        ),
        max_size=8,
    ),
    noise=st.binary(max_size=30),
)
def test_fuzz_every_answer_is_well_formed(
    path: str, method: str, pairs: list[tuple[str, str]], noise: bytes
) -> None:
    server = _FUZZ_SERVER
    query = "&".join(f"{k}={quote_plus(v)}" for k, v in pairs)
    if method == "GET":
        status, body = server.handle("GET", f"{path}?{query}", noise)
    else:
        status, body = server.handle("POST", path, query.encode() + noise)
    if path == "/x/y":
        assert status == 404
        return
    assert status == 200
    try:
        parse_response(_command(path), body)
    except ResponseSyntaxError as error:  # pragma: no cover - the assertion explains
        pytest.fail(f"malformed answer {body!r}: {error}")
    assert server.internal_errors == 0


_FUZZ_SERVER = ReferenceServer(callback_scale=0.0)
_FUZZ_SERVER.add_account("3456789", "tester", "secret-password", 1_000_000)
_FUZZ_CREDENTIALS = {"api_id": "3456789", "user": "tester", "password": "secret-password"}


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data(), command=st.sampled_from(sorted(set(COMMANDS) - {"ping"})))
def test_fuzz_mutated_valid_requests(data: st.DataObject, command: str) -> None:
    """Valid requests of every command (authenticated), then one parameter changed at random."""
    kwargs = data.draw(request_kwargs(command))
    for name in ("session_id", "api_id", "user", "password"):
        kwargs.pop(name, None)
    model = COMMANDS[command].model_validate({**kwargs, **_FUZZ_CREDENTIALS}, context=CONTEXT)
    params = model.to_params()
    if data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(params)))
        params[key] = data.draw(st.one_of(st.text(max_size=30), st.sampled_from(["", "0", "-1"])))
    body = "&".join(f"{k}={quote_plus(v, safe=',')}" for k, v in params.items()).encode()
    status, answer = _FUZZ_SERVER.handle("POST", model.path, body)
    assert status == 200
    try:
        parse_response(command, answer)
    except ResponseSyntaxError as error:  # pragma: no cover - the assertion explains
        pytest.fail(f"malformed answer {answer!r}: {error}")
    assert _FUZZ_SERVER.internal_errors == 0


def test_serve_prints_its_url_first_and_answers(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clickatell_protocol",
            "serve",
            "--port",
            "0",
            "--account",
            "77:bob:pw:5",
            "--db",
            str(tmp_path / "s.db"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert re.fullmatch(r"http://127\.0\.0\.1:[0-9]+", url)
        answer = UrllibTransport().send(
            HttpRequest("GET", f"{url}/http/auth?api_id=77&user=bob&password=pw")
        )
        assert parse_response("auth", answer.body).kind == "auth_ok"
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_demo_runs_start_to_finish() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clickatell_protocol", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for marker in (
        "OK: ",
        "ERR: 105, Invalid destination address To: 0044770",
        "Status: 011",
        "Status: 006",
        "OK: 605",
        "Credit: ",
        "Charge: ",
        "StatusCallback(",
    ):
        assert marker in out, marker
    assert "demo-password" not in out
    assert len(list(itertools.islice(re.finditer(r"^ ?\d+\. ", out, re.M), 30))) == 20


def test_every_command_async(clickatell_server: ClickatellServer) -> None:
    """The same walk as test_every_command, with AsyncClient over AsyncHttpxTransport."""
    server = clickatell_server
    server.server.add_voucher("8765432187654321", credits=5, value="77")

    async def walk() -> None:
        async with AsyncHttpxTransport() as transport:
            client = server.async_client(transport)
            assert (await client.authenticate()).kind == "auth_ok"
            assert (await client.ping()).kind == "ping_ok"
            sent = await client.send([NUMBER, "447700900456"], "Hello", climsgid="async1")
            first = sent.results[0]
            assert isinstance(first, Accepted)
            server.clock.advance(seconds=10)
            assert (await client.query(climsgid="async1")).status == 4
            assert (await client.charge(first.apimsgid)).charge == Decimal(1)
            held = (await client.send(NUMBER, "later", deliv_time=30)).results[0]
            assert isinstance(held, Accepted)
            assert (await client.stop(held.apimsgid)).status == 6
            assert (await client.pay_token("8765432187654321")).value == "77"
            assert (await client.balance()).credit == Decimal(1003)
            assert (await client.coverage(NUMBER)).routable
            batch = await client.start_batch("Hi #field1#")
            assert (await client.send_item(batch.batch_id, NUMBER, {1: "Bo"})).results
            assert (await client.quick_send(batch.batch_id, [NUMBER])).results
            assert (await client.end_batch(batch.batch_id)).kind == "batch_ended"
            assert (await client.si_push(NUMBER, "i", "http://example.test", "t")).results
            mms = await client.ind_push(
                NUMBER,
                from_="Shop",
                mms_subject="S",
                mms_class=81,
                mms_expire=60,
                mms_from="Ann",
                mms_url="http://example.test/a.mms",
            )
            assert mms.results

    asyncio.run(walk())
