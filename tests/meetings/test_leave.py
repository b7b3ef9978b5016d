"""请假 through the API: a member asks, the director or the secretary decides, the roster and
应到/实到/请假 follow; and every refusal, each leaving the store as it was."""

import datetime
import re
import time

import pytest

from appliance.demo import MEMBERS, member_pin
from tests.devices.helpers import person_id
from tests.meetings.helpers import member_tablets, secretary


def staff_client(app):
    c = app.test_client()
    assert c.post("/api/v1/login", json={"username": "staff", "password": "yishi-staff"}).status_code == 200
    return c


def meeting(sec, title="第十八届人大常委会第五次会议", starts_at=None):
    starts_at = time.time() + 3600 if starts_at is None else starts_at
    r = sec.post("/api/v1/meetings", json={"kind": "standing", "title": title, "starts_at": starts_at})
    assert r.status_code == 200, r.get_json()
    return r.get_json()["id"]


def roster_of(sec, mid):
    return {p["name"]: p for p in sec.get(f"/api/v1/meetings/{mid}/console").get_json()["roster"]}


def leave_rows(app):
    return app.extensions["yishi"].store.scalar("SELECT count(*) FROM leave_requests")


def audit_count(app):
    return app.extensions["yishi"].store.scalar("SELECT count(*) FROM audit")


@pytest.fixture
def room(demo_app):
    sec = secretary(demo_app)
    tablets = member_tablets(demo_app, [(n, member_pin(i)) for i, n in enumerate(MEMBERS[:4], start=1)])
    return demo_app, sec, tablets


def error(r, status):
    assert r.status_code == status, (r.status_code, r.get_json())
    return r.get_json()["error"]


def test_ask_approve_and_the_roster_follows(room):
    app, sec, tablets = room
    mid = meeting(sec)
    li = tablets["李秀英"]
    r = li.post("/api/v1/leave", json={"meeting": mid, "reason": "赴省里参加培训"})
    assert r.status_code == 200, r.get_json()
    rid = r.get_json()["id"]
    assert r.get_json()["request"]["status"] == "pending"
    mine = li.get("/api/v1/leave").get_json()["requests"]
    assert [(q["id"], q["status"], q["meeting"]) for q in mine] == [(rid, "pending", mid)]
    assert roster_of(sec, mid)["李秀英"]["status"] == "expected"
    # The secretary sees it to decide, and approves with a note.
    pending = sec.get("/api/v1/leave/review?status=pending").get_json()["requests"]
    assert [q["id"] for q in pending] == [rid]
    r = sec.post(f"/api/v1/leave/{rid}/decide", json={"decision": "approve", "note": "同意"})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["meetings"] == [mid] and r.get_json()["request"]["status"] == "approved"
    row = roster_of(sec, mid)["李秀英"]
    assert (row["status"], row["reason"]) == ("excused", "赴省里参加培训")
    att = sec.get(f"/api/v1/meetings/{mid}").get_json()["attendance"]
    assert (att["membership"], att["present"], att["excused"], att["absent"]) == (15, 0, 1, 14)
    got = li.get("/api/v1/leave").get_json()["requests"][0]
    assert (got["status"], got["decided_by"], got["note"]) == ("approved", "林晓", "同意")
    st = app.extensions["yishi"].store
    actions = [r[0] for r in st.all("SELECT action FROM audit WHERE action LIKE 'leave.%' ORDER BY seq")]
    assert actions == ["leave.ask", "leave.approve"]
    # The staff's own 请假 button still works beside it.
    r = sec.post(f"/api/v1/meetings/{mid}/people/{person_id(app, '张伟')}/excuse", json={"reason": "病假"})
    assert r.get_json()["attendance"]["excused"] == 2


