"""The standard-library transport."""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from clickatell_protocol._http import HttpRequest, HttpResponse

from ._common import (
    DEFAULT_MAX_BODY,
    DEFAULT_TIMEOUT,
    Deadline,
    answer,
    cut_short,
    failure,
    may_answer_again,
    timed_out,
    too_large,
)


class _HeadersCut(http.client.HTTPException):
    """The connection ended inside the status line or the headers."""


class _DeadlineReader(io.RawIOBase):
    """The socket as the response reads it, with the socket timeout shrunk before every read
    to what is left of the exchange's deadline: a server that drips one byte at a time cannot
    hold the caller past it. Remembers whether it has seen the end of the stream."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
        super().__init__()
        # An io reference on the socket (as ``makefile`` takes), so that the connection
        # closing its socket does not close it under the body still being read.
        self._raw = sock.makefile("rb", buffering=0)
        self._sock = sock
        self._deadline = deadline
        self.eof = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(self._deadline.remaining())
        count = self._raw.readinto(buffer)
        if not count:
            self.eof = True
        return count or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Response(http.client.HTTPResponse):
    def __init__(self, sock: socket.socket, *args: Any, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()
        self._reader = _DeadlineReader(sock, deadline)
        self.fp = io.BufferedReader(self._reader)

    def begin(self) -> None:
        super().begin()
        # http.client takes the end of the stream for the end of the headers; a status line
        # and headers are only whole if the blank line that ends them arrived.
        if self._reader.eof:
            raise _HeadersCut("the connection closed inside the headers")


class _Connection(http.client.HTTPConnection):
    def __init__(self, *args: Any, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline
        self.response_class = _response_class(deadline)

    def connect(self) -> None:
        self.timeout = self._deadline.remaining()
        super().connect()

    def send(self, data: Any) -> None:
        if self.sock is not None:
            self.sock.settimeout(self._deadline.remaining())
        super().send(data)


class _TLSConnection(_Connection, http.client.HTTPSConnection):
    """The same deadline over TLS: ``_Connection.connect`` reaches the TLS handshake of
    ``HTTPSConnection.connect`` through the method order."""


def _response_class(deadline: Deadline) -> Any:
    def make(sock: socket.socket, *args: Any, **kwargs: Any) -> _Response:
        return _Response(sock, *args, deadline=deadline, **kwargs)

    return make


class _Request(urllib.request.Request):
    """A urllib request that carries the deadline of its exchange to the connection."""

    def __init__(self, *args: Any, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline


def _deadline_of(request: urllib.request.Request) -> Deadline:
    deadline = getattr(request, "deadline", None)
    if not isinstance(deadline, Deadline):  # pragma: no cover - every request is a _Request
        raise TypeError("a request without a deadline")
    return deadline


class _HTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        deadline = _deadline_of(req)

        def connection(*args: Any, **kwargs: Any) -> _Connection:
            return _Connection(*args, deadline=deadline, **kwargs)

        return self.do_open(connection, req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        deadline = _deadline_of(req)

        def connection(*args: Any, **kwargs: Any) -> _TLSConnection:
            return _TLSConnection(*args, deadline=deadline, **kwargs)

        return self.do_open(connection, req, context=self._context)  # type: ignore[attr-defined]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Follows no redirect: the 3xx comes back as an answer, which :func:`answer` refuses."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class UrllibTransport:
    """Sends requests with :mod:`urllib.request`: the default, no dependency.

    Args:
        timeout: the most seconds one exchange may take, in all: connecting, sending, waiting
            for the answer and reading it (a total deadline, not a limit per read).
        context: the TLS context; the default verifies certificates and host names.
        max_body: the largest answer read, in bytes.

    Redirects are never followed (see :meth:`send`). Proxies named in the environment
    (``https_proxy``, ...) are used, as by :mod:`urllib.request`.

    Thread-safe: each call opens its own connection.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        context: ssl.SSLContext | None = None,
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self.timeout = timeout
        self.max_body = max_body
        self._opener = urllib.request.build_opener(
            _HTTPHandler(),
            _HTTPSHandler(context=context or ssl.create_default_context()),
            _NoRedirects(),
        )

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request``; return the 200 answer, read whole.

        Raises:
            TransportError: a URL that is not http or https; a network failure; no complete
                answer within ``timeout``; an answer cut short (the connection ended inside the
                headers, before the ``Content-Length`` announced, or inside a chunked body),
                reset, or over ``max_body``; or a status other than 200 (with ``status`` and a
                masked ``excerpt``). A redirect is such a status: it is never followed, and the
                message names its target's origin (not its path or query). ``retryable`` is
                ``True`` for a connection refused, reset or closed early, a cut answer, a
                timeout and a 5xx; the others fail the same way again.
        """
        scheme = urllib.parse.urlsplit(request.url).scheme.lower()
        if scheme not in ("http", "https"):
            # urllib would open file:, ftp: and data: URLs too; a base URL set to one must not
            # turn the client into a file reader.
            raise failure(
                request,
                ValueError(f"only http and https URLs, not {scheme[:10]!r}:"),
                retryable=False,
            )
        deadline = Deadline(self.timeout)
        outgoing = _Request(
            request.url,
            data=request.body if request.method != "GET" else None,
            headers=dict(request.headers),
            method=request.method,
            deadline=deadline,
        )
        try:
            with self._opener.open(outgoing, timeout=self.timeout) as incoming:
                body = incoming.read(self.max_body + 1)
                status, headers = incoming.status, tuple(incoming.getheaders())
                missing = incoming.length
        except urllib.error.HTTPError as error:
            try:
                with error:
                    body = error.read(self.max_body + 1)
            except (OSError, http.client.HTTPException):
                body = b""  # the excerpt of a refusal is a courtesy; the status is the answer
            status, headers, missing = error.code, tuple(error.headers.items()), None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError) and deadline.passed():
                raise timed_out(request, self.timeout) from None
            retryable = isinstance(reason, _HeadersCut) or may_answer_again(reason)
            raise failure(request, reason, retryable=retryable) from None
        if len(body) > self.max_body:
            raise too_large(request, self.max_body)
        if missing:
            # http.client hands back what came when the connection ends before the body its
            # Content-Length announced; that is a cut answer, not a short one (issue 11 #3).
            raise cut_short(request, len(body), len(body) + missing)
        return answer(request, status, headers, body)
