"""审议意见 as one loop, through the API and the pages: opinions on the tablet and from the floor,
the 审议意见书 (checked by text extraction), its sign-off, 交办 with a deadline, overdue on a
controlled clock, the handling report, and the 满意度测评 at a later meeting with its result."""

import io
import subprocess
import time

import pytest

from appliance.demo import MEMBERS, member_pin
from appliance.meetings import core
from tests.conftest import need
from tests.devices.helpers import person_id
from tests.meetings.helpers import ballot, member_tablets
from tests.office.helpers import chinese_pdf, file_json, leader, pid, secretary, staff

ITEM = "关于区人民政府2026年度环境保护工作情况的报告"
OTHER = "关于修改人事任免办法的决定（草案）"


class Clock:
    """The appliance's clock (config.extra["clock"]), moved by the test instead of waiting."""

    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t

    def advance(self, days=0, seconds=0):
        self.t += days * 86400 + seconds


def day(ts):
    return time.strftime("%Y-%m-%d", time.localtime(ts))


def error(r):
    body = r.get_json()
    return r.status_code, body["error"]["code"]


@pytest.fixture
def room(demo_app):
    """The demo committee's meeting in session with two items, two members on tablets, and a
    later meeting planned; the appliance's clock under the test's control."""
    clock = Clock(time.time())
    demo_app.extensions["yishi"].config.extra["clock"] = clock
    sec = secretary(demo_app)
    mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "第十八届人大常委会第四次会议",
                                             "starts_at": "2026-06-29T09:00"}).get_json()["id"]
    items = [sec.post(f"/api/v1/meetings/{mid}/items", json={"title": t, "kind": k}).get_json()["id"]
             for t, k in ((ITEM, "report"), (OTHER, "bill"))]
    later = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "第十八届人大常委会第六次会议",
                                               "starts_at": "2026-10-29T09:00"}).get_json()["id"]
    tablets = member_tablets(demo_app, [(n, member_pin(i)) for i, n in enumerate(MEMBERS[:3], start=1)])
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    return demo_app, clock, sec, mid, items, later, tablets


def _give(tablet, mid, item, body):
    return tablet.post(f"/api/v1/office/meetings/{mid}/items/{item}/opinions", json={"body": body})


def _sign_off(app, oid):
    """The 审议意见书 through the ordinary sign-off: drafting and checking, the leader with the
    PIN, numbering and issue."""
    office, sec, boss = staff(app), secretary(app), leader(app)
    url = f"/api/v1/office/outgoing/{oid}/decide"
    assert office.post(url, json={"decision": "approve"}).status_code == 200
    assert sec.post(url, json={"decision": "approve"}).status_code == 200
    r = boss.post(url, json={"decision": "approve", "pin": "555555", "remark": "同意"})
    assert r.status_code == 200, r.get_json()
    assert office.post(url, json={"decision": "approve"}).status_code == 200
    r = office.post(url, json={"decision": "approve"})
    assert r.get_json()["outgoing"]["status"] == "issued"
    return r.get_json()


def _compiled(room_):
    """Opinions from two members (one typed, one entered by staff), compiled."""
    app, clock, sec, mid, items, later, tablets = room_
    office = staff(app)
    assert _give(tablets[MEMBERS[0]], mid, items[0], "建议加大对沱江支流的治理力度。").status_code == 201
    clock.advance(seconds=120)
    r = office.post(f"/api/v1/office/meetings/{mid}/items/{items[0]}/opinions",
                    json={"body": "垃圾分类应当进一步推进到农村。", "person": pid(app, MEMBERS[1])})
    assert r.status_code == 201, r.get_json()
    clock.advance(seconds=60)
    assert _give(tablets[MEMBERS[0]], mid, items[0], "报告中的数据应当注明来源。").status_code == 201
    r = office.post(f"/api/v1/office/items/{items[0]}/opinions/compile", json={})
    assert r.status_code == 201, r.get_json()
    return office, r.get_json()["outgoing"]


def _docx_rows(blob):
    from docx import Document

    doc = Document(io.BytesIO(blob))
    return [[c.text for c in row.cells] for t in doc.tables for row in t.rows], [p.text for p in doc.paragraphs]


