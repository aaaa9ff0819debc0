"""Cost of watching a range test live: `LiveRangeTest` (a redraw at most every 0.1 s from the engine's checks) against
the same `range_test` without a view, on the CPU benchmark's model (MLP on sklearn digits, 300 steps, no early stop).

Both sides run in this process, interleaved; each time is the engine's own `meta['duration_s']` of the sweep (the
dashboard the live widget opens afterwards is not part of the sweep). Prints the ratio of minima and of medians and
exits 1 when the ratio of minima misses the target. It also prints what one redraw costs (data, bokeh patch and its
serialization; no kernel here, so no socket write) next to the interval between redraws: the view's own share of a
sweep, which on a 300-step sweep of ~0.13 s is one or two redraws and so below the resolution of the ratio.

    python bench/live.py              # 15 repetitions
    python bench/live.py --reps 2     # a smoke run (no target)
"""
import argparse, inspect, statistics, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).resolve().parent))
from range_test import digits_batches, mlp

TARGET = 1.03

def sweep(live:bool, iters:int, seed:int) -> float:
    "Seconds the sweep took, with or without the live view."
    from lrwidgets import range_test, LiveRangeTest
    torch.manual_seed(seed)
    model = mlp(); opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    kw = dict(start_lr=1e-6, end_lr=1e-2, num_iter=iters, extend=None, seed=seed)
    if live:
        w = LiveRangeTest(model, opt, digits_batches(64, 'cpu'), torch.nn.functional.cross_entropy, **kw)
        rec = w.wait(600)
        if rec is None: raise RuntimeError(f"the live range test failed: {w.error!r}")
    else: rec = range_test(model, opt, digits_batches(64, 'cpu'), torch.nn.functional.cross_entropy, progress=False, **kw)
    assert len(rec) == iters, rec
    return rec.meta['duration_s']

def timed_draws():
    "Wrap `LiveRangeTest._draw` to record the seconds each redraw takes; returns the list it fills."
    from lrwidgets import LiveRangeTest
    draw, took = LiveRangeTest._draw, []
    def timed(self, *args):
        t = time.perf_counter(); draw(self, *args); took.append(time.perf_counter() - t)
    LiveRangeTest._draw = timed
    return took

def main(reps=15, iters=300, targets=True):
    torch.set_num_threads(1)   # both sides: the live sweep runs in a thread, which takes the same setting
    draws = timed_draws()
    sweep(True, 20, 0); sweep(False, 20, 0)                      # warm-up: imports, first widget
    times = {True: [], False: []}
    for r in range(reps):
        for live in ((True, False) if r % 2 else (False, True)): times[live].append(sweep(live, iters, r))
    mins = {k: min(v) for k, v in times.items()}; meds = {k: statistics.median(v) for k, v in times.items()}
    ratio = mins[True] / mins[False]
    print(f"range_test alone: min {mins[False]*1e3:.1f} ms, median {meds[False]*1e3:.1f} ms ({iters} steps, {reps} reps)")
    print(f"with the live view: min {mins[True]*1e3:.1f} ms, median {meds[True]*1e3:.1f} ms")
    print(f"live / alone: ratio of minima {ratio:.3f}, of medians {meds[True]/meds[False]:.3f} (target <= {TARGET})")
    if draws:
        from lrwidgets import LiveRangeTest
        every = inspect.signature(LiveRangeTest).parameters['interval'].default
        per = statistics.median(draws)
        print(f"one redraw: median {per*1e3:.2f} ms over {len(draws)} redraws, {per/every:.1%} of the {every} s between redraws")
    return 0 if not targets or ratio <= TARGET else 1

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--reps', type=int, default=15)
    ap.add_argument('--iters', type=int, default=300)
    a = ap.parse_args()
    sys.exit(main(a.reps, a.iters, targets=a.reps >= 5))
