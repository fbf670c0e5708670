"""Hostile XML is refused at least as fast as an ordinary callback is read.

Baseline in the same run: an ordinary XML status callback. A billion-laughs document (about
three gigabytes once expanded) is refused at its document type declaration.
"""

from __future__ import annotations

from typing import Any

import pytest

from clickatell_protocol import CallbackError, StatusCallback, parse_status_callback

ORDINARY = (
    '<?xml version="1.0"?><callback><api_id>1</api_id>'
    "<apiMsgId>996411ad91fa211e7d17bc873aa4a41d</apiMsgId><cliMsgId></cliMsgId>"
    "<timestamp>1218008129</timestamp><to>279995631564</to><from>27833001171</from>"
    "<charge>0.300000</charge><status>004</status></callback>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]><callback><to>&lol9;</to></callback>"
)


def _refuse(document: str) -> str:
    try:
        parse_status_callback({"data": document})
    except CallbackError as error:
        return error.field
    return "accepted"


@pytest.mark.benchmark(group="callback-xml")
def test_ordinary_xml_callback(benchmark: Any) -> None:
    assert isinstance(benchmark(parse_status_callback, {"data": ORDINARY}), StatusCallback)


@pytest.mark.benchmark(group="callback-xml")
def test_billion_laughs_refused(benchmark: Any) -> None:
    assert benchmark(_refuse, LAUGHS) == "data"
