"""The PIN's Argon2 cost is a setting: new PINs get it, older ones still verify, and a cost out
of range is refused naming the file."""

import json
import os

import pytest

from appliance import create_app
from appliance.config import Settings
from appliance.devices import people
from appliance.devices import secrets_ as sec
from appliance.errors import StoreError
from tests.conftest import app_config


def _set(data_dir, **values):
    path = Settings.path(data_dir)
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    doc.update(values)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)


def test_new_pins_take_the_configured_cost_and_old_ones_still_verify(data_dir):
    app = create_app(app_config(data_dir))
    try:
        store = app.extensions["yishi"].store
        default = people.create(store, "test", "默认", ["member"], seat=39, pin="111111")
        assert "m=4096,t=1" in store.scalar("SELECT pin_hash FROM people WHERE id = ?", (default.id,))
    finally:
        app.extensions["yishi"].close()
    _set(data_dir, pin_hash_time_cost=2, pin_hash_memory_kib=16384)  # the cost before it was a setting
    app = create_app(app_config(data_dir))
    try:
        store = app.extensions["yishi"].store
        old = people.create(store, "test", "旧委员", ["member"], seat=40, pin="123456")
        old_hash = store.scalar("SELECT pin_hash FROM people WHERE id = ?", (old.id,))
        assert "m=16384,t=2" in old_hash
    finally:
        app.extensions["yishi"].close()
    _set(data_dir, pin_hash_time_cost=1, pin_hash_memory_kib=8192)
    app = create_app(app_config(data_dir))
    try:
        store = app.extensions["yishi"].store
        new = people.create(store, "test", "新委员", ["member"], seat=41, pin="654321")
        assert "m=8192,t=1" in store.scalar("SELECT pin_hash FROM people WHERE id = ?", (new.id,))
        assert sec.verify_secret(old_hash, "123456") and not sec.verify_secret(old_hash, "123457")
    finally:
        app.extensions["yishi"].close()
        sec.set_pin_cost()


@pytest.mark.parametrize("bad", [0, 11, "2", True, None])
def test_a_cost_out_of_range_is_refused_naming_the_file(data_dir, bad):
    _set(data_dir, pin_hash_time_cost=bad)
    with pytest.raises(StoreError, match="pin_hash_time_cost") as e:
        create_app(app_config(data_dir))
    assert os.path.join(data_dir, "config.json") in str(e.value)
