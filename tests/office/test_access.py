"""Object-level access: what one person may see of what others did with a shared object.

One test per kind of object, each through every door a leak could use: the object's own page,
the API, the archive entry page and the archive search (its hits and its excerpts).
"""

import time

from tests.devices.helpers import admin_client
from tests.office.helpers import chinese_pdf, file_json, leader, member, pid, staff


def _text(client, path):
    r = client.get(path)
    assert r.status_code == 200, (path, r.status_code)
    return r.get_data(as_text=True)


def _search(client, q, **kw):
    return client.get("/api/v1/office/archive/search", query_string={"q": q, **kw}).get_json()


def _entry(office, kind):
    found = _search(office, "", kind=kind)["results"]
    assert len(found) == 1, found
    return found[0]["id"]


def test_a_recipient_sees_only_their_own_receipt(demo_app):
    office, boss = staff(demo_app), leader(demo_app)
    t1 = member(demo_app, admin_client(demo_app), 1)
    r = office.post("/api/v1/office/circulations", json={
        "title": "关于学习贯彻会议精神的通知", "recipients": [pid(demo_app, n) for n in ("王建国", "李秀英", "高远")],
        "file": file_json("通知.pdf", chinese_pdf("关于学习贯彻会议精神"))})
    cid = r.get_json()["circulation"]["id"]
    assert t1.post(f"/api/v1/office/circulations/{cid}/read", json={"remark": "已阅知悉"}).status_code == 200
    assert boss.post(f"/api/v1/office/circulations/{cid}/read", json={"remark": "请各委室认真组织学习"}).status_code == 200

    # Open: the recipient's circulation page and the API show their own receipt only.
    page = _text(t1, f"/office/circulations/{cid}")
    assert "已阅知悉" in page and "认真组织学习" not in page and "高远" not in page
    mine = t1.get(f"/api/v1/office/circulations/{cid}").get_json()
    assert {x["person_id"] for x in mine["receipts"]} <= {pid(demo_app, "王建国")} and mine["not_read"] == []

    office.post(f"/api/v1/office/circulations/{cid}/close")
    entry = _entry(office, "circulation")
    # Filed: the archive entry page, the same rule.
    page = _text(t1, f"/office/archive/{entry}")
    assert "已阅知悉" in page
    for leak in ("认真组织学习", "高远", "李秀英"):
        assert leak not in page, leak
    # The search neither finds the entry by someone else's remark nor shows it in an excerpt.
    assert _search(t1, "组织学习")["total"] == 0
    assert _search(t1, "组织")["total"] == 0  # the two-character index too
    hits = _search(t1, "会议精神")["results"]
    assert [h["id"] for h in hits] == [entry] and "组织学习" not in hits[0]["excerpt"]
    assert "组织学习" not in _text(t1, "/office/archive?q=会议精神")
    assert _search(boss, "已阅知悉")["total"] == 0
    # Everyone finds it by their own remark; the sender and the office staff see them all.
    assert [h["id"] for h in _search(boss, "组织学习")["results"]] == [entry]
    assert [h["id"] for h in _search(t1, "知悉")["results"]] == [entry]
    page = _text(office, f"/office/archive/{entry}")
    assert all(s in page for s in ("已阅知悉", "认真组织学习", "高远", "李秀英"))
    assert [h["id"] for h in _search(office, "组织学习 会议精神")["results"]] == [entry]


TEXT = "第一条 为了规范会议文件管理，制定本办法。\n第二条 会议文件实行无纸化分发。"


def test_an_invitee_sees_only_their_own_comments_on_every_version(demo_app):
    office = staff(demo_app)
    admin = admin_client(demo_app)
    t1, t2 = member(demo_app, admin, 1), member(demo_app, admin, 2)
    deadline = time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400))
    r = office.post("/api/v1/office/consultations", json={
        "title": "会议文件管理办法（征求意见稿）", "text": TEXT, "deadline": deadline,
        "recipients": [pid(demo_app, "王建国"), pid(demo_app, "李秀英")]})
    cid = r.get_json()["consultation"]["id"]
    mine = t1.post(f"/api/v1/office/consultations/{cid}/comments", json={"paragraph": 1, "body": "建议改称规定"}).get_json()["comment"]
    theirs = t2.post(f"/api/v1/office/consultations/{cid}/comments", json={"paragraph": 2, "body": "涉密文件另行处理"}).get_json()["comment"]
    for k in (mine, theirs):
        office.post(f"/api/v1/office/consultations/comments/{k}/disposition", json={"disposition": "adopted"})
    r = office.post(f"/api/v1/office/consultations/{cid}/reissue", json={"text": TEXT.replace("办法", "规定"), "deadline": deadline})
    new = r.get_json()["consultation"]["id"]

    for path in (f"/office/consultations/{new}", f"/office/consultations/{cid}"):
        page = _text(t1, path)
        assert "建议改称规定" in page, path
        assert "涉密文件另行处理" not in page and "李秀英" not in page, path
    for c in (cid, new):
        assert {k["author_id"] for k in t1.get(f"/api/v1/office/consultations/{c}").get_json()["comments"]} <= {pid(demo_app, "王建国")}
    page = _text(office, f"/office/consultations/{new}")
    assert "建议改称规定" in page and "涉密文件另行处理" in page and "李秀英" in page


