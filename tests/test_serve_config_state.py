"""``serve`` and its durable state across starts: a configuration never re-arms a voucher, a
refused configuration writes nothing, the key file beside ``--db`` is created safely and a
key file that cannot be used is one clear line; ``--account`` passwords may hold colons and
are never echoed."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from clickatell_protocol import parse_response
from clickatell_protocol.cli import _account, build_server, main
from clickatell_protocol.server import ReferenceServer, Store, store

TOKEN = "4000123412341234"
CREDENTIALS = {"api_id": "1", "user": "alice", "password": "s3cret"}
CONFIG = (
    '[[accounts]]\napi_id = 1\nuser = "alice"\npassword = "s3cret"\ncredits = 1000\n'
    f'[[vouchers]]\ntoken = "{TOKEN}"\ncredits = 50\n'
)


def _call(server: ReferenceServer, command: str, **params: str) -> Any:
    target = f"/http/{command}?{urlencode({**CREDENTIALS, **params})}"
    status, body = server.handle("GET", target, b"", "127.0.0.1")
    assert status == 200, body
    return parse_response(command, body)


def _pay(server: ReferenceServer) -> str:
    """``token_pay`` of the voucher: its value, or ``ERR: <code>``."""
    reply = _call(server, "token_pay", token=TOKEN)
    code = getattr(reply, "code", None)
    return f"ERR: {int(code):03d}" if code is not None else str(reply.value)


def _balance(server: ReferenceServer) -> Decimal:
    return Decimal(_call(server, "getbalance").credit)


# -- a voucher in the store is never reset by the configuration ---------------------------------


@pytest.mark.parametrize(
    ("pay_on_first_start", "second_pay", "final_balance"),
    [
        (True, "ERR: 101", Decimal(1050)),  # redeemed before the restart: stays redeemed
        (False, "50", Decimal(1050)),  # not yet redeemed: still redeemable once
    ],
)
def test_restarting_with_a_config_never_re_arms_a_voucher(
    tmp_path: Path, pay_on_first_start: bool, second_pay: str, final_balance: Decimal
) -> None:
    config = tmp_path / "ok.toml"
    config.write_text(CONFIG)
    db = str(tmp_path / "s.db")
    first = build_server(db, str(config), [])
    if pay_on_first_start:
        assert _pay(first) == "50"
    first.store.close()
    second = build_server(db, str(config), [])
    try:
        assert _pay(second) == second_pay
        assert _balance(second) == final_balance
        assert _pay(second) == "ERR: 101"
        assert _balance(second) == final_balance
    finally:
        second.store.close()


@pytest.mark.parametrize(
    ("replace", "redeemed", "value", "credits", "redeemed_by"),
    [
        # replace=True (ReferenceServer.add_voucher): an unredeemed voucher takes the new
        # value and credits; a redeemed one is left exactly as it is.
        (True, False, "new", "9", None),
        (True, True, "old", "5", "1"),
        # replace=False (the configuration): an existing voucher is never touched.
        (False, False, "old", "5", None),
        (False, True, "old", "5", "1"),
    ],
)
def test_put_voucher_never_un_redeems(
    replace: bool, redeemed: bool, value: str, credits: str, redeemed_by: str | None
) -> None:
    state = Store()
    state.put_voucher(TOKEN, "old", Decimal(5))
    if redeemed:
        with state.transaction() as db:
            db.execute("UPDATE vouchers SET redeemed_by = '1' WHERE token = ?", (TOKEN,))
    state.put_voucher(TOKEN, "new", Decimal(9), replace=replace)
    rows = state.query("SELECT value, credits, redeemed_by FROM vouchers")
    assert [tuple(row) for row in rows] == [(value, credits, redeemed_by)]


def test_add_voucher_again_does_not_re_arm_a_redeemed_voucher() -> None:
    server = ReferenceServer()
    server.add_account("1", "alice", "s3cret", 1000)
    server.add_voucher(TOKEN, credits=50)
    assert _pay(server) == "50"
    server.add_voucher(TOKEN, credits=50)
    assert _pay(server) == "ERR: 101"
    assert _balance(server) == 1050


# -- --account: API_ID:USER:PASSWORD[:CREDITS], the password never shown -------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1:u:pw", ("1", "u", "pw", "100")),
        ("1:u:pw:7", ("1", "u", "pw", "7")),
        ("1:u:pa:ssword", ("1", "u", "pa:ssword", "100")),
        ("1:u:pa:ssword:7", ("1", "u", "pa:ssword", "7")),
        ("1:u:a:b:c", ("1", "u", "a:b:c", "100")),
        ("1:u:a:b:c:2.5", ("1", "u", "a:b:c", "2.5")),
        ("1:u::x", ("1", "u", ":x", "100")),
        ("1:u:x:", ("1", "u", "x:", "100")),
        ("1:u:secret:100:0", ("1", "u", "secret:100", "0")),
        ("1:u:pw:nan", ("1", "u", "pw:nan", "100")),
        ("1:u:pw:inf", ("1", "u", "pw:inf", "100")),
        ("1:u:pw:abc", ("1", "u", "pw:abc", "100")),
        ("1:u:a:b:-0.5x", ("1", "u", "a:b:-0.5x", "100")),
    ],
)
def test_account_passwords_may_hold_colons(text: str, expected: tuple[str, str, str, str]) -> None:
    assert _account(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1:u:Zq9:Wx8", "--account x1:u:***: the API ID must be digits"),
        ("1::Zq9:Wx8", "--account 1::***: the user must not be empty"),
        ("1:u:Zq9:Wx8:-5", "--account 1:u:***:-5: credits '-5' must be zero or more"),
        ("1:u:Zq9:Wx8:Vy7:1e99", "--account 1:u:***:1e99: credits '1e99' is more than"),
        ("x1:u:Zq9:Wx8:Vy7", "--account x1:u:***: the API ID must be digits"),
        ("1:u::5", "--account 1:u:***:5: the password must not be empty"),
        ("1:u:Zq9:Wx8:nan:-1", "--account 1:u:***:-1: credits '-1' must be zero or more"),
        ("1:u:Zq9:Wx8:nan:1e99", "--account 1:u:***:1e99: credits '1e99' is more than"),
        ("1:Zq9", "--account: expected API_ID:USER:PASSWORD[:CREDITS], got 2 fields"),
    ],
)
def test_account_errors_never_show_the_password(
    text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["serve", "--account", text])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("serve: ") and message in err, err
    for piece in ("Zq9", "Wx8", "Vy7"):
        assert piece not in err


# -- the key file beside --db -----------------------------------------------------------------


def _directory(key: Path) -> None:
    key.mkdir()


def _short(key: Path) -> None:
    key.write_bytes(b"short")


@pytest.mark.parametrize(
    ("make_key", "reason"),
    [(_directory, "Is a directory"), (_short, "not a server key")],
)
def test_a_key_file_that_cannot_be_used_is_one_clear_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make_key: Callable[[Path], None],
    reason: str,
) -> None:
    db = tmp_path / "x.db"
    make_key(tmp_path / "x.db.key")
    status = main(["serve", "--db", str(db)])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"serve: --db {db}: cannot use the key file {db}.key: "), err
    assert reason in err


def test_two_stores_opening_a_new_database_at_once_share_one_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first opener is held while making its key, until the second has opened: the second
    never reads a half-written key, and both end with the same one."""
    path = str(tmp_path / "fresh.db")
    second_done = threading.Event()
    first_call = threading.Lock()
    real = store.secrets.token_bytes

    def held(n: int | None = None) -> bytes:
        if first_call.acquire(blocking=False):  # the first caller waits for the second
            second_done.wait(timeout=30)
        return real(n)

    monkeypatch.setattr(store.secrets, "token_bytes", held)
    keys: dict[str, bytes] = {}
    errors: list[BaseException] = []

    def open_store(name: str) -> None:
        try:
            opened = Store(path)
            keys[name] = opened.session_digest("00").encode()
            opened.close()
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            if name == "second":
                second_done.set()

    first = threading.Thread(target=open_store, args=("first",))
    first.start()
    while not first_call.locked() and first.is_alive():
        threading.Event().wait(0.001)
    second = threading.Thread(target=open_store, args=("second",))
    second.start()
    second.join()
    first.join()
    assert errors == []
    assert keys["first"] == keys["second"]
    assert len((tmp_path / "fresh.db.key").read_bytes()) == 32
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("fresh.db.key")] == [
        "fresh.db.key"
    ]  # no temporary file left behind


