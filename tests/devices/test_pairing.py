"""Pairing a tablet through the API: the happy path and every way it must refuse."""

import time

from appliance.devices import pairing
from tests.devices.helpers import admin_client, invite, pair_tablet, person_id, sign_in


def audit_actions(app):
    return [r[0] for r in app.extensions["yishi"].store.all("SELECT action FROM audit ORDER BY seq")]


def test_pair_then_sign_in_with_pin(demo_app):
    admin = admin_client(demo_app)
    tablet = pair_tablet(demo_app, admin, person_id=person_id(demo_app, "张伟"))
    assert tablet.get_cookie("yishi_device") is not None
    assert tablet.get_cookie("yishi_pairing") is None
    r = tablet.get("/api/v1/signin/people")
    assert r.get_json()["people"][0]["name"] == "张伟"  # the tablet's own person first
    r = sign_in(demo_app, tablet, "张伟", "111103")
    assert r.status_code == 200 and r.get_json()["person"]["seat"] == 3
    me = tablet.get("/api/v1/me").get_json()
    assert me["person"]["name"] == "张伟" and me["device"]["name"] == "座位 3"
    devices = admin.get("/api/v1/admin/devices").get_json()["devices"]
    assert devices[0]["person_name"] == "张伟" and devices[0]["last_seen_at"]
    assert {"pairing.invite", "pairing.request", "pairing.approved", "device.paired", "signin.pin"} <= set(audit_actions(demo_app))


def test_token_is_single_use(demo_app):
    tok = invite(demo_app)
    first = demo_app.test_client().post("/api/v1/pair/start", json={"token": tok, "device_name": "a"})
    assert first.status_code == 200
    again = demo_app.test_client().post("/api/v1/pair/start", json={"token": tok, "device_name": "b"})
    assert again.status_code == 410
    assert again.get_json()["error"]["code"] == "pairing_used"
    assert "已经用过" in again.get_json()["error"]["message"]  # Chinese by default


def test_expired_token_is_refused(demo_app):
    tok = invite(demo_app, ttl=300, now=time.time() - 301)
    r = demo_app.test_client().post("/api/v1/pair/start", json={"token": tok})
    assert r.status_code == 410 and r.get_json()["error"]["code"] == "pairing_expired"
    english = demo_app.test_client()
    english.set_cookie("lang", "en")
    r = english.post("/api/v1/pair/start", json={"token": tok})
    assert "expired" in r.get_json()["error"]["message"]


def test_invented_and_malformed_tokens(demo_app):
    c = demo_app.test_client()
    assert c.post("/api/v1/pair/start", json={"token": "A" * 43}).status_code == 400
    assert c.post("/api/v1/pair/start", json={"token": 12}).get_json()["error"]["code"] == "bad_field"
    assert c.post("/api/v1/pair/start", data="not json").get_json()["error"]["code"] == "bad_json"
    assert c.post("/api/v1/pair/start", json={}).get_json()["error"]["code"] == "missing_field"


def test_token_is_stored_hashed_and_long(demo_app):
    tok = invite(demo_app)
    assert len(tok) >= 22  # >= 128 bits in base64url
    stored = [r[0] for r in demo_app.extensions["yishi"].store.all("SELECT token_hash FROM pairing_invites")]
    assert tok not in stored and len(stored[-1]) == 64


def test_rejected_short_code_gets_no_credential(demo_app):
    admin = admin_client(demo_app)
    tablet = demo_app.test_client()
    code = tablet.post("/api/v1/pair/start", json={"token": invite(demo_app)}).get_json()["short_code"]
    req = next(p for p in admin.get("/api/v1/admin/pairing").get_json()["requests"] if p["short_code"] == code)
    assert admin.post(f"/api/v1/admin/pairing/{req['id']}/reject").status_code == 200
    r = tablet.get("/api/v1/pair/status")
    assert r.get_json()["status"] == "rejected"
    assert tablet.get_cookie("yishi_device") is None
    # A decided request cannot be approved afterwards.
    r = admin.post(f"/api/v1/admin/pairing/{req['id']}/approve", json={})
    assert r.status_code == 409
    assert sign_in(demo_app, tablet, "张伟", "111103").status_code == 403


def test_only_admins_approve(demo_app):
    admin = admin_client(demo_app)
    tablet = pair_tablet(demo_app, admin)
    sign_in(demo_app, tablet, "张伟", "111103")
    assert tablet.get("/api/v1/admin/pairing").status_code == 403
    assert tablet.post("/api/v1/admin/invites").status_code == 403


def test_credential_is_collected_once(demo_app):
    admin = admin_client(demo_app)
    tablet = pair_tablet(demo_app, admin)
    again = tablet.get("/api/v1/pair/status")  # the pairing cookie is gone with the collection
    assert again.status_code == 404 and again.get_json()["error"]["code"] == "pairing_unknown"
    assert demo_app.extensions["yishi"].store.scalar("SELECT count(*) FROM devices") == 1


