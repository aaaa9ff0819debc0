"""Range tests and schedules in Hugging Face's Trainer, accelerate and Lightning: real Trainer / Accelerator / Lightning
loops on tiny randomly initialised models built from configs (nothing downloaded). What the frameworks own is left as
found; what a suggestion or a schedule should change, training really uses (read back from the optimizer, step by step)."""
import os, warnings
os.environ['HF_HUB_OFFLINE'] = '1'
import numpy as np, pytest, torch
import torch.nn.functional as F
from types import SimpleNamespace
from lrwidgets.integrations import *
from lrwidgets.schedules import HFCosine, HFWarmupStableDecay, HFLinear, OneCycle, Cyclic, CosineAnnealing

transformers = pytest.importorskip('transformers')
accelerate = pytest.importorskip('accelerate')
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments, TrainerCallback
from accelerate import Accelerator
from accelerate.state import AcceleratorState
from accelerate.utils import DataLoaderConfiguration

@pytest.fixture(autouse=True)
def one_thread_fresh_accelerate():
    "Tiny models: one thread is faster than two on a shared machine; accelerate's state is per process, so start each test afresh."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    AcceleratorState._reset_state(reset_partial_state=True)
    yield
    AcceleratorState._reset_state(reset_partial_state=True)
    torch.set_num_threads(n)

def tiny_bert(seed=0):
    torch.manual_seed(seed)
    return BertForSequenceClassification(BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                                    intermediate_size=64))

IDS = torch.randint(1, 100, (128, 12), generator=torch.Generator().manual_seed(0))
TRAIN = [dict(input_ids=i, attention_mask=torch.ones_like(i), labels=(i[0] > 50).long()) for i in IDS]

def trainer(tmp_path, train=TRAIN, **kw):
    args = TrainingArguments(str(tmp_path), per_device_train_batch_size=8, use_cpu=True, report_to=[], save_strategy='no',
                             logging_strategy='no', disable_tqdm=True, **kw)
    return Trainer(model=tiny_bert(), args=args, train_dataset=train)

class LRs(TrainerCallback):
    def __init__(self): self.lrs = []
    def on_step_begin(self, args, state, control, optimizer=None, **kw): self.lrs.append(optimizer.param_groups[0]['lr'])

def state(model): return {k: v.clone() for k, v in model.state_dict().items()}
def same(a, b): return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)

# ---- Hugging Face Trainer ----

@pytest.mark.parametrize('kw, meta', [(dict(gradient_accumulation_steps=3, max_grad_norm=0.5), dict(accum_steps=3, grad_clip=0.5, amp=None)),
                                      (dict(bf16=True, max_grad_norm=0.), dict(accum_steps=1, grad_clip=None, amp='bfloat16'))])
def test_trainer_range_test_reads_the_arguments(tmp_path, kw, meta):
    t = trainer(tmp_path, **kw)
    before, dls = state(t.model), list(t.accelerator._dataloaders)
    rec = trainer_range_test(t, num_iter=12, progress=False, seed=0)
    assert {k: rec.meta[k] for k in meta} == meta
    assert same(before, state(t.model)) and t.optimizer is None and t.lr_scheduler is None
    assert t.accelerator._dataloaders == dls and t.accelerator.gradient_state.active_dataloader is None

def test_trainer_range_test_keeps_a_given_optimizer(tmp_path):
    t = trainer(tmp_path)
    opt = t.create_optimizer()
    groups = [{k: v for k, v in g.items() if k != 'params'} for g in opt.param_groups]
    rec = trainer_range_test(t, num_iter=8, accum_steps=2, progress=False)        # keywords win over the args
    assert t.optimizer is opt and rec.meta['accum_steps'] == 2
    assert [{k: v for k, v in g.items() if k != 'params'} for g in opt.param_groups] == groups

def test_trainer_uses_the_trainer_loss(tmp_path):
    "A Trainer subclass's compute_loss is what the sweep records."
    class Doubled(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None): return 2*model(**inputs).loss
    t0 = trainer(tmp_path)
    t = Doubled(model=tiny_bert(), args=t0.args, train_dataset=TRAIN)
    a = trainer_range_test(t0, num_iter=6, diverge_th=None, progress=False, seed=0)
    b = trainer_range_test(t, num_iter=6, diverge_th=None, progress=False, seed=0)
    np.testing.assert_allclose(b.losses[0], 2*a.losses[0], rtol=1e-6)   # the first batch, before the gradients differ (doubled)

