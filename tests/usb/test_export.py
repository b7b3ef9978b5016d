"""The export of archived minutes: what lands on the stick, what is refused, what the log keeps.

Bad inputs tried: no meetings, a meeting that is not closed, one that does not exist, an id that is
not a number, a folder that is not there, a file instead of a folder, a stick too small (a real
64 KiB tmpfs), an archive passphrase that is too short, classified meetings to a plain target, and
a stick that fails in the middle of writing. Each gives its error and leaves the target as it was.
"""

import csv
import datetime
import errno
import hashlib
import importlib.metadata
import io
import json
import os
import subprocess

import bagit
import pytest

from appliance.errors import UserError
from appliance.store import audit
from appliance.usb import export, signing, verify
from tests.conftest import need
from tests.usb.export_helpers import bare_python, exported, room  # noqa: F401 (fixtures)

BOM = b"\xef\xbb\xbf"


def meeting_dir(result):
    [folder] = [rel.split("/")[1] for rel, _, _ in result.files if rel.endswith(export.MINUTES_FILE)]
    return os.path.join(result.path, "data", folder)


def last_audit(store, action):
    row = store.one("SELECT * FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1", (action,))
    return None if row is None else {**dict(row), "detail": json.loads(row["detail"])}


def test_the_export_is_a_valid_bag_that_the_shipped_script_verifies(room, exported, tmp_path):
    assert os.path.basename(exported.path).startswith("议事导出-测试会议室-")
    assert os.listdir(os.path.dirname(exported.path)) == [os.path.basename(exported.path)]  # no partial left
    bag = bagit.Bag(exported.path)
    bag.validate()  # raises BagValidationError on any problem
    assert set(bag.algorithms) == {"sha256"} and bag.version_info == (1, 0)
    assert bag.info["Bag-Software-Agent"].startswith(f"bagit.py v{importlib.metadata.version('bagit')} ")
    assert not [n for n in os.listdir(exported.path) if n.startswith(("manifest-md5", "manifest-sha1", "tagmanifest-md5"))]
    fp = signing.load(room.data_dir, room.store._key).fingerprint
    assert bag.info["Signing-Key-Fingerprint"] == fp
    assert bag.info["Yishi-Room"] == "测试会议室" and bag.info["Yishi-Meetings"] == str(room.held)
    assert bag.info["Yishi-Exporter"].startswith("林晓")
    head_then = bag.info["Yishi-Audit-Head"]
    assert room.store.scalar("SELECT 1 FROM audit WHERE hash = ?", (head_then,)) == 1  # a real link of the chain

    # A laptop with only Python: the script beside the export, run from elsewhere and from inside.
    for args, cwd in (([os.path.join(exported.path, "verify.py"), exported.path], str(tmp_path)),
                      (["verify.py"], exported.path)):
        r = bare_python(args[0], *args[1:], cwd=cwd)
        assert r.returncode == 0, r.stderr
        assert f"fingerprint: {fp}" in r.stdout and "OK: intact" in r.stdout
        assert f"audit chain head: {head_then}" in r.stdout and "room: 测试会议室" in r.stdout
    r = subprocess.run([os.path.join(os.path.dirname(os.sys.executable), "yishi"), "verify-export", exported.path],
                       capture_output=True, text=True)
    assert r.returncode == 0 and fp in r.stdout


def test_the_fingerprint_in_the_minutes_is_the_one_the_verifier_prints(room, exported):
    pdf = os.path.join(meeting_dir(exported), export.MINUTES_FILE)
    text = subprocess.run([need("pdftotext"), pdf, "-"], capture_output=True, text=True, check=True).stdout
    assert verify.verify(exported.path).fingerprint in text.replace("\n", " ")
    info = subprocess.run([need("pdfinfo"), pdf], capture_output=True, text=True, check=True).stdout
    assert "Title:" in info and "会议记录" in info and "Keywords:" in info and exported.fingerprint in info


def test_every_font_in_the_minutes_is_embedded(exported):
    pdf = os.path.join(meeting_dir(exported), export.MINUTES_FILE)
    out = subprocess.run([need("pdffonts"), pdf], capture_output=True, text=True, check=True).stdout.splitlines()
    rows = out[2:]  # two header lines
    assert rows, out
    for row in rows:
        # name type [type2] encoding emb sub uni object ID: "emb" is the fifth field from the end
        assert row.split()[-5] == "yes", row


def test_the_check_for_unembedded_fonts_can_fail():
    """The check export relies on refuses a PDF with a standard (unembedded) font."""
    import pikepdf
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("Helvetica", 12)
    c.drawString(72, 720, "not embedded")
    c.save()
    with pikepdf.open(io.BytesIO(buf.getvalue())) as pdf:
        assert export.unembedded_fonts(pdf) == ["/Helvetica"]
    with pytest.raises(RuntimeError, match="fonts not embedded"):
        export.archival_pdf(buf.getvalue(), "t", {"id": 9, "starts_at": 0, "closed_at": 0}, "fp", datetime.datetime.now())


