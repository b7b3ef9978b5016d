"""The new poll kinds through the JSON API: what the console creates, what a tablet casts, what is refused."""

import json

import pytest

from appliance.demo import MEMBERS, member_pin
from appliance.devices import people
from appliance.meetings import core
from tests.devices.helpers import person_id
from tests.meetings.helpers import ballot, member_tablets, new_meeting, secretary


@pytest.fixture
def room(demo_app):
    """The demo committee (15 members) in session: two members on tablets, ten more signed in by staff."""
    sec = secretary(demo_app)
    mid, items = new_meeting(demo_app, sec, [("补选区人大常委会委员", "other"), ("免去李某某局长职务", "appointment"),
                                             ("任命张某某为局长", "appointment")])
    tablets = member_tablets(demo_app, [(n, member_pin(i)) for i, n in enumerate(MEMBERS[:2], start=1)])
    st = demo_app.extensions["yishi"].store
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    for t in tablets.values():
        assert t.post(f"/api/v1/meetings/{mid}/signin").status_code == 200
    for name in MEMBERS[2:12]:
        core.sign_in(st, person_id(demo_app, name), mid)
    return demo_app, st, sec, mid, items, tablets


def error(r):
    return r.status_code, r.get_json()["error"]["code"], r.get_json()["error"].get("field")


def test_election_on_the_tablet_seat_cap_write_in_and_next_round(room):
    app, st, sec, mid, items, tablets = room
    cands = [person_id(app, n) for n in MEMBERS[12:15]]
    r = sec.post(f"/api/v1/items/{items[0]}/polls", json={"kind": "election", "seats": 2, "lines": [{"person": c} for c in cands]})
    assert r.status_code == 200, r.get_json()
    pid = r.get_json()["id"]
    t = tablets[MEMBERS[0]]
    shown = t.get(f"/api/v1/polls/{pid}").get_json()
    assert shown["kind"] == "election" and shown["seats"] == 2 and [x["name"] for x in shown["lines"]] == list(MEMBERS[12:15])
    roll = {x["id"] for x in shown["roll"]}
    assert person_id(app, MEMBERS[3]) in roll and not roll & set(cands) and person_id(app, "郭明") not in roll  # 郭明 attends, is no member
    a, b, c = (str(x["id"]) for x in shown["lines"])
    assert sec.post(f"/api/v1/polls/{pid}/open", json={}).status_code == 200
    # more yes marks than seats (write-ins count), a write-in not on the roll, a bad shape, a line not on the sheet
    assert error(t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "marks": {a: "yes", b: "yes"},
                                                                 "write_ins": [person_id(app, MEMBERS[3])]})) == (400, "too_many_yes", "marks")
    assert error(t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "marks": {a: "yes", b: "yes", c: "yes"}})) \
        == (400, "too_many_yes", "marks")
    assert error(t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "marks": {a: "yes"},
                                                                 "write_ins": [person_id(app, "郭明")]})) == (400, "write_in_not_eligible", "write_ins")
    assert error(t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "marks": [a]}))[0::2] == (400, "marks")
    assert error(t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "marks": {a: 1}})) == (400, "bad_marks", "marks")
    assert error(t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "marks": {"424242": "yes"}})) \
        == (400, "unknown_line", "marks")
    r = t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "marks": {a: "yes", b: "yes", c: "yes"}})
    assert "2" in r.get_json()["error"]["message"] and "赞成" in r.get_json()["error"]["message"]
    assert st.scalar("SELECT count(*) FROM poll_participation WHERE poll_id = ?", (pid,)) == 0
    assert st.scalar("SELECT count(*) FROM sheet_ballots WHERE poll_id = ?", (pid,)) == 0
    # a valid ballot: yes A, no B, write-in D; its retry is recognised
    good = {**ballot("yes", 1), "marks": {a: "yes", b: "no"}, "write_ins": [person_id(app, MEMBERS[3])]}
    assert t.post(f"/api/v1/polls/{pid}/ballots", json=good).get_json() == {"recorded": True, "retry": False}
    assert t.post(f"/api/v1/polls/{pid}/ballots", json=good).get_json() == {"recorded": True, "retry": True}
    assert error(t.post(f"/api/v1/polls/{pid}/ballots", json={**good, "marks": {a: "no"}}))[:2] == (409, "already_voted")
    t2 = tablets[MEMBERS[1]]
    assert t2.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 2), "marks": {a: "yes"}}).status_code == 200
    r = sec.post(f"/api/v1/polls/{pid}/close")
    assert r.status_code == 200 and r.get_json()["kind"] == "election" and "当选：无" in r.get_json()["line"]
    shown = t.get(f"/api/v1/polls/{pid}").get_json()
    assert shown["result"]["outcome"]["further_round"] == 2 and shown["next_round"]["kind"] == "further"
    listed = t.get(f"/api/v1/polls/{pid}/trackers").get_json()["ballots"]
    assert {"tracker": ballot("yes", 1)["tracker"], "choice": json.dumps(
        {"marks": {a: "yes", b: "no", c: "abstain"}, "write_ins": [person_id(app, MEMBERS[3])]}, sort_keys=True, separators=(",", ":"))} in listed
    # the console creates the further round in one click; bad picks are refused
    assert error(sec.post(f"/api/v1/polls/{pid}/next-round", json={"candidates": ["c999"]})) == (400, "bad_candidates", "candidates")
    r = sec.post(f"/api/v1/polls/{pid}/next-round", json={})
    assert r.status_code == 200
    nxt = sec.get(f"/api/v1/polls/{r.get_json()['id']}").get_json()
    assert (nxt["round"], nxt["round_kind"], nxt["seats"], nxt["parent_poll"]) == (2, "further", 2, pid)
    assert error(sec.post(f"/api/v1/polls/{pid}/next-round", json={}))[:2] == (409, "no_next_round")


