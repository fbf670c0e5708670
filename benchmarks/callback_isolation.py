"""How long a callback waits while another account's receiver drips one byte at a time.

    .venv/bin/python benchmarks/callback_isolation.py

Two accounts on loopback: one whose receiver answers 200 and then drips a byte every half
second forever, one whose receiver answers at once. The slow account's callback is queued and
under way first; then the fast account's. Prints how long the fast callback took to arrive and
when the slow one was retried (its deadline is 1 s). Only loopback addresses are used.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_server_callbacks_delivery import (
    FAST,
    SLOW,
    Events,
    dripping_receiver,
    receiver,
    send,
    wait_until,
)

from clickatell_protocol.server import ReferenceServer, running


def main() -> None:
    events = Events()
    with dripping_receiver(events) as slow_url, receiver(events, "fast-received") as fast_url:
        server = ReferenceServer(callback_scale=0.0, callback_timeout=1.0)
        server.add_account(SLOW, "u", "p", 100, callback_url=slow_url)
        server.add_account(FAST, "u", "p", 100, callback_url=fast_url)
        send(server, SLOW)
        with running(server, tick_every=0.05):
            wait_until(lambda: events.count("slow-connected") >= 1)
            queued = time.monotonic()
            send(server, FAST)
            wait_until(lambda: events.count("fast-received") >= 1)
            delivered = time.monotonic()
            wait_until(lambda: events.count("slow-connected") >= 2)
            retried = time.monotonic()
    print(
        f"fast callback: {1000 * (delivered - queued):.0f} ms after it was queued; "
        f"slow callback retried {retried - queued:.2f} s after that (deadline 1 s)"
    )


if __name__ == "__main__":
    main()
