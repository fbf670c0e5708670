"""What the transports share: turning an answer or a failure into a value or a TransportError,
and the rules every transport keeps (a total deadline, no redirects, a bounded body)."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
import urllib.parse
from typing import Final

from clickatell_protocol._http import HttpRequest, HttpResponse, redact
from clickatell_protocol.errors import TransportError

EXCERPT_BYTES: Final = 200
DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_MAX_BODY: Final = 10 * 1024 * 1024


def where(request: HttpRequest) -> str:
    """``METHOD url`` with the credentials masked, for messages."""
    return f"{request.method} {redact(request.url)}"


def failure(request: HttpRequest, error: BaseException, *, retryable: bool) -> TransportError:
    """A TransportError for a request that got no answer; the reason is masked too.

    ``retryable`` says whether sending the same request again may get an answer (a connection
    refused, reset or closed early) or cannot (a URL the transport does not open, a
    certificate that does not verify).
    """
    reason = redact(str(error)) or type(error).__name__
    return TransportError(
        f"{where(request)}: {type(error).__name__}: {reason}", retryable=retryable
    )


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and the exceptions it was raised from or during, innermost last."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def fails_again(error: BaseException) -> bool:
    """Whether ``error`` (or what it was raised from) is one the same request meets again: a
    certificate that does not verify, a host name that does not resolve (unless the resolver
    said to try again)."""
    for cause in _causes(error):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        if isinstance(cause, socket.gaierror) and cause.errno != socket.EAI_AGAIN:
            return True
    return False


def may_answer_again(error: BaseException) -> bool:
    """Whether the same request sent again may get an answer after ``error``: a connection
    refused, reset or closed before the answer was whole, or a socket timeout; not what
    :func:`fails_again`, nor a URL or an answer the client cannot use."""
    return isinstance(error, OSError | http.client.IncompleteRead) and not fails_again(error)


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``: no user information, path, query or fragment, which
    may all hold secrets."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "an unreadable address"
    if not parts.scheme or not host:
        return "an unreadable address"
    return redact(f"{parts.scheme}://{host}")


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def answer(
    request: HttpRequest, status: int, headers: tuple[tuple[str, str], ...], body: bytes
) -> HttpResponse:
    """The response for a 200 answer; any other status is a TransportError with an excerpt,
    retryable for a 5xx only (the server failed; another status fails the same way again).

    A redirect (3xx) is never followed: the API never redirects, so one means the base URL is
    wrong, and following it could carry the credentials (in the URL, the body or an
    ``Authorization`` header) to another origin. The error names the target's origin only.
    """
    if status != 200:
        excerpt = redact(body[:EXCERPT_BYTES].decode("latin-1"))
        message = f"{where(request)}: HTTP {status}"
        location = _header(headers, "location")
        if 300 <= status < 400 and location is not None:
            target = origin(urllib.parse.urljoin(request.url, location.strip()))
            message += f": redirected to {target}, not followed"
        raise TransportError(
            f"{message}: {excerpt!r}",
            status=status,
            excerpt=excerpt,
            retryable=500 <= status < 600,
        )
    return HttpResponse(status, headers, body)


def too_large(request: HttpRequest, limit: int) -> TransportError:
    """An answer over ``max_body``: the same request gets the same answer, so not retryable."""
    return TransportError(f"{where(request)}: the answer is larger than {limit} bytes")


def cut_short(request: HttpRequest, received: int, expected: int) -> TransportError:
    """The connection ended before the body its ``Content-Length`` announced."""
    return TransportError(
        f"{where(request)}: the connection closed after {received} of {expected} body bytes",
        retryable=True,
    )


def timed_out(request: HttpRequest, timeout: float) -> TransportError:
    return TransportError(
        f"{where(request)}: no complete answer within {timeout:g} s", retryable=True
    )


class Deadline:
    """The end of one exchange: ``timeout`` seconds from now, however the time is spent
    (connecting, sending, waiting for the headers, reading the body)."""

    __slots__ = ("at",)

    def __init__(self, timeout: float) -> None:
        self.at = time.monotonic() + timeout

    def remaining(self) -> float:
        """Seconds left; raises ``TimeoutError`` when none are."""
        left = self.at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline has passed")
        return left

    def passed(self) -> bool:
        return time.monotonic() >= self.at
