"""The standard-library transport."""

from __future__ import annotations

import http.client
import ssl
import urllib.error
import urllib.request

from clickatell_protocol._http import HttpRequest, HttpResponse

from ._common import DEFAULT_MAX_BODY, DEFAULT_TIMEOUT, answer, failure, too_large


class UrllibTransport:
    """Sends requests with :mod:`urllib.request`: the default, no dependency.

    Args:
        timeout: seconds to wait to connect and for each read.
        context: the TLS context; the default verifies certificates and host names.
        max_body: the largest answer read, in bytes.

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
            urllib.request.HTTPSHandler(context=context or ssl.create_default_context())
        )

    def send(self, request: HttpRequest) -> HttpResponse:
        """Send ``request``; return the 200 answer.

        Raises:
            TransportError: a network failure, a timeout, a body over ``max_body``, or a status
                other than 200 (with ``status`` and a masked ``excerpt``).
        """
        outgoing = urllib.request.Request(
            request.url,
            data=request.body if request.method != "GET" else None,
            headers=dict(request.headers),
            method=request.method,
        )
        try:
            with self._opener.open(outgoing, timeout=self.timeout) as incoming:
                body = incoming.read(self.max_body + 1)
                status, headers = incoming.status, tuple(incoming.getheaders())
        except urllib.error.HTTPError as error:
            with error:
                body = error.read(self.max_body + 1)
            status, headers = error.code, tuple(error.headers.items())
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
            raise failure(request, getattr(error, "reason", error)) from None
        if len(body) > self.max_body:
            raise too_large(request, self.max_body)
        return answer(request, status, headers, body)
