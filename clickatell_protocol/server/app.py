"""The reference server: the server side of the whole protocol, as a WSGI application.

Every request goes through the library's own server side: :func:`parse_request` (or the exact
``ERR:`` it raises) → the state in :class:`Store` → :func:`render_response`. So the server is
as strict as the request models, answers as the real service answers, and proves the library
from the other side of the wire.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
from ..errors import RequestRejected, TransportError, UnknownEndpoint
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
from ..text import gsm_parts
from ..transport import Transport, UrllibTransport
from .store import AccountRow, Store, add_credits, verify_password

__all__ = ["ReferenceServer"]

log = logging.getLogger("clickatell_protocol.server")

COVERED: Final = "This prefix is currently supported. Messages sent to this prefix will be routed."
NOT_COVERED: Final = (
    "This prefix is not currently supported. Messages sent to this prefix will not be routed."
)
BATCH_LIFETIME: Final = timedelta(hours=24)
# Waits before each retry of a failed callback [PROTOCOL.md §7, V2.5]: 2 minutes doubling to
# 128, then 3 days; eight retries after the first attempt.
CALLBACK_RETRIES: Final = (
    *(timedelta(minutes=2**n) for n in range(1, 8)),
    timedelta(days=3),
)
MAX_BODY: Final = 1024 * 1024


def _error(code: int, description: str | None = None) -> ErrorReply:
    return ErrorReply(code=code, description=description or ErrorCode(code).description or "")


class _Refused(Exception):
    """A whole request refused with an ``ERR:`` (raised inside the handlers)."""

    def __init__(self, code: int, description: str | None = None) -> None:
        self.reply = _error(code, description)
        super().__init__(self.reply.description)


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


class ReferenceServer:
    """A Clickatell HTTP API server with durable state; call it as a WSGI application.

    Args:
        store: the state (default: a fresh in-memory database).
        clock: the current time, aware; inject a controllable one in tests.
        limits: the limits profile requests are validated against.
        default_charge: credits per message part for a prefix with no configured charge.
        delivery_delay: how long a message stays at 003 before its final status.
        callback_scale: multiplies the callback retry waits (``0.001`` turns minutes into
            hundreds of milliseconds for tests).
        transport: how status callbacks are posted (default :class:`UrllibTransport`).
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
    ) -> None:
        self.store = store or Store()
        self.clock = clock
        self.limits = limits
        self.default_charge = default_charge
        self.delivery_delay = delivery_delay
        self.callback_scale = callback_scale
        self.transport: Transport = transport or UrllibTransport(timeout=10)
        self.internal_errors = 0
        self._deliver_lock = threading.Lock()

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
            return [b"Request body too large\n"]
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
        """
        try:
            self.advance()
            try:
                reply = self._dispatch(method, target, body, remote_addr, content_type)
            except UnknownEndpoint:
                return 404, "Not found\n"
            except RequestRejected as rejected:
                reply = _error(rejected.code)
            except _Refused as refused:
                reply = refused.reply
            return 200, render_response(reply)
        except Exception:  # the server must answer; the failure is logged and counted
            self.internal_errors += 1
            log.exception("internal error answering %s %s", method, target.split("?", 1)[0])
            return 200, "ERR: 901, Internal error\n"

    # -- dispatch -------------------------------------------------------------------------------

    def _dispatch(
        self,
        method: str,
        target: str,
        body: bytes,
        remote_addr: str,
        content_type: str | None = None,
    ) -> Response:
        try:
            model = parse_request(
                method,
                target,
                body,
                content_type=content_type,
                limits=self.limits,
                now=self.clock(),
            )
        except RequestRejected as rejected:
            if rejected.partial is None:
                raise
            # Like the real service: send to the valid recipients, answer each invalid one.
            model = rejected.partial
            account = self._authenticate(model, remote_addr)
            return self._send_command(account, model, rejected.invalid_recipients)
        account = self._authenticate(model, remote_addr)
        if isinstance(model, Auth):
            session = secrets.token_hex(16)
            with self.store.transaction() as db:
                db.execute(
                    "INSERT INTO sessions VALUES (?, ?, ?)",
                    (session, account.api_id, self.clock().timestamp()),
                )
            return AuthOK(session_id=SecretStr(session))
        if isinstance(model, Ping):
            return PingOK()
        if isinstance(model, SendMsg | SendItem | QuickSend | SiPush | IndPush):
            return self._send_command(account, model, {})
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

    def _authenticate(self, model: Request, remote_addr: str) -> AccountRow:
        session = getattr(model, "session_id", None)
        now = self.clock().timestamp()
        if session is not None:
            key = session.get_secret_value().lower()
            with self.store.transaction() as db:
                row = db.execute(
                    "SELECT api_id, last_used FROM sessions WHERE session_id = ?", (key,)
                ).fetchone()
                if row is None or now - row["last_used"] >= SESSION_IDLE_TIMEOUT.total_seconds():
                    db.execute("DELETE FROM sessions WHERE session_id = ?", (key,))
                    raise _Refused(3)
                db.execute("UPDATE sessions SET last_used = ? WHERE session_id = ?", (now, key))
            account = self.store.account(row["api_id"])
            assert account is not None
        else:
            account = self.store.account(str(model.api_id))  # type: ignore[attr-defined]
            if account is None:
                raise _Refused(108)
            user = model.user  # type: ignore[attr-defined]
            password = model.password.get_secret_value()  # type: ignore[attr-defined]
            # Both checks always run, so timing does not tell which one failed.
            user_ok = secrets.compare_digest(user.encode(), account.user.encode())
            password_ok = verify_password(password, account.password_salt, account.password_hash)
            if not user_ok:
                raise _Refused(2)
            if not password_ok:
                raise _Refused(1)
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
        if isinstance(model, SendMsg):
            return _Outgoing(
                list(model.to),
                model.message,
                model.size[0],
                model.from_ or "",
                model.climsgid,
                model.callback or 0,
                self._due(model.deliv_time, model.scheduled_time),
            )
        if isinstance(model, SendItem | QuickSend):
            template, options = self._batch(account, model.batch_id)
            fields = model.fields if isinstance(model, SendItem) else {}
            text = re.sub(r"#field([0-9]+)#", lambda m: fields.get(int(m.group(1)), ""), template)
            parts = gsm_parts(text)[0]
            due = self._due(options.get("deliv_time"), None)
            return _Outgoing(
                list(model.to),
                text,
                parts,
                options.get("from") or "",
                options.get("climsgid"),
                int(options.get("callback") or 0),
                due,
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
            # A number that is not digits cannot be written back; like real servers, answer
            # it with an empty "To: " (the client knows it by its position).
            # ASCII digits only: str.isdigit is also true of '²', which no answer may carry.
            number = invalid[position] if re.fullmatch("[0-9]+", invalid[position]) else ""
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
            next_change = out.due if out.due is not None else now + self.delivery_delay
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
                        next_change.timestamp(),
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
        if isinstance(model, DelMsg) and status == 11:
            # Stopped before it left the queue: cancelled (006) and its credits refunded.
            now = self.clock()
            with self.store.transaction() as db:
                add_credits(db, account.api_id, Decimal(row["charge"]))
                db.execute(
                    "UPDATE messages SET status = 6, charge = '0', next_change = NULL "
                    "WHERE apimsgid = ?",
                    (apimsgid,),
                )
                self._queue_callback(db, account, apimsgid, 6, now)
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
            row = db.execute(
                "SELECT * FROM vouchers WHERE token = ? AND redeemed_by IS NULL", (token,)
            ).fetchone()
            if row is None:
                raise _Refused(101)
            add_credits(db, account.api_id, Decimal(row["credits"]))
            db.execute(
                "UPDATE vouchers SET redeemed_by = ? WHERE token = ?", (account.api_id, token)
            )
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
        request = callback_request(
            account.callback_url,
            render_status_callback(value, style),
            style,
            username=account.callback_user,
            password=account.callback_password,
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

    def deliver_callbacks(self) -> int:
        """Post every status callback that is due; return how many were delivered.

        A failed post is retried up to eight times, after 2, 4, 8, 16, 32, 64 and 128 minutes
        and then 3 days (times ``callback_scale``). The queue is in the database, so delivery
        is at least once and survives a restart.
        """
        delivered = 0
        with self._deliver_lock:
            now = self.clock()
            due = self.store.query(
                "SELECT * FROM callbacks WHERE delivered = 0 AND given_up = 0 "
                "AND next_attempt <= ? ORDER BY id LIMIT 200",
                now.timestamp(),
            )
            for row in due:
                headers = tuple(tuple(pair) for pair in json.loads(row["headers"]))
                request = HttpRequest(row["method"], row["url"], headers, bytes(row["body"]))
                try:
                    self.transport.send(request)
                except TransportError as error:
                    attempts = int(row["attempts"]) + 1
                    log.info("callback %s failed (attempt %d): %s", row["id"], attempts, error)
                    with self.store.transaction() as db:
                        if attempts > len(CALLBACK_RETRIES):
                            db.execute(
                                "UPDATE callbacks SET attempts = ?, given_up = 1 WHERE id = ?",
                                (attempts, row["id"]),
                            )
                        else:
                            wait = CALLBACK_RETRIES[attempts - 1] * self.callback_scale
                            db.execute(
                                "UPDATE callbacks SET attempts = ?, next_attempt = ? WHERE id = ?",
                                (attempts, (self.clock() + wait).timestamp(), row["id"]),
                            )
                    continue
                with self.store.transaction() as db:
                    db.execute(
                        "UPDATE callbacks SET delivered = 1, attempts = attempts + 1 WHERE id = ?",
                        (row["id"],),
                    )
                delivered += 1
        return delivered

    def tick(self) -> None:
        """Advance message statuses and deliver due callbacks (what a background loop calls)."""
        self.advance()
        self.deliver_callbacks()

    def pending_callbacks(self) -> int:
        """How many callbacks wait for delivery (neither delivered nor given up)."""
        return int(
            self.store.query("SELECT count(*) FROM callbacks WHERE delivered = 0 AND given_up = 0")[
                0
            ][0]
        )
