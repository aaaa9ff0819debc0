"""Hugging Face's schedules against the real `transformers.get_scheduler`, stepped one `.step()` at a time on a
real optimizer (read before each step, as a training loop does), bit for bit, for families of arguments drawn by
hypothesis; and against each schedule's own `to_torch()`, which needs no transformers."""
import os, warnings
os.environ.setdefault('HF_HUB_OFFLINE', '1')
import numpy as np, pytest, torch
from types import SimpleNamespace
from hypothesis import given, settings, HealthCheck, strategies as st
from lrwidgets.schedules import *
from lrwidgets.schedules import ScheduleWarning
transformers = pytest.importorskip('transformers')
from transformers import get_scheduler

SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

def trace(sched, n):
    opt, out = sched.optimizer, []
    for _ in range(n):
        out.append(opt.param_groups[0]['lr']); opt.step(); sched.step()
    return np.array(out)

def opt(lr): return torch.optim.AdamW([torch.nn.Parameter(torch.zeros(2))], lr=lr)

def check(s, extra=7):
    "`s.lrs` == get_scheduler's lrs == `s.to_torch`'s, to the bit, `extra` steps past the end too."
    n = s.total_steps + extra
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # HF's own warning when WSD gets both lengths
        hf = trace(get_scheduler(optimizer=opt(s.lr), **s.hf_kwargs), n)
        own = trace(s.to_torch(opt(0.123)), n)
    np.testing.assert_array_equal(s.lrs(n), hf)
    np.testing.assert_array_equal(s.lrs(n), own)

lr = st.floats(1e-6, 1.)
warm = st.integers(0, 40)
length = st.integers(1, 200)

@SETTINGS
@given(lr, warm, length)
def test_linear_and_constant(lr0, W, L):
    check(HFLinear(lr0, W, W + L)); check(HFConstantWithWarmup(lr0, W, total_steps=W + L))

@SETTINGS
@given(lr, warm, length, st.floats(0.05, 3.))
def test_cosine(lr0, W, L, cycles):
    check(HFCosine(lr0, W, W + L, num_cycles=cycles))

@SETTINGS
@given(lr, warm, length, st.floats(0.05, 3.), st.one_of(st.floats(0., 1.).map(lambda r: ('min_lr_rate', r)),
                                                    st.floats(0., 1.).map(lambda r: ('min_lr', r))))
def test_cosine_with_min_lr(lr0, W, L, cycles, m):
    k, v = m
    check(HFCosineWithMinLR(lr0, W, W + L, num_cycles=cycles, **{k: v*lr0 if k == 'min_lr' else v}))

@SETTINGS
@given(lr, warm, length, st.integers(1, 6))
def test_cosine_with_restarts(lr0, W, L, cycles):
    check(HFCosineWithRestarts(lr0, W, W + L, num_cycles=cycles))

@SETTINGS
@given(lr, warm, length, st.floats(0., 0.9), st.floats(0.1, 4.))
def test_polynomial(lr0, W, L, end_frac, power):
    check(HFPolynomial(lr0, W, W + L, lr_end=lr0*end_frac, power=power))

@SETTINGS
@given(lr, warm, st.one_of(st.none(), st.integers(1, 500)), st.integers(1, 200))
def test_inverse_sqrt(lr0, W, tau, n):
    check(HFInverseSqrt(lr0, W, timescale=tau, total_steps=W + n))

@SETTINGS
@given(lr, warm, st.integers(0, 100), st.integers(0, 100), st.sampled_from(['linear', 'cosine', '1-sqrt']),
       st.sampled_from(['linear', 'cosine', '1-sqrt']), st.floats(0., 1.), st.floats(0.1, 2.), st.booleans())
def test_warmup_stable_decay(lr0, W, S, D, wt, dt, m, cycles, by_total):
    kw = dict(num_training_steps=W + S + D) if by_total else dict(num_stable_steps=S)
    s = HFWarmupStableDecay(lr0, W, D, warmup_type=wt, decay_type=dt, min_lr_ratio=m, num_cycles=cycles, **kw)
    if W + S + D: check(s)

