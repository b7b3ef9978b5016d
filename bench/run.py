"""`make bench`: the baselines, then the real server against N = 50, 200, 500 simulated tablets.

    .venv/bin/python -m bench.run [--tablets 50,200,500] [--polls 3] [--readers 100] [--profile] [--out bench/out]

For each N: a fresh encrypted store with N members, `yishi serve` exactly as systemd starts it
(gunicorn_options: one gthread worker, 600 threads) pinned to CPU 0, start-up timed until
/healthz answers unsealed, then `bench.loadgen committee` pinned to CPU 1. The largest N also
serves the 20 MB PDF to 100 readers. Before that, in the same run: raw sqlcipher3 commits/s
(same pragmas) and nginx serving the same PDF. Writes OUT/results.json, OUT/table.md and the
chart bench/latency-vs-n.png, and prints the table. Everything runs on 127.0.0.1 and stops by
itself (each child has a deadline).
"""

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SERVER_CPU, CLIENT_CPU = 0, 1


def cpus():
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:
        return list(range(os.cpu_count() or 1))


def pin(cpu):
    if cpu is None:
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    import gunicorn
    import sqlcipher3

    mem = 0
    with open("/proc/meminfo") as f:
        mem = int(next(line.split()[1] for line in f if line.startswith("MemTotal"))) // 1024
    return {"cpu": model or platform.processor(), "cpus": os.cpu_count(), "mem_mb": mem, "kernel": platform.release(),
            "python": platform.python_version(), "sqlcipher3": importlib.metadata.version("sqlcipher3"),
            "sqlite": sqlcipher3.sqlite_version, "gunicorn": gunicorn.__version__,
            "nginx": subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip() if shutil.which("nginx") else None}


