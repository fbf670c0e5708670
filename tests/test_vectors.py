"""The conformance corpus: every file in tests/vectors/responses runs through parse_response."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from clickatell_protocol import Response, ResponseSyntaxError, parse_response, render_response

VECTORS = sorted((Path(__file__).parent / "vectors" / "responses").glob("*.json"))
ADAPTER: TypeAdapter[Any] = TypeAdapter(Response)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_the_corpus_is_large_enough() -> None:
    cases = [load(path) for path in VECTORS]
    assert sum(1 for case in cases if "error" in case) >= 20
    commands = {case["command"].lower() for case in cases}
    assert len(commands) == 15


@pytest.mark.parametrize("path", VECTORS, ids=[path.stem for path in VECTORS])
def test_vector(path: Path) -> None:
    case = load(path)
    assert ("expect" in case) != ("error" in case), "a vector needs exactly one expectation"
    assert case.get("mode", "strict") in ("strict", "lenient")
    strict = case.get("mode", "strict") == "strict"
    kwargs = {"recipients": case.get("recipients"), "strict": strict}
    if "error" in case:
        with pytest.raises(ResponseSyntaxError) as caught:
            parse_response(case["command"], case["body"], **kwargs)
        error = caught.value
        assert (error.line, error.column) == (case["error"]["line"], case["error"]["column"]), str(
            error
        )
        assert error.context
        return
    value = parse_response(case["command"], case["body"], **kwargs)
    assert ADAPTER.dump_python(value, mode="json") == case["expect"]
    if value.kind != "auth_ok":  # a session id dumps masked, so it cannot come back
        assert ADAPTER.validate_json(ADAPTER.dump_json(value)) == value
    # Bytes read the same as text.
    assert parse_response(case["command"], case["body"].encode("latin-1"), **kwargs) == value
    if strict and not case.get("recipients") and value.kind != "auth_ok":
        # The canonical rendering reads back to the same value.
        assert parse_response(case["command"], render_response(value)) == value
