"""Request models: one frozen pydantic model per command, valid in both directions.

Client side, a model is built from keyword arguments and turned into wire parameters
(:meth:`Request.to_params`) or a whole :class:`HttpRequest` (:meth:`Request.to_http`).  Server side,
:func:`~clickatell_protocol.parse_request` turns method, URL and body back into the same model, or
into the ``ERR:`` answer a Clickatell server gives.

Every rule of PROTOCOL.md §3 is checked by a validator that raises a pydantic error of type
``clickatell`` whose context holds ``code`` (the Clickatell error number), ``parameter`` (the wire
name) and ``rule`` (what was broken, in words).  The bounds come from a :class:`Limits` profile
passed through the validation context (``context={"limits": ..., "now": ..., "method": ...}``); the
defaults apply without one.  :func:`~clickatell_protocol.parse_request` also puts the request's
charset there (``"charset": "UTF-8"`` or ``"ISO-8859-1"``): text decoded from UTF-8 may hold the
GSM characters that ISO-8859-1 lacks (``€``, Greek capitals), which a model built by hand may not.

Parameters a command does not define are no fields: ``parse_request`` keeps them aside on
:attr:`Request.extra` (PROTOCOL.md §1), and a model built by hand refuses them.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar, Final, Literal, NoReturn, Self
from urllib.parse import quote_plus

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic.config import ExtraValues
from pydantic_core import InitErrorDetails, PydanticCustomError

from ._http import HttpRequest
from .codes import REQ_FEAT_ALL, ReqFeat
from .errors import RequestRejected
from .limits import (
    API_MSG_ID_HEX_DIGITS,
    BATCH_ID_HEX_DIGITS,
    CLIMSGID_MAX_LENGTH,
    DEFAULT_BASE_URL,
    DEFAULT_LIMITS,
    MMS_CLASSES,
    MSISDN_MAX_DIGITS,
    MSISDN_MIN_DIGITS,
    SENDER_ALPHANUMERIC_MAX_LENGTH,
    SENDER_DIGITS_MAX_LENGTH,
    SESSION_ID_HEX_DIGITS,
    TOKEN_DIGITS,
    Limits,
)
from .text import GSM_DEFAULT_ALPHABET, GSM_EXTENSION_TABLE, eight_bit_parts, gsm_parts, ucs2_parts

__all__ = [
    "COMMANDS",
    "Auth",
    "DelMsg",
    "EndBatch",
    "GetBalance",
    "GetMsgCharge",
    "IndPush",
    "MsgType",
    "Ping",
    "QueryMsg",
    "QuickSend",
    "Request",
    "RequestExtra",
    "RouteCoverage",
    "SendItem",
    "SendMsg",
    "SiAction",
    "SiPush",
    "StartBatch",
    "TokenPay",
]

ERROR_TYPE: Final = "clickatell"
"""The pydantic error type of every rule this module checks."""

WIRE_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"
"""The UTC timestamp form of ``scheduled_time``, ``si_created`` and ``si_expires``."""


class MsgType(enum.StrEnum):
    """Values of the ``msg_type`` parameter (PROTOCOL.md §3)."""

    SMS_TEXT = "SMS_TEXT"
    SMS_FLASH = "SMS_FLASH"
    SMS_NOKIA_OLOGO = "SMS_NOKIA_OLOGO"
    SMS_NOKIA_GLOGO = "SMS_NOKIA_GLOGO"
    SMS_NOKIA_PICTURE = "SMS_NOKIA_PICTURE"
    SMS_NOKIA_RINGTONE = "SMS_NOKIA_RINGTONE"
    SMS_NOKIA_RTTL = "SMS_NOKIA_RTTL"
    SMS_NOKIA_CLEAN = "SMS_NOKIA_CLEAN"
    SMS_NOKIA_VCARD = "SMS_NOKIA_VCARD"
    SMS_NOKIA_VCAL = "SMS_NOKIA_VCAL"


class SiAction(enum.StrEnum):
    """Values of the ``si_action`` parameter of ``si_push``; ``signal-medium`` is the default."""

    SIGNAL_NONE = "signal-none"
    SIGNAL_LOW = "signal-low"
    SIGNAL_MEDIUM = "signal-medium"
    SIGNAL_HIGH = "signal-high"
    DELETE = "delete"


# --------------------------------------------------------------------------------------------
# Rule checking.  A converter takes the raw value and the validation state and returns the
# typed value, or raises _Broken with the rule in words (and a code when the rule has its own).


class _Broken(Exception):
    def __init__(self, rule: str, code: int | None = None) -> None:
        self.rule = rule
        self.code = code


def reject(code: int, parameter: str, rule: str) -> NoReturn:
    """Raise the pydantic error for a broken rule, carrying its Clickatell code.

    Raises:
        pydantic_core.PydanticCustomError: always; type ``clickatell``, context ``code``,
            ``parameter`` and ``rule``.
    """
    raise PydanticCustomError(
        ERROR_TYPE,
        "{parameter}: {rule} (Clickatell error {wire})",
        {"code": code, "wire": f"{code:03d}", "parameter": parameter, "rule": rule},
    )


class _State:
    """What a converter may read from the validation context."""

    __slots__ = ("info",)

    def __init__(self, info: ValidationInfo) -> None:
        self.info = info

    def _get(self, key: str) -> Any:
        context = self.info.context
        return context.get(key) if isinstance(context, Mapping) else None

    @property
    def limits(self) -> Limits:
        limits = self._get("limits")
        return limits if isinstance(limits, Limits) else DEFAULT_LIMITS

    @property
    def method(self) -> str:
        method = self._get("method")
        return method.upper() if isinstance(method, str) else "POST"

    @property
    def charset(self) -> str | None:
        charset = self._get("charset")
        return charset if isinstance(charset, str) else None

    @property
    def now(self) -> datetime:
        now = self._get("now")
        if isinstance(now, datetime) and now.tzinfo is not None:
            return now
        return datetime.now(UTC)


Converter = Callable[[Any, _State], Any]


def _param(parameter: str | None, code: int, convert: Converter) -> BeforeValidator:
    """Wrap a converter as a field validator that reports ``code`` for ``parameter``.

    ``parameter`` is the wire name; ``None`` means the field's own name.
    """

    def validate(value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        try:
            return convert(value, _State(info))
        except _Broken as broken:
            code_ = broken.code if broken.code is not None else code
            reject(code_, parameter or info.field_name or "?", broken.rule)

    return BeforeValidator(validate)


def _schema(code: int, **constraints: Any) -> Any:
    """Field metadata that shows a rule in the JSON Schema (validation is the validator's)."""
    return Field(json_schema_extra={"x-clickatell-error": code, **constraints})


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _Broken(f"must be a string, not {type(value).__name__}")


# Wire digits are ASCII digits only: str.isdigit is also true of '²' and of other scripts'
# digits.
_DIGITS: Final = re.compile("[0-9]+")
# No bound of the protocol has this many digits; a longer number is refused as too large
# before int() reads it (int() of an unbounded digit string costs quadratic time, and past
# 4,300 digits Python refuses it with its own message).
_MOST_DIGITS: Final = 30


class _TooLarge(_Broken):
    def __init__(self, digits: int) -> None:
        super().__init__(f"a number of {digits} digits is too large")
        self.digits = digits


def _as_int(value: Any) -> int:
    """An int, or a string of ASCII digits of at most ``_MOST_DIGITS`` significant digits.

    Raises:
        _TooLarge: more significant digits than that.
        _Broken: anything else that is not a whole number.
    """
    if isinstance(value, bool):
        raise _Broken("must be a whole number, not a boolean")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        significant = value.lstrip("0")
        if len(significant) > _MOST_DIGITS:
            raise _TooLarge(len(significant))
        return int(significant or "0")
    raise _Broken(f"must be a whole number, got {_show(value)}")


def _latin1(value: Any, _state: _State | None = None) -> str:
    text = _as_str(value)
    if not text:
        raise _Broken("must not be empty")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError as exc:
        raise _Broken(
            f"character {exc.start} ({text[exc.start]!r}) is not in ISO-8859-1, the request "
            "encoding"
        ) from None
    return text


def _secret(value: Any, _state: _State) -> str:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(raw, str):
        raise _Broken(f"must be a string, not {type(raw).__name__}")
    if not raw:
        raise _Broken("must not be empty")
    try:
        raw.encode("latin-1")
    except UnicodeEncodeError:
        # The position alone: the character would reveal part of the secret.
        raise _Broken("holds a character that is not in ISO-8859-1") from None
    # The plain string: the field's own SecretStr schema wraps it (a SecretStr returned here
    # would be refused by that schema in JSON mode, so model_validate_json could not read it).
    return raw


def _pattern(regex: str, rule: str) -> Converter:
    compiled = re.compile(regex)

    def convert(value: Any, _state: _State) -> str:
        text = _as_str(value)
        if compiled.fullmatch(text) is None:
            raise _Broken(f"{rule}, got {_show(text)}")
        return text

    return convert


def _hex_id(digits: int) -> Converter:
    return _pattern(f"[0-9A-Fa-f]{{{digits}}}", f"must be exactly {digits} hex digits")


def _session_id(value: Any, _state: _State) -> str:
    # A session id is as good as the password for 15 minutes: it is kept as a secret and never
    # echoed, not even a malformed one.
    text = _as_str(value.get_secret_value() if isinstance(value, SecretStr) else value)
    if re.fullmatch(f"[0-9A-Fa-f]{{{SESSION_ID_HEX_DIGITS}}}", text) is None:
        raise _Broken(f"must be exactly {SESSION_ID_HEX_DIGITS} hex digits")
    return text  # wrapped by the field's SecretStr schema, as for the password


def _limit(name: str, state: _State) -> int:
    value = getattr(state.limits, name)
    assert isinstance(value, int)
    return value


def _ranged(low: str | int, high: str | int | None, *, above_code: int | None = None) -> Converter:
    """An integer between two bounds: numbers, names of :class:`Limits` fields, or no top."""

    def convert(value: Any, state: _State) -> int:
        lowest = low if isinstance(low, int) else _limit(low, state)
        highest = high if not isinstance(high, str) else _limit(high, state)
        try:
            number = _as_int(value)
        except _TooLarge as large:
            if highest is None:
                raise
            raise _Broken(
                f"must be at most {highest}, got a number of {large.digits} digits", above_code
            ) from None
        if number < lowest:
            raise _Broken(f"must be at least {lowest}, got {number}")
        if highest is not None and number > highest:
            raise _Broken(f"must be at most {highest}, got {number}", above_code)
        return number

    return convert


def _flag(value: Any, _state: _State) -> bool:
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1"):
        return int(value) == 1
    raise _Broken(f"must be 0 or 1, got {_show(value)}")


def _positive_decimal(value: Any, _state: _State) -> Decimal:
    if isinstance(value, bool):
        raise _Broken("must be a decimal number, not a boolean")
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise _Broken(f"must be a decimal number, got {_show(value)}") from None
    if not number.is_finite() or number <= 0:
        raise _Broken(f"must be a positive decimal number, got {_show(value)}")
    if isinstance(value, str) and re.fullmatch(r"[0-9]+(\.[0-9]+)?|\.[0-9]+", value) is None:
        raise _Broken(f"must be written as plain digits with an optional point, got {_show(value)}")
    return number


def _req_feat(value: Any, _state: _State) -> ReqFeat:
    number = _as_int(value)
    unknown = number & ~REQ_FEAT_ALL
    if unknown:
        raise _Broken(f"{number} holds bits that name no feature ({unknown})")
    return ReqFeat(number)


def _choice(enum_type: type[enum.StrEnum]) -> Converter:
    def convert(value: Any, _state: _State) -> enum.StrEnum:
        try:
            return enum_type(value)
        except ValueError:
            names = ", ".join(member.value for member in enum_type)
            raise _Broken(f"must be one of {names}; got {_show(value)}") from None

    return convert


def _hex_octets(value: Any, _state: _State) -> str:
    text = _as_str(value)
    if not text or len(text) % 2 or re.fullmatch("[0-9A-Fa-f]*", text) is None:
        raise _Broken(f"must be hex digits in pairs (whole bytes), got {_show(text)}")
    return text


_MSISDN_RE: Final = re.compile(f"[1-9][0-9]{{{MSISDN_MIN_DIGITS - 1},{MSISDN_MAX_DIGITS - 1}}}")


def _msisdn(value: Any, _state: _State | None = None) -> str:
    # Never trimmed: a number is exactly its ASCII digits.  A server that strips NBSP, NEL,
    # control characters or the space a raw '+' decodes to would send to a number the client
    # did not write.
    number = _as_str(value)
    if _MSISDN_RE.fullmatch(number):
        return number
    if not number:
        raise _Broken("an empty number")
    if number.startswith("+"):
        raise _Broken(f"{_show(number)}: international format has no leading '+'")
    stray = re.search("[^0-9]", number)
    if stray is not None:
        char = stray.group()
        hint = (
            " (a raw '+' in a URL decodes to a space; numbers have no '+')" if char == " " else ""
        )
        raise _Broken(
            f"{_show(number)}: character {stray.start() + 1} ({char!r}) is not a digit; "
            f"a number is ASCII digits only{hint}"
        )
    if number.startswith("0"):
        raise _Broken(f"{number!r}: no leading 0 (neither '00' nor a national prefix)")
    raise _Broken(
        f"{number!r} has {len(number)} digits; an international number has "
        f"{MSISDN_MIN_DIGITS} to {MSISDN_MAX_DIGITS}"
    )


def _recipients(value: Any, state: _State) -> list[str]:
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list | tuple):
        items = list(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        items = [value]
    else:
        raise _Broken(f"must be a list of numbers, not {type(value).__name__}")
    if not items or items == [""]:
        raise _Broken("no recipient given")
    cap = state.limits.max_recipients(state.method)
    if len(items) > cap:
        raise _Broken(f"{len(items)} recipients; a {state.method} request carries at most {cap}")
    numbers = []
    for position, item in enumerate(items, 1):
        try:
            numbers.append(_msisdn(item))
        except _Broken as broken:
            raise _Broken(f"recipient {position}: {broken.rule}") from None
    return numbers


_SENDER_DIGITS_RE: Final = re.compile(f"[0-9]{{1,{SENDER_DIGITS_MAX_LENGTH}}}")
_SENDER_ALNUM_RE: Final = re.compile(f"[A-Za-z0-9]{{1,{SENDER_ALPHANUMERIC_MAX_LENGTH}}}")


def _sender(value: Any, _state: _State) -> str:
    text = _as_str(value)
    if _SENDER_DIGITS_RE.fullmatch(text) or _SENDER_ALNUM_RE.fullmatch(text):
        return text
    raise _Broken(
        f"must be 1-{SENDER_DIGITS_MAX_LENGTH} digits or 1-{SENDER_ALPHANUMERIC_MAX_LENGTH} "
        f"ASCII letters and digits, got {_show(text)}"
    )


def _timestamp(value: Any) -> datetime:
    """A Unix time, a ``YYYY-MM-DDTHH:MM:SSZ`` string or an aware datetime, as UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _Broken("a datetime must be timezone-aware")
        moment = value.astimezone(UTC)
    elif (
        isinstance(value, int | str)
        and not isinstance(value, bool)
        and (isinstance(value, int) or _DIGITS.fullmatch(value))
    ):
        try:
            moment = datetime.fromtimestamp(_as_int(value), UTC)
        except (_Broken, OverflowError, OSError, ValueError):
            raise _Broken(f"Unix time {_show(value)} is out of range") from None
    elif isinstance(value, str):
        try:
            moment = datetime.strptime(value, WIRE_TIME_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise _Broken(
                f"must be Unix seconds or YYYY-MM-DDTHH:MM:SSZ, got {_show(value)}"
            ) from None
    else:
        raise _Broken(f"must be a time, not {type(value).__name__}")
    # The wire carries whole seconds.
    return moment.replace(microsecond=0)


def _utc_time(value: Any, _state: _State) -> datetime:
    return _timestamp(value)


def _scheduled(value: Any, state: _State) -> datetime:
    moment = _timestamp(value)
    latest = state.now + state.limits.scheduled_max_ahead
    if moment > latest:
        ahead = state.limits.scheduled_max_ahead
        raise _Broken(f"{moment:%Y-%m-%dT%H:%M:%SZ} is more than {ahead} ahead of now")
    return moment


def _template_fields(value: Any, _state: _State) -> dict[int, str]:
    if not isinstance(value, Mapping):
        raise _Broken(f"must map field numbers to values, not {type(value).__name__}")
    fields: dict[int, str] = {}
    for key, text in value.items():
        number = _as_int(key)
        if number < 1:
            raise _Broken(f"field numbers start at 1, got {number}")
        try:
            fields[number] = _latin1(text) if text != "" else ""
        except _Broken as broken:
            raise _Broken(f"field{number}: {broken.rule}") from None
    return dict(sorted(fields.items()))


# --------------------------------------------------------------------------------------------
# Parameter types.  Each names its wire parameter, its Clickatell code and its default bounds.

_L = DEFAULT_LIMITS
SessionId = Annotated[
    SecretStr | None,
    _param("session_id", 3, _session_id),
    _schema(3, pattern=f"^[0-9A-Fa-f]{{{SESSION_ID_HEX_DIGITS}}}$"),
]
ApiId = Annotated[
    str | None,
    _param("api_id", 108, _pattern("[0-9]+", "must be digits")),
    _schema(108, pattern="^[0-9]+$"),
]
User = Annotated[str | None, _param("user", 1, _latin1), _schema(1, minLength=1)]
Password = Annotated[SecretStr | None, _param("password", 1, _secret), _schema(1, minLength=1)]
Recipients = Annotated[
    list[str],
    _param("to", 105, _recipients),
    _schema(
        105,
        minItems=1,
        maxItems=_L.max_recipients_post,
        **{"x-max-items-get": _L.max_recipients_get},
        items={"type": "string", "pattern": _MSISDN_RE.pattern},
    ),
]
Msisdn = Annotated[str, _param("msisdn", 105, _msisdn), _schema(105, pattern=_MSISDN_RE.pattern)]
Text = Annotated[str | None, _param("text", 107, lambda v, _s: _as_str(v)), _schema(107)]
Sender = Annotated[
    str | None,
    _param("from", 106, _sender),
    _schema(106, pattern=f"^({_SENDER_DIGITS_RE.pattern}|{_SENDER_ALNUM_RE.pattern})$"),
]
Callback = Annotated[
    int | None,
    _param("callback", 101, _ranged(0, "callback_max")),
    _schema(101, minimum=0, maximum=_L.callback_max),
]
DelivTime = Annotated[
    int | None,
    _param("deliv_time", 120, _ranged("deliv_time_min", "deliv_time_max")),
    _schema(120, minimum=_L.deliv_time_min, maximum=_L.deliv_time_max),
]
Concat = Annotated[
    int | None,
    _param("concat", 101, _ranged(1, "concat_max", above_code=113)),
    _schema(113, minimum=1, maximum=_L.concat_max),
]
MaxCredits = Annotated[
    Decimal | None, _param("max_credits", 101, _positive_decimal), _schema(101, exclusiveMinimum=0)
]
ReqFeatParam = Annotated[
    ReqFeat | None,
    _param("req_feat", 101, _req_feat),
    # A sum of bits, not one of them: the schema pydantic derives from the flag enum lists
    # only the single bits.
    WithJsonSchema(
        {
            "type": "integer",
            "minimum": 0,
            "maximum": REQ_FEAT_ALL,
            "description": "Sum of FEAT_* bits: "
            + ", ".join(f"{bit.name}={int(bit)}" for bit in ReqFeat),
            "x-clickatell-error": 101,
        }
    ),
]
Queue = Annotated[
    int | None,
    _param("queue", 101, _ranged("queue_min", "queue_max")),
    _schema(101, minimum=_L.queue_min, maximum=_L.queue_max),
]


Flag = Annotated[bool | None, _param(None, 101, _flag), _schema(101, enum=[0, 1])]


CliMsgId = Annotated[
    str | None,
    _param(
        "climsgid",
        101,
        _pattern(
            f"[A-Za-z0-9]{{1,{CLIMSGID_MAX_LENGTH}}}",
            f"must be 1-{CLIMSGID_MAX_LENGTH} ASCII letters and digits",
        ),
    ),
    _schema(101, pattern=f"^[A-Za-z0-9]{{1,{CLIMSGID_MAX_LENGTH}}}$"),
]
MsgTypeParam = Annotated[MsgType | None, _param("msg_type", 112, _choice(MsgType)), _schema(112)]
Udh = Annotated[
    str | None, _param("udh", 102, _hex_octets), _schema(102, pattern="^([0-9A-Fa-f]{2})+$")
]
Data = Annotated[
    str | None, _param("data", 102, _hex_octets), _schema(102, pattern="^([0-9A-Fa-f]{2})+$")
]
Validity = Annotated[
    int | None,
    _param("validity", 101, _ranged("validity_min", "validity_max")),
    _schema(101, minimum=_L.validity_min, maximum=_L.validity_max),
]
ScheduledTime = Annotated[
    datetime | None,
    _param("scheduled_time", 120, _scheduled),
    _schema(120, description="Unix seconds or YYYY-MM-DDTHH:MM:SSZ, at most 7 days ahead"),
]
ApiMsgId = Annotated[
    str | None,
    _param("apimsgid", 103, _hex_id(API_MSG_ID_HEX_DIGITS)),
    _schema(103, pattern=f"^[0-9A-Fa-f]{{{API_MSG_ID_HEX_DIGITS}}}$"),
]
BatchId = Annotated[
    str,
    _param("batch_id", 201, _hex_id(BATCH_ID_HEX_DIGITS)),
    _schema(201, pattern=f"^[0-9A-Fa-f]{{{BATCH_ID_HEX_DIGITS}}}$"),
]
Token = Annotated[
    str,
    _param("token", 101, _pattern(f"[0-9]{{{TOKEN_DIGITS}}}", f"must be {TOKEN_DIGITS} digits")),
    _schema(101, pattern=f"^[0-9]{{{TOKEN_DIGITS}}}$"),
]
Template = Annotated[str, _param("template", 202, _latin1), _schema(202, minLength=1)]
TemplateFields = Annotated[dict[int, str], _param("fieldN", 101, _template_fields), _schema(101)]


RequiredText = Annotated[str, _param(None, 101, _latin1), _schema(101, minLength=1)]
OptionalTime = Annotated[
    datetime | None,
    _param(None, 101, _utc_time),
    _schema(101, description="Unix seconds or YYYY-MM-DDTHH:MM:SSZ"),
]


def _mms_class(value: Any, _state: _State) -> int:
    number = _as_int(value)
    if number not in MMS_CLASSES:
        known = ", ".join(f"{code} ({name})" for code, name in MMS_CLASSES.items())
        raise _Broken(f"must be one of {known}; got {number}")
    return number


# --------------------------------------------------------------------------------------------
# Models.

AuthMode = Literal["either", "credentials", "session"]

# The code a server answers when a required parameter is missing, where it is not 101.
_MISSING_CODES: Final = {"to": 105, "msisdn": 105, "batch_id": 201, "template": 202}


_SECRET_FIELDS: Final = frozenset({"password", "session_id"})
_MASK: Final = "**********"


def _is_secret_name(name: str) -> bool:
    """Whether a parameter of this name carries a secret (also when a command does not define
    it: a password sent to ``ping`` is still a password)."""
    lowered = name.lower()
    return lowered in _SECRET_FIELDS or "password" in lowered or "session" in lowered


class RequestExtra(Mapping[str, str]):
    """The parameters of a request that its command does not define: wire name → value.

    Read-only and hashable.  Item access gives the values as sent, because a gateway may need
    them; ``repr`` and ``str`` mask any whose name is a secret's (``password``, ``session_id``).
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._items: dict[str, str] = dict(items or {})

    def __getitem__(self, name: str) -> str:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._items) == dict(other.items())
        return NotImplemented

    def masked(self) -> dict[str, str]:
        """Return the extras as a dict, with the value of every secret masked."""
        return {
            name: _MASK if _is_secret_name(name) else value for name, value in self._items.items()
        }

    def __repr__(self) -> str:
        return f"RequestExtra({self.masked()!r})"

    __str__ = __repr__


