"""Ballot secrecy: with full read access to the decrypted store, nothing ties a ballot to a voter.

What is checked: no column of the ballot table names a person or a time; the order in which
rows come back (and are stored: WITHOUT ROWID, random keys, rewritten at close) is independent
of the order of casting, over many polls; no audit entry and no server log line holds a choice.
"""

import math
import random

import pytest

from appliance.demo import populate
from appliance.devices import people
from appliance.meetings import core, polls
from tests.conftest import make_store


@pytest.fixture
def committee(tmp_path):
    st, _ = make_store(str(tmp_path / "d"))
    populate(st)
    members = people.everyone(st, role="member")
    mid = core.create(st, None, "standing", "保密测试", 0)
    core.open_signin(st, None, mid)
    for m in members:
        core.sign_in(st, m.id, mid)
    item = core.add_item(st, None, mid, "议题", "bill")
    yield st, members, item
    st.close()


def tracker(rng):
    return "".join(rng.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))


def run_poll(st, members, item, rng):
    pid = polls.create(st, None, item)
    polls.open_(st, None, pid)
    order = members[:]
    rng.shuffle(order)
    cast = []
    for m in order:
        t = tracker(rng)
        polls.cast(st, m, pid, rng.choice(("yes", "no", "abstain")), "%032x" % rng.getrandbits(128), t)
        cast.append(t)
    polls.close(st, None, pid)
    return pid, cast


def test_ballot_columns_name_no_one_and_no_time(committee):
    st, _, _ = committee
    cols = [r[1] for r in st.all("PRAGMA table_info(ballots)")]
    assert cols == ["poll_id", "id", "tracker", "choice"]
    assert st.scalar("SELECT sql FROM sqlite_master WHERE name = 'ballots'").rstrip().endswith("WITHOUT ROWID")
    # And the participation side holds nothing that appears on the ballot side.
    pcols = [r[1] for r in st.all("PRAGMA table_info(poll_participation)")]
    assert pcols == ["poll_id", "person_id", "ballot_hash"]


def spearman(xs, ys):
    n = len(xs)
    rank = {v: i for i, v in enumerate(sorted(ys))}
    d2 = sum((x - rank[y]) ** 2 for x, y in zip(xs, ys))
    return 1 - 6 * d2 / (n * (n * n - 1))


def test_row_order_is_independent_of_casting_order(committee):
    """Over 60 polls of 15 voters, the mean rank correlation between the position in which a
    ballot was cast and the position at which its row is stored is indistinguishable from 0.
    (Were rows kept in casting order, as a rowid table does, the mean would be 1.)"""
    st, members, item = committee
    rng = random.Random(20261128)
    rhos = []
    for _ in range(60):
        pid, cast = run_poll(st, members, item, rng)
        stored = [r[0] for r in st.all("SELECT tracker FROM ballots WHERE poll_id = ?", (pid,))]
        position = {t: i for i, t in enumerate(stored)}
        rhos.append(spearman(list(range(len(cast))), [position[t] for t in cast]))
    mean = sum(rhos) / len(rhos)
    # Under independence rho has variance 1/(n-1) = 1/14; the mean of 60 has sd ~ 0.0345.
    assert abs(mean) < 4 * math.sqrt(1 / 14 / 60), mean


def test_a_rowid_table_would_fail_this_test(committee):
    """The test above can fail: the same statistic on insertion-ordered rows is ~1."""
    st, members, item = committee
    rng = random.Random(1)
    _, cast = run_poll(st, members, item, rng)
    with st.write() as db:
        db.execute("CREATE TEMP TABLE leaky (tracker TEXT)")
        db.executemany("INSERT INTO leaky VALUES (?)", [(t,) for t in cast])
    stored = [r[0] for r in st.all("SELECT tracker FROM leaky")]
    position = {t: i for i, t in enumerate(stored)}
    assert spearman(list(range(len(cast))), [position[t] for t in cast]) > 0.99


def test_no_audit_entry_holds_a_choice_or_tracker(committee):
    st, members, item = committee
    pid, cast = run_poll(st, members, item, random.Random(7))
    details = " ".join(r[0] for r in st.all("SELECT detail FROM audit"))
    for t in cast:
        assert t not in details
    for row in st.all("SELECT detail FROM audit WHERE action NOT IN ('poll.close', 'poll.show_of_hands')"):
        for word in ('"yes"', '"no"', '"abstain"', "choice"):
            assert word not in row[0]


def test_wal_keeps_no_history_after_close(committee):
    import os

    st, members, item = committee
    run_poll(st, members, item, random.Random(3))
    wal = st.path + "-wal"
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0
