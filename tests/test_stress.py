"""The stress scenario of benchmarks/stress_server.py, shortened: concurrent clients, SIGKILL,
restart on the same file; nothing acknowledged may be lost."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import stress_server


def test_kill_and_restart_loses_nothing(tmp_path: Path) -> None:
    figures = stress_server.run(clients=8, seconds=3.0, workdir=str(tmp_path))
    assert figures["acknowledged"] > 100
    assert figures["lost"] == 0
    assert figures["duplicate_ids"] == 0
    assert figures["balance_reconciles"] is True
