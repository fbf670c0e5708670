"""Code tables, the limits profile and callback semantics."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from clickatell_protocol import ErrorCode, Limits, MessageStatusCode, ReqFeat, statuses_for_callback
from clickatell_protocol.codes import REQ_FEAT_ALL


def test_limits_defaults_follow_the_protocol() -> None:
    limits = Limits()
    assert (limits.deliv_time_min, limits.deliv_time_max) == (5, 10080)
    assert limits.concat_max == 3
    assert (limits.max_recipients_get, limits.max_recipients_post) == (100, 300)
    assert (limits.validity_min, limits.validity_max) == (1, 1440)
    assert limits.scheduled_max_ahead == timedelta(days=7)
    assert limits.max_recipients("get") == 100
    with pytest.raises(dataclasses.FrozenInstanceError):
        limits.concat_max = 4  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"deliv_time_min": 10, "deliv_time_max": 5},
        {"concat_max": 0},
        {"queue_min": 0},
        {"scheduled_max_ahead": timedelta(0)},
        {"callback_max": -1},
    ],
)
def test_limits_refuse_empty_ranges(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="Limits"):
        Limits(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "name", "description"),
    [
        (1, "AUTHENTICATION_FAILED", "Authentication failed"),
        (105, "INVALID_DESTINATION_ADDRESS", "Invalid destination address"),
        (901, "INTERNAL_ERROR", "Internal error"),
    ],
)
def test_error_codes(code: int, name: str, description: str) -> None:
    member = ErrorCode(code)
    assert member.name == name and member.description == description and member.known
    assert member.wire == f"{code:03d}"


def test_every_documented_code_has_a_description() -> None:
    assert all(member.description for member in ErrorCode)
    assert all(member.description for member in MessageStatusCode)
    assert len(list(ErrorCode)) == 33 and len(list(MessageStatusCode)) == 14


@pytest.mark.parametrize("enum_type", [ErrorCode, MessageStatusCode])
def test_unknown_numbers_are_still_representable(enum_type: type[ErrorCode]) -> None:
    member = enum_type(555)
    assert int(member) == 555 and member == 555
    assert member.name == "UNKNOWN_555" and member.description is None and not member.known
    assert enum_type(555) is member
    with pytest.raises(ValueError):
        enum_type(-1)
    with pytest.raises(ValueError):
        enum_type(10_000)


def test_req_feat_bits() -> None:
    assert int(ReqFeat.FEAT_NUMER | ReqFeat.FEAT_FLASH) == 544
    assert REQ_FEAT_ALL == 1 + 2 + 4 + 8 + 16 + 32 + 512 + 8192 + 16384


CALLBACK_TABLE = [
    (0, set()),
    (1, {2, 3, 11}),
    (2, {4, 5, 6, 7, 8, 10, 12}),
    (3, set(range(2, 15))),
    (4, {5, 7, 9, 10, 12, 13, 14}),
    (5, {2, 3, 11, 5, 7, 9, 10, 12, 13, 14}),
    (6, {4, 5, 6, 7, 8, 10, 12, 9, 13, 14}),
    (7, set(range(2, 15))),
]


@pytest.mark.parametrize(("value", "statuses"), CALLBACK_TABLE)
def test_callback_values(value: int, statuses: set[int]) -> None:
    assert {int(s) for s in statuses_for_callback(value)} == statuses


@pytest.mark.parametrize("value", [-1, 8, True])
def test_callback_values_outside_the_table(value: int) -> None:
    with pytest.raises(ValueError):
        statuses_for_callback(value)
