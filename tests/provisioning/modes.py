"""Each network mode's files, rendered from the roles' own templates and defaults by Ansible on
this machine (no root filesystem, no emulation): what the chroot run would write, for all three
modes in one quick playbook run. test_network_modes asserts them; test_egress loads each mode's
firewall into network namespaces.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

from tests.provisioning.conftest import PROVISIONING, ansible_tool, provisioning_settings

MODES = ("builtin", "usb-adapter", "external-ap")
# (role, template) -> the name the rendered file gets
TEMPLATES = {
    ("yishi_access_point", "hostapd.conf.j2"): "hostapd.conf",
    ("yishi_access_point", "dnsmasq.conf.j2"): "dnsmasq.conf",
    ("yishi_access_point", "lan.network.j2"): "lan.network",
    ("yishi_access_point", "wired.network.j2"): "wired.network",
    ("yishi_access_point", "network.json.j2"): "network.json",
    ("yishi_airgap", "nftables.conf.j2"): "nftables.conf",
    ("yishi_airgap", "81-yishi-airgap-usb-net.rules.j2"): "usb-net.rules",
    ("yishi_appliance", "yishi-lan.conf.j2"): "yishi-lan.conf",
}
# The LAN interface of each mode, and one that must never be the LAN in it.
LAN_INTERFACE = {"builtin": "wlan0", "usb-adapter": "wlan1", "external-ap": "eth0"}
NOT_LAN = {"builtin": "usb0", "usb-adapter": "wlan0", "external-ap": "wlan0"}


def render(out: Path, **overrides) -> dict[str, dict[str, str]]:
    """{mode: {file name: text}} for the test settings (plus `overrides`), one playbook run."""
    settings = provisioning_settings("/nonexistent", out / "wheelhouse", **overrides)
    settings.setdefault("yishi_wifi_passphrase", "meeting-room-ap")  # external-ap requires one
    # Play vars, defaults first: vars_files would outrank the settings, an inventory does not.
    settings = {**yaml.safe_load((PROVISIONING / "roles/yishi/defaults/main.yml").read_text()), **settings}
    settings.pop("yishi_offline")
    items = [{"mode": m, "src": str(PROVISIONING / "roles" / role / "templates" / t), "dest": str(out / m / name)}
             for m in MODES for (role, t), name in TEMPLATES.items()]
    play = [{
        "name": "Render every network mode's files",
        "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": settings,
        "tasks": [
            {"name": "Folders", "ansible.builtin.file": {"path": str(out / "{{ item }}"), "state": "directory",
                                                         "mode": "0755"}, "loop": list(MODES)},
            {"name": "Templates", "ansible.builtin.template": {"src": "{{ item.src }}", "dest": "{{ item.dest }}",
                                                               "mode": "0644"},
             "vars": {"yishi_network_mode": "{{ item.mode }}"}, "loop": items},
        ],
    }]
    playbook = out / "render.yml"
    playbook.write_text(yaml.safe_dump(play, allow_unicode=True))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(out / "ansible-tmp"),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    proc = subprocess.run([ansible_tool("ansible-playbook"), "-i", "localhost,", str(playbook)], cwd=PROVISIONING,
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"rendering the modes failed:\n{(proc.stdout + proc.stderr)[-4000:]}"
    return {m: {name: (out / m / name).read_text() for name in TEMPLATES.values()} for m in MODES}


def network_json(files: dict[str, str]) -> dict:
    return json.loads(files["network.json"])
