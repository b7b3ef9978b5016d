"""The table, the chart and the profile summaries of a `bench.run` results.json.

    python -m bench.report bench/out/results.json      # prints the table again, redraws the chart
"""

import collections
import glob
import json
import os
import sys

# Per-core slowdown of a Raspberry Pi against this machine (issue 6): (low, high).
PI = {"Pi 5": (2, 3), "Pi 4": (4, 6)}
TARGETS = {"ballot_p99_ms": 250, "fanout_p99_ms": 1000, "ballot_ratio": 0.5, "doc_ratio": 0.5, "rss_mb": 250}


def _f(x, nd=0):
    if x is None:
        return "–"
    return f"{x:,.{nd}f}" if isinstance(x, (int, float)) else str(x)


def _lat(s):
    return f"{_f(s.get('p50'))} / {_f(s.get('p99'))} / {_f(s.get('max'))}" if s and s.get("n") else "–"


def _errs(e):
    return f"{sum(e.values())} ({', '.join(f'{k} {v}' for k, v in e.items())})" if e else "0"


def _peak(run, skip=("pin_signin",)):
    rss = run.get("rss", {})
    vals = [v["total_mb"] for k, v in rss.items() if k not in skip]
    return max(vals) if vals else None


def table(res):
    m = res["machine"]
    raw = res["raw_commits"]["single"]["rows_per_s"]
    raw16 = res["raw_commits"]["batched16"]["rows_per_s"]
    ngx = res["nginx_https"]["mb_per_s"]
    out = [f"Machine: {m['cpu']}, {m['cpus']} CPUs, {m['mem_mb']} MB, Linux {m['kernel']}, Python {m['python']}, "
           f"SQLite {m['sqlite']} (sqlcipher3 {m['sqlcipher3']}), gunicorn {m['gunicorn']}, {m['nginx']}. "
           f"Server pinned to one CPU, load generator to the other: {'yes' if res.get('pinned') else 'no'}. Run {res['started']}, "
           f"{res.get('total_s')} s.", "",
           "Baselines (same run):", "",
           "| baseline | figure |", "|---|---|",
           f"| raw sqlcipher3, one row per durable COMMIT (same pragmas) | {_f(raw)} commits/s (median of 3 tries: {res['raw_commits']['single'].get('tries')}; COMMIT p50 {res['raw_commits']['single']['commit_p50_ms']} ms) |",
           f"| raw sqlcipher3, one row per COMMIT, again after the runs | {_f(res.get('raw_commits_after', {}).get('single', {}).get('rows_per_s'))} commits/s "
           f"(tries {res.get('raw_commits_after', {}).get('single', {}).get('tries')}) |",
           f"| raw sqlcipher3, 16 rows per COMMIT | {_f(raw16)} rows/s |",
           f"| nginx 1 worker, HTTPS, {res['config']['readers']} readers of the {res['pdf_bytes'] / 1e6:.1f} MB PDF | {_f(ngx)} MB/s |",
           f"| nginx, plain HTTP (the load generator's own ceiling) | {_f(res['nginx_http']['mb_per_s'])} MB/s |", ""]
    head = ("| N | start-up s | RSS idle / peak MB | PIN sign-in p50/p99/max ms | 签到 ack p50/p99/max ms | all present on all tablets p99 ms "
            "| ballot ack p50/p99/max ms | ballots/s (× raw) | result on all tablets p50/p99/max ms | errors |")
    out += ["Committee (ms; p50 / p99 / max over all polls of the run):", "", head, "|---|---|---|---|---|---|---|---|---|---|"]
    rows = [(k, v) for k, v in sorted(res["runs"].items(), key=lambda kv: int(kv[0].split("+")[0]))]
    rows += [(k, v) for k, v in sorted(res.get("variants", {}).items())]
    for n, r in rows:
        ph = r["phases"]
        b = ph.get("ballots", {})
        bps = b.get("ballots_per_s_median")
        if not ph.get("signin_burst"):
            out.append(f"| {n} | {_f(r.get('startup_s'), 2)} | run incomplete: errors {r['errors']}: {'; '.join(r['error_samples'][:3])[:300]} |"
                       " | | | | | | |")
            continue
        out.append(
            f"| {n} | {_f(r['startup_s'], 2)} | {_f(r['rss_idle_mb'])} / {_f(_peak(r))} | {_lat(ph.get('pin_signin', {}).get('latency_ms'))} "
            f"| {_lat(ph.get('signin_burst', {}).get('latency_ms'))} | {_f(ph.get('signin_burst', {}).get('everyone_present_on_all_tablets_ms', {}).get('p99'))} "
            f"| {_lat(b.get('ballot_ack_ms'))} | {_f(bps)} ({bps / raw:.2f}×) | {_lat(b.get('result_fanout_ms'))} "
            f"| {_errs(r['errors'])} |" if bps else f"| {n} | run incomplete: {r['errors']} |")
    out += ["", "RSS peak excludes the PIN sign-in burst, shown apart: "
            + ", ".join(f"N={n}: {_f(r.get('rss', {}).get('pin_signin', {}).get('total_mb'))} MB" for n, r in rows), ""]
    docs = [(n, r) for n, r in rows if "documents" in r["phases"]]
    if docs:
        out += ["Documents (20 MB PDF from the encrypted store, all readers at once):", "",
                "| server | readers | MB/s (× nginx HTTPS) | per reader p50/p99/max ms | RSS peak MB | errors |", "|---|---|---|---|---|---|"]
        for n, r in docs:
            d = r["phases"]["documents"]
            out.append(f"| yishi (N={n}) | {d['readers']} | {_f(d['mb_per_s'])} ({d['mb_per_s'] / ngx:.2f}×) | {_lat(d['reader_ms'])} "
                       f"| {_f(r.get('rss', {}).get('documents', {}).get('total_mb'))} | {r['errors'].get('documents', 0)} |")
        n = res["nginx_https"]
        out.append(f"| nginx HTTPS | {n['readers']} | {_f(n['mb_per_s'])} (1.00×) | {_lat(n['reader_ms'])} "
                   f"| {_f(n.get('rss', {}).get('documents', {}).get('total_mb'))} | {sum(n['errors'].values())} |")
        out.append("")
    out += targets(res, rows, raw, ngx)
    out += pi_estimates(res, rows, raw, ngx)
    return "\n".join(out) + "\n"


