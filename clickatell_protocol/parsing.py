"""Response parsing: the Lark grammar in ``grammar/`` turned into typed values.

Design (measured in ``benchmarks/``): the grammar is the single source of truth.  It is built once,
lazily, with LALR.  Because a Lark parse of a long per-recipient body is several times slower than
a plain regular expression, each line form also gets a *line matcher*: a regular expression
assembled from the grammar's own terminals (their patterns are read from the built parser, never
written twice), following the shape of the grammar rule it mirrors.  A body that every line
matcher accepts is built straight into values; anything else goes through the Lark parser, which
yields either the same values or the precise :class:`ResponseSyntaxError`.  A differential
property test holds the two paths to the same answer on every input, valid or not.

Lark errors are translated in exactly one place, :func:`_syntax_error`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Final

from lark import Lark, Token, Transformer, UnexpectedInput
from lark.exceptions import LarkError, VisitError
from pydantic import SecretStr

from .errors import ProtocolError
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
    retry_after_from,
)

__all__ = ["RESPONSE_COMMANDS", "ResponseSyntaxError", "grammar_text", "parse_response"]

# Command names as PROTOCOL.md §2 writes them, mapped to the grammar's start rule.
RESPONSE_COMMANDS: Final = {
    "auth": "auth",
    "ping": "ping",
    "sendmsg": "sendmsg",
    "querymsg": "querymsg",
    "delmsg": "delmsg",
    "getbalance": "getbalance",
    "getmsgcharge": "getmsgcharge",
    "token_pay": "token_pay",
    "routeCoverage": "routecoverage",
    "routecoverage": "routecoverage",
    "startbatch": "startbatch",
    "senditem": "senditem",
    "quicksend": "quicksend",
    "endbatch": "endbatch",
    "si_push": "si_push",
    "ind_push": "ind_push",
}
_SEND_STARTS: Final = frozenset({"sendmsg", "senditem", "quicksend", "si_push", "ind_push"})
_STARTS: Final = sorted(set(RESPONSE_COMMANDS.values()))

# What each terminal is, in words, for error messages.
_TERMINAL_WORDS: Final = {
    "OK_KEY": '"OK: "',
    "PING_OK": '"OK:"',
    "ENDBATCH_OK": '"OK"',
    "ID_KEY": '"ID: "',
    "ERR_KEY": '"ERR: "',
    "CREDIT_KEY": '"Credit: "',
    "CHARGE_ID_KEY": '"apiMsgId: "',
    "_STATUS_SEP": '" Status: "',
    "_STATUS_LC": '" status: "',
    "_CHARGE_LC": '" charge: "',
    "_CHARGE_UC": '" Charge: "',
    "_TO": '" To:"',
    "_COMMA": '", " after the error code',
    "_SP": "a space",
    "_NL": "a line break",
    "SESSION_ID": "a session id of 32 hex digits",
    "MSG_ID": "a message id of 32 hex digits",
    "CODE": "a three-digit error code",
    "STATUS": "a three-digit status",
    "DECIMAL": "a decimal number",
    "CHARGE": "a decimal charge",
    "MSISDN": "a phone number (digits)",
    "TOKEN_VALUE": "the voucher value",
    "DESCRIPTION": "an error description",
    "COVERAGE_TEXT": "the coverage sentence",
    "$END": "the end of the body",
}


class ResponseSyntaxError(ProtocolError):
    """A response body that does not follow the protocol.

    Attributes:
        command: the command whose response was parsed.
        line: 1-based line of the problem.
        column: 1-based column of the problem.
        text: the offending text (at most 40 characters of it).
        expected: what could have stood there, in words.
        context: the line with a caret under the column.
    """

    def __init__(
        self,
        command: str,
        line: int,
        column: int,
        text: str,
        expected: Sequence[str],
        context: str,
        reason: str | None = None,
    ) -> None:
        self.command = command
        self.line = line
        self.column = column
        self.text = text
        self.expected = tuple(expected)
        self.context = context
        if reason is None:
            found = repr(text) if text else "the end of the body"
            wanted = " or ".join(self.expected) if self.expected else "nothing more"
            reason = f"found {found}, expected {wanted}"
        self.reason = reason
        super().__init__(f"{command} response, line {line}, column {column}: {reason}\n{context}")


def _context(body: str, line: int, column: int) -> str:
    lines = body.splitlines() or [""]
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    start = max(0, column - 1 - 30)
    snippet = source[start : start + 60]
    return f"{snippet}\n{' ' * (column - 1 - start)}^"


def grammar_text(name: str = "responses.lark") -> str:
    """Return the text of a grammar file, from the installed package or the source tree.

    Raises:
        FileNotFoundError: the grammar is in neither place (a broken installation).
    """
    packaged = resources.files("clickatell_protocol").joinpath("grammar", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    source = Path(__file__).resolve().parent.parent / "grammar" / name
    return source.read_text(encoding="utf-8")


@functools.cache
def lark_parser(lenient: bool = False) -> Lark:
    """The LALR parser of the strict (or lenient) grammar, built on first use."""
    text = grammar_text("responses.lark")
    if lenient:
        text += "\n" + grammar_text("lenient.lark")
    return Lark(text, parser="lalr", start=_STARTS, maybe_placeholders=True)


def _words(names: Sequence[str] | set[str]) -> list[str]:
    return sorted({_TERMINAL_WORDS.get(name, name.strip("_").lower()) for name in names})


def _syntax_error(command: str, body: str, error: UnexpectedInput) -> ResponseSyntaxError:
    """The one place where a Lark error becomes a :class:`ResponseSyntaxError`."""
    line = max(1, int(getattr(error, "line", 1) or 1))
    column = max(1, int(getattr(error, "column", 1) or 1))
    pos = getattr(error, "pos_in_stream", None)
    token = getattr(error, "token", None)
    if isinstance(token, Token) and token.type == "$END":
        text = ""
        lines = body.splitlines() or [""]
        line = len(lines)
        column = len(lines[-1]) + 1
    elif isinstance(pos, int) and pos >= 0:
        text = body[pos : pos + 40].split("\n", 1)[0]
    else:
        text = str(token)[:40] if token is not None else ""
    expected = getattr(error, "expected", None) or getattr(error, "allowed", None) or set()
    return ResponseSyntaxError(
        command, line, column, text, _words(set(expected)), _context(body, line, column)
    )


def _recipient(tree: Any) -> str | None:
    if tree is None:
        return None
    number = tree.children[0] if tree.children else None
    return str(number) if number is not None else ""


class _ToValues(Transformer[Token, Any]):
    """Lark tree → typed values (the slow path; the fast path builds the same values)."""

    def session(self, c: list[Any]) -> AuthOK:
        return AuthOK(session_id=SecretStr(str(c[1])))

    def ping_ok(self, c: list[Any]) -> PingOK:
        return PingOK()

    def message_status(self, c: list[Any]) -> MessageStatus:
        return MessageStatus(apimsgid=str(c[1]), status=int(c[2]))

    def balance(self, c: list[Any]) -> Balance:
        return Balance(credit=Decimal(str(c[1])))

    def message_charge(self, c: list[Any]) -> MessageCharge:
        return MessageCharge(apimsgid=str(c[1]), charge=Decimal(str(c[2])), status=int(c[3]))

    def token_paid(self, c: list[Any]) -> TokenPaid:
        return TokenPaid(value=str(c[1]))

    def coverage_ok(self, c: list[Any]) -> Coverage:
        return Coverage(routable=True, description=str(c[1]), charge=Decimal(str(c[2])))

    def coverage_err(self, c: list[Any]) -> Coverage:
        return Coverage(routable=False, description=str(c[1]))

    def batch_started(self, c: list[Any]) -> BatchStarted:
        return BatchStarted(batch_id=str(c[1]))

    def batch_ended(self, c: list[Any]) -> BatchEnded:
        return BatchEnded()

    def error(self, c: list[Any]) -> ErrorReply:
        code = int(c[1]) if len(c) > 2 and c[1] is not None else None
        description = str(c[-1])
        return ErrorReply(
            code=code, description=description, retry_after=retry_after_from(code, description)
        )

    def accepted(self, c: list[Any]) -> Accepted:
        return Accepted(apimsgid=str(c[1]), to=_recipient(c[2]))

    def rejected(self, c: list[Any]) -> Rejected:
        return Rejected(code=int(c[1]), description=str(c[2]), to=_recipient(c[3]))

    def recipient(self, c: list[Any]) -> Any:
        return _Recipient(c)


class _Recipient:
    __slots__ = ("children",)

    def __init__(self, children: list[Any]) -> None:
        self.children = children


# ------------------------------------------------------------------------------- line matchers


def _terminal(parser: Lark, name: str) -> str:
    return f"(?:{parser.get_terminal(name).pattern.to_regexp()})"


def _anonymous(parser: Lark, literal: str) -> str:
    return re.escape(literal)


@functools.cache
def _matchers() -> dict[str, re.Pattern[str]]:
    """Regular expressions for each line form, assembled from the strict grammar's terminals."""
    p = lark_parser(False)

    def t(name: str) -> str:
        return _terminal(p, name)

    error = f"{t('ERR_KEY')}(?P<code>{t('CODE')}){t('_COMMA')}(?P<desc>{t('DESCRIPTION')})"
    forms = {
        "error": error,
        "session": f"{t('OK_KEY')}(?P<id>{t('SESSION_ID')})",
        "ping_ok": t("PING_OK"),
        "message_status": f"{t('ID_KEY')}(?P<id>{t('MSG_ID')}){t('_STATUS_SEP')}"
        f"(?P<status>{t('STATUS')})",
        "balance": f"{t('CREDIT_KEY')}(?P<amount>{t('DECIMAL')})",
        "message_charge_lc": f"{t('CHARGE_ID_KEY')}(?P<id>{t('MSG_ID')}){t('_CHARGE_LC')}"
        f"(?P<amount>{t('CHARGE')}){t('_STATUS_LC')}(?P<status>{t('STATUS')})",
        "message_charge_uc": f"{t('ID_KEY')}(?P<id>{t('MSG_ID')}){t('_CHARGE_UC')}"
        f"(?P<amount>{t('CHARGE')}){t('_STATUS_SEP')}(?P<status>{t('STATUS')})",
        "token_paid": f"{t('OK_KEY')}(?P<value>{t('TOKEN_VALUE')})",
        "coverage_ok": f"{t('OK_KEY')}(?P<text>{t('COVERAGE_TEXT')}){t('_CHARGE_UC')}"
        f"(?P<amount>{t('CHARGE')})",
        "coverage_err": f"{t('ERR_KEY')}(?P<text>{t('COVERAGE_TEXT')})",
        "batch_started": f"{t('ID_KEY')}(?P<id>{t('MSG_ID')})",
        "batch_ended": t("ENDBATCH_OK"),
    }
    compiled = {name: re.compile(pattern) for name, pattern in forms.items()}
    # One pattern for a per-recipient line: accepted or rejected, told apart by which group
    # matched; "rcp" marks a " To:" even when its number is empty.
    compiled["send_line"] = re.compile(
        f"(?:{t('ID_KEY')}(?P<id>{t('MSG_ID')})|{error})"
        f"(?P<rcp>{t('_TO')}(?:{t('_SP')}(?P<to>{t('MSISDN')})?)?)?"
    )
    return compiled


