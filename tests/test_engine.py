"Tests of `lrwidgets.range_test` beyond the chapter: every bad input, every exit, exactness against a hand-written loop."
import copy, importlib.util, json, math, os, random, re, subprocess, sys, warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np, pytest, torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st

from lrwidgets.engine import CHECK_EVERY, _StopRule, extension_lrs, range_test, sweep_lrs
from lrwidgets import Recording

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def one_torch_thread():
    "Tiny models: OpenMP's second thread only waits (batch norm took 27 ms a call on the loaded 2-core machine)."
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


class Net(torch.nn.Module):
    "Batch norm (buffers), dropout (draws from the RNG), tied weights and a non-persistent buffer."
    def __init__(self):
        super().__init__()
        self.fc1, self.bn, self.drop = torch.nn.Linear(8, 16), torch.nn.BatchNorm1d(16), torch.nn.Dropout(0.1)
        self.fc2, self.fc3, self.out = torch.nn.Linear(16, 16), torch.nn.Linear(16, 16), torch.nn.Linear(16, 3)
        self.fc3.weight = self.fc2.weight
        self.register_buffer('calls', torch.zeros(()), persistent=False)

    def forward(self, x):
        self.calls += 1
        h = self.drop(torch.relu(self.bn(self.fc1(x))))
        return self.out(torch.relu(self.fc3(torch.relu(self.fc2(h)))))


def make_data(n_batches=6, bs=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n_batches * bs, 8, generator=g)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    return [(X[i:i+bs], y[i:i+bs]) for i in range(0, len(X), bs)]


def trained_setup(seed=0):
    "A Net and an Adam with state from a few steps, gradients left in place, one module in eval mode."
    torch.manual_seed(seed)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.98), weight_decay=1e-4)
    for x, y in make_data(3, seed=seed + 1):
        opt.zero_grad(); F.cross_entropy(net(x), y).backward(); opt.step()
    net.drop.eval()
    np.random.seed(seed); random.seed(seed)
    return net, opt


def fingerprint(model, optimizer):
    sd = optimizer.state_dict()
    return dict(tensors={n: t.clone() for n, t in [*model.named_parameters(), *model.named_buffers()]},
                grads={n: None if p.grad is None else p.grad.clone() for n, p in model.named_parameters()},
                ids=[id(t) for t in [*model.parameters(), *model.buffers()]],
                modes=[m.training for m in model.modules()],
                groups=copy.deepcopy(sd['param_groups']), state=copy.deepcopy(sd['state']),
                opt_params=[id(p) for g in optimizer.param_groups for p in g['params']],
                torch_rng=torch.get_rng_state(), np_rng=np.random.get_state(), py_rng=random.getstate())


def assert_same(a, b, path='state'):
    "Bit-identical: tensors `torch.equal` with equal dtypes, everything else `==`."
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b), path
    elif isinstance(a, np.ndarray): assert np.array_equal(a, b), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for k in a: assert_same(a[k], b[k], f'{path}.{k}')
    elif isinstance(a, (list, tuple)):
        assert type(a) == type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)): assert_same(x, y, f'{path}[{i}]')
    else: assert a == b, f'{path}: {a!r} != {b!r}'


def test_fingerprint_sees_changes():
    "The restore tests below could fail: one step changes the fingerprint."
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    x, y = make_data(1)[0]
    opt.zero_grad(); F.cross_entropy(net(x), y).backward(); opt.step()
    with pytest.raises(AssertionError): assert_same(before, fingerprint(net, opt))


# ---------------------------------------------------------------------------------------------------------
# Bad inputs: a clear error naming the argument, and nothing changed

def _detached_at(k):
    calls = []
    def step(model, batch):
        calls.append(1)
        loss = F.cross_entropy(model(batch[0]), batch[1])
        return loss.detach() if len(calls) == k else loss
    return step


def _scheduled(net, opt):
    torch.optim.lr_scheduler.StepLR(opt, 10)
    return {}


