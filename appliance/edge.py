"""The edge: nginx in front of gunicorn, and nchan carrying the live events.

`yishi serve` writes this configuration into the data folder (`edge/nginx.conf`) and runs nginx
as its child; on the Pi the `yishi-edge` unit runs the same configuration (`yishi edge-config`
writes it). nginx terminates TLS with the appliance's own certificate, answers the plain-HTTP
port, serves /static itself, shields the app (timeouts, body limits per route, connection and
sign-in limits) and proxies the rest to gunicorn over a Unix socket. Live events go out through
nchan: the app publishes on an internal Unix socket, and `/api/v1/events` answers with an
`X-Accel-Redirect` to an internal subscriber location naming the channels the app allowed.
See docs/serving.md for why.
"""

import ctypes
import html
import logging
import os
import pwd
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from appliance import tls

log = logging.getLogger("yishi.edge")

NGINX = "/usr/sbin/nginx"
NCHAN_MODULE = "/usr/lib/nginx/modules/ngx_nchan_module.so"
MIME_TYPES = "/etc/nginx/mime.types"

# Body limits. Sign-in and pairing carry a few fields; any other JSON or form is small; only the
# routes that take a document may carry one (the app's own MAX_CONTENT_LENGTH bounds it again).
SIGNIN_BODY = "16k"
DEFAULT_BODY = "1m"
UPLOAD_PATHS = (  # regexes for nginx; tests/edge/test_limits.py checks them against the app's routes
    r"^/api/v1/meetings/\d+/materials$",
    r"^/api/v1/materials/\d+/replace$",
    r"^/api/v1/office/(circulations|consultations|outgoing|outgoing/\d+/versions|archive)$",
    r"^/office/(circulations/new|consultations/new|outgoing/new|outgoing/\d+/revise|archive/file)$",
    r"^/api/v1/office/items/\d+/opinions/report$",  # 审议意见: the handling report
    r"^/office/opinions/items/\d+/report$",
)
SIGNIN_PATHS = r"^/(api/v1/(login|signin|pair/start|unlock)|login|signin|unlock)$"
# Clients exempt from the per-address limits: the appliance itself. Tablets never come from
# loopback (and the benchmark, which simulates 500 tablets from 127.0.0.1, must not be limited).
EXEMPT = ("127.0.0.1", "::1")
CONNECTIONS_PER_ADDRESS = 64
STREAMS_PER_SESSION = 8
SIGNIN_RATE = "5r/s"
SIGNIN_BURST = 20

CAPTIVE_PROBES = {  # path: (status, body, type); see appliance/serve.py
    "/generate_204": (204, "", "text/plain"),  # Android, Chrome OS
    "/gen_204": (204, "", "text/plain"),
    "/hotspot-detect.html": (200, "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>", "text/html"),  # Apple
    "/library/test/success.html": (200, "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>", "text/html"),
    "/ncsi.txt": (200, "Microsoft NCSI", "text/plain"),  # Windows
    "/connecttest.txt": (200, "Microsoft Connect Test", "text/plain"),
}

# What nginx answers itself, in the app's JSON error shape, per language (the `lang` cookie).
REFUSALS = {
    413: ("request_entity_too_large", {"zh_CN": "文件太大。", "en": "The file is too large."}),
    429: ("too_many_requests", {"zh_CN": "请求太频繁，请稍后再试。", "en": "Too many requests: please try again in a moment."}),
    502: ("unavailable", {"zh_CN": "议事系统正在重新启动，请稍候。", "en": "The appliance is restarting: please wait a moment."}),
}


def runtime_dir():
    """Where the Unix sockets live: systemd's RuntimeDirectory, else a fresh private folder
    (a data folder's path can be longer than a socket address may be)."""
    d = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    if d:
        return d
    return tempfile.mkdtemp(prefix="yishi-run-")


@dataclass
class Layout:
    data_dir: str
    run_dir: str
    host: str = "127.0.0.1"
    port: int = 8443
    http_port: int | None = None
    public_url: str = ""
    static_dir: str = ""
    max_upload: int = 64 * 1024 * 1024
    workers: int = 1
    exempt: tuple = EXEMPT
    extra: dict = field(default_factory=dict)

    @property
    def prefix(self):
        return os.path.join(self.data_dir, "edge")

    @property
    def conf(self):
        return os.path.join(self.prefix, "nginx.conf")

    @property
    def pid_file(self):
        return os.path.join(self.prefix, "nginx.pid")

    @property
    def app_socket(self):
        return os.path.join(self.run_dir, "app.sock")

    @property
    def publish_socket(self):
        return os.path.join(self.run_dir, "publish.sock")


