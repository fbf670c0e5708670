"""Response parsing: the Lark grammar in ``grammar/`` turned into typed values.

Design (measured in ``benchmarks/``): the grammar is the single source of truth.  It is built once,
lazily, with LALR.  Because a Lark parse of a long per-recipient body is several times slower than
a plain regular expression, each line form also gets a *line matcher*: a regular expression
assembled from the grammar's own terminals (their patterns are read from the built parser, never
written twice), following the shape of the grammar rule it mirrors.  A body that every line
matcher accepts is built straight into values; anything else goes through the Lark parser, which
yields either the same values or the precise :class:`ResponseSyntaxError`.  In strict mode Lark
reads a per-recipient body only from the first line the matchers refuse, so a long body with a
late error is not read token by token.  A differential property test holds the paths to the same
answer (value, or error with its place and context) on every input, valid or not.

Lark errors are translated in exactly one place, :func:`_syntax_error`.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import re
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import replace
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeVar

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

_T = TypeVar("_T")

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
MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024
"""Default size limit of :func:`parse_response`."""
MAX_EXTRA_PAIRS: Final = 1000
"""Most unknown ``Key: value`` pairs a lenient parse keeps; a body with more is refused."""
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

    For an ``auth`` body, ``text``, ``context`` and the message show every run of three or more
    characters of the line (unless it is an ``ERR`` line) as ``*``: such a run may be the
    session id.  Line and column are exact.
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


# In an auth body every longer run of characters on a line that is not an ERR line may be (part
# of) the session id: errors about one show such runs as "*" of the same length, so line, column
# and caret stay exact while the id never reaches a message, a log or the CLI output (issue:
# secrets shown).  An ERR line carries the server's error text, never a session id.
_ID_LIKE: Final = re.compile(r"[^\s:,]{3,}")


def _mask(text: str) -> str:
    return _ID_LIKE.sub(lambda match: "*" * len(match.group()), text)


def _line_start(body: str, line: int) -> int | None:
    """The offset where line ``line`` (1-based) of ``body`` begins, or None past its end."""
    start = 0
    for _ in range(line - 1):
        start = body.find("\n", start) + 1
        if start == 0:
            return None
    return start


def _line_at(body: str, line: int) -> str:
    """Line ``line`` (1-based) of ``body``, or "" past its end."""
    start = _line_start(body, line)
    if start is None:
        return ""
    end = body.find("\n", start)
    return body[start : len(body) if end < 0 else end]


_ERROR_LINE: Final = re.compile(r"\s*ERR:(?: |$)")


def _masked(error: ResponseSyntaxError, body: str) -> ResponseSyntaxError:
    """The same error about an auth body with every id-like run of its text masked, unless the
    line it names is an ``ERR`` line.

    Only ``text``, ``context`` and the reason carry body text; ``expected`` is the grammar's own
    words.  A reason written from the text is written again from the masked text.
    """
    # Only an error line ("ERR: ...") is shown as it is: "ERROK: <id>", "ERR:<id>" or
    # "ERR <id>" is an auth line gone wrong, and may hold the session id.
    if _ERROR_LINE.match(_line_at(body, error.line)):
        return error
    text = _mask(error.text)
    default = ResponseSyntaxError(error.command, 1, 1, error.text, error.expected, "", None).reason
    reason = None if error.reason == default else _mask(error.reason)
    return ResponseSyntaxError(
        error.command,
        error.line,
        error.column,
        text,
        error.expected,
        _mask(error.context),
        reason,
    )


def _context(body: str, line: int, column: int) -> str:
    """The source line ``line`` (1-based) with a caret under ``column``."""
    start = _line_start(body, line)
    if start is None:  # fewer lines than ``line``: nothing to show
        return _context_at(body, len(body), 1)
    return _context_at(body, start, column)


def _context_at(body: str, start: int, column: int) -> str:
    """The line that begins at offset ``start`` with a caret under ``column``.

    Only that line is read, so a huge body with an early error costs no more than a small one.
    """
    end = body.find("\n", start)
    source = body[start : len(body) if end < 0 else end].rstrip("\r")
    first = max(0, column - 1 - 30)
    snippet = source[first : first + 60]
    return f"{snippet}\n{' ' * (column - 1 - first)}^"


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


class _TooManyExtras(Exception):
    """Raised from the lexer at the first unknown pair over :data:`MAX_EXTRA_PAIRS`."""

    def __init__(self, token: Token) -> None:
        super().__init__(str(token))
        self.token = token


# Pairs the lenient parse running in this context may still read; None: no limit (a direct
# use of the parser, as in the grammar tests).
_extra_budget: ContextVar[list[int] | None] = ContextVar("_extra_budget", default=None)


def _count_extra(token: Token) -> Token:
    """Lexer callback of the lenient grammar's EXTRA_KEY: counts the pairs of one parse and stops
    it at the first one over the limit, before its tokens and tree are built (a body full of
    pairs cost ~200 bytes of memory per input byte when they were all kept)."""
    budget = _extra_budget.get()
    if budget is not None:
        budget[0] -= 1
        if budget[0] < 0:
            raise _TooManyExtras(token)
    return token


@functools.cache
def lark_parser(lenient: bool = False) -> Lark:
    """The LALR parser of the strict (or lenient) grammar, built on first use."""
    text = grammar_text("responses.lark")
    if not lenient:
        return Lark(text, parser="lalr", start=_STARTS, maybe_placeholders=True)
    text += "\n" + grammar_text("lenient.lark")
    return Lark(
        text,
        parser="lalr",
        start=_STARTS,
        maybe_placeholders=True,
        lexer_callbacks={"EXTRA_KEY": _count_extra},
    )


def _words(names: Sequence[str] | set[str]) -> list[str]:
    return sorted({_TERMINAL_WORDS.get(name, name.strip("_").lower()) for name in names})


def _syntax_error(
    command: str, body: str, error: UnexpectedInput, shift: tuple[int, int] = (0, 0)
) -> ResponseSyntaxError:
    """The one place where a Lark error becomes a :class:`ResponseSyntaxError`.

    ``shift`` is ``(lines, characters)`` to add to the error's place when Lark read a text
    other than ``body`` that ends like it (see :func:`_strict_send_error`). Only the offending
    line is read to show it, never the whole body.
    """
    line = max(1, int(getattr(error, "line", 1) or 1) + shift[0])
    column = max(1, int(getattr(error, "column", 1) or 1))
    pos = getattr(error, "pos_in_stream", None)
    if isinstance(pos, int):
        pos += shift[1]
    token = getattr(error, "token", None)
    if isinstance(token, Token) and token.type == "$END":
        # The end of the body: its last line, after the last character of that line.
        text = ""
        start = body.rfind("\n") + 1
        line = body.count("\n") + 1
        column = len(body[start:].rstrip("\r")) + 1
        context = _context_at(body, start, column)
    elif isinstance(pos, int) and pos >= 0:
        # The rest of the offending line; a bare line break is shown as itself.
        text = body[pos : pos + 40].split("\n", 1)[0] or body[pos : pos + 1]
        context = _context_at(body, body.rfind("\n", 0, pos) + 1, column)
    else:
        text = str(token)[:40] if token is not None else ""
        context = _context(body, line, column)
    expected = getattr(error, "expected", None) or getattr(error, "allowed", None) or ()
    return ResponseSyntaxError(command, line, column, text, _words(set(expected)), context)


def _extra(children: list[Any]) -> tuple[tuple[int, str, str], ...]:
    """The unknown ``Key: value`` pairs among a rule's children (lenient grammar only)."""
    return tuple(child for child in children if isinstance(child, _ExtraPair))


