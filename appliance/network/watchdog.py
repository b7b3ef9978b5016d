"""The air-gap watchdog (`python -m appliance.network.watchdog`): a small long-running program
that watches the meeting LAN for anything that could open the air gap, and writes what it saw
to a state file the web app reads (appliance/network/alerts.py).

It looks for four things, each of which a wrongly plugged device brings with it (a home router
with its DHCP left on, an access point in router mode, a phone sharing its mobile data):

- a second DHCP server: every round it broadcasts a DHCPDISCOVER and listens for offers whose
  server is not this appliance;
- a default gateway offered to clients: the router option in any such foreign offer;
- an IPv6 router advertisement: it sends a router solicitation and listens for advertisements
  (the appliance itself has IPv6 off, so any advertisement is foreign);
- DNS answers that do not come from the appliance: it broadcasts a DNS query (a resolver bound
  to all addresses answers it) and notes any DNS answer from another address, and any DNS
  server a foreign DHCP offer names.

Everything goes through one AF_PACKET socket on the LAN interface, so the program needs only
CAP_NET_RAW (no port to bind, no address to hold, no route): it sees the frames before the
firewall drops them, and its own probes are link-local broadcasts that no router forwards.
"""

import argparse
import json
import logging
import os
import random
import select
import socket
import struct
import sys
import time

log = logging.getLogger("yishi.airgap-watch")

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
BROADCAST_MAC = b"\xff" * 6
ALL_ROUTERS_MAC = bytes.fromhex("333300000002")
ALL_ROUTERS = socket.inet_pton(socket.AF_INET6, "ff02::2")
DHCP_MAGIC = b"\x63\x82\x53\x63"
PROBE_NAME = "yishi-airgap-probe.invalid"

DHCP, GATEWAY, ROUTER_ADVERTISEMENT, DNS = "dhcp", "gateway", "ipv6_ra", "dns"
KINDS = (DHCP, GATEWAY, ROUTER_ADVERTISEMENT, DNS)


# -- packets ------------------------------------------------------------------------------------

def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ipv4_udp(src_ip, dst_ip, sport, dport, payload, ident=0):
    udp_len = 8 + len(payload)
    pseudo = socket.inet_aton(src_ip) + socket.inet_aton(dst_ip) + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    csum = _checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident, 0, 64, 17, 0,
                         socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + udp


def dhcp_discover(xid, chaddr):
    """A DHCPDISCOVER with the broadcast flag set, so every server's offer comes back broadcast."""
    body = struct.pack("!BBBBIHH4s4s4s4s", 1, 1, 6, 0, xid, 0, 0x8000, b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4)
    body += chaddr + b"\0" * 10 + b"\0" * 64 + b"\0" * 128 + DHCP_MAGIC
    body += bytes([53, 1, 1])                 # DHCPDISCOVER
    body += bytes([55, 4, 1, 3, 6, 54])       # ask for netmask, router, DNS, server id
    body += bytes([255])
    return body


def dns_query(qid, name=PROBE_NAME):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def router_solicitation(src_mac):
    """ICMPv6 router solicitation from the unspecified address (RFC 4861 6.3.7 allows it, with
    no link-layer option); routers answer to all-nodes."""
    src = bytes(16)
    icmp = struct.pack("!BBHI", 133, 0, 0, 0)
    pseudo = src + ALL_ROUTERS + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", _checksum(pseudo + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB16s16s", 6 << 28, len(icmp), 58, 255, src, ALL_ROUTERS)
    return ALL_ROUTERS_MAC + src_mac + struct.pack("!H", ETH_P_IPV6) + ip6 + icmp


def _mac(b):
    return ":".join(f"{x:02x}" for x in b)


