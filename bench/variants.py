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


VARIANTS = {"writelock": writelock, "groupcommit": groupcommit}


def main(argv):
    names, rest = argv[0], argv[argv.index("--") + 1:]
    for name in filter(None, names.split(",")):
        VARIANTS[name]()
    from appliance.cli import main as cli_main

    return cli_main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
