"""Transports against real HTTP servers on 127.0.0.1: answers, failures, timeouts, redaction."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from servers import plain_server, refused_url

from clickatell_protocol import HttpRequest, HttpResponse, TransportError
from clickatell_protocol.transport import (
    AsyncHttpxTransport,
    AsyncTransport,
    HttpxTransport,
    Transport,
    UrllibTransport,
)

Send = Callable[[HttpRequest], HttpResponse]


def _httpx_async(timeout: float, max_body: int) -> Send:
    def send(request: HttpRequest) -> HttpResponse:
        async def go() -> HttpResponse:
            async with AsyncHttpxTransport(timeout=timeout, max_body=max_body) as transport:
                return await transport.send(request)

        return asyncio.run(go())

    return send


def _httpx(timeout: float, max_body: int) -> Send:
    def send(request: HttpRequest) -> HttpResponse:
        with HttpxTransport(timeout=timeout, max_body=max_body) as transport:
            return transport.send(request)

    return send


def _urllib(timeout: float, max_body: int) -> Send:
    return UrllibTransport(timeout=timeout, max_body=max_body).send


TRANSPORTS = [
    pytest.param(_urllib, id="urllib"),
    pytest.param(_httpx, id="httpx"),
    pytest.param(_httpx_async, id="httpx-async"),
]


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with plain_server() as url:
        yield url


@pytest.fixture(params=TRANSPORTS)
def make(request: pytest.FixtureRequest) -> Callable[..., Send]:
    factory: Callable[[float, int], Send] = request.param

    def build(timeout: float = 5.0, max_body: int = 1000) -> Send:
        return factory(timeout, max_body)

    return build


def test_ok(base: str, make: Callable[..., Send]) -> None:
    response = make()(HttpRequest("GET", f"{base}/ok?session_id=x"))
    assert response.status == 200
    assert response.body == b"Credit: 5"
    assert response.text == "Credit: 5"


def test_post_carries_body_and_headers(base: str, make: Callable[..., Send]) -> None:
    request = HttpRequest(
        "POST", f"{base}/echo", (("Content-Type", "application/x-www-form-urlencoded"),), b"a=1"
    )
    assert make()(request).body == b"POST application/x-www-form-urlencoded a=1"


def test_500_is_an_error_with_a_redacted_excerpt(base: str, make: Callable[..., Send]) -> None:
    with pytest.raises(TransportError) as caught:
        make()(HttpRequest("GET", f"{base}/error500?password=hunter2"))
    error = caught.value
    assert error.status == 500
    assert "Internal trouble" in error.excerpt
    assert "hunter2" not in str(error)
    assert "hunter2" not in error.excerpt


def test_refused_connection(make: Callable[..., Send]) -> None:
    with pytest.raises(TransportError) as caught:
        make()(HttpRequest("GET", f"{refused_url()}/http/auth?password=hunter2"))
    assert caught.value.status is None
    assert "hunter2" not in str(caught.value)
    assert "password=***" in str(caught.value)


@pytest.mark.parametrize("path", ["/slow-headers", "/slow-body"])
def test_timeouts(base: str, make: Callable[..., Send], path: str) -> None:
    with pytest.raises(TransportError) as caught:
        make(timeout=0.3)(HttpRequest("GET", f"{base}{path}"))
    assert caught.value.status is None


def test_oversized_answer(base: str, make: Callable[..., Send]) -> None:
    with pytest.raises(TransportError, match="larger than 1000 bytes"):
        make(max_body=1000)(HttpRequest("GET", f"{base}/big"))


def test_protocols_are_one_method() -> None:
    class Mine:
        def send(self, request: HttpRequest) -> HttpResponse:
            return HttpResponse(200, (), b"OK")

    assert isinstance(Mine(), Transport)
    assert isinstance(UrllibTransport(), Transport)
    assert isinstance(AsyncHttpxTransport(), AsyncTransport)


def test_transport_module_refuses_unknown_names() -> None:
    import clickatell_protocol.transport as transport

    with pytest.raises(AttributeError):
        transport.NoSuchThing  # noqa: B018
