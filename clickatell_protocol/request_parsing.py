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
from .requests import COMMANDS, ERROR_TYPE, Request, SendItem, _Broken, _msisdn

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
    try:
        return parse_qsl(query, keep_blank_values=True, encoding="latin-1", errors="strict")
    except ValueError as exc:  # pragma: no cover - latin-1 decodes every byte
        raise RequestRejected(101, f"the {where} is not URL-encoded: {exc}") from None


@functools.cache
def _wire_names(model: type[Request]) -> dict[str, str]:
    """Field name by wire name, for one model (built once per model, not per request)."""
    names: dict[str, str] = {}
    for name, field in model.model_fields.items():
        names[field.alias or name] = name
        if name == "climsgid":
            names["cliMsgId"] = name
    return names


def _model_input(model: type[Request], pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Map wire parameters to model input, refusing unknown and repeated ones."""
    wire_names = _wire_names(model)
    data: dict[str, Any] = {}
    seen: set[str] = set()
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in seen:
            raise RequestRejected(101, f"parameter {key[:40]!r} is given twice", parameter=key)
        seen.add(key)
        field_match = _FIELD_PARAMETER.fullmatch(key)
        if model is SendItem and field_match:
            fields[field_match.group(1)] = value
            continue
        known = wire_names.get(key)
        if known is None:
            raise RequestRejected(
                101, f"{model.command} takes no parameter {key[:40]!r}", parameter=key[:40]
            )
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
    return data


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
    limits: Limits = DEFAULT_LIMITS,
    now: datetime | None = None,
    max_bytes: int = MAX_REQUEST_BYTES,
) -> Request:
    """Validate an incoming request as a Clickatell server does.

    Args:
        method: the HTTP method; ``GET`` reads the query string (a body is ignored), ``POST``
            reads the form body and also any query string.
        url: the request target: an absolute URL or a path with its query.
        body: the ``application/x-www-form-urlencoded`` body of a POST.
        limits: the limits profile to validate against.
        now: the clock for ``scheduled_time`` (an aware datetime; default: the current time).
        max_bytes: the largest URL plus body read (default 1 MiB; 300 recipients and a
            three-part text take a few kilobytes).

    Returns:
        The request model of the command the path names.

    Raises:
        UnknownEndpoint: the path names no command (answer HTTP 404).
        RequestRejected: anything else wrong; ``.code`` and ``.to_wire()`` are the server's answer.
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
    data = _model_input(model, pairs)
    context: Mapping[str, Any] = {"limits": limits, "now": now, "method": verb}
    try:
        return model.model_validate(data, context=context)
    except ValidationError as error:
        rejected = _rejection(model, error)
    if rejected.code == 105 and rejected.parameter == "to":
        _keep_valid_recipients(rejected, model, data, context)
    raise rejected


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
            invalid[position] = number.strip()
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
