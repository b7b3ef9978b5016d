"""The privileged helper against real ext4 stick images on loop devices, driven only through
the channel (request files in, state file out), as the web process drives it."""

import json
import os
import subprocess

import pytest

from appliance.rules import usb as rules
from appliance.usb import channel as ch
from tests.usb.conftest import WAIT, state, wait_state

pytestmark = pytest.mark.stick

MINUTES = b"%PDF-1.7\n" + os.urandom(200_000) + b"\n%%EOF\n"


def put_out(spool, job, files):
    out = spool / "jobs" / job / "out"
    for rel, data in files.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
    return out


def ready(door, stick):
    helper = door.helper(stick)
    found = wait_state(door.channel, rules.FOUND, helper=helper)
    return helper, found


def test_export_is_written_whole_then_reported_done_and_safe(door):
    stick = door.stick(label="KINGSTON")
    helper, found = ready(door, stick)
    assert found["stick"]["label"] == "KINGSTON"
    assert found["stick"]["fs"] == "ext4"
    assert found["stick"]["size"] == 64 * 1024 * 1024
    assert found["stick"]["read_only"] is False
    job = ch.new_job()
    files = {"2026-12-01 常委会第十次会议/纪要.pdf": MINUTES, "2026-12-01 常委会第十次会议/表决结果.csv": "\ufeff序号,结果\n".encode(),
             "manifest-sha256.txt": b"abc  data/x\n"}
    put_out(door.spool, job, files)
    ch.submit(door.channel, "write", job, folder="议事导出-大安区-20261207")
    done = wait_state(door.channel, rules.DONE, after=found["seq"], helper=helper)
    assert done["job"] == job and done["done"] == done["total"] == 3
    assert done["folder"] == "议事导出-大安区-20261207"
    # The same export again on the same stick gets its own folder, never replaces the first.
    job2 = ch.new_job()
    put_out(door.spool, job2, {"a.txt": b"second"})
    ch.submit(door.channel, "write", job2, folder="议事导出-大安区-20261207")
    again = wait_state(door.channel, rules.DONE, after=done["seq"], helper=helper)
    assert again["folder"] == "议事导出-大安区-20261207-2"
    helper.stop()
    on_stick = stick.contents(door.tmp / "check")
    assert {k: v for k, v in on_stick.items() if k.startswith("议事导出-大安区-20261207/")} == {
        f"议事导出-大安区-20261207/{k}": v for k, v in files.items()}
    assert on_stick["议事导出-大安区-20261207-2/a.txt"] == b"second"
    assert not [k for k in on_stick if "未完成" in k]
    assert state(door.channel)["state"] == rules.NO_STICK


def test_read_only_stick_is_refused_for_export_and_fine_for_import(door):
    stick = door.stick(read_only=True, files={"收文/关于召开会议的通知.pdf": MINUTES, "photo.jpg": b"\xff\xd8\xff" + b"j" * 100})
    helper, found = ready(door, stick)
    assert found["stick"]["read_only"] is True
    names = {f["name"]: f for f in found["files"]}
    assert set(names) == {"收文/关于召开会议的通知.pdf", "photo.jpg"}
    job = ch.new_job()
    put_out(door.spool, job, {"x.pdf": MINUTES})
    ch.submit(door.channel, "write", job, folder="议事导出-test")
    refused = wait_state(door.channel, rules.READ_ONLY, after=found["seq"], helper=helper)
    assert refused["job"] == job
    fetch = ch.make_job(door.spool)
    wanted = names["收文/关于召开会议的通知.pdf"]["id"]
    ch.submit(door.channel, "fetch", fetch, files=[wanted])
    fetched = wait_state(door.channel, rules.FETCHED, after=refused["seq"], helper=helper)
    assert fetched["job"] == fetch
    got = door.spool / "jobs" / fetch / "in"
    assert (got / str(wanted)).read_bytes() == MINUTES
    assert json.loads((got / "index.json").read_text()) == [
        {"id": wanted, "name": "收文/关于召开会议的通知.pdf", "size": len(MINUTES)}]
    helper.stop()
    assert "议事导出-test" not in str(stick.contents(door.tmp / "check"))


