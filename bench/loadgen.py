"""The simulated committee: N tablets played through the real HTTPS API, in one asyncio process.

    python -m bench.loadgen committee --url https://127.0.0.1:P --tablets N [--polls 3] [--readers 100 --pdf F]
    python -m bench.loadgen fetch --url https://127.0.0.1:P/doc.pdf --readers 100 --size BYTES

`committee` pairs every tablet (invite, pair/start, admin approval, pair/status), signs each in
with its PIN, opens one Server-Sent Events stream per tablet (and the secretary's console), then
times a 签到 burst (all at once), K polls (open, every tablet casts at once, close, the result
arriving on every tablet) and optionally 100 readers of a 20 MB PDF. `fetch` gives the same
readers a static URL (the nginx baseline). One JSON document goes to stdout; every loop is
bounded by a deadline, so the process always ends by itself.

Latencies are taken on this side (time.perf_counter around each request), so they include the
client's own queueing; `loop_lag_ms` reports how late this process's event loop ran, which is
the error bar on them.
"""

import argparse
import asyncio
import hashlib
import json
import os
import random
import secrets
import ssl
import statistics
import sys
import threading
import time

import httpx

TRACKER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
PHASE_TIMEOUT = 30.0  # no phase waits longer than this for anything


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary_ms(seconds):
    """p50/p99/max in ms of a list of durations in seconds."""
    if not seconds:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    return {"n": len(seconds), "p50": round(pct(seconds, 50) * 1000, 1), "p99": round(pct(seconds, 99) * 1000, 1),
            "max": round(max(seconds) * 1000, 1), "mean": round(statistics.fmean(seconds) * 1000, 1)}


def ssl_context():
    # One context for all clients: building one per client costs ~10 ms and memory each.
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


# -- the server, seen from outside: RSS and a profiler --------------------------------------

def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _descendants(pid):
    """Every process under pid: gunicorn's workers, and nginx (appliance/edge.py) with its own."""
    out = []
    for kid in _children(pid):
        out += [kid, *_descendants(kid)]
    return out


