"""The same rules over TLS (a certificate made for 127.0.0.1 at test time with ``openssl``):
the deadline, the cut answer and the whole answer hold when the socket is a TLS one."""

from __future__ import annotations

import shutil
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_servers import answer, drip, head, raw_server, self_signed_certificate, send_then_close

from clickatell_protocol import HttpRequest, HttpResponse, TransportError
from clickatell_protocol.transport import HttpxTransport, UrllibTransport

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl tool")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture(params=["urllib", "httpx"])
def make(
    request: pytest.FixtureRequest,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[float], Callable[[HttpRequest], HttpResponse]]:
    cert = str(certificate[0])
    # httpx's own client (the one HttpxTransport makes) trusts SSL_CERT_FILE.
    monkeypatch.setenv("SSL_CERT_FILE", cert)

    def build(timeout: float) -> Callable[[HttpRequest], HttpResponse]:
        if request.param == "urllib":
            context = ssl.create_default_context(cafile=cert)
            return UrllibTransport(timeout=timeout, context=context).send

        def send(outgoing: HttpRequest) -> HttpResponse:
            with HttpxTransport(timeout=timeout) as transport:
                return transport.send(outgoing)

        return send

    return build


def test_a_whole_answer(
    make: Callable[..., Callable[[HttpRequest], HttpResponse]], server_tls: ssl.SSLContext
) -> None:
    with raw_server(send_then_close(answer(b"Credit: 12345.50")), server_tls) as server:
        assert (
            make(5)(HttpRequest("GET", f"{server.url}/http/getbalance")).body == b"Credit: 12345.50"
        )


def test_a_cut_answer(
    make: Callable[..., Callable[[HttpRequest], HttpResponse]], server_tls: ssl.SSLContext
) -> None:
    with (
        raw_server(send_then_close(head(length=16) + b"Credit: 12"), server_tls) as server,
        pytest.raises(TransportError),
    ):
        make(5)(HttpRequest("GET", f"{server.url}/http/getbalance"))


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(head(length=100) + b"Credit: 1" + b"0" * 91, id="body"),
        pytest.param(b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 100 + b"\r\n\r\n", id="headers"),
    ],
)
def test_the_deadline(
    make: Callable[..., Callable[[HttpRequest], HttpResponse]],
    server_tls: ssl.SSLContext,
    data: bytes,
) -> None:
    with raw_server(drip(data, every=0.2, limit=25), server_tls) as server:
        started = time.monotonic()
        with pytest.raises(TransportError):
            make(0.8)(HttpRequest("GET", f"{server.url}/http/getbalance"))
    assert time.monotonic() - started < 5
