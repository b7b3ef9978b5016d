"""The service keyring: the key is there for the service's processes, gone after a seal, never
in a child that parses uploads, and in no other process."""

import json
import os
import subprocess
import sys

import pytest

from appliance.store import custody

pytestmark = pytest.mark.skipif(not custody.available(), reason="no kernel keyring here")

SERVICE = r"""
import json, os, subprocess, sys
from appliance.store import custody
from appliance.documents import files

out = {}
custody.join_service_keyring()
c = custody.for_service(sys.argv[1])
out["kind"] = c.kind
out["before"] = c.get()
c.put(b"k" * 32)
out["here"] = c.get() == b"k" * 32
pid = os.fork()
if pid == 0:  # a worker gunicorn forks later
    os._exit(0 if c.get() == b"k" * 32 else 3)
out["forked_worker"] = os.waitpid(pid, 0)[1] == 0
probe = [sys.executable, "-c", "from appliance.store import custody; import sys; "
         "sys.stdout.write('found' if custody.KernelCustody(sys.argv[1]).get() else 'absent')", sys.argv[1]]
ran = files.run_confined(probe, b"", files.TEXT_LIMITS, 1000)
out["confined_child"] = ran.stdout.decode() or ran.stderr.decode()[-300:]
out["plain_child"] = subprocess.run(probe, capture_output=True, text=True).stdout
out["other_data_dir"] = custody.KernelCustody(sys.argv[1] + "-other").get()
c.drop()
out["after_seal"] = c.get()
print(json.dumps(out))
"""


def test_the_key_reaches_forked_workers_never_a_confined_child_and_goes_with_the_seal(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    env.pop(custody.ENV_MARK, None)
    r = subprocess.run([sys.executable, "-c", SERVICE, str(tmp_path)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out == {"kind": "kernel-keyring", "before": None, "here": True, "forked_worker": True,
                   "confined_child": "absent", "plain_child": "found", "other_data_dir": None, "after_seal": None}


def test_another_process_of_the_same_user_does_not_find_it(tmp_path):
    """A shell of the service's user, started beside the running service, cannot read the key."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    env.pop(custody.ENV_MARK, None)
    service = subprocess.Popen(
        [sys.executable, "-c", "from appliance.store import custody; import sys; custody.join_service_keyring(); "
         "c = custody.for_service(sys.argv[1]); c.put(b'k' * 32); print(c.serial(), flush=True); sys.stdin.readline()",
         str(tmp_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        serial = int(service.stdout.readline())
        beside = subprocess.run(
            [sys.executable, "-c", "from appliance.store import custody; import sys; c = custody.KernelCustody(sys.argv[1]); "
             "print(c.serial(), flush=True); print(c.get(int(sys.argv[2])))", str(tmp_path), str(serial)],
            capture_output=True, text=True, env=env, timeout=60)
        # Not found by name, and even its serial (which /proc/keys does not show it) refuses a read.
        assert beside.stdout.strip() == "None" and "PermissionError" in beside.stderr, (beside.stdout, beside.stderr)
    finally:
        service.stdin.write("\n")
        service.stdin.close()
        service.wait(30)


def test_outside_the_service_the_key_stays_in_the_process(tmp_path, monkeypatch):
    monkeypatch.delenv(custody.ENV_MARK, raising=False)
    c = custody.for_service(str(tmp_path))
    assert c.kind == "process" and c.serial() is None
    s = c.put(b"k" * 32)
    assert c.serial() == s and c.get() == b"k" * 32
    c.drop()
    assert c.serial() is None and c.get() is None
