"""Shared helpers of the quality benchmark: the worker pool, the lr grid, the oracle and the 'good' test."""
import json, math, multiprocessing as mp, sys, time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GRID_LOG10 = np.round(np.arange(-7, 2.0001, 0.5), 2)  # 19 log-spaced lrs, 1e-7 .. 100, 2 per decade ...
REFINE = (-0.75, -0.25, 0.25, 0.75)                   # ... plus these log10 steps around each coarse oracle: 4 per decade there
TRAIN_SEEDS = (0, 1, 2)   # every evaluation (grid or suggestion) is the mean over these training seeds
GOOD_TOL = 0.05        # 'good' = within 5 % of the oracle (see `good_threshold`)
SCHEDULES = ('constant', 'onecycle')

def _init_worker():
    import torch
    torch.set_num_threads(1)

def _eval_job(job):
    "(task, schedule, lr) -> mean final validation loss over TRAIN_SEEDS (None if any seed diverged)."
    from tasks import train
    task, schedule, lr = job
    t = time.perf_counter()
    vs = [train(task, lr, schedule, seed=s) for s in TRAIN_SEEDS]
    return job, (None if any(v is None for v in vs) else float(np.mean(vs))), vs, time.perf_counter() - t

def evaluate(jobs, workers=2, progress=True, checkpoint=None):
    """Train every (task, schedule, lr) job in a pool of `workers` single-threaded processes (0: here); {job: (mean, per_seed)}.
    `checkpoint(results so far)` is called every 50 jobs."""
    out, t0 = {}, time.perf_counter()
    slow = ('attn_adamw', 'gru_adam', 'lstm_sgdm', 'shapes_bn_sgdm', 'heavy_adam_bs4')
    jobs = sorted(set(jobs), key=lambda j: (j[0] not in slow, j))  # slow tasks first: better packing
    if not jobs: return out
    def results():
        if workers == 0: yield from map(_eval_job, jobs); return   # in this process (tests)
        with mp.get_context('fork').Pool(workers, initializer=_init_worker) as pool:
            yield from pool.imap_unordered(_eval_job, jobs)
    for i, (job, mean, vs, dt) in enumerate(results(), 1):
        out[job] = (mean, vs)
        if checkpoint and i % 50 == 0: checkpoint(out)
        if progress and (i % 25 == 0 or i == len(jobs)):
            print(f"  {i}/{len(jobs)} trainings, {time.perf_counter() - t0:.0f}s", file=sys.stderr, flush=True)
    return out

def cpu_seconds():
    "CPU time (user + system) of this process and of its finished worker processes: a load-independent cost."
    import resource
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)))

def trivial_loss(task):
    "Validation loss of the best constant prediction (train mean / train class frequencies): the 'learnt nothing' level."
    import torch
    from tasks import TASKS
    xt, yt, xv, yv = TASKS[task].data()
    if yt.dtype.is_floating_point: return float(((yv - yt.mean()) ** 2).mean())
    p = torch.bincount(yt, minlength=int(yt.max()) + 1).double() / len(yt)
    return float(-torch.log(p[yv]).mean())

def untrained_loss(task):
    "L0 of the normalized regret: the better of the untrained model (mean over TRAIN_SEEDS) and the best constant prediction."
    from tasks import init_val_loss
    vs = [init_val_loss(task, s) for s in TRAIN_SEEDS]
    return min(trivial_loss(task), *[v for v in vs if v is not None])

def norm_regret(loss, oracle, l0):
    """(L - L*) / (L0 - L*), L capped at L0 (a diverged run or one worse than untrained counts as L0): 0 is the
    oracle, 1 no better than not training. L0 is the better of the untrained model and the best constant prediction,
    since a raw-feature model's untrained loss is so high that every lr would look nearly perfect against it."""
    return (min(l0, l0 if loss is None or not math.isfinite(loss) else loss) - oracle) / (l0 - oracle)

def capped(loss, cap):
    "A loss for averaging: diverged (None) or worse-than-trivial runs count as the trivial loss."
    return cap if loss is None or not math.isfinite(loss) else min(loss, cap)

def good_threshold(oracle, cap):
    """Largest validation loss that counts as 'good': oracle + 5 % of max(oracle, 5 % of the trivial loss).
    All our tasks keep the oracle far above 0 (label noise / irreducible noise), so this is simply 1.05 x oracle;
    the floor only stops a near-zero oracle from making every lr 'bad'."""
    return oracle + GOOD_TOL * max(oracle, 0.05 * cap)

def rel_regret(loss, oracle, cap):
    "(capped loss - oracle) / max(oracle, 5 % of trivial): 0.05 = 5 % worse than the best grid lr."
    return (capped(loss, cap) - oracle) / max(oracle, 0.05 * cap)

def disjoint_groups(xs, n) -> list:
    "The disjoint groups of `n` consecutive items of `xs` (a shorter rest is left out)."
    return [xs[i:i + n] for i in range(0, len(xs) - n + 1, n)]

def tasks_md5():
    "Fingerprint of the task definitions and training code: cached results are only valid for the same tasks.py."
    import hashlib
    return hashlib.md5((HERE / 'tasks.py').read_bytes()).hexdigest()

def load_json(name):
    p = HERE / name
    return json.loads(p.read_text()) if p.exists() else None

def save_json(name, obj, indent=1):
    (HERE / name).write_text(json.dumps(obj, indent=indent, sort_keys=False) + '\n')
