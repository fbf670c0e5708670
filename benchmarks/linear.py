"""Time per byte of each body kind across sizes, from a pytest-benchmark JSON file.

    .venv/bin/python -m pytest benchmarks/test_bench_linear.py --benchmark-enable \
        --benchmark-json=linear.json
    .venv/bin/python benchmarks/linear.py linear.json
"""

from __future__ import annotations

import itertools
import json
import re
import sys
from collections import defaultdict


def main(path: str) -> int:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    per_kind: dict[str, dict[str, float]] = defaultdict(dict)
    seconds: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    for bench in data["benchmarks"]:
        match = re.search(r"\[(.+?)-(\w+)\]$", bench["name"])
        if match is None or "bytes" not in bench["extra_info"]:
            continue
        kind, size = match.groups()
        name = bench["name"].split("[")[0].replace("test_", "").replace("_scales_linearly", "")
        median, size_bytes = bench["stats"]["median"], bench["extra_info"]["bytes"]
        per_kind[f"{name} {kind}"][size] = median / size_bytes
        seconds[f"{name} {kind}"][size] = (median, size_bytes)
    status = 0
    for kind, sizes in sorted(per_kind.items()):
        cells = ", ".join(f"{size} {ns * 1e9:.1f} ns/B" for size, ns in sizes.items())
        spread = max(sizes.values()) / min(sizes.values())
        # The marginal cost of each extra byte, between consecutive sizes: flat if linear,
        # whatever fixed cost each call has.
        points = sorted(seconds[kind].values(), key=lambda pair: pair[1])
        slopes = [(t2 - t1) / (b2 - b1) for (t1, b1), (t2, b2) in itertools.pairwise(points)]
        marginal = ", ".join(f"{slope * 1e9:.1f}" for slope in slopes)
        slope_spread = max(slopes) / min(slopes) if min(slopes) > 0 else float("inf")
        print(
            f"{kind}: {cells}; spread {spread:.2f}x; marginal ns/B {marginal} "
            f"(spread {slope_spread:.2f}x)"
        )
        status |= min(spread, slope_spread) > 2.0
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
