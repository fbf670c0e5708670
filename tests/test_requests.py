"""Request validation at every boundary of PROTOCOL.md §3, server side and client side."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from pydantic import ValidationError
from strategies import NOW

from clickatell_protocol import (
    COMMANDS,
    Auth,
    GetBalance,
    Limits,
    Ping,
    QueryMsg,
    RequestRejected,
    SendItem,
    SendMsg,
    StartBatch,
    UnknownEndpoint,
    parse_request,
)

SID = "0123456789abcdef0123456789ABCDEF"
MSG_ID = "fedcba9876543210fedcba9876543210"
NUMBER = "447700900123"


def numbers(count: int) -> str:
    return ",".join(str(447700900000 + i) for i in range(count))


def get(command: str, path: str = "/http", **params: object) -> object:
    query = urlencode({k: str(v) for k, v in params.items()}, safe=",")
    return parse_request("GET", f"{path}/{command}?{query}", now=NOW)


def post(command: str, path: str = "/http", **params: object) -> object:
    body = urlencode({k: str(v) for k, v in params.items()}, safe=",").encode()
    return parse_request("POST", f"https://api.clickatell.com{path}/{command}", body, now=NOW)


def send(**params: object) -> dict[str, object]:
    return {"session_id": SID, "to": NUMBER, "text": "Hello", **params}


# (parameters of a GET sendmsg, expected code or None for accepted).  Each row is one boundary.
SENDMSG_CASES = [
    pytest.param(send(), None, id="minimal"),
    pytest.param(send(deliv_time=4), 120, id="deliv_time=4"),
    pytest.param(send(deliv_time=5), None, id="deliv_time=5"),
    pytest.param(send(deliv_time=10080), None, id="deliv_time=10080"),
    pytest.param(send(deliv_time=10081), 120, id="deliv_time=10081"),
    pytest.param(send(deliv_time="5m"), 120, id="deliv_time=5m"),
    pytest.param(send(concat=0), 101, id="concat=0"),
    pytest.param(send(concat=1), None, id="concat=1"),
    pytest.param(send(concat=3), None, id="concat=3"),
    pytest.param(send(concat=4), 113, id="concat=4"),
    pytest.param(send(climsgid="a" * 32), None, id="climsgid-32"),
    pytest.param(send(climsgid="a" * 33), 101, id="climsgid-33"),
    pytest.param(send(climsgid="abc-1"), 101, id="climsgid-dash"),
    pytest.param(send(climsgid="abc 1"), 101, id="climsgid-space"),
    pytest.param(send(cliMsgId="Ref42"), None, id="cliMsgId-synonym"),
    pytest.param(send(**{"from": "1" * 16}), None, id="from-16-digits"),
    pytest.param(send(**{"from": "1" * 17}), 106, id="from-17-digits"),
    pytest.param(send(**{"from": "A" * 11}), None, id="from-11-alnum"),
    pytest.param(send(**{"from": "A" * 12}), 106, id="from-12-alnum"),
    pytest.param(send(**{"from": "Shop-1"}), 106, id="from-dash"),
    pytest.param(send(to="0447700900123"), 105, id="to-leading-0"),
    pytest.param(send(to="00447700900123"), 105, id="to-leading-00"),
    pytest.param(send(to="+447700900123"), 105, id="to-plus"),
    pytest.param(send(to="44770090012a"), 105, id="to-letter"),
    pytest.param(send(to="1" * 15), None, id="to-15-digits"),
    pytest.param(send(to="1" * 16), 105, id="to-16-digits"),
    pytest.param(send(to="1234567"), None, id="to-7-digits"),
    pytest.param(send(to="123456"), 105, id="to-6-digits"),
    pytest.param(send(to=""), 105, id="to-empty"),
    pytest.param(send(to=f"{NUMBER},,{NUMBER}"), 105, id="to-empty-item"),
    pytest.param(send(to=numbers(100)), None, id="to-100-by-get"),
    pytest.param(send(to=numbers(101)), 105, id="to-101-by-get"),
    pytest.param(send(text=""), 107, id="text-empty"),
    pytest.param(send(text="x" * 160), None, id="text-160"),
    pytest.param(send(text="x" * 161), 113, id="text-161-concat-1"),
    pytest.param(send(text="x" * 161, concat=2), None, id="text-161-concat-2"),
    pytest.param(send(text="x" * 306, concat=2), None, id="text-306-concat-2"),
    pytest.param(send(text="x" * 307, concat=2), 113, id="text-307-concat-2"),
    pytest.param(send(text="{" * 80), None, id="text-80-escapes"),
    pytest.param(send(text="{" * 81), 113, id="text-81-escapes"),
    pytest.param(send(text="00480069", unicode=1), None, id="unicode-hex"),
    pytest.param(send(text="0048006", unicode=1), 116, id="unicode-7-digits"),
    pytest.param(send(text="0048zz69", unicode=1), 116, id="unicode-not-hex"),
    pytest.param(send(text="D800", unicode=1), 116, id="unicode-lone-surrogate"),
    pytest.param(send(text="0041" * 70, unicode=1), None, id="unicode-70-units"),
    pytest.param(send(text="0041" * 71, unicode=1), 113, id="unicode-71-units"),
    pytest.param(send(text="0041" * 134, unicode=1, concat=2), None, id="unicode-134-concat-2"),
    pytest.param(send(text="0041" * 135, unicode=1, concat=2), 113, id="unicode-135-concat-2"),
    pytest.param(send(unicode=2), 101, id="unicode=2"),
    pytest.param(send(mo=1, escalate=0, deliv_ack=1, binary=0), None, id="flags"),
    pytest.param(send(mo="yes"), 101, id="flag-yes"),
    pytest.param(send(callback=0), None, id="callback=0"),
    pytest.param(send(callback=7), None, id="callback=7"),
    pytest.param(send(callback=8), 101, id="callback=8"),
    pytest.param(send(queue=0), 101, id="queue=0"),
    pytest.param(send(queue=1), None, id="queue=1"),
    pytest.param(send(queue=3), None, id="queue=3"),
    pytest.param(send(queue=4), 101, id="queue=4"),
    pytest.param(send(validity=0), 101, id="validity=0"),
    pytest.param(send(validity=1), None, id="validity=1"),
    pytest.param(send(validity=1440), None, id="validity=1440"),
    pytest.param(send(validity=1441), 101, id="validity=1441"),
    pytest.param(send(max_credits="1.5"), None, id="max_credits=1.5"),
    pytest.param(send(max_credits="0"), 101, id="max_credits=0"),
    pytest.param(send(max_credits="-1"), 101, id="max_credits=-1"),
    pytest.param(send(max_credits="NaN"), 101, id="max_credits=NaN"),
    pytest.param(send(req_feat=544), None, id="req_feat=544"),
    pytest.param(send(req_feat=64), 101, id="req_feat=64-unknown-bit"),
    pytest.param(send(msg_type="SMS_FLASH"), None, id="msg_type-flash"),
    pytest.param(send(msg_type="SMS_BOGUS"), 112, id="msg_type-unknown"),
    pytest.param(
        {"session_id": SID, "to": NUMBER, "udh": "0605040B8423F0", "data": "DEADBEEF"},
        None,
        id="udh+data",
    ),
    pytest.param(
        {"session_id": SID, "to": NUMBER, "udh": "060", "data": "DEADBEEF"}, 102, id="udh-odd"
    ),
    pytest.param(
        {"session_id": SID, "to": NUMBER, "udh": "06", "data": "DEADBEEF", "msg_type": "SMS_TEXT"},
        112,
        id="udh+msg_type",
    ),
    pytest.param(send(udh="0605"), 102, id="udh-with-text"),
    pytest.param({"session_id": SID, "to": NUMBER, "data": "00" * 140}, None, id="data-140-bytes"),
    pytest.param({"session_id": SID, "to": NUMBER, "data": "00" * 141}, 113, id="data-141-bytes"),
    pytest.param(send(scheduled_time=int(NOW.timestamp()) + 7 * 86400), None, id="sched-7d"),
    pytest.param(send(scheduled_time=int(NOW.timestamp()) + 7 * 86400 + 1), 120, id="sched-7d+1s"),
    pytest.param(send(scheduled_time=int(NOW.timestamp()) - 3600), None, id="sched-past"),
    pytest.param(send(scheduled_time="2026-11-26T08:00:00Z"), None, id="sched-iso"),
    pytest.param(send(scheduled_time="2026-11-26 08:00"), 120, id="sched-bad-format"),
    pytest.param(send(session_id="a" * 31), 3, id="session-31-hex"),
    pytest.param(send(session_id="a" * 33), 3, id="session-33-hex"),
    pytest.param(send(session_id="g" * 32), 3, id="session-not-hex"),
    # Ignored, not refused (PROTOCOL.md §1); strict=True refuses it (test_interop_requests).
    pytest.param(send(bogus=1), None, id="unknown-parameter-ignored"),
]


@pytest.mark.parametrize(("params", "code"), SENDMSG_CASES)
def test_sendmsg_boundaries(params: dict[str, object], code: int | None) -> None:
    if code is None:
        model = get("sendmsg", **params)
        assert isinstance(model, SendMsg)
    else:
        with pytest.raises(RequestRejected) as caught:
            get("sendmsg", **params)
        assert caught.value.code == code, caught.value.detail
        assert caught.value.to_wire().startswith(f"ERR: {code:03d}, ")


def test_post_carries_300_recipients_but_not_301() -> None:
    assert len(post("sendmsg", **send(to=numbers(300))).to) == 300  # type: ignore[attr-defined]
    with pytest.raises(RequestRejected) as caught:
        post("sendmsg", **send(to=numbers(301)))
    assert caught.value.code == 105
    assert "at most 300" in caught.value.detail


def test_limits_profile_widens_the_caps() -> None:
    later = Limits(max_recipients_get=300, max_recipients_post=600)
    query = urlencode(send(to=numbers(300)), safe=",")
    model = parse_request("GET", f"/http/sendmsg?{query}", limits=later, now=NOW)
    assert len(model.to) == 300  # type: ignore[attr-defined]


AUTH_CASES = [
    pytest.param("getbalance", {}, 5, id="nothing"),
    pytest.param("getbalance", {"user": "u", "password": "p"}, 108, id="no-api_id"),
    pytest.param("getbalance", {"api_id": "12", "password": "p"}, 1, id="no-user"),
    pytest.param("getbalance", {"api_id": "12", "user": "u"}, 1, id="no-password"),
    pytest.param("getbalance", {"api_id": "1x", "user": "u", "password": "p"}, 108, id="api_id"),
    pytest.param("getbalance", {"session_id": SID}, None, id="session"),
    pytest.param("getbalance", {"api_id": "12", "user": "u", "password": "p"}, None, id="creds"),
    pytest.param("auth", {"api_id": "12", "user": "u", "password": "p"}, None, id="auth"),
    # session_id means nothing to auth: ignored, so api_id is missing.
    pytest.param("auth", {"session_id": SID}, 108, id="auth-by-session"),
    pytest.param("auth", {"user": "u", "password": "p"}, 108, id="auth-no-api_id"),
    pytest.param("ping", {"session_id": SID}, None, id="ping"),
    pytest.param("ping", {}, 5, id="ping-no-session"),
    # Credentials mean nothing to ping: ignored, so session_id is missing.
    pytest.param("ping", {"api_id": "12", "user": "u", "password": "p"}, 5, id="ping-creds"),
]


@pytest.mark.parametrize(("command", "params", "code"), AUTH_CASES)
def test_authentication(command: str, params: dict[str, str], code: int | None) -> None:
    if code is None:
        assert get(command, **params).command == command  # type: ignore[attr-defined]
    else:
        with pytest.raises(RequestRejected) as caught:
            get(command, **params)
        assert caught.value.code == code, caught.value.detail


OTHER_CASES = [
    pytest.param("querymsg", "/http", {"apimsgid": MSG_ID}, None, id="querymsg-apimsgid"),
    pytest.param("querymsg", "/http", {"climsgid": "ref1"}, None, id="querymsg-climsgid"),
    pytest.param("querymsg", "/http", {}, 109, id="querymsg-no-id"),
    pytest.param("querymsg", "/http", {"apimsgid": MSG_ID[:31]}, 103, id="apimsgid-31"),
    pytest.param("querymsg", "/http", {"apimsgid": MSG_ID + "0"}, 103, id="apimsgid-33"),
    pytest.param("querymsg", "/http", {"apimsgid": MSG_ID, "climsgid": "r"}, 101, id="both-ids"),
    pytest.param("delmsg", "/http", {"apimsgid": MSG_ID}, None, id="delmsg"),
    pytest.param("getmsgcharge", "/http", {"climsgid": "x" * 33}, 101, id="charge-climsgid-33"),
    pytest.param("token_pay", "/http", {"token": "1" * 16}, None, id="token-16"),
    pytest.param("token_pay", "/http", {"token": "1" * 15}, 101, id="token-15"),
    pytest.param("token_pay", "/http", {"token": "1" * 17}, 101, id="token-17"),
    pytest.param("routeCoverage.php", "/utils", {"msisdn": NUMBER}, None, id="coverage"),
    pytest.param("routecoverage", "/utils", {"msisdn": "0044"}, 105, id="coverage-bad"),
    pytest.param("routecoverage", "/utils", {}, 105, id="coverage-missing"),
    pytest.param("startbatch", "/http_batch", {"template": "Hi #field1#"}, None, id="startbatch"),
    pytest.param("startbatch", "/http_batch", {"template": ""}, 202, id="template-empty"),
    pytest.param("startbatch", "/http_batch", {}, 202, id="template-missing"),
    pytest.param("startbatch", "/http_batch", {"template": "x", "to": NUMBER}, None, id="sb-to"),
    pytest.param(
        "senditem",
        "/http_batch",
        {"batch_id": MSG_ID, "to": NUMBER, "field1": "Joe", "field2": "9am"},
        None,
        id="senditem",
    ),
    pytest.param("senditem", "/http_batch", {"batch_id": "x", "to": NUMBER}, 201, id="batch-bad"),
    pytest.param("senditem", "/http_batch", {"to": NUMBER}, 201, id="batch-missing"),
    pytest.param(
        "quicksend", "/http_batch", {"batch_id": MSG_ID, "to": numbers(3)}, None, id="quicksend"
    ),
    pytest.param("endbatch", "/http_batch", {"batch_id": MSG_ID}, None, id="endbatch"),
    pytest.param(
        "si_push",
        "/mms",
        {
            "to": NUMBER,
            "si_id": "1",
            "si_url": "http://x.example/a",
            "si_text": "Hi",
            "si_action": "signal-high",
            "si_expires": "2026-12-01T00:00:00Z",
        },
        None,
        id="si_push",
    ),
    pytest.param(
        "si_push",
        "/mms",
        {"to": NUMBER, "si_id": "1", "si_url": "u", "si_text": "t", "si_action": "loud"},
        101,
        id="si_action-bad",
    ),
    pytest.param(
        "si_push", "/mms", {"to": NUMBER, "si_id": "1", "si_url": "u"}, 101, id="si_text-missing"
    ),
    pytest.param(
        "ind_push.php",
        "/mms",
        {
            "to": NUMBER,
            "from": "Shop",
            "mms_subject": "S",
            "mms_class": 80,
            "mms_expire": 3000,
            "mms_from": "John",
            "mms_url": "http://x.example/a.mms",
        },
        None,
        id="ind_push",
    ),
    pytest.param(
        "ind_push",
        "/mms",
        {
            "to": NUMBER,
            "from": "Shop",
            "mms_subject": "S",
            "mms_class": 84,
            "mms_expire": 3000,
            "mms_from": "John",
            "mms_url": "u",
        },
        101,
        id="mms_class-84",
    ),
    pytest.param(
        "ind_push",
        "/mms",
        {
            "to": NUMBER,
            "mms_subject": "S",
            "mms_class": 80,
            "mms_expire": 3000,
            "mms_from": "John",
            "mms_url": "u",
        },
        101,
        id="ind_push-no-from",
    ),
]


@pytest.mark.parametrize(("command", "path", "params", "code"), OTHER_CASES)
def test_other_commands(
    command: str, path: str, params: dict[str, object], code: int | None
) -> None:
    params = {"session_id": SID, **params}
    for parse in (get, post):
        if code is None:
            model = parse(command, path, **params)
            assert model.command == command.removesuffix(".php")
            # What was read goes back on the wire (with what it kept aside) and reads as the
            # same request.
            assert parse(command, path, **model.to_params(), **model.extra) == model
        else:
            with pytest.raises(RequestRejected) as caught:
                parse(command, path, **params)
            assert caught.value.code == code, caught.value.detail


@pytest.mark.parametrize(
    "path",
    [
        "/http/sendmsg",
        "/http/sendmsg.php",
        "/HTTP/SENDMSG.PHP",
        "/http/sendmsg/",
        "/gateway/http/sendmsg",
        "https://api.clickatell.com/http/sendmsg",
    ],
)
def test_path_spellings(path: str) -> None:
    query = urlencode(send(), safe=",")
    assert isinstance(parse_request("GET", f"{path}?{query}", now=NOW), SendMsg)


@pytest.mark.parametrize("path", ["/http/nothing", "/", "", "/sendmsg", "/http_batch/sendmsg"])
def test_unknown_paths_are_404(path: str) -> None:
    with pytest.raises(UnknownEndpoint) as caught:
        parse_request("GET", path)
    assert caught.value.http_status == 404


def test_every_command_has_a_path_that_parses_back() -> None:
    for command, model in COMMANDS.items():
        with pytest.raises(RequestRejected) as caught:
            parse_request("GET", model.path)
        assert not isinstance(caught.value, UnknownEndpoint), command


def test_server_is_liberal_with_encoded_commas_and_get_bodies() -> None:
    model = parse_request(
        "GET",
        f"/http/sendmsg?session_id={SID}&to=447700900123%2C447700900456&text=Hi",
        b"ignored=1",
    )
    assert model.to == ["447700900123", "447700900456"]  # type: ignore[attr-defined]


def test_post_reads_query_and_body_and_refuses_repeats() -> None:
    model = parse_request("POST", f"/http/getbalance?session_id={SID}", b"")
    assert isinstance(model, GetBalance)
    with pytest.raises(RequestRejected, match="twice"):
        parse_request("POST", f"/http/getbalance?session_id={SID}", f"session_id={SID}".encode())


def test_other_methods_are_refused() -> None:
    with pytest.raises(RequestRejected) as caught:
        parse_request("PUT", "/http/ping")
    assert caught.value.code == 101


def test_plain_text_travels_as_latin1() -> None:
    model = SendMsg(session_id=SID, to=[NUMBER], text="Café & crème + 100% ✓".replace("✓", "!"))
    request = model.to_http("GET")
    assert "Caf%E9+%26+cr%E8me+%2B+100%25+%21" in request.url
    assert parse_request("GET", request.url) == model


def test_text_is_never_changed_silently() -> None:
    with pytest.raises(ValidationError) as caught:
        SendMsg(session_id=SID, to=[NUMBER], text="Привет")
    assert caught.value.errors()[0]["ctx"]["code"] == 101
    assert "unicode=1" in str(caught.value)


def test_commas_in_to_stay_literal() -> None:
    request = SendMsg(session_id=SID, to=[NUMBER, "447700900456"], text="a,b").to_http("GET")
    assert "to=447700900123,447700900456" in request.url
    assert "text=a%2Cb" in request.url


def test_get_refuses_more_recipients_than_it_may_carry() -> None:
    model = SendMsg(session_id=SID, to=numbers(150).split(","), text="x")
    with pytest.raises(RequestRejected) as caught:
        model.to_http("GET")
    assert caught.value.code == 105
    assert model.to_http("POST").method == "POST"


def test_validation_error_names_the_code_and_parameter() -> None:
    with pytest.raises(ValidationError) as caught:
        SendMsg(session_id=SID, to=[NUMBER], text="x", deliv_time=3)
    (error,) = caught.value.errors()
    assert error["type"] == "clickatell"
    assert error["ctx"]["code"] == 120
    assert error["ctx"]["parameter"] == "deliv_time"
    assert "Clickatell error 120" in error["msg"]


SCHEDULE_INPUTS = [
    pytest.param(1764072000, id="unix-int"),
    pytest.param("1764072000", id="unix-str"),
    pytest.param("2025-11-25T12:00:00Z", id="iso"),
    pytest.param(datetime(2025, 11, 25, 14, 0, tzinfo=timezone(timedelta(hours=2))), id="aware"),
]


@pytest.mark.parametrize("value", SCHEDULE_INPUTS)
def test_scheduled_time_forms_agree(value: object) -> None:
    model = SendMsg.model_validate(
        {"session_id": SID, "to": [NUMBER], "text": "x", "scheduled_time": value},
        context={"now": datetime(2025, 11, 25, tzinfo=UTC)},
    )
    assert model.scheduled_time == datetime(2025, 11, 25, 12, 0, tzinfo=UTC)


def test_scheduled_time_refuses_naive_datetimes() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        SendMsg(session_id=SID, to=[NUMBER], text="x", scheduled_time=datetime(2030, 1, 1))


def test_senditem_fields_and_startbatch_template() -> None:
    model = SendItem(session_id=SID, batch_id=MSG_ID, to=[NUMBER], fields={2: "b", 1: "a"})
    assert model.to_params()["field1"] == "a"
    assert list(model.to_params())[-2:] == ["field1", "field2"]
    batch = StartBatch(session_id=SID, template="Hi #field1#, at #field3# #field1#")
    assert batch.template_fields == (1, 3)


PASSWORD = "hunter2-Secret"


def secret_bearers() -> list[object]:
    """Values and exceptions built from requests that carry the password and a session id."""
    model = SendMsg(api_id="1", user="u", password=PASSWORD, to=[NUMBER], text="x")
    items: list[object] = [model, model.to_http("GET"), model.to_http("POST"), Ping(session_id=SID)]
    for bad in (
        f"/http/sendmsg?api_id=1&user=u&password={PASSWORD}&to=0&text=x",
        f"/http/sendmsg?api_id=1&user=u&password={PASSWORD}&to={NUMBER}&text=x&deliv_time=1",
        f"/http/sendmsg?session_id={SID}&to={NUMBER}",
        f"/http/ping?session_id={SID}x",
    ):
        try:
            parse_request("GET", bad)
        except RequestRejected as exc:
            items.append(exc)
    for kwargs in (
        {"password": PASSWORD, "api_id": "x", "user": "u"},
        {"password": PASSWORD, "api_id": "1", "user": ""},
        {"session_id": SID + "0"},
    ):
        try:
            Auth(**kwargs) if "password" in kwargs else Ping(**kwargs)
        except ValidationError as exc:
            items.append(exc)
    return items


def test_secrets_never_appear_in_repr_str_logs_or_json(caplog: pytest.LogCaptureFixture) -> None:
    bearers = secret_bearers()
    assert len(bearers) == 11
    logger = logging.getLogger("secret-test")
    for item in bearers:
        logger.warning("%s %r", item, item)
        texts = [repr(item), str(item)]
        if isinstance(item, SendMsg | Ping):
            texts.append(item.model_dump_json())
        for text in texts:
            assert PASSWORD not in text
            assert SID not in text and SID.lower() not in text
    assert PASSWORD not in caplog.text and SID not in caplog.text


def test_query_by_climsgid_synonym_round_trips() -> None:
    model = parse_request("GET", f"/http/querymsg?session_id={SID}&cliMsgId=Ref9")
    assert isinstance(model, QueryMsg) and model.climsgid == "Ref9"
    assert model.to_params()["climsgid"] == "Ref9"


def test_max_credits_is_decimal() -> None:
    model = get("sendmsg", **send(max_credits="2.50"))
    assert model.max_credits == Decimal("2.50")  # type: ignore[attr-defined]


LONG = "x" * 200  # two parts


@pytest.mark.parametrize(
    ("to", "rest", "valid", "invalid"),
    [
        # Some invalid among several: the rest is carried out, each invalid one answered.
        (
            "447700900123,12ab,447700900456",
            "&concat=2",
            ["447700900123", "447700900456"],
            {1: "12ab"},
        ),
        ("x,447700900123", "&concat=2", ["447700900123"], {0: "x"}),
        # All invalid: nothing to send, every number still answered.
        ("12,34", "&concat=2", [], {0: "12", 1: "34"}),
        # A single recipient, or a rule checked after the recipients broken too (113: more
        # parts than concat allows): refused as a whole.
        ("12ab", "&concat=2", None, {}),
        ("12ab,447700900123", "&concat=1", None, {}),
    ],
)
def test_invalid_recipients_among_several_leave_the_rest(
    to: str, rest: str, valid: list[str] | None, invalid: dict[int, str]
) -> None:
    with pytest.raises(RequestRejected) as caught:
        parse_request("POST", "/http/sendmsg", f"session_id={SID}&to={to}&text={LONG}{rest}")
    rejected = caught.value
    assert rejected.code == 105
    assert rejected.invalid_recipients == invalid
    if valid is None:
        assert rejected.partial is None
    else:
        assert isinstance(rejected.partial, SendMsg)
        assert rejected.partial.to == valid
        assert rejected.partial.text == LONG
