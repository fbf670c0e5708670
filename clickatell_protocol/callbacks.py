"""Callbacks: what the server sends to the user's URL (PROTOCOL.md §7), both ways.

Two kinds, each in six delivery styles (HTTP, XML or SOAP; by GET or by POST):

- **status callbacks** (delivery statuses of sent messages): :func:`parse_status_callback`,
  :func:`render_status_callback`;
- **incoming messages** (MO, replies from handsets): :func:`parse_mo_callback`,
  :func:`render_mo_callback`, and :class:`MoReassembler` for messages sent in several parts.

XML arrives from the network, so it is read with expat under a hardened configuration: any
document type declaration (and with it every entity definition, the root of "billion laughs" and
external-entity attacks) is refused before anything is expanded, and the size is bounded.
"""

from __future__ import annotations

import codecs
import dataclasses
import encodings
import encodings.aliases
import functools
import pkgutil
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Final, Literal, NoReturn, overload
from urllib.parse import quote, quote_plus, unquote_to_bytes
from xml.parsers import expat
from xml.sax.saxutils import escape

from ._http import HttpRequest
from .errors import ProtocolError

__all__ = [
    "CALLBACK_STYLES",
    "CallbackError",
    "CallbackStyle",
    "CallbackUrlCheck",
    "IncomingMessage",
    "MoReassembler",
    "StatusCallback",
    "callback_request",
    "parse_mo_callback",
    "parse_status_callback",
    "render_mo_callback",
    "render_status_callback",
]

CallbackStyle = Literal["http_get", "http_post", "xml_get", "xml_post", "soap_get", "soap_post"]
CALLBACK_STYLES: Final[tuple[CallbackStyle, ...]] = (
    "http_get",
    "http_post",
    "xml_get",
    "xml_post",
    "soap_get",
    "soap_post",
)
MAX_PAYLOAD_BYTES: Final = 64 * 1024
"""Largest callback payload read; a callback is a few hundred bytes."""
MAX_CHARGE_DIGITS: Final = 30
"""Most digits a charge has before, and after, its decimal point (a charge is a few credits)."""
MO_TIMEZONE: Final = timezone(timedelta(hours=2))
"""Incoming-message timestamps are written in a fixed UTC+02:00, without daylight saving."""


