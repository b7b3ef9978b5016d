"""Confidential items, agenda order and named lists through the API, with real sessions:
an attendee's tablet (列席), members' tablets, the secretary and the big screen."""

import io
import json
import re
import threading

import pytest

from appliance.demo import MEMBERS, member_pin
from appliance.web.events import broadcaster
from tests.devices.helpers import admin_client, pair_tablet, person_id, sign_in
from tests.meetings.helpers import ballot, make_pdf, member_tablets, new_meeting, secretary
from tests.meetings.test_minutes import pdf_text

SECRET_TITLE = "关于任免区民政局局长张某某的议案"


def attendee_tablet(app, name="郭明", pin="222201"):
    t = pair_tablet(app, admin_client(app), name=f"列席 {name}", person_id=person_id(app, name))
    assert sign_in(app, t, name, pin).status_code == 200
    return t


def upload(sec, mid, title, item=None):
    data = {"title": title, "file": (io.BytesIO(make_pdf(title)), "m.pdf"), "publish": "1"}
    if item is not None:
        data["item"] = str(item)
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data=data, content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["id"]


def positions(app, mid):
    return app.extensions["yishi"].store.all("SELECT id, position FROM agenda_items WHERE meeting_id = ? ORDER BY id", (mid,))


@pytest.fixture
def room(demo_app):
    sec = secretary(demo_app)
    mid, items = new_meeting(demo_app, sec, [("关于区政府工作情况的报告", "report"), ("关于某某条例的决定（草案）", "bill")])
    r = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": SECRET_TITLE, "kind": "appointment", "confidential": True})
    assert r.status_code == 200
    items.append(r.get_json()["id"])
    tablets = member_tablets(demo_app, [(n, member_pin(i)) for i, n in enumerate(MEMBERS[:9], start=1)])
    attendee = attendee_tablet(demo_app)
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    for t in [*tablets.values(), attendee]:
        assert t.post(f"/api/v1/meetings/{mid}/signin").status_code == 200
    return demo_app, sec, mid, items, tablets, attendee


def text_of(r):
    """A JSON answer as readable text (Flask escapes non-ASCII in the body)."""
    return json.dumps(r.get_json(), ensure_ascii=False)


def same_404(client, path, missing_path, method="GET", **kw):
    """`path` answers exactly what an id that was never issued answers."""
    a, b = client.open(path, method=method, **kw), client.open(missing_path, method=method, **kw)
    assert a.status_code == b.status_code == 404, (path, a.status_code, a.get_data(as_text=True)[:200])
    # A page names the address asked for (/documents/7); apart from that, not one byte differs.
    assert a.get_data(as_text=True).replace(path, "…") == b.get_data(as_text=True).replace(missing_path, "…"), path
    return a


def test_an_attendee_finds_no_trace_of_a_confidential_item(room):
    app, sec, mid, items, tablets, attendee = room
    report, bill, secret = items
    upload(sec, mid, "条例草案", bill)
    secret_material = upload(sec, mid, "张某某同志考察材料", secret)
    member = tablets["李秀英"]
    full = member.get(f"/api/v1/meetings/{mid}").get_json()
    assert [i["title"] for i in full["items"]][-1] == SECRET_TITLE and full["items"][-1]["confidential"]
    doc = next(m["document"] for m in full["materials"] if m["title"] == "张某某同志考察材料")
    assert member.get(f"/documents/{doc}/content").data.startswith(b"%PDF-")
    # The secretary moves it to the front and opens a vote on it; members vote.
    assert sec.post(f"/api/v1/meetings/{mid}/items/{secret}/move", json={"position": 1}).status_code == 200
    pid = sec.post(f"/api/v1/items/{secret}/polls", json={}).get_json()["id"]
    assert sec.post(f"/api/v1/polls/{pid}/open", json={}).status_code == 200
    # The attendee's tablet: two items numbered 1 and 2, no material, no poll, no current item.
    seen = attendee.get(f"/api/v1/meetings/{mid}").get_json()
    assert [(i["position"], i["title"]) for i in seen["items"]] == [(1, "关于区政府工作情况的报告"), (2, "关于某某条例的决定（草案）")]
    assert [m["title"] for m in seen["materials"]] == ["条例草案"]
    assert seen["polls"] == [] and seen["meeting"]["current_item"] is None
    assert SECRET_TITLE not in text_of(attendee.get(f"/api/v1/meetings/{mid}"))
    for n, t in enumerate(tablets.values()):
        assert t.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", n + 1)).status_code == 200
    assert sec.post(f"/api/v1/polls/{pid}/close").status_code == 200
    # By id, each answers what an id never issued answers.
    same_404(attendee, f"/api/v1/items/{secret}", "/api/v1/items/999999")
    same_404(attendee, f"/api/v1/materials/{secret_material}", "/api/v1/materials/999999")
    same_404(attendee, f"/api/v1/polls/{pid}", "/api/v1/polls/999999")
    same_404(attendee, f"/api/v1/polls/{pid}/trackers", "/api/v1/polls/999999/trackers")
    same_404(attendee, f"/api/v1/polls/{pid}/ballots", "/api/v1/polls/999999/ballots", method="POST", json=ballot("yes", 77))
    for route in ("/api/v1/documents/{}", "/api/v1/documents/{}/content", "/documents/{}", "/documents/{}/content"):
        same_404(attendee, route.format(doc), route.format(999999))
    # ... and what is not hidden still opens for the attendee, while members see it all.
    assert attendee.get(f"/api/v1/items/{bill}").get_json()["position"] == 2
    assert member.get(f"/api/v1/items/{secret}").get_json()["title"] == SECRET_TITLE
    assert member.get(f"/api/v1/polls/{pid}").get_json()["result"]["passed"] is True
    assert len(member.get(f"/api/v1/polls/{pid}/trackers").get_json()["ballots"]) == 9
    assert member.get(f"/api/v1/materials/{secret_material}").get_json()["document"] == doc


