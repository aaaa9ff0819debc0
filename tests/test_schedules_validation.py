"""Bad arguments fail early and say which argument is wrong; likely mistakes warn; the user's optimizer is
left alone when to_torch refuses; previews and torch_call/replace/kwargs behave as the widgets need."""
import math, warnings
from types import SimpleNamespace
import numpy as np, pytest, torch
from lrwidgets.schedules import *
from lrwidgets import ScheduleWarning

def sgd(momentum=0.9, lr=0.5): return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=momentum)

@pytest.mark.parametrize('make, exc, msg', [
    (lambda: OneCycle(0.01, total_steps=3), ValueError, "too few steps: pct_start*total_steps = 0.9"),
    (lambda: OneCycle(0.01, total_steps=10, pct_start=0.1), ValueError, "too few steps"),      # torch: ZeroDivisionError at step 0
    (lambda: OneCycle(0.01, total_steps=100, pct_start=0.), ValueError, "pct_start must be in (0, 1), got 0.0"),
    (lambda: OneCycle(0.01, total_steps=100, pct_start=1.2), ValueError, "pct_start must be in (0, 1), got 1.2"),
    (lambda: OneCycle(0.01, total_steps=100, pct_start=0.51, three_phase=True), ValueError, "three_phase needs pct_start below about 0.5"),
    (lambda: OneCycle(0.01, total_steps=0), ValueError, "total_steps must be an integer >= 1, got 0"),
    (lambda: OneCycle(0.01, total_steps=100.), TypeError, "total_steps must be an integer, got float"),
    (lambda: OneCycle(0.01, epochs=3), ValueError, "needs total_steps, or both epochs and steps_per_epoch"),
    (lambda: OneCycle(-0.01, 100), ValueError, "max_lr must be > 0, got -0.01"),
    (lambda: OneCycle(0.01, 100, anneal_strategy='cosine'), ValueError, "anneal_strategy must be one of 'cos', 'linear'; got 'cosine'"),
    (lambda: OneCycle(0.01, 100, base_momentum=0.95, max_momentum=0.85), ValueError, "base_momentum (0.95) must not exceed max_momentum (0.85)"),
    (lambda: OneCycle(0.01, 100, max_momentum=1.0), ValueError, "max_momentum must be in [0, 1), got 1.0"),
    (lambda: OneCycle('0.01', 100), TypeError, "max_lr must be a number, got str"),
    (lambda: Cyclic(0.1, 0.01), ValueError, "base_lr (0.1) must not exceed max_lr (0.01); swapped?"),
    (lambda: Cyclic(0.001, 0.01, step_size_up=0), ValueError, "step_size_up must be an integer >= 1, got 0"),
    (lambda: Cyclic(0.001, 0.01, mode='tri'), ValueError, "mode must be one of"),
    (lambda: Cyclic(0.001, 0.01, scale_fn=3), TypeError, "scale_fn must be callable"),
    (lambda: Cyclic(0.001, 0.01, scale_mode='epochs'), ValueError, "scale_mode must be one of 'cycle', 'iterations'"),
    (lambda: CosineAnnealing(0.1, T_max=0), ValueError, "T_max must be an integer >= 1, got 0"),
    (lambda: CosineWarmRestarts(0.1, T_0=10, T_mult=1.5), TypeError, "T_mult must be an integer, got float"),
    (lambda: Exponential(0.1, gamma=0), ValueError, "gamma must be > 0, got 0.0"),
    (lambda: Step(0.1, step_size=0), ValueError, "step_size must be an integer >= 1"),
    (lambda: MultiStep(0.1, []), ValueError, "milestones must not be empty"),
    (lambda: MultiStep(0.1, [10, 10]), ValueError, "milestones must be strictly increasing"),
    (lambda: MultiStep(0.1, 10), TypeError, "milestones must be a list of integers"),
    (lambda: LinearWarmup(0.1, start_factor=1.5), ValueError, "start_factor must be in (0, 1], got 1.5"),
    (lambda: LinearWarmup(0.1, end_factor=-0.1), ValueError, "end_factor must be in [0, 1], got -0.1"),
    (lambda: ExponentialDecay(0.1, 0, 0.5), ValueError, "decay_steps must be an integer >= 1"),
    (lambda: PiecewiseConstantDecay([10, 20], [0.1, 0.01]), ValueError, "values must have one more entry than boundaries"),
    (lambda: PiecewiseConstantDecay([10], [0.1, -0.01]), ValueError, "values[1] must be > 0"),
    (lambda: FastaiOneCycle(0.01, 100, pct_start=1.), ValueError, "pct_start must be in [0, 1), got 1.0"),
    (lambda: FastaiOneCycle(0.01, 100, moms=(0.95, 0.85)), ValueError, "moms must be three momentums"),
    (lambda: FastaiOneCycle(0.01, n_epoch=2), ValueError, "needs total_steps, or both n_epoch and steps_per_epoch"),
    (lambda: Sequence([]), ValueError, "schedules must not be empty"),
    (lambda: Sequence([LinearWarmup(0.1), Cyclic(0.01, 0.1)]), TypeError, "schedules[1]: Cyclic cannot be chained"),
    (lambda: Sequence([LinearWarmup(0.1), FastaiOneCycle(0.1, 100)]), TypeError, "schedules[1]: FastaiOneCycle cannot be chained"),
    (lambda: Sequence([LinearWarmup(0.1), CosineAnnealing(0.05, 100)]), ValueError, "all schedules must start from the same lr"),
    (lambda: Sequence([LinearWarmup(0.1), CosineAnnealing(0.1, 100)], [0]), ValueError, "milestones[0] must be an integer >= 1"),
    (lambda: Sequence([LinearWarmup(0.1), CosineAnnealing(0.1, 100)], [5, 9]), ValueError, "one entry fewer than schedules"),
    (lambda: OneCycle(0.01, 100).lrs(101), ValueError, "n=101 is more than total_steps=100"),
    (lambda: OneCycle(0.01, 100).lrs(-1), ValueError, "n must be an integer >= 0, got -1"),
    (lambda: FastaiOneCycle(0.01, 100).momentums(101), ValueError, "n=101 is more than total_steps=100"),
    (lambda: OneCycle(0.01, 100).replace(lr=0.1), TypeError, "OneCycle has no argument(s) ['lr']"),
])
def test_bad_arguments(make, exc, msg):
    with pytest.raises(exc) as e: make()
    assert msg in str(e.value), str(e.value)