BAD = {  # name: (kwargs or fn(net, opt) -> kwargs, exception, message)
    'start_lr zero': (dict(start_lr=0.), ValueError, "start_lr: expected a positive number, got 0.0"),
    'start_lr negative': (dict(start_lr=-1e-3), ValueError, "start_lr: expected a positive number"),
    'start_lr list length': (dict(start_lr=[1e-6, 1e-5]), ValueError, "start_lr: got 2 lrs for an optimizer with 1 param groups"),
    'end_lr <= start_lr': (dict(start_lr=1e-3, end_lr=1e-3), ValueError, "end_lr: must be larger than start_lr"),
    'num_iter 1': (dict(num_iter=1), ValueError, "num_iter: expected an integer >= 2, got 1"),
    'num_iter float': (dict(num_iter=2.5), ValueError, "num_iter: expected an integer >= 2"),
    'mode': (dict(mode='cosine'), ValueError, "mode: expected one of ('exp', 'linear'), got 'cosine'"),
    'diverge_th 1': (dict(diverge_th=1), ValueError, "diverge_th: expected a number > 1"),
    'diverge_th 0.5': (dict(diverge_th=0.5), ValueError, "diverge_th: expected a number > 1"),
    'extend 0.5': (dict(extend=0.5), ValueError, "extend: expected a number >= 1 (past end_lr the lr may rise up to end_lr × extend) or None, got 0.5"),
    'extend inf': (dict(extend=math.inf), ValueError, "extend: expected a number >= 1"),
    'extend nan': (dict(extend=math.nan), ValueError, "extend: expected a number >= 1"),
    'extend str': (dict(extend='10'), ValueError, "extend: expected a number >= 1"),
    'empty data': (dict(data=[]), ValueError, "data: has no batches"),
    'data not iterable': (dict(data=42), TypeError, "data: expected an iterable of batches, got int"),
    'iterator runs out': (lambda n, o: dict(data=iter(make_data(3))), ValueError, "data: ran out after 3 batches"),
    'triple batch': (lambda n, o: dict(data=[(x, y, y) for x, y in make_data()]), ValueError,
                     "data: the default step needs (input, target) pairs or dict batches, got a tuple of 3"),
    'bare tensor batch': (lambda n, o: dict(data=[x for x, _ in make_data()]), ValueError, "got a Tensor"),
    'no loss_fn': (dict(loss_fn=None), ValueError, "loss_fn: (input, target) batches need a loss_fn"),
    'loss not scalar': (dict(loss_fn=lambda o, y: F.cross_entropy(o, y, reduction='none')), ValueError,
                        "loss_fn: must return a scalar loss, got shape (16,)"),
    'loss no grad': (dict(loss_fn=lambda o, y: F.cross_entropy(o, y).detach()), ValueError, "loss_fn: the loss does not require grad"),
    'loss a float': (dict(loss_fn=lambda o, y: F.cross_entropy(o, y).item()), TypeError, "loss_fn: must return the loss as a tensor, got float"),
    'loss no grad mid-run': (dict(loss_fn=None, step=_detached_at(7)), ValueError, "step: the loss does not require grad"),
    'device mismatch': (dict(device='meta'), ValueError, "device: the model is on cpu but device='meta'"),
    'device cuda': (dict(device='cuda'), ValueError, "device: the model is on cpu but device='cuda'"),
    'foreign optimizer': (lambda n, o: dict(optimizer=torch.optim.SGD(Net().parameters(), lr=0.1)), ValueError,
                          "optimizer: 9 of its parameters are not the model's"),
    'not an optimizer': (dict(optimizer=object()), TypeError, "optimizer: expected a torch.optim.Optimizer"),
    'scheduler attached': (_scheduled, ValueError, "optimizer: a learning-rate scheduler is attached"),
    'accum_steps 0': (dict(accum_steps=0), ValueError, "accum_steps: expected an integer >= 1, got 0"),
    'amp unknown': (dict(amp='int8'), ValueError, "amp: expected None, 'bf16' or 'fp16', got 'int8'"),
    'grad_clip 0': (dict(grad_clip=0.), ValueError, "grad_clip: expected a positive number"),
    'loss_fn and step': (dict(step=lambda m, b: F.cross_entropy(m(b[0]), b[1])), ValueError, "loss_fn: give either loss_fn or step"),
    'metrics with step': (dict(loss_fn=None, step=lambda m, b: F.cross_entropy(m(b[0]), b[1]), metrics=dict(a=lambda o, y: 1.)),
                          ValueError, "metrics: need the default step's (output, target)"),
    'metrics not callable': (dict(metrics=dict(acc=3)), TypeError, "metrics: expected a dict of name -> fn(output, target)"),
    'metrics name clash': (dict(metrics=dict(loss=lambda o, y: 1.)), ValueError, "metrics: names ['loss'] clash"),
    'metric not scalar': (dict(metrics=dict(acc=lambda o, y: o.argmax(1) == y)), ValueError,
                          "metrics['acc']: must return one number per batch, got shape (16,)"),
    'empty val_data': (dict(val_data=[]), ValueError, "val_data: has no batches"),
    'dict batch with loss_fn': (lambda n, o: dict(data=[dict(x=x) for x, _ in make_data()]), ValueError, "loss_fn: dict batches take their loss"),
    'dict batch without .loss': (lambda n, o: dict(data=[dict(x=x) for x, _ in make_data()], loss_fn=None), ValueError,
                                 "data: dict batches are passed as model(**batch) and need an output with a .loss"),
    'on_check not callable': (dict(on_check=[]), TypeError, "on_check: expected a callable, got list"),
    'check_every 0': (dict(check_every=0), ValueError, "check_every: expected an integer >= 1"),
    'val_every 0': (dict(val_every=0), ValueError, "val_every: expected an integer >= 1"),
    'seed': (dict(seed=-1), ValueError, "seed: expected an integer >= 0"),
    'seed 2**32': (dict(seed=2**32), ValueError, "seed: expected an integer >= 0 and < 4294967296, got 4294967296"),
    'seed + repeats past 2**32': (dict(seed=2**32 - 2, repeats=3), ValueError, "seed: expected an integer >= 0 and < 4294967294"),
    'repeats 0': (dict(repeats=0), ValueError, "repeats: expected an integer >= 1, got 0"),
    'data None': (dict(data=None), TypeError, "data: expected an iterable of batches, got NoneType"),
    'device bogus': (dict(device='bogus'), ValueError, "device: expected a torch.device or a name such as 'cpu' or 'cuda:0', got 'bogus'"),
    'device not a device': (dict(device=3.5), ValueError, "device: expected a torch.device or a name"),
    'LBFGS': (lambda n, o: dict(optimizer=torch.optim.LBFGS(n.parameters())), ValueError,
              "optimizer: LBFGS.step needs a closure that re-evaluates the loss"),
    'end_lr a vector': (dict(end_lr=torch.ones(2)), ValueError, "end_lr: expected a positive number"),
    'diverge_th bool': (dict(diverge_th=True), ValueError, "diverge_th: expected a number > 1"),
    'label': (dict(label=3), TypeError, "label: expected a string"),
    'process_group': (dict(process_group=object()), TypeError, "process_group: expected a torch.distributed ProcessGroup, got object"),
}


@pytest.mark.parametrize('case', list(BAD))
def test_bad_input_names_argument_and_changes_nothing(case):
    spec, exc, msg = BAD[case]
    net, opt = trained_setup()
    kw = dict(optimizer=opt, data=make_data(), loss_fn=F.cross_entropy, num_iter=12, progress=False)
    kw.update(spec(net, opt) if callable(spec) else spec)
    before = fingerprint(net, kw['optimizer'] if isinstance(kw['optimizer'], torch.optim.Optimizer) else opt)
    with pytest.raises(exc) as e: range_test(net, **kw)
    assert msg in str(e.value), str(e.value)
    assert_same(before, fingerprint(net, kw['optimizer'] if isinstance(kw['optimizer'], torch.optim.Optimizer) else opt))


def test_bad_input_with_restore_false_still_restores():
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    with pytest.raises(ValueError, match="step: the loss does not require grad"):
        range_test(net, opt, make_data(), step=_detached_at(20), num_iter=30, restore=False, progress=False)
    assert_same(before, fingerprint(net, opt))


# ---------------------------------------------------------------------------------------------------------
# Every exit restores bit for bit

def _raising_at(k, exc):
    calls = []
    def step(model, batch):
        calls.append(1)
        if len(calls) == k: raise exc
        return F.cross_entropy(model(batch[0]), batch[1])
    return step


def _nan_from(k):
    calls = []
    def step(model, batch):
        calls.append(1)
        loss = F.cross_entropy(model(batch[0]), batch[1])
        return loss * math.nan if len(calls) >= k else loss
    return step


EXITS = {
    'completed': (dict(loss_fn=F.cross_entropy, diverge_th=None, end_lr=1e-2), 'completed', 30),
    'diverged': (dict(loss_fn=F.cross_entropy, start_lr=1e-4, end_lr=1e3), 'diverged', None),
    'nan': (dict(step=_nan_from(12)), 'non-finite loss', 12),
    'exception': (dict(step=_raising_at(12, RuntimeError('boom'))), RuntimeError, None),
    'interrupted': (dict(step=_raising_at(12, KeyboardInterrupt())), 'interrupted', 11),
}


