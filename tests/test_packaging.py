"""The wheel carries the grammar: parse from an installed copy, away from the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
import clickatell_protocol
from clickatell_protocol import parse_response
from clickatell_protocol.parsing import lark_parser
assert clickatell_protocol.__file__.startswith(sys.argv[1]), clickatell_protocol.__file__
lark_parser(lenient=True)
value = parse_response("querymsg", "ID: 0123456789abcdef0123456789abcdef Status: 004\\n")
print(value.kind, value.status)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("clickatell_protocol-*.whl")
    return built


def test_wheel_contains_the_grammar_and_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "clickatell_protocol/grammar/responses.lark" in names
    assert "clickatell_protocol/grammar/lenient.lark" in names
    assert "clickatell_protocol/py.typed" in names


def test_installed_wheel_parses_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(site)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["message_status", "4"]