def test_import_lists_no_links_and_fetches_by_number_never_by_name(door):
    evil = "\x1b[2J\x07..报告.pdf"  # control characters and dots: a name, never a path
    stick = door.stick(files={evil: b"%PDF-evil", "link.pdf": ("symlink", "/etc/shadow"), ".hidden": b"x",
                              "a/b/c/d/e/deep.pdf": b"too deep", "a/ok.pdf": b"%PDF-ok"})
    helper, found = ready(door, stick)
    listed = {f["name"]: f["id"] for f in found["files"]}
    assert set(listed) == {evil, "a/ok.pdf"}, listed
    job = ch.make_job(door.spool)
    ch.submit(door.channel, "fetch", job, files=[listed[evil], listed["a/ok.pdf"]])
    wait_state(door.channel, rules.FETCHED, after=found["seq"], helper=helper)
    got = door.spool / "jobs" / job / "in"
    assert sorted(p.name for p in got.iterdir()) == sorted([str(listed[evil]), str(listed["a/ok.pdf"]), "index.json"])
    assert (got / str(listed[evil])).read_bytes() == b"%PDF-evil"
    # A number that was never listed (the link, the hidden file) is refused.
    ch.submit(door.channel, "fetch", ch.make_job(door.spool), files=[999])
    refused = wait_state(door.channel, rules.FETCHED, after=state(door.channel)["seq"], helper=helper)
    assert refused["refused"]["reason"] == "unknown_file"


def test_full_stick_says_not_enough_space_before_writing_anything(door):
    stick = door.stick(size_mb=16)
    helper, found = ready(door, stick)
    job = ch.new_job()
    put_out(door.spool, job, {f"part{i}.bin": os.urandom(4 * 1024 * 1024) for i in range(5)})  # 20 MB
    ch.submit(door.channel, "write", job, folder="议事导出-full")
    full = wait_state(door.channel, rules.NO_SPACE, after=found["seq"], helper=helper)
    assert full["needed"] > full["free"]
    # It was refused before writing: no state in between, nothing on the stick.
    assert full["seq"] == found["seq"] + 1
    # And the stick still takes an export that fits.
    small = ch.new_job()
    put_out(door.spool, small, {"a.pdf": MINUTES})
    ch.submit(door.channel, "write", small, folder="议事导出-small")
    wait_state(door.channel, rules.DONE, after=full["seq"], helper=helper)
    helper.stop()
    assert sorted(stick.contents(door.tmp / "check")) == ["议事导出-small/a.pdf"]


def test_second_stick_is_named_and_refused(door):
    first = door.stick("first", label="FIRST")
    helper, found = ready(door, first)
    second = door.stick("second", label="SECOND")
    other = door.helper(second)
    path = door.channel / "others" / f"{second.kname}.json"
    for _ in range(WAIT * 20):
        if path.exists():
            break
        os.sched_yield() or __import__("time").sleep(0.05)
    assert [o["label"] for o in ch.read_others(door.channel)] == ["SECOND"]
    assert state(door.channel)["stick"]["label"] == "FIRST"  # the first stick keeps the door
    assert not list(door.mounts.glob(f"*{second.kname}*")), "the refused stick was mounted"
    other.stop()  # pulled
    assert other.proc.returncode == 3
    assert ch.read_others(door.channel) == []
    assert state(door.channel)["stick"]["label"] == "FIRST"


def test_stick_pulled_while_writing_is_an_error_and_nothing_looks_complete(door):
    stick = door.stick(size_mb=128)
    helper, found = ready(door, stick)
    job = ch.new_job()
    # Many small files, each fsynced: writing takes long enough to be caught in the middle.
    put_out(door.spool, job, {f"纪要/{i:04d}.pdf": os.urandom(64 * 1024) for i in range(600)})
    ch.submit(door.channel, "write", job, folder="议事导出-pulled")
    writing = wait_state(door.channel, rules.WRITING, after=found["seq"], helper=helper)
    while writing["done"] < 5:
        writing = wait_state(door.channel, rules.WRITING, rules.DONE, after=writing["seq"], helper=helper)
        assert writing["state"] == rules.WRITING, "the write finished before the stick could be pulled"
    assert writing["done"] < writing["total"]
    stick.detach()
    helper.stop()  # systemd stops the unit when its device goes (BindsTo=)
    after = state(door.channel)
    assert after["state"] == rules.ERROR and after["error"] == "removed" and after["job"] == job
    on_stick = stick.contents(door.tmp / "check")
    assert not [k for k in on_stick if k.startswith("议事导出-pulled/")], "a half-written export has the final name"
    assert all(k.startswith("议事导出-pulled.未完成/") for k in on_stick)