def _pdf_text(blob, tmp_path):
    path = tmp_path / "opinions.pdf"
    path.write_bytes(blob)
    return subprocess.run([need("pdftotext"), "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _assessment_vote(app, sec, later, poll, tablets, choices):
    """The later meeting in session with a quorum; each tablet casts its choice; the poll closes."""
    st = app.extensions["yishi"].store
    assert sec.post(f"/api/v1/meetings/{later}/signin/open").status_code == 200
    for t in tablets.values():
        assert t.post(f"/api/v1/meetings/{later}/signin").status_code == 200
    for name in MEMBERS[3:10]:
        core.sign_in(st, person_id(app, name), later)
    assert sec.post(f"/api/v1/polls/{poll}/open", json={}).status_code == 200
    for n, (t, choice) in enumerate(zip(tablets.values(), choices), start=1):
        r = t.post(f"/api/v1/polls/{poll}/ballots", json={**ballot("yes", n), "choice": choice})
        assert r.status_code == 200, r.get_json()
    r = sec.post(f"/api/v1/polls/{poll}/close")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_loop_end_to_end(room, tmp_path):
    app, clock, sec, mid, items, later, tablets = room
    st = app.extensions["yishi"].store
    office, oid = _compiled(room)

    # The 审议意见书: every opinion in time order with the member's name, the staff's entry marked.
    rows, paragraphs = _docx_rows(office.get(f"/api/v1/office/items/{items[0]}/opinions/document.docx").data)
    assert any(ITEM in p for p in paragraphs)
    by_time = [r for r in rows if r[0].isdigit()]
    assert [(r[1], r[3]) for r in by_time] == [(MEMBERS[0], "建议加大对沱江支流的治理力度。"), (MEMBERS[1], "垃圾分类应当进一步推进到农村。"),
                                               (MEMBERS[0], "报告中的数据应当注明来源。")]
    assert by_time[1][4] == "工作人员代为录入（罗佳）" and by_time[0][4] == "本人在平板上提交"
    # ... and by member: 王建国's two together, in time order, then 李秀英's.
    by_member = [(r[0], r[2]) for r in rows if r[0] in MEMBERS[:2] and not r[0].isdigit()]
    assert by_member == [(MEMBERS[0], "建议加大对沱江支流的治理力度。"), (MEMBERS[0], "报告中的数据应当注明来源。"),
                         (MEMBERS[1], "垃圾分类应当进一步推进到农村。")]
    text = _pdf_text(office.get(f"/api/v1/office/items/{items[0]}/opinions/document.pdf").data, tmp_path)
    flat = "".join(text.split())
    first, second, third = (flat.index(s) for s in ("建议加大对沱江支流", "垃圾分类应当进一步", "报告中的数据应当"))
    assert first < second < third and MEMBERS[0] in flat and MEMBERS[1] in flat and "罗佳" in flat
    # The PDF in sign-off is the same document, stored inside the encrypted store.
    doc_id = st.scalar("SELECT document_id FROM outgoing WHERE id = ?", (oid,))
    assert st.scalar("SELECT count(*) FROM document_versions WHERE document_id = ?", (doc_id,)) == 1

    # Compiled: the item is closed for opinions.
    assert error(_give(tablets[MEMBERS[2]], mid, items[0], "再补充一条。")) == (409, "opinions_closed")
    # Not signed off yet: it cannot be sent.
    deadline = day(clock.t + 30 * 86400)
    r = office.post(f"/api/v1/office/items/{items[0]}/opinions/send", json={"to": "区人民政府", "deadline": deadline})
    assert error(r) == (409, "not_signed_off")
    signed = _sign_off(app, oid)
    assert signed["outgoing"]["number"].startswith("大安人大常〔")

    r = office.post(f"/api/v1/office/items/{items[0]}/opinions/send", json={"to": "区人民政府", "deadline": deadline})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["state"] == "sent" and not r.get_json()["overdue"]
    # The member who gave opinions may now read the 审议意见书 itself.
    t0 = tablets[MEMBERS[0]]
    assert t0.get(f"/api/v1/documents/{doc_id}").status_code == 200
    assert tablets[MEMBERS[2]].get(f"/api/v1/documents/{doc_id}").status_code in (403, 404)

    # The deadline passes with no report: overdue, first on the office's list and in red.
    r = office.post(f"/api/v1/office/meetings/{mid}/items/{items[1]}/opinions", json={"body": "第三条表述不清。", "person": pid(app, MEMBERS[2])})
    assert r.status_code == 201
    clock.advance(days=31)
    loops = office.get("/api/v1/office/opinions").get_json()["loops"]
    assert [(x["item_id"], x["state"]) for x in loops] == [(items[0], "overdue"), (items[1], "open")]
    page = office.get("/office/opinions").get_data(as_text=True)
    assert 'class="opinion-overdue-row" data-item="%d" data-state="overdue"' % items[0] in page and "已逾期" in page
    assert page.index(f'data-item="{items[0]}"') < page.index(f'data-item="{items[1]}"')

    # The report comes back: uploaded with its date.
    r = office.post(f"/api/v1/office/items/{items[0]}/opinions/report",
                    json={"file": file_json("办理情况报告.pdf", chinese_pdf("区人民政府关于审议意见办理情况的报告")), "report_date": day(clock.t)})
    assert r.status_code == 201, r.get_json()
    got = r.get_json()
    assert got["state"] == "reported" and not got["overdue"] and got["report_date"] == day(clock.t)
    assert t0.get(f"/api/v1/documents/{got['report_document_id']}").status_code == 200

    # 满意度测评 at the later meeting: an item there, the report its material, an assessment poll.
    r = office.post(f"/api/v1/office/items/{items[0]}/opinions/assess", json={"meeting": later})
    assert r.status_code == 201, r.get_json()
    new_item, poll = r.get_json()["item"], r.get_json()["poll"]
    row = st.one("SELECT * FROM agenda_items WHERE id = ?", (new_item,))
    assert row["meeting_id"] == later and ITEM in row["title"] and row["title"].endswith("满意度测评")
    assert st.scalar("SELECT kind FROM polls WHERE id = ?", (poll,)) == "assessment"
    assert st.scalar("SELECT document_id FROM materials WHERE item_id = ?", (new_item,)) == got["report_document_id"]
    assert office.get(f"/api/v1/office/items/{items[0]}/opinions").get_json()["state"] == "assessing"

    out = _assessment_vote(app, sec, later, poll, tablets, ["satisfied", "basically", "unsatisfied"])
    assert out["outcome"]["satisfied"] == 1
    x = office.get(f"/api/v1/office/items/{items[0]}/opinions").get_json()
    assert x["state"] == "assessed" and x["result"]["outcome"] == "unsatisfied"  # 2 of 15: no majority of all members
    assert x["result"]["lines"][-1].endswith("测评结果：不满意")
    page = office.get(f"/office/opinions/items/{items[0]}").get_data(as_text=True)
    assert "测评结果：不满意" in page and "区人民政府" in page

    # The members who gave opinions see every step, and the result; the one entered for 李秀英 too.
    for name in MEMBERS[:2]:
        mine = _member_client(app, tablets, name)
        js = mine.get("/api/v1/office/opinions/mine").get_json()["opinions"]
        assert js and all(o["loop"]["state"] == "assessed" for o in js if o["loop"]["item_id"] == items[0])
        assert [s["step"] for s in js[0]["loop"]["steps"] if s["at"]] == ["compiled", "signed", "sent", "reported", "assessing", "assessed"]
        page = mine.get("/office/opinions/mine").get_data(as_text=True)
        assert "测评结果：不满意" in page and "区人民政府" in page and "已评议" in page
    # Every step is in the audit log.
    actions = [r[0] for r in st.all("SELECT action FROM audit WHERE action LIKE 'opinion.%' ORDER BY seq")]
    assert actions == ["opinion.give"] * 3 + ["opinion.compile", "opinion.send", "opinion.give", "opinion.report", "opinion.assess"]


def _member_client(app, tablets, name):
    if name in tablets:
        return tablets[name]
    return member_tablets(app, [(name, member_pin(MEMBERS.index(name) + 1))])[name]


def test_the_pages_a_member_gives_an_opinion_and_staff_enter_one(room):
    app, clock, sec, mid, items, later, tablets = room
    t = tablets[MEMBERS[0]]
    assert 'id="give-opinions"' in t.get(f"/meetings/{mid}").get_data(as_text=True)
    page = t.get(f"/office/opinions/meetings/{mid}").get_data(as_text=True)
    assert page.count("发表审议意见") >= 2 and ITEM in page and OTHER in page
    r = t.post(f"/office/opinions/meetings/{mid}/items/{items[0]}", data={"body": "建议增加基层监测点。"}, follow_redirects=True)
    assert r.status_code == 200 and "您的审议意见已提交。" in r.get_data(as_text=True) and "建议增加基层监测点。" in r.get_data(as_text=True)
    # Empty: the same page again, with the message, and nothing stored.
    r = t.post(f"/office/opinions/meetings/{mid}/items/{items[0]}", data={"body": "   "}, follow_redirects=True)
    assert "请先填写审议意见" in r.get_data(as_text=True)
    office = staff(app)
    r = office.post(f"/office/opinions/items/{items[0]}/enter", data={"person": str(pid(app, MEMBERS[4])), "body": "口头发言：建议公开整改清单。"},
                    follow_redirects=True)
    page = r.get_data(as_text=True)
    assert "口头发言：建议公开整改清单。" in page and "工作人员代为录入" in page and "罗佳" in page
    st = app.extensions["yishi"].store
    rows = st.all("SELECT person_id, source, entered_by FROM opinions WHERE item_id = ? ORDER BY id", (items[0],))
    assert [tuple(r) for r in rows] == [(pid(app, MEMBERS[0]), "tablet", None), (pid(app, MEMBERS[4]), "staff", pid(app, "罗佳"))]
    # The member sees only their own opinion on the loop page; the office, both.
    assert "口头发言" not in t.get(f"/office/opinions/items/{items[0]}").get_data(as_text=True)
    r = office.post(f"/office/opinions/items/{items[0]}/compile", follow_redirects=True)
    assert r.status_code == 200 and "审签" in r.get_data(as_text=True)
    assert st.one("SELECT outgoing_id FROM opinion_loops WHERE item_id = ?", (items[0],))[0] is not None
    page = t.get(f"/office/opinions/meetings/{mid}").get_data(as_text=True)
    assert "本议题已不再接受审议意见" in page


# -- bad input, each its own test ------------------------------------------------------------

def test_opinion_on_a_compiled_item_is_refused(room):
    app, clock, sec, mid, items, later, tablets = room
    office, _oid = _compiled(room)
    st = app.extensions["yishi"].store
    before = st.scalar("SELECT count(*) FROM opinions")
    r = _give(tablets[MEMBERS[1]], mid, items[0], "补充意见。")
    assert error(r) == (409, "opinions_closed") and "已汇总" in r.get_json()["error"]["message"]
    r = office.post(f"/api/v1/office/meetings/{mid}/items/{items[0]}/opinions", json={"body": "补充。", "person": pid(app, MEMBERS[1])})
    assert error(r) == (409, "opinions_closed")
    assert st.scalar("SELECT count(*) FROM opinions") == before


def test_opinion_before_the_meeting_and_after_it_closed(room):
    app, clock, sec, mid, items, later, tablets = room
    item = sec.post(f"/api/v1/meetings/{later}/items", json={"title": "关于2027年度监督工作计划", "kind": "other"}).get_json()["id"]
    assert error(_give(tablets[MEMBERS[0]], later, item, "意见。")) == (409, "not_in_session")
    assert sec.post(f"/api/v1/meetings/{mid}/close").status_code == 200
    r = _give(tablets[MEMBERS[0]], mid, items[0], "会后补充。")
    assert error(r) == (409, "meeting_closed")
    # ... but the staff may still enter what a member hands in on paper.
    r = staff(app).post(f"/api/v1/office/meetings/{mid}/items/{items[0]}/opinions", json={"body": "书面意见。", "person": pid(app, MEMBERS[0])})
    assert r.status_code == 201


def test_empty_and_oversized_opinions_are_refused(room):
    app, clock, sec, mid, items, later, tablets = room
    t = tablets[MEMBERS[0]]
    st = app.extensions["yishi"].store
    r = _give(t, mid, items[0], "  \n ")
    assert error(r) == (400, "empty_opinion") and r.get_json()["error"]["field"] == "body"
    r = _give(t, mid, items[0], "长" * 3001)
    assert error(r) == (400, "opinion_too_long") and "3000" in r.get_json()["error"]["message"]
    assert error(t.post(f"/api/v1/office/meetings/{mid}/items/{items[0]}/opinions", json={"body": 42}))[0] == 400
    assert _give(t, mid, items[0], "长" * 3000).status_code == 201
    assert st.scalar("SELECT count(*) FROM opinions") == 1


def test_someone_not_on_the_list_cannot_give_an_opinion(room):
    app, clock, sec, mid, items, later, tablets = room
    st = app.extensions["yishi"].store
    st.conn.execute("DELETE FROM meeting_people WHERE meeting_id = ? AND person_id = ?", (mid, pid(app, MEMBERS[2])))
    r = _give(tablets[MEMBERS[2]], mid, items[0], "意见。")
    assert error(r) == (403, "not_on_list")
    # Staff cannot enter one for them either, nor for someone who does not exist.
    office = staff(app)
    r = office.post(f"/api/v1/office/meetings/{mid}/items/{items[0]}/opinions", json={"body": "意见。", "person": pid(app, MEMBERS[2])})
    assert error(r) == (400, "not_on_list") and MEMBERS[2] in r.get_json()["error"]["message"]
    r = office.post(f"/api/v1/office/meetings/{mid}/items/{items[0]}/opinions", json={"body": "意见。", "person": 999999})
    assert error(r) == (400, "bad_person")
    # Nor may they list the meeting's items for opinions.
    assert error(tablets[MEMBERS[2]].get(f"/api/v1/office/meetings/{mid}/opinions")) == (403, "not_expected")
    assert tablets[MEMBERS[2]].get(f"/office/opinions/meetings/{mid}").status_code == 403
    # A member cannot give one "on behalf" of another.
    r = tablets[MEMBERS[0]].post(f"/api/v1/office/meetings/{mid}/items/{items[0]}/opinions", json={"body": "意见。", "person": pid(app, MEMBERS[1])})
    assert error(r) == (403, "office_only")
    assert st.scalar("SELECT count(*) FROM opinions") == 0


def test_an_item_of_another_meeting_is_not_there(room):
    app, clock, sec, mid, items, later, tablets = room
    r = _give(tablets[MEMBERS[0]], later, items[0], "意见。")
    assert error(r) == (404, "no_item")
    assert app.extensions["yishi"].store.scalar("SELECT count(*) FROM opinions") == 0


def test_a_confidential_item_is_hidden_from_attendees(room):
    app, clock, sec, mid, items, later, tablets = room
    conf = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "任免事项", "kind": "appointment", "confidential": True}).get_json()["id"]
    attendee = member_tablets(app, [("郭明", "222201")])["郭明"]
    assert error(_give(attendee, mid, conf, "意见。")) == (404, "no_item")
    assert conf not in [x["id"] for x in attendee.get(f"/api/v1/office/meetings/{mid}/opinions").get_json()["items"]]
    assert _give(attendee, mid, items[0], "列席人员的意见。").status_code == 201  # an open item: attendees may speak
    r = staff(app).post(f"/api/v1/office/meetings/{mid}/items/{conf}/opinions", json={"body": "意见。", "person": pid(app, "郭明")})
    assert error(r) == (400, "not_on_list")
    assert _give(tablets[MEMBERS[0]], mid, conf, "同意任命。").status_code == 201


