"""Parsing time is proportional to size: 1 KB, 100 KB and 10 MB bodies, valid and adversarial.

Each kind of body is built at three sizes, and at its smallest ("min": a few bytes, which
measures the fixed cost of a call in the same run); ``benchmarks/linear.py`` reads the JSON that
pytest-benchmark writes and prints the time per byte of each, with and without the fixed cost.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from clickatell_protocol import RequestRejected, ResponseSyntaxError, parse_request, parse_response

SIZES = {"min": 5, "1KB": 1_000, "100KB": 100_000, "10MB": 10_000_000}
# (rounds, calls per round): many calls per round where a call takes microseconds, so that the
# timer's jitter does not blur the small differences the fixed cost is taken from.
REPEATS = {"min": (50, 50), "1KB": (50, 50), "100KB": (20, 2), "1MB": (5, 1), "10MB": (3, 1)}


def _lines(size: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    out, total, n = [], 0, 0
    while total < size:
        n += 1
        if n % 5 == 0:
            line = f"ERR: 105, Invalid destination address To: {447700000000 + n}"
        else:
            line = f"ID: {rng.getrandbits(128):032x} To: {447700000000 + n}"
        out.append(line)
        total += len(line) + 1
    return "\n".join(out) + "\n"


KINDS: dict[str, tuple[str, Callable[[int], str]]] = {
    # Valid: per-recipient lines (the 10 MB body answers about 190,000 recipients).
    "valid-lines": ("sendmsg", _lines),
    # Valid: one error line with an enormous description and no line break.
    "long-description": ("querymsg", lambda n: "ERR: 105, " + "x" * n),
    # Valid: a description of spaces and near-misses of " To:" (the lookahead's worst case).
    "near-miss-to": ("querymsg", lambda n: "ERR: 105, " + " T To" * (n // 5)),
    # Invalid at once: one line, no newline, not a message id.
    "no-newline-garbage": ("sendmsg", lambda n: "ID: " + "g" * n),
    # Invalid only at the very end: every line valid but the last (the whole body goes
    # through the grammar's parser to find the error).
    "bad-last-line": ("sendmsg", lambda n: _lines(n) + "ID: nothex"),
}


def _parse(command: str, body: str) -> Any:
    try:
        return parse_response(command, body)
    except ResponseSyntaxError as error:
        return error


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("kind", KINDS)
def test_parse_response_scales_linearly(benchmark: Any, kind: str, size: str) -> None:
    command, build = KINDS[kind]
    body = build(SIZES[size])
    benchmark.extra_info["bytes"] = len(body)
    rounds, iterations = REPEATS[size]
    result = benchmark.pedantic(
        _parse, args=(command, body), rounds=rounds, iterations=iterations, warmup_rounds=1
    )
    assert result is not None


# Requests are refused over 1 MiB, so the largest size here is 1 MB. The text is over what one
# part carries at every size (the smallest too), so every call reads and counts the whole text
# and is refused with 113.
REQUEST_SIZES = {"min": 300, "1KB": 1_000, "100KB": 100_000, "1MB": 1_000_000}


@pytest.mark.parametrize("size", REQUEST_SIZES)
@pytest.mark.parametrize("kind", ["long-text"])
def test_parse_request_scales_linearly(benchmark: Any, kind: str, size: str) -> None:
    text = "x" * (REQUEST_SIZES[size] - 100)
    url = "/http/sendmsg?session_id=" + "0" * 32 + "&to=447700900123&concat=1&text=" + text
    benchmark.extra_info["bytes"] = len(url)

    def run() -> RequestRejected:
        try:
            parse_request("GET", url)
        except RequestRejected as error:
            return error
        raise AssertionError("accepted")

    rounds, iterations = REPEATS[size]
    error = benchmark.pedantic(run, rounds=rounds, iterations=iterations, warmup_rounds=1)
    assert error.code == 113