def _https_base(layout):
    if layout.public_url:
        parts = urlsplit(layout.public_url)
        if parts.scheme == "https" and parts.hostname:
            return f"https://{parts.netloc}", True
    return "https://$edge_server_addr" + ("" if layout.port == 443 else f":{layout.port}"), False


def _q(s):
    """A string as an nginx quoted argument."""
    assert "$" not in s.replace("$edge_server_addr", ""), s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_static(layout):
    """The pages nginx answers by itself: the refusals in JSON and HTML, per language."""
    d = os.path.join(layout.prefix, "pages")
    os.makedirs(d, exist_ok=True)
    import json

    for status, (code, messages) in REFUSALS.items():
        for lang, msg in messages.items():
            with open(os.path.join(d, f"{status}.{lang}.json"), "w", encoding="utf-8") as f:
                json.dump({"error": {"code": code, "message": msg}}, f, ensure_ascii=False)
            with open(os.path.join(d, f"{status}.{lang}.html"), "w", encoding="utf-8") as f:
                f.write(f'<!doctype html><html lang="{lang.replace("_", "-")}"><meta charset="utf-8">'
                        f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{status}</title>'
                        f'<body style="font:20px/1.5 sans-serif;max-width:40em;margin:1em auto;padding:0 1em">'
                        f"<h1>{html.escape(msg)}</h1></body></html>")
    return d


def render(layout):
    """The nginx configuration, as text."""
    from appliance.serve import TRUST_PAGE
    from appliance.web import fingerprints

    p = tls.paths(layout.data_dir)
    pages = _write_static(layout)
    https, fixed = _https_base(layout)
    trust = TRUST_PAGE.format(https=html.escape(https + "/"), https_text=html.escape(https))
    exempt = "\n".join(f"        {a} 1;" for a in layout.exempt)
    listen = layout.host if ":" not in layout.host else f"[{layout.host}]"
    tmp = os.path.join(layout.prefix, "tmp")
    upload = "^(" + "|".join(f"({r[1:-1]})" for r in UPLOAD_PATHS) + ")$"
    # nginx started by root (a container, a test) would hand its workers to `nobody`, who may
    # read neither the certificate nor the app's socket: keep them as the user running it.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    app_headers = """
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto https;
            proxy_set_header Connection "";
            proxy_http_version 1.1;"""
    probes = "\n".join(
        f"        location = {path} {{ default_type {ctype}; add_header Cache-Control no-store always; return {status}{' ' + _q(body) if body else ''}; }}"
        for path, (status, body, ctype) in CAPTIVE_PROBES.items())
    refusals = "\n".join(f"        error_page {s} /_edge/{s};" for s in REFUSALS)
    static_dir = layout.static_dir.rstrip("/")
    fingerprinted = "\n".join(f"        {_q('/static/' + name)} 1;" for name in sorted(fingerprints.manifest(static_dir)))
    plain = ""
    if layout.http_port:
        plain = f"""
    server {{
        listen {listen}:{layout.http_port} default_server;
        client_max_body_size 1k;
        set $edge_server_addr $server_addr;
        if ($server_addr ~ ":") {{ set $edge_server_addr "[$server_addr]"; }}
{probes}
        location = /ca.crt {{
            default_type application/x-x509-ca-cert;
            add_header Content-Disposition 'attachment; filename="yishi-ca.crt"';
            alias {p["ca_crt"]};
        }}
        location = /trust {{ default_type "text/html; charset=utf-8"; return 200 {_q(trust)}; }}
        location / {{ return 308 {https}$request_uri; }}
    }}"""
    return f"""# Written by `yishi serve` / `yishi edge-config` (appliance/edge.py); changes here are overwritten.
load_module {NCHAN_MODULE};
{user}pid {layout.pid_file};
error_log {os.path.join(layout.prefix, "error.log")} warn;
worker_processes {layout.workers};
worker_shutdown_timeout 5s;
events {{ worker_connections 8192; }}

