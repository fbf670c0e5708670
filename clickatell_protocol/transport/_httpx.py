"""Transports on httpx (the ``httpx`` extra), synchronous and asynchronous."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Final

import anyio
import httpcore
import httpx

from clickatell_protocol._http import HttpRequest, HttpResponse, redact

from ._common import (
    DEFAULT_MAX_BODY,
    DEFAULT_TIMEOUT,
    Deadline,
    answer,
    fails_again,
    failure,
    timed_out,
    too_large,
)

# -- logs ----------------------------------------------------------------------------------

# httpx logs every request at INFO with its full URL; with GET that URL holds the password or
# the session id (issue 11 #6). These loggers get a filter that masks them, so no record
# carries a secret whatever the application's logging configuration.
_LOGGERS: Final = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)


class _SecretsFilter(logging.Filter):
    """Masks ``password=`` and ``session_id=`` values in a record's message (its arguments
    merged in); lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        masked = redact(message)
        # A record that held no secret keeps its template and arguments: handlers and log
        # services group records by ``msg``, which a rewrite to the merged text would break.
        if masked != message:
            record.msg, record.args = masked, None
        return True


def _install_filter() -> None:
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _SecretsFilter) for existing in logger.filters):
            logger.addFilter(_SecretsFilter())


_install_filter()

# -- the deadline on every socket operation (sync) ------------------------------------------

_DEADLINE: Final[contextvars.ContextVar[Deadline | None]] = contextvars.ContextVar(
    "clickatell_protocol_deadline", default=None
)


def _shrink(timeout: float | None, expired: type[Exception]) -> float | None:
    """The timeout of one socket operation: at most what is left of the exchange."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    try:
        left = deadline.remaining()
    except TimeoutError as error:
        raise expired(str(error)) from None
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _shrink(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _shrink(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _shrink(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpx times each read on its own; this backend also bounds each one by what is left of
    the exchange's deadline, so a server dripping its headers cannot outlast it."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(
            host, port, _shrink(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_unix_socket(
            path, _shrink(timeout, httpcore.ConnectTimeout), socket_options
        )
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _deadline_transport() -> httpx.HTTPTransport:
    """httpx's own transport, its connections made through :class:`_DeadlineBackend`.

    httpx offers no public way to choose the network backend; if its pool ever stops being
    where this looks, the transport is used as it is and the deadline is checked between the
    pieces of the body only (the tests of the header drip say so at once).
    """
    transport = httpx.HTTPTransport(verify=True)
    pool = getattr(transport, "_pool", None)
    inner = getattr(pool, "_network_backend", None)
    if isinstance(inner, httpcore.NetworkBackend):
        pool._network_backend = _DeadlineBackend(inner)  # type: ignore[union-attr]
    return transport


# -- sending -------------------------------------------------------------------------------


def _retryable(error: httpx.HTTPError) -> bool:
    """Whether the same request may get an answer if sent again: a timeout, a connection that
    failed, was reset or closed before the answer was whole. Not a URL httpx does not open, a
    certificate that does not verify, a proxy's refusal or an answer it cannot read."""
    if isinstance(error, httpx.TimeoutException):
        return True
    if isinstance(error, httpx.NetworkError):
        return not fails_again(error)
    if isinstance(error, httpx.RemoteProtocolError):
        # The server closed the connection before a whole answer ("Server disconnected
        # without sending a response", "peer closed connection without sending complete
        # message body"); another malformed answer comes back the same way.
        text = str(error).lower()
        return "disconnected" in text or "closed" in text
    return False


def _headers(request: HttpRequest) -> list[tuple[str, str]]:
    headers = list(request.headers)
    # Compressed answers are not asked for: urllib gets none either, and a small compressed
    # piece could expand far past max_body before it is counted.
    if not any(name.lower() == "accept-encoding" for name, _ in headers):
        headers.append(("Accept-Encoding", "identity"))
    return headers


class HttpxTransport:
    """Sends requests with an :class:`httpx.Client` (connection pooling, HTTP/1.1).

    Args:
        client: your own client, to control proxies, limits or TLS; otherwise one is made with
            certificate verification on.
        timeout: the most seconds one exchange may take, in all (a total deadline, not a limit
            per read). With your own client, its own timeouts also apply, and the deadline is
            checked each time a piece of the answer arrives.
        max_body: the largest answer read, in bytes; the answer is streamed and reading stops
            as soon as it is passed.

    Redirects are never followed, whatever the client's setting. Use it as a context manager,
    or call :meth:`close`, to release the connections.
    """

    def __init__(
        self,
        client: httpx.Client | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.client = client or httpx.Client(
            timeout=timeout, transport=_deadline_transport(), follow_redirects=False
        )
        self.timeout = timeout
        self.max_body = max_body

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request``; return the 200 answer, read whole.

        Raises:
            TransportError: as :meth:`UrllibTransport.send`.
        """
        deadline = Deadline(self.timeout)
        token = _DEADLINE.set(deadline)
        try:
            with self.client.stream(
                request.method,
                request.url,
                headers=_headers(request),
                content=request.body,
                follow_redirects=False,
            ) as response:
                body = bytearray()
                for piece in response.iter_bytes():
                    body += piece
                    if len(body) > self.max_body:
                        raise too_large(request, self.max_body)
                    if deadline.passed():
                        raise timed_out(request, self.timeout)
                status, headers = response.status_code, tuple(response.headers.items())
        except httpx.HTTPError as error:
            if isinstance(error, httpx.TimeoutException) and deadline.passed():
                raise timed_out(request, self.timeout) from None
            raise failure(request, error, retryable=_retryable(error)) from None
        finally:
            _DEADLINE.reset(token)
        return answer(request, status, headers, bytes(body))

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
    """Sends requests with an :class:`httpx.AsyncClient`; see :class:`HttpxTransport`.

    The deadline is kept with a cancel scope (:func:`anyio.fail_after`), so it holds with your
    own client too, under asyncio or trio.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.client = client or httpx.AsyncClient(
            timeout=timeout, verify=True, follow_redirects=False
        )
        self.timeout = timeout
        self.max_body = max_body

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request``; return the 200 answer, read whole.

        Raises:
            TransportError: as :meth:`UrllibTransport.send`.
        """
        try:
            with anyio.fail_after(self.timeout):
                async with self.client.stream(
                    request.method,
                    request.url,
                    headers=_headers(request),
                    content=request.body,
                    follow_redirects=False,
                ) as response:
                    body = bytearray()
                    async for piece in response.aiter_bytes():
                        body += piece
                        if len(body) > self.max_body:
                            raise too_large(request, self.max_body)
                    status, headers = response.status_code, tuple(response.headers.items())
        except TimeoutError:
            raise timed_out(request, self.timeout) from None
        except httpx.HTTPError as error:
            raise failure(request, error, retryable=_retryable(error)) from None
        return answer(request, status, headers, bytes(body))

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
