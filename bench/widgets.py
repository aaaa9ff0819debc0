"""Benchmark: from a control change to updated plot data and readout, headless.

Run: `python bench/widgets.py [--repeats 15] [--big 1000000]`

Setting a control's `.value` runs the widget's observer synchronously (re-analysis on all points, plot data,
assigning the changed bokeh sources, which builds the one PATCH-DOC message per change and "sends" it to a
headless DummyComm, the readout), so the time of the assignment is the time until sources and readout are updated; the
browser's own redraw is not included. Each case alternates a control between two values, and the moves of
the different cases are interleaved (one move of each case in turn), so all of them see the same machine load;
we report medians and 90th percentiles of wall-clock and CPU (process) time, and the ratio of the median to the
target (<= 1 meets it). The machine is shared, so the exit status follows the CPU times. Targets: explorer <= 10 ms at 10 000 points, <= 100 ms at 1 000 000 points; previewer
<= 10 ms at 100 000 steps.

The x-axis toggle changes no data: it moves every renderer to the panel's other x range and shows that axis. The
dashboard cases move an explorer control of an `LRDashboard`, so the time includes the linked previewer's update.

For scale, one more case redraws the 10 000-point explorer the way a non-patching widget would: a new figure
and a new BokehModel per change (same data); the ratio says what the patches save.
"""
import argparse, os, statistics, time
import numpy as np
from jupyter_bokeh import BokehModel
from lrwidgets import synthetic
from lrwidgets import analyze, RULES, DEFAULT_RULE
from lrwidgets.plots import range_test_data, range_test_figure
from lrwidgets import RangeTestExplorer, SchedulePreviewer, LRDashboard


def timed(f):
    "Wall and CPU seconds of one call of `f`."
    w, c = time.perf_counter(), time.process_time()
    f()
    return time.perf_counter() - w, time.process_time() - c


def mover(widget, control, values, check):
    "A function that moves `control` to the next of `values` and checks that `check()` (plot data or readout) was updated."
    state = dict(i=-1)
    def move():
        state['i'] += 1
        before = check()
        widget.controls[control].value = values[state['i'] % len(values)]
        after = check()
        assert (after != before) if isinstance(after, str) else (after is not before), f"{control}: nothing was updated"
    return move


def x_axis_of(ex):
    "The x ranges the explorer's renderers draw on (what the x-axis toggle changes)."
    renderers = [r for p in ex.layout_bokeh.children for r in p.renderers]
    return lambda: str(sorted({r.x_range_name for r in renderers}))


def rerender(rec, ex, keep):
    "What a re-rendering widget does per change: the analysis, a new figure and a new BokehModel (kept in `keep`)."
    def go():
        a = analyze(rec, **ex.settings)
        keep.append(BokehModel(range_test_figure(range_test_data(rec, a, suggestion=a.suggestion))[0]))
    return go


def machine_speed() -> float:
    "Median ms of np.log over a million floats: how fast this (shared) machine is right now, to read the table against."
    x = np.random.default_rng(0).random(1_000_000) + 1
    return 1e3 * statistics.median(timed(lambda: np.log(x))[0] for _ in range(30))