http {{
    map_hash_bucket_size 128;  # before any map: the fingerprinted static names are long keys
    include {MIME_TYPES};
    types {{ text/javascript mjs; }}  # pdf.js is modules; Debian's list predates .mjs
    charset utf-8;
    charset_types text/css text/plain text/javascript application/javascript application/json image/svg+xml;
    nchan_shared_memory_size 16m;
    default_type application/octet-stream;
    access_log off;  # who read which document is the audit log's business, not a web log's
    server_tokens off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    # Slow clients: the TLS handshake and the request head in 10 s, each read of a body within
    # 20 s, each write to the client within 30 s; idle keep-alive connections go after 30 s.
    client_header_timeout 10s;
    client_body_timeout 20s;
    send_timeout 30s;
    keepalive_timeout 30s;
    reset_timedout_connection on;
    client_header_buffer_size 4k;
    large_client_header_buffers 4 16k;

    geo $edge_exempt {{
        default 0;
{exempt}
    }}
    map $edge_exempt $edge_client {{ 1 ""; default $binary_remote_addr; }}
    map $cookie_yishi_session $edge_session {{ default $cookie_yishi_session; "" $cookie_yishi_device; }}
    map $cookie_lang $edge_lang {{ default zh_CN; en en; }}
    map $uri $edge_fingerprinted {{
        default 0;
{fingerprinted}
    }}
    map $request_uri $edge_api {{ default html; ~^/api/ json; }}
    limit_conn_zone $edge_client zone=per_client:2m;
    limit_conn_zone $edge_session zone=per_session:2m;
    limit_req_zone $edge_client zone=signin:2m rate={SIGNIN_RATE};
    limit_conn_status 429;
    limit_req_status 429;
    limit_conn_log_level warn;
    limit_req_log_level warn;

    gzip on;
    gzip_comp_level 5;
    gzip_min_length 512;
    gzip_types text/css application/javascript text/javascript application/json image/svg+xml text/plain;
    gzip_vary on;

    upstream yishi_app {{
        server unix:{layout.app_socket} max_fails=0;
        keepalive 64;
    }}

    # Internal only: the app publishes live events here. A Unix socket in a private folder,
    # never a port.
    server {{
        listen unix:{layout.publish_socket};
        access_log off;
        client_max_body_size 1m;
        location ~ ^/pub/(?<edge_channel>[^/]+)$ {{
            nchan_publisher http;
            nchan_channel_id $edge_channel;
            nchan_message_buffer_length 200;
            nchan_message_timeout 10m;
        }}
        location / {{ return 404; }}
    }}

    server {{
        listen {listen}:{layout.port} ssl http2 default_server;
        ssl_certificate {p["crt"]};
        ssl_certificate_key {p["key"]};
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_prefer_server_ciphers off;
        ssl_session_cache shared:yishi_tls:4m;
        ssl_session_timeout 12h;
        ssl_session_tickets off;

        limit_conn per_client {CONNECTIONS_PER_ADDRESS};
        client_max_body_size {DEFAULT_BODY};
{refusals}
        location ^~ /_edge/ {{
            internal;
            root {pages};
            add_header Cache-Control no-store always;
            add_header Strict-Transport-Security "max-age=31536000" always;
            default_type "text/html; charset=utf-8";
            rewrite "^/_edge/(?<edge_status>\\d+)$" /$edge_status.$edge_lang.$edge_api break;
            types {{ "application/json; charset=utf-8" json; "text/html; charset=utf-8" html; }}
        }}

        location /static/ {{
            alias {static_dir}/;
            expires 1h;
            add_header Cache-Control public;
            add_header X-Content-Type-Options nosniff always;
            add_header Strict-Transport-Security "max-age=31536000" always;
            # A fingerprinted name (appliance/web/fingerprints.py) is kept a year without
            # revalidation; only the names of the files as they are now (the map above), so
            # content under a name that does not match it is never cached that long.
            location ~ "^/static/(?<edge_static_base>.+)\\.[0-9a-f]{{{fingerprints.HASH_LEN}}}(?<edge_static_ext>\\.[A-Za-z0-9]+)$" {{
                if ($edge_fingerprinted = 0) {{ return 404; }}
                alias {static_dir}/$edge_static_base$edge_static_ext;
                expires max;
                add_header Cache-Control "public, immutable";
                add_header X-Content-Type-Options nosniff always;
                add_header Strict-Transport-Security "max-age=31536000" always;
            }}
        }}

        location = /api/v1/events {{
            limit_conn per_session {STREAMS_PER_SESSION};
            proxy_pass http://yishi_app;{app_headers}
            proxy_buffering off;
        }}
        location ~ ^/_live/(?<edge_channels>[^/]+)$ {{
            internal;
            nchan_subscriber eventsource;
            nchan_channel_id $edge_channels;
            nchan_channel_id_split_delimiter ",";
            nchan_subscriber_first_message newest;
            nchan_eventsource_ping_interval 15;
            nchan_eventsource_ping_comment "keep-alive";
            nchan_subscriber_timeout 0;
            add_header Strict-Transport-Security "max-age=31536000" always;
        }}
        location ~ "{SIGNIN_PATHS}" {{
            limit_req zone=signin burst={SIGNIN_BURST} nodelay;
            client_max_body_size {SIGNIN_BODY};
            proxy_pass http://yishi_app;{app_headers}
        }}
        location ~ "{upload}" {{
            client_max_body_size {layout.max_upload};
            proxy_request_buffering on;
            proxy_pass http://yishi_app;{app_headers}
        }}
        location / {{
            proxy_pass http://yishi_app;{app_headers}
            proxy_read_timeout 120s;
        }}
    }}
{plain}
}}
"""


def write(layout):
    os.makedirs(layout.prefix, mode=0o700, exist_ok=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(layout.prefix, "tmp", sub), mode=0o700, exist_ok=True)
    text = render(layout)
    tmp = layout.conf + ".new"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, layout.conf)
    return layout.conf


def command(layout):
    return [NGINX, "-p", layout.prefix + "/", "-e", os.path.join(layout.prefix, "error.log"), "-c", layout.conf,
            "-g", "daemon off;"]


class EdgeError(Exception):
    """nginx is missing or refuses its configuration: one line for `yishi serve` to print."""


def check(layout):
    if not os.path.exists(NGINX) or not os.path.exists(NCHAN_MODULE):
        raise EdgeError(f"{NGINX} or {NCHAN_MODULE} is missing: apt-get install nginx libnginx-mod-nchan "
                        "(tools/ensure-system-packages run), or serve with --edge off")
    r = subprocess.run([*command(layout)[:-2], "-t", "-q"], capture_output=True, text=True)
    if r.returncode != 0:
        raise EdgeError(f"nginx refused {layout.conf}: {r.stderr.strip()}")


def _die_with_parent():
    os.setpgid(0, 0)  # a group of its own: workers orphaned by a killed master are found and ended
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: nginx goes when `yishi serve` goes, even on kill -9


def _end_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Edge:
    """nginx as a child process, started again if it dies (kill -9, OOM) until `stop()`."""

    def __init__(self, layout):
        self.layout = layout
        self.proc = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread = None

    def _spawn(self):
        for s in (self.layout.publish_socket,):
            if os.path.exists(s):
                os.unlink(s)  # a killed nginx leaves its socket behind; binding again would fail
        self.proc = subprocess.Popen(command(self.layout), preexec_fn=_die_with_parent, stdin=subprocess.DEVNULL)
        log.info("nginx started (pid %s), config %s", self.proc.pid, self.layout.conf)

    def start(self):
        write(self.layout)
        check(self.layout)
        self._thread = threading.Thread(target=self._watch, name="edge-watch", daemon=True)
        self._spawn()
        self._thread.start()
        return self

    def _watch(self):
        # Spawned here too (not only in start): PR_SET_PDEATHSIG follows the thread that forked.
        while not self._stopping.is_set():
            proc = self.proc
            try:
                proc.wait()
            except ChildProcessError:
                pass
            if self._stopping.is_set():
                return
            log.warning("nginx (pid %s) ended with %s; starting it again", proc.pid, proc.returncode)
            # A master killed with -9 leaves its workers holding the ports; they go first.
            _end_group(proc.pid)
            self._stopping.wait(0.2)
            if not self._stopping.is_set():
                self.restarts += 1
                try:
                    self._spawn()
                except OSError as e:
                    log.error("could not start nginx: %s", e)
                    self._stopping.wait(2)

    def stop(self):
        self._stopping.set()
        proc = self.proc
        if proc and proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful: finish requests in flight
            try:
                proc.wait(6)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc:
            _end_group(proc.pid)
