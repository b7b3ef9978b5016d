"""Search text that follows the upload (全文检索文本): one job per PDF version, in the store.

An upload answers once the safe bytes are stored; pdftotext, which can take many seconds, runs
later on a worker thread that every web process starts when its store is unlocked. A job is a
row (migration 0006) claimed in a write transaction with a lease, so several gunicorn workers
share one queue, and a job whose process died is taken over when its lease runs out. An area
that indexes the text elsewhere (the archive) registers `on_text` and hears when it arrives.
"""

import logging
import os
import threading
import time
import weakref

from appliance.documents import files

log = logging.getLogger("yishi.documents")

LEASE = files.TEXT_LIMITS.wall + 60  # a claim older than this belongs to a process that died
POLL = 5.0  # seconds between looks at the queue (for jobs another process queued)
MAX_ATTEMPTS = 2  # claims of one job; a job that twice outlived its worker is given up

_listeners = []
_workers = weakref.WeakKeyDictionary()  # store -> this process's Worker
_finished = threading.Condition()


def on_text(callback):
    """Call `callback(db, document_id, version_id, text)` when a version's text is stored, inside
    that write transaction (so an index updated there is never out of step with the text)."""
    _listeners.append(callback)
    return callback


def enqueue(db, version_id, now=None):
    db.execute("INSERT INTO document_text_jobs (version_id, queued_at) VALUES (?, ?)",
               (version_id, time.time() if now is None else now))


def state(store, version_id):
    """'ready', 'pending' or 'failed' (the text could not be read, or only in part)."""
    row = store.one("SELECT state FROM document_text_jobs WHERE version_id = ?", (version_id,))
    return "ready" if row is None else "pending" if row[0] == "queued" else "failed"


def wait(store, version_id, timeout):
    """True once the version's job is no longer pending, False if `timeout` seconds pass first."""
    deadline = time.monotonic() + timeout
    while state(store, version_id) == "pending":
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        with _finished:  # woken by this process's worker; the slice covers the others'
            _finished.wait(min(left, 0.25))
    return True


def claim(store, now=None):
    """The id of the version this caller now works on, or None when nothing waits."""
    now = time.time() if now is None else now
    with store.write() as db:
        while True:
            # A claim "from the future" means the clock was set back: treat it as expired.
            row = db.execute(
                "SELECT version_id, attempts FROM document_text_jobs WHERE state = 'queued' "
                "AND (claimed_at IS NULL OR claimed_at < ? OR claimed_at > ?) ORDER BY queued_at LIMIT 1",
                (now - LEASE, now + 60),
            ).fetchone()
            if row is None:
                return None
            if row["attempts"] >= MAX_ATTEMPTS:
                db.execute("UPDATE document_text_jobs SET state = 'failed', error = 'worker_lost' WHERE version_id = ?",
                           (row["version_id"],))
                log.warning("text of document version %s given up: its worker stopped %d times",
                            row["version_id"], row["attempts"])
                continue
            db.execute("UPDATE document_text_jobs SET claimed_at = ?, attempts = attempts + 1 WHERE version_id = ?",
                       (now, row["version_id"]))
            return row["version_id"]


def run_one(store, alive=lambda: True):
    """Extract the text of one queued version. False when the queue was empty."""
    version_id = claim(store)
    if version_id is None:
        return False
    data = b"".join(bytes(r[0]) for r in store.all(
        "SELECT data FROM document_chunks WHERE version_id = ? ORDER BY seq", (version_id,)))
    started = time.monotonic()
    text, problem = files.extract_text(data) if data else ("", "unreadable")
    if not alive():
        return False
    with store.write() as db:
        doc = db.execute("SELECT document_id FROM document_versions WHERE id = ?", (version_id,)).fetchone()
        if doc is None:  # deleted meanwhile (the job went with it)
            return True
        db.execute("UPDATE document_versions SET text = ? WHERE id = ?", (text, version_id))
        if problem in (None, "truncated"):
            db.execute("DELETE FROM document_text_jobs WHERE version_id = ?", (version_id,))
        else:
            db.execute("UPDATE document_text_jobs SET state = 'failed', error = ? WHERE version_id = ?",
                       (problem, version_id))
        for callback in _listeners:
            callback(db, doc[0], version_id, text)
    if problem:
        log.warning("text of document version %s: %s after %.1f s (%d characters kept)",
                    version_id, problem, time.monotonic() - started, len(text))
    with _finished:
        _finished.notify_all()
    return True


def run_pending(store):
    """Work the queue empty in the calling thread (tools, tests); returns how many jobs ran."""
    n = 0
    while run_one(store):
        n += 1
    return n


class Worker(threading.Thread):
    """This process's text worker: one job at a time, so one pdftotext per process at most."""

    def __init__(self, store, alive):
        super().__init__(name="document-text", daemon=True)
        self.store, self.alive, self.pid = store, alive, os.getpid()
        self._wake = threading.Event()

    def kick(self):
        self._wake.set()

    def run(self):
        while self.alive():
            try:
                worked = run_one(self.store, self.alive)
            except Exception:  # a bad job must not stop the worker; it is retried after its lease
                log.exception("text extraction failed")
                worked = False
            if not worked:
                self._wake.wait(POLL)
                self._wake.clear()
        if _workers.get(self.store) is self:
            del _workers[self.store]


def _worker(store):
    w = _workers.get(store)
    return w if w is not None and w.pid == os.getpid() and w.is_alive() else None


def start(store, alive=lambda: True):
    """Start this process's worker for `store` (once); it stops when `alive()` turns false."""
    w = _worker(store)
    if w is None:
        w = _workers[store] = Worker(store, alive)
        w.start()
    return w


def kick(store):
    """Tell this process's worker that a job is queued. False when no worker runs here."""
    w = _worker(store)
    if w is not None:
        w.kick()
    return w is not None
