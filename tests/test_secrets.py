"""No password or session id ever shows: every public value and exception built from requests
that carry them, through repr, str, logging and JSON."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from clickatell_protocol import (
    COMMANDS,
    ApiError,
    Client,
    HttpRequest,
    RequestRejected,
    Response,
    TransportError,
    parse_request,
    parse_response,
)
from clickatell_protocol.callbacks import callback_request
from clickatell_protocol.cli import main
from clickatell_protocol.server import ReferenceServer, running
from clickatell_protocol.transport import UrllibTransport

PASSWORD = "Pa55-word-never-shown"
SESSION = "5e55105e55105e55105e55105e55105e"
SECRETS = (PASSWORD, SESSION, SESSION.upper())

MINIMAL: dict[str, dict[str, Any]] = {
    "auth": {},
    "ping": {},
    "sendmsg": {"to": ["447700900123"], "text": "Hi"},
    "querymsg": {"apimsgid": "0" * 32},
    "delmsg": {"apimsgid": "0" * 32},
    "getbalance": {},
    "getmsgcharge": {"apimsgid": "0" * 32},
    "token_pay": {"token": "1" * 16},
    "routeCoverage": {"msisdn": "447700900123"},
    "startbatch": {"template": "Hi"},
    "senditem": {"batch_id": "0" * 32, "to": ["447700900123"]},
    "quicksend": {"batch_id": "0" * 32, "to": ["447700900123"]},
    "endbatch": {"batch_id": "0" * 32},
    "si_push": {"to": ["447700900123"], "si_id": "1", "si_url": "u", "si_text": "t"},
    "ind_push": {
        "to": ["447700900123"],
        "from": "Shop",
        "mms_subject": "s",
        "mms_class": 80,
        "mms_expire": 60,
        "mms_from": "f",
        "mms_url": "u",
    },
}


def _auth_for(command: str, use_session: bool) -> dict[str, Any]:
    if command == "ping" or (use_session and command != "auth"):
        return {"session_id": SESSION}
    return {"api_id": "1", "user": "u", "password": PASSWORD}


def bearers() -> list[object]:
    """Everything that has seen a secret."""
    items: list[object] = []
    for command, params in MINIMAL.items():
        for use_session in (False, True):
            model = COMMANDS[command].model_validate({**params, **_auth_for(command, use_session)})
            items += [model, model.to_http("GET"), model.to_http("POST")]
            request = model.to_http("POST")
            try:
                broken = request.body.replace(b"to=", b"to=0").replace(b"token=", b"token=x")
                parse_request("POST", request.url, broken + b"&bogus=1")
            except RequestRejected as rejected:
                items.append(rejected)
            try:
                COMMANDS[command].model_validate(
                    {**params, **_auth_for(command, use_session), "unknown": 1}
                )
            except ValidationError as error:
                items.append(error)
    for bad in ({"session_id": SESSION + "0"}, {"session_id": SESSION, "password": PASSWORD}):
        try:
            COMMANDS["getbalance"].model_validate(bad)
        except ValidationError as error:
            items.append(error)
    items.append(parse_response("auth", f"OK: {SESSION}\n"))
    items.append(
        callback_request(
            "https://example.test/cb", "a=1", "http_post", username="cb", password=PASSWORD
        )
    )
    items.append(Client(api_id="1", user="u", password=PASSWORD))
    items.append(TransportError("x"))
    return items


def _texts(item: object) -> list[str]:
    texts = [repr(item), str(item)]
    if hasattr(item, "model_dump_json"):
        texts.append(item.model_dump_json())  # type: ignore[attr-defined]
    if isinstance(item, ValidationError):
        texts.append(json.dumps(item.errors(include_url=False), default=str))
    if type(item).__name__ == "AuthOK":
        texts.append(TypeAdapter(Response).dump_json(item).decode())  # type: ignore[arg-type]
    return texts


def test_no_value_or_exception_shows_a_secret(caplog: pytest.LogCaptureFixture) -> None:
    items = bearers()
    assert len(items) > 80
    log = logging.getLogger("secrets-test")
    for item in items:
        log.warning("%s | %r", item, item)
        for text in _texts(item):
            for secret in SECRETS:
                assert secret not in text, (type(item).__name__, text[:200])
    for secret in SECRETS:
        assert secret not in caplog.text


def test_network_failures_and_api_errors_do_not_show_secrets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = ReferenceServer()
    server.add_account("1", "u", "right-password")
    with running(server, tick_every=None) as base:
        client = Client(UrllibTransport(), api_id="1", user="u", password=PASSWORD, base_url=base)
        with pytest.raises(ApiError) as refused:
            client.balance()
        failing = HttpRequest("GET", f"{base}/nowhere?password={PASSWORD}&session_id={SESSION}")
        with pytest.raises(TransportError) as unreachable:
            UrllibTransport().send(failing)
    for text in (
        str(refused.value),
        repr(refused.value),
        str(unreachable.value),
        repr(unreachable.value),
        unreachable.value.excerpt,
        caplog.text,
    ):
        for secret in SECRETS:
            assert secret not in text


def test_cli_check_does_not_print_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", f"/http/getbalance?session_id={SESSION}"])
    main(["check", f"/http/auth?api_id=1&user=u&password={PASSWORD}"])
    main(["check", f"/http/auth?api_id=x&user=u&password={PASSWORD}"])
    captured = capsys.readouterr()
    for secret in SECRETS:
        assert secret not in captured.out
        assert secret not in captured.err
