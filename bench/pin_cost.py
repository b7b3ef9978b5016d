"""What a PIN's Argon2id cost buys: time per PIN for the appliance against the time an attacker
holding the decrypted store needs to try every PIN.

    .venv/bin/python bench/pin_cost.py [--rounds 20] [--members 500]

For each cost (passes t, memory m): ms to verify one PIN on one core here (argon2-cffi, as
sign-in does); the PIN sign-in burst of `--members` at once spread over this machine's cores
(the floor of p99 when nothing else runs); and the time to exhaust the PIN space (10^6 six-digit
PINs; 10^4 for a four-digit one: people.PIN_RE allows 4-8 digits) on one core and on a 64-core
attacker machine with the same per-core speed (a GPU does no better on a memory-hard hash per
watt than a CPU at these memory sizes; we assume parity, generously to us). Pi figures: this
machine's × 4-6 (Pi 4), as bench/RESULTS.md estimates CPU-bound work.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from argon2 import PasswordHasher  # noqa: E402

COSTS = [(1, 1024), (1, 4 * 1024), (1, 8 * 1024), (2, 8 * 1024), (1, 16 * 1024), (2, 16 * 1024), (3, 32 * 1024), (3, 64 * 1024)]


def per_pin(t, m, rounds):
    h = PasswordHasher(time_cost=t, memory_cost=m, parallelism=1)
    stored = h.hash("123456")
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        h.verify(stored, "123456")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fmt_s(s):
    return f"{s:,.0f} s" if s < 3600 else f"{s / 3600:,.1f} h" if s < 86400 * 2 else f"{s / 86400:,.1f} d"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--members", type=int, default=500)
    args = ap.parse_args(argv)
    cores = os.cpu_count() or 1
    print(f"{cores} cores here; burst = {args.members} PINs at once over all cores; exhaust = every 6-digit PIN")
    print(f"{'t':>2} {'MiB':>4} {'ms/PIN':>7} {'Pi4 ms':>9} {'burst s':>8} {'Pi4 burst s (4 cores)':>22} "
          f"{'exhaust 1 core':>15} {'exhaust 64 cores':>17} {'4-digit, 64 cores':>18}")
    base = None
    for t, m in COSTS:
        s = per_pin(t, m, args.rounds)
        base = base or s
        burst = args.members * s / cores
        pi_burst = (args.members * s * 4 / 4, args.members * s * 6 / 4)
        print(f"{t:>2} {m // 1024:>4} {s * 1000:>7.1f} {s * 4000:>4.0f}-{s * 6000:<4.0f} {burst:>8.2f} "
              f"{pi_burst[0]:>10.1f}-{pi_burst[1]:<11.1f} {fmt_s(1e6 * s):>15} {fmt_s(1e6 * s / 64):>17} "
              f"{fmt_s(1e4 * s / 64):>18}   ({s / base:.1f}× the cheapest)", flush=True)


if __name__ == "__main__":
    main()
