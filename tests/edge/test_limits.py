"""nginx's shields in front of the app: body limits per route, answered in the app's JSON error
shape and the user's language, with nothing stored; the plain-HTTP port; /static."""

import io
import os
import re

import httpx
import pytest

import webui
from appliance import edge
from tests.edge.helpers import client, raw_request, staff
from tests.meetings.helpers import make_pdf

pytestmark = pytest.mark.server


def test_an_oversized_sign_in_body_is_refused_before_the_app_reads_it(demo_server):
    c = client(demo_server)
    r = c.post("/api/v1/login", content=b'{"username": "admin", "password": "' + b"x" * 100_000 + b'"}',
               headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"error": {"code": "request_entity_too_large", "message": "文件太大。"}}
    assert "yishi_session" not in r.cookies
    c.cookies.set("lang", "en")
    r = c.post("/api/v1/signin", content=b"{" + b" " * 50_000 + b"}", headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["message"] == "The file is too large."
    # a lying Content-Length: refused from the head alone, no 60 MB read
    status, head, body = raw_request(demo_server, f"POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1:{demo_server.port}\r\n"
                                                  "Content-Type: application/json\r\nContent-Length: 60000000\r\n\r\n")
    assert status == 413 and '"request_entity_too_large"' in body


def test_an_oversized_json_body_stores_nothing(demo_server):
    admin, sec = staff(demo_server)
    before = len(sec.get("/api/v1/meetings").json()["meetings"])
    r = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "大" * 600_000, "starts_at": "2026-06-29T09:00"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "request_entity_too_large"
    assert len(sec.get("/api/v1/meetings").json()["meetings"]) == before
    page = sec.post("/lang/en", content=b"x" * 2_000_000)  # a page route: the refusal as a page
    assert page.status_code == 413 and "<h1>" in page.text and "text/html" in page.headers["content-type"]


def test_only_the_upload_routes_take_a_document(demo_server):
    admin, sec = staff(demo_server)
    mid = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "上传测试", "starts_at": "2026-06-29T09:00"}).json()["id"]
    big = make_pdf("材料", 1) + b"%" + b"0" * 3_000_000 + b"\n"  # 3 MB: above the JSON limit, below the upload limit
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "大材料"}, files={"file": ("big.pdf", io.BytesIO(big), "application/pdf")})
    assert r.status_code == 200, r.text[:300]
    status, head, body = raw_request(demo_server, f"POST /api/v1/meetings/{mid}/materials HTTP/1.1\r\nHost: 127.0.0.1:{demo_server.port}\r\n"
                                                  f"Origin: {demo_server.url}\r\nCookie: yishi_session={sec.cookies.get('yishi_session')}\r\n"
                                                  "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 900000000\r\n\r\n")
    assert status == 413 and '"request_entity_too_large"' in body
    assert len(sec.get(f"/api/v1/meetings/{mid}").json()["materials"]) == 1  # the refused one stored nothing


def test_every_upload_route_of_the_app_is_in_the_edge_list_and_no_other(app):
    """A new upload route that the list forgets would be refused above 1 MB in production."""
    pattern = re.compile("|".join(edge.UPLOAD_PATHS))
    spec = app.test_client().get("/api/openapi.json").get_json()
    uploads = {"/api/v1/meetings/7/materials", "/api/v1/materials/7/replace"}  # request.files read by the view itself
    for path, ops in spec["paths"].items():
        content = ops.get("post", {}).get("requestBody", {}).get("content", {})
        if "multipart/form-data" in content:
            uploads.add(re.sub(r"\{\w+\}", "7", path))
    for rule in app.url_map.iter_rules():  # the office's page forms with a file field
        if rule.endpoint.startswith("office.") and "POST" in rule.methods and rule.rule.endswith(("/new", "/revise", "/archive/file")):
            uploads.add(re.sub(r"<(?:int:)?\w+>", "7", rule.rule))
    endpoints = {rule.endpoint: rule.rule for rule in app.url_map.iter_rules()}
    templates = os.path.join(os.path.dirname(webui.__file__), "templates")
    for folder, _, files in os.walk(templates):  # every page form that posts a file to a named endpoint
        for name in files:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                for form in re.findall(r"<form[^>]*multipart/form-data[^>]*>", f.read()):
                    target = re.search(r"url_for\('([\w.]+)'", form)
                    if target:
                        uploads.add(re.sub(r"<(?:int:)?\w+>", "7", endpoints[target.group(1)]))
    assert len(uploads) >= 12
    for path in uploads:
        assert pattern.match(path), f"{path} takes a file but appliance/edge.py UPLOAD_PATHS does not list it"
    for regex in edge.UPLOAD_PATHS:
        assert any(re.match(regex, p) for p in uploads), f"{regex} matches no upload route of the app"
    assert not pattern.match("/api/v1/meetings/7/items") and not pattern.match("/api/v1/login")


def test_plain_http_redirects_to_the_address_not_the_host_header(demo_server):
    r = httpx.get(demo_server.http_url + "/meetings/1?x=1", headers={"Host": "evil.example"}, follow_redirects=False)
    assert r.status_code == 308 and r.headers["Location"] == f"https://127.0.0.1:{demo_server.port}/meetings/1?x=1"
    assert httpx.get(demo_server.http_url + "/ca.crt").headers["content-type"] == "application/x-x509-ca-cert"
    assert httpx.post(demo_server.http_url + "/x", content=b"y" * 10_000).status_code == 413


def test_the_configured_public_name_is_where_plain_http_sends_tablets(tmp_path):
    from appliance.config import Settings
    from tests.conftest import make_store, start_server

    d = str(tmp_path / "data")
    make_store(d)[0].close()
    s = Settings.load(d)
    s.public_url = "https://yishi.lan"
    s.save(d)
    server = start_server(d)
    try:
        r = httpx.get(server.http_url + "/meetings/1?x=1", headers={"Host": "evil.example"}, follow_redirects=False)
        assert r.status_code == 308 and r.headers["Location"] == "https://yishi.lan/meetings/1?x=1"
        assert "https://yishi.lan/" in httpx.get(server.http_url + "/trust").text
    finally:
        server.stop()


def test_static_files_come_from_nginx_compressed_and_cached(demo_server):
    r = httpx.get(demo_server.url + "/static/css/yishi.css", verify=False, headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip" and "max-age" in r.headers["cache-control"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(demo_server.url + "/static/../appliance/edge.py", verify=False).status_code in (400, 404)


def test_tls_1_1_is_refused_and_http2_is_spoken(demo_server):
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    import socket

    with socket.create_connection(("127.0.0.1", demo_server.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(raw, server_hostname="yishi.lan")
    tls = ssl.create_default_context()
    tls.check_hostname, tls.verify_mode = False, ssl.CERT_NONE
    tls.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", demo_server.port), timeout=10) as raw:
        with tls.wrap_socket(raw, server_hostname="yishi.lan") as s:
            assert s.selected_alpn_protocol() == "h2" and s.version() in ("TLSv1.2", "TLSv1.3")
