"""The real server: gunicorn over HTTPS with the appliance's own CA, on loopback."""

import os
import ssl
import time

import httpx
import pytest

from tests.conftest import PASSPHRASE, damage_store, make_store, start_server

pytestmark = pytest.mark.server


def ca(server):
    """Trust exactly the appliance's own CA, as a tablet does after installing it."""
    return ssl.create_default_context(cafile=ca_path(server))


def ca_path(server):
    return os.path.join(server.data_dir, "tls", "ca.crt")


def test_https_with_the_local_ca(demo_server):
    r = httpx.get(demo_server.url + "/healthz", verify=ca(demo_server))
    assert r.json() == {"ok": True, "sealed": False, "version": "0.1.0"}
    assert r.headers["Strict-Transport-Security"]


def test_plain_http_only_redirects_and_offers_the_ca(demo_server):
    r = httpx.get(demo_server.http_url + "/admin/devices?x=1", follow_redirects=False)
    assert r.status_code == 308
    assert r.headers["Location"] == f"https://127.0.0.1:{demo_server.port}/admin/devices?x=1"
    cert = httpx.get(demo_server.http_url + "/ca.crt")
    assert cert.status_code == 200 and cert.content.startswith(b"-----BEGIN CERTIFICATE-----")
    with open(ca_path(demo_server), "rb") as f:
        assert cert.content == f.read()
    page = httpx.get(demo_server.http_url + "/trust").text
    assert "Android" in page and "iPad" in page and "/ca.crt" in page


def test_captive_portal_probes_get_their_expected_answers(demo_server):
    assert httpx.get(demo_server.http_url + "/generate_204").status_code == 204
    assert "Success" in httpx.get(demo_server.http_url + "/hotspot-detect.html").text
    assert httpx.get(demo_server.http_url + "/ncsi.txt").text == "Microsoft NCSI"


def test_cookies_are_httponly_secure_strict(demo_server):
    with httpx.Client(base_url=demo_server.url, headers={"Origin": demo_server.url}, verify=ca(demo_server)) as admin:
        r = admin.post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"})
        assert r.status_code == 200
        set_cookie = r.headers["set-cookie"].lower()
        for flag in ("httponly", "secure", "samesite=strict"):
            assert flag in set_cookie
        url = admin.post("/api/v1/admin/invites").json()["url"]
        token = url.split("#t=")[1]
        with httpx.Client(base_url=demo_server.url, headers={"Origin": demo_server.url}, verify=ca(demo_server)) as tablet:
            start = tablet.post("/api/v1/pair/start", json={"token": token, "device_name": "t1"})
            assert "httponly" in start.headers["set-cookie"].lower()
            code = start.json()["short_code"]
            req = next(p for p in admin.get("/api/v1/admin/pairing").json()["requests"] if p["short_code"] == code)
            admin.post(f"/api/v1/admin/pairing/{req['id']}/approve", json={})
            status = tablet.get("/api/v1/pair/status")
            device_cookie = [c for c in status.headers.get_list("set-cookie") if c.startswith("yishi_device=")][0].lower()
            for flag in ("httponly", "secure", "samesite=strict"):
                assert flag in device_cookie
            me = tablet.post("/api/v1/signin", json={"person_id": 3, "pin": "111103"})
            assert me.status_code == 200 and me.json()["person"]["name"] == "张伟"


def test_sealed_server_unlocks_in_the_browser_form(tmp_path):
    d = str(tmp_path / "data")
    make_store(d)[0].close()
    server = start_server(d)
    try:
        c = httpx.Client(base_url=server.url, headers={"Origin": server.url}, verify=False)
        assert c.get("/healthz").json()["sealed"] is True
        r = c.get("/")
        assert r.status_code == 503 and 'name="passphrase"' in r.text
        r = c.post("/unlock", data={"passphrase": "wrong wrong"})
        assert r.status_code == 403 and c.get("/healthz").json()["sealed"] is True
        r = c.post("/unlock", data={"passphrase": PASSPHRASE})
        assert r.status_code == 302 and c.get("/healthz").json()["sealed"] is False
    finally:
        server.stop()