class _ExtraPair(tuple[int, str, str]):
    """``(line, key, value)`` of an unknown pair; a tuple subclass only to be told apart."""

    __slots__ = ()


class _LineWithExtra:
    """A result line and the unknown pairs that followed it on its line."""

    __slots__ = ("extra", "value")

    def __init__(self, value: Accepted, extra: tuple[tuple[int, str, str], ...]) -> None:
        self.value = value
        self.extra = extra


class _ToValues(Transformer[Token, Any]):
    """Lark tree → typed values (the slow path; the fast path builds the same values)."""

    def session(self, c: list[Any]) -> AuthOK:
        return AuthOK(session_id=SecretStr(str(c[1])))

    def ping_ok(self, c: list[Any]) -> PingOK:
        return PingOK()

    def message_status(self, c: list[Any]) -> MessageStatus:
        return MessageStatus(apimsgid=str(c[1]), status=int(c[2]), extra=_extra(c))

    def balance(self, c: list[Any]) -> Balance:
        return Balance(credit=Decimal(str(c[1])), extra=_extra(c))

    def message_charge(self, c: list[Any]) -> MessageCharge:
        return MessageCharge(
            apimsgid=str(c[1]), charge=Decimal(str(c[2])), status=int(c[3]), extra=_extra(c)
        )

    def token_paid(self, c: list[Any]) -> TokenPaid:
        return TokenPaid(value=str(c[1]))

    def coverage_ok(self, c: list[Any]) -> Coverage:
        return Coverage(routable=True, description=str(c[1]), charge=Decimal(str(c[2])))

    def coverage_err(self, c: list[Any]) -> Coverage:
        return Coverage(routable=False, description=str(c[1]))

    def batch_started(self, c: list[Any]) -> BatchStarted:
        return BatchStarted(batch_id=str(c[1]), extra=_extra(c))

    def batch_ended(self, c: list[Any]) -> BatchEnded:
        return BatchEnded()

    def error(self, c: list[Any]) -> ErrorReply:
        code = int(c[1]) if len(c) > 2 and c[1] is not None else None
        description = str(c[-1])
        return ErrorReply(
            code=code, description=description, retry_after=retry_after_from(code, description)
        )

    def codeless_error(self, c: list[Any]) -> ErrorReply:
        # Lenient only [P8]: "ERR: <text>" with no code answers a per-recipient command.
        return ErrorReply(code=None, description=str(c[1]))

    def accepted(self, c: list[Any]) -> Accepted | _LineWithExtra:
        value = Accepted(apimsgid=str(c[1]), to=c[2])
        extra = _extra(c)
        return _LineWithExtra(value, extra) if extra else value

    def rejected(self, c: list[Any]) -> Rejected:
        return Rejected(code=int(c[1]), description=str(c[2]), to=c[3])

    def recipient(self, c: list[Any]) -> str:
        # "To:" with or without a number: the number, or "" (an absent "To:" stays None).
        return str(c[0]) if c and c[0] is not None else ""

    def extra_pair(self, c: list[Any]) -> _ExtraPair:
        key, value = c
        text = str(value)[1:] if value is not None else ""
        return _ExtraPair((int(key.line), str(key)[:-1], text))