@pytest.mark.parametrize('check_every', [1, 5, None])
@pytest.mark.parametrize('exit', list(EXITS))
def test_every_exit_restores_exactly(exit, check_every):
    kw, expected, rows = EXITS[exit]
    kw = {k: (v if not callable(v) or k == 'loss_fn' else copy.deepcopy(v)) for k, v in kw.items()}
    if 'step' in kw:  # fresh call counters per test
        kw['step'] = {'nan': _nan_from(12), 'exception': _raising_at(12, RuntimeError('boom')),
                      'interrupted': _raising_at(12, KeyboardInterrupt())}[exit]
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    val = make_data(2, seed=9)
    metrics = None if 'step' in kw else dict(acc=lambda o, y: (o.argmax(1) == y).float().mean())
    args = dict(num_iter=30, progress=False, check_every=check_every, val_data=None if 'step' in kw else val,
                val_every=4, metrics=metrics)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        if isinstance(expected, type):
            with pytest.raises(expected, match='boom'): range_test(net, opt, make_data(), **kw, **args)
            rec = None
        else: rec = range_test(net, opt, make_data(), **kw, **args)
    assert_same(before, fingerprint(net, opt))
    if rec is None: return
    assert rec.meta['stop_reason'] == expected
    if rows is not None: assert len(rec) == rows
    else: assert 2 <= len(rec) < 30
    assert len(rec) <= rec.meta['steps_trained'] < len(rec) + (check_every or CHECK_EVERY)
    interrupted = [w for w in caught if 'interrupted after' in str(w.message)]
    assert len(interrupted) == (exit == 'interrupted')
    if exit == 'nan': assert np.isnan(rec.losses[-1]) and np.isfinite(rec.losses[:-1]).all()


def test_interrupt_without_restore_keeps_swept_state_and_partial_recording():
    net, opt = trained_setup()
    w0 = net.fc1.weight.clone()
    with pytest.warns(UserWarning, match='interrupted after 7 steps'):
        rec = range_test(net, opt, make_data(), step=_raising_at(8, KeyboardInterrupt()), num_iter=30,
                         restore=False, progress=False)
    assert rec.meta['stop_reason'] == 'interrupted' and len(rec) == 7 and rec.meta['restored'] is False
    assert not torch.equal(net.fc1.weight, w0)
    assert opt.param_groups[0]['lr'] == sweep_lrs(1e-7, 10., 30)[7]   # the lr of the step that was cut off


def test_ctrl_c_in_the_check_that_found_the_stop_keeps_the_stop():
    "Ctrl-C landing in the hook (or the bar) of the check whose block holds the divergence: the Recording still ends there."
    def sweep(on_check=None):
        torch.manual_seed(0); net = Net()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            return range_test(net, torch.optim.SGD(net.parameters(), lr=0.1), make_data(), F.cross_entropy, start_lr=1e-3,
                              end_lr=1e4, num_iter=64, extend=None, check_every=16, progress=False, seed=0, on_check=on_check)
    whole = sweep()
    assert whole.meta['stop_reason'] == 'diverged' and len(whole) % 16, whole      # stopped inside a block
    def ctrl_c(lrs, losses, total):
        if len(losses) == len(whole): raise KeyboardInterrupt
    cut_short = sweep(ctrl_c)
    assert (len(cut_short), cut_short.meta['stop_reason']) == (len(whole), 'diverged')
    assert np.array_equal(cut_short.losses, whole.losses)


def test_seed_leaves_a_cuda_not_yet_started_alone(monkeypatch):
    "seed= seeds what the restore puts back; torch.manual_seed would also queue a seed for CUDA, which nothing undoes."
    calls = []
    monkeypatch.setattr(torch.cuda, 'manual_seed_all', calls.append)
    assert not torch.cuda.is_initialized()
    net = Net()
    rec = range_test(net, torch.optim.SGD(net.parameters(), lr=0.1), make_data(), F.cross_entropy, num_iter=8, progress=False, seed=7)
    assert calls == [] and rec.meta['seed'] == 7
    torch.manual_seed(7)                                   # (what the engine used to call does queue one)
    assert calls == [7]


def test_restore_keeps_tensor_identity_and_frees_new_optimizer_state():
    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)   # fresh: no state yet
    ids = [id(t) for t in [*net.parameters(), *net.buffers()]]
    range_test(net, opt, make_data(), F.cross_entropy, num_iter=10, progress=False)
    assert [id(t) for t in [*net.parameters(), *net.buffers()]] == ids
    assert len(opt.state) == 0 and all(p.grad is None for p in net.parameters())


# ---------------------------------------------------------------------------------------------------------
# Exactness: the same numbers as a hand-written loop

def hand_loop(model, opt, data, lrs_per_group, accum, grad_clip, val, metric, val_every):
    "What `range_test` promises to do, written out by hand."
    model.train()
    it, losses, accs, vals = iter(data), [], [], {}
    def nxt():
        nonlocal it
        try: return next(it)
        except StopIteration: it = iter(data); return next(it)
    for i, lrs in enumerate(zip(*lrs_per_group)):
        for g, lr in zip(opt.param_groups, lrs): g['lr'] = lr
        opt.zero_grad(set_to_none=True)
        ls, ms = [], []
        for _ in range(accum):
            x, y = nxt()
            out = model(x)
            loss = F.cross_entropy(out, y)
            (loss / accum if accum > 1 else loss).backward()
            ls.append(loss.item()); ms.append(metric(out.detach(), y).item())
        torch.nn.utils.clip_grad_norm_(list(model.parameters()), grad_clip)
        opt.step()
        losses.append(float(np.mean(ls))); accs.append(float(np.mean(ms)))
        if i % val_every == val_every - 1 or i == len(lrs_per_group[0]) - 1:
            model.eval()
            with torch.no_grad(): vals[i] = (sum(F.cross_entropy(model(x), y).float() for x, y in val) / len(val)).item()
            model.train()
    return losses, accs, vals