def test_marking_takes_materials_back_and_unmarking_gives_them(room):
    app, sec, mid, items, tablets, attendee = room
    report = items[0]
    upload(sec, mid, "工作报告", report)
    doc = attendee.get(f"/api/v1/meetings/{mid}").get_json()["materials"][0]["document"]
    assert attendee.get(f"/documents/{doc}/content").status_code == 200
    assert sec.post(f"/api/v1/items/{report}/confidential", json={"confidential": True}).get_json() == {"id": report, "confidential": True}
    same_404(attendee, f"/documents/{doc}/content", "/documents/999999/content")
    assert attendee.get(f"/api/v1/meetings/{mid}").get_json()["materials"] == []
    st = app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM document_grants WHERE document_id = ? AND person_id = ?", (doc, person_id(app, "郭明"))) == 0
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'agenda.confidential'") == 2  # the fixture's item, and this one
    assert sec.post(f"/api/v1/items/{report}/confidential", json={"confidential": False}).status_code == 200
    assert attendee.get(f"/documents/{doc}/content").status_code == 200
    # Only staff mark items; a member cannot.
    assert tablets["李秀英"].post(f"/api/v1/items/{report}/confidential", json={"confidential": True}).status_code == 403


class Stream:
    """A live /api/v1/events stream read on a thread, as a tablet's EventSource would."""

    def __init__(self, client, mid):
        self.resp = client.get(f"/api/v1/events?meeting={mid}", buffered=False)
        self.text, self.done = "", threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def events(self):
        out = []
        for block in self.text.split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
            if "event" in fields:
                out.append((fields["event"], json.loads(fields["data"])))
        return out

    def _read(self):
        for chunk in self.resp.response:
            self.text += chunk.decode() if isinstance(chunk, bytes) else chunk
            if "event: end-of-test" in self.text:
                break
        self.done.set()