def _error_value(code: str, description: str) -> ErrorReply:
    number = int(code)
    return ErrorReply(
        code=number, description=description, retry_after=retry_after_from(number, description)
    )


# The single-line forms each start rule accepts, in the grammar's order, with their builders.
Builder = Callable[[re.Match[str]], Response]
_SINGLE_LINE: Final[dict[str, tuple[tuple[str, Builder], ...]]] = {
    "auth": (("session", lambda m: AuthOK(session_id=SecretStr(m["id"]))),),
    "ping": (("ping_ok", lambda m: PingOK()),),
    "querymsg": (
        ("message_status", lambda m: MessageStatus(apimsgid=m["id"], status=int(m["status"]))),
    ),
    "delmsg": (
        ("message_status", lambda m: MessageStatus(apimsgid=m["id"], status=int(m["status"]))),
    ),
    "getbalance": (("balance", lambda m: Balance(credit=Decimal(m["amount"]))),),
    "getmsgcharge": tuple(
        (
            form,
            lambda m: MessageCharge(
                apimsgid=m["id"], charge=Decimal(m["amount"]), status=int(m["status"])
            ),
        )
        for form in ("message_charge_lc", "message_charge_uc")
    ),
    "token_pay": (("token_paid", lambda m: TokenPaid(value=m["value"])),),
    "routecoverage": (
        (
            "coverage_ok",
            lambda m: Coverage(routable=True, description=m["text"], charge=Decimal(m["amount"])),
        ),
        ("coverage_err", lambda m: Coverage(routable=False, description=m["text"])),
    ),
    "startbatch": (("batch_started", lambda m: BatchStarted(batch_id=m["id"])),),
    "endbatch": (("batch_ended", lambda m: BatchEnded()),),
}


