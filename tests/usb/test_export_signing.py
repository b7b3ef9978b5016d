"""The export signing key: made at `yishi init` (or on first use), sealed under the data key, the
same key on every load, and a clear error for a damaged or foreign key file.

Bad inputs tried: the key file with one byte changed, with its public half swapped, truncated,
and opened with another store's data key; none of them is replaced silently."""

import base64
import json
import os
import subprocess
import sys
import threading

import pytest
from cryptography.hazmat.primitives import serialization

from appliance.errors import StoreError
from appliance.usb import signing
from tests.conftest import make_store

YISHI = os.path.join(os.path.dirname(sys.executable), "yishi")


def raw_private(key):
    return key._private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def test_init_makes_the_key_and_prints_its_fingerprint(tmp_path):
    d = str(tmp_path / "data")
    pf = tmp_path / "pass"
    pf.write_text("a long enough passphrase\n")
    r = subprocess.run([YISHI, "init", "--data", d, "--passphrase-file", str(pf)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    fp = signing.public_fingerprint(d)
    assert fp and f"export signing key {fp}" in r.stdout
    assert oct(os.stat(os.path.join(d, signing.KEY_FILE)).st_mode & 0o777) == "0o600"


def test_sealed_on_disk_and_the_same_key_every_time(tmp_path):
    d = str(tmp_path / "data")
    store, key = make_store(d)
    store.close()
    assert not os.path.exists(os.path.join(d, signing.KEY_FILE))
    k1 = signing.load(d, key)  # first use on a data folder from before the key existed
    k2 = signing.load(d, key)
    assert k1.fingerprint == k2.fingerprint == signing.public_fingerprint(d)
    with open(os.path.join(d, signing.KEY_FILE), "rb") as f:
        on_disk = f.read()
    secret = raw_private(k1)
    assert secret not in on_disk and base64.b64encode(secret) not in on_disk and secret.hex().encode() not in on_disk
    _, other_key = make_store(str(tmp_path / "other"))
    with pytest.raises(StoreError, match="does not open with this store's key"):
        signing.load(d, other_key)
    assert signing.load(d, key).fingerprint == k1.fingerprint  # the refusal changed nothing


def test_workers_making_the_key_at_once_agree_on_one(tmp_path):
    d = str(tmp_path / "data")
    store, key = make_store(d)
    store.close()
    seen, start = [], threading.Barrier(8)

    def make():
        start.wait()
        seen.append(signing.load(d, key).fingerprint)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and len(set(seen)) == 1 == len([n for n in os.listdir(d) if n.startswith(signing.KEY_FILE)])


@pytest.mark.parametrize("damage", ["byte", "public", "truncated"])
def test_a_damaged_key_file_is_named_not_replaced(tmp_path, damage):
    d = str(tmp_path / "data")
    store, key = make_store(d)
    store.close()
    signing.load(d, key)
    path = os.path.join(d, signing.KEY_FILE)
    with open(path) as f:
        doc = json.load(f)
    if damage == "byte":
        sealed = bytearray(base64.b64decode(doc["sealed"]))
        sealed[5] ^= 1
        doc["sealed"] = base64.b64encode(bytes(sealed)).decode()
        text = json.dumps(doc)
    elif damage == "public":
        doc["public"] = base64.b64encode(os.urandom(32)).decode()
        text = json.dumps(doc)
    else:
        text = json.dumps(doc)[:40]
    with open(path, "w") as f:
        f.write(text)
    with pytest.raises(StoreError, match=signing.KEY_FILE):
        signing.load(d, key)
    with open(path) as f:
        assert f.read() == text


def test_the_minutes_carry_the_fingerprint(tmp_path):
    from appliance.meetings import core, minutes

    d = str(tmp_path / "data")
    store, key = make_store(d)
    try:
        mid = core.create(store, None, "standing", "指纹测试会议", 0, membership=15)
        text = "\n".join(t for _, t in minutes.lines(store, mid) if isinstance(t, str))
        assert signing.load(d, key).fingerprint in text.splitlines()
    finally:
        store.close()
