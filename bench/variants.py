"""`yishi serve` with a proposed change applied in-process, to measure a proposal before it lands.

    python -m bench.variants writelock,groupcommit -- serve --data DIR ...

Each variant is the run-time form of a patch in bench/proposals/ (same code, applied by
monkeypatching before gunicorn forks its worker), so `bench.run --variant` compares the
production server with the proposed one on the same machine in the same run.
"""

import contextlib
import sys
import time


def writelock():
    """bench/proposals/store-write-lock.patch: writers take turns on a lock before BEGIN IMMEDIATE."""
    from appliance.store import db
    from appliance.store.group_commit import WriteLock

    lock = WriteLock()
    db.WRITE_LOCK = lock

    @contextlib.contextmanager
    def write(self):
        c = self.conn
        if c.in_transaction:
            yield c
            return
        with lock:
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            else:
                c.execute("COMMIT")

    db.Store.write = write


def groupcommit():
    """bench/proposals/ballot-group-commit.patch: ballots go through one writer, many per COMMIT."""
    from appliance.meetings import polls
    from appliance.store.group_commit import GroupCommitter

    cast = polls.cast
    committers = {}

    def grouped_cast(store, person, poll_id, choice, ballot_id, tracker=None, now=None):
        now = time.time() if now is None else now  # judged on arrival, not when the batch runs
        gc = committers.get(id(store))
        if gc is None:
            gc = committers.setdefault(id(store), GroupCommitter(store))
        return gc.submit(cast, store, person, poll_id, choice, ballot_id, tracker, now)

    polls.cast = grouped_cast


def argon2slots():
    """bench/proposals/argon2-slots.patch: at most one Argon2 hash per CPU at a time (16 MiB each)."""
    import os
    import threading

    from appliance.devices import secrets_

    slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
    verify = secrets_.verify_secret

    def bounded_verify(stored, given):
        with slots:
            return verify(stored, given)

    secrets_.verify_secret = bounded_verify


def coalesce():
    """bench/proposals/attendance-coalesce.patch: at most one attendance event per meeting per 250 ms."""
    from flask import current_app

    from appliance.meetings import core, notify
    from appliance.meetings.attendance_push import pusher

    def attendance(store, meeting_id):
        data = core.attendance(store, meeting_id).to_json()
        pusher(current_app, store).changed(meeting_id, data)
        return data

    notify.attendance = attendance


def tlscache():
    """bench/proposals/tls-context-once.patch: one SSLContext for the server, not one per connection."""
    from appliance import serve

    options = serve.gunicorn_options

    def gunicorn_options(*args, **kwargs):
        opts = options(*args, **kwargs)
        if "certfile" in opts:
            opts["ssl_context"] = _cached_ssl_context
        return opts

    serve.gunicorn_options = gunicorn_options


_CTX = []


def _cached_ssl_context(config, default_ssl_context_factory):
    # gunicorn calls this for every accepted connection; building a context loads the system CA
    # store and the key each time (~1 ms here, several on a Pi) and defeats TLS session reuse.
    if not _CTX:
        _CTX.append(default_ssl_context_factory())
    return _CTX[0]


VARIANTS = {"writelock": writelock, "groupcommit": groupcommit, "argon2slots": argon2slots, "coalesce": coalesce,
            "tlscache": tlscache}


def main(argv):
    names, rest = argv[0], argv[argv.index("--") + 1:]
    for name in filter(None, names.split(",")):
        if name != "malloc":  # an environment setting, applied by bench.run.Server
            VARIANTS[name]()
    from appliance.cli import main as cli_main

    return cli_main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