# ------------------------------------------------------------------------------- line matchers

_new = object.__new__


def _maker(cls: type[_T], *names: str) -> Callable[..., _T]:
    """A positional constructor for a frozen slotted dataclass that fills its slots directly.

    The fast path builds values only from text its matchers have already checked, so the
    generated ``__init__`` has nothing left to check; filling the slots directly is about two and a
    half times faster.  The constructor takes the fields ``names``, in that order, and gives every
    other field its default; the differential tests compare its values with the
    regular constructor's.  It is generated, as :mod:`dataclasses` generates ``__init__``, so
    that it runs unrolled.
    """
    namespace: dict[str, Any] = {"_new": _new, "_cls": cls}
    lines = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        namespace[f"_set_{field.name}"] = getattr(cls, field.name).__set__
        if field.name in names:
            lines.append(f"    _set_{field.name}(obj, {field.name})\n")
        elif field.default is not dataclasses.MISSING:
            namespace[f"_default_{field.name}"] = field.default
            lines.append(f"    _set_{field.name}(obj, _default_{field.name})\n")
        else:  # pragma: no cover - a programming error, caught at import
            raise TypeError(f"{cls.__name__}.{field.name} has no default and is not given")
    source = (
        f"def make({', '.join(names)}):\n    obj = _new(_cls)\n{''.join(lines)}    return obj\n"
    )
    # The source is built from the dataclass's own field names only.
    exec(source, namespace)
    make: Callable[..., _T] = namespace["make"]
    return make