def _signed(room_):
    app = room_[0]
    office, oid = _compiled(room_)
    _sign_off(app, oid)
    return office


def test_a_deadline_in_the_past_or_malformed_is_refused(room):
    app, clock, sec, mid, items, later, tablets = room
    office = _signed(room)
    url = f"/api/v1/office/items/{items[0]}/opinions/send"
    assert error(office.post(url, json={"to": "区人民政府", "deadline": day(clock.t - 86400)})) == (400, "deadline_in_past")
    assert error(office.post(url, json={"to": "区人民政府", "deadline": "下个月"})) == (400, "bad_deadline")
    assert error(office.post(url, json={"to": "区人民政府", "deadline": "2026-02-30"})) == (400, "bad_deadline")
    assert error(office.post(url, json={"to": "区人民政府", "deadline": 1e20})) == (400, "deadline_too_far")
    assert error(office.post(url, json={"to": "  ", "deadline": day(clock.t + 86400 * 5)})) == (400, "bad_organ")
    st = app.extensions["yishi"].store
    assert st.scalar("SELECT sent_at FROM opinion_loops WHERE item_id = ?", (items[0],)) is None
    r = office.post(url, json={"to": "区人民法院", "deadline": day(clock.t + 86400 * 5)})
    assert r.status_code == 200 and r.get_json()["sent_to"] == "区人民法院"
    assert error(office.post(url, json={"to": "区人民法院", "deadline": day(clock.t + 86400 * 5)})) == (409, "already_sent")


