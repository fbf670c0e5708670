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
from collections.abc import Sequence
from typing import Any, TextIO

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


def _account(text: str) -> tuple[str, str, str, str]:
    parts = text.split(":")
    if len(parts) not in (3, 4) or not all(parts[:3]):
        raise argparse.ArgumentTypeError("expected API_ID:USER:PASSWORD[:CREDITS]")
    return parts[0], parts[1], parts[2], parts[3] if len(parts) == 4 else "100"


_ACCOUNT_OPTIONS = frozenset(
    {"allowed_ips", "callback_url", "callback_style", "callback_user", "callback_password"}
)


def build_server(
    db: str | None, config_path: str | None, accounts: list[tuple[str, str, str, str]]
) -> Any:
    """The reference server that ``serve`` runs, from its options.

    Raises:
        ValueError: the configuration file cannot be read or names an unknown setting.
    """
    import tomllib
    from datetime import timedelta

    from .server import ReferenceServer, Store

    config: dict[str, Any] = {}
    if config_path:
        try:
            with open(config_path, "rb") as handle:
                config = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"cannot read {config_path}: {error}") from None
    settings = config.get("server", {})
    try:
        server = ReferenceServer(
            Store(db or ":memory:"),
            delivery_delay=timedelta(seconds=float(settings.get("delivery_delay_seconds", 5))),
            callback_scale=float(settings.get("callback_scale", 1.0)),
        )
        for account in config.get("accounts", []):
            unknown = set(account) - _ACCOUNT_OPTIONS - {"api_id", "user", "password", "credits"}
            if unknown:
                raise ValueError(f"unknown account setting {sorted(unknown)[0]!r}")
            options = {key: account[key] for key in _ACCOUNT_OPTIONS if key in account}
            if "allowed_ips" in options:
                options["allowed_ips"] = tuple(options["allowed_ips"])
            server.add_account(
                str(account["api_id"]),
                str(account["user"]),
                str(account["password"]),
                str(account.get("credits", 100)),
                replace=False,
                **options,
            )
        for prefix in config.get("prefixes", []):
            server.add_prefix(
                str(prefix["prefix"]),
                str(prefix.get("charge", 1)),
                routable=bool(prefix.get("routable", True)),
                final_status=int(prefix.get("final_status", 4)),
            )
        for voucher in config.get("vouchers", []):
            server.add_voucher(str(voucher["token"]), str(voucher["credits"]), voucher.get("value"))
    except KeyError as error:
        raise ValueError(f"{config_path}: a setting is missing: {error}") from None
    for api_id, user, password, credits in accounts:
        server.add_account(api_id, user, password, credits, replace=False)
    if not server.store.query("SELECT 1 FROM accounts LIMIT 1"):
        server.add_account("3456789", "alice", "s3cret", 100)
        sys.stderr.write("no account configured: created 3456789:alice:s3cret with 100 credits\n")
    return server


def _serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from .server import running

    try:
        server = build_server(args.db, args.config, args.account or [])
    except ValueError as error:
        sys.stderr.write(f"serve: {error}\n")
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with running(server, args.host, args.port, tick_every=args.tick, quiet=not args.verbose) as url:
        # The base URL is the first line, flushed at once: a parent reading the pipe needs it.
        sys.stdout.write(url + "\n")
        sys.stdout.flush()
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    server.store.close()
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(sys.stdout)


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
        type=_account,
        metavar="API_ID:USER:PASSWORD[:CREDITS]",
        help="an account (repeatable); an existing one in --db is kept as it is",
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
