"""Properties of the liberal reading of requests: any parameter a command does not define is
kept aside and changes nothing else; a text sent in UTF-8 reads back as written."""

from __future__ import annotations

from urllib.parse import quote, quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import NOW, requests

from clickatell_protocol import Request, RequestRejected, SendMsg, parse_request
from clickatell_protocol.text import GSM_DEFAULT_ALPHABET, GSM_EXTENSION_TABLE

_DEFINED = {"charset", "cliMsgId", "from"}
# Parameter names as gateways invent them: none is defined by any command.
extra_names = st.from_regex(r"x[a-z_]{0,8}|mclass|coding|udhi|validity_period", fullmatch=True)
extra_values = st.text(st.characters(max_codepoint=0xFF, exclude_categories=["Cs"]), max_size=20)


def _form(params: dict[str, str]) -> str:
    return "&".join(
        f"{k}={quote_plus(v, safe=',' if k == 'to' else '', encoding='latin-1')}"
        for k, v in params.items()
    )


@given(
    model=requests(),
    extra=st.dictionaries(extra_names, extra_values, min_size=1, max_size=4),
    method=st.sampled_from(["GET", "POST"]),
)
def test_undefined_parameters_change_nothing_but_extra(
    model: Request, extra: dict[str, str], method: str
) -> None:
    params = model.to_params()
    extra = {k: v for k, v in extra.items() if k not in params and k not in _DEFINED}
    if not extra or len(getattr(model, "to", [])) > 100:
        return
    form = _form({**params, **extra})
    url, body = (
        (f"{model.path}?{form}", b"") if method == "GET" else (model.path, form.encode("ascii"))
    )
    parsed = parse_request(method, url, body, now=NOW)
    assert dict(parsed.extra) == extra
    assert parsed.model_dump() == model.model_dump()
    assert parsed.to_params() == params
    with pytest.raises(RequestRejected) as caught:
        parse_request(method, url, body, now=NOW, strict=True)
    assert caught.value.code == 101
    assert caught.value.parameter in extra


_PLAIN_UTF8 = sorted(
    {chr(c) for c in range(0x20, 0x100) if chr(c).isprintable()}
    | GSM_DEFAULT_ALPHABET
    | GSM_EXTENSION_TABLE
)


@given(
    text=st.text(st.sampled_from(_PLAIN_UTF8), min_size=1, max_size=150),
    how=st.sampled_from(["content-type", "parameter", "both"]),
)
def test_utf8_text_reads_back_as_written(text: str, how: str) -> None:
    body = (
        "session_id=0123456789abcdef0123456789abcdef&to=447700900123&concat=3"
        f"&text={quote(text, safe='', encoding='utf-8')}"
    )
    if how != "content-type":
        body += "&charset=UTF-8"
    content_type = (
        None if how == "parameter" else "application/x-www-form-urlencoded; charset=utf-8"
    )
    parsed = parse_request("POST", "/http/sendmsg", body.encode("ascii"), content_type=content_type)
    assert isinstance(parsed, SendMsg)
    assert parsed.text == text
    assert not parsed.extra


@given(digits=st.text(st.sampled_from("0123456789"), min_size=1, max_size=6000))
def test_any_digit_string_is_a_bound_error_never_a_conversion_error(digits: str) -> None:
    url = (
        "/http/sendmsg?session_id=0123456789abcdef0123456789abcdef&to=447700900123&text=Hi"
        f"&deliv_time={digits}"
    )
    try:
        parsed = parse_request("GET", url)
    except RequestRejected as rejected:
        assert rejected.code == 120
        assert "must be at" in rejected.detail
    else:
        assert 5 <= parsed.deliv_time <= 10080  # type: ignore[attr-defined]
