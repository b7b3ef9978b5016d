"""会议通知 / 回执 through the API and the pages: the office sends a notice to a meeting of the demo
committee (15 members, 2 non-voting attendees), each replies 出席 or 请假, a 请假 reply becomes a
leave request in the office's leave list, the office sees who has not replied and reminds only
them; and every refusal, each with its message and the store left as it was."""

import json
import time

import pytest

from appliance.demo import ATTENDEES, MEMBERS, member_pin
from appliance.meetings import notices
from tests.devices.helpers import person_id
from tests.meetings.helpers import member_tablets, secretary


def store_of(app):
    return app.extensions["yishi"].store


def snapshot(app):
    """Everything a refused request must leave as it was."""
    st = store_of(app)
    return tuple(st.scalar(f"SELECT count(*) FROM {t}") for t in
                 ("audit", "notice_versions", "notice_recipients", "notice_replies", "leave_requests")) + (
        tuple(tuple(r) for r in st.all("SELECT meeting_id, person_id, version, choice, reason, leave_request_id FROM notice_replies ORDER BY 1, 2")),
        tuple(tuple(r) for r in st.all("SELECT id, status FROM leave_requests ORDER BY id")),
        tuple(tuple(r) for r in st.all("SELECT person_id, reminded_at, reminders FROM notice_recipients ORDER BY 1")))


def refused(app, r, status, code):
    body = r.get_json()
    assert r.status_code == status, (r.status_code, body)
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]["message"]


def meeting(sec, title="第十八届人大常委会第六次会议", starts_at=None, items=("关于2026年财政预算执行情况的报告", "关于修改物业管理条例的决定（草案）")):
    starts_at = time.time() + 86400 if starts_at is None else starts_at
    r = sec.post("/api/v1/meetings", json={"kind": "standing", "title": title, "starts_at": starts_at, "room": "区人大常委会第一会议室"})
    assert r.status_code == 200, r.get_json()
    mid = r.get_json()["id"]
    for t in items:
        assert sec.post(f"/api/v1/meetings/{mid}/items", json={"title": t, "kind": "report"}).status_code == 200
    return mid


@pytest.fixture
def room(demo_app):
    """The secretary, four members' tablets and an attendee's, all signed in."""
    sec = secretary(demo_app)
    people = [(n, member_pin(i)) for i, n in enumerate(MEMBERS[:4], start=1)] + [(ATTENDEES[0], "222201")]
    return demo_app, sec, member_tablets(demo_app, people)


def events(app, topic):
    """A subscriber on the app's own broadcaster (what /api/v1/events listens to)."""
    from appliance.web.events import broadcaster

    return broadcaster(app).subscribe({topic})


def drain(sub):
    out = []
    while sub.queue:
        _, event, data, _ = sub.queue.popleft()
        out.append((event, json.loads(data)))
    return out


