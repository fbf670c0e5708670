"""Coverage-guided fuzzing of every parser with atheris (not part of the pytest run).

    .venv/bin/pip install atheris
    .venv/bin/python tests/fuzz/atheris_target.py -atheris_runs=1000000

The first byte of each input picks the target; the rest is the input. Any exception other than
the library's own (:class:`ProtocolError`, which includes ``RequestRejected`` and
``CallbackError``) is a crash that atheris reports with the input that caused it.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from clickatell_protocol import (
        ProtocolError,
        parse_mo_callback,
        parse_request,
        parse_response,
        parse_status_callback,
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
SERVER = ReferenceServer(callback_scale=0.0)
SERVER.add_account("1", "u", "p", 1_000_000)


def one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    target, rest = data[0] % 8, data[1:]
    text = rest.decode("latin-1")
    try:
        if target < 3:
            parse_response(COMMANDS[rest[0] % len(COMMANDS)], rest[1:], strict=target != 2)
        elif target == 3:
            parse_request("GET", PATHS[rest[0] % len(PATHS)] + "?" + text[1:])
        elif target == 4:
            parse_request("POST", PATHS[rest[0] % len(PATHS)], rest[1:])
        elif target == 5:
            parse_status_callback(rest)
        elif target == 6:
            parse_mo_callback(text)
        else:
            status, body = SERVER.handle("POST", PATHS[rest[0] % len(PATHS)], rest[1:])
            if status != 404:
                parse_response(PATHS[rest[0] % len(PATHS)].rsplit("/", 1)[1].split(".")[0], body)
            if SERVER.internal_errors:
                raise AssertionError("the server failed internally")
    except ProtocolError:
        pass


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
