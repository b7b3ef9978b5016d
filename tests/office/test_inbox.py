"""The inbox and its live badge: every push carries the number the home tile shows."""

import json
import time

from appliance.web.events import broadcaster
from tests.devices.helpers import admin_client
from tests.office.helpers import chinese_pdf, file_json, member, pid, staff


def _pushes(sub):
    out = []
    while (item := sub.next(0.05)) is not None:
        out.append((item[1], json.loads(item[2])))
    return out


def test_every_push_carries_the_whole_inbox_count(demo_app):
    office = staff(demo_app)
    me = pid(demo_app, "王建国")
    sub = broadcaster(demo_app).subscribe({f"person:{me}"})
    deadline = time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400))
    r = office.post("/api/v1/office/consultations", json={"title": "征求意见稿", "text": "第一条", "deadline": deadline,
                                                          "recipients": [me]})
    assert r.status_code == 201
    assert _pushes(sub) == [("office.inbox", {"kind": "consultation", "id": r.get_json()["consultation"]["id"], "count": 1})]
    r = office.post("/api/v1/office/circulations", json={"title": "传阅件", "recipients": [me],
                                                         "file": file_json("a.pdf", chinese_pdf("传阅"))})
    cid = r.get_json()["circulation"]["id"]
    assert _pushes(sub) == [("office.inbox", {"kind": "circulation", "id": cid, "count": 2})]
    office.post(f"/api/v1/office/circulations/{cid}/remind")
    assert _pushes(sub) == [("office.reminder", {"kind": "circulation", "id": cid, "title": "传阅件", "count": 2})]

    t1 = member(demo_app, admin_client(demo_app), 1)
    inbox = t1.get("/api/v1/office/inbox").get_json()
    assert len(inbox["circulations"]) + len(inbox["consultations"]) + len(inbox["signoff"]) == 2
    assert "（2）" in t1.get("/").get_data(as_text=True)
    t1.post(f"/api/v1/office/circulations/{cid}/read", json={})
    assert _pushes(sub) == [("office.inbox", {"kind": "circulation", "id": cid, "count": 1})]
