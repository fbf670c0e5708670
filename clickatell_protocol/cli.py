"""The ``clickatell-protocol`` command line.

Subcommands:

- ``check URL`` / ``check --method POST URL --data BODY``: validate a request as a server does;
  print the model as JSON (exit 0) or the ``ERR:`` line a server answers (exit 1).
- ``encode TEXT``: how a text goes on the wire (encoding, parts, units, wire text) as JSON.
- ``parse COMMAND [FILE|-] [--lenient] [--recipients A,B]``: a response body as its typed value
  in JSON (exit 0), or the syntax error with line and column on stderr (exit 1).
- ``serve [--host H] [--port P] [--db PATH] [--account A:U:P[:C]]... [--config FILE]``: the
  reference server; the first line printed is its base URL.
- ``demo``: every command over real HTTP against an in-process reference server.
- ``schema [COMMAND]``: the JSON Schema of the request models, for SDKs in other languages.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any, Final, TextIO

from pydantic import TypeAdapter

from .errors import RequestRejected, TextError
from .limits import Limits
from .parsing import RESPONSE_COMMANDS, ResponseSyntaxError, parse_response
from .request_parsing import parse_request
from .requests import COMMANDS
from .responses import Response
from .text import encode_text

__all__ = ["main"]


def _print_json(value: Any, out: TextIO) -> None:
    out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


_LIMIT_OPTIONS = ("max_recipients_get", "max_recipients_post", "concat_max")


def _limits(args: argparse.Namespace) -> Limits:
    """The limits profile of ``check``.

    Raises:
        ValueError: the options make no valid profile.
    """
    overrides = {
        name: getattr(args, name) for name in _LIMIT_OPTIONS if getattr(args, name) is not None
    }
    return Limits(**overrides)


def _positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _check(args: argparse.Namespace) -> int:
    # The URL and the body are the bytes the shell gave (os.fsencode undoes the escapes of bytes
    # that the locale cannot decode), read as a server reads them: the URL as ISO-8859-1, as
    # WSGI hands it over, and both in the charset of --content-type or of a charset parameter.
    url = os.fsencode(args.url).decode("latin-1")
    body = os.fsencode(args.data) if args.data else b""
    try:
        limits = _limits(args)
    except ValueError as error:
        sys.stderr.write(f"check: {error}\n")
        return 2
    try:
        request = parse_request(
            args.method,
            url,
            body,
            content_type=args.content_type,
            limits=limits,
            strict=args.strict,
        )
    except RequestRejected as rejected:
        sys.stdout.write(rejected.to_wire() + "\n")
        sys.stderr.write(f"rejected: {rejected.detail}\n")
        return 1
    dumped = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    extra = {"extra": request.extra.masked()} if request.extra else {}
    _print_json({"command": request.command, **dumped, **extra}, sys.stdout)
    return 0


def _encode(args: argparse.Namespace) -> int:
    try:
        encoded = encode_text(args.text, concat=args.concat)
    except TextError as error:
        sys.stderr.write(f"error {error.code:03d}: {error}\n")
        return 1
    _print_json(encoded.model_dump(mode="json"), sys.stdout)
    return 0


def _parse(args: argparse.Namespace) -> int:
    if args.file in (None, "-"):
        body = sys.stdin.buffer.read()
    else:
        try:
            with open(args.file, "rb") as handle:
                body = handle.read()
        except OSError as error:
            sys.stderr.write(f"cannot read {args.file}: {error.strerror}\n")
            return 2
    recipients = args.recipients.split(",") if args.recipients else None
    try:
        value = parse_response(args.command, body, recipients=recipients, strict=not args.lenient)
    except ResponseSyntaxError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    _print_json(TypeAdapter(Response).dump_python(value, mode="json"), sys.stdout)
    return 0


def _schema(args: argparse.Namespace) -> int:
    names = [args.command] if args.command else list(COMMANDS)
    schemas = {
        name: COMMANDS[name].model_json_schema(by_alias=True, mode="validation") for name in names
    }
    _print_json(schemas if not args.command else schemas[args.command], sys.stdout)
    return 0


_MAX_CREDITS: Final = Decimal(10) ** 12
_MAX_CHARGE: Final = Decimal(10) ** 6
_MAX_DELAY_SECONDS: Final = Decimal(366 * 24 * 3600)
_MAX_CALLBACK_SCALE: Final = Decimal(100)
_MAX_TICK_SECONDS: Final = 3600.0


def _number(value: Any, maximum: Decimal) -> Decimal:
    """``value`` (a TOML number or a text) as a finite decimal in ``[0, maximum]``.

    Raises:
        ValueError: what is wrong, with the value shown (never call this on a secret).
    """
    shown = repr(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{shown} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{shown} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{shown} is not a number")
    if number < 0:
        raise ValueError(f"{shown} must be zero or more")
    if number > maximum:
        raise ValueError(f"{shown} is more than {maximum}")
    return number


def _is_number(text: str) -> bool:
    """Whether ``text`` reads as a finite number (in range or not: ``_number`` judges that)."""
    try:
        return Decimal(text.strip()).is_finite()
    except InvalidOperation:
        return False


def _account(text: str) -> tuple[str, str, str, str]:
    """``API_ID:USER:PASSWORD[:CREDITS]`` as its four parts (credits default to 100).

    The password may hold colons: everything after the user is the password, except a last
    field that reads as a finite number, which is the credits (a password that itself ends in
    ``:<number>`` needs the credits given after it). No part of the password is ever shown.

    Raises:
        ValueError: the fields are wrong; the message shows the password as ``***``.
    """
    parts = text.split(":")
    if len(parts) < 3:
        raise ValueError(
            f"--account: expected API_ID:USER:PASSWORD[:CREDITS], got {len(parts)} fields"
        )
    api_id, user, *rest = parts
    if len(rest) > 1 and _is_number(rest[-1]):
        password, credits, shown_credits = ":".join(rest[:-1]), rest[-1], [rest[-1]]
    else:
        password, credits, shown_credits = ":".join(rest), "100", []
    shown = ":".join([api_id, user, "***", *shown_credits])
    if not (api_id.isascii() and api_id.isdigit()):
        raise ValueError(f"--account {shown}: the API ID must be digits")
    if not user:
        raise ValueError(f"--account {shown}: the user must not be empty")
    if not password:
        raise ValueError(f"--account {shown}: the password must not be empty")
    try:
        _number(credits, _MAX_CREDITS)
    except ValueError as error:
        raise ValueError(f"--account {shown}: credits {error}") from None
    return api_id, user, password, credits


_ACCOUNT_OPTIONS = frozenset(
    {"allowed_ips", "callback_url", "callback_style", "callback_user", "callback_password"}
)


def _tables(config: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = config.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ValueError(f"{key} must be a list of tables ([[{key}]]), not {value!r}")
    return value


def _text(table: dict[str, Any], key: str, where: str, *, digits: bool = False) -> str:
    """A non-empty text setting (with ``digits``, a TOML integer is taken as its digits)."""
    value = table[key]
    if digits and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        # A secret is never shown, even when it is of the wrong type.
        shown = "" if "password" in key else f"{value!r} is "
        raise ValueError(f"{where}.{key}: {shown}not a non-empty text")
    return value


def _digits(table: dict[str, Any], key: str, where: str) -> str:
    value = _text(table, key, where, digits=True)
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"{where}.{key}: {value!r} must be digits")
    return value


def _addresses(value: Any, where: str) -> tuple[str, ...]:
    """``allowed_ips``: one address, or a list of them."""
    import ipaddress

    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError(f"{where}: {value!r} is not an address or a list of addresses")
    for item in items:
        try:
            ipaddress.ip_address(item)
        except ValueError:
            raise ValueError(f"{where}: {item!r} is not an IP address") from None
    return tuple(items)


_Step = Callable[[Any], None]
"""One change a configuration makes to the server, already validated."""


def _add_account(
    fields: tuple[str, str, str, Decimal], options: dict[str, Any], server: Any
) -> None:
    server.add_account(*fields, replace=False, **options)


def _add_prefix(
    digits: str, charge: Decimal, routable: bool, final_status: int, server: Any
) -> None:
    server.add_prefix(digits, charge, routable=routable, final_status=final_status)


def _add_voucher(token: str, value: str, credits: Decimal, server: Any) -> None:
    # Applied at every start: a voucher already in the store (redeemed or not) is kept as it
    # is, so a restart never makes a redeemed voucher pay out again.
    server.store.put_voucher(token, value, credits, replace=False)


def _configuration(config: dict[str, Any]) -> list[_Step]:
    """The accounts, prefixes and vouchers of a configuration file, each validated, as the
    changes that add them to a server (nothing is written here: a configuration that is
    wrong anywhere is refused whole).

    Raises:
        ValueError: the first wrong setting, named by its place (``accounts[2].credits``).
    """
    from .callbacks import CALLBACK_STYLES
    from .codes import FINAL_STATUSES

    steps: list[_Step] = []
    for number, account in enumerate(_tables(config, "accounts"), start=1):
        where = f"accounts[{number}]"
        try:
            unknown = set(account) - _ACCOUNT_OPTIONS - {"api_id", "user", "password", "credits"}
            if unknown:
                raise ValueError(f"{where}: unknown account setting {sorted(unknown)[0]!r}")
            try:
                credits = _number(account.get("credits", 100), _MAX_CREDITS)
            except ValueError as error:
                raise ValueError(f"{where}.credits: {error}") from None
            options: dict[str, Any] = {}
            for key in sorted(_ACCOUNT_OPTIONS & set(account)):
                if key == "allowed_ips":
                    options[key] = _addresses(account[key], f"{where}.{key}")
                else:
                    options[key] = _text(account, key, where)
            style = options.get("callback_style", "http_post")
            if style not in CALLBACK_STYLES:
                raise ValueError(
                    f"{where}: callback_style must be one of {', '.join(CALLBACK_STYLES)}"
                )
            api_id = _digits(account, "api_id", where)
            user = _text(account, "user", where)
            password = _text(account, "password", where)
        except KeyError as error:
            raise ValueError(f"{where}: a setting is missing: {error}") from None
        steps.append(partial(_add_account, (api_id, user, password, credits), options))
    for number, prefix in enumerate(_tables(config, "prefixes"), start=1):
        where = f"prefixes[{number}]"
        try:
            digits = _digits(prefix, "prefix", where)
        except KeyError as error:
            raise ValueError(f"{where}: a setting is missing: {error}") from None
        try:
            charge = _number(prefix.get("charge", 1), _MAX_CHARGE)
        except ValueError as error:
            raise ValueError(f"{where}.charge: {error}") from None
        routable = prefix.get("routable", True)
        if not isinstance(routable, bool):
            raise ValueError(f"{where}.routable: {routable!r} is not true or false")
        final_status = prefix.get("final_status", 4)
        if isinstance(final_status, bool) or final_status not in FINAL_STATUSES:
            raise ValueError(
                f"{where}.final_status: {final_status!r} is not a final message status "
                f"({', '.join(f'{int(code):03d}' for code in sorted(FINAL_STATUSES))})"
            )
        steps.append(partial(_add_prefix, digits, charge, routable, int(final_status)))
    for number, voucher in enumerate(_tables(config, "vouchers"), start=1):
        where = f"vouchers[{number}]"
        try:
            token = _text(voucher, "token", where)
            try:
                credits = _number(voucher["credits"], _MAX_CREDITS)
            except ValueError as error:
                raise ValueError(f"{where}.credits: {error}") from None
            value = _text(voucher, "value", where) if "value" in voucher else str(credits)
        except KeyError as error:
            raise ValueError(f"{where}: a setting is missing: {error}") from None
        steps.append(partial(_add_voucher, token, value, credits))
    return steps


def build_server(
    db: str | None,
    config_path: str | None,
    accounts: list[tuple[str, str, str, str]],
    *,
    notice: Callable[[str], Any] | None = None,
) -> Any:
    """The reference server that ``serve`` runs, from its options.

    With no account at all, a default one is created and said so through ``notice`` (one line;
    default: on stderr).

    Raises:
        ValueError: one line saying what is wrong: the database cannot be opened, or the
            configuration file cannot be read or has a wrong or unknown setting (named by
            its place, its value shown unless it is a password).
    """
    import sqlite3
    import tomllib
    from datetime import timedelta

    from .server import ReferenceServer, Store

    config: dict[str, Any] = {}
    if config_path:
        try:
            with open(config_path, "rb") as handle:
                config = tomllib.load(handle)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"{config_path}: cannot read: {error}") from None
    settings = config.get("server", {})
    try:
        if not isinstance(settings, dict):
            raise ValueError(f"server must be a table ([server]), not {settings!r}")
        numbers: dict[str, Decimal] = {}
        for key, default, maximum in (
            ("delivery_delay_seconds", 5, _MAX_DELAY_SECONDS),
            ("callback_scale", 1, _MAX_CALLBACK_SCALE),
        ):
            try:
                numbers[key] = _number(settings.get(key, default), maximum)
            except ValueError as error:
                raise ValueError(f"server.{key}: {error}") from None
        # The whole configuration is validated before the database is opened: a wrong one
        # writes nothing.
        steps = _configuration(config)
    except ValueError as error:
        raise ValueError(f"{config_path}: {error}") from None
    try:
        store = Store(db or ":memory:")
    except sqlite3.Error as error:
        raise ValueError(f"--db {db}: cannot use it as an SQLite database: {error}") from None
    except (OSError, ValueError) as error:  # the key file beside the database
        reason = getattr(error, "strerror", None) or str(error)
        raise ValueError(f"--db {db}: cannot use the key file {db}.key: {reason}") from None
    server = ReferenceServer(
        store,
        delivery_delay=timedelta(seconds=float(numbers["delivery_delay_seconds"])),
        callback_scale=float(numbers["callback_scale"]),
    )
    try:
        # All of it in one transaction (each change a savepoint inside it): it is applied
        # whole or not at all.
        with store.transaction():
            for step in steps:
                step(server)
            for api_id, user, password, credits in accounts:
                server.add_account(api_id, user, password, credits, replace=False)
            created_default = not store.query("SELECT 1 FROM accounts LIMIT 1")
            if created_default:
                server.add_account("3456789", "alice", "s3cret", 100)
    except BaseException:
        store.close()
        raise
    if created_default:
        say = notice if notice is not None else sys.stderr.write
        say("no account configured: created 3456789:alice:s3cret with 100 credits\n")
    return server


def _serve(args: argparse.Namespace) -> int:
    import math
    import signal
    import threading
    from contextlib import ExitStack

    from .server import running

    try:
        if not 0 <= args.port <= 65535:
            raise ValueError(f"--port {args.port}: must be between 0 and 65535")
        if not (math.isfinite(args.tick) and 0 < args.tick <= _MAX_TICK_SECONDS):
            raise ValueError(
                f"--tick {args.tick}: must be more than 0 and at most {_MAX_TICK_SECONDS:g} seconds"
            )
        accounts = [_account(text) for text in args.account or []]
        notices: list[str] = []  # said once the server listens: an error stays one line
        server = build_server(args.db, args.config, accounts, notice=notices.append)
    except ValueError as error:
        sys.stderr.write(f"serve: {error}\n")
        return 2
    with ExitStack() as stack:
        stack.callback(server.store.close)
        try:
            url = stack.enter_context(
                running(server, args.host, args.port, tick_every=args.tick, quiet=not args.verbose)
            )
        except (OSError, OverflowError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            sys.stderr.write(f"serve: cannot listen on {args.host}:{args.port}: {reason}\n")
            return 1
        for line in notices:
            sys.stderr.write(line)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        # The base URL is the first line, flushed at once: a parent reading the pipe needs it.
        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def _demo(args: argparse.Namespace) -> int:
    import os

    from .demo import run_demo

    try:
        status = run_demo(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader left (``demo | head``): stop quietly, and let the flush at exit go
        # nowhere instead of failing again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clickatell-protocol",
        description="The Clickatell SMS HTTP API wire protocol: validate, encode, describe.",
    )
    commands = parser.add_subparsers(dest="subcommand", required=True, metavar="COMMAND")

    check = commands.add_parser(
        "check",
        help="validate a request as a Clickatell server does",
        description="Print the request as JSON and exit 0, or print the ERR: line a server "
        "answers and exit 1.  The password is masked in the output.  Parameters the command "
        'does not define are shown under "extra" (the server ignores them), unless --strict. '
        "The URL and body are read as bytes, in the charset of --content-type or of a charset "
        "parameter (ISO-8859-1 when neither is given).",
    )
    check.add_argument("url", help="the request URL (absolute, or a path with its query)")
    check.add_argument("--method", default="GET", type=str.upper, choices=["GET", "POST"])
    check.add_argument("--data", help="the form body of a POST request")
    check.add_argument(
        "--content-type",
        default=None,
        help="the request's Content-Type header, for its charset "
        "(e.g. 'application/x-www-form-urlencoded; charset=UTF-8')",
    )
    check.add_argument(
        "--strict",
        action="store_true",
        help="refuse parameters the command does not define (101), to check an SDK's traffic",
    )
    for name in _LIMIT_OPTIONS:
        check.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=_positive_int,
            default=None,
            help=f"widen the {name} limit (default: {getattr(Limits(), name)})",
        )
    check.set_defaults(run=_check)

    encode = commands.add_parser(
        "encode", help="show how a text goes on the wire (encoding, parts, wire text)"
    )
    encode.add_argument("text")
    encode.add_argument("--concat", type=int, default=None, help="refuse more parts than this")
    encode.set_defaults(run=_encode)

    demo = commands.add_parser(
        "demo",
        help="walk every command over real HTTP against the built-in reference server",
    )
    demo.set_defaults(run=_demo)

    serve = commands.add_parser(
        "serve",
        help="run the reference server",
        description="Serve the whole protocol over HTTP until interrupted. The first line "
        "printed is the base URL.",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    serve.add_argument("--db", help="SQLite file for durable state (default: in memory)")
    serve.add_argument(
        "--account",
        action="append",
        metavar="API_ID:USER:PASSWORD[:CREDITS]",
        help="an account (repeatable); an existing one in --db is kept as it is. The password "
        "may hold colons; if it ends in :<number>, give CREDITS after it",
    )
    serve.add_argument("--config", help="a TOML file with accounts, prefixes and vouchers")
    serve.add_argument(
        "--tick",
        type=float,
        default=0.5,
        help="seconds between status and callback rounds (default 0.5)",
    )
    serve.add_argument("--verbose", action="store_true", help="log every request on stderr")
    serve.set_defaults(run=_serve)

    parse = commands.add_parser(
        "parse",
        help="parse a response body into its typed value",
        description="Print the typed value as JSON (its kind included) and exit 0, or print the "
        "line, column and expectation of a syntax error on stderr and exit 1.",
    )
    parse.add_argument("command", choices=sorted(RESPONSE_COMMANDS), metavar="COMMAND")
    parse.add_argument("file", nargs="?", default="-", help="the body; - or absent for stdin")
    parse.add_argument("--lenient", action="store_true", help="accept what other servers emit")
    parse.add_argument("--recipients", help="the request's recipients, comma-separated")
    parse.set_defaults(run=_parse)

    schema = commands.add_parser("schema", help="print the JSON Schema of the request models")
    schema.add_argument("command", nargs="?", choices=list(COMMANDS), default=None)
    schema.set_defaults(run=_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
