"""满意度测评, 任免 sheets and elections with candidates, counted with LAW.md's numbers in a real store."""

import json

import pytest

from appliance.config import Settings
from appliance.devices import people
from appliance.errors import Conflict, UserError
from appliance.meetings import core, minutes, polls, sheets
from tests.meetings.test_minutes import pdf_text

N = 35


@pytest.fixture
def committee(store):
    """A committee of 35 members, two people on the roll who are not members, a meeting in session."""
    members = [people.create(store, None, f"委员{n:02d}", ["member"], seat=n) for n in range(1, N + 1)]
    outsiders = [people.create(store, None, f"干部{n}", ["staff"]) for n in (1, 2)]
    return store, members, outsiders


def meeting(st, members, present, membership=N):
    mid = core.create(st, None, "standing", "第五次会议", 0, membership=membership)
    core.open_signin(st, None, mid)
    for m in members[:present]:
        core.sign_in(st, m.id, mid)
    return mid


class Ids:
    n = 0

    @classmethod
    def next(cls):
        cls.n += 1
        return f"{cls.n:032x}", "".join("23456789ABCDEFGH"[(cls.n >> (4 * i)) & 15] for i in range(8))


def vote(st, member, pid, choice=None, marks=None, write_ins=None):
    bid, tracker = Ids.next()
    return polls.cast(st, member, pid, choice, bid, tracker, marks=marks, write_ins=write_ins)


def spread(n_ballots, yes, seats):
    """Ballots (line id -> "yes", the rest "no") giving each line its yes count, at most `seats` yes each."""
    ballots = [{} for _ in range(n_ballots)]
    for line, k in yes.items():
        for b in sorted(range(n_ballots), key=lambda i: len(ballots[i]))[:k]:
            ballots[b][line] = "yes"
        assert sum(1 for b in ballots if b.get(line) == "yes") == k
    assert all(len(b) <= seats for b in ballots)
    return [{str(line): b.get(line, "no") for line in yes} for b in ballots]


def line_ids(st, pid):
    return [r["id"] for r in sheets.lines(st, pid)]


def election(st, mid, names, seats, settings=None, title="补选常务委员会委员"):
    item = core.add_item(st, None, mid, title, "other")
    return polls.create(st, None, item, kind="election", lines=[{"name": n} for n in names], seats=seats, settings=settings)


def run_round(st, members, pid, yes, seats, n_ballots):
    polls.open_(st, None, pid)
    ids = line_ids(st, pid)
    for m, b in zip(members, spread(n_ballots, {ids[i]: k for i, k in enumerate(yes)}, seats)):
        assert vote(st, m, pid, marks=b) is True
    return polls.close(st, None, pid)


# -- 满意度测评 ------------------------------------------------------------------------------

def test_assessment_m1_satisfied_with_shares(committee):
    st, members, _ = committee
    mid = meeting(st, members[:29], 27, membership=29)  # 2 absent
    item = core.add_item(st, None, mid, "对区人民政府环境保护工作报告的满意度测评", "report")
    pid = polls.create(st, None, item, kind="assessment")
    polls.open_(st, None, pid)
    choices = ["satisfied"] * 10 + ["basically"] * 6 + ["unsatisfied"] * 8  # 3 present do not vote
    for m, c in zip(members, choices):
        assert vote(st, m, pid, choice=c) is True
    r = polls.close(st, None, pid)
    o = r.outcome
    assert (o["satisfied"], o["basically"], o["unsatisfied"], o["void"], o["not_voted"], o["absent"]) == (10, 6, 8, 0, 3, 2)
    assert (o["counted"], o["needed"], o["outcome"]) == (16, 15, "satisfied")
    assert o["shares"]["satisfied"] == "34.5%" and o["shares"]["not_voted"] == "10.3%"
    assert r.lines[1] == "满意与基本满意合计 16 — 需 15 票 — 测评结果：满意"
    # the published list: one (tracker, marks) per ballot, and the ballot side names nobody
    listed = polls.trackers(st, pid)
    assert len(listed) == 24 and {json.loads(t["choice"])["choice"] for t in listed} == {"satisfied", "basically", "unsatisfied"}
    cols = [r[1] for r in st.conn.execute("PRAGMA table_info(sheet_ballots)")]
    assert cols == ["poll_id", "id", "tracker", "marks"]


