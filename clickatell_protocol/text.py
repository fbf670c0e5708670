"""Message text: GSM 03.38 and UCS-2 encoding and part counting (PROTOCOL.md §6).

A text goes out *plain* (``unicode=0``) when every character is in the GSM 03.38 default or
extension table **and** in ISO-8859-1, because plain text travels as ISO-8859-1 bytes and is
delivered in the GSM alphabet.  Anything else goes out as ``unicode=1``: the hex of its UTF-16BE
encoding.  So ``€`` and the Greek capitals of the GSM table, which ISO-8859-1 lacks, make a text
UCS-2.

Part sizes: 160 septets in a single GSM part, 153 in each part of a concatenated message; 70 and
67 UTF-16 code units for UCS-2.  Extension characters take two septets (escape + character) and
characters beyond the BMP two code units (a surrogate pair); a part boundary never falls between
the two halves.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from .errors import TextError
from .limits import (
    EIGHT_BIT_CONCAT_PART_BYTES,
    EIGHT_BIT_PART_BYTES,
    GSM_CONCAT_PART_SEPTETS,
    GSM_SINGLE_PART_SEPTETS,
    UCS2_CONCAT_PART_UNITS,
    UCS2_SINGLE_PART_UNITS,
)

__all__ = [
    "GSM_DEFAULT_ALPHABET",
    "GSM_EXTENSION_TABLE",
    "EncodedText",
    "count_parts",
    "eight_bit_parts",
    "encode_text",
    "is_plain_sendable",
    "ucs2_hex",
]

# The GSM 03.38 default alphabet, in septet order.  Position 0x1B is the escape to the extension
# table, not a character a text may hold; it is marked by a NUL placeholder and left out below.
_DEFAULT_TABLE: Final = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x00ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM_DEFAULT_ALPHABET: Final = frozenset(ch for i, ch in enumerate(_DEFAULT_TABLE) if i != 0x1B)
"""Characters of the GSM 03.38 default alphabet (one septet each)."""

GSM_EXTENSION_TABLE: Final = frozenset("\f^{}\\[]~|€")
"""Characters of the GSM 03.38 extension table (two septets each: escape, then the character)."""

_PLAIN_SEPTETS: Final[dict[str, int]] = {
    **{ch: 1 for ch in GSM_DEFAULT_ALPHABET if ord(ch) < 256},
    **{ch: 2 for ch in GSM_EXTENSION_TABLE if ord(ch) < 256},
}
# Characters that can travel plain, and the ones of them worth two septets.
_PLAIN_CHARS: Final = "".join(sorted(_PLAIN_SEPTETS))
# Every extension character, '€' included: a server that reads UTF-8 accepts it in plain text
# (PROTOCOL.md §1), and it takes two septets there too.
_DOUBLE_SEPTET_CHARS: Final = "".join(sorted(GSM_EXTENSION_TABLE))
_DOUBLE_SEPTET_SET: Final = frozenset(_DOUBLE_SEPTET_CHARS)
_NOT_PLAIN_TRANSLATION: Final = {ord(ch): None for ch in _PLAIN_CHARS}

Encoding = Literal["gsm7", "ucs2"]


class EncodedText(BaseModel):
    """A text ready for the wire.

    Attributes:
        text: the value of the ``text`` parameter: the text itself when plain, else UTF-16BE hex
            (upper case).
        unicode: the value of the ``unicode`` parameter.
        encoding: ``gsm7`` or ``ucs2``.
        parts: how many SMS parts the text needs.
        units: septets (``gsm7``) or UTF-16 code units (``ucs2``) the text occupies.
    """

    model_config = ConfigDict(frozen=True)

    text: str
    unicode: bool
    encoding: Encoding
    parts: int
    units: int


def is_plain_sendable(text: str) -> bool:
    """Return whether ``text`` can be sent with ``unicode=0`` without any change."""
    return not text.translate(_NOT_PLAIN_TRANSLATION)


def _pack(sizes: Iterable[int], single: int, concat: int) -> tuple[int, int]:
    """Pack characters of the given unit sizes into parts; return ``(parts, units)``.

    A character never straddles two parts, so an escape pair or a surrogate pair that would not
    fit starts the next part instead.
    """
    sizes = list(sizes)
    total = sum(sizes)
    if total <= single:
        return 1, total
    parts, used = 1, 0
    for size in sizes:
        if used + size > concat:
            parts += 1
            used = 0
        used += size
    return parts, total


def gsm_septets(text: str) -> int:
    """Return the septets a plain text occupies (extension characters count two).

    Characters outside the GSM table but inside ISO-8859-1 count one septet: a server replaces
    each with one GSM character.  The GSM characters beyond ISO-8859-1 (``€``, Greek capitals)
    count as in GSM, for a text a server received in UTF-8.
    """
    return len(text) + sum(text.count(ch) for ch in _DOUBLE_SEPTET_CHARS)


def gsm_parts(text: str) -> tuple[int, int]:
    """Return ``(parts, septets)`` for ``text`` sent plain."""
    total = gsm_septets(text)
    if total <= GSM_SINGLE_PART_SEPTETS:
        return 1, total
    if total == len(text):  # one septet each: no pair to keep together, parts fill up evenly
        return -(-total // GSM_CONCAT_PART_SEPTETS), total
    # Some pairs: walk the characters, moving a pair that would straddle a boundary.
    return _pack(
        (2 if ch in _DOUBLE_SEPTET_SET else 1 for ch in text),
        GSM_SINGLE_PART_SEPTETS,
        GSM_CONCAT_PART_SEPTETS,
    )


def ucs2_parts(text: str) -> tuple[int, int]:
    """Return ``(parts, code units)`` for ``text`` sent as UCS-2 (UTF-16)."""
    # UTF-16 code units, counted by the codec (a character beyond U+FFFF takes two).
    total = len(text.encode("utf-16-le", "surrogatepass")) // 2
    if total <= UCS2_SINGLE_PART_UNITS:
        return 1, total
    if total == len(text):  # one unit each: no surrogate pair to keep together
        return -(-total // UCS2_CONCAT_PART_UNITS), total
    return _pack(
        (2 if ord(ch) > 0xFFFF else 1 for ch in text),
        UCS2_SINGLE_PART_UNITS,
        UCS2_CONCAT_PART_UNITS,
    )


def eight_bit_parts(byte_count: int) -> int:
    """Return the parts an 8-bit message (UDH included) of ``byte_count`` bytes needs."""
    if byte_count <= EIGHT_BIT_PART_BYTES:
        return 1
    return math.ceil(byte_count / EIGHT_BIT_CONCAT_PART_BYTES)


def ucs2_hex(text: str) -> str:
    """Return the ``unicode=1`` wire form of ``text``: its UTF-16BE encoding in upper-case hex.

    Raises:
        TextError: the text holds a lone surrogate, which UTF-16 cannot encode (code 116).
    """
    try:
        return text.encode("utf-16-be").hex().upper()
    except UnicodeEncodeError as exc:
        raise TextError(
            116, f"text: character {exc.start} is a lone surrogate, which UTF-16 cannot carry"
        ) from None


def count_parts(text: str) -> int:
    """Return how many SMS parts ``text`` needs in the encoding :func:`encode_text` chooses.

    An empty text counts as one (empty) part; a server refuses to send it (code 107).
    """
    if is_plain_sendable(text):
        return gsm_parts(text)[0]
    return ucs2_parts(text)[0]


def encode_text(text: str, *, concat: int | None = None) -> EncodedText:
    """Choose the encoding for ``text`` and return its wire form and size.

    Args:
        text: the message as the user wrote it; it is never altered, only encoded.
        concat: the most parts the message may use (the ``concat`` parameter), or ``None`` for
            no limit.

    Returns:
        The :class:`EncodedText`; pass ``.text`` and ``.unicode`` to :class:`SendMsg`.

    Raises:
        TextError: code 107 for an empty text, 113 when it needs more than ``concat`` parts,
            116 for a lone surrogate.
    """
    if not text:
        raise TextError(107, "text: the message is empty")
    if is_plain_sendable(text):
        parts, units = gsm_parts(text)
        encoded = EncodedText(text=text, unicode=False, encoding="gsm7", parts=parts, units=units)
    else:
        wire = ucs2_hex(text)
        parts, units = ucs2_parts(text)
        encoded = EncodedText(text=wire, unicode=True, encoding="ucs2", parts=parts, units=units)
    if concat is not None and encoded.parts > concat:
        raise TextError(
            113,
            f"text: needs {encoded.parts} {encoded.encoding} parts ({encoded.units} units) "
            f"but concat allows {concat}",
            parts=encoded.parts,
        )
    return encoded
