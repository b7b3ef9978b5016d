"""Lockouts that hold when the guesses come all at once, administrators who never sign in by PIN
on a member's tablet, and a login that does not tell which user names exist."""

import threading

from appliance.devices import secrets_ as sec
from tests.devices.helpers import admin_client, pair_tablet, person_id


def _burst(n, send):
    """Send n requests at the same moment (a barrier), return their responses."""
    barrier, out = threading.Barrier(n), [None] * n

    def one(i):
        barrier.wait()
        out[i] = send(i)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _counting_argon2(monkeypatch):
    calls = []
    real = sec.verify_secret

    def counted(stored, given):
        calls.append(1)
        return real(stored, given)

    monkeypatch.setattr(sec, "verify_secret", counted)
    return calls


def test_thirty_wrong_pins_at_once_cost_five_checks_and_lock(demo_app, monkeypatch):
    tablet = pair_tablet(demo_app, admin_client(demo_app))
    device_cookie = tablet.get_cookie("yishi_device").value
    pid = person_id(demo_app, "王建国")
    clients = []
    for _ in range(30):
        c = demo_app.test_client()
        c.set_cookie("yishi_device", device_cookie)
        clients.append(c)
    calls = _counting_argon2(monkeypatch)
    replies = _burst(30, lambda i: clients[i].post("/api/v1/signin", json={"person_id": pid, "pin": "000000"}))
    codes = sorted(r.status_code for r in replies)
    assert len(calls) == 5, f"{len(calls)} Argon2 checks for 30 simultaneous wrong PINs"
    assert codes.count(401) == 4 and codes.count(423) == 26, codes
    st = demo_app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'signin.pin_wrong'") == 5
    # locked now: even the right PIN is refused until the lock ends
    r = clients[0].post("/api/v1/signin", json={"person_id": pid, "pin": "111101"})
    assert r.status_code == 423


def test_password_guesses_at_once_hold_the_lock_too(demo_app, monkeypatch):
    calls = _counting_argon2(monkeypatch)
    clients = [demo_app.test_client() for _ in range(20)]
    replies = _burst(20, lambda i: clients[i].post("/api/v1/login", json={"username": "staff", "password": f"guess-{i}-xx"}))
    assert len(calls) == 5
    assert sorted(r.status_code for r in replies).count(423) == 16  # the 5th wrong one locks, and says so


def test_a_right_pin_after_wrong_ones_clears_the_count(demo_app):
    tablet = pair_tablet(demo_app, admin_client(demo_app))
    pid = person_id(demo_app, "王建国")
    for _ in range(3):
        assert tablet.post("/api/v1/signin", json={"person_id": pid, "pin": "000000"}).status_code == 401
    assert tablet.post("/api/v1/signin", json={"person_id": pid, "pin": "111101"}).status_code == 200
    st = demo_app.extensions["yishi"].store
    assert st.scalar("SELECT failed_attempts FROM people WHERE id = ?", (pid,)) == 0


def test_no_administrator_on_the_tablet_pin_list_and_no_admin_pin_session(demo_app):
    tablet = pair_tablet(demo_app, admin_client(demo_app))
    offered = tablet.get("/api/v1/signin/people").get_json()["people"]
    assert offered and not any("admin" in p["roles"] for p in offered)
    assert "系统管理员" not in tablet.get("/signin").get_data(as_text=True)
    r = tablet.post("/api/v1/signin", json={"person_id": person_id(demo_app, "系统管理员"), "pin": "999999"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "admin_uses_password"
    assert tablet.get("/api/v1/admin/devices").status_code == 401
    # the page form says the same
    page = tablet.post("/signin", data={"person_id": str(person_id(demo_app, "系统管理员")), "pin": "999999"})
    assert page.status_code == 401 and "管理员" in page.get_data(as_text=True)


def test_login_does_not_tell_which_user_names_exist(demo_app):
    c = demo_app.test_client()
    known = c.post("/api/v1/login", json={"username": "staff", "password": "not-the-password"})
    unknown = c.post("/api/v1/login", json={"username": "nobody-here", "password": "not-the-password"})
    assert known.status_code == unknown.status_code == 401
    assert known.get_json() == unknown.get_json(), (known.get_json(), unknown.get_json())
    assert "attempts_left" not in known.get_json()["error"]
    page_known = c.post("/login", data={"username": "staff", "password": "not-the-password"}).get_data(as_text=True)
    page_unknown = c.post("/login", data={"username": "nobody-here", "password": "not-the-password"}).get_data(as_text=True)
    assert page_known.replace("staff", "") == page_unknown.replace("nobody-here", "")
