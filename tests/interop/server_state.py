"""The numbers and charges the interop server is set up with, and what it recorded.

Tests read the server's own state to check that a client read an answer as the service meant
it: the session ID it stored is a session the server opened, the message ID it returned is the
message sent to that number, and so on.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from typing import Final

from clickatell_protocol.pytest_plugin import ClickatellServer

ROUTED_PREFIX: Final = "27"
# A fractional charge, as the live service bills many routes: a client that reads it as an
# integer, or drops the fraction, is caught.
CHARGE: Final = Decimal("0.8")
UNROUTED_PREFIX: Final = "882"

# Numbers in international format, as every client is told to write them.
NUMBER: Final = "27831234567"
NUMBERS: Final = ("27831234567", "27831234568", "27831234569")
UNROUTED_NUMBER: Final = "88210000001"
CREDITS: Final = Decimal(1000)

# The routeCoverage sentences of the real service (PROTOCOL.md §2 and §9).
COVERED: Final = "This prefix is currently supported. Messages sent to this prefix will be routed."
NOT_COVERED: Final = (
    "This prefix is not currently supported. Messages sent to this prefix will fail. "
    "Please contact support for assistance."
)


def messages(server: ClickatellServer) -> dict[str, sqlite3.Row]:
    """Every message the server accepted, by apimsgid (columns: ``to_number``, ``text``,
    ``from_address``, ``climsgid``, ``charge``, ``status``, ...)."""
    return {row["apimsgid"]: row for row in server.server.store.query("SELECT * FROM messages")}


def sessions(server: ClickatellServer) -> set[str]:
    """The sessions the server has open, as the digests it stores (never the IDs in clear):
    compare with :func:`session_key`."""
    return {row["session_digest"] for row in server.server.store.query("SELECT * FROM sessions")}


def session_key(server: ClickatellServer, session_id: str) -> str:
    """What the server stores for ``session_id``."""
    return server.server.store.session_digest(session_id)


def batches(server: ClickatellServer) -> dict[str, sqlite3.Row]:
    """Every batch the server started, by batch_id (columns ``template``, ``ended``, ...)."""
    return {row["batch_id"]: row for row in server.server.store.query("SELECT * FROM batches")}


def balance(server: ClickatellServer) -> Decimal:
    """The account's credit on the server."""
    account = server.server.store.account(server.api_id)
    assert account is not None
    return Decimal(account.credits)