@pytest.mark.parametrize('name', list(HF_SCHEDULES))
def test_by_name_and_training_args(name):
    "hf_schedule mirrors get_scheduler's arguments; training_args() holds what a Trainer needs for the same lrs."
    kw = dict(warmup_stable_decay={'num_decay_steps': 20}, cosine_with_min_lr={'min_lr_rate': 0.1}).get(name)
    s = hf_schedule(name, 3e-4, 10, 100, kw)
    assert s.hf_name == name and type(s) is HF_SCHEDULES[name] and s.total_steps == 100
    ta = s.training_args()
    assert (ta['learning_rate'], ta['lr_scheduler_type'], ta['warmup_steps']) == (3e-4, name, 10)
    assert ta.get('lr_scheduler_kwargs') == kw
    assert hf_schedule(name, ta['learning_rate'], ta['warmup_steps'], ta.get('max_steps', 100), ta.get('lr_scheduler_kwargs')) == s
    ns = dict(get_scheduler=get_scheduler, optimizer=opt(s.lr))
    np.testing.assert_array_equal(trace(eval(s.torch_call(), ns), 110), s.lrs(110))   # the one-liner is transformers code that agrees

def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="unknown Hugging Face scheduler 'cosine_warmup_with_min_lr'; lrwidgets reproduces 'linear'"):
        hf_schedule('cosine_warmup_with_min_lr', 1e-3, 10, 100)
    with pytest.raises(ValueError, match="num_training_steps \\(5\\) must not be below num_warmup_steps \\(10\\)"): HFLinear(1e-3, 10, 5)
    with pytest.raises(ValueError, match="lr_end \\(0.01\\) must be below lr \\(0.001\\)"): HFPolynomial(1e-3, 0, 10, lr_end=1e-2)
    with pytest.raises(ValueError, match="give one of min_lr and min_lr_rate"): HFCosineWithMinLR(1e-3, 0, 10, min_lr=1e-5, min_lr_rate=0.1)
    with pytest.raises(ValueError, match="decay_type must be one of 'linear', 'cosine', '1-sqrt'; got 'sqrt'"):
        HFWarmupStableDecay(1e-3, 0, 10, 100, decay_type='sqrt')
    with pytest.warns(ScheduleWarning, match="num_stable_steps is used"): HFWarmupStableDecay(1e-3, 5, 10, 100, num_stable_steps=20)
    with pytest.raises(TypeError, match="num_warmup_steps must be an integer, got float"): HFCosine(1e-3, 0.1, 100)

def test_from_suggestion_and_previews():
    sug = SimpleNamespace(lr=3e-4, lower=1e-4, upper=2e-3, rule='demo')
    for name, cls in HF_SCHEDULES.items():
        kw = dict(num_warmup_steps=5, **{'num_training_steps': 50} if name not in ('constant_with_warmup', 'inverse_sqrt') else {})
        if name == 'warmup_stable_decay': kw['num_decay_steps'] = 10
        if name == 'cosine_with_min_lr': kw['min_lr_rate'] = 0.1
        s = cls.from_suggestion(sug, **kw)
        assert s.lr == 2e-3 and cls.from_suggestion(sug, peak='lr', **kw).lr == 3e-4      # upper by default, as OneCycle
        lrs = s.lrs()
        assert lrs.shape == (s.total_steps,) and np.all(np.isfinite(lrs)) and lrs.max() <= s.lr and lrs[0] == (0. if name != 'warmup_stable_decay' else 0.)
        assert s.chainable and all(p in s.kwargs for p in s.lr_params) and type(s)(**s.kwargs) == s
    with pytest.raises(ValueError, match="peak must be one of 'lr', 'upper'"): HFLinear.from_suggestion(sug, peak='lower', num_warmup_steps=0, num_training_steps=9)

def test_in_a_sequence():
    "An HF schedule is a LambdaLR over the optimizer's lr, so it chains like torch's own (SequentialLR), bit for bit."
    s = Sequence([HFConstantWithWarmup(1e-3, 10, total_steps=30), HFCosine(1e-3, 0, 70)])
    p = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    np.testing.assert_array_equal(trace(s.to_torch(p), 100), s.lrs(100))