def test_many_stores_opening_a_new_database_at_once_share_one_key(tmp_path: Path) -> None:
    path = str(tmp_path / "fresh.db")
    start = threading.Barrier(8)
    digests: list[str] = []
    errors: list[BaseException] = []

    def open_store() -> None:
        start.wait()
        try:
            opened = Store(path)
            digests.append(opened.session_digest("00"))
            opened.close()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=open_store) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(digests)) == 1 and len(digests) == 8


# -- a refused configuration writes nothing ------------------------------------------------------

_ACCOUNT = '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\n'
_VOUCHER = '[[vouchers]]\ntoken = "1111222233334444"\ncredits = 5\n'
_PREFIX = '[[prefixes]]\nprefix = "4477"\ncharge = 1\n'


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            _ACCOUNT + _VOUCHER + '[[vouchers]]\ntoken = "9"\ncredits = -5\n',
            "vouchers[2].credits: -5 must be zero or more",
        ),
        (
            _ACCOUNT + _PREFIX + '[[prefixes]]\nprefix = "x"\n',
            "prefixes[2].prefix: 'x' must be digits",
        ),
        (
            _ACCOUNT + _VOUCHER + _PREFIX + "[[accounts]]\napi_id = 2\n"
            'user = "v"\npassword = "q"\ncallback_style = "carrier-pigeon"\n',
            "accounts[2]: callback_style must be one of",
        ),
        (
            _ACCOUNT + '[[accounts]]\napi_id = 2\nuser = "v"\n',
            "accounts[2]: a setting is missing: 'password'",
        ),
    ],
)
def test_a_refused_configuration_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(config)
    db = tmp_path / "s.db"
    status = main(["serve", "--db", str(db), "--config", str(path)])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"serve: {path}: ") and message in err, err
    if db.exists():
        with sqlite3.connect(db) as connection:
            for table in ("accounts", "vouchers", "prefixes"):
                rows = connection.execute(f"SELECT * FROM {table}").fetchall()
                assert rows == [], table