def test_send_reach_everyone_reply_and_see_it_in_the_leave_list(room):
    app, sec, tablets = room
    mid = meeting(sec)
    li, wang, guo = tablets["李秀英"], tablets["王建国"], tablets["郭明"]
    li_sub, guo_sub, office_sub = events(app, f"person:{person_id(app, '李秀英')}"), events(app, f"person:{person_id(app, '郭明')}"), events(app, "role:secretary")
    r = sec.post(f"/api/v1/meetings/{mid}/notice/send", json={"extra": "请于8:30前到一楼报到，着正装。"})
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["version"], r.get_json()["recipients"], r.get_json()["asked_again"]) == (1, 17, False)
    assert "17" in r.get_json()["message"]
    # Everyone expected got it: 15 members and 2 non-voting attendees, each on their own topic.
    st = store_of(app)
    assert st.scalar("SELECT count(*) FROM notice_recipients WHERE meeting_id = ?", (mid,)) == 17
    assert st.scalar("SELECT count(*) FROM notice_recipients WHERE meeting_id = ? AND capacity = 'attendee'", (mid,)) == 2
    assert [e for e, d in drain(li_sub)] == ["notice"] and [d["meeting"] for e, d in drain(guo_sub)] == [mid]
    assert ("notice.reply", {"meeting": mid, "version": 1}) in drain(office_sub)
    # The member reads it: date, place, agenda and the extra text, in Chinese.
    mine = li.get(f"/api/v1/meetings/{mid}/notice").get_json()
    assert mine["notice"]["place"] == "区人大常委会第一会议室" and mine["notice"]["extra"] == "请于8:30前到一楼报到，着正装。"
    assert [i["title"] for i in mine["notice"]["agenda"]] == ["关于2026年财政预算执行情况的报告", "关于修改物业管理条例的决定（草案）"]
    assert "年" in mine["notice"]["when"] and "星期" in mine["notice"]["when"]
    assert mine["reply"] is None and mine["open"]
    assert [n["meeting"] for n in li.get("/api/v1/notices").get_json()["notices"]] == [mid]
    page = li.get("/").get_data(as_text=True)
    assert 'id="notice-inbox"' in page and "请于8:30前到一楼报到" in page and "会议通知" in page

    # 出席 from one member; 请假 with a reason from another, which is a leave request at once.
    r = wang.post(f"/api/v1/meetings/{mid}/notice/reply", json={"choice": "attend", "version": 1})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["message"] == "回执已提交：出席。"
    r = li.post(f"/api/v1/meetings/{mid}/notice/reply", json={"choice": "leave", "reason": "赴省里参加培训"})
    assert r.status_code == 200, r.get_json()
    rid = r.get_json()["leave_request"]
    assert rid and "审批" in r.get_json()["message"]
    assert ("notice.reply", {"meeting": mid, "person": person_id(app, "李秀英"), "choice": "leave"}) in drain(office_sub)
    pending = sec.get(f"/api/v1/leave/review?status=pending&meeting={mid}").get_json()["requests"]
    assert [(q["id"], q["name"], q["reason"]) for q in pending] == [(rid, "李秀英", "赴省里参加培训")]
    assert "赴省里参加培训" in sec.get("/leave/review").get_data(as_text=True)
    # The replied notice leaves the start page; the unreplied one is still on the other's.
    assert li.get("/api/v1/notices").get_json()["notices"] == []
    assert 'class="card notice-card' not in li.get("/").get_data(as_text=True)
    assert [n["meeting"] for n in guo.get("/api/v1/notices").get_json()["notices"]] == [mid]

    # The office: who has not replied comes first, then 请假, then 出席; counts; the leave state.
    office = sec.get(f"/api/v1/meetings/{mid}/notice").get_json()
    assert office["counts"] == {"recipients": 17, "replied": 2, "attend": 1, "leave": 1, "none": 15}
    order = [(r["name"], r["choice"]) for r in office["replies"]]
    assert order[:15] == [(n, None) for n in MEMBERS if n not in ("王建国", "李秀英")] + [(a, None) for a in ATTENDEES]
    assert order[15:] == [("李秀英", "leave"), ("王建国", "attend")]
    li_row = office["replies"][15]
    assert (li_row["reason"], li_row["leave_status"], li_row["leave_request"]) == ("赴省里参加培训", "pending", rid)
    assert li_row["replied_at"] is not None
    html = sec.get(f"/meetings/{mid}/notice").get_data(as_text=True)
    assert "共 17 人：出席 1 人，请假 1 人，未回执 15 人。" in html and "提醒未回执" in html
    assert html.index("张伟") < html.index("李秀英") < html.index("王建国")

    # The director approves: the reply shows it, the roster and the ledger count 请假.
    assert sec.post(f"/api/v1/leave/{rid}/decide", json={"decision": "approve"}).status_code == 200
    assert sec.get(f"/api/v1/meetings/{mid}").get_json()["attendance"]["excused"] == 1
    assert sec.get(f"/api/v1/meetings/{mid}/notice").get_json()["replies"][15]["leave_status"] == "approved"
    actions = [r[0] for r in st.all("SELECT action FROM audit WHERE action LIKE 'notice.%' OR action LIKE 'leave.%' ORDER BY seq")]
    assert actions == ["notice.send", "notice.reply", "leave.ask", "notice.reply", "leave.approve"]


