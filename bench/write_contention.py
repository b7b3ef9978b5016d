"""Ballots across processes: `BEGIN IMMEDIATE` contention between gunicorn workers, against the
raw durable single-row commit rate of the same run.

    .venv/bin/python bench/write_contention.py [--ballots 3000] [--threads 16] [--workers 1,2,4]

One throw-away encrypted store (the real `open_store`: WAL, synchronous=FULL, secure_delete).
Each of W forked processes opens it as a worker does and has `--threads` request threads, each
casting ballots as fast as it is acknowledged: a ballot-shaped transaction (read the poll, read
the participation row, insert participation and ballot) through `Store.write()`, so every
acknowledgement follows its own COMMIT. Variants per W:

- `turn+group`: what the appliance does: group commit per worker (GroupCommitter), and the
  writers of all processes taking turns on the flock before BEGIN IMMEDIATE;
- `busy+group`: group commit per worker, no flock: the losers meet SQLITE_BUSY and sleep in
  SQLite's busy handler;
- `turn`: the flock, but one COMMIT per ballot (no group commit).

Printed: ballots/s, ratio to raw commits/s, p99 acknowledgement, and "database is locked" errors.
"""

import argparse
import multiprocessing as mp
import os
import secrets
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.baselines import commits  # noqa: E402

SCHEMA = """
CREATE TABLE IF NOT EXISTS bench_polls (id INTEGER PRIMARY KEY, status TEXT);
CREATE TABLE IF NOT EXISTS bench_participation (poll_id INTEGER, person_id INTEGER, ballot_hash TEXT,
    PRIMARY KEY (poll_id, person_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bench_ballots (poll_id INTEGER, id TEXT, tracker TEXT, choice TEXT,
    PRIMARY KEY (poll_id, id)) WITHOUT ROWID;
"""


def _ballot(store, poll, person):
    with store.write() as db:
        db.execute("SELECT status FROM bench_polls WHERE id = ?", (poll,)).fetchone()
        db.execute("SELECT 1 FROM bench_participation WHERE poll_id = ? AND person_id = ?", (poll, person)).fetchone()
        db.execute("INSERT INTO bench_participation VALUES (?,?,?)", (poll, person, secrets.token_hex(32)))
        db.execute("INSERT INTO bench_ballots VALUES (?,?,?,?)", (poll, secrets.token_hex(16), "ABCDEFGH", "yes"))


def _worker(data_dir, key, poll, first, count, threads, variant, start, out):
    from appliance.store import open_store
    from appliance.store.group_commit import GroupCommitter

    store = open_store(data_dir, key)
    store.cross_process_turn = variant != "busy+group"
    gc = GroupCommitter(store) if variant.endswith("group") else None
    lat, errors = [], []
    people = iter(range(first, first + count))
    lock = threading.Lock()

    def run():
        while True:
            with lock:
                person = next(people, None)
            if person is None:
                return
            t = time.perf_counter()
            try:
                if gc is not None:
                    gc.submit(_ballot, store, poll, person)
                else:
                    _ballot(store, poll, person)
                lat.append(time.perf_counter() - t)
            except Exception as e:  # "database is locked" is the one this bench looks for
                errors.append(str(e))

    ts = [threading.Thread(target=run) for _ in range(threads)]
    start.wait()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((lat, errors))
    if gc is not None:
        gc.stop()
    store.close()


def measure(data_dir, key, poll, workers, ballots, threads, variant):
    ctx = mp.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    share = ballots // workers
    procs = [ctx.Process(target=_worker, args=(data_dir, key, poll, 1 + i * share, share, threads, variant, start, out))
             for i in range(workers)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # every worker has opened the store
    t0 = time.perf_counter()
    start.set()
    lat, errors = [], []
    for _ in procs:
        a, b = out.get()
        lat += a
        errors += b
    wall = time.perf_counter() - t0
    for p in procs:
        p.join()
    lat.sort()
    return {"ballots_s": len(lat) / wall, "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))] if lat else None,
            "errors": len(errors), "locked": sum("locked" in e for e in errors)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ballots", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=16)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args(argv)
    from appliance.store import open_store
    from appliance.store.keys import Argon2Params, Keyring

    root = args.dir or tempfile.mkdtemp(prefix="yishi-contention-")
    data_dir = os.path.join(root, "data")
    os.makedirs(data_dir, exist_ok=True)
    _, key = Keyring.create(data_dir, "bench contention passphrase", Argon2Params(time_cost=1, memory_cost=8 * 1024, parallelism=1))
    store = open_store(data_dir, key, create=True)
    store.conn.executescript(SCHEMA)
    store.close()
    raw = commits(os.path.join(root, "raw"))
    raw_s = raw["commits_per_s"]
    print(f"raw durable single-row commits: {raw_s:,.0f}/s (same disk, same run)")
    print(f"{'workers':>7} {'variant':>11} {'ballots/s':>10} {'× raw':>6} {'p99 ms':>7} {'errors':>6} {'locked':>6}")
    poll = 0
    for w in [int(x) for x in args.workers.split(",")]:
        for variant in ("turn+group", "busy+group", "turn"):
            poll += 1
            r = measure(data_dir, key, poll, w, args.ballots, args.threads, variant)
            print(f"{w:>7} {variant:>11} {r['ballots_s']:>10,.0f} {r['ballots_s'] / raw_s:>6.2f} "
                  f"{r['p99_ms'] or 0:>7.0f} {r['errors']:>6} {r['locked']:>6}", flush=True)
    after = commits(os.path.join(root, "raw"))["commits_per_s"]
    print(f"raw durable single-row commits again at the end: {after:,.0f}/s (the disk is shared: "
          "the spread between the two is the noise of this run)")


if __name__ == "__main__":
    main()
