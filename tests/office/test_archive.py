"""The archive's Chinese full-text search: 2- and 3+-character words, filters, access control."""

from appliance.devices import people
from appliance.office import archive
from tests.devices.helpers import admin_client
from tests.office.helpers import chinese_pdf, file_json, member, pid, secretary, staff


def _file(office, title, *lines, **extra):
    r = office.post("/api/v1/office/archive", json={"title": title, "file": file_json("a.pdf", chinese_pdf(*lines)), **extra})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["entry"]


def test_words_inside_pdf_text_are_found(demo_app):
    office = staff(demo_app)
    a = _file(office, "区人大常委会工作要点", "关于2026年财政预算调整方案的审查意见", category="收文", year=2026)
    b = _file(office, "代表建议办理情况", "督办代表建议 人大监督", year=2025)

    def ids(q, **kw):
        res = office.get("/api/v1/office/archive/search", query_string={"q": q, **kw})
        return [r["id"] for r in res.get_json()["results"]]

    assert ids("预算") == [a]            # two characters: the bigram index
    assert ids("预算调整") == [a]         # four characters: trigram
    assert ids("审") == [a]               # one character
    assert ids("人大") == [b, a] or sorted(ids("人大")) == sorted([a, b])
    assert ids("人大 预算") == [a]         # every term must match
    assert ids("人大", year=2025) == [b]
    assert ids("人大", category="收文") == [a]
    assert ids("财政 监督") == []
    assert ids("ＰＤＦ预算") == []         # full-width letters are normalised, no crash
    res = office.get("/api/v1/office/archive/search?q=%E9%A2%84%E7%AE%97").get_json()
    assert "预算" in res["results"][0]["excerpt"]


def test_symbols_only_query_gets_a_clear_message(demo_app):
    office = staff(demo_app)
    _file(office, "任意文件", "内容")
    for q in ["%25%25%25", "《》", "***", "\"'", "〔〕"]:
        r = office.get(f"/api/v1/office/archive/search?q={q}")
        assert r.status_code == 200
        body = r.get_json()
        assert body["results"] == [] and body["notice"] == "symbols_only" and "请至少输入" in body["message"]
    page = office.get("/office/archive?q=%2A%2A%2A")
    assert page.status_code == 200 and "请至少输入" in page.get_data(as_text=True)


def test_classified_documents_are_not_found_without_access(demo_app):
    office = staff(demo_app)
    reader = pid(demo_app, "张伟")
    secret = _file(office, "人事任免预案", "拟任命名单 预算", classified=True, readers=[reader])
    open_one = _file(office, "公开的预算报告", "预算公开")
    admin = admin_client(demo_app)
    allowed, other = member(demo_app, admin, 3), member(demo_app, admin, 4)
    assert {r["id"] for r in allowed.get("/api/v1/office/archive/search?q=预算").get_json()["results"]} == {secret}
    assert other.get("/api/v1/office/archive/search?q=任免").get_json()["results"] == []
    assert other.get("/api/v1/office/archive/search?q=拟任命名单").get_json()["total"] == 0
    assert other.get(f"/api/v1/office/archive/{secret}").status_code == 404
    assert other.get(f"/office/archive/{secret}").status_code == 404
    # The secretary reads everything that is not classified, but not the classified one
    # (the staff member who filed it keeps access).
    sec = secretary(demo_app)
    assert [r["id"] for r in sec.get("/api/v1/office/archive/search?q=预算").get_json()["results"]] == [open_one]
    assert {r["id"] for r in office.get("/api/v1/office/archive/search?q=预算").get_json()["results"]} == {open_one, secret}
    assert allowed.get(f"/api/v1/office/archive/{secret}").status_code == 200


def test_meetings_with_minutes_are_filed_automatically(demo_app):
    import time

    from appliance.documents import library

    st = demo_app.extensions["yishi"].store
    staff_p = people.by_username(st, "staff")
    doc = library.create(st, staff_p.id, "第四次会议纪要", "m.pdf", chinese_pdf("会议纪要 表决通过人事任免办法"))
    with st.write() as db:
        db.execute("INSERT INTO meetings (kind, title, starts_at, membership, status, created_at, minutes_document) "
                   "VALUES ('standing', '第十八届人大常委会第四次会议', ?, 15, 'closed', ?, ?)", (time.time(), time.time(), doc))
    res = archive.search(st, staff_p, "任免办法")
    assert [r["kind"] for r in res["results"]] == ["meeting"]
    assert res["results"][0]["retention_years"] is None  # 永久
    assert archive.sweep_meetings(st) == 0


def test_grams_and_query_parsing():
    assert archive.grams("预算调整") == "预算 算调 调整 整"
    assert archive.parse_query("  《预算》，人大办〔2026〕12号 ") == ["预算", "人大办", "2026", "12号"]
    assert archive.parse_query("%%%") == []
    assert archive.normalise("预 算\n调整") == "预算调整"
