"""The reference server's state and accounting: one transaction per request, answers that agree
with the state they leave, refunds that happen once, the spec's charging rules (max_credits,
a batch's concat), credentials compared exactly and answered with one code, session ids never
stored in clear."""

from __future__ import annotations

import os
import stat
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import patch
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clickatell_protocol import ErrorReply, parse_response
from clickatell_protocol.server import ManualClock, ReferenceServer, Store, app, store

NUMBER = "447700900123"
CREDENTIALS = {"api_id": "1", "user": "alice", "password": "s3cret"}


def make_server(credits: int = 1000, database: str = ":memory:") -> ReferenceServer:
    server = ReferenceServer(Store(database), clock=ManualClock(), callback_scale=0.0)
    server.store.put_account("1", "alice", "s3cret", Decimal(credits), replace=False)
    return server


def call(server: ReferenceServer, path: str, query: str = "", **params: Any) -> str:
    """One GET through the server's own entry point; the body as sent."""
    encoded = urlencode({k: str(v) for k, v in params.items()}, safe=",")
    target = f"{path}?{'&'.join(part for part in (encoded, query) if part)}"
    status, body = server.handle("GET", target, b"", "127.0.0.1")
    assert status == 200, body
    return body


def parsed(server: ReferenceServer, path: str, query: str = "", **params: Any) -> Any:
    command = path.rsplit("/", 1)[-1].removesuffix(".php")
    return parse_response(command, call(server, path, query, **params))


def balance(server: ReferenceServer) -> Decimal:
    account = server.store.account("1")
    assert account is not None
    return account.credits


def message_count(server: ReferenceServer) -> int:
    return int(server.store.query("SELECT count(*) FROM messages")[0][0])


def deferred(server: ReferenceServer) -> str:
    reply = parsed(server, "/http/sendmsg", **CREDENTIALS, to=NUMBER, text="later", deliv_time=60)
    return str(reply.results[0].apimsgid)


# -- issue 11 #1: delmsg of a deferred message refunds it once --------------------------------


