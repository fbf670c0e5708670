"""Text encoding and part counting, checked against an independent GSM 03.38 codec."""

from __future__ import annotations

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import plain_chars

from clickatell_protocol import TextError, count_parts, encode_text, is_plain_sendable
from clickatell_protocol.limits import (
    GSM_CONCAT_PART_SEPTETS,
    GSM_SINGLE_PART_SEPTETS,
    UCS2_CONCAT_PART_UNITS,
    UCS2_SINGLE_PART_UNITS,
)
from clickatell_protocol.text import GSM_DEFAULT_ALPHABET, GSM_EXTENSION_TABLE

ESC = 0x1B


def oracle_plain(text: str) -> bool:
    """Plain-sendable per the rule of PROTOCOL.md §6, with the codec's own tables."""
    if "\x1b" in text:
        return False
    try:
        text.encode("gsm03.38")
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def oracle_parts(text: str) -> int:
    """Count parts by slicing the encoded bytes, moving a split pair to the next part."""
    if oracle_plain(text):
        septets = text.encode("gsm03.38")
        if len(septets) <= GSM_SINGLE_PART_SEPTETS:
            return 1
        parts, rest = 0, septets
        while rest:
            chunk = rest[:GSM_CONCAT_PART_SEPTETS]
            if chunk[-1] == ESC and len(rest) > len(chunk):
                chunk = chunk[:-1]
            rest = rest[len(chunk) :]
            parts += 1
        return parts
    data = text.encode("utf-16-be")
    if len(data) <= 2 * UCS2_SINGLE_PART_UNITS:
        return 1
    parts = 0
    while data:
        chunk = data[: 2 * UCS2_CONCAT_PART_UNITS]
        if 0xD8 <= chunk[-2] <= 0xDB and len(data) > len(chunk):
            chunk = chunk[:-2]
        data = data[len(chunk) :]
        parts += 1
    return parts


def test_tables_match_the_independent_codec() -> None:
    codec_chars = {chr(c) for c in range(0x10000) if oracle_plain(chr(c)) or _in_gsm(chr(c))}
    assert codec_chars == (GSM_DEFAULT_ALPHABET | GSM_EXTENSION_TABLE)
    for ch in GSM_EXTENSION_TABLE:
        assert len(ch.encode("gsm03.38")) == 2
    for ch in GSM_DEFAULT_ALPHABET:
        assert len(ch.encode("gsm03.38")) == 1


def _in_gsm(ch: str) -> bool:
    if ch == "\x1b":
        return False
    try:
        ch.encode("gsm03.38")
    except UnicodeEncodeError:
        return False
    return True


ENCODE_CASES = [
    # (text, encoding, parts, units)
    pytest.param("Hello", "gsm7", 1, 5, id="ascii"),
    pytest.param("x" * 160, "gsm7", 1, 160, id="160-septets"),
    pytest.param("x" * 161, "gsm7", 2, 161, id="161-septets"),
    pytest.param("x" * 306, "gsm7", 2, 306, id="306-septets"),
    pytest.param("x" * 307, "gsm7", 3, 307, id="307-septets"),
    pytest.param("[" * 80, "gsm7", 1, 160, id="80-escapes"),
    pytest.param("x" * 152 + "[" + "x" * 10, "gsm7", 2, 164, id="escape-not-split"),
    pytest.param("Ça coûte 5 €", "ucs2", 1, 12, id="euro-not-latin1"),
    pytest.param("ΔΦΓ", "ucs2", 1, 3, id="greek-not-latin1"),
    pytest.param("é" * 10, "gsm7", 1, 10, id="gsm-and-latin1"),
    pytest.param("â", "ucs2", 1, 1, id="latin1-not-gsm"),
    pytest.param("a" * 70 + "€", "ucs2", 2, 71, id="71-units"),
    pytest.param("😀" * 35, "ucs2", 1, 70, id="35-astral"),
    pytest.param("a" + "😀" * 35, "ucs2", 2, 71, id="surrogates"),
    pytest.param("a" * 66 + "😀" + "b" * 66, "ucs2", 3, 134, id="surrogate-not-split"),
]


