"""Callback parsers: hostile and odd inputs end in a CallbackError naming the field, never in a
foreign exception, and values that were accepted but wrong are refused (issue: reliability)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from clickatell_protocol import (
    CallbackError,
    IncomingMessage,
    ProtocolError,
    StatusCallback,
    parse_mo_callback,
    parse_status_callback,
    render_mo_callback,
    render_status_callback,
)
from clickatell_protocol.callbacks import CALLBACK_STYLES

H = "996f364775e24b8432f45d77da8eca47"
STATUS = (
    f"api_id=12345&apiMsgId={H}&cliMsgId=abc123&timestamp=1218007814"
    "&to=279995631564&from=27833001171&status=003&charge=0.300000"
)
MO = (
    f"api_id=12345&moMsgId={H}&from=279991235642&to=27123456789"
    "&timestamp=2008-08-06+09:43:50&text=Hi&charset=ISO-8859-1&udh="
)


def xml(encoding: str) -> str:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?><callback><apiMsgId>{H}</apiMsgId>'
        "<timestamp>1218008129</timestamp><to>1</to><charge>0.3</charge><status>004</status>"
        "</callback>"
    )


# (parser, payload, field named by the error, words the message holds)
FOREIGN: list[tuple[Any, Any, str, str]] = [
    # datetime(1, 1, 1, tzinfo=+02:00) cannot be shifted to UTC (OverflowError before).
    (
        parse_mo_callback,
        MO.replace("2008-08-06+09:43:50", "0001-01-01+00:00:00"),
        "timestamp",
        "out of range",
    ),
    (
        parse_mo_callback,
        MO.replace("2008-08-06+09:43:50", "9999-12-31+23:59:59"),
        None,
        "",
    ),
    # expat asks Python for the declared encoding (LookupError, ValueError before).
    (parse_status_callback, {"data": xml("foo")}, "data", "encoding"),
    (parse_status_callback, {"data": xml("shift_jis")}, "data", "encoding"),
    (parse_status_callback, xml("utf-32").encode(), "data", "encoding"),
    (parse_mo_callback, {"data": xml("x-no-such-thing")}, "data", "encoding"),
    # A str that cannot be UTF-8 (a lone surrogate; UnicodeEncodeError before).
    (parse_status_callback, STATUS + "&x=\ud800", "payload", "surrogate"),
    (parse_mo_callback, MO.replace("Hi", "H\udfffi"), "payload", "surrogate"),
    (parse_status_callback, {"to": "\ud800"}, "to", "surrogate"),
    (parse_mo_callback, {"text": "\udc80", "charset": "UTF-8"}, "text", "surrogate"),
    # Codecs that are not text encodings (LookupError when used): Python decodes b"" with any
    # codec without looking, so the charset check must ask the codec itself.
    (parse_mo_callback, b"charset=rot13&Text=0", "charset", "unknown character set"),
    (parse_mo_callback, {"data": "<c><charset>rot13</charset><text>a</text></c>"}, "charset", ""),
    (parse_mo_callback, MO.replace("ISO-8859-1", "base64"), "charset", "unknown character set"),
    (parse_mo_callback, MO.replace("ISO-8859-1", "zlib_codec"), "charset", ""),
]


@pytest.mark.parametrize(("parse", "payload", "field", "words"), FOREIGN)
def test_foreign_exceptions_become_callback_errors(
    parse: Any, payload: Any, field: str | None, words: str
) -> None:
    if field is None:  # the far end of the range reads fine
        assert parse(payload).timestamp.year == 9999
        return
    with pytest.raises(CallbackError) as caught:
        parse(payload)
    assert isinstance(caught.value, ProtocolError)
    assert caught.value.field == field
    assert words in str(caught.value)


NUMBERS: list[tuple[str, str, str]] = [
    ("charge=0.300000", "charge=-5", "charge"),
    ("charge=0.300000", "charge=%2B5", "charge"),
    ("charge=0.300000", "charge=1e200000000", "charge"),
    ("charge=0.300000", "charge=1E-9", "charge"),
    ("charge=0.300000", "charge=.5", "charge"),
    ("charge=0.300000", "charge=5.", "charge"),
    ("charge=0.300000", "charge=%D9%A3", "charge"),  # U+0663 ARABIC-INDIC DIGIT THREE
    ("charge=0.300000", "charge=0%D9%AB3", "charge"),  # U+066B ARABIC DECIMAL SEPARATOR
    ("charge=0.300000", "charge=%EF%BC%93", "charge"),  # U+FF13 FULLWIDTH DIGIT THREE
    ("charge=0.300000", "charge=1_000", "charge"),
    ("charge=0.300000", "charge=+0.3", "charge"),
    ("charge=0.300000", "charge=+0.3", "charge"),
    ("status=003", "status=%D9%A0%D9%A0%D9%A4", "status"),
    ("timestamp=1218007814", "timestamp=%D9%A1218007814", "timestamp"),
    ("to=279995631564", "to=27999563156%D9%A4", "to"),
    ("api_id=12345", "api_id=1234%D9%A5", "api_id"),
]


@pytest.mark.parametrize(("old", "new", "field"), NUMBERS)
def test_numbers_are_plain_ascii_decimals(old: str, new: str, field: str) -> None:
    assert old in STATUS
    with pytest.raises(CallbackError) as caught:
        parse_status_callback(STATUS.replace(old, new))
    assert caught.value.field == field


@pytest.mark.parametrize("charge", ["0", "0.300000", "101", "500.00", "12345678.123456"])
def test_plain_charges_still_read(charge: str) -> None:
    value = parse_status_callback(STATUS.replace("charge=0.300000", f"charge={charge}"))
    assert isinstance(value, StatusCallback) and value.charge == Decimal(charge)


@pytest.mark.parametrize(
    "stamp", ["%D9%A2008-08-06+09:43:50", "2008-08-06+09:43:5%D9%A0", "\uff12008-08-06+09:43:50"]
)
def test_mo_timestamps_take_ascii_digits_only(stamp: str) -> None:
    with pytest.raises(CallbackError) as caught:
        parse_mo_callback(MO.replace("2008-08-06+09:43:50", stamp))
    assert caught.value.field == "timestamp"


def _status(**changes: Any) -> StatusCallback:
    base: dict[str, Any] = {
        "api_id": "1",
        "apimsgid": H,
        "climsgid": None,
        "to": "1",
        "from_": "",
        "timestamp": datetime(2020, 1, 1, tzinfo=UTC),
        "status": 4,
        "charge": Decimal("0.3"),
    }
    base.update(changes)
    return StatusCallback(**base)


@pytest.mark.parametrize(
    "charge", [Decimal("1e200000000"), Decimal("1e-200000000"), Decimal("-5"), Decimal("NaN")]
)
@pytest.mark.parametrize("style", CALLBACK_STYLES)
def test_rendering_refuses_charges_it_cannot_write_plainly(charge: Decimal, style: Any) -> None:
    # Refused before any string is built: a plain 1e200000000 is a 200 MB string.
    with pytest.raises(ValueError, match="charge"):
        render_status_callback(_status(charge=charge), style)


# (charset, percent-encoded text bytes, the text)
UTF16: list[tuple[str, str, str]] = [
    ("UTF-16", "%FE%FF%00H%00i", "Hi"),  # big-endian byte-order mark
    ("UTF-16", "%FF%FEH%00i%00", "Hi"),  # little-endian byte-order mark
    ("UTF-16", "%00H%00i", "Hi"),  # no mark: big-endian, as the two-way guide says
    ("utf-16", "%FE%FF%04%1F", "П"),
    ("utf_16", "%00H%00i", "Hi"),  # another spelling Python knows
    ("UTF16", "%FF%FEH%00i%00", "Hi"),
    ("UTF-16BE", "%00H%00i", "Hi"),
]


@pytest.mark.parametrize(("charset", "encoded", "text"), UTF16)
def test_utf16_honours_the_byte_order_mark(charset: str, encoded: str, text: str) -> None:
    payload = MO.replace("text=Hi&charset=ISO-8859-1", f"text={encoded}&charset={charset}")
    value = parse_mo_callback(payload)
    assert isinstance(value, IncomingMessage)
    assert value.text == text
    # The raw bytes are kept as they came, mark included, and render back the same.
    assert parse_mo_callback(render_mo_callback(value, "http_post")) == value


@pytest.mark.parametrize("encoded", ["%FE%FF%00", "%FF%FEH"])
def test_utf16_with_an_odd_byte_count_is_refused(encoded: str) -> None:
    payload = MO.replace("text=Hi&charset=ISO-8859-1", f"text={encoded}&charset=UTF-16")
    with pytest.raises(CallbackError) as caught:
        parse_mo_callback(payload)
    assert caught.value.field == "text"


# A status callback without api_id: [S238]'s own XML example has none, Kannel does not need it.
WITHOUT_API_ID = [
    STATUS.replace("api_id=12345&", ""),
    STATUS.replace("api_id=12345", "api_id="),
    {"data": xml("UTF-8").replace('encoding="UTF-8"', "")},
]


@pytest.mark.parametrize("payload", WITHOUT_API_ID)
def test_a_status_callback_without_api_id_reads(payload: Any) -> None:
    value = parse_status_callback(payload)
    assert isinstance(value, StatusCallback)
    assert value.api_id is None


@pytest.mark.parametrize("style", CALLBACK_STYLES)
def test_a_status_callback_without_api_id_renders_without_it(style: Any) -> None:
    value = _status(api_id=None)
    rendered = render_status_callback(value, style)
    assert "api_id" not in rendered
    assert parse_status_callback(rendered) == value


def test_api_id_when_present_is_still_digits() -> None:
    with pytest.raises(CallbackError) as caught:
        parse_status_callback(STATUS.replace("api_id=12345", "api_id=12a"))
    assert caught.value.field == "api_id"


@pytest.mark.parametrize(
    "payload", ["=1&=2", {"": 7}, {"": ["a", "b"]}], ids=["query", "int", "twice"]
)
def test_a_parameter_with_no_name_is_still_named_in_the_error(payload: Any) -> None:
    with pytest.raises(CallbackError) as caught:
        parse_status_callback(payload)
    assert caught.value.field == "(no name)"
    assert str(caught.value).startswith("(no name): ")


@pytest.mark.parametrize(
    "stamp", ["0389-01-01+12:00:00", "0001-01-01+02:00:00", "0999-12-31+23:59:59"]
)
@pytest.mark.parametrize("style", CALLBACK_STYLES)
def test_mo_timestamps_before_year_1000_render_with_four_digits(stamp: str, style: Any) -> None:
    # strftime("%Y") writes year 389 as "389", which no parser reads back (found by fuzzing).
    value = parse_mo_callback(MO.replace("2008-08-06+09:43:50", stamp))
    assert isinstance(value, IncomingMessage)
    assert parse_mo_callback(render_mo_callback(value, style)) == value


@pytest.mark.parametrize(
    ("parse", "payload", "field"),
    [
        # A decoded "text" and raw "Text" bytes: which one was read depended on the spelling
        # (UnicodeDecodeError before; found by fuzzing).
        (parse_mo_callback, {"text": "", "Text": b"\x80"}, "Text"),
        (parse_mo_callback, MO + "&TEXT=x", "TEXT"),
        (parse_status_callback, STATUS + f"&apimsgid={H}", "apimsgid"),
    ],
    ids=["mapping", "mo-query", "status-query"],
)
def test_a_name_given_twice_in_any_case_is_refused(parse: Any, payload: Any, field: str) -> None:
    with pytest.raises(CallbackError) as caught:
        parse(payload)
    assert caught.value.field == field
    assert "given twice" in str(caught.value)


def test_unknown_charsets_do_not_grow_the_codec_cache() -> None:
    """codecs.lookup remembers every name it is asked, misses too (``encodings._cache``): names
    that come from the network must not reach it unless they name a codec."""
    import encodings

    before = len(encodings._cache)  # type: ignore[attr-defined]
    for number in range(500):
        with pytest.raises(CallbackError):
            parse_mo_callback({**_MO_BASE, "charset": f"x-unknown-{number}"})
    assert len(encodings._cache) - before < 5  # type: ignore[attr-defined]


_MO_BASE = {
    "api_id": "1",
    "moMsgId": "0" * 32,
    "from": "447700900123",
    "to": "447700900456",
    "timestamp": "2026-01-01 00:00:00",
    "udh": "",
    "text": "Hi",
}


@pytest.mark.parametrize("utf16", [False, True], ids=["ascii", "utf-16"])
def test_unknown_xml_encodings_do_not_grow_the_codec_cache(utf16: bool) -> None:
    import encodings

    before = len(encodings._cache)  # type: ignore[attr-defined]
    for number in range(300):
        document = (
            f'<?xml version="1.0" encoding="x-unknown-{number}"?>'
            f"<callback><apiMsgId>{'0' * 32}</apiMsgId><status>004</status></callback>"
        )
        data = document.encode("utf-16") if utf16 else document.encode()
        with pytest.raises(CallbackError):
            parse_status_callback({"data": data})
    assert len(encodings._cache) - before < 5  # type: ignore[attr-defined]
