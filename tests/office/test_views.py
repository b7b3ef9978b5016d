"""The office's "new …" pages: a mistake keeps what was typed and says what is wrong; success
goes to the new item's page."""

import io
import time

from tests.office.helpers import chinese_pdf, pid, staff


def _pdf():
    return (io.BytesIO(chinese_pdf("正文")), "a.pdf")


def test_new_pages_keep_the_form_on_a_mistake_and_go_on_after_success(demo_app):
    office = staff(demo_app)
    me = str(pid(demo_app, "王建国"))
    steps = {f"step_{k}": str(pid(demo_app, n)) for k, n in (("draft", "罗佳"), ("sign", "高远"), ("issue", "罗佳"))}
    deadline = time.strftime("%Y-%m-%d", time.localtime(time.time() + 86400))
    cases = [
        ("/office/circulations/new", {"title": "传阅件", "note": "请阅"}, {"file": _pdf}, "/office/circulations/"),
        ("/office/consultations/new", {"title": "征求意见稿", "deadline": deadline}, {"text": lambda: "第一条"},
         "/office/consultations/"),
        ("/office/outgoing/new", {"title": "发文稿", "kind": "ban", **steps}, {"file": _pdf}, "/office/outgoing/"),
    ]
    for path, fields, completes, goes_to in cases:
        r = office.post(path, data={**fields, "recipients": me, "distribution": me}, content_type="multipart/form-data")
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and 'id="form-error"' in page, path
        assert f'value="{fields["title"]}"' in page and 'value="%s" checked' % me in page, path
        r = office.post(path, data={**fields, "recipients": me, "distribution": me, **{k: f() for k, f in completes.items()}},
                        content_type="multipart/form-data")
        assert r.status_code == 302 and goes_to in r.headers["Location"], (path, r.status_code)
