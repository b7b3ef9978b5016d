"""The 导出 / 导入 / 备份 pages against the real helper on a real loop stick: the Flask app (the
in-process live carrier) with a real encrypted store, the helper as its own process. What staff
would notice: the panel's state, the flash messages, what lands on the stick, the audit log."""

import json
import os
import time

import pytest

from appliance.rules import usb as rules
from tests.conftest import app_config, make_store
from tests.usb.conftest import WAIT, state, wait_state

pytestmark = pytest.mark.stick

ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 200


@pytest.fixture
def office(door, tmp_path):
    from appliance import create_app, demo
    from appliance.meetings import core, materials, minutes
    from appliance.meetings.demo import add_demo
    from tests.meetings.helpers import make_pdf

    d = str(tmp_path / "data")
    s, _ = make_store(d)
    s.close()
    app = create_app(app_config(d, extra={"usb_channel": str(door.channel), "usb_spool": str(door.spool)}))
    st = app.extensions["yishi"].store
    add_demo(st, demo.populate(st))
    secret = core.create(st, None, "standing", "第十八届人大常委会第五次会议（涉密）", time.time() - 3600)
    item = core.add_item(st, None, secret, "关于人事任免的议案", "appointment")
    materials.add(st, None, secret, "任免名单", "list.pdf", make_pdf("任免名单"), item_id=item, classified=True)
    minutes.close_meeting(st, None, secret)
    client = app.test_client()
    r = client.post("/api/v1/login", json={"username": "staff", "password": "yishi-staff"})
    assert r.status_code == 200
    yield app, st, client, secret
    app.extensions["yishi"].close()


def panel(client, page="export"):
    html = client.get(f"/office/usb/panel?page={page}").get_data(as_text=True)
    return html.split('data-state="', 1)[1].split('"', 1)[0], html


def flashes(client, page):
    return client.get(f"/office/usb/{page}").get_data(as_text=True)


def audit_actions(st, prefix="usb."):
    return [(r[0], r[1], json.loads(r[2])) for r in st.all("SELECT actor, action, detail FROM audit ORDER BY seq")
            if r[1].startswith(prefix)]


def wait_for(what, check, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} not seen within {timeout} s")


def test_export_page_walks_no_stick_found_writing_done_and_audits_who(office, door):
    app, st, client, _ = office
    assert panel(client)[0] == rules.NO_STICK
    page = client.get("/office/usb/export").get_data(as_text=True)
    assert "第十八届人大常委会" in page
    # No stick yet: a clear message, nothing stored.
    r = client.post("/office/usb/export", data={"meeting": "2", "page": "export"}, follow_redirects=True)
    assert "未检测到U盘" in r.get_data(as_text=True) or "No stick is plugged in" in r.get_data(as_text=True)
    assert audit_actions(st) == []

    from appliance.web.events import broadcaster
    sub = broadcaster(app).subscribe({"usb"})
    stick = door.stick(label="OFFICE")
    helper = door.helper(stick)
    found = wait_state(door.channel, rules.FOUND, helper=helper)
    assert panel(client)[0] == rules.FOUND and "OFFICE" in panel(client)[1]
    item = wait_for("a live usb.state event", lambda: sub.next(1))
    assert item[1] == "usb.state"

    r = client.post("/office/usb/export", data={"meeting": "2", "page": "export"})
    assert r.status_code == 302
    done = wait_state(door.channel, rules.DONE, after=found["seq"], helper=helper)
    assert panel(client)[0] == rules.DONE
    staff = st.scalar("SELECT id FROM people WHERE username = 'staff'")
    written = wait_for("the outcome in the audit log",
                       lambda: [a for a in audit_actions(st) if a[1] == "usb.written"])
    assert written[0][0] == str(staff) and written[0][2]["folder"] == done["folder"]
    assert [a[1] for a in audit_actions(st)] == ["usb.export", "usb.written"]
    wait_for("the plain export files to leave the spool", lambda: not os.listdir(door.spool / "jobs"))
    helper.stop()
    on_stick = stick.contents(door.tmp / "check")
    folder = done["folder"]
    assert folder.startswith("议事导出-") and f"{folder}/bagit.txt" in on_stick
    # The export on the stick verifies offline, as a laptop would check it.
    check = door.tmp / "copy"
    for rel, data in on_stick.items():
        (check / rel).parent.mkdir(parents=True, exist_ok=True)
        (check / rel).write_bytes(data)
    from appliance.usb import verify
    assert verify.main([str(check / folder)]) == 0


def test_bad_export_requests_are_refused_in_chinese_and_nothing_is_written(office, door):
    """Tried: a meeting id that is not a number, one that does not exist, nothing chosen, a
    classified meeting to a plain stick without an archive passphrase, a write-protected stick."""
    app, st, client, secret = office
    stick = door.stick(label="PLAIN")
    helper = door.helper(stick)
    wait_state(door.channel, rules.FOUND, helper=helper)
    client.get("/lang/zh")
    for data, expected in (({"meeting": "abc"}, "请从列表中选择"), ({"meeting": "9999"}, "9999"),
                           ({}, "至少"), ({"meeting": str(secret)}, "涉密")):
        r = client.post("/office/usb/export", data={**data, "page": "export"}, follow_redirects=True)
        html = r.get_data(as_text=True)
        assert expected in html and 'class="flash error"' in html, (data, html[-2000:])
    assert [a[1] for a in audit_actions(st)] == ["usb.export_refused"]
    assert state(door.channel)["state"] == rules.FOUND
    helper.stop()
    assert stick.contents(door.tmp / "check") == {}
    ro = door.stick("ro", read_only=True)
    helper = door.helper(ro)
    wait_state(door.channel, rules.FOUND, helper=helper)
    r = client.post("/office/usb/export", data={"meeting": "2", "page": "export"}, follow_redirects=True)
    assert "写保护" in r.get_data(as_text=True)


