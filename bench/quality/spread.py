"""How far one range test's suggestion moves with the seed, how far the median of three independent ones does, and
what that does to the regret: 30 range tests per task, six times the main benchmark's five.

The main benchmark reads 5 range tests per task, and its median-of-3 row uses the 5 cyclic triples of them: they
overlap, so their spread understates that of independent triples (for normal scatter, the standard deviation of 5
overlapping medians is about 0.47 of one run's, of independent medians of 3 about 0.67). This script records 30 more
range tests per task (seeds 100..129), reads each with the default and every disjoint triple with
`suggest([r1, r2, r3])`, and writes to spread.json (which report.py reads) the standard deviations of log10(lr)
(ddof=1) and the normalized regret and share in the good set, *estimated* by interpolating the grid (nothing is
trained), of the default, its median of 3 and fastai's `valley`. About a minute on 2 cores.

    python bench/quality/spread.py
"""
import datetime, hashlib, importlib, math, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import load_json, save_json, tasks_md5, cpu_seconds

SEEDS = tuple(range(100, 130))   # disjoint from the benchmark's range-test seeds (11..15)
TARGETS = ('lr', 'upper')

def _sd(lrs) -> float:
    "Standard deviation (ddof=1) of log10 of the lrs given (a rule that gave none is left out)."
    logs = [math.log10(v) for v in lrs if v is not None and v > 0]
    return float(np.std(logs, ddof=1)) if len(logs) > 1 else None

def each(recs) -> dict:
    "{task: [(lr, upper) per run]}: the default on each run."
    from lrwidgets import suggest
    return {t: [(s.lr, s.upper) for s in map(suggest, rs)] for t, rs in recs.items()}

def readings(recs) -> dict:
    "{reader: {task: [(lr, upper) per run or triple]}}: the default on each run, on each disjoint triple, and fastai's valley."
    from lrwidgets import suggest
    from peers import fastai_valley
    out = {'one': each(recs), 'three': {}, 'fastai': {}}
    for t, rs in recs.items():
        out['three'][t] = [(s.lr, s.upper) for s in (suggest(rs[i:i + 3]) for i in range(0, len(rs) - 2, 3))]
        out['fastai'][t] = [(lr, lr) for lr in (fastai_valley(r.lrs, r.losses) for r in rs)]
    return out

def scored(reads, grid) -> dict:
    "{reader: {task: {target: {spread, norm, good}}}}, the regret and good share estimated from the grid."
    from score import estimator
    from common import SCHEDULES, norm_regret
    est = estimator(grid)
    out = {}
    for reader, per in reads.items():
        out[reader] = {}
        for t, pairs in per.items():
            d, out[reader][t] = grid['tasks'][t], {}
            for j, (g, sch) in enumerate(zip(TARGETS, SCHEDULES)):
                lrs = [p[j] for p in pairs]
                losses = [None if lr is None else est(t, sch, lr) for lr in lrs]
                out[reader][t][g] = dict(spread=_sd(lrs),
                                         norm=float(np.mean([norm_regret(v, d[sch]['oracle']['val_loss'], d['untrained_loss']) for v in losses])),
                                         good=float(np.mean([v is not None and v <= d[sch]['good_threshold'] for v in losses])))
    return out

def main():
    from recs import range_tests, load, NUM_ITER
    from report import thirty_table
    from tasks import TASKS
    t0, c0 = time.perf_counter(), cpu_seconds()
    recs = range_tests(list(TASKS), seeds=SEEDS, num_iter=NUM_ITER)
    by_reader = scored(dict(readings(recs), five=each(load())), load_json('grid.json'))   # five: the benchmark's own runs
    md5 = {m: hashlib.md5(Path(importlib.import_module(m).__file__).read_bytes()).hexdigest()[:8] for m in ('lrwidgets.analysis', 'lrwidgets.engine')}
    meta = dict(command='python bench/quality/spread.py', seeds=[SEEDS[0], SEEDS[-1]], runs=len(SEEDS), num_iter=NUM_ITER, tasks_md5=tasks_md5(),
                md5=md5, seconds=round(time.perf_counter() - t0, 1), cpu_seconds=round(cpu_seconds() - c0, 1),
                created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='minutes'))
    save_json('spread.json', dict(meta=meta, readers=by_reader))
    print(thirty_table(dict(meta=meta, readers=by_reader)))

if __name__ == '__main__':
    main()
