"""The SD-card image booted in QEMU serves a meeting: sealed at first, unlocked over HTTPS from
the host, a tablet paired through the API, a member signed in (签到) and a secret ballot cast;
inside the guest the air gap is loaded and the service runs as its unprivileged user.

The guest is the image's own kernel and initrd (taken off its FAT partition), on qemu's virt
machine: Raspberry Pi hardware (firmware boot, Wi-Fi chip) is not emulated; docs/image.md lists
what an admin checks on a real Pi.
"""

from __future__ import annotations

import ssl
import tempfile

import httpx
import pytest

from tests.image.conftest import wait_for

pytestmark = pytest.mark.image

PASSPHRASE = "image test passphrase 议事"
# Bounds for requests and commands in the emulated guest (Argon2 and SQLCipher under software
# emulation, perhaps on a busy machine): generous, since they end as soon as the work is done.
HTTP_TIMEOUT = 300
DEMO_TIMEOUT = 1800


def ballot(choice: str, n: int) -> dict:
    return {"choice": choice, "ballot_id": f"{n:032x}",
            "tracker": "".join("23456789ABCDEFGH"[(n >> (4 * i)) & 15] for i in range(8))}


@pytest.fixture(scope="module")
def appliance_ca(guest) -> ssl.SSLContext:
    """Trust exactly this appliance's CA (made at its first boot), as a paired tablet does."""
    pem = guest.ssh("sudo cat /var/lib/yishi/tls/ca.crt").stdout
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    with tempfile.NamedTemporaryFile("w", suffix=".crt", delete=False) as f:
        f.write(pem)
    ctx = ssl.create_default_context(cafile=f.name)
    # The certificate names yishi.lan and the appliance's own addresses; the test reaches it
    # through a forwarded port on 127.0.0.1, so the name cannot match.
    ctx.check_hostname = False
    return ctx


def test_first_boot_made_the_secrets_and_grew_the_data_partition(guest):
    out = guest.ssh("sudo ls /var/lib/yishi /var/lib/yishi/tls; sudo stat -c '%U %a' /var/lib/yishi").stdout
    assert "ca.crt" in out and "config.json" in out
    assert "yishi 700" in out
    assert guest.ssh("sudo ls /etc/ssh").stdout.count("_key.pub") >= 2, "no SSH host keys made at first boot"
    # The copy is 512 MiB bigger than the image: the data partition took it.
    size = int(guest.ssh("df --output=size -B1M /var/lib/yishi | tail -1").stdout)
    assert size > 400, f"the data partition was not grown: {size} MiB"
    assert "YISHIDATA" in guest.ssh("lsblk -no LABEL $(findmnt -no SOURCE /var/lib/yishi)").stdout


def test_firmware_partition_is_mounted_and_the_boot_requires_it(guest):
    # Kernel updates write into /boot/firmware: the boot must not go on without it (fstab.j2).
    assert "local-fs.target" in guest.ssh("sudo systemctl show -P RequiredBy boot-firmware.mount").stdout.split()
    wait_for("/boot/firmware mounted", lambda: guest.ssh("findmnt -no FSTYPE /boot/firmware", check=False)
             .stdout.strip() == "vfat", guest, 300)
    assert guest.ssh("sudo test -f /boot/firmware/config.txt", check=False).returncode == 0


