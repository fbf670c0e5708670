"""Every number of the protocol, in one place.

The request models, the hypothesis strategies of the test suite and the documentation all read
their bounds from here, so no limit is written twice.  The defaults follow PROTOCOL.md §3 (the
constraints the user named first, then the V2.3.8 specification); a :class:`Limits` profile lets
a caller widen or narrow them, for example to the larger recipient caps of later API versions::

    from clickatell_protocol import Limits, parse_request
    later = Limits(max_recipients_get=300, max_recipients_post=600)
    parse_request("POST", "/http/sendmsg", body, limits=later)
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Final

__all__ = [
    "API_MSG_ID_HEX_DIGITS",
    "BATCH_ID_HEX_DIGITS",
    "CLIMSGID_MAX_LENGTH",
    "DEFAULT_BASE_URL",
    "EIGHT_BIT_CONCAT_PART_BYTES",
    "EIGHT_BIT_PART_BYTES",
    "GSM_CONCAT_PART_SEPTETS",
    "GSM_SINGLE_PART_SEPTETS",
    "MMS_CLASSES",
    "MO_MSG_ID_HEX_DIGITS",
    "MSISDN_MAX_DIGITS",
    "MSISDN_MIN_DIGITS",
    "SENDER_ALPHANUMERIC_MAX_LENGTH",
    "SENDER_DIGITS_MAX_LENGTH",
    "SESSION_IDLE_TIMEOUT",
    "SESSION_ID_HEX_DIGITS",
    "TOKEN_DIGITS",
    "UCS2_CONCAT_PART_UNITS",
    "UCS2_SINGLE_PART_UNITS",
    "Limits",
]

DEFAULT_BASE_URL: Final = "https://api.clickatell.com"
"""Where the service lives (PROTOCOL.md §1); plain ``http://`` works too."""

SESSION_IDLE_TIMEOUT: Final = timedelta(minutes=15)
"""A session expires after this long without use; ``ping`` extends it (PROTOCOL.md §1)."""

# Identifiers (PROTOCOL.md §3).
SESSION_ID_HEX_DIGITS: Final = 32
API_MSG_ID_HEX_DIGITS: Final = 32
BATCH_ID_HEX_DIGITS: Final = 32
MO_MSG_ID_HEX_DIGITS: Final = 32
CLIMSGID_MAX_LENGTH: Final = 32
TOKEN_DIGITS: Final = 16

# Addresses: E.164 allows at most 15 digits; the shortest international numbers in use
# (small Pacific numbering plans: country code plus four digits) have 7.
MSISDN_MAX_DIGITS: Final = 15
MSISDN_MIN_DIGITS: Final = 7
SENDER_DIGITS_MAX_LENGTH: Final = 16
SENDER_ALPHANUMERIC_MAX_LENGTH: Final = 11

# Message parts (PROTOCOL.md §6).
GSM_SINGLE_PART_SEPTETS: Final = 160
GSM_CONCAT_PART_SEPTETS: Final = 153
UCS2_SINGLE_PART_UNITS: Final = 70
UCS2_CONCAT_PART_UNITS: Final = 67
EIGHT_BIT_PART_BYTES: Final = 140
# A concatenated 8-bit part loses six bytes to its concatenation header.
EIGHT_BIT_CONCAT_PART_BYTES: Final = 134

MMS_CLASSES: Final = {80: "Personal", 81: "Advertisement", 82: "Informational", 83: "Auto"}
"""``mms_class`` values of ``ind_push`` (PROTOCOL.md §2)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """A profile of the numeric limits a request is validated against.

    Every field has the default of PROTOCOL.md §3.  The instance is immutable and hashable; pass
    it to :func:`~clickatell_protocol.parse_request` (``limits=``) or to model validation through
    the context (``Model.model_validate(data, context={"limits": limits})``).

    Raises:
        ValueError: on construction, when a range is empty or a bound is not positive.
    """

    max_recipients_get: int = 100
    """Most recipients one GET request may carry [S238 §4.3]."""
    max_recipients_post: int = 300
    """Most recipients one POST request may carry [S238 §4.3]."""
    concat_max: int = 3
    """Largest ``concat`` value: the most parts one message may use."""
    deliv_time_min: int = 5
    """Shortest delivery delay, minutes."""
    deliv_time_max: int = 10080
    """Longest delivery delay, minutes (7 days)."""
    validity_min: int = 1
    """Shortest validity period, minutes."""
    validity_max: int = 1440
    """Longest validity period, minutes (24 hours)."""
    callback_max: int = 7
    """Largest ``callback`` value: 0-3 in V2.3.8, 4-7 added as bit flags in V2.5."""
    queue_min: int = 1
    """Highest-priority queue."""
    queue_max: int = 3
    """Lowest-priority queue (the default one)."""
    scheduled_max_ahead: timedelta = timedelta(days=7)
    """How far ahead ``scheduled_time`` may lie."""

    def __post_init__(self) -> None:
        pairs = (
            ("deliv_time", self.deliv_time_min, self.deliv_time_max),
            ("validity", self.validity_min, self.validity_max),
            ("queue", self.queue_min, self.queue_max),
        )
        for name, low, high in pairs:
            if low < 1 or high < low:
                raise ValueError(f"Limits: {name} range {low}..{high} is empty or not positive")
        for name in ("max_recipients_get", "max_recipients_post", "concat_max"):
            if getattr(self, name) < 1:
                raise ValueError(f"Limits: {name} must be at least 1")
        if self.callback_max < 0:
            raise ValueError("Limits: callback_max must not be negative")
        if self.scheduled_max_ahead <= timedelta(0):
            raise ValueError("Limits: scheduled_max_ahead must be positive")

    def max_recipients(self, method: str) -> int:
        """Return the recipient cap for an HTTP method (``GET`` or anything else, i.e. ``POST``)."""
        return self.max_recipients_get if method.upper() == "GET" else self.max_recipients_post


DEFAULT_LIMITS: Final = Limits()