class Server:
    """`yishi serve` as the systemd unit runs it (nginx in front, its child), on loopback, pinned
    to one CPU: nginx inherits the pinning, so the whole server side shares the one core."""

    def __init__(self, data_dir, passphrase_file, cpu):
        from bench.baselines import free_port

        self.data_dir, self.port = data_dir, free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        yishi = [os.path.join(os.path.dirname(sys.executable), "yishi")]
        self.cmd = [*yishi, "serve", "--data", data_dir, "--host", "127.0.0.1", "--port", str(self.port),
                    "--http-port", str(free_port()), "--passphrase-file", passphrase_file, "--no-zeroconf"]
        self.cpu = cpu
        # As systemd/yishi.service sets them: big allocations (Argon2's 16 MiB) always mmapped
        # and given back, few malloc arenas.
        self.env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_ARENA_MAX": "2"}
        self.proc = None

    def start(self, timeout=60):
        import httpx

        log = open(os.path.join(self.data_dir, "server.log"), "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=pin(self.cpu))
        with httpx.Client(verify=False, timeout=1) as c:
            while time.perf_counter() - t0 < timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"yishi serve exited with {self.proc.returncode}; see {self.data_dir}/server.log")
                try:
                    r = c.get(self.url + "/healthz")
                    if r.status_code == 200 and r.json().get("sealed") is False:
                        return time.perf_counter() - t0
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"yishi serve did not answer /healthz within {timeout} s")

    def rss_mb(self):
        from bench.loadgen import _descendants, _rss_kib

        return round((_rss_kib(self.proc.pid) + sum(_rss_kib(p) for p in _descendants(self.proc.pid))) / 1024, 1)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def loadgen(args_list, cpu, timeout):
    cmd = [sys.executable, "-m", "bench.loadgen", *args_list]
    if cpu is not None:
        cmd += ["--cpu", str(cpu)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if not p.stdout.strip():
        raise RuntimeError(f"load generator failed ({p.returncode}): {p.stderr[-2000:]}")
    return json.loads(p.stdout)


def run_committee(work, n, opts, pdf=None, sha=None, size=0, profile=False):
    from bench import committee

    data = os.path.join(work, f"data-{n}" + ("-profile" if profile else ""))
    t0 = time.perf_counter()
    pf = committee.build(data, n)
    built = time.perf_counter() - t0
    server = Server(data, pf, opts.server_cpu)
    startup = server.start()
    idle = server.rss_mb()
    try:
        args = ["committee", "--url", server.url, "--tablets", str(n), "--polls", str(opts.polls),
                "--server-pid", str(server.proc.pid), "--deadline", "600"]
        if pdf:
            args += ["--readers", str(opts.readers), "--pdf", pdf, "--size", str(size), "--sha256", sha]
        if profile:
            os.makedirs(opts.profile_dir, exist_ok=True)
            args += ["--profile", "signin,ballots,documents", "--profile-dir", os.path.join(opts.profile_dir, f"n{n}")]
            os.makedirs(os.path.join(opts.profile_dir, f"n{n}"), exist_ok=True)
        out = loadgen(args, opts.client_cpu, 660)
    finally:
        server.stop()
    out.update(startup_s=round(startup, 3), rss_idle_mb=idle, store_build_s=round(built, 1))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(prog="bench.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--tablets", default="50,200,500")
    p.add_argument("--polls", type=int, default=3)
    p.add_argument("--readers", type=int, default=100)
    p.add_argument("--pdf-mb", type=float, default=20)
    p.add_argument("--profile", action="store_true", help="py-spy the worker during ballots and documents at the largest N")
    p.add_argument("--profile-dir", default=os.path.join(HERE, "profiles"))
    p.add_argument("--out", default=os.path.join(HERE, "out"))
    p.add_argument("--chart", default=os.path.join(HERE, "latency-vs-n.png"))
    p.add_argument("--keep", action="store_true", help="keep the temporary data folders")
    opts = p.parse_args(argv)
    ns = [int(x) for x in opts.tablets.split(",") if x]
    avail = cpus()
    opts.server_cpu, opts.client_cpu = (avail[0], avail[1]) if len(avail) >= 2 else (None, None)
    if opts.client_cpu is not None:
        os.sched_setaffinity(0, {opts.client_cpu})  # this process stays off the server's CPU too
    os.makedirs(opts.out, exist_ok=True)
    results = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "pinned": opts.client_cpu is not None,
               "config": {"tablets": ns, "polls": opts.polls, "readers": opts.readers, "pdf_mb": opts.pdf_mb}}
    work = tempfile.mkdtemp(prefix="yishi-bench-")
    t_all = time.perf_counter()
    try:
        from bench import committee
        from bench.baselines import Nginx

        # Baselines first, on the CPU the server will have.
        say("baseline: raw sqlcipher3 durable commits")
        r = subprocess.run([sys.executable, "-m", "bench.baselines", "commits", "--dir", os.path.join(work, "raw"), "--seconds", "1.5",
                            *(["--cpu", str(opts.server_cpu)] if opts.server_cpu is not None else [])],
                           cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
        results["raw_commits"] = json.loads(r.stdout)
        say(f"  {results['raw_commits']['single']['rows_per_s']} single-row commits/s, "
            f"{results['raw_commits']['batched16']['rows_per_s']} rows/s in commits of 16")

        pdf = os.path.join(work, "materials.pdf")
        size = committee.make_pdf(pdf, int(opts.pdf_mb * 1024 * 1024))
        with open(pdf, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        results["pdf_bytes"] = size

        say("baseline: nginx serving the same PDF to %d readers" % opts.readers)
        tls_dir = os.path.join(work, "nginx-tls")
        from appliance import tls

        tls.ensure(tls_dir)
        paths = tls.paths(tls_dir)
        ngx = Nginx(pdf, paths["crt"], paths["key"], cpu=opts.server_cpu).start()
        try:
            results["nginx_https"] = loadgen(["fetch", "--url", ngx.https_url, "--readers", str(opts.readers), "--size", str(size),
                                              "--sha256", sha, "--server-pid", str(ngx.proc.pid)], opts.client_cpu, 300)
            results["nginx_http"] = loadgen(["fetch", "--url", ngx.http_url, "--readers", str(opts.readers), "--size", str(size),
                                             "--server-pid", str(ngx.proc.pid)], opts.client_cpu, 300)
        finally:
            ngx.stop()
        say(f"  nginx HTTPS {results['nginx_https']['mb_per_s']} MB/s, plain HTTP {results['nginx_http']['mb_per_s']} MB/s "
            "(the load generator's own ceiling)")

        results["runs"] = {}
        for n in ns:
            last = n == max(ns)
            say(f"N = {n} tablets" + (f" (+ {opts.readers} readers of the PDF)" if last and opts.readers else ""))
            try:
                out = run_committee(work, n, opts, pdf if last and opts.readers else None, sha, size)
            except Exception as e:  # one broken run is a finding, not the end of the benchmark
                out = {"phases": {}, "errors": {"run": 1}, "error_samples": [str(e)[-1500:]], "startup_s": None, "rss_idle_mb": None}
            results["runs"][str(n)] = out
            save(results, opts.out)
            say("  " + one_line(out))
        # The disk's fsync rate drifts; measure it again at the end to bracket the run.
        r = subprocess.run([sys.executable, "-m", "bench.baselines", "commits", "--dir", os.path.join(work, "raw"), "--seconds", "1.5",
                            *(["--cpu", str(opts.server_cpu)] if opts.server_cpu is not None else [])],
                           cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
        results["raw_commits_after"] = json.loads(r.stdout)
        save(results, opts.out)
        if opts.profile:
            n = max(ns)
            say(f"profile: N = {n} again with py-spy on the worker (figures of this run are not reported)")
            try:
                prof = run_committee(work, n, opts, pdf if opts.readers else None, sha, size, profile=True)
                results["profiled_run_errors"] = prof["errors"]
            except Exception as e:
                results["profiled_run_errors"] = {"run": str(e)[-500:]}
            from bench import report

            report.summarise_profiles(os.path.join(opts.profile_dir, f"n{n}"))
    finally:
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            say(f"kept {work}")
    results["total_s"] = round(time.perf_counter() - t_all, 1)
    from bench import report

    with open(os.path.join(opts.out, "results.json"), "w") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)
    table = report.table(results)
    with open(os.path.join(opts.out, "table.md"), "w") as f:
        f.write(table)
    report.chart(results, opts.chart)
    print(table)
    say(f"done in {results['total_s']} s: {opts.out}/results.json, {opts.chart}")
    errors = sum(sum(r["errors"].values()) for r in results["runs"].values())
    return 0 if errors == 0 else 1


def save(results, out_dir):
    with open(os.path.join(out_dir, "results.json"), "w") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)


def one_line(out):
    b = out["phases"].get("ballots", {})
    ack, fan = b.get("ballot_ack_ms", {}), b.get("result_fanout_ms", {})
    return (f"start-up {out['startup_s']} s, ballot ack p99 {ack.get('p99')} ms, {b.get('ballots_per_s_median')} ballots/s, "
            f"result on all tablets p99 {fan.get('p99')} ms, errors {out['errors']}")


def say(msg):
    print(msg, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