def test_the_distribution_list_does_not_see_the_sign_off_trail(demo_app):
    office, boss = staff(demo_app), leader(demo_app)
    t1 = member(demo_app, admin_client(demo_app), 1)
    r = office.post("/api/v1/office/outgoing", json={
        "title": "关于召开常委会会议的通知", "kind": "ban", "file": file_json("通知.pdf", chinese_pdf("关于召开常委会会议的通知")),
        "steps": [{"step": "draft", "person_id": pid(demo_app, "罗佳")}, {"step": "check", "person_id": pid(demo_app, "林晓")},
                  {"step": "sign", "person_id": pid(demo_app, "高远")}, {"step": "issue", "person_id": pid(demo_app, "罗佳")}],
        "distribution": [pid(demo_app, "王建国")]})
    oid = r.get_json()["outgoing"]["id"]
    url = f"/api/v1/office/outgoing/{oid}/decide"
    assert office.post(url, json={"decision": "approve"}).status_code == 200
    from tests.office.helpers import secretary

    assert secretary(demo_app).post(url, json={"decision": "approve", "remark": "已核无误"}).status_code == 200
    assert boss.post(url, json={"decision": "approve", "pin": "555555", "remark": "同意印发此件"}).status_code == 200
    assert office.post(url, json={"decision": "approve"}).get_json()["outgoing"]["status"] == "issued"

    entry = _entry(office, "outgoing")
    page = _text(t1, f"/office/archive/{entry}")
    assert "关于召开常委会会议的通知" in page
    for leak in ("同意印发此件", "已核无误", "林晓", "高远"):
        assert leak not in page, leak
    assert t1.get(f"/api/v1/office/outgoing/{oid}").status_code == 404
    assert t1.get(f"/office/outgoing/{oid}").status_code == 404
    assert _search(t1, "同意印发")["total"] == 0
    # The people of the steps and the office staff keep the trail.
    for who in (boss, office):
        page = _text(who, f"/office/archive/{entry}")
        assert "同意印发此件" in page and "已核无误" in page


def test_the_rules_per_kind(demo_app):
    """The same decisions straight from the domain, for each kind of person."""
    from appliance.devices import people
    from appliance.office import access, circulation, consultation, outgoing

    st = demo_app.extensions["yishi"].store
    sender, boss, sec = (people.by_username(st, u) for u in ("staff", "leader", "secretary"))
    a, b, outsider = (people.get(st, pid(demo_app, n)) for n in ("王建国", "李秀英", "张伟"))

    cid = circulation.send(st, sender, "传阅件", [a.id, b.id], filename="a.pdf", data=chinese_pdf("传阅"))
    circulation.confirm_read(st, a, cid, "甲的批示")
    circulation.confirm_read(st, b, cid, "乙的批示")
    circ = circulation.get(st, cid)
    remarks = lambda p: sorted(r["remark"] for r in access.visible_receipts(st, p, circ))  # noqa: E731
    assert remarks(sender) == remarks(sec) == ["乙的批示", "甲的批示"]
    assert remarks(a) == ["甲的批示"] and remarks(b) == ["乙的批示"] and remarks(outsider) == []

    k = consultation.publish_draft(st, sender, "征求意见稿", time.time() + 86400, [a.id, b.id], text="第一条\n第二条")
    consultation.comment(st, a, k, "甲的意见", 1)
    consultation.comment(st, b, k, "乙的意见", 2)
    c = consultation.get(st, k)
    bodies = lambda p: [x["body"] for x in access.visible_comments(st, p, c)]  # noqa: E731
    assert bodies(sender) == bodies(sec) == ["甲的意见", "乙的意见"]
    assert bodies(a) == ["甲的意见"] and bodies(b) == ["乙的意见"] and bodies(outsider) == []

    steps = [("draft", sender.id), ("sign", boss.id), ("issue", sender.id)]
    oid = outgoing.create(st, sender, "发文", "ban", "a.pdf", chinese_pdf("发文"), steps, distribution=[a.id])
    outgoing.decide(st, sender, oid, "approve")
    outgoing.decide(st, boss, oid, "approve", "同意", pin="555555")
    outgoing.decide(st, sender, oid, "approve")
    o = outgoing.get(st, oid)
    trail = lambda p: [d["remark"] for d in access.visible_trail(st, p, o)]  # noqa: E731
    assert trail(sender) == trail(boss) == trail(sec) == ["", "同意", ""]
    assert trail(a) == [] and trail(outsider) == []
