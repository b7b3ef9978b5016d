"""The audit page in words (issue 14): human labels for action codes, names for actor ids, the
detail as lines rather than JSON, 50 entries a page with a link to older ones; a bad `before`
is ignored (the newest page), never an error."""

from appliance.devices import audit_ui
from tests.devices.helpers import admin_client


def test_the_audit_page_speaks_and_pages(demo_app):
    admin = admin_client(demo_app)
    people = admin.get("/api/v1/admin/people").get_json()["people"]
    someone = people[0]["id"]
    for n in range(60):  # more than a page: the PIN of one person set again and again
        assert admin.post(f"/admin/people/{someone}/pin", data={"pin": f"{135790 + n}"}).status_code in (200, 302, 303)
    page = admin.get("/admin/audit").get_data(as_text=True)
    assert "修改 PIN 码" in page and "person.pin_reset" in page  # the words, with the code small beside them
    assert "系统管理员" in page  # the actor by name
    assert page.count("<tr>") == audit_ui.PAGE + 1  # and the header row
    assert 'id="audit-older"' in page
    older = page.split('id="audit-older" href="')[1].split('"')[0].replace("&amp;", "&")
    second = admin.get(older)
    assert second.status_code == 200 and "最新记录" in second.get_data(as_text=True)
    assert admin.get("/admin/audit?before=abc").status_code == 200
