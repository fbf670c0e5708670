"""An error about an ``auth`` body never shows the session id it holds (issue: secrets shown).

``"OK: <sid> \\n"`` (a trailing space) used to be refused with most of the id in the message,
the context, ``.text`` and ``repr``, and ``clickatell-protocol parse auth`` printed it.  Line and
column stay exact; id-like runs are masked with as many ``*`` so the caret still points right.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clickatell_protocol import ResponseSyntaxError, parse_response
from clickatell_protocol.cli import main

SID = "7c2b5e0f9a1d4c3e8b6a0f1e2d3c4b5a"
# Pieces of the id a reader could use: any run of 6 of its characters.
PIECES = [SID[i : i + 6] for i in range(len(SID) - 5)]

# (body, strict, line, column)
BODIES: list[tuple[str, bool, int, int]] = [
    (f"OK: {SID} \n", True, 1, 37),
    (f"OK: {SID} \n", False, 1, 37),
    (f"OK: {SID}x", True, 1, 37),
    (f"OK: {SID[:31]}\n", True, 1, 5),
    (f"OK:{SID}", True, 1, 1),
    (f"OK: {SID}\nOK: {SID}", True, 2, 1),
    (f"OK: {SID}\nOK: {SID}", False, 2, 1),
    (f"OK: {SID}\r\n\r\n", True, 2, 1),
    (f"OK: {SID.upper()}-{SID}", True, 1, 37),
    (f"OK:  {SID}", True, 1, 5),
]


def shown(error: ResponseSyntaxError) -> str:
    return "\n".join(
        [str(error), repr(error), error.text, error.context, error.reason, *map(str, error.args)]
    )


def assert_hidden(text: str) -> None:
    lowered = text.lower()
    for piece in PIECES:
        assert piece not in lowered, f"{piece!r} of the session id shows in {text!r}"


@pytest.mark.parametrize(("body", "strict", "line", "column"), BODIES)
def test_auth_errors_do_not_show_the_session_id(
    body: str, strict: bool, line: int, column: int
) -> None:
    with pytest.raises(ResponseSyntaxError) as caught:
        parse_response("auth", body, strict=strict)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert_hidden(shown(error))
    # The caret still stands under the column (the snippet starts up to 30 characters before).
    _snippet, caret = error.context.split("\n")
    assert caret.index("^") == column - 1 - max(0, column - 31)
    assert error.__cause__ is None and error.__context__ is None


@pytest.mark.parametrize("body", [f"OK: {SID}x", f"OK:{SID}", f"OK: {SID[:31]}"])
def test_what_lenient_auth_relaxed_does_not_show_the_session_id(body: str) -> None:
    value = parse_response("auth", body, strict=False)
    assert value.relaxed
    assert_hidden(repr(value) + "".join(value.relaxed))


def test_an_err_line_of_an_auth_body_is_quoted() -> None:
    with pytest.raises(ResponseSyntaxError) as caught:
        parse_response("auth", "ERR: Authentication failed")
    assert "Authentication failed" in str(caught.value)


def test_other_commands_still_quote_their_text() -> None:
    with pytest.raises(ResponseSyntaxError) as caught:
        parse_response("querymsg", f"ID: {SID}x Status: 004")
    assert SID[2:] in caught.value.context


@pytest.mark.parametrize("lenient", [[], ["--lenient"]])
def test_cli_parse_auth_does_not_print_the_session_id(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], lenient: list[str]
) -> None:
    body = tmp_path / "auth.txt"
    body.write_text(f"OK: {SID} \n")
    status = main(["parse", "auth", str(body), *lenient])
    captured = capsys.readouterr()
    assert status == 1
    assert "line 1, column 37" in captured.err
    assert_hidden(captured.out + captured.err)
    body.write_text(f"OK: {SID}x")
    main(["parse", "auth", str(body), *lenient])
    captured = capsys.readouterr()
    assert_hidden(captured.out + captured.err)
    if lenient:
        assert json.loads(captured.out)["relaxed"]


@given(
    sid=st.text("0123456789abcdefABCDEF", min_size=32, max_size=32),
    tail=st.text(" \t\r\nxZ:,-", min_size=1, max_size=3),
    strict=st.booleans(),
)
def test_no_run_of_the_id_shows_whatever_follows_it(sid: str, tail: str, strict: bool) -> None:
    try:
        value = parse_response("auth", f"OK: {sid}{tail}", strict=strict)
    except ResponseSyntaxError as error:
        text = shown(error)
    else:
        text = repr(value) + "".join(value.relaxed)
    for i in range(len(sid) - 5):
        assert sid[i : i + 6] not in text


@pytest.mark.parametrize(
    "body",
    [f"ERROK: {SID}", f"ERR {SID}", f"ERRsession {SID}", f"ERR:{SID}", f"  ERR  {SID}\n"],
)
def test_a_line_that_only_starts_like_an_error_is_masked_too(body: str) -> None:
    with pytest.raises(ResponseSyntaxError) as error:
        parse_response("auth", body)
    shown = " ".join((str(error.value), repr(error.value), error.value.text, error.value.context))
    assert not any(piece in shown for piece in PIECES)