def test_the_csvs_have_a_bom_and_parse(room, exported):
    from appliance.meetings import core, polls

    folder = meeting_dir(exported)
    with open(os.path.join(folder, export.ATTENDANCE_FILE), "rb") as f:
        raw = f.read()
    assert raw.startswith(BOM) and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw[len(BOM):].decode("utf-8"))))
    assert rows[0][:4] == ["姓名", "席位号", "身份", "状态"]
    roster = core.roster(room.store, room.held)
    assert len(rows) - 1 == len(roster)
    att = core.attendance(room.store, room.held)
    status = [r[3] for r in rows[1:] if r[2] == "组成人员"]
    assert (status.count("出席"), status.count("请假"), status.count("缺席")) == (att.present, att.excused, att.absent)
    [zhu] = [r for r in rows if r[0] == "朱红"]
    assert zhu[3] == "请假" and zhu[6] == "出差"

    with open(os.path.join(folder, export.POLLS_FILE), "rb") as f:
        raw = f.read()
    assert raw.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(raw[len(BOM):].decode("utf-8"))))
    held_polls = polls.for_meeting(room.store, room.held)
    assert len(rows) == len(held_polls) > 0
    first = polls.result(room.store, held_polls[0]["id"])
    assert (int(rows[0]["赞成"]), int(rows[0]["反对"]), int(rows[0]["弃权"]), int(rows[0]["通过所需票数"])) == \
        (first.yes, first.no, first.abstain, first.needed)
    assert rows[0]["结果"] == ("通过" if first.passed else "未通过")


def test_the_export_is_audited_with_the_stick_and_the_manifest_hash(room, exported):
    entry = last_audit(room.store, "usb.export")
    d = entry["detail"]
    assert entry["actor"] == str(room.secretary) and d["meetings"] == [room.held]
    assert d["stick"] == {"vendor": "SanDisk", "model": "Ultra", "serial": "4C530001230915", "label": "OFFICE"}
    with open(os.path.join(exported.path, verify.MANIFEST), "rb") as f:
        assert d["manifest_sha256"] == hashlib.sha256(f.read()).hexdigest()
    with open(os.path.join(exported.path, verify.TAGMANIFEST), "rb") as f:
        assert d["tagmanifest_sha256"] == hashlib.sha256(f.read()).hexdigest() == exported.tagmanifest_sha256
    assert d["target"] == "plain" and d["path"] == os.path.basename(exported.path) and d["key"] == exported.fingerprint
    assert audit.verify(room.store).ok


def test_classified_meetings_to_a_plain_stick_are_refused_and_nothing_is_written(room, tmp_path):
    from flask_babel import force_locale

    before = room.store.scalar("SELECT count(*) FROM audit WHERE action = 'usb.export'")
    with pytest.raises(UserError) as e:
        export.export_minutes(room.store, room.data_dir, [room.held, room.secret], str(tmp_path), actor_id=room.secretary,
                              stick={"vendor": "Kingston", "serial": "X1"})
    assert e.value.code == "classified_needs_encryption" and e.value.details["classified"] == [room.secret]
    assert os.listdir(tmp_path) == []
    assert room.store.scalar("SELECT count(*) FROM audit WHERE action = 'usb.export'") == before
    refused = last_audit(room.store, "usb.export_refused")["detail"]
    assert refused["meetings"] == [room.held, room.secret] and refused["stick"]["serial"] == "X1"
    with room.app.test_request_context("/"):
        with force_locale("zh_CN"):
            assert "涉密" in str(e.value.message) and str(room.secret) in str(e.value.message)
        with force_locale("en"):
            assert "classified" in str(e.value.message)
    assert [m["classified"] for m in export.exportable_meetings(room.store)] == [False, True]


def test_classified_to_a_luks_stick_is_a_plain_bag(room, tmp_path):
    r = export.export_minutes(room.store, room.data_dir, [room.secret], str(tmp_path), actor_id=room.secretary,
                              encrypted_target=True, stick={"vendor": "Kingston", "serial": "LUKS1", "label": "SECRET"})
    assert verify.verify(r.path).ok
    d = last_audit(room.store, "usb.export")["detail"]
    assert d["target"] == "luks" and d["classified"] == [room.secret]