class CallbackError(ProtocolError):
    """A callback payload that does not follow the protocol.

    Attributes:
        field: the payload field at fault (``data`` for the XML document as a whole,
            ``payload`` for the payload itself, ``(no name)`` for a parameter with an empty name).
    """

    def __init__(self, field: str, message: str) -> None:
        # A parameter sent with an empty name ("=1&=2") is still named, as "(no name)".
        self.field = field or "(no name)"
        super().__init__(f"{self.field}: {message}")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class StatusCallback:
    """A delivery status of a sent message.

    ``api_id`` is ``None`` when the callback has none (PROTOCOL.md §7: [S238]'s own XML example
    carries none, and Kannel reads callbacks without it); ``climsgid`` is ``None`` when the
    message had none; ``timestamp`` is an aware UTC datetime; ``status`` an int
    (:class:`~clickatell_protocol.MessageStatusCode` names it); ``charge`` a non-negative
    ``Decimal``.
    """

    api_id: str | None
    apimsgid: str
    climsgid: str | None
    to: str
    from_: str
    timestamp: datetime
    status: int
    charge: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class CallbackUrlCheck:
    """The parameterless request the server makes to check a callback URL: answer it 200."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class IncomingMessage:
    """A message from a handset (MO).

    ``text`` is ``raw_text`` (the bytes as sent) decoded with ``charset``; ``timestamp`` is in
    UTC (the server writes it in UTC+02:00); ``udh`` is the user data header in hex, or ``""``.
    """

    api_id: str
    momsgid: str
    from_: str
    to: str
    timestamp: datetime
    charset: str
    udh: str
    text: str
    raw_text: bytes


# ------------------------------------------------------------------------------ payload reading

_Fields = dict[str, bytes]


def _query_fields(text: str) -> _Fields:
    """Split a query string or form body into raw byte values (no charset applied yet)."""
    fields: _Fields = {}
    seen: set[str] = set()
    for pair in text.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        name = unquote_to_bytes(key.replace("+", " ")).decode("latin-1")
        _once(seen, name)
        fields[name] = unquote_to_bytes(value.replace("+", " "))
    return fields


def _once(seen: set[str], name: str) -> None:
    """Refuse a name already ``seen`` in any case: names are read case-insensitively
    (``apiMsgId``/``apimsgid``), so two spellings of one name would leave the value to chance."""
    lowered = name.lower()
    if lowered in seen:
        raise CallbackError(name[:40], "given twice")
    seen.add(lowered)


_XML_DECLARED_ENCODING: Final = re.compile(
    r"""\s*<\?xml\s[^>]*?encoding\s*=\s*["']([^"']{0,100})["']"""
)


def _declared_encoding(data: bytes) -> str | None:
    """The encoding an XML declaration names, read from the document's first bytes (as UTF-16
    when they start like UTF-16, else as ISO-8859-1); ``None`` when there is none."""
    head = data[:300]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00", b"\x00<")):
        text = head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    else:
        text = head.decode("latin-1")
    match = _XML_DECLARED_ENCODING.match(text.lstrip("\ufeff"))
    return match.group(1) if match else None


def _hardened_xml(data: bytes) -> dict[str, str]:
    """The leaf elements of an XML document, by lower-case local name.

    Raises:
        CallbackError: the document is too large, not well-formed, or declares a DTD (which is
            where entity expansion and external entities come from; a callback never has one).
    """
    if len(data) > MAX_PAYLOAD_BYTES:
        raise CallbackError("data", f"XML document larger than {MAX_PAYLOAD_BYTES} bytes")
    declared = _declared_encoding(data)
    if declared is not None and not _codec_name_known(declared):
        # Refused before expat asks Python's codec search, which would remember the name.
        raise CallbackError("data", f"XML in an unknown encoding ({declared[:40]!r})")
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args: Any) -> NoReturn:
        raise CallbackError("data", "XML with a document type declaration or entities is refused")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    leaves: dict[str, str] = {}
    stack: list[tuple[str, list[str], bool]] = []

    def start(name: str, _attrs: dict[str, str]) -> None:
        if stack:
            parent = stack[-1]
            stack[-1] = (parent[0], parent[1], True)
        stack.append((name.rsplit(":", 1)[-1].lower(), [], False))

    def end(_name: str) -> None:
        local, text, has_children = stack.pop()
        if not has_children:
            leaves[local] = "".join(text)

    def characters(text: str) -> None:
        if stack:
            stack[-1][1].append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(data, True)
    except CallbackError:
        raise
    except expat.ExpatError as error:
        raise CallbackError("data", f"not well-formed XML ({error})") from None
    except (LookupError, ValueError) as error:
        # expat asks Python for an encoding it does not know itself: an unknown name raises
        # LookupError, a multi-byte one (Shift-JIS, UTF-32, ...) ValueError.
        raise CallbackError("data", f"XML in an encoding that cannot be read ({error})") from None
    return leaves


def _utf8(text: str, field: str) -> bytes:
    """``text`` as UTF-8, or a :class:`CallbackError` for a lone surrogate (not text at all)."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        where = error.start
        raise CallbackError(
            field, f"holds a lone surrogate {text[where]!r} at {where}: not text"
        ) from None


