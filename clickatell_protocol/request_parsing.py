"""Server side of requests: method, URL and body in; a request model or the ``ERR:`` answer out."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from pydantic import ValidationError

from .errors import RequestRejected, UnknownEndpoint
from .limits import DEFAULT_LIMITS, Limits
from .requests import (
    COMMANDS,
    ERROR_TYPE,
    Request,
    RequestExtra,
    SendItem,
    _Broken,
    _is_secret_name,
    _msisdn,
)

__all__ = ["command_for_path", "parse_request"]

# Each command lives under one group of paths (PROTOCOL.md §1).
_GROUPS: Final = {
    "http": (
        "auth",
        "ping",
        "sendmsg",
        "querymsg",
        "delmsg",
        "getbalance",
        "getmsgcharge",
        "token_pay",
    ),
    "http_batch": ("startbatch", "senditem", "quicksend", "endbatch"),
    "utils": ("routeCoverage",),
    "mms": ("si_push", "ind_push"),
}
_ROUTES: Final = {
    (group, command.lower()): COMMANDS[command]
    for group, commands in _GROUPS.items()
    for command in commands
}
MAX_REQUEST_BYTES: Final = 1024 * 1024
"""Default size limit of :func:`parse_request`."""
_FIELD_PARAMETER: Final = re.compile(r"field([1-9][0-9]{0,5})")

UTF_8: Final = "UTF-8"
ISO_8859_1: Final = "ISO-8859-1"
# The charsets a request may name (PROTOCOL.md §1), by their names with case, '-', '_', ' ',
# '.' and ':' left out: the usual IANA names and aliases.
_CHARSETS: Final = {
    "utf8": UTF_8,
    "iso88591": ISO_8859_1,
    "iso885911987": ISO_8859_1,
    "latin1": ISO_8859_1,
    "l1": ISO_8859_1,
    "isoir100": ISO_8859_1,
    "isolatin1": ISO_8859_1,
    "csisolatin1": ISO_8859_1,
    "cp819": ISO_8859_1,
    "ibm819": ISO_8859_1,
}
_CHARSET_PUNCTUATION: Final = re.compile(r"[-_ .:]")


def command_for_path(path: str) -> type[Request]:
    """Return the request model for a URL path.

    The last two segments decide (``/http/sendmsg``), so a server mounted under a prefix works;
    case does not matter and a ``.php`` suffix or a trailing slash is allowed, as on the real
    service.

    Raises:
        UnknownEndpoint: no command lives at ``path`` (a server answers 404).
    """
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) >= 2:
        group, name = segments[-2].lower(), segments[-1].lower()
        name = name.removesuffix(".php")
        model = _ROUTES.get((group, name))
        if model is not None:
            return model
    raise UnknownEndpoint(101, f"no command at path {path[:80]!r}", parameter=None)


def _parameters(query: str, *, where: str) -> list[tuple[str, str]]:
    """The pairs of a query or form, percent-decoded to one character per byte (ISO-8859-1);
    :func:`_decode` then reads them in the request's charset."""
    try:
        return parse_qsl(query, keep_blank_values=True, encoding="latin-1", errors="strict")
    except ValueError as exc:  # pragma: no cover - latin-1 decodes every byte
        raise RequestRejected(101, f"the {where} is not URL-encoded: {exc}") from None


def _charset_name(name: str, *, where: str) -> str | None:
    """The charset a name means (``UTF-8`` or ``ISO-8859-1``); ``None`` for an empty name.

    Raises:
        RequestRejected: 101, any other charset.
    """
    if not name.strip():
        return None
    charset = _CHARSETS.get(_CHARSET_PUNCTUATION.sub("", name.lower()))
    if charset is None:
        raise RequestRejected(
            101,
            f"{where} {name[:40]!r} is not supported: a request is {UTF_8} or {ISO_8859_1}",
            parameter="charset",
        )
    return charset