@pytest.mark.parametrize("name, body, reason", [
    ("unknown-op", {"v": 1, "op": "format", "job": "a" * 32}, "unknown_op"),
    ("bad-job", {"v": 1, "op": "eject", "job": "../../etc"}, "bad_job"),
    ("escape", {"v": 1, "op": "write", "job": "b" * 32, "folder": "../../etc"}, "path_escape"),
    ("slash", {"v": 1, "op": "write", "job": "b" * 32, "folder": "a/b"}, "path_escape"),
    ("extra", {"v": 1, "op": "eject", "job": "c" * 32, "cmd": "rm -rf /"}, "bad_fields"),
    ("old", {"v": 0, "op": "eject", "job": "c" * 32}, "bad_version"),
    ("files", {"v": 1, "op": "fetch", "job": "c" * 32, "files": ["../x"]}, "bad_files"),
    ("not-json", b"\x00\xffnot json", "not_json"),
    ("huge", b"{" + b" " * (rules.MAX_REQUEST_BYTES + 10) + b"}", "too_large"),
    ("list", [1, 2], "not_an_object"),
])
def test_bad_messages_are_refused_and_logged(door, name, body, reason):
    stick = door.stick()
    helper, found = ready(door, stick)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    (door.channel / "requests" / f"{name}.json").write_bytes(raw)
    refused = wait_state(door.channel, rules.FOUND, after=found["seq"], helper=helper)
    assert refused["refused"]["reason"] == reason
    assert not (door.channel / "requests" / f"{name}.json").exists()
    helper.stop()
    assert f"refused: {reason}" in helper.logged()
    assert sorted(stick.contents(door.tmp / "check")) == []


def test_links_in_the_spool_are_refused(door):
    stick = door.stick()
    helper, found = ready(door, stick)
    job = ch.new_job()
    out = put_out(door.spool, job, {"a.pdf": MINUTES})
    (out / "passwd").symlink_to("/etc/passwd")
    ch.submit(door.channel, "write", job, folder="议事导出-link")
    refused = wait_state(door.channel, rules.FOUND, after=found["seq"], helper=helper)
    assert refused["refused"]["reason"] == "path_escape"
    # A request file that is a link is refused too.
    (door.channel / "requests" / "x.json").symlink_to(door.tmp / "elsewhere.json")
    (door.tmp / "elsewhere.json").write_text(json.dumps({"v": 1, "op": "eject", "job": "d" * 32}))
    again = wait_state(door.channel, rules.FOUND, after=refused["seq"], helper=helper)
    assert again["refused"]["reason"] == "unreadable"
    helper.stop()
    assert stick.contents(door.tmp / "check") == {}


def test_no_stick_helper_leaves_no_mount(door):
    stick = door.stick()
    helper, found = ready(door, stick)
    helper.stop()
    mounts = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], capture_output=True, text=True).stdout
    assert str(door.mounts) not in mounts
    assert state(door.channel)["state"] == rules.NO_STICK


def test_backup_stick_folder_takes_new_files_beside_the_old_and_replaces_none(door):
    stick = door.stick(files={"议事备份/yishi-backup-20261201.ysb": b"old backup"})
    helper, found = ready(door, stick)
    job = ch.make_job(door.spool)
    put_out(door.spool, job, {"yishi-backup-20261207.ysb": b"new backup"})
    ch.submit(door.channel, "write", job, folder="议事备份", merge=True)
    done = wait_state(door.channel, rules.DONE, after=found["seq"], helper=helper)
    assert done["folder"] == "议事备份"
    # The same file name again is refused rather than replaced.
    again = ch.make_job(door.spool)
    put_out(door.spool, again, {"yishi-backup-20261207.ysb": b"other bytes"})
    ch.submit(door.channel, "write", again, folder="议事备份", merge=True)
    failed = wait_state(door.channel, rules.ERROR, after=done["seq"], helper=helper)
    assert failed["error"] == "write_failed" and failed["job"] == again
    helper.stop()
    assert stick.contents(door.tmp / "check") == {"议事备份/yishi-backup-20261201.ysb": b"old backup",
                                                  "议事备份/yishi-backup-20261207.ysb": b"new backup"}