def test_remind_goes_only_to_those_who_have_not_replied_and_a_double_tap_does_not_spam(room):
    app, sec, tablets = room
    mid = meeting(sec)
    assert sec.post(f"/api/v1/meetings/{mid}/notice/send", json={}).status_code == 200
    replied = ["王建国", "李秀英", "张伟", "刘芳", "郭明"]
    for name in replied:
        body = {"choice": "leave", "reason": "出差"} if name == "刘芳" else {"choice": "attend"}
        assert tablets[name].post(f"/api/v1/meetings/{mid}/notice/reply", json=body).status_code == 200
    subs = {n: events(app, f"person:{person_id(app, n)}") for n in MEMBERS + ATTENDEES}
    r = sec.post(f"/api/v1/meetings/{mid}/notice/remind")
    assert r.status_code == 200, r.get_json()
    waiting = [n for n in MEMBERS + ATTENDEES if n not in replied]
    assert sorted(r.get_json()["reminded"]) == sorted(person_id(app, n) for n in waiting) and r.get_json()["skipped"] == []
    assert r.get_json()["message"] == f"已提醒 {len(waiting)} 位未回执的人员。"
    for n, sub in subs.items():
        got = drain(sub)
        if n in replied:
            assert got == [], n
        else:
            assert got == [("notice", {"meeting": mid, "version": 1, "reminder": True})], n
    # A second tap at once reminds nobody, and says why.
    before = snapshot(app)
    r = sec.post(f"/api/v1/meetings/{mid}/notice/remind")
    assert r.status_code == 200 and r.get_json()["reminded"] == [] and len(r.get_json()["skipped"]) == len(waiting)
    assert "5 分钟内提醒过" in r.get_json()["message"]
    assert snapshot(app) == before and all(drain(s) == [] for s in subs.values())
    # One more replies; after the gap, the rest are reminded again, and the audit has each round.
    assert tablets["郭明"].post(f"/api/v1/meetings/{mid}/notice/reply", json={"choice": "leave", "reason": "另有公务"}).status_code == 200
    st = store_of(app)
    from appliance.devices import people

    due, skipped = notices.remind(st, people.get(st, person_id(app, "林晓")), mid, now=time.time() + notices.REMIND_GAP + 1)
    assert sorted(due) == sorted(person_id(app, n) for n in waiting) and skipped == []
    rounds = [json.loads(r[0]) for r in st.all("SELECT detail FROM audit WHERE action = 'notice.remind' ORDER BY seq")]
    assert [len(d["people"]) for d in rounds] == [len(waiting), len(waiting)]
    html = sec.get(f"/meetings/{mid}/notice").get_data(as_text=True)
    assert "已提醒 2 次" in html


def test_change_of_mind_until_the_meeting_starts(room):
    app, sec, tablets = room
    mid = meeting(sec)
    li = tablets["李秀英"]
    assert sec.post(f"/api/v1/meetings/{mid}/notice/send", json={}).status_code == 200
    url = f"/api/v1/meetings/{mid}/notice/reply"
    rid = li.post(url, json={"choice": "leave", "reason": "身体不适"}).get_json()["leave_request"]
    # 请假 -> 出席 withdraws the undecided request through leave.py.
    r = li.post(url, json={"choice": "attend"})
    assert r.status_code == 200 and "撤回" in r.get_json()["message"]
    assert li.get("/api/v1/leave").get_json()["requests"][0]["status"] == "withdrawn"
    assert sec.get(f"/api/v1/leave/review?status=pending&meeting={mid}").get_json()["requests"] == []
    # 出席 -> 请假 again is a new request; a new reason for an undecided one replaces it.
    first = li.post(url, json={"choice": "leave", "reason": "身体不适"}).get_json()["leave_request"]
    assert first != rid
    second = li.post(url, json={"choice": "leave", "reason": "住院治疗"}).get_json()["leave_request"]
    assert second != first
    assert [(q["id"], q["reason"]) for q in sec.get(f"/api/v1/leave/review?status=pending&meeting={mid}").get_json()["requests"]] == [(second, "住院治疗")]
    # The same reply again changes nothing and is not audited twice.
    n_audit = store_of(app).scalar("SELECT count(*) FROM audit")
    assert li.post(url, json={"choice": "leave", "reason": "住院治疗"}).get_json()["leave_request"] == second
    assert store_of(app).scalar("SELECT count(*) FROM audit") == n_audit
    # Approved: changing to 出席 is refused with what to do; nothing changes.
    assert sec.post(f"/api/v1/leave/{second}/decide", json={"decision": "approve"}).status_code == 200
    before = snapshot(app)
    msg = refused(app, li.post(url, json={"choice": "attend"}), 409, "already_excused")
    assert "请告知会务人员" in msg
    refused(app, li.post(url, json={"choice": "leave", "reason": "另一个理由"}), 409, "leave_decided")
    assert snapshot(app) == before
    # A leave asked on the leave page first is linked, not asked twice.
    zhang = tablets["张伟"]
    own = zhang.post("/api/v1/leave", json={"meeting": mid, "reason": "外出考察"}).get_json()["id"]
    assert zhang.post(url, json={"choice": "leave", "reason": "外出考察"}).get_json()["leave_request"] == own
    assert store_of(app).scalar("SELECT count(*) FROM leave_requests WHERE person_id = ?", (person_id(app, "张伟"),)) == 1


