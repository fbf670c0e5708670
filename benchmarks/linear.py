"""Time per byte of each body kind across sizes, from a pytest-benchmark JSON file.

    .venv/bin/python -m pytest benchmarks/test_bench_linear.py --benchmark-enable \
        --benchmark-json=linear.json
    .venv/bin/python benchmarks/linear.py linear.json

For each kind and each size (1 KB, 100 KB and 10 MB for responses; up to 1 MB for requests,
which are refused above 1 MiB) it prints:

- the raw time per byte (time / size), where a time is the fastest round: the one least
  disturbed by the machine's other work, which matters for the microsecond calls;
- the time per byte beyond the fixed cost of a call: (time - time of the kind's smallest body) /
  (size - size of that body), both measured in the same run. A call costs a fixed amount (the
  function calls, and for a refused body the building of its error) plus an amount per byte
  read; this figure is the second, and it is flat across sizes exactly when parsing is linear.

It exits 1 unless, for every kind, the time per byte beyond the fixed cost is flat within 2x
across the three sizes and the raw time per byte never grows more than 2x from one size to the
next (growth is what quadratic behaviour would show; a body refused at its first bytes may get
cheaper per byte as it grows, because the parser stops reading it).
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
    measured: dict[str, dict[str, tuple[float, int]]] = defaultdict(dict)
    for bench in data["benchmarks"]:
        match = re.search(r"\[(.+?)-(\w+)\]$", bench["name"])
        if match is None or "bytes" not in bench["extra_info"]:
            continue
        kind, size = match.groups()
        name = bench["name"].split("[")[0].replace("test_", "").replace("_scales_linearly", "")
        measured[f"{name} {kind}"][size] = (bench["stats"]["min"], bench["extra_info"]["bytes"])
    status = 0
    print("kind: raw ns/B by size | ns/B beyond the fixed cost | fixed cost")
    for kind, sizes in sorted(measured.items()):
        order = sorted((size for size in sizes if size != "min"), key=lambda s: sizes[s][1])
        if "min" not in sizes or len(order) < 2:
            print(f"{kind}: incomplete ({', '.join(sorted(sizes))})")
            status = 1
            continue
        fixed, fixed_bytes = sizes["min"]
        raw = [sizes[size][0] / sizes[size][1] for size in order]
        beyond = [(sizes[size][0] - fixed) / (sizes[size][1] - fixed_bytes) for size in order]
        spread = max(beyond) / min(beyond) if min(beyond) > 0 else float("inf")
        growth = max(later / earlier for earlier, later in itertools.pairwise(raw))
        ok = spread <= 2.0 and growth <= 2.0
        status |= not ok
        print(
            f"{kind} ({', '.join(order)}): {' '.join(f'{ns * 1e9:.1f}' for ns in raw)} | "
            f"{' '.join(f'{ns * 1e9:.1f}' for ns in beyond)} (spread {spread:.2f}x) | "
            f"{fixed * 1e6:.1f} us; raw growth at most {growth:.2f}x {'ok' if ok else 'FAIL'}"
        )
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
