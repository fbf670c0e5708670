"""The exception family.

One rule, as in h11: every exception a parser or validator of this package raises on bad input is
a :class:`ProtocolError` (itself a :class:`ValueError`).  Anything else escaping is a bug.
No exception text ever contains a password or a session id.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from .codes import ErrorCode

if TYPE_CHECKING:
    from .requests import Request
    from .responses import ErrorReply, SendResult

__all__ = [
    "ApiError",
    "AuthenticationError",
    "CreditError",
    "MessageError",
    "ProtocolError",
    "RateLimitError",
    "RecipientError",
    "RequestRejected",
    "RetryableError",
    "TextError",
    "TransportError",
    "UnknownEndpoint",
]


class ProtocolError(ValueError):
    """Base class of every error this package raises for bad protocol input."""


def _description(code: int) -> str:
    text = ErrorCode(code).description
    return text if text is not None else "Unknown error"


class RequestRejected(ProtocolError):
    """A request a Clickatell server would refuse, with the answer it would give.

    Attributes:
        code: the Clickatell error number (for example 105).
        description: the canonical wire description of ``code`` (``Invalid destination address``).
        detail: what exactly is wrong, for people: the parameter, the rule and, for values that
            are not secret, the offending value.
        parameter: the wire name of the offending parameter, or ``None``.
        http_status: the HTTP status a server answers with: 200 for every API error, as the real
            service does; 404 for :class:`UnknownEndpoint`.
        invalid_recipients: for a 105 on a request to several recipients: each invalid
            recipient by its position in ``to``, as given (empty otherwise).
        partial: with ``invalid_recipients``, the request as the real service carries it out:
            validated with the valid recipients only (``to`` is empty when none is valid). A
            server sends to those and answers each invalid one with its own
            ``ERR: 105 ... To:`` line. ``None`` when the request is refused as a whole.
    """

    http_status: int = 200

    def __init__(self, code: int, detail: str, *, parameter: str | None = None) -> None:
        self.code = int(code)
        self.description = _description(self.code)
        self.detail = detail
        self.parameter = parameter
        self.invalid_recipients: dict[int, str] = {}
        self.partial: Request | None = None
        super().__init__(f"{self.to_wire()} ({detail})")

    def to_wire(self) -> str:
        """Return the response line a server sends, ``ERR: NNN, Description`` (no newline)."""
        return f"ERR: {self.code:03d}, {self.description}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code}, detail={self.detail!r}, "
            f"parameter={self.parameter!r})"
        )


class UnknownEndpoint(RequestRejected):
    """The path names no command of the protocol; a server answers HTTP 404."""

    http_status = 404


class TextError(ProtocolError):
    """A message text that cannot be sent as asked.

    Attributes:
        code: 107 for an empty text, 113 when it needs more parts than ``concat`` allows.
        parts: how many parts the text needs (0 for an empty text).
    """

    def __init__(self, code: int, message: str, *, parts: int = 0) -> None:
        self.code = code
        self.parts = parts
        super().__init__(message)


class TransportError(Exception):
    """The request did not get a usable HTTP answer: a network failure, no complete answer
    within the timeout, an answer cut short, reset or empty, a redirect, or a status other
    than 200.

    Attributes:
        status: the HTTP status, or ``None`` when no answer came.
        excerpt: the first bytes of the answer's body (credentials masked), or ``""``.
        partial: for a send split over several requests, the results of the requests that had
            succeeded before this one failed; else ``None``. The server may have carried out
            the failed request itself (only its answer was lost).
        retryable: whether the same request may get an answer if sent again: ``True`` for a
            connection refused, reset or closed before the answer was whole, an empty or cut
            answer, a timeout and a 5xx status; ``False`` for what fails the same way every
            time (an answer over the size limit, a URL the transport does not open, a
            certificate that does not verify, a redirect, any other status).

    The message names the method and the URL with ``password`` and ``session_id`` masked.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        excerpt: str = "",
        partial: SendResult | None = None,
        retryable: bool = False,
    ) -> None:
        self.status = status
        self.excerpt = excerpt
        self.partial = partial
        self.retryable = retryable
        super().__init__(message)


class ApiError(Exception):
    """The server answered a command with ``ERR:`` (an :class:`ErrorReply`).

    Subclasses group the codes by what a caller can do about them; ``codes`` lists each one's.

    Attributes:
        code: the Clickatell error code (``None`` for a code-less error).
        description: the server's description.
        retry_after: for error 130, when sending may resume (aware UTC), else ``None``.
        partial: for a send split over several requests, the results of the requests that had
            succeeded before this one failed; else ``None``.
    """

    codes: ClassVar[frozenset[int]] = frozenset()

    def __init__(
        self,
        code: int | None,
        description: str,
        *,
        retry_after: datetime | None = None,
        partial: SendResult | None = None,
    ) -> None:
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.partial = partial
        wire = f"{code:03d}" if code is not None else "---"
        super().__init__(f"ERR: {wire}, {description}")

    @staticmethod
    def from_reply(reply: ErrorReply, *, partial: SendResult | None = None) -> ApiError:
        """The exception of the family that ``reply.code`` belongs to."""
        for family in (
            AuthenticationError,
            RecipientError,
            MessageError,
            CreditError,
            RateLimitError,
            RetryableError,
        ):
            if reply.code in family.codes:
                return family(
                    reply.code, reply.description, retry_after=reply.retry_after, partial=partial
                )
        return ApiError(
            reply.code, reply.description, retry_after=reply.retry_after, partial=partial
        )


class AuthenticationError(ApiError):
    """Credentials, session or account: 001, 002, 003, 004, 005, 007, 108."""

    codes = frozenset({1, 2, 3, 4, 5, 7, 108})


class RecipientError(ApiError):
    """The destination cannot receive: 105, 121, 122, 128."""

    codes = frozenset({105, 121, 122, 128})


class MessageError(ApiError):
    """The message itself is refused: 102, 106, 107, 112, 113, 116, 120, 123."""

    codes = frozenset({102, 106, 107, 112, 113, 116, 120, 123})


class CreditError(ApiError):
    """Credit: 301 (none left), 302 (above the allowed maximum)."""

    codes = frozenset({301, 302})


class RateLimitError(ApiError):
    """130: the account's MT limit is reached until ``retry_after``."""

    codes = frozenset({130})


class RetryableError(ApiError):
    """901: an internal error of the server; the same request may succeed later."""

    codes = frozenset({901})