def test_concurrent_delmsg_of_a_deferred_message_refunds_it_once() -> None:
    server = make_server()
    threads, rounds = 16, 25
    over: list[Decimal] = []
    for _ in range(rounds):
        before = balance(server)
        apimsgid = deferred(server)
        charged = before - balance(server)
        assert charged == 1
        start = threading.Barrier(threads)
        answers: list[str] = []

        def delete(
            apimsgid: str = apimsgid,
            start: threading.Barrier = start,
            answers: list[str] = answers,
        ) -> None:
            start.wait()
            answers.append(call(server, "/http/delmsg", **CREDENTIALS, apimsgid=apimsgid))

        workers = [threading.Thread(target=delete) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
        assert len(answers) == threads
        assert all(answer.rstrip("\n").endswith("Status: 006") for answer in answers), answers
        if balance(server) != before:
            over.append(balance(server) - before)
    assert over == [], f"{len(over)} of {rounds} rounds ended off the starting balance: {over}"
    assert server.internal_errors == 0


def test_delmsg_refunds_only_a_message_still_deferred() -> None:
    server = make_server()
    apimsgid = deferred(server)
    assert balance(server) == 999
    assert parsed(server, "/http/delmsg", **CREDENTIALS, apimsgid=apimsgid).status == 6
    assert parsed(server, "/http/delmsg", **CREDENTIALS, apimsgid=apimsgid).status == 6
    assert balance(server) == 1000
    row = server.store.query("SELECT status, charge FROM messages")[0]
    assert (row["status"], Decimal(row["charge"])) == (6, 0)


# -- issue 11 #2: an answer never disagrees with the state it leaves --------------------------


def test_a_number_written_back_is_ascii_digits_only() -> None:
    server = make_server()
    body = call(server, "/http/sendmsg", "to=447700900123,%B2&text=hi", **_auth_only())
    lines = body.rstrip("\n").split("\n")
    assert lines[0].startswith("ID: ") and lines[0].endswith(f"To: {NUMBER}")
    assert lines[1].startswith("ERR: 105, ") and lines[1].endswith("To: ")  # the position tells
    assert balance(server) == 999
    assert message_count(server) == 1
    assert server.internal_errors == 0


def _auth_only() -> dict[str, str]:
    return dict(CREDENTIALS)


@pytest.mark.parametrize(
    ("query", "params"),
    [
        ("", {"to": NUMBER, "text": "hi"}),
        ("", {"to": f"{NUMBER},447700900456", "text": "hi"}),
        ("to=447700900123,%B2&text=hi", {}),
        ("", {"to": NUMBER, "text": "hi", "deliv_time": 60}),
    ],
    ids=["one", "several", "one-invalid", "deferred"],
)
def test_a_failure_after_charging_rolls_the_whole_request_back(
    monkeypatch: pytest.MonkeyPatch, query: str, params: dict[str, Any]
) -> None:
    server = make_server()

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("the renderer broke after the charge")

    monkeypatch.setattr(app, "render_response", broken)
    body = call(server, "/http/sendmsg", query, **CREDENTIALS, **params)
    assert body == "ERR: 901, Internal error"
    assert balance(server) == 1000
    assert message_count(server) == 0
    assert server.internal_errors == 1


def test_a_failed_refund_answer_keeps_the_message_deferred(monkeypatch: pytest.MonkeyPatch) -> None:
    server = make_server()
    apimsgid = deferred(server)

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("the renderer broke after the refund")

    monkeypatch.setattr(app, "render_response", broken)
    assert call(server, "/http/delmsg", **CREDENTIALS, apimsgid=apimsgid).startswith("ERR: 901")
    monkeypatch.undo()
    assert balance(server) == 999
    assert parsed(server, "/http/querymsg", **CREDENTIALS, apimsgid=apimsgid).status == 11


def test_a_failed_voucher_answer_leaves_the_voucher_unredeemed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = make_server()
    server.add_voucher("1234567812345678", credits=50, value="605")
    original = app.render_response

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("the renderer broke after the redemption")

    monkeypatch.setattr(app, "render_response", broken)
    assert call(server, "/http/token_pay", **CREDENTIALS, token="1234567812345678").startswith(
        "ERR: 901"
    )
    monkeypatch.setattr(app, "render_response", original)
    assert balance(server) == 1000
    assert parsed(server, "/http/token_pay", **CREDENTIALS, token="1234567812345678").value == "605"
    assert balance(server) == 1050


def test_a_refused_command_leaves_no_state_behind() -> None:
    server = make_server()
    reply = parsed(server, "/http_batch/senditem", **CREDENTIALS, batch_id="a" * 32, to=NUMBER)
    assert isinstance(reply, ErrorReply) and reply.code == 201
    assert balance(server) == 1000 and message_count(server) == 0


# -- issue 11 #10: max_credits, a batch's concat, passwords compared exactly ------------------

MAX_CREDITS = [
    # (charge per part, text length, max_credits, final status, charge): the cap is on what the
    # whole message costs (parts x charge per part)
    ("1", 10, "1", 3, "1"),
    ("1", 10, "0.5", 9, "0"),
    ("0.8", 10, "1", 3, "0.8"),
    ("2.5", 10, "2", 9, "0"),
    ("1", 300, "2", 3, "2"),  # two parts at 1: exactly the cap
    ("1", 320, "2", 9, "0"),  # three parts at 1: above the cap
    ("1", 320, "3", 3, "3"),
]


@pytest.mark.parametrize(("per_part", "length", "cap", "status", "charge"), MAX_CREDITS)
def test_max_credits_caps_what_a_message_may_cost(
    per_part: str, length: int, cap: str, status: int, charge: str
) -> None:
    server = make_server()
    server.add_prefix("44", charge=per_part)
    reply = parsed(
        server,
        "/http/sendmsg",
        **CREDENTIALS,
        to=NUMBER,
        text="x" * length,
        concat=3,
        max_credits=cap,
    )
    apimsgid = reply.results[0].apimsgid  # a routing error still gets an ID [S238 5.2.8]
    assert parsed(server, "/http/querymsg", **CREDENTIALS, apimsgid=apimsgid).status == status
    assert balance(server) == 1000 - Decimal(charge)
    got = parsed(server, "/http/getmsgcharge", **CREDENTIALS, apimsgid=apimsgid)
    assert (got.charge, got.status) == (Decimal(charge), status)
    assert got.charge <= Decimal(cap)


def test_a_capped_message_never_moves_on() -> None:
    server = make_server()
    server.add_prefix("44", charge=5)
    reply = parsed(server, "/http/sendmsg", **CREDENTIALS, to=NUMBER, text="x", max_credits=1)
    apimsgid = reply.results[0].apimsgid
    assert isinstance(server.clock, ManualClock)
    server.clock.advance(minutes=5)
    server.advance()
    assert parsed(server, "/http/querymsg", **CREDENTIALS, apimsgid=apimsgid).status == 9


def test_a_batch_max_credits_applies_to_its_items() -> None:
    server = make_server()
    server.add_prefix("44", charge=3)
    batch = parsed(
        server, "/http_batch/startbatch", **CREDENTIALS, template="Hi #field1#", max_credits=2
    )
    item = parsed(
        server,
        "/http_batch/senditem",
        **CREDENTIALS,
        batch_id=batch.batch_id,
        to=NUMBER,
        field1="A",
    )
    apimsgid = item.results[0].apimsgid
    assert parsed(server, "/http/querymsg", **CREDENTIALS, apimsgid=apimsgid).status == 9
    assert balance(server) == 1000


BATCH_CONCAT = [
    # (concat given to startbatch, length of the personalised text, code or parts)
    (None, 160, 1),
    (None, 161, 113),
    (1, 200, 113),
    (2, 200, 2),
    (2, 400, 113),
    (3, 400, 3),
]


@pytest.mark.parametrize(("concat", "length", "expected"), BATCH_CONCAT)
def test_senditem_enforces_the_batch_concat(concat: int | None, length: int, expected: int) -> None:
    server = make_server()
    options = {} if concat is None else {"concat": concat}
    batch = parsed(server, "/http_batch/startbatch", **CREDENTIALS, template="#field1#", **options)
    reply = parsed(
        server,
        "/http_batch/senditem",
        **CREDENTIALS,
        batch_id=batch.batch_id,
        to=NUMBER,
        field1="y" * length,
    )
    if expected == 113:
        assert isinstance(reply, ErrorReply) and reply.code == 113
        assert balance(server) == 1000 and message_count(server) == 0
    else:
        assert server.store.query("SELECT parts FROM messages")[0]["parts"] == expected
        assert balance(server) == 1000 - expected


@pytest.mark.parametrize(("concat", "length", "expected"), BATCH_CONCAT)
def test_quicksend_enforces_the_batch_concat(
    concat: int | None, length: int, expected: int
) -> None:
    server = make_server()
    options = {} if concat is None else {"concat": concat}
    batch = parsed(
        server, "/http_batch/startbatch", **CREDENTIALS, template="z" * length, **options
    )
    body = call(
        server,
        "/http_batch/quicksend",
        **CREDENTIALS,
        batch_id=batch.batch_id,
        to=f"{NUMBER},447700900456",
    )
    if expected == 113:
        assert body.startswith("ERR: 113, ")
        assert balance(server) == 1000 and message_count(server) == 0
    else:
        assert balance(server) == 1000 - 2 * expected


@pytest.mark.parametrize(
    "password",
    [
        "s3cret%00",
        "s3cret%00%00",
        "s3cre%00",
        "S3cret",
        "s3cret%20",
        "%00s3cret",
        "s3cret" + "x" * 70,
    ],
)
def test_a_password_is_compared_exactly(password: str) -> None:
    server = make_server()
    body = call(server, "/http/auth", f"password={password}", api_id="1", user="alice")
    assert body.startswith("ERR: 001, "), body


def test_a_legacy_password_hash_still_logs_in_but_never_with_nul() -> None:
    import hashlib

    server = make_server()
    salt = b"0123456789abcdef"
    legacy = hashlib.pbkdf2_hmac("sha256", b"s3cret", salt, 60_000)
    with server.store.transaction() as db:
        db.execute("UPDATE accounts SET password_salt = ?, password_hash = ?", (salt, legacy))
    assert call(server, "/http/auth", **CREDENTIALS).startswith("OK: ")
    assert call(server, "/http/auth", "password=s3cret%00", api_id="1", user="alice").startswith(
        "ERR: 001, "
    )


# -- issue 11 #14: one code for every credential mismatch -----------------------------------

MISMATCHES = [
    ("wrong password", {"password": "nope"}),
    ("unknown user", {"user": "mallory"}),
    ("both wrong", {"user": "mallory", "password": "nope"}),
    ("user differs in case", {"user": "Alice"}),
    ("unknown api_id", {"api_id": "999"}),
    ("unknown api_id, right user and password", {"api_id": "2"}),
]


COMMANDS = [
    ("/http/auth", {}),
    ("/http/getbalance", {}),
    ("/http/sendmsg", {"to": NUMBER, "text": "x"}),
]


@pytest.mark.parametrize(("name", "change"), MISMATCHES, ids=[m[0] for m in MISMATCHES])
@pytest.mark.parametrize(("path", "params"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_credential_mismatch_gets_the_same_answer(
    name: str, change: dict[str, str], path: str, params: dict[str, str]
) -> None:
    server = make_server()
    server.store.put_account("3", "bob", "other", Decimal(5))
    body = call(server, path, **{**CREDENTIALS, **change}, **params)
    assert body.rstrip("\n") == "ERR: 001, Authentication failed"
    assert balance(server) == 1000 and message_count(server) == 0


def test_a_missing_or_malformed_api_id_is_still_108() -> None:
    server = make_server()
    assert call(server, "/http/auth", user="alice", password="s3cret").startswith("ERR: 108, ")
    assert call(server, "/http/auth", api_id="x1", user="alice", password="s3cret").startswith(
        "ERR: 108, "
    )


# -- issue 11 #6: session ids are stored as keyed hashes ------------------------------------


def _database_bytes(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(directory.iterdir()) if path.is_file())


def test_session_ids_are_not_stored_in_clear_and_survive_a_restart(tmp_path: Path) -> None:
    database = str(tmp_path / "state.sqlite")
    first = make_server(database=database)
    session = str(parsed(first, "/http/auth", **CREDENTIALS).session_id.get_secret_value())
    assert call(first, "/http/ping", session_id=session).rstrip("\n") == "OK:"
    stored = first.store.query("SELECT * FROM sessions")
    assert len(stored) == 1
    assert session not in " ".join(str(value) for value in tuple(stored[0]))
    on_disk = _database_bytes(tmp_path)
    for form in (session, session.upper()):
        assert form.encode() not in on_disk
        assert bytes.fromhex(form) not in on_disk
    first.store.close()
    on_disk = _database_bytes(tmp_path)
    assert session.encode() not in on_disk and bytes.fromhex(session) not in on_disk

    key_files = [path for path in tmp_path.iterdir() if path.name.endswith(".key")]
    assert len(key_files) == 1
    assert stat.S_IMODE(key_files[0].stat().st_mode) == 0o600

    second = ReferenceServer(Store(database), clock=first.clock, callback_scale=0.0)
    assert call(second, "/http/ping", session_id=session).rstrip("\n") == "OK:"
    assert parsed(second, "/http/getbalance", session_id=session).credit == 1000
    second.store.close()


def test_a_copied_database_without_its_key_yields_no_session(tmp_path: Path) -> None:
    database = tmp_path / "state.sqlite"
    first = make_server(database=str(database))
    session = str(parsed(first, "/http/auth", **CREDENTIALS).session_id.get_secret_value())
    first.store.close()
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "state.sqlite").write_bytes(database.read_bytes())
    stolen = ReferenceServer(Store(str(copy / "state.sqlite")), clock=first.clock)
    assert call(stolen, "/http/ping", session_id=session).startswith("ERR: 003, ")
    stolen.store.close()


def test_sessions_in_memory_are_hashed_too() -> None:
    server = make_server()
    session = str(parsed(server, "/http/auth", **CREDENTIALS).session_id.get_secret_value())
    values = [str(v) for row in server.store.query("SELECT * FROM sessions") for v in tuple(row)]
    assert all(session not in value for value in values)
    assert call(server, "/http/ping", session_id=session.upper()).rstrip("\n") == "OK:"


def test_an_old_database_with_clear_session_ids_is_cleaned(tmp_path: Path) -> None:
    import sqlite3

    database = tmp_path / "old.sqlite"
    old = sqlite3.connect(database)
    old.execute("CREATE TABLE sessions (session_id TEXT PRIMARY KEY, api_id TEXT, last_used REAL)")
    old.execute("INSERT INTO sessions VALUES (?, '1', 0)", ("ab" * 16,))
    old.commit()
    old.close()
    Store(str(database)).close()
    assert b"ab" * 16 not in database.read_bytes()


# -- issue 10: bodies are exactly their line -------------------------------------------------


def test_the_server_own_bodies_have_no_final_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    server = make_server()
    assert server.handle("GET", "/http/nothing?", b"") == (404, "Not found")

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("broken")

    monkeypatch.setattr(app, "render_response", broken)
    assert server.handle("GET", "/http/ping?session_id=" + "a" * 32, b"") == (
        200,
        "ERR: 901, Internal error",
    )


def test_an_oversized_body_gets_a_one_line_413() -> None:
    server = make_server()
    statuses: list[str] = []
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/http/ping", "CONTENT_LENGTH": str(10**8)}
    body = b"".join(server(environ, lambda status, headers: statuses.append(status)))
    assert statuses[0].startswith("413")
    assert body == b"Request body too large"


def test_route_coverage_refusal_is_the_spec_sentence() -> None:
    server = make_server()
    server.add_prefix("4477009009", routable=False)
    body = call(server, "/utils/routeCoverage.php", **CREDENTIALS, msisdn="447700900901")
    assert body.rstrip("\n") == (
        "ERR: This prefix is not currently supported. Messages sent to this prefix will fail. "
        "Please contact support for assistance."
    )


def test_key_file_is_created_private(tmp_path: Path) -> None:
    old_umask = os.umask(0)
    try:
        Store(str(tmp_path / "db.sqlite")).close()
    finally:
        os.umask(old_umask)
    (key,) = [p for p in tmp_path.iterdir() if p.name.endswith(".key")]
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_two_servers_on_one_file_refund_a_deferred_message_once(tmp_path: Path) -> None:
    # Two processes on one database share no lock but SQLite's: the refund is decided by the
    # UPDATE of the request's own BEGIN IMMEDIATE transaction.
    database = str(tmp_path / "shared.sqlite")
    servers = [make_server(database=database), make_server(database=database)]
    for _ in range(10):
        before = balance(servers[0])
        apimsgid = deferred(servers[0])
        start = threading.Barrier(8)

        def delete(index: int, apimsgid: str = apimsgid, start: threading.Barrier = start) -> None:
            start.wait()
            call(servers[index % 2], "/http/delmsg", **CREDENTIALS, apimsgid=apimsgid)

        workers = [threading.Thread(target=delete, args=(i,)) for i in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)
        assert balance(servers[1]) == before
    assert [server.internal_errors for server in servers] == [0, 0]
    for server in servers:
        server.store.close()


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.sampled_from([NUMBER, "447800900123"]), st.integers(1, 3)),
        st.tuples(st.just("defer"), st.sampled_from([NUMBER, "447800900123"]), st.just(1)),
        st.tuples(st.just("delete"), st.integers(0, 5), st.just(0)),
        st.tuples(st.just("voucher"), st.integers(0, 2), st.just(0)),
        st.tuples(st.just("cap"), st.sampled_from(["0.5", "1", "2"]), st.integers(1, 3)),
    ),
    max_size=25,
)