def _fields(payload: Any, content_type: str | None) -> tuple[_Fields, bool]:
    """The payload's fields as raw bytes, and whether they came from an XML document."""
    if isinstance(payload, Mapping):
        fields: _Fields = {}
        seen: set[str] = set()
        for key, value in payload.items():
            _once(seen, str(key))
            if isinstance(value, list | tuple):
                if len(value) != 1:
                    raise CallbackError(str(key)[:40], "given more than once")
                value = value[0]
            if isinstance(value, bytes | bytearray):
                fields[str(key)] = bytes(value)
            elif isinstance(value, str):
                fields[str(key)] = _utf8(value, str(key)[:40])
            else:
                raise CallbackError(str(key)[:40], f"a {type(value).__name__} is not a value")
    elif isinstance(payload, bytes | bytearray | str):
        raw = _utf8(payload, "payload") if isinstance(payload, str) else bytes(payload)
        if len(raw) > MAX_PAYLOAD_BYTES:
            raise CallbackError("payload", f"larger than {MAX_PAYLOAD_BYTES} bytes")
        stripped = raw.strip()
        if stripped.startswith(b"<") or (content_type and "xml" in content_type.lower()):
            return {k: v.encode("utf-8") for k, v in _hardened_xml(stripped).items()}, True
        fields = _query_fields(stripped.decode("latin-1").lstrip("?"))
    else:
        raise CallbackError("payload", f"a {type(payload).__name__} is not a callback payload")
    if "data" in fields and len(fields) == 1:
        xml = _hardened_xml(fields["data"].strip())
        return {k: v.encode("utf-8") for k, v in xml.items()}, True
    return fields, False


