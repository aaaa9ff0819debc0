"""Randomized exactness: every schedule's `lrs()`/`momentums()` against the real torch scheduler, stepped one
`.step()` at a time on a real optimizer (read before each step, as a training loop sees it), bit for bit, and the
Keras/fastai schedules against their formulas written here independently, in plain Python `math`."""
import math, warnings
import numpy as np, pytest, torch
from hypothesis import given, settings, assume, HealthCheck, strategies as st
from lrwidgets.schedules import *

SETTINGS = settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
RTOL = 1e-12   # against formulas written independently here (another order of operations)

def trace(sched, n):
    "lr and momentum (or Adam's beta1) that torch's `sched` gives batches 0..n-1."
    opt, lrs, moms = sched.optimizer, [], []
    for _ in range(n):
        g = opt.param_groups[0]
        lrs.append(g['lr']); moms.append(g['betas'][0] if 'betas' in g else g['momentum'])
        opt.step(); sched.step()
    return np.array(lrs), np.array(moms)

def make_opt(kind):
    p = [torch.nn.Parameter(torch.zeros(2))]
    return torch.optim.Adam(p, lr=0.5) if kind == 'adam' else torch.optim.SGD(p, lr=0.5, momentum=0.5)

def check(s, n, kind='sgd', rtol=0):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # torch's step-order warnings
        tl, tm = trace(s.to_torch(make_opt(kind)), n)
    np.testing.assert_allclose(s.lrs(n), tl, rtol=rtol, atol=0)
    m = s.momentums(n)
    if m is not None: np.testing.assert_allclose(m, tm, rtol=rtol, atol=0)

lr = st.floats(1e-6, 10.)
frac = st.floats(0.01, 1.)
opt_kind = st.sampled_from(['sgd', 'adam'])

@SETTINGS
@given(lr, frac, st.integers(1, 40), st.one_of(st.none(), st.integers(0, 40)), st.sampled_from(['triangular', 'triangular2', 'exp_range']),
       st.floats(0.9, 1.), st.booleans(), st.floats(0., 0.9), st.floats(0., 0.09), opt_kind, st.integers(1, 250))
def test_cyclic(max_lr, f, up, down, mode, gamma, cyc_m, base_m, dm, kind, n):
    check(Cyclic(max_lr*f, max_lr, up, down, mode=mode, gamma=gamma, cycle_momentum=cyc_m,
                 base_momentum=base_m, max_momentum=base_m + dm), n, kind)

@SETTINGS
@given(lr, frac, st.integers(1, 30), st.integers(0, 30), st.sampled_from(['cycle', 'iterations']), st.integers(1, 200))
def test_cyclic_scale_fn(max_lr, f, up, down, scale_mode, n):
    check(Cyclic(max_lr*f, max_lr, up, down, scale_fn=lambda x: 1/(1 + 0.1*x), scale_mode=scale_mode), n)
    check(Cyclic(max_lr*f, max_lr, up, down, scale_fn=lambda x: math.exp(-0.01*x), scale_mode=scale_mode), n)  # scalar-only fn

@SETTINGS
@given(lr, st.integers(2, 400), st.floats(0.01, 0.99), st.sampled_from(['cos', 'linear']), st.booleans(), st.floats(1.5, 1e3),
       st.floats(1., 1e5), st.floats(0.5, 0.9), st.floats(0., 0.09), opt_kind, st.booleans())
def test_one_cycle(max_lr, T, pct, strat, three, div, fdiv, base_m, dm, kind, epochs):
    kw = dict(pct_start=pct, anneal_strategy=strat, three_phase=three, div_factor=div, final_div_factor=fdiv,
              base_momentum=base_m, max_momentum=base_m + dm)
    try: s = OneCycle(max_lr, T, **kw) if not epochs else OneCycle(max_lr, epochs=T, steps_per_epoch=3, **kw)
    except ValueError: assume(False)  # too few steps for this pct_start: tested in test_schedules_validation.py
    check(s, s.total_steps, kind)

@SETTINGS
@given(lr, st.integers(1, 300), st.one_of(st.just(0.), st.floats(0., 0.5)))
def test_cosine_annealing(lr0, T, eta_frac):
    check(CosineAnnealing(lr0, T, eta_min=lr0*eta_frac), T + 1)  # to eta_min, at step T_max

@SETTINGS
@given(lr, st.integers(1, 40), st.integers(1, 3), st.floats(0., 0.5), st.integers(1, 300))
def test_warm_restarts(lr0, T0, Tm, eta_frac, n):
    check(CosineWarmRestarts(lr0, T0, Tm, eta_min=lr0*eta_frac), n)

@SETTINGS
@given(lr, st.floats(0.5, 1.2), st.integers(1, 40), st.lists(st.integers(0, 200), min_size=1, max_size=5, unique=True),
       st.floats(0.01, 1.), st.floats(0.01, 1.), st.integers(1, 50), st.integers(1, 300))
