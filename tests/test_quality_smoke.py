"""Smoke test of the suggestion-quality benchmark (bench/quality): the real pipeline on one task, 2 grid points,
tiny budgets, so the benchmark cannot rot. The full benchmark is `python bench/quality/grid.py && python
bench/quality/score.py` (minutes; not run in CI)."""
import dataclasses, math, sys
from pathlib import Path

import pytest

QUALITY = Path(__file__).resolve().parents[1] / 'bench' / 'quality'
MODULES = ('common', 'tasks', 'peers', 'grid', 'score', 'report')   # the benchmark's scripts import each other by these names
TASK = 'classif_sgd'

@pytest.fixture
def bench():
    "The benchmark's modules, imported from bench/quality; sys.path and sys.modules are put back afterwards."
    import importlib
    saved = {m: sys.modules.pop(m) for m in MODULES if m in sys.modules}
    sys.path.insert(0, str(QUALITY))
    try: yield {m: importlib.import_module(m) for m in MODULES}
    finally:
        sys.path.remove(str(QUALITY))
        for m in MODULES: sys.modules.pop(m, None)
        sys.modules.update(saved)

@pytest.fixture
def smoke(bench, tmp_path_factory):
    import torch
    torch.set_num_threads(1)
    tasks = bench['tasks']
    mp = pytest.MonkeyPatch()
    mp.setitem(tasks.TASKS, TASK, dataclasses.replace(tasks.TASKS[TASK], steps=20))   # tiny budget
    try:
        g = bench['grid'].build([TASK], [-1.0, 0.0], workers=0)
        out, cache = bench['score'].run(g, {}, [TASK], workers=0, windows=(5,), seeds=(11, 12), num_iter=30)
        outdir = tmp_path_factory.mktemp('quality')
        bench['report'].write_report(out, g, outdir)
        yield g, out, cache, outdir
    finally: mp.undo()

def check_grid_oracle(bench, smoke):
    g, *_ = smoke
    for s in bench['common'].SCHEDULES:
        d = g['tasks'][TASK][s]
        assert len(d['lrs']) == 2 and all(v is not None for v in d['val_loss'])
        best = min(range(2), key=lambda i: d['val_loss'][i])
        assert d['oracle']['lr'] == d['lrs'][best] and d['oracle']['val_loss'] == d['val_loss'][best]
        assert d['good_threshold'] == pytest.approx(1.05 * d['oracle']['val_loss'])   # oracle >> 0 here

def check_every_rule_peer_and_baseline_scored(bench, smoke):
    from lrwidgets import analysis
    PEERS = bench['peers'].PEERS
    _, out, *_ = smoke
    families = {i['family'] for i in out['methods'].values()}
    assert families == {'rule', 'combined', 'peer', 'fixed'}
    rules = {i['rule'] for i in out['methods'].values() if i['family'] == 'rule'}
    assert rules == set(analysis.RULES)
    assert set(PEERS) <= set(out['methods'])
    for m, per_task in out['results'].items():
        for target in ('lr', 'upper'):
            c = per_task[TASK][target]
            assert len(c['lrs']) == 2 and math.isfinite(c['regret']) and 0 <= c['good'] <= 1, (m, target, c)

def check_suggested_lrs_are_really_trained(bench, smoke):
    "The fixed 1e-2 baseline is not a grid point: its score must come from a real training run at exactly 1e-2."
    g, out, cache, _ = smoke
    c = out['results']['fixed 0.01'][TASK]['lr']
    direct = [bench['tasks'].train(TASK, 1e-2, 'constant', seed=s) for s in bench['common'].TRAIN_SEEDS]
    assert c['val_loss'][0] == pytest.approx(sum(direct) / len(direct), rel=1e-6)
    o, cap = g['tasks'][TASK]['constant']['oracle'], g['tasks'][TASK]['trivial_loss']
    assert c['regret'] == pytest.approx((min(c['val_loss'][0], cap) - o['val_loss']) / o['val_loss'])

def check_report_written(bench, smoke):
    _, out, _, outdir = smoke
    md = (outdir / 'RESULTS.md').read_text()
    for m in bench['report'].main_methods(out): assert m in md
    assert (outdir / 'regret.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'

def test_quality_benchmark_smoke(bench, smoke):
    "One pipeline run (one fixture, so `pytest -n 2` does not build it twice), four checks."
    check_grid_oracle(bench, smoke)
    check_every_rule_peer_and_baseline_scored(bench, smoke)
    check_suggested_lrs_are_really_trained(bench, smoke)
    check_report_written(bench, smoke)

def test_peer_steepest_matches_torch_lr_finder(bench):
    "bench/quality/peers.py's torch-lr-finder pipeline gives the package's own suggestion on the package's own run."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt, numpy as np, torch
    from torch_lr_finder import LRFinder
    tasks, peers = bench['tasks'], bench['peers']
    task = tasks.TASKS[TASK]
    model, opt = tasks.setup(task, 0)
    for g in opt.param_groups: g['lr'] = 1e-5
    finder = LRFinder(model, opt, task.loss_fn)
    raw, train_batch = [], finder._train_batch
    def recording_train_batch(*a, **kw):   # the raw loss of every batch, before torch-lr-finder smooths it
        raw.append(train_batch(*a, **kw)); return raw[-1]
    finder._train_batch = recording_train_batch
    finder.range_test(torch.utils.data.DataLoader(tasks.batches(task, 60, 0), batch_size=None), end_lr=10, num_iter=60)
    lrs, smoothed = np.array(finder.history['lr']), np.array(finder.history['loss'])
    np.testing.assert_allclose(peers.tlf_smooth(np.array(raw))[:len(smoothed)], smoothed, rtol=1e-12)
    ax, theirs = finder.plot(suggest_lr=True, ax=plt.figure().gca())
    plt.close('all')
    assert peers.tlf_steepest(lrs, np.array(raw[:len(lrs)])) == theirs
