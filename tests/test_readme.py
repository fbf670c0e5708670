"""Every Python example in the README runs, and the Quickstart keeps exactly two commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)


@pytest.mark.parametrize("source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(
    source: str, capsys: pytest.CaptureFixture[str], clickatell_server: object
) -> None:
    namespace: dict[str, object] = {}
    exec(compile(source, str(README), "exec"), namespace)
    # An example that is itself a test runs too, with the fixture it names.
    for name, value in namespace.items():
        if name.startswith("test_") and callable(value):
            value(clickatell_server)
    out = capsys.readouterr().out
    assert "s3cret" not in out


def test_quickstart_has_a_run_and_a_test_command() -> None:
    quickstart = TEXT.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quickstart, re.S)
    assert len(commands) == 2
    run, test = commands
    assert "clickatell-protocol" in run
    assert "pytest" in test
    assert "<!-- quickstart:test -->" in quickstart
