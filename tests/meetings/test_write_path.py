"""The write path under a crowd: group commit of ballots, and coalesced attendance pushes."""

import threading
import time

from appliance.demo import populate
from appliance.devices import people
from appliance.errors import UserError
from appliance.meetings import core, polls
from appliance.meetings.attendance_push import AttendancePusher
from appliance.web.events import Broadcaster
from tests.conftest import make_store
from tests.meetings.helpers import ballot


def committee(tmp_path):
    st, _ = make_store(str(tmp_path / "d"))
    populate(st)
    members = people.everyone(st, role="member")
    mid = core.create(st, None, "standing", "并发测试", 0)
    core.open_signin(st, None, mid)
    return st, members, mid


def test_ballots_cast_at_once_are_all_counted_and_a_refusal_rolls_back_alone(tmp_path):
    st, members, mid = committee(tmp_path)
    for m in members:
        core.sign_in(st, m.id, mid)
    pid = polls.create(st, None, core.add_item(st, None, mid, "议题", "bill"))
    polls.open_(st, None, pid)
    results, errors = [], []
    start = threading.Barrier(len(members) + 1)

    def vote(n, m, ballot_no):
        start.wait()
        try:
            b = ballot("yes", ballot_no)
            results.append(polls.cast(st, m, pid, b["choice"], b["ballot_id"], b["tracker"]))
        except UserError as e:
            errors.append(e.code)

    threads = [threading.Thread(target=vote, args=(n, m, n + 1)) for n, m in enumerate(members)]
    # The first member also sends a second, different ballot at the same moment.
    threads.append(threading.Thread(target=vote, args=(99, members[0], 999)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [True] * len(members) and errors == ["already_voted"]
    assert st.scalar("SELECT count(*) FROM ballots WHERE poll_id = ?", (pid,)) == len(members)
    committer = st.ballot_committer
    assert committer.writes == len(members) + 1 and committer.batches <= committer.writes
    r = polls.close(st, None, pid)
    assert r.yes == len(members) and r.passed


def test_attendance_pushes_are_coalesced_and_the_last_one_is_true(tmp_path):
    st, members, mid = committee(tmp_path)
    b = Broadcaster()
    sub = b.subscribe({f"meeting:{mid}"})
    pusher = AttendancePusher(st, b, window=0.2)
    for m in members:
        core.sign_in(st, m.id, mid)
        pusher.changed(mid, core.attendance(st, mid).to_json())
    time.sleep(0.6)
    events = []
    while (item := sub.next(0.01)) is not None:
        events.append(item)
    assert 1 <= len(events) <= 3, len(events)  # 15 changes, one push now and one at the window's end
    import json

    assert json.loads(events[-1][2])["present"] == len(members)