def _lookup(fields: _Fields, *names: str) -> bytes | None:
    """The value of the first of ``names`` present (case-insensitively)."""
    lowered = {key.lower(): value for key, value in fields.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _text(fields: _Fields, field: str, *names: str, required: bool = True) -> str | None:
    value = _lookup(fields, field, *names)
    if value is None or value == b"":
        if required:
            raise CallbackError(field, "missing")
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


@overload
def _matching(
    fields: _Fields,
    field: str,
    pattern: str,
    rule: str,
    *names: str,
    required: Literal[True] = True,
) -> str: ...


@overload
def _matching(
    fields: _Fields, field: str, pattern: str, rule: str, *names: str, required: bool
) -> str | None: ...


def _matching(
    fields: _Fields, field: str, pattern: str, rule: str, *names: str, required: bool = True
) -> str | None:
    """The field's text if it matches ``pattern``; ``None`` for an optional one that is absent
    or empty."""
    text = _text(fields, field, *names, required=required)
    if text is None:
        return None
    if re.fullmatch(pattern, text) is None:
        raise CallbackError(field, f"{rule}, got {text[:40]!r}")
    return text


# ------------------------------------------------------------------------------ status callbacks


def parse_status_callback(
    payload: str | bytes | Mapping[str, Any], *, content_type: str | None = None
) -> StatusCallback | CallbackUrlCheck:
    """Read a status callback in any of the six delivery styles.

    Args:
        payload: the query string (GET), the form body (POST), or a mapping of its parameters;
            XML and SOAP callbacks come in a ``data`` parameter (or as the document itself).
            Both spellings of the names are read (``apiMsgId``/``apimsgid``,
            ``cliMsgId``/``climsgid``).
        content_type: the request's ``Content-Type``, when the payload is a bare XML document.

    Returns:
        The :class:`StatusCallback`, or :class:`CallbackUrlCheck` for the parameterless request
        the server makes to check the URL.

    Raises:
        CallbackError: a field is missing or malformed (its name is in ``.field``), or the XML
            is not acceptable.
    """
    fields, _from_xml = _fields(payload, content_type)
    if not fields:
        return CallbackUrlCheck()
    timestamp = _matching(fields, "timestamp", "[0-9]{1,12}", "must be Unix seconds")
    # A plain decimal in ASCII digits (PROTOCOL.md §7: "0.300000"): no sign, exponent, other
    # scripts' digits or separators, so no negative charge and no 1e200000000 to write out.
    charge = _matching(
        fields,
        "charge",
        f"[0-9]{{1,{MAX_CHARGE_DIGITS}}}(?:[.][0-9]{{1,{MAX_CHARGE_DIGITS}}})?",
        f"must be a plain decimal of ASCII digits (at most {MAX_CHARGE_DIGITS} each side of "
        "the point)",
    )
    try:
        moment = datetime.fromtimestamp(int(timestamp), UTC)
    except (OverflowError, OSError, ValueError):
        raise CallbackError("timestamp", f"{timestamp} is out of range") from None
    return StatusCallback(
        api_id=_matching(fields, "api_id", "[0-9]+", "must be digits", required=False),
        apimsgid=_matching(fields, "apiMsgId", "[0-9A-Fa-f]{32}", "must be 32 hex digits"),
        climsgid=_text(fields, "cliMsgId", required=False),
        to=_matching(fields, "to", "[0-9]+", "must be digits"),
        from_=_text(fields, "from", required=False) or "",
        timestamp=moment,
        status=int(_matching(fields, "status", "[0-9]{1,4}", "must be a status number")),
        charge=Decimal(charge),
    )


def _form(pairs: list[tuple[str, str]], *, encoding: str = "utf-8") -> str:
    return "&".join(f"{key}={quote_plus(value, encoding=encoding)}" for key, value in pairs)


# Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: str) -> str:
    bad = _NOT_XML.search(value)
    if bad is not None:
        raise ValueError(f"{bad.group()!r} cannot be written in XML; use an HTTP style")
    # A carriage return would be read back as a line feed unless written as a reference.
    return escape(value, {"\r": "&#13;"})


def _xml_document(root: str, pairs: list[tuple[str, str]], *, soap: str | None) -> str:
    body = "".join(f"<{key}>{_xml_text(value)}</{key}>" for key, value in pairs)
    if soap is None:
        return f'<?xml version="1.0"?><{root}>{body}</{root}>'
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
        f'<SOAP-ENV:Body><tns:{root} xmlns:tns="{soap}">{body}</tns:{root}>'
        "</SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )


def _styled(
    style: CallbackStyle,
    pairs: list[tuple[str, str]],
    xml_root: str,
    soap: tuple[str, str],
    lower: Callable[[str], str],
) -> str:
    if style not in CALLBACK_STYLES:
        raise ValueError(f"style must be one of {', '.join(CALLBACK_STYLES)}, not {style!r}")
    if style.startswith("http"):
        return _form(pairs)
    if style.startswith("xml"):
        document = _xml_document(xml_root, pairs, soap=None)
    else:
        soap_root, namespace = soap
        lowered = [(lower(key), value) for key, value in pairs]
        document = _xml_document(soap_root, lowered, soap=namespace)
    return "data=" + quote_plus(document)


def _plain_charge(charge: Decimal) -> str:
    """``charge`` written plainly, once it is known to be short (see render_status_callback)."""
    if not (
        charge.is_finite()
        and not charge.is_signed()
        and charge.adjusted() < MAX_CHARGE_DIGITS
        and int(charge.as_tuple().exponent) >= -MAX_CHARGE_DIGITS
    ):
        raise ValueError(
            f"charge {str(charge)[:40]} is not a plain non-negative decimal of at most "
            f"{MAX_CHARGE_DIGITS} digits each side of the point"
        )
    return format(charge, "f")


def render_status_callback(value: StatusCallback, style: CallbackStyle = "http_get") -> str:
    """Write a status callback as the server sends it: the query string (GET styles) or the form
    body (POST styles); XML and SOAP travel in the ``data`` parameter.  An ``api_id`` of
    ``None`` is left out.

    Raises:
        ValueError: an unknown style, or a charge that is not a plain non-negative decimal of at
            most ``MAX_CHARGE_DIGITS`` digits each side of the point (checked before anything
            is written: ``Decimal("1e200000000")`` would be a 200 MB string).
    """
    pairs = [
        *([("api_id", value.api_id)] if value.api_id is not None else []),
        ("apiMsgId", value.apimsgid),
        ("cliMsgId", value.climsgid or ""),
        ("timestamp", str(int(value.timestamp.timestamp()))),
        ("to", value.to),
        ("from", value.from_),
        ("status", f"{value.status:03d}"),
        ("charge", _plain_charge(value.charge)),
    ]
    return _styled(style, pairs, "callback", ("mt_callback", "mt_callback"), str.lower)


def callback_request(
    url: str,
    payload: str,
    style: CallbackStyle,
    *,
    username: str | None = None,
    password: str | None = None,
) -> HttpRequest:
    """The HTTP request that delivers a rendered callback ``payload`` to ``url``.

    GET styles put the payload in the query string, POST styles in a form body. ``username`` and
    ``password`` add the optional HTTP basic authentication of PROTOCOL.md §7.
    """
    import base64

    headers: list[tuple[str, str]] = []
    if username is not None and password is not None:
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        headers.append(("Authorization", f"Basic {token}"))
    if style.endswith("_get"):
        separator = "&" if "?" in url else "?"
        return HttpRequest("GET", f"{url}{separator}{payload}", tuple(headers))
    headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    return HttpRequest("POST", url, tuple(headers), payload.encode("ascii"))


# ------------------------------------------------------------------------------ incoming messages

_CHARSETS: Final = {
    "": "latin-1",
    "iso-8859-1": "latin-1",
    "latin-1": "latin-1",
    "utf-16be": "utf-16-be",
    "utf-16": "utf-16",
    "ucs-2": "utf-16-be",
    "ucs2": "utf-16-be",
    "utf-8": "utf-8",
}
_MO_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]?([0-9]{2}):([0-9]{2}):([0-9]{2})")