def test_zeroconf_advertises_and_withdraws(tmp_path):
    """Run in a thread of its own: Playwright's sync API leaves an asyncio loop running on the
    main thread, and python-zeroconf refuses blocking calls from a thread with a running loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        pool.submit(_zeroconf_round_trip, tmp_path).result()


def _zeroconf_round_trip(tmp_path):
    from zeroconf import IPVersion, ServiceBrowser, Zeroconf

    from appliance.devices.advertise import SERVICE_TYPE

    from appliance.config import Settings

    d = str(tmp_path / "data")
    make_store(d)[0].close()
    room = f"测试室{os.getpid()}"  # unique: another run on this host must not collide
    settings = Settings.load(d)
    settings.room = room
    settings.save(d)
    seen, gone = {}, []

    class Listener:
        def add_service(self, zc, type_, name):
            seen[name] = zc.get_service_info(type_, name, 3000)

        def remove_service(self, zc, type_, name):
            gone.append(name)

        def update_service(self, zc, type_, name):
            pass

    zc = Zeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    browser = ServiceBrowser(zc, SERVICE_TYPE, Listener())
    server = start_server(d, extra=["--advertise-address", "127.0.0.1"])
    try:
        name = f"Yishi 议事 {room}._https._tcp.local."
        info = None
        deadline = time.monotonic() + 30
        while info is None and time.monotonic() < deadline:  # ask directly, as a tablet would
            info = seen.get(name) or zc.get_service_info(SERVICE_TYPE, name, timeout=3000)
        assert info is not None, f"{name} not found; browsed {sorted(seen)}"
        assert info.port == server.port
        assert info.properties[b"version"] == b"0.1.0" and info.properties[b"path"] == b"/"
        server.stop()
        deadline = time.monotonic() + 30
        while name not in gone and time.monotonic() < deadline:
            time.sleep(0.2)
        assert name in gone
    finally:
        server.stop()
        browser.cancel()
        zc.close()


def test_a_damaged_store_at_start_serves_the_sealed_page_saying_so(tmp_path):
    """`yishi serve --passphrase-file` on a damaged file: no "Worker failed to boot" traceback,
    but a sealed appliance whose page (and log) names the file and what to do."""
    d = str(tmp_path / "data")
    make_store(d)[0].close()
    db = damage_store(d, 64, 512)
    pf = str(tmp_path / "passphrase")
    with open(pf, "w") as f:
        f.write(PASSPHRASE + "\n")
    server = start_server(d, pf)
    try:
        c = httpx.Client(base_url=server.url, headers={"Origin": server.url}, verify=False)
        assert c.get("/healthz").json()["sealed"] is True
        r = c.get("/")
        assert r.status_code == 503 and db in r.text and "口令正确" in r.text
        r = c.post("/unlock", data={"passphrase": PASSPHRASE})  # trying again says the same, clearly
        assert r.status_code == 500 and db in r.text
    finally:
        server.stop()
    with open(os.path.join(d, "server.log"), encoding="utf-8", errors="replace") as f:
        log = f.read()
    assert "Traceback" not in log and "Worker failed to boot" not in log
    assert "unlock refused" in log and db in log


def test_the_app_socket_binds_where_chown_is_forbidden(tmp_path, monkeypatch):
    """yishi.service forbids the chown calls (SystemCallFilter=~@privileged): gunicorn's chown of
    its own socket to its own uid failed with EPERM there, and the appliance never came up."""
    import logging

    from gunicorn import config, sock

    from appliance import serve

    serve._chown_only_if_needed()

    def refuse(*args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chown", refuse)
    path = str(tmp_path / "app.sock")
    bound = sock.UnixSocket(path, config.Config(), logging.getLogger("test"))
    try:
        assert os.path.exists(path)
    finally:
        bound.close()


def test_serve_with_a_relative_data_folder(tmp_path, monkeypatch):
    """`make run` passes `--data data`, relative to the repository: nginx resolved its error log
    against its own prefix (data/edge/data/edge/error.log) and refused to start."""
    store, _ = make_store(str(tmp_path / "data"))
    store.close()
    (tmp_path / "passphrase").write_text(PASSPHRASE + "\n")
    monkeypatch.chdir(tmp_path)
    server = start_server("data", "passphrase")
    try:
        assert httpx.get(server.url + "/login", verify=False, timeout=30).status_code == 200
    finally:
        server.stop()
