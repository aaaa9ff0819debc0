"""How far one range test's suggestion moves with the seed, how far the median of three independent ones does, and
what that does to the regret: 30 range tests per task, six times the main benchmark's five.

The main benchmark reads 5 range tests per task, and its median-of-3 row uses the 5 cyclic triples of them: they
overlap, so their spread understates that of independent triples (for normal scatter, the standard deviation of 5
overlapping medians is about 0.47 of one run's, of independent medians of 3 about 0.67). This script records 30 more
range tests per task (seeds 100..129), reads each with the default and every disjoint group of 3, 5 and 10 with
`suggest(group)` (the median of their suggestions), and writes to spread.json (which report.py reads) the standard
deviations of log10(lr) (ddof=1), the mean offset from the oracle's lr, and the normalized regret and share in the good
set, *estimated* by interpolating the grid (nothing is trained), of the default, its medians and fastai's `valley`. It
also repeats the benchmark's leave-one-task-out selection of the setting on these runs, for one run and for each size
of group. About a minute and a half on 2 cores.

    python bench/quality/spread.py
"""
import datetime, hashlib, importlib, math, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import load_json, save_json, tasks_md5, cpu_seconds, disjoint_groups

SEEDS = tuple(range(100, 130))   # disjoint from the benchmark's range-test seeds (11..15)
TARGETS = ('lr', 'upper')

def _sd(lrs) -> float:
    "Standard deviation (ddof=1) of log10 of the lrs given (a rule that gave none is left out)."
    logs = [math.log10(v) for v in lrs if v is not None and v > 0]
    return float(np.std(logs, ddof=1)) if len(logs) > 1 else None

def _mean(vs):
    "The mean of `vs`, None if there are none (a task with fewer runs than a group needs)."
    return float(np.mean(vs)) if len(vs) else None

def each(recs) -> dict:
    "{task: [(lr, upper) per run]}: the default on each run."
    from lrwidgets import suggest
    return {t: [(s.lr, s.upper) for s in map(suggest, rs)] for t, rs in recs.items()}

GROUPS = {'three': 3, 'median5': 5, 'median10': 10}   # reader: runs per disjoint group read by `suggest(group)` (their median)

def readings(recs) -> dict:
    "{reader: {task: [(lr, upper) per run or group]}}: the default on each run and on each disjoint group of 3, 5 and 10, and fastai's valley."
    from lrwidgets import suggest
    from peers import fastai_valley
    out = {'one': each(recs), **{k: {} for k in GROUPS}, 'fastai': {}}
    for t, rs in recs.items():
        for k, n in GROUPS.items():
            out[k][t] = [(s.lr, s.upper) for s in map(suggest, disjoint_groups(rs, n))]
        out['fastai'][t] = [(lr, lr) for lr in (fastai_valley(r.lrs, r.losses) for r in rs)]
    return out

def scored(reads, grid) -> dict:
    "{reader: {task: {target: {spread, norm, good, offset}}}}, the regret and good share estimated from the grid; offset: mean log10(lr / oracle lr)."
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
                logs = [math.log10(v) for v in lrs if v is not None]
                out[reader][t][g] = dict(spread=_sd(lrs), offset=_mean(logs) - d[sch]['oracle']['log10_lr'] if logs else None,
                                         norm=_mean([norm_regret(v, d[sch]['oracle']['val_loss'], d['untrained_loss']) for v in losses]),
                                         good=_mean([v is not None and v <= d[sch]['good_threshold'] for v in losses]))
    return out

SIZES = (1, *GROUPS.values())   # one run, and the medians of disjoint groups of this many runs

def selection(recs, grid) -> dict:
    """{size: dict(chosen={setting: folds}, cv={target: mean norm. regret})}: the main benchmark's leave-one-task-out
    selection among `score.candidates()`, made on these runs instead of its five (regrets estimated from the grid)."""
    from collections import Counter
    from lrwidgets import suggest
    from lrwidgets.analysis import median_suggestion
    from score import candidates, loto
    sugs = {name: {t: [suggest(r, **c) for r in rs] for t, rs in recs.items()} for name, c in candidates().items()}
    out = {}
    for n in (n for n in SIZES if n <= min(map(len, recs.values()))):   # sizes every task has a group of
        reads = {name: {t: [(m.lr, m.upper) for m in (g[0] if n == 1 else median_suggestion(g, name) for g in disjoint_groups(ss, n))]
                        for t, ss in per.items()} for name, per in sugs.items()}
        est, tasks = scored(reads, grid), list(recs)
        chosen = loto(est, tasks)
        out[n] = dict(chosen=dict(Counter(chosen.values()).most_common()),
                      cv={tg: float(np.mean([est[chosen[h]][h][tg]['norm'] for h in tasks])) for tg in TARGETS})
    return out

def main():
    from recs import range_tests, load, NUM_ITER
    from report import thirty_table, selection_text
    from tasks import TASKS
    t0, c0 = time.perf_counter(), cpu_seconds()
    recs = range_tests(list(TASKS), seeds=SEEDS, num_iter=NUM_ITER)
    grid = load_json('grid.json')
    by_reader = scored(dict(readings(recs), five=each(load())), grid)   # five: the benchmark's own runs
    chosen = selection(recs, grid)
    md5 = {m: hashlib.md5(Path(importlib.import_module(m).__file__).read_bytes()).hexdigest()[:8] for m in ('lrwidgets.analysis', 'lrwidgets.engine')}
    meta = dict(command='python bench/quality/spread.py', seeds=[SEEDS[0], SEEDS[-1]], runs=len(SEEDS), num_iter=NUM_ITER, tasks_md5=tasks_md5(),
                md5=md5, seconds=round(time.perf_counter() - t0, 1), cpu_seconds=round(cpu_seconds() - c0, 1),
                created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='minutes'))
    save_json('spread.json', dict(meta=meta, readers=by_reader, selection=chosen))
    print(thirty_table(dict(meta=meta, readers=by_reader)))
    print(selection_text(dict(meta=meta, selection=chosen)))

if __name__ == '__main__':
    main()
