"""Print the response-parsing ratios from a pytest-benchmark JSON file (medians, one run).

.venv/bin/python -m pytest benchmarks --benchmark-enable --benchmark-json=bench.json
.venv/bin/python benchmarks/ratios.py bench.json
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    median = {bench["name"]: bench["stats"]["median"] for bench in data["benchmarks"]}
    rows = [
        ("1000 lines: ours / peer", "test_ours_1000_lines", "test_peer_1000_lines", 0.7),
        ("one line: ours / peer", "test_ours_one_line", "test_peer_one_line", 0.7),
        (
            "1000 lines: ours / bare finditer reading groups",
            "test_ours_1000_lines",
            "test_bare_regex_finditer_groups_1000_lines",
            2.0,
        ),
        (
            "1000 lines: ours / bare finditer, match objects only",
            "test_ours_1000_lines",
            "test_bare_regex_finditer_1000_lines",
            None,
        ),
        (
            "1000 lines: Lark alone / ours",
            "test_lark_parser_alone_1000_lines",
            "test_ours_1000_lines",
            None,
        ),
        (
            "459-character text: walking the characters (one escape pair) / no pair",
            "test_count_parts_with_one_pair",
            "test_count_parts_without_pairs",
            None,
        ),
        (
            "1 MB, bad last line: Lark reading the whole body / ours",
            "test_lark_whole_late_error_1mb",
            "test_ours_late_error_1mb",
            None,
        ),
    ]
    status = 0
    for label, ours, theirs, target in rows:
        if ours not in median or theirs not in median:
            print(f"{label}: not measured")
            continue
        ratio = median[ours] / median[theirs]
        verdict = ""
        if target is not None:
            verdict = f" (target <= {target:.1f}: {'met' if ratio <= target else 'MISSED'})"
        if target is not None and ratio > target:
            status = 1
        print(f"{label}: {ratio:.2f}x{verdict}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