def test_assessment_m2_by_hand_with_void_ballots(committee):
    st, members, _ = committee
    mid = meeting(st, members[:29], 29, membership=29)
    item = core.add_item(st, None, mid, "对审议意见办理情况的满意度测评", "report")
    pid = polls.create(st, None, item, kind="assessment")
    assert [c["key"] for c in sheets.hand_counters(st, pid)] == ["satisfied", "basically", "unsatisfied", "void"]
    r = sheets.close_from_counts(st, None, pid, {"satisfied": 8, "basically": 6, "unsatisfied": 10, "void": 2}, "表决器故障")
    assert r.method == "hand_count" and (r.outcome["counted"], r.outcome["needed"], r.outcome["outcome"]) == (14, 15, "unsatisfied")
    assert r.outcome["not_voted"] == 3 and r.lines[1].endswith("测评结果：不满意")


def test_assessment_rule_is_a_setting(committee):
    st, members, _ = committee
    mid = meeting(st, members, 35)
    item = core.add_item(st, None, mid, "测评", "report")
    strict = Settings(assessment_counted=("satisfied",))  # only 满意 counts
    pid = polls.create(st, None, item, kind="assessment", settings=strict)
    r = sheets.close_from_counts(st, None, pid, {"satisfied": 17, "basically": 15, "unsatisfied": 3}, "表决器故障")
    assert (r.outcome["counted"], r.outcome["needed"], r.outcome["outcome"]) == (17, 18, "unsatisfied")


