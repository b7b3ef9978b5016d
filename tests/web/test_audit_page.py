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


def test_every_action_the_appliance_records_has_a_label_in_both_languages():
    """A code the appliance writes to the audit log (audit.record(db, actor, "area.verb", ...))
    shows on the audit page as words, in Chinese and in English: a new action without a label
    fails here instead of showing its raw code to the admin."""
    import pathlib
    import re

    from babel.support import Translations

    recorded = set()
    for path in pathlib.Path("appliance").rglob("*.py"):
        recorded |= set(re.findall(r"audit\.record\(\s*[^,()]+,\s*[^,()]+,\s*\"([a-z_]+\.[a-z_]+)\"", path.read_text()))
    assert len(recorded) > 60, recorded  # the pattern still finds the calls
    missing = sorted(recorded - set(audit_ui.ACTIONS))
    assert not missing, f"audit actions without a label in appliance/devices/audit_ui.py ACTIONS: {missing}"
    zh = Translations.load("webui/translations/ux", ["zh"])
    untranslated = [code for code, label in audit_ui.ACTIONS.items()
                    if zh.gettext(label._args[0]) == label._args[0]]
    assert not untranslated, f"labels with no Chinese in the ux catalogue: {untranslated}"