def targets(res, rows, raw, ngx):
    big_n, big = max(((int(n), r) for n, r in res["runs"].items()), default=(None, None))
    if big is None or "ballots" not in big["phases"]:
        return []
    b = big["phases"]["ballots"]
    doc = big["phases"].get("documents", {})
    peak = max(filter(None, [_peak(r, ()) for _, r in rows]))
    peak_nopin = max(filter(None, [_peak(r) for _, r in rows]))
    checks = [
        (f"N={big_n}: 0 errors", sum(big["errors"].values()) == 0, f"{sum(big['errors'].values())} errors"),
        (f"N={big_n}: ballot ack p99 < 250 ms", b["ballot_ack_ms"]["p99"] < TARGETS["ballot_p99_ms"], f"{b['ballot_ack_ms']['p99']} ms"),
        (f"N={big_n}: result on all tablets p99 < 1 s", b["result_fanout_ms"]["p99"] < TARGETS["fanout_p99_ms"],
         f"{b['result_fanout_ms']['p99']} ms"),
        ("ballots/s ≥ 0.5 × raw commits/s", b["ballots_per_s_median"] / raw >= TARGETS["ballot_ratio"],
         f"{b['ballots_per_s_median'] / raw:.2f}×"),
        ("documents ≥ 0.5 × nginx", bool(doc) and doc["mb_per_s"] / ngx >= TARGETS["doc_ratio"],
         f"{doc['mb_per_s'] / ngx:.2f}×" if doc else "not run"),
        ("server RSS < 250 MB in all", peak < TARGETS["rss_mb"], f"{peak:.0f} MB peak ({peak_nopin:.0f} MB without the PIN burst)"),
    ]
    return ["Targets (production server, issue 6):", "", "| target | met | measured |", "|---|---|---|"] + [
        f"| {t} | {'yes' if ok else '**no**'} | {v} |" for t, ok, v in checks] + [""]


def pi_estimates(res, rows, raw, ngx):
    """CPU-bound figures scaled by the per-core factors; the SD card's fsync is not CPU and is noted apart."""
    out = ["Estimated on a Raspberry Pi (CPU-bound figures × the per-core factor; latencies grow, rates shrink):", "",
           "| N | | ballot ack p99 ms | ballots/s | result on all tablets p99 ms | 签到 ack p99 ms | documents MB/s |", "|---|---|---|---|---|---|---|"]
    for n, r in rows:
        b = r["phases"].get("ballots")
        if not b or "signin_burst" not in r["phases"]:
            continue
        d = r["phases"].get("documents", {})
        s = r["phases"]["signin_burst"]["latency_ms"]
        for pi, (lo, hi) in PI.items():
            out.append(f"| {n} | {pi} | {b['ballot_ack_ms']['p99'] * lo:,.0f}–{b['ballot_ack_ms']['p99'] * hi:,.0f} "
                       f"| {b['ballots_per_s_median'] / hi:,.0f}–{b['ballots_per_s_median'] / lo:,.0f} "
                       f"| {b['result_fanout_ms']['p99'] * lo:,.0f}–{b['result_fanout_ms']['p99'] * hi:,.0f} "
                       f"| {s['p99'] * lo:,.0f}–{s['p99'] * hi:,.0f} "
                       f"| {_docs_range(d, lo, hi)} |")
    return out + [""]


