"""Typed response values: what a Clickatell server answers, one frozen dataclass per kind.

Every value carries ``kind`` (the discriminator of :data:`Response`), ``relaxed`` (empty for a
body that follows the protocol, otherwise what the lenient parser let pass) and ``extra`` (the
unknown ``Key: value`` pairs a lenient parse kept aside).  Slotted dataclasses
(and named tuples for the per-recipient lines) were chosen over pydantic models by measurement: a
1000-line sendmsg body builds 1000 values.  ``pydantic.TypeAdapter(Response)`` still dumps and
validates all of them.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, NamedTuple, get_type_hints

from pydantic import Field, GetCoreSchemaHandler, SecretStr
from pydantic_core import core_schema

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
"""What a lenient parse let pass, in words (empty for a body that follows the protocol)."""
Extra = tuple[tuple[int, str, str], ...]
"""Unknown ``Key: value`` pairs a lenient parse kept aside: ``(line, key, value)``."""


def _line_schema(cls: type[Any], handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
    """Validate a result line from itself or a mapping; dump it as a mapping (not a list)."""
    hints = get_type_hints(cls)
    defaults = cls._field_defaults
    fields = {
        name: core_schema.typed_dict_field(
            handler.generate_schema(hints[name]), required=name not in defaults
        )
        for name in cls._fields
    }
    from_mapping = core_schema.no_info_after_validator_function(
        lambda data: cls(**data), core_schema.typed_dict_schema(fields, extra_behavior="forbid")
    )
    return core_schema.union_schema(
        [core_schema.is_instance_schema(cls), from_mapping],
        serialization=core_schema.plain_serializer_function_ser_schema(
            lambda value: value._asdict(), when_used="always"
        ),
    )


# The per-recipient lines are named tuples: a 1000-line body builds 1000 of them, and a tuple is
# built in C (see benchmarks/README.md).  They compare, unpack and index as tuples; pydantic reads
# and writes them as mappings.
class Accepted(NamedTuple):
    """One recipient's message was accepted: ``ID: <apimsgid> [To: <msisdn>]``.

    ``to`` is ``None`` when the line has no ``To:``, ``""`` for ``To:`` with an empty number.
    """

    apimsgid: str
    to: str | None = None

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _line_schema(cls, handler)


class Rejected(NamedTuple):
    """One recipient was refused: ``ERR: <code>, <description> [To: <msisdn>]``."""

    code: int
    description: str
    to: str | None = None

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return _line_schema(cls, handler)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class AuthOK:
    """``auth`` succeeded; the session id is kept as a secret (masked in repr and JSON)."""

    session_id: SecretStr
    kind: Literal["auth_ok"] = "auth_ok"
    relaxed: Relaxed = ()
    extra: Extra = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PingOK:
    """``ping`` succeeded."""

    kind: Literal["ping_ok"] = "ping_ok"
    relaxed: Relaxed = ()
    extra: Extra = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class SendResult:
    """The per-recipient lines of sendmsg, quicksend, senditem, si_push and ind_push, in order."""

    results: tuple[Accepted | Rejected, ...]
    kind: Literal["send_result"] = "send_result"
    relaxed: Relaxed = ()
    extra: Extra = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MessageStatus:
    """``querymsg``/``delmsg``: ``ID: <apimsgid> Status: <NNN>``."""

    apimsgid: str
    status: int
    kind: Literal["message_status"] = "message_status"
    relaxed: Relaxed = ()
    extra: Extra = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class MessageCharge:
    """``getmsgcharge``: the message's charge and status."""

    apimsgid: str
    charge: Decimal
    status: int
    kind: Literal["message_charge"] = "message_charge"
    relaxed: Relaxed = ()
    extra: Extra = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Balance:
    """``getbalance``: ``Credit: <decimal>``."""

    credit: Decimal
    kind: Literal["balance"] = "balance"
    relaxed: Relaxed = ()
    extra: Extra = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TokenPaid:
    """``token_pay``: ``OK: <value>``, the value kept exactly as the server wrote it."""

    value: str
    kind: Literal["token_paid"] = "token_paid"
    relaxed: Relaxed = ()
    extra: Extra = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """``routeCoverage``: whether the prefix is routed, and the charge when it is."""

    routable: bool
    description: str
    charge: Decimal | None = None
    kind: Literal["coverage"] = "coverage"
    relaxed: Relaxed = ()
    extra: Extra = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BatchStarted:
    """``startbatch``: ``ID: <batch_id>``."""

    batch_id: str
    kind: Literal["batch_started"] = "batch_started"
    relaxed: Relaxed = ()
    extra: Extra = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class BatchEnded:
    """``endbatch``: ``OK``."""

    kind: Literal["batch_ended"] = "batch_ended"
    relaxed: Relaxed = ()
    extra: Extra = ()


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
    extra: Extra = ()


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
