"""A meeting through the API: sign-in to quorum, polls by the law, and every refusal."""

import pytest

from appliance.demo import MEMBERS, member_pin
from tests.devices.helpers import person_id, sign_in
from tests.meetings.helpers import ballot, make_pdf, member_tablets, new_meeting, secretary


@pytest.fixture
def room(demo_app):
    sec = secretary(demo_app)
    mid, items = new_meeting(demo_app, sec, [("关于修改人事任免办法的决定（草案）", "bill"), ("关于某某同志职务任免的议案", "appointment")])
    tablets = member_tablets(demo_app, [(n, member_pin(i)) for i, n in enumerate(MEMBERS[:9], start=1)])
    return demo_app, sec, mid, items, tablets


def open_and_sign_in(app, sec, mid, tablets):
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    for t in tablets.values():
        r = t.post(f"/api/v1/meetings/{mid}/signin")
        assert r.status_code == 200, r.get_json()


def test_sign_in_counts_and_quorum(room):
    app, sec, mid, items, tablets = room
    r = tablets["王建国"].post(f"/api/v1/meetings/{mid}/signin")
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "signin_closed"
    open_and_sign_in(app, sec, mid, dict(list(tablets.items())[:7]))
    att = sec.get(f"/api/v1/meetings/{mid}").get_json()["attendance"]
    assert (att["membership"], att["present"], att["quorum_needed"], att["quorum_met"]) == (15, 7, 8, False)
    pid = sec.post(f"/api/v1/items/{items[0]}/polls", json={}).get_json()["id"]
    r = sec.post(f"/api/v1/polls/{pid}/open", json={})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "no_quorum"
    assert "7" in r.get_json()["error"]["message"] and "8" in r.get_json()["error"]["message"]
    # Staff sign one in on their behalf (with a reason) and excuse another.
    r = sec.post(f"/api/v1/meetings/{mid}/people/{person_id(app, '周婷')}/signin", json={"reason": ""})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_field" or r.get_json()["error"]["code"] == "reason_required"
    r = sec.post(f"/api/v1/meetings/{mid}/people/{person_id(app, '周婷')}/signin", json={"reason": "平板故障"})
    assert r.get_json()["attendance"]["present"] == 8 and r.get_json()["attendance"]["quorum_met"]
    r = sec.post(f"/api/v1/meetings/{mid}/people/{person_id(app, '吴强')}/excuse", json={"reason": "出差"})
    att = r.get_json()["attendance"]
    assert (att["present"], att["excused"], att["absent"]) == (8, 1, 6)
    assert sec.post(f"/api/v1/polls/{pid}/open", json={}).status_code == 200


def test_secret_poll_result_and_trackers(room):
    app, sec, mid, items, tablets = room
    open_and_sign_in(app, sec, mid, tablets)
    pid = sec.post(f"/api/v1/items/{items[0]}/polls", json={"mode": "secret", "rule": "majority"}).get_json()["id"]
    assert sec.post(f"/api/v1/polls/{pid}/open", json={"countdown": 60}).status_code == 200
    choices = ["yes"] * 6 + ["no", "abstain"]  # 8 of 9 present vote; 1 does not
    for n, (name, t) in enumerate(list(tablets.items())[:8]):
        r = t.post(f"/api/v1/polls/{pid}/ballots", json=ballot(choices[n], n + 1))
        assert r.status_code == 200 and r.get_json() == {"recorded": True, "retry": False}
    nv = sec.get(f"/api/v1/polls/{pid}/not-voted").get_json()["people"]
    assert [p["name"] for p in nv] == [list(tablets)[8]]
    r = sec.post(f"/api/v1/polls/{pid}/close").get_json()
    assert (r["yes"], r["no"], r["abstain"], r["not_voted"], r["needed"], r["passed"]) == (6, 1, 1, 1, 8, False)
    assert r["line"] == "赞成 6，反对 1，弃权 1，未表决 1 — 需 8 票 — 未通过"
    listed = tablets["王建国"].get(f"/api/v1/polls/{pid}/trackers").get_json()["ballots"]
    assert len(listed) == 8 and {"tracker": ballot("yes", 1)["tracker"], "choice": "yes"} in listed
    assert [b["tracker"] for b in listed] == sorted(b["tracker"] for b in listed)


