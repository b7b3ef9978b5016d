"""Drafts for comment: comments by paragraph in time order, deadline, dispositions, exports, reissue."""

import io
import threading
import time

import pytest

from appliance.documents import files
from tests.devices.helpers import admin_client
from tests.office.helpers import chinese_pdf, file_json, member, pid, staff, wait_for_text

TEXT = "第一条 为了规范常委会会议文件管理，制定本办法。\n第二条 会议文件实行无纸化分发。\n第三条 本办法自印发之日起施行。"


def _publish(app, office, seats=(1, 2, 3), deadline=None):
    from appliance import demo

    r = office.post("/api/v1/office/consultations", json={
        "title": "会议文件管理办法（征求意见稿）", "text": TEXT,
        "deadline": deadline or time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400)),
        "recipients": [pid(app, demo.MEMBERS[s - 1]) for s in seats]})
    assert r.status_code == 201, r.get_json()
    return r.get_json()["consultation"]["id"]


def test_comments_grouped_by_paragraph_in_time_order_and_exported(demo_app):
    from docx import Document

    office = staff(demo_app)
    cid = _publish(demo_app, office)
    admin = admin_client(demo_app)
    t1, t2, t3 = (member(demo_app, admin, s) for s in (1, 2, 3))
    assert t3.post(f"/api/v1/office/consultations/{cid}/comments", json={"paragraph": 3, "body": "建议明确施行日期。"}).status_code == 201
    assert t1.post(f"/api/v1/office/consultations/{cid}/comments",
                   json={"paragraph": 2, "kind": "replace", "body": "会议文件原则上实行无纸化分发。"}).status_code == 201
    assert t2.post(f"/api/v1/office/consultations/{cid}/comments", json={"paragraph": 2, "body": "涉密文件除外。"}).status_code == 201
    assert t2.post(f"/api/v1/office/consultations/{cid}/comments", json={"paragraph": None, "body": "总体赞成。"}).status_code == 201

    detail = office.get(f"/api/v1/office/consultations/{cid}").get_json()
    order = [(c["paragraph"], c["body"]) for c in detail["comments"]]
    assert order == [(None, "总体赞成。"), (2, "会议文件原则上实行无纸化分发。"), (2, "涉密文件除外。"), (3, "建议明确施行日期。")]
    assert detail["not_responded"] == []
    # A participant sees only their own comments.
    assert [c["body"] for c in t1.get(f"/api/v1/office/consultations/{cid}").get_json()["comments"]] == ["会议文件原则上实行无纸化分发。"]

    k = detail["comments"][1]["id"]
    r = office.post(f"/api/v1/office/consultations/comments/{k}/disposition", json={"disposition": "not_adopted"})
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "reason_required"
    r = office.post(f"/api/v1/office/consultations/comments/{k}/disposition",
                    json={"disposition": "partly", "reason": "保留“原则上”的表述"})
    assert r.status_code == 200
    assert t1.post(f"/api/v1/office/consultations/comments/{k}/disposition", json={"disposition": "adopted"}).status_code == 403

    r = office.get(f"/api/v1/office/consultations/{cid}/summary.docx")
    assert r.status_code == 200
    table = Document(io.BytesIO(r.data)).tables[0]
    rows = [[c.text for c in row.cells] for row in table.rows]
    assert rows[0][:5] == ["序号", "段落", "原文", "意见或修改建议", "提出人"]
    assert [r[1] for r in rows[1:]] == ["全文", "第 2 段", "第 2 段", "第 3 段"]
    assert rows[2][2] == "第二条 会议文件实行无纸化分发。" and rows[2][4] == "王建国"
    assert rows[2][6] == "部分采纳：保留“原则上”的表述"
    times = [r[5] for r in rows[2:4]]
    assert times == sorted(times)
    pdf = office.get(f"/api/v1/office/consultations/{cid}/summary.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    from appliance.documents.files import pdf_facts

    assert "涉密文件除外" in pdf_facts(pdf.data)[1]
    assert t1.get(f"/api/v1/office/consultations/{cid}/summary.docx").status_code == 403


def test_comment_after_deadline_is_refused(demo_app):
    from appliance.office import consultation

    office = staff(demo_app)
    cid = _publish(demo_app, office)
    admin = admin_client(demo_app)
    t1 = member(demo_app, admin, 1)
    st = demo_app.extensions["yishi"].store
    with st.write() as db:
        db.execute("UPDATE consultations SET deadline = ? WHERE id = ?", (time.time() - 1, cid))
    r = t1.post(f"/api/v1/office/consultations/{cid}/comments", json={"paragraph": 1, "body": "迟到的意见"})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "deadline_passed"
    assert "截止" in r.get_json()["error"]["message"]
    assert st.scalar("SELECT count(*) FROM consultation_comments") == 0
    assert consultation  # domain module imported for the schema above


def test_bad_comments(demo_app):
    office = staff(demo_app)
    cid = _publish(demo_app, office, seats=(1,))
    admin = admin_client(demo_app)
    t1, t5 = member(demo_app, admin, 1), member(demo_app, admin, 5)
    assert t5.post(f"/api/v1/office/consultations/{cid}/comments", json={"body": "我没被邀请"}).status_code == 403
    assert t1.post(f"/api/v1/office/consultations/{cid}/comments", json={"paragraph": 9, "body": "x"}).status_code == 400
    assert t1.post(f"/api/v1/office/consultations/{cid}/comments", json={"kind": "replace", "body": "x"}).status_code == 400
    assert t1.post(f"/api/v1/office/consultations/{cid}/comments", json={"body": "  "}).status_code == 400
    r = office.post("/api/v1/office/consultations", json={"title": "x", "text": "一", "deadline": "2001-01-01", "groups": ["members"]})
    assert r.get_json()["error"]["code"] == "deadline_in_past"


def test_no_comment_and_reissue_with_dispositions(demo_app):
    office = staff(demo_app)
    cid = _publish(demo_app, office, seats=(1, 2))
    admin = admin_client(demo_app)
    t1, t2 = member(demo_app, admin, 1), member(demo_app, admin, 2)
    assert office.get(f"/api/v1/office/consultations/{cid}").get_json()["not_responded"] == ["王建国", "李秀英"]
    assert t2.post(f"/api/v1/office/consultations/{cid}/no-comment").get_json()["participant"]["no_comment"] == 1
    kid = t1.post(f"/api/v1/office/consultations/{cid}/comments", json={"paragraph": 1, "body": "改为“制定本规定”"}).get_json()["comment"]
    deadline = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400 * 3))
    r = office.post(f"/api/v1/office/consultations/{cid}/reissue", json={"text": TEXT.replace("办法", "规定"), "deadline": deadline})
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "undecided_comments"
    office.post(f"/api/v1/office/consultations/comments/{kid}/disposition", json={"disposition": "adopted"})
    r = office.post(f"/api/v1/office/consultations/{cid}/reissue", json={"text": TEXT.replace("办法", "规定"), "deadline": deadline})
    assert r.status_code == 201
    new = r.get_json()
    assert new["consultation"]["version"] == 2 and new["consultation"]["previous_id"] == cid
    assert "规定" in new["paragraphs"][0]["text"]
    old = office.get(f"/api/v1/office/consultations/{cid}").get_json()["consultation"]
    assert old["status"] == "superseded" and old["summary_document_id"]
    page = office.get(f"/office/consultations/{new['consultation']['id']}").get_data(as_text=True)
    assert "第 1 稿意见的处理情况" in page and "采纳" in page
    assert office.get("/api/v1/office/archive/search?kind=consultation").get_json()["total"] == 1


