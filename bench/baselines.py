"""The physical limits the server's figures are divided by, measured in the same run.

- `commits`: durable single-row commits per second on a raw sqlcipher3 connection opened by the
  store's own `_connect` (same key form, WAL, synchronous=FULL, secure_delete), one
  `BEGIN IMMEDIATE; INSERT; COMMIT` per ballot-sized row: the ceiling for acknowledged ballots
  unless commits are batched. The same with 16 rows per COMMIT shows what batching buys.
- `Nginx`: Debian's nginx (one worker process, like our one gunicorn worker) serving a file on
  loopback over HTTPS with the appliance's own certificate, and over plain HTTP, which shows
  how fast the load generator itself can read.

    python -m bench.baselines commits --dir DIR [--seconds 3]
"""

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def commits(directory, seconds=3.0, rows_per_commit=1):
    from appliance.store.db import _connect

    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"raw-{rows_per_commit}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    conn = _connect(path, os.urandom(32))
    # The ballots table's shape: random key, WITHOUT ROWID (appliance/store/migrations).
    conn.execute("CREATE TABLE ballots (poll_id INTEGER NOT NULL, id TEXT NOT NULL, tracker TEXT, choice TEXT NOT NULL, "
                 "PRIMARY KEY (poll_id, id)) WITHOUT ROWID")
    n = 0
    lat = []
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(rows_per_commit):
            conn.execute("INSERT INTO ballots VALUES (1, ?, 'ABCDEFGH', 'yes')", (secrets.token_hex(16),))
        conn.execute("COMMIT")
        lat.append(time.perf_counter() - t)
        n += rows_per_commit
    wall = time.perf_counter() - t0
    conn.close()
    lat.sort()
    return {"rows_per_commit": rows_per_commit, "rows_per_s": round(n / wall, 1), "commits_per_s": round(len(lat) / wall, 1),
            "commit_p50_ms": round(lat[len(lat) // 2] * 1000, 3), "commit_p99_ms": round(lat[int(len(lat) * 0.99)] * 1000, 3)}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


NGINX_CONF = """
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
{user}
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 30;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    types {{ application/pdf pdf; }}
    server {{
        listen 127.0.0.1:{https_port} ssl;
        ssl_certificate {crt};
        ssl_certificate_key {key};
        root {www};
    }}
    server {{
        listen 127.0.0.1:{http_port};
        root {www};
    }}
}}
"""


class Nginx:
    """A throw-away nginx on two free loopback ports, started and stopped by us."""

    def __init__(self, pdf_path, crt, key, cpu=None):
        # Its own folder straight under /tmp: nginx's worker runs as nobody when we are root,
        # and must be able to walk to the file.
        self.prefix = prefix = tempfile.mkdtemp(prefix="yishi-bench-nginx-")
        self.www = os.path.join(prefix, "www")
        os.makedirs(os.path.join(prefix, "tmp"), exist_ok=True)
        os.makedirs(self.www, exist_ok=True)
        for d in (prefix, self.www):
            os.chmod(d, 0o755)  # the worker runs as nobody when we are root
        shutil.copyfile(pdf_path, os.path.join(self.www, "doc.pdf"))
        os.chmod(os.path.join(self.www, "doc.pdf"), 0o644)
        self.https_port, self.http_port = free_port(), free_port()
        self.conf = os.path.join(prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(NGINX_CONF.format(prefix=prefix, www=self.www, crt=crt, key=key, https_port=self.https_port,
                                      http_port=self.http_port, user="user nobody nogroup;" if os.geteuid() == 0 else ""))
        self.cpu = cpu
        self.proc = None

    @property
    def https_url(self):
        return f"https://127.0.0.1:{self.https_port}/doc.pdf"

    @property
    def http_url(self):
        return f"http://127.0.0.1:{self.http_port}/doc.pdf"

    def start(self):
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        pre = (lambda: os.sched_setaffinity(0, {self.cpu})) if self.cpu is not None else None
        self.proc = subprocess.Popen([exe, "-p", self.prefix, "-c", self.conf, "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.prefix, "stderr.log"), "wb"),
                                     preexec_fn=pre)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                with open(os.path.join(self.prefix, "stderr.log")) as f:
                    raise RuntimeError(f"nginx exited with {self.proc.returncode}: {f.read()[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.http_port), 0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not listen within 10 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: workers exit, then the master
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        shutil.rmtree(self.prefix, ignore_errors=True)


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench.baselines")
    sub = p.add_subparsers(dest="what", required=True)
    c = sub.add_parser("commits")
    c.add_argument("--dir", required=True)
    c.add_argument("--seconds", type=float, default=3.0)
    c.add_argument("--cpu", type=int)
    args = p.parse_args(argv)
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    # The disk of a VM answers fsync unevenly: three tries each, the median one is reported.
    runs = sorted((commits(args.dir, args.seconds, 1) for _ in range(3)), key=lambda r: r["rows_per_s"])
    runs16 = sorted((commits(args.dir, args.seconds, 16) for _ in range(3)), key=lambda r: r["rows_per_s"])
    out = {"single": {**runs[1], "tries": [r["rows_per_s"] for r in runs]},
           "batched16": {**runs16[1], "tries": [r["rows_per_s"] for r in runs16]}}
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
