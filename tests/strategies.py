"""Every hypothesis strategy of the suite, with bounds read from ``clickatell_protocol.limits``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from pydantic import SecretStr

from clickatell_protocol import limits as L
from clickatell_protocol.codes import ReqFeat
from clickatell_protocol.requests import COMMANDS, MsgType, Request, SiAction
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
    retry_after_from,
)
from clickatell_protocol.text import GSM_DEFAULT_ALPHABET, GSM_EXTENSION_TABLE, ucs2_hex

NOW = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
"""The clock every generated request is validated against."""
CONTEXT: dict[str, Any] = {"now": NOW}
DEFAULTS = L.Limits()

digits = "0123456789"
alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
hexdigits = "0123456789abcdefABCDEF"

msisdns = st.from_regex(
    f"[1-9][0-9]{{{L.MSISDN_MIN_DIGITS - 1},{L.MSISDN_MAX_DIGITS - 1}}}", fullmatch=True
)
session_ids = st.text(hexdigits, min_size=L.SESSION_ID_HEX_DIGITS, max_size=L.SESSION_ID_HEX_DIGITS)
message_ids = st.text(hexdigits, min_size=L.API_MSG_ID_HEX_DIGITS, max_size=L.API_MSG_ID_HEX_DIGITS)
batch_ids = st.text(hexdigits, min_size=L.BATCH_ID_HEX_DIGITS, max_size=L.BATCH_ID_HEX_DIGITS)
climsgids = st.text(alnum, min_size=1, max_size=L.CLIMSGID_MAX_LENGTH)
latin1_text = st.text(st.characters(max_codepoint=0xFF, exclude_categories=["Cs"]), min_size=1)
senders = st.one_of(
    st.text(digits, min_size=1, max_size=L.SENDER_DIGITS_MAX_LENGTH),
    st.text(alnum, min_size=1, max_size=L.SENDER_ALPHANUMERIC_MAX_LENGTH),
)
plain_chars = sorted(ch for ch in GSM_DEFAULT_ALPHABET | GSM_EXTENSION_TABLE if ord(ch) < 256)
plain_texts = st.text(st.sampled_from(plain_chars), min_size=1)
any_texts = st.text(st.characters(exclude_categories=["Cs"]), min_size=1)
wire_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))


@st.composite
def credentials(draw: st.DrawFn) -> dict[str, Any]:
    """Either a session id or the full api_id/user/password triple."""
    if draw(st.booleans()):
        return {"session_id": draw(session_ids)}
    return {
        "api_id": draw(st.text(digits, min_size=1, max_size=10)),
        "user": draw(latin1_text),
        "password": draw(latin1_text),
    }


def recipient_lists(max_size: int = 5) -> st.SearchStrategy[list[str]]:
    return st.lists(msisdns, min_size=1, max_size=max_size)


@st.composite
def message_options(draw: st.DrawFn) -> dict[str, Any]:
    """Optional sendmsg/startbatch parameters, each inside its limits (unicode/concat aside)."""
    lim = DEFAULTS
    candidates: dict[str, st.SearchStrategy[Any]] = {
        "from_": senders,
        "callback": st.integers(0, lim.callback_max),
        "deliv_time": st.integers(lim.deliv_time_min, lim.deliv_time_max),
        "max_credits": st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000"), places=2),
        "req_feat": st.sets(st.sampled_from(list(ReqFeat)), min_size=1).map(
            lambda bits: ReqFeat(sum(int(b) for b in bits))
        ),
        "queue": st.integers(lim.queue_min, lim.queue_max),
        "escalate": st.booleans(),
        "mo": st.booleans(),
        "climsgid": climsgids,
        "deliv_ack": st.booleans(),
        "validity": st.integers(lim.validity_min, lim.validity_max),
        "binary": st.booleans(),
        "scheduled_time": st.datetimes(
            min_value=(NOW - timedelta(days=30)).replace(tzinfo=None),
            max_value=(NOW + lim.scheduled_max_ahead).replace(tzinfo=None),
            timezones=st.just(UTC),
        ).map(lambda moment: moment.replace(microsecond=0)),
    }
    chosen = draw(st.sets(st.sampled_from(sorted(candidates))))
    return {name: draw(candidates[name]) for name in chosen}


@st.composite
def sendmsg_kwargs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of a valid SendMsg: text plain or UCS-2 hex, or 8-bit data."""
    kwargs = {**draw(credentials()), "to": draw(recipient_lists()), **draw(message_options())}
    concat = draw(st.integers(1, DEFAULTS.concat_max))
    kwargs["concat"] = concat
    form = draw(st.sampled_from(["plain", "unicode", "data"]))
    if form == "plain":
        # Two septets at most a character: 70 characters fit one part, 70 per part beyond.
        kwargs["text"] = draw(
            st.text(st.sampled_from(plain_chars), min_size=1, max_size=70 * concat)
        )
        if draw(st.booleans()):
            kwargs["unicode"] = False
        if draw(st.booleans()):
            kwargs["msg_type"] = draw(st.sampled_from(list(MsgType)))
    elif form == "unicode":
        text = draw(
            st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30 * concat)
        )
        kwargs["text"] = ucs2_hex(text)
        kwargs["unicode"] = True
    else:
        kwargs["udh"] = draw(st.binary(min_size=1, max_size=12)).hex()
        kwargs["data"] = draw(st.binary(min_size=1, max_size=100)).hex()
    return kwargs


