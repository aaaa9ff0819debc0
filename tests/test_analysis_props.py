"""Property tests: every rule, on any curve a range test (or a slider) can produce, answers safely.

Random curves with NaN/Inf runs, constant stretches, 0-3 points, huge and tiny loss scales, negative losses,
linear and exponential sweeps and duplicate lrs (gradient accumulation), under random smoothing, threshold and
skip settings (numpy scalars, windows and skips longer than any curve included). For every rule: no exception; `lr` is None (and then so are `lower`, `upper` and `index`) or all
three lie in the recorded lr range with `lower <= upper`; `index` is a row; the same input gives the same answer.
"""
import math
import numpy as np
from hypothesis import given, settings, strategies as st, HealthCheck
from lrwidgets import Recording
from lrwidgets import suggest, analyze, analyze_rules, cut, smooth, loss_slope, RULES, Suggestion

@st.composite
def recordings(draw, max_n=80):
    n = draw(st.one_of(st.integers(0, 3), st.integers(4, max_n)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    start = 10 ** draw(st.floats(-9, -1))
    end = start * 10 ** draw(st.floats(0.5, 9))
    if draw(st.booleans()): lrs = start * (end/start) ** (np.arange(n) / max(n - 1, 1))
    else: lrs = np.linspace(start, end, n)
    if n >= 4 and draw(st.booleans()):                     # gradient accumulation: rows share lrs
        k = draw(st.integers(2, 4))
        lrs = np.repeat(lrs[::k], k)[:n]
    shape = draw(st.sampled_from(['range_test', 'walk', 'constant', 'rising', 'noise']))
    x = np.linspace(-3, 1, n)
    base = {'range_test': 2.3 - 2/(1 + np.exp(-3*x)) + 0.1*np.exp(3*x),
            'walk': 5 + np.cumsum(rng.standard_normal(n)) * 0.3,
            'constant': np.full(n, 1.7),
            'rising': np.exp(x),
            'noise': rng.random(n)}[shape]
    losses = base * (1 + draw(st.sampled_from([0, 0.01, 0.3])) * rng.standard_normal(n))
    losses = losses * 10 ** draw(st.sampled_from([-30, -8, 0, 8, 30])) + draw(st.sampled_from([0, 0, -3.]))
    for _ in range(draw(st.integers(0, 3))):              # runs of NaN / Inf
        if n == 0: break
        i = draw(st.integers(0, n - 1)); j = draw(st.integers(i, min(n, i + 10)))
        losses[i:j+1] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    if n >= 2 and lrs[-1] <= lrs[0]: lrs[-1] = lrs[0] * 2
    return Recording.from_arrays(lrs, losses)

settings_ = dict(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
big = st.sampled_from([10**6, 2**63, 10**20])                 # longer than any curve, past C longs too
controls = dict(window=st.one_of(st.integers(1, 60), st.integers(1, 60).map(np.int64), big), kind=st.sampled_from(['ema', 'sma']),
                diverge_th=st.sampled_from([None, 1.5, 4., 1e6, np.float32(4.)]),
                skip_start=st.one_of(st.none(), st.integers(0, 12), st.floats(0, 0.5), big),
                skip_end=st.one_of(st.none(), st.integers(0, 6), st.integers(0, 6).map(np.int64), big))

def check(s, rec):
    assert isinstance(s, Suggestion) and isinstance(s.reason, str) and s.reason
    if s.lr is None:
        assert s.lower is None and s.upper is None and s.index is None
        return
    lo, hi = rec.lrs[0], rec.lrs[-1]
    for v in (s.lr, s.lower, s.upper): assert isinstance(v, float) and lo <= v <= hi, (v, lo, hi, s)
    assert s.lower <= s.upper, s
    assert 0 <= s.index < len(rec), s

@settings(max_examples=250, **settings_)
@given(recordings(), st.sampled_from(sorted(RULES)), st.fixed_dictionaries(controls))
def test_every_rule_answers_safely(rec, rule, kw):
    s = suggest(rec, rule, **kw)
    check(s, rec)
    assert suggest(rec, rule, **kw) == s                    # deterministic

@settings(max_examples=60, **settings_)
@given(recordings(), st.fixed_dictionaries(controls))
def test_analyze_draws_what_suggest_says(rec, kw):
    a = analyze(rec, **kw)
    n = len(rec)
    assert len(a.smoothed) == n and len(a.slope) == n and 0 <= a.cut <= n
    assert a.suggestion == suggest(rec, **kw)
    fin = np.isfinite(rec.losses)
    assert np.isnan(a.smoothed[~fin]).all()                 # non-finite losses stay where they are...
    if fin.any() and np.isfinite(a.smoothed[fin]).all():    # ...and do not poison the rest (unless it overflowed)
        assert not np.isnan(a.slope[fin]).any() or len(np.unique(rec.lrs[fin])) < 2
    if kw['diverge_th'] is None: assert a.cut == n

@settings(max_examples=60, **settings_)
@given(recordings(), st.fixed_dictionaries(controls))
def test_analyze_rules_is_analyze_per_rule(rec, kw):
    "Every rule's analysis from the shared smoothing and cut is the one `analyze` gives alone."
    by_rule = analyze_rules(rec, **kw)
    assert list(by_rule) == list(RULES)
    for rule, a in by_rule.items():
        b = analyze(rec, rule, **kw)
        assert a.suggestion == b.suggestion and a.cut == b.cut, rule
        np.testing.assert_array_equal(a.smoothed, b.smoothed); np.testing.assert_array_equal(a.slope, b.slope)

@settings(max_examples=40, **settings_)
@given(st.lists(recordings(max_n=60), min_size=1, max_size=4), st.sampled_from(['robust', 'valley', 'smith', 'steepest']),
       st.sampled_from(['median', 'pool']))
def test_several_runs(recs, rule, combine):
    s = suggest(recs, rule, combine=combine)
    assert s.index is None
    if s.lr is not None:
        lo, hi = min(r.lrs[0] for r in recs if len(r)), max(r.lrs[-1] for r in recs if len(r))
        assert lo <= s.lower <= s.upper <= hi and lo <= s.lr <= hi
    assert suggest(recs, rule, combine=combine) == s

def test_pooling_runs_that_share_one_lr_answers_none():
    "Found by test_several_runs: two 1-point runs at the same lr pool into no range test; that is a None, not an error."
    one = Recording.from_arrays([0.1], [2.3])
    for rule in RULES:
        s = suggest([one, one], rule, combine='pool')
        assert s.lr is None and s.rule == rule and 'lr 0.1' in s.reason and 'sweep nothing' in s.reason, s
    assert suggest([one, Recording.from_arrays([0.2], [2.])], 'minimum', combine='pool').reason   # two lrs: a real pooled curve

@settings(max_examples=60, **settings_)
@given(recordings(), st.integers(1, 40), st.sampled_from(['ema', 'sma']))
def test_smooth_and_slope(rec, window, kind):
    sm = smooth(rec.losses, window, kind)
    assert sm.shape == rec.losses.shape
    fin = np.isfinite(rec.losses)
    if fin.any():
        with np.errstate(over='ignore'):
            lo, hi = rec.losses[fin].min(), rec.losses[fin].max()
        ok = np.isfinite(sm)
        assert (sm[ok] >= lo - 1e-9*abs(lo)).all() and (sm[ok] <= hi + 1e-9*abs(hi)).all()   # an average stays within the data
    if len(rec): assert loss_slope(rec.lrs, rec.losses, window, kind).shape == rec.losses.shape

@settings(max_examples=80, **settings_)
@given(recordings(), st.one_of(st.integers(1, 40), big), st.sampled_from(['ema', 'sma']), st.data())
def test_smoothing_is_causal(rec, window, kind, data):
    "A prefix smoothed alone is the prefix of the whole curve smoothed, bit for bit (`plots.display_line` relies on it)."
    k = data.draw(st.integers(0, len(rec)))
    np.testing.assert_array_equal(smooth(rec.losses[:k], window, kind), smooth(rec.losses, window, kind)[:k])

def test_smoothing_is_causal_on_the_compiled_path():
    x = np.random.default_rng(0).random(20_000); x[7_000:7_010] = np.nan
    for kind in ('ema', 'sma'):
        np.testing.assert_array_equal(smooth(x[:12_345], 40, kind), smooth(x, 40, kind)[:12_345])

def falling_curve(lrs, noise, seed):
    "A range-test shape over `lrs`: flat, falling around 1e-3, diverging; with relative noise."
    x = np.log10(lrs) + 3
    return (2.3 - 2/(1 + np.exp(-3*x)) + 0.1*np.exp(3*x)) * (1 + noise*np.random.default_rng(seed).standard_normal(len(lrs)))

def test_robust_scales_with_the_loss():
    "`robust` works on log-loss: multiplying the loss by any factor changes nothing."
    lrs = np.geomspace(1e-6, 1, 200)
    losses = falling_curve(lrs, noise=0.1, seed=0)
    ref = suggest(Recording.from_arrays(lrs, losses), 'robust', diverge_th=None)
    for scale in [1e-30, 1e-3, 1e3, 1e30]:
        s = suggest(Recording.from_arrays(lrs, losses*scale), 'robust', diverge_th=None)
        assert math.isclose(s.lr, ref.lr, rel_tol=1e-9) and math.isclose(s.upper, ref.upper, rel_tol=1e-9)

def test_early_spikes_do_not_move_robust():
    "Bad batches at the start (fastai #3295, Lightning #1767) leave `robust` where it was; `steepest` jumps."
    lrs = np.geomspace(1e-7, 10, 150)
    losses = falling_curve(lrs, noise=0.05, seed=1)
    spiky = losses.copy(); spiky[[3, 5, 8]] *= [30, 10, 5]
    clean, hit = (suggest(Recording.from_arrays(lrs, l), 'robust') for l in (losses, spiky))
    assert abs(math.log10(hit.lr/clean.lr)) < 0.05
    assert abs(math.log10(suggest(Recording.from_arrays(lrs, spiky), 'steepest', skip_start=0).lr / clean.lr)) > 2

def test_noise_moves_robust_less_than_the_peers():
    "Seed to seed spread (torch-lr-finder #106): `robust` varies less than the per-point rules."
    lrs = np.geomspace(1e-7, 10, 200)
    x = np.log10(lrs) + 3
    clean = 2.3 - 2/(1 + np.exp(-3*x)) + 0.1*np.exp(3*x)
    recs = [Recording.from_arrays(lrs, clean * np.abs(1 + 0.2*np.random.default_rng(s).standard_normal(200))) for s in range(10)]
    spread = lambda rule: np.std([math.log10(suggest(r, rule).lr) for r in recs])
    assert spread('robust') < 0.5 * min(spread('steepest'), spread('lightning'), spread('steep'))

def reference_cut(losses, smoothed, th, window):
    """The cut written plainly: at the first non-finite loss, or at the first point from min(window, n/4) on whose smoothed
    loss exceeds th × the best since then."""
    best, n = math.inf, len(losses)
    for i, (l, s) in enumerate(zip(losses, smoothed)):
        if not math.isfinite(l): return i
        if i < min(window, n // 4): continue
        best = min(best, s)
        if s - best > (th - 1) * abs(best): return i
    return n

@settings(max_examples=40, **settings_)
@given(st.integers(0, 6000), st.integers(0, 2**32 - 1), st.sampled_from([1.5, 4., 50.]), st.integers(1, 30))
def test_cut_is_the_plain_definition(n, seed, th, window):
    "The vectorized `cut` gives the plain definition's answer, on curves that blow up, recover, and turn NaN or inf."
    rng = np.random.default_rng(seed)
    x = np.linspace(-3, 3, n)
    losses = (2.3 - 2/(1 + np.exp(-3*x)) + 0.1*np.exp(rng.uniform(1, 4)*x)) * (1 + 0.2*rng.standard_normal(n))
    if n and rng.random() < 0.3: losses[rng.integers(0, n):] = np.nan
    if n and rng.random() < 0.3: losses[rng.integers(0, n, 5)] = np.inf
    if n and rng.random() < 0.3: losses[rng.integers(0, n):] = np.log(10)     # a dead network after the explosion
    rec = Recording.from_arrays(np.geomspace(1e-6, 1, n) if n != 1 else [1e-3], losses)
    assert cut(rec, th, window) == reference_cut(losses, smooth(losses, window), th, window)

def test_a_run_that_dies_after_exploding_is_cut_where_it_exploded():
    "The loss falls to 0.6, explodes to 50 and settles at ln 10 (within 4x the best): the rules never see the settling."
    lrs = np.geomspace(1e-5, 10, 300)
    losses = np.r_[np.linspace(2.3, 0.6, 200), np.linspace(0.6, 50, 15), np.full(85, np.log(10))]
    rec = Recording.from_arrays(lrs, losses)
    assert 200 < cut(rec) < 215
    for rule in RULES: assert suggest(rec, rule).lr is None or suggest(rec, rule).lr <= lrs[200], rule
    assert suggest(rec, 'steepest', diverge_th=None).lr > lrs[200]     # without the cut the settling is read as a descent

@settings(max_examples=80, **settings_)
@given(recordings(), st.sampled_from(sorted(set(RULES) - {'ratio'})), st.fixed_dictionaries(controls))
def test_ratio_keeps_its_base_rules_upper(rec, base, kw):
    "`ratio` skips what its base skips, so its `upper` and `lr` are the base rule's."
    s, b = suggest(rec, 'ratio', base=base, **kw), suggest(rec, base, **kw)
    assert (s.lr, s.upper) == (b.lr, b.upper)


# `valley`'s patience sort runs compiled (numba) from `_COMPILE_FROM` points on: the compiled loop, the same loop
# run by CPython, and the plain list-and-bisect loop give the same (end, length), ties, infinities and NaN included.
from lrwidgets import analysis as A

values = st.one_of(st.integers(-3, 3).map(float), st.floats(allow_nan=True, allow_infinity=True))

@settings(max_examples=400, **settings_)
@given(st.lists(values, max_size=60))
def test_compiled_patience_sort_matches_the_plain_loop(ys):
    y = np.array(ys, dtype=float)
    ref = A._longest_decrease_py(y)
    assert A._longest_decrease_arrays(y) == ref
    assert A._compiled_longest_decrease()(y) == ref

@settings(max_examples=60, **settings_)
@given(recordings(), st.fixed_dictionaries(controls))
def test_valley_gives_the_same_answer_compiled(rec, kw):
    plain = suggest(rec, 'valley', **kw)
    old = A._COMPILE_FROM
    A._COMPILE_FROM = 0                     # every curve takes the compiled path
    try: compiled = suggest(rec, 'valley', **kw)
    finally: A._COMPILE_FROM = old
    assert compiled == plain

def test_long_curves_take_the_compiled_path(monkeypatch):
    "Past the threshold `valley` calls the compiled loop, and it agrees with the plain one on a long noisy curve."
    y = smooth(np.random.default_rng(0).standard_normal(2 * A._COMPILE_FROM).cumsum(), 40)
    calls = []
    compiled = A._compiled_longest_decrease()
    monkeypatch.setattr(A, '_compiled_longest_decrease', lambda: lambda a: calls.append(len(a)) or compiled(a))
    assert A._longest_decrease(y) == A._longest_decrease_py(y)
    assert A._longest_decrease(y[:A._COMPILE_FROM - 1]) == A._longest_decrease_py(y[:A._COMPILE_FROM - 1])
    assert calls == [len(y)]

def test_without_numba_valley_and_smoothing_warn_and_run_uncompiled(monkeypatch):
    "numba refuses to import under a numpy newer than it supports: long curves then run the plain loops, with a warning."
    import sys, pytest, pandas as pd
    x = np.random.default_rng(1).standard_normal(A._COMPILE_FROM + 10).cumsum()
    y = smooth(x, 40)
    A._compiled.cache_clear()
    monkeypatch.setitem(sys.modules, 'numba', None)          # makes `import numba` raise ImportError
    try:
        with pytest.warns(RuntimeWarning, match='numba cannot be imported'):
            assert A._longest_decrease(y) == A._longest_decrease_py(y)
        assert A._compiled_longest_decrease() is A._longest_decrease_py
        with pytest.warns(RuntimeWarning, match='numba cannot be imported'):                              # pandas' EMA
            assert np.array_equal(smooth(x, 40), pd.Series(x).ewm(alpha=2/41, adjust=True).mean().to_numpy())
    finally: A._compiled.cache_clear()

@settings(max_examples=40, **settings_)
@given(st.integers(0, 2**32 - 1), st.integers(2, 400), st.sampled_from(['normal', 'steps', 'wide', 'walk']), st.booleans())
def test_compiled_ema_is_pandas_to_the_last_bit(seed, window, shape, holes):
    "On long curves `smooth` runs pandas' adjusted EWMA recurrence compiled: the same numbers, bit for bit, NaN and inf left local."
    import pandas as pd
    rng = np.random.default_rng(seed)
    n = A._COMPILE_FROM + int(rng.integers(0, 3000))
    x = {'normal': rng.standard_normal(n), 'steps': rng.integers(0, 3, n).astype(float),      # steps: equal neighbours
         'wide': np.exp(5 * rng.standard_normal(n)), 'walk': 1e8 * rng.standard_normal(n).cumsum()}[shape]
    if holes: x[rng.integers(0, n, 20)] = rng.choice([np.nan, np.inf, -np.inf], 20)
    ok = np.isfinite(x)
    want = np.full(n, np.nan)
    want[ok] = pd.Series(x[ok]).ewm(alpha=2/(window+1), adjust=True).mean().to_numpy()
    assert np.array_equal(smooth(x, window), want, equal_nan=True)

def test_without_a_writable_numba_cache_valley_compiles_anyway(monkeypatch):
    "numba refuses `cache=True` when none of its cache locators finds a writable directory (read-only install and home)."
    from numba.core import caching
    for locator in caching.CacheImpl._locator_classes:
        monkeypatch.setattr(locator, 'from_function', classmethod(lambda cls, py_func, path: None))
    y = smooth(np.random.default_rng(2).standard_normal(A._COMPILE_FROM + 10).cumsum(), 40)
    A._compiled.cache_clear()
    try:
        f = A._compiled_longest_decrease()
        assert isinstance(f._cache, caching.NullCache)                     # compiled, with no disk cache behind it
        assert A._longest_decrease(y) == A._longest_decrease_py(y)
    finally: A._compiled.cache_clear()

def test_pooled_runs_of_an_imported_curve_keep_its_tool_rule():
    "suggest(..., combine='pool') on curves another tool smoothed reads them as that tool does, like one run or the median."
    lrs = np.geomspace(1e-5, 1, 100)
    curves = [Recording.from_torch_lr_finder(dict(lr=lrs, loss=2 - np.tanh(np.log10(lrs) + 3 + d) + 0.01 * np.sin(np.arange(100))))
              for d in (0., 0.1)]
    assert suggest(curves[0]).rule == suggest(curves).rule == suggest(curves, combine='pool').rule == 'steepest'
