"""Static files on the real nginx (issue 11): pages link fingerprinted names (content hash), which
nginx serves with `Cache-Control: immutable` and a year-long max-age; plain names keep the short
cache; a fingerprint that is not the file's content is a 404, never a year-cached copy.

Bad inputs tried: a wrong fingerprint on a real file, a fingerprint on a file that does not
exist, a fingerprinted name climbing out of /static, an upper-case fingerprint, and a plain
file (pdf.js's module) that pages never link by fingerprint."""

import hashlib
import os
import re

import httpx
import pytest

import webui
from appliance.web import fingerprints
from tests.edge.helpers import client

pytestmark = pytest.mark.server
LINKED = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def _age(r):
    return int(re.search(r"max-age=(\d+)", r.headers.get("cache-control", "")).group(1))


def test_pages_link_fingerprinted_names_that_nginx_keeps_for_a_year(demo_server):
    page = client(demo_server).get("/login")
    assert page.status_code == 200
    linked = LINKED.findall(page.text)
    hashed = [u for u in linked if fingerprints.PATTERN.match(u)]
    assert "/static/css/yishi.css" not in linked and "/static/js/live.js" not in linked, linked
    assert any(u.startswith("/static/css/yishi.") for u in hashed) and any(u.startswith("/static/js/live.") for u in hashed), linked

    for url in hashed:
        r = httpx.get(demo_server.url + url, verify=False, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200, url
        real = fingerprints.real_name(webui.STATIC, url[len("/static/"):])
        with open(os.path.join(webui.STATIC, real), "rb") as f:
            content = f.read()
        assert r.content == content  # what the name promises
        assert url.split(".")[-2] == hashlib.sha256(content).hexdigest()[:fingerprints.HASH_LEN]
        assert "immutable" in r.headers["cache-control"] and _age(r) >= 365 * 24 * 3600, (url, r.headers)
        assert r.headers["x-content-type-options"] == "nosniff"
        if len(content) > 1024 and url.endswith((".css", ".js")):
            assert r.headers.get("content-encoding") == "gzip", url

    # The same file by its plain name: served, an hour's cache, no immutable.
    plain = httpx.get(demo_server.url + "/static/js/live.js", verify=False)
    assert plain.status_code == 200 and "immutable" not in plain.headers["cache-control"] and _age(plain) <= 3600
    module = httpx.get(demo_server.url + "/static/vendor/pdfjs/pdf.min.mjs", verify=False)
    if module.status_code == 200:  # pdf.js's own modules, fetched by pdf.js by plain name
        assert "immutable" not in module.headers["cache-control"]


def test_a_fingerprint_that_does_not_match_is_not_served(demo_server):
    live = fingerprints.url_name(webui.STATIC, "js/live.js")
    good = live.split(".")[-2]
    bad = ("0" if good[0] != "0" else "1") + good[1:]
    for url in (f"/static/js/live.{bad}.js",  # a real file, another fingerprint (an old version's)
                f"/static/js/live.{good.upper()}.js",
                f"/static/js/no-such-file.{good}.js",
                f"/static/../appliance/edge.{good}.py",
                f"/static/%2e%2e/appliance/edge.{good}.js"):
        r = httpx.get(demo_server.url + url, verify=False)
        assert r.status_code in (400, 404), (url, r.status_code)
        assert "immutable" not in r.headers.get("cache-control", ""), url
    assert httpx.get(demo_server.url + f"/static/{live}", verify=False).status_code == 200  # the control


def test_without_nginx_the_app_serves_fingerprinted_names_the_same_way(demo_app):
    c = demo_app.test_client()
    page = c.get("/login").get_data(as_text=True)
    css = next(u for u in LINKED.findall(page) if u.startswith("/static/css/yishi."))
    assert fingerprints.PATTERN.match(css)
    r = c.get(css)
    assert r.status_code == 200 and "immutable" in r.headers["Cache-Control"] and _age(r) >= 365 * 24 * 3600
    r.close()
    name = css[len("/static/"):]
    assert c.get("/static/" + name.replace(name.split(".")[-2], "0" * fingerprints.HASH_LEN)).status_code == 404
    r = c.get("/static/css/yishi.css")
    assert r.status_code == 200 and "immutable" not in r.headers.get("Cache-Control", "")
    r.close()


def test_no_static_file_is_named_like_a_fingerprint():
    """nginx takes any such name for a fingerprinted alias: a real file named so would be a 404."""
    for folder, _, files in os.walk(webui.STATIC):
        for f in files:
            assert not fingerprints.PATTERN.match(f) or not f.endswith(fingerprints.EXTENSIONS), os.path.join(folder, f)
