"""Bad settings stop the play at its start, with a message naming the setting.

The checks run on the controller only, so these tests need no root filesystem: the inventory
points the chroot connection at an empty folder, and a check that let bad input through would
fail later, on the first task that runs Python there, instead of on the setting.
"""

from __future__ import annotations

import pytest

from tests.provisioning.conftest import provisioning_settings, run_playbook, write_inventory


def play(tmp_path, **overrides):
    settings = provisioning_settings("/nonexistent", tmp_path, **overrides)
    settings = {k: v for k, v in settings.items() if v is not None}
    empty_root = tmp_path / "empty-root"
    empty_root.mkdir()
    inventory = write_inventory(tmp_path / "hosts.yml", empty_root, settings)
    return run_playbook(inventory)


def assert_stopped_at_start_naming(run, setting):
    assert run.returncode != 0, f"the play went on with bad {setting}:\n{run.output[-3000:]}"
    assert f"Setting {setting} " in run.output, f"no message naming {setting}:\n{run.output[-3000:]}"
    assert "Provision the Yishi meeting appliance" not in run.output, "the play went past its checks"
    assert run.recap["changed"] == 0


@pytest.mark.parametrize("setting", ["yishi_admin_authorized_keys", "yishi_wifi_country", "yishi_lan_address"])
def test_missing_required_setting_stops_the_play(tmp_path, setting):
    run = play(tmp_path, **{setting: None})
    assert_stopped_at_start_naming(run, setting)
    assert "is required and not set" in run.output


@pytest.mark.parametrize("passphrase", ["short77", "x" * 64])
def test_wifi_passphrase_outside_8_to_63_characters_stops_the_play(tmp_path, passphrase):
    run = play(tmp_path, yishi_wifi_passphrase=passphrase)
    assert_stopped_at_start_naming(run, "yishi_wifi_passphrase")
    assert f"has {len(passphrase)} characters" in run.output


def test_ssid_over_32_bytes_stops_the_play(tmp_path):
    ssid = "议事" * 5 + "x" * 3  # 10 characters, 33 bytes in UTF-8
    run = play(tmp_path, yishi_wifi_ssid=ssid)
    assert_stopped_at_start_naming(run, "yishi_wifi_ssid")
    assert "is 33 bytes" in run.output


def test_good_settings_pass_the_checks(tmp_path):
    # Limits themselves are fine: 8 and 63 characters, exactly 32 bytes. The play then stops at
    # the first task that runs on the (empty) root, past the checks.
    run = play(tmp_path, yishi_wifi_passphrase="x" * 63, yishi_wifi_ssid="议事" * 5 + "xx")
    assert "[image -> localhost]: FAILED" not in run.output, run.output[-3000:]
    assert "failed: [image -> localhost]" not in run.output, run.output[-3000:]
    assert "Provision the Yishi meeting appliance" in run.output