def test_torch_fails_where_we_refuse():
    "The cases refused above really do go wrong in torch."
    opt = sgd()
    with pytest.raises(ZeroDivisionError):   # pct_start*total_steps == 1: a warm-up phase of length 0
        torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=10, pct_start=0.1)
    opt = sgd()
    s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=50, anneal_strategy='linear')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for _ in range(50): opt.step(); s.step()
    assert opt.param_groups[0]['lr'] < 0                                     # torch, stepped at the end of a 50-batch run
    with pytest.raises(ValueError, match="anneal_strategy='linear'"): OneCycle(0.01, 50, anneal_strategy='linear').lrs(51)

@pytest.mark.parametrize('s', [OneCycle(0.01, 100), Cyclic(0.001, 0.01), FastaiOneCycle(0.01, 100)])
def test_to_torch_without_momentum_leaves_the_optimizer_alone(s):
    opt = torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match="cycles momentum .* but Adagrad has neither 'momentum' nor 'betas'"): s.to_torch(opt)
    assert [dict(g) for g in opt.param_groups] == before
    plain = s.replace(**({'moms': None} if isinstance(s, FastaiOneCycle) else {'cycle_momentum': False}))
    assert isinstance(plain.to_torch(opt), (torch.optim.lr_scheduler.OneCycleLR, torch.optim.lr_scheduler.CyclicLR, torch.optim.lr_scheduler.LambdaLR))

def test_to_torch_bad_optimizer_and_plain_sgd():
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer, got dict"): OneCycle(0.01, 100).to_torch({})
    with pytest.warns(ScheduleWarning, match="SGD has momentum=0: cycling momentum switches it on"): OneCycle(0.01, 100).to_torch(sgd(momentum=0))

def test_steps_vs_epochs_warnings():
    with pytest.warns(ScheduleWarning, match=r"total_steps=10 is less than one epoch \(steps_per_epoch=100\).*did you mean total_steps=10\*100=1000"):
        OneCycle(0.01, total_steps=10, steps_per_epoch=100)
    with pytest.warns(ScheduleWarning, match="overrides epochs\\*steps_per_epoch=300"): OneCycle(0.01, total_steps=200, epochs=3, steps_per_epoch=100)
    with pytest.warns(ScheduleWarning, match="T_max=5 is less than one epoch"): CosineAnnealing(0.1, 5, steps_per_epoch=100)
    with pytest.warns(ScheduleWarning, match="Smith recommends 2-10 epochs"): Cyclic(0.001, 0.01, step_size_up=10, steps_per_epoch=100)
    with pytest.warns(ScheduleWarning, match="less than one epoch"): FastaiOneCycle(0.01, total_steps=4, steps_per_epoch=100)
    with warnings.catch_warnings():
        warnings.simplefilter('error')   # a sensible configuration stays quiet
        OneCycle(0.01, total_steps=1000, steps_per_epoch=100); OneCycle(0.01, epochs=10, steps_per_epoch=100)

