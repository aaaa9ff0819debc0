"""Oracle grid of the quality benchmark: every task trained at 33 log-spaced lrs (1e-7 .. 10) for its fixed budget,
with a constant lr and with OneCycleLR(max_lr=lr); the mean final validation loss over TRAIN_SEEDS is cached in
grid.json. The oracle of a (task, schedule) is the grid lr with the lowest validation loss.

    python bench/quality/grid.py            # (re)builds bench/quality/grid.json; ~200 CPU-seconds (4 min wall measured under a load of ~2)
    python bench/quality/grid.py --tasks classif_sgd --lrs -1 0   # a sub-grid (smoke test), printed, not saved
"""
import argparse, datetime, platform, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import GRID_LOG10, TRAIN_SEEDS, SCHEDULES, evaluate, trivial_loss, good_threshold, save_json, tasks_md5, cpu_seconds

def oracle(lrs, losses):
    "Index, lr and loss of the best (lowest finite) validation loss."
    vals = np.array([np.inf if v is None else v for v in losses])
    i = int(np.argmin(vals))
    return dict(index=i, lr=lrs[i], log10_lr=round(float(np.log10(lrs[i])), 2), val_loss=float(vals[i]))

def build(task_names, log10s, workers=2):
    import torch
    from tasks import TASKS
    lrs = [float(10.0 ** e) for e in log10s]
    jobs = [(t, s, lr) for t in task_names for s in SCHEDULES for lr in lrs]
    t0 = time.perf_counter()
    res = evaluate(jobs, workers)
    tasks = {}
    for t in task_names:
        cap = trivial_loss(t)
        d = dict(about=TASKS[t].about, steps=TASKS[t].steps, batch_size=TASKS[t].bs, trivial_loss=cap)
        for s in SCHEDULES:
            losses = [res[(t, s, lr)][0] for lr in lrs]
            o = oracle(lrs, losses)
            thr = good_threshold(o['val_loss'], cap)
            d[s] = dict(lrs=lrs, val_loss=losses, per_seed=[res[(t, s, lr)][1] for lr in lrs], oracle=o,
                        good_threshold=thr, good_log10_lrs=[round(float(np.log10(lr)), 2) for lr, v in zip(lrs, losses)
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
    ap.add_argument('--lrs', nargs='*', type=float, default=None, help='log10 lrs (default: the full grid)')
    ap.add_argument('--workers', type=int, default=2)
    a = ap.parse_args()
    g = build(a.tasks, GRID_LOG10 if a.lrs is None else a.lrs, a.workers)
    for t, d in g['tasks'].items():
        for s in SCHEDULES:
            o = d[s]['oracle']
            print(f"{t:14s} {s:9s} oracle lr 1e{o['log10_lr']:+.2f}  val {o['val_loss']:.4f}  good log10 lrs {d[s]['good_log10_lrs']}")
    print(f"grid: {g['meta']['seconds']} s")
    if a.lrs is None and a.tasks == list(TASKS): save_json('grid.json', g)