def test_the_director_decides_and_a_member_withdraws(room):
    app, sec, tablets = room
    mid = meeting(sec)
    chair = tablets["王建国"]  # seat 1: member and chair (主任)
    r1 = tablets["张伟"].post("/api/v1/leave", json={"meeting": mid, "reason": "出差"}).get_json()["id"]
    r2 = tablets["刘芳"].post("/api/v1/leave", json={"meeting": mid, "reason": "家中有事"}).get_json()["id"]
    r = chair.post(f"/api/v1/leave/{r1}/decide", json={"decision": "decline", "note": "会议重要，请参加"})
    assert r.status_code == 200 and r.get_json()["request"]["status"] == "declined" and r.get_json()["meetings"] == []
    assert roster_of(sec, mid)["张伟"]["status"] == "expected"
    r = tablets["刘芳"].post(f"/api/v1/leave/{r2}/withdraw")
    assert r.status_code == 200 and r.get_json()["status"] == "withdrawn"
    # Withdrawn: nothing to decide any more; and a decided one cannot be withdrawn.
    assert error(sec.post(f"/api/v1/leave/{r2}/decide", json={"decision": "approve"}), 409)["code"] == "already_decided"
    assert error(tablets["张伟"].post(f"/api/v1/leave/{r1}/withdraw"), 409)["code"] == "already_decided"
    # Someone else's request cannot be withdrawn (nor seen to exist).
    r3 = tablets["张伟"].post("/api/v1/leave", json={"meeting": mid, "reason": "又出差"}).get_json()["id"]
    assert error(tablets["刘芳"].post(f"/api/v1/leave/{r3}/withdraw"), 404)["code"] == "no_leave_request"
    # The chair cannot decide their own request.
    r4 = chair.post("/api/v1/leave", json={"meeting": mid, "reason": "开会冲突"}).get_json()["id"]
    assert error(chair.post(f"/api/v1/leave/{r4}/decide", json={"decision": "approve"}), 403)["code"] == "own_request"
    assert sec.post(f"/api/v1/leave/{r4}/decide", json={"decision": "approve"}).status_code == 200


def test_a_range_covers_meetings_made_later(room):
    app, sec, tablets = room
    today = datetime.date.today()
    noon = datetime.datetime.combine(today, datetime.time(12)) + datetime.timedelta(days=2)
    before = meeting(sec, "范围内已有的会议", noon.timestamp())
    outside = meeting(sec, "范围外的会议", (noon + datetime.timedelta(days=10)).timestamp())
    r = tablets["李秀英"].post("/api/v1/leave", json={"from_day": today.isoformat(),
                                                     "to_day": (today + datetime.timedelta(days=5)).isoformat(), "reason": "住院治疗"})
    assert r.status_code == 200, r.get_json()
    rid = r.get_json()["id"]
    r = sec.post(f"/api/v1/leave/{rid}/decide", json={"decision": "approve"})
    assert r.get_json()["meetings"] == [before]
    later = meeting(sec, "范围内新建的会议", (noon + datetime.timedelta(days=1)).timestamp())
    assert roster_of(sec, before)["李秀英"]["status"] == "excused"
    assert (roster_of(sec, later)["李秀英"]["status"], roster_of(sec, later)["李秀英"]["reason"]) == ("excused", "住院治疗")
    assert roster_of(sec, outside)["李秀英"]["status"] == "expected"
    assert sec.get(f"/api/v1/meetings/{later}").get_json()["attendance"]["excused"] == 1
    # An overlapping second range is refused.
    r = tablets["李秀英"].post("/api/v1/leave", json={"from_day": (today + datetime.timedelta(days=4)).isoformat(),
                                                     "to_day": (today + datetime.timedelta(days=8)).isoformat(), "reason": "复查"})
    assert error(r, 409)["code"] == "leave_exists"