def _is_nginx(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip() == "nginx"
    except OSError:
        return False


def _rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def server_worker(master_pid):
    kids = [k for k in _children(master_pid) if not _is_nginx(k)]
    return kids[0] if kids else None


class RssSampler(threading.Thread):
    """Samples the server's RSS (gunicorn master + worker) every 50 ms; the peak per phase."""

    def __init__(self, master_pid, interval=0.05):
        super().__init__(daemon=True, name="rss")
        self.master, self.interval = master_pid, interval
        self.phase = "start"
        self.peak = {}
        self.worker_peak = {}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(self.interval):
            every = _descendants(self.master)
            worker = sum(_rss_kib(p) for p in _children(self.master) if not _is_nginx(p))
            total = _rss_kib(self.master) + sum(_rss_kib(p) for p in every)  # nginx and its workers too
            self.peak[self.phase] = max(self.peak.get(self.phase, 0), total)
            self.worker_peak[self.phase] = max(self.worker_peak.get(self.phase, 0), worker)

    def report(self):
        return {ph: {"total_mb": round(v / 1024, 1), "worker_mb": round(self.worker_peak[ph] / 1024, 1)} for ph, v in self.peak.items()}


class Profiler:
    """py-spy on the gunicorn worker for one phase (collapsed stacks, pinned to this core)."""

    def __init__(self, master_pid, out_dir, phases):
        self.master, self.out_dir, self.phases = master_pid, out_dir, set(phases or ())
        self.proc = None

    def start(self, phase):
        if phase.split("_")[0] not in self.phases or not self.master:
            return
        import shutil
        import subprocess

        spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
        out = os.path.join(self.out_dir, f"{phase}.collapsed.txt")
        # --gil: only the thread holding the GIL, i.e. where this one-core Python process spends its
        # CPU (sqlite3_step and SSL writes release the GIL, so time in them shows as the caller's
        # frames only when sampled without --gil; the documents phase is sampled without it).
        mode = ["--gil"] if phase != "documents" else []
        self.proc = subprocess.Popen([spy, "record", "--pid", str(server_worker(self.master)), "--format", "raw", "--rate", "100",
                                      *mode, "--nonblocking", "--output", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)  # let it attach before the load starts

    def stop(self):
        if self.proc is not None:
            import signal

            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except Exception:
                self.proc.kill()
            self.proc = None


class LoopLag:
    """How late this event loop wakes up: the error bar on every latency measured here."""

    def __init__(self):
        self.phase = "start"
        self.worst = {}
        self.task = None

    async def run(self):
        while True:
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lag = time.perf_counter() - t - 0.01
            self.worst[self.phase] = max(self.worst.get(self.phase, 0.0), lag)

    def report(self):
        return {k: round(v * 1000, 1) for k, v in self.worst.items()}



# -- a lean HTTP/1.1 client for the hot paths ---------------------------------------------------

class RawHTTP:
    """Keep-alive HTTP/1.1 over asyncio TLS streams: what the timed phases use.

    httpx costs ~1-2 ms of this process's CPU per request, so 500 ballots "at once" would leave
    this process over a second apart; this costs a tenth of that, and keeps the measured
    latency the server's. Enough HTTP for this API: Content-Length or chunked bodies.
    """

    def __init__(self, url, ctx, cookie=""):
        u = httpx.URL(url)
        self.host, self.port, self.tls = u.host, u.port or (443 if u.scheme == "https" else 80), u.scheme == "https"
        self.ctx, self.cookie = ctx, cookie
        self.reader = self.writer = None

    async def _connect(self):
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, ssl=self.ctx if self.tls else None, limit=1 << 20)

    def _head(self, method, path, body):
        h = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        if path.startswith("/api/v1/events"):
            h += "Accept: text/event-stream\r\n"  # as EventSource sends; nchan (nginx) answers SSE to it
        h += f"Origin: https://{self.host}:{self.port}\r\n"
        if self.cookie:
            h += f"Cookie: {self.cookie}\r\n"
        if body is not None:
            h += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        return (h + "\r\n").encode() + (body or b"")

    async def _response_head(self):
        line = await self.reader.readline()
        if not line:
            raise ConnectionError("connection closed by the server")
        status = int(line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        return status, headers

    async def _chunks(self, headers):
        if "content-length" in headers:
            left = int(headers["content-length"])
            while left:
                data = await self.reader.read(min(left, 1 << 18))
                if not data:
                    raise ConnectionError("body cut short")
                left -= len(data)
                yield data
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readline()
                    return
                yield await self.reader.readexactly(size)
                await self.reader.readline()
        else:  # neither: the body runs until the connection closes (nchan's event streams)
            while True:
                data = await self.reader.read(1 << 16)
                if not data:
                    return
                yield data

    async def request(self, method, path, json_body=None):
        """(status, parsed JSON or raw bytes). Reconnects once if a kept-alive connection was closed."""
        body = None if json_body is None else json.dumps(json_body).encode()
        for attempt in (0, 1):
            if self.writer is None:
                await self._connect()
            try:
                self.writer.write(self._head(method, path, body))
                status, headers = await self._response_head()
                break
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                await self.close()
                if attempt:
                    raise
        data = b"".join([c async for c in self._chunks(headers)])
        if headers.get("connection", "").lower() == "close":
            await self.close()
        try:
            return status, json.loads(data) if data[:1] in (b"{", b"[") else data
        except ValueError:
            return status, data

    async def stream(self, path):
        """GET and yield the body as it comes (SSE, documents): (status, async iterator)."""
        await self._connect()
        self.writer.write(self._head("GET", path, None))
        status, headers = await self._response_head()
        return status, self._chunks(headers)

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            try:
                await asyncio.wait_for(self.writer.wait_closed(), 2)
            except Exception:
                pass
        self.reader = self.writer = None


def cookie_header(client):
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)


# -- a tablet --------------------------------------------------------------------------------

class Tablet:
    def __init__(self, url, ctx, seat, client=None):
        self.seat = seat
        self.client = client or httpx.AsyncClient(base_url=url, headers={"Origin": url}, verify=ctx, http2=False,
                                        timeout=httpx.Timeout(60.0, connect=30.0),
                                        limits=httpx.Limits(max_connections=8, max_keepalive_connections=4))
        self.url, self.ctx = url, ctx
        self.raw = None  # RawHTTP for requests, made after sign-in (it carries the cookies)
        self.person_id = None
        self.hello = asyncio.Event()
        self.seen = {}  # (event, key) -> perf_counter of arrival
        self.present_seen = 0
        self.sse_task = None
        self.sse_error = None
        self.events = 0

    def arm(self):
        self.raw = RawHTTP(self.url, self.ctx, cookie_header(self.client))

    async def sse(self, meeting_id, run):
        conn = RawHTTP(self.url, self.ctx, cookie_header(self.client))
        try:
            status, body = await conn.stream(f"/api/v1/events?meeting={meeting_id}")
            if status != 200:
                self.sse_error = f"HTTP {status}"
                self.hello.set()
                return
            self.hello.set()  # nchan holds the stream from here on (it sends no `hello` event)
            event = data = None
            buf = b""
            async for chunk in body:
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    line = raw.decode("utf-8")
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        data = line[6:]
                    elif line == "" and event:
                        self.on_event(event, data, run)
                        event = data = None
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a dropped stream is an error of the run, not a crash of it
            self.sse_error = f"{type(e).__name__}: {e}"
            self.hello.set()
        finally:
            await conn.close()

    def on_event(self, event, data, run):
        now = time.perf_counter()
        self.events += 1
        if event == "hello":
            self.hello.set()
        elif event == "attendance":
            present = json.loads(data)["present"]
            if present > self.present_seen:
                self.present_seen = present
                if present >= run.expected_present and ("attendance", present) not in self.seen:
                    self.seen[("attendance", present)] = now
                    run.arrived("attendance")
        elif event in ("poll.opened", "poll.closed"):
            d = json.loads(data)
            self.seen[(event, d["poll"])] = now
            if event == "poll.closed":
                run.results[d["poll"]] = d
            run.arrived(event)

    async def close(self):
        if self.sse_task:
            self.sse_task.cancel()
            try:
                await self.sse_task
            except (asyncio.CancelledError, Exception):
                pass
        if self.raw:
            await self.raw.close()
        if self.client is not None and not getattr(self, "shared", False):
            await self.client.aclose()


class Errors:
    def __init__(self):
        self.by_phase = {}
        self.samples = []

    def add(self, phase, what):
        self.by_phase[phase] = self.by_phase.get(phase, 0) + 1
        if len(self.samples) < 20:
            self.samples.append(f"{phase}: {what}")


async def timed(errors, phase, coro_fn, ok=(200,)):
    """Run one request; return (seconds, response or None)."""
    t = time.perf_counter()
    try:
        r = await coro_fn()
    except Exception as e:
        errors.add(phase, f"{type(e).__name__}: {e}")
        return None, None
    dt = time.perf_counter() - t
    if r.status_code not in ok:
        errors.add(phase, f"HTTP {r.status_code} {r.text[:160]}")
        return dt, None
    return dt, r


async def rtimed(errors, phase, raw, method, path, body=None):
    """One request on a RawHTTP connection: (seconds, JSON) or (seconds|None, None) on failure."""
    t = time.perf_counter()
    try:
        status, data = await raw.request(method, path, body)
    except Exception as e:
        errors.add(phase, f"{type(e).__name__}: {e}")
        return None, None
    dt = time.perf_counter() - t
    if status != 200:
        errors.add(phase, f"HTTP {status} {str(data)[:160]}")
        return dt, None
    return dt, data


async def bounded(n, coros):
    sem = asyncio.Semaphore(n)

    async def one(c):
        async with sem:
            return await c

    return await asyncio.gather(*(one(c) for c in coros))


# -- the committee run ------------------------------------------------------------------------

class Run:
    def __init__(self, n):
        self.n = n
        self.expected_present = n
        self.counts = {}
        self.waiters = {}
        self.results = {}

    def arrived(self, event):
        self.counts[event] = self.counts.get(event, 0) + 1
        w = self.waiters.get(event)
        if w and self.counts[event] >= w[0]:
            w[1].set()

    def expect(self, event, count):
        self.counts[event] = 0
        ev = asyncio.Event()
        self.waiters[event] = (count, ev)
        return ev


async def login(url, ctx, username, password):
    c = httpx.AsyncClient(base_url=url, headers={"Origin": url}, verify=ctx, timeout=60.0, limits=httpx.Limits(max_connections=16))
    r = await c.post("/api/v1/login", json={"username": username, "password": password})
    r.raise_for_status()
    return c


async def committee(args, out):
    """Fills `out` as it goes, so that a run cut short by its deadline still reports what it measured."""
    ctx = ssl_context()
    out.update({"mode": "committee", "tablets": args.tablets, "polls": args.polls, "phases": {}})
    errors = Errors()
    out["errors"], out["error_samples"] = errors.by_phase, errors.samples
    lag = LoopLag()
    lag.task = asyncio.create_task(lag.run())
    rss = RssSampler(args.server_pid) if args.server_pid else None
    if rss:
        rss.start()
    prof = Profiler(args.server_pid, args.profile_dir, args.profile.split(",") if args.profile else ())
    run = Run(args.tablets)
    rng = random.Random(args.seed)

    def phase(name):
        lag.phase = name
        if rss:
            rss.phase = name

    admin = await login(args.url, ctx, "admin", "yishi-admin")
    sec = await login(args.url, ctx, "secretary", "yishi-secretary")
    tablets = []
    console = None
    try:
        # 1. Pairing: what the admin and each tablet do, done by a few at a time (it is set-up).
        phase("pairing")
        t0 = time.perf_counter()
        everyone = (await admin.get("/api/v1/admin/people")).json()["people"]
        members = sorted((p for p in everyone if "member" in p["roles"] and p["seat"]), key=lambda p: p["seat"])[:args.tablets]
        tablets = [Tablet(args.url, ctx, p["seat"]) for p in members]
        for tab, p in zip(tablets, members):
            tab.person_id = p["id"]

        async def pair_start(tab):
            _, r = await timed(errors, "pairing", lambda: admin.post("/api/v1/admin/invites"))
            if r is None:
                return None
            token = r.json()["url"].split("#t=")[1]
            _, r = await timed(errors, "pairing", lambda: tab.client.post(
                "/api/v1/pair/start", json={"token": token, "device_name": f"座位{tab.seat:03d}"}))
            return r.json()["short_code"] if r is not None else None

        codes = await bounded(args.setup_concurrency, [pair_start(t) for t in tablets])
        pending = {r["short_code"]: r["id"] for r in (await admin.get("/api/v1/admin/pairing")).json()["requests"]}
        await bounded(args.setup_concurrency, [
            timed(errors, "pairing", lambda rid=pending.get(code), pid=tab.person_id: admin.post(
                f"/api/v1/admin/pairing/{rid}/approve", json={"person_id": pid}))
            for tab, code in zip(tablets, codes) if code in pending])
        await bounded(args.setup_concurrency, [timed(errors, "pairing", lambda tab=tab: tab.client.get("/api/v1/pair/status"))
                                               for tab in tablets])
        out["phases"]["pairing"] = {"seconds": round(time.perf_counter() - t0, 2)}

        # 2. PIN sign-in, everyone at once (Argon2 per PIN: the heaviest request there is).
        phase("pin_signin")
        t0 = time.perf_counter()
        from bench.committee import member_pin

        res = await asyncio.gather(*(timed(errors, "pin_signin", lambda tab=tab: tab.client.post(
            "/api/v1/signin", json={"person_id": tab.person_id, "pin": member_pin(tab.seat)})) for tab in tablets))
        out["phases"]["pin_signin"] = {"seconds": round(time.perf_counter() - t0, 2),
                                       "latency_ms": summary_ms([d for d, r in res if r is not None])}
        # A tablet that could not sign in plays no further part (its failure is counted above).
        failed = [t for t, (_, r) in zip(tablets, res) if r is None]
        tablets = [t for t, (_, r) in zip(tablets, res) if r is not None]
        await asyncio.gather(*(t.close() for t in failed), return_exceptions=True)
        out["tablets_signed_in"] = len(tablets)
        # From here a tablet has two connections, like a browser with the meeting page open: its
        # event stream and one kept-alive connection for requests (RawHTTP, made after the stream).
        await asyncio.gather(*(t.client.aclose() for t in tablets))
        if not tablets:
            raise RuntimeError("no tablet could sign in")

        # 3. The secretary prepares the meeting (and uploads the PDF for the readers).
        phase("prepare")
        mid = (await sec.post("/api/v1/meetings", json={"kind": "standing", "title": f"基准测试会议（{args.tablets}人）",
                                                        "starts_at": time.time()})).json()["id"]
        items = [(await sec.post(f"/api/v1/meetings/{mid}/items", json={"title": f"议题{i + 1}", "kind": "other"})).json()["id"]
                 for i in range(max(args.polls, 1))]
        doc_id = None
        if args.readers and args.pdf:
            with open(args.pdf, "rb") as f:
                t0 = time.perf_counter()
                r = await sec.post(f"/api/v1/meetings/{mid}/materials", data={"title": "会议材料汇编", "publish": "1"},
                                   files={"file": ("materials.pdf", f, "application/pdf")}, timeout=300)
                out["phases"]["upload"] = {"seconds": round(time.perf_counter() - t0, 2), "status": r.status_code}
            state = (await sec.get(f"/api/v1/meetings/{mid}")).json()
            doc_id = state["materials"][0]["document"] if state.get("materials") else None
        r = await sec.post(f"/api/v1/meetings/{mid}/signin/open")
        r.raise_for_status()

        # 4. Every tablet (and the console) holds a Server-Sent Events stream.
        phase("sse_connect")
        t0 = time.perf_counter()
        console = Tablet(args.url, ctx, 0, client=sec)
        for tab in tablets + [console]:
            tab.sse_task = asyncio.create_task(tab.sse(mid, run if tab is not console else Run(0)))
        try:
            await asyncio.wait_for(asyncio.gather(*(t.hello.wait() for t in tablets)), PHASE_TIMEOUT)
        except asyncio.TimeoutError:
            errors.add("sse_connect", "not every stream said hello in time")
        for t in tablets:
            if t.sse_error:
                errors.add("sse_connect", t.sse_error)
        out["phases"]["sse_connect"] = {"seconds": round(time.perf_counter() - t0, 2),
                                        "connected": sum(1 for t in tablets if t.hello.is_set() and not t.sse_error)}
        live = [t for t in tablets if t.hello.is_set() and not t.sse_error]
        await asyncio.gather(*(t.close() for t in tablets if t not in live), return_exceptions=True)
        tablets = live
        run.expected_present = len(tablets)
        # A tablet with the meeting page open has a kept-alive connection besides its stream.
        for t in tablets:
            t.arm()
        await bounded(args.setup_concurrency, [rtimed(errors, "sse_connect", t.raw, "GET", "/api/v1/me") for t in tablets])

        # 5. 签到: everyone at once; then until every tablet shows everyone present.
        phase("signin_burst")
        done = run.expect("attendance", len(tablets))
        prof.start("signin")
        t0 = time.perf_counter()
        res = await asyncio.gather(*(rtimed(errors, "signin_burst", tab.raw, "POST", f"/api/v1/meetings/{mid}/signin", {})
                                     for tab in tablets))
        t_acked = time.perf_counter()
        try:
            await asyncio.wait_for(done.wait(), PHASE_TIMEOUT)
        except asyncio.TimeoutError:
            errors.add("signin_burst", f"attendance reached only {run.counts.get('attendance', 0)} tablets")
        prof.stop()
        arrivals = [t.seen[("attendance", len(tablets))] - t0 for t in tablets if ("attendance", len(tablets)) in t.seen]
        out["phases"]["signin_burst"] = {
            "latency_ms": summary_ms([d for d, r in res if r is not None]),
            "all_acked_s": round(t_acked - t0, 3),
            "everyone_present_on_all_tablets_ms": summary_ms(arrivals),
            "sse_events_delivered": sum(t.events for t in tablets),
        }

        # 6. Polls: open, all cast at once, close; the result on every tablet.
        polls_out = []
        for k in range(args.polls):
            phase("polls")
            pid = (await sec.post(f"/api/v1/items/{items[k]}/polls", json={"mode": "secret", "rule": "majority"})).json()["id"]
            opened = run.expect("poll.opened", len(tablets))
            t0 = time.perf_counter()
            r = await sec.post(f"/api/v1/polls/{pid}/open", json={})
            if r.status_code != 200:
                errors.add("polls", f"open: HTTP {r.status_code} {r.text[:160]}")
                break
            try:
                await asyncio.wait_for(opened.wait(), PHASE_TIMEOUT)
            except asyncio.TimeoutError:
                errors.add("polls", f"poll.opened reached only {run.counts.get('poll.opened', 0)} tablets")
            open_arrivals = [t.seen[("poll.opened", pid)] - t0 for t in tablets if ("poll.opened", pid) in t.seen]

            choices = [rng.choices(("yes", "no", "abstain"), (70, 20, 10))[0] for _ in tablets]
            tally = {c: choices.count(c) for c in ("yes", "no", "abstain")}
            if k == 0:
                prof.start("ballots")
            elif k == 1:
                prof.start("ballots_all")
            phase("ballots")
            t_first = time.perf_counter()
            res = await asyncio.gather(*(rtimed(errors, "ballots", tab.raw, "POST", f"/api/v1/polls/{pid}/ballots", {
                "choice": c, "ballot_id": secrets.token_hex(16), "tracker": "".join(secrets.choice(TRACKER_ALPHABET) for _ in range(8))})
                for tab, c in zip(tablets, choices)))
            t_last = time.perf_counter()
            if k in (0, 1):
                prof.stop()
            acked = [d for d, r in res if r is not None and r.get("recorded")]

            phase("close")
            closed = run.expect("poll.closed", len(tablets))
            t0 = time.perf_counter()
            r = await sec.post(f"/api/v1/polls/{pid}/close")
            t_close_ack = time.perf_counter()
            try:
                await asyncio.wait_for(closed.wait(), PHASE_TIMEOUT)
            except asyncio.TimeoutError:
                errors.add("close", f"poll.closed reached only {run.counts.get('poll.closed', 0)} tablets")
            arrivals = [t.seen[("poll.closed", pid)] - t0 for t in tablets if ("poll.closed", pid) in t.seen]
            result = r.json() if r.status_code == 200 else {}
            got = {c: result.get(c) for c in ("yes", "no", "abstain")}
            if got != tally:
                errors.add("close", f"result {got} != ballots cast {tally}")
            polls_out.append({
                "poll": pid,
                "open_fanout_ms": summary_ms(open_arrivals),
                "ballot_ack_ms": summary_ms(acked),
                "ballots_per_s": round(len(acked) / (t_last - t_first), 1) if t_last > t_first else None,
                "ballots_wall_s": round(t_last - t_first, 3),
                "close_ack_ms": round((t_close_ack - t0) * 1000, 1),
                "result_fanout_ms": summary_ms(arrivals),
                "result_reached": len(arrivals),
                "tally_ok": got == tally,
            })
            await asyncio.sleep(0.2)
        out["polls_detail"] = polls_out
        if polls_out:
            out["phases"]["ballots"] = {
                "ballot_ack_ms": _merge(polls_out, "ballot_ack_ms"),
                "ballots_per_s_median": statistics.median(p["ballots_per_s"] for p in polls_out if p["ballots_per_s"]),
                "result_fanout_ms": _merge(polls_out, "result_fanout_ms"),
                "open_fanout_ms": _merge(polls_out, "open_fanout_ms"),
            }

        # 7. Readers: 100 tablets open the 20 MB PDF at once.
        if doc_id and args.readers:
            phase("documents")
            readers = [tablets[i % len(tablets)] for i in range(args.readers)]
            prof.start("documents")
            out["phases"]["documents"] = await read_all(
                [(RawHTTP(args.url, ctx, cookie_header(t.client)), f"/api/v1/documents/{doc_id}/content") for t in readers],
                args.size, errors, "documents", args.sha256)
            prof.stop()
        for t in tablets:
            if t.sse_error:
                errors.add("sse", t.sse_error)
    finally:
        phase("teardown")
        await asyncio.gather(*(t.close() for t in tablets), return_exceptions=True)
        if console is not None and console.sse_task:
            console.sse_task.cancel()
            await asyncio.gather(console.sse_task, return_exceptions=True)
        await admin.aclose()
        await sec.aclose()
        lag.task.cancel()
        if rss:
            rss.stop.set()
            rss.join(1)
            out["rss"] = rss.report()
    out["loop_lag_ms"] = lag.report()
    return out


def _merge(polls_out, key):
    """Combine per-poll summaries into one (p50 of p50s, worst p99, worst max)."""
    xs = [p[key] for p in polls_out if p[key]["n"]]
    if not xs:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    return {"n": sum(x["n"] for x in xs), "p50": statistics.median(x["p50"] for x in xs),
            "p99": max(x["p99"] for x in xs), "max": max(x["max"] for x in xs)}


async def read_all(targets, size, errors, phase, sha256=None):
    """All readers fetch at once; MB/s over the whole wall time, and each reader's time."""

    async def one(i, conn, path):
        t = time.perf_counter()
        n = 0
        h = hashlib.sha256() if (sha256 and i == 0) else None
        try:
            status, body = await conn.stream(path)
            if status != 200:
                errors.add(phase, f"HTTP {status}")
                return None
            async for chunk in body:
                n += len(chunk)
                if h:
                    h.update(chunk)
        except Exception as e:
            errors.add(phase, f"{type(e).__name__}: {e}")
            return None
        finally:
            await conn.close()
        if size and n != size:
            errors.add(phase, f"got {n} bytes, expected {size}")
        if h and h.hexdigest() != sha256:
            errors.add(phase, "content differs from the uploaded file")
        return time.perf_counter() - t, n

    t0 = time.perf_counter()
    res = await asyncio.gather(*(one(i, c, u) for i, (c, u) in enumerate(targets)))
    wall = time.perf_counter() - t0
    ok = [r for r in res if r]
    total = sum(n for _, n in ok)
    return {"readers": len(targets), "completed": len(ok), "bytes": total, "wall_s": round(wall, 2),
            "mb_per_s": round(total / wall / 1e6, 1), "reader_ms": summary_ms([d for d, _ in ok])}


async def fetch(args):
    ctx = ssl_context()
    errors = Errors()
    rss = RssSampler(args.server_pid) if args.server_pid else None
    if rss:
        rss.phase = "documents"
        rss.start()
    path = httpx.URL(args.url).raw_path.decode()
    try:
        out = {"mode": "fetch", "url": args.url, **await read_all([(RawHTTP(args.url, ctx), path) for _ in range(args.readers)],
                                                                   args.size, errors, "fetch", args.sha256)}
    finally:
        if rss:
            rss.stop.set()
            rss.join(1)
            out["rss"] = rss.report()
    out["errors"] = errors.by_phase
    out["error_samples"] = errors.samples
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench.loadgen", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("committee")
    c.add_argument("--url", required=True)
    c.add_argument("--tablets", type=int, required=True)
    c.add_argument("--polls", type=int, default=3)
    c.add_argument("--readers", type=int, default=0)
    c.add_argument("--pdf")
    c.add_argument("--setup-concurrency", type=int, default=16)
    c.add_argument("--seed", type=int, default=2017)
    f = sub.add_parser("fetch")
    f.add_argument("--url", required=True)
    f.add_argument("--readers", type=int, default=100)
    for sp in (c, f):
        sp.add_argument("--size", type=int, default=0, help="expected bytes per reader")
        sp.add_argument("--sha256", help="expected digest (checked on one reader)")
        sp.add_argument("--server-pid", type=int, help="gunicorn master pid, for RSS (and py-spy)")
        sp.add_argument("--profile", default="", help="comma-separated phases to profile with py-spy: ballots,documents")
        sp.add_argument("--profile-dir", default=".")
        sp.add_argument("--cpu", type=int, help="pin this process to this CPU")
        sp.add_argument("--deadline", type=float, default=600.0, help="give up after this many seconds")
    args = p.parse_args(argv)
    if args.cpu is not None and hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {args.cpu})
        except OSError:
            pass
    partial = {}
    coro = committee(args, partial) if args.mode == "committee" else fetch(args)

    async def bounded_run():
        try:
            return await asyncio.wait_for(coro, args.deadline)
        except (asyncio.TimeoutError, RuntimeError) as e:
            partial.setdefault("errors", {})["aborted"] = 1
            partial.setdefault("error_samples", []).append(f"aborted: {type(e).__name__} {e} (deadline {args.deadline} s)")
            return partial

    out = asyncio.run(bounded_run())
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0 if not out["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
