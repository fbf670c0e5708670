"""The HTTP values the sans-I/O core produces and consumes."""

from __future__ import annotations

import dataclasses
import re
from typing import Final

__all__ = ["HttpRequest", "HttpResponse", "redact"]

_SECRET_HEADERS: Final = frozenset({"authorization", "proxy-authorization", "cookie"})
_SECRET_RE: Final = re.compile(r"(?i)((?<![A-Za-z0-9_])(?:password|session_id)=)[^&;#\s'\"]*")


def redact(text: str) -> str:
    """Return ``text`` with the values of ``password=`` and ``session_id=`` parameters masked."""
    return _SECRET_RE.sub(r"\1***", text)


@dataclasses.dataclass(frozen=True, slots=True)
class HttpRequest:
    """One HTTP request, ready for any transport.

    Attributes:
        method: ``GET`` or ``POST``.
        url: the absolute URL, with the query string for GET.
        headers: header pairs, in order.
        body: the form body for POST (``application/x-www-form-urlencoded``), ``b""`` for GET.

    Its ``repr`` masks the password, the session id and credential headers; the attributes hold
    the real values, because a transport must send them.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def __repr__(self) -> str:
        body = redact(self.body.decode("latin-1")).encode("latin-1")
        headers = tuple(
            (name, "***" if name.lower() in _SECRET_HEADERS else value)
            for name, value in self.headers
        )
        return (
            f"HttpRequest(method={self.method!r}, url={redact(self.url)!r}, "
            f"headers={headers!r}, body={body!r})"
        )

    __str__ = __repr__


@dataclasses.dataclass(frozen=True, slots=True)
class HttpResponse:
    """One HTTP response, as a transport hands it back.

    Attributes:
        status: the HTTP status code.
        headers: header pairs, in order.
        body: the raw body; :attr:`text` reads it as ISO-8859-1, the API's encoding.
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @property
    def text(self) -> str:
        """The body as text (ISO-8859-1: every byte is a character, nothing is lost)."""
        return self.body.decode("latin-1")
