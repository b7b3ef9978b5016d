"""Sealed start: only the sealed page, the unlock form and /healthz answer until an admin unlocks."""

import hashlib
import os

import pytest

from appliance import create_app
from appliance.errors import StoreError
from tests.conftest import PASSPHRASE, app_config, damage_store


@pytest.fixture
def sealed_app(data_dir):
    app = create_app(app_config(data_dir, passphrase=None))
    yield app
    app.extensions["yishi"].close()


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_sealed_serves_only_the_sealed_page(sealed_app):
    c = sealed_app.test_client()
    assert c.get("/healthz").get_json() == {"ok": True, "sealed": True, "version": "0.1.0"}
    r = c.get("/admin/devices")
    assert r.status_code == 503 and "系统已封存" in r.get_data(as_text=True)
    r = c.get("/api/v1/me")
    assert r.status_code == 503 and r.get_json()["error"]["code"] == "sealed"


def test_wrong_passphrase_changes_nothing(sealed_app, data_dir):
    before = {f: digest(os.path.join(data_dir, f)) for f in ("keyring.json", "yishi.db")}
    c = sealed_app.test_client()
    r = c.post("/unlock", data={"passphrase": "guess"})
    assert r.status_code == 403 and "口令错误" in r.get_data(as_text=True)
    assert sealed_app.extensions["yishi"].sealed
    assert {f: digest(os.path.join(data_dir, f)) for f in before} == before


def test_unlock_opens_and_is_audited(sealed_app):
    c = sealed_app.test_client()
    c.post("/unlock", data={"passphrase": "guess"})
    r = c.post("/unlock", data={"passphrase": PASSPHRASE})
    assert r.status_code == 302
    a = sealed_app.extensions["yishi"]
    assert not a.sealed
    row = a.store.one("SELECT detail FROM audit WHERE action = 'store.unlock'")
    assert '"failed_before": 1' in row[0]
    assert c.get("/healthz").get_json()["sealed"] is False


def test_uninitialised_folder_says_what_to_do(tmp_path):
    app = create_app(app_config(str(tmp_path), passphrase=None))
    r = app.test_client().get("/")
    assert r.status_code == 503 and "yishi init" in r.get_data(as_text=True)


def test_wrong_passphrase_at_start_is_a_clear_error(data_dir):
    with pytest.raises(StoreError, match="passphrase is wrong"):
        create_app(app_config(data_dir, passphrase="not it at all"))


def test_repeated_wrong_passphrases_are_slowed_down(sealed_app):
    c = sealed_app.test_client()
    for _ in range(5):
        assert c.post("/unlock", data={"passphrase": "guess"}).status_code == 403
    r = c.post("/unlock", data={"passphrase": PASSPHRASE})  # even the right one waits now
    assert r.status_code == 429 and "秒后再试" in r.get_data(as_text=True)
    assert sealed_app.extensions["yishi"].sealed
    sealed_app.extensions["yishi"].unlock_blocked_until = 0  # the wait is over
    assert c.post("/unlock", data={"passphrase": PASSPHRASE}).status_code == 302


def _damage_header(data_dir):
    return damage_store(data_dir, 100, 200)


def test_unlocking_a_damaged_store_in_the_browser_names_the_file(sealed_app, data_dir):
    path = _damage_header(data_dir)
    r = sealed_app.test_client().post("/unlock", data={"passphrase": PASSPHRASE})
    page = r.get_data(as_text=True)
    assert r.status_code == 500 and "口令正确" in page and path in page and "USB 备份" in page
    assert sealed_app.extensions["yishi"].sealed


def test_a_missing_store_beside_the_keyring_is_not_replaced_by_an_empty_one(sealed_app, data_dir):
    """A data partition that did not mount: unlocking must not start an empty committee."""
    path = os.path.join(data_dir, "yishi.db")
    for suffix in ("", "-wal", "-shm"):
        os.unlink(path + suffix) if os.path.exists(path + suffix) else None
    r = sealed_app.test_client().post("/unlock", data={"passphrase": PASSPHRASE})
    page = r.get_data(as_text=True)
    assert r.status_code == 500 and path in page and "未挂载" in page and "未新建任何文件" in page
    assert sealed_app.extensions["yishi"].sealed and not os.path.exists(path)


def test_a_store_refused_at_start_leaves_the_appliance_sealed_and_says_why(data_dir):
    path = os.path.join(data_dir, "yishi.db")
    open(path, "wb").close()  # empty
    app = create_app(app_config(data_dir))  # with the passphrase, as `yishi serve --passphrase-file`
    try:
        assert app.extensions["yishi"].sealed
        r = app.test_client().get("/")
        page = r.get_data(as_text=True)
        assert r.status_code == 503 and path in page and "不存在或为空" in page
        assert os.path.getsize(path) == 0
    finally:
        app.extensions["yishi"].close()


def test_a_damaged_keyring_is_not_called_a_wrong_passphrase(sealed_app, data_dir):
    import base64
    import json

    ring = os.path.join(data_dir, "keyring.json")
    with open(ring) as f:
        doc = json.load(f)
    wrapped = bytearray(base64.b64decode(doc["slots"][0]["wrapped"]))
    wrapped[3] ^= 0x10  # one changed byte
    doc["slots"][0]["wrapped"] = base64.b64encode(bytes(wrapped)).decode()
    with open(ring, "w") as f:
        json.dump(doc, f)
    c = sealed_app.test_client()
    assert c.get("/").status_code == 503  # the sealed page itself still renders
    r = c.post("/unlock", data={"passphrase": PASSPHRASE})
    page = r.get_data(as_text=True)
    assert r.status_code == 500 and "已损坏" in page and "这不是口令错误" in page and ring in page
    assert "口令错误。系统仍处于封存状态" not in page
    assert sealed_app.extensions["yishi"].failed_unlocks == 0  # not counted as a guess


def test_a_garbled_keyring_still_shows_the_sealed_page(sealed_app, data_dir):
    with open(os.path.join(data_dir, "keyring.json"), "w") as f:
        f.write('{"version": 1, "slots": [{"kind": "passphrase", "nonce": 5}]}')
    c = sealed_app.test_client()
    assert c.get("/").status_code == 503
    r = c.post("/unlock", data={"passphrase": PASSPHRASE})
    assert r.status_code == 500 and "'nonce' is missing or not text" in r.get_data(as_text=True)
