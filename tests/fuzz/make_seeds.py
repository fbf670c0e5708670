"""Write a seed corpus for the atheris target: well-formed inputs of every target, so that the
fuzzer starts from payloads that reach deep into each parser rather than from random bytes.

    .venv/bin/python tests/fuzz/make_seeds.py /tmp/seeds
    .venv/bin/python tests/fuzz/atheris_target.py /tmp/seeds -atheris_runs=1000000

Each seed is the target's byte (see atheris_target.py) followed by its input.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from clickatell_protocol import (
    IncomingMessage,
    StatusCallback,
    render_mo_callback,
    render_status_callback,
)
from clickatell_protocol.callbacks import CALLBACK_STYLES
from clickatell_protocol.parsing import RESPONSE_COMMANDS

H = "996f364775e24b8432f45d77da8eca47"
STATUSES = [
    StatusCallback(
        api_id=api_id,
        apimsgid=H,
        climsgid=climsgid,
        to="279995631564",
        from_="27833001171",
        timestamp=datetime(2008, 8, 6, 7, 30, 14, tzinfo=UTC),
        status=4,
        charge=Decimal("0.300000"),
    )
    for api_id, climsgid in (("12345", "abc123"), (None, None))
]
MOS = [
    IncomingMessage(
        api_id="1",
        momsgid=H,
        from_="447700900123",
        to="12345",
        timestamp=datetime(2026, 1, 1, 10, tzinfo=UTC),
        charset=charset,
        udh=udh,
        text="Gr\u00fc\u00dfe",
        raw_text=raw,
    )
    for charset, udh, raw in (
        ("ISO-8859-1", "", "Gr\u00fc\u00dfe".encode("latin-1")),
        ("UTF-16", "050003070201", b"\xfe\xff" + "Gr\u00fc\u00dfe".encode("utf-16-be")),
        ("UTF-8", "0608040001020", "Gr\u00fc\u00dfe".encode()),
    )
]


def seeds() -> list[bytes]:
    out: list[bytes] = []
    commands = sorted(RESPONSE_COMMANDS)
    vectors = Path(__file__).resolve().parent.parent / "vectors" / "responses"
    for path in sorted(vectors.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        index = commands.index(case["command"])
        for target in (0, 2):
            out.append(bytes([target, index]) + case["body"].encode("latin-1"))
    for style in CALLBACK_STYLES:
        for value in STATUSES:
            payload = render_status_callback(value, style).encode("ascii")
            out += [bytes([5]) + payload, bytes([7]) + payload, bytes([11, 0]) + payload]
        for message in MOS:
            if not style.startswith("http") and message.charset == "UTF-16":
                continue
            payload = render_mo_callback(message, style).encode("ascii")
            out += [bytes([6]) + payload, bytes([8]) + payload, bytes([12, 0]) + payload]
    return out


def main(directory: str) -> int:
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    for number, seed in enumerate(seeds()):
        (root / f"seed-{number:04d}").write_bytes(seed)
    print(f"{len(seeds())} seeds in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "seeds"))