def _noncapturing(pattern: str) -> str:
    """Turn every capturing group of a regular expression into a non-capturing one."""
    out: list[str] = []
    index, in_class = 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            out.append(char)
            index += 1
            # "]" right after "[" or "[^" is a literal, not the end of the class.
            for literal in ("^", "]"):
                if pattern.startswith(literal, index):
                    out.append(literal)
                    index += 1
            continue
        elif char == "(" and not pattern.startswith("?", index + 1):
            out.append("(?:")
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _terminal(parser: Lark, name: str) -> str:
    """A terminal's regular expression, without capturing groups of its own."""
    pattern = _noncapturing(parser.get_terminal(name).pattern.to_regexp())
    if re.compile(pattern).groups:  # pragma: no cover - guards the rewrite above
        raise AssertionError(f"terminal {name} still captures: {pattern}")
    return f"(?:{pattern})"


class _Matchers:
    """Regular expressions for each line form, assembled from the strict grammar's terminals.

    Each pattern follows the grammar rule named beside it; the terminals' own patterns are read
    from the built parser, so the grammar stays the single source of truth.
    """

    def __init__(self, parser: Lark) -> None:
        def t(name: str) -> str:
            return _terminal(parser, name)

        error = f"{t('ERR_KEY')}({t('CODE')}){t('_COMMA')}({t('DESCRIPTION')})"
        # accepted: ID_KEY MSG_ID [recipient] | rejected: ERR_KEY CODE _COMMA DESCRIPTION
        # [recipient]; recipient: _TO [_SP [MSISDN]].  One match per line, anchored at the line's
        # start and running through its line end, so "one match per line" proves the body whole.
        line = f"^(?:{t('ID_KEY')}({t('MSG_ID')})|{error})"
        end = f"(?:{t('_NL')}|\\Z)"
        # The common form of every line, with its recipient number: rows (id, code,
        # description, number), where "" stands for the group of the other kind of line ...
        self.send_lines = re.compile(
            f"{line}{t('_TO')}{t('_SP')}({t('MSISDN')}){end}", re.MULTILINE
        )
        # ... and every form (no "To:", or "To: " with no number), with a fifth group that marks
        # the " To:", so that "no To:" (None) and an empty number ("") can be told apart.
        self.send_lines_marked = re.compile(
            f"{line}({t('_TO')}(?:{t('_SP')}({t('MSISDN')})?)?)?{end}", re.MULTILINE
        )
        status = f"({t('STATUS')})"
        amount = f"({t('CHARGE')})"
        self.error = re.compile(error)
        # Single-line forms per start rule, in the grammar's order, with their value builders.
        forms: dict[str, tuple[tuple[str, Callable[..., Response]], ...]] = {
            "auth": ((f"{t('OK_KEY')}({t('SESSION_ID')})", _auth_ok),),
            "ping": ((t("PING_OK"), _ping_ok),),
            "querymsg": ((f"{t('ID_KEY')}({t('MSG_ID')}){t('_STATUS_SEP')}{status}", _status),),
            "delmsg": ((f"{t('ID_KEY')}({t('MSG_ID')}){t('_STATUS_SEP')}{status}", _status),),
            "getbalance": ((f"{t('CREDIT_KEY')}({t('DECIMAL')})", _balance),),
            "getmsgcharge": (
                (
                    f"{t('CHARGE_ID_KEY')}({t('MSG_ID')}){t('_CHARGE_LC')}{amount}"
                    f"{t('_STATUS_LC')}{status}",
                    _charge,
                ),
                (
                    f"{t('ID_KEY')}({t('MSG_ID')}){t('_CHARGE_UC')}{amount}"
                    f"{t('_STATUS_SEP')}{status}",
                    _charge,
                ),
            ),
            "token_pay": ((f"{t('OK_KEY')}({t('TOKEN_VALUE')})", _token),),
            "routecoverage": (
                (f"{t('OK_KEY')}({t('COVERAGE_TEXT')}){t('_CHARGE_UC')}{amount}", _covered),
                (f"{t('ERR_KEY')}({t('COVERAGE_TEXT')})", _not_covered),
            ),
            "startbatch": ((f"{t('ID_KEY')}({t('MSG_ID')})", _batch_started),),
            "endbatch": ((t("ENDBATCH_OK"), _batch_ended),),
        }
        # Any command may answer one ERR line instead [P2]; it is tried last.
        self.single: dict[str, tuple[tuple[re.Pattern[str], Callable[..., Response]], ...]] = {
            start: tuple(
                (re.compile(pattern), build) for pattern, build in (*shapes, (error, _error_value))
            )
            for start, shapes in forms.items()
        }


