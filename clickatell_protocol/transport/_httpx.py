"""Transports on httpx (the ``httpx`` extra), synchronous and asynchronous."""

from __future__ import annotations

from types import TracebackType

import httpx

from clickatell_protocol._http import HttpRequest, HttpResponse

from ._common import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, answer, failure, too_large


def _read(request: HttpRequest, response: httpx.Response, max_body: int) -> HttpResponse:
    body = response.content
    if len(body) > max_body:
        raise too_large(request, max_body)
    return answer(request, response.status_code, tuple(response.headers.items()), body)


class HttpxTransport:
    """Sends requests with an :class:`httpx.Client` (connection pooling, HTTP/1.1).

    Pass your own client to control proxies, limits or TLS; otherwise one is made with
    ``timeout`` and certificate verification on. Use it as a context manager, or call
    :meth:`close`, to release the connections.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.client = client or httpx.Client(timeout=timeout, verify=True)
        self.max_body = max_body

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request``; return the 200 answer.

        Raises:
            TransportError: as :meth:`UrllibTransport.send`.
        """
        try:
            response = self.client.request(
                request.method, request.url, headers=list(request.headers), content=request.body
            )
        except httpx.HTTPError as error:
            raise failure(request, error) from None
        return _read(request, response, self.max_body)

    def close(self) -> None:
        """Close the connections of the client."""
        self.client.close()

    def __enter__(self) -> HttpxTransport:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncHttpxTransport:
    """Sends requests with an :class:`httpx.AsyncClient`; see :class:`HttpxTransport`."""

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.client = client or httpx.AsyncClient(timeout=timeout, verify=True)
        self.max_body = max_body

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request``; return the 200 answer.

        Raises:
            TransportError: as :meth:`UrllibTransport.send`.
        """
        try:
            response = await self.client.request(
                request.method, request.url, headers=list(request.headers), content=request.body
            )
        except httpx.HTTPError as error:
            raise failure(request, error) from None
        return _read(request, response, self.max_body)

    async def aclose(self) -> None:
        """Close the connections of the client."""
        await self.client.aclose()

    async def __aenter__(self) -> AsyncHttpxTransport:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
