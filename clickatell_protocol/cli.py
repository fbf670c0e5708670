"""The ``clickatell-protocol`` command line.

Subcommands:

- ``check URL`` / ``check --method POST URL --data BODY``: validate a request as a server does;
  print the model as JSON (exit 0) or the ``ERR:`` line a server answers (exit 1).
- ``encode TEXT``: how a text goes on the wire (encoding, parts, units, wire text) as JSON.
- ``parse COMMAND [FILE|-] [--lenient] [--recipients A,B]``: a response body as its typed value
  in JSON (exit 0), or the syntax error with line and column on stderr (exit 1).
- ``schema [COMMAND]``: the JSON Schema of the request models, for SDKs in other languages.
"""

from __future__ import annotations

import argparse
import json
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


def _limits(args: argparse.Namespace) -> Limits:
    overrides = {
        name: getattr(args, name)
        for name in ("max_recipients_get", "max_recipients_post", "concat_max")
        if getattr(args, name) is not None
    }
    return Limits(**overrides)


def _check(args: argparse.Namespace) -> int:
    body = (args.data or "").encode("latin-1", errors="strict") if args.data else b""
    try:
        request = parse_request(args.method, args.url, body, limits=_limits(args))
    except RequestRejected as rejected:
        sys.stdout.write(rejected.to_wire() + "\n")
        sys.stderr.write(f"rejected: {rejected.detail}\n")
        return 1
    dumped = request.model_dump(mode="json", by_alias=True, exclude_none=True)
    _print_json({"command": request.command, **dumped}, sys.stdout)
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
        with open(args.file, "rb") as handle:
            body = handle.read()
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
        "answers and exit 1.  The password is masked in the output.",
    )
    check.add_argument("url", help="the request URL (absolute, or a path with its query)")
    check.add_argument("--method", default="GET", type=str.upper, choices=["GET", "POST"])
    check.add_argument("--data", help="the form body of a POST request")
    for name in ("max_recipients_get", "max_recipients_post", "concat_max"):
        check.add_argument(
            f"--{name.replace('_', '-')}",
            dest=name,
            type=int,
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
