"""What the clock banner costs a page: reading the clock record (clock.json) and judging it, against
a whole page for a secretary (the home page, which shows the banner), measured in the same run.

    .venv/bin/python bench/clock_status.py [--requests 300]

Printed as a ratio: the banner is on every page of staff, so its read must stay a small share.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from appliance import create_app, demo, timekeeping  # noqa: E402
from tests.conftest import app_config, make_store  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=300)
    n = ap.parse_args().requests
    d = os.path.join(tempfile.mkdtemp(), "data")
    st, _ = make_store(d)
    demo.populate(st)
    st.close()
    app = create_app(app_config(d))
    c = app.test_client()
    c.environ_base["HTTP_ORIGIN"] = "http://localhost"
    assert c.post("/api/v1/login", json={"username": "secretary", "password": "yishi-secretary"}).status_code == 200
    for _ in range(20):
        c.get("/")
    t = time.perf_counter()
    for _ in range(n):
        r = c.get("/")
    page = (time.perf_counter() - t) / n
    assert "clock-banner" in r.get_data(as_text=True)
    t = time.perf_counter()
    for _ in range(n):
        timekeeping.status(d)
    status = (time.perf_counter() - t) / n
    print(f"home page for the secretary (banner shown): {page * 1e3:.2f} ms; clock status: {status * 1e3:.3f} ms; "
          f"ratio {status / page:.4f}")
    app.extensions["yishi"].close()


if __name__ == "__main__":
    main()