def _with_auth(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.tuples(credentials(), st.fixed_dictionaries(fields)).map(lambda p: {**p[0], **p[1]})


def _by_message_id() -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(_with_auth(apimsgid=message_ids), _with_auth(climsgid=climsgids))


@st.composite
def _startbatch(draw: st.DrawFn) -> dict[str, Any]:
    return {**draw(_with_auth(template=latin1_text)), **draw(message_options())}


_KWARGS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "auth": st.fixed_dictionaries(
        {
            "api_id": st.text(digits, min_size=1, max_size=10),
            "user": latin1_text,
            "password": latin1_text,
        }
    ),
    "ping": st.fixed_dictionaries({"session_id": session_ids}),
    "sendmsg": sendmsg_kwargs(),
    "querymsg": _by_message_id(),
    "delmsg": _by_message_id(),
    "getbalance": credentials(),
    "getmsgcharge": _by_message_id(),
    "token_pay": _with_auth(
        token=st.text(digits, min_size=L.TOKEN_DIGITS, max_size=L.TOKEN_DIGITS)
    ),
    "routeCoverage": _with_auth(msisdn=msisdns),
    "startbatch": _startbatch(),
    "senditem": _with_auth(
        batch_id=batch_ids,
        to=recipient_lists(),
        fields=st.dictionaries(st.integers(1, 20), st.one_of(st.just(""), latin1_text), max_size=4),
    ),
    "quicksend": _with_auth(batch_id=batch_ids, to=recipient_lists()),
    "endbatch": _with_auth(batch_id=batch_ids),
    "si_push": _with_auth(
        to=recipient_lists(),
        si_id=latin1_text,
        si_url=latin1_text,
        si_text=latin1_text,
        si_created=st.one_of(st.none(), wire_times),
        si_expires=st.one_of(st.none(), wire_times),
        si_action=st.one_of(st.none(), st.sampled_from(list(SiAction))),
        from_=st.one_of(st.none(), senders),
    ),
    "ind_push": _with_auth(
        to=recipient_lists(),
        from_=senders,
        mms_subject=latin1_text,
        mms_class=st.sampled_from(sorted(L.MMS_CLASSES)),
        mms_expire=st.integers(1, 10**7),
        mms_from=latin1_text,
        mms_url=latin1_text,
    ),
}
assert set(_KWARGS) == set(COMMANDS), "every command needs a strategy"


