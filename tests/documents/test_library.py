"""Uploading documents as the staff do (a meeting material, through the API): what is stored and
served has no active content, a bomb is turned away at once, the text follows the upload."""

import hashlib
import io
import json
import threading
import time

import pytest

from appliance.documents import files, library, text_jobs
from tests.documents import pdfs
from tests.meetings.helpers import make_pdf, new_meeting, secretary


@pytest.fixture
def desk(demo_app):
    sec = secretary(demo_app)
    mid, _ = new_meeting(demo_app, sec)
    return demo_app, sec, mid


def upload(sec, mid, data, name="材料.pdf", title="材料"):
    return sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": title, "file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")


def document_of(app, response):
    assert response.status_code == 200, response.get_json()
    st = app.extensions["yishi"].store
    return st.scalar("SELECT document_id FROM materials WHERE id = ?", (response.get_json()["id"],))


@pytest.mark.parametrize("make", pdfs.ACTIVE, ids=lambda f: f.__name__)
def test_active_content_is_taken_out_of_what_is_stored_and_served(desk, make):
    app, sec, mid = desk
    data = make()
    assert pdfs.active_content(data)  # the sample really is active
    doc = document_of(app, upload(sec, mid, data))
    served = sec.get(f"/documents/{doc}/content")
    assert served.status_code == 200 and served.data.startswith(b"%PDF-")
    assert pdfs.active_content(served.data) == []
    st = app.extensions["yishi"].store
    stored = b"".join(library.stream(st, st.scalar("SELECT current_version FROM documents WHERE id = ?", (doc,))))
    assert stored == served.data
    # The document itself is still there: its pages, and its text for search.
    assert sec.get(f"/api/v1/documents/{doc}").get_json()["pages"] == (2 if make is pdfs.additional_actions else 1)
    assert "预算调整方案" in library.text(st, doc, wait=30)
    # The staff can see in the audit log what was taken out, and find the file they uploaded.
    note = json.loads(st.scalar("SELECT detail FROM audit WHERE action = 'document.neutralise'"))
    assert note["document"] == doc and note["removed"]
    created = json.loads(st.scalar("SELECT detail FROM audit WHERE action = 'document.create' ORDER BY seq DESC LIMIT 1"))
    assert created["uploaded_sha256"] == hashlib.sha256(data).hexdigest()
    assert created["sha256"] == hashlib.sha256(served.data).hexdigest()


def test_an_ordinary_link_survives_and_a_replacement_is_cleaned_too(desk):
    app, sec, mid = desk
    r = upload(sec, mid, make_pdf("草案第一稿"))
    doc = document_of(app, r)
    r = sec.post(f"/api/v1/materials/{r.get_json()['id']}/replace",
                 data={"file": (io.BytesIO(pdfs.javascript_link()), "v2.pdf")}, content_type="multipart/form-data")
    assert r.get_json()["version"] == 2
    served = sec.get(f"/documents/{doc}/content").data
    assert pdfs.active_content(served) == [] and pdfs.uris(served) == ["https://www.npc.gov.cn/"]


def test_a_well_formed_pdf_with_nothing_active_is_stored_byte_for_byte(desk):
    app, sec, mid = desk
    data = make_pdf("人事任免办法（草案）")
    doc = document_of(app, upload(sec, mid, data))
    assert sec.get(f"/documents/{doc}/content").data == data  # its checksum (and any signature) holds
    st = app.extensions["yishi"].store
    created = json.loads(st.scalar("SELECT detail FROM audit WHERE action = 'document.create' ORDER BY seq DESC LIMIT 1"))
    assert created["sha256"] == hashlib.sha256(data).hexdigest() and "uploaded_sha256" not in created
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'document.neutralise'") == 0


def test_a_damaged_pdf_is_served_as_qpdf_repaired_it(desk):
    import re

    import pikepdf

    app, sec, mid = desk
    good = make_pdf("人事任免办法（草案）")
    damaged = re.sub(rb"startxref\s+\d+", b"startxref\n9", good)  # readers each guess the layout their own way
    doc = document_of(app, upload(sec, mid, damaged))
    served = sec.get(f"/documents/{doc}/content").data
    assert served != damaged
    with pikepdf.open(io.BytesIO(served)) as pdf:
        assert len(pdf.pages) == 1 and pdf.get_warnings() == []
    assert "人事任免办法" in library.text(app.extensions["yishi"].store, doc, wait=30)


def test_a_decompression_bomb_is_refused_while_the_request_is_still_quick(desk):
    app, sec, mid = desk
    st = app.extensions["yishi"].store
    before = st.scalar("SELECT count(*) FROM document_versions")
    for data in (pdfs.bomb(), pdfs.bomb(as_image=True)):
        assert len(data) < 1024 * 1024
        t0 = time.monotonic()
        r = upload(sec, mid, data)
        took = time.monotonic() - t0
        assert r.status_code == 413 and r.get_json()["error"]["code"] == "pdf_bomb", r.get_json()
        assert "重新导出" in r.get_json()["error"]["message"]  # what to do, in the staff's language
        assert took < 10, f"the upload took {took:.1f} s"  # it took 15-30 s in pdfinfo/pdftotext
    assert st.scalar("SELECT count(*) FROM document_versions") == before  # nothing stored


def test_the_upload_answers_before_the_text_is_read_and_the_text_follows(desk, monkeypatch):
    app, sec, mid = desk
    st = app.extensions["yishi"].store
    # pdftotext is held until the upload has answered: the answer cannot have waited for it.
    release, real = threading.Event(), files.extract_text

    def held(data, limits=None):
        release.wait(60)
        return real(data, limits)

    monkeypatch.setattr(files, "extract_text", held)
    monkeypatch.setattr(library, "TEXT_GRACE", 0.2)
    doc = document_of(app, upload(sec, mid, make_pdf("关于预算调整方案的报告")))
    version = st.scalar("SELECT current_version FROM documents WHERE id = ?", (doc,))
    assert st.scalar("SELECT text FROM document_versions WHERE id = ?", (version,)) == ""
    assert library.text_state(st, doc) == "pending"
    assert sec.get(f"/documents/{doc}/content").status_code == 200  # readable meanwhile
    release.set()
    assert text_jobs.wait(st, version, 30)
    assert "预算调整方案" in st.scalar("SELECT text FROM document_versions WHERE id = ?", (version,))
    assert library.text_state(st, doc) == "ready"


def test_images_are_stored_as_uploaded(desk):
    app, sec, mid = desk
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buf, "PNG")
    png = buf.getvalue()
    doc = document_of(app, upload(sec, mid, png, name="照片.png", title="现场照片"))
    served = sec.get(f"/documents/{doc}/content")
    assert served.data == png and served.mimetype == "image/png"
    st = app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM document_text_jobs") == 0
    assert library.text_state(st, doc) == "ready"
    created = json.loads(st.scalar("SELECT detail FROM audit WHERE action = 'document.create' ORDER BY seq DESC LIMIT 1"))
    assert created["sha256"] == hashlib.sha256(png).hexdigest() and "uploaded_sha256" not in created


def test_a_pdf_that_needs_a_password_is_refused_with_what_to_do(desk):
    app, sec, mid = desk
    r = upload(sec, mid, pdfs.encrypted())
    assert r.status_code == 415 and r.get_json()["error"]["code"] == "encrypted_pdf"
    assert "密码" in r.get_json()["error"]["message"]
    # Protected only against printing or copying (no password to open): accepted.
    doc = document_of(app, upload(sec, mid, pdfs.encrypted(user="")))
    assert "预算调整方案" in library.text(app.extensions["yishi"].store, doc, wait=30)
