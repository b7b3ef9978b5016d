"""Codes and delivered labels in the reader's language (issue 14): the kinds of outgoing
document (常委会发文, 办公室发文) and the archive's categories that the appliance files under by
itself (`standing` for a standing-committee meeting, `ban` for an office document) read as words
in English and in Chinese; a kind or category the office typed stays as typed. Tried: a kind
code the office added with its own Chinese label, a category typed by hand (收文), a `lang`
cookie naming a language we do not have."""

import io

from appliance.office import archive
from tests.office.helpers import chinese_pdf, pid, staff


def _page(client, path, lang):
    client.set_cookie("lang", lang)
    r = client.get(path)
    assert r.status_code == 200, path
    return r.get_data(as_text=True)


def test_outgoing_kinds_and_archive_categories_in_both_languages(demo_app):
    office = staff(demo_app)
    st = demo_app.extensions["yishi"].store
    # an office-typed kind (its label stays as typed in English too) and a delivered one
    r = office.post("/office/numbering", data={"kind": "han", "label": "函件", "pattern": "大安人大函〔{year}〕{n}号"})
    assert r.status_code in (200, 302, 303), r.status_code
    en = _page(office, "/office/numbering", "en")
    assert "Standing committee document" in en and "Office document" in en and "函件" in en
    assert "常委会发文" not in en and "办公室发文" not in en
    zh = _page(office, "/office/numbering", "zh_CN")
    assert "常委会发文" in zh and "Standing committee document" not in zh
    assert "办公室发文" in _page(office, "/office/numbering", "xx")  # no such language: Chinese

    me = str(pid(demo_app, "王建国"))
    steps = {f"step_{k}": str(pid(demo_app, n)) for k, n in (("draft", "罗佳"), ("sign", "高远"), ("issue", "罗佳"))}
    r = office.post("/office/outgoing/new", data={"title": "发文稿", "kind": "ban", **steps, "recipients": me, "distribution": me,
                                                  "file": (io.BytesIO(chinese_pdf("正文")), "a.pdf")}, content_type="multipart/form-data")
    assert r.status_code in (302, 303), r.status_code
    en = _page(office, "/office/outgoing", "en")
    assert "Office document" in en and "办公室发文" not in en
    assert "办公室发文" in _page(office, "/office/outgoing", "zh_CN")

    # the archive: a meeting is filed under its kind `standing`, a typed category as typed
    r = office.post("/office/archive/file", data={"title": "来文一件", "category": "收文", "file": (io.BytesIO(chinese_pdf("正文")), "a.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code in (200, 302, 303), r.status_code
    meeting = st.scalar("SELECT id FROM meetings ORDER BY id LIMIT 1")
    doc = st.scalar("SELECT document_id FROM archive_entries ORDER BY id DESC LIMIT 1")  # the one just filed: staff may read it
    with st.write() as db:  # as archive.sweep_meetings files a closed meeting's minutes
        archive.file(db, "system", "meeting", meeting, doc, "区第十八届人大常委会第四次会议", category="standing")
    en = _page(office, "/office/archive?year=&category=standing", "en")
    assert "Standing committee meeting" in en and "收文" in en  # the category filter's list names both
    assert ">standing<" not in en and " · standing " not in en
    zh = _page(office, "/office/archive?category=standing", "zh_CN")
    assert "常委会会议" in zh and ">standing<" not in zh


def test_a_label_and_its_value_take_the_colon_of_the_language(demo_app):
    """反馈情况：1 / 2 in Chinese, "Responses: 1 / 2" in English (issue 14: 反馈情况: with a
    half-width colon in Chinese text)."""
    import time

    office = staff(demo_app)
    deadline = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    r = office.post("/api/v1/office/consultations", json={"title": "征求意见稿", "deadline": deadline, "text": "第一条",
                                                          "recipients": [pid(demo_app, "王建国")]})
    assert r.status_code == 201, r.get_json()
    path = f"/office/consultations/{r.get_json()['consultation']['id']}"
    zh = _page(office, path, "zh_CN")
    assert "反馈情况：0 / 1" in zh and "反馈情况:" not in zh
    assert "Responses: 0 / 1" in _page(office, path, "en")
