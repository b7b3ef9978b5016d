"""Building meetings for tests through the real API, with small real PDFs."""

import io

from tests.devices.helpers import admin_client, pair_tablet, person_id, sign_in


def make_pdf(text="测试材料", pages=1):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    from appliance.meetings.minutes import _font

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for n in range(pages):
        c.setFont(_font(), 16)
        c.drawString(72, 720, f"{text} 第{n + 1}页")
        c.showPage()
    c.save()
    return buf.getvalue()


def secretary(app):
    c = app.test_client()
    r = c.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"})
    assert r.status_code == 200
    return c


def new_meeting(app, sec, items=(("关于修改人事任免办法的决定（草案）", "bill"),)):
    r = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "第十八届人大常委会第四次会议", "starts_at": "2026-06-29T09:00"})
    assert r.status_code == 200, r.get_json()
    mid = r.get_json()["id"]
    item_ids = []
    for title, kind in items:
        r = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": title, "kind": kind})
        assert r.status_code == 200, r.get_json()
        item_ids.append(r.get_json()["id"])
    return mid, item_ids


def member_tablets(app, names_pins):
    admin = admin_client(app)
    tablets = {}
    for name, pin in names_pins:
        t = pair_tablet(app, admin, name=f"平板 {name}", person_id=person_id(app, name))
        assert sign_in(app, t, name, pin).status_code == 200
        tablets[name] = t
    return tablets


def ballot(choice, n):
    return {"choice": choice, "ballot_id": f"{n:032x}", "tracker": "".join("23456789ABCDEFGH"[(n >> (4 * i)) & 15] for i in range(8))}
