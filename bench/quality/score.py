"""Scores lr-suggestion rules against the oracle grid (grid.json), by TRAINING at every suggested lr.

For every task and 5 range-test seeds: `lrwidgets.range_test` with its defaults (1e-7 -> 10, 100 steps), then
  - every rule in `analysis.RULES` at every window in WINDOWS: `.lr` scored against the constant-lr oracle,
    `.upper` against the OneCycleLR oracle;
  - `analysis.suggest([rec, ...])` (combined over 3 recordings, 5 different triples) for every rule;
  - the peers' default pipelines (peers.py) on the same recordings, and a fixed lr of 1e-2.
Every suggested lr is trained exactly (same budget and TRAIN_SEEDS as the grid; cached in evals.json).

    python bench/quality/score.py     # writes evals.json, results.json, RESULTS.md, regret.png (needs grid.json)

From scratch (no evals.json) it trains ~430 new (task, schedule, lr) points x 2 seeds: ~530 CPU-seconds.
"""
import argparse, datetime, hashlib, math, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import TRAIN_SEEDS, SCHEDULES, evaluate, rel_regret, load_json, save_json, tasks_md5, cpu_seconds

RT_SEEDS = (11, 12, 13, 14, 15)   # range-test seeds (model init, batch order, sweep RNG); training seeds are 0, 1
NUM_ITER = 100
WINDOWS = (1, 5, 10, 20, 40, 60, 100)  # smoothing windows tried for every rule (plus analysis.DEFAULT_WINDOW)
FIXED_LR = 1e-2
TARGETS = (('lr', 'constant'), ('upper', 'onecycle'))

def range_tests(task_names, seeds=RT_SEEDS, num_iter=NUM_ITER):
    "{task: [Recording per seed]} made with lrwidgets.range_test at its defaults."
    import torch
    from lrwidgets import range_test
    from tasks import TASKS, setup, batches
    torch.set_num_threads(1)
    out = {}
    for t in task_names:
        task, out[t] = TASKS[t], []
        for s in seeds:
            model, opt = setup(task, s)
            out[t].append(range_test(model, opt, batches(task, num_iter, 20_000 + s), task.loss_fn,
                                     num_iter=num_iter, progress=False, seed=s, label=f'{t} seed {s}'))
    return out

def _key(task, schedule, lr): return f'{task}|{schedule}|{lr!r}'

def _sug(s):
    "(lr, upper) of a Suggestion, None where missing."
    f = lambda v: None if v is None or not math.isfinite(v) else float(v)
    return f(s.lr), f(s.upper)

def suggestions(recs, windows=WINDOWS, combine_k=3):
    """{method: {task: [(lr, upper) per trial]}} and the method table (name -> family, rule, window).
    Trials are the 5 seeds, or for combined methods the 5 cyclic triples of seeds."""
    from lrwidgets import analysis
    from peers import PEERS
    dw = analysis.DEFAULT_WINDOW
    windows = sorted(set(windows) | {dw})
    sug, methods = {}, {}
    def add(name, family, task, trials, **info):
        methods.setdefault(name, dict(family=family, **info)); sug.setdefault(name, {})[task] = trials
    for t, rs in recs.items():
        n = len(rs)
        for rule in analysis.RULES:
            for w in windows:
                add(f'{rule} (w={w})', 'rule', t, [_sug(analysis.suggest(r, rule=rule, window=w)) for r in rs], rule=rule, window=w)
            triples = [[rs[(i + j) % n] for j in range(combine_k)] for i in range(n)]
            for w in windows:
                name = f'{rule} x{combine_k} seeds' + ('' if w == dw else f' (w={w})')
                add(name, 'combined', t, [_sug(analysis.suggest(tr, rule=rule, window=w)) for tr in triples], rule=rule, window=w)
        for name, fn in PEERS.items():
            add(name, 'peer', t, [(lambda v: (v, v))(fn(r.lrs, r.losses)) for r in rs])
        add(f'fixed {FIXED_LR:g}', 'fixed', t, [(FIXED_LR, FIXED_LR)] * n)
    return sug, methods

def train_all(sug, grid, cache, workers=2):
    "Trains every (task, schedule, suggested lr) not yet in `cache` (key -> [mean, per_seed]); returns the updated cache."
    cache = dict(cache)
    for t, d in grid['tasks'].items():   # grid points are evaluations too (same budget and seeds)
        for s in SCHEDULES:
            for lr, v, ps in zip(d[s]['lrs'], d[s]['val_loss'], d[s]['per_seed']): cache.setdefault(_key(t, s, lr), [v, ps])
    jobs = {(t, sch, lr) for m in sug.values() for t, trials in m.items() for tr in trials
            for (v, sch) in zip(tr, SCHEDULES) for lr in [v] if lr is not None}
    todo = [j for j in jobs if _key(*j) not in cache]
    train_all.counts = dict(distinct=len(jobs), trained=len(todo))
    print(f'{len(jobs)} distinct (task, schedule, lr) to score, {len(todo)} to train', file=sys.stderr)
    for j, (mean, ps) in evaluate(todo, workers).items(): cache[_key(*j)] = [mean, ps]
    return dict(sorted(cache.items()))

