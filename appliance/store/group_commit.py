"""Group commit (成组提交): one durable COMMIT acknowledges several writes that arrived together.

A ballot is acknowledged only after its COMMIT returns, and with `synchronous=FULL` each COMMIT
costs an fsync (on a Pi's SD card, 5-20 ms). When a whole committee votes at once, one writer
thread takes every write queued so far, runs each in its own SAVEPOINT inside one
`BEGIN IMMEDIATE` transaction (a refused ballot rolls back alone), COMMITs once, and only then
wakes every caller with its own result or error. Nobody is acknowledged before the COMMIT that
holds their row has returned, so the durability promise is unchanged; the batch simply forms
while the previous COMMIT is on disk, so a lone ballot waits for nothing.

`WriteLock` is the other half: writers of one process take turns on a Python lock before
`BEGIN IMMEDIATE`, instead of meeting SQLITE_BUSY and sleeping in SQLite's busy handler
(1, 2, 5, 10, … 100 ms steps) while the lock is long free.
"""

import queue
import threading

MAX_BATCH = 128


class _Pending:
    __slots__ = ("fn", "args", "kwargs", "done", "result", "error")

    def __init__(self, fn, args, kwargs):
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self.done = threading.Event()
        self.result = self.error = None


class GroupCommitter:
    """Runs `fn(*args)` on one writer thread, many to a transaction; `submit` returns after COMMIT."""

    def __init__(self, store, max_batch=MAX_BATCH):
        self.store = store
        self.max_batch = max_batch
        self._q = queue.SimpleQueue()
        self._thread = None
        self._start_lock = threading.Lock()
        self._stopped = False
        self.batches = 0
        self.writes = 0

    def submit(self, fn, *args, **kwargs):
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
                    self._thread.start()
        p = _Pending(fn, args, kwargs)
        self._q.put(p)
        p.done.wait()
        if p.error is not None:
            raise p.error
        return p.result

    def stop(self):
        self._stopped = True
        self._q.put(None)

    def _run(self):
        while not self._stopped:
            first = self._q.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    p = self._q.get_nowait()
                except queue.Empty:
                    break
                if p is None:
                    self._stopped = True
                    break
                batch.append(p)
            self._commit(batch)

    def _commit(self, batch):
        try:
            # store.write(): BEGIN IMMEDIATE … COMMIT (and the store's write lock, where it has one);
            # the functions' own store.write() blocks join this transaction.
            with self.store.write() as conn:
                for p in batch:
                    conn.execute("SAVEPOINT one_write")
                    try:
                        p.result = p.fn(*p.args, **p.kwargs)
                    except Exception as e:  # this write is refused; the others go on
                        p.error = e
                        if not conn.in_transaction:
                            # SQLite gave up the whole transaction (a full disk can): the batch
                            # fails with this error, not with "no such savepoint".
                            raise
                        conn.execute("ROLLBACK TO one_write")
                    conn.execute("RELEASE one_write")
            self.batches += 1
            self.writes += len(batch)
        except Exception as e:  # the COMMIT failed: nobody in this batch is acknowledged
            for p in batch:
                if p.error is None:
                    p.result, p.error = None, e
        finally:
            for p in batch:
                p.done.set()


class WriteLock:
    """A process-wide turn for write transactions (see the module docstring)."""

    def __init__(self):
        self._lock = threading.RLock()

    def __enter__(self):
        self._lock.acquire()
        return self

    def __exit__(self, *exc):
        self._lock.release()
        return False
