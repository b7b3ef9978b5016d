"""What every page promises: strict CSP, Chinese first with an English switch, JSON errors."""

import re

from appliance.web import apispec
from tests.devices.helpers import admin_client, pair_tablet


def test_security_headers(demo_app):
    r = demo_app.test_client().get("/welcome")
    assert r.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "unsafe-inline" not in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Referrer-Policy"] == "same-origin"  # no-referrer makes browsers send Origin: null


def test_no_inline_script_or_style_in_templates():
    import glob

    for path in glob.glob("webui/templates/**/*.html", recursive=True):
        text = open(path, encoding="utf-8").read()
        # Executable inline scripts are refused by the CSP; JSON data blocks are not executed.
        assert not re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", text), path
        assert " style=" not in text and "<style" not in text, path
        assert "on" + "click=" not in text, path
        assert "http://" not in text.replace("http://%(host)s", "") and "cdn" not in text.lower(), path


def test_chinese_first_and_english_switch(demo_app):
    c = demo_app.test_client()
    assert "本设备尚未配对" in c.get("/welcome").get_data(as_text=True)
    r = c.get("/lang/en?next=/welcome")
    assert r.status_code == 302 and r.headers["Location"] == "/welcome"
    assert "This device is not paired yet" in c.get("/welcome").get_data(as_text=True)
    assert c.get("/lang/xx").status_code == 404
    assert c.get("/lang/en?next=//evil.example").headers["Location"] == "/"


def test_large_type_switch(demo_app):
    c = demo_app.test_client()
    c.get("/large/1")
    assert 'class="large"' in c.get("/welcome").get_data(as_text=True)


def test_api_without_session_is_json_401_everywhere(demo_app):
    c = demo_app.test_client()
    for path, ops in apispec.document()["paths"].items():
        for method, op in ops.items():
            if not op["security"]:
                continue
            url = re.sub(r"{[a-z_]+}", "1", path)
            r = c.open(url, method=method.upper(), json={})
            assert r.status_code == 401, (method, url)
            assert r.get_json()["error"]["code"] == "unauthenticated"


def test_every_api_route_is_documented(demo_app):
    doc = demo_app.test_client().get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    for rule in demo_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in doc["paths"].get(path, {}), f"{method} {path} is not in openapi.json"


def test_unknown_api_path_is_json(demo_app):
    r = demo_app.test_client().get("/api/v1/nothing-here")
    assert r.status_code == 404 and r.get_json()["error"]["message"]


def test_cross_site_post_is_refused(demo_app):
    r = demo_app.test_client().post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"},
                                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403


def test_admin_pages_render(demo_app):
    admin = admin_client(demo_app)
    pair_tablet(demo_app, admin)
    for path in ("/", "/admin/pair", "/admin/devices", "/admin/people", "/admin/audit"):
        r = admin.get(path)
        assert r.status_code == 200, path
    page = admin.get("/admin/pair").get_data(as_text=True)
    assert page.count("<svg") == 2


def test_members_cannot_open_admin_pages(demo_app):
    admin = admin_client(demo_app)
    tablet = pair_tablet(demo_app, admin)
    from tests.devices.helpers import sign_in

    sign_in(demo_app, tablet, "张伟", "111103")
    assert tablet.get("/admin/devices").status_code == 403


def test_add_person_form_validates_and_keeps_input(demo_app):
    admin = admin_client(demo_app)
    r = admin.post("/admin/people", data={"name": "新委员", "roles": ["member"], "seat": "3", "pin": "12"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400 and "PIN 码必须是 4 到 8 位数字" in page and 'value="新委员"' in page
    r = admin.post("/admin/people", data={"name": "新委员", "roles": ["member"], "seat": "3", "pin": "123456"})
    assert r.status_code == 409 or "3 号座位已有人" in r.get_data(as_text=True)
    r = admin.post("/admin/people", data={"name": "新委员", "roles": ["member"], "seat": "16", "pin": "123456"})
    assert r.status_code == 302
    st = demo_app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM people WHERE name = '新委员'") == 1


def test_catalogue_is_complete_and_compiled():
    import os
    import tempfile

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    base = "webui/translations"
    for area in os.listdir(base):
        po_path = os.path.join(base, area, "zh", "LC_MESSAGES", "messages.po")
        with open(po_path, "rb") as f:
            po = read_po(f)
        untranslated = [m.id for m in po if m.id and not m.string]
        assert not untranslated, f"{po_path}: untranslated {untranslated[:5]}"
        with open(po_path[:-3] + ".mo", "rb") as f:
            mo = read_mo(f)
        assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}, f"{po_path}: .mo is stale; run make catalogs"
    assert tempfile  # keep import used