def test_editing_and_sending_again_is_a_new_version(room):
    app, sec, tablets = room
    mid = meeting(sec)
    assert sec.post(f"/api/v1/meetings/{mid}/notice/send", json={"extra": "8:30报到"}).status_code == 200
    wang, li = tablets["王建国"], tablets["李秀英"]
    assert wang.post(f"/api/v1/meetings/{mid}/notice/reply", json={"choice": "attend"}).status_code == 200
    assert li.post(f"/api/v1/meetings/{mid}/notice/reply", json={"choice": "leave", "reason": "出差"}).status_code == 200
    # The same notice twice: refused, with where to go instead; nothing stored, nothing pushed.
    sub = events(app, f"person:{person_id(app, '张伟')}")
    before = snapshot(app)
    msg = refused(app, sec.post(f"/api/v1/meetings/{mid}/notice/send", json={"extra": "8:30报到"}), 409, "already_sent")
    assert "第 1 版" in msg and "提醒未回执" in msg
    assert snapshot(app) == before and drain(sub) == []
    # Only the extra text changed: version 2, the replies stand; those who replied see it changed.
    r = sec.post(f"/api/v1/meetings/{mid}/notice/send", json={"extra": "8:15报到，请着正装"})
    assert (r.get_json()["version"], r.get_json()["asked_again"]) == (2, False)
    assert drain(sub) == [("notice", {"meeting": mid, "version": 2, "asked_again": False})]
    c = sec.get(f"/api/v1/meetings/{mid}/notice").get_json()["counts"]
    assert (c["attend"], c["leave"]) == (1, 1)
    got = wang.get("/api/v1/notices").get_json()["notices"]
    assert [(n["version"], n["updated"], n["extra"]) for n in got] == [(2, True, "8:15报到，请着正装")]
    assert wang.post(f"/api/v1/meetings/{mid}/notice/reply", json={"choice": "attend", "version": 2}).status_code == 200
    assert wang.get("/api/v1/notices").get_json()["notices"] == []
    # A new place asks everyone again; a reply to the old version is refused.
    r = sec.post(f"/api/v1/meetings/{mid}/notice/send", json={"place": "区政府第三会议室", "extra": "8:15报到，请着正装"})
    assert (r.get_json()["version"], r.get_json()["asked_again"]) == (3, True)
    assert "重新回执" in r.get_json()["message"]
    c = sec.get(f"/api/v1/meetings/{mid}/notice").get_json()
    assert c["counts"]["replied"] == 0 and c["notice"]["place"] == "区政府第三会议室"
    before = snapshot(app)
    refused(app, wang.post(f"/api/v1/meetings/{mid}/notice/reply", json={"choice": "attend", "version": 2}), 409, "notice_changed")
    assert snapshot(app) == before
    got = wang.get("/api/v1/notices").get_json()["notices"]
    assert [(n["version"], n["asked_again"], n["place"]) for n in got] == [(3, True, "区政府第三会议室")]
    assert "变动前的回执：出席" in sec.get(f"/meetings/{mid}/notice").get_data(as_text=True)
    # 李秀英's leave request stays as it was (for the same meeting); her new 请假 links it.
    rid = li.post(f"/api/v1/meetings/{mid}/notice/reply", json={"choice": "leave", "reason": "出差"}).get_json()["leave_request"]
    assert store_of(app).scalar("SELECT count(*) FROM leave_requests WHERE person_id = ?", (person_id(app, "李秀英"),)) == 1
    assert rid is not None
    assert [r[0] for r in store_of(app).all("SELECT version FROM notice_versions WHERE meeting_id = ? ORDER BY version", (mid,))] == [1, 2, 3]