WEB_SIDE = r"""
import json, os, sys
from appliance.usb import channel as ch
from appliance.usb.door import Door
os.umask(0o077)  # yishi.service's UMask
d = Door(sys.argv[1], sys.argv[2])
job, folder = d._new_job("export", 7)
os.makedirs(os.path.join(folder, "out", "会议"))
with open(os.path.join(folder, "out", "会议", "纪要.pdf"), "wb") as f:
    f.write(b"%PDF-1.7 minutes")
d._share(folder)
ch.submit(d.channel, "write", job, folder="议事导出-perm")
print(job)
"""


def test_the_two_sides_meet_only_through_the_group_as_the_units_run_them(door, tmp_path):
    """As on the Pi: the web side an unprivileged user with umask 0077, the helper root with
    CAP_SYS_ADMIN alone (no CAP_DAC_OVERRIDE, no CAP_CHOWN) and the web service's group; the
    channel and spool root's, of that group, setgid (tmpfiles.d/yishi-usb.conf). Here the
    unprivileged user is nobody and the group nogroup."""
    import shutil
    import subprocess
    import sys
    import tempfile

    from tests.usb.conftest import HelperProcess, need

    need(shutil.which("setpriv") is not None, "setpriv (util-linux) is missing")
    base = tempfile.mkdtemp(prefix="yishi-usb-perm-", dir="/tmp")
    try:
        os.chmod(base, 0o711)
        channel, spool, mounts = (os.path.join(base, n) for n in ("channel", "spool", "mnt"))
        for d in (channel, spool):
            os.mkdir(d)
            os.chown(d, 0, 65534)
            os.chmod(d, 0o2770)
        os.mkdir(mounts, 0o700)
        stick = door.stick(label="PERM")
        helper = HelperProcess(stick, channel, spool, mounts, prefix=(
            "setpriv", "--bounding-set=-all,+sys_admin", "--inh-caps=-all", "--groups=65534", "--"))
        try:
            found = wait_state(channel, rules.FOUND, helper=helper)
            web = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable,
                                  "-c", WEB_SIDE, channel, spool], capture_output=True, text=True, cwd=door.tmp,
                                 env={**os.environ, "PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[2])})
            assert web.returncode == 0, web.stderr
            job = web.stdout.strip()
            done = wait_state(channel, rules.DONE, after=found["seq"], helper=helper)
            assert done["job"] == job
            # The web side reads the state as nobody (its group), never as root.
            seen = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "cat",
                                   os.path.join(channel, "state.json")], capture_output=True, text=True)
            assert seen.returncode == 0 and '"done"' in seen.stdout, seen.stderr
        finally:
            helper.stop()
        assert stick.contents(door.tmp / "check") == {"议事导出-perm/会议/纪要.pdf": b"%PDF-1.7 minutes"}
    finally:
        subprocess.run(["umount", "-l", *[os.path.join(mounts, m) for m in os.listdir(mounts)]], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_backup_stick_keeps_the_newest_backups_and_nothing_else_is_removed(door):
    old = {f"议事备份/yishi-backup-2026120{d}T020000Z.yishi-backup": f"backup {d}".encode() for d in (1, 2, 3)}
    stick = door.stick(files={**old, "议事备份/notes.txt": b"staff's own file", "议事备份/yishi-backup-x.yishi-backup": b"odd"})
    helper, found = ready(door, stick)
    job = ch.make_job(door.spool)
    put_out(door.spool, job, {"yishi-backup-20261207T020000Z.yishi-backup": b"backup 7"})
    ch.submit(door.channel, "write", job, folder="议事备份", merge=True, keep=2)
    wait_state(door.channel, rules.DONE, after=found["seq"], helper=helper)
    helper.stop()
    assert sorted(stick.contents(door.tmp / "check")) == [
        "议事备份/notes.txt", "议事备份/yishi-backup-20261203T020000Z.yishi-backup",
        "议事备份/yishi-backup-20261207T020000Z.yishi-backup", "议事备份/yishi-backup-x.yishi-backup"]