def test_an_attendees_stream_carries_nothing_of_a_confidential_item(room):
    app, sec, mid, items, tablets, attendee = room
    report, bill, secret = items
    a, m = Stream(attendee, mid), Stream(tablets["李秀英"], mid)
    public = upload(sec, mid, "条例草案", bill)
    mat = upload(sec, mid, "张某某同志考察材料", secret)
    r = sec.post(f"/api/v1/materials/{mat}/replace", data={"file": (io.BytesIO(make_pdf("张某某 修正")), "m2.pdf")},
                 content_type="multipart/form-data")
    assert r.status_code == 200
    pid = sec.post(f"/api/v1/items/{secret}/polls", json={"mode": "named"}).get_json()["id"]
    sec.post(f"/api/v1/polls/{pid}/open", json={})
    tablets["王建国"].post(f"/api/v1/polls/{pid}/ballots", json={"choice": "yes", "ballot_id": "1" * 32})
    sec.post(f"/api/v1/polls/{pid}/close")
    open_pid = sec.post(f"/api/v1/items/{bill}/polls", json={}).get_json()["id"]
    sec.post(f"/api/v1/polls/{open_pid}/open", json={})
    sec.post(f"/api/v1/polls/{open_pid}/close")
    sec.post(f"/api/v1/meetings/{mid}/close")
    b = broadcaster(app)
    for who in ("郭明", "李秀英"):
        b.publish(f"person:{person_id(app, who)}", "end-of-test", {})
    assert a.done.wait(10) and m.done.wait(10)
    doc = app.extensions["yishi"].store.scalar("SELECT document_id FROM materials WHERE id = ?", (mat,))
    hello = [next(line for line in s.text.splitlines() if line.startswith("data:")) for s in (a, m)]
    assert f'"meeting:{mid}"' in hello[0] and f'"members:{mid}"' not in hello[0] and f'"members:{mid}"' in hello[1]
    # The member's stream has the confidential poll and material; the attendee's has the open one only.
    assert f'"poll": {pid}' in m.text and SECRET_TITLE in m.text and f'"document": {doc}' in m.text
    assert f'"poll": {open_pid}' in a.text and "event: poll.closed" in a.text
    assert f'"poll": {pid}' not in a.text and SECRET_TITLE not in a.text and f'"document": {doc},' not in a.text
    recalled = [data for event, data in a.events() if event == "recalled"]
    public_doc = app.extensions["yishi"].store.scalar("SELECT document_id FROM materials WHERE id = ?", (public,))
    assert recalled == [{"documents": [public_doc]}]  # the meeting closed: the attendee hears of the public material only
    assert any(doc in data["documents"] for event, data in m.events() if event == "recalled")


def test_big_screen_shows_a_generic_title_until_the_chair_reveals(room):
    app, sec, mid, items, tablets, attendee = room
    secret = items[2]
    upload(sec, mid, "张某某同志考察材料", secret)
    pid = sec.post(f"/api/v1/items/{secret}/polls", json={}).get_json()["id"]
    sec.post(f"/api/v1/polls/{pid}/open", json={})
    screen = sec.get(f"/api/v1/meetings/{mid}/screen")
    assert screen.status_code == 200
    text = text_of(screen)
    assert SECRET_TITLE not in text and "张某某" not in text and "materials" not in screen.get_json() and "roster" not in screen.get_json()
    shown = next(i for i in screen.get_json()["items"] if i["id"] == secret)
    assert shown["title"] == "人事事项" and screen.get_json()["meeting"]["current_item"] == secret
    assert next(p for p in screen.get_json()["polls"] if p["id"] == pid)["title"] == "人事事项"
    sec.post(f"/api/v1/polls/{pid}/close")
    assert next(p for p in sec.get(f"/api/v1/meetings/{mid}/screen").get_json()["polls"] if p["id"] == pid)["result"]["title"] == "人事事项"
    # A member (not the chair) may not reveal; the chair may, and it is audited.
    assert tablets["李秀英"].post(f"/api/v1/items/{secret}/reveal", json={}).status_code == 403
    chair = tablets["王建国"]
    assert chair.post(f"/api/v1/items/{secret}/reveal", json={}).get_json() == {"id": secret, "shown": True}
    assert SECRET_TITLE in text_of(sec.get(f"/api/v1/meetings/{mid}/screen"))
    st = app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'agenda.reveal' AND actor = ?", (person_id(app, "王建国"),)) == 1
    # Revealing on the screen is not telling the attendees' tablets.
    same_404(attendee, f"/api/v1/items/{secret}", "/api/v1/items/999999")
    assert sec.post(f"/api/v1/items/{items[0]}/reveal", json={}).get_json()["error"]["code"] == "not_confidential"


# -- order -----------------------------------------------------------------------------------