def test_confidential_items_are_not_on_an_attendees_notice(room):
    app, sec, tablets = room
    mid = meeting(sec, items=())
    sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于接受张某某辞去区人民政府副区长职务的请求", "kind": "appointment",
                                                  "confidential": True})
    sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于环境保护工作情况的报告", "kind": "report"})
    assert sec.post(f"/api/v1/meetings/{mid}/notice/send", json={}).status_code == 200
    member = tablets["王建国"].get(f"/api/v1/meetings/{mid}/notice").get_json()["notice"]["agenda"]
    attendee = tablets["郭明"].get(f"/api/v1/meetings/{mid}/notice").get_json()["notice"]["agenda"]
    assert [i["title"] for i in member] == ["关于接受张某某辞去区人民政府副区长职务的请求", "关于环境保护工作情况的报告"]
    assert attendee == [{"position": 1, "title": "关于环境保护工作情况的报告"}]
    assert "副区长" not in tablets["郭明"].get(f"/notices/{mid}").get_data(as_text=True)
    assert "副区长" not in tablets["郭明"].get("/").get_data(as_text=True)


def test_bad_replies_are_refused_with_a_message_and_nothing_stored(room):
    app, sec, tablets = room
    mid = meeting(sec)
    url = f"/api/v1/meetings/{mid}/notice/reply"
    li = tablets["李秀英"]
    # No notice yet.
    before = snapshot(app)
    assert refused(app, li.post(url, json={"choice": "attend"}), 404, "no_notice") == "这次会议还没有发出会议通知。"
    assert sec.post(f"/api/v1/meetings/{mid}/notice/send", json={}).status_code == 200
    before = snapshot(app)
    # An unknown choice, 请假 without a reason (or only spaces), an oversized reason, a wrong type.
    assert refused(app, li.post(url, json={"choice": "maybe"}), 400, "bad_choice") == "请选择“出席”或“请假”。"
    assert refused(app, li.post(url, json={"choice": "leave"}), 400, "reason_required") == "请填写请假理由。"
    refused(app, li.post(url, json={"choice": "leave", "reason": "　  "}), 400, "reason_required")
    assert refused(app, li.post(url, json={"choice": "leave", "reason": "因" * 201}), 400, "reason_too_long") == \
        "请假理由最多 200 个字，现在是 201 个字。"
    refused(app, li.post(url, json={"choice": "leave", "reason": "因" * 6000}), 400, "bad_field")
    refused(app, li.post(url, json={"choice": "leave", "reason": 7}), 400, "bad_field")
    refused(app, li.post(url, json={}), 400, "missing_field")
    refused(app, li.post(url, json={"choice": "attend", "version": 9}), 409, "notice_changed")
    # In English too.
    li.set_cookie("lang", "en")
    assert refused(app, li.post(url, json={"choice": "maybe"}), 400, "bad_choice") == "Choose “Will attend” or “Asks for leave”."
    assert "200" in refused(app, li.post(url, json={"choice": "leave", "reason": "x" * 201}), 400, "reason_too_long")
    li.set_cookie("lang", "zh_CN")
    # Someone the notice did not go to: staff, and a member of a meeting they are not on.
    assert "不是发给你的" in refused(app, sec.post(url, json={"choice": "attend"}), 403, "not_on_notice")
    assert snapshot(app) == before
    # The meeting started (sign-in opened), then was held (closed): no reply, no change.
    assert tablets["王建国"].post(url, json={"choice": "attend"}).status_code == 200
    before = snapshot(app)
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    before = snapshot(app)
    assert "已经开始" in refused(app, li.post(url, json={"choice": "attend"}), 409, "meeting_started")
    refused(app, tablets["王建国"].post(url, json={"choice": "leave", "reason": "临时有事"}), 409, "meeting_started")
    refused(app, sec.post(f"/api/v1/meetings/{mid}/notice/remind"), 409, "meeting_started")
    refused(app, sec.post(f"/api/v1/meetings/{mid}/notice/send", json={"extra": "改"}), 409, "meeting_started")
    assert snapshot(app) == before
    assert sec.post(f"/api/v1/meetings/{mid}/close").status_code == 200
    before = snapshot(app)
    assert "已经开过" in refused(app, li.post(url, json={"choice": "leave", "reason": "出差"}), 409, "meeting_held")
    assert snapshot(app) == before
    assert li.get("/api/v1/notices").get_json()["notices"] == []