@functools.cache
def _codec_names() -> frozenset[str]:
    """Every name Python's codec search can resolve: its aliases and its codec modules."""
    modules = {module.name for module in pkgutil.iter_modules(encodings.__path__)}
    return (
        frozenset(encodings.aliases.aliases)
        | frozenset(encodings.aliases.aliases.values())
        | (frozenset(modules))
    )


def _codec_name_known(charset: str) -> bool:
    """Whether ``charset`` names a codec, normalized as the codec search normalizes it."""
    if len(charset) > 64:
        return False
    normalized = encodings.normalize_encoding(charset.strip()).lower()
    names = _codec_names()
    return normalized in names or normalized.replace(".", "_") in names


def _codec(charset: str) -> str:
    """The Python codec of a callback's ``charset``.  ``utf-16`` (no byte order named) stands
    for :func:`_decode`'s reading: the byte-order mark when there is one, else big-endian."""
    name = _CHARSETS.get(charset.strip().lower())
    if name is not None:
        return name
    info = None
    # Only a name of a codec Python has reaches codecs.lookup: it remembers every name it is
    # asked, misses too, so names from the network would grow its cache without bound.
    if _codec_name_known(charset):
        try:
            info = codecs.lookup(charset)
        except (LookupError, ValueError):
            info = None
    # Codecs that are not text encodings (base64, rot13, zlib, ...) are refused; asking the codec
    # is the only sure test: Python decodes b"" with any codec without looking at it.
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise CallbackError("charset", f"unknown character set {charset[:40]!r}")
    return info.name


def _decode(raw: bytes, codec: str) -> str:
    """``raw`` decoded with ``codec`` (from :func:`_codec`).

    UTF-16 with no byte order named honours a byte-order mark (big- or little-endian) and is
    otherwise big-endian, as the two-way guide says; Python's own ``utf-16`` would read
    unmarked text in the machine's order, and a big-endian reading of a little-endian mark
    turns the whole text to garbage.

    Raises:
        UnicodeError: ``raw`` is not valid in the codec.
    """
    if codec == "utf-16":
        if raw.startswith(codecs.BOM_UTF16_LE):
            return raw[2:].decode("utf-16-le")
        if raw.startswith(codecs.BOM_UTF16_BE):
            return raw[2:].decode("utf-16-be")
        return raw.decode("utf-16-be")
    return raw.decode(codec)


def _is_utf16(charset: str) -> bool:
    """Whether ``charset`` is UTF-16 with no byte order named (a mark may give it)."""
    try:
        return _codec(charset) == "utf-16"
    except CallbackError:
        return False


def _join_utf16(parts: list[bytes]) -> bytes:
    """The UTF-16 parts of one message as one text's bytes: each part may start with a
    byte-order mark, which would otherwise stay in the middle of the joined text. The first
    part's mark (or its absence: big-endian) decides the order of all; the others' marks go."""
    marks = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    lead = next((mark for mark in marks if parts[0].startswith(mark)), b"")
    body = (part[2:] if part.startswith(marks) else part for part in parts)
    return lead + b"".join(body)


def _encode(text: str, codec: str) -> bytes:
    """``text`` in ``codec``; UTF-16 with no byte order named is written big-endian, unmarked."""
    return text.encode("utf-16-be" if codec == "utf-16" else codec)


