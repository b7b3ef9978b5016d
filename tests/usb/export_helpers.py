"""Fixtures for the export and verifier tests (imported by them; not a conftest, so the other USB
work in tests/usb keeps its own): a real encrypted store with the demo committee, its held (closed)
meeting with minutes, and a second closed meeting with a classified (涉密) material."""

import os
import shutil
import subprocess
import time
from types import SimpleNamespace

import pytest

from tests.conftest import app_config, make_store


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    from appliance import create_app, demo
    from appliance.meetings import core, materials, minutes
    from appliance.meetings.demo import add_demo
    from tests.meetings.helpers import make_pdf

    d = str(tmp_path_factory.mktemp("usb") / "data")
    s, _ = make_store(d)
    s.close()
    app = create_app(app_config(d))
    st = app.extensions["yishi"].store
    add_demo(st, demo.populate(st))
    secret = core.create(st, None, "standing", "第十八届人大常委会第五次会议（涉密）", time.time() - 3600)
    item = core.add_item(st, None, secret, "关于人事任免的议案", "appointment")
    materials.add(st, None, secret, "任免名单", "list.pdf", make_pdf("任免名单"), item_id=item, classified=True)
    minutes.close_meeting(st, None, secret)
    secretary = st.scalar("SELECT id FROM people WHERE username = 'secretary'")
    yield SimpleNamespace(app=app, store=st, data_dir=d, held=2, secret=secret, secretary=secretary)
    app.extensions["yishi"].close()


@pytest.fixture(scope="module")
def exported(room, tmp_path_factory):
    """One plain export of the held meeting, made once; tests that change it work on a copy."""
    from appliance.usb import export

    dest = str(tmp_path_factory.mktemp("stick"))
    result = export.export_minutes(room.store, room.data_dir, [room.held], dest, actor_id=room.secretary,
                                   stick={"vendor": "SanDisk", "model": "Ultra", "serial": "4C530001230915", "label": "OFFICE"})
    return result


def copy_of(result, tmp_path):
    dest = tmp_path / os.path.basename(result.path)
    shutil.copytree(result.path, dest)
    return str(dest)


def bare_python(script, *args, cwd):
    """Run a script as a laptop would: the system's python3, isolated (-I: no site-packages of
    ours, no PYTHON* variables), with nearly nothing in the environment."""
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.fail("no system python3 in /usr/bin")
    return subprocess.run([python, "-I", script, *args], cwd=cwd, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, timeout=300)
