"""Annotations (批注) through the real API: what a member writes, who sees it, every refusal (with
nothing stored), what happens to them when staff replace the document and when the meeting's
materials are recalled, and the member's annotated copy as the only export that carries them."""

import io
import json
import subprocess

import pytest

from appliance.demo import ATTENDEES, MEMBERS, member_pin
from appliance.documents import annotation_shapes as shapes
from appliance.documents import annotations, library
from tests.conftest import need
from tests.devices.helpers import person_id
from tests.meetings.helpers import make_pdf, member_tablets, new_meeting, secretary

A, B, C = "李秀英", "张伟", "刘芳"  # three members; 王建国 (seat 1) chairs


@pytest.fixture
def room(demo_app):
    sec = secretary(demo_app)
    mid, items = new_meeting(demo_app, sec)
    names = [(n, member_pin(MEMBERS.index(n) + 1)) for n in (A, B, C)]
    tablets = member_tablets(demo_app, names)
    doc, material = add_material(sec, mid, "预算草案", pages=3, keep=False)
    return demo_app, sec, mid, tablets, doc, material


def add_material(sec, mid, title, pages=3, keep=False, publish=True, item=None):
    data = {"title": title, "file": (io.BytesIO(make_pdf(title, pages)), "m.pdf")}
    if publish:
        data["publish"] = "1"
    if keep:
        data["keep"] = "1"
    if item:
        data["item"] = str(item)
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data=data, content_type="multipart/form-data")
    assert r.status_code == 200, r.get_json()
    material = r.get_json()["id"]
    doc = sec.get(f"/api/v1/meetings/{mid}").get_json()["materials"]
    return next(m["document"] for m in doc if m["id"] == material), material


def stroke(page=1, **kw):
    return {"page": page, "kind": "pen", "points": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.9], [0.6, 0.55]], **kw}


def note(page=1, text="这一段的数字与附表不符", **kw):
    return {"page": page, "kind": "note", "at": [0.25, 0.4], "text": text, **kw}


def count(app, **where):
    sql = "SELECT count(*) FROM annotations" + (" WHERE " + " AND ".join(f"{k} = ?" for k in where) if where else "")
    return app.extensions["yishi"].store.scalar(sql, tuple(where.values()))


def listed(client, doc):
    r = client.get(f"/api/v1/documents/{doc}/annotations")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_write_list_change_and_erase(room):
    app, sec, mid, t, doc, _m = room
    got = listed(t[A], doc)
    assert (got["version"], got["pages"], got["annotations"], got["shareable"]) == (1, 3, [], True)
    assert got["labels"]["pen"] == "钢笔" and got["labels"]["written_on"] == "写于第 %(v)d 版"  # the reader's language
    r = t[A].post(f"/api/v1/documents/{doc}/annotations", json=stroke(2, colour="red", version=1))
    assert r.status_code == 200, r.get_json()
    s = r.get_json()
    assert (s["page"], s["kind"], s["colour"], s["shared"], s["mine"], s["written_on"]) == (2, "pen", "red", False, True, 1)
    assert s["points"] == [[0.1, 0.2, 0.3], [0.4, 0.5, 0.9], [0.6, 0.55, shapes.DEFAULT_PRESSURE]]  # no pressure: the default
    h = t[A].post(f"/api/v1/documents/{doc}/annotations", json={**stroke(1), "kind": "highlighter"}).get_json()
    assert (h["colour"], h["width"]) == ("yellow", shapes.DEFAULT_WIDTH["highlighter"])
    n = t[A].post(f"/api/v1/documents/{doc}/annotations", json=note(3, text="  第三页：请核对  ")).get_json()
    assert n["text"] == "第三页：请核对" and n["at"] == [0.25, 0.4]
    assert [a["id"] for a in listed(t[A], doc)["annotations"]] == [h["id"], s["id"], n["id"]]  # by page
    r = t[A].patch(f"/api/v1/annotations/{n['id']}", json={"text": "改过的便签", "at": [0.5, 0.5], "colour": "pink"})
    assert r.status_code == 200 and (r.get_json()["text"], r.get_json()["at"], r.get_json()["colour"]) == ("改过的便签", [0.5, 0.5], "pink")
    assert t[A].delete(f"/api/v1/annotations/{s['id']}").get_json() == {"deleted": s["id"]}
    assert [a["id"] for a in listed(t[A], doc)["annotations"]] == [h["id"], n["id"]]
    assert t[A].get(f"/api/v1/annotations/{s['id']}").status_code == 404
    # Private: the other members see none of it, and the store has it under A only.
    assert listed(t[B], doc)["annotations"] == []
    assert count(app, person_id=person_id(app, A)) == 2 and count(app) == 2