_make_auth = _maker(AuthOK, "session_id")
_make_status = _maker(MessageStatus, "apimsgid", "status")
_make_charge = _maker(MessageCharge, "apimsgid", "charge", "status")
_make_balance = _maker(Balance, "credit")
_make_token = _maker(TokenPaid, "value")
_make_coverage = _maker(Coverage, "routable", "description", "charge")
_make_batch_started = _maker(BatchStarted, "batch_id")
_make_error = _maker(ErrorReply, "code", "description", "retry_after")
_PING_OK: Final = PingOK()
_BATCH_ENDED: Final = BatchEnded()


def _auth_ok(session_id: str) -> AuthOK:
    return _make_auth(SecretStr(session_id))


def _ping_ok() -> PingOK:
    return _PING_OK


def _status(apimsgid: str, status: str) -> MessageStatus:
    return _make_status(apimsgid, int(status))


def _charge(apimsgid: str, charge: str, status: str) -> MessageCharge:
    return _make_charge(apimsgid, Decimal(charge), int(status))


def _balance(credit: str) -> Balance:
    return _make_balance(Decimal(credit))


def _token(value: str) -> TokenPaid:
    return _make_token(value)


def _covered(description: str, charge: str) -> Coverage:
    return _make_coverage(True, description, Decimal(charge))


def _not_covered(description: str) -> Coverage:
    return _make_coverage(False, description, None)


def _batch_started(batch_id: str) -> BatchStarted:
    return _make_batch_started(batch_id)


def _batch_ended() -> BatchEnded:
    return _BATCH_ENDED


def _error_value(code: str, description: str) -> ErrorReply:
    number = int(code)
    return _make_error(number, description, retry_after_from(number, description))


@functools.cache
def _matchers() -> _Matchers:
    return _Matchers(lark_parser(False))


# Result lines are named tuples: tuple.__new__ builds one without a Python-level __init__.
_tuple_new = tuple.__new__


def _rejected_marked(row: tuple[str, str, str, str, str]) -> Rejected:
    _, code, description, marker, number = row
    return _tuple_new(Rejected, (int(code), description, number or ("" if marker else None)))


def _fast_send(body: str) -> SendResult | None:
    """Per-recipient lines: one ``findall`` pass, then one comprehension that builds the values.

    (Measured against building them with chains of ``map``: the comprehension is faster.)
    """
    matchers = _matchers()
    # A body whose first line is no line of the grammar is settled at once (findall would scan
    # every position of it for a line start).
    if matchers.send_lines_marked.match(body) is None:
        return None
    expected = body.count("\n") + (0 if body.endswith("\n") else 1)
    new, accepted, rejected = _tuple_new, Accepted, Rejected
    # Each match is anchored at a line start and runs through its line end, so as many matches
    # as lines means every line is one of the grammar's forms.
    rows = matchers.send_lines.findall(body)
    if rows and len(rows) == expected:
        return SendResult(
            results=tuple(
                [
                    new(accepted, (row[0], row[3]))
                    if row[0]
                    else new(rejected, (int(row[1]), row[2], row[3]))
                    for row in rows
                ]
            )
        )
    # Some line has no number, or is not a line of the grammar at all.
    marked = matchers.send_lines_marked.findall(body)
    if not marked or len(marked) != expected:
        return None
    return SendResult(
        results=tuple(
            [
                new(accepted, (row[0], row[4] or ("" if row[3] else None)))
                if row[0]
                else _rejected_marked(row)
                for row in marked
            ]
        )
    )


def _fast(start: str, body: str) -> Response | None:
    """Values for a body the line matchers accept, else ``None`` (the Lark path decides)."""
    if start in _SEND_STARTS:
        return _fast_send(body)
    if body.endswith("\n"):
        body = body[:-2] if body.endswith("\r\n") else body[:-1]
    for pattern, build in _matchers().single[start]:
        match = pattern.fullmatch(body)
        if match is not None:
            return build(*match.groups())
    return None


