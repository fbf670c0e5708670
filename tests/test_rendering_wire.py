"""The canonical wire body has no final newline (PROTOCOL.md §9).

Clickatell's C library and SDKs in Python and Ruby keep a trailing newline inside the session or
message id they read, so ``render_response`` writes exactly the lines joined by ``\\n``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from strategies import RESPONSE_VALUES

from clickatell_protocol import parse_response, render_response
from clickatell_protocol.responses import (
    Accepted,
    AuthOK,
    Balance,
    BatchEnded,
    BatchStarted,
    Coverage,
    ErrorReply,
    MessageCharge,
    MessageStatus,
    PingOK,
    Rejected,
    SendResult,
    TokenPaid,
)

H = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("value", "body"),
    [
        (AuthOK(session_id=SecretStr(H)), f"OK: {H}"),
        (PingOK(), "OK:"),
        (SendResult(results=(Accepted(H),)), f"ID: {H}"),
        (
            SendResult(
                results=(Accepted(H, "1"), Rejected(105, "Invalid destination address", "2"))
            ),
            f"ID: {H} To: 1\nERR: 105, Invalid destination address To: 2",
        ),
        (MessageStatus(apimsgid=H, status=4), f"ID: {H} Status: 004"),
        (
            MessageCharge(apimsgid=H, charge=Decimal("0.3"), status=4),
            f"apiMsgId: {H} charge: 0.3 status: 004",
        ),
        (Balance(credit=Decimal("12.50")), "Credit: 12.50"),
        (TokenPaid(value="605"), "OK: 605"),
        (
            Coverage(routable=True, description="My Preferred Network", charge=Decimal("1")),
            "OK: My Preferred Network Charge: 1",
        ),
        (BatchStarted(batch_id=H), f"ID: {H}"),
        (BatchEnded(), "OK"),
        (
            ErrorReply(code=1, description="Authentication failed"),
            "ERR: 001, Authentication failed",
        ),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, str) else "",
)
def test_a_body_is_its_lines_with_no_final_newline(value: Any, body: str) -> None:
    assert render_response(value) == body


@pytest.mark.parametrize("command", sorted(RESPONSE_VALUES))
@given(data=st.data())
def test_render_never_ends_with_a_newline_and_reads_back(command: str, data: st.DataObject) -> None:
    value = data.draw(RESPONSE_VALUES[command])
    target = "querymsg" if command == "error" else command
    body = render_response(value)
    assert not body.endswith("\n") and not body.endswith("\r")
    assert parse_response(target, body) == value
    # Parsing still accepts the trailing newline and CRLF line ends other servers send.
    assert parse_response(target, body + "\n") == value
    assert parse_response(target, body.replace("\n", "\r\n") + "\r\n") == value