def test_from_suggestion():
    sug = SimpleNamespace(lr=3e-3, lower=1e-3, upper=1e-2, index=40, rule='demo', reason='')
    oc = OneCycle.from_suggestion(sug, total_steps=500, pct_start=0.25)
    assert (oc.max_lr, oc.total_steps, oc.pct_start) == (1e-2, 500, 0.25)
    c = Cyclic.from_suggestion(sug, step_size_up=100)
    assert (c.base_lr, c.max_lr, c.step_size_up) == (1e-3, 1e-2, 100)
    assert FastaiOneCycle.from_suggestion(sug, n_epoch=2, steps_per_epoch=50).lr_max == 1e-2
    for bad, msg in [(SimpleNamespace(lr=1e-3, lower=1e-3, upper=None, rule='steep'), "no upper bound (upper=None, rule='steep')"),
                     (SimpleNamespace(lr=1e-3, lower=None, upper=1e-2, rule='x'), "no lower bound")]:
        with pytest.raises(ValueError) as e: Cyclic.from_suggestion(bad)
        assert msg in str(e.value)
    with pytest.raises(ValueError, match="no upper bound"): OneCycle.from_suggestion(SimpleNamespace(lr=1e-3, lower=None, upper=None), total_steps=100)
    with pytest.raises(TypeError, match="expected a Suggestion"): OneCycle.from_suggestion(0.01, total_steps=100)
    with pytest.raises(ValueError, match="suggestion.upper must be > 0, got -1.0"):
        OneCycle.from_suggestion(SimpleNamespace(lr=1., lower=None, upper=-1.), total_steps=100)
    with pytest.raises(ValueError, match="suggestion.upper must be finite, got nan"):
        OneCycle.from_suggestion(SimpleNamespace(lr=1., lower=None, upper=float('nan')), total_steps=100)
    with pytest.raises(ValueError, match="suggestion.lower must be finite, got inf"):
        Cyclic.from_suggestion(SimpleNamespace(lr=1., lower=float('inf'), upper=1.))

def test_real_suggestion():
    "A real `lrwidgets.analysis.Suggestion` works as the duck-typed one above."
    from lrwidgets import analysis
    sug = analysis.Suggestion(lr=3e-3, lower=1e-3, upper=1e-2, index=10, rule='demo', reason='')
    assert OneCycle.from_suggestion(sug, total_steps=100).max_lr == 1e-2

ALL = [Cyclic(0.001, 0.01, 50), OneCycle(0.01, 200), OneCycle(0.01, epochs=2, steps_per_epoch=100, three_phase=True),
       CosineAnnealing(0.1, 100), CosineWarmRestarts(0.1, 10, 2), Exponential(0.1, 0.95), Step(0.1, 10), MultiStep(0.1, [10, 20]),
       LinearWarmup(0.1, 0.1, total_iters=10), ExponentialDecay(0.1, 10, 0.5), PiecewiseConstantDecay([10], [0.1, 0.01]),
       FastaiOneCycle(0.01, 200), Sequence([LinearWarmup(0.1, 0.1, total_iters=10), CosineAnnealing(0.1, 90)])]

@pytest.mark.parametrize('s', ALL, ids=lambda s: type(s).__name__)
def test_value_semantics_and_previews(s):
    assert type(s)(**s.kwargs) == s and s.replace() == s
    with pytest.raises(AttributeError, match="use .replace"): s.total_steps = 3
    lrs = s.lrs()
    assert lrs.shape == (s.total_steps,) and lrs.dtype == np.float64 and np.all(np.isfinite(lrs)) and np.all(lrs >= 0)
    assert s.lrs(0).shape == (0,) and s.lrs(1)[0] == lrs[0]
    m = s.momentums()
    assert m is None or (m.shape == lrs.shape and np.all((m >= 0) & (m < 1)))
    assert s.torch_call().split('(')[0] in (s.torch_name, type(s).__name__) and '\n' not in s.torch_call()
    assert all(p in s.kwargs for p in s.lr_params)

def test_torch_call_is_runnable_torch():
    "The one-liners (other than fastai's) run as they are, with torch's schedulers in scope, and give our lrs."
    import torch.optim.lr_scheduler as S
    for s in ALL:
        if isinstance(s, FastaiOneCycle): continue
        opt = sgd()
        if hasattr(s, 'lr'): opt.param_groups[0]['lr'] = s.lr
        sched = eval(s.torch_call(), vars(S) | dict(optimizer=opt))
        lrs = []
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            for _ in range(s.total_steps): lrs.append(opt.param_groups[0]['lr']); opt.step(); sched.step()
        np.testing.assert_allclose(s.lrs(), lrs, rtol=1e-12, atol=0)

def test_custom_scale_fn_is_called_with_ints_like_torch():
    seen = set()
    def fn(x):
        if not isinstance(x, int): raise TypeError("scalars only")
        seen.add(x); return 1.0
    Cyclic(0.001, 0.01, 5, scale_fn=fn).lrs(30)
    assert seen == {1, 2, 3}
