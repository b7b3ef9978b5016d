"""Bad input is a clear 4xx in the caller's language and changes nothing: each class of the
server errors the hardening probe found (ids past 64 bits, a body that is no object, a field of
the wrong type, NUL and other control characters), tried on every route it can reach."""

import re

import pytest

from appliance.web import apispec
from appliance.web.params import to_id, to_int
from tests.office.helpers import chinese_pdf, file_json, login

HUGE = 2**63  # one past SQLite's largest integer


def _api_ops():
    for path, ops in apispec.document()["paths"].items():
        for method, op in ops.items():
            yield path, method.upper(), op


def _counts(store):
    tables = [r[0] for r in store.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                                      "AND name NOT IN ('audit', 'sessions')")]
    return {t: store.scalar(f"SELECT count(*) FROM {t}") for t in tables}


@pytest.fixture
def admin(demo_app):
    return login(demo_app, "admin", "yishi-admin")


@pytest.fixture
def staff(demo_app):
    return login(demo_app, "staff", "yishi-staff")


def test_ids_past_64_bits_are_not_found_on_every_int_route(demo_app, admin, staff):
    """Every `<int:…>` rule, pages and API alike: 404, never an OverflowError in the store."""
    tried = 0
    for rule in demo_app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        url = re.sub(r"<int:[a-z_]+>", str(HUGE), rule.rule)
        url = re.sub(r"<[a-z_]+>", "x", url)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for client in (admin, staff):
                r = client.open(url, method=method, json={})
                assert r.status_code == 404, (method, url, r.status_code)
                tried += 1
    assert tried > 40


def test_a_body_that_is_no_object_is_400_on_every_operation(demo_app, admin, staff):
    st = demo_app.extensions["yishi"].store
    before = _counts(st)
    tried = 0
    for path, method, op in _api_ops():
        if "requestBody" not in op:
            continue
        url = re.sub(r"{[a-z_]+}", "1", path)
        for client in (admin, staff):
            for body in ([], [1, 2], 7, "a string", True):
                r = client.open(url, method=method, json=body)
                assert r.status_code in (400, 403), (method, url, body, r.status_code, r.get_data(as_text=True)[:200])
                if r.status_code == 400:
                    assert r.get_json()["error"]["code"] in ("bad_json", "bad_field", "missing_field"), (url, body)
                tried += 1
            r = client.open(url, method=method, data=b"{not json", content_type="application/json")
            assert r.status_code in (400, 403), (method, url)
    assert tried > 100
    assert _counts(st) == before, "a refused body changed the store"


def test_fields_of_the_wrong_type_name_the_field(demo_app, staff):
    pdf = file_json("a.pdf", chinese_pdf("传阅测试"))
    cases = [
        ("/api/v1/office/circulations", {"title": "传阅", "recipients": 5, "file": pdf}, "recipients"),
        ("/api/v1/office/circulations", {"title": "传阅", "recipients": ["1"], "file": pdf}, "recipients.0"),
        ("/api/v1/office/archive", {"title": "资料", "category": ["a"], "file": pdf}, "category"),
        ("/api/v1/office/archive", {"title": "资料", "year": HUGE, "file": pdf}, "year"),
        ("/api/v1/office/archive", {"title": "资料", "year": True, "file": pdf}, "year"),
        ("/api/v1/meetings", {"kind": "standing", "title": 3, "starts_at": "2026-12-01T09:00"}, "title"),
        ("/api/v1/meetings", {"kind": "standing", "title": "x" * 20_000, "starts_at": "2026-12-01T09:00"}, "title"),
    ]
    for url, body, name in cases:
        r = staff.post(url, json=body)
        assert r.status_code == 400, (url, body, r.status_code)
        err = r.get_json()["error"]
        assert err["field"] == name, (url, err)
        assert name.split(".")[0] in err["message"]  # the message says which field, in Chinese
        assert re.search(r"[\u4e00-\u9fff]", err["message"]), err


def test_multipart_fields_are_typed_by_the_same_schema(demo_app, staff):
    import io

    r = staff.post("/api/v1/office/circulations", content_type="multipart/form-data",
                   data={"title": "传阅", "recipients": ["12", "x"], "file": (io.BytesIO(chinese_pdf("甲")), "a.pdf")})
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "recipients.1"


def test_nul_and_control_characters_are_removed_from_text(demo_app, staff):
    st = demo_app.extensions["yishi"].store
    r = staff.post("/api/v1/meetings", json={"kind": "standing", "title": "\x00第五次\x07会议\ud800", "starts_at": "2026-12-01T09:00"})
    assert r.status_code == 200, r.get_json()
    assert st.scalar("SELECT title FROM meetings WHERE id = ?", (r.get_json()["id"],)) == "第五次会议"
    # a title of nothing but control characters is an empty title: the domain's own refusal
    r = staff.post("/api/v1/meetings", json={"kind": "standing", "title": "\x00\x01", "starts_at": "2026-12-01T09:00"})
    assert r.status_code == 400
    # forms too: the page form for a new meeting goes through the same cleaning
    page = staff.post("/meetings/new", data={"kind": "standing", "title": "\x00表单\x1b会议", "starts_at": "2026-12-02T09:00"})
    assert page.status_code in (200, 302, 303)
    assert st.scalar("SELECT count(*) FROM meetings WHERE title = ?", ("表单会议",)) in (0, 1)
    assert st.scalar("SELECT count(*) FROM meetings WHERE instr(title, char(0)) > 0") == 0


def test_query_numbers_past_64_bits_are_ignored_not_500(demo_app, staff):
    r = staff.get(f"/api/v1/office/archive/search?q=会议&year={HUGE}")
    assert r.status_code == 400 and r.get_json()["error"]["field"] == "year"
    assert staff.get(f"/office/archive?q=会议&year={HUGE}&offset={HUGE}").status_code == 200
    assert staff.get("/office/archive?q=%00会议").status_code == 200


def test_number_helpers():
    assert to_int("12") == 12 and to_int(" 7 ") == 7 and to_int("-3") == -3
    assert to_int("²") is None and to_int("١٢") is None and to_int("1e3") is None
    assert to_int(str(HUGE)) is None and to_int(str(HUGE - 1)) == HUGE - 1 and to_int(True) is None
    assert to_id("0") is None and to_id("5") == 5 and to_id(None) is None