def test_trainer_without_train_dataset(tmp_path):
    t = trainer(tmp_path, train=None)
    with pytest.raises(ValueError, match="trainer: has no train_dataset"): trainer_range_test(t)
    assert t.optimizer is None

@pytest.mark.parametrize('make', [lambda: HFCosine(7e-4, 2, 6), lambda: HFWarmupStableDecay(7e-4, 1, 2, 6, decay_type='1-sqrt'),
                                  lambda: OneCycle(1e-3, 6), lambda: Cyclic(1e-4, 1e-3, 2, total_steps=6, cycle_momentum=False),
                                  lambda: CosineAnnealing(5e-4, 6)], ids=['HFCosine', 'WSD', 'OneCycle', 'Cyclic', 'CosineAnnealing'])
def test_use_lr_then_train_uses_the_schedule(tmp_path, make):
    "After a range test and even after an earlier train(), training follows the schedule step for step, bit for bit."
    s = make()
    t = trainer(tmp_path, max_steps=3, learning_rate=5e-5)
    trainer_range_test(t, num_iter=5, progress=False)
    t.train()                                              # caches an optimizer and a scheduler
    cb = LRs(); t.add_callback(cb)
    changes = use_lr(t, schedule=s)
    assert changes['max_steps'] == s.total_steps == t.args.max_steps
    t.train()
    np.testing.assert_array_equal(cb.lrs, s.lrs())

def test_use_lr_with_a_suggestion(tmp_path):
    t = trainer(tmp_path, max_steps=3, learning_rate=5e-5)
    t.create_optimizer()                                  # the pitfall: args.learning_rate alone would be ignored now
    cb = LRs(); t.add_callback(cb)
    sug = SimpleNamespace(lr=7.2e-4, lower=1e-4, upper=2e-3, rule='demo', reason='')
    assert use_lr(t, sug) == {'learning_rate': 7.2e-4}
    t.args.lr_scheduler_type = 'constant'
    t.train()
    assert cb.lrs == [7.2e-4]*3
    with pytest.raises(ValueError, match="the suggestion has no lr \\(flat\\)"): use_lr(t, SimpleNamespace(lr=None, reason='flat'))
    with pytest.raises(ValueError, match="differs from the schedule's lr"): use_lr(t, 1e-3, HFLinear(7e-4, 0, 3))
    with pytest.raises(TypeError, match="schedule: expected a lrwidgets Schedule"): use_lr(t, schedule='cosine')
    assert t.args.learning_rate == 7.2e-4                 # refused calls changed nothing

def test_training_args_for_prints_a_script_line():
    s = HFWarmupStableDecay(3e-4, 10, 30, 100, decay_type='1-sqrt')
    ta = training_args_for(schedule=s)
    assert ta == dict(learning_rate=3e-4, lr_scheduler_type='warmup_stable_decay', warmup_steps=10, max_steps=100,
                      lr_scheduler_kwargs={'num_decay_steps': 30, 'decay_type': '1-sqrt'})
    args = TrainingArguments('unused', use_cpu=True, report_to=[], **ta)       # the values are valid TrainingArguments
    assert args.lr_scheduler_type.value == 'warmup_stable_decay'
    with pytest.raises(TypeError, match="OneCycle is not one of the Trainer's schedules"): training_args_for(schedule=OneCycle(1e-3, 10))

# ---- accelerate ----

XS = torch.randn(256, 8, generator=torch.Generator().manual_seed(1)); YS = (XS[:, 0] > 0).long()

def mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))

def prepared(accum=4, seedable=True, **kw):
    acc = Accelerator(cpu=True, gradient_accumulation_steps=accum, dataloader_config=DataLoaderConfiguration(use_seedable_sampler=seedable), **kw)
    model = mlp()
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(XS, YS), batch_size=16, shuffle=True)
    return acc, *acc.prepare(model, torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), dl)

def epoch(dl): return [y.tolist() for _, y in dl]

