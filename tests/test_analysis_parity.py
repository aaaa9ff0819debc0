"""Parity: lrwidgets' rules give the peers' numbers on the same curves.

The peers' formulas are written out here independently (from the peers' source: fastai
`fastai/callback/schedule.py`, Lightning `tuner/lr_finder.py` before 2.5.3), loops where the peers loop, and
compared with `suggest` on generated curves. torch-lr-finder is installed, so its own `LRFinder.plot` is called.
Each peer rule runs on the peer's smoothed curve, handed to `suggest` with `window=1` (no further smoothing) and
`diverge_th=None` (the peers stopped recording at divergence themselves), with the rule's default skips.
"""
import math
import numpy as np, pytest
from hypothesis import given, settings, strategies as st, HealthCheck
from lrwidgets import Recording, synthetic
from lrwidgets import suggest, smooth

# ---- the peers, written out ----

def fastai_smooth(losses, beta=0.98):
    "fastai AvgSmoothLoss: torch.lerp from 0, debiased by 1 - beta**count."
    val, out = 0., []
    for count, l in enumerate(losses, 1):
        val = l + beta * (val - l)            # torch.lerp(l, val, beta)
        out.append(val / (1 - beta**count))
    return np.array(out)

def lightning_smooth(losses, beta=0.98):
    "Lightning _LRCallback: debiased with the step counter one ahead (global_step is 1 at the first batch)."
    avg, out = 0., []
    for step, l in enumerate(losses, 1):
        avg = beta * avg + (1 - beta) * l
        out.append(avg / (1 - beta ** (step + 1)))
    return np.array(out)

def tlf_smooth(losses, smooth_f=0.05):
    "torch-lr-finder range_test: L_0 = l_0, L_k = f l_k + (1-f) L_(k-1)."
    out = [losses[0]]
    for l in losses[1:]: out.append(smooth_f * l + (1 - smooth_f) * out[-1])
    return np.array(out)

def fastai_trim(lrs, losses):
    "Learner.lr_find: [num_it//10:-5], then cut at the first NaN."
    n = len(lrs)
    lrs, losses = np.asarray(lrs[n//10:-5]), np.asarray(losses[n//10:-5])
    nan = np.flatnonzero(np.isnan(losses))
    if len(nan): lrs, losses = lrs[:nan[0]], losses[:nan[0]]
    return lrs, losses

def fastai_valley(lrs, losses):
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1]*n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1): lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections/2)
    return float(lrs[max(idx, 0)])    # fastai's lrs[-1] (a 2-point valley at the start wraps round to the end): we keep the first

def fastai_slide(lrs, losses, lr_diff=15, thresh=.005, adjust_value=1.):
    loss_grad = np.gradient(losses)
    r_idx = -1
    l_idx = r_idx - lr_diff
    local_min_lr = lrs[l_idx]
    while (l_idx >= -len(losses)) and (abs(loss_grad[r_idx] - loss_grad[l_idx]) > thresh):
        local_min_lr = lrs[l_idx]
        r_idx -= 1
        l_idx -= 1
    return float(local_min_lr) * adjust_value

def fastai_minimum(lrs, losses): return float(lrs[int(np.argmin(losses))]) / 10