_NO_EXTRA: Final = RequestExtra()


def _masked(location: tuple[Any, ...], value: Any) -> Any:
    """An error's input with any secret replaced by a mask."""
    if location and location[0] in _SECRET_FIELDS:
        return _MASK
    if isinstance(value, Mapping):
        return {key: _MASK if key in _SECRET_FIELDS else item for key, item in value.items()}
    return value


def _without_secrets(error: ValidationError) -> ValidationError:
    """The same error with the secrets of its inputs masked.

    ``hide_input_in_errors`` keeps inputs out of ``str(error)``, but ``error.errors()`` would
    still hold them.  An error with no location (JSON that does not parse) carries the whole
    document as its input: that is masked as a whole, as it may hold the password.
    """
    details: list[InitErrorDetails] = []
    for detail in error.errors():
        kind: Any = detail["type"]
        if kind == ERROR_TYPE:
            kind = PydanticCustomError(ERROR_TYPE, detail["msg"], detail.get("ctx"))
        location = detail["loc"]
        entry: InitErrorDetails = {
            "type": kind,
            "loc": location,
            "input": _masked(location, detail.get("input")) if location else _MASK,
        }
        if "ctx" in detail and kind != ERROR_TYPE and isinstance(kind, str):
            entry["ctx"] = detail["ctx"]
        details.append(entry)
    return ValidationError.from_exception_data(error.title, details, hide_input=True)


