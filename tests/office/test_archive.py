"""The archive's Chinese full-text search: 2- and 3+-character words, filters, access control,
and the body of a PDF that follows its filing once the text is read."""

import threading

import pytest

from appliance.devices import people
from appliance.documents import files, library, text_jobs
from appliance.office import archive
from tests.devices.helpers import admin_client
from tests.office.helpers import (chinese_pdf, entry_document, file_json, member, pid, secretary, staff,
                                  wait_for_text)


def _file(office, title, *lines, **extra):
    """File a PDF and wait until its text is read (the upload answers before it is)."""
    r = office.post("/api/v1/office/archive", json={"title": title, "file": file_json("a.pdf", chinese_pdf(*lines)), **extra})
    assert r.status_code == 201, r.get_json()
    entry = r.get_json()["entry"]
    app = office.application
    wait_for_text(app.extensions["yishi"].store, entry_document(app, entry))
    return entry


def _ids(client, q, **kw):
    res = client.get("/api/v1/office/archive/search", query_string={"q": q, **kw}).get_json()
    return [r["id"] for r in res["results"]]


@pytest.fixture
def held_text(monkeypatch):
    """pdftotext waits until the test sets the returned event (set again at teardown)."""
    release, real = threading.Event(), files.extract_text

    def held(data, limits=None):
        release.wait(60)
        return real(data, limits)

    monkeypatch.setattr(files, "extract_text", held)
    yield release
    release.set()


def test_a_pdf_filed_before_its_text_is_read_is_found_by_its_body_once_the_text_arrives(demo_app, held_text):
    office = staff(demo_app)
    st = demo_app.extensions["yishi"].store
    r = office.post("/api/v1/office/archive", json={"title": "代表建议办理情况汇报", "category": "收文",
                                                    "file": file_json("a.pdf", chinese_pdf("关于督办代表建议的专题调研报告"))})
    assert r.status_code == 201, r.get_json()
    entry = r.get_json()["entry"]
    doc = entry_document(demo_app, entry)
    assert library.text_state(st, doc) == "pending"  # the upload answered before the text existed
    assert _ids(office, "办理情况") == [entry]  # what the filing knew is found at once
    assert _ids(office, "专题调研") == [] and _ids(office, "调研") == []
    held_text.set()
    wait_for_text(st, doc)
    assert _ids(office, "专题调研") == [entry]  # trigram
    assert _ids(office, "调研") == [entry]  # bigram
    assert _ids(office, "调研", category="收文") == [entry] and _ids(office, "办理情况") == [entry]
    res = office.get("/api/v1/office/archive/search", query_string={"q": "专题调研"}).get_json()
    assert "专题调研" in res["results"][0]["excerpt"]


def test_a_circulation_closed_before_its_text_is_read_keeps_its_note_in_the_index(demo_app, held_text):
    office = staff(demo_app)
    st = demo_app.extensions["yishi"].store
    r = office.post("/api/v1/office/circulations", json={
        "title": "关于学习贯彻会议精神的通知", "note": "请于周五前传阅完毕", "recipients": [pid(demo_app, "王建国")],
        "file": file_json("通知.pdf", chinese_pdf("认真组织专题学习讨论"))})
    assert r.status_code == 201, r.get_json()
    circ = r.get_json()["circulation"]
    assert office.post(f"/api/v1/office/circulations/{circ['id']}/close").status_code == 200
    entry = _ids(office, "", kind="circulation")
    assert len(entry) == 1 and _ids(office, "传阅完毕") == entry and _ids(office, "专题学习") == []
    held_text.set()
    wait_for_text(st, circ["document_id"])
    assert _ids(office, "专题学习") == entry and _ids(office, "传阅完毕") == entry  # indexed again, note and all
    assert _ids(office, "专题学习 传阅") == entry


def test_an_entry_indexes_its_current_version_even_when_an_older_one_is_read_last(store):
    office = people.create(store, "system", "档案员", ["staff"])
    doc = library.create(store, office.id, "工作要点", "v1.pdf", chinese_pdf("第一稿 开展执法检查"), now=2_000)
    with store.write() as db:
        entry = archive.file(db, office.id, "document", doc, doc, "工作要点")
    # The corrected version's job comes first in the queue: another worker could take it first.
    library.replace(store, office.id, doc, "v2.pdf", chinese_pdf("第二稿 开展专题询问"), now=1_000)
    assert text_jobs.run_pending(store) == 2  # no worker here: the second version, then the first
    found = archive.search(store, office, "专题询问")["results"]
    assert [r["id"] for r in found] == [entry]
    assert archive.search(store, office, "执法检查")["total"] == 0