def _content_type_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, as written (quotes removed)."""
    if not content_type:
        return None
    for piece in content_type.split(";")[1:]:
        name, _, value = piece.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').strip()
    return None


def _request_charset(pairs: list[tuple[str, str]], content_type: str | None) -> str:
    """The charset of a request: its ``charset`` parameter and its Content-Type's charset,
    which must agree when both are given; ISO-8859-1 when neither is (PROTOCOL.md §1).

    Raises:
        RequestRejected: 101 for an unsupported charset, a repeated parameter or a disagreement.
    """
    values = [value for key, value in pairs if key == "charset"]
    if len(values) > 1:
        raise RequestRejected(101, "parameter 'charset' is given twice", parameter="charset")
    header = _content_type_charset(content_type)
    from_header = _charset_name(header, where="the Content-Type charset") if header else None
    from_parameter = _charset_name(values[0], where="the charset parameter") if values else None
    if from_header and from_parameter and from_header != from_parameter:
        raise RequestRejected(
            101,
            f"the charset parameter {values[0][:40]!r} disagrees with the Content-Type charset "
            f"{(header or '')[:40]!r}",
            parameter="charset",
        )
    return from_parameter or from_header or ISO_8859_1


def _as_bytes(text: str) -> bytes:
    """The bytes a percent-decoded value stands for: each character up to U+00FF is one byte
    (WSGI hands requests over that way); a character beyond it came from a ``str`` the caller
    wrote as text, and stands for its UTF-8 encoding."""
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return b"".join(
            # "surrogatepass": a lone surrogate becomes bytes no charset reads, so it is refused
            # with 101 like any other invalid byte, never replaced silently.
            char.encode("latin-1") if ord(char) <= 0xFF else char.encode("utf-8", "surrogatepass")
            for char in text
        )


def _decode(pairs: list[tuple[str, str]], charset: str) -> list[tuple[str, str]]:
    """The pairs read in the request's charset (ISO-8859-1 pairs are already read).

    Raises:
        RequestRejected: 101, a name or value whose bytes are not valid in the charset.
    """
    if charset == ISO_8859_1:
        return pairs
    decoded: list[tuple[str, str]] = []
    for key, value in pairs:
        try:
            name = _as_bytes(key).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestRejected(
                101, f"a parameter name is not valid {charset}: byte {exc.start + 1} of it"
            ) from None
        try:
            text = _as_bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            raw = _as_bytes(value)
            # The offending byte is shown unless the value is a secret.
            shown = "" if _is_secret_name(name) else f" (0x{raw[exc.start]:02X})"
            raise RequestRejected(
                101,
                f"{name[:40]}: byte {exc.start + 1}{shown} is not valid {charset}, the request's "
                "charset",
                parameter=name[:40],
            ) from None
        decoded.append((name, text))
    return decoded


@functools.cache
def _wire_names(model: type[Request]) -> dict[str, str]:
    """Field name by wire name, for one model (built once per model, not per request)."""
    names: dict[str, str] = {}
    for name, field in model.model_fields.items():
        names[field.alias or name] = name
        if name == "climsgid":
            names["cliMsgId"] = name
    return names


def _model_input(
    model: type[Request], pairs: list[tuple[str, str]], *, strict: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Map wire parameters to model input and extras, refusing repeated ones (and, when
    ``strict``, the ones the command does not define)."""
    wire_names = _wire_names(model)
    data: dict[str, Any] = {}
    extra: dict[str, str] = {}
    seen: set[str] = set()
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in seen:
            raise RequestRejected(101, f"parameter {key[:40]!r} is given twice", parameter=key[:40])
        seen.add(key)
        if key == "charset":  # understood: it chose how the request was decoded
            continue
        field_match = _FIELD_PARAMETER.fullmatch(key)
        if model is SendItem and field_match:
            fields[field_match.group(1)] = value
            continue
        known = wire_names.get(key)
        if known is None:
            if strict:
                raise RequestRejected(
                    101, f"{model.command} takes no parameter {key[:40]!r}", parameter=key[:40]
                )
            # Ignored as the real service does, but kept for gateways (PROTOCOL.md §1).
            extra[key] = value
            continue
        name = known
        if name in data:
            raise RequestRejected(101, f"parameter {key!r} is given twice", parameter=key)
        field = model.model_fields[name]
        # An empty optional parameter means "not given", as on the real service.
        if value == "" and not field.is_required():
            continue
        data[name] = value
    if fields:
        data["fields"] = fields
    return data, extra


def _rejection(model: type[Request], error: ValidationError) -> RequestRejected:
    """Translate the first broken rule into the answer a server gives."""
    for detail in error.errors(include_input=False):
        context = detail.get("ctx") or {}
        if detail["type"] == ERROR_TYPE:
            return RequestRejected(
                int(context["code"]),
                f"{context['parameter']}: {context['rule']}",
                parameter=str(context["parameter"]),
            )
    first = error.errors(include_input=False)[0]
    location = ".".join(str(part) for part in first["loc"]) or model.command
    return RequestRejected(101, f"{location}: {first['msg']}", parameter=location)


