"""Office test helpers: real PDFs with Chinese text, signed-in clients for demo people."""

import base64
import io

from tests.devices.helpers import pair_tablet, person_id, sign_in


def chinese_pdf(*lines):
    """A real PDF whose text pdftotext can read back (TrueType CJK font, embedded)."""
    from reportlab.pdfgen import canvas

    from appliance.office.export import _register_font

    font = _register_font()
    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont(font, 14)
    y = 780
    for line in lines:
        c.drawString(60, y, line)
        y -= 24
    c.showPage()
    c.save()
    return out.getvalue()


def wait_for_text(store, document_id, timeout=60):
    """Until the text of the document's current version has been read (it follows the upload)."""
    from appliance.documents import text_jobs

    version = store.scalar("SELECT current_version FROM documents WHERE id = ?", (document_id,))
    assert text_jobs.wait(store, version, timeout), f"the text of document {document_id} was not read in {timeout} s"


def entry_document(app, entry_id):
    return app.extensions["yishi"].store.scalar("SELECT document_id FROM archive_entries WHERE id = ?", (entry_id,))


def file_json(name, data):
    return {"name": name, "data_base64": base64.b64encode(data).decode()}


def login(app, username, password):
    c = app.test_client()
    r = c.post("/api/v1/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.get_json()
    return c


def staff(app):
    return login(app, "staff", "yishi-staff")


def leader(app):
    return login(app, "leader", "yishi-leader")


def secretary(app):
    return login(app, "secretary", "yishi-secretary")


def member(app, admin, seat):
    """A member signed in with their PIN on their own paired tablet."""
    from appliance import demo

    name = demo.MEMBERS[seat - 1]
    tablet = pair_tablet(app, admin, name=f"座位 {seat}", person_id=person_id(app, name))
    r = sign_in(app, tablet, name, demo.member_pin(seat))
    assert r.status_code == 200, r.get_json()
    return tablet


def pid(app, name):
    return person_id(app, name)
