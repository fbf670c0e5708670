"""One request, one look-up of its account: the account whose credentials were checked is the
one the command acts for. And the guards of delmsg and token_pay are their conditional UPDATEs:
a queued message is cancelled and refunded once, a voucher redeemed once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from clickatell_protocol import ErrorReply, parse_response
from clickatell_protocol.server import ManualClock, ReferenceServer, Store
from clickatell_protocol.server.store import AccountRow

CREDENTIALS = {"api_id": "1", "user": "alice", "password": "s3cret"}
NUMBER = "447700900123"
TOKEN = "1234567812345678"


def make_server() -> ReferenceServer:
    server = ReferenceServer(Store(), clock=ManualClock(), callback_scale=0.0)
    server.store.put_account("1", "alice", "s3cret", Decimal(1000), replace=False)
    server.store.put_account("2", "bob", "s3cret", Decimal(1000), replace=False)
    return server


def call(server: ReferenceServer, path: str, **params: Any) -> Any:
    status, body = server.handle("GET", f"{path}?{urlencode(params)}", b"", "127.0.0.1")
    assert status == 200, body
    return parse_response(path.rsplit("/", 1)[-1].removesuffix(".php"), body)


def balance(server: ReferenceServer, api_id: str = "1") -> Decimal:
    account = server.store.account(api_id)
    assert account is not None
    return account.credits


LOOKUPS = [
    # (path, parameters besides the credentials or session, the answer's kind)
    ("/http/sendmsg", {"to": NUMBER, "text": "hi"}, "send_result"),
    ("/utils/routeCoverage.php", {"msisdn": NUMBER}, "coverage"),
    ("/http_batch/startbatch", {"template": "Hi #field1#"}, "batch_started"),
]


@pytest.mark.parametrize(("path", "params", "kind"), LOOKUPS, ids=[row[0] for row in LOOKUPS])
@pytest.mark.parametrize("by", ["credentials", "session"])
def test_a_request_looks_its_account_up_once(
    monkeypatch: pytest.MonkeyPatch, by: str, path: str, params: dict[str, str], kind: str
) -> None:
    server = make_server()
    auth: dict[str, str] = dict(CREDENTIALS)
    if by == "session":
        session = call(server, "/http/auth", **CREDENTIALS).session_id.get_secret_value()
        auth = {"session_id": session}
    looked_up: list[str] = []
    original = server.store.account

    def account(api_id: str) -> AccountRow | None:
        looked_up.append(api_id)
        return original(api_id)

    monkeypatch.setattr(server.store, "account", account)
    reply = call(server, path, **auth, **params)
    assert reply.kind == kind, reply
    assert looked_up == ["1"]


@pytest.mark.parametrize(
    ("credentials", "code"),
    [
        ({**CREDENTIALS, "password": "wrong"}, 1),
        ({**CREDENTIALS, "user": "bob"}, 1),
        ({**CREDENTIALS, "api_id": "9"}, 1),
        ({"session_id": "f" * 32}, 3),
    ],
    ids=["password", "user", "api_id", "session"],
)
def test_a_mismatch_is_still_refused(credentials: dict[str, str], code: int) -> None:
    reply = call(make_server(), "/utils/routeCoverage.php", **credentials, msisdn=NUMBER)
    assert isinstance(reply, ErrorReply) and reply.code == code


DELMSG = [
    # (the message: queued for later or sent now, how many delmsg, last status, balance after)
    ("queued", 1, 6, Decimal(1000)),
    ("queued", 3, 6, Decimal(1000)),
    ("sent", 1, 3, Decimal(999)),
    ("sent", 2, 3, Decimal(999)),
]


@pytest.mark.parametrize(("message", "times", "status", "after"), DELMSG)
def test_delmsg_cancels_and_refunds_a_queued_message_once(
    message: str, times: int, status: int, after: Decimal
) -> None:
    server = make_server()
    later = {"deliv_time": 60} if message == "queued" else {}
    sent = call(server, "/http/sendmsg", **CREDENTIALS, to=NUMBER, text="hi", **later)
    apimsgid = sent.results[0].apimsgid
    for _ in range(times):
        reply = call(server, "/http/delmsg", **CREDENTIALS, apimsgid=apimsgid)
    assert reply.status == status
    assert balance(server) == after
    charge = call(server, "/http/getmsgcharge", **CREDENTIALS, apimsgid=apimsgid)
    assert (charge.status, charge.charge) == (status, Decimal(0 if status == 6 else 1))


TOKEN_PAY = [
    # (who redeems, in order, and each answer: the voucher's value or the ERR code)
    (["1"], ["605"]),
    (["1", "1"], ["605", 101]),
    (["1", "2"], ["605", 101]),
    (["2", "1"], ["605", 101]),
]


@pytest.mark.parametrize(("payers", "answers"), TOKEN_PAY)
def test_a_voucher_is_redeemed_once(payers: list[str], answers: list[str | int]) -> None:
    server = make_server()
    server.add_voucher(TOKEN, credits=50, value="605")
    users = {"1": "alice", "2": "bob"}
    for payer, expected in zip(payers, answers, strict=True):
        reply = call(
            server,
            "/http/token_pay",
            api_id=payer,
            user=users[payer],
            password="s3cret",
            token=TOKEN,
        )
        if isinstance(expected, int):
            assert isinstance(reply, ErrorReply) and reply.code == expected
        else:
            assert reply.value == expected
    assert balance(server, payers[0]) == 1050
    assert sum(balance(server, api_id) for api_id in users) == 2050


def test_an_unknown_voucher_is_refused() -> None:
    server = make_server()
    reply = call(server, "/http/token_pay", **CREDENTIALS, token=TOKEN)
    assert isinstance(reply, ErrorReply) and reply.code == 101
    assert balance(server) == 1000
