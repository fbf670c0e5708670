"""Request-side speed: parse_request on a full POST, and text encoding.

Each figure is read against a baseline measured in the same run (``parse_qsl`` alone on the same
body), so the ratio means something on a noisy machine.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from clickatell_protocol import SendMsg, count_parts, parse_request

SID = "0123456789abcdef0123456789abcdef"
MODEL = SendMsg(
    session_id=SID,
    to=[str(447700900000 + i) for i in range(300)],
    text="Your order #4711 has shipped and will arrive tomorrow between 9 and 12. " * 2,
    concat=2,
    climsgid="order4711",
    deliv_time=30,
    callback=3,
)
REQUEST = MODEL.to_http("POST")
LONG_TEXT = "Grüße aus Köln! {Ä} " * 40


@pytest.mark.benchmark(group="request-300-recipients")
def test_parse_qsl_baseline(benchmark: Any) -> None:
    body = REQUEST.body.decode("latin-1")
    benchmark(parse_qsl, body, keep_blank_values=True, encoding="latin-1")


@pytest.mark.benchmark(group="request-300-recipients")
def test_parse_request(benchmark: Any) -> None:
    result = benchmark(parse_request, "POST", REQUEST.url, REQUEST.body)
    assert result == MODEL


@pytest.mark.benchmark(group="request-300-recipients")
def test_to_http(benchmark: Any) -> None:
    assert benchmark(MODEL.to_http, "POST") == REQUEST


@pytest.mark.benchmark(group="text-800-chars")
def test_count_parts(benchmark: Any) -> None:
    assert benchmark(count_parts, LONG_TEXT) == 6


@pytest.mark.benchmark(group="text-459-chars")
def test_count_parts_without_pairs(benchmark: Any) -> None:
    """Three full parts of one-septet characters: counted with one division."""
    assert benchmark(count_parts, "x" * 459) == 3


@pytest.mark.benchmark(group="text-459-chars")
def test_count_parts_with_one_pair(benchmark: Any) -> None:
    """The same length with one escape pair: the character walk (the baseline)."""
    assert benchmark(count_parts, "x" * 457 + "{") == 3
