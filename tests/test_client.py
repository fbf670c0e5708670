"""The session clients against a loopback Clickatell server: sessions, retries, splitting."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from servers import FakeClickatell, fake_clickatell

from clickatell_protocol import (
    Accepted,
    ApiError,
    AsyncClient,
    AuthenticationError,
    Client,
    CreditError,
    Limits,
    RateLimitError,
    Rejected,
    RetryableError,
    TextError,
)
from clickatell_protocol.errors import MessageError, RecipientError
from clickatell_protocol.responses import ErrorReply
from clickatell_protocol.transport import AsyncHttpxTransport, HttpxTransport, UrllibTransport


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def server() -> Iterator[tuple[str, FakeClickatell]]:
    with fake_clickatell(limits=Limits(max_recipients_post=3)) as pair:
        yield pair


def make_client(url: str, clock: Clock | None = None, **kwargs: object) -> Client:
    return Client(
        UrllibTransport(timeout=5),
        api_id="3456789",
        user="alice",
        password="s3cret",
        base_url=url,
        clock=clock or Clock(),
        sleep=lambda seconds: None,
        **kwargs,  # type: ignore[arg-type]
    )


def test_lazy_authentication_and_session_reuse(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server
    client = make_client(url)
    assert fake.auth_count == 0
    assert client.balance().credit == fake.credit
    assert client.balance().credit == fake.credit
    assert fake.auth_count == 1
    assert fake.requests.count("/http/auth") == 1


def test_expired_session_is_renewed_once(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server
    client = make_client(url)
    client.balance()
    fake.expire_sessions()
    assert client.balance().credit == fake.credit
    assert fake.auth_count == 2


def test_003_twice_is_an_authentication_error(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server
    client = make_client(url)
    client.balance()
    fake.fail_next_with = [3, 3]
    with pytest.raises(AuthenticationError) as caught:
        client.balance()
    assert caught.value.code == 3


def test_idle_session_is_pinged_then_reauthenticated(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server
    clock = Clock()
    client = make_client(url, clock, ping_after=timedelta(minutes=10))
    client.balance()
    clock.now += timedelta(minutes=11)
    client.balance()
    assert fake.requests.count("/http/ping") == 1
    assert fake.auth_count == 1
    clock.now += timedelta(minutes=16)
    client.balance()
    assert fake.auth_count == 2


def test_901_is_retried_with_backoff(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server
    waits: list[float] = []
    client = Client(
        UrllibTransport(),
        api_id="3456789",
        user="alice",
        password="s3cret",
        base_url=url,
        sleep=waits.append,
        retries=2,
        backoff=0.25,
    )
    client.balance()
    fake.fail_next_with = [901]
    assert client.balance().credit == fake.credit
    assert waits == [0.25]
    fake.fail_next_with = [901, 901, 901]
    with pytest.raises(RetryableError):
        client.balance()
    assert waits == [0.25, 0.25, 0.5]


@pytest.mark.parametrize(
    ("code", "family"),
    [
        (1, AuthenticationError),
        (105, RecipientError),
        (113, MessageError),
        (301, CreditError),
        (130, RateLimitError),
        (999, ApiError),
    ],
)
def test_error_families(code: int, family: type[ApiError]) -> None:
    error = ApiError.from_reply(ErrorReply(code=code, description="x"))
    assert type(error) is family
    assert error.code == code


def test_wrong_password_is_an_authentication_error(server: tuple[str, FakeClickatell]) -> None:
    url, _ = server
    client = Client(api_id="3456789", user="alice", password="wrong", base_url=url)
    with pytest.raises(AuthenticationError) as caught:
        client.balance()
    assert "wrong" not in str(caught.value)
    assert "wrong" not in repr(client)


def test_send_splits_within_the_cap_and_keeps_order(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server
    client = make_client(url, limits=Limits(max_recipients_post=3))
    numbers = [f"4477009001{n:02d}" for n in range(7)] + ["99912345678"]
    result = client.send(numbers, "Hello")
    assert [line.to for line in result.results] == numbers
    assert isinstance(result.results[-1], Rejected)
    assert all(isinstance(line, Accepted) for line in result.results[:-1])
    assert fake.requests.count("/http/sendmsg") == 3


def test_send_to_one_number_fills_the_recipient(server: tuple[str, FakeClickatell]) -> None:
    url, _ = server
    result = make_client(url).send("447700900123", "Hi")
    (line,) = result.results
    assert isinstance(line, Accepted)
    assert line.to == "447700900123"


def test_send_encodes_and_sizes_the_text(server: tuple[str, FakeClickatell]) -> None:
    url, _ = server
    client = make_client(url)
    assert client.send("447700900123", "Привет, мир! " * 10).results
    assert client.send("447700900123", "x" * 300).results  # two parts, concat set to 2
    with pytest.raises(TextError):
        client.send("447700900123", "x" * 1000)


def test_invalid_parameters_fail_before_any_request(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server
    client = make_client(url)
    with pytest.raises(ValidationError):
        client.send("0447700900123", "Hi")
    with pytest.raises(ValidationError):
        client.send("447700900123", "Hi", deliv_time=4)
    assert fake.requests == []


def test_failure_midway_keeps_the_results_sent_so_far(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server
    client = make_client(url, limits=Limits(max_recipients_post=3))
    client.balance()
    numbers = [f"4477009001{n:02d}" for n in range(6)]
    fake.fail_next_with = []
    original = fake._reply

    calls = {"n": 0}

    def second_fails(model: object) -> object:
        if type(model).__name__ == "SendMsg":
            calls["n"] += 1
            if calls["n"] == 2:
                return ErrorReply(code=301, description="No credit left")
        return original(model)

    fake._reply = second_fails  # type: ignore[method-assign]
    with pytest.raises(CreditError) as caught:
        client.send(numbers, "Hi")
    assert caught.value.partial is not None
    assert [line.to for line in caught.value.partial.results] == numbers[:3]


def test_one_reauthentication_for_many_threads(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server
    client = make_client(url)
    client.balance()
    fake.expire_sessions()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                client.balance()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert fake.auth_count == 2


def test_every_command_over_httpx(server: tuple[str, FakeClickatell]) -> None:
    url, _ = server
    with HttpxTransport() as transport:
        client = Client(transport, api_id="3456789", user="alice", password="s3cret", base_url=url)
        assert client.authenticate().kind == "auth_ok"
        assert client.ping().kind == "ping_ok"
        assert client.query("0" * 32).status == 4
        assert client.quick_send("a" * 32, ["447700900123", "447700900124"]).results


def test_async_client(server: tuple[str, FakeClickatell]) -> None:
    url, fake = server

    async def main() -> None:
        async with AsyncHttpxTransport() as transport:
            client = AsyncClient(
                transport,
                api_id="3456789",
                user="alice",
                password="s3cret",
                base_url=url,
                limits=Limits(max_recipients_post=3),
            )
            balances = await asyncio.gather(*(client.balance() for _ in range(10)))
            assert {b.credit for b in balances} == {fake.credit}
            assert fake.auth_count == 1
            fake.expire_sessions()
            await asyncio.gather(*(client.balance() for _ in range(10)))
            assert fake.auth_count == 2
            numbers = [f"4477009001{n:02d}" for n in range(5)]
            result = await client.send(numbers, "Hi")
            assert [line.to for line in result.results] == numbers
            fake.fail_next_with = [901]
            assert (await client.query("0" * 32)).status == 4

    asyncio.run(main())