def test_assessment_refuses_a_motion_choice(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = polls.create(st, None, core.add_item(st, None, mid, "测评", "report"), kind="assessment")
    polls.open_(st, None, pid)
    with pytest.raises(UserError) as e:
        vote(st, members[0], pid, choice="yes")
    assert e.value.code == "bad_assessment_choice" and e.value.details["field"] == "choice"
    assert st.scalar("SELECT count(*) FROM poll_participation WHERE poll_id = ?", (pid,)) == 0


# -- 任免 ----------------------------------------------------------------------------------

def test_appointment_sheet_two_nominees_counted_each_on_their_own(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    item = core.add_item(st, None, mid, "关于任命区人民政府组成人员的议案", "appointment")
    pid = polls.create(st, None, item, kind="appointment", lines=[
        {"name": "张某某", "post": "区财政局局长"}, {"name": "李某某", "post": "区教育局局长"}])
    a, b = line_ids(st, pid)
    polls.open_(st, None, pid)
    for n, m in enumerate(members[:30]):
        ma = "yes" if n < 20 else ("no" if n < 25 else "abstain")
        mb = "yes" if n < 17 else "no"
        assert vote(st, m, pid, marks={str(a): ma, str(b): mb}) is True
    r = polls.close(st, None, pid)
    (na, nb) = r.outcome["nominees"]
    assert (na["yes"], na["no"], na["abstain"], na["needed"], na["passed"]) == (20, 5, 5, 18, True)
    assert (nb["yes"], nb["no"], nb["abstain"], nb["needed"], nb["passed"]) == (17, 13, 0, 18, False)
    assert r.lines == ("任命 张某某 为区财政局局长：赞成 20，反对 5，弃权 5，未表决 0 — 需 18 票 — 通过",
                       "任命 李某某 为区教育局局长：赞成 17，反对 13，弃权 0，未表决 0 — 需 18 票 — 未通过")


def test_appointment_cannot_open_before_its_removal_has_closed(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    post = "区人民政府办公室主任"
    rem = polls.create(st, None, core.add_item(st, None, mid, "免职", "appointment", post=post, action="remove"),
                       kind="appointment", lines=[{"name": "李某某"}])
    app = polls.create(st, None, core.add_item(st, None, mid, "任命", "appointment", post=post, action="appoint"),
                       kind="appointment", lines=[{"name": "张某某"}])
    with pytest.raises(Conflict) as e:
        polls.open_(st, None, app)
    assert e.value.code == "removal_not_closed" and post in str(e.value.message)
    assert polls.get(st, app)["status"] == "draft"
    polls.open_(st, None, rem)
    with pytest.raises(Conflict):
        polls.close(st, None, app)
    polls.close(st, None, rem)
    assert polls.open_(st, None, app)["status"] == "open"


def test_a_motion_removal_item_also_blocks_the_appointment(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    post = "区审计局局长"
    rem_item = core.add_item(st, None, mid, "免去某某区审计局局长职务", "appointment", post=post, action="remove")
    app = polls.create(st, None, core.add_item(st, None, mid, "任命", "appointment"), kind="appointment",
                       lines=[{"name": "王某某", "post": post, "action": "appoint"}])
    with pytest.raises(Conflict):
        polls.open_(st, None, app)  # the removal has no poll yet
    rem = polls.create(st, None, rem_item)
    polls.open_(st, None, rem)
    polls.close(st, None, rem)
    polls.open_(st, None, app)


def test_removal_and_appointment_for_one_post_cannot_share_a_sheet(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    with pytest.raises(UserError) as e:
        polls.create(st, None, core.add_item(st, None, mid, "任免", "appointment"), kind="appointment",
                     lines=[{"name": "甲", "post": "局长", "action": "remove"}, {"name": "乙", "post": "局长", "action": "appoint"}])
    assert e.value.code == "removal_on_same_sheet"
    assert st.scalar("SELECT count(*) FROM polls") == 0


def test_appointment_ballot_must_mark_every_nominee_and_only_them(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = polls.create(st, None, core.add_item(st, None, mid, "任免", "appointment"), kind="appointment",
                       lines=[{"name": "甲", "post": "局长"}, {"name": "乙", "post": "副局长"}])
    a, b = line_ids(st, pid)
    polls.open_(st, None, pid)
    for marks, code in (({str(a): "yes"}, "nominee_unmarked"), ({str(a): "yes", str(b): "yes", "999999": "no"}, "unknown_line"),
                        (["yes", "no"], "bad_marks"), ({str(a): "赞成", str(b): "no"}, "bad_marks"), ({"x": "yes"}, "bad_marks")):
        with pytest.raises(UserError) as e:
            vote(st, members[0], pid, marks=marks)
        assert e.value.code == code and e.value.details["field"] == "marks", marks
    assert st.scalar("SELECT count(*) FROM sheet_ballots WHERE poll_id = ?", (pid,)) == 0


# -- elections -----------------------------------------------------------------------------

def test_e1_contested_election_two_seats(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = election(st, mid, ["甲", "乙", "丙"], 2)
    r = run_round(st, members, pid, [20, 19, 18], 2, 30)
    o = r.outcome
    assert o["needed"] == 18 and [e["name"] for e in o["elected"]] == ["甲", "乙"] and o["reason"] == "seats_filled"
    assert r.lines[0] == "选举（差额，应选 2 名，第 1 轮）：投票 30 张，有效 30 张，作废 0 张"
    assert r.lines[1] == "得票：甲 20 票，乙 19 票，丙 18 票 — 需 18 票（全体组成人员 35 人的过半数）"
    assert r.lines[2] == "当选：甲、乙"
    assert sheets.next_round_offer(st, polls.get(st, pid)) is None
    with pytest.raises(Conflict):
        sheets.next_round(st, None, pid)


def test_e2_tie_at_the_last_seat_leads_to_a_round_among_the_tied(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = election(st, mid, ["甲", "乙", "丙"], 2)
    r = run_round(st, members, pid, [20, 18, 18], 2, 30)
    assert [e["name"] for e in r.outcome["elected"]] == ["甲"]
    assert [p["name"] for p in r.outcome["runoff"]["people"]] == ["乙", "丙"] and r.outcome["runoff"]["seats"] == 1
    assert "乙、丙 得票相等，须就 1 个名额再次投票" in r.lines
    offer = sheets.next_round_offer(st, polls.get(st, pid))
    assert offer["kind"] == "runoff"
    with pytest.raises(UserError):  # a runoff is between the tied only
        sheets.next_round(st, None, pid, [offer["people"][0]["key"]])
    second = sheets.next_round(st, None, pid)
    p2 = polls.get(st, second)
    assert (p2["round"], p2["round_kind"], p2["seats"], p2["parent_poll"]) == (2, "runoff", 1, pid)
    assert [r["name"] for r in sheets.lines(st, second)] == ["乙", "丙"] and sheets.roll(st, second) == []
    # no write-ins on a runoff sheet
    polls.open_(st, None, second)
    with pytest.raises(UserError) as e:
        vote(st, members[0], second, marks={}, write_ins=[members[5].id])
    assert e.value.code == "write_ins_not_allowed"
    b, c = line_ids(st, second)
    for m, ch in zip(members[:30], [b] * 19 + [c] * 11):
        vote(st, m, second, marks={str(ch): "yes"})
    r2 = polls.close(st, None, second)
    assert [e["name"] for e in r2.outcome["elected"]] == ["乙"] and r2.outcome["reason"] == "seats_filled"
    with pytest.raises(Conflict):
        sheets.next_round(st, None, pid)  # created already


def test_e3_unfilled_seat_goes_to_a_further_round(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = election(st, mid, ["甲", "乙", "丙"], 2)
    r = run_round(st, members, pid, [20, 17, 10], 2, 30)
    assert [e["name"] for e in r.outcome["elected"]] == ["甲"] and r.outcome["further_round"] == 1
    assert "尚缺 1 名，须另行选举" in r.lines
    offer = sheets.next_round_offer(st, polls.get(st, pid))
    assert offer["kind"] == "further" and [p["name"] for p in offer["people"]] == ["乙", "丙"]
    third = sheets.next_round(st, None, pid, [offer["people"][0]["key"], offer["people"][1]["key"]])
    p3 = polls.get(st, third)
    assert (p3["round_kind"], p3["seats"]) == ("further", 1)
    r3 = run_round(st, members, third, [18, 12], 1, 30)
    assert [e["name"] for e in r3.outcome["elected"]] == ["乙"] and "另行选举" in r3.lines[0]


def test_e4_base_of_those_who_took_part(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = election(st, mid, ["甲", "乙"], 1, settings=Settings(election_base="took_part"))
    r = run_round(st, members, pid, [15, 14], 1, 30)
    assert (r.outcome["base"], r.outcome["needed"], r.outcome["elected"], r.outcome["further_round"]) == (30, 16, [], 1)
    assert "参加投票的人 30 人的过半数" in r.lines[1]


def test_election_ballots_the_seat_cap_and_write_ins(committee):
    st, members, outsiders = committee
    mid = meeting(st, members, 30)
    candidates = members[30:33]  # 甲乙丙 are members on the roll
    item = core.add_item(st, None, mid, "补选", "other")
    pid = polls.create(st, None, item, kind="election", seats=2, lines=[{"person": c.id} for c in candidates])
    a, b, c = line_ids(st, pid)
    roll = {r["id"] for r in sheets.roll(st, pid)}
    assert members[0].id in roll and candidates[0].id not in roll and outsiders[0].id not in roll
    polls.open_(st, None, pid)
    refused = [
        ({str(a): "yes", str(b): "yes"}, [members[3].id], "too_many_yes", "marks"),  # E5: 3 > 2
        ({str(a): "yes"}, [outsiders[0].id], "write_in_not_eligible", "write_ins"),
        ({str(a): "yes"}, [candidates[1].id], "write_in_is_candidate", "write_ins"),
        ({str(a): "yes"}, [members[3].id, members[3].id], "write_in_twice", "write_ins"),
        ({str(a): "yes"}, ["x"], "bad_write_ins", "write_ins"),
        ({"12345": "yes"}, [], "unknown_line", "marks"),
        ({str(a): "maybe"}, [], "bad_marks", "marks"),
    ]
    for marks, write_ins, code, fld in refused:
        with pytest.raises(UserError) as e:
            vote(st, members[0], pid, marks=marks, write_ins=write_ins)
        assert (e.value.code, e.value.details["field"]) == (code, fld), (marks, write_ins)
    assert st.scalar("SELECT count(*) FROM poll_participation WHERE poll_id = ?", (pid,)) == 0
    assert st.scalar("SELECT count(*) FROM sheet_ballots WHERE poll_id = ?", (pid,)) == 0
    # E6: yes A, write-in D instead of B (marked no): valid; a blank ballot is valid too
    assert vote(st, members[0], pid, marks={str(a): "yes", str(b): "no"}, write_ins=[members[3].id]) is True
    assert vote(st, members[1], pid, marks={}) is True
    r = polls.close(st, None, pid)
    t = {x["name"]: x for x in r.outcome["tallies"]}
    assert t[members[3].name]["written_in"] and t[members[3].name]["yes"] == 1 and t[candidates[0].name]["yes"] == 1
    assert (r.outcome["cast"], r.outcome["valid"], r.outcome["void"]) == (2, 2, 0)
    listed = [json.loads(x["choice"]) for x in polls.trackers(st, pid)]
    assert {"marks": {str(a): "yes", str(b): "no", str(c): "abstain"}, "write_ins": [members[3].id]} in listed


def test_election_by_hand_with_void_ballots(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = election(st, mid, ["甲", "乙", "丙"], 2)
    a, b, c = line_ids(st, pid)
    keys = [x["key"] for x in sheets.hand_counters(st, pid)]
    assert keys[:3] == [f"c{a}", f"c{b}", f"c{c}"] and keys[-2:] == ["void", "cast"] and f"p{members[0].id}" in keys
    with pytest.raises(UserError):
        sheets.close_from_counts(st, None, pid, {"c999": 3}, "表决器故障")
    r = sheets.close_from_counts(st, None, pid, {f"c{a}": 20, f"c{b}": 18, f"c{c}": 18, "void": 2, "cast": 30}, "表决器故障")
    assert r.method == "hand_count" and [e["name"] for e in r.outcome["elected"]] == ["甲"] and r.outcome["runoff"]["seats"] == 1
    assert (r.outcome["valid"], r.outcome["void"]) == (28, 2)
    assert sheets.next_round_offer(st, polls.get(st, pid))["kind"] == "runoff"


def test_appointment_by_hand(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = polls.create(st, None, core.add_item(st, None, mid, "任免", "appointment"), kind="appointment",
                       lines=[{"name": "甲", "post": "局长"}, {"name": "乙", "post": "副局长"}])
    a, b = line_ids(st, pid)
    r = sheets.close_from_counts(st, None, pid, {f"l{a}.yes": 25, f"l{a}.no": 4, f"l{b}.yes": 10, f"l{b}.no": 19, "void": 1}, "停电")
    assert [n["passed"] for n in r.outcome["nominees"]] == [True, False]
    assert polls.get(st, pid)["counted_by"] == "hand"


def test_motion_counters_and_hand_close(committee):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = polls.create(st, None, core.add_item(st, None, mid, "决定", "bill"))
    assert [c["key"] for c in sheets.hand_counters(st, pid)] == ["yes", "no", "abstain"]
    r = sheets.close_from_counts(st, None, pid, {"yes": 20, "no": 5}, "表决器故障")
    assert (r.yes, r.passed) == (20, True) and polls.get(st, pid)["counted_by"] == "hand"


def test_minutes_show_every_kind(committee, tmp_path):
    st, members, _ = committee
    mid = meeting(st, members, 30)
    pa = polls.create(st, None, core.add_item(st, None, mid, "测评", "report"), kind="assessment")
    polls.open_(st, None, pa)
    for m in members[:20]:
        vote(st, m, pa, choice="satisfied")
    polls.close(st, None, pa)
    pn = polls.create(st, None, core.add_item(st, None, mid, "任免", "appointment"), kind="appointment",
                      lines=[{"name": "张某某", "post": "区财政局局长"}])
    polls.open_(st, None, pn)
    for m in members[:19]:
        vote(st, m, pn, marks={str(line_ids(st, pn)[0]): "yes"})
    polls.close(st, None, pn)
    pe = election(st, mid, ["甲", "乙", "丙"], 2)
    run_round(st, members, pe, [20, 18, 18], 2, 30)
    ph = polls.create(st, None, core.add_item(st, None, mid, "审议意见办理情况测评", "report"), kind="assessment")
    sheets.close_from_counts(st, None, ph, {"satisfied": 12, "basically": 5, "unsatisfied": 11, "void": 1}, "表决器故障")
    out = tmp_path / "m.pdf"
    out.write_bytes(minutes.render_pdf(st, mid))
    text = pdf_text(str(out))
    assert "满意度测评" in text and "满意与基本满意合计 20 — 需 18 票 — 测评结果：满意" in text and "57.1%" in text
    assert "任命 张某某 为区财政局局长：赞成 19，反对 0，弃权 0，未表决 11 — 需 18 票 — 通过" in text
    assert "人工计票" in text and "表决器故障" in text and "合计 17 — 需 18 票 — 测评结果：不满意" in text
    assert "当选：甲" in text and "乙、丙 得票相等，须就 1 个名额再次投票" in text and "差额" in text


def test_sheet_ballots_are_kept_like_secret_ballots(committee):
    """No person or time on the ballot side, rows in random-key order (not casting order), nothing in
    the audit log that a ballot carries, and no history in the WAL after close."""
    import os

    st, members, _ = committee
    mid = meeting(st, members, 30)
    pid = election(st, mid, ["甲", "乙", "丙"], 2)
    polls.open_(st, None, pid)
    ids = line_ids(st, pid)
    cast = []
    for n, m in enumerate(members[:30]):
        bid, tracker = Ids.next()
        marks = {str(ids[n % 3]): "yes", str(ids[(n + 1) % 3]): "no"}
        assert polls.cast(st, m, pid, None, bid, tracker, marks=marks, write_ins=[members[33].id] if n % 5 == 0 else [])
        cast.append(tracker)
    polls.close(st, None, pid)
    assert st.scalar("SELECT sql FROM sqlite_master WHERE name = 'sheet_ballots'").rstrip().endswith("WITHOUT ROWID")
    stored = [r[1] for r in st.conn.execute("SELECT id, tracker, marks FROM sheet_ballots WHERE poll_id = ?", (pid,))]
    by_key = [r[0] for r in st.conn.execute("SELECT tracker FROM sheet_ballots WHERE poll_id = ? ORDER BY id", (pid,))]
    assert stored == by_key and sorted(stored) == sorted(cast) and stored != cast
    details = " ".join(r[0] for r in st.all("SELECT detail FROM audit"))
    assert not any(t in details for t in cast) and '"marks"' not in details
    wal = st.path + "-wal"
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0


def test_counting_settings_live_in_config_json(committee, tmp_path):
    st, members, _ = committee
    d = str(tmp_path / "cfg")
    import os

    os.makedirs(d)
    assert (Settings().assessment_counted, Settings().election_base) == (("satisfied", "basically"), "all_members")  # LAW.md
    Settings(election_base="took_part", assessment_counted=["satisfied"]).save(d)
    loaded = Settings.load(d)
    mid = meeting(st, members, 30)
    pa = polls.create(st, None, core.add_item(st, None, mid, "测评", "report"), kind="assessment", settings=loaded)
    pe = election(st, mid, ["甲"], 1, settings=loaded)
    assert json.loads(polls.get(st, pa)["settings"])["counted"] == ["satisfied"]
    assert json.loads(polls.get(st, pe)["settings"])["base"] == "took_part"
    before = st.scalar("SELECT count(*) FROM polls")
    with pytest.raises(Conflict) as e:
        election(st, mid, ["甲"], 1, settings=Settings(election_base="half"))
    assert e.value.code == "bad_settings" and "config.json" in str(e.value.message) and "half" in str(e.value.message)
    assert st.scalar("SELECT count(*) FROM polls") == before


def test_polls_held_before_the_upgrade_stay_motions(tmp_path):
    """A store made before the poll-kinds migration keeps its closed polls as motions with their results."""
    import os

    from appliance.store import migrate, open_store
    from appliance.store.keys import Argon2Params, Keyring
    from tests.conftest import PASSPHRASE

    mine = next(n for n, name, _ in migrate.available() if name.endswith("_poll_kinds.sql"))
    d = str(tmp_path / "old")
    os.makedirs(d)
    _, key = Keyring.create(d, PASSPHRASE, Argon2Params(time_cost=1, memory_cost=8 * 1024, parallelism=1))
    old = open_store(d, key, upto=mine - 1, create=True)
    members = [people.create(old, None, f"委员{n}", ["member"], seat=n) for n in range(1, 4)]
    mid = meeting(old, members, 3, membership=3)
    item = core.add_item(old, None, mid, "决定", "bill")
    with old.write() as db:  # the old code's poll: no kind column yet
        pid = db.execute("INSERT INTO polls (item_id, title, status, membership, eligible, yes, no, abstain, not_voted, needed, passed) "
                         "VALUES (?, '决定', 'closed', 3, 3, 2, 1, 0, 0, 2, 1)", (item,)).lastrowid
    old.close()
    new = open_store(d, key)
    try:
        p = polls.get(new, pid)
        assert (p["kind"], p["counted_by"], p["round"]) == ("motion", "device", 1)
        assert minutes.result_line(polls.result(new, pid)) == "赞成 2，反对 1，弃权 0，未表决 0 — 需 2 票 — 通过"
    finally:
        new.close()
