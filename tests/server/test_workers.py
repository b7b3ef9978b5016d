"""Several gunicorn workers: one unlock opens them all, a crashed worker comes back open, a seal
seals them all, and a ballot burst survives kill -9 of a worker.

A request is steered to one worker by stopping the others (SIGSTOP): a stopped process accepts
nothing, so a fresh connection can only be taken by the worker left running. Every request here
goes on a fresh connection (no keep-alive), so it is the accepting worker that answers it.
nginx keeps its upstream connections to the workers open, so a request through it can land on
a stopped worker: these tests talk to gunicorn directly (`--edge off`); tests/edge covers the
workers behind nginx.
"""

import os
import secrets
import signal
import threading
import time

import httpx
import pytest

from appliance import demo
from tests.conftest import PASSPHRASE, make_store, start_server

pytestmark = pytest.mark.server
TRACKER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
DEADLINE = 60


def workers_of(server):
    """The pids of the master's children but nginx (the gunicorn workers)."""
    out = []
    for task in os.listdir(f"/proc/{server.proc.pid}/task"):
        with open(f"/proc/{server.proc.pid}/task/{task}/children") as f:
            out += [int(p) for p in f.read().split()]
    return sorted(p for p in out if p != server.nginx_pid())


def wait_workers(server, n, not_in=()):
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        pids = [p for p in workers_of(server) if p not in not_in]
        if len(pids) == n and all(_booted(server, p) for p in pids):
            return pids
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not have {n} fresh workers within {DEADLINE} s: {workers_of(server)}")


def _booted(server, pid):
    with open(os.path.join(server.data_dir, "server.log"), encoding="utf-8", errors="replace") as f:
        return f"Booting worker with pid: {pid}" in f.read()


def fresh(server, method, path, **kw):
    """One request on a connection of its own, retried while nothing accepts it."""
    with httpx.Client(base_url=server.url, verify=False, headers={"Origin": server.url, "Connection": "close"},
                      timeout=30, cookies=kw.pop("cookies", None)) as c:
        return c.request(method, path, **kw)


class Only:
    """Within the block, only worker `pid` of `pids` accepts connections."""

    def __init__(self, pids, pid):
        self.others = [p for p in pids if p != pid]

    def __enter__(self):
        for p in self.others:
            os.kill(p, signal.SIGSTOP)
        return self

    def __exit__(self, *exc):
        for p in self.others:
            os.kill(p, signal.SIGCONT)


def sealed(server, pids, pid):
    with Only(pids, pid):
        return fresh(server, "GET", "/healthz").json()["sealed"]


@pytest.fixture
def three_workers(tmp_path):
    d = str(tmp_path / "data")
    store, _ = make_store(d)
    demo.populate(store)
    store.close()
    server = start_server(d, extra=("--workers", "3", "--edge", "off"))
    try:
        yield server, wait_workers(server, 3)
    finally:
        server.stop()


def unlock_in(server, pids, pid, passphrase=PASSPHRASE):
    with Only(pids, pid):
        return fresh(server, "POST", "/unlock", data={"passphrase": passphrase}, follow_redirects=False)


def test_an_unlock_in_one_worker_opens_the_others_and_a_seal_seals_them_all(three_workers):
    server, pids = three_workers
    assert all(sealed(server, pids, p) for p in pids)
    # A wrong passphrase counted in one worker counts in all (the wait is shared, not per worker).
    for p in pids:
        assert unlock_in(server, pids, p, "wrong wrong").status_code == 403
    with open(os.path.join(server.data_dir, "unlock-attempts.json")) as f:
        assert '"failed": 3' in f.read()
    r = unlock_in(server, pids, pids[0])
    assert r.status_code == 302
    assert [sealed(server, pids, p) for p in pids] == [False, False, False]
    # The flash message set by the unlocking worker is shown by whichever worker takes the
    # redirect (one signing key for all of them).
    with Only(pids, pids[1]):
        page = fresh(server, "GET", r.headers["Location"], cookies=dict(r.cookies)).text
    assert "系统已解锁。" in page
    assert not os.path.exists(os.path.join(server.data_dir, "unlock-attempts.json"))  # reset by the unlock

    # The admin seals in the last worker: the first one is sealed too.
    with Only(pids, pids[2]):
        admin = httpx.Client(base_url=server.url, verify=False, headers={"Origin": server.url}, timeout=30)
        assert admin.post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"}).status_code == 200
        assert admin.post("/api/v1/admin/seal").json() == {"sealed": True}
        admin.close()
    assert [sealed(server, pids, p) for p in pids] == [True, True, True]
    r = fresh(server, "GET", "/api/v1/me")
    assert r.status_code == 503 and r.json()["error"]["code"] == "sealed"
    # A member (not admin) may not seal: unlock again, try, still open.
    assert unlock_in(server, pids, pids[1]).status_code == 302
    with Only(pids, pids[0]):
        secretary = httpx.Client(base_url=server.url, verify=False, headers={"Origin": server.url}, timeout=30)
        assert secretary.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"}).status_code == 200
        assert secretary.post("/api/v1/admin/seal").status_code == 403
        secretary.close()
    assert [sealed(server, pids, p) for p in pids] == [False, False, False]


