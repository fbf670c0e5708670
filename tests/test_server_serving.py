"""Serving over HTTP: the listen backlog, and an access log that never shows a secret."""

from __future__ import annotations

import socket
import threading
import urllib.request
from urllib.parse import quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clickatell_protocol.server import ReferenceServer, _make_server, mask_secrets, running

PASSWORD = "Acc3ss-log-pw"


def test_sixty_four_clients_connecting_at_once_are_all_answered() -> None:
    """A burst of connections waits in the listen queue instead of timing out: 64 clients
    connect while the server accepts nothing yet, and every one is answered once it does."""
    server = ReferenceServer()
    httpd = _make_server(server)
    port = httpd.server_port
    clients = 64
    connected: list[socket.socket] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def connect() -> None:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=3)
        except OSError as error:
            with lock:
                failures.append(error)
            return
        with lock:
            connected.append(sock)

    threads = [threading.Thread(target=connect) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    serving = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    answers = []
    try:
        for sock in connected:
            sock.settimeout(10)
            sock.sendall(b"GET /http/ping HTTP/1.0\r\nHost: x\r\n\r\n")
        for sock in connected:
            chunks = []
            while chunk := sock.recv(4096):
                chunks.append(chunk)
            answers.append(b"".join(chunks))
            sock.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
        serving.join(timeout=5)
    assert failures == []
    assert len(answers) == clients
    assert all(answer.startswith(b"HTTP/1.0 200") for answer in answers)


@pytest.mark.parametrize(
    ("line", "shown", "hidden"),
    [
        (
            '"GET /http/auth?api_id=1&user=u&password=s3cret HTTP/1.1" 200 38',
            '"GET /http/auth?api_id=1&user=u&password=*** HTTP/1.1" 200 38',
            "s3cret",
        ),
        (
            '"GET /http/ping?session_id=0123456789abcdef0123456789abcdef HTTP/1.1" 200 6',
            '"GET /http/ping?session_id=*** HTTP/1.1" 200 6',
            "0123456789abcdef",
        ),
        ("GET /x?SESSION_ID=abcdef&to=1", "GET /x?SESSION_ID=***&to=1", "abcdef"),
        # The server reads a value up to the next "&" (a ";" is part of it), so the log hides
        # that much too.
        ("GET /x?pass%77ord=s3cret;to=1", "GET /x?pass%77ord=***", "s3cret"),
        (
            '"GET /http/auth?api_id=1&user=u&password=ab;cd HTTP/1.1" 200 36',
            '"GET /http/auth?api_id=1&user=u&password=*** HTTP/1.1" 200 36',
            "cd",
        ),
        ("GET /x?password=it's&to=1", "GET /x?password=***&to=1", "'s"),
        ('GET /x?password=a"b"c&to=1', "GET /x?password=***&to=1", 'b"c'),
        ("GET /x?user=u;password=s3cret&to=1", "GET /x?user=u;password=***&to=1", "s3cret"),
        ("GET /x?callback_password=s3cret", "GET /x?callback_password=***", "s3cret"),
        ("GET /x?token=4000123412341234", "GET /x?token=***", "4000123412341234"),
        ("Bad request syntax ('GET /a?password=ab cd')", None, "cd"),
        (
            "GET /http/sendmsg?to=447700900123&text=hi",
            "GET /http/sendmsg?to=447700900123&text=hi",
            "",
        ),
    ],
)
def test_mask_secrets(line: str, shown: str | None, hidden: str) -> None:
    masked = mask_secrets(line)
    if shown is not None:
        assert masked == shown
    if hidden:
        assert hidden not in masked


def test_the_verbose_access_log_masks_passwords_and_session_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    server = ReferenceServer()
    server.add_account("1", "u", PASSWORD, 10)
    with running(server, tick_every=None, quiet=False) as base:
        with urllib.request.urlopen(
            f"{base}/http/auth?api_id=1&user=u&password={PASSWORD}", timeout=10
        ) as answer:
            session = answer.read().decode().split(": ")[1].strip()
        with urllib.request.urlopen(f"{base}/http/ping?session_id={session}", timeout=10):
            pass
    err = capsys.readouterr().err
    assert "/http/auth?" in err and "/http/ping?" in err  # the log is there ...
    assert PASSWORD not in err  # ... without the secrets
    assert session not in err
    assert "password=***" in err and "session_id=***" in err


def test_tick_every_must_be_positive() -> None:
    server = ReferenceServer()
    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="tick_every"), running(server, tick_every=bad):
            pass  # pragma: no cover


_VALUE = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40)


@given(
    name=st.sampled_from(["password", "session_id", "PASSWORD", "callback_password", "Session_Id"]),
    secret=_VALUE,
    before=st.lists(st.sampled_from(["api_id=1", "user=u", "to=447700900123", "text=a+b"])),
    after=st.lists(st.sampled_from(["climsgid=x", "from=Shop", "concat=2"])),
)
def test_a_secret_in_a_request_line_is_always_masked(
    name: str, secret: str, before: list[str], after: list[str]
) -> None:
    """Whatever the value (percent-encoded as a client sends it) and wherever it sits in the
    query, the access log line shows ``***`` in its place and nothing else changes."""
    query = "&".join([*before, f"{name}={quote_plus(secret)}", *after])
    line = f'"GET /http/auth?{query} HTTP/1.1" 200 38'
    expected = "&".join([*before, f"{name}=***", *after])
    assert mask_secrets(line) == f'"GET /http/auth?{expected} HTTP/1.1" 200 38'
