"""Build-time pages: reference tables from the code, railroad diagrams from the grammar.

Nothing here is written by hand, so the site cannot drift from the library: the parameter
table reads the request models' JSON Schema and the ``Limits`` defaults, the code tables read
the enums, and every diagram is drawn from ``grammar/responses.lark`` as it is at build time.
"""

from __future__ import annotations

import dataclasses
import html
import io
import re
from pathlib import Path
from typing import Any

import railroad
from lark.lexer import Token
from lark.load_grammar import GrammarBuilder
from lark.tree import Tree
from mkdocs.structure.files import File, Files

from clickatell_protocol import (
    COMMANDS,
    ErrorCode,
    Limits,
    MessageStatusCode,
    statuses_for_callback,
)
from clickatell_protocol.errors import ApiError
from clickatell_protocol.parsing import grammar_text

ROOT = Path(__file__).resolve().parent.parent


# -- parameters -------------------------------------------------------------------------------


def _rule(schema: dict[str, Any]) -> str:
    parts = []
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '')}..{schema.get('maximum', '')}")
    if "exclusiveMinimum" in schema:
        parts.append(f"> {schema['exclusiveMinimum']}")
    if "pattern" in schema:
        parts.append(f"`{schema['pattern']}`")
    if "enum" in schema:
        parts.append(", ".join(str(v) for v in schema["enum"]))
    if "minItems" in schema:
        parts.append(
            f"{schema['minItems']}..{schema['maxItems']} numbers by POST, "
            f"up to {schema['x-max-items-get']} by GET; each `{schema['items']['pattern']}`"
        )
    if "minLength" in schema:
        parts.append("not empty")
    if "description" in schema:
        parts.append(schema["description"])
    return "; ".join(parts) or "—"


def parameters_page() -> str:
    out = io.StringIO()
    out.write("# Parameters and limits\n\n")
    out.write(
        "Generated at build time from `clickatell_protocol.limits` and the request models' "
        "JSON Schema (`clickatell-protocol schema`). A request that breaks a rule is answered "
        "with the code in the last column.\n\n## The limits profile\n\n"
        "| `Limits` field | default |\n|---|---|\n"
    )
    for field in dataclasses.fields(Limits):
        out.write(f"| `{field.name}` | {field.default} |\n")
    for name, model in COMMANDS.items():
        schema = model.model_json_schema(by_alias=True)
        required = set(schema.get("required", []))
        out.write(f"\n## {name}\n\n`{model.path}` — {model.__doc__.splitlines()[0]}\n\n")
        out.write("| parameter | required | rule | code |\n|---|---|---|---|\n")
        for parameter, spec in schema["properties"].items():
            code = spec.get("x-clickatell-error")
            wire = f"{code:03d}" if isinstance(code, int) else "101"
            mark = "yes" if parameter in required else ""
            out.write(f"| `{parameter}` | {mark} | {_rule(spec)} | {wire} |\n")
        for rule in schema.get("allOf", []):
            out.write(f"\nCross-field rule: `{rule}`\n")
    return out.getvalue()


# -- codes ------------------------------------------------------------------------------------


def codes_page() -> str:
    out = io.StringIO()
    out.write("# Error and status codes\n\nGenerated at build time from `ErrorCode`, ")
    out.write("`MessageStatusCode` and the `ApiError` families.\n\n## Errors\n\n")
    out.write("| code | name | description | raised by `Client` as |\n|---|---|---|---|\n")
    families = ApiError.__subclasses__()
    for code in ErrorCode:
        family = next((f.__name__ for f in families if int(code) in f.codes), "ApiError")
        out.write(f"| {code.wire} | `{code.name}` | {code.description} | `{family}` |\n")
    out.write("\n## Message statuses\n\n| status | name | meaning |\n|---|---|---|\n")
    for status in MessageStatusCode:
        out.write(f"| {status.wire} | `{status.name}` | {status.description} |\n")
    return out.getvalue()


