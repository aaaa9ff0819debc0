"""lrwidgets.plots beyond the chapter: fuzzed downsampling, every schedule's plot data, JSON-ability, big inputs."""
import json
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from bokeh.models import Plot
from lrwidgets import Recording, synthetic
from lrwidgets import analyze, suggest, RULES
from lrwidgets import schedules as S
from lrwidgets.plots import (MAX_EPOCH_MARKS, Buckets, downsample, range_test_data, range_test_figure, schedule_data, schedule_figure,
                             set_x_log)


def slow_minmax(x, y, n):
    "The documented rule, one bucket at a time: evenly spaced x -> runs of ceil(m/nb) points, else equal-width bins."
    nb, m = (n - 2) // 2, len(x)
    d = np.diff(x)
    span = x[-1] - x[0]
    if not span > 0 or d.max() - d.min() <= 1e-6 * span / m: bucket = np.arange(m) // -(-m // nb)
    else: bucket = np.minimum(((x - x[0]) / span * nb).astype(int), nb - 1)
    keep = {0, m - 1}
    for b in np.unique(bucket):
        i = np.flatnonzero((bucket == b) & np.isfinite(y))
        if len(i): keep |= {int(i[np.argmin(y[i])]), int(i[np.argmax(y[i])])}
    return np.array(sorted(keep))


floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
ys = st.lists(st.one_of(floats, st.just(np.nan), st.just(np.inf), st.just(-np.inf)), min_size=1, max_size=400)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ys=ys, n=st.integers(4, 60), xkind=st.sampled_from(['even', 'random', 'dups', 'const']), seed=st.integers(0, 2**16))
def test_downsample_matches_the_documented_rule(ys, n, xkind, seed):
    y = np.array(ys)
    m = len(y)
    r = np.random.default_rng(seed)
    x = {'even': np.linspace(-2, 3, m), 'random': np.sort(r.uniform(0, 1, m)),
         'dups': np.sort(r.integers(0, 5, m)).astype(float), 'const': np.full(m, 2.)}[xkind]
    got = downsample(x, y, n)
    assert len(got) <= n and np.all(np.diff(got) > 0)
    if m <= n: np.testing.assert_array_equal(got, np.arange(m)); return
    assert got[0] == 0 and got[-1] == m - 1
    np.testing.assert_array_equal(got, slow_minmax(x, y, n))


