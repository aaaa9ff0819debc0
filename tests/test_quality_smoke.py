"""Smoke test of the suggestion-quality benchmark (bench/quality): the real pipeline on two tasks, 2 grid points,
tiny budgets, so the benchmark cannot rot. The full benchmark is `bench/quality/run_all.sh` (minutes; not run in CI)."""
import dataclasses, json, math, sys
from pathlib import Path

import numpy as np
import pytest

QUALITY = Path(__file__).resolve().parents[1] / 'bench' / 'quality'
MODULES = ('common', 'tasks', 'peers', 'grid', 'recs', 'score', 'report', 'tables', 'spread', 'sweep_length')   # the scripts import each other by these names
SMOKE_TASKS = ('linreg_sgd', 'softmax_sgd')

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
    tasks, score = bench['tasks'], bench['score']
    mp = pytest.MonkeyPatch()
    for t in SMOKE_TASKS: mp.setitem(tasks.TASKS, t, dataclasses.replace(tasks.TASKS[t], steps=20))   # tiny budgets
    try:
        g = bench['grid'].build(list(SMOKE_TASKS), [-1.0, 0.0], workers=0, refine=False)
        recs = bench['recs'].range_tests(list(SMOKE_TASKS), seeds=(11, 12, 13), num_iter=30)
        configs = {k: v for k, v in list(score.candidates().items()) if v['window'] == 20}
        out, cache = score.run(g, {}, recs, workers=0, configs=configs)
        outdir = tmp_path_factory.mktemp('quality')
        bench['report'].write_report(out, g, outdir)
        yield g, out, cache, outdir, recs
    finally: mp.undo()

def check_grid_oracle(bench, smoke):
    g, *_ = smoke
    for t in SMOKE_TASKS:
        for s in bench['common'].SCHEDULES:
            d = g['tasks'][t][s]
            ok = [i for i, v in enumerate(d['val_loss']) if v is not None]
            best = min(ok, key=lambda i: d['val_loss'][i])
            assert d['oracle']['lr'] == d['lrs'][best] and d['oracle']['val_loss'] == d['val_loss'][best]

def check_cross_validation(bench, smoke):
    "Each held-out task is scored with the setting chosen WITHOUT it: the best, by the grid's estimate, on the other task."
    g, out, _, _, recs = smoke
    score = bench['score']
    est = score.score(score.suggest_all(recs, out['candidates']), g, score.estimator(g))
    for h in SMOKE_TASKS:
        other = [t for t in SMOKE_TASKS if t != h]
        best = min(score.both(est[m], other) for m in est)
        assert score.both(est[out['chosen'][h]], other) == best
        mine = score.suggest_all({h: recs[h]}, {'x': out['candidates'][out['chosen'][h]]})['x'][h]
        assert out['results'][score.CV][h]['lr']['lrs'] == [lr for lr, _ in mine]          # trained at exactly those lrs
        assert all(v is None or v > 0 for v in out['results'][score.CV][h]['lr']['val_loss'])

def check_suggested_lrs_are_really_trained(bench, smoke):
    "The fixed 1e-2 baseline is not a grid point: its score must come from a real training run at exactly 1e-2."
    g, out, cache, *_ = smoke
    t = SMOKE_TASKS[0]
    c = out['results']['fixed 0.01'][t]['lr']
    direct = [bench['tasks'].train(t, 1e-2, 'constant', seed=s) for s in bench['common'].TRAIN_SEEDS]
    assert c['val_loss'][0] == pytest.approx(sum(direct) / len(direct), rel=1e-6)
    d = g['tasks'][t]
    l0, o = d['untrained_loss'], d['constant']['oracle']['val_loss']
    assert c['norm'] == pytest.approx((min(c['val_loss'][0], l0) - o) / (l0 - o))

def check_report_and_tables(bench, smoke):
    _, out, _, outdir, _ = smoke
    md = (outdir / 'RESULTS.md').read_text()
    assert 'fastai (valley)' in md and 'cross-validated' in md
    tables = bench['tables']
    text = "before\n<!-- quality-table:start -->\nold\n<!-- quality-table:end -->\nafter"
    new = tables.fill(text, tables.regions(json.loads(json.dumps(out))))
    assert new.startswith("before\n<!-- quality-table:start -->\n| method |") and new.endswith("<!-- quality-table:end -->\nafter")
    assert 'old' not in new and tables.fill(new, tables.regions(out)) == new    # idempotent

