"""Every regular expression of the package is checked for catastrophic backtracking."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from regex_safety import problems

import clickatell_protocol
from clickatell_protocol.parsing import _matchers, lark_parser

PACKAGE = Path(clickatell_protocol.__file__).parent
_RE_FUNCTIONS = {"compile", "match", "fullmatch", "search", "findall", "finditer", "sub", "split"}


def _literal_patterns() -> list[tuple[str, str]]:
    """Patterns written in the source as re.<function>(...) arguments (f-strings filled in)."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in _RE_FUNCTIONS
                and node.args
            ):
                continue
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.append((f"{path.name}:{node.lineno}", argument.value))
            elif isinstance(argument, ast.JoinedStr):
                # Interpolated pieces are counts (digits) or other checked patterns: a digit
                # keeps the shape of the expression.
                text = "".join(
                    part.value if isinstance(part, ast.Constant) else "5"
                    for part in argument.values
                )
                found.append((f"{path.name}:{node.lineno}", text))
    return found


def _compiled_patterns() -> list[tuple[str, str]]:
    """Compiled patterns held by the package's modules, and the grammar's terminals."""
    found = []
    for module_info in pkgutil.walk_packages([str(PACKAGE)], "clickatell_protocol."):
        if module_info.name.endswith(("__main__", "_httpx")):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found.append((f"{module_info.name}.{name}", value.pattern))
    for lenient in (False, True):
        for terminal in lark_parser(lenient).terminals:
            found.append((f"terminal {terminal.name}", terminal.pattern.to_regexp()))
    matchers = _matchers()
    found.append(("line matcher send_lines", matchers.send_lines.pattern))
    found.append(("line matcher send_lines_marked", matchers.send_lines_marked.pattern))
    for start, forms in matchers.single.items():
        for index, (pattern, _) in enumerate(forms):
            found.append((f"line matcher {start}#{index}", pattern.pattern))
    return found


PATTERNS = _literal_patterns() + _compiled_patterns()


def test_the_inventory_is_not_empty() -> None:
    assert len(PATTERNS) > 60
    assert any(name == "terminal DESCRIPTION" for name, _ in PATTERNS)


@pytest.mark.parametrize(("where", "pattern"), PATTERNS, ids=[w for w, _ in PATTERNS])
def test_no_catastrophic_backtracking(where: str, pattern: str) -> None:
    assert problems(pattern) == [], where


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(?:x*)*y", r"(a|aa)*b", r"\d+\d*x", r"(?:(?! To:)[^\r\n]*)+"],
)
def test_the_checker_flags_known_bad_shapes(pattern: str) -> None:
    assert problems(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"[^ ]*(?: (?!To:)[^ ]*)*",
        r"[^ ]*+(?: [^ ]*+)*+",
        r"[0-9]+(\.[0-9]+)?",
        r"(?:[0-9a-f]{2})+",
        r"a+b+",
        r"(?:ab|cd)*",
    ],
)
def test_the_checker_passes_safe_shapes(pattern: str) -> None:
    assert problems(pattern) == []