def test_buckets_never_pick_non_finite_and_cover_all_points():
    x = np.log(np.geomspace(1e-7, 10, 100_003))
    y = np.random.default_rng(0).standard_normal(len(x)); y[::7] = np.nan; y[5::11] = np.inf
    b = Buckets(x, 999)
    assert b.size == -(-len(x) // 999)                       # an exponential sweep in log space is evenly spaced
    i = b.extremes(y)
    assert np.isfinite(y[i]).all()
    fin = np.isfinite(y)
    assert np.nanargmax(np.where(fin, y, np.nan)) in i and np.nanargmin(np.where(fin, y, np.nan)) in i


def test_downsample_is_fast_enough_for_a_million_points():
    import time
    x, y = np.log(np.geomspace(1e-7, 10, 1_000_000)), np.random.default_rng(0).standard_normal(1_000_000)
    downsample(x, y)
    t = time.perf_counter(); downsample(x, y); dt = time.perf_counter() - t
    assert dt < 0.25, dt                                     # ~5 ms unloaded; a generous bound for a shared machine


def _finite(data):
    for name, cols in data.items():
        for c, v in cols.items():
            v = np.asarray(v)
            if v.dtype.kind == 'f': assert np.isfinite(v).all(), (name, c)


@pytest.mark.parametrize('rule', list(RULES))
def test_range_test_data_follows_analyze_for_every_rule(rule):
    rec = synthetic(3000, seed=4, noise=0.2)
    a = analyze(rec, rule=rule, window=10)
    d = range_test_data(rec, a, max_points=500)
    _finite(d)
    json.dumps({k: {c: np.asarray(v).tolist() for c, v in cols.items()} for k, cols in d.items()}, allow_nan=False)
    for k in ('raw_0', 'smooth_0', 'slope_0', 'raw_after_0', 'smooth_after_0'): assert len(d[k]['lr']) <= 502
    assert (d['smooth_0']['iteration'] < a.cut).all() and (d['smooth_after_0']['iteration'] >= a.cut).all()
    it = d['smooth_0']['iteration']
    np.testing.assert_allclose(d['smooth_0']['loss'], a.smoothed[it])
    np.testing.assert_allclose(d['slope_0']['slope'], a.slope[d['slope_0']['iteration']])
    np.testing.assert_allclose(d['raw_0']['loss'], rec.losses[d['raw_0']['iteration']])
    s = a.suggestion
    if s.lr is None:
        assert len(d['marker_0']['lr']) == 0 and len(d['band']['lower']) == 0
    else:
        assert d['marker_0']['lr'].tolist() == [s.lr] and d['marker_0']['iteration'].tolist() == [s.index]
        assert d['band']['lower'].tolist() == [s.lower] and d['band']['upper'].tolist() == [s.upper]
        assert d['suggestion']['lr'].tolist() == [s.lr]


def test_several_runs_with_a_combined_suggestion_and_a_failed_run():
    runs = [synthetic(300, seed=s, label=f's{s}') for s in range(3)]
    an = analyze(runs)
    comb = suggest(runs)
    d = range_test_data(runs + [Recording.from_arrays([1e-3, 1e-2], [np.nan, np.nan], meta=dict(label='bad'))], an + [None],
                        suggestion=comb)
    assert d['runs']['label'].tolist() == ['s0', 's1', 's2', 'bad']
    assert np.isnan(d['runs']['lr'][3]) and d['runs']['lr'][0] == an[0].suggestion.lr
    assert d['band']['lower'].tolist() == [comb.lower] and d['suggestion']['lr'].tolist() == [comb.lr]
    assert len(d['raw_3']['lr']) == 0 and len(d['smooth_3']['lr']) == 0
    layout, srcs = range_test_figure(d)
    assert set(srcs) == set(d)
    legend = [item.label.value for p in layout.select({'type': Plot}) for lg in p.legend for item in lg.items]
    assert legend[:4] == ['s0', 's1', 's2', 'bad'] and 'smoothed loss' in legend[4:]     # the runs, then the key


def test_a_million_points_are_analysed_whole_and_drawn_small():
    rec = synthetic(1_000_000, seed=3)
    a = analyze(rec)
    d = range_test_data(rec, a)
    assert max(len(v['lr']) for k, v in d.items() if k.endswith('_0')) <= 2004
    assert d['marker_0']['lr'].tolist() == [a.suggestion.lr]       # the marker is the full-resolution suggestion
    i = int(np.argmin(a.smoothed[:a.cut]))
    assert i in d['smooth_0']['iteration']                           # the smoothed minimum is drawn


def test_bucket_cache_follows_the_recording():
    rec = synthetic(5000, seed=1)
    a = analyze(rec)
    d1 = range_test_data(rec, a, max_points=100)
    d2 = range_test_data(rec, a, max_points=400)                     # another size: new buckets, not the cached ones
    assert len(d1['raw_0']['lr']) + len(d1['raw_after_0']['lr']) <= 104 < len(d2['raw_0']['lr']) + len(d2['raw_after_0']['lr'])


SCHEDULES = [S.OneCycle(0.01, total_steps=1000), S.OneCycle(0.1, epochs=4, steps_per_epoch=30, three_phase=True, anneal_strategy='linear'),
             S.Cyclic(1e-4, 1e-2, step_size_up=50, mode='triangular2'), S.Cyclic(1e-4, 1e-2, step_size_up=20, cycle_momentum=False),
             S.CosineAnnealing(0.1, T_max=500), S.CosineWarmRestarts(0.1, T_0=50, T_mult=2), S.Exponential(0.1, gamma=0.99),
             S.Step(0.1, step_size=100), S.MultiStep(0.1, milestones=[100, 300]), S.LinearWarmup(0.1, total_iters=50)]


@pytest.mark.parametrize('sched', SCHEDULES, ids=lambda s: type(s).__name__)
def test_schedule_data_is_the_schedule(sched):
    d = schedule_data(sched, steps_per_epoch=40, max_points=100)
    lrs, moms = sched.lrs(), sched.momentums()
    assert len(d['lr']['step']) <= 100 and d['lr']['step'][0] == 0 and d['lr']['step'][-1] == len(lrs) - 1
    np.testing.assert_array_equal(d['lr']['lr'], lrs[d['lr']['step']])
    np.testing.assert_array_equal(d['lr']['epoch'], d['lr']['step'] // 40)
    if moms is None: assert len(d['momentum']['step']) == 0
    else: np.testing.assert_array_equal(d['momentum']['momentum'], moms[d['momentum']['step']])
    np.testing.assert_array_equal(d['epochs']['step'], np.arange(40, len(lrs), 40))
    assert lrs.max() in d['lr']['lr'] and lrs.min() in d['lr']['lr']     # the peak and the floor are drawn
    layout, srcs = schedule_figure(d)
    assert set(srcs) == set(d)


def test_schedule_epoch_marks_are_capped():
    d = schedule_data(S.OneCycle(0.01, total_steps=100_000), steps_per_epoch=10)
    marks = d['epochs']['step']                                      # 10 000 epochs: every 250th marked, not a wall of lines
    assert 0 < len(marks) <= MAX_EPOCH_MARKS and (np.diff(marks) == 2500).all() and marks[0] == 2500
    d = schedule_data(S.OneCycle(0.01, total_steps=100_000))
    assert len(d['epochs']['step']) == 0 and (d['lr']['epoch'] == 0).all()


def test_set_x_log_round_trip():
    rec = synthetic(100)
    layout, _ = range_test_figure(range_test_data(rec, analyze(rec)), x_log=False)
    plots = list(layout.select({'type': Plot}))
    drawn_on = lambda: {r.x_range_name for p in plots for r in p.renderers}
    shown = lambda: [type(ax).__name__ for p in plots for ax in p.below if ax.visible]
    assert drawn_on() == {'linear'} and shown() == ['LinearAxis'] * len(plots)
    set_x_log(layout, True)
    assert drawn_on() == {'default'} and shown() == ['LogAxis'] * len(plots)
    assert {type(p.x_scale).__name__ for p in plots} == {'LogScale'} and {type(p.extra_x_scales['linear']).__name__ for p in plots} == {'LinearScale'}
    set_x_log(layout, False)
    assert drawn_on() == {'linear'}


def test_raw_points_follow_a_recording_whose_losses_were_replaced():
    "The cached buckets and raw-loss extremes are keyed on the columns' buffers: a new loss column is drawn anew."
    rec = synthetic(5000, seed=4)
    a = analyze(rec)
    drawn = lambda: np.r_[range_test_data(rec, a, max_points=200)['raw_0']['loss'], range_test_data(rec, a, max_points=200)['raw_after_0']['loss']]
    assert drawn().max() == rec.losses.max()
    rec.df['loss'] = rec.losses[::-1] * 2
    assert drawn().max() == rec.losses.max() and drawn().min() == rec.losses.min()
