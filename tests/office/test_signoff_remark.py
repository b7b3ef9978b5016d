"""A wrong PIN at the leader's sign-off (issue 14): the same page comes back with the error and
the remark the leader typed, not the inbox with the remark lost; nothing moves."""

from tests.office.helpers import leader, pid, secretary, staff
from tests.office.test_signoff import _start


def test_a_wrong_pin_keeps_the_typed_remark_and_moves_nothing(demo_app):
    office, sec, boss = staff(demo_app), secretary(demo_app), leader(demo_app)
    oid = _start(demo_app, office)
    url = f"/api/v1/office/outgoing/{oid}/decide"
    assert office.post(url, json={"decision": "approve"}).status_code == 200
    assert sec.post(url, json={"decision": "approve"}).status_code == 200
    page = boss.get(f"/office/outgoing/{oid}").get_data(as_text=True)
    assert "请输入 PIN 码确认签发" in page  # the leader has a PIN
    r = boss.post(f"/office/outgoing/{oid}/decide", data={"decision": "approve", "position": "2", "request_key": "k" * 32,
                                                         "remark": "同意印发，请抓紧办理", "pin": "000000"})
    assert r.status_code == 401
    html = r.get_data(as_text=True)
    assert "同意印发，请抓紧办理</textarea>" in html and "PIN" in html
    r = boss.post(f"/office/outgoing/{oid}/decide", data={"decision": "approve", "position": "2", "request_key": "k" * 32, "remark": "x"})
    assert r.status_code == 400 and "x</textarea>" in r.get_data(as_text=True)  # no PIN at all: the same
    state = office.get(f"/api/v1/office/outgoing/{oid}").get_json()["outgoing"]
    assert state["position"] == 2  # still at the sign step
    assert pid(demo_app, "高远")
