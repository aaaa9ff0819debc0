"""The peers' default suggestion pipelines (smoothing + divergence stop + rule), written here from their published
source (fastai `callback/schedule.py` and `callback/core.py`, torch-lr-finder `lr_finder.py`, Lightning
`tuner/lr_finder.py`) and applied to the raw per-batch losses of OUR range test, so that only the reading of
the curve differs between methods. Each returns one lr (or None); the peers have no separate 1cycle bound, and
their docs use the same number as `max_lr` for one-cycle training (fastai `fit_one_cycle(lr_max=...)`).
"""
import numpy as np

def _first_over(sm, th):
    "Length kept by 'stop when smoothed > th x best so far' (the point that trips the stop is recorded too)."
    best = np.inf
    for i, v in enumerate(sm):
        if i > 0 and v > th * best: return i + 1
        best = min(best, v)
    return len(sm)

def tlf_smooth(losses, smooth_f=0.05):
    "torch-lr-finder: L_0 = l_0, L_k = smooth_f * l_k + (1 - smooth_f) * L_{k-1}."
    out = np.empty(len(losses)); out[0] = losses[0]
    for k in range(1, len(losses)): out[k] = smooth_f * losses[k] + (1 - smooth_f) * out[k - 1]
    return out

def tlf_steepest(lrs, losses, skip_start=10, skip_end=5, diverge_th=5):
    "torch-lr-finder 0.2: smoothed, stop at 5x best, then argmin(np.gradient(L)) on L[10:-5] (by index)."
    sm = tlf_smooth(np.asarray(losses, float)); n = _first_over(sm, diverge_th)
    lr, sm = np.asarray(lrs)[:n][skip_start:-skip_end], sm[:n][skip_start:-skip_end]
    if len(sm) < 2: return None
    return float(lr[int(np.argmin(np.gradient(sm)))])

def debiased_ema(losses, beta=0.98, offset=1):
    "v_k = beta v_{k-1} + (1-beta) l_k from v = 0, reported as v_k / (1 - beta^(k+offset)) (k from 0)."
    v, out = 0., np.empty(len(losses))
    for k, l in enumerate(losses):
        v = beta * v + (1 - beta) * l; out[k] = v / (1 - beta ** (k + offset))
    return out

def fastai_valley(lrs, losses, num_it=None, diverge_th=4):
    "fastai 2.7: debiased EMA (beta 0.98), stop at 4x best, L[num_it//10 : -5], longest decreasing run, 'valley' index."
    num_it = num_it or len(losses)
    sm = debiased_ema(np.asarray(losses, float)); n = _first_over(sm, diverge_th)
    lrs, sm = np.asarray(lrs)[:n][num_it // 10:-5], sm[:n][num_it // 10:-5]
    bad = ~np.isfinite(sm)
    if bad.any(): lrs, sm = lrs[:np.argmax(bad)], sm[:np.argmax(bad)]
    n = len(sm)
    if n < 2: return None
    max_start = max_end = 0; lds = [1] * n
    for i in range(1, n):  # fastai's O(n^2) loop, kept verbatim (n <= 100 here)
        for j in range(0, i):
            if sm[i] < sm[j] and lds[i] < lds[j] + 1: lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i; max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return float(lrs[max_start + int(sections) + int(sections / 2)])

def lightning(lrs, losses, skip_begin=10, skip_end=1, diverge_th=4, by_lr=False):
    """Lightning's `suggestion()`: EMA beta 0.98 debiased one step off, stop at 4x best, L[10:-1], non-finite
    dropped, argmin of the gradient by index (before 2.5.3) or against the raw lr (`by_lr=True`, 2.5.3 and later)."""
    sm = debiased_ema(np.asarray(losses, float), offset=2); n = _first_over(sm, diverge_th)
    lr, sm = np.asarray(lrs)[:n][skip_begin:-skip_end], sm[:n][skip_begin:-skip_end]
    ok = np.isfinite(sm); lr, sm = lr[ok], sm[ok]
    if len(sm) < 2: return None
    g = np.gradient(sm, lr) if by_lr else np.gradient(sm)
    return float(lr[int(np.argmin(g))])

PEERS = {
    'torch-lr-finder (steepest)': tlf_steepest,
    'fastai (valley)': fastai_valley,
    'Lightning <2.5.3': lightning,
    'Lightning >=2.5.3': lambda lrs, losses: lightning(lrs, losses, by_lr=True),
}
