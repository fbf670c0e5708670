"""Coverage-guided fuzzing of every parser with atheris (not part of the pytest run).

    .venv/bin/pip install atheris
    .venv/bin/python tests/fuzz/atheris_target.py -atheris_runs=1000000

The first byte of each input picks the target; the rest is the input. Any exception other than
the library's own (:class:`ProtocolError`, which includes ``RequestRejected``) is a crash that
atheris reports with the input that caused it; the callback targets allow only
:class:`CallbackError`, and a callback value that comes out must render back to itself.

Targets (first byte modulo 16): 0-2 responses (strict, strict, lenient); 3-4 requests (GET,
POST); 5-12 callbacks: status and MO, as bytes, as text (decoded with ``surrogateescape``, so
lone surrogates come in), as a mapping of ``str``/``bytes``/list values, as an XML document
with a content type; 13 the reference server; 14-15 MO parts into a reassembler.
"""

from __future__ import annotations

import sys
from typing import Any

import atheris

with atheris.instrument_imports():
    from clickatell_protocol import (
        CallbackError,
        IncomingMessage,
        MoReassembler,
        ProtocolError,
        StatusCallback,
        parse_mo_callback,
        parse_request,
        parse_response,
        parse_status_callback,
        render_mo_callback,
        render_status_callback,
    )
    from clickatell_protocol.parsing import RESPONSE_COMMANDS
    from clickatell_protocol.server import ReferenceServer

COMMANDS = sorted(RESPONSE_COMMANDS)
PATHS = [
    "/http/sendmsg",
    "/http/auth",
    "/http_batch/senditem",
    "/utils/routeCoverage.php",
    "/mms/ind_push.php",
    "/http/querymsg",
]
CONTENT_TYPES = [None, "text/xml", "application/x-www-form-urlencoded", "application/soap+xml"]
SERVER = ReferenceServer(callback_scale=0.0)
SERVER.add_account("1", "u", "p", 1_000_000)
REASSEMBLER = MoReassembler(max_pending=100)


def _mapping(data: bytes) -> dict[str, Any]:
    """``key=value`` pairs split on ``&``; the value's first byte picks str, bytes or a list."""
    mapping: dict[str, Any] = {}
    for pair in data.split(b"&"):
        key, _, value = pair.partition(b"=")
        kind = value[:1]
        text = value[1:].decode("utf-8", "surrogateescape")
        if kind == b"b":
            mapping[key.decode("latin-1")] = value[1:]
        elif kind == b"l":
            mapping[key.decode("latin-1")] = [text, text] if len(text) % 2 else [text]
        else:
            mapping[key.decode("latin-1")] = text
    return mapping


def _callback(target: int, rest: bytes) -> None:
    """One of the callback targets: only CallbackError may escape; a value reads back."""
    parse = parse_status_callback if target % 2 else parse_mo_callback
    form = (target - 5) // 2
    payload: Any
    content_type = None
    if form == 0:
        payload = rest
    elif form == 1:
        payload = rest.decode("utf-8", "surrogateescape")
    elif form == 2:
        payload = _mapping(rest)
    else:
        content_type = CONTENT_TYPES[rest[0] % len(CONTENT_TYPES)] if rest else None
        payload = rest[1:]
    try:
        value = parse(payload, content_type=content_type)
    except CallbackError:
        return
    if isinstance(value, StatusCallback):
        if parse_status_callback(render_status_callback(value, "http_post")) != value:
            raise AssertionError("a status callback does not render back to itself")
    elif isinstance(value, IncomingMessage):
        if parse_mo_callback(render_mo_callback(value, "http_post")) != value:
            raise AssertionError("an incoming message does not render back to itself")
        REASSEMBLER.add(value)


def one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    target, rest = data[0] % 16, data[1:]
    text = rest.decode("latin-1")
    if 5 <= target <= 12:
        _callback(target, rest)
        return
    try:
        if target < 3:
            parse_response(COMMANDS[rest[0] % len(COMMANDS)], rest[1:], strict=target != 2)
        elif target == 3:
            parse_request("GET", PATHS[rest[0] % len(PATHS)] + "?" + text[1:])
        elif target == 4:
            parse_request("POST", PATHS[rest[0] % len(PATHS)], rest[1:])
        elif target == 13:
            status, body = SERVER.handle("POST", PATHS[rest[0] % len(PATHS)], rest[1:])
            if status != 404:
                parse_response(PATHS[rest[0] % len(PATHS)].rsplit("/", 1)[1].split(".")[0], body)
            if SERVER.internal_errors:
                raise AssertionError("the server failed internally")
        else:
            # MO parts with a concatenation header: the reassembler joins what comes.
            udh = rest[:7].hex()
            payload = (
                "api_id=1&moMsgId=996f364775e24b8432f45d77da8eca47&from=1&to=2"
                f"&timestamp=2008-08-06+09:43:50&charset={'UTF-16' if target == 14 else 'UTF-8'}"
                f"&udh={udh}&text=" + "".join(f"%{byte:02X}" for byte in rest[7:])
            )
            try:
                message = parse_mo_callback(payload)
            except CallbackError:
                return
            assert isinstance(message, IncomingMessage)
            REASSEMBLER.add(message)
    except ProtocolError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
