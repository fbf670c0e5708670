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


# --------------------------------------------------------------------------------------------
# End to end: everything the package and httpx log, what the server stores on disk, and what
# the command line and the demo print, during a real run with every secret in play.

CALLBACK_PASSWORD = "Cb-pa55-never-shown"


class _Everything(logging.Handler):
    """Keeps every record, formatted, from every logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()} {record.exc_text or ''}")
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


def _receiver() -> tuple[str, list[bytes], Any]:
    """A loopback callback receiver; returns its URL, what it got, and its server."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    got: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        got.append(environ["wsgi.input"].read(length) if length else b"")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"OK"]

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return f"http://127.0.0.1:{httpd.server_port}/cb", got, httpd


def test_an_end_to_end_run_shows_no_secret_in_logs_files_or_output(
    tmp_path: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    import base64
    import time

    from clickatell_protocol import GetBalance, QueryMsg
    from clickatell_protocol.server.store import Store
    from clickatell_protocol.transport import HttpxTransport

    handler = _Everything()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "httpx", "httpcore")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    url, received, receiver = _receiver()
    database = tmp_path / "state.db"
    sessions: list[str] = []
    try:
        server = ReferenceServer(Store(str(database)), callback_scale=0.0)
        server.add_account(
            "1",
            "u",
            PASSWORD,
            credits=100,
            callback_url=url,
            callback_style="http_post",
            callback_user="cb",
            callback_password=CALLBACK_PASSWORD,
        )
        with running(server, tick_every=0.05, quiet=False) as base:
            for transport, method in ((HttpxTransport(), "GET"), (UrllibTransport(), "POST")):
                client = Client(
                    transport, api_id="1", user="u", password=PASSWORD, base_url=base, method=method
                )
                sent = client.send("447700900123", "Hello", callback=3)
                apimsgid = sent.results[0].apimsgid
                client.query(apimsgid)
                client.balance()
                # A session id of our own, sent in the query string through each transport.
                auth = parse_response(
                    "auth",
                    transport.send(
                        COMMANDS["auth"](api_id="1", user="u", password=PASSWORD).to_http(
                            method, base
                        )
                    ).body.decode(),
                )
                session = auth.session_id.get_secret_value()  # type: ignore[union-attr]
                sessions.append(session)
                for model in (
                    GetBalance(session_id=session),
                    QueryMsg(session_id=session, apimsgid=apimsgid),
                ):
                    transport.send(model.to_http("GET", base))
                # A wrong password and an expired session are logged by nobody either.
                with pytest.raises(ApiError):
                    Client(
                        transport, api_id="1", user="u", password=PASSWORD + "x", base_url=base
                    ).balance()
            deadline = time.monotonic() + 10
            while len(received) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert received, "no status callback reached the receiver"
        server.store.close()
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        receiver.shutdown()
    captured = capfd.readouterr()
    files = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    basic = base64.b64encode(f"cb:{CALLBACK_PASSWORD}".encode())
    secrets = [*SECRETS, CALLBACK_PASSWORD, *sessions, *(s.upper() for s in sessions)]
    assert handler.lines, "the run logged nothing: the capture is broken"
    assert "HTTP Request" in "\n".join(handler.lines), "httpx's request log was not captured"
    assert "/http/" in captured.err, "the access log was not captured"
    for secret in secrets:
        for where, text in (("log", "\n".join(handler.lines)), ("stderr", captured.err)):
            assert secret not in text, where
        assert secret.encode() not in files, "database file"
    assert basic not in files
    for session in sessions:
        assert bytes.fromhex(session) not in files


@pytest.mark.parametrize(
    "argv_body",
    [
        (["parse", "auth"], f"OK: {SESSION}"),
        (["parse", "auth"], f"OK: {SESSION} \n"),
        (["parse", "auth"], f"OK:  {SESSION}x"),
        (["parse", "auth", "{file}", "--lenient"], f"OK: {SESSION}"),
        (["parse", "auth", "{file}", "--lenient"], f"OK: {SESSION} junk"),
    ],
    ids=["ok", "trailing-space", "bad-id", "lenient", "lenient-junk"],
)
def test_cli_parse_does_not_print_a_session_id(
    argv_body: tuple[list[str], str], tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, body = argv_body
    path = tmp_path / "body.txt"
    path.write_text(body)
    args = [arg.replace("{file}", str(path)) for arg in argv]
    main(args if "{file}" in argv else [*args, str(path)])
    captured = capsys.readouterr()
    for secret in SECRETS:
        assert secret not in captured.out + captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["check", f"/http/ping?session_id={SESSION}&api_id=1&user=u&password={PASSWORD}"],
        ["check", "--strict", f"/http/ping?session_id={SESSION}&password={PASSWORD}"],
        ["check", f"/http/sendmsg?session_id={SESSION}&to=44x&text=Hi"],
        ["check", f"/http/auth?api_id=1&user=u&password={PASSWORD}&charset=UTF-16"],
        [
            "check",
            "--method",
            "POST",
            "/http/auth",
            "--data",
            f"api_id=1&user=u&password={PASSWORD}",
        ],
    ],
    ids=["extras", "strict-extras", "bad-number", "bad-charset", "post"],
)
def test_cli_check_never_prints_a_secret(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    main(argv)
    captured = capsys.readouterr()
    for secret in SECRETS:
        assert secret not in captured.out + captured.err


def test_the_demo_shows_no_session_id_or_password() -> None:
    import io
    import re

    from clickatell_protocol.demo import run_demo

    out = io.StringIO()
    assert run_demo(out) == 0
    text = out.getvalue()
    assert "auth" in text
    assert "s3cret" not in text
    assert re.search(r"OK: [0-9a-fA-F]{32}", text) is None
    assert re.search(r"session_id=[0-9a-fA-F]{32}", text) is None
    assert re.search(r"password=(?!\*)", text) is None