def _wire_value(value: Any) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, enum.StrEnum):
        return value.value
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(WIRE_TIME_FORMAT)
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def _cross_field_schema(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """Show the cross-field rules of a model in its JSON Schema."""
    rules: list[dict[str, Any]] = []
    if getattr(model, "auth_mode", None) == "either":
        rules.append(
            {"anyOf": [{"required": ["session_id"]}, {"required": ["api_id", "user", "password"]}]}
        )
    if model.__name__ == "SendMsg":
        rules.append({"anyOf": [{"required": ["text"]}, {"required": ["data"]}]})
        rules.append({"not": {"required": ["udh", "msg_type"]}})
    if "apimsgid" in getattr(model, "model_fields", {}):
        rules.append({"oneOf": [{"required": ["apimsgid"]}, {"required": ["climsgid"]}]})
    if rules:
        schema["allOf"] = rules


class Request(BaseModel):
    """Base of every request model.

    Class attributes:
        command: the command's name as PROTOCOL.md §2 writes it.
        path: the canonical path on the server.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        # Inputs never appear in error messages: they may hold a password.
        hide_input_in_errors=True,
        use_enum_values=False,
        json_schema_extra=_cross_field_schema,
    )

    command: ClassVar[str]
    path: ClassVar[str]
    auth_mode: ClassVar[AuthMode] = "either"

    _extra: RequestExtra = PrivateAttr(default=_NO_EXTRA)

    @property
    def extra(self) -> RequestExtra:
        """The parameters of the request that its command does not define, by wire name.

        :func:`~clickatell_protocol.parse_request` keeps them here instead of refusing them
        (PROTOCOL.md §1: Kannel's ``mclass``, credentials sent beside ``session_id`` on
        ``ping``), so a gateway still sees them.  They are not parameters of the model: not in
        :meth:`to_params`, not in ``model_dump``; they do take part in equality.  Empty for a
        model built by hand.  ``repr`` masks secrets among them.
        """
        return self._extra

    @classmethod
    def model_validate_json(
        cls,
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        extra: ExtraValues | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> Self:
        """Validate a JSON document, as pydantic does; a document that does not parse is
        reported without its text (it may hold the password).

        Raises:
            pydantic.ValidationError: the document is not JSON or breaks a rule.
        """
        # Only the options given are passed on: older pydantic versions lack some of them.
        given: dict[str, Any] = {"extra": extra, "by_alias": by_alias, "by_name": by_name}
        options: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        try:
            return super().model_validate_json(json_data, strict=strict, context=context, **options)
        except ValidationError as error:
            raise _without_secrets(error) from None

    @model_validator(mode="wrap")
    @classmethod
    def _hide_secrets(cls, data: Any, handler: Any) -> Any:
        """Mask the password and session id in the inputs a ValidationError carries."""
        try:
            return handler(data)
        except ValidationError as error:
            raise _without_secrets(error) from None

    @model_validator(mode="before")
    @classmethod
    def _check_presence(cls, data: Any) -> Any:
        """Authentication first, then required parameters, each with its own code."""
        if not isinstance(data, Mapping):
            return data

        def given(name: str) -> bool:
            field = cls.model_fields.get(name)
            keys = {name}
            if field is not None and field.alias:
                keys.add(field.alias)
            return any(data.get(key) not in (None, "") for key in keys)

        mode = cls.auth_mode
        if mode == "session" and not given("session_id"):
            reject(5, "session_id", f"{cls.command} needs session_id")
        if mode == "credentials" or (mode == "either" and not given("session_id")):
            credentials = [name for name in ("api_id", "user", "password") if given(name)]
            if mode == "either" and not credentials:
                reject(5, "session_id", "give session_id, or all of api_id, user and password")
            if not given("api_id"):
                reject(108, "api_id", "api_id is missing (it goes with user and password)")
            for name in ("user", "password"):
                if not given(name):
                    reject(1, name, f"{name} is missing (it goes with api_id)")
        for name, field in cls.model_fields.items():
            if field.is_required() and not given(name):
                wire = field.alias or name
                reject(_MISSING_CODES.get(name, 101), wire, f"{cls.command} needs {wire}")
        return data

    def __repr_args__(self) -> Any:
        # Only the parameters that are set: a request has many optional ones.
        args = [(name, value) for name, value in super().__repr_args__() if value is not None]
        if self._extra:
            args.append(("extra", self._extra))
        return args

    def to_params(self) -> dict[str, str]:
        """Return the wire parameters, in field order, leaving out the ones not set.

        Values are text as they go on the wire before percent-encoding: recipients joined by
        commas, flags as ``0``/``1``, times as ``YYYY-MM-DDTHH:MM:SSZ``, the password in clear
        (it must reach the server; keep the dict out of logs). A request read in UTF-8 whose
        text holds characters beyond ISO-8859-1 also carries ``charset=UTF-8``.
        """
        params: dict[str, str] = {}
        for name, field in type(self).model_fields.items():
            value = getattr(self, name)
            if value is None:
                continue
            if name == "fields":
                for number, text in value.items():
                    params[f"field{number}"] = text
                continue
            params[field.alias or name] = _wire_value(value)
        if not all(_latin1_encodable(text) for text in params.values()):
            # Only a request read in UTF-8 holds such text (a GSM character beyond ISO-8859-1,
            # PROTOCOL.md §1): it goes on in UTF-8 and says so, as it came.
            params["charset"] = "UTF-8"
        return params

    def to_http(
        self,
        method: Literal["GET", "POST"] = "POST",
        base_url: str = DEFAULT_BASE_URL,
        *,
        limits: Limits = DEFAULT_LIMITS,
    ) -> HttpRequest:
        """Return the HTTP request that carries this command.

        Values are percent-encoded as ISO-8859-1 bytes (the request encoding of the API), or as
        UTF-8 with ``charset=UTF-8`` when :meth:`to_params` says so; the commas between
        recipients stay literal, as the real service needs.

        Raises:
            ValueError: ``method`` is neither GET nor POST.
            RequestRejected: code 105 when a GET would carry more recipients than
                ``limits.max_recipients_get`` (use POST, or split the list).
        """
        verb = method.upper()
        if verb not in ("GET", "POST"):
            raise ValueError(f"method must be GET or POST, not {method!r}")
        recipients = getattr(self, "to", None)
        if isinstance(recipients, list) and len(recipients) > limits.max_recipients(verb):
            raise RequestRejected(
                105,
                f"{len(recipients)} recipients; a {verb} request carries at most "
                f"{limits.max_recipients(verb)}",
                parameter="to",
            )
        params = self.to_params()
        encoding = "utf-8" if params.get("charset") == "UTF-8" else "latin-1"
        encoded = "&".join(
            f"{key}={quote_plus(value, safe=',' if key == 'to' else '', encoding=encoding)}"
            for key, value in params.items()
        )
        url = base_url.rstrip("/") + self.path
        if verb == "GET":
            return HttpRequest("GET", f"{url}?{encoded}" if encoded else url)
        return HttpRequest(
            "POST",
            url,
            (("Content-Type", "application/x-www-form-urlencoded"),),
            encoded.encode("ascii"),
        )


class Auth(Request):
    """``auth``: open a session with the API credentials; the answer is ``OK: <session_id>``."""

    command: ClassVar[str] = "auth"
    path: ClassVar[str] = "/http/auth"
    auth_mode: ClassVar[AuthMode] = "credentials"

    api_id: ApiId = None
    user: User = None
    password: Password = None


class Ping(Request):
    """``ping``: keep a session alive for another 15 minutes."""

    command: ClassVar[str] = "ping"
    path: ClassVar[str] = "/http/ping"
    auth_mode: ClassVar[AuthMode] = "session"

    session_id: SessionId = None


class _Authenticated(Request):
    """A command authenticated by ``session_id`` or by all of ``api_id``, ``user``, ``password``."""

    session_id: SessionId = None
    api_id: ApiId = None
    user: User = None
    password: Password = None


class GetBalance(_Authenticated):
    """``getbalance``: the account's credit."""

    command: ClassVar[str] = "getbalance"
    path: ClassVar[str] = "/http/getbalance"


class _MessageOptions(BaseModel):
    """The optional sending parameters that ``sendmsg`` and ``startbatch`` share."""

    from_: Sender = Field(default=None, alias="from")
    callback: Callback = None
    deliv_time: DelivTime = None
    concat: Concat = None
    max_credits: MaxCredits = None
    req_feat: ReqFeatParam = None
    queue: Queue = None
    escalate: Flag = None
    mo: Flag = None
    climsgid: CliMsgId = Field(
        default=None,
        validation_alias=AliasChoices("climsgid", "cliMsgId"),
        serialization_alias="climsgid",
    )
    unicode: Flag = None
    msg_type: MsgTypeParam = None
    deliv_ack: Flag = None
    validity: Validity = None
    binary: Flag = None
    scheduled_time: ScheduledTime = None


# The GSM 03.38 characters that ISO-8859-1 lacks: a request decoded from UTF-8 may carry them
# plain, as they are deliverable in the GSM alphabet (PROTOCOL.md §1, §6).
_GSM_BEYOND_LATIN1: Final = frozenset(
    ch for ch in GSM_DEFAULT_ALPHABET | GSM_EXTENSION_TABLE if ord(ch) > 0xFF
)


def _check_ucs2_hex(parameter: str, text: str) -> None:
    """With ``unicode=1``: hex of UTF-16BE, 4 digits per code unit, surrogates paired (116)."""
    if len(text) % 4 or re.fullmatch("[0-9A-Fa-f]*", text) is None:
        reject(
            116,
            parameter,
            f"with unicode=1 the {parameter} is UTF-16BE hex, 4 digits per code unit",
        )
    try:
        bytes.fromhex(text).decode("utf-16-be")
    except UnicodeDecodeError:
        reject(116, parameter, "the hex is not valid UTF-16BE (a surrogate is unpaired)")


def _latin1_encodable(text: str) -> bool:
    return text.isascii() or max(text) <= "\xff"


def _check_encoding(text: str, unicode: bool, charset: str | None = None) -> None:
    """The encoding rules of ``text``: not empty (107), UTF-16BE hex (116), or plain: ISO-8859-1,
    plus the GSM characters beyond it when the request was UTF-8 (101 otherwise)."""
    if not text:
        reject(107, "text", "the message is empty")
    if unicode:
        _check_ucs2_hex("text", text)
        return
    if _latin1_encodable(text):
        return
    allowed = _GSM_BEYOND_LATIN1 if charset == "UTF-8" else frozenset()
    for position, char in enumerate(text):
        if ord(char) > 0xFF and char not in allowed:
            reject(
                101,
                "text",
                f"character {position} ({char!r}) cannot be sent plain: use "
                "unicode=1 with the UTF-16BE hex of the text (encode_text does this)",
            )


class SendMsg(_MessageOptions, _Authenticated):
    """``sendmsg``: send a text (or 8-bit ``data`` with a ``udh``) to one or more recipients."""

    command: ClassVar[str] = "sendmsg"
    path: ClassVar[str] = "/http/sendmsg"

    to: Recipients
    text: Text = None
    udh: Udh = None
    data: Data = None

    @model_validator(mode="after")
    def _check_message(self, info: ValidationInfo) -> SendMsg:
        if self.text is None and self.data is None:
            reject(107, "text", "give text, or data with udh")
        if self.text is not None and self.data is not None:
            reject(101, "data", "text and data are exclusive")
        if self.udh is not None and self.msg_type is not None:
            reject(112, "msg_type", "msg_type and udh are exclusive")
        if self.udh is not None and self.data is None:
            reject(102, "udh", "a user data header goes with 8-bit data, not text")
        if self.text is not None:
            _check_encoding(self.text, bool(self.unicode), _State(info).charset)
        parts, units, kind = self.size
        allowed = self.concat or 1
        if parts > allowed:
            parameter = "text" if self.text is not None else "data"
            reject(113, parameter, f"{units} {kind} need {parts} parts but concat allows {allowed}")
        return self

    @property
    def message(self) -> str:
        """The message as it will be delivered: the text (decoded from hex when
        ``unicode=1``), or the 8-bit ``data`` hex."""
        if self.text is None:
            return self.data or ""
        if self.unicode:
            return bytes.fromhex(self.text).decode("utf-16-be")
        return self.text

    @property
    def size(self) -> tuple[int, int, str]:
        """``(parts, units, unit name)``: septets for plain text, UTF-16 code units for
        ``unicode=1``, bytes (UDH included) for 8-bit data."""
        if self.text is None:
            octets = (len(self.udh or "") + len(self.data or "")) // 2
            return eight_bit_parts(octets), octets, "bytes"
        if self.unicode:
            return (*ucs2_parts(self.message), "UTF-16 code units")
        return (*gsm_parts(self.text), "septets")


class _ByMessageId(_Authenticated):
    """A command that names a message by ``apimsgid`` or ``climsgid``."""

    apimsgid: ApiMsgId = None
    climsgid: CliMsgId = Field(
        default=None,
        validation_alias=AliasChoices("climsgid", "cliMsgId"),
        serialization_alias="climsgid",
    )

    @model_validator(mode="after")
    def _check_message_id(self) -> _ByMessageId:
        if self.apimsgid is None and self.climsgid is None:
            reject(109, "apimsgid", f"{self.command} needs apimsgid or climsgid")
        if self.apimsgid is not None and self.climsgid is not None:
            reject(101, "climsgid", "give apimsgid or climsgid, not both")
        return self


class QueryMsg(_ByMessageId):
    """``querymsg``: a message's status."""

    command: ClassVar[str] = "querymsg"
    path: ClassVar[str] = "/http/querymsg"


class DelMsg(_ByMessageId):
    """``delmsg``: stop a message that has not left the queue."""

    command: ClassVar[str] = "delmsg"
    path: ClassVar[str] = "/http/delmsg"


class GetMsgCharge(_ByMessageId):
    """``getmsgcharge``: a message's charge and status."""

    command: ClassVar[str] = "getmsgcharge"
    path: ClassVar[str] = "/http/getmsgcharge"


class TokenPay(_Authenticated):
    """``token_pay``: redeem a 16-digit voucher."""

    command: ClassVar[str] = "token_pay"
    path: ClassVar[str] = "/http/token_pay"

    token: Token


class RouteCoverage(_Authenticated):
    """``routeCoverage``: whether a number's prefix is routable, and at what charge."""

    command: ClassVar[str] = "routeCoverage"
    path: ClassVar[str] = "/utils/routeCoverage.php"

    msisdn: Msisdn


class StartBatch(_MessageOptions, _Authenticated):
    """``startbatch``: define a template (``#field1#`` .. ``#fieldN#``) and sending options."""

    command: ClassVar[str] = "startbatch"
    path: ClassVar[str] = "/http_batch/startbatch"

    template: Template

    @model_validator(mode="after")
    def _check_template(self) -> StartBatch:
        # [S238 §5.2.14]: a unicode batch carries its text as UTF-16BE hex, like sendmsg.
        if self.unicode:
            _check_ucs2_hex("template", self.template)
        return self

    @property
    def template_fields(self) -> tuple[int, ...]:
        """The field numbers the template uses, in ascending order."""
        return tuple(sorted({int(n) for n in re.findall(r"#field([0-9]+)#", self.template)}))


class SendItem(_Authenticated):
    """``senditem``: one personalised message of a batch (``field1`` .. ``fieldN``)."""

    command: ClassVar[str] = "senditem"
    path: ClassVar[str] = "/http_batch/senditem"

    batch_id: BatchId
    to: Recipients
    fields: TemplateFields = Field(default_factory=dict)


class QuickSend(_Authenticated):
    """``quicksend``: the batch template, unchanged, to a list of recipients."""

    command: ClassVar[str] = "quicksend"
    path: ClassVar[str] = "/http_batch/quicksend"

    batch_id: BatchId
    to: Recipients


class EndBatch(_Authenticated):
    """``endbatch``: close a batch; the answer is ``OK``."""

    command: ClassVar[str] = "endbatch"
    path: ClassVar[str] = "/http_batch/endbatch"

    batch_id: BatchId


class SiPush(_Authenticated):
    """``si_push``: a WAP Push Service Indication."""

    command: ClassVar[str] = "si_push"
    path: ClassVar[str] = "/mms/si_push"

    to: Recipients
    si_id: RequiredText
    si_url: RequiredText
    si_text: RequiredText
    si_created: OptionalTime = None
    si_expires: OptionalTime = None
    si_action: Annotated[
        SiAction | None, _param("si_action", 101, _choice(SiAction)), _schema(101)
    ] = None
    from_: Sender = Field(default=None, alias="from")


class IndPush(_Authenticated):
    """``ind_push``: an MMS notification."""

    command: ClassVar[str] = "ind_push"
    path: ClassVar[str] = "/mms/ind_push.php"

    to: Recipients
    from_: Annotated[str, _param("from", 106, _sender), _schema(106)] = Field(alias="from")
    mms_subject: RequiredText
    mms_class: Annotated[
        int,
        _param("mms_class", 101, _mms_class),
        _schema(101, enum=sorted(MMS_CLASSES)),
    ]
    mms_expire: Annotated[
        int,
        _param("mms_expire", 101, _ranged(1, None)),
        _schema(101, minimum=1, description="seconds"),
    ]
    mms_from: RequiredText
    mms_url: RequiredText


COMMANDS: Final[dict[str, type[Request]]] = {
    model.command: model
    for model in (
        Auth,
        Ping,
        SendMsg,
        QueryMsg,
        DelMsg,
        GetBalance,
        GetMsgCharge,
        TokenPay,
        RouteCoverage,
        StartBatch,
        SendItem,
        QuickSend,
        EndBatch,
        SiPush,
        IndPush,
    )
}
"""Every request model, by command name as PROTOCOL.md §2 writes it."""
