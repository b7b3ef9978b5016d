"""Paper fallback with scrutineers (监票人) through the API, for a committee of 35: switching a poll
to paper, the sheets, the double entry of the tally, and every refusal of bad input."""

import json
import re
import subprocess

import pytest

from appliance.demo import MEMBERS, member_pin
from appliance.devices import people
from tests.conftest import need
from tests.devices.helpers import person_id
from tests.meetings.helpers import ballot, member_tablets, new_meeting, secretary

ITEM = "关于区级预算调整方案的决议（草案）"
EXTRA = [f"代表{n:02d}" for n in range(16, 36)]  # 20 more members: 35 in all
SCRUTINEERS = ("张伟", "刘芳")  # seats 3 and 4
OTHER = "陈静"  # seat 5, a member who is not a scrutineer


@pytest.fixture
def room(demo_app):
    st = demo_app.extensions["yishi"].store
    for seat, name in enumerate(EXTRA, start=16):
        people.create(st, "test", name, ["member"], seat=seat)
    sec = secretary(demo_app)
    mid, items = new_meeting(demo_app, sec, [(ITEM, "bill"), ("关于执法检查报告的审议意见", "report")])
    tablets = member_tablets(demo_app, [(n, member_pin(MEMBERS.index(n) + 1)) for n in (*SCRUTINEERS, OTHER)])
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    everyone = MEMBERS + EXTRA
    for name in everyone[:33]:  # 33 present, 2 excused
        r = sec.post(f"/api/v1/meetings/{mid}/people/{person_id(demo_app, name)}/signin", json={"reason": "纸质签到"})
        assert r.status_code == 200, r.get_json()
    for name in everyone[33:]:
        assert sec.post(f"/api/v1/meetings/{mid}/people/{person_id(demo_app, name)}/excuse", json={"reason": "出差"}).status_code == 200
    att = sec.get(f"/api/v1/meetings/{mid}").get_json()["attendance"]
    assert (att["membership"], att["present"], att["excused"]) == (35, 33, 2)
    pid = sec.post(f"/api/v1/items/{items[0]}/polls", json={"mode": "secret"}).get_json()["id"]
    return demo_app, sec, mid, items, pid, tablets


def designate(app, sec, mid, names=SCRUTINEERS, **extra):
    return sec.post(f"/api/v1/meetings/{mid}/scrutineers/designate", json={"people": [person_id(app, n) for n in names], **extra})


def entry(app, tablet, pid, counts, name, pin=None, scrutineer=None):
    body = {"counts": counts, "pin": pin or member_pin(MEMBERS.index(name) + 1)}
    if scrutineer:
        body["scrutineer"] = person_id(app, scrutineer)
    return tablet.post(f"/api/v1/polls/{pid}/tally", json=body)


def paper_room(room, reason="表决器故障"):
    app, sec, mid, items, pid, tablets = room
    assert designate(app, sec, mid).status_code == 200
    r = sec.post(f"/api/v1/polls/{pid}/to-paper", json={"reason": reason})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def store_of(app):
    return app.extensions["yishi"].store


def error(r):
    return r.get_json()["error"]


def audit_actions(app, poll_id):
    rows = store_of(app).all("SELECT action, detail FROM audit ORDER BY seq")
    return [(a, json.loads(d)) for a, d in rows if json.loads(d).get("poll") == poll_id]


