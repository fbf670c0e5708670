"""The reference server's durable state: SQLite (``:memory:`` or a file).

One connection, one lock: every request is one ``BEGIN IMMEDIATE`` transaction (a nested
:meth:`Store.transaction` is a savepoint inside it), so concurrent requests never interleave
inside one, and a check and the change it guards (a refund, a charge, a redemption) cannot be
split by another request, another thread, or another process on the same file. A file database
runs in WAL mode, so a crash or ``kill -9`` loses nothing that was committed.

What is stored of the secrets, and what a copy of the database file gives away:

- passwords: salt and PBKDF2 hash only (:func:`hash_password`);
- session ids: only an HMAC-SHA256 under a per-server key (:meth:`Store.session_digest`).
  For a file database the key lives in a separate file beside it (``<database>.key``, created
  ``0600``), so a copy of the database alone (a backup, a file attached to a bug report)
  yields no live session, and cannot even test a guessed one. Someone who has the key file too
  still cannot recover a session id from its digest (ids are 128 random bits); someone who can
  *write* the database can do anything anyway, and is outside this model. An in-memory
  database has a fresh key per process.
- an account's callback password (for the HTTP basic authentication of status callbacks,
  PROTOCOL.md §7): kept in this process's memory only. The file records that one is
  configured, and the queued callbacks carry no ``Authorization`` header (it is built at
  delivery time). After a restart the password comes from the configuration again (``serve
  --config`` adds its accounts at each start); until then those callbacks wait, retried on
  their schedule. A file written by an earlier version that did store them is scrubbed when
  opened (the passwords move to memory for that run).
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

__all__ = ["Store", "hash_password", "verify_password"]

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS accounts (
    api_id TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    password_salt BLOB NOT NULL,
    password_hash BLOB NOT NULL,
    credits TEXT NOT NULL,
    allowed_ips TEXT NOT NULL DEFAULT '',
    callback_url TEXT,
    callback_style TEXT NOT NULL DEFAULT 'http_post',
    callback_user TEXT,
    callback_password TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    session_digest TEXT PRIMARY KEY,
    api_id TEXT NOT NULL,
    last_used REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    apimsgid TEXT PRIMARY KEY,
    api_id TEXT NOT NULL,
    climsgid TEXT,
    to_number TEXT NOT NULL,
    from_address TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL,
    parts INTEGER NOT NULL,
    charge TEXT NOT NULL,
    status INTEGER NOT NULL,
    created REAL NOT NULL,
    next_change REAL,
    final_status INTEGER NOT NULL,
    callback INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_by_climsgid ON messages (api_id, climsgid);
CREATE INDEX IF NOT EXISTS messages_by_change ON messages (next_change);
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    api_id TEXT NOT NULL,
    template TEXT NOT NULL,
    options TEXT NOT NULL,
    created REAL NOT NULL,
    ended INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS vouchers (
    token TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    credits TEXT NOT NULL,
    redeemed_by TEXT
);
CREATE TABLE IF NOT EXISTS prefixes (
    prefix TEXT PRIMARY KEY,
    charge TEXT NOT NULL,
    routable INTEGER NOT NULL DEFAULT 1,
    final_status INTEGER NOT NULL DEFAULT 4
);
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    api_id TEXT NOT NULL,
    apimsgid TEXT NOT NULL,
    status INTEGER NOT NULL,
    method TEXT NOT NULL,
    url TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt REAL NOT NULL,
    delivered INTEGER NOT NULL DEFAULT 0,
    given_up INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS callbacks_due ON callbacks (delivered, given_up, next_attempt);
"""

# What the ``callback_password`` column holds for an account with a callback password: the
# password itself stays in memory (see the module docstring).
CALLBACK_PASSWORD_IN_MEMORY: Final = "(kept in memory)"
_SECRET_HEADERS: Final = frozenset({"authorization", "proxy-authorization"})

