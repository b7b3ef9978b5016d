"""Driving pairing and sign-in through the real API with Flask's test client."""

from appliance.devices import pairing


def admin_client(app):
    c = app.test_client()
    r = c.post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"})
    assert r.status_code == 200, r.get_json()
    return c


def invite(app, ttl=300, now=None):
    a = app.extensions["yishi"]
    tok, url, _ = pairing.create_invite(a.store, None, "https://yishi.test", ttl, now=now)
    return tok


def pair_tablet(app, admin, name="座位 3", person_id=None):
    """Pair a new test client as a tablet: token -> short code -> admin approval -> credential."""
    tablet = app.test_client()
    r = tablet.post("/api/v1/pair/start", json={"token": invite(app), "device_name": name})
    assert r.status_code == 200, r.get_json()
    code = r.get_json()["short_code"]
    pending = admin.get("/api/v1/admin/pairing").get_json()["requests"]
    req = next(p for p in pending if p["short_code"] == code)
    r = admin.post(f"/api/v1/admin/pairing/{req['id']}/approve", json={"person_id": person_id})
    assert r.status_code == 200
    r = tablet.get("/api/v1/pair/status")
    assert r.get_json()["status"] == "approved"
    return tablet


def person_id(app, name):
    return app.extensions["yishi"].store.scalar("SELECT id FROM people WHERE name = ?", (name,))


def sign_in(app, tablet, name, pin):
    return tablet.post("/api/v1/signin", json={"person_id": person_id(app, name), "pin": pin})