def test_bad_requests_are_refused_and_change_nothing(room):
    app, sec, tablets = room
    li = tablets["李秀英"]
    today = datetime.date.today()
    closed = meeting(sec, "已闭会的会议")
    assert sec.post(f"/api/v1/meetings/{closed}/close").status_code == 200
    opened = meeting(sec, "正在举行的会议", time.time())
    assert sec.post(f"/api/v1/meetings/{opened}/signin/open").status_code == 200
    assert li.post(f"/api/v1/meetings/{opened}/signin").status_code == 200
    upcoming = meeting(sec, "将要举行的会议")
    st = app.extensions["yishi"].store
    # a meeting the member is not on the list of: an attendee-only list would do; here one made before they joined
    from appliance.devices import people

    newcomer = people.create(st, "test", "新任委员", ["member"], seat=40, pin="123456")
    newcomer_tablet = member_tablets(app, [("新任委员", "123456")])["新任委员"]
    before_rows, before_audit = leave_rows(app), audit_count(app)
    cases = [
        # (who, body, status, code, field)
        (li, {"meeting": closed, "reason": "出差"}, 409, "meeting_closed", None),
        (li, {"meeting": opened, "reason": "出差"}, 409, "already_signed_in", None),
        (newcomer_tablet, {"meeting": upcoming, "reason": "出差"}, 403, "not_expected", None),
        (li, {"meeting": 999999, "reason": "出差"}, 404, "no_meeting", None),
        (li, {"meeting": upcoming, "reason": "   "}, 400, "reason_required", "reason"),
        (li, {"meeting": upcoming}, 400, "missing_field", "reason"),
        (li, {"meeting": upcoming, "reason": "长" * 201}, 400, "reason_too_long", "reason"),
        (li, {"reason": "出差"}, 400, "leave_what", "meeting"),
        (li, {"meeting": upcoming, "from_day": today.isoformat(), "to_day": today.isoformat(), "reason": "出差"}, 400, "leave_what", "meeting"),
        (li, {"from_day": (today + datetime.timedelta(days=5)).isoformat(), "to_day": (today + datetime.timedelta(days=2)).isoformat(),
              "reason": "出差"}, 400, "range_backwards", "to_day"),
        (li, {"from_day": today.isoformat(), "to_day": (today + datetime.timedelta(days=400)).isoformat(), "reason": "出差"},
         400, "range_too_long", "to_day"),
        (li, {"from_day": (today - datetime.timedelta(days=3)).isoformat(), "to_day": today.isoformat(), "reason": "出差"},
         400, "range_past", "from_day"),
        (li, {"from_day": "2026-13-45", "to_day": today.isoformat(), "reason": "出差"}, 400, "bad_day", "from_day"),
        (li, {"from_day": today.isoformat(), "reason": "出差"}, 400, "bad_day", "to_day"),
        (li, {"meeting": "一", "reason": "出差"}, 400, "bad_field", "meeting"),
    ]
    for who, body, status, code, field in cases:
        err = error(who.post("/api/v1/leave", json=body), status)
        assert err["code"] == code, (body, err)
        if field:
            assert err.get("field") == field, (body, err)
        assert err["message"] and err["message"] != code
    assert (leave_rows(app), audit_count(app)) == (before_rows, before_audit), "a refused request changed the store"
    assert "已经闭会" in error(li.post("/api/v1/leave", json={"meeting": closed, "reason": "出差"}), 409)["message"]
    assert newcomer is not None


def test_deciding_needs_the_role_and_happens_once(room):
    app, sec, tablets = room
    mid = meeting(sec, "签到后再批", time.time())
    rid = tablets["李秀英"].post("/api/v1/leave", json={"meeting": mid, "reason": "出差"}).get_json()["id"]
    staff = staff_client(app)
    for who in (staff, tablets["张伟"]):
        assert error(who.post(f"/api/v1/leave/{rid}/decide", json={"decision": "approve"}), 403)["code"] == "forbidden"
        assert error(who.get("/api/v1/leave/review"), 403)["code"] == "forbidden"
    assert error(sec.post(f"/api/v1/leave/{rid}/decide", json={"decision": "maybe"}), 400)["field"] == "decision"
    assert error(sec.post(f"/api/v1/leave/{rid}/decide", json={"decision": "approve", "note": "很" * 201}), 400)["field"] == "note"
    assert error(sec.post("/api/v1/leave/999999/decide", json={"decision": "approve"}), 404)["code"] == "no_leave_request"
    # The member came after all and signed in: approving is refused, with the reason.
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    assert tablets["李秀英"].post(f"/api/v1/meetings/{mid}/signin").status_code == 200
    before = audit_count(app)
    err = error(sec.post(f"/api/v1/leave/{rid}/decide", json={"decision": "approve"}), 409)
    assert err["code"] == "already_signed_in" and "签到后再批" in err["message"]
    assert audit_count(app) == before and roster_of(sec, mid)["李秀英"]["status"] == "present"
    # Declining still works, once.
    assert sec.post(f"/api/v1/leave/{rid}/decide", json={"decision": "decline"}).status_code == 200
    err = error(tablets["王建国"].post(f"/api/v1/leave/{rid}/decide", json={"decision": "approve"}), 409)
    assert err["code"] == "already_decided" and "已不再等待" in err["message"]


