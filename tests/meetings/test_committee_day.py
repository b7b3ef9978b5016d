"""A whole standing-committee meeting of 35 members scripted through the JSON API, on 35 tablets:
a reordered agenda, a 满意度测评, a removal and a two-nominee 任免 sheet (先免后任 enforced), a 差额
election whose tie at the last seat needs a second round, a poll counted by hand under two
scrutineers, and a confidential item an attendee cannot find; then the minutes, read with
pdftotext, must tell all of it in the order it was held."""

import subprocess

import pytest

from appliance.demo import MEMBERS, member_pin
from appliance.devices import people
from tests.conftest import need
from tests.devices.helpers import admin_client, pair_tablet, person_id, sign_in
from tests.meetings.helpers import ballot, new_meeting, secretary

EXTRA = [f"委员{n:02d}" for n in range(16, 36)]  # 20 more members: 35 in all
ALL = MEMBERS + EXTRA
SCRUTINEERS = ("张伟", "刘芳")


def pin_of(name):
    return member_pin(MEMBERS.index(name) + 1) if name in MEMBERS else f"7777{EXTRA.index(name) + 16:02d}"


@pytest.fixture
def committee(demo_app):
    st = demo_app.extensions["yishi"].store
    for seat, name in enumerate(EXTRA, start=16):
        people.create(st, "test", name, ["member"], seat=seat, pin=pin_of(name))
    admin = admin_client(demo_app)
    tablets = {}
    for name in ALL + ["郭明"]:  # 郭明 attends without a vote (列席)
        t = pair_tablet(demo_app, admin, name=f"平板 {name}", person_id=person_id(demo_app, name))
        assert sign_in(demo_app, t, name, pin_of(name) if name != "郭明" else "222201").status_code == 200, name
        tablets[name] = t
    return demo_app, st, tablets


def ok(r):
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def error(r):
    return r.status_code, r.get_json()["error"]["code"]


