"""What a ballot sheet costs: 满意度测评, 任免 and election ballots against a motion's, per ballot
and at the close, in one throw-away encrypted store, with the raw durable single-row commit rate
of the same run as the baseline.

    .venv/bin/python bench/sheet_ballots.py [--members 35] [--polls 6]

Each kind: `--polls` polls on a committee of `--members`, every member casting one ballot through
polls.cast (the real path: checks, participation row, ballot row, one COMMIT each, in sequence),
then polls.close (count, rewrite in key order, WAL truncated). Figures: ballots/s, the ratio to a
motion's and to raw commits/s, and the median close in ms.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from appliance.devices import people  # noqa: E402
from appliance.meetings import core, polls, sheets  # noqa: E402
from appliance.store import open_store  # noqa: E402
from bench.baselines import commits  # noqa: E402


def ballot_id(n):
    return f"{n:032x}"


def tracker(n):
    return "".join("23456789ABCDEFGH"[(n >> (4 * i)) & 15] for i in range(8))


def marks_for(kind, poll, n, lines):
    if kind == "motion":
        return {"choice": ("yes", "no", "abstain")[n % 3]}
    if kind == "assessment":
        return {"choice": ("satisfied", "basically", "unsatisfied")[n % 3]}
    keys = [str(x["id"]) for x in lines]
    if kind == "appointment":
        return {"marks": {k: ("yes", "no", "abstain")[(n + i) % 3] for i, k in enumerate(keys)}}
    return {"marks": {keys[n % 3]: "yes", keys[(n + 1) % 3]: "yes", keys[(n + 2) % 3]: "no"}}  # 2 seats, 3 candidates


def run(store, mid, members, kind, n_polls, serial):
    cast_s, close_ms = 0.0, []
    for _ in range(n_polls):
        item = core.add_item(store, None, mid, f"{kind} 议题", "appointment" if kind == "appointment" else "other")
        extra = {}
        if kind == "appointment":
            extra = {"lines": [{"name": "甲", "post": f"岗位{item}", "action": "appoint"}, {"name": "乙", "post": f"职务{item}", "action": "appoint"}]}
        elif kind == "election":
            extra = {"seats": 2, "lines": [{"name": n} for n in ("甲", "乙", "丙")]}
        pid = polls.create(store, None, item, None, "secret", "majority", kind=kind, **extra) if kind != "motion" else \
            polls.create(store, None, item)
        polls.open_(store, None, pid)
        lines = sheets.lines(store, pid) if kind in ("appointment", "election") else []
        t0 = time.perf_counter()
        for m in members:
            serial += 1
            body = marks_for(kind, pid, serial, lines)
            polls.cast(store, m, pid, body.get("choice"), ballot_id(serial), tracker(serial), marks=body.get("marks"))
        cast_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        polls.close(store, None, pid)
        close_ms.append((time.perf_counter() - t0) * 1000)
    return len(members) * n_polls / cast_s, statistics.median(close_ms), serial


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=35)
    ap.add_argument("--polls", type=int, default=6)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        raw = commits(os.path.join(d, "raw"), seconds=3.0)["commits_per_s"]
        store = open_store(d, os.urandom(32), create=True)
        members = [people.create(store, None, f"委员{n:02d}", ["member"], seat=n) for n in range(1, args.members + 1)]
        mid = core.create(store, None, "standing", "基准测试会议", time.time())
        core.open_signin(store, None, mid)
        for m in members:
            core.sign_in(store, m.id, mid)
        serial, rows = 0, {}
        for kind in ("motion", "assessment", "appointment", "election"):
            rate, close, serial = run(store, mid, members, kind, args.polls, serial)
            rows[kind] = (rate, close)
        store.close()
    print(f"raw durable single-row commits: {raw:.0f}/s  ({args.members} members, {args.polls} polls per kind)")
    print(f"{'kind':<12}{'ballots/s':>10}{'× motion':>10}{'× raw':>8}{'close ms':>10}")
    for kind, (rate, close) in rows.items():
        print(f"{kind:<12}{rate:>10.0f}{rate / rows['motion'][0]:>10.2f}{rate / raw:>8.2f}{close:>10.1f}")


if __name__ == "__main__":
    main()
