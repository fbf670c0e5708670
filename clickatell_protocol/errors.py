"""The exception family.

One rule, as in h11: every exception a parser or validator of this package raises on bad input is
a :class:`ProtocolError` (itself a :class:`ValueError`).  Anything else escaping is a bug.
No exception text ever contains a password or a session id.
"""

from __future__ import annotations

from .codes import ErrorCode

__all__ = ["ProtocolError", "RequestRejected", "TextError", "UnknownEndpoint"]


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
    """

    http_status: int = 200

    def __init__(self, code: int, detail: str, *, parameter: str | None = None) -> None:
        self.code = int(code)
        self.description = _description(self.code)
        self.detail = detail
        self.parameter = parameter
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