def _docs_range(d, lo, hi):
    return f"{d['mb_per_s'] / hi:,.0f}–{d['mb_per_s'] / lo:,.0f}" if d else "–"


def chart(res, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = sorted(((int(n), r) for n, r in res["runs"].items() if "ballots" in r["phases"]), key=lambda x: x[0])
    if not runs:
        return
    ns = [n for n, _ in runs]
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    series = [("ballot ack p50", lambda r: r["phases"]["ballots"]["ballot_ack_ms"]["p50"], "C0", "--"),
              ("ballot ack p99", lambda r: r["phases"]["ballots"]["ballot_ack_ms"]["p99"], "C0", "-"),
              ("result on all tablets p99", lambda r: r["phases"]["ballots"]["result_fanout_ms"]["p99"], "C2", "-"),
              ("sign-in (qiandao) ack p99", lambda r: r["phases"]["signin_burst"]["latency_ms"]["p99"], "C1", "-"),
              ("all present on all tablets p99", lambda r: r["phases"]["signin_burst"]["everyone_present_on_all_tablets_ms"]["p99"],
               "C1", ":")]
    for label, fn, color, style in series:
        ax.plot(ns, [fn(r) for _, r in runs], style, color=color, marker="o", label=label)
    groups = collections.defaultdict(list)
    for key, r in res.get("variants", {}).items():
        if "ballots" in r["phases"]:
            groups[key.split("+", 1)[1]].append((int(key.split("+")[0]), r))
    for i, (name, pts) in enumerate(sorted(groups.items(), key=lambda g: len(g[0]))):
        pts.sort(key=lambda x: x[0])
        label = "proposals: " + name.replace(",", "+")
        style = "*" if len(pts) == 1 else "*-."
        xs = [n for n, _ in pts]
        ax.plot(xs, [r["phases"]["ballots"]["ballot_ack_ms"]["p99"] for _, r in pts], style, color=f"C{3 + 2 * i}",
                markersize=11, label=f"ballot ack p99, {label}")
        ax.plot(xs, [r["phases"]["signin_burst"]["latency_ms"]["p99"] for _, r in pts], style, color=f"C{4 + 2 * i}",
                markersize=11, label=f"sign-in ack p99, {label}")
    ax.axhline(250, color="grey", lw=0.8, ls="--")
    ax.text(ns[0], 260, "ballot target 250 ms", color="grey", fontsize=8)
    ax.axhline(1000, color="grey", lw=0.8, ls="--")
    ax.text(ns[0], 1050, "result target 1 s", color="grey", fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("tablets (N)")
    ax.set_ylabel("ms (log)")
    ax.set_xticks(ns)
    ax.set_title("Yishi: latency against committee size (one gthread worker, one CPU)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def summarise_profiles(directory, top=30):
    """py-spy raw (collapsed) stacks -> FILE.summary.txt: inclusive and self share per function."""
    for path in glob.glob(os.path.join(directory, "*.collapsed.txt")):
        incl, self_ = collections.Counter(), collections.Counter()
        total = 0
        with open(path) as f:
            for line in f:
                stack, _, n = line.rstrip("\n").rpartition(" ")
                if not n.isdigit():
                    continue
                n = int(n)
                frames = stack.split(";")[1:]  # the first is the thread
                total += n
                for fr in set(frames):
                    incl[fr] += n
                if frames:
                    self_[frames[-1]] += n
        if not total:
            continue
        lines = [f"{os.path.basename(path)}: {total} samples of the gunicorn worker (py-spy 100 Hz; --gil except documents)", "",
                 "inclusive %  function (file:line)"]
        lines += [f"{100 * c / total:10.1f}  {fr}" for fr, c in incl.most_common(top)]
        lines += ["", "self %      function (file:line)"]
        lines += [f"{100 * c / total:10.1f}  {fr}" for fr, c in self_.most_common(top)]
        with open(path.replace(".collapsed.txt", ".summary.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")


def main(argv):
    with open(argv[0]) as f:
        res = json.load(f)
    print(table(res))
    chart(res, argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "latency-vs-n.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