def _mo_time(text: str) -> datetime:
    match = _MO_TIME.fullmatch(text.strip())
    if match is None:
        raise CallbackError("timestamp", f"must be YYYY-MM-DD HH:MM:SS, got {text[:40]!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=MO_TIMEZONE)
    except ValueError as error:
        raise CallbackError("timestamp", f"{text[:40]!r} is not a date: {error}") from None
    try:
        return local.astimezone(UTC)
    except OverflowError:
        # 0001-01-01 00:00 at UTC+02:00 is before the first moment a datetime can hold in UTC.
        raise CallbackError("timestamp", f"{text[:40]!r} is out of range") from None


def parse_mo_callback(
    payload: str | bytes | Mapping[str, Any], *, content_type: str | None = None
) -> IncomingMessage | CallbackUrlCheck:
    """Read an incoming-message callback in any of the six delivery styles.

    In the HTTP styles ``text`` carries the message's bytes, percent-encoded, in ``charset``
    (ISO-8859-1, UTF-16BE, UTF-8, ...): pass the raw query string or body so that the bytes
    are read exactly. In the XML and SOAP styles the text is the element's character data. A
    mapping's ``str`` values are taken as already decoded text; ``bytes`` values as raw bytes.

    Returns:
        The :class:`IncomingMessage`, or :class:`CallbackUrlCheck` for the parameterless check.

    Raises:
        CallbackError: a missing or malformed field (named in ``.field``), an unknown charset,
            text that is not valid in its charset, or unacceptable XML.
    """
    fields, from_xml = _fields(payload, content_type)
    if not fields:
        return CallbackUrlCheck()
    charset = _text(fields, "charset", required=False) or "ISO-8859-1"
    codec = _codec(charset)
    raw = _lookup(fields, "text")
    if raw is None:
        raise CallbackError("text", "missing")
    text_is_decoded = from_xml or (
        isinstance(payload, Mapping) and isinstance(_lookup_payload(payload, "text"), str)
    )
    if text_is_decoded:
        text = raw.decode("utf-8")
        try:
            raw_text = _encode(text, codec)
        except UnicodeError:
            raise CallbackError("text", f"cannot be written in {charset}") from None
    else:
        raw_text = raw
        try:
            text = _decode(raw_text, codec)
        except UnicodeError as error:
            reason = getattr(error, "reason", str(error))
            raise CallbackError("text", f"is not valid {charset} ({reason})") from None
    udh = _text(fields, "udh", required=False) or ""
    if udh and re.fullmatch("(?:[0-9A-Fa-f]{2})+", udh) is None:
        raise CallbackError("udh", f"must be hex digits in pairs, got {udh[:40]!r}")
    timestamp = _text(fields, "timestamp")
    assert timestamp is not None
    return IncomingMessage(
        api_id=_matching(fields, "api_id", "[0-9]+", "must be digits"),
        momsgid=_matching(fields, "moMsgId", "[0-9A-Fa-f]{32}", "must be 32 hex digits"),
        from_=_text(fields, "from") or "",
        to=_text(fields, "to") or "",
        timestamp=_mo_time(timestamp),
        charset=charset,
        udh=udh,
        text=text,
        raw_text=raw_text,
    )


def _lookup_payload(payload: Mapping[str, Any], name: str) -> Any:
    for key, value in payload.items():
        if str(key).lower() == name:
            return value[0] if isinstance(value, list | tuple) and value else value
    return None


def render_mo_callback(value: IncomingMessage, style: CallbackStyle = "http_post") -> str:
    """Write an incoming-message callback as the server sends it (query string or form body).

    In the HTTP styles the text goes as its raw bytes, percent-encoded; in XML and SOAP as
    character data.

    Raises:
        ValueError: an unknown style.
    """
    local = value.timestamp.astimezone(MO_TIMEZONE)
    # Written field by field: strftime("%Y") gives year 389 as "389", not the four digits read.
    stamp = (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )
    head = [
        ("api_id", value.api_id),
        ("moMsgId", value.momsgid),
        ("from", value.from_),
        ("to", value.to),
        ("timestamp", stamp),
        ("charset", value.charset),
        ("udh", value.udh),
    ]
    if style.startswith("http"):
        if style not in CALLBACK_STYLES:
            raise ValueError(f"style must be one of {', '.join(CALLBACK_STYLES)}, not {style!r}")
        return _form(head) + "&text=" + quote(value.raw_text, safe="")
    return _styled(
        style, [*head, ("text", value.text)], "clickmo", ("mo_callback", "clickatell_mo"), str.lower
    )


# ------------------------------------------------------------------------------ reassembly


def _concatenation(udh: str) -> tuple[int, int, int, bool] | None:
    """``(reference, total, sequence, 16-bit)`` from a concatenation header, else ``None``."""
    try:
        data = bytes.fromhex(udh)
    except ValueError:
        return None
    if not data:
        return None
    length = data[0]
    elements = data[1 : 1 + length]
    index = 0
    while index + 2 <= len(elements):
        kind, size = elements[index], elements[index + 1]
        body = elements[index + 2 : index + 2 + size]
        if kind == 0x00 and size == 3 and len(body) == 3:
            return body[0], body[1], body[2], False
        if kind == 0x08 and size == 4 and len(body) == 4:
            return (body[0] << 8) | body[1], body[2], body[3], True
        index += 2 + size
    return None


@dataclasses.dataclass
class _Pending:
    first_seen: datetime
    total: int
    parts: dict[int, IncomingMessage]


class MoReassembler:
    """Joins incoming messages that arrive in several parts (concatenation UDH).

    Parts may come in any order; duplicates are ignored. At most ``max_pending`` incomplete
    messages are kept (the oldest is dropped first), and an incomplete message is dropped
    ``expiry`` after its first part arrived. ``clock`` gives the current time (aware), so tests
    and servers control it; ``dropped`` counts the incomplete messages given up.

    Not thread-safe: give each thread its own, or guard calls with a lock.
    """

    def __init__(
        self,
        *,
        max_pending: int = 1000,
        expiry: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.max_pending = max_pending
        self.expiry = expiry
        self.clock = clock
        self.dropped = 0
        self._pending: OrderedDict[tuple[Any, ...], _Pending] = OrderedDict()

    def __len__(self) -> int:
        """The number of incomplete messages held."""
        return len(self._pending)

    def add(self, message: IncomingMessage) -> IncomingMessage | None:
        """Take one part; return the whole message once its last part is in, else ``None``.

        A message without a concatenation header (or with a total of one part) comes straight
        back. A part whose header is malformed (sequence 0, or beyond the total) comes back
        unjoined rather than being lost.
        """
        now = self.clock()
        self._expire(now)
        header = _concatenation(message.udh)
        if header is None:
            return message
        reference, total, sequence, wide = header
        if total <= 1 or not 1 <= sequence <= total:
            return message
        key = (message.api_id, message.from_, message.to, reference, total, wide)
        pending = self._pending.get(key)
        if pending is None:
            pending = _Pending(now, total, {})
            self._pending[key] = pending
            while len(self._pending) > self.max_pending:
                self._pending.popitem(last=False)
                self.dropped += 1
        pending.parts.setdefault(sequence, message)
        if len(pending.parts) < total:
            return None
        del self._pending[key]
        return self._join([pending.parts[n] for n in range(1, total + 1)])

    def _expire(self, now: datetime) -> None:
        while self._pending:
            key, oldest = next(iter(self._pending.items()))
            if now - oldest.first_seen < self.expiry:
                break
            del self._pending[key]
            self.dropped += 1

    @staticmethod
    def _join(parts: list[IncomingMessage]) -> IncomingMessage:
        first = parts[0]
        raw = b"".join(part.raw_text for part in parts)
        same = all(part.charset == first.charset for part in parts)
        if same and _is_utf16(first.charset):
            raw = _join_utf16([part.raw_text for part in parts])
        if same:
            try:
                text = _decode(raw, _codec(first.charset))
            except UnicodeError:
                text = "".join(part.text for part in parts)
        else:
            text = "".join(part.text for part in parts)
        return dataclasses.replace(
            first, udh="", text=text, raw_text=raw, timestamp=parts[-1].timestamp
        )
