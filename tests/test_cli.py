"""The `yishi` command as an admin uses it: real processes, real files, one-line errors."""

import os
import subprocess

import pytest

from tests.conftest import PASSPHRASE, YISHI, need


def run(*args, **kw):
    return subprocess.run([YISHI, *args], capture_output=True, text=True, stdin=subprocess.DEVNULL, **kw)


@pytest.fixture
def pfile(tmp_path):
    p = tmp_path / "passphrase"
    p.write_text(PASSPHRASE + "\n")
    return str(p)


def test_version():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == "yishi 0.1.0"


def test_init_demo_verify(tmp_path, pfile):
    d = str(tmp_path / "data")
    r = run("init", "--data", d, "--passphrase-file", pfile, "--room", "第一会议室")
    assert r.returncode == 0, r.stderr
    for f in ("yishi.db", "keyring.json", "config.json", "tls/ca.crt", "tls/server.key"):
        assert os.path.exists(os.path.join(d, f)), f
    assert os.stat(os.path.join(d, "tls/server.key")).st_mode & 0o777 == 0o600
    assert os.stat(os.path.join(d, "config.json")).st_mode & 0o777 == 0o600
    r = run("demo", "--data", d, "--passphrase-file", pfile)
    assert r.returncode == 0 and "111115" in r.stdout and "admin / yishi-admin" in r.stdout
    r = run("demo", "--data", d, "--passphrase-file", pfile)
    assert r.returncode == 0 and "already there" in r.stdout
    r = run("audit", "verify", "--data", d, "--passphrase-file", pfile)
    assert r.returncode == 0 and "intact" in r.stdout
    r = run("init", "--data", d, "--passphrase-file", pfile)
    assert r.returncode == 0 and "already initialised" in r.stdout


def test_demo_on_an_empty_folder_makes_its_own_passphrase(tmp_path):
    d = str(tmp_path / "fresh")
    r = run("demo", "--data", d)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(d, "demo-passphrase.txt"))
    assert run("audit", "verify", "--data", d, "--passphrase-file", os.path.join(d, "demo-passphrase.txt")).returncode == 0


def test_secrets_only_makes_no_store(tmp_path):
    d = str(tmp_path / "fb")
    r = run("init", "--data", d, "--secrets-only")
    assert r.returncode == 0
    assert os.path.exists(os.path.join(d, "tls/ca.crt")) and not os.path.exists(os.path.join(d, "yishi.db"))
    import json

    settings = json.load(open(os.path.join(d, "config.json")))
    assert len(settings["wifi_passphrase"]) >= 8


def test_no_passphrase_and_no_terminal(tmp_path):
    r = run("init", "--data", str(tmp_path / "x"))
    assert r.returncode == 2 and "--passphrase-file" in r.stderr and "Traceback" not in r.stderr


def test_wrong_passphrase(data_dir, tmp_path):
    bad = tmp_path / "bad"
    bad.write_text("not the passphrase\n")
    r = run("audit", "verify", "--data", data_dir, "--passphrase-file", str(bad))
    assert r.returncode == 2 and "passphrase is wrong" in r.stderr and "Traceback" not in r.stderr
    r = run("serve", "--data", data_dir, "--passphrase-file", str(bad), "--no-zeroconf")
    assert r.returncode == 2 and "not started" in r.stderr


def test_data_folder_that_is_not_writable():
    import shutil
    import tempfile

    # As root every folder is writable, so run the command as nobody, as the service would be,
    # on a root-owned folder that nobody may enter but not write (pytest's tmp is root-only).
    top = tempfile.mkdtemp(prefix="yishi-ro-", dir="/tmp")
    try:
        os.chmod(top, 0o755)
        d = os.path.join(top, "data")
        os.mkdir(d, 0o755)
        pf = os.path.join(top, "passphrase")
        with open(pf, "w") as f:
            f.write(PASSPHRASE + "\n")
        os.chmod(pf, 0o644)
        r = subprocess.run([need("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups", YISHI,
                            "init", "--data", d, "--passphrase-file", pf],
                           capture_output=True, text=True, stdin=subprocess.DEVNULL)
        assert r.returncode == 2, r.stderr
        assert d in r.stderr and "not writable" in r.stderr and "Traceback" not in r.stderr
        assert os.listdir(d) == []
    finally:
        shutil.rmtree(top)


def test_damaged_database_is_named(data_dir, pfile):
    db = os.path.join(data_dir, "yishi.db")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    with open(db, "r+b") as f:
        f.write(b"\0" * 8192)
    r = run("audit", "verify", "--data", data_dir, "--passphrase-file", pfile)
    assert r.returncode == 2 and db in r.stderr and "damaged" in r.stderr and "Traceback" not in r.stderr


def test_audit_verify_reports_the_broken_link(data_dir, pfile):
    from appliance.store import audit, open_store
    from appliance.store.keys import Keyring

    key = Keyring.load(data_dir).unlock_with_passphrase(PASSPHRASE)
    st = open_store(data_dir, key)
    with st.write() as db:
        for i in range(3):
            audit.record(db, "t", "x", {"i": i})
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("UPDATE audit SET actor = 'forged' WHERE seq = 2")
    st.close()
    r = run("audit", "verify", "--data", data_dir, "--passphrase-file", pfile)
    assert r.returncode == 1 and "BROKEN at entry 2" in r.stdout


def test_change_passphrase(data_dir, pfile, tmp_path):
    new = tmp_path / "new"
    new.write_text("another good passphrase\n")
    r = run("passphrase", "--data", data_dir, "--passphrase-file", pfile, "--new-passphrase-file", str(new))
    assert r.returncode == 0, r.stderr
    assert run("audit", "verify", "--data", data_dir, "--passphrase-file", str(new)).returncode == 0
    assert run("audit", "verify", "--data", data_dir, "--passphrase-file", pfile).returncode == 2


def test_keyfile_unlocks_unattended(data_dir, pfile, tmp_path):
    kf = str(tmp_path / "stick" / "yishi.key")
    os.makedirs(os.path.dirname(kf))
    assert run("keyfile", "--data", data_dir, "--passphrase-file", pfile, "--out", kf).returncode == 0
    assert run("audit", "verify", "--data", data_dir, "--key-file", kf).returncode == 0


def test_a_garbled_keyring_is_one_line_not_a_traceback(data_dir, pfile):
    ring = os.path.join(data_dir, "keyring.json")
    with open(ring) as f:
        text = f.read()
    with open(ring, "w") as f:
        f.write(text.replace('"wrapped"', '"wrapped_"'))  # a field gone missing
    for verb in (["audit", "verify"], ["serve", "--port", "1", "--no-zeroconf"]):
        r = run(*verb, "--data", data_dir, "--passphrase-file", pfile, timeout=60)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert ring in r.stderr and "damaged" in r.stderr and "'wrapped' is missing" in r.stderr
        assert "passphrase is wrong" not in r.stderr


def test_a_missing_store_is_refused_not_recreated(data_dir, pfile):
    db = os.path.join(data_dir, "yishi.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    r = run("audit", "verify", "--data", data_dir, "--passphrase-file", pfile)
    assert r.returncode == 2 and db in r.stderr and "did not mount" in r.stderr, r.stderr + r.stdout
    assert not os.path.exists(db)
    r = run("init", "--data", data_dir, "--passphrase-file", pfile)  # init neither makes one nor says "done"
    assert r.returncode == 2 and db in r.stderr and "already initialised" not in r.stdout
    assert not os.path.exists(db)