def metrics(sug, cache, grid):
    "{method: {task: {target: {...}}}}: log10 distance, good share, relative regret, seed spread, failures."
    out = {}
    for m, per_task in sug.items():
        out[m] = {}
        for t, trials in per_task.items():
            d, cap = grid['tasks'][t], grid['tasks'][t]['trivial_loss']
            out[m][t] = {}
            for i, (target, sch) in enumerate(TARGETS):
                o, thr = d[sch]['oracle'], d[sch]['good_threshold']
                lrs = [tr[i] for tr in trials]
                losses = [None if lr is None else cache[_key(t, sch, lr)][0] for lr in lrs]
                logs = np.array([math.log10(lr) for lr in lrs if lr is not None])
                out[m][t][target] = dict(
                    lrs=lrs, val_loss=losses,
                    dist=float(np.median(np.abs(logs - o['log10_lr']))) if len(logs) else None,
                    good=float(np.mean([v is not None and v <= thr for v in losses])),
                    regret=float(np.mean([rel_regret(v, o['val_loss'], cap) for v in losses])),
                    spread=float(np.std(logs)) if len(logs) > 1 else None,
                    failed=sum(lr is None for lr in lrs))
    return out

def summary(res, tasks):
    "{method: {target: mean over tasks of regret/good/spread, median of dist}}."
    out = {}
    for m, per_task in res.items():
        out[m] = {}
        for target, _ in TARGETS:
            cells = [per_task[t][target] for t in tasks]
            nz = lambda k: [c[k] for c in cells if c[k] is not None]
            out[m][target] = dict(regret=float(np.mean(nz('regret'))), good=float(np.mean(nz('good'))),
                                  spread=float(np.mean(nz('spread'))) if nz('spread') else None,
                                  dist=float(np.median(nz('dist'))) if nz('dist') else None,
                                  worst=float(np.max(nz('regret'))), failed=int(sum(nz('failed'))))
        out[m]['both'] = dict(regret=(out[m]['lr']['regret'] + out[m]['upper']['regret']) / 2)
    return out

def run(grid, cache, task_names=None, workers=2, windows=WINDOWS, seeds=RT_SEEDS, num_iter=NUM_ITER):
    "Range tests, suggestions, trainings and scores; returns (results, updated evaluation cache)."
    task_names = task_names or list(grid['tasks'])
    t0 = time.perf_counter()
    recs = range_tests(task_names, seeds, num_iter)
    t_rt = time.perf_counter() - t0
    sug, methods = suggestions(recs, windows)
    cache = train_all(sug, grid, cache, workers)
    res = metrics(sug, cache, grid)
    import lrwidgets.analysis as A
    meta = dict(command='python bench/quality/score.py', range_test_seeds=list(seeds), num_iter=num_iter,
                train_seeds=list(TRAIN_SEEDS), windows=sorted(set(windows) | {A.DEFAULT_WINDOW}),
                default_rule=A.DEFAULT_RULE, default_window=A.DEFAULT_WINDOW, workers=workers,
                range_test_seconds=round(t_rt, 1), seconds=round(time.perf_counter() - t0, 1),
                cpu_seconds=round(cpu_seconds(), 1), **getattr(train_all, 'counts', {}),
                created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
                stop_reasons={t: [r.meta.get('stop_reason') for r in rs] for t, rs in recs.items()},
                rows={t: [len(r) for r in rs] for t, rs in recs.items()},
                md5={m: hashlib.md5(Path(sys.modules[m].__file__).read_bytes()).hexdigest()
                     for m in ('lrwidgets.analysis', 'lrwidgets.engine')})
    return dict(meta=meta, methods=methods, results=res, summary=summary(res, task_names), tasks=task_names), cache

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--workers', type=int, default=2)
    a = ap.parse_args()
    grid = load_json('grid.json')
    if grid is None or grid['meta'].get('tasks_md5') != tasks_md5():
        sys.exit("grid.json is missing or was made with another tasks.py: run python bench/quality/grid.py first")
    ev = load_json('evals.json') or {}
    cache = ev.get('evals', {}) if ev.get('tasks_md5') == tasks_md5() else {}   # stale trainings are redone
    out, cache = run(grid, cache, workers=a.workers)
    save_json('evals.json', dict(tasks_md5=tasks_md5(), train_seeds=list(TRAIN_SEEDS), evals=cache))
    save_json('results.json', out, indent=None)   # large: one line
    from report import write_report
    write_report(out, grid)
    print(f"scoring: {out['meta']['seconds']} s (range tests {out['meta']['range_test_seconds']} s)")
