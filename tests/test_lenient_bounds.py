"""Lenient parsing of a body full of unknown ``Key: value`` pairs is bounded (issue: memory and
time bounds).  It used to cost ~200 bytes of memory per input byte (a 5 MB body: 1 GB, 45 s);
now a lenient parse keeps at most ``MAX_EXTRA_PAIRS`` pairs and refuses a body with more, naming
the limit and the place of the first pair over it.  Speed is measured in
benchmarks/test_bench_lenient.py (no wall-clock assertion here).
"""

from __future__ import annotations

import tracemalloc

import pytest

from clickatell_protocol import ResponseSyntaxError, parse_response
from clickatell_protocol.parsing import MAX_EXTRA_PAIRS
from clickatell_protocol.responses import Balance, SendResult

H = "0123456789abcdef0123456789abcdef"


def balance_with_pairs(count: int) -> str:
    return "Credit: 12" + " k: v" * count


def send_with_pairs(lines: int) -> str:
    return "\n".join(f"ID: {H} To: 4477009{n:05d} X-Ref: {n}" for n in range(lines))


def test_up_to_the_limit_every_pair_is_kept() -> None:
    value = parse_response("getbalance", balance_with_pairs(MAX_EXTRA_PAIRS), strict=False)
    assert isinstance(value, Balance)
    assert len(value.extra) == MAX_EXTRA_PAIRS
    assert value.extra[0] == (1, "k", "v")


@pytest.mark.parametrize(
    ("command", "body", "line", "column"),
    [
        (
            "getbalance",
            balance_with_pairs(MAX_EXTRA_PAIRS + 1),
            1,
            len("Credit: 12") + 5 * MAX_EXTRA_PAIRS + 2,
        ),
        ("sendmsg", send_with_pairs(MAX_EXTRA_PAIRS + 1), MAX_EXTRA_PAIRS + 1, 55),
        (
            "querymsg",
            f"ID: {H} Status: 004" + " a-b: 1" * (MAX_EXTRA_PAIRS + 5),
            1,
            len(f"ID: {H} Status: 004") + 7 * MAX_EXTRA_PAIRS + 2,
        ),
    ],
    ids=["one-line", "per-recipient", "querymsg"],
)
def test_more_pairs_than_the_limit_are_refused_by_name(
    command: str, body: str, line: int, column: int
) -> None:
    with pytest.raises(ResponseSyntaxError) as caught:
        parse_response(command, body, strict=False)
    error = caught.value
    assert f"more than {MAX_EXTRA_PAIRS}" in error.reason
    assert (error.line, error.column) == (line, column)
    assert error.context.endswith("^")


def test_a_long_send_body_with_few_pairs_still_reads() -> None:
    body = "\n".join(f"ID: {H} To: {n}" for n in range(3 * MAX_EXTRA_PAIRS)) + " X-Ref: 1"
    value = parse_response("sendmsg", body, strict=False)
    assert isinstance(value, SendResult)
    assert value.extra == ((3 * MAX_EXTRA_PAIRS, "X-Ref", "1"),)


@pytest.mark.parametrize("command", ["getbalance", "sendmsg"])
def test_memory_per_input_byte_is_bounded(command: str) -> None:
    """tracemalloc peak while parsing a 2 MB body full of pairs, per input byte.

    A strict body of the same size costs a few bytes per byte (its text and one copy); the bound
    is generous, and the unbounded parse measured ~200.
    """
    body = balance_with_pairs(400_000) if command == "getbalance" else send_with_pairs(35_000)
    assert len(body) > 2_000_000
    parse_response(command, "Credit: 1" if command == "getbalance" else f"ID: {H}", strict=False)
    tracemalloc.start()
    try:
        with pytest.raises(ResponseSyntaxError):
            parse_response(command, body, strict=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak / len(body) < 12, f"{peak / len(body):.1f} bytes per input byte"