def test_workers_killed_after_the_unlock_come_back_open(three_workers):
    server, pids = three_workers
    assert unlock_in(server, pids, pids[0]).status_code == 302
    for p in pids:
        os.kill(p, signal.SIGKILL)
    fresh_pids = wait_workers(server, 3, not_in=pids)
    assert [sealed(server, fresh_pids, p) for p in fresh_pids] == [False, False, False]
    # The key is in the service's keyring only: no file in the data folder holds it.
    from appliance.store.keys import Keyring

    key = Keyring.load(server.data_dir).unlock_with_passphrase(PASSPHRASE)
    for root, _dirs, files in os.walk(server.data_dir):
        for name in files:
            if name.startswith("yishi.db"):
                continue  # the encrypted store itself
            with open(os.path.join(root, name), "rb") as f:
                body = f.read()
            assert key not in body and key.hex().encode() not in body, name
    # Stopping the service seals: a new service on the same folder starts sealed.
    server.stop()
    again = start_server(server.data_dir, extra=("--workers", "2", "--edge", "off"))
    try:
        assert fresh(again, "GET", "/healthz").json()["sealed"] is True
    finally:
        again.stop()


def _committee(server):
    """Pair 15 tablets, sign each member in, open the meeting: (secretary client, tablets)."""
    base = dict(base_url=server.url, verify=False, headers={"Origin": server.url}, timeout=60)
    admin = httpx.Client(**base)
    assert admin.post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"}).status_code == 200
    tablets = {}
    for seat in range(1, len(demo.MEMBERS) + 1):
        t = httpx.Client(**base)
        token = admin.post("/api/v1/admin/invites").json()["url"].split("#t=")[1]
        code = t.post("/api/v1/pair/start", json={"token": token, "device_name": f"座位{seat}"}).json()["short_code"]
        req = next(p for p in admin.get("/api/v1/admin/pairing").json()["requests"] if p["short_code"] == code)
        admin.post(f"/api/v1/admin/pairing/{req['id']}/approve", json={"person_id": seat})
        t.get("/api/v1/pair/status")
        assert t.post("/api/v1/signin", json={"person_id": seat, "pin": demo.member_pin(seat)}).status_code == 200
        tablets[seat] = t
    admin.close()
    sec = httpx.Client(**base)
    assert sec.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"}).status_code == 200
    mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "多进程测试", "starts_at": time.time()}).json()["id"]
    items = [sec.post(f"/api/v1/meetings/{mid}/items", json={"title": f"议题{i}", "kind": "other"}).json()["id"] for i in range(3)]
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    for t in tablets.values():
        assert t.post(f"/api/v1/meetings/{mid}/signin").status_code == 200
    return sec, tablets, items


def _vote_until_acknowledged(server, cookies, pid, choice, acked, errors):
    """A tablet's ballot, resent (same ballot id, same choice) until the server acknowledges it."""
    body = {"choice": choice, "ballot_id": secrets.token_hex(16),
            "tracker": "".join(secrets.choice(TRACKER_ALPHABET) for _ in range(8))}
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        try:
            r = fresh(server, "POST", f"/api/v1/polls/{pid}/ballots", json=body, cookies=cookies)
        except httpx.HTTPError:
            time.sleep(0.05)  # the worker died under this request: send the same ballot again
            continue
        if r.status_code == 200:
            acked.append(choice)
            return
        if r.status_code >= 500:
            time.sleep(0.05)
            continue
        errors.append(f"HTTP {r.status_code}: {r.text[:200]}")
        return
    errors.append("not acknowledged within the deadline")


def test_kill_9_of_a_worker_during_a_ballot_burst(tmp_path):
    d = str(tmp_path / "data")
    store, _ = make_store(d)
    demo.populate(store)
    store.close()
    pf = str(tmp_path / "passphrase")
    with open(pf, "w") as f:
        f.write(PASSPHRASE + "\n")
    server = start_server(d, pf, extra=("--workers", "3"))  # through nginx, as on the Pi
    try:
        pids = wait_workers(server, 3)
        sec, tablets, items = _committee(server)
        killed = set()
        for round_, item in enumerate(items):
            pid = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret", "rule": "majority"}).json()["id"]
            assert sec.post(f"/api/v1/polls/{pid}/open", json={}).status_code == 200
            choices = {seat: ("yes", "no", "abstain")[(seat + round_) % 3] for seat in tablets}
            acked, errors = [], []
            threads = [threading.Thread(target=_vote_until_acknowledged,
                                        args=(server, dict(t.cookies), pid, choices[seat], acked, errors))
                       for seat, t in tablets.items()]
            for th in threads:
                th.start()
            victim = next(p for p in workers_of(server) if p not in killed)
            os.kill(victim, signal.SIGKILL)  # mid-burst: some ballots are in this worker right now
            killed.add(victim)
            for th in threads:
                th.join(DEADLINE + 10)
            assert errors == []
            assert len(acked) == len(tablets)  # every tablet voted again, nobody unlocked anything
            r = sec.post(f"/api/v1/polls/{pid}/close")
            assert r.status_code == 200, r.text
            result = r.json()
            expected = {c: list(choices.values()).count(c) for c in ("yes", "no", "abstain")}
            assert {c: result[c] for c in expected} == expected  # each acknowledged ballot once
        assert killed.isdisjoint(workers_of(server)) and len(workers_of(server)) == 3
        assert not fresh(server, "GET", "/healthz").json()["sealed"]
    finally:
        server.stop()
