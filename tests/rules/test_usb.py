"""The USB channel's rules with no stick: what a request may say, and whether an export fits."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.rules import usb as rules

JOB = "0123456789abcdef" * 2


@pytest.mark.parametrize("folder", ["议事导出-大安区-20261207", "export 1", "a.b"])
def test_plain_folder_names_pass(folder):
    assert rules.check_request({"v": 1, "op": "write", "job": JOB, "folder": folder})["folder"] == folder


@pytest.mark.parametrize("folder", ["", ".", "..", "../x", "a/b", "a\\b", ".hidden", " lead", "x" * 121,
                                    "nul\0", "new\nline", "rtl\u202egpj.pdf", "C:", 7, None])
def test_folder_names_that_could_go_elsewhere_or_mislead_are_refused(folder):
    with pytest.raises(rules.Refused) as e:
        rules.check_request({"v": 1, "op": "write", "job": JOB, "folder": folder})
    assert e.value.reason == "path_escape"


@given(st.text(max_size=200))
def test_an_accepted_folder_is_always_one_component(name):
    if rules.folder_name_ok(name):
        assert "/" not in name and "\\" not in name and name not in (".", "..") and not name.startswith(".")


@pytest.mark.parametrize("msg, reason", [
    ({"v": 1, "op": "unlock", "job": JOB, "passphrase": ""}, "bad_passphrase"),
    ({"v": 1, "op": "unlock", "job": JOB, "passphrase": "a\nb"}, "bad_passphrase"),
    ({"v": 1, "op": "fetch", "job": JOB, "files": [1, 1]}, "bad_files"),
    ({"v": 1, "op": "fetch", "job": JOB, "files": [True]}, "bad_files"),
    ({"v": 1, "op": "fetch", "job": JOB, "files": []}, "bad_files"),
    ({"v": 1, "op": "eject", "job": JOB.upper()}, "bad_job"),
    ({"v": 1, "op": "write", "job": JOB}, "bad_fields"),
])
def test_malformed_requests_are_refused(msg, reason):
    with pytest.raises(rules.Refused) as e:
        rules.check_request(msg)
    assert e.value.reason == reason


def test_an_export_fits_only_with_its_clusters_and_a_margin():
    ok, needed = rules.fits([1], free=rules.SPACE_MARGIN + 4 * 4096, block=4096)
    assert ok and needed == 4096 + 3 * 4096 + rules.SPACE_MARGIN
    assert not rules.fits([1, 1], free=rules.SPACE_MARGIN + 4 * 4096, block=4096)[0]
    # 1,000 one-byte files on 32 KiB clusters need 32 MB, not 1 KB.
    assert rules.fits([1] * 1000, free=32 * 1024 * 1024, block=32768)[1] > 32 * 1000 * 1024


def test_keep_removes_only_the_oldest_backups_by_name():
    names = ["yishi-backup-20261201T020000Z.yishi-backup", "yishi-backup-20261203T020000Z-2.yishi-backup",
             "yishi-backup-20261202T020000Z.yishi-backup", "report.pdf", "yishi-backup-evil.yishi-backup",
             "../yishi-backup-20261101T020000Z.yishi-backup"]
    assert rules.backups_to_remove(names, 1) == ["yishi-backup-20261201T020000Z.yishi-backup",
                                                 "yishi-backup-20261202T020000Z.yishi-backup"]
    assert rules.backups_to_remove(names, 5) == []
    for bad in (0, 367, True, "2"):
        with pytest.raises(rules.Refused):
            rules.check_request({"v": 1, "op": "write", "job": JOB, "folder": "议事备份", "merge": True, "keep": bad})
    with pytest.raises(rules.Refused):  # keep only where files are added, never on an export
        rules.check_request({"v": 1, "op": "write", "job": JOB, "folder": "议事导出", "keep": 3})
