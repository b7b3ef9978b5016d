"""同屏 through the API: start, turn, hand over, stop; who may turn; bad input leaves the state as it was."""

import io
import json

from appliance.demo import member_pin
from tests.meetings.helpers import make_pdf, member_tablets, new_meeting, person_id, secretary


def _setup(app, pages=5):
    sec = secretary(app)
    mid, _ = new_meeting(app, sec)
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "报告", "publish": "1", "file": (io.BytesIO(make_pdf("报告", pages)), "r.pdf")},
                 content_type="multipart/form-data")
    material = r.get_json()["id"]
    tablets = member_tablets(app, [("王建国", member_pin(1)), ("李秀英", member_pin(2))])
    return sec, mid, material, tablets


def _audit(app, action):
    store = app.extensions["yishi"].store
    return [json.loads(r[0]) for r in store.all("SELECT detail FROM audit WHERE action = ? ORDER BY seq", (action,))]


def test_present_hand_over_turn_stop(demo_app):
    sec, mid, material, t = _setup(demo_app)
    wang, li = t["王建国"], t["李秀英"]
    assert wang.get(f"/api/v1/meetings/{mid}/presenter").get_json() == {"active": False, "meeting": mid}
    r = sec.post(f"/api/v1/meetings/{mid}/presenter", json={"material": material})
    s = r.get_json()
    assert r.status_code == 200 and s["active"] and s["page"] == 1 and s["pages"] == 5 and s["scale"] is None
    # The secretary drives until the drive is handed over; a member may not turn.
    r = wang.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 2})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_driving"
    assert "林晓" in r.get_json()["error"]["message"]
    assert sec.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 2}).get_json()["page"] == 2
    wang_id = person_id(demo_app, "王建国")
    r = sec.post(f"/api/v1/meetings/{mid}/presenter/driver", json={"driver": wang_id})
    assert r.get_json()["driver"] == wang_id and r.get_json()["driver_name"] == "王建国"
    r = wang.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 4, "scale": 1.5})
    assert r.status_code == 200 and r.get_json()["page"] == 4 and r.get_json()["scale"] == 1.5
    # The former driver, and another member, now get 403; a late reader reads page 4.
    assert sec.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 1}).status_code == 403
    assert li.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 1}).status_code == 403
    late = li.get(f"/api/v1/meetings/{mid}/presenter").get_json()
    assert late["page"] == 4 and late["scale"] == 1.5 and late["document"] == s["document"]
    # The reader of that document is told which meeting to follow.
    page = li.get(f"/documents/{s['document']}").get_data(as_text=True)
    assert f'data-meeting="{mid}"' in page
    # Stopping releases everyone; a turn afterwards is refused, the state stays stopped.
    assert sec.delete(f"/api/v1/meetings/{mid}/presenter").get_json() == {"active": False, "meeting": mid}
    assert wang.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 2}).status_code == 409
    assert li.get(f"/api/v1/meetings/{mid}/presenter").get_json()["active"] is False
    assert [a["material"] for a in _audit(demo_app, "presenter.start")] == [material]
    assert _audit(demo_app, "presenter.hand_over") == [{"meeting": mid, "material": material, "from": person_id(demo_app, "林晓"), "to": wang_id}]
    assert len(_audit(demo_app, "presenter.stop")) == 1
    assert _audit(demo_app, "presenter.turn") == []  # turns are not audited


def test_bad_input_leaves_the_presentation_as_it_was(demo_app):
    sec, mid, material, t = _setup(demo_app)
    sec.post(f"/api/v1/meetings/{mid}/presenter", json={"material": material})
    sec.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 3})
    before = sec.get(f"/api/v1/meetings/{mid}/presenter").get_json()
    bad_turns = [
        ({"page": 6}, 400, "bad_page"), ({"page": 0}, 400, None), ({"page": -1}, 400, None), ({"page": "2"}, 400, None),
        ({"page": 2.5}, 400, None), ({"page": True}, 400, None), ({}, 400, None), ({"page": 2, "scale": 99}, 400, None),
        ({"page": 2, "scale": "big"}, 400, None), ({"page": 2, "extra": 1}, 400, None), ({"page": 10**30}, 400, None),
    ]
    for body, status, code in bad_turns:
        r = sec.post(f"/api/v1/meetings/{mid}/presenter/turn", json=body)
        assert r.status_code == status, (body, r.get_json())
        if code:
            assert r.get_json()["error"]["code"] == code and "1 至第 5 页" in r.get_json()["error"]["message"]
    for raw in (b"{", b"[]", b"null", b'"page"'):
        r = sec.post(f"/api/v1/meetings/{mid}/presenter/turn", data=raw, content_type="application/json")
        assert r.status_code == 400, raw
    # 同屏 on a material of another meeting, on nothing, by a member, handed to a stranger.
    other_mid, _ = new_meeting(demo_app, sec)
    r = sec.post(f"/api/v1/meetings/{other_mid}/materials", data={"title": "别的", "file": (io.BytesIO(make_pdf()), "o.pdf")},
                 content_type="multipart/form-data")
    other_material = r.get_json()["id"]
    r = sec.post(f"/api/v1/meetings/{mid}/presenter", json={"material": other_material})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_a_material"
    assert "不属于本次会议" in r.get_json()["error"]["message"]
    assert sec.post(f"/api/v1/meetings/{mid}/presenter", json={"material": 999999}).status_code == 404
    assert sec.post(f"/api/v1/meetings/{mid}/presenter", json={}).status_code == 400
    li = t["李秀英"]  # a member (王建国 also chairs: he may start, hand over and stop)
    assert li.post(f"/api/v1/meetings/{mid}/presenter", json={"material": material}).status_code == 403
    assert li.post(f"/api/v1/meetings/{mid}/presenter/driver", json={"driver": person_id(demo_app, "李秀英")}).status_code == 403
    assert li.delete(f"/api/v1/meetings/{mid}/presenter").status_code == 403
    r = sec.post(f"/api/v1/meetings/{mid}/presenter/driver", json={"driver": person_id(demo_app, "高远")})  # the leader: not on the list
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "driver_not_expected"
    assert sec.post(f"/api/v1/meetings/{mid}/presenter/driver", json={"driver": 999999}).status_code == 404
    assert sec.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 1}, query_string={"x": "1"}).status_code == 200
    sec.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 3})
    after = sec.get(f"/api/v1/meetings/{mid}/presenter").get_json()
    assert {k: after[k] for k in ("material", "page", "driver", "scale")} == {k: before[k] for k in ("material", "page", "driver", "scale")}
    # Someone not on the meeting's list cannot even read the state.
    outsider = demo_app.test_client()
    assert outsider.post("/api/v1/login", json={"username": "leader", "password": "yishi-leader"}).status_code == 200
    assert outsider.get(f"/api/v1/meetings/{mid}/presenter").status_code == 403
    assert outsider.post(f"/api/v1/meetings/{mid}/presenter/turn", json={"page": 2}).status_code == 403


def test_a_recalled_material_or_closed_meeting_presents_nothing(demo_app):
    sec, mid, material, t = _setup(demo_app)
    sec.post(f"/api/v1/meetings/{mid}/presenter", json={"material": material})
    r = sec.post(f"/api/v1/meetings/{mid}/close")
    assert r.status_code == 200, r.get_json()
    assert t["王建国"].get(f"/api/v1/meetings/{mid}/presenter").get_json()["active"] is False
    r = sec.post(f"/api/v1/meetings/{mid}/presenter", json={"material": material})
    assert r.status_code == 409
