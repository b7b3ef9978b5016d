"""What the appliance knows of its meeting network: the mode provisioning chose (read from the
file the yishi_access_point role writes, /etc/yishi/network.json), the tablets on it now
(hostapd's station list through its control socket, or dnsmasq's leases behind an external
access point), and the air-gap watchdog's last report (appliance/network/watchdog.py).
"""

import json
import os
import socket
import time
from dataclasses import dataclass, field

from appliance.rules import capacity

NETWORK_FILE = "/etc/yishi/network.json"
MODES = ("builtin", "usb-adapter", "external-ap")
WATCH_STALE_AFTER = 60  # seconds past a round: the watchdog is not running (or stuck)


class NetworkFileError(Exception):
    """The network file exists but cannot be used; the message names the file and the value."""


@dataclass(frozen=True)
class Network:
    mode: str
    interface: str
    station_limit: int
    ssid: str = ""
    lease_file: str = "/var/lib/misc/dnsmasq.leases"
    hostapd_ctrl: str = "/run/hostapd"
    watch_state: str = "/run/yishi-airgap/state.json"


def network_file(config):
    return config.extra.get("network_file") or os.environ.get("YISHI_NETWORK_FILE") or NETWORK_FILE


def load(path):
    """The provisioned network, or None when there is no file (a development machine)."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise NetworkFileError(f"{path}: cannot read the network settings ({e})") from e
    if not isinstance(raw, dict):
        raise NetworkFileError(f"{path}: expected a JSON object, got {type(raw).__name__}")
    mode, limit = raw.get("mode"), raw.get("station_limit")
    if mode not in MODES:
        raise NetworkFileError(f"{path}: 'mode' is {mode!r}, expected one of {', '.join(MODES)}")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise NetworkFileError(f"{path}: 'station_limit' is {limit!r}, expected a whole number of 1 or more")
    known = {k: v for k, v in raw.items() if k in Network.__dataclass_fields__ and isinstance(v, (str, int))}
    return Network(**known)


# -- tablets on the network ---------------------------------------------------------------------

def leases(path, now=None):
    """Devices holding a dnsmasq lease now (a line: expiry mac ip name client-id; expiry 0 = never)."""
    now = time.time() if now is None else now
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return 0
    macs = set()
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit() and (int(parts[0]) == 0 or int(parts[0]) > now):
            macs.add(parts[1].lower())
    return len(macs)


def hostapd_stations(ctrl_dir, interface, timeout=2.0):
    """Stations associated with hostapd now, asked over its control socket (what `hostapd_cli
    list_sta` does: STA-FIRST, then STA-NEXT until the list ends)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.bind("\0yishi-hostapd-%d-%d" % (os.getpid(), time.monotonic_ns()))  # abstract: no file to leave
        s.settimeout(timeout)
        s.connect(os.path.join(ctrl_dir, interface))
        count, command = 0, b"STA-FIRST"
        while count < 4096:
            s.send(command)
            reply = s.recv(8192).decode("ascii", "replace")
            first = reply.split("\n", 1)[0].strip()
            if not first or first == "FAIL" or ":" not in first:
                return count
            count += 1
            command = f"STA-NEXT {first}".encode()
        return count
    finally:
        s.close()


def stations(net):
    """How many tablets are on the network now, or None when it cannot be known (said why)."""
    if net.mode == "external-ap":
        return leases(net.lease_file), None
    try:
        return hostapd_stations(net.hostapd_ctrl, net.interface), None
    except OSError as e:
        return None, f"{os.path.join(net.hostapd_ctrl, net.interface)}: {e}"


# -- the watchdog's report ----------------------------------------------------------------------

@dataclass
class WatchReport:
    running: bool
    findings: list = field(default_factory=list)
    updated_at: float | None = None
    problem: str = ""


def watch_report(path, now=None):
    """The watchdog's state file: its findings, and whether it is running at all."""
    now = time.time() if now is None else now
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        findings = [f for f in doc.get("findings", []) if isinstance(f, dict) and f.get("kind") and f.get("id")]
        updated = float(doc["updated_at"])
        interval = float(doc.get("interval", 10))
    except FileNotFoundError:
        return WatchReport(False, problem=f"{path} does not exist")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return WatchReport(False, problem=f"{path}: {e}")
    running = now - updated <= interval + WATCH_STALE_AFTER
    return WatchReport(running, findings, updated, "" if running else f"{path} last written {int(now - updated)} s ago")


def overview(config, now=None):
    """Everything the admin page shows about the network, as one dict of plain values."""
    try:
        net = load(network_file(config))
    except NetworkFileError as e:
        return {"network": None, "problem": str(e), "capacity": capacity.assess(None, None), "watch": None}
    if net is None:
        return {"network": None, "problem": "", "capacity": capacity.assess(None, None), "watch": None}
    count, problem = stations(net)
    return {"network": net, "problem": problem or "", "capacity": capacity.assess(count, net.station_limit),
            "watch": watch_report(net.watch_state, now)}