def test_move_and_set_order_and_their_refusals(room):
    app, sec, mid, items, tablets, attendee = room
    report, bill, secret = items
    r = sec.post(f"/api/v1/meetings/{mid}/items/{secret}/move", json={"position": 1})
    assert r.get_json() == {"items": [secret, report, bill]}
    assert [i["id"] for i in sec.get(f"/api/v1/meetings/{mid}/console").get_json()["items"]] == [secret, report, bill]
    before = positions(app, mid)
    for bad in (0, 4, -1):
        r = sec.post(f"/api/v1/meetings/{mid}/items/{bill}/move", json={"position": bad})
        assert r.status_code == 400 and r.get_json()["error"]["field"] == "position", bad
        assert "1" in r.get_json()["error"]["message"] and "3" in r.get_json()["error"]["message"]
    other_mid, other_items = new_meeting(app, sec, [("另一次会议的议题", "other")])
    r = sec.post(f"/api/v1/meetings/{mid}/items/{other_items[0]}/move", json={"position": 1})
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "no_item"
    for bad in ([report, bill], [report, bill, secret, secret], [report, bill, other_items[0]], [report, report, bill], []):
        r = sec.post(f"/api/v1/meetings/{mid}/agenda/order", json={"items": bad})
        assert r.status_code == 400 and r.get_json()["error"]["code"] == "not_a_permutation" and r.get_json()["error"]["field"] == "items", bad
    assert positions(app, mid) == before
    assert sec.post(f"/api/v1/meetings/{mid}/agenda/order", json={"items": [bill, report, secret]}).get_json() == {"items": [bill, report, secret]}
    assert tablets["李秀英"].post(f"/api/v1/meetings/{mid}/agenda/order", json={"items": [report, bill, secret]}).status_code == 403
    st = app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'agenda.order'") == 2
    # An item whose vote was opened keeps its number; the others move around it.
    pid = sec.post(f"/api/v1/items/{bill}/polls", json={}).get_json()["id"]
    sec.post(f"/api/v1/polls/{pid}/open", json={})
    r = sec.post(f"/api/v1/meetings/{mid}/items/{secret}/move", json={"position": 1})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "item_held" and r.get_json()["error"]["item"] == bill
    assert sec.post(f"/api/v1/meetings/{mid}/items/{bill}/move", json={"position": 3}).status_code == 409
    assert sec.post(f"/api/v1/meetings/{mid}/items/{secret}/move", json={"position": 2}).get_json() == {"items": [bill, secret, report]}
    sec.post(f"/api/v1/polls/{pid}/close")
    # A closed meeting's agenda stays as it was held.
    assert sec.post(f"/api/v1/meetings/{mid}/close").status_code == 200
    before = positions(app, mid)
    r = sec.post(f"/api/v1/meetings/{mid}/items/{report}/move", json={"position": 2})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "meeting_closed"
    r = sec.post(f"/api/v1/meetings/{mid}/agenda/order", json={"items": [bill, report, secret]})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "meeting_closed"
    assert positions(app, mid) == before


def open_room(app, sec, items_spec):
    mid, items = new_meeting(app, sec, [])
    ids = []
    for body in items_spec:
        r = sec.post(f"/api/v1/meetings/{mid}/items", json={k: (ids[v] if k == "amends" else v) for k, v in body.items()})
        assert r.status_code == 200, r.get_json()
        ids.append(r.get_json()["id"])
    tablets = member_tablets(app, [(n, member_pin(i)) for i, n in enumerate(MEMBERS[:9], start=1)])
    sec.post(f"/api/v1/meetings/{mid}/signin/open")
    for t in tablets.values():
        t.post(f"/api/v1/meetings/{mid}/signin")
    return mid, ids, tablets


def hold(sec, item, tablets=None, now=None):
    pid = sec.post(f"/api/v1/items/{item}/polls", json={}).get_json()["id"]
    assert sec.post(f"/api/v1/polls/{pid}/open", json={}).status_code == 200
    for n, t in enumerate((tablets or {}).values()):
        t.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1000 * pid + n))
    assert sec.post(f"/api/v1/polls/{pid}/close").status_code == 200
    return pid


def warnings(sec, mid):
    return [(w["code"], w["held"]) for w in sec.get(f"/api/v1/meetings/{mid}/console").get_json()["warnings"]]


def test_amendment_warning_by_position_and_by_the_order_held(demo_app):
    sec = secretary(demo_app)
    spec = [{"title": "关于某某条例的决定（草案）", "kind": "bill"}, {"title": "关于该条例草案的修正案", "kind": "amendment", "amends": 0}]
    # By position: the amendment can only be added after its bill; the warning goes once it is moved up.
    mid, (bill, amendment), _ = open_room(demo_app, sec, spec)
    assert warnings(sec, mid) == [("amendment_after_bill", False)]
    sec.post(f"/api/v1/meetings/{mid}/items/{amendment}/move", json={"position": 1})
    assert warnings(sec, mid) == []
    # By the order held: voted first without moving it, the amendment raises nothing ...
    mid, (bill, amendment), _ = open_room(demo_app, sec, spec)
    hold(sec, amendment)
    assert warnings(sec, mid) == []
    hold(sec, bill)
    assert warnings(sec, mid) == []
    # ... and the bill voted first is recorded as a fact (held), even with the amendment moved up after.
    mid, (bill, amendment), _ = open_room(demo_app, sec, spec)
    hold(sec, bill)
    assert warnings(sec, mid) == [("amendment_after_bill", True)]
    assert sec.post(f"/api/v1/meetings/{mid}/items/{amendment}/move", json={"position": 1}).status_code == 409  # the bill keeps no. 1
    assert warnings(sec, mid) == [("amendment_after_bill", True)]