def test_bad_input_is_refused_in_the_readers_language_and_nothing_is_stored(room):
    app, sec, mid, t, doc, _m = room
    url = f"/api/v1/documents/{doc}/annotations"
    keep = t[A].post(url, json=note(1)).get_json()

    def refused(body, status, code, field=None, raw=False):
        if raw:
            r = t[A].post(url, data=body, content_type="application/json")
        else:
            r = t[A].post(url, json=body)
        assert r.status_code == status, (body if not raw else body[:80], r.get_json())
        err = r.get_json()["error"]
        assert err["code"] == code, (body if not raw else body[:80], err)
        if field:
            assert err["field"] == field
        assert count(app) == 1, body if not raw else body[:80]
        return err["message"]

    # a page that does not exist (the document has 3)
    assert refused(stroke(4), 400, "no_page", "page") == "这份文件共 3 页，没有第 4 页。"
    refused(stroke(0), 400, "no_page", "page")
    refused(stroke(-1), 400, "no_page", "page")
    refused({**stroke(), "page": "1"}, 400, "bad_field", "page")
    refused({**stroke(), "page": 2**70}, 400, "bad_field", "page")
    # oversized
    msg = refused({**stroke(), "points": [[0.5, 0.5]] * (shapes.MAX_POINTS + 1)}, 400, "too_many_points", "points")
    assert str(shapes.MAX_POINTS) in msg and "抬笔" in msg
    assert "1000" in refused(note(text="字" * (shapes.MAX_NOTE + 1)), 400, "note_too_long", "text")
    refused(note(text="字" * 20000), 400, "bad_field", "text")  # past the schema's bound for any string
    # malformed geometry: NaN and infinities (Python's json reads them), off the page, wrong types
    assert "第 2 个点" in refused('{"page": 1, "kind": "pen", "points": [[0.1, 0.1], [NaN, 0.2]]}', 400, "bad_point", "points", raw=True)
    refused('{"page": 1, "kind": "pen", "points": [[0.1, Infinity]]}', 400, "bad_point", "points", raw=True)
    refused('{"page": 1, "kind": "pen", "points": [[0.1, 1e999]]}', 400, "bad_point", "points", raw=True)
    refused('{"page": 1, "kind": "pen", "points": [[0.1, 0.1]], "width": NaN}', 400, "bad_width", "width", raw=True)
    refused('{"page": 1, "kind": "note", "at": [NaN, 0.5], "text": "x"}', 400, "bad_anchor", "at", raw=True)
    assert "页面之外" in refused({**stroke(), "points": [[0.1, 0.1], [1.2, 0.5]]}, 400, "off_page", "points")
    refused({**stroke(), "points": [[-0.01, 0.5]]}, 400, "off_page", "points")
    refused({**stroke(), "points": [[0.1, 0.1, 1.5]]}, 400, "bad_pressure", "points")
    refused({**stroke(), "points": [["0.1", 0.1]]}, 400, "bad_point", "points")
    refused({**stroke(), "points": [[True, 0.1]]}, 400, "bad_point", "points")
    refused({**stroke(), "points": [[0.1]]}, 400, "bad_point", "points")
    refused({**stroke(), "points": [[0.1, 0.2, 0.3, 0.4]]}, 400, "bad_point", "points")
    refused({**stroke(), "points": [{"x": 0.1, "y": 0.2}]}, 400, "bad_point", "points")
    refused({**stroke(), "points": []}, 400, "no_points", "points")
    refused({**stroke(), "points": "0.1,0.2"}, 400, "bad_field", "points")
    refused({"page": 1, "kind": "pen"}, 400, "bad_points", "points")
    refused({**stroke(), "width": 0.5}, 400, "bad_width", "width")
    refused({**stroke(), "colour": "#ff0000"}, 400, "bad_field", "colour")
    refused({**stroke(), "kind": "laser"}, 400, "bad_field", "kind")
    refused({**stroke(), "text": "笔画上的字"}, 400, "stroke_text", "text")
    refused(note(text="   "), 400, "note_empty", "text")
    refused({"page": 1, "kind": "note", "at": [0.5, 0.5]}, 400, "note_empty", "text")
    refused({**note(), "at": [0.5]}, 400, "bad_anchor", "at")
    refused({**note(), "at": "0.5,0.5"}, 400, "bad_field", "at")
    refused({**note(), "points": [[0.1, 0.1]]}, 400, "note_points", "points")
    refused("[1, 2]", 400, "bad_json", raw=True)
    refused("{not json", 400, "bad_json", raw=True)
    # a version the document never had (one replaced meanwhile: test_replaced_carried_and_marked_recalled_gone)
    refused(stroke(version=7), 400, "no_version", "version")
    # changes: the same checks, and the note unchanged
    aid = keep["id"]
    for body, code in (({"text": ""}, "note_empty"), ({"at": [2, 0]}, "bad_anchor"), ({"colour": "gold"}, "bad_field"),
                       ({"text": "字" * (shapes.MAX_NOTE + 1)}, "note_too_long")):
        r = t[A].patch(f"/api/v1/annotations/{aid}", json=body)
        assert r.status_code == 400 and r.get_json()["error"]["code"] == code, (body, r.get_json())
    assert t[A].get(f"/api/v1/annotations/{aid}").get_json()["text"] == keep["text"]
    s = t[A].post(url, json=stroke()).get_json()
    for body, code in (({"text": "x"}, "stroke_text"), ({"at": [0.5, 0.5]}, "stroke_move")):
        assert t[A].patch(f"/api/v1/annotations/{s['id']}", json=body).get_json()["error"]["code"] == code
    # English for a reader who chose it
    t[A].set_cookie("lang", "en")
    r = t[A].post(url, json=stroke(9))
    assert r.get_json()["error"]["message"] == "This document has 3 pages; there is no page 9."
    assert count(app) == 2


