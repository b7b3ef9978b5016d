"""Sign-off of outgoing documents through the API: steps, a return, PIN, number, issue."""

import threading
import time

import pytest

from tests.office.helpers import chinese_pdf, file_json, leader, login, pid, secretary, staff


def _start(app, office, title="关于2026年度代表活动经费的通知", kind="ban", distribution=None):
    r = office.post("/api/v1/office/outgoing", json={
        "title": title, "kind": kind, "file": file_json("通知.pdf", chinese_pdf(title, "代表活动经费预算")),
        "steps": [{"step": "draft", "person_id": pid(app, "罗佳")}, {"step": "check", "person_id": pid(app, "林晓")},
                  {"step": "sign", "person_id": pid(app, "高远")}, {"step": "number", "person_id": pid(app, "罗佳")},
                  {"step": "issue", "person_id": pid(app, "罗佳")}],
        "distribution": distribution or []})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["outgoing"]["id"]


def test_every_step_with_a_return_and_the_number(demo_app):
    office, sec, boss = staff(demo_app), secretary(demo_app), leader(demo_app)
    oid = _start(demo_app, office, distribution=[pid(demo_app, "王建国")])
    url = f"/api/v1/office/outgoing/{oid}/decide"
    assert office.post(url, json={"decision": "approve", "remark": "请核稿"}).status_code == 200
    # The checker returns it to the drafter with a reason; without one it is refused.
    assert sec.post(url, json={"decision": "return"}).get_json()["error"]["code"] == "reason_required"
    r = sec.post(url, json={"decision": "return", "remark": "第二段数字有误", "to_position": 0})
    assert r.status_code == 200 and r.get_json()["outgoing"]["position"] == 0
    assert office.post(f"/api/v1/office/outgoing/{oid}/versions", json={"file": file_json("v2.pdf", chinese_pdf("修改稿"))}).get_json()["version"] == 2
    office.post(url, json={"decision": "approve"})
    sec.post(url, json={"decision": "approve", "remark": "已核"})
    # The leader confirms with the PIN; a wrong one is refused and nothing moves.
    r = boss.post(url, json={"decision": "approve", "pin": "000000"})
    assert r.status_code == 401
    assert boss.post(url, json={"decision": "approve"}).get_json()["error"]["code"] == "pin_required"
    r = boss.post(url, json={"decision": "approve", "pin": "555555", "remark": "同意印发"})
    assert r.status_code == 200 and r.get_json()["outgoing"]["position"] == 3
    assert r.get_json()["outgoing"]["number"] is None
    r = office.post(url, json={"decision": "approve"})
    year = time.localtime().tm_year
    assert r.get_json()["outgoing"]["number"] == f"大安人大办〔{year}〕1号"
    # Returning past numbering would reuse or skip a number: refused.
    assert office.post(url, json={"decision": "return", "remark": "x", "to_position": 2}).get_json()["error"]["code"] == "numbered"
    r = office.post(url, json={"decision": "approve"})
    out = r.get_json()
    assert out["outgoing"]["status"] == "issued"
    steps = [(d["step"], d["decision"], d["doc_version"]) for d in out["decisions"]]
    assert steps == [("draft", "approve", 1), ("check", "return", 1), ("draft", "approve", 2), ("check", "approve", 2),
                     ("sign", "approve", 2), ("number", "approve", 2), ("issue", "approve", 2)]
    st = demo_app.extensions["yishi"].store
    actions = [r[0] for r in st.all("SELECT action FROM audit WHERE action LIKE 'outgoing.%' ORDER BY seq")]
    assert actions == ["outgoing.create"] + ["outgoing.approve", "outgoing.return"] + ["outgoing.approve"] * 5
    # Issued: distributed as a circulation to the list, and filed.
    assert st.scalar("SELECT count(*) FROM circulations WHERE outgoing_id = ?", (oid,)) == 1
    found = office.get("/api/v1/office/archive/search?q=" + f"人大办〔{year}〕1号").get_json()
    assert found["total"] == 1 and found["results"][0]["number"] == f"大安人大办〔{year}〕1号"
    assert office.post(url, json={"decision": "approve"}).status_code == 409


