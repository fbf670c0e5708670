"""Shared fixtures for the interoperability suite.

- ``interop_server``: the ``clickatell_server`` fixture (a reference server on a free loopback
  port, account ``3456789`` / ``tester`` / ``secret-password`` with 1000 credits) with two
  prefixes configured, so clients read fractional charges and refusals as the live service
  writes them: numbers starting ``27`` are routed at 0.8 credits a part, numbers starting
  ``882`` are not routed (``ERR: 114`` on send, the "not supported" sentence on
  routeCoverage). Any other number is routed at 1 credit. ``server_state`` names them.
- ``interop_cache``: a directory kept across runs (pytest's cache when it is enabled, else a
  temporary directory for the session) for downloaded clients.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clickatell_protocol.pytest_plugin import ClickatellServer

from .server_state import CHARGE, ROUTED_PREFIX, UNROUTED_PREFIX


@pytest.fixture
def interop_server(clickatell_server: ClickatellServer) -> ClickatellServer:
    """The reference server of ``clickatell_server``, with the routed and unrouted prefixes."""
    clickatell_server.server.add_prefix(ROUTED_PREFIX, CHARGE)
    clickatell_server.server.add_prefix(UNROUTED_PREFIX, routable=False)
    return clickatell_server


@pytest.fixture(scope="session")
def interop_cache(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for downloaded clients: kept across runs when pytest's cache is enabled."""
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("interop"))
    return tmp_path_factory.mktemp("interop")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``interop`` tests unless a marker expression was given (``-m interop``).

    They fetch clients from registries and run tools that may be absent, so the plain
    ``pytest`` run reports them as skipped, with the way to select them.
    """
    if config.getoption("markexpr"):
        return
    skip = pytest.mark.skip(
        reason="interop: third-party clients and tools; select with -m interop "
        "(see tests/interop/README.md)"
    )
    for item in items:
        if item.get_closest_marker("interop") is not None:
            item.add_marker(skip)
