"""Callbacks: status and incoming-message payloads in every delivery style, both ways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import incoming_messages, status_callbacks

from clickatell_protocol import (
    CallbackError,
    CallbackUrlCheck,
    IncomingMessage,
    MoReassembler,
    ProtocolError,
    StatusCallback,
    parse_mo_callback,
    parse_status_callback,
    render_mo_callback,
    render_status_callback,
)
from clickatell_protocol.callbacks import CALLBACK_STYLES, callback_request

API_MSG_ID = "996f364775e24b8432f45d77da8eca47"
HTTP_GET = (
    f"api_id=12345&apiMsgId={API_MSG_ID}&cliMsgId=abc123&timestamp=1218007814"
    "&to=279995631564&from=27833001171&status=003&charge=0.300000"
)
XML = (
    '<?xml version="1.0"?>\n<callback>\n <apiMsgId>996411ad91fa211e7d17bc873aa4a41d</apiMsgId>\n'
    " <cliMsgId></cliMsgId>\n <timestamp>1218008129</timestamp>\n <to>279995631564</to>\n"
    " <from>27833001171</from>\n <charge>0.300000</charge>\n <status>004</status>\n"
    " <api_id>12345</api_id>\n</callback>"
)
SOAP = (
    '<?xml version="1.0" encoding="ISO-8859-1"?>'
    '<SOAP-ENV:Envelope SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" '
    'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:tns="mt_callback">'
    '<SOAP-ENV:Body><tns:mt_callback xmlns:tns="mt_callback">'
    '<api_id xsi:type="xsd:int">1234</api_id>'
    '<apimsgid xsi:type="xsd:string">2e838df2ee3ea418272ae05aaf84ce5d</apimsgid>'
    '<climsgid xsi:type="xsd:string">abc123</climsgid>'
    '<to xsi:type="xsd:string">27999123456</to><from xsi:type="xsd:string">27999000224</from>'
    '<timestamp xsi:type="xsd:int">1213690834</timestamp>'
    '<status xsi:type="xsd:int">003</status><charge xsi:type="xsd:float">0.300000</charge>'
    "</tns:mt_callback></SOAP-ENV:Body></SOAP-ENV:Envelope>"
)


def test_http_status_callback() -> None:
    value = parse_status_callback(HTTP_GET)
    assert value == StatusCallback(
        api_id="12345",
        apimsgid=API_MSG_ID,
        climsgid="abc123",
        to="279995631564",
        from_="27833001171",
        timestamp=datetime(2008, 8, 6, 7, 30, 14, tzinfo=UTC),
        status=3,
        charge=Decimal("0.300000"),
    )
    # A leading "?", bytes, and the lower-case names of the overview all read the same.
    assert parse_status_callback("?" + HTTP_GET) == value
    assert parse_status_callback(HTTP_GET.encode()) == value
    lower = HTTP_GET.replace("apiMsgId", "apimsgid").replace("cliMsgId", "climsgid")
    assert parse_status_callback(lower) == value


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"data": XML}, id="xml-mapping"),
        pytest.param("data=" + XML.replace("&", "%26").replace("\n", "%0A"), id="xml-get"),
        pytest.param(XML.encode(), id="xml-document"),
    ],
)
def test_xml_status_callback(payload: object) -> None:
    value = parse_status_callback(payload)  # type: ignore[arg-type]
    assert isinstance(value, StatusCallback)
    assert value.climsgid is None
    assert value.status == 4
    assert value.timestamp == datetime.fromtimestamp(1218008129, UTC)


def test_soap_status_callback() -> None:
    value = parse_status_callback({"data": SOAP})
    assert isinstance(value, StatusCallback)
    assert (value.api_id, value.climsgid, value.status) == ("1234", "abc123", 3)
    assert value.charge == Decimal("0.3")


@pytest.mark.parametrize("payload", ["", b"", {}, "?"])
def test_parameterless_request_is_the_url_check(payload: object) -> None:
    assert parse_status_callback(payload) == CallbackUrlCheck()  # type: ignore[arg-type]
    assert parse_mo_callback(payload) == CallbackUrlCheck()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("apiMsgId=996f364775e24b8432f45d77da8eca47", "apiMsgId=xyz"), "apiMsgId"),
        (("timestamp=1218007814", "timestamp=yesterday"), "timestamp"),
        (("status=003", "status=ok"), "status"),
        (("charge=0.300000", "charge=lots"), "charge"),
        (("&to=279995631564", ""), "to"),
        (("api_id=12345", "api_id=12a"), "api_id"),
        (("status=003", "status=003&status=004"), "status"),
    ],
)
def test_malformed_status_callbacks_name_the_field(change: tuple[str, str], field: str) -> None:
    with pytest.raises(CallbackError) as caught:
        parse_status_callback(HTTP_GET.replace(*change))
    assert caught.value.field == field
    assert field in str(caught.value)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]><callback><to>&lol9;</to></callback>"
)
QUADRATIC = (
    f'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "{"x" * 50000}">]>'
    f"<callback><to>{'&a;' * 1000}</to></callback>"
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    "<callback><to>&e;</to></callback>"
)


@pytest.mark.parametrize(
    "document", [BILLION_LAUGHS, QUADRATIC, EXTERNAL], ids=["laughs", "quad", "ext"]
)
@pytest.mark.parametrize("parse", [parse_status_callback, parse_mo_callback])
def test_hostile_xml_is_refused_quickly(document: str, parse: object) -> None:
    with pytest.raises(CallbackError) as caught:
        parse({"data": document})  # type: ignore[operator]
    assert caught.value.field == "data"
    # Refused at the document type declaration, before any entity is defined, let alone
    # expanded: that is what makes it quick (no wall-clock assertion: see benchmarks/).
    assert "document type declaration" in str(caught.value)


def test_oversized_payload_is_refused() -> None:
    with pytest.raises(CallbackError, match="larger than"):
        parse_status_callback("x=" + "1" * 70000)


MO_HTTP = (
    "api_id=12345&from=279991235642&to=27123456789&timestamp=2008-08-06+09:43:50"
    "&text=Here+is+the%20message+text&charset=ISO-8859-1&udh="
    "&moMsgId=b2aee337abd962489b123fda9c3480fa"
)


def test_mo_http_callback() -> None:
    message = parse_mo_callback(MO_HTTP)
    assert isinstance(message, IncomingMessage)
    assert message.text == "Here is the message text"
    assert message.timestamp == datetime(2008, 8, 6, 7, 43, 50, tzinfo=UTC)  # from UTC+02:00
    assert message.udh == ""


@pytest.mark.parametrize(
    ("charset", "encoded", "text"),
    [
        ("ISO-8859-1", "Gr%FC%DFe", "Grüße"),
        ("UTF-8", "Gr%C3%BC%C3%9Fe", "Grüße"),
        ("UTF-16BE", "%00G%00r%00%FC%00%DF%00e", "Grüße"),
        ("UCS-2", "%04%1F%04%40%04%38", "При"),
    ],
)
def test_mo_text_is_decoded_with_its_charset(charset: str, encoded: str, text: str) -> None:
    payload = MO_HTTP.replace("ISO-8859-1", charset).replace("Here+is+the%20message+text", encoded)
    message = parse_mo_callback(payload)
    assert isinstance(message, IncomingMessage)
    assert message.text == text
    assert (
        message.raw_text.decode(
            {"UCS-2": "utf-16-be", "UTF-16BE": "utf-16-be"}.get(charset, charset)
        )
        == text
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (("charset=ISO-8859-1", "charset=KLINGON"), "charset"),
        (("charset=ISO-8859-1", "charset=UTF-8"), "text"),  # %20 fine, but see below
        (("timestamp=2008-08-06+09:43:50", "timestamp=06/08/2008"), "timestamp"),
        (("udh=", "udh=05000"), "udh"),
        (("moMsgId=b2aee337abd962489b123fda9c3480fa", "moMsgId=1"), "moMsgId"),
    ],
)
def test_malformed_mo_callbacks_name_the_field(change: tuple[str, str], field: str) -> None:
    payload = MO_HTTP.replace(*change)
    if field == "text":
        payload = payload.replace("Here+is", "Here%FF+is")  # not valid UTF-8
    with pytest.raises(CallbackError) as caught:
        parse_mo_callback(payload)
    assert caught.value.field == field


def _part(
    reference: int, total: int, sequence: int, text: str, wide: bool = False
) -> IncomingMessage:
    if wide:
        udh = f"060804{reference:04X}{total:02X}{sequence:02X}"
    else:
        udh = f"050003{reference:02X}{total:02X}{sequence:02X}"
    return IncomingMessage(
        api_id="1",
        momsgid=f"{sequence:032x}",
        from_="447700900123",
        to="12345",
        timestamp=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=sequence),
        charset="ISO-8859-1",
        udh=udh,
        text=text,
        raw_text=text.encode("latin-1"),
    )


@pytest.mark.parametrize("wide", [False, True])
def test_reassembly_in_any_order_ignoring_duplicates(wide: bool) -> None:
    joiner = MoReassembler()
    parts = [
        _part(7, 3, n, t, wide) for n, t in ((3, "three"), (1, "one "), (3, "three"), (2, "two "))
    ]
    results = [joiner.add(part) for part in parts]
    assert results[:3] == [None, None, None]
    whole = results[3]
    assert whole is not None
    assert whole.text == "one two three"
    assert whole.raw_text == b"one two three"
    assert whole.udh == ""
    assert len(joiner) == 0


def test_single_part_messages_come_straight_back() -> None:
    joiner = MoReassembler()
    message = parse_mo_callback(MO_HTTP)
    assert isinstance(message, IncomingMessage)
    assert joiner.add(message) is message


def test_reassembly_bounds_memory_and_expires() -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    joiner = MoReassembler(max_pending=2, expiry=timedelta(minutes=5), clock=lambda: now[0])
    for reference in (1, 2, 3):
        assert joiner.add(_part(reference, 2, 1, "a")) is None
    assert len(joiner) == 2
    assert joiner.dropped == 1
    now[0] += timedelta(minutes=6)
    assert joiner.add(_part(9, 2, 1, "x")) is None
    assert len(joiner) == 1
    assert joiner.dropped == 3


def test_callback_request_styles() -> None:
    payload = render_status_callback(parse_status_callback(HTTP_GET), "http_get")  # type: ignore[arg-type]
    get = callback_request("https://example.test/cb?x=1", payload, "http_get")
    assert get.method == "GET"
    assert get.url.startswith("https://example.test/cb?x=1&api_id=12345")
    post = callback_request(
        "https://example.test/cb", payload, "soap_post", username="u", password="p"
    )
    assert post.method == "POST"
    assert ("Authorization", "Basic dTpw") in post.headers
    assert "dTpw" not in repr(post)


@pytest.mark.parametrize("style", CALLBACK_STYLES)
@given(value=status_callbacks())
def test_status_callback_round_trip(style: str, value: StatusCallback) -> None:
    assert parse_status_callback(render_status_callback(value, style)) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("style", CALLBACK_STYLES)
@given(data=st.data())
def test_mo_callback_round_trip(style: str, data: st.DataObject) -> None:
    value = data.draw(incoming_messages(xml=not style.startswith("http")))
    assert parse_mo_callback(render_mo_callback(value, style)) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("parse", [parse_status_callback, parse_mo_callback])
@given(payload=st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_random_payloads_raise_only_callback_errors(parse: object, payload: object) -> None:
    try:
        parse(payload)  # type: ignore[operator]
    except ProtocolError as error:
        assert isinstance(error, CallbackError)


@pytest.mark.parametrize("parse", [parse_status_callback, parse_mo_callback])
@given(
    payload=st.dictionaries(
        st.sampled_from(["data", "api_id", "apiMsgId", "text", "charset", "timestamp", "udh"]),
        st.one_of(st.text(max_size=50), st.binary(max_size=50)),
    )
)
def test_random_mappings_raise_only_callback_errors(parse: object, payload: object) -> None:
    try:
        parse(payload)  # type: ignore[operator]
    except ProtocolError as error:
        assert isinstance(error, CallbackError)
