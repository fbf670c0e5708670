"""Properties of request models: round trips, limits agreement, robustness of parse_request."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import CONTEXT, DEFAULTS, NOW, just_outside, request_kwargs, requests

from clickatell_protocol import COMMANDS, Request, RequestRejected, SendMsg, parse_request


@pytest.mark.parametrize("command", sorted(COMMANDS))
@given(data=st.data())
def test_every_valid_request_round_trips(command: str, data: st.DataObject) -> None:
    model = data.draw(requests(command))
    for method in ("GET", "POST"):
        recipients = getattr(model, "to", [])
        if len(recipients) > DEFAULTS.max_recipients(method):
            continue
        http = model.to_http(method)
        assert parse_request(http.method, http.url, http.body, now=NOW) == model


@given(model=requests())
def test_to_params_is_what_parse_request_reads(model: Request) -> None:
    body = "&".join(
        f"{k}={quote_plus(v, safe=',', encoding='latin-1')}" for k, v in model.to_params().items()
    )
    assert parse_request("POST", model.path, body.encode("ascii"), now=NOW) == model


@given(kwargs=request_kwargs("sendmsg"), outside=just_outside())
def test_every_value_just_outside_a_limit_is_rejected(
    kwargs: dict[str, Any], outside: tuple[str, object, int]
) -> None:
    parameter, value, code = outside
    params = SendMsg.model_validate(kwargs, context=CONTEXT).to_params()
    if parameter == "session_id":
        for name in ("api_id", "user", "password"):
            params.pop(name, None)
    params[parameter] = str(value)
    for method in ("GET", "POST"):
        query = "&".join(
            f"{k}={quote_plus(v, safe=',', encoding='latin-1')}" for k, v in params.items()
        )
        url, body = (
            ("/http/sendmsg?" + query, b"")
            if method == "GET"
            else ("/http/sendmsg", query.encode("ascii"))
        )
        with pytest.raises(RequestRejected) as caught:
            parse_request(method, url, body, now=NOW)
        assert caught.value.code == code, caught.value.detail
        assert caught.value.parameter == parameter


query_chars = st.sampled_from(
    [
        *list("=&%,+;#?/ "),
        "%2C",
        "%00",
        "%FF",
        "%zz",
        "session_id",
        "to",
        "text",
        "api_id",
        "unicode",
        "1",
    ]
)


@given(
    path=st.sampled_from([f"{m.path}" for m in COMMANDS.values()] + ["/http/x", "/", "x"]),
    query=st.one_of(st.text(), st.lists(query_chars).map("".join)),
    method=st.sampled_from(["GET", "POST", "get", "DELETE"]),
    body=st.binary(max_size=200),
)
def test_parse_request_raises_nothing_but_request_rejected(
    path: str, query: str, method: str, body: bytes
) -> None:
    try:
        result = parse_request(method, f"{path}?{query}", body)
    except RequestRejected:
        return
    assert isinstance(result, Request)
