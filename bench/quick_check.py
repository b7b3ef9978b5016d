"""What `PRAGMA quick_check` costs on a 1 GB store, against reading the same file.

    .venv/bin/python bench/quick_check.py [--mb 1024] [--dir DIR] [--keep]

Builds a throw-away SQLCipher store (real key form, real migrations) of about --mb megabytes:
documents as 256 KB chunks (as appliance/documents/library.py stores them) and, beside them,
audit entries and archive rows with their FTS5 indexes, so the check walks both overflow chains
and index b-trees. Then, in this one process, times

- a plain sequential read of yishi.db (1 MB reads): the floor for anything that looks at every page;
- `PRAGMA quick_check` on a fresh connection (decrypts and checks every page);
- `PRAGMA integrity_check` (also checks that every index matches its table), for comparison;

each with the file's pages first dropped from the OS page cache (posix_fadvise DONTNEED, this
file only: "cold", as after a boot) and again with them cached ("warm"). Figures are seconds
and ratios to the plain read of the same temperature.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from appliance.store import db as store_db  # noqa: E402
from appliance.store import open_store  # noqa: E402

CHUNK = 256 * 1024


def build(data_dir, mb):
    """A store of about `mb` MB; returns (key, seconds to build)."""
    key = os.urandom(32)
    t0 = time.perf_counter()
    store = open_store(data_dir, key, create=True)
    now = time.time()
    with store.write() as db:
        pid = db.execute("INSERT INTO people (name, created_at) VALUES ('办公室', ?)", (now,)).lastrowid
    target = mb * 1024 * 1024
    blob_share = int(target * 0.95)  # the rest: rows and indexes
    doc = 0
    while _size(store) < blob_share:
        with store.write() as db:
            for _ in range(8):  # 8 documents of 4 chunks (1 MB) per transaction
                doc += 1
                d = db.execute("INSERT INTO documents (title, created_by, created_at) VALUES (?,?,?)",
                               (f"第{doc}号文件", pid, now)).lastrowid
                v = db.execute("INSERT INTO document_versions (document_id, version, filename, mime, size, sha256, "
                               "pages, text, created_by, created_at) VALUES (?,1,'a.pdf','application/pdf',?,?,1,?,?,?)",
                               (d, 4 * CHUNK, os.urandom(32).hex(), "预算审查报告" * 40, pid, now)).lastrowid
                db.executemany("INSERT INTO document_chunks (version_id, seq, data) VALUES (?,?,?)",
                               ((v, i, os.urandom(CHUNK)) for i in range(4)))
                db.execute("UPDATE documents SET current_version = ? WHERE id = ?", (v, d))
    from appliance.store import audit

    while _size(store) < target:
        with store.write() as db:
            for i in range(500):
                audit.record(db, pid, "document.read", {"document": i, "note": "阅读" * 20}, now)
                db.execute("INSERT INTO archive_fts (title, number, body) VALUES (?,?,?)",
                           (f"关于{i}号议案的办理情况", f"常委〔2026〕{i}号", "人大常委会监督预算执行情况的报告" * 8))
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return key, time.perf_counter() - t0


def _size(store):
    return int(store.scalar("PRAGMA page_count")) * int(store.scalar("PRAGMA page_size"))


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def plain_read(path):
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while f.read(1024 * 1024):
            pass
    return time.perf_counter() - t0


def pragma(path, key, which):
    t0 = time.perf_counter()
    conn = store_db._connect(path, key)
    try:
        rows = [r[0] for r in conn.execute(f"PRAGMA {which}")]
    finally:
        conn.close()
    return time.perf_counter() - t0, rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=1024)
    ap.add_argument("--dir", help="where to build the store (default: a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep the store afterwards")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    base = args.dir or tempfile.mkdtemp(prefix="yishi-qc-")
    data_dir = os.path.join(base, "data")
    os.makedirs(data_dir, exist_ok=True)
    try:
        key, build_s = build(data_dir, args.mb)
        path = os.path.join(data_dir, store_db.DB_FILE)
        size = os.path.getsize(path)
        print(f"store: {path}, {size / 2**20:.0f} MiB, built in {build_s:.1f} s", flush=True)
        figures = {"bytes": size}
        for temp in ("cold", "warm"):
            row = {}
            for name in ("read", "quick_check", "integrity_check"):
                if temp == "cold":
                    drop_cache(path)
                else:
                    plain_read(path)  # make sure every page is cached
                if name == "read":
                    row[name] = plain_read(path)
                else:
                    row[name], result = pragma(path, key, name)
                    assert result == ["ok"], result
            figures[temp] = row
            print(f"{temp}: plain read {row['read']:.2f} s ({size / 2**20 / row['read']:.0f} MiB/s); "
                  f"quick_check {row['quick_check']:.2f} s = {row['quick_check'] / row['read']:.1f} x the read; "
                  f"integrity_check {row['integrity_check']:.2f} s = {row['integrity_check'] / row['read']:.1f} x",
                  flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=1)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