def test_minutes_give_the_order_polls_were_held_with_times(demo_app, tmp_path):
    from appliance.meetings import minutes

    sec = secretary(demo_app)
    mid, (first, second, third), tablets = open_room(demo_app, sec, [
        {"title": "议程甲", "kind": "bill"}, {"title": "议程乙", "kind": "bill"}, {"title": "议程丙", "kind": "appointment", "confidential": True}])
    hold(sec, third, tablets)
    hold(sec, first, tablets)
    st = demo_app.extensions["yishi"].store
    out = tmp_path / "m.pdf"
    out.write_bytes(minutes.render_pdf(st, mid))
    text = pdf_text(str(out))
    assert "表决顺序（按实际表决先后）" in text
    lines = re.findall(r"(\d)\. (\d\d:\d\d)–(\d\d:\d\d)\s+(\S+)（议程第 (\d) 项）：(\S+)", text)
    assert [(n, title, pos, outcome) for n, _, _, title, pos, outcome in lines] == [("1", "议程丙", "3", "通过"), ("2", "议程甲", "1", "通过")]
    assert "3. 议程丙（任免案）（不对列席人员公开）" in text and "未付表决" in text


# -- named lists -----------------------------------------------------------------------------

def test_named_list_for_staff_only_and_never_for_secret_polls(room):
    app, sec, mid, items, tablets, attendee = room
    report, bill, secret = items
    pid = sec.post(f"/api/v1/items/{bill}/polls", json={"mode": "named"}).get_json()["id"]
    sec.post(f"/api/v1/polls/{pid}/open", json={})
    r = sec.get(f"/api/v1/polls/{pid}/named")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "poll_not_closed"
    for n, (name, t) in enumerate(tablets.items()):
        t.post(f"/api/v1/polls/{pid}/ballots", json={"choice": "no" if name == "张伟" else "yes", "ballot_id": f"{n + 1:032x}"})
    sec.post(f"/api/v1/polls/{pid}/close")
    r = sec.get(f"/api/v1/polls/{pid}/named")
    assert r.status_code == 200
    got = {p["name"]: p["choice"] for p in r.get_json()["people"]}
    assert got == {name: ("no" if name == "张伟" else "yes") for name in tablets} and r.get_json()["line"].startswith("赞成 8，反对 1")
    assert [p["seat"] for p in r.get_json()["people"]] == sorted(p["seat"] for p in r.get_json()["people"])
    # A member who is not staff, and an attendee: 403, and the answer says nothing of the votes.
    for who in (tablets["李秀英"], attendee):
        r = who.get(f"/api/v1/polls/{pid}/named")
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "forbidden" and "张伟" not in text_of(r)
    # The chair (a member with the chair's role) is staff for this.
    assert tablets["王建国"].get(f"/api/v1/polls/{pid}/named").status_code == 200
    secret_pid = sec.post(f"/api/v1/items/{report}/polls", json={"mode": "secret"}).get_json()["id"]
    sec.post(f"/api/v1/polls/{secret_pid}/open", json={})
    tablets["张伟"].post(f"/api/v1/polls/{secret_pid}/ballots", json=ballot("no", 5))
    sec.post(f"/api/v1/polls/{secret_pid}/close")
    r = sec.get(f"/api/v1/polls/{secret_pid}/named")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "secret_poll" and "无记名" in r.get_json()["error"]["message"]
    assert sec.get("/api/v1/polls/999999/named").status_code == 404


def test_renumbering_keeps_positions_one_to_n(demo_app):
    from appliance.meetings import core, ordering

    st = demo_app.extensions["yishi"].store
    mid = core.create(st, None, "standing", "顺序测试", 0)
    ids = [core.add_item(st, None, mid, f"议题{n}", "other") for n in range(6)]
    assert ordering.set_order(st, None, mid, ids[::-1]) == ids[::-1]
    assert [(r["id"], r["position"]) for r in core.items(st, mid)] == [(i, n) for n, i in enumerate(ids[::-1], start=1)]
    assert ordering.move(st, None, mid, ids[0], 1) == [ids[0], *ids[:0:-1]]
    assert sorted(r["position"] for r in core.items(st, mid)) == list(range(1, 7))
    assert ordering.move(st, None, mid, ids[0], 1) == [ids[0], *ids[:0:-1]]  # no change, nothing written
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'agenda.order'") == 2
    assert core.add_item(st, None, mid, "新增议题", "other") and core.items(st, mid)[-1]["position"] == 7