def test_leave_for_a_meeting_that_closed_before_the_decision(room):
    app, sec, tablets = room
    mid = meeting(sec)
    rid = tablets["张伟"].post("/api/v1/leave", json={"meeting": mid, "reason": "出差"}).get_json()["id"]
    assert sec.post(f"/api/v1/meetings/{mid}/close").status_code == 200
    assert error(sec.post(f"/api/v1/leave/{rid}/decide", json={"decision": "approve"}), 409)["code"] == "meeting_closed"
    assert tablets["张伟"].get("/api/v1/leave").get_json()["requests"][0]["status"] == "pending"


def test_a_second_request_for_the_same_meeting(room):
    app, sec, tablets = room
    mid = meeting(sec)
    assert tablets["张伟"].post("/api/v1/leave", json={"meeting": mid, "reason": "出差"}).status_code == 200
    assert error(tablets["张伟"].post("/api/v1/leave", json={"meeting": mid, "reason": "出差"}), 409)["code"] == "leave_exists"
    sec.post(f"/api/v1/meetings/{mid}/people/{person_id(app, '刘芳')}/excuse", json={"reason": "病假"})
    assert error(tablets["刘芳"].post("/api/v1/leave", json={"meeting": mid, "reason": "病假"}), 409)["code"] == "already_excused"


def test_the_console_lists_the_requests_that_cover_its_meeting(room):
    app, sec, tablets = room
    today = datetime.date.today()
    mid = meeting(sec, "本次会议", datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(9)).timestamp())
    other = meeting(sec, "另一次会议", datetime.datetime.combine(today + datetime.timedelta(days=20), datetime.time(9)).timestamp())
    one = tablets["张伟"].post("/api/v1/leave", json={"meeting": mid, "reason": "出差"}).get_json()["id"]
    span = tablets["刘芳"].post("/api/v1/leave", json={"from_day": today.isoformat(), "to_day": (today + datetime.timedelta(days=2)).isoformat(),
                                                     "reason": "住院"}).get_json()["id"]
    tablets["李秀英"].post("/api/v1/leave", json={"meeting": other, "reason": "出差"})
    got = sec.get(f"/api/v1/leave/review?status=pending&meeting={mid}").get_json()["requests"]
    assert sorted(q["id"] for q in got) == sorted([one, span])
    assert error(sec.get("/api/v1/leave/review?meeting=999999"), 404)["code"] == "no_meeting"
    assert error(sec.get("/api/v1/leave/review?status=maybe"), 400)["field"] == "status"
    page = sec.get(f"/meetings/{mid}/console").get_data(as_text=True)
    assert 'id="leave-panel"' in page and re.search(r"/static/js/leave-console\.[0-9a-f]{12}\.js", page)  # fingerprinted
    # Pages: the review page is the approvers' only.
    assert tablets["张伟"].get("/leave/review").status_code == 403
    assert "出差" in sec.get("/leave/review").get_data(as_text=True)
    assert "本次会议" in tablets["李秀英"].get(f"/leave?meeting={mid}").get_data(as_text=True)
