"""The reference server: the server side of the whole protocol, as a WSGI application.

Every request goes through the library's own server side: :func:`parse_request` (or the exact
``ERR:`` it raises) → the state in :class:`Store` → :func:`render_response`. So the server is
as strict as the request models, answers as the real service answers, and proves the library
from the other side of the wire.

Each request's state changes (the session touched, credits charged or refunded, messages
stored, a voucher redeemed, a batch ended) happen in one transaction, and its answer is rendered
inside it: if anything fails before the answer exists, the whole request is rolled back and
answered ``ERR: 901``, so an answer never disagrees with the state it leaves, and a client that
retries after a 901 is not charged twice.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import queue
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final, cast

from pydantic import SecretStr

from .._http import HttpRequest
from ..callbacks import (
    CALLBACK_STYLES,
    CallbackStyle,
    StatusCallback,
    callback_request,
    render_status_callback,
)
from ..codes import ErrorCode, statuses_for_callback
from ..errors import RequestRejected, UnknownEndpoint
from ..limits import DEFAULT_LIMITS, SESSION_IDLE_TIMEOUT, Limits
from ..rendering import render_response
from ..request_parsing import parse_request
from ..requests import (
    Auth,
    DelMsg,
    EndBatch,
    GetBalance,
    GetMsgCharge,
    IndPush,
    Ping,
    QueryMsg,
    QuickSend,
    Request,
    RouteCoverage,
    SendItem,
    SendMsg,
    SiPush,
    StartBatch,
    TokenPay,
)
from ..responses import (
    Accepted,
    AuthOK,
    Balance,
    BatchEnded,
    BatchStarted,
    Coverage,
    ErrorReply,
    MessageCharge,
    MessageStatus,
    PingOK,
    Rejected,
    Response,
    SendResult,
    TokenPaid,
)
from ..transport import Transport, UrllibTransport
from ._masking import mask_secrets
from .store import AccountRow, Store, add_credits, hash_password, verify_password

__all__ = ["ReferenceServer"]

log = logging.getLogger("clickatell_protocol.server")

COVERED: Final = "This prefix is currently supported. Messages sent to this prefix will be routed."
# The refusal is the sentence of [S238] (PROTOCOL.md §9): clients match on it.
NOT_COVERED: Final = (
    "This prefix is not currently supported. Messages sent to this prefix will fail. "
    "Please contact support for assistance."
)
BATCH_LIFETIME: Final = timedelta(hours=24)
# Waits before each retry of a failed callback [PROTOCOL.md §7, V2.5]: 2 minutes doubling to
# 128, then 3 days; eight retries after the first attempt.
CALLBACK_RETRIES: Final = (
    *(timedelta(minutes=2**n) for n in range(1, 8)),
    timedelta(days=3),
)
MAX_BODY: Final = 1024 * 1024
# Every credential mismatch (unknown api_id, unknown user, wrong password) gets this one code,
# so an answer does not tell which part was wrong, nor whether an account or user exists
# (PROTOCOL.md §4: 001 "Authentication failed" names no credential; 002 would suggest the user
# name was looked at). 108 stays for an api_id that is missing or not digits (request validation).
CREDENTIALS_MISMATCH: Final = 1
# Compared against when the api_id is unknown, so the answer takes as long as for a known one.
_NO_ACCOUNT_SALT, _NO_ACCOUNT_HASH = hash_password(secrets.token_hex(16))


def _is_number(value: str) -> bool:
    """Whether ``value`` can be written back as a number: ASCII digits only (``'²'.isdigit()``
    and ``'٣'.isdigit()`` are true, and no client reads them as a phone number)."""
    return value.isascii() and value.isdigit()


def _error(code: int, description: str | None = None) -> ErrorReply:
    return ErrorReply(code=code, description=description or ErrorCode(code).description or "")


class _Refused(Exception):
    """A whole request refused with an ``ERR:`` (raised inside the handlers)."""

    def __init__(self, code: int, description: str | None = None) -> None:
        self.reply = _error(code, description)
        super().__init__(self.reply.description)


@dataclass
class _Attempt:
    """One delivery attempt of a queued callback, in flight."""

    row_id: int
    api_id: str
    attempts: int  # before this one
    request: HttpRequest | None  # None: it cannot be sent (its credentials are not known)
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


@dataclass(frozen=True)
class _Outgoing:
    """What a send request asks for, whatever the command."""

    numbers: list[str]
    text: str
    parts: int
    from_: str
    climsgid: str | None
    callback: int
    due: datetime | None
    max_credits: Decimal | None = None


class ReferenceServer:
    """A Clickatell HTTP API server with durable state; call it as a WSGI application.

    Choices where the spec leaves room:

    - Every credential mismatch (unknown ``api_id``, unknown user, wrong password) is
      ``ERR: 001, Authentication failed``, after the same work, so neither the code nor the
      timing tells whether an account or user exists. 108 is for a missing or malformed
      ``api_id`` only.
    - ``max_credits`` caps a message's whole charge (every part): a message that would cost
      more gets an ID but ends at status 009 (routing error), uncharged [S238 §5.2.8].
    - ``senditem``/``quicksend`` enforce the ``concat`` given to ``startbatch`` (113).
    - Session ids are stored only as keyed hashes (see :class:`Store`).

    Args:
        store: the state (default: a fresh in-memory database).
        clock: the current time, aware; inject a controllable one in tests.
        limits: the limits profile requests are validated against.
        default_charge: credits per message part for a prefix with no configured charge.
        delivery_delay: how long a message stays at 003 before its final status.
        callback_scale: multiplies the callback retry waits (``0.001`` turns minutes into
            hundreds of milliseconds for tests).
        transport: how status callbacks are posted (default :class:`UrllibTransport` with
            ``callback_timeout`` as its total deadline).
        callback_timeout: the total deadline, in seconds, of one callback delivery attempt
            (connect, send and read together), whatever the transport does: at the deadline the
            attempt counts as failed and its retry is scheduled; the retry starts once the
            abandoned post has returned (never beside it).
        callback_workers: how many callback attempts may be under way at once; each account
            gets at most a quarter of them (at least one), counting its sending threads that
            were abandoned at the deadline and still wait for the transport, so a slow receiver
            holds up no other account.

    Raises:
        ValueError: ``callback_timeout`` or ``callback_workers`` is not positive.
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        limits: Limits = DEFAULT_LIMITS,
        default_charge: Decimal = Decimal("1"),
        delivery_delay: timedelta = timedelta(seconds=5),
        callback_scale: float = 1.0,
        transport: Transport | None = None,
        callback_timeout: float = 10.0,
        callback_workers: int = 8,
    ) -> None:
        if not (math.isfinite(callback_timeout) and callback_timeout > 0):
            raise ValueError(f"callback_timeout must be positive seconds, not {callback_timeout!r}")
        if callback_workers < 1:
            raise ValueError(f"callback_workers must be at least 1, not {callback_workers!r}")
        self.store = store or Store()
        self.clock = clock
        self.limits = limits
        self.default_charge = default_charge
        self.delivery_delay = delivery_delay
        self.callback_scale = callback_scale
        # The default transport gives up at the attempt's deadline, so its sending thread
        # returns when the attempt is abandoned and the retry is not held up behind it.
        self.transport: Transport = transport or UrllibTransport(timeout=callback_timeout)
        self.internal_errors = 0
        self.callback_timeout = callback_timeout
        self.callback_workers = callback_workers
        self._per_account = max(1, callback_workers // 4)
        # Delivery state of this process (guarded by _callback_lock): the callbacks whose
        # attempt is not settled yet; the callbacks whose sending thread has not returned --
        # including those abandoned at their deadline, whose retry is scheduled but must not
        # start beside them -- and those sending threads counted per account, as each holds its
        # account's slot until the transport returns.
        self._callback_lock = threading.Lock()
        self._in_flight: set[int] = set()
        self._sending: set[int] = set()
        self._senders: dict[str, int] = {}

    # -- configuration --------------------------------------------------------------------------

    def add_account(
        self,
        api_id: str,
        user: str,
        password: str,
        credits: Decimal | int | str = 100,
        **options: Any,
    ) -> None:
        """Create an account (``options``: ``allowed_ips``, ``callback_url``, ``callback_style``,
        ``callback_user``, ``callback_password``).

        Raises:
            ValueError: an unknown ``callback_style``.
        """
        style = options.get("callback_style", "http_post")
        if style not in CALLBACK_STYLES:
            raise ValueError(f"callback_style must be one of {', '.join(CALLBACK_STYLES)}")
        self.store.put_account(api_id, user, password, Decimal(credits), **options)

    def add_voucher(
        self, token: str, credits: Decimal | int | str, value: str | None = None
    ) -> None:
        """Create a voucher worth ``credits``; ``token_pay`` answers ``OK: <value>``."""
        self.store.put_voucher(
            token, value if value is not None else str(credits), Decimal(credits)
        )

    def add_prefix(
        self,
        prefix: str,
        charge: Decimal | int | str = 1,
        *,
        routable: bool = True,
        final_status: int = 4,
    ) -> None:
        """Route (or refuse) numbers starting with ``prefix``, at ``charge`` per part; their
        messages end at ``final_status`` (004 delivered, or a failure such as 007)."""
        self.store.put_prefix(prefix, Decimal(charge), routable=routable, final_status=final_status)

    # -- WSGI --------------------------------------------------------------------------------

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        target = str(environ.get("PATH_INFO", "")) + "?" + str(environ.get("QUERY_STRING", ""))
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = b""
        if length > MAX_BODY:
            start_response("413 Payload Too Large", [("Content-Type", "text/plain")])
            return [b"Request body too large"]
        if length > 0 and "wsgi.input" in environ:
            body = environ["wsgi.input"].read(length)
        status, text = self.handle(
            method,
            target,
            body,
            str(environ.get("REMOTE_ADDR", "")),
            content_type=environ.get("CONTENT_TYPE"),
        )
        reason = "OK" if status == 200 else "Not Found"
        start_response(f"{status} {reason}", [("Content-Type", "text/plain; charset=ISO-8859-1")])
        return [text.encode("latin-1", errors="replace")]

    def handle(
        self,
        method: str,
        target: str,
        body: bytes,
        remote_addr: str = "",
        *,
        content_type: str | None = None,
    ) -> tuple[int, str]:
        """Answer one request: ``(HTTP status, body)``; 404 for unknown paths, else 200.

        ``content_type`` is the request's Content-Type header: its charset says how the
        parameters are decoded (PROTOCOL.md §1).

        The request's state changes and the rendering of its answer are one transaction: any
        failure rolls all of them back and the answer is ``ERR: 901, Internal error``.
        """
        try:
            self.advance()
            try:
                model = parse_request(
                    method,
                    target,
                    body,
                    content_type=content_type,
                    limits=self.limits,
                    now=self.clock(),
                )
                invalid: dict[int, str] = {}
            except UnknownEndpoint:
                return 404, "Not found"
            except RequestRejected as rejected:
                if rejected.partial is None:
                    return 200, render_response(_error(rejected.code))
                # Like the real service: send to the valid recipients, answer each invalid one.
                model, invalid = rejected.partial, rejected.invalid_recipients
            return 200, self._answer(model, invalid, remote_addr)
        except Exception:  # the server must answer; the failure is logged and counted
            self.internal_errors += 1
            log.exception("internal error answering %s %s", method, target.split("?", 1)[0])
            return 200, "ERR: 901, Internal error"

    def _answer(self, model: Request, invalid: dict[int, str], remote_addr: str) -> str:
        """Authenticate, run the command and render its answer, all in one transaction.

        Credentials are checked first, outside it: the password hash is deliberately slow, and
        the transaction holds the store's lock.
        """
        try:
            checked = self._check_credentials(model)
        except _Refused as refused:
            return render_response(refused.reply)
        with self.store.transaction():
            try:
                account = self._authenticate(model, remote_addr, checked)
                # A savepoint: a command refused with an ERR leaves nothing behind but the
                # session it touched.
                with self.store.transaction():
                    reply = self._dispatch(account, model, invalid)
            except _Refused as refused:
                reply = refused.reply
            return render_response(reply)

    # -- dispatch -------------------------------------------------------------------------------

    def _dispatch(self, account: AccountRow, model: Request, invalid: dict[int, str]) -> Response:
        if isinstance(model, Auth):
            session = secrets.token_hex(16)
            with self.store.transaction() as db:
                db.execute(
                    "INSERT INTO sessions VALUES (?, ?, ?)",
                    (self.store.session_digest(session), account.api_id, self.clock().timestamp()),
                )
            return AuthOK(session_id=SecretStr(session))
        if isinstance(model, Ping):
            return PingOK()
        if isinstance(model, SendMsg | SendItem | QuickSend | SiPush | IndPush):
            return self._send_command(account, model, invalid)
        if isinstance(model, QueryMsg | DelMsg | GetMsgCharge):
            return self._message_command(account, model)
        if isinstance(model, GetBalance):
            fresh = self.store.account(account.api_id)
            assert fresh is not None
            return Balance(credit=fresh.credits)
        if isinstance(model, TokenPay):
            return self._token_pay(account, model.token)
        if isinstance(model, RouteCoverage):
            routable, charge, _ = self._route(model.msisdn)
            if routable:
                return Coverage(routable=True, description=COVERED, charge=charge)
            return Coverage(routable=False, description=NOT_COVERED)
        if isinstance(model, StartBatch):
            return self._start_batch(account, model)
        if isinstance(model, EndBatch):
            self._batch(account, model.batch_id)
            with self.store.transaction() as db:
                db.execute("UPDATE batches SET ended = 1 WHERE batch_id = ?", (model.batch_id,))
            return BatchEnded()
        raise _Refused(101)  # pragma: no cover - every command is handled above

    # -- authentication -------------------------------------------------------------------

    def _check_credentials(self, model: Request) -> AccountRow | None:
        """Check the ``api_id``/``user``/``password`` of a request that carries them; return
        their account (``None`` for a request with a session id instead).

        Every check always runs (against a stand-in when the api_id is unknown), in constant
        time, and every mismatch has the same answer: neither the timing nor the code tells
        which credential was wrong or whether the account exists.

        Raises:
            _Refused: 001 for every credential mismatch (see ``CREDENTIALS_MISMATCH``).
        """
        if getattr(model, "session_id", None) is not None:
            return None
        account = self.store.account(str(model.api_id))  # type: ignore[attr-defined]
        user = model.user  # type: ignore[attr-defined]
        password = model.password.get_secret_value()  # type: ignore[attr-defined]
        user_ok = secrets.compare_digest(
            user.encode("utf-8", "surrogatepass"),
            (account.user if account else "").encode("utf-8", "surrogatepass"),
        )
        password_ok = verify_password(
            password,
            account.password_salt if account else _NO_ACCOUNT_SALT,
            account.password_hash if account else _NO_ACCOUNT_HASH,
        )
        if account is None or not (user_ok and password_ok):
            raise _Refused(CREDENTIALS_MISMATCH)
        return account

    def _authenticate(
        self, model: Request, remote_addr: str, checked: AccountRow | None
    ) -> AccountRow:
        """The account a request acts for (inside the request's transaction): ``checked``, the
        account whose credentials :meth:`_check_credentials` checked before it, or the
        session's.

        Raises:
            _Refused: 003 for an unknown or expired session (an expired one is deleted); 007
                for an address the account does not allow.
        """
        session = getattr(model, "session_id", None)
        now = self.clock().timestamp()
        if session is not None:
            key = self.store.session_digest(session.get_secret_value())
            with self.store.transaction() as db:
                row = db.execute(
                    "SELECT api_id, last_used FROM sessions WHERE session_digest = ?", (key,)
                ).fetchone()
                expired = (
                    row is None or now - row["last_used"] >= SESSION_IDLE_TIMEOUT.total_seconds()
                )
                if expired:
                    db.execute("DELETE FROM sessions WHERE session_digest = ?", (key,))
                else:
                    db.execute(
                        "UPDATE sessions SET last_used = ? WHERE session_digest = ?", (now, key)
                    )
            if expired:
                raise _Refused(3)
            account = self.store.account(row["api_id"])
            assert account is not None
        else:
            assert checked is not None  # a request without a session carries credentials
            account = checked
        if account.allowed_ips and remote_addr not in account.allowed_ips:
            raise _Refused(7)
        return account

    # -- sending ------------------------------------------------------------------------------

    def _route(self, number: str) -> tuple[bool, Decimal, int]:
        """``(routable, charge per part, final status)`` for a number, by longest prefix."""
        rows = self.store.query(
            "SELECT * FROM prefixes WHERE ? LIKE prefix || '%' ORDER BY length(prefix) DESC "
            "LIMIT 1",
            number,
        )
        if not rows:
            return True, self.default_charge, 4
        row = rows[0]
        return bool(row["routable"]), Decimal(row["charge"]), int(row["final_status"])

    def _due(self, deliv_time: int | None, scheduled: datetime | None) -> datetime | None:
        now = self.clock()
        if deliv_time is not None:
            return now + timedelta(minutes=deliv_time)
        if scheduled is not None and scheduled > now:
            return scheduled
        return None

    def _outgoing(self, account: AccountRow, model: Request) -> _Outgoing:
        """What a send command asks for.

        Raises:
            _Refused: 201 for an unknown, ended or expired batch; 113 when a batch item's
                text (the template with its fields filled in) needs more parts than the
                batch's ``concat`` allows (the request models check this for ``sendmsg``,
                but only the server knows a batch's template).
        """
        if isinstance(model, SendMsg):
            return _Outgoing(
                list(model.to),
                model.message,
                model.size[0],
                model.from_ or "",
                model.climsgid,
                model.callback or 0,
                self._due(model.deliv_time, model.scheduled_time),
                model.max_credits,
            )
        if isinstance(model, SendItem | QuickSend):
            template, options = self._batch(account, model.batch_id)
            fields = model.fields if isinstance(model, SendItem) else {}
            text = re.sub(r"#field([0-9]+)#", lambda m: fields.get(int(m.group(1)), ""), template)
            # The filled-in text is what sendmsg would get with the batch's options: counted and
            # decoded by the same rules (unicode=1: UTF-16BE hex, UTF-16 code units), so a batch
            # item is refused, charged and stored exactly as that sendmsg would be. (A unicode
            # template is all hex, checked by startbatch: it has no fields to fill in.)
            as_sendmsg = SendMsg.model_construct(
                to=model.to, text=text, unicode=bool(options.get("unicode"))
            )
            parts = as_sendmsg.size[0]
            if parts > int(options.get("concat") or 1):
                raise _Refused(113)
            due = self._due(options.get("deliv_time"), None)
            cap = options.get("max_credits")
            return _Outgoing(
                list(model.to),
                as_sendmsg.message,
                parts,
                options.get("from") or "",
                options.get("climsgid"),
                int(options.get("callback") or 0),
                due,
                Decimal(str(cap)) if cap is not None else None,
            )
        if isinstance(model, SiPush):
            return _Outgoing(list(model.to), model.si_text, 1, model.from_ or "", None, 0, None)
        assert isinstance(model, IndPush)
        return _Outgoing(list(model.to), model.mms_subject, 1, model.from_, None, 0, None)

    def _send_command(
        self, account: AccountRow, model: Request, invalid: dict[int, str]
    ) -> Response:
        outgoing = self._outgoing(account, model)
        lines = self._send(account, outgoing)
        for position in sorted(invalid):
            # A number that is not ASCII digits cannot be written back; like real servers,
            # answer it with an empty "To: " (the client knows it by its position).
            number = invalid[position] if _is_number(invalid[position]) else ""
            lines.insert(
                position,
                Rejected(code=105, description="Invalid destination address", to=number),
            )
        if len(lines) == 1 and not isinstance(model, SiPush | IndPush):
            line = lines[0]
            if isinstance(line, Rejected):
                return ErrorReply(code=line.code, description=line.description)
            return SendResult(results=(Accepted(apimsgid=line.apimsgid),))
        return SendResult(results=tuple(lines))

    def _send(self, account: AccountRow, out: _Outgoing) -> list[Accepted | Rejected]:
        """Charge and store one message per routable number (inside the request's transaction).

        ``max_credits`` caps what one message may cost: its whole charge, every part at its
        prefix's charge per part (what ``getmsgcharge`` reports). A message that would cost
        more is still given an ID, but ends at once at status 009 (routing error) and is not
        charged [S238 §5.2.8]: the cap is never exceeded, and nothing is paid for a message
        that is not sent.
        """
        lines: list[Accepted | Rejected] = []
        now = self.clock()
        for number in out.numbers:
            routable, per_part, final_status = self._route(number)
            if not routable:
                lines.append(Rejected(code=114, description="Cannot route message", to=number))
                continue
            charge = per_part * out.parts
            apimsgid = secrets.token_hex(16)
            status = 11 if out.due is not None else 3
            next_change: datetime | None = (
                out.due if out.due is not None else now + self.delivery_delay
            )
            if out.max_credits is not None and charge > out.max_credits:
                charge, status, next_change = Decimal(0), 9, None
            with self.store.transaction() as db:
                if not add_credits(db, account.api_id, -charge):
                    lines.append(Rejected(code=301, description="No credit left", to=number))
                    continue
                db.execute(
                    "INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        apimsgid,
                        account.api_id,
                        out.climsgid,
                        number,
                        out.from_,
                        out.text,
                        out.parts,
                        str(charge),
                        status,
                        now.timestamp(),
                        next_change.timestamp() if next_change is not None else None,
                        final_status,
                        out.callback,
                    ),
                )
                self._queue_callback(db, account, apimsgid, status, now)
            lines.append(Accepted(apimsgid=apimsgid, to=number))
        return lines

    # -- messages -------------------------------------------------------------------------

    def _message(self, account: AccountRow, model: QueryMsg | DelMsg | GetMsgCharge) -> Any:
        if model.apimsgid is not None:
            rows = self.store.query(
                "SELECT * FROM messages WHERE apimsgid = ? AND api_id = ?",
                model.apimsgid.lower(),
                account.api_id,
            )
            if not rows:
                raise _Refused(103)
        else:
            rows = self.store.query(
                "SELECT * FROM messages WHERE climsgid = ? AND api_id = ? "
                "ORDER BY created DESC LIMIT 1",
                model.climsgid,
                account.api_id,
            )
            if not rows:
                raise _Refused(104)
        return rows[0]

    def _message_command(
        self, account: AccountRow, model: QueryMsg | DelMsg | GetMsgCharge
    ) -> Response:
        row = self._message(account, model)
        apimsgid, status = row["apimsgid"], int(row["status"])
        if isinstance(model, DelMsg):
            # Stopped before it left the queue (011): cancelled (006) and its credits refunded.
            # The UPDATE is the guard: it moves the message off 011 only if it is still there,
            # so a message is refunded once however many delete it (the request's transaction
            # has read it and holds the write lock; any other status is left as it is).
            with self.store.transaction() as db:
                cancelled = db.execute(
                    "UPDATE messages SET status = 6, charge = '0', next_change = NULL "
                    "WHERE apimsgid = ? AND status = 11",
                    (apimsgid,),
                ).rowcount
                if cancelled:
                    add_credits(db, account.api_id, Decimal(row["charge"]))
                    self._queue_callback(db, account, apimsgid, 6, self.clock())
                    status = 6
        if isinstance(model, GetMsgCharge):
            charge = Decimal(row["charge"]) if status != 6 else Decimal(0)
            return MessageCharge(apimsgid=apimsgid, charge=charge, status=status)
        return MessageStatus(apimsgid=apimsgid, status=status)

    def advance(self) -> int:
        """Move every message whose time has come to its next status; return how many moved.

        011 (queued for later) → 003 (delivered to gateway) at its due time; 003 → its final
        status (004, or the failure its prefix is configured with) ``delivery_delay`` later.
        """
        moved = 0
        now = self.clock()
        accounts: dict[str, AccountRow | None] = {}  # looked up once per account, not per message
        while True:
            # Selected and moved in one transaction: two threads advancing at once (a request
            # and the background tick) never move the same message twice.
            with self.store.transaction() as db:
                due = db.execute(
                    "SELECT * FROM messages WHERE next_change IS NOT NULL AND next_change <= ? "
                    "LIMIT 500",
                    (now.timestamp(),),
                ).fetchall()
                if not due:
                    return moved
                for row in due:
                    if row["status"] == 11:
                        status = 3
                        later = row["next_change"] + self.delivery_delay.total_seconds()
                    else:
                        status, later = int(row["final_status"]), None
                    db.execute(
                        "UPDATE messages SET status = ?, next_change = ? WHERE apimsgid = ?",
                        (status, later, row["apimsgid"]),
                    )
                    api_id = row["api_id"]
                    if api_id not in accounts:
                        accounts[api_id] = self.store.account(api_id)
                    account = accounts[api_id]
                    if account is not None:
                        self._queue_callback(db, account, row["apimsgid"], status, now)
                    moved += 1

    # -- token, batches -------------------------------------------------------------------

    def _token_pay(self, account: AccountRow, token: str) -> Response:
        with self.store.transaction() as db:
            # The UPDATE is the guard: it redeems the voucher only if it exists and is not
            # redeemed yet, so a voucher pays once.
            redeemed = db.execute(
                "UPDATE vouchers SET redeemed_by = ? WHERE token = ? AND redeemed_by IS NULL",
                (account.api_id, token),
            ).rowcount
            if not redeemed:
                raise _Refused(101)
            row = db.execute(
                "SELECT value, credits FROM vouchers WHERE token = ?", (token,)
            ).fetchone()
            add_credits(db, account.api_id, Decimal(row["credits"]))
        return TokenPaid(value=row["value"])

    def _start_batch(self, account: AccountRow, model: StartBatch) -> Response:
        batch_id = secrets.token_hex(16)
        options = model.model_dump(
            mode="json",
            by_alias=True,
            exclude_none=True,
            exclude={"session_id", "api_id", "user", "password", "template"},
        )
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO batches VALUES (?, ?, ?, ?, ?, 0)",
                (
                    batch_id,
                    account.api_id,
                    model.template,
                    json.dumps(options),
                    self.clock().timestamp(),
                ),
            )
        return BatchStarted(batch_id=batch_id)

    def _batch(self, account: AccountRow, batch_id: str) -> tuple[str, dict[str, Any]]:
        rows = self.store.query(
            "SELECT * FROM batches WHERE batch_id = ? AND api_id = ?",
            batch_id.lower(),
            account.api_id,
        )
        if not rows:
            raise _Refused(201)
        row = rows[0]
        expired = self.clock().timestamp() - row["created"] >= BATCH_LIFETIME.total_seconds()
        if row["ended"] or expired:
            raise _Refused(201)
        return row["template"], json.loads(row["options"])

    # -- callbacks ------------------------------------------------------------------------

    def _queue_callback(
        self, db: Any, account: AccountRow, apimsgid: str, status: int, now: datetime
    ) -> None:
        if not account.callback_url:
            return
        row = db.execute("SELECT * FROM messages WHERE apimsgid = ?", (apimsgid,)).fetchone()
        if row is None or status not in statuses_for_callback(int(row["callback"])):
            return
        value = StatusCallback(
            api_id=account.api_id,
            apimsgid=apimsgid,
            climsgid=row["climsgid"],
            to=row["to_number"],
            from_=row["from_address"],
            timestamp=now.replace(microsecond=0),
            status=status,
            charge=Decimal(row["charge"]),
        )
        style = cast(CallbackStyle, account.callback_style)
        # No credentials here: the queue is on disk, so the Authorization header is added at
        # delivery time from the account (_callback_request).
        request = callback_request(
            account.callback_url, render_status_callback(value, style), style
        )
        db.execute(
            "INSERT INTO callbacks (api_id, apimsgid, status, method, url, headers, body, "
            "next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account.api_id,
                apimsgid,
                status,
                request.method,
                request.url,
                json.dumps(request.headers),
                request.body,
                now.timestamp(),
            ),
        )

    def _callback_request(self, row: Any) -> HttpRequest | None:
        """The request that delivers a queued callback, with the account's basic
        authentication (PROTOCOL.md §7) if it has one; ``None`` when the account has a callback
        password that this process does not know (not configured since the last start)."""
        headers = [
            (str(name), str(value))
            for name, value in json.loads(row["headers"])
            if str(name).lower() != "authorization"
        ]
        account = self.store.account(row["api_id"])
        if account is not None and account.callback_user is not None:
            if account.callback_password is None:
                if account.callback_password_configured:
                    return None
            else:
                token = f"{account.callback_user}:{account.callback_password}".encode()
                headers.insert(0, ("Authorization", f"Basic {base64.b64encode(token).decode()}"))
        return HttpRequest(row["method"], row["url"], tuple(headers), bytes(row["body"]))

    def _start_due_callbacks(
        self, due_by: float, exclude: set[int], report: queue.SimpleQueue[bool] | None
    ) -> list[int]:
        """Start an attempt for each due callback that is not in flight, not still being sent
        by an abandoned attempt, nor in ``exclude``, as far as the worker limits allow; return
        their ids. Each settled attempt puts whether it was delivered on ``report``."""
        started: list[int] = []
        with self._callback_lock:
            while True:
                # The server's limit counts attempts under way; an account's limit also counts
                # its sending threads abandoned at their deadline, so receivers that never
                # answer use up their own accounts' slots, never the other accounts'.
                free = self.callback_workers - len(self._in_flight)
                if free <= 0:
                    return started
                busy_accounts = [
                    api_id for api_id, count in self._senders.items() if count >= self._per_account
                ]
                rows = self.store.query(
                    "SELECT * FROM callbacks WHERE delivered = 0 AND given_up = 0 "
                    "AND next_attempt <= ? "
                    "AND id NOT IN (SELECT value FROM json_each(?)) "
                    "AND api_id NOT IN (SELECT value FROM json_each(?)) "
                    "ORDER BY id LIMIT ?",
                    due_by,
                    # A callback still being sent (its attempt abandoned at the deadline) waits
                    # for that post to end: its retry may start later, never beside it.
                    json.dumps(sorted(self._in_flight | self._sending | exclude)),
                    json.dumps(busy_accounts),
                    free * self._per_account,
                )
                if not rows:
                    return started
                progress = False
                for row in rows:
                    api_id = str(row["api_id"])
                    if len(self._in_flight) >= self.callback_workers:
                        return started
                    if self._senders.get(api_id, 0) >= self._per_account:
                        continue
                    attempt = _Attempt(
                        int(row["id"]), api_id, int(row["attempts"]), self._callback_request(row)
                    )
                    self._in_flight.add(attempt.row_id)
                    if attempt.request is not None:
                        self._sending.add(attempt.row_id)
                        self._senders[api_id] = self._senders.get(api_id, 0) + 1
                    threading.Thread(
                        target=self._run_attempt,
                        args=(attempt, report),
                        name=f"clickatell-callback-{attempt.row_id}",
                        daemon=True,
                    ).start()
                    started.append(attempt.row_id)
                    progress = True
                if not progress:  # every row found belongs to an account at its limit
                    return started

    def _send_attempt(self, attempt: _Attempt) -> None:
        """The sending thread: the transport call, however long the transport takes."""
        try:
            assert attempt.request is not None
            self.transport.send(attempt.request)
        except BaseException as error:  # a foreign exception is a failed attempt too
            attempt.error = error
        finally:
            with self._callback_lock:
                self._sending.discard(attempt.row_id)
                left = self._senders.get(attempt.api_id, 0) - 1
                if left > 0:
                    self._senders[attempt.api_id] = left
                else:
                    self._senders.pop(attempt.api_id, None)
            attempt.done.set()

    def _run_attempt(self, attempt: _Attempt, report: queue.SimpleQueue[bool] | None) -> None:
        """Watch one attempt: send in another thread, stop waiting at the deadline, settle."""
        delivered = False
        try:
            if attempt.request is None:
                reason = "its callback password is not configured since the server started"
            else:
                threading.Thread(
                    target=self._send_attempt,
                    args=(attempt,),
                    name=f"clickatell-callback-send-{attempt.row_id}",
                    daemon=True,
                ).start()
                if not attempt.done.wait(self.callback_timeout):
                    # The sending thread is abandoned: it holds its account's slot until the
                    # transport gives up, and this callback's retry is scheduled now, but it
                    # starts only once that thread has returned (see _sending).
                    reason = f"no answer within {self.callback_timeout:g} s"
                elif attempt.error is not None:
                    reason = mask_secrets(str(attempt.error)) or type(attempt.error).__name__
                else:
                    reason = ""
                    delivered = True
            self._settle(attempt, delivered, reason)
        except Exception:  # the store closed under a shutdown: the callback stays queued
            log.debug("callback %s not settled", attempt.row_id, exc_info=True)
        finally:
            with self._callback_lock:
                self._in_flight.discard(attempt.row_id)
            if report is not None:
                report.put(delivered)

    def _settle(self, attempt: _Attempt, delivered: bool, reason: str) -> None:
        """Record an attempt's outcome in one short transaction."""
        attempts = attempt.attempts + 1
        with self.store.transaction() as db:
            if delivered:
                db.execute(
                    "UPDATE callbacks SET delivered = 1, attempts = ? WHERE id = ?",
                    (attempts, attempt.row_id),
                )
                return
            log.info("callback %s failed (attempt %d): %s", attempt.row_id, attempts, reason)
            if attempts > len(CALLBACK_RETRIES):
                db.execute(
                    "UPDATE callbacks SET attempts = ?, given_up = 1 WHERE id = ?",
                    (attempts, attempt.row_id),
                )
            else:
                wait = CALLBACK_RETRIES[attempts - 1] * self.callback_scale
                db.execute(
                    "UPDATE callbacks SET attempts = ?, next_attempt = ? WHERE id = ?",
                    (attempts, (self.clock() + wait).timestamp(), attempt.row_id),
                )

    def deliver_callbacks(self, *, wait: bool = True) -> int:
        """Post the status callbacks that are due; return how many were delivered.

        Each attempt has a total deadline of ``callback_timeout`` seconds and runs beside the
        others (up to ``callback_workers`` at once, a quarter of them per account), so one slow
        receiver holds up no one else. A failed or late attempt is retried up to eight times,
        after 2, 4, 8, 16, 32, 64 and 128 minutes and then 3 days (times ``callback_scale``).
        The queue is in the database, so delivery is at least once and survives a restart; a
        callback is never posted twice at once: a retry that falls due while the post of an
        attempt abandoned at its deadline is still under way waits until that post returns.

        With ``wait`` (the default) each callback due now is attempted once and the call
        returns when every attempt it started has settled (by the deadline at the latest).
        With ``wait=False`` it starts what it can and returns 0 at once (the background loop
        of :func:`running`): the attempts settle on their own.
        """
        due_by = self.clock().timestamp()
        if not wait:
            self._start_due_callbacks(due_by, set(), None)
            return 0
        report: queue.SimpleQueue[bool] = queue.SimpleQueue()
        attempted: set[int] = set()
        outstanding = delivered = 0
        while True:
            started = self._start_due_callbacks(due_by, attempted, report)
            attempted.update(started)
            outstanding += len(started)
            if outstanding == 0:
                return delivered
            delivered += report.get()  # one settled: its slot may start another
            outstanding -= 1

    def tick(self, *, wait: bool = True) -> None:
        """Advance message statuses and deliver due callbacks (what a background loop calls,
        with ``wait=False``; see :meth:`deliver_callbacks`)."""
        self.advance()
        self.deliver_callbacks(wait=wait)

    def pending_callbacks(self) -> int:
        """How many callbacks wait for delivery (neither delivered nor given up)."""
        return int(
            self.store.query("SELECT count(*) FROM callbacks WHERE delivered = 0 AND given_up = 0")[
                0
            ][0]
        )
