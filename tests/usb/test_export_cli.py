"""`yishi export` for a shell user, against the same real store the pages use.

Bad inputs tried: a meeting that is not closed, a year with a classified meeting and no
encryption, an --out that does not exist, a wrong passphrase, --meeting with --year, and an
archive passphrase with --encrypted-target. Each exits 2 with one line, Chinese then English, and
writes nothing."""

import os
import subprocess
import sys
import time

from appliance.usb import verify
from tests.conftest import PASSPHRASE
from tests.usb.export_helpers import room  # noqa: F401 (fixture)

YISHI = os.path.join(os.path.dirname(sys.executable), "yishi")


def yishi(*args, passphrase=PASSPHRASE, tmp_path):
    pf = tmp_path / "passphrase"
    pf.write_text(passphrase + "\n")
    return subprocess.run([YISHI, *args, "--passphrase-file", str(pf)], capture_output=True, text=True, timeout=600)


def test_export_one_meeting_then_verify_it(room, tmp_path):
    out = tmp_path / "stick"
    out.mkdir()
    r = yishi("export", "--data", room.data_dir, "--meeting", str(room.held), "--out", str(out), tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    [name] = os.listdir(out)
    assert name.startswith("议事导出-") and name in r.stdout
    v = verify.verify(str(out / name))
    assert v.ok and v.fingerprint in r.stdout
    actor = room.store.scalar("SELECT actor FROM audit WHERE action = 'usb.export' ORDER BY seq DESC LIMIT 1")
    assert actor == "cli"


def test_a_year_with_a_classified_meeting_needs_encryption(room, tmp_path):
    out = tmp_path / "stick"
    out.mkdir()
    year = str(time.localtime().tm_year)
    r = yishi("export", "--data", room.data_dir, "--year", year, "--out", str(out), tmp_path=tmp_path)
    assert r.returncode == 2 and "涉密" in r.stderr and "classified" in r.stderr and r.stderr.index("涉密") < r.stderr.index("classified")
    assert os.listdir(out) == []
    apf = tmp_path / "archive-passphrase"
    apf.write_text("议事-archive-2026\n")
    r = yishi("export", "--data", room.data_dir, "--year", year, "--out", str(out), "--archive-passphrase-file", str(apf),
              tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    [name] = os.listdir(out)
    assert name.endswith(".7z") and "AES-256 7z" in r.stdout


def test_bad_requests_exit_2_and_write_nothing(room, tmp_path):
    out = tmp_path / "stick"
    out.mkdir()
    base = ["export", "--data", room.data_dir, "--out", str(out)]
    r = yishi(*base, "--meeting", "1", tmp_path=tmp_path)
    assert r.returncode == 2 and "只能导出已闭会" in r.stderr and "Only closed meetings" in r.stderr
    r = yishi("export", "--data", room.data_dir, "--meeting", str(room.held), "--out", str(tmp_path / "nowhere"), tmp_path=tmp_path)
    assert r.returncode == 2 and "无法写入" in r.stderr
    r = yishi(*base, "--meeting", str(room.held), passphrase="not the passphrase", tmp_path=tmp_path)
    assert r.returncode == 2 and "passphrase is wrong" in r.stderr
    r = yishi(*base, "--meeting", str(room.held), "--year", "2026", tmp_path=tmp_path)
    assert r.returncode == 2 and "not allowed with" in r.stderr
    apf = tmp_path / "archive-passphrase"
    apf.write_text("议事-archive-2026\n")
    r = yishi(*base, "--meeting", str(room.held), "--archive-passphrase-file", str(apf), "--encrypted-target", tmp_path=tmp_path)
    assert r.returncode == 2 and "not both" in r.stderr
    assert os.listdir(out) == [] and not os.path.exists(tmp_path / "nowhere")
