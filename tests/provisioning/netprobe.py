"""Tiny TCP/UDP servers and clients for the egress test, run inside network namespaces.

    netprobe.py serve-tcp PORT [PORT ...]   accept, send b"yishi\\n", close (runs until killed)
    netprobe.py serve-udp PORT              echo datagrams back
    netprobe.py tcp HOST PORT [SECONDS]     exit 0 if the greeting arrives within SECONDS (5)
    netprobe.py udp HOST PORT [SECONDS]     exit 0 if the echo arrives within SECONDS (5)
    netprobe.py mcast-listen IFADDR [SECONDS]  print the first datagram to 224.0.0.251:5353
    netprobe.py mcast-send IFADDR           send one datagram to 224.0.0.251:5353
    netprobe.py dns SERVER NAME [SECONDS]   print "rcode=N a=ADDR,ADDR" for an A query

The callers retry what must succeed (test_egress.Net.reaches); one wait of SECONDS is what a
flow that must be blocked gets.
"""

import secrets
import socket
import struct
import sys
import threading

TIMEOUT = 5.0
GROUP = "224.0.0.251"


def serve_tcp(port: int) -> None:
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("::", port))
    srv.listen()
    while True:
        conn, _ = srv.accept()
        conn.sendall(b"yishi\n")
        conn.close()


def dns_query(server: str, name: str, timeout: float = TIMEOUT) -> tuple[int, list[str]]:
    """One A query over UDP; returns (rcode, addresses). Just enough DNS for the tests."""
    qid = secrets.randbits(16)
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".")) + b"\0"
    query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    sock.sendto(query, (server, 53))
    reply = sock.recv(4096)
    rid, flags, _, ancount, _, _ = struct.unpack(">HHHHHH", reply[:12])
    assert rid == qid, "reply to another query"
    pos = 12 + len(qname) + 4
    addresses = []
    for _ in range(ancount):
        while reply[pos] not in (0,) and reply[pos] < 0xC0:  # labels
            pos += reply[pos] + 1
        pos += 2 if reply[pos] >= 0xC0 else 1  # pointer or root label
        rtype, _, _, rdlength = struct.unpack(">HHIH", reply[pos:pos + 10])
        pos += 10
        if rtype == 1:
            addresses.append(socket.inet_ntoa(reply[pos:pos + rdlength]))
        pos += rdlength
    return flags & 0xF, addresses


def seconds(position: int, default: float = TIMEOUT) -> float:
    return float(sys.argv[position]) if len(sys.argv) > position else default


def main() -> int:
    cmd = sys.argv[1]
    if cmd == "serve-tcp":
        for port in sys.argv[2:]:
            threading.Thread(target=serve_tcp, args=(int(port),), daemon=True).start()
        print("ready", flush=True)
        threading.Event().wait()
    if cmd == "serve-udp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("0.0.0.0", int(sys.argv[2])))
        print("ready", flush=True)
        while True:
            data, peer = sock.recvfrom(2048)
            sock.sendto(data, peer)
    if cmd == "tcp":
        host, port = sys.argv[2], int(sys.argv[3])
        try:
            with socket.create_connection((host, port), timeout=seconds(4)) as conn:
                return 0 if conn.recv(16) == b"yishi\n" else 1
        except OSError as e:
            print(e, file=sys.stderr)
            return 1
    if cmd == "udp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(seconds(4))
        sock.sendto(b"ping", (sys.argv[2], int(sys.argv[3])))
        try:
            return 0 if sock.recv(16) == b"ping" else 1
        except OSError as e:
            print(e, file=sys.stderr)
            return 1
    if cmd == "mcast-listen":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("", 5353))
        mreq = socket.inet_aton(GROUP) + socket.inet_aton(sys.argv[2])
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        print("ready", flush=True)
        sock.settimeout(seconds(3, 10))
        try:
            print(sock.recv(64).decode(), flush=True)
        except OSError:
            return 1
        return 0
    if cmd == "mcast-send":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[2]))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
        try:
            sock.bind((sys.argv[2], 5353))
            sock.sendto(b"_yishi._tcp", (GROUP, 5353))
        except OSError as e:  # a firewall drop on output shows up here as EPERM
            print(e, file=sys.stderr)
            return 1
        return 0
    if cmd == "dns":
        try:
            rcode, addresses = dns_query(sys.argv[2], sys.argv[3], seconds(4))
        except OSError as e:
            print(e, file=sys.stderr)
            return 1
        print(f"rcode={rcode} a={','.join(addresses)}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