def test_recursive_ones_bit_for_bit(lr0, gamma, step, ms, sf, ef, iters, n):
    "ExponentialLR, StepLR, MultiStepLR, LinearLR multiply step by step; cumprod does the same multiplications."
    for s in [Exponential(lr0, gamma), Step(lr0, step, gamma), MultiStep(lr0, sorted(ms), gamma), LinearWarmup(lr0, sf, ef, iters)]:
        check(s, n, rtol=0)

chainable = st.one_of(
    st.builds(lambda T, e: CosineAnnealing(0.1, T, 0.1*e), st.integers(1, 50), st.floats(0., 0.5)),
    st.builds(lambda T0, Tm: CosineWarmRestarts(0.1, T0, Tm), st.integers(1, 20), st.integers(1, 2)),
    st.builds(lambda g: Exponential(0.1, g), st.floats(0.8, 1.)),
    st.builds(lambda k, g: Step(0.1, k, g), st.integers(1, 10), st.floats(0.1, 1.)),
    st.builds(lambda ms: MultiStep(0.1, sorted(ms)), st.lists(st.integers(0, 30), min_size=1, max_size=3, unique=True)),
    st.builds(lambda s, T: LinearWarmup(0.1, s, total_iters=T), st.floats(0.01, 1.), st.integers(1, 30)),
    st.builds(lambda k, r, sc: ExponentialDecay(0.1, k, r, sc), st.integers(1, 20), st.floats(0.1, 1.), st.booleans()),
    st.builds(lambda b: PiecewiseConstantDecay(sorted(b), [0.1] + [0.1/(i + 2) for i in range(len(b))]),
              st.lists(st.integers(0, 30), min_size=1, max_size=3, unique=True)))

@SETTINGS
@given(st.lists(chainable, min_size=1, max_size=4), st.lists(st.integers(1, 40), min_size=3, max_size=3, unique=True), st.integers(0, 40))
def test_sequence(parts, gaps, extra):
    ms = list(np.cumsum(gaps[:len(parts) - 1]).tolist())
    s = Sequence(parts, ms)
    check(s, s.total_steps + extra)

# ---- Keras and fastai: against their formulas, written here from the maths (plain Python, float64) ----

def keras_exponential_decay(lr0, decay_steps, rate, staircase, step):
    p = step/decay_steps
    return lr0*rate**(math.floor(p) if staircase else p)

def keras_piecewise(boundaries, values, step):
    for b, v in zip(boundaries, values):
        if step <= b: return v
    return values[-1]

def fastai_one_cycle(lr_max, N, div, div_final, pct, moms, i):
    "fit_one_cycle: combined_cos(pct, start, middle, end) at pos = i/N; sched_cos(s, e, p) = s + (1 + cos(pi(1-p)))(e-s)/2."
    def combined(start, middle, end):
        pos = i/N
        if pos < pct: s, e, p = start, middle, pos/pct
        else: s, e, p = middle, end, (pos - pct)/(1 - pct)
        return s + (1 + math.cos(math.pi*(1 - p)))*(e - s)/2
    return combined(lr_max/div, lr_max, lr_max/div_final), combined(*moms)

@SETTINGS
@given(lr, st.integers(1, 100), st.floats(0.05, 1.), st.booleans(), st.integers(1, 300))
def test_keras_exponential_decay(lr0, k, rate, staircase, n):
    s = ExponentialDecay(lr0, k, rate, staircase)
    np.testing.assert_allclose(s.lrs(n), [keras_exponential_decay(lr0, k, rate, staircase, t) for t in range(n)], rtol=RTOL, atol=0)
    check(s, n)

@SETTINGS
@given(st.lists(st.integers(0, 100), min_size=0, max_size=5, unique=True), st.data(), st.integers(1, 200))
def test_keras_piecewise(bounds, data, n):
    bounds = sorted(bounds)
    values = data.draw(st.lists(lr, min_size=len(bounds) + 1, max_size=len(bounds) + 1))
    s = PiecewiseConstantDecay(bounds, values)
    np.testing.assert_array_equal(s.lrs(n), [keras_piecewise(bounds, values, t) for t in range(n)])
    check(s, n)

@SETTINGS
@given(lr, st.integers(1, 300), st.floats(1.5, 100.), st.floats(10., 1e6), st.floats(0., 0.95), st.floats(0.5, 0.99), opt_kind)
def test_fastai_one_cycle(lr_max, N, div, div_final, pct, m, kind):
    moms = (m, m - 0.1, m)
    s = FastaiOneCycle(lr_max, N, div=div, div_final=div_final, pct_start=pct, moms=moms)
    ref = np.array([fastai_one_cycle(lr_max, N, div, div_final, pct, moms, i) for i in range(N)])
    np.testing.assert_allclose(s.lrs(), ref[:, 0], rtol=RTOL, atol=0)
    np.testing.assert_allclose(s.momentums(), ref[:, 1], rtol=RTOL, atol=0)
    check(s, N, kind)

def test_cosine_annealing_past_t_max():
    "torch's CosineAnnealingLR is not clamped: past T_max it rises again, with an added step at each trough; still bit for bit."
    for T, eta in [(100, 0.), (37, 0.01), (500, 0.001), (1, 0.), (2, 0.05)]:
        check(CosineAnnealing(0.1, T, eta), 5*T + 3)
