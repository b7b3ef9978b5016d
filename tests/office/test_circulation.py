"""Circulation with read receipts, through the real API: send, open, read, remind, close."""

from appliance.web.events import broadcaster
from tests.devices.helpers import admin_client
from tests.office.helpers import chinese_pdf, file_json, leader, member, pid, staff


def test_circulate_read_receipts_remind_and_close(demo_app):
    office = staff(demo_app)
    members = list(range(1, 16))
    r = office.post("/api/v1/office/circulations", json={
        "title": "关于学习贯彻会议精神的通知", "note": "请于本周内阅知", "groups": ["members"],
        "recipients": [pid(demo_app, "高远")], "file": file_json("通知.pdf", chinese_pdf("学习贯彻会议精神"))})
    assert r.status_code == 201, r.get_json()
    cid = r.get_json()["circulation"]["id"]
    assert len(r.get_json()["receipts"]) == 16

    admin = admin_client(demo_app)
    t1 = member(demo_app, admin, 1)
    inbox = t1.get("/api/v1/office/inbox").get_json()
    assert [c["id"] for c in inbox["circulations"]] == [cid]
    assert t1.post(f"/api/v1/office/circulations/{cid}/open").status_code == 200
    r = t1.post(f"/api/v1/office/circulations/{cid}/read", json={})
    assert r.status_code == 200 and r.get_json()["receipt"]["read_at"]
    first = r.get_json()["receipt"]["read_at"]
    # A second tap changes nothing.
    assert t1.post(f"/api/v1/office/circulations/{cid}/read", json={}).get_json()["receipt"]["read_at"] == first
    assert t1.get("/api/v1/office/inbox").get_json()["circulations"] == []
    # The recipient may open the circulated document.
    doc = office.get(f"/api/v1/office/circulations/{cid}").get_json()["circulation"]["document_id"]
    assert t1.get(f"/api/v1/documents/{doc}").status_code == 200

    boss = leader(demo_app)
    r = boss.post(f"/api/v1/office/circulations/{cid}/read", json={"remark": "请各委室认真学习。"})
    assert r.get_json()["receipt"]["remark"] == "请各委室认真学习。"

    detail = office.get(f"/api/v1/office/circulations/{cid}").get_json()
    assert len(detail["not_read"]) == 14 and "王建国" not in detail["not_read"] and "高远" not in detail["not_read"]
    opened = {x["name"]: x for x in detail["receipts"]}
    assert opened["王建国"]["opened_at"] <= opened["王建国"]["read_at"]

    # A recipient sees only their own receipt.
    mine = t1.get(f"/api/v1/office/circulations/{cid}").get_json()
    assert [x["name"] for x in mine["receipts"]] == ["王建国"] and mine["mine"]["read_at"] and mine["not_read"] == []

    sub = broadcaster(demo_app).subscribe({f"person:{pid(demo_app, '李秀英')}"})
    r = office.post(f"/api/v1/office/circulations/{cid}/remind")
    assert len(r.get_json()["reminded"]) == 14
    item = sub.next(1)
    assert item and item[1] == "office.reminder"

    assert t1.post(f"/api/v1/office/circulations/{cid}/remind").status_code == 403
    r = office.post(f"/api/v1/office/circulations/{cid}/close")
    assert r.get_json()["circulation"]["status"] == "closed"
    assert office.post(f"/api/v1/office/circulations/{cid}/close").status_code == 409
    found = office.get("/api/v1/office/archive/search?kind=circulation").get_json()
    assert [x["title"] for x in found["results"]] == ["关于学习贯彻会议精神的通知"]
    assert members  # the whole committee was reached


def test_bad_uploads_are_refused(demo_app):
    office = staff(demo_app)
    base = {"title": "测试", "groups": ["members"]}
    r = office.post("/api/v1/office/circulations", json={**base, "file": file_json("a.pdf", b"")})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "empty_file"
    r = office.post("/api/v1/office/circulations", json={**base, "file": file_json("a.pdf", b"MZ\x90\x00 not a pdf")})
    assert r.status_code == 415 and r.get_json()["error"]["code"] == "bad_file_type"
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    r = office.post("/api/v1/office/circulations", json={**base, "file": file_json("report.pdf", png)})
    assert r.status_code == 415 and r.get_json()["error"]["code"] == "file_type_mismatch"
    huge = b"%PDF-1.4\n" + b"0" * (51 * 1024 * 1024)
    r = office.post("/api/v1/office/circulations", data={"title": "大文件", "groups": "members",
                                                         "file": (__import__("io").BytesIO(huge), "big.pdf")})
    assert r.status_code == 413
    r = office.post("/api/v1/office/circulations", json={**base, "groups": [], "file": file_json("a.pdf", chinese_pdf("x"))})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "no_recipients"
    assert demo_app.extensions["yishi"].store.scalar("SELECT count(*) FROM circulations") == 0


def test_members_cannot_circulate(demo_app):
    admin = admin_client(demo_app)
    t = member(demo_app, admin, 2)
    r = t.post("/api/v1/office/circulations", json={"title": "x", "groups": ["members"]})
    assert r.status_code == 403


def test_pages_render(demo_app):
    office = staff(demo_app)
    office.post("/api/v1/office/circulations", json={"title": "页面测试", "groups": ["members"],
                                                     "file": file_json("a.pdf", chinese_pdf("页面"))})
    for path in ("/office/", "/office/circulations", "/office/circulations/new", "/office/circulations/1",
                 "/office/consultations", "/office/consultations/new", "/office/outgoing", "/office/outgoing/new",
                 "/office/numbering", "/office/archive", "/office/archive?q=%25%25"):
        r = office.get(path)
        assert r.status_code == 200, (path, r.status_code)
    assert "传阅" in office.get("/").get_data(as_text=True)


def test_demo_content(store):
    from appliance import demo
    from appliance.office.demo import add_demo

    demo.populate(store)
    assert add_demo(store, True)
    assert store.scalar("SELECT count(*) FROM circulations") == 1
    assert store.scalar("SELECT position FROM outgoing") == 2
    assert add_demo(store, True) == []