@pytest.mark.parametrize(("text", "encoding", "parts", "units"), ENCODE_CASES)
def test_encode_text(text: str, encoding: str, parts: int, units: int) -> None:
    encoded = encode_text(text)
    assert (encoded.encoding, encoded.parts, encoded.units) == (encoding, parts, units)
    assert encoded.unicode == (encoding == "ucs2")
    if encoded.unicode:
        assert bytes.fromhex(encoded.text).decode("utf-16-be") == text
    else:
        assert encoded.text == text
    assert count_parts(text) == parts == oracle_parts(text)


def test_escape_pair_moves_to_the_next_part() -> None:
    # 152 plain septets then an escape pair: the pair would straddle septets 153/154.
    # 306 septets would fit two parts of 153 if the pair could be split; it cannot.
    text = "x" * 152 + "[" + "x" * 152
    assert oracle_parts(text) == count_parts(text) == 3
    assert count_parts("x" * 151 + "[" + "x" * 153) == 2


@pytest.mark.parametrize(
    ("text", "concat", "code"),
    [("", None, 107), ("x" * 161, 1, 113), ("€" * 71, 1, 113), ("x" * 459, 3, None)],
)
def test_encode_text_errors(text: str, concat: int | None, code: int | None) -> None:
    if code is None:
        assert encode_text(text, concat=concat).parts == 3
        return
    with pytest.raises(TextError) as caught:
        encode_text(text, concat=concat)
    assert caught.value.code == code


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(TextError) as caught:
        encode_text("a\ud800")
    assert caught.value.code == 116


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=400))
def test_part_counts_agree_with_oracle(text: str) -> None:
    assert is_plain_sendable(text) == oracle_plain(text)
    assert count_parts(text) == oracle_parts(text)


@given(st.text(st.sampled_from(plain_chars), max_size=600))
def test_plain_part_counts_agree_with_oracle(text: str) -> None:
    assert is_plain_sendable(text)
    assert count_parts(text) == oracle_parts(text)


SINGLE_SEPTET = [ch for ch in plain_chars if ch not in GSM_EXTENSION_TABLE]


@given(st.text(st.sampled_from(SINGLE_SEPTET), min_size=150, max_size=1000))
def test_single_septet_texts_agree_with_oracle(text: str) -> None:
    """Long plain texts with no two-septet character (counted without walking them)."""
    assert count_parts(text) == oracle_parts(text)


@given(
    st.text(
        st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), min_size=60, max_size=400
    ).filter(lambda text: not is_plain_sendable(text))
)
def test_basic_plane_ucs2_texts_agree_with_oracle(text: str) -> None:
    """Long UCS-2 texts with no surrogate pair (counted without walking them)."""
    assert count_parts(text) == oracle_parts(text)


@given(
    st.text(
        st.one_of(
            st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]),
            st.characters(min_codepoint=0x10000),
        ),
        min_size=30,
        max_size=400,
    )
)
def test_texts_with_surrogate_pairs_agree_with_oracle(text: str) -> None:
    """Emoji and other characters beyond U+FFFF mixed in: a pair never straddles two parts."""
    assert count_parts(text) == oracle_parts(text)


@given(st.text(st.sampled_from(plain_chars), min_size=150, max_size=3000))
def test_long_plain_texts_agree_with_oracle(text: str) -> None:
    """Many parts with escape pairs among them."""
    assert count_parts(text) == oracle_parts(text)


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=300))
def test_encoding_is_lossless(text: str) -> None:
    encoded = encode_text(text)
    decoded = bytes.fromhex(encoded.text).decode("utf-16-be") if encoded.unicode else encoded.text
    assert decoded == text
