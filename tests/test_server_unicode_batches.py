"""A ``unicode=1`` batch counts and stores its items as ``sendmsg`` does with ``unicode=1``: the
template is UTF-16BE hex, its parts are UTF-16 code units (70 in one part, 67 in each part of a
longer one), and the message stored is the decoded text, not the hex."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest

from clickatell_protocol import ErrorReply, parse_response
from clickatell_protocol.server import ManualClock, ReferenceServer, Store

CREDENTIALS = {"api_id": "1", "user": "alice", "password": "s3cret"}
NUMBER = "447700900123"
CREDITS = 1000


def make_server() -> ReferenceServer:
    server = ReferenceServer(Store(), clock=ManualClock(), callback_scale=0.0)
    server.store.put_account("1", "alice", "s3cret", Decimal(CREDITS), replace=False)
    return server


def call(server: ReferenceServer, path: str, **params: Any) -> Any:
    status, body = server.handle("GET", f"{path}?{urlencode(params)}", b"", "127.0.0.1")
    assert status == 200, body
    return parse_response(path.rsplit("/", 1)[-1], body)


def stored(server: ReferenceServer) -> list[tuple[str, int]]:
    rows = server.store.query("SELECT text, parts FROM messages")
    return [(str(row["text"]), int(row["parts"])) for row in rows]


def balance(server: ReferenceServer) -> Decimal:
    account = server.store.account("1")
    assert account is not None
    return account.credits


UNICODE_BATCHES = [
    # (the text as delivered, concat given, parts or the ERR code)
    ("A" * 70, None, 1),  # 70 code units: one part (its hex is 280 characters)
    ("A" * 70, 3, 1),
    ("A" * 71, None, 113),
    ("A" * 71, 2, 2),
    ("é" * 70, None, 1),
    ("☺" * 134, 2, 2),  # two parts of 67
    ("☺" * 135, 2, 113),
    ("A" * 201, 3, 3),  # three parts of 67
    ("😀" * 35, None, 1),  # 35 surrogate pairs: 70 code units
]


@pytest.mark.parametrize(
    ("text", "concat", "expected"),
    UNICODE_BATCHES,
    ids=[f"{len(text)}x{ord(text[0]):04X}-concat{concat}" for text, concat, _ in UNICODE_BATCHES],
)
@pytest.mark.parametrize("command", ["sendmsg", "senditem", "quicksend"])
def test_a_unicode_batch_counts_parts_as_sendmsg_does(
    command: str, text: str, concat: int | None, expected: int
) -> None:
    server = make_server()
    wire = text.encode("utf-16-be").hex().upper()
    options: dict[str, Any] = {"unicode": 1, **({} if concat is None else {"concat": concat})}
    if command == "sendmsg":
        reply = call(server, "/http/sendmsg", **CREDENTIALS, to=NUMBER, text=wire, **options)
    else:
        batch = call(server, "/http_batch/startbatch", **CREDENTIALS, template=wire, **options)
        reply = call(
            server, f"/http_batch/{command}", **CREDENTIALS, batch_id=batch.batch_id, to=NUMBER
        )
    if expected == 113:
        assert isinstance(reply, ErrorReply) and reply.code == 113, reply
        assert stored(server) == [] and balance(server) == CREDITS
    else:
        assert not isinstance(reply, ErrorReply), reply
        assert stored(server) == [(text, expected)]
        assert balance(server) == CREDITS - expected


PLAIN_BATCHES = [
    # (template, field1, concat, parts or the ERR code): plain batches count septets as before
    ("#field1#", "y" * 160, None, 1),
    ("#field1#", "y" * 161, None, 113),
    ("Hi #field1#", "{" * 80, 2, 2),  # extension characters: two septets each
]


@pytest.mark.parametrize(
    ("template", "field", "concat", "expected"),
    PLAIN_BATCHES,
    ids=[f"{len(field)}x{field[0]}-concat{concat}" for _, field, concat, _ in PLAIN_BATCHES],
)
def test_a_plain_batch_still_counts_septets(
    template: str, field: str, concat: int | None, expected: int
) -> None:
    server = make_server()
    options: dict[str, Any] = {} if concat is None else {"concat": concat}
    batch = call(server, "/http_batch/startbatch", **CREDENTIALS, template=template, **options)
    reply = call(
        server,
        "/http_batch/senditem",
        **CREDENTIALS,
        batch_id=batch.batch_id,
        to=NUMBER,
        field1=field,
    )
    if expected == 113:
        assert isinstance(reply, ErrorReply) and reply.code == 113, reply
        assert stored(server) == []
    else:
        assert stored(server) == [(template.replace("#field1#", field), expected)]
