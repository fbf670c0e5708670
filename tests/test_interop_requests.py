"""What real clients and gateways send, read as the reference server reads it (PROTOCOL.md §1):
parameters a command does not define, the request's charset, and numbers written sloppily."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from strategies import NOW

from clickatell_protocol import (
    Auth,
    GetBalance,
    Ping,
    RequestRejected,
    RouteCoverage,
    SendMsg,
    StartBatch,
    parse_request,
)
from clickatell_protocol.cli import main
from clickatell_protocol.text import gsm_parts

SID = "0123456789abcdef0123456789ABCDEF"
NUMBER = "447700900123"
OTHER = "447700900456"
SECRET = "Pa55-word-never-shown"
FORM = "application/x-www-form-urlencoded"


def rejected(*args: Any, **kwargs: Any) -> RequestRejected:
    """The RequestRejected that parse_request raises for these arguments."""
    kwargs.setdefault("now", NOW)
    with pytest.raises(RequestRejected) as caught:
        parse_request(*args, **kwargs)
    return caught.value


# --------------------------------------------------------------------------------------------
# Parameters a command does not define are kept aside, not refused.

# (method, url, body, extras expected on the value)
EXTRA_CASES = [
    pytest.param(
        "GET",
        f"/http/sendmsg?api_id=1&user=kannel&password=pw&to={NUMBER}&text=Hi&charset=UTF-8"
        "&mclass=1&cliMsgId=ref1",
        b"",
        {"mclass": "1"},
        id="kannel-text",
    ),
    pytest.param(
        "GET",
        f"/http/sendmsg?session_id={SID}&to={NUMBER}&udh=0605040B8423F0&data=DEADBEEF&mclass=2"
        "&charset=UTF-8",
        b"",
        {"mclass": "2"},
        id="kannel-binary",
    ),
    pytest.param(
        "POST",
        "/http/ping",
        f"api_id=1&user=perl&password={SECRET}&session_id={SID}".encode(),
        {"api_id": "1", "user": "perl", "password": SECRET},
        id="perl-ping-credentials",
    ),
    pytest.param(
        "GET",
        f"/http/getbalance?session_id={SID}&x-client=sdk%201.0&empty=",
        b"",
        {"x-client": "sdk 1.0", "empty": ""},
        id="getbalance-unknown-and-empty",
    ),
    pytest.param(
        "GET",
        f"/http_batch/startbatch?session_id={SID}&template=Hi&to={NUMBER}",
        b"",
        {"to": NUMBER},
        id="startbatch-to",
    ),
    pytest.param(
        "GET",
        f"/http/querymsg?session_id={SID}&apimsgid={'0' * 32}&field1=x",
        b"",
        {"field1": "x"},
        id="field-on-querymsg",
    ),
    pytest.param(
        "GET", f"/http/ping?session_id={SID}&charset=utf8", b"", {}, id="charset-is-no-extra"
    ),
]


@pytest.mark.parametrize(("method", "url", "body", "extra"), EXTRA_CASES)
def test_undefined_parameters_are_kept_as_extra(
    method: str, url: str, body: bytes, extra: dict[str, str]
) -> None:
    model = parse_request(method, url, body, now=NOW)
    assert dict(model.extra) == extra
    for name in extra:
        assert name not in model.to_params() or name in type(model).model_fields
    # The extras are not sent again, and the dump is the command's own parameters.
    assert "mclass" not in model.to_params()
    assert "extra" not in model.model_dump()
    assert "charset" not in model.to_params()


# (method, url, body, offending parameter) refused by strict=True, accepted without.
STRICT_CASES = [
    pytest.param(
        "GET",
        f"/http/sendmsg?session_id={SID}&to={NUMBER}&text=Hi&mclass=1",
        b"",
        "mclass",
        id="mclass",
    ),
    pytest.param(
        "POST",
        "/http/ping",
        f"session_id={SID}&api_id=1&user=u&password={SECRET}".encode(),
        "api_id",
        id="ping-credentials",
    ),
    pytest.param(
        "GET",
        f"/http_batch/startbatch?session_id={SID}&template=Hi&to={NUMBER}",
        b"",
        "to",
        id="startbatch-to",
    ),
]


@pytest.mark.parametrize(("method", "url", "body", "parameter"), STRICT_CASES)
def test_strict_refuses_undefined_parameters(
    method: str, url: str, body: bytes, parameter: str
) -> None:
    assert parse_request(method, url, body, now=NOW).extra
    refused = rejected(method, url, body, strict=True)
    assert (refused.code, refused.parameter) == (101, parameter)
    assert repr(parameter) in refused.detail
    assert SECRET not in str(refused) and SECRET not in refused.detail


@pytest.mark.parametrize(
    "url",
    [
        f"/http/sendmsg?session_id={SID}&to={NUMBER}&text=Hi&charset=UTF-8",
        f"/http/sendmsg?session_id={SID}&to={NUMBER}&text=Hi&cliMsgId=ref1",
        f"/http_batch/senditem?session_id={SID}&batch_id={'0' * 32}&to={NUMBER}&field1=a",
    ],
    ids=["charset", "cliMsgId", "fieldN"],
)
def test_strict_accepts_what_the_protocol_defines(url: str) -> None:
    assert not parse_request("GET", url, strict=True, now=NOW).extra


# (url, code) of requests that changed meaning: what was an undefined parameter is ignored,
# so the rule that is broken next answers.
IGNORED_CASES = [
    pytest.param(f"/http/auth?session_id={SID}", 108, id="auth-by-session-lacks-api_id"),
    pytest.param("/http/ping?api_id=1&user=u&password=p", 5, id="ping-by-credentials"),
    pytest.param(f"/http/ping?session_id={SID}&mclass=1&mclass=2", 101, id="repeated-unknown"),
    pytest.param(f"/http/sendmsg?session_id={SID}&to=1&to=2&text=x", 101, id="repeated-to"),
    pytest.param(f"/http/ping?session_id={SID}&charset=UTF-8&charset=UTF-8", 101, id="charset-2x"),
]


@pytest.mark.parametrize(("url", "code"), IGNORED_CASES)
def test_ignored_parameters_leave_the_other_rules(url: str, code: int) -> None:
    assert rejected("GET", url).code == code


def test_extra_is_read_only_and_never_shows_a_secret() -> None:
    body = f"api_id=1&user=perl&password={SECRET}&session_id={SID}".encode()
    model = parse_request("POST", "/http/ping", body)
    assert isinstance(model, Ping)
    assert model.extra["password"] == SECRET  # a gateway still sees what was sent
    with pytest.raises(TypeError):
        model.extra["user"] = "x"  # type: ignore[index]
    with pytest.raises((AttributeError, TypeError, ValidationError)):
        model.extra = {}  # type: ignore[misc]
    texts = [
        repr(model),
        str(model),
        repr(model.extra),
        str(model.extra),
        model.model_dump_json(),
        json.dumps(model.model_dump(mode="json")),
    ]
    for text in texts:
        assert SECRET not in text and SID not in text, text
    assert "perl" in repr(model)  # the other extras do show


def test_extra_takes_part_in_equality_but_not_in_the_parameters() -> None:
    plain = parse_request("GET", f"/http/getbalance?session_id={SID}")
    kannel = parse_request("GET", f"/http/getbalance?session_id={SID}&mclass=1")
    assert plain == GetBalance(session_id=SID)
    assert kannel != plain
    assert hash(kannel) == hash(plain)
    assert kannel.to_params() == plain.to_params()
    assert kannel.model_dump() == plain.model_dump()
    assert kannel == parse_request("GET", f"/http/getbalance?mclass=1&session_id={SID}")


def test_a_partial_send_keeps_its_extras() -> None:
    url = f"/http/sendmsg?session_id={SID}&to={NUMBER},0123&text=Hi&mclass=1"
    refused = rejected("GET", url)
    assert refused.partial is not None
    assert dict(refused.partial.extra) == {"mclass": "1"}


def test_models_built_by_hand_have_no_extra_and_still_forbid_unknown_fields() -> None:
    assert dict(Ping(session_id=SID).extra) == {}
    with pytest.raises(ValidationError):
        Ping.model_validate({"session_id": SID, "mclass": "1"})


# --------------------------------------------------------------------------------------------
# The request's charset.

GRUSSE_UTF8 = "Gr%C3%BC%C3%9Fe"
GRUSSE_LATIN1 = "Gr%FC%DFe"


def _send_body(text: str, **extra: str) -> bytes:
    tail = "".join(f"&{key}={value}" for key, value in extra.items())
    return f"session_id={SID}&to={NUMBER}&text={text}{tail}".encode()


# (content type, body, the decoded text)
CHARSET_CASES = [
    pytest.param(f"{FORM}; charset=utf-8", _send_body(GRUSSE_UTF8), "Grüße", id="ct-utf-8"),
    pytest.param(f"{FORM}; charset=UTF8", _send_body(GRUSSE_UTF8), "Grüße", id="ct-UTF8"),
    pytest.param(f'{FORM}; charset="utf-8"', _send_body(GRUSSE_UTF8), "Grüße", id="ct-quoted"),
    pytest.param(f"{FORM};Charset=Utf-8 ", _send_body(GRUSSE_UTF8), "Grüße", id="ct-case"),
    pytest.param(None, _send_body(GRUSSE_UTF8, charset="UTF-8"), "Grüße", id="param-UTF-8"),
    pytest.param(None, _send_body(GRUSSE_UTF8, charset="utf_8"), "Grüße", id="param-utf_8"),
    pytest.param(None, _send_body(GRUSSE_LATIN1), "Grüße", id="latin-1-default"),
    pytest.param(FORM, _send_body(GRUSSE_LATIN1), "Grüße", id="ct-without-charset"),
    pytest.param(None, _send_body(GRUSSE_LATIN1, charset=""), "Grüße", id="param-empty"),
    pytest.param(
        None, _send_body(GRUSSE_LATIN1, charset="ISO-8859-1"), "Grüße", id="param-ISO-8859-1"
    ),
    pytest.param(f"{FORM}; charset=latin-1", _send_body(GRUSSE_LATIN1), "Grüße", id="ct-latin-1"),
    pytest.param(
        f"{FORM}; charset=iso8859-1", _send_body(GRUSSE_LATIN1), "Grüße", id="ct-iso8859-1"
    ),
    pytest.param(
        f"{FORM}; charset=ISO_8859-1",
        _send_body(GRUSSE_LATIN1, charset="latin1"),
        "Grüße",
        id="same-charset-two-spellings",
    ),
    pytest.param(
        f"{FORM}; charset=utf-8", _send_body("%E2%82%AC5+%CE%A9"), "€5 Ω", id="gsm-beyond-latin1"
    ),
    pytest.param(f"{FORM}; charset=utf-8", _send_body("a%2Bb+c%26d"), "a+b c&d", id="utf-8-ascii"),
]


@pytest.mark.parametrize(("content_type", "body", "text"), CHARSET_CASES)
def test_text_is_decoded_with_the_request_charset(
    content_type: str | None, body: bytes, text: str
) -> None:
    model = parse_request("POST", "/http/sendmsg", body, content_type=content_type, now=NOW)
    assert isinstance(model, SendMsg)
    assert model.text == text
    assert model.message == text
    assert "charset" not in model.extra


def test_the_charset_reaches_the_query_string_too() -> None:
    url = f"/http/sendmsg?session_id={SID}&to={NUMBER}&text={GRUSSE_UTF8}&charset=UTF-8"
    assert parse_request("GET", url).text == "Grüße"  # type: ignore[attr-defined]


# (content type, body, words the 101 detail must hold)
CHARSET_ERRORS = [
    pytest.param(None, _send_body("Hi", charset="UTF-16"), ["'UTF-16'"], id="param-utf-16"),
    pytest.param(f"{FORM}; charset=koi8-r", _send_body("Hi"), ["'koi8-r'"], id="ct-koi8-r"),
    pytest.param(None, _send_body("Hi", charset="x%FF"), ["charset"], id="param-garbage"),
    pytest.param(f"{FORM}; charset=utf-8", _send_body("Gr%FCe"), ["text", "UTF-8"], id="bad-utf8"),
    pytest.param(None, _send_body("%C3", charset="utf-8"), ["text", "UTF-8"], id="cut-utf8"),
    pytest.param(
        f"{FORM}; charset=utf-8", _send_body("Hi") + b"&%FF=1", ["name", "UTF-8"], id="bad-name"
    ),
    pytest.param(
        f"{FORM}; charset=ISO-8859-1",
        _send_body("Hi", charset="UTF-8"),
        ["'UTF-8'", "'ISO-8859-1'"],
        id="disagree",
    ),
    pytest.param(
        f"{FORM}; charset=utf-8", _send_body("%E2%9C%93"), ["unicode=1", "'✓'"], id="not-gsm"
    ),
]


@pytest.mark.parametrize(("content_type", "body", "words"), CHARSET_ERRORS)
def test_charset_errors_are_101_and_say_why(
    content_type: str | None, body: bytes, words: list[str]
) -> None:
    refused = rejected("POST", "/http/sendmsg", body, content_type=content_type)
    assert refused.code == 101, refused.detail
    for word in words:
        assert word in refused.detail


def test_a_password_in_bytes_that_are_not_utf8_is_not_shown() -> None:
    body = b"api_id=1&user=u&password=" + "Sé".encode("latin-1") + b"cret&charset=UTF-8"
    refused = rejected("POST", "/http/getbalance", body)
    assert refused.code == 101 and refused.parameter == "password"
    assert "cret" not in refused.detail and "\\xe9" not in refused.detail


def test_unicode_1_still_needs_utf16_hex_whatever_the_charset() -> None:
    body = _send_body(GRUSSE_UTF8, unicode="1", charset="UTF-8")
    assert rejected("POST", "/http/sendmsg", body).code == 116
    body = _send_body("00470072", unicode="1", charset="UTF-8")
    assert parse_request("POST", "/http/sendmsg", body).message == "Gr"  # type: ignore[attr-defined]


def test_gsm_beyond_latin1_is_counted_as_gsm() -> None:
    assert gsm_parts("€") == (1, 2)
    assert gsm_parts("€" * 80) == (1, 160)
    assert gsm_parts("€" * 81)[0] == 2
    body = _send_body("%E2%82%AC" * 80)
    model = parse_request("POST", "/http/sendmsg", body, content_type=f"{FORM}; charset=UTF-8")
    assert model.size == (1, 160, "septets")  # type: ignore[attr-defined]


@pytest.mark.parametrize("text", ["€", "ΩΣ", "✓"])
def test_models_built_by_hand_keep_plain_text_in_latin1(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SendMsg(session_id=SID, to=[NUMBER], text=text)
    assert caught.value.errors()[0]["ctx"]["code"] == 101


def test_without_a_charset_a_str_url_keeps_todays_meaning() -> None:
    assert rejected("GET", f"/http/sendmsg?session_id={SID}&to={NUMBER}&text=€").code == 101


# --------------------------------------------------------------------------------------------
# Numbers: never trimmed, never Python's int limits.

HUGE = "9" * 4300
# (query of a sendmsg, code, words the detail must hold)
NUMBER_CASES = [
    pytest.param(f"deliv_time={HUGE}", 120, "at most 10080", id="deliv_time-4300-digits"),
    pytest.param(f"deliv_time={'9' * 100_000}", 120, "at most 10080", id="deliv_time-100k"),
    pytest.param(f"concat={HUGE}", 113, "at most 3", id="concat-4300-digits"),
    pytest.param(f"callback={HUGE}", 101, "at most 7", id="callback-huge"),
    pytest.param(f"validity={HUGE}", 101, "at most 1440", id="validity-huge"),
    pytest.param(f"queue={HUGE}", 101, "at most 3", id="queue-huge"),
    pytest.param(f"req_feat={HUGE}", 101, "req_feat", id="req_feat-huge"),
    pytest.param(f"scheduled_time={HUGE}", 120, "scheduled_time", id="scheduled-huge"),
    pytest.param("deliv_time=%B2", 120, "whole number", id="deliv_time-superscript"),
    pytest.param("concat=%EF%BC%92&charset=utf-8", 101, "whole number", id="concat-fullwidth"),
]


@pytest.mark.parametrize(("query", "code", "words"), NUMBER_CASES)
def test_numbers_beyond_any_bound_get_their_own_code(query: str, code: int, words: str) -> None:
    url = f"/http/sendmsg?session_id={SID}&to={NUMBER}&text=Hi&{query}"
    refused = rejected("GET", url, max_bytes=1 << 20)
    assert refused.code == code, refused.detail
    assert words in refused.detail
    assert "int" not in refused.detail.split(":", 1)[0] and "limit" not in refused.detail
    assert len(refused.detail) < 300


def test_leading_zeros_do_not_make_a_number_large() -> None:
    url = f"/http/sendmsg?session_id={SID}&to={NUMBER}&text=Hi&deliv_time={'0' * 5000}10"
    assert parse_request("GET", url).deliv_time == 10  # type: ignore[attr-defined]


# (the recipient as it goes in the query, the character the detail names)
BAD_RECIPIENT_CHARS = [
    pytest.param("%A0", "\xa0", id="nbsp"),
    pytest.param("%85", "\x85", id="nel"),
    pytest.param("%1C", "\x1c", id="x1c"),
    pytest.param("%1D", "\x1d", id="x1d"),
    pytest.param("%1E", "\x1e", id="x1e"),
    pytest.param("%1F", "\x1f", id="x1f"),
    pytest.param("%09", "\t", id="tab"),
    pytest.param("%0A", "\n", id="newline"),
    pytest.param("%0D", "\r", id="cr"),
    pytest.param("%20", " ", id="space"),
    pytest.param("+", " ", id="raw-plus"),
    pytest.param("%B2", "²", id="superscript-two"),
]


@pytest.mark.parametrize(("inserted", "char"), BAD_RECIPIENT_CHARS)
@pytest.mark.parametrize("where", ["before", "after"])
def test_recipients_are_never_trimmed(inserted: str, char: str, where: str) -> None:
    bad = f"{inserted}{NUMBER}" if where == "before" else f"{NUMBER}{inserted}"
    refused = rejected("GET", f"/http/sendmsg?session_id={SID}&to={OTHER},{bad}&text=Hi")
    assert refused.code == 105 and refused.parameter == "to"
    assert "recipient 2" in refused.detail
    assert repr(char) in refused.detail, refused.detail
    assert refused.invalid_recipients == {1: bad.replace("+", " ").replace(inserted, char)}
    # One recipient alone: the whole request is refused, with the same words.
    alone = rejected("GET", f"/http/sendmsg?session_id={SID}&to={bad}&text=Hi")
    assert alone.code == 105 and "recipient 1" in alone.detail and repr(char) in alone.detail
    # The msisdn of routeCoverage follows the same rule.
    coverage = rejected("GET", f"/utils/routeCoverage.php?session_id={SID}&msisdn={bad}")
    assert coverage.code == 105 and coverage.parameter == "msisdn"
    assert repr(char) in coverage.detail


def test_utf8_nbsp_in_to_is_refused_too() -> None:
    url = f"/http/sendmsg?session_id={SID}&to={NUMBER}%C2%A0&text=Hi&charset=UTF-8"
    refused = rejected("GET", url)
    assert refused.code == 105 and repr("\xa0") in refused.detail


@pytest.mark.parametrize("number", [f" {NUMBER}", f"{NUMBER}\n", f"{NUMBER}\xa0"])
def test_models_built_by_hand_refuse_untrimmed_numbers(number: str) -> None:
    with pytest.raises(ValidationError):
        SendMsg(session_id=SID, to=[number], text="x")
    with pytest.raises(ValidationError):
        RouteCoverage(session_id=SID, msisdn=number)


def test_the_package_never_reads_wire_digits_with_isdigit() -> None:
    package = Path(__file__).parent.parent / "clickatell_protocol"
    for name in ("requests.py", "request_parsing.py"):
        assert ".isdigit()" not in (package / name).read_text(encoding="utf-8"), name


# --------------------------------------------------------------------------------------------
# The batch template follows the rule of sendmsg's text.

# (template, unicode, code or None)
TEMPLATE_CASES = [
    pytest.param("Hi #field1#", "1", 116, id="plain-with-unicode"),
    pytest.param("004800690021", "1", None, id="hex-with-unicode"),
    pytest.param("00480069002", "1", 116, id="odd-hex"),
    pytest.param("D800", "1", 116, id="lone-surrogate"),
    pytest.param("Hi #field1#", "0", None, id="plain"),
]


@pytest.mark.parametrize(("template", "unicode", "code"), TEMPLATE_CASES)
def test_startbatch_template_with_unicode(template: str, unicode: str, code: int | None) -> None:
    query = f"session_id={SID}&template={template.replace('#', '%23').replace(' ', '+')}"
    url = f"/http_batch/startbatch?{query}&unicode={unicode}"
    if code is None:
        assert isinstance(parse_request("GET", url), StartBatch)
    else:
        assert rejected("GET", url).code == code
    if code is not None:
        with pytest.raises(ValidationError):
            StartBatch(session_id=SID, template=template, unicode=unicode == "1")


# --------------------------------------------------------------------------------------------
# JSON input never echoes a secret.

AUTH_JSON = f'{{"api_id": "3456789", "user": "alice", "password": "{SECRET}"}}'
SEND_JSON = f'{{"session_id": "{SID}", "to": ["{NUMBER}"], "text": "Hi", "password": "{SECRET}"}}'


def _error_texts(error: ValidationError) -> list[str]:
    return [
        str(error),
        repr(error),
        error.json(),
        json.dumps(error.errors(), default=str),
        json.dumps(error.errors(include_url=False, include_context=True), default=str),
    ]


@pytest.mark.parametrize(
    ("model", "document"),
    [pytest.param(Auth, AUTH_JSON, id="auth"), pytest.param(SendMsg, SEND_JSON, id="sendmsg")],
)
def test_truncated_json_never_shows_a_secret(model: type[Auth | SendMsg], document: str) -> None:
    start = document.index(SECRET[:4]) if model is Auth else document.index(SID[:4])
    for cut in [*range(start, len(document) - 1), len(document) - 1]:
        with pytest.raises(ValidationError) as caught:
            model.model_validate_json(document[:cut])
        present = document[start:cut]
        for text in _error_texts(caught.value):
            for secret in (SECRET, SID, present if len(present) >= 4 else SECRET):
                assert secret not in text, (cut, text)


def test_json_input_with_secrets_validates() -> None:
    auth = Auth.model_validate_json(AUTH_JSON)
    assert auth.password is not None and auth.password.get_secret_value() == SECRET
    send = SendMsg.model_validate_json(SEND_JSON.replace(f', "password": "{SECRET}"', ""))
    assert send.session_id is not None and send.session_id.get_secret_value() == SID
    with pytest.raises(ValidationError) as caught:
        SendMsg.model_validate_json(SEND_JSON.replace("447", "047"))
    for text in _error_texts(caught.value):
        assert SECRET not in text and SID not in text


# --------------------------------------------------------------------------------------------
# The check command.


def test_check_reads_the_content_type_and_shows_extras(capsys: pytest.CaptureFixture[str]) -> None:
    body = f"api_id=1&user=perl&password={SECRET}&session_id={SID}"
    assert main(["check", "--method", "POST", "/http/ping", "--data", body]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["command"] == "ping"
    assert data["extra"] == {"api_id": "1", "user": "perl", "password": "**********"}
    assert SECRET not in out and SID not in out
    args = ["check", "--method", "POST", "/http/sendmsg", "--data", _send_body(GRUSSE_UTF8)]
    assert main([*[a if isinstance(a, str) else a.decode() for a in args]]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "Grüße".encode().decode("latin-1")
    utf8 = ["--content-type", f"{FORM}; charset=UTF-8"]
    assert main([*[a if isinstance(a, str) else a.decode() for a in args], *utf8]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "Grüße"


def test_check_strict(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"/http/sendmsg?session_id={SID}&to={NUMBER}&text=Hi&mclass=1"
    assert main(["check", url]) == 0
    assert json.loads(capsys.readouterr().out)["extra"] == {"mclass": "1"}
    assert main(["check", "--strict", url]) == 1
    captured = capsys.readouterr()
    assert captured.out == "ERR: 101, Invalid or missing parameters\n"
    assert "'mclass'" in captured.err


def _run_cli(*args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    root = Path(__file__).parent.parent
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-m", "clickatell_protocol", *args],
        capture_output=True,
        env=env,
        cwd=root,
        timeout=60,
        check=False,
    )


# (arguments of check, what stderr must say)
CLI_FAILURES = [
    pytest.param(
        ("--method", "POST", "--data", b"text=\xff\xfe", "--content-type", "text/x; charset=utf-8"),
        b"UTF-8",
        id="bytes-not-utf8",
    ),
    pytest.param(("--method", "POST", "--data", b"\xff\xfe"), b"session_id", id="bytes-latin1"),
    pytest.param(("--max-recipients-get", "0"), b"--max-recipients-get", id="max-recipients-0"),
    pytest.param(("--max-recipients-post", "x"), b"--max-recipients-post", id="max-not-int"),
    pytest.param(("--concat-max", "-1"), b"--concat-max", id="concat-max-negative"),
]


@pytest.mark.parametrize(("args", "said"), CLI_FAILURES)
def test_check_fails_with_one_clear_line(args: tuple[str | bytes, ...], said: bytes) -> None:
    done = _run_cli("check", *args, "/http/sendmsg")
    assert done.returncode != 0
    assert b"Traceback" not in done.stderr, done.stderr
    # One line says what is wrong (argparse prints its usage above it).
    assert said in done.stderr.strip().splitlines()[-1], done.stderr


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("text", ["%E2%82%AC5", "Gr%C3%BC%C3%9Fe %E2%82%AC", "plain"])
def test_a_request_read_in_utf8_goes_on_as_it_came(method: str, text: str) -> None:
    """A gateway forwards what it parsed: text beyond ISO-8859-1 goes on in UTF-8 with
    ``charset=UTF-8``, and reads back as the same request."""
    body = f"api_id=1&user=u&password={SECRET}&to={NUMBER}&text={text}&charset=UTF-8"
    parsed = parse_request("POST", "/http/sendmsg", body.encode(), content_type=FORM)
    request = parsed.to_http(method, "https://gateway.test")
    headers = dict(request.headers)
    again = parse_request(
        method, request.url, request.body, content_type=headers.get("Content-Type")
    )
    assert again == parsed
    assert ("charset" in parsed.to_params()) == (
        not parsed.text.isascii() and "\u20ac" in parsed.text
    )


@pytest.mark.parametrize("value", ["a\ud800b", "\udfff", "ok\udcffok"])
def test_a_lone_surrogate_in_a_utf8_request_is_refused_not_replaced(value: str) -> None:
    with pytest.raises(RequestRejected) as refused:
        parse_request(
            "GET",
            f"/http/sendmsg?session_id={SID}&to={NUMBER}&text={value}&charset=UTF-8",
        )
    assert refused.value.code == 101
    assert "not valid UTF-8" in str(refused.value)