# Password hashing: PBKDF2-HMAC-SHA256 with a per-account salt.
_ITERATIONS: Final = 60_000
# The version byte that starts a hash made by this scheme; a hash without it (32 bytes) is the
# legacy scheme, PBKDF2 over the raw password.
_HASH_V2: Final = b"\x02"


def hash_password(password: str, salt: bytes | None = None) -> tuple[bytes, bytes]:
    """``(salt, hash)`` of a password; a fresh 16-byte salt unless one is given.

    PBKDF2 uses the password as an HMAC key, and HMAC pads a short key with NUL bytes and
    replaces a key longer than 64 bytes by its SHA-256: so ``pw``, ``pw\\0\\0`` and (for a long
    password) its digest would all hash alike. The password's SHA-256 is the key instead (32
    bytes, never padded or shortened), so two different passwords never share a hash.
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    key = hashlib.sha256(password.encode("utf-8", "surrogatepass")).digest()
    return salt, _HASH_V2 + hashlib.pbkdf2_hmac("sha256", key, salt, _ITERATIONS)


def verify_password(password: str, salt: bytes, expected: bytes) -> bool:
    """Whether ``password`` is exactly the one ``expected`` was made from (constant time).

    A hash from the legacy scheme (no version byte) still verifies, except for a password
    with a NUL byte or longer than 64 bytes, which that scheme cannot tell apart from another.
    """
    if expected[:1] == _HASH_V2 and len(expected) == 33:
        return hmac.compare_digest(hash_password(password, salt)[1], expected)
    raw = password.encode("utf-8", "surrogatepass")
    legacy = hashlib.pbkdf2_hmac("sha256", raw, salt, _ITERATIONS)
    return hmac.compare_digest(legacy, expected) and b"\0" not in raw and len(raw) <= 64


def _server_key(path: str) -> bytes:
    """The per-server key session ids are hashed with: fresh for ``:memory:``; for a file
    database, read from ``<path>.key``, created (``0600``, 32 random bytes) when absent.

    A new key is written whole to a temporary file beside it, then linked into place, which
    fails if another process got there first (its key is then read instead): two processes
    opening a new database at once end with the same key, and none ever reads a partial one.

    Raises:
        OSError: the key file cannot be read or created (a directory, no permission).
        ValueError: the key file is not a key (shorter than 32 bytes).
    """
    if path == ":memory:" or path.startswith("file:"):
        return secrets.token_bytes(32)
    key_path = path + ".key"
    try:
        return _read_key(key_path)
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(32)
    directory, name = os.path.split(key_path)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory or ".")
    try:
        with os.fdopen(fd, "wb") as created:  # mkstemp creates it 0600
            created.write(key)
            created.flush()
            os.fsync(created.fileno())
        try:
            os.link(temporary, key_path)
        except FileExistsError:
            return _read_key(key_path)  # another process made it first: use that one
        except OSError as error:
            if error.errno not in _NO_HARD_LINKS:
                raise
            # A file system without hard links: create the key in place, exclusively.
            return _create_key_in_place(key_path, key)
    finally:
        os.unlink(temporary)
    return key


# What ``os.link`` raises on a file system without hard links.
_NO_HARD_LINKS: Final = frozenset(
    {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}
)


def _read_key(key_path: str) -> bytes:
    with open(key_path, "rb") as existing:
        key = existing.read()
    if len(key) < 32:
        raise ValueError(f"{key_path} is not a server key (expected 32 bytes)")
    return key


def _create_key_in_place(key_path: str, key: bytes) -> bytes:
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(key_path)
    with os.fdopen(fd, "wb") as created:
        created.write(key)
    return key


def _enter_wal_mode(db: sqlite3.Connection) -> None:
    """Switch a file database to WAL mode.

    The switch needs the file to itself for a moment, and SQLite answers "database is locked"
    at once, without waiting, when another connection is opening the same new file: retry a
    while (up to about the busy timeout) instead of failing.
    """
    for attempt in range(_WAL_ATTEMPTS):
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.001 * min(attempt + 1, 50))


_WAL_ATTEMPTS: Final = 150


def add_credits(db: sqlite3.Connection, api_id: str, amount: Decimal) -> bool:
    """Add ``amount`` (negative: spend) to an account's credits inside the caller's transaction.

    Returns ``False``, changing nothing, when spending would take the credits below zero.
    """
    row = db.execute("SELECT credits FROM accounts WHERE api_id = ?", (api_id,)).fetchone()
    credits = Decimal(row[0]) + amount
    if credits < 0:
        return False
    db.execute("UPDATE accounts SET credits = ? WHERE api_id = ?", (str(credits), api_id))
    return True


@dataclass(frozen=True)
class AccountRow:
    """An account as stored (the password only as salt and hash)."""

    api_id: str
    user: str
    password_salt: bytes
    password_hash: bytes
    credits: Decimal
    allowed_ips: tuple[str, ...]
    callback_url: str | None
    callback_style: str
    callback_user: str | None
    callback_password: str | None
    """The callback password if this process knows it (it is never read from the file)."""
    callback_password_configured: bool = False
    """Whether the account has a callback password, known in this process or not."""


class Store:
    """The SQLite state of one reference server.

    Args:
        path: ``":memory:"`` (the default: gone with the process) or a file path.

    Raises:
        sqlite3.Error: ``path`` cannot be opened or is not an SQLite database.
        OSError: the key file beside a file database (``<path>.key``) cannot be read or
            created.
        ValueError: that key file is not a key.
    """

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._callback_passwords: dict[str, str] = {}
        try:
            if path != ":memory:":
                _enter_wal_mode(self._db)
                self._db.execute("PRAGMA synchronous=NORMAL")
            # Deleted and overwritten content is zeroed, not left in free pages of the file.
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute("PRAGMA busy_timeout=5000")
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(sessions)")}
            if "session_id" in columns:
                # A database from before session ids were hashed: its sessions are clear text,
                # and short-lived anyway; drop them (their holders authenticate again).
                self._db.execute("DROP TABLE sessions")
                self._db.execute("VACUUM")
                if path != ":memory:":
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._db.executescript(_SCHEMA)
            self._key = _server_key(path)
            self._depth = 0
            self._scrub_secrets()
        except BaseException:  # not a database, or not ours to write: nothing stays open
            self._db.close()
            raise

    def _scrub_secrets(self) -> None:
        """Take the callback secrets an earlier version stored out of the file: the passwords
        into memory, the ``Authorization`` headers out of the queue."""
        with self.transaction() as db:
            accounts = db.execute(
                "SELECT api_id, callback_password FROM accounts "
                "WHERE callback_password IS NOT NULL AND callback_password != ?",
                (CALLBACK_PASSWORD_IN_MEMORY,),
            ).fetchall()
            for api_id, password in accounts:
                self._callback_passwords[api_id] = password
                db.execute(
                    "UPDATE accounts SET callback_password = ? WHERE api_id = ?",
                    (CALLBACK_PASSWORD_IN_MEMORY, api_id),
                )
            queued = db.execute(
                "SELECT id, headers FROM callbacks WHERE headers LIKE '%authorization%'"
            ).fetchall()
            for row_id, headers in queued:
                kept = [
                    pair for pair in json.loads(headers) if pair[0].lower() not in _SECRET_HEADERS
                ]
                db.execute(
                    "UPDATE callbacks SET headers = ? WHERE id = ?", (json.dumps(kept), row_id)
                )
        if (accounts or queued) and self.path != ":memory:":
            # The old pages of the write-ahead log go too.
            with self._lock:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        """Close the database (committed state is already on disk)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of work; rolled back if anything in it raises.

        The outermost one is ``BEGIN IMMEDIATE`` (the write lock is taken before anything is
        read, so what it reads cannot change before it writes). One opened inside another, on
        the same thread, is a savepoint: raising out of it undoes its own changes only.
        """
        with self._lock:
            if self._depth:
                savepoint = f"nested_{self._depth}"
                self._db.execute(f"SAVEPOINT {savepoint}")
                self._depth += 1
                try:
                    yield self._db
                except BaseException:
                    self._db.execute(f"ROLLBACK TO {savepoint}")
                    self._db.execute(f"RELEASE {savepoint}")
                    raise
                finally:
                    self._depth -= 1
                self._db.execute(f"RELEASE {savepoint}")
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def session_digest(self, session_id: str) -> str:
        """What is stored for a session id: its HMAC-SHA256 under this server's key (hex).

        Session ids are hex, compared without regard to case, so the digest is of the
        lower-case form.
        """
        return hmac.new(
            self._key, session_id.lower().encode("utf-8", "surrogatepass"), hashlib.sha256
        ).hexdigest()

    def query(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        """Rows of a read-only statement."""
        with self._lock:
            return list(self._db.execute(sql, args))

    # -- accounts ------------------------------------------------------------------------------

    def put_account(
        self,
        api_id: str,
        user: str,
        password: str,
        credits: Decimal,
        *,
        allowed_ips: tuple[str, ...] = (),
        callback_url: str | None = None,
        callback_style: str = "http_post",
        callback_user: str | None = None,
        callback_password: str | None = None,
        replace: bool = True,
    ) -> None:
        """Create an account, or replace one with the same ``api_id`` (with ``replace=False`` an
        existing account, and its credits, are kept).

        ``callback_password`` is kept in memory only, also when an existing account is kept.
        """
        salt, digest = hash_password(password)
        with self._lock:
            if callback_password is not None:
                self._callback_passwords[api_id] = callback_password
            elif replace:
                self._callback_passwords.pop(api_id, None)
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        with self.transaction() as db:
            db.execute(
                f"{verb} INTO accounts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    api_id,
                    user,
                    salt,
                    digest,
                    str(credits),
                    ",".join(allowed_ips),
                    callback_url,
                    callback_style,
                    callback_user,
                    CALLBACK_PASSWORD_IN_MEMORY if callback_password is not None else None,
                ),
            )

    def account(self, api_id: str) -> AccountRow | None:
        """The account with ``api_id``, or ``None``."""
        rows = self.query("SELECT * FROM accounts WHERE api_id = ?", api_id)
        if not rows:
            return None
        row = rows[0]
        return AccountRow(
            api_id=row["api_id"],
            user=row["user"],
            password_salt=row["password_salt"],
            password_hash=row["password_hash"],
            credits=Decimal(row["credits"]),
            allowed_ips=tuple(ip for ip in row["allowed_ips"].split(",") if ip),
            callback_url=row["callback_url"],
            callback_style=row["callback_style"],
            callback_user=row["callback_user"],
            callback_password=self._callback_passwords.get(row["api_id"]),
            callback_password_configured=row["callback_password"] is not None,
        )

    def put_voucher(
        self, token: str, value: str, credits: Decimal, *, replace: bool = True
    ) -> None:
        """Create a voucher, or give an unredeemed one with the same ``token`` this ``value``
        and ``credits``; a redeemed voucher is never changed (nor made redeemable again).

        With ``replace=False`` an existing voucher, redeemed or not, is kept as it is (what a
        configuration applied at every start needs).
        """
        with self.transaction() as db:
            added = db.execute(
                "INSERT OR IGNORE INTO vouchers VALUES (?, ?, ?, NULL)",
                (token, value, str(credits)),
            ).rowcount
            if replace and not added:
                db.execute(
                    "UPDATE vouchers SET value = ?, credits = ? "
                    "WHERE token = ? AND redeemed_by IS NULL",
                    (value, str(credits), token),
                )

    def put_prefix(
        self, prefix: str, charge: Decimal, *, routable: bool = True, final_status: int = 4
    ) -> None:
        """Create or replace the routing of a number prefix."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO prefixes VALUES (?, ?, ?, ?)",
                (prefix, str(charge), int(routable), final_status),
            )