def test_a_report_that_is_not_an_allowed_file_is_refused(room):
    app, clock, sec, mid, items, later, tablets = room
    office = _signed(room)
    office.post(f"/api/v1/office/items/{items[0]}/opinions/send", json={"to": "区人民政府", "deadline": day(clock.t + 86400 * 5)})
    url = f"/api/v1/office/items/{items[0]}/opinions/report"
    # A Word file renamed .pdf is told apart by its content, not its name.
    r = office.post(url, json={"file": file_json("报告.pdf", b"PK\x03\x04" + b"\0" * 200), "report_date": day(clock.t)})
    assert error(r) == (415, "bad_file_type")
    r = office.post(url, json={"file": file_json("报告.pdf", chinese_pdf("报告")), "report_date": "2026-13-01"})
    assert error(r) == (400, "bad_report_date")
    r = office.post(url, json={"file": file_json("报告.pdf", chinese_pdf("报告")), "report_date": day(clock.t + 3 * 86400)})
    assert error(r) == (400, "report_date_future")
    st = app.extensions["yishi"].store
    assert st.scalar("SELECT report_at FROM opinion_loops WHERE item_id = ?", (items[0],)) is None
    # Through the page too: the message on the page, nothing recorded.
    r = office.post(f"/office/opinions/items/{items[0]}/report", data={"file": (io.BytesIO(b"GIF89a" + b"\0" * 50), "r.gif"),
                                                                       "report_date": day(clock.t)},
                    content_type="multipart/form-data", follow_redirects=True)
    assert r.status_code == 200 and 'class="flash error"' in r.get_data(as_text=True)
    assert st.scalar("SELECT report_at FROM opinion_loops WHERE item_id = ?", (items[0],)) is None