def test_classified_into_a_7z_that_opens_only_with_the_passphrase(room, tmp_path):
    import py7zr

    stick = tmp_path / "stick"
    stick.mkdir()
    def scratch():  # only the export's own scratch folders: other processes use /dev/shm too
        return {n for n in os.listdir("/dev/shm") if n.startswith(f".{export.FOLDER_PREFIX}-")}

    shm_before = scratch()
    r = export.export_minutes(room.store, room.data_dir, [room.held, room.secret], str(stick), actor_id=room.secretary,
                              archive_passphrase="议事-archive-2026")
    assert r.archive and r.path.endswith(".7z") and os.listdir(stick) == [os.path.basename(r.path)]
    assert r.total_bytes == os.path.getsize(r.path)
    assert scratch() == shm_before  # the plain scratch bag is gone
    with open(r.path, "rb") as f:
        raw = f.read()
    for secret_text in ("会议记录", "涉密", "manifest-sha256", "bag-info"):
        assert secret_text.encode("utf-8") not in raw and secret_text.encode("utf-16-le") not in raw
    # Without the passphrase not even the file names can be listed; a wrong one fails too.
    with pytest.raises(py7zr.exceptions.PasswordRequired):
        with py7zr.SevenZipFile(r.path, "r") as z:
            z.getnames()
    with pytest.raises(Exception):
        with py7zr.SevenZipFile(r.path, "r", password="wrong-passphrase") as z:
            z.extractall(tmp_path / "wrong")
    assert not list(tmp_path.glob("wrong/**/*.pdf"))
    # 7-Zip itself (the program the office's Windows PCs open it with) agrees.
    sevenzip = need("7zz")
    wrong = subprocess.run([sevenzip, "l", "-pwrong-passphrase", r.path], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert wrong.returncode != 0 and "会议记录" not in wrong.stdout
    listing = subprocess.run([sevenzip, "l", "-slt", "-p议事-archive-2026", r.path], capture_output=True, text=True, check=True).stdout
    assert "7zAES" in listing and "Encrypted = +" in listing and export.MINUTES_FILE in listing
    subprocess.run([sevenzip, "t", "-p议事-archive-2026", r.path], capture_output=True, check=True)
    out = tmp_path / "opened"
    with py7zr.SevenZipFile(r.path, "r", password="议事-archive-2026") as z:
        names = z.getnames()
        z.extractall(out)
    base = os.path.basename(r.path)[:-3]
    assert f"{base}/verify.py" in names
    v = verify.verify(str(out / base))
    assert v.ok, v.en
    d = last_audit(room.store, "usb.export")["detail"]
    assert d["target"] == "7z" and d["classified"] == [room.secret]
    assert d["archive_sha256"] == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize("ids, code", [([], "no_meetings"), ([1], "not_exportable"), ([999], "not_exportable"),
                                       (["abc"], "bad_meeting")])
def test_meetings_that_cannot_be_exported(room, tmp_path, ids, code):
    with pytest.raises(UserError) as e:
        export.export_minutes(room.store, room.data_dir, ids, str(tmp_path), actor_id=room.secretary)
    assert e.value.code == code and os.listdir(tmp_path) == []


def test_targets_that_cannot_take_it(room, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for dest in (str(tmp_path / "missing"), str(a_file)):
        with pytest.raises(UserError) as e:
            export.export_minutes(room.store, room.data_dir, [room.held], dest, actor_id=room.secretary)
        assert e.value.code == "target_unwritable"
    assert sorted(os.listdir(tmp_path)) == ["file"]
    with pytest.raises(UserError) as e:
        export.export_minutes(room.store, room.data_dir, [room.held], str(tmp_path), actor_id=room.secretary, archive_passphrase="short")
    assert e.value.code == "passphrase_too_short" and sorted(os.listdir(tmp_path)) == ["file"]


def test_a_full_stick_is_refused_before_anything_is_written(room, tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(small)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.fail(f"this test mounts a 64 KiB tmpfs as a full stick and needs root: {r.stderr}")
    try:
        with pytest.raises(UserError) as e:
            export.export_minutes(room.store, room.data_dir, [room.held], str(small), actor_id=room.secretary)
        assert e.value.code == "not_enough_space" and e.value.details["needed"] > e.value.details["free"]
        assert os.listdir(small) == []
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_a_stick_failing_mid_write_leaves_nothing_that_looks_complete(room, tmp_path):
    before = room.store.scalar("SELECT count(*) FROM audit WHERE action = 'usb.export'")

    def pulled(done, total):
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(OSError):
        export.export_minutes(room.store, room.data_dir, [room.held], str(tmp_path), actor_id=room.secretary, progress=pulled)
    assert os.listdir(tmp_path) == []
    assert room.store.scalar("SELECT count(*) FROM audit WHERE action = 'usb.export'") == before
    assert audit.verify(room.store).ok


def test_a_second_export_the_same_day_gets_its_own_folder(room, exported, tmp_path):
    dest = os.path.dirname(exported.path)
    again = export.export_minutes(room.store, room.data_dir, [room.held], dest, actor_id=room.secretary)
    try:
        assert again.path == exported.path + "-2" and verify.verify(again.path).ok and verify.verify(exported.path).ok
    finally:
        import shutil

        shutil.rmtree(again.path)


def test_estimate_covers_what_is_written(room, exported):
    assert export.estimate_bytes(room.store, [room.held]) >= exported.total_bytes


def test_progress_counts_up_to_the_total(room, tmp_path):
    seen = []
    export.export_minutes(room.store, room.data_dir, [room.held], str(tmp_path), actor_id=room.secretary,
                          progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 2), (2, 2)]


def test_exportable_meetings_by_year(room):
    import time

    year = time.localtime().tm_year
    ids = [m["id"] for m in export.exportable_meetings(room.store, year=year)]
    assert room.secret in ids and 1 not in ids  # meeting 1 is upcoming, not closed
    assert export.exportable_meetings(room.store, year=1999) == []