def _lines(body: str) -> list[str] | None:
    """Split a body into lines as the grammar does, or ``None`` when it is not that simple."""
    if body.endswith("\n"):
        body = body[:-1]
    lines = body.split("\n")
    if "\r" in body:
        lines = [line[:-1] if line.endswith("\r") else line for line in lines]
        if any("\r" in line for line in lines):
            return None
    return lines


def _fast(start: str, body: str) -> Response | None:
    """Values for a body every line matcher accepts, else ``None`` (the Lark path decides)."""
    lines = _lines(body)
    if lines is None:
        return None
    matchers = _matchers()
    if start in _SEND_STARTS:
        send_line = matchers["send_line"].fullmatch
        results: list[Accepted | Rejected] = []
        append = results.append
        for line in lines:
            match = send_line(line)
            if match is None:
                return None
            apimsgid, code, description, marker, to = match.group("id", "code", "desc", "rcp", "to")
            if marker is not None and to is None:
                to = ""
            if apimsgid is not None:
                append(Accepted(apimsgid=apimsgid, to=to))
            else:
                append(Rejected(code=int(code), description=description, to=to))
        return SendResult(results=tuple(results))
    if len(lines) != 1:
        return None
    (line,) = lines
    for form, build in _SINGLE_LINE[start]:
        match = matchers[form].fullmatch(line)
        if match is not None:
            return build(match)
    match = matchers["error"].fullmatch(line)
    if match is not None:
        return _error_value(match["code"], match["desc"])
    return None