@pytest.mark.parametrize('seedable', [True, False])
@pytest.mark.parametrize('stop_early', [True, False])
def test_accelerate_leaves_the_loop_as_found(seedable, stop_early):
    acc, model, opt, dl = prepared(seedable=seedable)
    epoch(dl)                                             # one epoch trained already: the state is not the initial one
    gs, it, before, rng = dict(vars(acc.gradient_state)), dl.iteration, state(model), torch.get_rng_state()
    rec = accelerate_range_test(acc, model, opt, dl, F.cross_entropy, num_iter=6 if stop_early else 40, progress=False)
    assert rec.meta['accum_steps'] == 4 and len(rec) >= 6
    assert (dl.iteration, dict(vars(acc.gradient_state))) == (it, gs) and same(before, state(model))
    assert torch.equal(torch.get_rng_state(), rng)
    acc2, _, _, dl2 = prepared(seedable=seedable); torch.set_rng_state(rng)
    epoch(dl2)                                            # the twin's first epoch, then the next one compared
    torch.set_rng_state(rng); a = epoch(dl)
    torch.set_rng_state(rng); b = epoch(dl2)
    assert a == b

def test_accelerate_reads_mixed_precision():
    acc, model, opt, dl = prepared(accum=1, mixed_precision='bf16')
    rec = accelerate_range_test(acc, model, opt, dl, F.cross_entropy, num_iter=5, progress=False)
    assert (rec.meta['amp'], rec.meta['accum_steps']) == ('bfloat16', 1)
    rec = accelerate_range_test(acc, model, opt, dl, F.cross_entropy, num_iter=5, amp=None, progress=False)
    assert rec.meta['amp'] is None                       # keywords win

def test_accelerate_steps_once_per_accumulation():
    "64 batches with accumulation 4 are 16 optimizer steps (a plain loop outside accelerator.accumulate would take 64)."
    acc, model, opt, dl = prepared(accum=4)
    inner = opt.optimizer
    steps = []
    h = inner.register_step_post_hook(lambda *a: steps.append(1))
    try: accelerate_range_test(acc, model, opt, dl, F.cross_entropy, num_iter=16, diverge_th=None, progress=False)
    finally: h.remove()
    assert len(steps) >= 16 and len(steps) < 64

# ---- Lightning ----

pl = pytest.importorskip('lightning.pytorch')

class Tiny(pl.LightningModule):
    def __init__(self, ret='dict', schedule=None, bare=False):
        super().__init__(); self.net, self.ret, self.schedule, self.bare = mlp(), ret, schedule, bare
    def training_step(self, batch, batch_idx):
        loss = F.cross_entropy(self.net(batch[0]), batch[1])
        self.log('train_loss', loss)
        return {'loss': loss} if self.ret == 'dict_loss' else loss
    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
        if self.schedule is not None:
            cfg = self.schedule.to_lightning(opt)
            return ([opt], [cfg['scheduler']]) if self.bare else {'optimizer': opt, 'lr_scheduler': cfg}
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, 100)
        return dict(dict=lambda: {'optimizer': opt, 'lr_scheduler': sched}, dict_loss=lambda: opt, pair=lambda: ([opt], [sched]),
                    list=lambda: [opt], dicts=lambda: [{'optimizer': opt}], two=lambda: [opt, torch.optim.SGD(self.parameters(), lr=0.1)],
                    none=lambda: None)[self.ret]()

LOADER = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(XS, YS), batch_size=16, shuffle=True)

@pytest.mark.parametrize('ret', ['dict', 'dict_loss', 'pair', 'list', 'dicts'])
def test_lightning_range_test_unpacks_configure_optimizers(ret):
    m = Tiny(ret); before = state(m)
    with warnings.catch_warnings():
        warnings.simplefilter('error')                   # no warning at all, self.log's included
        rec = lightning_range_test(m, LOADER, num_iter=8, progress=False)
    assert len(rec) >= 8 and same(before, state(m))

@pytest.mark.parametrize('ret, exc, msg', [('two', ValueError, "returns 2 optimizers; a range test sweeps one"),
                                           ('none', TypeError, "configure_optimizers must return an optimizer")])
def test_lightning_bad_modules(ret, exc, msg):
    m = Tiny(ret); before = state(m)
    with pytest.raises(exc, match=msg): lightning_range_test(m, LOADER, num_iter=5, progress=False)
    assert same(before, state(m))

def test_lightning_manual_optimization_and_trainer_bound_configure():
    m = Tiny(); m.automatic_optimization = False
    with pytest.raises(ValueError, match="automatic_optimization is False"): lightning_range_test(m, LOADER)
    class NeedsTrainer(Tiny):
        def configure_optimizers(self): return torch.optim.SGD(self.parameters(), lr=self.trainer.estimated_stepping_batches)
    with pytest.raises(RuntimeError, match="NeedsTrainer.configure_optimizers failed without a Trainer"): lightning_range_test(NeedsTrainer(), LOADER)