def parse_request(
    method: str,
    url: str,
    body: bytes | str = b"",
    *,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    now: datetime | None = None,
    max_bytes: int = MAX_REQUEST_BYTES,
    strict: bool = False,
) -> Request:
    """Validate an incoming request as a Clickatell server does.

    Parameters the command does not define are ignored, as the real service ignores them, and
    kept on the value's :attr:`~Request.extra` (PROTOCOL.md §1).  A repeated parameter is
    refused.  Percent-decoded bytes are read in the request's charset: its ``charset``
    parameter or the ``charset`` of ``content_type`` (they must agree), ``UTF-8`` or
    ``ISO-8859-1`` (the default), with their common aliases.  With ``UTF-8`` a plain text may
    hold the GSM characters ISO-8859-1 lacks (``€``).  A ``str`` URL or body stands for its
    bytes as ISO-8859-1, as WSGI hands them over.

    Args:
        method: the HTTP method; ``GET`` reads the query string (a body is ignored), ``POST``
            reads the form body and also any query string.
        url: the request target: an absolute URL or a path with its query.
        body: the ``application/x-www-form-urlencoded`` body of a POST.
        content_type: the request's ``Content-Type`` header, for its ``charset``.
        limits: the limits profile to validate against.
        now: the clock for ``scheduled_time`` (an aware datetime; default: the current time).
        max_bytes: the largest URL plus body read (default 1 MiB; 300 recipients and a
            three-part text take a few kilobytes).
        strict: refuse parameters the command does not define (101 naming the first one),
            for SDK authors checking their own traffic; ``charset`` is defined.

    Returns:
        The request model of the command the path names, with :attr:`~Request.extra`.

    Raises:
        UnknownEndpoint: the path names no command (answer HTTP 404).
        RequestRejected: anything else wrong; ``.code`` and ``.to_wire()`` are the server's
            answer.  An unsupported charset, bytes not valid in the charset, a ``charset``
            parameter that disagrees with the Content-Type, and (when ``strict``) an undefined
            parameter are 101.
    """
    size = len(url) + (len(body) if isinstance(body, bytes | bytearray | str) else 0)
    if size > max_bytes:
        raise RequestRejected(101, f"request of {size} bytes is over the {max_bytes} limit")
    verb = method.upper() if isinstance(method, str) else ""
    if verb not in ("GET", "POST"):
        raise RequestRejected(101, f"method {str(method)[:10]!r}: the API takes GET or POST")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise RequestRejected(101, f"the URL cannot be read: {exc}") from None
    model = command_for_path(parts.path)
    pairs = _parameters(parts.query, where="query string")
    if verb == "POST":
        text = body.decode("latin-1") if isinstance(body, bytes | bytearray) else body
        pairs += _parameters(text, where="body")
    charset = _request_charset(pairs, content_type)
    data, extra = _model_input(model, _decode(pairs, charset), strict=strict)
    context: Mapping[str, Any] = {
        "limits": limits,
        "now": now,
        "method": verb,
        "charset": charset,
    }
    try:
        return _with_extra(model.model_validate(data, context=context), extra)
    except ValidationError as error:
        rejected = _rejection(model, error)
    if rejected.code == 105 and rejected.parameter == "to":
        _keep_valid_recipients(rejected, model, data, context)
        if rejected.partial is not None:
            rejected.partial = _with_extra(rejected.partial, extra)
    raise rejected


def _with_extra(request: Request, extra: dict[str, str]) -> Request:
    """The request with its extras attached (the model stays frozen to everyone else)."""
    if extra:
        request._extra = RequestExtra(extra)
    return request


# A well-formed number that stands in for the recipients while the rest of a request whose
# recipients are all invalid is validated; it never reaches the result.
_STAND_IN: Final = "1000000"


def _keep_valid_recipients(
    rejected: RequestRejected,
    model: type[Request],
    data: dict[str, Any],
    context: Mapping[str, Any],
) -> None:
    """Several recipients, some invalid: fill ``rejected.invalid_recipients`` and
    ``rejected.partial`` when the request is otherwise valid, as the real service sends to the
    valid recipients and answers each invalid one on its own line."""
    numbers = str(data.get("to", "")).split(",")
    if len(numbers) < 2 or len(numbers) > context["limits"].max_recipients(context["method"]):
        return
    invalid: dict[int, str] = {}
    valid: list[str] = []
    for position, number in enumerate(numbers):
        try:
            valid.append(_msisdn(number))
        except _Broken:
            invalid[position] = number
    if not invalid:
        return
    try:
        partial = model.model_validate(
            {**data, "to": ",".join(valid) or _STAND_IN}, context=context
        )
    except ValidationError:
        return  # something else is wrong too: the request is refused as a whole
    rejected.invalid_recipients = invalid
    rejected.partial = partial if valid else partial.model_copy(update={"to": []})
