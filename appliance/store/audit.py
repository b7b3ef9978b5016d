"""The append-only, hash-chained audit log.

Each entry's hash covers its sequence number, time, actor, action, detail and the hash of the
entry before, so changing or removing any entry breaks every link after it. Triggers refuse
UPDATE and DELETE; `verify()` finds the first broken link if someone edits the file anyway.
Ballot choices never go in here (see appliance/rules/ballots.py).
"""

import hashlib
import json
import time
from dataclasses import dataclass

GENESIS = "0" * 64


def _digest(seq, at, actor, action, detail, prev_hash):
    body = json.dumps([seq, repr(float(at)), actor, action, detail, prev_hash], ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(db, actor, action, detail=None, now=None):
    """Append one entry inside the caller's write transaction (`db` is a connection in one)."""
    assert db.in_transaction, "audit.record must run inside store.write()"
    at = time.time() if now is None else now
    detail_text = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
    row = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
    h = _digest(seq, at, str(actor), action, detail_text, prev)
    db.execute(
        "INSERT INTO audit (seq, at, actor, action, detail, prev_hash, hash) VALUES (?,?,?,?,?,?,?)",
        (seq, at, str(actor), action, detail_text, prev, h),
    )
    return h


@dataclass
class Verdict:
    ok: bool
    entries: int
    head: str
    broken_at: int | None = None
    reason: str = ""


def verify(store):
    prev = GENESIS
    n = 0
    expected_seq = 1
    for seq, at, actor, action, detail, prev_hash, h in store.execute(
        "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit ORDER BY seq"
    ):
        if seq != expected_seq:
            return Verdict(False, n, prev, seq, f"entry {expected_seq} is missing")
        if prev_hash != prev:
            return Verdict(False, n, prev, seq, "does not point at the entry before it")
        if _digest(seq, at, actor, action, detail, prev_hash) != h:
            return Verdict(False, n, prev, seq, "its content does not match its hash")
        prev = h
        n += 1
        expected_seq += 1
    return Verdict(True, n, prev)


def head(store):
    return store.scalar("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1") or GENESIS


def recent(store, limit=100):
    return store.all("SELECT * FROM audit ORDER BY seq DESC LIMIT ?", (limit,))