def test_words_inside_pdf_text_are_found(demo_app):
    office = staff(demo_app)
    a = _file(office, "区人大常委会工作要点", "关于2026年财政预算调整方案的审查意见", category="收文", year=2026)
    b = _file(office, "代表建议办理情况", "督办代表建议 人大监督", year=2025)

    def ids(q, **kw):
        return _ids(office, q, **kw)

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

    st = demo_app.extensions["yishi"].store
    staff_p = people.by_username(st, "staff")
    doc = library.create(st, staff_p.id, "第四次会议纪要", "m.pdf", chinese_pdf("会议纪要 表决通过人事任免办法"))
    with st.write() as db:
        db.execute("INSERT INTO meetings (kind, title, starts_at, membership, status, created_at, minutes_document) "
                   "VALUES ('standing', '第十八届人大常委会第四次会议', ?, 15, 'closed', ?, ?)", (time.time(), time.time(), doc))
    assert archive.sweep_meetings(st) == 1  # filed whether or not the minutes' text is read yet
    wait_for_text(st, doc)
    res = archive.search(st, staff_p, "任免办法")
    assert [r["kind"] for r in res["results"]] == ["meeting"]
    assert res["results"][0]["retention_years"] is None  # 永久
    assert archive.sweep_meetings(st) == 0


def test_grams_and_query_parsing():
    assert archive.grams("预算调整") == "预算 算调 调整 整"
    assert archive.parse_query("  《预算》，人大办〔2026〕12号 ") == ["预算", "人大办", "2026", "12号"]
    assert archive.parse_query("%%%") == []
    assert archive.normalise("预 算\n调整") == "预算调整"


def test_excerpts_keep_full_width_punctuation_as_stored(demo_app):
    """Issue 14: excerpts were cut from the index's NFKC copy, so ，：（） came back as , : ( ).
    Tried: a two-character word, a full-width number typed half-width, a word split by the
    space PDF extraction leaves, a term only in the title (the excerpt is then the start), and a
    query of symbols only (a clear notice, nothing changed)."""
    office = staff(demo_app)
    entry = _file(office, "预算审议意见", "常委会认为：２０２６年预算（草案）编制较为规范，建议予以批准。")

    def hit(q):
        res = office.get("/api/v1/office/archive/search", query_string={"q": q}).get_json()
        return next(r for r in res["results"] if r["id"] == entry)

    text = hit("预算")["excerpt"]
    assert "常委会认为：" in text and "（草案）" in text and "，建议予以批准。" in text, text
    assert ":" not in text and "(" not in text and "," not in text, text
    assert "２０２６" in hit("2026")["excerpt"]  # found folded, shown as stored
    assert hit("审议意见")["excerpt"].startswith("常委会认为：")  # only in the title: the start of the text
    res = office.get("/api/v1/office/archive/search", query_string={"q": "，。："}).get_json()
    assert res["notice"] == "symbols_only" and res["results"] == []
    assert _ids(office, "批准") == [entry]  # still filed and found after the bad query


def test_excerpt_and_marks_are_cut_from_the_stored_text():
    stored = "预 算（草案）：ＡＢＣ公司，" + "甲" * 80 + "预算调整"
    assert archive.find_term(stored, "预算") == (0, 3)  # across the space pdftotext leaves
    assert archive.find_term(stored, "abc") == (8, 11)  # full-width letters fold to the typed term
    assert archive.find_term(stored, "乙") is None
    assert archive.excerpt(stored, "调整", before=4, width=8) == "甲甲预算调整"
    assert archive.excerpt(stored, "", width=7) == "预 算（草案）"
    assert archive.term_spans(stored, ["预算", "abc"]) == [(0, 3), (8, 11), (len(stored) - 4, len(stored) - 2)]
    ligature = "ﬁnance：预算"  # NFKC makes ﬁ two letters: positions still land in the stored text
    assert archive.find_term(ligature, "预算") == (7, 9)
    assert archive.excerpt(ligature, "finance") == ligature
