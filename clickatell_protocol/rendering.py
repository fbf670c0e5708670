"""Rendering responses: the one canonical wire form of each value (PROTOCOL.md §9).

The parser accepts every form of §2 and §8; the renderer writes only the one the real service
sends, so that existing clients keep working.  Every line ends with ``\\n``.
"""

from __future__ import annotations

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


def _decimal(value: Decimal, what: str) -> str:
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} {value} is not a non-negative decimal")
    return format(value, "f")


def _text(value: str, what: str, *, forbid: tuple[str, ...] = ()) -> str:
    if not value or "\n" in value or "\r" in value:
        raise ValueError(f"{what} must be one non-empty line")
    for piece in forbid:
        if piece in value:
            raise ValueError(f"{what} must not contain {piece!r}: it would end the field")
    return value


def _recipient(to: str | None) -> str:
    if to is None:
        return ""
    if to and not to.isdigit():
        raise ValueError(f"recipient {to!r} is not digits")
    return f" To: {to}"


def _line(result: Accepted | Rejected) -> str:
    if isinstance(result, Accepted):
        return f"ID: {result.apimsgid}{_recipient(result.to)}"
    description = _text(result.description, "description", forbid=(" To:",))
    return f"ERR: {_number(result.code, 'code')}, {description}{_recipient(result.to)}"


def render_response(value: Response) -> str:
    """Return the canonical wire body of a response value.

    Raises:
        ValueError: the value cannot be written so that it reads back the same (a code above
            999, a description with a line break or a " To:", a negative amount, ...).
    """
    match value:
        case AuthOK():
            body = f"OK: {value.session_id.get_secret_value()}"
        case PingOK():
            body = "OK:"
        case SendResult():
            if not value.results:
                raise ValueError("a send result has at least one line")
            body = "\n".join(_line(result) for result in value.results)
        case MessageStatus():
            body = f"ID: {value.apimsgid} Status: {_number(value.status, 'status')}"
        case MessageCharge():
            body = (
                f"apiMsgId: {value.apimsgid} charge: {_decimal(value.charge, 'charge')} "
                f"status: {_number(value.status, 'status')}"
            )
        case Balance():
            body = f"Credit: {_decimal(value.credit, 'credit')}"
        case TokenPaid():
            body = f"OK: {_text(value.value, 'token value')}"
        case Coverage():
            description = _text(value.description, "coverage description", forbid=(" Charge: ",))
            if value.routable:
                if value.charge is None:
                    raise ValueError("a routable coverage answer carries its charge")
                body = f"OK: {description} Charge: {_decimal(value.charge, 'charge')}"
            else:
                body = f"ERR: {description}"
        case BatchStarted():
            body = f"ID: {value.batch_id}"
        case BatchEnded():
            body = "OK"
        case ErrorReply():
            description = _text(value.description, "description", forbid=(" To:",))
            if value.code is None:
                body = f"ERR: {description}"
            else:
                body = f"ERR: {_number(value.code, 'code')}, {description}"
        case _:
            raise ValueError(f"not a response value: {type(value).__name__}")
    return body + "\n"
