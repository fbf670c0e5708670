"""Every Python example in the README and the documentation runs, and the Quickstart keeps
exactly two commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")
PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]
BLOCKS = [
    (f"{page.relative_to(ROOT)}#{index}", block)
    for page in PAGES
    for index, block in enumerate(
        re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    )
]


def test_every_page_is_covered() -> None:
    assert {name.split("#")[0] for name, _ in BLOCKS} >= {
        "README.md",
        "docs/index.md",
        "docs/guides/sdk.md",
        "docs/guides/gateways.md",
        "docs/guides/testing.md",
        "docs/guides/callbacks.md",
    }


@pytest.mark.parametrize("source", [b for _, b in BLOCKS], ids=[n for n, _ in BLOCKS])
def test_example_runs(
    source: str, capsys: pytest.CaptureFixture[str], clickatell_server: object
) -> None:
    namespace: dict[str, object] = {}
    exec(compile(source, "example", "exec"), namespace)
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
