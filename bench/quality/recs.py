"""The benchmark's range tests: `lrwidgets.range_test` at its defaults on every task, 5 seeds, cached in
recordings.json (redone when tasks.py changes, or with --fresh after an engine change; about a minute).

    python bench/quality/recs.py      # remakes recordings.json (the engine's md5 is recorded in it)
"""
import hashlib, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import HERE, load_json, save_json, tasks_md5

RT_SEEDS = (11, 12, 13, 14, 15)   # range-test seeds (model init, batch order, sweep RNG); training seeds are 0, 1, 2
NUM_ITER = 100                    # lrwidgets' default

def engine_md5():
    import lrwidgets.engine as E
    return hashlib.md5(Path(E.__file__).read_bytes()).hexdigest()

def range_tests(task_names, seeds=RT_SEEDS, num_iter=NUM_ITER, **kw):
    "{task: [Recording per seed]} made with lrwidgets.range_test at its defaults (plus `kw`)."
    import torch
    from lrwidgets import range_test
    from tasks import TASKS, setup, batches
    torch.set_num_threads(1)
    out = {}
    for t in task_names:
        task, out[t] = TASKS[t], []
        for s in seeds:
            model, opt = setup(task, s)
            out[t].append(range_test(model, opt, batches(task, 3 * num_iter, 20_000 + s), task.loss_fn,
                                     num_iter=num_iter, progress=False, seed=s, label=f'{t} seed {s}', **kw))
    return out

def _json(rec): return dict(lrs=rec.lrs.tolist(), losses=rec.losses.tolist(), meta={k: v for k, v in rec.meta.items() if isinstance(v, (int, float, str, bool, type(None)))})

def load(task_names=None, fresh=False):
    "{task: [Recording]} from recordings.json, remade first if it is missing, stale, or `fresh`."
    from lrwidgets import Recording
    from tasks import TASKS
    task_names = task_names or list(TASKS)
    d = None if fresh else load_json('recordings.json')
    key = dict(tasks_md5=tasks_md5(), seeds=list(RT_SEEDS), num_iter=NUM_ITER)
    if d is None or {k: d['key'].get(k) for k in key} != key or not set(task_names) <= set(d['recs']):
        t0 = time.perf_counter()
        recs = range_tests(list(TASKS))
        d = dict(key=key | dict(engine_md5=engine_md5()), seconds=round(time.perf_counter() - t0, 1), recs={t: [_json(r) for r in rs] for t, rs in recs.items()})
        save_json('recordings.json', d, indent=None)
    return {t: [Recording.from_arrays(r['lrs'], r['losses'], meta=r['meta']) for r in d['recs'][t]] for t in task_names}

if __name__ == '__main__':
    recs = load(fresh=True)
    for t, rs in recs.items():
        print(f"{t:18s}", [f"{len(r)} rows to {r.lrs[-1]:.3g} ({r.meta.get('stop_reason')})" for r in rs][:2])
