"""Lenient forms SDK mock servers emit (PROTOCOL.md §8), and strict mode refusing them.

- ``ID:123`` and ``To:123`` with no space after the colon (an npm SDK's mock server);
- ``ERR: <text>`` with no numeric code, for any command: an ``ErrorReply`` whose code is ``None``
  (routeCoverage's code-less ``ERR:`` stays its refusal sentence, ``Coverage(routable=False)``).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clickatell_protocol import ResponseSyntaxError, parse_response
from clickatell_protocol.parsing import RESPONSE_COMMANDS
from clickatell_protocol.responses import Accepted, Coverage, ErrorReply, Rejected, SendResult

SEND = ["sendmsg", "senditem", "quicksend", "si_push", "ind_push"]
NOT_COVERAGE = sorted(c for c in RESPONSE_COMMANDS if c.lower() != "routecoverage")

# (command, body, expected value, strict error place (line, column))
NO_SPACE: list[tuple[str, str, Any, tuple[int, int]]] = [
    ("sendmsg", "ID:123", SendResult(results=(Accepted("123"),)), (1, 1)),
    (
        "sendmsg",
        "ID:123 To:447700900123",
        SendResult(results=(Accepted("123", "447700900123"),)),
        (1, 1),
    ),
    (
        "sendmsg",
        "ID: 123 To:447700900123\nID:124 To:447700900456\n",
        SendResult(results=(Accepted("123", "447700900123"), Accepted("124", "447700900456"))),
        (1, 5),
    ),
    (
        "quicksend",
        "ID:0123456789abcdef0123456789abcdef To:447700900123\r\n"
        "ERR: 105, Invalid destination address To:447700900456",
        SendResult(
            results=(
                Accepted("0123456789abcdef0123456789abcdef", "447700900123"),
                Rejected(105, "Invalid destination address", "447700900456"),
            )
        ),
        (1, 1),
    ),
    (
        "si_push",
        "ID: 0123456789abcdef0123456789abcdef To:447700900123",
        SendResult(results=(Accepted("0123456789abcdef0123456789abcdef", "447700900123"),)),
        (1, 41),
    ),
]


@pytest.mark.parametrize(("command", "body", "value", "place"), NO_SPACE)
def test_no_space_after_id_and_to_is_lenient(
    command: str, body: str, value: Any, place: tuple[int, int]
) -> None:
    got = parse_response(command, body, strict=False)
    assert got.results == value.results  # type: ignore[union-attr]
    assert got.relaxed and got.relaxed[0].startswith(f"line {place[0]}, column {place[1]}:")


@pytest.mark.parametrize(("command", "body", "value", "place"), NO_SPACE)
def test_no_space_after_id_and_to_is_refused_strictly(
    command: str, body: str, value: Any, place: tuple[int, int]
) -> None:
    with pytest.raises(ResponseSyntaxError) as caught:
        parse_response(command, body)
    assert (caught.value.line, caught.value.column) == place
    assert caught.value.context.endswith("^")


@pytest.mark.parametrize("command", NOT_COVERAGE)
@pytest.mark.parametrize(
    "body",
    [
        "ERR: Authentication failed",
        "ERR: Authentication failed\n",
        "ERR: Invalid session, log in again: now\r\n",
        "ERR:Authentication failed",
    ],
)
def test_a_codeless_err_is_an_error_reply_without_code(command: str, body: str) -> None:
    value = parse_response(command, body, strict=False)
    assert isinstance(value, ErrorReply)
    assert value.code is None
    assert value.description == body[4:].strip()
    assert value.relaxed, "lenient mode says what it relaxed"
    with pytest.raises(ResponseSyntaxError) as caught:
        parse_response(command, body)
    assert caught.value.line == 1 and caught.value.column in (1, 6)


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize(
    "body",
    [
        "ERR: This prefix is not currently supported. Messages sent to this prefix will fail. "
        "Please contact support for assistance.",
        "ERR: Not routable\n",
    ],
)
def test_routecoverage_codeless_err_stays_a_coverage_refusal(body: str, strict: bool) -> None:
    value = parse_response("routeCoverage", body, strict=strict)
    assert isinstance(value, Coverage) and value.routable is False
    assert value.description == body[5:].rstrip("\n")


def test_routecoverage_codeless_err_without_space_is_lenient_coverage() -> None:
    value = parse_response("routeCoverage", "ERR:Not routable", strict=False)
    assert isinstance(value, Coverage) and not value.routable and value.relaxed


@given(
    command=st.sampled_from(SEND),
    ids=st.lists(st.from_regex(r"[0-9A-Za-z]{1,32}", fullmatch=True), min_size=1, max_size=4),
    numbers=st.lists(st.from_regex(r"[0-9]{1,15}", fullmatch=True), min_size=4, max_size=4),
    spaces=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=4, max_size=4),
)
def test_any_mix_of_missing_spaces_reads_the_same_ids_and_numbers(
    command: str, ids: list[str], numbers: list[str], spaces: list[tuple[bool, bool]]
) -> None:
    lines = [
        f"ID:{' ' if a else ''}{i} To:{' ' if b else ''}{n}"
        for i, n, (a, b) in zip(ids, numbers, spaces, strict=False)
    ]
    value = parse_response(command, "\n".join(lines), strict=False)
    assert isinstance(value, SendResult)
    assert value.results == tuple(Accepted(i, n) for i, n in zip(ids, numbers, strict=False))
