"""bench/usb_export.py runs end to end on a small committee, so the figures in the export's
report can be measured again (it asserts what the benchmark prints, never a timing)."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_export_benchmark_runs():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "usb_export.py"), "--meetings", "2", "--repeat", "1"],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "2 meetings, " in r.stdout and "x plain bag" in r.stdout and "x bagit" in r.stdout and "Ed25519 verify" in r.stdout