def callback_values_page() -> str:
    out = io.StringIO()
    out.write("# Callback values\n\nWhich statuses the server posts to the callback URL for each ")
    out.write("value of the `callback` parameter (generated from `statuses_for_callback`).\n\n")
    out.write("| value | statuses posted |\n|---|---|\n")
    for value in range(8):
        statuses = sorted(statuses_for_callback(value))
        listed = ", ".join(f"{s.wire} {s.description}" for s in statuses) or "none"
        out.write(f"| {value} | {listed} |\n")
    return out.getvalue()


# -- grammar diagrams -------------------------------------------------------------------------


def _labels(definitions: dict[str, Any]) -> dict[str, str]:
    labels = {}
    for name, definition in definitions.items():
        if not definition.is_term:
            continue
        (literal,) = definition.tree.find_data("literal")
        token = literal.children[0]
        labels[str(name)] = token[1:-1] if token.type == "STRING" else str(name)
    return labels


def _diagram(node: Any, labels: dict[str, str]) -> Any:
    if isinstance(node, Tree):
        kids = [child for child in node.children if not isinstance(child, Token)]
        if node.data == "expansions":
            items = [_diagram(child, labels) for child in kids]
            return items[0] if len(items) == 1 else railroad.Choice(0, *items)
        if node.data == "expansion":
            items = [_diagram(child, labels) for child in kids]
            return items[0] if len(items) == 1 else railroad.Sequence(*items)
        if node.data == "maybe":
            return railroad.Optional(_diagram(kids[0], labels))
        if node.data == "expr":
            op = str(node.children[-1])
            inner = _diagram(kids[0], labels)
            return {"*": railroad.ZeroOrMore, "+": railroad.OneOrMore}.get(op, railroad.Optional)(
                inner
            )
        if node.data == "value":
            return _diagram(node.children[0], labels)
    name = str(getattr(node, "name", node))
    if name in labels:
        text = labels[name]
        return railroad.Terminal(repr(text) if text != name else name)
    return railroad.NonTerminal(name, href=f"#{name.strip('_')}")


def grammar_page() -> str:
    text = grammar_text()
    builder = GrammarBuilder()
    builder.load_grammar(text, "<responses>")
    definitions = {str(k): v for k, v in builder._definitions.items()}
    labels = _labels(definitions)
    comments = {}
    for line in text.splitlines():
        match = re.match(r"^\??([A-Za-z_]+):.*?//\s*(.*)$", line)
        if match:
            comments[match.group(1)] = match.group(2)
    out = io.StringIO()
    out.write("# Response grammar\n\n")
    out.write(
        "Every response form, drawn at build time from `grammar/responses.lark`, the grammar "
        "the parser runs. Boxes with rounded ends are literal text or terminals (their patterns "
        "are listed at the end); square boxes are rules, linked to their own diagrams.\n\n"
    )
    # The diagrams' style, once for the page (a style inside each SVG would be escaped).
    out.write("<style>\n" + railroad.DEFAULT_STYLE + "\n</style>\n\n")
    for name, definition in definitions.items():
        if definition.is_term:
            continue
        out.write(f"## `{name}` {{ #{name.strip('_')} }}\n\n")
        if name in comments:
            out.write(f"{html.escape(comments[name])}\n\n")
        svg = io.StringIO()
        railroad.Diagram(_diagram(definition.tree, labels)).writeSvg(svg.write)
        out.write(svg.getvalue() + "\n\n")
    out.write("## Terminals\n\n| terminal | pattern |\n|---|---|\n")
    for name, definition in definitions.items():
        if definition.is_term:
            (literal,) = definition.tree.find_data("literal")
            pattern = str(literal.children[0]).replace("|", "\\|")
            out.write(f"| `{name}` | `{pattern}` |\n")
    return out.getvalue()


# -- the hook -----------------------------------------------------------------------------------

PAGES = {
    "reference/parameters.md": parameters_page,
    "reference/codes.md": codes_page,
    "reference/callback-values.md": callback_values_page,
    "reference/grammar.md": grammar_page,
    "changelog.md": lambda: (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"),
    "benchmarks.md": lambda: (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8"),
}


def on_files(files: Files, config: Any) -> Files:
    for path, build in PAGES.items():
        files.append(File.generated(config, path, content=build()))
    return files
