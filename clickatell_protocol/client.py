"""Session clients: one method per command, over any transport.

:class:`Client` (threads) and :class:`AsyncClient` (asyncio) share every decision; they differ
only in how they wait. Each:

- authenticates lazily and reuses the session; pings it when it has been idle for
  ``ping_after`` (the server drops it after 15 idle minutes) and authenticates again when it is
  older than that;
- on error 003 (session expired) authenticates again **once** and repeats the command; one
  re-authentication runs at a time, however many threads or tasks hit the expiry together;
- retries error 901 (internal error) ``retries`` times, waiting ``backoff``, then twice as long;
  within the same budget, retries a :class:`~clickatell_protocol.TransportError` that is
  ``retryable`` (no answer, a cut or empty one, a timeout, a 5xx status; not an answer over the
  size limit, a URL the transport does not open or a redirect) when repeating is harmless:
  opening or pinging the session, and the commands that only read (getbalance, querymsg,
  getmsgcharge, routeCoverage). A command that changes state (a send, delmsg, token_pay, the
  batch commands) is never repeated after its request may have reached the server: the server
  may have carried it out and lost only the answer, and a second send would be a second
  message, charged twice;
- splits a send to more recipients than one request may carry into several requests and
  returns one :class:`SendResult` in the caller's order; refused recipients are results; when a
  later request fails, the error's ``partial`` holds what the earlier ones got;
- raises :class:`~clickatell_protocol.ApiError` (a subclass by code family) for any other
  ``ERR:`` answer, and :class:`~clickatell_protocol.TransportError` when no usable answer came:
  the transport's failures, and an empty body (every answer has at least one line, so an empty
  one is a server that died before answering, not a reply to parse).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, TypeVar

from pydantic import SecretStr

from ._http import HttpRequest, HttpResponse
from .errors import ApiError, TextError, TransportError
from .limits import DEFAULT_BASE_URL, DEFAULT_LIMITS, SESSION_IDLE_TIMEOUT, Limits
from .parsing import ResponseSyntaxError, parse_response
from .requests import (
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
from .responses import (
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
from .text import encode_text
from .transport import AsyncTransport, Transport, UrllibTransport
from .transport._common import where

__all__ = ["AsyncClient", "Client", "SendResponseSyntaxError"]

_R = TypeVar("_R")

# Stands in for the session while a command is validated, before any I/O; never sent.
_PLACEHOLDER_SESSION: Final = SecretStr("0" * 32)

# The commands that change nothing on the server: repeating one after a lost answer is harmless.
_READ_ONLY: Final = (Auth, Ping, GetBalance, QueryMsg, GetMsgCharge, RouteCoverage)


class SendResponseSyntaxError(ResponseSyntaxError):
    """The :class:`~clickatell_protocol.ResponseSyntaxError` a send raises (``send``,
    ``quick_send``, ``si_push``, ``ind_push``): an answer that does not follow the protocol.

    Attributes:
        partial: for a send split over several requests, the results of the requests answered
            before this one; ``None`` when it was the first. Those messages were accepted.
    """

    partial: SendResult | None = None

    @classmethod
    def of(cls, error: ResponseSyntaxError, partial: SendResult | None) -> SendResponseSyntaxError:
        """``error`` with ``partial``: the same fields and message, the same traceback."""
        wrapped = cls(
            error.command,
            error.line,
            error.column,
            error.text,
            error.expected,
            error.context,
            error.reason,
        )
        wrapped.partial = partial
        return wrapped.with_traceback(error.__traceback__)


@dataclass(frozen=True)
class _Call:
    """One command to run: the request, validated with a placeholder session, and the
    recipients its answer lines are matched to."""

    request: Request
    recipients: list[str] | None = None

    def with_session(self, session_id: SecretStr) -> Request:
        """The request as sent (validated once already; only the session differs)."""
        return self.request.model_copy(update={"session_id": session_id})


@dataclass
class _Session:
    """The client's session: id and last use (shared state, guarded by the client's lock)."""

    session_id: SecretStr | None = None
    last_used: datetime | None = None
    authentications: int = 0


Action = Literal["return", "reauthenticate", "retry", "raise"]


class _Core:
    """Everything the two clients share: configuration, command building, decisions."""

    def __init__(
        self,
        *,
        api_id: str,
        user: str,
        password: str,
        base_url: str,
        limits: Limits,
        method: Literal["GET", "POST"],
        clock: Callable[[], datetime],
        ping_after: timedelta,
        retries: int,
        backoff: float,
    ) -> None:
        # Validated now: a wrong credential format fails here, not at the first call.
        self._auth = Auth(api_id=api_id, user=user, password=password)
        self.base_url = base_url
        self.limits = limits
        self.method = method
        self.clock = clock
        self.ping_after = ping_after
        self.retries = retries
        self.backoff = backoff
        self._session = _Session()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(api_id={self._auth.api_id!r}, base_url={self.base_url!r})"

    @property
    def authentications(self) -> int:
        """How many times the client has authenticated (for monitoring and tests)."""
        return self._session.authentications

    # -- the session -----------------------------------------------------------------------

    def _session_action(self) -> Literal["auth", "ping", "use"]:
        session = self._session
        if session.session_id is None or session.last_used is None:
            return "auth"
        idle = self.clock() - session.last_used
        if idle >= SESSION_IDLE_TIMEOUT:
            return "auth"
        return "ping" if idle >= self.ping_after else "use"

    def _store_session(self, reply: Response) -> SecretStr:
        if isinstance(reply, ErrorReply):
            raise ApiError.from_reply(reply)
        if not isinstance(reply, AuthOK):  # pragma: no cover - the grammar allows nothing else
            raise ApiError(None, f"auth answered {reply.kind}")
        self._session.session_id = reply.session_id
        self._session.last_used = self.clock()
        self._session.authentications += 1
        return reply.session_id

    def _forget(self, session_id: SecretStr) -> None:
        """Drop the session if it is still the one that expired (another caller may have
        renewed it already)."""
        if self._session.session_id == session_id:
            self._session.session_id = None

    def _touch(self) -> None:
        self._session.last_used = self.clock()

    # -- one exchange ----------------------------------------------------------------------

    def _request(self, model: Request) -> HttpRequest:
        return model.to_http(self.method, self.base_url, limits=self.limits)

    def _read(
        self, request: HttpRequest, model: Request, response: HttpResponse, call: _Call | None
    ) -> Response:
        if not response.body.strip():
            # Every answer of the protocol has a line; nothing means the server died before
            # it answered (issue 10), which is the transport's failure, not a syntax error.
            raise TransportError(f"{where(request)}: an empty answer", retryable=True)
        recipients = call.recipients if call is not None else None
        return parse_response(model.command, response.body, recipients=recipients)

    def _decide(self, reply: Response, reauthenticated: bool, attempt: int) -> Action:
        if not isinstance(reply, ErrorReply):
            return "return"
        if reply.code == 3 and not reauthenticated:
            return "reauthenticate"
        if reply.code == 901 and attempt < self.retries:
            return "retry"
        return "raise"

    def _delay(self, attempt: int) -> float:
        return float(self.backoff * 2**attempt)

    def _may_repeat(self, error: TransportError, model: Request | None, attempt: int) -> bool:
        """Whether a request that got no usable answer is tried again: within ``retries``,
        when another try may get one (``error.retryable``: no answer, a cut one or a 5xx;
        not an answer too large, a URL the transport does not open or a redirect, which fail
        the same way every time), and only for a request that changes nothing (``model`` is
        ``None`` for the session's own auth or ping)."""
        if attempt >= self.retries or not error.retryable:
            return False
        return model is None or isinstance(model, _READ_ONLY)

    @staticmethod
    def _with_partial(error: Exception, done: Sequence[SendResult]) -> Exception:
        """The error of a send's request, with the results of the requests answered before it:
        ``error`` itself, its ``partial`` set, or for an answer that cannot be read the same
        error as a :class:`SendResponseSyntaxError`."""
        partial = _Core._merge(done) if done else None
        if isinstance(error, ApiError | TransportError):
            error.partial = partial
        elif isinstance(error, ResponseSyntaxError):
            return SendResponseSyntaxError.of(error, partial)
        return error

    # -- commands --------------------------------------------------------------------------

    def _call(
        self, model: type[Request], params: dict[str, Any], recipients: list[str] | None = None
    ) -> _Call:
        """Validate a command now, before any I/O (raises pydantic's ``ValidationError``)."""
        request = model.model_validate(
            {"session_id": _PLACEHOLDER_SESSION, **params}, context={"limits": self.limits}
        )
        return _Call(request, recipients)

    def _send_calls(
        self,
        model: type[SendMsg] | type[QuickSend] | type[SiPush] | type[IndPush],
        to: str | Iterable[str],
        params: dict[str, Any],
    ) -> list[_Call]:
        numbers = [to] if isinstance(to, str) else list(to)
        cap = self.limits.max_recipients(self.method)
        return [
            self._call(model, {**params, "to": numbers[i : i + cap]}, numbers[i : i + cap])
            for i in range(0, len(numbers), cap)
        ] or [self._call(model, {**params, "to": []}, [])]

    def _text_params(self, text: str | None, params: dict[str, Any]) -> dict[str, Any]:
        """Encode ``text`` unless the caller chose the encoding; size ``concat`` to it."""
        if text is None or "unicode" in params:
            return params if text is None else {**params, "text": text}
        encoded = encode_text(text, concat=params.get("concat"))
        if "concat" not in params and encoded.parts > 1:
            if encoded.parts > self.limits.concat_max:
                raise TextError(
                    113,
                    f"text: needs {encoded.parts} parts; at most {self.limits.concat_max}",
                    parts=encoded.parts,
                )
            params = {**params, "concat": encoded.parts}
        extra = {"unicode": True} if encoded.unicode else {}
        return {**params, **extra, "text": encoded.text}

    def _by_id(self, model: type[Request], apimsgid: str | None, climsgid: str | None) -> _Call:
        ids = {"apimsgid": apimsgid, "climsgid": climsgid}
        return self._call(model, {key: value for key, value in ids.items() if value is not None})

    def _item(self, batch_id: str, to: str | Iterable[str], fields: dict[int, str] | None) -> _Call:
        numbers = [to] if isinstance(to, str) else list(to)
        return self._call(
            SendItem, {"batch_id": batch_id, "to": numbers, "fields": fields or {}}, numbers
        )

    @staticmethod
    def _expect(reply: Response, kind: type[_R]) -> _R:
        if not isinstance(reply, kind):  # pragma: no cover - each grammar start allows one kind
            raise ApiError(None, f"expected {kind.__name__}, got {reply.kind}")
        return reply

    @staticmethod
    def _merge(results: Sequence[SendResult]) -> SendResult:
        lines: list[Accepted | Rejected] = []
        for result in results:
            lines.extend(result.results)
        return SendResult(results=tuple(lines))


class Client(_Core):
    """A blocking client; safe to share between threads.

    Args:
        transport: how requests travel (default :class:`UrllibTransport`).
        api_id: the API product id of the credentials.
        user: the account's user name.
        password: the account's password (kept as a secret).
        base_url: the server (default the real service).
        limits: the limits profile requests are validated and split against.
        method: ``POST`` (default) or ``GET``.
        clock: the current time, aware (injectable for tests).
        sleep: how to wait between retries (injectable for tests).
        ping_after: idle time after which the session is pinged before use.
        retries: how many times a command is tried again, waiting ``backoff`` and then twice
            as long each time: after error 901 (any command), and after a
            :class:`~clickatell_protocol.TransportError` that is ``retryable`` when opening or
            pinging the session and for the commands that only read (getbalance, querymsg,
            getmsgcharge, routeCoverage). A send, delmsg, token_pay or a batch command is never
            repeated after a transport failure: the server may have carried it out.
        backoff: the first wait before a retry, in seconds; it doubles each time.
    """

    def __init__(
        self,
        transport: Transport | None = None,
        *,
        api_id: str,
        user: str,
        password: str,
        base_url: str = DEFAULT_BASE_URL,
        limits: Limits = DEFAULT_LIMITS,
        method: Literal["GET", "POST"] = "POST",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
        ping_after: timedelta = timedelta(minutes=10),
        retries: int = 2,
        backoff: float = 0.5,
    ) -> None:
        super().__init__(
            api_id=api_id,
            user=user,
            password=password,
            base_url=base_url,
            limits=limits,
            method=method,
            clock=clock,
            ping_after=ping_after,
            retries=retries,
            backoff=backoff,
        )
        self.transport: Transport = transport or UrllibTransport()
        self._sleep = sleep
        self._lock = threading.RLock()

    def _exchange(self, model: Request, call: _Call | None = None) -> Response:
        request = self._request(model)
        return self._read(request, model, self.transport.send(request), call)

    def _session_id(self) -> SecretStr:
        with self._lock:
            action = self._session_action()
            if action == "ping":
                current = self._session.session_id
                assert current is not None
                if isinstance(self._exchange(Ping(session_id=current)), PingOK):
                    self._touch()
                    return current
                action = "auth"
            if action == "auth":
                return self._store_session(self._exchange(self._auth))
            assert self._session.session_id is not None
            return self._session.session_id

    def _run(self, call: _Call, kind: type[_R]) -> _R:
        reauthenticated, attempt = False, 0
        while True:
            try:
                session_id = self._session_id()
            except TransportError as error:
                if not self._may_repeat(error, None, attempt):
                    raise
                self._sleep(self._delay(attempt))
                attempt += 1
                continue
            try:
                reply = self._exchange(call.with_session(session_id), call)
            except TransportError as error:
                if not self._may_repeat(error, call.request, attempt):
                    raise
                self._sleep(self._delay(attempt))
                attempt += 1
                continue
            with self._lock:
                self._touch()
            action = self._decide(reply, reauthenticated, attempt)
            if action == "return":
                return self._expect(reply, kind)
            if action == "reauthenticate":
                with self._lock:
                    self._forget(session_id)
                reauthenticated = True
            elif action == "retry":
                self._sleep(self._delay(attempt))
                attempt += 1
            else:
                assert isinstance(reply, ErrorReply)
                raise ApiError.from_reply(reply)

    def _run_sends(self, calls: list[_Call]) -> SendResult:
        done: list[SendResult] = []
        for call in calls:
            try:
                done.append(self._run(call, SendResult))
            except Exception as error:
                failure = self._with_partial(error, done)
                if failure is error:
                    raise
                raise failure from error.__cause__
        return self._merge(done)

    # -- the commands ----------------------------------------------------------------------

    def authenticate(self) -> AuthOK:
        """Open a new session now (normally done on first use)."""
        with self._lock:
            reply = self._exchange(self._auth)
            self._store_session(reply)
            assert isinstance(reply, AuthOK)
            return reply

    def ping(self) -> PingOK:
        """Extend the session by another 15 minutes."""
        return self._run(self._call(Ping, {}), PingOK)

    def send(
        self, to: str | Iterable[str], text: str | None = None, **parameters: Any
    ) -> SendResult:
        """Send ``text`` to one number or many.

        The text is encoded for you (GSM or UCS-2, see :func:`encode_text`) and ``concat`` set
        to the parts it needs, unless you pass ``unicode`` or ``concat`` yourself. Any other
        sendmsg parameter goes in ``parameters`` (``from_``, ``deliv_time``, ``climsgid``, ...).

        More recipients than one request carries (``limits``, per method) are sent in
        several requests, one after the other. If one of them fails, the later ones are not
        sent, and the error carries ``partial``: a :class:`SendResult` of the requests
        answered before it (``None`` when it was the first). Those messages were accepted,
        whatever the error says; the recipients of the failed request and of the ones after
        it are not in it. A send is never repeated by the client after its request may have
        reached the server (see the module's notes on retries).

        Returns:
            One result line per recipient, in your order: :class:`Accepted` or
            :class:`Rejected`.

        Raises:
            pydantic.ValidationError: a parameter breaks a rule (before anything is sent).
            TextError: the text is empty or needs too many parts.
            ApiError: the server refused a whole request; ``partial`` as above.
            TransportError: no usable answer (``partial`` as above); the server may have
                carried out the failed request and lost only its answer.
            SendResponseSyntaxError: an answer that does not follow the protocol (a
                :class:`ResponseSyntaxError`), with ``partial`` as above.
        """
        params = self._text_params(text, dict(parameters))
        return self._run_sends(self._send_calls(SendMsg, to, params))

    def query(self, apimsgid: str | None = None, *, climsgid: str | None = None) -> MessageStatus:
        """The status of a message, by ``apimsgid`` or ``climsgid``."""
        return self._run(self._by_id(QueryMsg, apimsgid, climsgid), MessageStatus)

    def charge(self, apimsgid: str | None = None, *, climsgid: str | None = None) -> MessageCharge:
        """The charge and status of a message."""
        return self._run(self._by_id(GetMsgCharge, apimsgid, climsgid), MessageCharge)

    def stop(self, apimsgid: str | None = None, *, climsgid: str | None = None) -> MessageStatus:
        """Stop a message that has not left the queue (``delmsg``)."""
        return self._run(self._by_id(DelMsg, apimsgid, climsgid), MessageStatus)

    def balance(self) -> Balance:
        """The account's credit."""
        return self._run(self._call(GetBalance, {}), Balance)

    def pay_token(self, token: str) -> TokenPaid:
        """Redeem a 16-digit voucher."""
        return self._run(self._call(TokenPay, {"token": token}), TokenPaid)

    def coverage(self, msisdn: str) -> Coverage:
        """Whether a number's prefix is routed, and at what charge."""
        return self._run(self._call(RouteCoverage, {"msisdn": msisdn}), Coverage)

    def start_batch(self, template: str, **parameters: Any) -> BatchStarted:
        """Define a batch template (``#field1#`` ...) and its sending options."""
        return self._run(self._call(StartBatch, {"template": template, **parameters}), BatchStarted)

    def send_item(
        self, batch_id: str, to: str | Iterable[str], fields: dict[int, str] | None = None
    ) -> SendResult:
        """One personalised message of a batch."""
        return self._run(self._item(batch_id, to, fields), SendResult)

    def quick_send(self, batch_id: str, to: str | Iterable[str]) -> SendResult:
        """The batch template to many numbers (split as :meth:`send` splits)."""
        return self._run_sends(self._send_calls(QuickSend, to, {"batch_id": batch_id}))

    def end_batch(self, batch_id: str) -> BatchEnded:
        """Close a batch."""
        return self._run(self._call(EndBatch, {"batch_id": batch_id}), BatchEnded)

    def si_push(
        self, to: str | Iterable[str], si_id: str, si_url: str, si_text: str, **parameters: Any
    ) -> SendResult:
        """A WAP Push Service Indication."""
        params = {"si_id": si_id, "si_url": si_url, "si_text": si_text, **parameters}
        return self._run_sends(self._send_calls(SiPush, to, params))

    def ind_push(self, to: str | Iterable[str], **parameters: Any) -> SendResult:
        """An MMS notification (``from_``, ``mms_subject``, ``mms_class``, ``mms_expire``,
        ``mms_from``, ``mms_url``)."""
        return self._run_sends(self._send_calls(IndPush, to, parameters))


class AsyncClient(_Core):
    """The asyncio client: the same commands as :class:`Client`, awaited; safe to share between
    tasks of one event loop. Its arguments are :class:`Client`'s (``retries`` keeps the same
    contract); ``sleep`` is awaited between retries."""

    def __init__(
        self,
        transport: AsyncTransport,
        *,
        api_id: str,
        user: str,
        password: str,
        base_url: str = DEFAULT_BASE_URL,
        limits: Limits = DEFAULT_LIMITS,
        method: Literal["GET", "POST"] = "POST",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        ping_after: timedelta = timedelta(minutes=10),
        retries: int = 2,
        backoff: float = 0.5,
    ) -> None:
        super().__init__(
            api_id=api_id,
            user=user,
            password=password,
            base_url=base_url,
            limits=limits,
            method=method,
            clock=clock,
            ping_after=ping_after,
            retries=retries,
            backoff=backoff,
        )
        self.transport = transport
        self._sleep = sleep
        self._lock = asyncio.Lock()

    async def _exchange(self, model: Request, call: _Call | None = None) -> Response:
        request = self._request(model)
        return self._read(request, model, await self.transport.send(request), call)

    async def _session_id(self) -> SecretStr:
        async with self._lock:
            action = self._session_action()
            if action == "ping":
                current = self._session.session_id
                assert current is not None
                if isinstance(await self._exchange(Ping(session_id=current)), PingOK):
                    self._touch()
                    return current
                action = "auth"
            if action == "auth":
                return self._store_session(await self._exchange(self._auth))
            assert self._session.session_id is not None
            return self._session.session_id

    async def _run(self, call: _Call, kind: type[_R]) -> _R:
        reauthenticated, attempt = False, 0
        while True:
            try:
                session_id = await self._session_id()
            except TransportError as error:
                if not self._may_repeat(error, None, attempt):
                    raise
                await self._sleep(self._delay(attempt))
                attempt += 1
                continue
            try:
                reply = await self._exchange(call.with_session(session_id), call)
            except TransportError as error:
                if not self._may_repeat(error, call.request, attempt):
                    raise
                await self._sleep(self._delay(attempt))
                attempt += 1
                continue
            self._touch()
            action = self._decide(reply, reauthenticated, attempt)
            if action == "return":
                return self._expect(reply, kind)
            if action == "reauthenticate":
                self._forget(session_id)
                reauthenticated = True
            elif action == "retry":
                await self._sleep(self._delay(attempt))
                attempt += 1
            else:
                assert isinstance(reply, ErrorReply)
                raise ApiError.from_reply(reply)

    async def _run_sends(self, calls: list[_Call]) -> SendResult:
        done: list[SendResult] = []
        for call in calls:
            try:
                done.append(await self._run(call, SendResult))
            except Exception as error:
                failure = self._with_partial(error, done)
                if failure is error:
                    raise
                raise failure from error.__cause__
        return self._merge(done)

    async def authenticate(self) -> AuthOK:
        """See :meth:`Client.authenticate`."""
        async with self._lock:
            reply = await self._exchange(self._auth)
            self._store_session(reply)
            assert isinstance(reply, AuthOK)
            return reply

    async def ping(self) -> PingOK:
        """See :meth:`Client.ping`."""
        return await self._run(self._call(Ping, {}), PingOK)

    async def send(
        self, to: str | Iterable[str], text: str | None = None, **parameters: Any
    ) -> SendResult:
        """See :meth:`Client.send`."""
        params = self._text_params(text, dict(parameters))
        return await self._run_sends(self._send_calls(SendMsg, to, params))

    async def query(
        self, apimsgid: str | None = None, *, climsgid: str | None = None
    ) -> MessageStatus:
        """See :meth:`Client.query`."""
        return await self._run(self._by_id(QueryMsg, apimsgid, climsgid), MessageStatus)

    async def charge(
        self, apimsgid: str | None = None, *, climsgid: str | None = None
    ) -> MessageCharge:
        """See :meth:`Client.charge`."""
        return await self._run(self._by_id(GetMsgCharge, apimsgid, climsgid), MessageCharge)

    async def stop(
        self, apimsgid: str | None = None, *, climsgid: str | None = None
    ) -> MessageStatus:
        """See :meth:`Client.stop`."""
        return await self._run(self._by_id(DelMsg, apimsgid, climsgid), MessageStatus)

    async def balance(self) -> Balance:
        """See :meth:`Client.balance`."""
        return await self._run(self._call(GetBalance, {}), Balance)

    async def pay_token(self, token: str) -> TokenPaid:
        """See :meth:`Client.pay_token`."""
        return await self._run(self._call(TokenPay, {"token": token}), TokenPaid)

    async def coverage(self, msisdn: str) -> Coverage:
        """See :meth:`Client.coverage`."""
        return await self._run(self._call(RouteCoverage, {"msisdn": msisdn}), Coverage)

    async def start_batch(self, template: str, **parameters: Any) -> BatchStarted:
        """See :meth:`Client.start_batch`."""
        return await self._run(
            self._call(StartBatch, {"template": template, **parameters}), BatchStarted
        )

    async def send_item(
        self, batch_id: str, to: str | Iterable[str], fields: dict[int, str] | None = None
    ) -> SendResult:
        """See :meth:`Client.send_item`."""
        return await self._run(self._item(batch_id, to, fields), SendResult)

    async def quick_send(self, batch_id: str, to: str | Iterable[str]) -> SendResult:
        """See :meth:`Client.quick_send`."""
        return await self._run_sends(self._send_calls(QuickSend, to, {"batch_id": batch_id}))

    async def end_batch(self, batch_id: str) -> BatchEnded:
        """See :meth:`Client.end_batch`."""
        return await self._run(self._call(EndBatch, {"batch_id": batch_id}), BatchEnded)

    async def si_push(
        self, to: str | Iterable[str], si_id: str, si_url: str, si_text: str, **parameters: Any
    ) -> SendResult:
        """See :meth:`Client.si_push`."""
        params = {"si_id": si_id, "si_url": si_url, "si_text": si_text, **parameters}
        return await self._run_sends(self._send_calls(SiPush, to, params))

    async def ind_push(self, to: str | Iterable[str], **parameters: Any) -> SendResult:
        """See :meth:`Client.ind_push`."""
        return await self._run_sends(self._send_calls(IndPush, to, parameters))
