"""Properties of the response parser: robustness, round trips, grammar agreement, fast path."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark, UnexpectedInput
from strategies import RESPONSE_VALUES

from clickatell_protocol import (
    ErrorReply,
    Rejected,
    ResponseSyntaxError,
    SendResult,
    parse_response,
    render_response,
)
from clickatell_protocol.parsing import (
    _LINE_BEFORE,
    _STARTS,
    RESPONSE_COMMANDS,
    _fast,
    _mask,
    _matchers,
    _parse_with_lark,
    _slow,
    grammar_text,
    lark_parser,
)


def test_grammar_builds_with_lark_strict_mode() -> None:
    # strict=True refuses shift/reduce conflicts and colliding terminals (needs interegular).
    Lark(grammar_text(), parser="lalr", start=_STARTS, strict=True)


@pytest.mark.parametrize(
    ("start", "body"),
    [
        ("sendmsg", "ID:0123456789abcdef0123456789abcdef To:447700900123"),
        ("querymsg", "ERR: Something went wrong"),
        ("getbalance", "Credit: 12.5 Currency: EUR"),
    ],
)
def test_the_lenient_grammar_reads_what_the_strict_one_refuses(start: str, body: str) -> None:
    lark_parser(lenient=True).parse(body, start=start)
    with pytest.raises(UnexpectedInput):
        lark_parser().parse(body, start=start)


@functools.cache
def _terminal_text(name: str) -> st.SearchStrategy[str]:
    """Text for a terminal whose regex uses lookaheads, filtered by the terminal's own regex."""
    pattern = re.compile(lark_parser().get_terminal(name).pattern.to_regexp())
    text = st.text(
        st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), min_size=1, max_size=30
    )
    return text.filter(lambda s: pattern.fullmatch(s) is not None)


@functools.cache
def grammar_bodies(start: str) -> st.SearchStrategy[str]:
    explicit = {"DESCRIPTION": _terminal_text("DESCRIPTION")}
    if start == "routecoverage":
        explicit["COVERAGE_TEXT"] = _terminal_text("COVERAGE_TEXT")
    return from_lark(lark_parser(), start=start, explicit=explicit)


@pytest.mark.parametrize("start", _STARTS)
@given(data=st.data())
def test_every_string_of_the_grammar_parses(start: str, data: st.DataObject) -> None:
    body = data.draw(grammar_bodies(start))
    value = parse_response(start, body)
    # The line matchers take every body the grammar produces (the fast path is the common path)
    # and build the very value the Lark parser builds.
    fast = _fast(start, body)
    assert fast is not None
    assert fast == _slow(start, start, body, lenient=False)
    # parse_response returns that value, except that a send answered by one code-bearing ERR
    # line without "To:" is the error of the whole request.
    expected: object = fast
    if isinstance(fast, SendResult) and len(fast.results) == 1:
        (line,) = fast.results
        if isinstance(line, Rejected) and line.to is None and line.code is not None:
            expected = ErrorReply(code=line.code, description=line.description)
    assert value == expected


COMMANDS = sorted(RESPONSE_COMMANDS)


def check_robust(command: str, body: str | bytes, strict: bool, recipients: Any) -> None:
    try:
        parse_response(command, body, strict=strict, recipients=recipients)
    except ResponseSyntaxError as error:
        assert error.line >= 1
        assert error.column >= 1
        assert str(error)
        # The context is the line the error names, with the caret under its column.
        text = body.decode("latin-1") if isinstance(body, bytes) else body
        lines = text.split("\n")
        source = lines[error.line - 1].rstrip("\r") if error.line <= len(lines) else ""
        first = max(0, error.column - 31)
        snippet = source[first : first + 60]
        if command == "auth" and not re.match(r"\s*ERR:(?: |$)", source):
            snippet = _mask(snippet)  # an auth body's id-like runs (test_auth_secrecy.py)
        assert error.context == f"{snippet}\n{' ' * (error.column - 1 - first)}^"


@given(
    command=st.sampled_from(COMMANDS),
    body=st.one_of(st.text(), st.binary()),
    strict=st.booleans(),
    recipients=st.one_of(st.none(), st.lists(st.text(max_size=5), max_size=3)),
)
def test_arbitrary_input_gives_a_value_or_a_syntax_error(
    command: str, body: str | bytes, strict: bool, recipients: Any
) -> None:
    check_robust(command, body, strict, recipients)


edits = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace"]),
        st.integers(0, 200),
        st.sampled_from([*" :,\r\n0aZ", "ID: ", "ERR: ", " To: ", "Status", "\x00", "é"]),
    ),
    min_size=1,
    max_size=4,
)


def mutate(body: str, changes: list[tuple[str, int, str]]) -> str:
    for action, index, text in changes:
        at = index % (len(body) + 1)
        if action == "insert":
            body = body[:at] + text + body[at:]
        elif action == "delete":
            body = body[:at] + body[at + len(text) :]
        else:
            body = body[:at] + text + body[at + len(text) :]
    return body