def request_kwargs(command: str) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a valid request of ``command``."""
    return _KWARGS[command]


def requests(command: str | None = None) -> st.SearchStrategy[Request]:
    """Valid request models: of one command, or of any."""
    names = [command] if command else sorted(COMMANDS)
    return st.one_of(
        [
            _KWARGS[name].map(
                lambda kwargs, name=name: COMMANDS[name].model_validate(kwargs, context=CONTEXT)
            )
            for name in names
        ]
    )


# Values just outside each limit, with the code a server answers for them.
def just_outside() -> st.SearchStrategy[tuple[str, object, int]]:
    """``(parameter, value, code)`` triples one step past a bound of DEFAULTS or a constant."""
    lim = DEFAULTS
    cases: list[tuple[str, object, int]] = [
        ("climsgid", "c" * (L.CLIMSGID_MAX_LENGTH + 1), 101),
        ("from", "1" * (L.SENDER_DIGITS_MAX_LENGTH + 1), 106),
        ("from", "A" * (L.SENDER_ALPHANUMERIC_MAX_LENGTH + 1), 106),
        ("to", "1" * (L.MSISDN_MAX_DIGITS + 1), 105),
        ("to", "1" * (L.MSISDN_MIN_DIGITS - 1), 105),
        ("session_id", "a" * (L.SESSION_ID_HEX_DIGITS - 1), 3),
        ("session_id", "a" * (L.SESSION_ID_HEX_DIGITS + 1), 3),
        ("deliv_time", lim.deliv_time_min - 1, 120),
        ("deliv_time", lim.deliv_time_max + 1, 120),
        ("validity", lim.validity_min - 1, 101),
        ("validity", lim.validity_max + 1, 101),
        ("callback", lim.callback_max + 1, 101),
        ("queue", lim.queue_min - 1, 101),
        ("queue", lim.queue_max + 1, 101),
        ("concat", 0, 101),
        ("concat", lim.concat_max + 1, 113),
    ]
    return st.sampled_from(cases)


# ------------------------------------------------------------------------------- responses


hex_ids = st.text(hexdigits, min_size=32, max_size=32)
line_text = st.text(
    st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), min_size=1, max_size=40
)
descriptions = line_text.filter(lambda s: (s + " To:").find(" To:") == len(s))
coverage_texts = line_text.filter(
    lambda s: (s + " Charge: ").find(" Charge: ") == len(s) and re.match("[0-9]+, ", s) is None
)
codes = st.integers(0, 999)
amounts = st.decimals(min_value=0, max_value=10**6, allow_nan=False, allow_infinity=False).filter(
    lambda d: not d.is_signed()
)
recipients_or_none = st.one_of(st.none(), st.just(""), st.text(digits, min_size=1, max_size=15))


@st.composite
def error_replies(draw: st.DrawFn) -> ErrorReply:
    code = draw(st.one_of(codes, st.just(130)))
    if code == 130:
        description = f"Maximum MT limit exceeded until {draw(st.integers(0, 2**32))}"
    else:
        description = draw(descriptions)
    return ErrorReply(
        code=code, description=description, retry_after=retry_after_from(code, description)
    )


@st.composite
def send_results(draw: st.DrawFn) -> SendResult:
    line = st.one_of(
        st.builds(Accepted, apimsgid=hex_ids, to=recipients_or_none),
        st.builds(Rejected, code=codes, description=descriptions, to=recipients_or_none),
    )
    results = tuple(draw(st.lists(line, min_size=1, max_size=8)))
    # One ERR line without To: is the command's error reply, not a send result.
    if len(results) == 1 and isinstance(results[0], Rejected) and results[0].to is None:
        results = (Rejected(code=results[0].code, description=results[0].description, to=""),)
    return SendResult(results=results)


RESPONSE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "auth": st.builds(AuthOK, session_id=hex_ids.map(SecretStr)),
    "ping": st.just(PingOK()),
    "sendmsg": send_results(),
    "querymsg": st.builds(MessageStatus, apimsgid=hex_ids, status=codes),
    "getmsgcharge": st.builds(MessageCharge, apimsgid=hex_ids, charge=amounts, status=codes),
    "getbalance": st.builds(Balance, credit=amounts),
    "token_pay": st.builds(TokenPaid, value=line_text),
    "routeCoverage": st.one_of(
        st.builds(Coverage, routable=st.just(True), description=coverage_texts, charge=amounts),
        st.builds(Coverage, routable=st.just(False), description=coverage_texts),
    ),
    "startbatch": st.builds(BatchStarted, batch_id=hex_ids),
    "endbatch": st.just(BatchEnded()),
    "error": error_replies(),
}
"""A strategy of response values per kind, keyed by a command that answers with it."""


# ------------------------------------------------------------------------------- callbacks

from clickatell_protocol.callbacks import IncomingMessage, StatusCallback  # noqa: E402

unix_times = st.integers(0, 2**31 - 1).map(lambda s: datetime.fromtimestamp(s, UTC))


@st.composite
def status_callbacks(draw: st.DrawFn) -> StatusCallback:
    return StatusCallback(
        # None: [S238]'s XML example and Kannel's callbacks carry no api_id (PROTOCOL.md §7).
        api_id=draw(st.one_of(st.none(), st.text(digits, min_size=1, max_size=8))),
        apimsgid=draw(hex_ids),
        climsgid=draw(st.one_of(st.none(), climsgids)),
        to=draw(msisdns),
        from_=draw(st.one_of(st.just(""), senders)),
        timestamp=draw(unix_times),
        status=draw(st.integers(0, 999)),
        charge=draw(
            st.decimals(
                min_value=0, max_value=1000, places=6, allow_nan=False, allow_infinity=False
            )
        ),
    )


_MO_CHARSETS = {"ISO-8859-1": "latin-1", "UTF-8": "utf-8", "UTF-16BE": "utf-16-be"}
_XML_SAFE = st.characters(
    exclude_categories=["Cs"], exclude_characters="".join(map(chr, range(0x20))) + "\ufffe\uffff"
)


@st.composite
def incoming_messages(draw: st.DrawFn, *, xml: bool) -> IncomingMessage:
    charset = draw(st.sampled_from(sorted(_MO_CHARSETS)))
    codec = _MO_CHARSETS[charset]
    alphabet = _XML_SAFE if xml else st.characters(exclude_categories=["Cs"])
    if codec == "latin-1":
        alphabet = alphabet.filter(lambda ch: ord(ch) < 256)
    text = draw(st.text(alphabet, max_size=60))
    moment = datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=draw(st.integers(0, 10**9)))
    return IncomingMessage(
        api_id=draw(st.text(digits, min_size=1, max_size=8)),
        momsgid=draw(hex_ids),
        from_=draw(msisdns),
        to=draw(st.text(digits, min_size=1, max_size=15)),
        timestamp=moment,
        charset=charset,
        udh=draw(st.one_of(st.just(""), st.binary(min_size=1, max_size=8).map(bytes.hex))),
        text=text,
        raw_text=text.encode(codec),
    )