def test_ballot_refusals(room):
    app, sec, mid, items, tablets = room
    open_and_sign_in(app, sec, mid, dict(list(tablets.items())[:8]))
    late = tablets[list(tablets)[8]]  # paired and signed in to the appliance, not to the meeting
    pid = sec.post(f"/api/v1/items/{items[0]}/polls", json={}).get_json()["id"]
    t = tablets["王建国"]
    r = t.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "poll_not_open"
    sec.post(f"/api/v1/polls/{pid}/open", json={})
    # forged choice, malformed ids
    assert t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "choice": "赞成"}).get_json()["error"]["field"] == "choice"
    assert t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "ballot_id": "1"}).get_json()["error"]["field"] == "ballot_id"
    assert t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "tracker": "x"}).get_json()["error"]["field"] == "tracker"
    assert t.post(f"/api/v1/polls/{pid}/ballots", json=[1]).get_json()["error"]["code"] == "bad_json"
    # a member not signed in to the meeting
    r = late.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 99))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_signed_in"
    # the same ballot twice is a retry; a different second ballot is refused
    assert t.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1)).get_json() == {"recorded": True, "retry": False}
    assert t.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1)).get_json() == {"recorded": True, "retry": True}
    r = t.post(f"/api/v1/polls/{pid}/ballots", json=ballot("no", 2))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "already_voted" and "已经投过" in r.get_json()["error"]["message"]
    # the same ballot id with another choice is no retry: the tablet is told that its first choice stands
    r = t.post(f"/api/v1/polls/{pid}/ballots", json={**ballot("yes", 1), "choice": "no"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "ballot_stands" and r.get_json()["error"]["stands"] == "yes"
    # another member's ballot that happens to carry a tracker already in the box: refused, nothing written, retryable
    other = next(tab for name, tab in list(tablets.items())[:8] if name not in ("王建国", "李秀英"))
    clash = {**ballot("no", 3), "tracker": ballot("yes", 1)["tracker"]}
    r = other.post(f"/api/v1/polls/{pid}/ballots", json=clash)
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "tracker_taken"
    assert other.post(f"/api/v1/polls/{pid}/ballots", json=ballot("no", 3)).get_json() == {"recorded": True, "retry": False}
    st = app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM ballots WHERE poll_id = ?", (pid,)) == 2
    # an attendee never votes
    attendee = member_tablets(app, [])  # noqa: F841 (no extra tablets needed)
    from tests.devices.helpers import admin_client, pair_tablet

    at = pair_tablet(app, admin_client(app), person_id=person_id(app, "郭明"))
    sign_in(app, at, "郭明", "222201")
    assert at.post(f"/api/v1/meetings/{mid}/signin").status_code == 200
    r = at.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 50))
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_a_member"
    # after closing, nothing more is taken
    sec.post(f"/api/v1/polls/{pid}/close")
    r = tablets["李秀英"].post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 3))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "poll_not_open"


def test_the_database_forbids_a_second_ballot(room):
    app, sec, mid, items, tablets = room
    open_and_sign_in(app, sec, mid, tablets)
    pid = sec.post(f"/api/v1/items/{items[0]}/polls", json={}).get_json()["id"]
    sec.post(f"/api/v1/polls/{pid}/open", json={})
    tablets["王建国"].post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1))
    import sqlcipher3

    st = app.extensions["yishi"].store
    with pytest.raises(sqlcipher3.IntegrityError):
        with st.write() as db:
            db.execute("INSERT INTO poll_participation VALUES (?, ?, 'x')", (pid, person_id(app, "王建国")))


