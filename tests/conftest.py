"""Shared fixtures: real encrypted stores, the Flask app, a real gunicorn server on loopback.

A system tool a test needs (zbarimg, chromium, sqlite3 …) that is missing is a failure, not a
skip: .ci/run installs them all, so a missing one means the set-up is broken.
"""

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from appliance.config import Config, Settings
from appliance.store import open_store
from appliance.store.keys import Argon2Params, Keyring

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACTS = os.path.join(ROOT, "test-artifacts")
PASSPHRASE = "correct horse battery staple"
YISHI = os.path.join(os.path.dirname(sys.executable), "yishi")


@pytest.fixture(autouse=True, scope="session")
def _same_origin_test_clients():
    """Flask's test client is our own page as far as the Origin check goes (a browser sends
    Origin on every POST; tests of the check itself set it, or remove it, explicitly)."""
    from flask.testing import FlaskClient

    original = FlaskClient.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.environ_base.setdefault("HTTP_ORIGIN", "http://localhost")

    FlaskClient.__init__ = init
    yield
    FlaskClient.__init__ = original


def need(tool):
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; tools/ensure-system-packages test installs it")
    return path


def artifact_path(name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    return os.path.join(ARTIFACTS, name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_store(data_dir, passphrase=PASSPHRASE):
    os.makedirs(data_dir, exist_ok=True)
    Settings(room="测试会议室", wifi_ssid="Yishi Test", wifi_passphrase="pass;word:1").save(data_dir)
    _, key = Keyring.create(data_dir, passphrase, Argon2Params(time_cost=1, memory_cost=8 * 1024, parallelism=1))
    return open_store(data_dir, key, create=True), key


def damage_store(data_dir, offset, size):
    """Overwrite `size` bytes of yishi.db at `offset` with noise (its WAL gone first), as a
    failing card would; returns the file's path."""
    path = os.path.join(data_dir, "yishi.db")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(os.urandom(size))
    return path


@pytest.fixture
def data_dir(tmp_path):
    d = str(tmp_path / "data")
    store, _ = make_store(d)
    store.close()
    return d


@pytest.fixture
def store(tmp_path):
    s, _ = make_store(str(tmp_path / "data"))
    yield s
    s.close()


def app_config(data_dir, **overrides):
    cfg = Config(data_dir=data_dir, passphrase=PASSPHRASE, secure_cookies=False, testing=True)
    for k, v in overrides.items():
        setattr(cfg, k, v)
    return cfg


@pytest.fixture
def app(data_dir):
    from appliance import create_app

    application = create_app(app_config(data_dir))
    yield application
    application.extensions["yishi"].close()


@pytest.fixture
def demo_app(data_dir):
    from appliance import create_app, demo

    application = create_app(app_config(data_dir))
    demo.populate(application.extensions["yishi"].store)
    yield application
    application.extensions["yishi"].close()


class LiveServer:
    def __init__(self, data_dir, port, http_port, proc):
        self.data_dir, self.port, self.http_port, self.proc = data_dir, port, http_port, proc
        self.url = f"https://127.0.0.1:{port}"
        self.http_url = f"http://127.0.0.1:{http_port}"

    def nginx_pid(self):
        """The pid of nginx in front (appliance/edge.py: a child of `yishi serve`, started again
        if it dies), or None while there is none."""
        try:
            with open(os.path.join(self.data_dir, "edge", "nginx.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def start_server(data_dir, passphrase_file=None, extra=()):
    """Run `yishi serve` (nginx in front of real gunicorn, HTTPS) on loopback and wait for /healthz."""
    import httpx

    port, http_port = free_port(), free_port()
    cmd = [YISHI, "serve", "--data", data_dir, "--host", "127.0.0.1", "--port", str(port),
           "--http-port", str(http_port), "--threads", "64", *extra]
    if "--advertise-address" not in extra:
        cmd.append("--no-zeroconf")
    if passphrase_file:
        cmd += ["--passphrase-file", passphrase_file]
    log = open(os.path.join(data_dir, "server.log"), "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(data_dir, port, http_port, proc)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"yishi serve exited with {proc.returncode}; see {data_dir}/server.log")
        try:
            if httpx.get(server.url + "/healthz", verify=False, timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError("yishi serve did not answer /healthz within 30 s")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """A real server with the demo committee, unlocked at start from a passphrase file."""
    from appliance import demo

    d = str(tmp_path_factory.mktemp("server") / "data")
    store, _ = make_store(d)
    demo.populate(store)
    store.close()
    pf = os.path.join(os.path.dirname(d), "passphrase")
    with open(pf, "w") as f:
        f.write(PASSPHRASE + "\n")
    server = start_server(d, pf)
    yield server
    server.stop()