def test_too_many_annotations_on_one_document(room, monkeypatch):
    app, sec, mid, t, doc, _m = room
    monkeypatch.setattr(annotations, "MAX_PER_DOCUMENT", 3)
    for _ in range(3):
        assert t[A].post(f"/api/v1/documents/{doc}/annotations", json=stroke()).status_code == 200
    r = t[A].post(f"/api/v1/documents/{doc}/annotations", json=stroke())
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "too_many_annotations"
    assert count(app) == 3
    assert t[B].post(f"/api/v1/documents/{doc}/annotations", json=stroke()).status_code == 200  # per member


def test_someone_elses_annotation_does_not_exist_for_them(room):
    app, sec, mid, t, doc, _m = room
    private = t[A].post(f"/api/v1/documents/{doc}/annotations", json=note(text="只给自己看")).get_json()
    shared = t[A].post(f"/api/v1/documents/{doc}/annotations", json=note(text="请大家注意第二段", shared=True)).get_json()
    nobody = private["id"] + shared["id"] + 1000
    for client in (t[B], sec):  # another member, and staff: a private note is as absent as one never written
        for method in ("get", "patch", "delete"):
            kw = {"json": {"text": "改掉"}} if method == "patch" else {}
            r = getattr(client, method)(f"/api/v1/annotations/{private['id']}", **kw)
            r0 = getattr(client, method)(f"/api/v1/annotations/{nobody}", **kw)
            assert r.status_code == r0.status_code == 404, (method, r.get_json())
            assert r.get_json() == r0.get_json()
    # a shared note is seen by the others of the meeting, but only its author changes it
    assert t[B].get(f"/api/v1/annotations/{shared['id']}").get_json()["author"] == A
    r = t[B].patch(f"/api/v1/annotations/{shared['id']}", json={"text": "改掉"})
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "not_yours"
    assert t[B].delete(f"/api/v1/annotations/{shared['id']}").status_code == 403
    assert t[A].get(f"/api/v1/annotations/{private['id']}").get_json()["text"] == "只给自己看"
    assert count(app) == 2