@pytest.fixture
def held_text(monkeypatch):
    """pdftotext starts (`started` is set) and waits until the test sets `release`."""
    started, release, real = threading.Event(), threading.Event(), files.extract_text

    def held(data, limits=None):
        started.set()
        release.wait(60)
        return real(data, limits)

    monkeypatch.setattr(files, "extract_text", held)
    yield started, release
    release.set()


def _deadline(days=7):
    return time.strftime("%Y-%m-%d", time.localtime(time.time() + days * 86400))


def test_a_draft_from_a_pdf_is_published_with_its_paragraphs_once_its_text_is_read(demo_app, held_text):
    from appliance import demo

    started, release = held_text
    office = staff(demo_app)
    pdf = chinese_pdf("第一条 为了规范会议文件管理，制定本办法。", "第二条 会议文件实行无纸化分发。")
    answer = []
    publish = threading.Thread(target=lambda: answer.append(office.post("/api/v1/office/consultations", json={
        "title": "会议文件管理办法（征求意见稿）", "deadline": _deadline(), "file": file_json("草案.pdf", pdf),
        "recipients": [pid(demo_app, demo.MEMBERS[0])]})))
    publish.start()
    assert started.wait(60)
    publish.join(1)
    assert publish.is_alive() and not answer  # publishing waits for the text instead of refusing the PDF
    release.set()
    publish.join(60)
    r = answer[0]
    assert r.status_code == 201, r.get_json()
    assert [p["text"] for p in r.get_json()["paragraphs"]] == [
        "第一条 为了规范会议文件管理，制定本办法。", "第二条 会议文件实行无纸化分发。"]


def test_a_closed_drafts_summary_is_found_by_its_comments_once_its_text_is_read(demo_app, held_text):
    _, release = held_text
    office = staff(demo_app)
    cid = _publish(demo_app, office, seats=(1,))
    t1 = member(demo_app, admin_client(demo_app), 1)
    assert t1.post(f"/api/v1/office/consultations/{cid}/comments", json={"paragraph": 2, "body": "涉密文件另行印发"}).status_code == 201
    summary = office.post(f"/api/v1/office/consultations/{cid}/close").get_json()["summary_document_id"]

    def found(q):
        return office.get("/api/v1/office/archive/search", query_string={"q": q}).get_json()["total"]

    assert found("为了规范") == 1 and found("另行印发") == 0  # the paragraphs at once, the sheet's text not yet
    release.set()
    wait_for_text(demo_app.extensions["yishi"].store, summary)
    assert found("另行印发") == 1 and found("为了规范") == 1  # the paragraphs stay in the index