def test_lightning_datamodule_and_train_dataloader():
    class DM(pl.LightningDataModule):
        def setup(self, stage): self.ds = torch.utils.data.TensorDataset(XS, YS)
        def train_dataloader(self): return torch.utils.data.DataLoader(self.ds, batch_size=16)
    assert len(lightning_range_test(Tiny(), DM(), num_iter=5, progress=False)) >= 5
    class WithLoader(Tiny):
        def train_dataloader(self): return LOADER
    assert len(lightning_range_test(WithLoader(), num_iter=5, progress=False)) >= 5

def lightning_lrs(module, steps):
    lrs = []
    class CB(pl.Callback):
        def on_train_batch_start(self, trainer, m, batch, i): lrs.append(trainer.optimizers[0].param_groups[0]['lr'])
    pl.Trainer(max_steps=steps, accelerator='cpu', logger=False, enable_checkpointing=False, enable_progress_bar=False,
               enable_model_summary=False, callbacks=[CB()]).fit(module, LOADER)
    return np.array(lrs)

@pytest.mark.parametrize('s', [OneCycle(0.05, 40, cycle_momentum=False), HFWarmupStableDecay(0.05, 5, 10, 40, decay_type='1-sqrt')],
                         ids=['OneCycle', 'WSD'])
def test_to_lightning_steps_every_batch(s):
    np.testing.assert_array_equal(lightning_lrs(Tiny(schedule=s), 40), s.lrs())
    assert len(set(lightning_lrs(Tiny(schedule=s, bare=True), 40).tolist())) == 3     # bare: one lr per epoch of 16 batches

@pytest.mark.parametrize('kind, extra', [('linear', {}), ('warmup_stable_decay', {'num_decay_steps': 2, 'decay_type': '1-sqrt'}),
                                         ('polynomial', {'power': 2.0})])
def test_trainer_schedule_is_what_train_uses(tmp_path, kind, extra):
    t = trainer(tmp_path, max_steps=5, learning_rate=3e-4, lr_scheduler_type=kind, warmup_steps=1, lr_scheduler_kwargs=extra)
    s = trainer_schedule(t)
    cb = LRs(); t.add_callback(cb); t.train()
    np.testing.assert_array_equal(cb.lrs, s.lrs())
    use_lr(t, schedule=OneCycle(1e-3, 5))
    with pytest.raises(ValueError, match="has a scheduler of its own \\(OneCycleLR\\)"): trainer_schedule(t)

def test_trainer_schedule_needs_a_length(tmp_path):
    with pytest.raises(ValueError, match="args.max_steps is not set; pass num_training_steps"): trainer_schedule(trainer(tmp_path))
    assert trainer_schedule(trainer(tmp_path), 40).total_steps == 40

def test_range_test_after_training_unwraps_the_trainers_optimizer(tmp_path):
    "After train() the Trainer holds accelerate's AcceleratedOptimizer: the sweep uses the torch optimizer inside and leaves it as found."
    t = trainer(tmp_path, max_steps=2)
    t.train()
    opt, before = t.optimizer, state(t.model)
    lrs = [g['lr'] for g in opt.param_groups]
    trainer_range_test(t, num_iter=6, progress=False)
    assert t.optimizer is opt and [g['lr'] for g in opt.param_groups] == lrs and same(before, state(t.model))

def test_readme_snippet_runs_on_a_real_trainer(tmp_path):
    "The README's 'Where you train' block, as printed (only the schedule's length shortened), on a tiny Trainer."
    import re
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[1] / 'README.md').read_text()
    code = re.search(r'## Where you train.*?```python\n(.+?)\n```', readme, re.S).group(1)
    code = code.replace('num_warmup_steps=100, num_training_steps=2000', 'num_warmup_steps=2, num_training_steps=6')
    t = trainer(tmp_path, learning_rate=5e-5)
    cb = LRs(); t.add_callback(cb)
    ns = dict(trainer=t)
    exec(code, ns)
    sug, s = ns['sug'], HFCosine.from_suggestion(ns['sug'], num_warmup_steps=2, num_training_steps=6)
    assert sug.upper is not None and s.lr == sug.upper
    np.testing.assert_array_equal(cb.lrs, s.lrs())       # the Trainer trained with the suggested schedule, step for step
