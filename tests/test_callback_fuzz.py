"""Fuzzing the callback parsers with the rigour of the response parser's properties.

Arbitrary bytes, text, query strings, forms, mappings, XML and SOAP documents (declared in any
encoding), with any content type, go to ``parse_status_callback`` and ``parse_mo_callback``: the
only exception that may come out is :class:`CallbackError`, and every value that comes out
renders back to itself.  Values built from the protocol render and read back in every style.

Long runs by hand: ``HYPOTHESIS_PROFILE=fuzz pytest tests/test_callback_fuzz.py`` (50,000
examples a property); the atheris target in tests/fuzz/ covers the same parsers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, quote_from_bytes
from xml.sax.saxutils import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import incoming_messages, status_callbacks

from clickatell_protocol import (
    CallbackError,
    CallbackUrlCheck,
    IncomingMessage,
    MoReassembler,
    StatusCallback,
    parse_mo_callback,
    parse_status_callback,
    render_mo_callback,
    render_status_callback,
)
from clickatell_protocol.callbacks import CALLBACK_STYLES

Parser = Callable[..., Any]
PARSERS = [parse_status_callback, parse_mo_callback]
H = "996f364775e24b8432f45d77da8eca47"
NAMES = [
    *("api_id", "apiMsgId", "apimsgid", "cliMsgId", "climsgid", "to", "from", "timestamp"),
    *("status", "charge", "moMsgId", "charset", "udh", "text", "data", "API_ID", "Text"),
]
# Values that have broken a parser or sit on an edge of one.
EDGES = [
    *("", "0", "-5", "+5", "1e200000000", "1E-9", "NaN", "Infinity", "0.300000", "003", "9999"),
    *("\u0663", "\u0660\u0660\u0664", "\uff13", "1_000", "0x10", " 12", "12 ", "\u00b2"),
    *("0001-01-01 00:00:00", "9999-12-31 23:59:59", "2008-02-30 10:00:00", "1218007814"),
    *("99999999999999", H, H.upper(), H[:-1], "ISO-8859-1", "UTF-16", "utf_16", "UTF-16LE"),
    *("UTF-16BE", "UCS-2", "UTF-8", "utf-32", "shift_jis", "idna", "punycode", "utf-7", "rot13"),
    *("base64", "hex", "uu", "zlib", "unicode_escape", "raw_unicode_escape", "x-no-such", "\x00"),
    *("050003010201", "0608040001020", "zz", "\ud800", "<callback/>", "%", "%zz", "&", "="),
]
ENCODINGS = [
    *("UTF-8", "utf-8", "ISO-8859-1", "US-ASCII", "UTF-16", "utf-16le", "UTF-32", "shift_jis"),
    *("big5", "cp1252", "latin-1", "x-unknown", "", "idna", "rot13", "base64", "utf-8-sig"),
]
CONTENT_TYPES = [
    None,
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-8",
    "text/xml",
    "application/xml; charset=UTF-16",
    "application/soap+xml",
    "text/plain",
]

values = st.one_of(st.sampled_from(EDGES), st.text(max_size=40), st.binary(max_size=40))
content_types = st.one_of(st.sampled_from(CONTENT_TYPES), st.text(max_size=30))


def encoded(value: str | bytes) -> str:
    if isinstance(value, bytes):
        return quote_from_bytes(value)
    return quote(value, errors="surrogatepass")


@st.composite
def queries(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=10))
    return "&".join(f"{key}={encoded(value)}" for key, value in pairs)


def leaf_text(value: str | bytes) -> str:
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    return escape(text)


@st.composite
def documents(draw: st.DrawFn) -> str:
    pairs = draw(st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=9))
    body = "".join(f"<{key}>{leaf_text(value)}</{key}>" for key, value in pairs)
    shape = draw(st.sampled_from(["callback", "clickmo", "soap", "nested", "bare"]))
    if shape == "soap":
        body = (
            '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
            f'<SOAP-ENV:Body><tns:mt_callback xmlns:tns="mt_callback">{body}</tns:mt_callback>'
            "</SOAP-ENV:Body></SOAP-ENV:Envelope>"
        )
    elif shape == "nested":
        body = f"<a><b>{body}</b><c>{body}</c></a>"
    elif shape != "bare":
        body = f"<{shape}>{body}</{shape}>"
    if draw(st.booleans()):
        encoding = draw(st.one_of(st.sampled_from(ENCODINGS), st.text(max_size=12)))
        body = f'<?xml version="1.0" encoding="{escape(encoding, {chr(34): ""})}"?>{body}'
    return body


@st.composite
def payloads(draw: st.DrawFn) -> Any:
    kind = draw(st.sampled_from(["bytes", "text", "query", "form", "xml", "data", "mapping"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "text":
        return draw(st.text(max_size=400))
    if kind == "query":
        return "?" + draw(queries()) if draw(st.booleans()) else draw(queries())
    if kind == "form":
        return draw(queries()).encode("latin-1", "replace")
    document = draw(documents())
    if kind == "xml":
        codec = draw(st.sampled_from(["utf-8", "utf-16", "latin-1", None]))
        return document if codec is None else document.encode(codec, "replace")
    if kind == "data":
        return "data=" + quote(document, errors="surrogatepass")
    mapping: dict[str, Any] = {}
    for key, value in draw(st.lists(st.tuples(st.sampled_from(NAMES), values), max_size=9)):
        wrap = draw(st.sampled_from(["plain", "list", "pair", "empty", "int"]))
        mapping[key] = {
            "plain": value,
            "list": [value],
            "pair": (value, value),
            "empty": [],
            "int": 7,
        }[wrap]
    if draw(st.booleans()):
        mapping["data"] = document
    return mapping


def edits(payload: str) -> st.SearchStrategy[str]:
    pieces = ["&", "=", "%", "%00", "%FF", "<", ">", "&amp;", "\ud800", "-", "e9", "\u0663", " "]
    return st.lists(
        st.tuples(st.integers(0, 600), st.sampled_from(pieces), st.booleans()),
        min_size=1,
        max_size=4,
    ).map(lambda changes: _apply(payload, changes))


def _apply(payload: str, changes: list[tuple[int, str, bool]]) -> str:
    for index, piece, insert in changes:
        at = index % (len(payload) + 1)
        payload = payload[:at] + piece + payload[at + (0 if insert else len(piece)) :]
    return payload


REASSEMBLER = MoReassembler(max_pending=50)


def only_callback_errors(parse: Parser, payload: Any, content_type: str | None) -> None:
    """The parser answers a value or a CallbackError; a value renders back to itself."""
    try:
        value = parse(payload, content_type=content_type)
    except CallbackError as error:
        assert error.field
        assert str(error).startswith(f"{error.field}: ")
        return
    if isinstance(value, CallbackUrlCheck):
        return
    if isinstance(value, StatusCallback):
        assert parse_status_callback(render_status_callback(value, "http_post")) == value
    else:
        assert isinstance(value, IncomingMessage)
        assert parse_mo_callback(render_mo_callback(value, "http_post")) == value
        REASSEMBLER.add(value)  # joining parts never raises either


@pytest.mark.parametrize("parse", PARSERS, ids=["status", "mo"])
@given(payload=payloads(), content_type=content_types)
def test_random_callback_payloads_give_a_value_or_a_callback_error(
    parse: Parser, payload: Any, content_type: str | None
) -> None:
    only_callback_errors(parse, payload, content_type)


@pytest.mark.parametrize("style", CALLBACK_STYLES)
@given(data=st.data())
def test_edited_status_callbacks_give_a_value_or_a_callback_error(
    style: Any, data: st.DataObject
) -> None:
    payload = render_status_callback(data.draw(status_callbacks()), style)
    only_callback_errors(parse_status_callback, data.draw(edits(payload)), None)


@pytest.mark.parametrize("style", CALLBACK_STYLES)
@given(data=st.data())
def test_edited_mo_callbacks_give_a_value_or_a_callback_error(
    style: Any, data: st.DataObject
) -> None:
    value = data.draw(incoming_messages(xml=not style.startswith("http")))
    payload = render_mo_callback(value, style)
    only_callback_errors(parse_mo_callback, data.draw(edits(payload)), None)


@pytest.mark.parametrize("style", CALLBACK_STYLES)
@given(value=status_callbacks())
def test_status_callbacks_render_and_read_back_in_every_style(
    style: Any, value: StatusCallback
) -> None:
    rendered = render_status_callback(value, style)
    assert parse_status_callback(rendered) == value
    assert parse_status_callback(rendered.encode("ascii")) == value
    if value.api_id is None:
        assert "api_id" not in rendered


@pytest.mark.parametrize("style", CALLBACK_STYLES)
@given(data=st.data())
def test_mo_callbacks_render_and_read_back_in_every_style(style: Any, data: st.DataObject) -> None:
    value = data.draw(incoming_messages(xml=not style.startswith("http")))
    rendered = render_mo_callback(value, style)
    assert parse_mo_callback(rendered) == value
    assert parse_mo_callback(rendered.encode("ascii")) == value


@given(
    text=st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    mark=st.sampled_from([b"", b"\xfe\xff", b"\xff\xfe"]),
    charset=st.sampled_from(["UTF-16", "utf-16", "utf_16", "UTF16"]),
)
def test_utf16_text_reads_in_either_byte_order(text: str, mark: bytes, charset: str) -> None:
    raw = mark + text.encode("utf-16-le" if mark == b"\xff\xfe" else "utf-16-be")
    value = IncomingMessage(
        api_id="1",
        momsgid=H,
        from_="1",
        to="2",
        timestamp=datetime(2020, 1, 1, tzinfo=UTC),
        charset=charset,
        udh="",
        text=text,
        raw_text=raw,
    )
    assert parse_mo_callback(render_mo_callback(value, "http_get")) == value


@pytest.mark.parametrize("style", CALLBACK_STYLES)
@given(
    moment=st.datetimes(
        min_value=datetime(1, 1, 1),
        max_value=datetime(9999, 12, 31, 21, 59, 59),
        timezones=st.just(UTC),
    ).map(lambda moment: moment.replace(microsecond=0))
)
def test_mo_timestamps_of_any_year_read_back(style: Any, moment: datetime) -> None:
    value = IncomingMessage(
        api_id="1",
        momsgid=H,
        from_="1",
        to="2",
        timestamp=moment,
        charset="ISO-8859-1",
        udh="",
        text="x",
        raw_text=b"x",
    )
    assert parse_mo_callback(render_mo_callback(value, style)) == value
