"""Typed response values: what a Clickatell server answers, one frozen dataclass per kind.

Every value carries ``kind`` (the discriminator of :data:`Response`) and ``relaxed``: empty for a
body that follows the protocol, otherwise what the lenient parser let pass.  Slotted dataclasses
were chosen over pydantic models by measurement (a 1000-line sendmsg body builds 1000 values);
``pydantic.TypeAdapter(Response)`` still dumps and validates them.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, SecretStr

__all__ = [
    "Accepted",
    "AuthOK",
    "Balance",
    "BatchEnded",
    "BatchStarted",
    "Coverage",
    "ErrorReply",
    "MessageCharge",
    "MessageStatus",
    "PingOK",
    "Rejected",
    "Response",
    "SendResult",
    "TokenPaid",
]

Relaxed = tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """One recipient's message was accepted: ``ID: <apimsgid> [To: <msisdn>]``."""

    apimsgid: str
    to: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Rejected:
    """One recipient was refused: ``ERR: <code>, <description> [To: <msisdn>]``."""

    code: int
    description: str
    to: str | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AuthOK:
    """``auth`` succeeded; the session id is kept as a secret (masked in repr and JSON)."""

    session_id: SecretStr
    kind: Literal["auth_ok"] = "auth_ok"
    relaxed: Relaxed = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PingOK:
    """``ping`` succeeded."""

    kind: Literal["ping_ok"] = "ping_ok"
    relaxed: Relaxed = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """The per-recipient lines of sendmsg, quicksend, senditem, si_push and ind_push, in order."""

    results: tuple[Accepted | Rejected, ...]
    kind: Literal["send_result"] = "send_result"
    relaxed: Relaxed = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MessageStatus:
    """``querymsg``/``delmsg``: ``ID: <apimsgid> Status: <NNN>``."""

    apimsgid: str
    status: int
    kind: Literal["message_status"] = "message_status"
    relaxed: Relaxed = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MessageCharge:
    """``getmsgcharge``: the message's charge and status."""

    apimsgid: str
    charge: Decimal
    status: int
    kind: Literal["message_charge"] = "message_charge"
    relaxed: Relaxed = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """``getbalance``: ``Credit: <decimal>``."""

    credit: Decimal
    kind: Literal["balance"] = "balance"
    relaxed: Relaxed = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TokenPaid:
    """``token_pay``: ``OK: <value>``, the value kept exactly as the server wrote it."""

    value: str
    kind: Literal["token_paid"] = "token_paid"
    relaxed: Relaxed = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """``routeCoverage``: whether the prefix is routed, and the charge when it is."""

    routable: bool
    description: str
    charge: Decimal | None = None
    kind: Literal["coverage"] = "coverage"
    relaxed: Relaxed = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BatchStarted:
    """``startbatch``: ``ID: <batch_id>``."""

    batch_id: str
    kind: Literal["batch_started"] = "batch_started"
    relaxed: Relaxed = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BatchEnded:
    """``endbatch``: ``OK``."""

    kind: Literal["batch_ended"] = "batch_ended"
    relaxed: Relaxed = ()


_UNTIL = re.compile(r"([0-9]{1,12})\s*$")


def retry_after_from(code: int | None, description: str) -> datetime | None:
    """The moment error 130 names (a Unix time at the end of its description), else ``None``."""
    if code != 130:
        return None
    match = _UNTIL.search(description)
    if match is None:
        return None
    try:
        return datetime.fromtimestamp(int(match.group(1)), UTC)
    except (OverflowError, OSError, ValueError):
        return None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ErrorReply:
    """A whole-command error: ``ERR: <code>, <description>``.

    ``code`` is ``None`` only for the code-less ``ERR:`` lines a lenient parse lets through;
    ``retry_after`` is the aware UTC moment error 130 carries, else ``None``.
    """

    code: int | None
    description: str
    retry_after: datetime | None = None
    kind: Literal["error"] = "error"
    relaxed: Relaxed = ()


Response = Annotated[
    AuthOK
    | PingOK
    | SendResult
    | MessageStatus
    | MessageCharge
    | Balance
    | TokenPaid
    | Coverage
    | BatchStarted
    | BatchEnded
    | ErrorReply,
    Field(discriminator="kind"),
]
"""Every response value, discriminated by ``kind``."""