def test_election_creation_refusals(room):
    app, st, sec, mid, items, tablets = room
    before = st.scalar("SELECT count(*) FROM polls")
    for body, code, fld in (({"kind": "election", "seats": 0, "lines": [{"name": "甲"}]}, "bad_field", "seats"),
                            ({"kind": "election", "seats": 3, "lines": [{"name": "甲"}, {"name": "乙"}]}, "too_few_candidates", "lines"),
                            ({"kind": "election", "seats": 1, "lines": [{"person": 999999}]}, "unknown_person", "lines"),
                            ({"kind": "election", "seats": 1, "lines": [{"name": "甲"}, {"name": "甲"}]}, "duplicate_line", "lines"),
                            ({"kind": "election", "seats": 1, "lines": [{"name": "甲"}], "eligible": [999999]}, "unknown_person", "eligible"),
                            ({"kind": "election", "seats": 1, "lines": [{"name": "甲"}], "mode": "named"}, "sheet_is_secret", "mode"),
                            ({"kind": "appointment", "lines": []}, "bad_lines", "lines"),
                            ({"kind": "appointment", "lines": [{"name": "甲"}]}, "bad_post", "lines")):
        assert error(sec.post(f"/api/v1/items/{items[0]}/polls", json=body)) == (400, code, fld), body
    assert st.scalar("SELECT count(*) FROM polls") == before


def test_appointment_opened_before_its_removal_closed_is_refused(room):
    app, st, sec, mid, items, tablets = room
    rem = sec.post(f"/api/v1/items/{items[1]}/polls", json={"kind": "appointment", "lines": [
        {"name": "李某某", "post": "区财政局局长", "action": "remove"}]}).get_json()["id"]
    app_ = sec.post(f"/api/v1/items/{items[2]}/polls", json={"kind": "appointment", "lines": [
        {"name": "张某某", "post": "区财政局局长", "action": "appoint"}, {"name": "王某某", "post": "区教育局局长"}]}).get_json()["id"]
    r = sec.post(f"/api/v1/polls/{app_}/open", json={})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "removal_not_closed"
    assert "先免后任" in r.get_json()["error"]["message"] and "区财政局局长" in r.get_json()["error"]["message"]
    assert sec.get(f"/api/v1/polls/{app_}").get_json()["status"] == "draft"
    assert sec.post(f"/api/v1/polls/{rem}/open", json={}).status_code == 200
    line = str(sec.get(f"/api/v1/polls/{rem}").get_json()["lines"][0]["id"])
    for n, t in enumerate(tablets.values()):
        assert t.post(f"/api/v1/polls/{rem}/ballots", json={**ballot("yes", 10 + n), "marks": {line: "yes"}}).status_code == 200
    assert sec.post(f"/api/v1/polls/{rem}/close").status_code == 200
    assert sec.post(f"/api/v1/polls/{app_}/open", json={}).status_code == 200
    lines = [str(x["id"]) for x in sec.get(f"/api/v1/polls/{app_}").get_json()["lines"]]
    t = tablets[MEMBERS[0]]
    assert error(t.post(f"/api/v1/polls/{app_}/ballots", json={**ballot("yes", 20), "marks": {lines[0]: "yes"}})) \
        == (400, "nominee_unmarked", "marks")
    assert t.post(f"/api/v1/polls/{app_}/ballots", json={**ballot("yes", 20), "marks": {lines[0]: "yes", lines[1]: "no"}}).status_code == 200
    r = sec.post(f"/api/v1/polls/{app_}/close").get_json()
    assert r["line"].splitlines() == ["任命 张某某 为区财政局局长：赞成 1，反对 0，弃权 0，未表决 11 — 需 8 票 — 未通过",
                                      "任命 王某某 为区教育局局长：赞成 0，反对 1，弃权 0，未表决 11 — 需 8 票 — 未通过"]


def test_assessment_on_the_tablet(room):
    app, st, sec, mid, items, tablets = room
    item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "对区人民政府工作报告的满意度测评", "kind": "report"}).get_json()["id"]
    pid = sec.post(f"/api/v1/items/{item}/polls", json={"kind": "assessment"}).get_json()["id"]
    t = tablets[MEMBERS[0]]
    assert [c["value"] for c in t.get(f"/api/v1/polls/{pid}").get_json()["choices"]] == ["satisfied", "basically", "unsatisfied"]
    sec.post(f"/api/v1/polls/{pid}/open", json={})
    assert error(t.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1))) == (400, "bad_assessment_choice", "choice")
    assert error(sec.post(f"/api/v1/polls/{pid}/show-of-hands", json={"yes": 1, "no": 0, "abstain": 0, "reason": "x"}))[:2] \
        == (409, "not_a_motion")
    assert t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "choice": "basically"}).status_code == 200
    r = sec.post(f"/api/v1/polls/{pid}/close").get_json()
    assert r["outcome"]["basically"] == 1 and r["outcome"]["not_voted"] == 11 and r["line"].endswith("测评结果：不满意")
    assert people.get(st, person_id(app, MEMBERS[0])) is not None