def vote(tablets, pid, names, body, start):
    for n, name in enumerate(names, start=start):
        assert ok(tablets[name].post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", n), **body}))["recorded"]


def test_a_committee_day_of_35_members(committee, tmp_path):
    app, st, tablets = committee
    sec = secretary(app)
    mid, items = new_meeting(app, sec, [
        ("关于区人民政府2026年工作报告的满意度测评", "report"),
        ("免去李某某的区财政局局长职务", "appointment"),
        ("任命张某某、王某某职务", "appointment"),
        ("补选区人大常委会委员", "other"),
        ("关于区级预算调整方案的决议（草案）", "bill"),
    ])
    assess, removal, nominees, election, budget = items
    secret_item = ok(sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于任免区审计局局长的议案", "kind": "appointment",
                                                                    "confidential": True}))["id"]
    # The agenda is reordered: the budget decision first.
    ok(sec.post(f"/api/v1/meetings/{mid}/items/{budget}/move", json={"position": 1}))
    order = [i["id"] for i in ok(sec.get(f"/api/v1/meetings/{mid}"))["items"]]
    assert order == [budget, assess, removal, nominees, election, secret_item]

    ok(sec.post(f"/api/v1/meetings/{mid}/signin/open"))
    for name in ALL + ["郭明"]:
        ok(tablets[name].post(f"/api/v1/meetings/{mid}/signin"))
    att = ok(sec.get(f"/api/v1/meetings/{mid}"))["attendance"]
    assert (att["membership"], att["present"], att["quorum_met"]) == (35, 35, True)

    # The attendee's tablet knows nothing of the confidential item, by list or by id.
    seen = ok(tablets["郭明"].get(f"/api/v1/meetings/{mid}"))
    assert secret_item not in [i["id"] for i in seen["items"]] and len(seen["items"]) == 5
    hidden_poll = ok(sec.post(f"/api/v1/items/{secret_item}/polls", json={"mode": "secret"}))["id"]
    assert error(tablets["郭明"].get(f"/api/v1/items/{secret_item}")) == (404, "no_item")
    assert error(tablets["郭明"].get(f"/api/v1/polls/{hidden_poll}")) == (404, "no_poll")
    assert ok(tablets[ALL[0]].get(f"/api/v1/items/{secret_item}"))["id"] == secret_item

    # 1. The budget decision: the equipment fails, the scrutineers count the paper ballots by hand.
    hand = ok(sec.post(f"/api/v1/items/{budget}/polls", json={"mode": "secret"}))["id"]
    ok(sec.post(f"/api/v1/meetings/{mid}/scrutineers/designate", json={"people": [person_id(app, n) for n in SCRUTINEERS]}))
    ok(sec.post(f"/api/v1/polls/{hand}/to-paper", json={"reason": "表决器故障"}))
    ok(sec.post(f"/api/v1/polls/{hand}/sheets", json={}))
    a, b = (tablets[n] for n in SCRUTINEERS)
    first = ok(a.post(f"/api/v1/polls/{hand}/tally", json={"counts": {"yes": 30, "no": 3, "abstain": 2}, "pin": pin_of(SCRUTINEERS[0])}))
    assert first["status"] == "waiting"
    differ = ok(b.post(f"/api/v1/polls/{hand}/tally", json={"counts": {"yes": 30, "no": 2, "abstain": 3}, "pin": pin_of(SCRUTINEERS[1])}))
    assert differ["status"] == "mismatch" and set(differ["differ"]) == {"no", "abstain"}
    assert ok(sec.get(f"/api/v1/polls/{hand}"))["status"] == "open"  # nothing counted
    ok(a.post(f"/api/v1/polls/{hand}/tally", json={"counts": {"yes": 30, "no": 3, "abstain": 2}, "pin": pin_of(SCRUTINEERS[0])}))
    done = ok(b.post(f"/api/v1/polls/{hand}/tally", json={"counts": {"yes": 30, "no": 3, "abstain": 2}, "pin": pin_of(SCRUTINEERS[1])}))
    assert done["status"] == "accepted"
    shown = ok(tablets[ALL[5]].get(f"/api/v1/polls/{hand}"))
    assert shown["result"]["method"] == "hand_count" and shown["result"]["passed"] is True

    # 2. 满意度测评: 20 满意, 8 基本满意, 5 不满意, 2 do not vote.
    pid = ok(sec.post(f"/api/v1/items/{assess}/polls", json={"kind": "assessment"}))["id"]
    ok(sec.post(f"/api/v1/polls/{pid}/open", json={}))
    for n, name in enumerate(ALL[:33]):
        choice = "satisfied" if n < 20 else "basically" if n < 28 else "unsatisfied"
        ok(tablets[name].post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 100 + n), "choice": choice}))
    r = ok(sec.post(f"/api/v1/polls/{pid}/close"))
    assert (r["outcome"]["satisfied"], r["outcome"]["basically"], r["outcome"]["unsatisfied"], r["outcome"]["not_voted"]) == (20, 8, 5, 2)
    assert r["line"].endswith("测评结果：满意")

    # 3. 先免后任: the appointment sheet cannot open before the removal has closed.
    rem = ok(sec.post(f"/api/v1/items/{removal}/polls", json={"kind": "appointment", "lines": [
        {"name": "李某某", "post": "区财政局局长", "action": "remove"}]}))["id"]
    sheet = ok(sec.post(f"/api/v1/items/{nominees}/polls", json={"kind": "appointment", "lines": [
        {"name": "张某某", "post": "区财政局局长", "action": "appoint"}, {"name": "王某某", "post": "区教育局局长", "action": "appoint"}]}))["id"]
    assert error(sec.post(f"/api/v1/polls/{sheet}/open", json={})) == (409, "removal_not_closed")
    ok(sec.post(f"/api/v1/polls/{rem}/open", json={}))
    line = str(ok(sec.get(f"/api/v1/polls/{rem}"))["lines"][0]["id"])
    vote(tablets, rem, ALL[:31], {"marks": {line: "yes"}}, 200)
    vote(tablets, rem, ALL[31:], {"marks": {line: "no"}}, 240)
    ok(sec.post(f"/api/v1/polls/{rem}/close"))
    ok(sec.post(f"/api/v1/polls/{sheet}/open", json={}))
    zhang, wang = (str(x["id"]) for x in ok(sec.get(f"/api/v1/polls/{sheet}"))["lines"])
    vote(tablets, sheet, ALL[:25], {"marks": {zhang: "yes", wang: "yes"}}, 300)
    vote(tablets, sheet, ALL[25:], {"marks": {zhang: "yes", wang: "no"}}, 340)  # 王某某: 25 yes
    lines = ok(sec.post(f"/api/v1/polls/{sheet}/close"))["line"].splitlines()
    assert lines == ["任命 张某某 为区财政局局长：赞成 35，反对 0，弃权 0，未表决 0 — 需 18 票 — 通过",
                     "任命 王某某 为区教育局局长：赞成 25，反对 10，弃权 0，未表决 0 — 需 18 票 — 通过"]

    # 4. 差额 election, 2 seats, 3 candidates: 32 and 19 and 19 votes tie at the last seat.
    cands = [person_id(app, n) for n in ("委员33", "委员34", "委员35")]
    el = ok(sec.post(f"/api/v1/items/{election}/polls", json={"kind": "election", "seats": 2, "by_election": True,
                                                               "lines": [{"person": c} for c in cands]}))["id"]
    ok(sec.post(f"/api/v1/polls/{el}/open", json={}))
    x, y, z = (str(c["id"]) for c in ok(sec.get(f"/api/v1/polls/{el}"))["lines"])
    t = tablets[ALL[0]]
    assert error(t.post(f"/api/v1/polls/{el}/ballots", json={**ballot("yes", 400), "marks": {x: "yes", y: "yes", z: "yes"}})) \
        == (400, "too_many_yes")  # more yes marks than seats: refused, nothing written
    vote(tablets, el, ALL[:16], {"marks": {x: "yes", y: "yes", z: "no"}}, 400)
    vote(tablets, el, ALL[16:32], {"marks": {x: "yes", y: "no", z: "yes"}}, 440)
    vote(tablets, el, ALL[32:], {"marks": {x: "no", y: "yes", z: "yes"}}, 480)
    first_round = ok(sec.post(f"/api/v1/polls/{el}/close"))
    assert "委员33" in first_round["line"].splitlines()[2] and "得票相等" in first_round["line"]
    offer = ok(sec.get(f"/api/v1/polls/{el}"))["next_round"]
    assert offer["kind"] == "runoff"
    el2 = ok(sec.post(f"/api/v1/polls/{el}/next-round", json={}))["id"]
    shown = ok(sec.get(f"/api/v1/polls/{el2}"))
    assert [c["name"] for c in shown["lines"]] == ["委员34", "委员35"] and shown["seats"] == 1
    ok(sec.post(f"/api/v1/polls/{el2}/open", json={}))
    y2, z2 = (str(c["id"]) for c in shown["lines"])
    vote(tablets, el2, ALL[:20], {"marks": {y2: "yes", z2: "no"}}, 500)
    vote(tablets, el2, ALL[20:], {"marks": {y2: "no", z2: "yes"}}, 540)
    second = ok(sec.post(f"/api/v1/polls/{el2}/close"))
    assert second["line"].splitlines()[-1] == "当选：委员34"

    # The minutes tell every result, how it was counted, and the order the polls were held.
    doc = ok(sec.post(f"/api/v1/meetings/{mid}/close"))["minutes_document"]
    pdf = tmp_path / "minutes.pdf"
    r = sec.get(f"/api/v1/documents/{doc}/content")
    assert r.status_code == 200
    pdf.write_bytes(r.data)
    text = subprocess.run([need("pdftotext"), str(pdf), "-"], capture_output=True, check=True, text=True).stdout.replace("\n", "")
    for expected in ("纸质表决票", "监票人：张伟、刘芳", "测评结果：满意", "任命 王某某 为区教育局局长：赞成 25", "第 2 轮",
                     "当选：委员34", "表决顺序（按实际表决先后）", "（不对列席人员公开）"):
        assert expected in text, expected
    held = text[text.index("表决顺序（按实际表决先后）"):]
    positions = [held.index(s) for s in ("关于区级预算调整方案的决议", "满意度测评", "免去李某某", "任命张某某", "补选")]
    assert positions == sorted(positions)


