"""The benchmark's own code against a real server, with 5 tablets, so that `make bench` cannot rot.

Asserts what the benchmark relies on (every tablet paired, signed in, streamed, voted; the
result reached every stream and matched the ballots; the PDF came back whole), never a timing.
"""

import hashlib
import json
import os
import subprocess
import sys

import pytest

from bench import committee, run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.server
def test_five_tablets_through_the_real_api(tmp_path):
    data = str(tmp_path / "data")
    pf = committee.build(data, 5, fast_kdf=True)
    pdf = str(tmp_path / "m.pdf")
    size = committee.make_pdf(pdf, 600 * 1024, pages=3)
    with open(pdf, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    server = run.Server(data, pf, cpu=None)
    startup = server.start()
    try:
        p = subprocess.run([sys.executable, "-m", "bench.loadgen", "committee", "--url", server.url, "--tablets", "5", "--polls", "2",
                            "--readers", "3", "--pdf", pdf, "--size", str(size), "--sha256", sha,
                            "--server-pid", str(server.proc.pid), "--deadline", "50"],
                           cwd=ROOT, capture_output=True, text=True, timeout=55)
    finally:
        server.stop()
    assert p.stdout, p.stderr[-2000:]
    out = json.loads(p.stdout)
    assert out["errors"] == {}, out["error_samples"]
    assert startup > 0
    assert out["phases"]["sse_connect"]["connected"] == 5
    assert out["phases"]["signin_burst"]["everyone_present_on_all_tablets_ms"]["n"] == 5
    assert [(d["result_reached"], d["tally_ok"], d["ballot_ack_ms"]["n"]) for d in out["polls_detail"]] == [(5, True, 5)] * 2
    assert out["phases"]["documents"]["completed"] == 3 and out["phases"]["documents"]["bytes"] == 3 * size
    assert max(v["total_mb"] for v in out["rss"].values()) > 50  # the server was sampled (phases of 5 tablets may fall between samples)
    assert "ballot ack p99" in run.one_line({**out, "startup_s": startup})