def _dhcp_options(data):
    opts, i = {}, 0
    while i < len(data):
        code = data[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(data):
            break
        n = data[i + 1]
        opts[code] = data[i + 2:i + 2 + n]
        i += 2 + n
    return opts


def _ipv4_list(raw):
    return [socket.inet_ntoa(raw[i:i + 4]) for i in range(0, len(raw) - len(raw) % 4, 4)]


def parse_frame(frame):
    """What one Ethernet frame tells the watchdog: a list of (kind, source, mac, detail)."""
    if len(frame) < 14:
        return []
    src_mac, ethertype = frame[6:12], struct.unpack("!H", frame[12:14])[0]
    payload = frame[14:]
    if ethertype == ETH_P_IPV6 and len(payload) >= 41:
        next_header, src = payload[6], payload[8:24]
        if next_header == 58 and payload[40] == 134:
            return [(ROUTER_ADVERTISEMENT, socket.inet_ntop(socket.AF_INET6, src), _mac(src_mac), {})]
        return []
    if ethertype != ETH_P_IP or len(payload) < 28 or payload[9] != 17:
        return []
    ihl = (payload[0] & 0x0F) * 4
    src_ip = socket.inet_ntoa(payload[12:16])
    sport, dport = struct.unpack("!HH", payload[ihl:ihl + 4])
    udp = payload[ihl + 8:]
    if sport == 67 and dport == 68 and len(udp) >= 240 and udp[0] == 2 and udp[236:240] == DHCP_MAGIC:
        opts = _dhcp_options(udp[240:])
        if opts.get(53, b"\0")[0] not in (2, 5):  # OFFER or ACK
            return []
        server = socket.inet_ntoa(opts[54]) if len(opts.get(54, b"")) == 4 else src_ip
        found = [(DHCP, server, _mac(src_mac), {"offered": socket.inet_ntoa(udp[16:20])})]
        if opts.get(3):
            found.append((GATEWAY, server, _mac(src_mac), {"routers": _ipv4_list(opts[3])}))
        if opts.get(6):
            found.append((DNS, server, _mac(src_mac), {"dns_servers": _ipv4_list(opts[6])}))
        return found
    if sport == 53 and len(udp) >= 12 and udp[2] & 0x80:  # a DNS response
        return [(DNS, src_ip, _mac(src_mac), {})]
    return []


# -- the watch ----------------------------------------------------------------------------------

def interface_addresses(interface):
    """The IPv4 addresses and MAC of `interface` (from `ip`, which every Debian has)."""
    import subprocess

    out = subprocess.run(["ip", "-j", "addr", "show", "dev", interface], capture_output=True, text=True, check=True)
    info = json.loads(out.stdout)[0]
    addrs = {a["local"] for a in info.get("addr_info", []) if a.get("family") == "inet"}
    return addrs, bytes.fromhex(info.get("address", "00:00:00:00:00:00").replace(":", ""))


class Watch:
    """The findings of one interface; `forget` seconds after a thing was last seen it is gone."""

    def __init__(self, interface, state_path, interval=10.0, forget=60.0, own=None):
        self.interface, self.state_path = interface, state_path
        self.interval, self.forget = interval, forget
        self.own_extra = set(own or ())
        self.findings = {}  # (kind, source) -> dict
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((interface, 0))
        # A made-up, locally administered client address: offers to it can never be mistaken
        # for a real tablet's, and the appliance's own MAC stays out of other servers' tables.
        self.chaddr = bytes([0x02 | (random.randrange(256) & 0xFC)]) + os.urandom(5)
        self.xid = random.getrandbits(32)
        self.started = time.time()

    def own_addresses(self):
        addrs, mac = interface_addresses(self.interface)
        return addrs | self.own_extra, mac

    def probe(self):
        addrs, mac = self.own_addresses()
        self.xid = (self.xid + 1) & 0xFFFFFFFF
        discover = _ipv4_udp("0.0.0.0", "255.255.255.255", 68, 67, dhcp_discover(self.xid, self.chaddr))
        src_ip = sorted(addrs)[0] if addrs else "0.0.0.0"
        query = _ipv4_udp(src_ip, "255.255.255.255", random.randrange(33000, 60000), 53,
                          dns_query(random.getrandbits(16)))
        for frame in (BROADCAST_MAC + mac + struct.pack("!H", ETH_P_IP) + discover,
                      BROADCAST_MAC + mac + struct.pack("!H", ETH_P_IP) + query,
                      router_solicitation(mac)):
            try:
                self.sock.send(frame)
            except OSError as e:  # the link is down (cable out): keep listening, say so once a round
                log.warning("probe on %s not sent: %s", self.interface, e)

    def saw(self, frame, own_addrs, own_mac, now):
        if frame[6:12] == own_mac:
            return False
        changed = False
        for kind, source, mac, detail in parse_frame(frame):
            if source in own_addrs:
                continue
            key = (kind, source)
            f = self.findings.get(key)
            if f is None:
                f = self.findings[key] = {"kind": kind, "source": source, "mac": mac, "detail": detail,
                                          "first_seen": now, "id": f"{kind}:{source}:{int(now)}"}
                log.warning("air gap: %s from %s (%s) %s", kind, source, mac, detail)
                changed = True
            f["last_seen"], f["mac"] = now, mac
            if detail:
                f["detail"] = detail
        return changed

    def expire(self, now):
        gone = [k for k, f in self.findings.items() if now - f["last_seen"] > self.forget]
        for k in gone:
            log.warning("air gap: %s from %s no longer seen", *k)
            del self.findings[k]
        return bool(gone)

    def write(self, now):
        doc = {"interface": self.interface, "pid": os.getpid(), "started_at": self.started, "updated_at": now,
               "interval": self.interval,
               "findings": sorted(self.findings.values(), key=lambda f: (f["first_seen"], f["kind"]))}
        tmp = self.state_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.state_path)

    def run(self, rounds=None):
        n = 0
        while rounds is None or n < rounds:
            n += 1
            own_addrs, own_mac = self.own_addresses()
            self.probe()
            deadline = time.monotonic() + self.interval
            self.write(time.time())
            while (left := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select([self.sock], [], [], left)
                if not ready:
                    break
                frame = self.sock.recv(65535)
                now = time.time()
                if self.saw(frame, own_addrs, own_mac, now):
                    self.write(now)  # at once: the banner is due within 30 s of the sighting
            if self.expire(time.time()):
                self.write(time.time())


def main(argv=None):
    ap = argparse.ArgumentParser(prog="yishi-airgap-watch", description=__doc__.split("\n\n")[0])
    ap.add_argument("--interface", help="the meeting LAN interface (default: from --network-file)")
    ap.add_argument("--network-file", default="/etc/yishi/network.json")
    ap.add_argument("--state", help="where to write the findings (default: from --network-file)")
    ap.add_argument("--interval", type=float, default=10.0, help="seconds between probes")
    ap.add_argument("--forget", type=float, default=60.0, help="a thing not seen for this long is gone")
    ap.add_argument("--rounds", type=int, help="stop after this many rounds (tests)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    interface, state = args.interface, args.state
    if not interface or not state:
        try:
            with open(args.network_file, encoding="utf-8") as f:
                net = json.load(f)
        except (OSError, ValueError) as e:
            print(f"yishi-airgap-watch: cannot read {args.network_file} ({e}); give --interface and --state",
                  file=sys.stderr)
            return 2
        interface = interface or net.get("interface")
        state = state or net.get("watch_state")
    if not interface or not state:
        print("yishi-airgap-watch: no interface or state file named", file=sys.stderr)
        return 2
    try:
        watch = Watch(interface, state, interval=args.interval, forget=args.forget)
    except OSError as e:
        print(f"yishi-airgap-watch: cannot listen on {interface}: {e} (it needs CAP_NET_RAW)", file=sys.stderr)
        return 1
    watch.run(args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
