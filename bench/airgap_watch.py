"""How soon the air-gap watchdog sees a rogue DHCP server, against its probe interval.

    .venv/bin/python -m bench.airgap_watch [--trials 5] [--interval 10]   (as root: network namespaces)

Each trial builds a fresh meeting LAN of network namespaces (tests/network/lan.py), starts the
watchdog with the production interval, waits a random part of a round, plugs in a rogue dnsmasq
with a gateway, and times until the state file names it. Reported as a ratio to the interval
(the baseline: a probe goes out once per interval, so the expected worst case is one interval
plus the rogue's start), with the issue's 30 s bound beside it. The app then needs at most one
follow period (appliance/network/alerts.py, 3 s) and one event to show the banner.
"""

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from tests.network.lan import Lan, wait_for


def seen(state):
    try:
        return any(f["kind"] == "gateway" for f in json.loads(state.read_text())["findings"])
    except (FileNotFoundError, ValueError):
        return False


def trial(n, interval):
    with tempfile.TemporaryDirectory() as tmp, Lan(tag=f"b{n}") as lan:
        state = Path(tmp) / "state.json"
        lan.watchdog(state, interval=interval, forget=6 * interval)
        wait_for(state.exists, 30)
        time.sleep(random.uniform(0, interval))
        start = time.monotonic()
        lan.dnsmasq(lan.other, tmp, "interface=rogue0", "bind-interfaces", "port=0",
                    "dhcp-range=10.42.0.100,10.42.0.150,1h", "dhcp-option=option:router,10.42.0.99")
        ok = wait_for(lambda: seen(state), 60, step=0.1)
        return time.monotonic() - start if ok else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--interval", type=float, default=10.0)
    args = ap.parse_args()
    times = [trial(i, args.interval) for i in range(args.trials)]
    missed = times.count(None)
    got = [t for t in times if t is not None]
    print(f"interval {args.interval:.0f} s, {len(got)}/{args.trials} seen, missed {missed}")
    print("seconds: " + " ".join(f"{t:.1f}" for t in got))
    print(f"median {statistics.median(got):.1f} s = {statistics.median(got) / args.interval:.2f} x interval; "
          f"max {max(got):.1f} s = {max(got) / args.interval:.2f} x interval; bound 30 s = {30 / args.interval:.1f} x interval")


if __name__ == "__main__":
    main()
