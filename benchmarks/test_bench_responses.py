"""Response parsing speed, side by side with the most-used Python peer and a bare regex.

Groups (each compared within itself; see README.md for the figures and how to rerun them):

- ``sendmsg-1000-lines``: a 1000-line sendmsg body, 80% ``ID: … To: …`` and 20%
  ``ERR: 105, … To: …``, parsed into typed values; against PyPI ``clickatell`` 0.1.2
  (``Transport().parseLegacy``, untyped dicts) and a bare compiled regular expression.
- ``querymsg-one-line``: one ``ID: … Status: …`` line.
"""

from __future__ import annotations

import gc
import random
import re
from typing import Any

import pytest

from clickatell_protocol import (
    Accepted,
    MessageStatus,
    Rejected,
    ResponseSyntaxError,
    SendResult,
    parse_response,
)

peer = pytest.importorskip("clickatell", reason="the peer is in the 'bench' extra")


def sendmsg_body(lines: int = 1000, seed: int = 2026) -> str:
    rng = random.Random(seed)
    out = []
    for index in range(lines):
        number = 447700900000 + index
        if index % 5 == 4:
            out.append(f"ERR: 105, Invalid destination address To: {number}")
        else:
            out.append(f"ID: {rng.getrandbits(128):032x} To: {number}")
    return "\n".join(out) + "\n"


BODY = sendmsg_body()
ONE_LINE = "ID: 0123456789abcdef0123456789abcdef Status: 004\n"
# The simplest regular expression that reads the same fields of each line.
BARE = re.compile(
    r"^(?:ID: ([0-9a-f]{32}) To: ([0-9]*)|ERR: ([0-9]{3}), (.*?) To: ([0-9]*))$", re.MULTILINE
)
TRANSPORT = peer.Transport()
# Build the grammar and the line matchers (lazy, once) before any timing starts.
parse_response("sendmsg", BODY)


@pytest.mark.benchmark(group="sendmsg-1000-lines")
def test_ours_1000_lines(benchmark: Any) -> None:
    value = benchmark(parse_response, "sendmsg", BODY)
    assert isinstance(value, SendResult)
    assert len(value.results) == 1000
    assert sum(isinstance(r, Rejected) for r in value.results) == 200
    assert isinstance(value.results[0], Accepted)


@pytest.mark.benchmark(group="sendmsg-1000-lines")
def test_peer_1000_lines(benchmark: Any) -> None:
    rows = benchmark(TRANSPORT.parseLegacy, BODY)
    assert len(rows) == 1000


@pytest.mark.benchmark(group="sendmsg-1000-lines")
def test_bare_regex_finditer_1000_lines(benchmark: Any) -> None:
    matches = benchmark(lambda: list(BARE.finditer(BODY)))
    assert len(matches) == 1000


@pytest.mark.benchmark(group="sendmsg-1000-lines")
def test_bare_regex_finditer_groups_1000_lines(benchmark: Any) -> None:
    rows = benchmark(lambda: [match.groups() for match in BARE.finditer(BODY)])
    assert len(rows) == 1000


@pytest.mark.benchmark(group="querymsg-one-line")
def test_ours_one_line(benchmark: Any) -> None:
    value = benchmark(parse_response, "querymsg", ONE_LINE)
    assert value == MessageStatus(apimsgid="0123456789abcdef0123456789abcdef", status=4)


@pytest.mark.benchmark(group="querymsg-one-line")
def test_peer_one_line(benchmark: Any) -> None:
    row = benchmark(TRANSPORT.parseLegacy, ONE_LINE)
    assert row["Status"] == "004"


@pytest.mark.benchmark(group="sendmsg-1000-lines-lark-only")
def test_lark_parser_alone_1000_lines(benchmark: Any) -> None:
    """The grammar's own LALR parser with no line matchers: why the fast path exists."""
    from clickatell_protocol.parsing import _parse_with_lark

    value = benchmark(_parse_with_lark, "sendmsg", "sendmsg", BODY, False)
    assert len(value.results) == 1000  # type: ignore[union-attr]


# A 1 MB per-recipient body (about 19,000 lines) whose last line is bad.
LATE_ERROR = (
    "".join(f"ID: {index:032x} To: {447700000000 + index}\n" for index in range(19_000))
    + "ID: nothex"
)


def _refused(parse: Any, *args: Any) -> str:
    try:
        parse(*args)
    except ResponseSyntaxError as error:
        return str(error)
    raise AssertionError("the body was accepted")


@pytest.mark.benchmark(group="sendmsg-1MB-bad-last-line")
def test_ours_late_error_1mb(benchmark: Any) -> None:
    """Lark reads only from the first line the matchers refuse."""
    message = benchmark.pedantic(
        _refused, args=(parse_response, "sendmsg", LATE_ERROR), rounds=5, warmup_rounds=1
    )
    assert "line 19001, column 5" in message


@pytest.mark.benchmark(group="sendmsg-1MB-bad-last-line")
def test_lark_whole_late_error_1mb(benchmark: Any) -> None:
    """The baseline: Lark reads the whole body to reach the same error (with the collector
    paused, as parse_response pauses it for a body this large)."""
    from clickatell_protocol.parsing import _parse_with_lark

    def whole(*args: Any) -> Any:
        gc.disable()
        try:
            return _parse_with_lark(*args)
        finally:
            gc.enable()

    message = benchmark.pedantic(
        _refused,
        args=(whole, "sendmsg", "sendmsg", LATE_ERROR, False),
        rounds=5,
        warmup_rounds=1,
    )
    assert message == _refused(parse_response, "sendmsg", LATE_ERROR)