def test_sealed_page_over_https_then_unlocked_from_the_host(guest, appliance_ca):
    with httpx.Client(base_url=guest.url, headers={"Origin": guest.url}, verify=appliance_ca, timeout=HTTP_TIMEOUT) as c:
        health = c.get("/healthz")
        assert health.json()["sealed"] is True
        assert health.headers["server"] == "nginx"  # nginx in front (appliance/edge.py), gunicorn behind it
        page = c.get("/")
        assert page.status_code == 503 and "yishi init" in page.text  # no store yet: how to continue
        # The admin creates the store on the appliance (SSH), as the console message says; the
        # demo committee gives the meeting its people. The service stays sealed meanwhile.
        guest.ssh("sudo sh -c 'umask 077; cat > /run/yishi-pass; chown yishi:yishi /run/yishi-pass'",
                  input=PASSPHRASE + "\n")
        guest.ssh("sudo -u yishi /opt/yishi/venv/bin/yishi demo --data /var/lib/yishi "
                  "--passphrase-file /run/yishi-pass && sudo rm /run/yishi-pass", timeout=DEMO_TIMEOUT)
        assert c.get("/healthz").json()["sealed"] is True
        assert 'name="passphrase"' in c.get("/").text
        r = c.post("/unlock", data={"passphrase": "not the passphrase"})
        assert r.status_code == 403 and c.get("/healthz").json()["sealed"] is True
        r = c.post("/unlock", data={"passphrase": PASSPHRASE})
        assert r.status_code == 302, r.text[:500]
        assert c.get("/healthz").json()["sealed"] is False


def test_a_tablet_pairs_signs_in_and_votes(guest, appliance_ca):
    kw = dict(base_url=guest.url, headers={"Origin": guest.url}, verify=appliance_ca, timeout=HTTP_TIMEOUT)
    with httpx.Client(**kw) as admin, httpx.Client(**kw) as sec, httpx.Client(**kw) as tablet:
        if admin.get("/healthz").json()["sealed"]:
            pytest.fail("the appliance is still sealed (the unlock test failed first)")
        assert admin.post("/api/v1/login", json={"username": "admin", "password": "yishi-admin"}).status_code == 200
        assert sec.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"}).status_code == 200
        # Pairing: one-time invite -> short code on the tablet -> admin approves -> device credential.
        token = admin.post("/api/v1/admin/invites").json()["url"].split("#t=")[1]
        start = tablet.post("/api/v1/pair/start", json={"token": token, "device_name": "座位 1"})
        assert start.status_code == 200, start.text
        code = start.json()["short_code"]
        req = next(p for p in admin.get("/api/v1/admin/pairing").json()["requests"] if p["short_code"] == code)
        assert admin.post(f"/api/v1/admin/pairing/{req['id']}/approve", json={}).status_code == 200
        assert tablet.get("/api/v1/pair/status").json()["status"] == "approved"
        # The member signs in on the paired tablet with a PIN.
        people = tablet.get("/api/v1/signin/people").json()["people"]
        ids = {p["name"]: p["id"] for p in people}
        r = tablet.post("/api/v1/signin", json={"person_id": ids["王建国"], "pin": "111101"})
        assert r.status_code == 200 and r.json()["person"]["name"] == "王建国"
        # A meeting with one item; sign-in opens, the member signs in (签到), the secretary signs
        # in seven more on their behalf so that the quorum (8 of 15) is met.
        r = sec.post("/api/v1/meetings", json={"kind": "standing", "title": "镜像测试会议",
                                               "starts_at": "2026-06-29T09:00"})
        assert r.status_code == 200, r.text
        mid = r.json()["id"]
        item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于镜像测试的决定（草案）", "kind": "bill"}).json()["id"]
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        r = tablet.post(f"/api/v1/meetings/{mid}/signin")
        assert r.status_code == 200, r.text
        for name in ["李秀英", "张伟", "刘芳", "陈静", "杨勇", "赵敏", "黄磊"]:
            r = sec.post(f"/api/v1/meetings/{mid}/people/{ids[name]}/signin", json={"reason": "镜像测试代签"})
            assert r.status_code == 200, r.text
        assert sec.get(f"/api/v1/meetings/{mid}").json()["attendance"]["quorum_met"] is True
        # A secret poll: opened, one ballot cast from the tablet, closed and counted by the law.
        pid = sec.post(f"/api/v1/items/{item}/polls", json={"mode": "secret", "rule": "majority"}).json()["id"]
        assert sec.post(f"/api/v1/polls/{pid}/open", json={}).status_code == 200
        r = tablet.post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1))
        assert r.status_code == 200 and r.json() == {"recorded": True, "retry": False}
        result = sec.post(f"/api/v1/polls/{pid}/close").json()
        assert (result["yes"], result["no"], result["abstain"], result["not_voted"]) == (1, 0, 0, 7)
        assert result["passed"] is False


