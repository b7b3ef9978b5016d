"""The audit log is append-only and hash-chained; verify() finds the first broken link."""

import pytest
import sqlcipher3

from appliance.store import audit


def fill(store, n=5):
    with store.write() as db:
        for i in range(n):
            audit.record(db, "tester", "thing.done", {"i": i, "名": "值"})


def test_chain_verifies(store):
    fill(store)
    v = audit.verify(store)
    assert v.ok and v.entries == 5 and v.head == audit.head(store)


def test_update_and_delete_are_refused(store):
    fill(store, 2)
    with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
        with store.write() as db:
            db.execute("UPDATE audit SET actor = 'someone else' WHERE seq = 1")
    with pytest.raises(sqlcipher3.IntegrityError, match="append-only"):
        with store.write() as db:
            db.execute("DELETE FROM audit WHERE seq = 2")


def test_tampering_is_found_at_the_first_broken_link(store):
    fill(store, 6)
    with store.write() as db:  # someone with the key edits the file behind the triggers' back
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET detail = '{\"i\": 99}' WHERE seq = 3")
    v = audit.verify(store)
    assert not v.ok and v.broken_at == 3 and v.entries == 2


def test_removed_entry_is_found(store):
    fill(store, 4)
    with store.write() as db:
        db.execute("DROP TRIGGER audit_no_delete")
        db.execute("DELETE FROM audit WHERE seq = 2")
    v = audit.verify(store)
    assert not v.ok and v.broken_at == 3 and "missing" in v.reason
