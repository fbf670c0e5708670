"""Transports: the one place where HTTP happens.

The core builds :class:`HttpRequest` values and reads :class:`HttpResponse` values; a transport
carries one to the server and brings the other back. Any object with the one method of
:class:`Transport` (or :class:`AsyncTransport`) will do::

    class MyTransport:
        def send(self, request: HttpRequest) -> HttpResponse:
            ...

:class:`UrllibTransport` (standard library) is the default; :class:`HttpxTransport` and
:class:`AsyncHttpxTransport` need the ``httpx`` extra (``pip install clickatell-protocol[httpx]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from clickatell_protocol._http import HttpRequest, HttpResponse
from clickatell_protocol.errors import TransportError

from ._urllib import UrllibTransport

if TYPE_CHECKING:
    from ._httpx import AsyncHttpxTransport, HttpxTransport

__all__ = [
    "AsyncHttpxTransport",
    "AsyncTransport",
    "HttpRequest",
    "HttpResponse",
    "HttpxTransport",
    "Transport",
    "TransportError",
    "UrllibTransport",
]


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns its response.

    Raises:
        TransportError: no usable answer (network failure, timeout, status other than 200),
            with ``retryable=True`` when the same request sent again may get one (a connection
            refused, reset or closed early, a cut answer, a timeout, a 5xx): the clients
            repeat only those.
    """

    def send(self, request: HttpRequest) -> HttpResponse: ...


@runtime_checkable
class AsyncTransport(Protocol):
    """The asynchronous :class:`Transport`."""

    async def send(self, request: HttpRequest) -> HttpResponse: ...


def __getattr__(name: str) -> Any:
    # The httpx transports import httpx, an optional extra: only when asked for.
    if name in ("HttpxTransport", "AsyncHttpxTransport"):
        from . import _httpx

        return getattr(_httpx, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
