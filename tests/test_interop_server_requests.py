"""The reference server reads requests as real gateways send them: in the charset they name,
with the parameters it does not define ignored (PROTOCOL.md §1)."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

import pytest

from clickatell_protocol import Accepted, HttpRequest, SendResult, parse_response
from clickatell_protocol.pytest_plugin import ClickatellServer
from clickatell_protocol.transport import UrllibTransport

NUMBER = "447700900123"
FORM = "application/x-www-form-urlencoded"


def _post(server: ClickatellServer, path: str, body: bytes, content_type: str) -> object:
    request = HttpRequest("POST", server.base_url + path, (("Content-Type", content_type),), body)
    response = UrllibTransport(timeout=10).send(request)
    return parse_response(path.rsplit("/", 1)[-1], response.body)


def _credentials(server: ClickatellServer) -> str:
    return f"api_id={server.api_id}&user={server.user}&password={server.password}"


# (the text as the user wrote it, how the body encodes it, content type, extra parameters of
# the body, parts charged)
SENT = [
    pytest.param("Grüße", "utf-8", f"{FORM}; charset=utf-8", "", 1, id="utf-8-content-type"),
    pytest.param("Grüße", "utf-8", FORM, "&charset=UTF-8", 1, id="utf-8-parameter-kannel"),
    pytest.param("Grüße", "latin-1", FORM, "", 1, id="latin-1-default"),
    pytest.param("€" * 80, "utf-8", f"{FORM}; charset=UTF-8", "", 1, id="euro-160-septets"),
    pytest.param(
        "€" * 80 + "x", "utf-8", f"{FORM}; charset=UTF-8", "&concat=2", 2, id="euro-161-septets"
    ),
]


@pytest.mark.parametrize(("text", "encoding", "content_type", "more", "parts"), SENT)
def test_the_server_stores_and_charges_the_decoded_text(
    clickatell_server: ClickatellServer,
    text: str,
    encoding: str,
    content_type: str,
    more: str,
    parts: int,
) -> None:
    server = clickatell_server
    body = f"{_credentials(server)}&to={NUMBER}&text={quote(text, encoding=encoding)}{more}"
    reply = _post(server, "/http/sendmsg", body.encode("ascii"), content_type)
    assert isinstance(reply, SendResult), reply
    (row,) = server.server.store.query("SELECT text, parts, charge FROM messages")
    assert (row["text"], row["parts"], Decimal(row["charge"])) == (text, parts, Decimal(parts))
    balance = _post(server, "/http/getbalance", _credentials(server).encode(), FORM)
    assert balance.credit == Decimal(1000 - parts)  # type: ignore[attr-defined]


def test_an_unknown_charset_is_refused_and_charges_nothing(
    clickatell_server: ClickatellServer,
) -> None:
    server = clickatell_server
    body = f"{_credentials(server)}&to={NUMBER}&text=Hi".encode()
    reply = _post(server, "/http/sendmsg", body, f"{FORM}; charset=UTF-16")
    assert reply.code == 101  # type: ignore[attr-defined]
    assert not server.server.store.query("SELECT 1 FROM messages")


def test_kannel_and_perl_sdk_parameters_are_ignored(clickatell_server: ClickatellServer) -> None:
    server = clickatell_server
    kannel = (
        f"{_credentials(server)}&to={NUMBER}&text=Hi&charset=UTF-8&mclass=1&cliMsgId=k1"
        "&callback=3&deliv_ack=1"
    )
    reply = _post(server, "/http/sendmsg", kannel.encode(), FORM)
    assert isinstance(reply, SendResult) and isinstance(reply.results[0], Accepted), reply
    session = _post(server, "/http/auth", _credentials(server).encode(), FORM)
    sid = session.session_id.get_secret_value()  # type: ignore[attr-defined]
    ping = f"{_credentials(server)}&session_id={sid}".encode()
    assert _post(server, "/http/ping", ping, FORM).kind == "ping_ok"  # type: ignore[attr-defined]


# (the invalid recipient as it goes in the query) beside a valid one: the valid one is sent,
# the invalid one answered with its own 105 line, and the answer agrees with what was stored.
@pytest.mark.parametrize(
    ("invalid", "charset"),
    [
        pytest.param("%B2", "ISO-8859-1", id="superscript-two-latin-1"),
        pytest.param("%C2%B2", "UTF-8", id="superscript-two-utf-8"),
        pytest.param("%C2%A0", "UTF-8", id="nbsp"),
        pytest.param("+", "UTF-8", id="raw-plus"),
        pytest.param("4477%D9%A1", "UTF-8", id="arabic-indic-one"),
    ],
)
def test_a_non_ascii_digit_beside_a_valid_recipient_is_answered_105(
    clickatell_server: ClickatellServer, invalid: str, charset: str
) -> None:
    server = clickatell_server
    body = f"{_credentials(server)}&to={NUMBER},{invalid}&text=Hi"
    reply = _post(server, "/http/sendmsg", body.encode(), f"{FORM}; charset={charset}")
    assert isinstance(reply, SendResult), reply
    first, second = reply.results
    assert isinstance(first, Accepted) and first.to == NUMBER
    assert second.code == 105 and second.to in ("", None)  # type: ignore[union-attr]
    assert len(server.server.store.query("SELECT 1 FROM messages")) == 1
    assert server.server.internal_errors == 0