def test_an_election_and_an_appointment_sheet_counted_by_hand(committee):
    """The paper fallback takes any poll kind: its counters, its printed sheet and its count come
    from the kind (sheets.py); the two scrutineers' entries must agree before anything counts."""
    app, st, tablets = committee
    sec = secretary(app)
    mid, (item, appoint) = new_meeting(app, sec, [("补选区人大常委会委员", "other"), ("任命张某某职务", "appointment")])
    ok(sec.post(f"/api/v1/meetings/{mid}/signin/open"))
    for name in ALL[:33]:
        ok(tablets[name].post(f"/api/v1/meetings/{mid}/signin"))
    ok(sec.post(f"/api/v1/meetings/{mid}/scrutineers/designate", json={"people": [person_id(app, n) for n in SCRUTINEERS]}))
    cands = [person_id(app, n) for n in ("委员33", "委员34", "委员35")]
    el = ok(sec.post(f"/api/v1/items/{item}/polls", json={"kind": "election", "seats": 2, "lines": [{"person": c} for c in cands]}))["id"]
    ok(sec.post(f"/api/v1/polls/{el}/open", json={}))
    x = str(ok(sec.get(f"/api/v1/polls/{el}"))["lines"][0]["id"])
    vote(tablets, el, ALL[:3], {"marks": {x: "yes"}}, 600)  # three ballots before the failure: set aside
    state = ok(sec.post(f"/api/v1/polls/{el}/to-paper", json={"reason": "表决器断电"}))
    names = [c["name"] for c in state["counters"]]
    lines = ok(sec.get(f"/api/v1/polls/{el}"))["lines"]
    assert names[:3] == [f"c{c['id']}" for c in lines] and names[-2:] == ["void", "cast"]
    assert error(tablets[ALL[4]].post(f"/api/v1/polls/{el}/ballots", json={**ballot("yes", 650), "marks": {x: "yes"}})) == (409, "on_paper")
    assert error(sec.post(f"/api/v1/polls/{el}/close")) == (409, "poll_on_paper")
    ok(sec.post(f"/api/v1/polls/{el}/sheets", json={}))
    pdf = sec.get(f"/api/v1/polls/{el}/sheets.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    counts = {n: 0 for n in names}
    counts.update({names[0]: 30, names[1]: 20, names[2]: 10, "void": 1, "cast": 33})
    a, b = (tablets[n] for n in SCRUTINEERS)
    over = {**counts, "cast": 40}
    assert error(a.post(f"/api/v1/polls/{el}/tally", json={"counts": over, "pin": pin_of(SCRUTINEERS[0])})) == (400, "too_many")
    assert ok(a.post(f"/api/v1/polls/{el}/tally", json={"counts": counts, "pin": pin_of(SCRUTINEERS[0])}))["status"] == "waiting"
    wrong = {**counts, names[2]: 11}
    assert ok(b.post(f"/api/v1/polls/{el}/tally", json={"counts": wrong, "pin": pin_of(SCRUTINEERS[1])}))["differ"] == [names[2]]
    assert st.scalar("SELECT status FROM polls WHERE id = ?", (el,)) == "open"
    ok(a.post(f"/api/v1/polls/{el}/tally", json={"counts": counts, "pin": pin_of(SCRUTINEERS[0])}))
    assert ok(b.post(f"/api/v1/polls/{el}/tally", json={"counts": counts, "pin": pin_of(SCRUTINEERS[1])}))["status"] == "accepted"
    r = ok(sec.get(f"/api/v1/polls/{el}"))["result"]
    assert r["method"] == "hand_count" and r["line"].splitlines()[-1] == "当选：委员33、委员34"
    assert st.scalar("SELECT count(*) FROM sheet_ballots WHERE poll_id = ?", (el,)) == 0  # the electronic ballots are gone

    # 先免后任 holds when a poll opens straight on paper.
    ok(sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "免去李某某职务", "kind": "appointment", "post": "区财政局局长",
                                                       "action": "remove"}))
    ap = ok(sec.post(f"/api/v1/items/{appoint}/polls", json={"kind": "appointment", "lines": [
        {"name": "张某某", "post": "区财政局局长", "action": "appoint"}]}))["id"]
    assert error(sec.post(f"/api/v1/polls/{ap}/to-paper", json={"reason": "表决器断电"})) == (409, "removal_not_closed")
    assert st.scalar("SELECT count(*) FROM paper_polls WHERE poll_id = ?", (ap,)) == 0
