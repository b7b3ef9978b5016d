"""`yishi serve`: nginx in front (TLS, the plain-HTTP port, /static, the shields, the live
event streams through nchan: appliance/edge.py), gunicorn behind it on a Unix socket, and
zeroconf.

nginx is a child of this process (the gunicorn master), started again if it dies; with
`--edge none` (the Pi, where the yishi-edge unit runs nginx) gunicorn only binds the socket.

gunicorn runs `workers` processes (`--workers`, default the number of cores). The master joins a kernel keyring of its own before it forks
(appliance.store.custody): an unlock in any worker puts the data key there, every worker (and
one gunicorn restarts after a crash) opens the store from it, and it dies with the service.
"""

import html
import logging
import os
import threading
from urllib.parse import urlsplit

from gunicorn.app.base import BaseApplication

from appliance import __version__, tls
from appliance.config import Settings

log = logging.getLogger("yishi.serve")

TRUST_PAGE = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>信任议事证书 / Trust the Yishi certificate</title>
<body style="font:20px/1.5 sans-serif;max-width:40em;margin:1em auto;padding:0 1em">
<h1>第一次使用本平板？/ First time on this tablet?</h1>
<p><a href="/ca.crt" style="font-size:1.3em">下载证书 Download the certificate (ca.crt)</a></p>
<h2>Android</h2><ol><li>点上面的链接下载 ca.crt。/ Tap the link above.</li>
<li>设置 → 安全 → 加密与凭据 → 安装证书 → CA 证书，选 ca.crt。/ Settings → Security → Encryption &amp; credentials → Install a certificate → CA certificate.</li></ol>
<h2>iPad</h2><ol><li>用 Safari 点上面的链接，允许下载描述文件。/ Open the link in Safari and allow the profile.</li>
<li>设置 → 已下载描述文件 → 安装。/ Settings → Profile Downloaded → Install.</li>
<li>设置 → 通用 → 关于本机 → 证书信任设置 → 打开“Yishi local CA”。/ Settings → General → About → Certificate Trust Settings → enable it.</li></ol>
<p><a href="{https}">继续 / Continue: {https_text}</a></p></body></html>"""


# Phones and tablets probe these after joining a Wi-Fi; dnsmasq points the names at the
# appliance. The expected answer keeps them on the meeting network instead of showing a
# captive-portal sheet or falling back to mobile data.
CAPTIVE_PROBES = {
    "/generate_204": ("204 No Content", b"", "text/plain"),  # Android, Chrome OS
    "/gen_204": ("204 No Content", b"", "text/plain"),
    "/hotspot-detect.html": ("200 OK", b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>", "text/html"),  # Apple
    "/library/test/success.html": ("200 OK", b"<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>", "text/html"),
    "/ncsi.txt": ("200 OK", b"Microsoft NCSI", "text/plain"),  # Windows
    "/connecttest.txt": ("200 OK", b"Microsoft Connect Test", "text/plain"),
}


def _https_base(environ, data_dir, https_port):
    """Where the redirect points: the configured public URL, else the address this connection
    came in on. Never the Host header, which whoever sends the request writes."""
    public = Settings.load(data_dir).public_url
    if public:
        parts = urlsplit(public)
        if parts.scheme == "https" and parts.hostname:
            return f"https://{parts.netloc}"
    sock = environ.get("werkzeug.socket")
    address = sock.getsockname()[0] if sock is not None else environ.get("SERVER_NAME", "127.0.0.1")
    if ":" in address:
        address = f"[{address}]"
    return f"https://{address}" + ("" if https_port == 443 else f":{https_port}")


def redirect_app(data_dir, https_port):
    """The plain-HTTP side: captive-portal probes, the CA certificate, how to trust it, and a
    redirect for all else."""

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path in CAPTIVE_PROBES:
            status, body, ctype = CAPTIVE_PROBES[path]
            start_response(status, [("Content-Type", ctype), ("Cache-Control", "no-store")])
            return [body]
        https = _https_base(environ, data_dir, https_port)
        if path == "/ca.crt":
            with open(tls.paths(data_dir)["ca_crt"], "rb") as f:
                body = f.read()
            start_response("200 OK", [("Content-Type", "application/x-x509-ca-cert"),
                                      ("Content-Disposition", 'attachment; filename="yishi-ca.crt"')])
            return [body]
        if path == "/trust":
            body = TRUST_PAGE.format(https=html.escape(https + "/"), https_text=html.escape(https)).encode("utf-8")
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [body]
        query = environ.get("QUERY_STRING")
        start_response("308 Permanent Redirect", [("Location", https + path + (f"?{query}" if query else ""))])
        return [b""]

    return app


def start_redirect_server(host, port, data_dir, https_port):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # no access log here either
            pass

    srv = make_server(host, port, redirect_app(data_dir, https_port), threaded=True, request_handler=Quiet)
    t = threading.Thread(target=srv.serve_forever, name="http-redirect", daemon=True)
    t.start()
    return srv


def _chown_only_if_needed():
    """gunicorn chowns its Unix socket to its own uid and gid after binding it. yishi.service
    forbids the chown system calls (SystemCallFilter=~@privileged, which holds @chown), so that
    no-op failed with EPERM and gunicorn never bound the socket: skip it when nothing would change."""
    from gunicorn import sock, util

    original = util.chown
    if getattr(original, "yishi", False):
        return

    def chown(path, uid, gid):
        st = os.stat(path)
        if (uid in (-1, st.st_uid)) and (gid in (-1, st.st_gid)):
            return
        original(path, uid, gid)

    chown.yishi = True
    util.chown = chown
    sock.util = util


class YishiServer(BaseApplication):
    def __init__(self, config, options):
        self.config_obj = config
        self.options = options
        super().__init__()

    def load_config(self):
        for k, v in self.options.items():
            self.cfg.set(k, v)

    def load(self):
        from appliance import create_app

        app = create_app(self.config_obj)
        if self.config_obj.extra.get("behind_edge"):
            from werkzeug.middleware.proxy_fix import ProxyFix

            # nginx, the only client of the socket, names the client and the scheme.
            app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=0, x_port=0, x_prefix=0)
        return app


_TLS_CONTEXT = []


def _ssl_context_once(config, default_ssl_context_factory):
    """gunicorn builds a fresh SSLContext for every accepted connection (loading the system CA
    store and our key: ~1 ms here, several on a Pi, and no TLS session reuse); build it once."""
    if not _TLS_CONTEXT:
        _TLS_CONTEXT.append(default_ssl_context_factory())
    return _TLS_CONTEXT[0]


def gunicorn_options(host, port, certfile, keyfile, threads=600, tls_enabled=True, bind=None, workers=1):
    opts = {
        "bind": bind or [f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "worker_connections": threads + 100,
        "timeout": 60,
        "graceful_timeout": 5,
        "keepalive": 30,
        "accesslog": None,  # an access log would record who read which document: the audit log does that
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "yishi",
        "control_socket_disable": True,  # no admin socket in $HOME: the service has no home
    }
    if bind:
        # Behind nginx: it alone talks to this socket, and it says who the client is.
        opts.update(forwarded_allow_ips="*", umask=0o007)
    elif tls_enabled:
        opts.update(certfile=certfile, keyfile=keyfile, ssl_context=_ssl_context_once)
    return opts


def edge_layout(config, host, port, http_port, run_dir=None, workers=1):
    import webui

    from appliance import edge

    settings = Settings.load(config.data_dir)
    return edge.Layout(data_dir=config.data_dir, run_dir=run_dir or edge.runtime_dir(), host=host, port=port,
                       http_port=http_port, public_url=settings.public_url, static_dir=webui.STATIC,
                       max_upload=config.extra.get("max_upload_bytes", 64 * 1024 * 1024), workers=workers)


def run(config, host, port, http_port=None, threads=600, tls_enabled=True, edge="child", socket_path=None, workers=1):
    from appliance import edge as edge_mod
    from appliance.store import custody

    p = tls.ensure(config.data_dir)
    if custody.join_service_keyring() is None:
        log.warning("no kernel keyring: an unlock opens only the worker it reached (use --workers 1)")
    else:
        custody.make_shared_secret()
    os.environ["YISHI_WORKERS"] = str(workers)
    settings = Settings.load(config.data_dir)
    redirect = front = None
    bind = None
    own_run_dir = None
    if tls_enabled and edge != "off":
        layout = edge_layout(config, host, port, http_port, run_dir=os.path.dirname(socket_path) if socket_path else None)
        if not socket_path and not os.environ.get("RUNTIME_DIRECTORY"):
            own_run_dir = layout.run_dir
        bind = [f"unix:{layout.app_socket}"]
        config.extra["nchan_socket"] = layout.publish_socket
        config.extra["behind_edge"] = True
        if edge == "child":
            front = edge_mod.Edge(layout).start()
            print(f"nginx pid {front.proc.pid} config {layout.conf}", flush=True)
    elif http_port:
        redirect = start_redirect_server(host, http_port, config.data_dir, port)
    advertiser = None
    if config.advertise:
        from appliance.devices.advertise import Advertiser

        address = config.advertise_address or (host if host not in ("0.0.0.0", "") else "127.0.0.1")
        try:
            advertiser = Advertiser(settings.room, address, port, __version__).start()
        except OSError as e:  # no multicast on this interface: serve anyway, say so
            log.warning("zeroconf advertisement failed on %s: %s", address, e)
    master = os.getpid()
    _chown_only_if_needed()
    try:
        YishiServer(config, gunicorn_options(host, port, p["crt"], p["key"], threads, tls_enabled, bind, workers)).run()
    finally:
        # A gunicorn worker is forked inside run() and leaves by SystemExit through this same
        # stack: only the master may stop nginx, remove the socket folder or end the advertiser
        # (a worker that did stopped nginx at every graceful worker exit, and could hang on a
        # lock the master's nginx watcher held at the fork).
        if os.getpid() == master:
            if front:
                front.stop()
            if own_run_dir:
                import shutil

                shutil.rmtree(own_run_dir, ignore_errors=True)
            if advertiser:
                advertiser.stop()
            if redirect:
                redirect.shutdown()
    return os.EX_OK