def check_spread(bench, smoke):
    "spread.py's readers on the smoke's 3 runs per task (one disjoint triple), scored from the grid, and their section of the report."
    g, out, _, outdir, recs = smoke
    sp = bench['spread']
    reads = sp.readings(recs)
    assert [len(reads['one'][t]) for t in SMOKE_TASKS] == [3, 3] and [len(reads['three'][t]) for t in SMOKE_TASKS] == [1, 1]
    assert [len(reads[k][t]) for k in ('median5', 'median10') for t in SMOKE_TASKS] == [0] * 4   # too few runs for a group
    by = sp.scored(dict(reads, five=reads['one']), g)
    for reader, per in by.items():
        for t in SMOKE_TASKS:
            for tg in sp.TARGETS:
                c = per[t][tg]
                if reader in ('median5', 'median10'):
                    assert c == dict(spread=None, offset=None, norm=None, good=None), c; continue
                assert 0 <= c['good'] <= 1 and c['norm'] <= 1 and abs(c['offset']) < 9, (reader, t, tg, c)
                assert (c['spread'] is None) == (reader == 'three')                  # one triple: no spread
    o = g['tasks'][SMOKE_TASKS[0]]['constant']['oracle']['log10_lr']                   # the offset is the runs' mean log10 lr less the oracle's
    assert by['one'][SMOKE_TASKS[0]]['lr']['offset'] == pytest.approx(np.mean([math.log10(lr) for lr, _ in reads['one'][SMOKE_TASKS[0]]]) - o)
    sel = sp.selection(recs, g)                                                        # the selection on these runs
    assert list(sel) == [1, 3] and all(sum(d['chosen'].values()) == len(SMOKE_TASKS) and 0 <= min(d['cv'].values()) <= max(d['cv'].values()) <= 1 for d in sel.values())
    meta = dict(runs=3, seeds=[11, 13], seconds=0.0, created='2026-01-01T00:00', tasks_md5=bench['common'].tasks_md5())
    bench['report'].write_report(out, g, outdir, spread=dict(meta=meta, readers=by, selection=sel))
    md = (outdir / 'RESULTS.md').read_text()
    assert '## Thirty range tests per task' in md and 'median of 3 independent runs' in md and '### What the targets ask' in md
    assert 'of 2 folds for one run' in md and 'of 2 folds for the median of 3' in md
    rows = bench['report'].floor_rows(g, (0., .2, 1.))
    assert [sd for sd, _ in rows] == [0., .2, 1.] and rows[0][1] == dict(lr=pytest.approx((0., 1.), abs=1e-9), upper=pytest.approx((0., 1.), abs=1e-9))   # at the oracle: no regret, all good
    assert rows[1][1]['lr'][0] <= rows[2][1]['lr'][0] and rows[1][1]['lr'][1] >= rows[2][1]['lr'][1]   # more scatter, worse
    assert 'Knowing where training stops working' in md
    at_oracle = dict(readers=dict(one={t: dict(lr=dict(offset=0.), upper=dict(offset=0.)) for t in SMOKE_TASKS}))
    assert bench['report'].without_scatter(at_oracle, g) == dict(lr=(0., 1.), upper=(0., 1.))   # no offset, no scatter: the oracle
    alone = bench['report'].without_scatter(dict(readers=by), g)
    assert all(0 <= r <= 1 and 0 <= good <= 1 for r, good in alone.values()), alone
    edge = bench['report'].edge_rule(g)
    assert set(edge) == {'lr', 'upper'} and all(0 <= e['norm'] <= 1 and 0 <= e['good'] <= 1 and 0 <= e['backoff'] <= 2 for e in edge.values())
    assert all(e['gap'] is None or e['gap'] > 0 for e in edge.values())                # the edge lies above the optimum
    d = dict(untrained_loss=1., constant=dict(lrs=[1e-3, 1e-2, 1e-1, 1.], val_loss=[.8, .5, .6, None], oracle=dict(log10_lr=-2., val_loss=.5)))
    assert bench['report'].edge_log10(d, 'constant', .5) == pytest.approx(-1 + .3/.8)  # regrets .6, 0, .2, 1 (diverged)
    assert bench['report'].edge_log10(d, 'constant', .1) == pytest.approx(-1.5)
    d['constant']['val_loss'][3] = .7                                                  # regret .4: never reaches .5
    assert bench['report'].edge_log10(d, 'constant', .5) is None

def check_sweep_length(bench, smoke):
    "sweep_length.py's comparison, the smoke's runs standing in for every sweep length: so one run scores the same at each."
    g, *_, recs = smoke
    sl = bench['sweep_length']
    lines = sl.report({100: recs, 300: recs, sl.SHORT: recs}, g)
    assert len(lines) == 4 + len(SMOKE_TASKS), lines
    one = [l.split('one run ')[1].split(';')[0] for l in lines[1:4]]
    assert one[0] == one[1] == one[2] and '(3 runs)' in lines[1] and 'disjoint triples' in lines[3], lines

def test_quality_benchmark_smoke(bench, smoke):
    "One pipeline run (one fixture, so `pytest -n 2` does not build it twice), six checks."
    check_grid_oracle(bench, smoke)
    check_cross_validation(bench, smoke)
    check_suggested_lrs_are_really_trained(bench, smoke)
    check_report_and_tables(bench, smoke)
    check_spread(bench, smoke)
    check_sweep_length(bench, smoke)

def test_normalized_regret(bench):
    nr = bench['common'].norm_regret
    assert nr(1.0, 1.0, 2.0) == 0 and nr(1.5, 1.0, 2.0) == 0.5
    assert nr(None, 1.0, 2.0) == 1 and nr(float('nan'), 1.0, 2.0) == 1 and nr(5.0, 1.0, 2.0) == 1   # diverged / worse: capped

def test_peer_steepest_matches_torch_lr_finder(bench):
    "bench/quality/peers.py's torch-lr-finder pipeline gives the package's own suggestion on the package's own run."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt, numpy as np, torch
    from torch_lr_finder import LRFinder
    tasks, peers = bench['tasks'], bench['peers']
    task = tasks.TASKS['classif_sgd']
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
