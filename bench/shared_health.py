"""What the shared health record (appliance/store/db.py `Health`, `yishi.db-health`) costs a
COMMIT: every `Store.write()` reads it once (an flock and a 4 KiB pread) to clear a full disk.

    .venv/bin/python bench/shared_health.py [--commits 1000] [--rounds 9]   (BENCH_DIR=/dev/shm: no disk noise)

One throw-away encrypted store (the real `open_store`: WAL, synchronous=FULL). Single-row
durable commits through `Store.write()`, alternating rounds with the shared record and with
the record kept in the process (the old way), so both meet the same disk in the same run.
Printed: commits/s of each (median) and their ratio; the cost of the per-COMMIT check alone as a
fraction of one commit of the same run; the cost of a full read (what a page's notice does).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from appliance.store import db as store_db  # noqa: E402
from appliance.store.keys import Argon2Params, Keyring  # noqa: E402


def commits_per_second(store, n):
    t0 = time.perf_counter()
    for i in range(n):
        with store.write() as c:
            c.execute("INSERT INTO bench_rows (v) VALUES (?)", (i,))
    return n / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=9)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        _, key = Keyring.create(d, "bench passphrase", Argon2Params(time_cost=1, memory_cost=8 * 1024, parallelism=1))
        store = store_db.open_store(d, key, create=True)
        store.conn.execute("CREATE TABLE bench_rows (id INTEGER PRIMARY KEY, v INTEGER)")
        shared_health = store.health
        local_health = store_db.Health(store.path, shared=False)
        results = {"shared": [], "per process": []}
        for _ in range(args.rounds):
            for name, h in (("shared", shared_health), ("per process", local_health)):
                store.health = h
                results[name].append(commits_per_second(store, args.commits))
        store.health = shared_health
        t0 = time.perf_counter()
        for _ in range(20000):
            shared_health.wrote()
        wrote_us = (time.perf_counter() - t0) / 20000 * 1e6
        t0 = time.perf_counter()
        for _ in range(20000):
            shared_health.state()
        read_us = (time.perf_counter() - t0) / 20000 * 1e6
        commit_us = 1e6 / commits_per_second(store, args.commits)
        store.close()
    med = {k: statistics.median(v) for k, v in results.items()}
    for k, v in results.items():
        print(f"{k:12s} commits/s: " + ", ".join(f"{x:,.0f}" for x in v) + f"  (median {med[k]:,.0f})")
    print(f"shared / per process (median of {args.rounds}): {med['shared'] / med['per process']:.3f}")
    print(f"the check on every COMMIT (16-byte pread): {wrote_us:.2f} us = {wrote_us / commit_us:.4f} of one commit ({commit_us:.0f} us)")
    print(f"a full read (flock + pread + JSON, per page with a notice check): {read_us:.1f} us")


if __name__ == "__main__":
    main()
