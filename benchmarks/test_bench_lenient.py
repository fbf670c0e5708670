"""Lenient parsing of a body full of unknown ``Key: value`` pairs, against a strict body of the
same size, in the same run (group ``lenient-pairs-1mb``).

A lenient parse keeps at most ``MAX_EXTRA_PAIRS`` unknown pairs and refuses a body with more at
the first pair over the limit, so a 1 MB body of pairs costs about what a 1 MB strict sendmsg
body costs (before the limit: ~9 µs and ~200 bytes of memory per input byte).  The memory bound
is asserted in tests/test_lenient_bounds.py; figures are in README.md.
"""

from __future__ import annotations

from typing import Any

import pytest

from clickatell_protocol import ResponseSyntaxError, SendResult, parse_response

SIZE = 1_000_000
H = "0123456789abcdef0123456789abcdef"
STRICT = "\n".join(f"ID: {H} To: {447700900000 + n}" for n in range(SIZE // 50))
PAIRS_ONE_LINE = "Credit: 12" + " k: v" * ((SIZE - 10) // 5)
PAIRS_PER_LINE = "\n".join(f"ID: {H} To: {447700900000 + n} X-Ref: 1" for n in range(SIZE // 59))
# Build the grammars and line matchers (lazy, once) before any timing starts.
parse_response("sendmsg", f"ID: {H}")
parse_response("getbalance", "Credit: 1 k: v", strict=False)


def refused(command: str, body: str) -> str:
    try:
        parse_response(command, body, strict=False)
    except ResponseSyntaxError as error:
        return error.reason
    raise AssertionError("a body over the limit was read")


@pytest.mark.benchmark(group="lenient-pairs-1mb")
def test_strict_sendmsg_1mb(benchmark: Any) -> None:
    value = benchmark(parse_response, "sendmsg", STRICT)
    assert isinstance(value, SendResult)
    assert len(value.results) == SIZE // 50


@pytest.mark.benchmark(group="lenient-pairs-1mb")
def test_lenient_pairs_on_one_line_1mb(benchmark: Any) -> None:
    assert len(PAIRS_ONE_LINE) >= SIZE - 5
    assert "more than" in benchmark(refused, "getbalance", PAIRS_ONE_LINE)


@pytest.mark.benchmark(group="lenient-pairs-1mb")
def test_lenient_pairs_on_every_line_1mb(benchmark: Any) -> None:
    assert len(PAIRS_PER_LINE) >= SIZE - 100
    assert "more than" in benchmark(refused, "sendmsg", PAIRS_PER_LINE)