def main(repeats=15, big=1_000_000):
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; numpy {np.__version__}; "
          f"np.log of 1M floats: {machine_speed():.1f} ms (4.2 ms on a quiet run of the 2-core development machine)")
    small_rec, big_rec = synthetic(10_000, seed=0), synthetic(big, seed=0)
    small, large = RangeTestExplorer(small_rec), RangeTestExplorer(big_rec)
    dash_small, dash_large = LRDashboard(small_rec), LRDashboard(big_rec)
    prev = SchedulePreviewer('OneCycle', steps_per_epoch=1000, epochs=100)      # 100 000 steps
    cyc = SchedulePreviewer('Cyclic', steps_per_epoch=1000, epochs=100, step_size_up=4000)
    smooth_of = lambda ex: (lambda: ex.sources['smooth_0'].data['loss'])
    lr_of = lambda p: (lambda: p.sources['lr'].data['lr'])
    cases = {}
    for label, ex, target in (('explorer 10k', small, 0.010), (f'explorer {big//1000}k', large, 0.100)):
        cases[f'{label}: window'] = (mover(ex, 'window', [20, 30], smooth_of(ex)), target)
        cases[f'{label}: kind'] = (mover(ex, 'kind', ['sma', 'ema'], smooth_of(ex)), target)
        cases[f'{label}: diverge_th'] = (mover(ex, 'diverge_th', [2., 6.], smooth_of(ex)), target)
        for rule in ('steep', 'robust', DEFAULT_RULE):  # each move: from the previous rule to this one; the default last,
                                                        # so the window, kind and diverge_th moves run it too
            cases[f'{label}: rule -> {rule}'] = (mover(ex, 'rule', [rule], lambda ex=ex: ex.readout.value), target)
        cases[f'{label}: x axis'] = (mover(ex, 'x_log', [False, True], x_axis_of(ex)), target)
    for label, dash, target in (('dashboard 10k', dash_small, 0.010), (f'dashboard {big//1000}k', dash_large, 0.100)):
        cases[f'{label}: window'] = (mover(dash.explorer, 'window', [20, 30], smooth_of(dash.explorer)), target)   # previewer included
    cases['previewer 100k steps: max_lr'] = (mover(prev, 'max_lr', [3e-2, 1e-2], lr_of(prev)), 0.010)
    cases['previewer 100k steps: pct_start'] = (mover(prev, 'pct_start', [0.25, 0.4], lr_of(prev)), 0.010)
    cases['previewer 100k steps: Cyclic mode'] = (mover(cyc, 'mode', ['triangular2', 'exp_range'], lr_of(cyc)), 0.010)
    rendered = []                                 # (jupyter_bokeh's BokehModel.__del__ raises when collected after close)
    cases['(re-render per change, 10k)'] = (rerender(small_rec, small, rendered), None)
    for _ in range(2):                                                          # warm up (and the bucket caches)
        for f, _ in cases.values(): f()
    times = {k: [] for k in cases}
    for _ in range(repeats):                                                    # interleaved
        for k, (f, _) in cases.items(): times[k].append(timed(f))
    print(f"{'case':40s} {'wall med':>9s} {'p90':>8s} {'cpu med':>8s} {'target':>7s} {'wall/target':>11s} {'cpu/target':>10s}")
    ok_wall = ok_cpu = True
    for k, (_, target) in cases.items():
        w, c = zip(*times[k])
        wm, w90, cm = statistics.median(w), sorted(w)[int(0.9 * (len(w) - 1))], statistics.median(c)
        if target is not None: ok_wall, ok_cpu = ok_wall and wm <= target, ok_cpu and cm <= target
        r = lambda v: '' if target is None else f"{v / target:.2f}"
        print(f"{k:40s} {wm*1e3:6.2f} ms {w90*1e3:5.1f} ms {cm*1e3:5.1f} ms {'' if target is None else f'{target*1e3:4.0f} ms':>7s} "
              f"{r(wm):>11s} {r(cm):>10s}")
    patch = statistics.median(w for w, _ in times['explorer 10k: window'])
    print(f"patch vs re-render at 10k: the patching explorer is {statistics.median(w for w, _ in times['(re-render per change, 10k)']) / patch:.1f}x faster")
    print(f"load average after: {os.getloadavg()[0]:.2f}; np.log of 1M floats: {machine_speed():.1f} ms "
          f"(wall times include waiting for a shared CPU; CPU times do not)")
    print(f"targets: wall {'met' if ok_wall else 'NOT met'}, CPU {'met' if ok_cpu else 'NOT met'}")
    return ok_cpu

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--repeats', type=int, default=15)
    ap.add_argument('--big', type=int, default=1_000_000)
    a = ap.parse_args()
    raise SystemExit(0 if main(a.repeats, a.big) else 1)