def pdftext(blob, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(blob)
    text = subprocess.run([need("pdftotext"), "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    fonts = subprocess.run([need("pdffonts"), str(path)], capture_output=True, check=True, text=True).stdout.splitlines()[2:]
    return text, fonts


def test_the_whole_flow_of_a_hand_count(room, tmp_path):
    app, sec, mid, items, pid, tablets = room
    a, b = tablets[SCRUTINEERS[0]], tablets[SCRUTINEERS[1]]
    assert designate(app, sec, mid).get_json()["people"] == [person_id(app, n) for n in SCRUTINEERS]
    # The poll opens electronically; three members vote; then the equipment fails.
    assert sec.post(f"/api/v1/polls/{pid}/open", json={"countdown": 120}).status_code == 200
    for n, name in enumerate((*SCRUTINEERS, OTHER), start=1):
        assert tablets[name].post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", n)).status_code == 200
    s = sec.post(f"/api/v1/polls/{pid}/to-paper", json={"reason": "表决器故障"}).get_json()
    assert (s["on_paper"], s["accepted"], s["round"], s["present"], s["reason"]) == (True, False, 1, 33, "表决器故障")
    assert [x["name"] for x in s["scrutineers"]] == list(SCRUTINEERS)
    assert [c["name"] for c in s["counters"]] == ["yes", "no", "abstain"]
    # The electronic ballots are set aside and no more are taken; the countdown is gone.
    st = store_of(app)
    assert st.scalar("SELECT count(*) FROM ballots WHERE poll_id = ?", (pid,)) == 0
    assert st.scalar("SELECT count(*) FROM poll_participation WHERE poll_id = ?", (pid,)) == 0
    r = tablets[OTHER].post(f"/api/v1/polls/{pid}/ballots", json=ballot("no", 9))
    assert r.status_code == 409 and error(r)["code"] == "on_paper"
    r = sec.post(f"/api/v1/polls/{pid}/close")
    assert r.status_code == 409 and error(r)["code"] == "poll_on_paper"
    poll = next(p for p in tablets[OTHER].get(f"/api/v1/meetings/{mid}").get_json()["polls"] if p["id"] == pid)
    assert poll["paper"] is True and poll["closes_at"] is None and poll["status"] == "open"

    # One sheet per member present, each with its own serial; the roll-call sheet lists the 35.
    r = sec.post(f"/api/v1/polls/{pid}/sheets", json={})
    assert r.get_json()["from"] == 1 and r.get_json()["to"] == 33
    pdf = sec.get(f"/api/v1/polls/{pid}/sheets.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text, fonts = pdftext(pdf.data, tmp_path, "sheets.pdf")
    pages = text.split("\f")[:-1]
    assert len(pages) == 33
    serials = [re.search(r"编号：(\S+)", page).group(1) for page in pages]
    assert len(set(serials)) == 33 and all(s.startswith(f"{pid}-") for s in serials)
    assert serials == [r["serial"] for r in st.all("SELECT serial FROM paper_sheets WHERE poll_id = ? ORDER BY number", (pid,))]
    for page in pages:
        assert ITEM in page and "表决票" in page and "第十八届人大常委会第四次会议" in page
        assert all(w in page for w in ("赞成", "反对", "弃权", "划“√”"))
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # the "emb" column
    roll = sec.get(f"/api/v1/meetings/{mid}/roll-call.pdf")
    text, fonts = pdftext(roll.data, tmp_path, "roll.pdf")
    assert "点名签到表" in text and "应到 35 人" in text and "实到 ______ 人" in text and "签名" in text
    assert all(name in text for name in MEMBERS + EXTRA)
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts

    # First round: the scrutineers disagree on 反对. Nothing is counted; both are told which count.
    r = entry(app, a, pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[0])
    assert r.status_code == 200 and r.get_json()["status"] == "waiting", r.get_json()
    s = b.get(f"/api/v1/polls/{pid}/paper").get_json()
    assert [e["name"] for e in s["entries"]] == [SCRUTINEERS[0]] and s["mine"] is None  # never the other's counts
    r = entry(app, b, pid, {"yes": 20, "no": 9, "abstain": 4}, SCRUTINEERS[1])
    body = r.get_json()
    assert r.status_code == 200 and body["status"] == "mismatch" and body["differ"] == ["no"] and body["round"] == 2
    assert "反对" in body["message"] and "赞成" not in body["message"]
    s = a.get(f"/api/v1/polls/{pid}/paper").get_json()
    assert (s["mismatch"], s["mismatch_labels"], s["entries"], s["accepted"], s["round"]) == (["no"], ["反对"], [], False, 2)
    row = st.one("SELECT status, yes, no, abstain, passed FROM polls WHERE id = ?", (pid,))
    assert tuple(row) == ("open", None, None, None, None)

    # Second round on ONE device: 张伟 enters on his tablet, then 刘芳 on the same tablet, with her own PIN.
    assert entry(app, a, pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[0]).get_json()["status"] == "waiting"
    r = entry(app, a, pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[1], scrutineer=SCRUTINEERS[1])
    body = r.get_json()
    assert body["status"] == "accepted", body
    res = body["result"]
    assert (res["method"], res["yes"], res["no"], res["abstain"], res["not_voted"], res["needed"], res["passed"]) == \
        ("hand_count", 20, 8, 4, 1, 18, True)
    assert res["line"] == "赞成 20，反对 8，弃权 4，未表决 1 — 需 18 票 — 通过"
    polls_seen = tablets[OTHER].get(f"/api/v1/meetings/{mid}").get_json()["polls"]
    seen = next(p for p in polls_seen if p["id"] == pid)
    assert seen["method"] == "hand_count" and seen["result"]["method"] == "hand_count" and seen["paper"] is False
    assert seen["result"]["fallback_reason"] == "表决器故障"
    s = sec.get(f"/api/v1/polls/{pid}/paper").get_json()
    assert s["accepted"] and [e["name"] for e in s["entries"]] == list(SCRUTINEERS)

    actions = [a for a, _ in audit_actions(app, pid)]
    assert actions[-8:] == ["poll.paper", "paper.sheets", "tally.entry", "tally.entry", "tally.mismatch",
                            "tally.entry", "tally.entry", "poll.hand_count"]
    detail = dict(audit_actions(app, pid))["poll.hand_count"]
    assert detail["scrutineers"] == [person_id(app, n) for n in SCRUTINEERS] and detail["reason"] == "表决器故障"
    assert dict(audit_actions(app, pid))["poll.paper"]["electronic_discarded"] == 3

    # The minutes say it was a hand count, why, and under whom.
    doc = sec.post(f"/api/v1/meetings/{mid}/close").get_json()["minutes_document"]
    text, fonts = pdftext(sec.get(f"/api/v1/documents/{doc}/content").data, tmp_path, "minutes.pdf")
    flat = re.sub(r"\s+", "", text)
    assert "方式：无记名纸质表决票" in flat
    assert "因“表决器故障”，本项改为纸质表决票表决，由监票人计票（监票人：张伟、刘芳" in flat
    assert "赞成20，反对8，弃权4，未表决1—需18票—通过" in flat
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)


def test_disagreeing_scrutineers_count_nothing(room):
    app, sec, mid, items, pid, tablets = room
    paper_room(room)
    a, b = tablets[SCRUTINEERS[0]], tablets[SCRUTINEERS[1]]
    entry(app, a, pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[0])
    r = entry(app, b, pid, {"yes": 21, "no": 8, "abstain": 3}, SCRUTINEERS[1])
    assert r.get_json()["status"] == "mismatch" and r.get_json()["differ"] == ["yes", "abstain"]
    assert sec.get(f"/api/v1/polls/{pid}").get_json().get("result") is None
    assert store_of(app).scalar("SELECT count(*) FROM tally_entries WHERE poll_id = ?", (pid,)) == 0
    # Told on the first scrutineer's side too (they re-enter from a clean slate).
    assert a.get(f"/api/v1/polls/{pid}/paper").get_json()["mismatch_labels"] == ["赞成", "弃权"]


def test_the_same_scrutineer_cannot_make_both_entries(room):
    app, sec, mid, items, pid, tablets = room
    paper_room(room)
    a = tablets[SCRUTINEERS[0]]
    assert entry(app, a, pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[0]).get_json()["status"] == "waiting"
    r = entry(app, a, pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[0])
    assert r.status_code == 409 and error(r)["code"] == "same_scrutineer"
    # Not from another device either, naming themselves.
    r = entry(app, tablets[OTHER], pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[0], scrutineer=SCRUTINEERS[0])
    assert r.status_code == 409 and error(r)["code"] == "same_scrutineer"
    assert store_of(app).scalar("SELECT count(*) FROM tally_entries WHERE poll_id = ?", (pid,)) == 1
    assert store_of(app).scalar("SELECT status FROM polls WHERE id = ?", (pid,)) == "open"


def test_a_non_scrutineer_cannot_enter(room):
    app, sec, mid, items, pid, tablets = room
    paper_room(room)
    r = entry(app, tablets[OTHER], pid, {"yes": 20, "no": 8, "abstain": 4}, OTHER)
    assert r.status_code == 403 and error(r)["code"] == "not_a_scrutineer"
    # Naming a scrutineer without their PIN does not make one.
    r = entry(app, tablets[OTHER], pid, {"yes": 20, "no": 8, "abstain": 4}, OTHER, pin=member_pin(5), scrutineer=SCRUTINEERS[0])
    assert r.status_code == 401 and error(r)["code"] == "bad_credentials"
    # The secretary is not a scrutineer either, and cannot be designated (not on the meeting's list).
    r = sec.post(f"/api/v1/polls/{pid}/tally", json={"counts": {"yes": 1, "no": 0, "abstain": 0}, "pin": "333333"})
    assert r.status_code == 403 and error(r)["code"] == "not_a_scrutineer"
    r = sec.post(f"/api/v1/meetings/{mid}/scrutineers/designate", json={"people": [person_id(app, "张伟"), person_id(app, "林晓")]})
    assert r.status_code == 400 and error(r)["code"] == "not_on_list"
    r = designate(app, sec, mid, names=("张伟",))
    assert r.status_code == 400 and error(r)["code"] == "too_few_scrutineers"
    r = designate(app, sec, mid, names=("张伟", "张伟"))
    assert r.status_code == 400 and error(r)["code"] == "too_few_scrutineers"
    r = tablets[OTHER].post(f"/api/v1/meetings/{mid}/scrutineers/designate", json={"people": [1, 2]})
    assert r.status_code == 403
    assert store_of(app).scalar("SELECT count(*) FROM tally_entries WHERE poll_id = ?", (pid,)) == 0


def test_a_poll_level_designation_replaces_the_meetings(room):
    app, sec, mid, items, pid, tablets = room
    paper_room(room)
    entry(app, tablets["张伟"], pid, {"yes": 20, "no": 8, "abstain": 4}, "张伟")
    assert designate(app, sec, mid, names=("刘芳", OTHER), poll=pid).status_code == 200
    s = sec.get(f"/api/v1/polls/{pid}/paper").get_json()
    assert [x["name"] for x in s["scrutineers"]] == ["刘芳", OTHER] and s["entries"] == []  # 张伟's entry set aside
    r = entry(app, tablets["张伟"], pid, {"yes": 20, "no": 8, "abstain": 4}, "张伟")
    assert r.status_code == 403 and error(r)["code"] == "not_a_scrutineer"
    entry(app, tablets[OTHER], pid, {"yes": 20, "no": 8, "abstain": 4}, OTHER)
    assert entry(app, tablets["刘芳"], pid, {"yes": 20, "no": 8, "abstain": 4}, "刘芳").get_json()["status"] == "accepted"
    listed = sec.get(f"/api/v1/meetings/{mid}/scrutineers").get_json()
    assert [x["name"] for x in listed["meeting"]] == list(SCRUTINEERS) and [x["name"] for x in listed["polls"][str(pid)]] == ["刘芳", OTHER]


def test_counts_over_the_members_present_or_the_sheets_are_refused(room):
    app, sec, mid, items, pid, tablets = room
    paper_room(room)
    a = tablets[SCRUTINEERS[0]]
    r = entry(app, a, pid, {"yes": 30, "no": 3, "abstain": 1}, SCRUTINEERS[0])  # 34 > 33 present
    assert r.status_code == 400 and error(r)["code"] == "too_many" and "33" in error(r)["message"]
    r = entry(app, a, pid, {"yes": 34, "no": 0, "abstain": 0}, SCRUTINEERS[0])
    assert r.status_code == 400 and error(r)["code"] == "too_many"
    assert sec.post(f"/api/v1/polls/{pid}/sheets", json={"count": 30}).get_json()["to"] == 30
    r = entry(app, a, pid, {"yes": 20, "no": 8, "abstain": 3}, SCRUTINEERS[0])  # 31 > 30 sheets handed out
    assert r.status_code == 400 and error(r)["code"] == "too_many_sheets" and "30" in error(r)["message"]
    assert store_of(app).scalar("SELECT count(*) FROM tally_entries WHERE poll_id = ?", (pid,)) == 0
    assert entry(app, a, pid, {"yes": 20, "no": 7, "abstain": 3}, SCRUTINEERS[0]).get_json()["status"] == "waiting"


MALFORMED = [  # (what is tried, counts, error code, field)
    ("a negative count", {"yes": -1, "no": 8, "abstain": 4}, "bad_field", "counts.yes"),
    ("a fraction", {"yes": 2.5, "no": 8, "abstain": 4}, "bad_field", "counts.yes"),
    ("a number as text", {"yes": "20", "no": 8, "abstain": 4}, "bad_field", "counts.yes"),
    ("a boolean", {"yes": True, "no": 8, "abstain": 4}, "bad_field", "counts.yes"),
    ("null", {"yes": None, "no": 8, "abstain": 4}, "bad_field", "counts.yes"),
    ("a counter left out", {"yes": 20, "no": 8}, "missing_count", "counts.abstain"),
    ("a counter the motion does not have", {"yes": 20, "no": 8, "abstain": 4, "void": 1}, "unknown_count", "counts.void"),
    ("a list instead of a mapping", [20, 8, 4], "bad_field", "counts"),
]


def test_malformed_counts_are_refused(room):
    app, sec, mid, items, pid, tablets = room
    paper_room(room)
    for what, counts, code, fld in MALFORMED:
        r = entry(app, tablets[SCRUTINEERS[0]], pid, counts, SCRUTINEERS[0])
        assert r.status_code == 400 and (error(r)["code"], error(r)["field"]) == (code, fld), (what, r.get_json())
        assert "message" in error(r)
    assert store_of(app).scalar("SELECT count(*) FROM tally_entries WHERE poll_id = ?", (pid,)) == 0


def test_a_wrong_or_missing_pin_enters_nothing(room):
    app, sec, mid, items, pid, tablets = room
    paper_room(room)
    a = tablets[SCRUTINEERS[0]]
    r = entry(app, a, pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[0], pin="000000")
    assert r.status_code == 401 and error(r)["code"] == "bad_credentials"
    r = a.post(f"/api/v1/polls/{pid}/tally", json={"counts": {"yes": 20, "no": 8, "abstain": 4}, "pin": ""})
    assert r.status_code == 400 and error(r)["field"] == "pin"
    assert store_of(app).scalar("SELECT count(*) FROM tally_entries WHERE poll_id = ?", (pid,)) == 0


def test_no_entry_for_a_poll_not_on_paper(room):
    app, sec, mid, items, pid, tablets = room
    assert designate(app, sec, mid).status_code == 200
    r = entry(app, tablets[SCRUTINEERS[0]], pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[0])
    assert r.status_code == 409 and error(r)["code"] == "not_on_paper"
    sec.post(f"/api/v1/polls/{pid}/open", json={})
    r = entry(app, tablets[SCRUTINEERS[0]], pid, {"yes": 20, "no": 8, "abstain": 4}, SCRUTINEERS[0])
    assert r.status_code == 409 and error(r)["code"] == "not_on_paper"
    assert store_of(app).scalar("SELECT count(*) FROM tally_entries") == 0


def test_no_entry_after_the_count_is_accepted(room):
    app, sec, mid, items, pid, tablets = room
    paper_room(room)
    counts = {"yes": 20, "no": 8, "abstain": 4}
    entry(app, tablets["张伟"], pid, counts, "张伟")
    assert entry(app, tablets["刘芳"], pid, counts, "刘芳").get_json()["status"] == "accepted"
    for name in ("张伟", "刘芳"):
        r = entry(app, tablets[name], pid, {"yes": 1, "no": 0, "abstain": 0}, name)
        assert r.status_code == 409 and error(r)["code"] == "tally_closed"
    r = sec.post(f"/api/v1/polls/{pid}/to-paper", json={"reason": "再来一次"})
    assert r.status_code == 409 and error(r)["code"] == "poll_closed"
    r = sec.post(f"/api/v1/polls/{pid}/sheets", json={})
    assert r.status_code == 409 and error(r)["code"] == "poll_closed"
    row = store_of(app).one("SELECT yes, no, abstain FROM polls WHERE id = ?", (pid,))
    assert tuple(row) == (20, 8, 4)


def test_switching_to_paper_refusals(room):
    app, sec, mid, items, pid, tablets = room
    r = sec.post(f"/api/v1/polls/{pid}/to-paper", json={"reason": "  "})
    assert r.status_code == 400 and error(r)["field"] == "reason"
    r = tablets[OTHER].post(f"/api/v1/polls/{pid}/to-paper", json={"reason": "表决器故障"})
    assert r.status_code == 403
    # A draft poll opens on paper at once (the quorum is met); a second switch is refused.
    s = sec.post(f"/api/v1/polls/{pid}/to-paper", json={"reason": "表决器故障"}).get_json()
    assert s["status"] == "open" and s["on_paper"]
    r = sec.post(f"/api/v1/polls/{pid}/to-paper", json={"reason": "表决器故障"})
    assert r.status_code == 409 and error(r)["code"] == "already_on_paper"
    other = sec.post(f"/api/v1/items/{items[1]}/polls", json={}).get_json()["id"]
    r = sec.post(f"/api/v1/polls/{other}/to-paper", json={"reason": "表决器故障"})
    assert r.status_code == 409 and error(r)["code"] == "other_poll_open"
    assert sec.get(f"/api/v1/polls/{other}/sheets.pdf").status_code == 409  # nothing issued yet
    r = sec.post(f"/api/v1/polls/{other}/sheets", json={"count": 0})
    assert r.status_code == 400 and error(r)["field"] == "count"


def test_show_of_hands_stays_as_it_was(room):
    app, sec, mid, items, pid, tablets = room
    r = sec.post(f"/api/v1/polls/{pid}/show-of-hands", json={"yes": 20, "no": 8, "abstain": 4, "reason": "视频参会"})
    assert r.status_code == 200 and r.get_json()["method"] == "show_of_hands"


def test_another_poll_kind_plugs_in_by_its_counters(monkeypatch):
    """The tally is generic: a kind registers its counters (here a two-nominee sheet, one group
    per nominee) and the same checks apply, with no motion counter assumed."""
    from appliance.errors import UserError
    from appliance.meetings import scrutiny

    def counters(conn, poll):
        return tuple(scrutiny.Counter(f"{who}.{c}", c, c, who) for who in ("a", "b") for c in ("yes", "no", "abstain"))

    monkeypatch.setitem(scrutiny.KINDS, "sheet", scrutiny.PaperKind(counters, None, None))
    poll = {"id": 1, "meeting_id": 1, "kind": "sheet"}
    counts = {f"{w}.{c}": 1 for w in ("a", "b") for c in ("yes", "no", "abstain")}
    assert scrutiny._check_counts(None, poll, counts) == counts
    with pytest.raises(UserError) as e:
        scrutiny._check_counts(None, poll, {"yes": 1, "no": 0, "abstain": 0})
    assert e.value.code == "unknown_count"
    with pytest.raises(UserError) as e:
        scrutiny._check_counts(None, poll, {k: v for k, v in counts.items() if k != "b.no"})
    assert (e.value.code, e.value.details["field"]) == ("missing_count", "counts.b.no")
    # A motion is what a poll without a kind is.
    assert [c.name for c in scrutiny.counters(None, {"id": 1, "meeting_id": 1})] == ["yes", "no", "abstain"]