def test_air_gap_rules_are_loaded(guest):
    ruleset = guest.ssh("sudo nft list ruleset").stdout
    assert "table inet yishi" in ruleset
    for chain in ("input", "forward", "output"):
        assert f"hook {chain} priority filter; policy drop;" in ruleset, f"{chain}: not default drop\n{ruleset}"
    assert guest.ssh("ip -4 route show default").stdout.strip() == "", "the appliance has a default route"
    assert guest.ssh("cat /proc/sys/net/ipv4/ip_forward").stdout.strip() == "0"
    assert "ipv6.disable=1" in guest.ssh("cat /proc/cmdline").stdout


def test_service_runs_as_its_unprivileged_user(guest):
    pid = guest.ssh("sudo systemctl show -P MainPID yishi.service").stdout.strip()
    assert pid not in ("", "0"), "yishi.service has no main process"
    users = guest.ssh(f"ps -o user= --pid {pid} --ppid {pid}").stdout.split()
    assert users and set(users) == {"yishi"}, users
    caps = guest.ssh(f"grep CapEff /proc/{pid}/status").stdout.split()[1]
    assert int(caps, 16) == 1 << 10, f"effective capabilities {caps}: expected CAP_NET_BIND_SERVICE only"
    assert guest.ssh("sudo systemctl is-active yishi.service").stdout.strip() == "active"


def test_usb_stick_is_seen_by_the_guest_and_starts_nothing_yet(guest):
    """The emulated USB stick reaches the guest's udev (the stick tests of the USB door will run
    here); the helper's unit is installed, but until it runs inside its sandbox in this guest no
    udev rule starts it (roles/yishi_usb), so a stick starts nothing and nothing mounts it."""
    wait_for("udev to see the USB stick", lambda: "YISHIUSB" in guest.ssh(
        "sudo udevadm settle --timeout=120; lsblk -no LABEL", check=False).stdout, guest, 300)
    out = guest.ssh("lsblk -dno NAME,TRAN,LABEL -e 7; lsblk -no NAME,LABEL,FSTYPE").stdout
    assert "usb" in out and "YISHIUSB" in out, out
    assert guest.ssh("test -f /etc/systemd/system/yishi-usb@.service && echo installed", check=False).stdout.strip() == "installed"
    units = guest.ssh("sudo systemctl list-units --all --no-legend 'yishi-usb@*' 'yishi-usb-export@*'", check=False).stdout
    assert units.strip() == "", "a USB unit was started by the stick:\n" + units
    assert "YISHIUSB" not in guest.ssh("findmnt -rn -o SOURCE,TARGET,LABEL", check=False).stdout


def test_no_unit_failed_but_hostapd(guest):
    """QEMU's virt machine has no Wi-Fi interface, so hostapd fails; nothing else may."""
    wait_for("the boot to finish", lambda: guest.ssh("sudo systemctl is-system-running", check=False).stdout.strip()
             in ("running", "degraded"), guest, 600)
    failed = guest.ssh("sudo systemctl list-units --failed --plain --no-legend --full").stdout
    names = {line.split()[0] for line in failed.splitlines() if line.strip()}
    assert names <= {"hostapd.service"}, failed


def test_units_are_no_more_exposed_than_recorded_as_they_run(guest):
    """systemd-analyze security on the booted appliance: the units as loaded, drop-ins included."""
    from tests.provisioning.conftest import assert_exposure_within_record, parse_exposure

    for unit in ("yishi.service", "yishi-firstboot.service", "yishi-wifi-firstboot.service",
                 "yishi-ssh-hostkeys.service", "yishi-grow-data.service"):
        report = guest.ssh(f"sudo systemd-analyze security --no-pager {unit}", check=False)
        exposure, text = parse_exposure(report.stdout + report.stderr, f"{unit} in the guest")
        assert_exposure_within_record(unit, exposure, text)