def test_a_reply_after_the_start_time_is_refused_even_before_sign_in(room):
    app, sec, tablets = room
    mid = meeting(sec, starts_at=time.time() + 3600)
    assert sec.post(f"/api/v1/meetings/{mid}/notice/send", json={}).status_code == 200
    st = store_of(app)
    from appliance.devices import people

    li = people.get(st, person_id(app, "李秀英"))
    before = snapshot(app)
    with pytest.raises(Exception) as e:
        notices.reply(st, li, mid, "attend", now=time.time() + 3601)
    assert e.value.code == "meeting_started"
    assert snapshot(app) == before
    assert notices.reply(st, li, mid, "attend").choice == "attend"


def test_bad_notices_are_refused_with_a_message_and_nothing_stored(room):
    app, sec, tablets = room
    mid = meeting(sec)
    url = f"/api/v1/meetings/{mid}/notice/send"
    before = snapshot(app)
    assert refused(app, sec.post(url, json={"place": "   "}), 400, "no_place") == "请填写开会地点：没有地点的通知不能发出。"
    assert "100" in refused(app, sec.post(url, json={"place": "会" * 101}), 400, "place_too_long")
    assert "1000" in refused(app, sec.post(url, json={"extra": "注" * 1001}), 400, "extra_too_long")
    refused(app, sec.post(url, json={"place": 12}), 400, "bad_field")
    # Members cannot send one; a meeting that does not exist has none.
    refused(app, tablets["李秀英"].post(url, json={}), 403, "forbidden")  # 王建国 chairs: office roles
    refused(app, sec.post("/api/v1/meetings/99999/notice/send", json={}), 404, "no_meeting")
    refused(app, sec.post(f"/api/v1/meetings/{mid}/notice/remind"), 404, "no_notice")
    # A meeting with no place at all (created without a room) and one whose time has passed.
    st = store_of(app)
    from appliance.devices import people
    from appliance.meetings import core

    lin = people.get(st, person_id(app, "林晓"))
    bare = core.create(st, lin.id, "standing", "没有地点的会议", time.time() + 7200, room="")
    past = meeting(sec, title="时间已过的会议", starts_at=time.time() - 60, items=())
    before = snapshot(app)
    assert refused(app, sec.post(f"/api/v1/meetings/{bare}/notice/send", json={}), 400, "no_place")
    assert "开会时间已过" in refused(app, sec.post(f"/api/v1/meetings/{past}/notice/send", json={}), 409, "start_passed")
    with pytest.raises(Exception) as e:
        notices.send(st, lin, mid, now=st.scalar("SELECT starts_at FROM meetings WHERE id = ?", (mid,)) + 1)
    assert e.value.code == "start_passed"
    # No date: a meeting row whose time was never set (an imported or damaged row) is refused too.
    st.execute("UPDATE meetings SET starts_at = 0 WHERE id = ?", (bare,))
    assert "还没有开会时间" in refused(app, sec.post(f"/api/v1/meetings/{bare}/notice/send", json={"place": "第一会议室"}), 400, "no_date")
    assert snapshot(app) == before
    # In English.
    sec.set_cookie("lang", "en")
    assert refused(app, sec.post(url, json={"place": ""}), 400, "no_place").startswith("Enter where the meeting is held")