def test_a_document_the_member_may_not_read(room):
    app, sec, mid, t, doc, _m = room
    st = app.extensions["yishi"].store
    unpublished, _ = add_material(sec, mid, "未发送的材料", publish=False)
    r = t[A].post(f"/api/v1/documents/{unpublished}/annotations", json=stroke())
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "no_access"
    assert t[A].get(f"/api/v1/documents/{unpublished}/annotations").status_code == 403
    assert t[A].get(f"/api/v1/documents/{unpublished}/annotated.pdf").status_code == 403
    assert t[A].get(f"/api/v1/documents/{doc + 1000}/annotations").status_code == 404
    # a confidential item's material does not exist for a non-voting attendee
    item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "人事任免", "kind": "appointment", "confidential": True}).get_json()["id"]
    from appliance.meetings import core

    secret, _ = add_material(sec, mid, "任免材料", item=item)
    attendee = member_tablets(app, [(ATTENDEES[0], "222201")])[ATTENDEES[0]]
    assert core.participant(st, mid, person_id(app, ATTENDEES[0]))["capacity"] == "attendee"
    r = attendee.post(f"/api/v1/documents/{secret}/annotations", json=stroke())
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "no_document"
    assert attendee.post(f"/api/v1/documents/{doc}/annotations", json=stroke()).status_code == 200  # the open one: yes
    assert count(app, document_id=secret) == 0 and count(app, document_id=unpublished) == 0


def test_sharing_is_a_choice_per_note_within_the_meeting(room):
    app, sec, mid, t, doc, _m = room
    st = app.extensions["yishi"].store
    private = t[A].post(f"/api/v1/documents/{doc}/annotations", json=note(text="私人便签")).get_json()
    assert listed(t[B], doc)["annotations"] == []
    r = t[A].patch(f"/api/v1/annotations/{private['id']}", json={"shared": True})
    assert r.get_json()["shared"] is True
    seen = listed(t[B], doc)["annotations"]
    assert [(a["text"], a["author"], a["mine"]) for a in seen] == [("私人便签", A, False)]
    assert "author" not in listed(t[A], doc)["annotations"][0]
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'annotation.share'") == 1
    assert "私人便签" not in json.dumps([r[0] for r in st.all("SELECT detail FROM audit")], ensure_ascii=False)  # no text in the log
    t[A].patch(f"/api/v1/annotations/{private['id']}", json={"shared": False})
    assert listed(t[B], doc)["annotations"] == []
    # a document that is no meeting's material: nobody to share with, refused, nothing stored
    staff_id = person_id(app, "罗佳")
    loose = library.create(st, staff_id, "传阅件", "c.pdf", make_pdf("传阅件", 1))
    with st.write() as db:
        library.grant(db, loose, [person_id(app, A)])
    assert listed(t[A], f"{loose}")["shareable"] is False
    r = t[A].post(f"/api/v1/documents/{loose}/annotations", json=note(shared=True))
    assert r.status_code == 409 and r.get_json()["error"]["code"] == "not_shareable"
    assert count(app, document_id=loose) == 0
    own = t[A].post(f"/api/v1/documents/{loose}/annotations", json=note()).get_json()
    assert t[A].patch(f"/api/v1/annotations/{own['id']}", json={"shared": True}).get_json()["error"]["code"] == "not_shareable"
    assert st.scalar("SELECT shared FROM annotations WHERE id = ?", (own["id"],)) == 0