def fastai_steep(lrs, losses):
    grads = (losses[1:] - losses[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    return float(lrs[int(np.argmin(grads))])

def lightning_suggestion(lrs, losses, skip_begin=10, skip_end=1):
    "Lightning < 2.5.3: drop non-finite, per-point gradient, argmin, index + skip_begin."
    l = np.asarray(losses[skip_begin:-skip_end])
    l = l[np.isfinite(l)]
    if len(l) < 2: return None
    return float(lrs[int(np.argmin(np.gradient(l))) + skip_begin])

def lightning_2_5_3_suggestion(lrs, losses, skip_begin=10, skip_end=1):
    "Lightning >= 2.5.3: torch.gradient against the raw lrs, index mapped through the finite points."
    import torch
    l, x = torch.tensor(losses[skip_begin:-skip_end]), torch.tensor(lrs[skip_begin:-skip_end])
    fin = torch.isfinite(l)
    l, x = l[fin], x[fin]
    if len(l) < 2: return None
    g = torch.gradient(l, spacing=[x])[0]
    idx = torch.arange(len(losses))[skip_begin:-skip_end][fin][torch.argmin(g).item()].item()
    return float(lrs[idx])

def tlf_suggestion(lrs, losses, skip_start=10, skip_end=5):
    "torch-lr-finder's own LRFinder.plot(suggest_lr=True)."
    import torch, matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from torch_lr_finder import LRFinder
    model = torch.nn.Linear(1, 1)
    finder = LRFinder(model, torch.optim.SGD(model.parameters(), lr=1e-3), torch.nn.MSELoss())
    finder.history = {'lr': list(lrs), 'loss': list(losses)}
    fig, ax = plt.subplots()
    try: _, lr = finder.plot(skip_start=skip_start, skip_end=skip_end, suggest_lr=True, ax=ax)
    finally: plt.close(fig)
    return float(lr)

# ---- generated curves ----

def curve(seed, n, kind):
    "lrs (exp sweep) and raw losses: a synthetic range test or a random walk."
    rng = np.random.default_rng(seed)
    if kind == 'synthetic':
        rec = synthetic(n, noise=float(rng.choice([0.01, 0.05, 0.2])), seed=seed, best_lr=10**rng.uniform(-4, -1))
        return rec.lrs, rec.losses
    lrs = np.geomspace(1e-7, 10, n)
    return lrs, 5 + np.cumsum(rng.standard_normal(n)) * 0.1

curves = st.tuples(st.integers(0, 10**6), st.integers(30, 200), st.sampled_from(['synthetic', 'walk']))
fast = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

def ours(lrs, smoothed, rule, **kw):
    return suggest(Recording.from_arrays(lrs, smoothed), rule, window=1, diverge_th=None, **kw)

@fast
@given(curves)
def test_fastai_rules(c):
    lrs, raw = curve(*c)
    L = fastai_smooth(raw)
    tl, tL = fastai_trim(lrs, L)
    for rule, peer in [('valley', fastai_valley), ('slide', fastai_slide), ('steep', fastai_steep)]:
        s = ours(lrs, L, rule)
        if s.lr is None and s.reason == 'the smoothed loss never falls': assert (np.diff(tL) >= 0).all()
        else: assert s.lr == peer(tl, tL), (rule, s)
    m, s = fastai_minimum(tl, tL), ours(lrs, L, 'minimum')
    if s.lr is not None: assert s.lr == (m if m >= lrs[0] else lrs[0])   # we clamp into the recorded range

def same_or_never_falls(s, peer_lr, span):
    "Our suggestion equals the peer's, or we decline because the analysed span never falls (the peer returns noise)."
    if s.lr is None:
        assert s.reason == 'the smoothed loss never falls' and (np.diff(span) >= 0).all()
    else: assert s.lr == peer_lr, s

@fast
@given(curves)
def test_lightning_rule(c):
    lrs, raw = curve(*c)
    L = lightning_smooth(raw)
    same_or_never_falls(ours(lrs, L, 'lightning'), lightning_suggestion(lrs, L), L[10:-1])

@fast
@given(curves)
def test_lightning_2_5_3_rule(c):
    lrs, raw = curve(*c)
    L = lightning_smooth(raw)
    same_or_never_falls(ours(lrs, L, 'lightning_2_5_3'), lightning_2_5_3_suggestion(lrs, L), L[10:-1])

@settings(max_examples=15, deadline=None, database=None)
@given(curves)
def test_torch_lr_finder_rule(c):
    lrs, raw = curve(*c)
    L = tlf_smooth(raw)
    same_or_never_falls(ours(lrs, L, 'steepest'), tlf_suggestion(lrs, L), L[10:-5])

def test_our_smoothing_is_fastais():
    "window=99 is fastai's beta=0.98 and the same smoothing, so raw losses give fastai's numbers directly."
    for seed in range(5):
        lrs, raw = curve(seed, 100, 'synthetic')
        np.testing.assert_allclose(smooth(raw, 99), fastai_smooth(raw), rtol=1e-12)
        tl, tL = fastai_trim(lrs, fastai_smooth(raw))
        rec = Recording.from_arrays(lrs, raw)
        assert suggest(rec, 'valley', window=99, diverge_th=None).lr == fastai_valley(tl, tL)
        assert suggest(rec, 'steep', window=99, diverge_th=None).lr == fastai_steep(tl, tL)

def test_lightning_debias_is_off_by_one():
    "Lightning issue #14167: its first smoothed point is about half the loss; ours is the loss."
    raw = np.full(10, 2.)
    assert lightning_smooth(raw)[0] == pytest.approx(2 * 0.02 / (1 - 0.98**2))
    assert lightning_smooth(raw)[0] < 1.02
    assert smooth(raw, 99)[0] == 2.

def test_fastai_nan_cut():
    "fastai cuts at the first NaN; a NaN tail cut by `diverge_th` gives the same numbers."
    lrs, raw = curve(3, 120, 'synthetic')
    L = fastai_smooth(raw)
    L[90:] = np.nan
    tl, tL = fastai_trim(lrs, L)
    rec = Recording.from_arrays(lrs, L)
    assert suggest(rec, 'valley', window=1, diverge_th=1e300).lr == fastai_valley(tl, tL)
    assert suggest(rec, 'slide', window=1, diverge_th=1e300).lr == fastai_slide(tl, tL)

def test_fastai_nan_in_the_middle():
    "A single NaN inside fastai's span ends it there; the cut at the first non-finite loss does the same."
    lrs, raw = curve(4, 120, 'synthetic')
    L = fastai_smooth(raw)
    L[60] = np.nan
    tl, tL = fastai_trim(lrs, L)
    assert len(tl) == 60 - 12
    rec = Recording.from_arrays(lrs, L)
    for rule, peer in (('valley', fastai_valley), ('slide', fastai_slide), ('steep', fastai_steep)):
        assert suggest(rec, rule, window=1, diverge_th=1e300).lr == peer(tl, tL), rule

def test_lightning_nan_row_is_mapped_back():
    "With NaNs inside the window Lightning < 2.5.3 reports a shifted row; we report the row of the chosen point."
    rec = synthetic(100, noise=0.05, seed=5)
    lrs, L = rec.lrs, lightning_smooth(rec.losses)
    i = int(np.argmin(np.gradient(L[10:-1]))) + 10
    assert i >= 14
    L[i-3:i] = np.nan                                         # three NaNs just before the steepest point
    rows = np.flatnonzero(np.isfinite(L[:-1]))
    rows = rows[rows >= 10]
    right = rows[int(np.argmin(np.gradient(L[rows])))]
    s = ours(lrs, L, 'lightning')
    assert s.index == right and s.lr == lrs[right]
    assert lightning_suggestion(lrs, L) == lrs[right - 3]     # Lightning's: three rows off
