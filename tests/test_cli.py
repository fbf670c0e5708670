"""The command line: check, encode, schema; also as ``python -m clickatell_protocol``."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from clickatell_protocol import COMMANDS
from clickatell_protocol.cli import main

SID = "0123456789abcdef0123456789abcdef"
GOOD = (
    "https://api.clickatell.com/http/sendmsg?api_id=3456789&user=alice&password=s3cret"
    "&to=447700900123,447700900456&text=Hello+world"
)


def test_check_prints_the_model_and_hides_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", GOOD]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["command"] == "sendmsg"
    assert data["to"] == ["447700900123", "447700900456"]
    assert "s3cret" not in out


def test_check_prints_the_err_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", GOOD.replace("447700900123", "0447700900123")]) == 1
    captured = capsys.readouterr()
    assert captured.out == "ERR: 105, Invalid destination address\n"
    assert "recipient 1" in captured.err and "s3cret" not in captured.err


def test_check_post(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(
        [
            "check",
            "--method",
            "POST",
            "https://api.clickatell.com/http/ping",
            "--data",
            f"session_id={SID}",
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert json.loads(out)["command"] == "ping" and SID not in out


def test_check_limits_can_be_widened(capsys: pytest.CaptureFixture[str]) -> None:
    to = ",".join(str(447700900000 + i) for i in range(150))
    url = f"/http/sendmsg?session_id={SID}&to={to}&text=x"
    assert main(["check", url]) == 1
    assert main(["check", "--max-recipients-get", "300", url]) == 0
    capsys.readouterr()


def test_encode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["encode", "Ça coûte 5 €"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "text": "00C7006100200063006F00FB0074006500200035002020AC",
        "unicode": True,
        "encoding": "ucs2",
        "parts": 1,
        "units": 12,
    }
    assert main(["encode", "x" * 200, "--concat", "1"]) == 1
    assert "113" in capsys.readouterr().err


def test_schema_shows_every_constraint(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    schemas = json.loads(capsys.readouterr().out)
    assert set(schemas) == set(COMMANDS)
    props = schemas["sendmsg"]["properties"]
    assert (props["deliv_time"]["minimum"], props["deliv_time"]["maximum"]) == (5, 10080)
    assert props["deliv_time"]["x-clickatell-error"] == 120
    assert props["concat"]["maximum"] == 3
    assert props["climsgid"]["pattern"] == "^[A-Za-z0-9]{1,32}$"
    assert props["to"]["maxItems"] == 300 and props["to"]["x-max-items-get"] == 100
    assert props["from"]["x-clickatell-error"] == 106
    assert props["validity"]["maximum"] == 1440
    assert props["req_feat"]["maximum"] == 25151  # every FEAT_* bit
    assert schemas["querymsg"]["properties"]["apimsgid"]["pattern"] == "^[0-9A-Fa-f]{32}$"
    assert schemas["getbalance"]["allOf"][0]["anyOf"][1]["required"] == [
        "api_id",
        "user",
        "password",
    ]


def test_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clickatell_protocol", "check", GOOD],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["command"] == "sendmsg"


H = "0123456789abcdef0123456789abcdef"


def test_parse_from_a_file(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "body.txt"
    body.write_bytes(f"ID: {H} To: \r\nERR: 105, Invalid destination address To: \r\n".encode())
    assert main(["parse", "sendmsg", str(body), "--recipients", "447700900123,0044"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "send_result"
    assert [r["to"] for r in data["results"]] == ["447700900123", "0044"]
    assert data["results"][1]["code"] == 105


def test_parse_reports_line_and_column(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "body.txt"
    body.write_text(f"ID: {H} To: 1\nID: 12 To: 2\n")
    assert main(["parse", "quicksend", str(body)]) == 1
    err = capsys.readouterr().err
    assert "line 2, column 5" in err
    assert "32 hex digits" in err
    assert main(["parse", "quicksend", str(body), "--lenient"]) == 0
    assert json.loads(capsys.readouterr().out)["relaxed"]


def test_parse_reads_stdin_and_hides_session_ids() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "clickatell_protocol", "parse", "routeCoverage", "-"],
        input=f"OK: {H}\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "line 1, column 37: found '\\n', expected \" Charge: \"" in result.stderr
    result = subprocess.run(
        [sys.executable, "-m", "clickatell_protocol", "parse", "auth"],
        input=f"OK: {H}\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["kind"] == "auth_ok"
    assert H not in result.stdout


def test_cli_errors_are_messages_not_tracebacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--method", "POST", "/http/ping", "--data", "session_id=é€"]) == 1
    assert capsys.readouterr().out.startswith("ERR: 003")
    assert main(["parse", "sendmsg", "/nonexistent/body.txt"]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["check", "http://[::1/http/ping"]) == 1
    assert "cannot be read" in capsys.readouterr().err


def test_serve_configuration_file(tmp_path: Any) -> None:
    from decimal import Decimal

    from clickatell_protocol.cli import build_server

    config = tmp_path / "server.toml"
    config.write_text(
        """
[server]
delivery_delay_seconds = 2

[[accounts]]
api_id = "42"
user = "ann"
password = "pw"
credits = 7
allowed_ips = ["127.0.0.1"]
callback_url = "http://127.0.0.1:9/cb"
callback_style = "xml_post"

[[prefixes]]
prefix = "4477009009"
routable = false

[[vouchers]]
token = "1234123412341234"
credits = 5
value = "605"
""",
        encoding="utf-8",
    )
    server = build_server(None, str(config), [("77", "bob", "pw2", "3")])
    account = server.store.account("42")
    assert account.credits == Decimal(7)
    assert account.allowed_ips == ("127.0.0.1",)
    assert account.callback_style == "xml_post"
    assert server.store.account("77").credits == Decimal(3)
    assert server.store.query("SELECT count(*) FROM prefixes")[0][0] == 1
    config.write_text('[[accounts]]\napi_id = "1"\nuser = "u"\npassword = "p"\ncolour = "red"\n')
    with pytest.raises(ValueError, match="colour"):
        build_server(None, str(config), [])
    assert main(["serve", "--config", str(tmp_path / "missing.toml")]) == 2