@pytest.mark.parametrize("start", _STARTS)
@given(data=st.data(), changes=edits, strict=st.booleans())
def test_edited_valid_bodies_give_a_value_or_a_syntax_error(
    start: str, data: st.DataObject, changes: list[tuple[str, int, str]], strict: bool
) -> None:
    body = mutate(data.draw(grammar_bodies(start)), changes)
    check_robust(start, body, strict, None)
    differential(start, body)


def where(error: ResponseSyntaxError) -> tuple[Any, ...]:
    return error.line, error.column, error.text, error.expected, error.context, str(error)


def differential(start: str, body: str) -> None:
    """The fast path and the located error agree with Lark reading the whole body, both modes.

    Strict: the fast path answers only what the strict grammar accepts, with the same value, and
    a refused body gets the very error a whole Lark parse gives, though Lark read less of it.
    Lenient: a body the strict grammar accepts reads the same under the lenient grammar, so the
    fast path's answer (taken first in both modes) is the lenient parser's answer too.
    """
    fast = _fast(start, body)
    try:
        slow = _parse_with_lark(start, start, body, lenient=False)
    except ResponseSyntaxError as whole:
        assert fast is None, f"fast path accepted what the grammar refuses: {body!r}"
        with pytest.raises(ResponseSyntaxError) as located:
            _slow(start, start, body, lenient=False)
        assert where(located.value) == where(whole), body
        # Lenient mode reads it or refuses it too, and names the strict error it let pass.
        try:
            lenient = parse_response(start, body, strict=False)
        except ResponseSyntaxError:
            return
        assert lenient.relaxed[0].startswith(f"line {whole.line}, column {whole.column}: ")
        return
    assert _slow(start, start, body, lenient=False) == slow
    assert _slow(start, start, body, lenient=True) == slow
    if fast is not None:
        assert fast == slow


def test_the_line_put_before_a_located_error_is_a_line_of_the_grammar() -> None:
    assert _matchers().send_lines_marked.fullmatch(_LINE_BEFORE)


SEND_STARTS = ["sendmsg", "senditem", "quicksend", "si_push", "ind_push"]


@given(data=st.data(), changes=edits, crlf=st.booleans(), start=st.sampled_from(SEND_STARTS))
def test_an_error_on_a_later_line_is_the_whole_parse_error(
    start: str, data: st.DataObject, changes: list[tuple[str, int, str]], crlf: bool
) -> None:
    """Valid lines and one edited line among them: the error is reported exactly as a whole
    Lark parse reports it (line, column, text, expected, context)."""
    lines = data.draw(
        st.lists(grammar_bodies(start).map(lambda b: b.rstrip("\r\n")), min_size=2, max_size=5)
    )
    index = data.draw(st.integers(1, len(lines) - 1))
    lines[index] = mutate(lines[index], changes)
    body = ("\r\n" if crlf else "\n").join(lines) + data.draw(st.sampled_from(["", "\n"]))
    differential(start, body)


@pytest.mark.parametrize("start", _STARTS)
@given(data=st.data())
def test_fast_path_agrees_with_lark_on_near_misses(start: str, data: st.DataObject) -> None:
    alphabet = st.sampled_from(
        [
            *"0123456789abcdefABCDEF :,.\r\n",
            "ID: ",
            "ERR: ",
            " To:",
            " To: ",
            "OK",
            "OK:",
            " Status: ",
            "  Status: ",
            "Credit: ",
            "apiMsgId: ",
            " charge: ",
            " status: ",
            " Charge: ",
            "0123456789abcdef0123456789abcdef",
            # The lenient forms of PROTOCOL.md §8: no space after "ID:"/"To:", code-less ERR.
            "ID:",
            "ID:123",
            " To:447700900123",
            "ERR:",
            "ERR: Authentication failed",
            " text, with: colons",
        ]
    )
    body = "".join(data.draw(st.lists(alphabet, max_size=12)))
    differential(start, body)


@pytest.mark.parametrize("command", sorted(RESPONSE_VALUES))
@given(data=st.data())
def test_render_then_parse_is_the_identity(command: str, data: st.DataObject) -> None:
    value = data.draw(RESPONSE_VALUES[command])
    target = "querymsg" if command == "error" else command
    body = render_response(value)
    assert not body.endswith("\n")
    assert parse_response(target, body) == value
    assert parse_response(target, body.encode("utf-8") if body.isascii() else body) == value


@pytest.mark.parametrize("start", _STARTS)
@given(data=st.data())
def test_lenient_mode_is_a_superset_of_strict(start: str, data: st.DataObject) -> None:
    """Whatever strict mode reads, lenient mode reads the same, relaxing nothing."""
    body = data.draw(grammar_bodies(start))
    strict_value = parse_response(start, body)
    lenient_value = parse_response(start, body, strict=False)
    assert lenient_value == strict_value
    assert not lenient_value.relaxed


def test_unknown_command_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown command 'sendsms'") as caught:
        parse_response("sendsms", "OK")
    # A programming error, not a body that breaks the protocol.
    assert not isinstance(caught.value, ResponseSyntaxError)


def test_every_command_name_of_the_protocol_is_known() -> None:
    assert "routeCoverage" in RESPONSE_COMMANDS
    assert "routecoverage" in RESPONSE_COMMANDS
    assert len(set(RESPONSE_COMMANDS.values())) == 15