@pytest.mark.parametrize('accum', [1, 3])
@pytest.mark.parametrize('mode', ['exp', 'linear'])
def test_same_numbers_as_a_hand_written_loop(accum, mode):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.BatchNorm1d(32), torch.nn.ReLU(), torch.nn.Linear(32, 3))
    twin = copy.deepcopy(net)
    groups = lambda m: [dict(params=m[0].parameters()), dict(params=[*m[1].parameters(), *m[3].parameters()])]
    opt, twin_opt = torch.optim.SGD(groups(net), lr=0.1, momentum=0.9), torch.optim.SGD(groups(twin), lr=0.1, momentum=0.9)
    data, val = make_data(5), make_data(2, seed=3)
    acc = lambda o, y: (o.argmax(1) == y).float().mean()
    n = 23
    rec = range_test(net, opt, data, F.cross_entropy, start_lr=[1e-4, 4e-4], end_lr=0.5, num_iter=n, mode=mode,
                     accum_steps=accum, grad_clip=0.7, val_data=val, val_every=5, metrics=dict(acc=acc),
                     diverge_th=None, restore=False, progress=False, check_every=4)
    lrs0 = sweep_lrs(1e-4, 0.5, n, mode)
    losses, accs, vals = hand_loop(twin, twin_opt, data, [lrs0, lrs0 * 4.], accum, 0.7, val, acc, 5)
    assert rec.lrs.tolist() == lrs0.tolist() and rec.lrs[-1] == 0.5
    np.testing.assert_array_equal(rec.df['lr_1'], lrs0 * 4.)
    np.testing.assert_array_equal(rec.losses, losses)            # bit for bit
    np.testing.assert_array_equal(rec.df['acc'], accs)
    assert sorted(vals) == [4, 9, 14, 19, 22]
    val_col = rec.df['val_loss'].to_numpy()
    np.testing.assert_array_equal(val_col[sorted(vals)], [vals[i] for i in sorted(vals)])
    assert np.isnan(np.delete(val_col, sorted(vals))).all()
    for a, b in zip(net.state_dict().values(), twin.state_dict().values()): assert torch.equal(a, b)
    assert rec.meta['steps_trained'] == n and rec.meta['stop_reason'] == 'completed'


def test_lrs_are_the_lrs_trained_with_and_ratios_kept():
    net, _ = trained_setup()
    seen = []
    class LoggingSGD(torch.optim.SGD):
        def step(self, closure=None):
            seen.append([g['lr'] for g in self.param_groups])
            return super().step(closure)
    opt = LoggingSGD([dict(params=net.fc1.parameters(), lr=1e-3), dict(params=[p for n, p in net.named_parameters() if not n.startswith('fc1')], lr=3e-3)])
    rec = range_test(net, opt, make_data(), F.cross_entropy, start_lr=1e-5, end_lr=1e-1, num_iter=20, diverge_th=None, progress=False)
    assert np.array(seen).tolist() == np.c_[rec.lrs, rec.df['lr_1']].tolist()
    np.testing.assert_allclose(rec.df['lr_1'] / rec.lrs, 3.)
    assert rec.lrs[-1] == 0.1
    assert [g['lr'] for g in opt.param_groups] == [1e-3, 3e-3]    # restored


def test_same_lr_groups_get_no_extra_columns():
    net, _ = trained_setup()
    opt = torch.optim.SGD([dict(params=net.fc1.parameters()), dict(params=net.out.parameters())], lr=0.01)
    rec = range_test(net, opt, make_data(), F.cross_entropy, num_iter=5, progress=False)
    assert rec.df.columns.tolist() == ['iteration', 'lr', 'loss']


@pytest.mark.parametrize('stop', ['nan', 'diverged'])
def test_recording_does_not_depend_on_check_every(stop):
    recs = {}
    for k in (1, 3, 7, 64):
        net, opt = trained_setup()
        kw = dict(step=_nan_from(17)) if stop == 'nan' else dict(loss_fn=F.cross_entropy, start_lr=1e-4, end_lr=1e4)
        recs[k] = range_test(net, opt, make_data(), num_iter=40, check_every=k, seed=1, progress=False, **kw)
    for k in (3, 7, 64): assert recs[k].df.equals(recs[1].df), k
    assert recs[1].meta['steps_trained'] == len(recs[1])
    assert recs[64].meta['steps_trained'] == 40         # one block: all trained, the tail dropped


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(0.01, 100.), st.sampled_from([math.nan, math.inf])), min_size=1, max_size=60),
       st.integers(1, 20), st.sampled_from([None, 1.5, 4., 5.]))
def test_stop_rule_is_block_size_independent(losses, block, th):
    def stops(b):
        rule = _StopRule(th)
        for s in range(0, len(losses), b):
            j, why = rule.first_stop(losses[s:s+b])
            if j is not None: return s + j, why
        return None, None
    assert stops(block) == stops(1)


# ---------------------------------------------------------------------------------------------------------
# Batches, steps, options

class HFStyle(torch.nn.Module):
    "Computes its own loss when given labels, like a Hugging Face model."
    def __init__(self):
        super().__init__()
        self.body = torch.nn.Linear(8, 3)
    def forward(self, input_ids, labels=None):
        logits = self.body(input_ids)
        return SimpleNamespace(logits=logits, loss=None if labels is None else F.cross_entropy(logits, labels))


def test_dict_batches_hugging_face_style():
    torch.manual_seed(0)
    model = HFStyle()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    data = [dict(input_ids=x, labels=y) for x, y in make_data()]
    before = fingerprint(model, opt)
    rec = range_test(model, opt, data, start_lr=1e-4, end_lr=1., num_iter=25, extend=None, progress=False,
                     metrics=dict(acc=lambda out, labels: (out.logits.argmax(1) == labels).float().mean()))
    assert len(rec) == 25 and np.isfinite(rec.losses).all() and rec.meta['batch_size'] == 16
    assert ((0 <= rec.df['acc']) & (rec.df['acc'] <= 1)).all()
    assert_same(before, fingerprint(model, opt))