def _slow(start: str, command: str, body: str, lenient: bool) -> Response:
    """The Lark path: values, or the precise syntax error."""
    try:
        tree = lark_parser(lenient).parse(body, start=start)
        children = _ToValues().transform(tree).children
    except UnexpectedInput as error:
        raise _syntax_error(command, body, error) from None
    except (VisitError, LarkError, ValueError, ArithmeticError) as error:
        raise ResponseSyntaxError(
            command, 1, 1, body[:40], (), _context(body, 1, 1), f"unreadable value: {error}"
        ) from None
    if start in _SEND_STARTS:
        return SendResult(results=tuple(children))
    value: Response = children[0]
    return value


def _single_error(result: SendResult) -> ErrorReply | None:
    """A lone ERR line with a code and no To: is the command's error, for any command."""
    if len(result.results) == 1:
        (line,) = result.results
        if isinstance(line, Rejected) and line.to is None:
            return _error_value(str(line.code), line.description)
    return None


def _apply_recipients(
    command: str, body: str, result: SendResult, recipients: Sequence[str], strict: bool
) -> SendResult:
    count = len(result.results)
    relaxed = result.relaxed
    if count != len(recipients):
        message = f"{count} result lines for {len(recipients)} recipients"
        if strict:
            lines = body.splitlines() or [""]
            line = min(count, len(recipients)) + 1 if count < len(recipients) else count
            column = 1
            raise ResponseSyntaxError(
                command,
                min(line, len(lines)),
                column,
                "",
                (),
                _context(body, min(line, len(lines)), column),
                message,
            )
        relaxed = (*relaxed, message)
    filled: list[Accepted | Rejected] = []
    for position, entry in enumerate(result.results):
        if not entry.to and position < len(recipients):
            entry = replace(entry, to=recipients[position])
        filled.append(entry)
    return SendResult(results=tuple(filled), relaxed=relaxed)


def parse_response(
    command: str,
    body: str | bytes,
    *,
    recipients: Sequence[str] | None = None,
    strict: bool = True,
) -> Response:
    """Parse a response body into its typed value.

    Args:
        command: the command the body answers, as PROTOCOL.md §2 names it (``routeCoverage`` also
            in lower case).
        body: the body, as text or as bytes (read as ISO-8859-1, the API's encoding).
        recipients: the request's recipients, in order: they fill an empty or missing ``To:`` by
            position, and in strict mode a different number of lines is a syntax error.
        strict: ``True`` accepts exactly the forms of PROTOCOL.md §2 and §8; ``False`` also the
            forms other implementations emit, recording on ``relaxed`` what it let pass.

    Returns:
        One of the :data:`~clickatell_protocol.responses.Response` values.

    Raises:
        ValueError: ``command`` is not a command of the protocol (a programming error).
        ResponseSyntaxError: the body does not follow the protocol; it names line, column, the
            offending text and what was expected.
    """
    start = RESPONSE_COMMANDS.get(command) if isinstance(command, str) else None
    if start is None:
        known = ", ".join(sorted(RESPONSE_COMMANDS))
        raise ValueError(f"unknown command {str(command)[:40]!r}; expected one of {known}")
    if isinstance(body, bytes | bytearray):
        text = bytes(body).decode("latin-1")
    elif isinstance(body, str):
        text = body
    else:
        raise ResponseSyntaxError(
            command, 1, 1, "", ("text or bytes",), "", f"body is a {type(body).__name__}"
        )
    value = _fast(start, text)
    if value is None:
        try:
            value = _slow(start, command, text, lenient=False)
        except ResponseSyntaxError as strict_error:
            if strict:
                raise
            value = _slow(start, command, text, lenient=True)
            note = f"line {strict_error.line}, column {strict_error.column}: {strict_error.reason}"
            value = replace(value, relaxed=(*value.relaxed, note))
    if isinstance(value, SendResult):
        single = _single_error(value)
        if single is not None:
            return replace(single, relaxed=value.relaxed) if value.relaxed else single
        if recipients is not None:
            value = _apply_recipients(command, text, value, list(recipients), strict)
    return value
