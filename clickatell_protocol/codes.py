"""Code tables of the protocol: error codes, message statuses, ``req_feat`` bits, callback values.

Both enums accept numbers they do not know (forward compatibility, PROTOCOL.md §4): such a value
becomes a member named ``UNKNOWN_<NNN>`` whose :attr:`description` is ``None``.  Compare codes as
numbers, never by description: real servers vary the case of the text.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "CALLBACK_VALUES",
    "ERROR_STATUSES",
    "FINAL_STATUSES",
    "INTERMEDIATE_STATUSES",
    "ErrorCode",
    "MessageStatusCode",
    "ReqFeat",
    "statuses_for_callback",
]


class _OpenIntEnum(enum.IntEnum):
    """An IntEnum that represents unknown 0..9999 numbers as pseudo-members."""

    @classmethod
    def _missing_(cls, value: object) -> _OpenIntEnum | None:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 9999:
            member = int.__new__(cls, value)
            member._name_ = f"UNKNOWN_{value:03d}"
            member._value_ = value
            # Cache it so that the same number always yields the identical member.
            cls._value2member_map_[value] = member
            return member
        return None

    @property
    def known(self) -> bool:
        """Whether the number is documented (``False`` for forward-compatible pseudo-members)."""
        return not self._name_.startswith("UNKNOWN_")

    @property
    def wire(self) -> str:
        """The number as it is written on the wire: at least three digits, zero-padded."""
        return f"{int(self):03d}"


class ErrorCode(_OpenIntEnum):
    """Error codes of ``ERR: NNN, description`` lines (PROTOCOL.md §4)."""

    AUTHENTICATION_FAILED = 1
    UNKNOWN_USERNAME_OR_PASSWORD = 2
    SESSION_ID_EXPIRED = 3
    ACCOUNT_FROZEN = 4
    MISSING_SESSION_ID = 5
    IP_LOCKDOWN_VIOLATION = 7
    INVALID_OR_MISSING_PARAMETERS = 101
    INVALID_USER_DATA_HEADER = 102
    UNKNOWN_API_MESSAGE_ID = 103
    UNKNOWN_CLIENT_MESSAGE_ID = 104
    INVALID_DESTINATION_ADDRESS = 105
    INVALID_SOURCE_ADDRESS = 106
    EMPTY_MESSAGE = 107
    INVALID_OR_MISSING_API_ID = 108
    MISSING_MESSAGE_ID = 109
    ERROR_WITH_EMAIL_MESSAGE = 110
    INVALID_PROTOCOL = 111
    INVALID_MESSAGE_TYPE = 112
    MAXIMUM_MESSAGE_PARTS_EXCEEDED = 113
    CANNOT_ROUTE_MESSAGE = 114
    MESSAGE_EXPIRED = 115
    INVALID_UNICODE_DATA = 116
    INVALID_DELIVERY_TIME = 120
    DESTINATION_MOBILE_NUMBER_BLOCKED = 121
    DESTINATION_MOBILE_OPTED_OUT = 122
    INVALID_SENDER_ID = 123
    NUMBER_DELISTED = 128
    MAXIMUM_MT_LIMIT_EXCEEDED = 130
    INVALID_BATCH_ID = 201
    NO_BATCH_TEMPLATE = 202
    NO_CREDIT_LEFT = 301
    MAX_ALLOWED_CREDIT = 302
    INTERNAL_ERROR = 901

    @property
    def description(self) -> str | None:
        """The canonical wire description, or ``None`` for an unknown code."""
        return _ERROR_DESCRIPTIONS.get(int(self))


_ERROR_DESCRIPTIONS: Final[dict[int, str]] = {
    1: "Authentication failed",
    2: "Unknown username or password",
    3: "Session ID expired",
    4: "Account frozen",
    5: "Missing session ID",
    7: "IP Lockdown violation",
    101: "Invalid or missing parameters",
    102: "Invalid user data header",
    103: "Unknown API message ID",
    104: "Unknown client message ID",
    105: "Invalid destination address",
    106: "Invalid source address",
    107: "Empty message",
    108: "Invalid or missing API ID",
    109: "Missing message ID",
    110: "Error with email message",
    111: "Invalid protocol",
    112: "Invalid message type",
    113: "Maximum message parts exceeded",
    114: "Cannot route message",
    115: "Message expired",
    116: "Invalid Unicode data",
    120: "Invalid delivery time",
    121: "Destination mobile number blocked",
    122: "Destination mobile opted out",
    123: "Invalid Sender ID",
    128: "Number delisted",
    # The real text ends with the Unix time until which sending is refused; see ErrorReply.
    130: "Maximum MT limit exceeded until <UNIX TIME STAMP>",
    201: "Invalid batch ID",
    202: "No batch template",
    301: "No credit left",
    302: "Max allowed credit",
    901: "Internal error",
}


class MessageStatusCode(_OpenIntEnum):
    """Message statuses, three zero-padded digits on the wire (PROTOCOL.md §4)."""

    MESSAGE_UNKNOWN = 1
    MESSAGE_QUEUED = 2
    DELIVERED_TO_GATEWAY = 3
    RECEIVED_BY_RECIPIENT = 4
    ERROR_WITH_MESSAGE = 5
    USER_CANCELLED = 6
    ERROR_DELIVERING = 7
    RECEIVED_BY_GATEWAY = 8
    ROUTING_ERROR = 9
    MESSAGE_EXPIRED = 10
    QUEUED_FOR_LATER_DELIVERY = 11
    OUT_OF_CREDIT = 12
    CLICKATELL_CANCELLED = 13
    MAXIMUM_MT_LIMIT_EXCEEDED = 14

    @property
    def description(self) -> str | None:
        """What the status means, or ``None`` for an unknown status."""
        return _STATUS_DESCRIPTIONS.get(int(self))


_STATUS_DESCRIPTIONS: Final[dict[int, str]] = {
    1: "Message unknown",
    2: "Message queued",
    3: "Delivered to gateway",
    4: "Received by recipient",
    5: "Error with message",
    6: "User cancelled message delivery",
    7: "Error delivering message",
    8: "OK (received by gateway)",
    9: "Routing error",
    10: "Message expired",
    11: "Message queued for later delivery",
    12: "Out of credit",
    13: "Clickatell cancelled message delivery",
    14: "Maximum MT limit exceeded",
}


class ReqFeat(enum.IntFlag):
    """Bits of the ``req_feat`` parameter (PROTOCOL.md §5); a value is their sum.

    >>> int(ReqFeat.FEAT_NUMER | ReqFeat.FEAT_FLASH)
    544
    """

    FEAT_TEXT = 1
    FEAT_8BIT = 2
    FEAT_UDH = 4
    FEAT_UCS2 = 8
    FEAT_ALPHA = 16
    FEAT_NUMER = 32
    FEAT_FLASH = 512
    FEAT_DELIVACK = 8192
    FEAT_CONCAT = 16384


REQ_FEAT_ALL: Final = int(ReqFeat(sum(int(bit) for bit in ReqFeat)))
"""Every known ``req_feat`` bit: a valid value has no bit outside this mask."""

# Callback semantics [S238 §5.2.5]; V2.5 adds the error statuses as bit 4.
INTERMEDIATE_STATUSES: Final = frozenset(MessageStatusCode(code) for code in (2, 3, 11))
"""Statuses posted for callback bit 1."""
FINAL_STATUSES: Final = frozenset(MessageStatusCode(code) for code in (4, 5, 6, 7, 8, 10, 12))
"""Statuses posted for callback bit 2."""
ERROR_STATUSES: Final = frozenset(MessageStatusCode(code) for code in (5, 7, 9, 10, 12, 13, 14))
"""Statuses posted for callback bit 4 (V2.5): every status that reports a failure."""
_ALL_BUT_UNKNOWN: Final = frozenset(s for s in MessageStatusCode if s.known and s != 1)

CALLBACK_VALUES: Final = range(8)
"""Every ``callback`` value with a defined meaning."""


def statuses_for_callback(value: int) -> frozenset[MessageStatusCode]:
    """Return the statuses a server posts to the callback URL for a ``callback`` value.

    0 posts nothing; 1 the intermediate statuses; 2 the final ones; 3 every status but 001
    (V2.3.8 defines 3 as "all", which is wider than 1 and 2 together); 4 the error statuses;
    5, 6 and 7 combine the bits, where both low bits together still mean "all but 001".

    Raises:
        ValueError: ``value`` is outside 0..7.
    """
    if value not in CALLBACK_VALUES or isinstance(value, bool):
        raise ValueError(f"callback value {value!r} is not one of 0..7")
    statuses: frozenset[MessageStatusCode] = frozenset()
    if value & 3 == 3:
        statuses = _ALL_BUT_UNKNOWN
    elif value & 1:
        statuses = INTERMEDIATE_STATUSES
    elif value & 2:
        statuses = FINAL_STATUSES
    if value & 4:
        statuses |= ERROR_STATUSES
    return statuses
