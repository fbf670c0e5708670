"""Rendering responses: the one canonical wire form of each value (PROTOCOL.md §9).

The parser accepts every form of §2 and §8; the renderer writes only the one the real service
sends, so that existing clients keep working.  Lines are joined by ``\\n`` and the body does not
end with one (§9): Clickatell's C library and SDKs in Python and Ruby keep a final newline inside
the session or message id they read, so a one-line body is exactly its line.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .responses import (
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
    Response,
    SendResult,
    TokenPaid,
)

__all__ = ["render_response"]


def _number(value: int, what: str) -> str:
    if not 0 <= value <= 999:
        raise ValueError(f"{what} {value} does not fit the three digits of the wire")
    return f"{value:03d}"


_HEX_ID = re.compile("[0-9A-Fa-f]{32}")
_DIGITS = re.compile("[0-9]*")
_CODE_LIKE = re.compile("[0-9]+, ")


def _decimal(value: Decimal, what: str) -> str:
    if not value.is_finite() or value.is_signed():
        raise ValueError(f"{what} {value} is not a non-negative decimal")
    return format(value, "f")


def _id(value: str, what: str) -> str:
    if _HEX_ID.fullmatch(value) is None:
        raise ValueError(f"{what} must be 32 hex digits")
    return value


def _text(value: str, what: str, *, before: str | None = None) -> str:
    """A free-text field; ``before`` is what follows it on the line, which it must not hold."""
    if not value or "\n" in value or "\r" in value:
        raise ValueError(f"{what} must be one non-empty line")
    if before is not None and (value + before).find(before) != len(value):
        raise ValueError(f"{what} must not contain {before!r}: it would end the field early")
    return value


def _recipient(to: str | None) -> str:
    if to is None:
        return ""
    if _DIGITS.fullmatch(to) is None:
        raise ValueError(f"recipient {to!r} is not digits")
    return f" To: {to}"


def _line(result: Accepted | Rejected) -> str:
    if isinstance(result, Accepted):
        return f"ID: {_id(result.apimsgid, 'apimsgid')}{_recipient(result.to)}"
    description = _text(result.description, "description", before=" To:")
    return f"ERR: {_number(result.code, 'code')}, {description}{_recipient(result.to)}"


def render_response(value: Response) -> str:
    """Return the canonical wire body of a response value: its lines joined by ``\\n``, with
    no final newline (PROTOCOL.md §9).

    Raises:
        ValueError: the value cannot be written so that it reads back the same (a code above
            999, a description with a line break or a " To:", a negative amount, ...).
    """
    match value:
        case AuthOK():
            body = f"OK: {_id(value.session_id.get_secret_value(), 'session id')}"
        case PingOK():
            body = "OK:"
        case SendResult():
            if not value.results:
                raise ValueError("a send result has at least one line")
            body = "\n".join(_line(result) for result in value.results)
        case MessageStatus():
            body = (
                f"ID: {_id(value.apimsgid, 'apimsgid')} Status: {_number(value.status, 'status')}"
            )
        case MessageCharge():
            apimsgid = _id(value.apimsgid, "apimsgid")
            charge = _decimal(value.charge, "charge")
            body = (
                f"apiMsgId: {apimsgid} charge: {charge} status: {_number(value.status, 'status')}"
            )
        case Balance():
            body = f"Credit: {_decimal(value.credit, 'credit')}"
        case TokenPaid():
            body = f"OK: {_text(value.value, 'token value')}"
        case Coverage():
            description = _text(value.description, "coverage description", before=" Charge: ")
            if _CODE_LIKE.match(description):
                raise ValueError("a coverage description must not start like an error code")
            if value.routable:
                if value.charge is None:
                    raise ValueError("a routable coverage answer carries its charge")
                body = f"OK: {description} Charge: {_decimal(value.charge, 'charge')}"
            else:
                body = f"ERR: {description}"
        case BatchStarted():
            body = f"ID: {_id(value.batch_id, 'batch id')}"
        case BatchEnded():
            body = "OK"
        case ErrorReply():
            description = _text(value.description, "description", before=" To:")
            if value.code is None:
                body = f"ERR: {description}"
            else:
                body = f"ERR: {_number(value.code, 'code')}, {description}"
        case _:
            raise ValueError(f"not a response value: {type(value).__name__}")
    return body
