"""Numbered migrations, applied in order at start-up.

Each file `migrations/NNNN_name.sql` runs once, in its own transaction, and moves
`PRAGMA user_version` to NNNN. A migration is never edited after it has landed; a change is a
new file.
"""

import re
from importlib import resources

from appliance.errors import StoreError

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def available():
    found = []
    for entry in resources.files("appliance.store").joinpath("migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (number, name, _) in enumerate(found, start=1):
        if number != expected:
            raise StoreError(f"appliance/store/migrations/{name}: expected number {expected:04d}")
    return found


def apply(store, upto=None):
    conn = store.conn
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    steps = available()
    latest = steps[-1][0] if steps else 0
    if current > latest:
        raise StoreError(
            f"{store.path}: the store is at migration {current}, newer than this software "
            f"({latest}); install the newer Yishi version"
        )
    for number, name, sql in steps:
        if number <= current or (upto is not None and number > upto):
            continue
        # executescript would COMMIT on its own; run the statements inside one transaction.
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except Exception as e:
            if conn.in_transaction:  # a failed COMMIT (full disk) can leave it open
                conn.execute("ROLLBACK")
            raise StoreError(f"{store.path}: migration {name} failed ({e}); nothing of it was applied") from e
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _statements(sql):
    """Split a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    import sqlite3

    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        if not buf and (not line.strip() or line.strip().startswith("--")):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out