def test_replaced_carried_and_marked_recalled_gone(room):
    app, sec, mid, t, doc, material = room
    st = app.extensions["yishi"].store
    kept_doc, _ = add_material(sec, mid, "保留的材料", pages=2, keep=True)
    p1 = t[A].post(f"/api/v1/documents/{doc}/annotations", json=stroke(1)).get_json()
    p3 = t[A].post(f"/api/v1/documents/{doc}/annotations", json=note(3, text="第三页的便签")).get_json()
    shared = t[A].post(f"/api/v1/documents/{doc}/annotations", json=note(2, text="共享的便签", shared=True)).get_json()
    theirs = t[B].post(f"/api/v1/documents/{doc}/annotations", json=stroke(2)).get_json()
    kept = t[A].post(f"/api/v1/documents/{kept_doc}/annotations", json=note(1, text="保留材料上的便签")).get_json()
    # Replaced by a shorter version: every annotation comes along, the one past the end on the last page.
    r = sec.post(f"/api/v1/materials/{material}/replace", data={"file": (io.BytesIO(make_pdf("预算草案修正稿", 2)), "v2.pdf")},
                 content_type="multipart/form-data")
    assert r.get_json()["version"] == 2
    got = listed(t[A], doc)
    assert got["version"] == 2 and got["pages"] == 2
    by_id = {a["id"]: a for a in got["annotations"]}
    assert set(by_id) == {p1["id"], p3["id"], shared["id"]}
    assert {a["written_on"] for a in by_id.values()} == {1}
    assert (by_id[p1["id"]]["page"], by_id[p3["id"]]["page"]) == (1, 2)
    assert by_id[p1["id"]]["points"] == p1["points"]
    assert [a["id"] for a in listed(t[B], doc)["annotations"]] == [shared["id"], theirs["id"]]
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'annotation.carry'") == 1
    # written now: on version 2; a page of version 1 that version 2 lacks is refused
    assert t[A].post(f"/api/v1/documents/{doc}/annotations", json=stroke(2)).get_json()["written_on"] == 2
    assert t[A].post(f"/api/v1/documents/{doc}/annotations", json=stroke(3)).get_json()["error"]["code"] == "no_page"
    assert t[A].post(f"/api/v1/documents/{doc}/annotations", json=stroke(1, version=1)).get_json()["error"]["code"] == "replaced"
    # Recalled at the close: gone from the store; the material kept readable keeps its notes.
    sec.post(f"/api/v1/meetings/{mid}/signin/open")
    assert sec.post(f"/api/v1/meetings/{mid}/close").get_json()["recalled"] == [doc]
    assert count(app, document_id=doc) == 0
    assert t[A].get(f"/api/v1/annotations/{p1['id']}").status_code == 404
    assert t[A].get(f"/api/v1/documents/{doc}/annotations").status_code == 403
    assert [a["id"] for a in listed(t[A], kept_doc)["annotations"]] == [kept["id"]]
    assert st.scalar("SELECT detail FROM audit WHERE action = 'annotation.recall'") == json.dumps({"count": 5, "documents": [doc]})
    raw = st.scalar("SELECT count(*) FROM annotations WHERE note LIKE '%第三页%'")
    assert raw == 0