def test_revoked_device_is_out_at_its_next_request(demo_app):
    admin = admin_client(demo_app)
    tablet = pair_tablet(demo_app, admin)
    assert sign_in(demo_app, tablet, "刘芳", "111104").status_code == 200
    assert tablet.get("/api/v1/me").status_code == 200
    dev = admin.get("/api/v1/admin/devices").get_json()["devices"][0]
    assert admin.post(f"/api/v1/admin/devices/{dev['id']}/revoke").status_code == 200
    r = tablet.get("/api/v1/me")
    assert r.status_code == 401 and r.get_json()["error"]["code"] == "unauthenticated"
    assert sign_in(demo_app, tablet, "刘芳", "111104").status_code == 403
    assert "device.revoke" in audit_actions(demo_app)


def test_pin_sign_in_needs_a_paired_tablet(demo_app):
    c = demo_app.test_client()
    r = sign_in(demo_app, c, "张伟", "111103")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "device_not_paired"
    assert c.get("/api/v1/signin/people").status_code == 403


def test_five_wrong_pins_lock_the_person(demo_app):
    admin = admin_client(demo_app)
    tablet = pair_tablet(demo_app, admin)
    for left in (4, 3, 2, 1):
        r = sign_in(demo_app, tablet, "陈静", "000000")
        assert r.status_code == 401 and r.get_json()["error"]["attempts_left"] == left
    r = sign_in(demo_app, tablet, "陈静", "000000")
    assert r.status_code == 423 and "锁定" in r.get_json()["error"]["message"]
    # Even the right PIN is refused while locked, and the lock is in the audit log.
    r = sign_in(demo_app, tablet, "陈静", "111105")
    assert r.status_code == 423
    assert "person.locked" in audit_actions(demo_app)
    # Others are not affected; staff can lift the lock.
    assert sign_in(demo_app, tablet, "杨勇", "111106").status_code == 200
    from appliance.devices import people

    people.unlock(demo_app.extensions["yishi"].store, "test", person_id(demo_app, "陈静"))
    assert sign_in(demo_app, tablet, "陈静", "111105").status_code == 200


def test_sign_out_ends_the_session_on_the_server(demo_app):
    admin = admin_client(demo_app)
    tablet = pair_tablet(demo_app, admin)
    sign_in(demo_app, tablet, "张伟", "111103")
    stolen = tablet.get_cookie("yishi_session").value
    assert tablet.post("/api/v1/signout").status_code == 200
    assert tablet.get("/api/v1/me").status_code == 401
    # Replaying the old cookie (on the same device) does not bring the session back.
    tablet.set_cookie("yishi_session", stolen)
    assert tablet.get("/api/v1/me").status_code == 401


def test_pin_session_is_bound_to_its_device(demo_app):
    admin = admin_client(demo_app)
    tablet = pair_tablet(demo_app, admin)
    sign_in(demo_app, tablet, "张伟", "111103")
    other = demo_app.test_client()
    other.set_cookie("yishi_session", tablet.get_cookie("yishi_session").value)
    assert other.get("/api/v1/me").status_code == 401


def test_idle_and_absolute_timeouts(demo_app):
    cfg = demo_app.extensions["yishi"].config
    st = demo_app.extensions["yishi"].store
    admin = admin_client(demo_app)
    tablet = pair_tablet(demo_app, admin)
    sign_in(demo_app, tablet, "张伟", "111103")
    with st.write() as db:
        # Time passes on both clocks (the boot clock decides, appliance/clock.py).
        db.execute("UPDATE sessions SET last_seen_at = last_seen_at - ?, last_seen_boot = last_seen_boot - ? WHERE method = 'pin'",
                   (cfg.session_idle_seconds + 1,) * 2)
    assert tablet.get("/api/v1/me").status_code == 401
    assert st.scalar("SELECT end_reason FROM sessions WHERE method = 'pin'") == "idle_timeout"
    sign_in(demo_app, tablet, "张伟", "111103")
    with st.write() as db:
        db.execute("UPDATE sessions SET created_at = created_at - ?, created_boot = created_boot - ? WHERE method = 'pin' "
                   "AND ended_at IS NULL", (cfg.session_absolute_seconds + 1,) * 2)
    assert tablet.get("/api/v1/me").status_code == 401


def test_pairing_request_expires(demo_app):
    a = demo_app.extensions["yishi"]
    _, secret, _ = pairing.start(a.store, invite(demo_app), "x", ttl=60, now=time.time() - 120)
    status, _, token = pairing.poll(a.store, secret)
    assert status == "expired" and token is None