def test_assessing_a_report_twice_is_refused(room):
    app, clock, sec, mid, items, later, tablets = room
    office = _signed(room)
    office.post(f"/api/v1/office/items/{items[0]}/opinions/send", json={"to": "区人民政府", "deadline": day(clock.t + 86400 * 5)})
    url = f"/api/v1/office/items/{items[0]}/opinions/assess"
    assert error(office.post(url, json={"meeting": later})) == (409, "no_report")
    office.post(f"/api/v1/office/items/{items[0]}/opinions/report",
                json={"file": file_json("报告.pdf", chinese_pdf("报告")), "report_date": day(clock.t)})
    assert error(office.post(url, json={"meeting": mid})) == (400, "not_later_meeting")  # the same meeting
    assert office.post(url, json={"meeting": later}).status_code == 201
    st = app.extensions["yishi"].store
    items_before = st.scalar("SELECT count(*) FROM agenda_items")
    assert error(office.post(url, json={"meeting": later})) == (409, "already_assessed")
    assert st.scalar("SELECT count(*) FROM agenda_items") == items_before
    assert st.scalar("SELECT count(*) FROM polls WHERE kind = 'assessment'") == 1


def test_office_actions_need_the_office_role(room):
    app, clock, sec, mid, items, later, tablets = room
    t = tablets[MEMBERS[0]]
    assert _give(t, mid, items[0], "意见。").status_code == 201
    boss = leader(app)
    for client in (t, boss):
        assert client.post(f"/api/v1/office/items/{items[0]}/opinions/compile", json={}).status_code == 403
        assert client.get(f"/api/v1/office/items/{items[0]}/opinions/document.pdf").status_code == 403
        assert client.post(f"/api/v1/office/items/{items[0]}/opinions/send", json={"to": "区人民政府", "deadline": "2099-01-01"}).status_code == 403
        assert client.post(f"/api/v1/office/items/{items[0]}/opinions/assess", json={"meeting": later}).status_code == 403
        assert client.get("/api/v1/office/opinions").status_code == 403
        assert client.post(f"/office/opinions/items/{items[0]}/compile").status_code == 403
        assert client.get("/office/opinions").status_code == 403
    assert app.extensions["yishi"].store.scalar("SELECT count(*) FROM opinion_loops") == 0
    # The leader gave no opinion: the item's loop is not theirs to see.
    assert boss.get(f"/api/v1/office/items/{items[0]}/opinions").status_code == 404


def test_the_state_rule():
    from appliance.rules import opinion_loop as ol

    assert ol.state(ol.Loop(), 0) == "open"
    sent = ol.Loop(compiled_at=1, signed_at=2, sent_at=3, deadline=10)
    assert ol.state(sent, 10) == "sent" and ol.state(sent, 10.5) == "overdue" and ol.overdue(sent, 11)
    assert ol.state(ol.Loop(1, 2, 3, 10, report_at=20), 30) == "reported"
    with pytest.raises(ValueError):
        ol.Loop(compiled_at=None, signed_at=2)
    with pytest.raises(ValueError):
        ol.Loop(compiled_at=1, signed_at=2, sent_at=3)
    assert sorted([ol.Loop(), sent], key=lambda x: ol.urgency(x, 11))[0] is sent