def test_named_two_thirds_and_show_of_hands(room):
    app, sec, mid, items, tablets = room
    open_and_sign_in(app, sec, mid, tablets)
    pid = sec.post(f"/api/v1/items/{items[0]}/polls", json={"mode": "named", "rule": "two_thirds_or_more"}).get_json()["id"]
    sec.post(f"/api/v1/polls/{pid}/open", json={})
    for n, t in enumerate(tablets.values()):
        assert t.post(f"/api/v1/polls/{pid}/ballots", json={"choice": "yes", "ballot_id": f"{n + 1:032x}"}).status_code == 200
    r = sec.post(f"/api/v1/polls/{pid}/close").get_json()
    assert (r["yes"], r["needed"], r["passed"], r["mode"]) == (9, 10, False, "named")
    pid2 = sec.post(f"/api/v1/items/{items[1]}/polls", json={}).get_json()["id"]
    r = sec.post(f"/api/v1/polls/{pid2}/show-of-hands", json={"yes": 9, "no": 0, "abstain": 0, "reason": ""})
    assert r.get_json()["error"]["code"] in ("missing_field", "bad_field", "reason_required")
    r = sec.post(f"/api/v1/polls/{pid2}/show-of-hands", json={"yes": 12, "no": 0, "abstain": 0, "reason": "表决器故障"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "too_many"
    r = sec.post(f"/api/v1/polls/{pid2}/show-of-hands", json={"yes": 9, "no": 0, "abstain": 0, "reason": "表决器故障"}).get_json()
    assert (r["method"], r["passed"], r["needed"]) == ("show_of_hands", True, 8)


def test_materials_publish_replace_recall(room):
    app, sec, mid, items, tablets = room
    t = tablets["李秀英"]  # a member; 王建国 chairs, and chairs see everything
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "草案", "item": str(items[0]), "file": (__import__("io").BytesIO(make_pdf("草案第一稿")), "draft.pdf")},
                 content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    material = r.get_json()["id"]
    assert t.get(f"/api/v1/meetings/{mid}").get_json()["materials"] == []  # not yet published
    sec.post(f"/api/v1/meetings/{mid}/materials/publish")
    mats = t.get(f"/api/v1/meetings/{mid}").get_json()["materials"]
    assert [m["title"] for m in mats] == ["草案"] and mats[0]["version"] == 1
    doc = mats[0]["document"]
    assert t.get(f"/documents/{doc}/content").data.startswith(b"%PDF-")
    r = sec.post(f"/api/v1/materials/{material}/replace", data={"file": (__import__("io").BytesIO(make_pdf("草案修正稿")), "draft2.pdf")},
                 content_type="multipart/form-data")
    assert r.get_json()["version"] == 2
    m = t.get(f"/api/v1/meetings/{mid}").get_json()["materials"][0]
    assert m["version"] == 2 and m["updated"]
    assert t.get(f"/api/v1/documents/{doc}").get_json()["versions"][1]["version"] == 1  # history kept
    # bad uploads: not a PDF, a lie about its type, empty, too large
    import io

    for data, name, code in ((b"hello", "a.pdf", "bad_file_type"), (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "a.pdf", "file_type_mismatch"),
                             (b"", "a.pdf", "empty_file"), (b"%PDF-1.4 broken", "a.pdf", "bad_pdf")):
        r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")
        assert r.get_json()["error"]["code"] == code, (name, r.get_json())
    app.config["MAX_CONTENT_LENGTH"] = 1000
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"file": (io.BytesIO(make_pdf() * 5), "big.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 413
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024 * 1024
    assert len(t.get(f"/api/v1/meetings/{mid}").get_json()["materials"]) == 1  # nothing else stored
    # close: minutes made, materials recalled from members (not from staff)
    sec.post(f"/api/v1/meetings/{mid}/signin/open")
    r = sec.post(f"/api/v1/meetings/{mid}/close").get_json()
    assert r["minutes_document"] and r["recalled"] == [doc]
    assert t.get(f"/api/v1/meetings/{mid}").get_json()["materials"] == []
    assert t.get(f"/documents/{doc}/content").status_code == 403
    assert sec.get(f"/documents/{doc}/content").status_code == 200


def test_classified_material_is_not_cached_and_every_view_is_audited(room):
    import io

    app, sec, mid, items, tablets = room
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "密件", "classified": "1", "publish": "1",
                                                            "file": (io.BytesIO(make_pdf("机密")), "s.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 200
    t = tablets["王建国"]
    doc = t.get(f"/api/v1/meetings/{mid}").get_json()["materials"][0]["document"]
    r = t.get(f"/documents/{doc}/content?download=1")
    assert r.headers["Cache-Control"] == "no-store" and r.headers["Content-Disposition"] == "inline"
    t.get(f"/documents/{doc}")
    st = app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'document.view'") == 2
    page = t.get(f"/documents/{doc}").get_data(as_text=True)
    assert "download=1" not in page and "王建国" in page  # watermark text for the viewer


def test_agenda_order_warnings(demo_app):
    sec = secretary(demo_app)
    mid, _ = new_meeting(demo_app, sec, [])
    sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "任命张某为主任", "kind": "appointment", "post": "主任", "action": "appoint"})
    sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "免去李某主任职务", "kind": "appointment", "post": "主任", "action": "remove"})
    codes = [w["code"] for w in sec.get(f"/api/v1/meetings/{mid}/console").get_json()["warnings"]]
    assert codes == ["appoint_before_remove"]


def test_members_cannot_run_the_console(room):
    app, sec, mid, items, tablets = room
    t = tablets["李秀英"]
    assert t.post(f"/api/v1/items/{items[0]}/polls", json={}).status_code == 403
    assert t.get(f"/api/v1/meetings/{mid}/console").status_code == 403
    assert t.post(f"/api/v1/meetings/{mid}/close").status_code == 403
