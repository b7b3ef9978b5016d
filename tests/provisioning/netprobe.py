"""Tiny TCP/UDP servers and clients for the egress test, run inside network namespaces.

    netprobe.py serve-tcp PORT [PORT ...]   accept, send b"yishi\\n", close (runs until killed)
    netprobe.py serve-udp PORT              echo datagrams back
    netprobe.py tcp HOST PORT               exit 0 if the greeting arrives within 1.5 s
    netprobe.py udp HOST PORT               exit 0 if the echo arrives within 1.5 s
    netprobe.py mcast-listen IFADDR         print the first datagram to 224.0.0.251:5353
    netprobe.py mcast-send IFADDR           send one datagram to 224.0.0.251:5353
"""

import socket
import sys
import threading

TIMEOUT = 1.5
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
            with socket.create_connection((host, port), timeout=TIMEOUT) as conn:
                return 0 if conn.recv(16) == b"yishi\n" else 1
        except OSError as e:
            print(e, file=sys.stderr)
            return 1
    if cmd == "udp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(TIMEOUT)
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
        sock.settimeout(10)
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
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