@given(OPERATIONS)
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_balance_is_start_minus_charges_plus_refunds_plus_vouchers(
    operations: list[tuple[str, Any, int]],
) -> None:
    # The property is about credits, not passwords: a one-iteration hash keeps it quick.
    with patch.object(store, "_ITERATIONS", 1):
        _check_balance_property(operations)


def _check_balance_property(operations: list[tuple[str, Any, int]]) -> None:
    server = make_server(credits=20)
    server.add_prefix("4478", charge="0.5")
    tokens = [f"{n:016d}" for n in range(3)]
    for token in tokens:
        server.add_voucher(token, credits=7)
    expected = Decimal(20)
    held: list[tuple[str, Decimal]] = []
    cancelled: set[str] = set()
    redeemed: set[int] = set()
    prices = {NUMBER: Decimal(1), "447800900123": Decimal("0.5")}
    for kind, value, size in operations:
        if kind in ("send", "defer", "cap"):
            number = NUMBER if kind == "cap" else value
            params: dict[str, Any] = {"to": number, "text": "x" * {1: 160, 2: 306, 3: 459}[size]}
            params["concat"] = 3
            if kind == "defer":
                params["deliv_time"] = 60
            if kind == "cap":
                params["max_credits"] = value
            reply = parsed(server, "/http/sendmsg", **CREDENTIALS, **params)
            charge = prices[number] * size
            if kind == "cap" and charge > Decimal(value):
                charge = Decimal(0)
            if charge > expected:
                assert isinstance(reply, ErrorReply) and reply.code == 301
                continue
            expected -= charge
            if kind == "defer":
                held.append((reply.results[0].apimsgid, charge))
        elif kind == "delete" and held:
            apimsgid, charge = held[value % len(held)]  # deleting twice refunds once
            assert (
                call(server, "/http/delmsg", **CREDENTIALS, apimsgid=apimsgid)
                .rstrip("\n")
                .endswith(" 006")
            )
            if apimsgid not in cancelled:
                cancelled.add(apimsgid)
                expected += charge
        elif kind == "voucher":
            answer = call(server, "/http/token_pay", **CREDENTIALS, token=tokens[value])
            if value not in redeemed:
                assert answer.startswith("OK: ")
                redeemed.add(value)
                expected += 7
            else:
                assert answer.startswith("ERR: 101, ")
        assert balance(server) == expected >= 0
    assert server.internal_errors == 0