# One line of the strict grammar: put in front of a body's first unmatched line, it brings the
# parser to the state it is in at the start of any line after the first (checked by a test).
_LINE_BEFORE: Final = "ID: " + "0" * 32 + "\n"


def _first_unmatched_line(body: str) -> int:
    """The offset where the first line the line matcher does not take begins (-1: none).

    Matches are anchored at line starts and run through their line end, so each one must
    begin where the previous one ended; the first gap is the first line outside the grammar.
    """
    end = 0
    for match in _matchers().send_lines_marked.finditer(body):
        if match.start() != end:
            return end
        end = match.end()
    return end if end < len(body) else -1


def _strict_send_error(start: str, command: str, body: str) -> ResponseSyntaxError | None:
    """The strict grammar's error for a per-recipient body, found without parsing its valid
    lines with Lark: Lark reads only from the first line the matcher refuses (behind one valid
    line, so that it starts in the state the whole parse would reach there).

    Returns ``None`` when there is no such line or Lark accepts the rest (the caller then
    parses the whole body, so the answer never depends on this shortcut).
    """
    offset = _first_unmatched_line(body)
    if offset <= 0:
        return None
    try:
        lark_parser(False).parse(_LINE_BEFORE + body[offset:], start=start)
    except UnexpectedInput as error:
        # Lark's line 2 is the body's line (newlines before offset) + 1.
        lines_before = body.count("\n", 0, offset) - 1
        return _syntax_error(command, body, error, (lines_before, offset - len(_LINE_BEFORE)))
    return None


def _slow(start: str, command: str, body: str, lenient: bool) -> Response:
    """The Lark path: values, or the precise syntax error."""
    if not lenient and start in _SEND_STARTS:
        located = _strict_send_error(start, command, body)
        if located is not None:
            raise located
    return _parse_with_lark(start, command, body, lenient)


def _parse_with_lark(start: str, command: str, body: str, lenient: bool) -> Response:
    """Values from the Lark parser reading the whole body, or the precise syntax error.

    A lenient parse keeps at most :data:`MAX_EXTRA_PAIRS` unknown pairs; the first one over the
    limit is a syntax error at its place that names the limit.
    """
    budget = _extra_budget.set([MAX_EXTRA_PAIRS] if lenient else None)
    try:
        tree = lark_parser(lenient).parse(body, start=start)
        children = _ToValues().transform(tree).children
    except UnexpectedInput as error:
        raise _syntax_error(command, body, error) from None
    except _TooManyExtras as over:
        token = over.token
        line, column = int(token.line or 1), int(token.column or 1)
        start_of_line = body.rfind("\n", 0, int(token.start_pos or 0)) + 1
        raise ResponseSyntaxError(
            command,
            line,
            column,
            str(token)[:40],
            (),
            _context_at(body, start_of_line, column),
            f"more than {MAX_EXTRA_PAIRS} unknown Key: value pairs (the lenient limit, "
            "MAX_EXTRA_PAIRS)",
        ) from None
    except (VisitError, LarkError, ValueError, ArithmeticError) as error:
        raise ResponseSyntaxError(
            command, 1, 1, body[:40], (), _context(body, 1, 1), f"unreadable value: {error}"
        ) from None
    finally:
        _extra_budget.reset(budget)
    if start in _SEND_STARTS and isinstance(children[0], ErrorReply):
        reply: Response = children[0]
        return reply
    if start in _SEND_STARTS:
        results: list[Accepted | Rejected] = []
        extra: list[tuple[int, str, str]] = []
        for child in children:
            if isinstance(child, _LineWithExtra):
                results.append(child.value)
                extra.extend(child.extra)
            else:
                results.append(child)
        return SendResult(results=tuple(results), extra=tuple(extra))
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
            lines = body.split("\n")
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
            entry = entry._replace(to=recipients[position])
        filled.append(entry)
    return SendResult(results=tuple(filled), relaxed=relaxed)


_GC_PAUSE_BYTES: Final = 256 * 1024


def _too_large(command: str, size: int, limit: int) -> ResponseSyntaxError:
    return ResponseSyntaxError(
        command, 1, 1, "", (), "", f"body of {size} bytes is over the {limit} limit"
    )


