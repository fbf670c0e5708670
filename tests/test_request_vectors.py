"""The request corpus: every file in tests/vectors/requests runs through parse_request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clickatell_protocol import RequestRejected, parse_request

VECTORS = sorted((Path(__file__).parent / "vectors" / "requests").glob("*.json"))
KEYS = {"method", "url", "body", "content_type", "strict", "note", "expect", "error"}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_the_corpus_is_large_enough() -> None:
    cases = [load(path) for path in VECTORS]
    assert len(cases) >= 20
    assert sum(1 for case in cases if "error" in case) >= 10
    assert sum(1 for case in cases if case.get("expect", {}).get("extra")) >= 2
    assert all(case.get("note") for case in cases)


def _parse(case: dict[str, Any], **overrides: Any) -> Any:
    options = {"content_type": case.get("content_type"), "strict": case.get("strict", False)}
    body = case.get("body", "").encode("latin-1")  # one character per byte
    return parse_request(case["method"], case["url"], body, **{**options, **overrides})


@pytest.mark.parametrize("path", VECTORS, ids=[path.stem for path in VECTORS])
def test_vector(path: Path) -> None:
    case = load(path)
    assert set(case) <= KEYS, set(case) - KEYS
    assert ("expect" in case) != ("error" in case), "a vector needs exactly one expectation"
    if "error" in case:
        with pytest.raises(RequestRejected) as caught:
            _parse(case)
        rejected = caught.value
        assert rejected.code == case["error"]["code"], rejected.detail
        if "parameter" in case["error"]:
            assert rejected.parameter == case["error"]["parameter"], rejected.detail
        assert rejected.to_wire().startswith(f"ERR: {rejected.code:03d}, ")
        return
    model = _parse(case)
    dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    expected = dict(case["expect"])
    assert model.command == expected.pop("command")
    assert model.extra.masked() == expected.pop("extra", {})
    assert dumped == expected
    if model.extra and not case.get("strict"):
        # The same request checked strictly is refused, naming its first extra.
        with pytest.raises(RequestRejected) as caught:
            _parse(case, strict=True)
        assert (caught.value.code, caught.value.parameter) == (101, next(iter(model.extra)))
