"""Oracle grid of the quality benchmark: every task trained for its fixed budget with a constant lr and with
OneCycleLR(max_lr=lr) at 19 log-spaced lrs (1e-7 .. 100, 2 per decade), then at 4 more around each oracle (4 per
decade there); the mean final validation loss over TRAIN_SEEDS is cached in grid.json. The oracle of a
(task, schedule) is the grid lr with the lowest validation loss.

    python bench/quality/grid.py            # (re)builds bench/quality/grid.json
    python bench/quality/grid.py --tasks linreg_sgd --lrs -1 0   # a sub-grid (smoke test), printed, not saved
    python bench/quality/grid.py --update linreg_sgd    # rebuilds only these tasks' grids in grid.json (after editing them)
"""
import argparse, datetime, platform, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import (GRID_LOG10, REFINE, TRAIN_SEEDS, SCHEDULES, evaluate, trivial_loss, untrained_loss, good_threshold,
                    save_json, tasks_md5, cpu_seconds)

def oracle(lrs, losses):
    "Index, lr and loss of the best (lowest finite) validation loss."
    vals = np.array([np.inf if v is None else v for v in losses])
    i = int(np.argmin(vals))
    return dict(index=i, lr=lrs[i], log10_lr=round(float(np.log10(lrs[i])), 2), val_loss=float(vals[i]))

def build(task_names, log10s, workers=2, refine=True):
    import torch
    from tasks import TASKS
    t0 = time.perf_counter()
    lr = lambda e: float(10.0 ** e)
    res = evaluate([(t, s, lr(e)) for t in task_names for s in SCHEDULES for e in log10s], workers)
    grids = {(t, s): sorted(log10s) for t in task_names for s in SCHEDULES}
    if refine:   # 4 per decade around each coarse oracle
        for (t, s), es in grids.items():
            best = oracle([lr(e) for e in es], [res[(t, s, lr(e))][0] for e in es])['log10_lr']
            grids[(t, s)] = sorted(set(es) | {round(best + d, 2) for d in REFINE})
        res.update(evaluate([(t, s, lr(e)) for (t, s), es in grids.items() for e in es if (t, s, lr(e)) not in res], workers))
    tasks = {}
    for t in task_names:
        cap = trivial_loss(t)
        d = dict(about=TASKS[t].about, steps=TASKS[t].steps, batch_size=TASKS[t].bs, trivial_loss=cap, untrained_loss=untrained_loss(t))
        for s in SCHEDULES:
            lrs = [lr(e) for e in grids[(t, s)]]
            losses = [res[(t, s, x)][0] for x in lrs]
            o = oracle(lrs, losses)
            thr = good_threshold(o['val_loss'], cap)
            d[s] = dict(lrs=lrs, val_loss=losses, per_seed=[res[(t, s, x)][1] for x in lrs], oracle=o,
                        good_threshold=thr, good_log10_lrs=[round(float(np.log10(x)), 2) for x, v in zip(lrs, losses)
                                                           if v is not None and v <= thr])
        tasks[t] = d
    meta = dict(command='python bench/quality/grid.py', train_seeds=list(TRAIN_SEEDS), workers=workers, tasks_md5=tasks_md5(),
                seconds=round(time.perf_counter() - t0, 1), cpu_seconds=round(cpu_seconds(), 1), created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
                torch=torch.__version__, python=platform.python_version(), machine=platform.platform())
    return dict(meta=meta, tasks=tasks)

if __name__ == '__main__':
    from tasks import TASKS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--tasks', nargs='*', default=list(TASKS))
    ap.add_argument('--lrs', nargs='*', type=float, default=None, help='log10 lrs (default: the full grid, refined)')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--update', nargs='*', default=None, help='tasks whose grid to rebuild, keeping the others')
    a = ap.parse_args()
    if a.update:
        from common import load_json
        old, g = load_json('grid.json'), build(a.update, GRID_LOG10, a.workers)
        old['tasks'].update(g['tasks'])
        old['meta'].update(tasks_md5=tasks_md5(), updated=dict(tasks=a.update, seconds=g['meta']['seconds'], created=g['meta']['created']))
        save_json('grid.json', old)
        sys.exit()
    g = build(a.tasks, GRID_LOG10 if a.lrs is None else a.lrs, a.workers, refine=a.lrs is None)
    for t, d in g['tasks'].items():
        for s in SCHEDULES:
            o = d[s]['oracle']
            print(f"{t:18s} {s:9s} oracle lr 1e{o['log10_lr']:+.2f}  val {o['val_loss']:.4f}  good log10 lrs {d[s]['good_log10_lrs']}")
    print(f"grid: {g['meta']['seconds']} s wall, {g['meta']['cpu_seconds']} CPU-s")
    if a.lrs is None and a.tasks == list(TASKS): save_json('grid.json', g)