def test_user_step_for_a_loss_inside_the_model():
    class TwoHeads(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = torch.nn.Linear(8, 3), torch.nn.Linear(8, 1)
        def forward(self, x): return self.a(x), self.b(x)
    torch.manual_seed(0)
    model = TwoHeads()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    def step(m, batch):
        x, y = batch
        logits, reg = m(x)
        return F.cross_entropy(logits, y) + 0.1 * reg.pow(2).mean()
    rec = range_test(model, opt, make_data(), step=step, start_lr=1e-3, end_lr=1., num_iter=30, diverge_th=None, progress=False)
    assert len(rec) == 30 and rec.losses[-5:].mean() < rec.losses[:5].mean()   # it trained


def test_data_is_reiterated_and_seed_makes_runs_repeatable():
    torch.manual_seed(0)
    ds = torch.utils.data.TensorDataset(*map(torch.cat, zip(*make_data(4))))
    dl = torch.utils.data.DataLoader(ds, batch_size=16, shuffle=True)   # 4 batches per epoch, shuffled from torch's RNG
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    a = range_test(net, opt, dl, F.cross_entropy, num_iter=11, seed=5, extend=None, progress=False)
    b = range_test(net, opt, dl, F.cross_entropy, num_iter=11, seed=5, extend=None, progress=False)
    c = range_test(net, opt, dl, F.cross_entropy, num_iter=11, seed=6, extend=None, progress=False)
    assert len(a) == 11 and a.df.equals(b.df) and not a.df.equals(c.df)
    assert a.meta['seed'] == 5
    assert_same(before, fingerprint(net, opt))


def test_bf16_autocast_on_cpu_runs_and_restores():
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    rec = range_test(net, opt, make_data(), F.cross_entropy, num_iter=10, amp='bf16', grad_clip=1., accum_steps=2, extend=None, progress=False)
    assert len(rec) == 10 and np.isfinite(rec.losses).all() and rec.meta['amp'] == 'bfloat16'
    assert_same(before, fingerprint(net, opt))


def test_fp16_autocast_with_grad_scaler_on_cpu_runs_and_restores(monkeypatch):
    "The fp16 path (autocast, GradScaler, unscale before clipping) runs on the CPU too, where torch >= 2.5 has it."
    calls = []
    class Scaler(torch.amp.GradScaler):                                 # the real scaler, its calls noted
        def unscale_(self, o): calls.append('unscale_'); return super().unscale_(o)
        def step(self, o, *a, **k): calls.append('step'); return super().step(o, *a, **k)
    monkeypatch.setattr(torch.amp, 'GradScaler', Scaler)
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    kw = dict(end_lr=0.1, num_iter=12, grad_clip=1., accum_steps=2, diverge_th=None, seed=0, progress=False)
    fp16 = range_test(net, opt, make_data(), F.cross_entropy, amp='fp16', **kw)
    assert calls == ['unscale_', 'step'] * 12
    assert_same(before, fingerprint(net, opt))
    fp32 = range_test(net, opt, make_data(), F.cross_entropy, **kw)
    assert fp16.meta['amp'] == 'float16' and len(fp16) == 12 and np.isfinite(fp16.losses).all()
    assert not np.array_equal(fp16.losses, fp32.losses)                # autocast really ran in half precision ...
    np.testing.assert_allclose(fp16.losses, fp32.losses, rtol=1e-2)    # ... on the same sweep


def test_fp16_on_cpu_with_older_torch_is_refused(monkeypatch):
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    monkeypatch.setattr(torch, '__version__', '2.4.1')
    with pytest.raises(ValueError, match=r"amp: fp16 autocast on the CPU needs torch >= 2.5 \(this is 2.4.1\)"):
        range_test(net, opt, make_data(), F.cross_entropy, num_iter=5, amp='fp16', progress=False)
    assert_same(before, fingerprint(net, opt))


def test_progress_bar_shows_lr_and_loss_and_is_silent_when_off(capsys):
    net, opt = trained_setup()
    range_test(net, opt, make_data(), F.cross_entropy, num_iter=20, check_every=4, extend=None)
    err = capsys.readouterr().err
    assert 'range test' in err and 'lr=' in err and 'loss=' in err and '20/20' in err
    range_test(net, opt, make_data(), F.cross_entropy, num_iter=20, progress=False)
    assert capsys.readouterr() == ('', '')


def test_meta_is_complete_and_survives_a_save(tmp_path):
    net, opt = trained_setup()
    rec = range_test(net, opt, make_data(), F.cross_entropy, start_lr=1e-5, end_lr=1., num_iter=15, label='net',
                     diverge_th=None, progress=False)
    m = rec.meta
    n_params = sum(p.numel() for p in {id(p): p for p in net.parameters()}.values())   # the tied weight once
    assert (m['label'], m['model'], m['optimizer'], m['device'], m['n_params']) == ('net', 'Net', 'Adam', 'cpu', n_params)
    assert m['param_groups'][0]['betas'] == [0.9, 0.98] and m['param_groups'][0]['lr'] == 1e-3
    assert (m['start_lr'], m['end_lr'], m['num_iter'], m['mode'], m['stop_reason']) == (1e-5, 1., 15, 'exp', 'completed')
    assert m['batch_size'] == 16 and m['check_every'] == CHECK_EVERY and m['diverge_th'] is None and m['restored'] is True
    assert 'torch' in m and 'created_at' in m
    assert (m['extend'], m['extended_steps'], m['end_lr_reached']) == (None, 0, 1.)   # no stop rule: no extension
    assert (m['world_size'], m['backend'], m['ddp']) == (1, None, False)   # one process
    back = Recording.load(rec.save(tmp_path / 'rt.parquet'))
    assert back.meta == json.loads(json.dumps(m)) and back.df.equals(rec.df)


# ---------------------------------------------------------------------------------------------------------
# The benchmark script runs, and refuses a GPU run clearly where there is no GPU

def test_benchmark_smoke():
    r = subprocess.run([sys.executable, str(ROOT / 'bench' / 'range_test.py'), '--reps', '1', '--iters', '12', '--no-progress', '--no-targets'],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'range_test / bare loop' in r.stdout and 'range_test / torch-lr-finder' in r.stdout
    assert 'range_test, val+acc / bare loop, val+acc' in r.stdout and 'repeats=3 / 3 separate calls' in r.stdout
    assert 'target range_test / bare loop <= 1.03' in r.stdout and 'paired 95% CI' in r.stdout   # the verdict and how noise bears on it
    for k in ('bare loop', 'range_test'):     # the untimed runs that --instructions counts under valgrind: that contender only
        r = subprocess.run([sys.executable, str(ROOT / 'bench' / 'range_test.py'), '--only', k, '--reps', '2', '--iters', '12', '--no-progress'],
                           capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert r.returncode == 0 and r.stdout == '', (k, r.stdout, r.stderr[-2000:])
    r = subprocess.run([sys.executable, str(ROOT / 'bench' / 'range_test.py'), '--opcodes', '--iters', '20'],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    per_step = {k: float(re.search(rf'{k} +([\d.]+) per step', r.stdout).group(1)) for k in ('bare loop', 'range_test')}
    assert 0 < per_step['bare loop'] < per_step['range_test'], r.stdout      # the engine adds Python to every step...
    assert re.search(r'^ +[\d.]+ +first_stop$', r.stdout, re.M), r.stdout      # ...and names where (here: the stop rule's EMA)


def _bench_module():
    spec = importlib.util.spec_from_file_location('bench_range_test', ROOT / 'bench' / 'range_test.py')
    bench = importlib.util.module_from_spec(spec); spec.loader.exec_module(bench)
    return bench


def test_benchmark_times_the_parts_in_place():
    "--parts times every part of a real range test and puts the engine back as it was; the replayed calls repeat them."
    import lrwidgets.engine as engine
    bench = _bench_module()
    before = {(o, n): vars(engine if o == 'engine' else getattr(engine, o))[n] for _, o, n in bench.PARTS}
    spent, calls = {}, []
    torch.manual_seed(0); net = Net()
    with bench.parts_timed(spent, calls):
        rec = range_test(net, torch.optim.SGD(net.parameters(), lr=0.1), make_data(), F.cross_entropy, num_iter=40, end_lr=0.1,
                         extend=None, progress=False)
    assert len(rec) == 40 and set(spent) == {p for p, *_ in bench.PARTS} and all(v > 0 for v in spent.values()), spent
    assert sorted({p for p, *_ in calls}) == sorted(bench.REPLAYED)
    assert all(vars(engine if o == 'engine' else getattr(engine, o))[n] is f for (o, n), f in before.items())   # restored
    part, fn, a, kw = next(c for c in calls if c[0] == 'Recording')
    assert fn(*a, **kw).df.equals(rec.df) and bench.warm_time(fn, a, kw, times=3) > 0    # a replay builds the same Recording
    r = subprocess.run([sys.executable, str(ROOT / 'bench' / 'range_test.py'), '--parts', '--reps', '2', '--iters', '20'],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    printed = dict(re.findall(r'^  (\S.*?) +([\d.]+) ms', r.stdout, re.M))
    assert set(spent) | {'all parts'} <= set(printed) and float(printed['all parts']) > 0, r.stdout
    assert re.search(r'every step +-?[\d.]+ µs more than the bare loop', r.stdout), r.stdout


def test_benchmark_reads_callgrind_summaries():
    "--instructions reads callgrind's totals; with --cache-sim the cycle estimate weighs misses and mispredictions."
    bench = _bench_module()
    plain = "==1== Events    : Ir\n==1== Collected : 15662900253\n==1== \n==1== I   refs:      15,662,900,253\n"
    assert bench.callgrind_events(plain) == {'Ir': 15662900253}
    assert bench.callgrind_events("==1== valgrind: failed to start tool") == {}
    simulated = ("==2== Events    : Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw Bc Bcm Bi Bim\n"
                 "==2== Collected : 1000 400 200 10 20 5 1 2 3 150 7 30 8\n")
    e = bench.callgrind_events(simulated)
    assert (e['Ir'], e['D1mw'], e['Bim']) == (1000, 5, 8)
    assert bench.cycle_estimate(e) == 1000 + 10 * (10 + 20 + 5 + 7 + 8) + 100 * (1 + 2 + 3)
    doubled = {k: 2 * v for k, v in e.items()}
    lines = bench.count_lines({'bare loop': e, 'range_test': doubled}, iters=10)
    assert [l.split()[0] for l in lines] == ['instructions', 'first-level', 'last-level', 'mispredicted', 'cycle']
    assert all('range_test / bare loop 2.0000' in l for l in lines), lines
    assert '(100 more per step' in lines[0] and len(bench.count_lines({'bare loop': {'Ir': 1}, 'range_test': {'Ir': 1}}, 1)) == 1
    r = subprocess.run([sys.executable, str(ROOT / 'bench' / 'range_test.py'), '--cache-sim'], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode != 0 and '--cache-sim goes with --instructions' in r.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the refusal on machines without CUDA')
def test_benchmark_refuses_cuda_without_a_gpu():
    r = subprocess.run([sys.executable, str(ROOT / 'bench' / 'range_test.py'), '--device', 'cuda'],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode != 0 and 'needs a CUDA GPU' in r.stderr


def test_progress_bar_shows_the_lr_and_loss_of_the_step_it_counts(monkeypatch):
    "Every frame the bar draws pairs its step count with that step's lr (the postfix was once a check behind)."
    import functools, io
    import lrwidgets.engine as rt
    out = io.StringIO()
    monkeypatch.setattr(rt, 'tqdm', functools.partial(rt.tqdm, file=out, mininterval=0, miniters=1))
    monkeypatch.setattr(rt, 'PROGRESS_EVERY_S', 0.)       # touch the bar at every check
    torch.manual_seed(0); net = Net()
    rec = range_test(net, torch.optim.SGD(net.parameters(), lr=0.1), make_data(), F.cross_entropy,
                     num_iter=48, check_every=8, diverge_th=None, progress=True)
    frames = [(int(m[1]), m[2]) for m in re.finditer(r'(\d+)/48 \[[^]]*lr=([0-9.e+-]+)', out.getvalue())]
    assert len({n for n, _ in frames}) >= 5, out.getvalue()   # several counts were drawn, not just the last
    for n, lr in frames: assert lr == f"{rec.lrs[n-1]:.2e}", (n, lr, out.getvalue())


# ---------------------------------------------------------------------------------------------------------
# Past end_lr: the sweep goes on until the loss turns up, within a bound

def softmax_setup(seed=0):
    "A softmax regression with plain SGD on features of scale 0.1: its loss keeps falling in a sweep past lr 10."
    g = torch.Generator().manual_seed(seed)
    X = 0.1 * torch.randn(512, 20, generator=g)
    y = (X @ torch.randn(20, 4, generator=g)).argmax(1)
    torch.manual_seed(seed)
    model = torch.nn.Linear(20, 4)
    return model, torch.optim.SGD(model.parameters(), lr=0.1), [(X[i:i+64], y[i:i+64]) for i in range(0, 512, 64)]


@pytest.mark.parametrize('mode', ['exp', 'linear'])
def test_extension_continues_at_the_same_rate_until_the_loss_diverges(mode):
    model, opt, data = softmax_setup()
    seen = []
    class LoggingSGD(torch.optim.SGD):
        def step(self, closure=None):
            seen.append(self.param_groups[0]['lr'])
            return super().step(closure)
    opt = LoggingSGD(model.parameters(), lr=0.1)
    before = fingerprint(model, opt)
    end = 10. if mode == 'exp' else 40.
    kw = dict(start_lr=1e-3 if mode == 'exp' else 2., end_lr=end, num_iter=40, mode=mode, seed=0, progress=False)
    short = range_test(model, opt, data, F.cross_entropy, extend=None, **kw)
    rec = range_test(model, opt, data, F.cross_entropy, extend=1e4, check_every=1, **kw)
    assert_same(before, fingerprint(model, opt))
    assert short.meta['stop_reason'] == 'completed' and len(short) == 40
    m = rec.meta
    assert m['stop_reason'] == 'diverged' and m['extend'] == 1e4 and m['num_iter'] == 40
    assert 0 < m['extended_steps'] == len(rec) - 40 and m['steps_trained'] == len(rec)
    lrs = np.r_[sweep_lrs(kw['start_lr'], end, 40, mode), extension_lrs(kw['start_lr'], end, 40, mode, 1e4)]
    assert rec.lrs.tolist() == lrs[:len(rec)].tolist() and m['end_lr_reached'] == rec.lrs[-1] > end
    assert seen[40:40+len(rec)] == rec.lrs.tolist()                      # the lrs trained with, past end_lr too
    assert rec.df.iloc[:40].equals(short.df)                              # the extension only appends
    step = np.diff(np.log(rec.lrs)) if mode == 'exp' else np.diff(rec.lrs)
    np.testing.assert_allclose(step, step[0], rtol=1e-9)                  # one rate over the whole sweep


def test_extension_stops_at_its_bound_and_reports_completed():
    model, opt, data = softmax_setup()
    rec = range_test(model, opt, data, F.cross_entropy, start_lr=1e-3, end_lr=10., num_iter=40, extend=2., progress=False)
    ext = extension_lrs(1e-3, 10., 40, 'exp', 2.)
    assert rec.meta['stop_reason'] == 'completed' and len(rec) == 40 + len(ext) and rec.meta['extended_steps'] == len(ext) == 2
    assert rec.meta['end_lr_reached'] == ext[-1] <= 20.


@pytest.mark.parametrize('check_every', [1, 5, 16, 200])
def test_extension_does_not_depend_on_check_every(check_every):
    model, opt, data = softmax_setup()
    before = fingerprint(model, opt)
    kw = dict(start_lr=1e-3, end_lr=10., num_iter=40, seed=0, progress=False, val_data=data[:2], val_every=7,
              metrics=dict(acc=lambda o, y: (o.argmax(1) == y).float().mean()))
    ref = range_test(model, opt, data, F.cross_entropy, check_every=1, **kw)
    rec = range_test(model, opt, data, F.cross_entropy, check_every=check_every, **kw)
    assert_same(before, fingerprint(model, opt))
    assert rec.df.equals(ref.df) and rec.meta['extended_steps'] > 0 and rec.meta['stop_reason'] == 'diverged'
    assert len(rec) <= rec.meta['steps_trained'] < len(rec) + check_every
    assert np.isfinite(rec.df['val_loss'].iloc[39])                        # validated at end_lr, as without extension


def test_no_stop_rule_means_no_extension():
    model, opt, data = softmax_setup()
    rec = range_test(model, opt, data, F.cross_entropy, start_lr=1e-3, end_lr=10., num_iter=40, diverge_th=None, progress=False)
    assert len(rec) == 40 and rec.meta['extend'] is None and rec.meta['end_lr_reached'] == 10.


@settings(max_examples=60, deadline=None)
@given(st.floats(1e-8, 1.), st.floats(1.01, 1e6), st.integers(2, 300), st.sampled_from(['exp', 'linear']),
       st.one_of(st.none(), st.floats(1., 1e4)))
def test_extension_lrs_properties(start, ratio, n, mode, extend):
    end = start * ratio
    ext = extension_lrs(start, end, n, mode, extend)
    assert len(ext) <= n and (len(ext) == 0 or (ext[0] > end and ext[-1] <= end * extend))
    lrs = np.r_[sweep_lrs(start, end, n, mode), ext]
    assert np.all(np.diff(lrs) > 0)
    if extend is None or extend == 1.: assert len(ext) == 0
    elif len(ext) < n:   # the bound, not the step cap, ended it: one more step would pass it
        t = (n + len(ext)) / (n - 1)                        # sweep_lrs's formula, one step further
        nxt = start * ratio ** t if mode == 'exp' else start + (end - start) * t
        assert nxt > end * extend * (1 - 1e-9)


# ---------------------------------------------------------------------------------------------------------
# on_check: the rows so far at every check, and a clean stop when it says so

@pytest.mark.parametrize('check_every', [1, 4, None])
def test_on_check_sees_the_rows_so_far_and_can_stop_the_sweep(check_every):
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    kw = dict(start_lr=1e-5, end_lr=1e-1, num_iter=30, seed=3, check_every=check_every, progress=False, diverge_th=None)
    full = range_test(net, opt, make_data(), F.cross_entropy, **kw)
    calls = []
    def hook(lrs, losses, total):
        assert isinstance(lrs, np.ndarray) and isinstance(losses, np.ndarray) and lrs.dtype == losses.dtype == np.float64
        calls.append((lrs.copy(), losses.copy(), total))
        return len(lrs) >= 9
    rec = range_test(net, opt, make_data(), F.cross_entropy, on_check=hook, **kw)
    assert_same(before, fingerprint(net, opt))
    every = check_every or CHECK_EVERY
    stop = -(-9 // every) * every                                           # the first check at or after 9 rows
    assert rec.meta['stop_reason'] == 'stopped' and len(rec) == stop == rec.meta['steps_trained']
    assert [len(l) for l, _, _ in calls] == list(range(every, stop + 1, every))
    assert all(t == 30 for *_, t in calls)                                 # no extension without a stop rule
    assert rec.df.equals(full.df.iloc[:stop])
    np.testing.assert_array_equal(calls[-1][0], rec.lrs)
    np.testing.assert_array_equal(calls[-1][1], rec.losses)


def test_on_check_sees_exactly_the_rows_kept_when_the_sweep_diverges():
    net, opt = trained_setup()
    calls = []
    rec = range_test(net, opt, make_data(), F.cross_entropy, start_lr=1e-4, end_lr=1e4, num_iter=40, check_every=16, seed=1,
                     progress=False, on_check=lambda lrs, losses, total: calls.append((lrs.copy(), losses.copy(), total)))
    assert rec.meta['stop_reason'] == 'diverged' and rec.meta['steps_trained'] > len(rec)
    np.testing.assert_array_equal(calls[-1][0], rec.lrs)                  # not the dropped steps after the stop
    np.testing.assert_array_equal(calls[-1][1], rec.losses)
    assert calls[-1][2] == 40 + len(extension_lrs(1e-4, 1e4, 40))


def test_on_check_stop_at_the_last_check_is_a_completed_sweep():
    net, opt = trained_setup()
    rec = range_test(net, opt, make_data(), F.cross_entropy, end_lr=1e-2, num_iter=20, diverge_th=None, progress=False,
                     on_check=lambda *a: True if len(a[0]) == 20 else None)
    assert rec.meta['stop_reason'] == 'completed' and len(rec) == 20


def test_an_exception_in_on_check_restores_and_is_raised():
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    def hook(lrs, losses, total): raise RuntimeError('widget bug')
    with pytest.raises(RuntimeError, match='widget bug'):
        range_test(net, opt, make_data(), F.cross_entropy, num_iter=20, progress=False, on_check=hook)
    assert_same(before, fingerprint(net, opt))


# ---------------------------------------------------------------------------------------------------------
# Models that cannot be swept yet, numbers of any real type, Ctrl-C during the restore

def test_meta_device_and_lazy_models_are_refused_clearly():
    meta = torch.nn.Linear(8, 3, device='meta')
    with pytest.raises(ValueError, match="model: has parameters on the meta device"):
        range_test(meta, torch.optim.SGD(meta.parameters(), lr=0.1), make_data(), F.cross_entropy, progress=False)
    lazy = torch.nn.Sequential(torch.nn.LazyLinear(3))
    with pytest.raises(ValueError, match="model: has uninitialised lazy parameters"):
        range_test(lazy, torch.optim.SGD(lazy.parameters(), lr=0.1), make_data(), F.cross_entropy, progress=False)
    lazy(make_data()[0][0])                                        # one forward pass gives the shapes: then it runs
    assert len(range_test(lazy, torch.optim.SGD(lazy.parameters(), lr=0.1), make_data(), F.cross_entropy, num_iter=5,
                          extend=None, progress=False)) == 5


REALS = {'python': float, 'np.float32': np.float32, 'np.float64': np.float64, 'torch 0-d': lambda v: torch.tensor(v, dtype=torch.float64),
         'torch float32 0-d': lambda v: torch.tensor(v, dtype=torch.float32)}


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(list(REALS)), st.floats(1e-6, 1e-4), st.floats(1e-2, 1.), st.floats(1.5, 8.))
def test_numpy_and_torch_scalars_are_numbers(kind, start, end, th):
    as_kind = REALS[kind]
    net, opt = trained_setup()
    kw = dict(num_iter=4, check_every=2, seed=0, extend=None, progress=False)
    got = range_test(net, opt, make_data(), F.cross_entropy, start_lr=as_kind(start), end_lr=as_kind(end), diverge_th=as_kind(th), **kw)
    ref = range_test(net, opt, make_data(), F.cross_entropy, start_lr=float(as_kind(start)), end_lr=float(as_kind(end)),
                     diverge_th=float(as_kind(th)), **kw)
    assert got.df.equals(ref.df) and got.meta['end_lr'] == float(as_kind(end)) and type(got.meta['diverge_th']) is float


def test_ctrl_c_during_the_restore_waits_until_everything_is_back(monkeypatch):
    "SIGINT arriving half-way through the restore is held; the KeyboardInterrupt comes after the state is whole again."
    import signal
    import lrwidgets.engine as eng
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    real, calls = eng._restored, []
    def restored(orig, saved):                # the restore's per-tensor step, with a Ctrl-C at its first call
        calls.append(1)
        if len(calls) == 1: signal.raise_signal(signal.SIGINT)
        return real(orig, saved)
    monkeypatch.setattr(eng, '_restored', restored)
    with pytest.raises(KeyboardInterrupt):
        range_test(net, opt, make_data(), F.cross_entropy, num_iter=8, extend=None, progress=False)
    assert len(calls) > 1                      # the restore went on after the signal ...
    assert_same(before, fingerprint(net, opt))  # ... to the end
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# ---------------------------------------------------------------------------------------------------------
# repeats: K sweeps from the same state, seeds seed, seed+1, ...

def test_repeats_are_the_sweeps_of_consecutive_seeds_from_the_same_state():
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    kw = dict(num_iter=12, end_lr=1., check_every=5, progress=False)
    recs = range_test(net, opt, make_data(), F.cross_entropy, repeats=3, seed=7, **kw)
    assert_same(before, fingerprint(net, opt))
    assert isinstance(recs, list) and len(recs) == 3
    assert [(r.meta['seed'], r.meta['repeat'], r.meta['repeats']) for r in recs] == [(7, 0, 3), (8, 1, 3), (9, 2, 3)]
    for k, r in enumerate(recs):
        assert r.df.equals(range_test(net, opt, make_data(), F.cross_entropy, seed=7 + k, **kw).df), k
    assert not recs[0].df.equals(recs[1].df)                               # dropout draws differ
    one = range_test(net, opt, make_data(), F.cross_entropy, repeats=1, **kw)
    assert isinstance(one, list) and len(one) == 1 and one[0].meta['seed'] == 0   # repeats without a seed: 0, 1, ...
    assert range_test(net, opt, make_data(), F.cross_entropy, **kw).meta['repeats'] is None


def test_repeats_without_restore_keep_the_last_sweeps_state():
    net, opt = trained_setup()
    twin, twin_opt = trained_setup()
    kw = dict(num_iter=10, end_lr=1., extend=None, progress=False, restore=False)
    recs = range_test(net, opt, make_data(), F.cross_entropy, repeats=2, seed=3, **kw)
    last = range_test(twin, twin_opt, make_data(), F.cross_entropy, seed=4, **kw)
    assert recs[1].df.equals(last.df) and [r.meta['restored'] for r in recs] == [True, False]
    for a, b in zip(net.state_dict().values(), twin.state_dict().values()): assert torch.equal(a, b)


def test_ctrl_c_or_an_on_check_stop_ends_the_remaining_repeats():
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    with pytest.warns(UserWarning, match='interrupted after 4 steps'):
        recs = range_test(net, opt, make_data(), step=_raising_at(25, KeyboardInterrupt()), num_iter=10, extend=None,
                          repeats=5, progress=False)
    assert [len(r) for r in recs] == [10, 10, 4] and recs[-1].meta['stop_reason'] == 'interrupted'
    assert_same(before, fingerprint(net, opt))
    recs = range_test(net, opt, make_data(), F.cross_entropy, num_iter=10, check_every=5, repeats=4, progress=False,
                      on_check=lambda lrs, losses, total: len(lrs) == 5)
    assert [(len(r), r.meta['stop_reason']) for r in recs] == [(5, 'stopped')]
    assert_same(before, fingerprint(net, opt))


def test_on_check_cannot_change_the_sweeps_lrs():
    net, opt = trained_setup()
    before = fingerprint(net, opt)
    def meddle(lrs, losses, total): lrs[:] = 1.
    with pytest.raises(ValueError, match='read-only'):
        range_test(net, opt, make_data(), F.cross_entropy, num_iter=20, progress=False, on_check=meddle)
    assert_same(before, fingerprint(net, opt))

def test_one_noisy_early_batch_does_not_end_the_sweep():
    "Batches of 4 with one outlier: the divergence stop waits for its warm-up (it used to stop at the second step)."
    torch.manual_seed(0)
    x = torch.randn(64, 3); y = x @ torch.tensor([[1.], [-2.], [.5]])
    batches = [(x[i:i+4], y[i:i+4] * (8. if i == 4 else 1.)) for i in range(0, 64, 4)]
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    rec = range_test(model, opt, batches, torch.nn.functional.mse_loss, num_iter=100, progress=False, seed=0)
    assert rec.losses[1] > 10 * rec.losses[0]                  # the outlier batch is there, at the second step
    assert len(rec) > 50 and rec.meta['stop_reason'] == 'diverged' and rec.meta['diverge_warmup'] == 10
