"""``serve`` and ``demo`` at their edges: every bad option or configuration is one clear line
on stderr and a non-zero exit, never a traceback; nothing they print carries a secret."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from clickatell_protocol import demo
from clickatell_protocol.cli import build_server, main


@pytest.fixture(autouse=True)
def _serve_cannot_hang() -> Iterator[None]:
    """If ``serve`` starts when it should have refused, stop it (SIGTERM ends ``serve``
    cleanly with status 0, which the test then reports) instead of hanging the suite."""
    previous = signal.getsignal(signal.SIGTERM)
    timer = threading.Timer(15, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)


def _one_clear_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "99999"], "--port 99999: must be between 0 and 65535"),
        (["--port", "-1"], "--port -1: must be between 0 and 65535"),
        # Everything after the user is the password unless the last field is a number.
        (["--account", "1:u:pa:ss:-5"], "--account 1:u:***:-5: credits '-5' must be zero or more"),
        (["--account", "1:u:pw-x:-5"], "--account 1:u:***:-5: credits '-5' must be zero or more"),
        (["--account", "1:u:pw-x:1e99"], "--account 1:u:***:1e99: credits '1e99' is more than"),
        (
            ["--account", "1:pw-x"],
            "--account: expected API_ID:USER:PASSWORD[:CREDITS], got 2 fields",
        ),
        (["--account", "x1:u:pw-x"], "--account x1:u:***: the API ID must be digits"),
        (["--account", "1::pw-x"], "--account 1::***: the user must not be empty"),
        (["--tick", "0"], "--tick 0.0: must be more than 0 and at most 3600 seconds"),
        (["--tick", "-1"], "--tick -1.0: must be more than 0 and at most 3600 seconds"),
        (["--tick", "nan"], "--tick nan: must be more than 0 and at most 3600 seconds"),
        (["--tick", "1e300"], "--tick 1e+300: must be more than 0 and at most 3600 seconds"),
        (["--host", "256.0.0.1"], "cannot listen on 256.0.0.1:0: "),
    ],
)
def test_bad_serve_options(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["serve", *argv])
    line = _one_clear_line(capsys.readouterr().err)
    assert status != 0
    assert line.startswith("serve: ") and message in line
    assert "pw-x" not in line  # a password given on the command line is not echoed


def test_a_port_that_is_taken(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        status = main(["serve", "--port", str(port)])
    line = _one_clear_line(capsys.readouterr().err)
    assert status == 1
    assert line.startswith(f"serve: cannot listen on 127.0.0.1:{port}: ")
    assert "in use" in line


def test_a_db_that_is_not_a_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.txt"
    text.write_bytes(b"these are my notes, not a database\n" * 200)
    before = text.read_bytes()
    for path in (tmp_path, text, tmp_path / "missing" / "state.sqlite"):
        status = main(["serve", "--db", str(path)])
        line = _one_clear_line(capsys.readouterr().err)
        assert status == 2
        assert line.startswith(f"serve: --db {path}: cannot use it as an SQLite database: ")
    assert text.read_bytes() == before  # left as it was


CONFIGS: list[tuple[str, str]] = [
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\ncredits = "abc"\n',
        "accounts[1].credits: 'abc' is not a number",
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\ncredits = -5\n',
        "accounts[1].credits: -5 must be zero or more",
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\ncredits = [1]\n',
        "accounts[1].credits: [1] is not a number",
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\ncredits = true\n',
        "accounts[1].credits: True is not a number",
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\ncredits = 1e300\n',
        "accounts[1].credits: 1e+300 is more than",
    ),
    (
        '[[accounts]]\napi_id = "x"\nuser = "u"\npassword = "p"\n',
        "accounts[1].api_id: 'x' must be digits",
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = 5\npassword = "p"\n',
        "accounts[1].user: 5 is not a non-empty text",
    ),
    ('[[accounts]]\napi_id = 1\nuser = "u"\n', "accounts[1]: a setting is missing: 'password'"),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = 123456789\n',
        "accounts[1].password: not a non-empty text",  # the value itself is not shown
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\ncallback_password = 123456789\n',
        "accounts[1].callback_password: not a non-empty text",
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\nallowed_ips = 5\n',
        "accounts[1].allowed_ips: 5 is not an address or a list of addresses",
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\nallowed_ips = ["1.2.3"]\n',
        "accounts[1].allowed_ips: '1.2.3' is not an IP address",
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\ncallback_style = "fax"\n',
        "accounts[1]: callback_style must be one of",
    ),
    (
        '[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\nsecret = 1\n',
        "accounts[1]: unknown account setting 'secret'",
    ),
    ("accounts = 5\n", "accounts must be a list of tables ([[accounts]]), not 5"),
    ("accounts = [5]\n", "accounts must be a list of tables ([[accounts]]), not [5]"),
    ('prefixes = "x"\n', "prefixes must be a list of tables ([[prefixes]]), not 'x'"),
    ('[[prefixes]]\nprefix = "44"\ncharge = "x"\n', "prefixes[1].charge: 'x' is not a number"),
    (
        '[[prefixes]]\nprefix = "44"\ncharge = 1e9\n',
        "prefixes[1].charge: 1000000000.0 is more than",
    ),
    ('[[prefixes]]\nprefix = "4x"\n', "prefixes[1].prefix: '4x' must be digits"),
    (
        '[[prefixes]]\nprefix = "44"\nfinal_status = "x"\n',
        "prefixes[1].final_status: 'x' is not a final message status",
    ),
    (
        '[[prefixes]]\nprefix = "44"\nfinal_status = 3\n',
        "prefixes[1].final_status: 3 is not a final message status",
    ),
    (
        '[[prefixes]]\nprefix = "44"\nroutable = "no"\n',
        "prefixes[1].routable: 'no' is not true or false",
    ),
    (
        '[[vouchers]]\ntoken = "1234"\ncredits = "lots"\n',
        "vouchers[1].credits: 'lots' is not a number",
    ),
    ("server = 5\n", "server must be a table ([server]), not 5"),
    (
        "[server]\ndelivery_delay_seconds = 1e300\n",
        "server.delivery_delay_seconds: 1e+300 is more than",
    ),
    (
        "[server]\ndelivery_delay_seconds = -1\n",
        "server.delivery_delay_seconds: -1 must be zero or more",
    ),
    (
        '[server]\ndelivery_delay_seconds = "soon"\n',
        "server.delivery_delay_seconds: 'soon' is not a number",
    ),
    ("[server]\ncallback_scale = 1e300\n", "server.callback_scale: 1e+300 is more than"),
    ("[server]\ncallback_scale = nan\n", "server.callback_scale: nan is not a number"),
    ("[server\n", "cannot read"),
]


@pytest.mark.parametrize(("config", "message"), CONFIGS)
def test_bad_configuration_files(
    config: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "server.toml"
    path.write_text(config)
    status = main(["serve", "--config", str(path)])
    line = _one_clear_line(capsys.readouterr().err)
    assert status == 2
    assert line.startswith(f"serve: {path}: ") and message in line, line
    assert "123456789" not in line


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"1.2.3.4"', ("1.2.3.4",)),
        ('["1.2.3.4", "::1"]', ("1.2.3.4", "::1")),
        ("[]", ()),
    ],
)
def test_allowed_ips_is_an_address_or_a_list(
    value: str, expected: tuple[str, ...], tmp_path: Path
) -> None:
    path = tmp_path / "server.toml"
    path.write_text(
        f'[[accounts]]\napi_id = 1\nuser = "u"\npassword = "p"\nallowed_ips = {value}\n'
    )
    account = build_server(None, str(path), []).store.account("1")
    assert account is not None and account.allowed_ips == expected


def test_a_good_configuration_still_builds(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text(
        "[server]\ndelivery_delay_seconds = 2.5\ncallback_scale = 0.001\n"
        '[[accounts]]\napi_id = "42"\nuser = "u"\npassword = "p"\ncredits = "12.5"\n'
        '[[prefixes]]\nprefix = "4477"\ncharge = 0.8\nroutable = true\nfinal_status = 7\n'
        '[[vouchers]]\ntoken = "4000123412341234"\ncredits = 50\nvalue = "605"\n'
    )
    server = build_server(None, str(path), [("7", "bob", "pw", "3")])
    assert server.store.account("42").credits == Decimal("12.5")
    assert server.store.account("7").credits == Decimal(3)
    assert server.callback_scale == 0.001


# -- nothing printed carries a secret ----------------------------------------------------


def test_the_demo_shows_no_session_id(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wire: list[bytes] = []

    class Recorder(demo._Recorder):
        def send(self, request: Any) -> Any:
            response = super().send(request)
            wire.append(response.body)
            return response

    monkeypatch.setattr(demo, "_Recorder", Recorder)
    out = io.StringIO()
    assert demo.run_demo(out) == 0
    text = out.getvalue()
    sessions = {
        match.group(1).decode()
        for body in wire
        if (match := re.fullmatch(rb"OK: ([0-9a-f]{32})\n?", body))
    }
    assert len(sessions) == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for session in sessions:
        assert session not in text and session.upper() not in text
        assert session not in logged
    assert demo.PASSWORD not in text and demo.PASSWORD not in logged
    assert "< OK: ***" in text  # still shows that a session was opened
    assert "Done:" in text


def test_serve_verbose_on_the_command_line_masks_secrets(tmp_path: Path) -> None:
    """The reported case, end to end: ``serve --verbose`` and a log-in on the query string."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clickatell_protocol",
            "serve",
            "--verbose",
            "--account",
            "1:u:s3cret-pw",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert process.stdout is not None
        base = process.stdout.readline().strip()
        with urllib.request.urlopen(
            f"{base}/http/auth?api_id=1&user=u&password=s3cret-pw", timeout=10
        ) as answer:
            session = answer.read().decode().split()[1]
        with urllib.request.urlopen(f"{base}/http/ping?session_id={session}", timeout=10):
            pass
        time.sleep(0.2)  # the access log line is written after the answer
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "/http/auth?" in err and "/http/ping?" in err
    assert "s3cret-pw" not in err and session not in err
    assert re.search(r"password=\*\*\*", err)


def test_the_documented_configuration_builds(tmp_path: Path) -> None:
    page = Path(__file__).parent.parent / "docs" / "guides" / "testing.md"
    blocks = re.findall(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert blocks
    for number, block in enumerate(blocks):
        path = tmp_path / f"example{number}.toml"
        path.write_text(block)
        server = build_server(None, str(path), [])
        account = server.store.account("3456789")
        assert account is not None and account.allowed_ips == ("127.0.0.1",)
        assert account.callback_password == "receiver-secret"


def test_demo_into_a_closed_pipe_ends_quietly() -> None:
    """``clickatell-protocol demo | head -3``: the reader goes away; no traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "clickatell_protocol", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).parent.parent,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read().decode()
    process.wait(timeout=60)
    assert "Traceback" not in err and "Exception ignored" not in err, err
