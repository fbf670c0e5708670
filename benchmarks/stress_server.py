"""Stress the reference server, kill it with SIGKILL, restart it, and check nothing was lost.

    .venv/bin/python benchmarks/stress_server.py --clients 16 --seconds 30

1. ``clickatell-protocol serve`` starts on a file database, in its own process.
2. ``--clients`` threads, each with its own :class:`Client`, send messages for ``--seconds``;
   every ``ID:`` answered is recorded.
3. The server is killed with SIGKILL while the clients are still sending.
4. It restarts on the same file; every recorded ID must be queryable, no ID may repeat, and the
   account's credits must equal the start minus the charges of the stored messages.

Prints the figures as JSON and exits 1 if anything was lost. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

from clickatell_protocol import Accepted, ApiError, Client, TransportError
from clickatell_protocol.server import Store

START_CREDITS = Decimal(10_000_000)


def _serve(database: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "clickatell_protocol",
            "serve",
            "--port",
            "0",
            "--db",
            database,
            "--account",
            f"1:stress:pw:{START_CREDITS}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http://127.0.0.1:"):
        raise RuntimeError(f"the server did not start: {url!r}")
    return process, url


def run(clients: int, seconds: float, workdir: str) -> dict[str, Any]:
    """Run the whole scenario; return the figures."""
    database = str(Path(workdir) / "stress.sqlite")
    process, url = _serve(database)
    acknowledged: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def work(worker: int) -> None:
        client = Client(api_id="1", user="stress", password="pw", base_url=url, retries=0)
        n = 0
        while not stop.is_set():
            n += 1
            try:
                result = client.send(f"4477{worker:03d}{n:05d}", f"stress {worker} {n}")
            except (TransportError, ApiError, OSError) as error:
                with lock:
                    errors.append(type(error).__name__)
                if stop.is_set():
                    return
                continue
            line = result.results[0]
            if isinstance(line, Accepted):
                with lock:
                    acknowledged.append(line.apimsgid)

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    # Killed while the clients are still sending: no chance to finish anything cleanly.
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    elapsed = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    with lock:
        ids = list(acknowledged)
        failures = list(errors)

    restarted, url = _serve(database)
    try:
        checker = Client(api_id="1", user="stress", password="pw", base_url=url)
        checker.balance()

        def queryable(apimsgid: str) -> bool:
            try:
                return checker.query(apimsgid).apimsgid == apimsgid
            except ApiError:
                return False

        with ThreadPoolExecutor(max_workers=8) as pool:
            found = sum(pool.map(queryable, ids))
        credits = checker.balance().credit
    finally:
        restarted.terminate()
        restarted.wait(timeout=10)
    store = Store(database)
    stored = store.query("SELECT apimsgid, charge FROM messages")
    store.close()
    charged = sum((Decimal(row["charge"]) for row in stored), Decimal(0))
    return {
        "clients": clients,
        "seconds": round(elapsed, 1),
        "acknowledged": len(ids),
        "requests_per_second": round(len(ids) / elapsed, 1),
        "errors": len(failures),
        "error_kinds": sorted(set(failures)),
        "stored": len(stored),
        "lost": len(ids) - found,
        "duplicate_ids": len(ids) - len(set(ids)),
        "balance_reconciles": credits == START_CREDITS - charged,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        figures = run(args.clients, args.seconds, workdir)
    print(json.dumps(figures, indent=2))
    ok = figures["lost"] == 0 and figures["duplicate_ids"] == 0 and figures["balance_reconciles"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
