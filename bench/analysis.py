"""Timings of `suggest` (and `analyze`) per rule, against the speed targets of an interactive explorer.

Targets: all of `suggest` on a 10 000-point recording <= 5 ms, on 1 000 000 points <= 100 ms. Rules are timed
interleaved (round-robin, so a burst of load from other processes hits them all alike) and the median is reported
with its ratio to the target (< 1 meets it). Run: `python bench/analysis.py [--repeats N]`.
"""
import argparse, os, time
import numpy as np
from lrwidgets import synthetic
from lrwidgets import suggest, analyze, RULES

TARGETS_MS = {10_000: 5., 1_000_000: 100.}

def timings(rec, repeats):
    "Median ms per call of suggest for every rule, and of analyze with the default rule, interleaved."
    calls = {name: (lambda name=name: suggest(rec, name)) for name in RULES}
    calls['analyze (default rule)'] = lambda: analyze(rec)
    for f in calls.values(): f()                                  # warm up
    times = {k: [] for k in calls}
    for _ in range(repeats):
        for k, f in calls.items():
            t = time.perf_counter(); f(); times[k].append(time.perf_counter() - t)
    return {k: 1e3 * float(np.median(v)) for k, v in times.items()}

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=0, help='timed calls per rule (default: 30 at 10k points, 5 at 1M)')
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for n, target in TARGETS_MS.items():
        rec = synthetic(n, noise=0.1)
        t = time.perf_counter(); suggest(rec, 'valley')
        first = 1e3 * (time.perf_counter() - t)   # on long curves: imports numba and compiles (or loads the cached compile)
        res = timings(rec, args.repeats or (30 if n <= 10_000 else 5))
        print(f"\n{n:,} points (target {target:g} ms); the first valley call in this process took {first:.0f} ms")
        print(f"{'rule':<24}{'median ms':>10}{'/ target':>10}")
        for k, ms in res.items(): print(f"{k:<24}{ms:>10.2f}{ms/target:>10.2f}{'' if ms <= target else '  MISSES'}")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")

if __name__ == '__main__': main()
