"""The ``clickatell_server`` pytest fixture (registered through the ``pytest11`` entry point).

Any project that installs clickatell-protocol gets it with no set-up::

    def test_send(clickatell_server):
        client = clickatell_server.client()
        result = client.send("447700900123", "Hello")
        clickatell_server.clock.advance(seconds=10)   # statuses move on the server's clock
        assert client.query(result.results[0].apimsgid).status == 4
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .client import AsyncClient, Client
from .server import ManualClock, ReferenceServer, running
from .transport import AsyncTransport, Transport, UrllibTransport

__all__ = ["ClickatellServer", "clickatell_server"]


@dataclass
class ClickatellServer:
    """A reference server running on a free loopback port for one test.

    Attributes:
        base_url: where it listens (``http://127.0.0.1:<port>``).
        api_id, user, password: the account it has, with 1000 credits.
        clock: the server's clock; ``clock.advance(...)`` moves message statuses and session
            expiry forward (statuses move on the next request, or on ``server.tick()``).
        server: the :class:`ReferenceServer` itself, to add accounts, prefixes or vouchers.
    """

    base_url: str
    api_id: str
    user: str
    password: str
    clock: ManualClock
    server: ReferenceServer

    def client(self, transport: Transport | None = None, **options: Any) -> Client:
        """A :class:`Client` for the account, on the server's clock (``transport`` defaults
        to :class:`UrllibTransport`; ``options`` go to the client)."""
        return Client(transport or UrllibTransport(timeout=10), **self._options(options))

    def async_client(self, transport: AsyncTransport, **options: Any) -> AsyncClient:
        """An :class:`AsyncClient` for the account over ``transport``, on the server's clock."""
        return AsyncClient(transport, **self._options(options))

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        return {
            "api_id": self.api_id,
            "user": self.user,
            "password": self.password,
            "base_url": self.base_url,
            "clock": self.clock,
            **options,
        }


@pytest.fixture
def clickatell_server() -> Iterator[ClickatellServer]:
    """A fresh reference server (in-memory state) with one account, for one test."""
    clock = ManualClock()
    server = ReferenceServer(clock=clock, callback_scale=0.0)
    server.add_account("3456789", "tester", "secret-password", credits=1000)
    with running(server, tick_every=None) as base_url:
        yield ClickatellServer(base_url, "3456789", "tester", "secret-password", clock, server)