def test_pages_and_the_printable_list(room):
    app, sec, tablets = room
    mid = meeting(sec)
    page = sec.get(f"/meetings/{mid}/notice").get_data(as_text=True)
    assert "向全体应到人员发送通知" in page and "区人大常委会第一会议室" in page and "尚未发出" in page
    assert sec.post(f"/api/v1/meetings/{mid}/notice/send", json={"extra": "着正装"}).status_code == 200
    assert tablets["李秀英"].post(f"/api/v1/meetings/{mid}/notice/reply", json={"choice": "leave", "reason": "赴京学习"}).status_code == 200
    page = sec.get(f"/meetings/{mid}/notice").get_data(as_text=True)
    assert "发送修改后的通知（第 2 版）" in page and "理由：赴京学习" in page
    overview = sec.get("/notices").get_data(as_text=True)
    assert "已发出第 1 版" in overview and "17 人中已回执 1 人，未回执 16 人" in overview
    assert "会议通知" in sec.get("/").get_data(as_text=True)
    assert 'id="notice-office-link"' in sec.get(f"/meetings/{mid}/console").get_data(as_text=True)
    # The member's page and the tablet's link to it.
    assert "请回执" in tablets["王建国"].get(f"/meetings/{mid}").get_data(as_text=True)
    assert "出席" in tablets["王建国"].get(f"/notices/{mid}").get_data(as_text=True)
    tablets["王建国"].set_cookie("lang", "en")
    english = tablets["王建国"].get(f"/notices/{mid}").get_data(as_text=True)
    assert "Meeting notice" in english and "Reply: attend" in english and "Further details" in english and "会议通知" not in english
    tablets["王建国"].set_cookie("lang", "zh_CN")
    assert tablets["李秀英"].get("/notices").status_code == 403
    assert tablets["李秀英"].get(f"/api/v1/meetings/{mid}/notice/replies.pdf").status_code == 403
    other = meeting(sec, title="另一次会议")
    assert tablets["李秀英"].get(f"/notices/{other}").status_code == 404  # no notice sent to them yet
    assert tablets["李秀英"].get(f"/api/v1/meetings/{other}/notice").status_code == 404
    r = sec.get(f"/api/v1/meetings/{mid}/notice/replies.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")
    import subprocess

    from tests.conftest import need

    text = subprocess.run([need("pdftotext"), "-", "-"], input=r.data, capture_output=True, check=True).stdout.decode()
    assert "会议通知回执情况" in text and "未回执 16 人" in text and "赴京学习" in text and "李秀英" in text
    sec.set_cookie("lang", "en")
    text = subprocess.run([need("pdftotext"), "-", "-"], input=sec.get(f"/api/v1/meetings/{mid}/notice/replies.pdf").data,
                          capture_output=True, check=True).stdout.decode()
    assert "星期" in text and "Monday" not in text and "day" not in text


def test_migration_holds_its_constraints(store):
    """The schema itself refuses a 请假 reply without a reason and an 出席 reply with one."""
    import sqlcipher3

    from appliance import demo
    from appliance.meetings import core

    demo.populate(store)
    mid = core.create(store, 1, "standing", "约束测试", time.time() + 3600, room="一室")
    with store.write() as db:
        db.execute("INSERT INTO notice_recipients (meeting_id, person_id, capacity, version, sent_at) VALUES (?, 1, 'member', 1, 0)", (mid,))
    for choice, reason in (("leave", None), ("attend", "有理由"), ("maybe", None)):
        with pytest.raises(sqlcipher3.IntegrityError):
            with store.write() as db:
                db.execute("INSERT INTO notice_replies (meeting_id, person_id, version, choice, reason, replied_at) VALUES (?, 1, 1, ?, ?, 0)",
                           (mid, choice, reason))