def _pdftotext(data, tmp_path, name="copy.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run([need("pdftotext"), str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_annotated_copy_has_my_notes_and_my_watermark_and_nothing_else_does(room, tmp_path):
    app, sec, mid, t, doc, _m = room
    st = app.extensions["yishi"].store
    t[A].post(f"/api/v1/documents/{doc}/annotations", json=stroke(1, colour="blue"))
    t[A].post(f"/api/v1/documents/{doc}/annotations", json=note(2, text="甲的私人便签：数字待核"))
    t[B].post(f"/api/v1/documents/{doc}/annotations", json=note(2, text="乙共享的便签", shared=True))
    r = t[A].get(f"/api/v1/documents/{doc}/annotated.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf" and r.headers["Cache-Control"] == "no-store"
    assert "attachment" in r.headers["Content-Disposition"]
    text = _pdftotext(r.data, tmp_path)
    assert "甲的私人便签：数字待核" in text
    assert A in text  # the watermark: the member's own name
    assert "乙共享的便签" not in text and B not in text  # only the member's own annotations
    assert "预算草案 第3页" in text  # the document itself, every page
    assert subprocess.run(["pdfinfo", str(tmp_path / "copy.pdf")], capture_output=True, text=True).stdout.count("Pages:") == 1
    assert "Pages:           4" in subprocess.run(["pdfinfo", str(tmp_path / "copy.pdf")], capture_output=True, text=True).stdout
    entry = st.one("SELECT actor, detail FROM audit WHERE action = 'annotation.export'")
    assert entry["actor"] == str(person_id(app, A)) and json.loads(entry["detail"]) == {"annotations": 2, "document": doc, "version": 1}
    # The document itself, its other views and the meeting's other exports carry none of it.
    for url in (f"/documents/{doc}/content", f"/documents/{doc}/content?download=1", f"/api/v1/documents/{doc}/content"):
        body = t[A].get(url).data
        assert body.startswith(b"%PDF") and "甲的私人便签" not in _pdftotext(body, tmp_path, "plain.pdf")
    sec.post(f"/api/v1/meetings/{mid}/signin/open")
    minutes = sec.post(f"/api/v1/meetings/{mid}/close").get_json()["minutes_document"]
    minutes_text = _pdftotext(sec.get(f"/documents/{minutes}/content").data, tmp_path, "minutes.pdf")
    assert "甲的私人便签" not in minutes_text and "乙共享的便签" not in minutes_text


def test_annotated_copy_refusals(room):
    app, sec, mid, t, doc, _m = room
    st = app.extensions["yishi"].store
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "密件", "classified": "1", "publish": "1",
                                                            "file": (io.BytesIO(make_pdf("机密", 1)), "s.pdf")}, content_type="multipart/form-data")
    secret = next(m["document"] for m in t[A].get(f"/api/v1/meetings/{mid}").get_json()["materials"] if m["classified"])
    assert r.status_code == 200
    assert t[A].post(f"/api/v1/documents/{secret}/annotations", json=stroke()).status_code == 200  # may annotate it
    r = t[A].get(f"/api/v1/documents/{secret}/annotated.pdf")
    assert r.status_code == 403 and r.get_json()["error"]["code"] == "classified"
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'annotation.export'") == 0
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'annotation.create'") == 1  # a classified document's writes are audited
    # with no annotations, the copy is the document with the watermark
    r = t[C].get(f"/api/v1/documents/{doc}/annotated.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF")


def _near(rgb, target, tolerance=8):
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, target))


def test_rotated_and_cropped_pages_put_the_ink_where_the_reader_showed_it():
    """A note at the top left of the page as the reader shows it (crop box, /Rotate applied, as
    pdf.js does) lands at the top left of the page as a viewer shows the copy: found by its
    fill colour in pdftoppm's rendering."""
    import pikepdf
    from PIL import Image

    from appliance.documents import annotated_pdf

    for rotate in (0, 90, 180, 270):
        pdf = pikepdf.open(io.BytesIO(make_pdf("旋转页", 1)))
        pdf.pages[0].obj["/Rotate"] = rotate
        pdf.pages[0].obj["/CropBox"] = [20, 30, 580, 800]
        buf = io.BytesIO()
        pdf.save(buf)
        row = {"id": 1, "page": 1, "kind": "note", "colour": "yellow", "written_on": 1,
               "geometry": json.dumps({"at": [0.05, 0.05]}), "note": "左上角"}
        out = annotated_pdf.render(buf.getvalue(), "application/pdf", [row], "测试者 2026-12-02 09:00", "旋转", 1)
        png = subprocess.run([need("pdftoppm"), "-r", "20", "-f", "1", "-l", "1", "-png", "-"], input=out, capture_output=True,
                             check=True).stdout
        img = Image.open(io.BytesIO(png)).convert("RGB")
        w, h = img.size
        assert (w > h) == (rotate in (90, 270)), (rotate, img.size)
        note_px = [(x, y) for x in range(w) for y in range(h) if _near(img.getpixel((x, y)), (255, 247, 197))]
        assert note_px, rotate
        xs, ys = [p[0] for p in note_px], [p[1] for p in note_px]
        assert min(xs) < w * 0.1 and min(ys) < h * 0.1 and max(ys) < h * 0.5, (rotate, min(xs), min(ys), w, h)