def test_numbers_are_consecutive_per_kind_and_never_reused(demo_app):
    from appliance.office import outgoing
    from appliance.devices import people

    st = demo_app.extensions["yishi"].store
    staff_p = people.by_username(st, "staff")
    leader_p = people.by_username(st, "leader")
    steps = [("draft", staff_p.id), ("sign", leader_p.id), ("number", staff_p.id), ("issue", staff_p.id)]
    numbers = []
    for i, kind in enumerate(["ban", "ban", "chang", "ban"]):
        oid = outgoing.create(st, staff_p, f"文件{i}", kind, "a.pdf", chinese_pdf(f"文件{i}"), steps)
        outgoing.decide(st, staff_p, oid, "approve")
        outgoing.decide(st, leader_p, oid, "approve", pin="555555")
        outgoing.decide(st, staff_p, oid, "approve")
        numbers.append(outgoing.get(st, oid)["number"])
    y = time.localtime().tm_year
    assert numbers == [f"大安人大办〔{y}〕1号", f"大安人大办〔{y}〕2号", f"大安人大常〔{y}〕1号", f"大安人大办〔{y}〕3号"]
    with pytest.raises(Exception, match="consecutive"):
        with st.write() as db:
            db.execute("INSERT INTO document_numbers VALUES ('ban', ?, 5, 'x', 999, 0)", (y,))
    with pytest.raises(Exception, match="never"):
        with st.write() as db:
            db.execute("DELETE FROM document_numbers WHERE seq = 3")


def test_sign_off_by_someone_else_is_refused(demo_app):
    office, sec = staff(demo_app), secretary(demo_app)
    oid = _start(demo_app, office)
    r = sec.post(f"/api/v1/office/outgoing/{oid}/decide", json={"decision": "approve"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_your_step"
    office.post(f"/api/v1/office/outgoing/{oid}/decide", json={"decision": "approve"})
    sec.post(f"/api/v1/office/outgoing/{oid}/decide", json={"decision": "approve"})
    # At the leader's step, even office staff cannot sign in the leader's place.
    r = office.post(f"/api/v1/office/outgoing/{oid}/decide", json={"decision": "approve", "pin": "444444"})
    assert r.status_code == 403
    assert demo_app.extensions["yishi"].store.scalar("SELECT count(*) FROM outgoing_decisions WHERE outgoing_id = ?", (oid,)) == 2


def test_double_click_on_approve_records_one_decision(demo_app):
    office = staff(demo_app)
    oid = _start(demo_app, office)
    body = {"decision": "approve", "request_key": "tap-0123456789", "position": 0}
    results = []

    def tap():
        c = login(demo_app, "staff", "yishi-staff")
        results.append(c.post(f"/api/v1/office/outgoing/{oid}/decide", json=body))

    threads = [threading.Thread(target=tap) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.status_code == 200 for r in results), [r.get_json() for r in results]
    assert sum(r.get_json()["recorded"] for r in results) == 1
    st = demo_app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM outgoing_decisions WHERE outgoing_id = ?", (oid,)) == 1
    assert st.scalar("SELECT position FROM outgoing WHERE id = ?", (oid,)) == 1
    # A second tap with a new key but the stale position is refused, not recorded twice.
    r = office.post(f"/api/v1/office/outgoing/{oid}/decide", json={"decision": "approve", "request_key": "tap-other-key", "position": 0})
    assert r.status_code == 409
    assert st.scalar("SELECT count(*) FROM outgoing_decisions WHERE outgoing_id = ?", (oid,)) == 1


def test_bad_workflows_and_patterns(demo_app):
    office = staff(demo_app)
    base = {"title": "x", "kind": "ban", "file": file_json("a.pdf", chinese_pdf("x"))}
    r = office.post("/api/v1/office/outgoing", json={**base, "steps": [{"step": "issue", "person_id": pid(demo_app, "罗佳")},
                                                                        {"step": "sign", "person_id": pid(demo_app, "高远")}]})
    assert r.get_json()["error"]["code"] == "step_order"
    r = office.post("/api/v1/office/outgoing", json={**base, "kind": "nope"})
    assert r.get_json()["error"]["code"] == "bad_kind"
    r = office.post("/api/v1/office/numbering", json={"kind": "han", "label": "函", "pattern": "大安人大函〔{year}〕号"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_pattern"
    r = office.post("/api/v1/office/numbering", json={"kind": "han", "label": "函", "pattern": "大安人大函〔{year}〕{n}号"})
    assert r.status_code == 200
    assert leader(demo_app).post("/api/v1/office/numbering", json={"kind": "x", "label": "x", "pattern": "{year}{n}"}).status_code == 403