def test_only_office_staff_and_admin_open_the_usb_pages(office):
    app, st, client, _ = office
    member = app.test_client()
    assert member.post("/api/v1/login", json={"username": "leader", "password": "yishi-leader"}).status_code == 200
    for url in ("/office/usb/export", "/office/usb/import", "/office/usb/backup", "/office/usb/panel", "/office/usb/state"):
        assert member.get(url).status_code == 403, url
    assert member.post("/office/usb/export", data={"meeting": "2"}).status_code == 403


def test_import_reads_chosen_files_checks_them_by_content_and_files_them(office, door):
    """Tried: an ELF program named .pdf (refused by content), a real PDF, a name with control characters."""
    from tests.meetings.helpers import make_pdf

    app, st, client, _ = office
    pdf = make_pdf("关于召开会议的通知")
    stick = door.stick(read_only=True, files={"收文/通知\x1b[31m.pdf": pdf, "report.pdf": ELF})
    helper = door.helper(stick)
    found = wait_state(door.channel, rules.FOUND, helper=helper)
    state_now, html = panel(client, "import")
    assert "report.pdf" in html and "\x1b" not in html
    ids = [f["id"] for f in found["files"]]
    r = client.post("/office/usb/import/fetch", data={"file": [str(i) for i in ids], "page": "import"})
    assert r.status_code == 302
    job = r.headers["Location"].split("job=")[1]
    wait_state(door.channel, rules.FETCHED, after=found["seq"], helper=helper)
    page = client.get(f"/office/usb/import?job={job}").get_data(as_text=True)
    assert 'name="ref"' in page
    assert "程序" in page or "program" in page.lower(), "the ELF named .pdf is not refused as a program"
    refs = [x.split('"')[0] for x in page.split('name="ref" value="')[1:]]
    assert len(refs) == 1 and refs[0].endswith(".pdf") and "\x1b" not in refs[0]
    # Smuggling the refused file back in by its name is refused too, and nothing is stored.
    r = client.post("/office/usb/import/ingest", data={"job": job, "ref": ["report.pdf"], "target": "archive",
                                                        "category": "收文", "page": "import"}, follow_redirects=True)
    assert 'class="flash error"' in r.get_data(as_text=True)
    before = st.scalar("SELECT count(*) FROM documents")
    r = client.post("/office/usb/import/ingest", data={"job": job, "ref": refs, "target": "archive",
                                                        "category": "收文", "page": "import"}, follow_redirects=True)
    assert st.scalar("SELECT count(*) FROM documents") == before + 1
    assert [a[1] for a in audit_actions(st) if a[1] in ("usb.fetch", "usb.import")] == ["usb.fetch", "usb.import"]
    assert not (door.spool / "jobs" / job).exists()


def test_a_second_stick_is_named_on_the_page(office, door):
    app, st, client, _ = office
    first = door.stick("first", label="FIRST")
    h1 = door.helper(first)
    wait_state(door.channel, rules.FOUND, helper=h1)
    second = door.stick("second", label="SECOND")
    door.helper(second)
    html = wait_for("the second stick on the page", lambda: (lambda h: h if "SECOND" in h else None)(panel(client)[1]))
    assert "usb-second" in html and "FIRST" in html


def test_backup_stick_is_designated_and_backed_up_to(office, door):
    app, st, client, _ = office
    stick = door.stick(label="BACKUP")
    helper = door.helper(stick)
    found = wait_state(door.channel, rules.FOUND, helper=helper)
    client.get("/lang/zh")
    assert "还没有备份" in client.get("/office/usb/backup").get_data(as_text=True)
    client.post("/office/usb/backup/designate", data={"page": "backup"})
    assert st.scalar("SELECT uuid FROM backup_sticks") == found["stick"]["uuid"]
    client.post("/office/usb/backup", data={"page": "backup"})
    done = wait_state(door.channel, rules.DONE, after=found["seq"], helper=helper)
    assert done["folder"] == "议事备份"
    assert "上次备份" in client.get("/office/usb/backup").get_data(as_text=True)
    client.post("/office/usb/eject", data={"page": "backup"})
    ejected = wait_state(door.channel, rules.DONE, after=done["seq"], helper=helper)
    assert ejected.get("ejected") is True
    assert "usb.eject" in [a[1] for a in audit_actions(st)]
    # An ejected stick takes no more work until it is plugged in again.
    r = client.post("/office/usb/backup", data={"page": "backup"}, follow_redirects=True)
    assert "已准备拔出" in r.get_data(as_text=True)
    helper.stop()
    files = stick.contents(door.tmp / "check")
    assert len(files) == 1 and next(iter(files)).startswith("议事备份/")