def _pause_collector() -> bool:
    """Pause the cyclic garbage collector while a large body (over ``_GC_PAUSE_BYTES``)
    becomes values; return whether it was paused (and so must be resumed).

    A 10 MB body makes hundreds of thousands of tuples, none of them in a cycle; left on, the
    collector would scan them again and again as they accumulate, and the time per byte would
    grow with the size (benchmarks/test_bench_linear.py). Reference counting still frees
    everything. (A plain function, not a context manager: this sits on the path of every call.)
    """
    if not gc.isenabled():
        return False
    gc.disable()
    return True


def _values(start: str, command: str, text: str, strict: bool) -> Response:
    """The fast path, else the strict grammar, else (``strict=False``) the lenient grammar with
    a note of the strict error it let pass (masked for auth, like the error itself)."""
    value = _fast(start, text)
    if value is not None:
        return value
    try:
        return _slow(start, command, text, lenient=False)
    except ResponseSyntaxError as strict_error:
        if strict:
            raise
        passed = _masked(strict_error, text) if start == "auth" else strict_error
    value = _slow(start, command, text, lenient=True)
    note = f"line {passed.line}, column {passed.column}: {passed.reason}"
    return replace(value, relaxed=(*value.relaxed, note))


def parse_response(
    command: str,
    body: str | bytes,
    *,
    recipients: Sequence[str] | None = None,
    strict: bool = True,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> Response:
    """Parse a response body into its typed value.

    Args:
        command: the command the body answers, as PROTOCOL.md §2 names it (``routeCoverage`` also
            in lower case).
        body: the body, as text or as bytes (read as ISO-8859-1, the API's encoding).
        recipients: the request's recipients, in order: they fill an empty or missing ``To:`` by
            position, and in strict mode a different number of lines is a syntax error.
        strict: ``True`` accepts exactly the forms of PROTOCOL.md §2 and §8; ``False`` also the
            forms other implementations emit (no space after ``ID:``/``To:``, a code-less
            ``ERR: <text>`` for any command as an ``ErrorReply`` whose ``code`` is ``None``, ...),
            recording on ``relaxed`` what it let pass.
        max_bytes: the largest body read (default 32 MiB, room for a response to 100,000
            recipients several times over); a larger one is refused before it is parsed.

    Returns:
        One of the :data:`~clickatell_protocol.responses.Response` values.

    Raises:
        ValueError: ``command`` is not a command of the protocol (a programming error).
        ResponseSyntaxError: the body does not follow the protocol, or is larger than
            ``max_bytes``, or (lenient) holds more than ``MAX_EXTRA_PAIRS`` unknown pairs; it
            names line, column, the offending text and what was expected.  For ``auth`` the
            text and context mask the runs that may be the session id.
    """
    start = RESPONSE_COMMANDS.get(command) if isinstance(command, str) else None
    if start is None:
        known = ", ".join(sorted(RESPONSE_COMMANDS))
        raise ValueError(f"unknown command {str(command)[:40]!r}; expected one of {known}")
    if isinstance(body, str):
        text = body
    elif isinstance(body, (bytes, bytearray)):
        if len(body) > max_bytes:
            raise _too_large(command, len(body), max_bytes)
        text = bytes(body).decode("latin-1")
    else:
        raise ResponseSyntaxError(
            command, 1, 1, "", ("text or bytes",), "", f"body is a {type(body).__name__}"
        )
    size = len(text)
    if size > max_bytes:
        raise _too_large(command, size, max_bytes)
    paused = size >= _GC_PAUSE_BYTES and _pause_collector()
    secret: ResponseSyntaxError | None = None
    try:
        value = _values(start, command, text, strict)
    except ResponseSyntaxError as error:
        if start != "auth":
            raise
        # Raised below, outside this block, so that the unmasked error is not its context.
        secret = _masked(error, text)
    finally:
        if paused:
            gc.enable()
    if secret is not None:
        raise secret
    if isinstance(value, SendResult):
        single = _single_error(value)
        if single is not None:
            return replace(single, relaxed=value.relaxed) if value.relaxed else single
        if recipients is not None:
            value = _apply_recipients(command, text, value, list(recipients), strict)
    return value
