"""What the transports share: turning an answer or a failure into a value or a TransportError."""

from __future__ import annotations

from typing import Final

from clickatell_protocol._http import HttpRequest, HttpResponse, redact
from clickatell_protocol.errors import TransportError

EXCERPT_BYTES: Final = 200
DEFAULT_TIMEOUT: Final = 30.0
DEFAULT_MAX_BODY: Final = 10 * 1024 * 1024


def where(request: HttpRequest) -> str:
    """``METHOD url`` with the credentials masked, for messages."""
    return f"{request.method} {redact(request.url)}"


def failure(request: HttpRequest, error: BaseException) -> TransportError:
    """A TransportError for a request that got no answer; the reason is masked too."""
    reason = redact(str(error)) or type(error).__name__
    return TransportError(f"{where(request)}: {type(error).__name__}: {reason}")


def answer(
    request: HttpRequest, status: int, headers: tuple[tuple[str, str], ...], body: bytes
) -> HttpResponse:
    """The response for a 200 answer; any other status is a TransportError with an excerpt."""
    if status != 200:
        excerpt = redact(body[:EXCERPT_BYTES].decode("latin-1"))
        raise TransportError(
            f"{where(request)}: HTTP {status}: {excerpt!r}", status=status, excerpt=excerpt
        )
    return HttpResponse(status, headers, body)


def too_large(request: HttpRequest, limit: int) -> TransportError:
    return TransportError(f"{where(request)}: the answer is larger than {limit} bytes")
