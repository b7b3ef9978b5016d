"""Web hygiene: state changes only from the appliance's own https origin, `next=` never leaves
the appliance, and the plain-HTTP port redirects to the configured name, not to a Host header."""

from http.client import HTTPConnection

import pytest

from appliance.config import Settings
from tests.conftest import free_port


@pytest.mark.parametrize("origin", [None, "null", "https://localhost", "http://localhost:8443", "http://evil.example",
                                    "http://localhost.evil.example"])
def test_state_changes_need_the_exact_origin(demo_app, origin):
    c = demo_app.test_client()
    c.environ_base.pop("HTTP_ORIGIN", None)
    headers = {"Origin": origin} if origin else {}
    for url, body in (("/api/v1/login", {"json": {"username": "admin", "password": "yishi-admin"}}),
                      ("/login", {"data": {"username": "admin", "password": "yishi-admin"}})):
        r = c.post(url, headers=headers, **body)
        assert r.status_code == 403, (origin, url, r.status_code)
    assert c.get_cookie("yishi_session") is None
    r = c.post("/api/v1/login", headers=headers, json={})
    assert r.get_json()["error"]["code"] == "bad_origin"
    assert "本机" in r.get_json()["error"]["message"]


def test_the_exact_origin_is_accepted_and_https_is_required_when_served_over_tls(demo_app):
    c = demo_app.test_client()
    c.environ_base.pop("HTTP_ORIGIN", None)
    ok = c.post("/api/v1/login", headers={"Origin": "http://localhost"}, json={"username": "admin", "password": "yishi-admin"})
    assert ok.status_code == 200
    demo_app.extensions["yishi"].config.secure_cookies = True
    try:
        r = c.post("/api/v1/signout", headers={"Origin": "http://localhost"})
        assert r.status_code == 403  # served over TLS, an http:// page of the same host is another origin
        r = c.post("/api/v1/signout", headers={"Origin": "https://localhost"}, base_url="https://localhost")
        assert r.status_code in (200, 401)
    finally:
        demo_app.extensions["yishi"].config.secure_cookies = False


@pytest.mark.parametrize("target", ["/%09/evil.example", "//evil.example", "/\\evil.example", "/%5Cevil.example",
                                    "https://evil.example/", "/%0a/evil.example", " //evil.example", "javascript:alert(1)"])
def test_next_never_leaves_the_appliance(demo_app, target):
    c = demo_app.test_client()
    r = c.get(f"/lang/en?next={target}")
    assert r.status_code == 302 and r.headers["Location"] == "/", (target, r.headers["Location"])
    r = c.post(f"/login?next={target}", data={"username": "admin", "password": "yishi-admin"})
    assert r.status_code == 302 and r.headers["Location"] == "/", (target, r.headers["Location"])


def test_next_keeps_a_path_of_ours(demo_app):
    r = demo_app.test_client().get("/lang/en?next=/office/archive%3Fq%3D1")
    assert r.headers["Location"] == "/office/archive?q=1"


def _serve_redirects(data_dir):
    from appliance.serve import start_redirect_server

    port = free_port()
    srv = start_redirect_server("127.0.0.1", port, data_dir, 8443)
    return srv, port


def _location(port, host):
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/meetings/1?x=1", headers={"Host": host})
    r = conn.getresponse()
    conn.close()
    return r.status, r.getheader("Location")


def test_plain_http_redirects_to_the_configured_name_not_the_host_header(data_dir):
    srv, port = _serve_redirects(data_dir)
    try:
        status, loc = _location(port, "evil.example")
        assert status == 308 and loc == "https://127.0.0.1:8443/meetings/1?x=1", loc  # the address it was reached on
        s = Settings.load(data_dir)
        s.public_url = "https://yishi.lan"
        s.save(data_dir)
        status, loc = _location(port, "evil.example")
        assert loc == "https://yishi.lan/meetings/1?x=1", loc
    finally:
        srv.shutdown()


def test_every_live_stream_goes_through_live_js():
    """A page that opens its own EventSource gives up on the first error and never re-syncs
    (and waits for a "hello" nchan does not send): live.js is the one place that opens one."""
    import glob
    import os
    import re

    import webui

    scripts = glob.glob(os.path.join(os.path.dirname(webui.__file__), "static", "js", "*.js"))
    assert len(scripts) > 10
    own = [os.path.basename(p) for p in scripts
           if os.path.basename(p) != "live.js" and re.search(r"new\s+EventSource|addEventListener\(\s*[\"']hello", open(p, encoding="utf-8").read())]
    assert own == [], f"these scripts open or wait on a stream of their own; use YishiLive.connect: {own}"
