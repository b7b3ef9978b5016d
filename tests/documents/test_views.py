"""Serving a document: its own type and disposition, and a policy under which nothing in it runs
when it is opened directly in a browser."""

import io

from tests.meetings.helpers import make_pdf, new_meeting, secretary


def test_a_document_opened_directly_is_a_sandbox_that_loads_and_runs_nothing(demo_app):
    sec = secretary(demo_app)
    mid, _ = new_meeting(demo_app, sec)
    r = sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "草案", "file": (io.BytesIO(make_pdf()), "草案.pdf")},
                 content_type="multipart/form-data")
    doc = demo_app.extensions["yishi"].store.scalar("SELECT document_id FROM materials WHERE id = ?", (r.get_json()["id"],))
    for url in (f"/documents/{doc}/content", f"/api/v1/documents/{doc}/content", f"/documents/{doc}/content?download=1"):
        resp = sec.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
        csp = [d.strip() for d in resp.headers["Content-Security-Policy"].split(";")]
        assert "sandbox" in csp and "default-src 'none'" in csp, csp
        assert resp.headers.getlist("Content-Security-Policy") == [resp.headers["Content-Security-Policy"]]
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        kind = "attachment" if "download" in url else "inline"
        assert resp.headers["Content-Disposition"] == f"{kind}; filename*=UTF-8''%E8%8D%89%E6%A1%88.pdf"
    # The pages around it keep the appliance's own policy (pdf.js must run there).
    page = sec.get(f"/documents/{doc}")
    assert "sandbox" not in page.headers["Content-Security-Policy"] and "default-src 'self'" in page.headers["Content-Security-Policy"]
