"""Sealed start: only the sealed page, the unlock form and /healthz answer until an admin unlocks."""

import hashlib
import os

import pytest

from appliance import create_app
from appliance.errors import StoreError
from tests.conftest import PASSPHRASE, app_config


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
