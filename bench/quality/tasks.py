"""Small seeded CPU tasks for the suggestion-quality benchmark (no downloads).

Each task has a fixed dataset (data seed 0), a model factory and an optimizer factory. `train` trains one
model from a given seed for the task's fixed budget at a constant lr or under OneCycleLR(max_lr=lr) and
returns the final validation loss. The tasks are chosen so that their best learning rates lie decades
apart: a fixed lr cannot be right for all of them.
"""
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

@dataclass(frozen=True)
class Task:
    name: str          # short id used in the JSON files
    about: str         # one line for the results table
    data: Callable     # () -> (x_train, y_train, x_val, y_val) tensors, fixed (data seed 0)
    model: Callable    # () -> nn.Module (initialised from the global torch RNG)
    opt: Callable      # (params, lr) -> torch.optim.Optimizer
    loss_fn: Callable  # (output, target) -> scalar loss
    bs: int            # batch size
    steps: int         # training budget in optimizer steps

# --- data ----------------------------------------------------------------------------------------------
def _split(x, y, n_val, seed=0):
    idx = np.random.default_rng(seed).permutation(len(x))
    v, t = idx[:n_val], idx[n_val:]
    return x[t], y[t], x[v], y[v]

@lru_cache(None)
def diabetes_raw():
    "sklearn's diabetes data with RAW (unscaled) features, standardised target: the 'forgot to normalise' case."
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True, scaled=False)
    xt, yt, xv, yv = _split(x.astype(np.float32), y.astype(np.float32), 100)
    m, s = yt.mean(), yt.std()
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    return f(xt), f((yt - m) / s)[:, None], f(xv), f((yv - m) / s)[:, None]

@lru_cache(None)
def classif():
    "make_classification, 20 standardised features, 10% flipped labels (validation loss stays well above 0)."
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=2000, n_features=20, n_informative=10, n_classes=4,
                               n_clusters_per_class=2, flip_y=0.1, class_sep=1.0, random_state=0)
    xt, yt, xv, yv = _split(x.astype(np.float32), y, 500)
    m, s = xt.mean(0), xt.std(0)
    return (torch.tensor((xt - m) / s), torch.tensor(yt, dtype=torch.long),
            torch.tensor((xv - m) / s), torch.tensor(yv, dtype=torch.long))

@lru_cache(None)
def shapes(n=1500, size=16):
    "Generated 16x16 grey images of circles, squares, triangles and crosses at random size/position, plus noise."
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    ims, labels = np.zeros((n, 1, size, size), np.float32), rng.integers(0, 4, n)
    for i, c in enumerate(labels):
        r = rng.uniform(3, 6); cy, cx = rng.uniform(r, size - r, 2)
        dy, dx = yy - cy, xx - cx
        if c == 0: m = dy**2 + dx**2 <= r**2
        elif c == 1: m = (abs(dy) <= r * .8) & (abs(dx) <= r * .8)
        elif c == 2: m = (dy <= r * .8) & (abs(dx) <= (dy + r) * .5)
        else: m = (abs(dy) <= r) & (abs(dx) <= r) & ((abs(dy) <= r * .25) | (abs(dx) <= r * .25))
        ims[i, 0] = m * rng.uniform(.5, 1.) + rng.normal(0, .35, (size, size))
    xt, yt, xv, yv = _split(ims, labels, 500)
    return torch.tensor(xt), torch.tensor(yt, dtype=torch.long), torch.tensor(xv), torch.tensor(yv, dtype=torch.long)

# --- models --------------------------------------------------------------------------------------------
def mlp(n_in, n_out, width=64): return nn.Sequential(nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, n_out))

def cnn(): return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                nn.Flatten(), nn.Linear(16 * 4 * 4, 4))

_sgdm = lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9)
_adam = lambda p, lr: torch.optim.Adam(p, lr=lr)
_sgd = lambda p, lr: torch.optim.SGD(p, lr=lr)

TASKS = {t.name: t for t in [
    Task('diabetes_sgd', 'MLP 10-64-64-1, SGD(momentum=0.9), MSE on load_diabetes with raw (unscaled) features',
         diabetes_raw, lambda: mlp(10, 1), _sgdm, F.mse_loss, bs=32, steps=300),
    Task('diabetes_adam', 'MLP 10-64-64-1, Adam, MSE on load_diabetes with raw (unscaled) features',
         diabetes_raw, lambda: mlp(10, 1), _adam, F.mse_loss, bs=32, steps=300),
    Task('shapes_sgd', 'CNN (2 conv), SGD(momentum=0.9), cross-entropy on generated 16x16 shape images, 4 classes',
         shapes, cnn, _sgdm, F.cross_entropy, bs=64, steps=300),
    Task('classif_sgd', 'MLP 20-64-64-4, plain SGD, cross-entropy on make_classification (10% flipped labels)',
         classif, lambda: mlp(20, 4), _sgd, F.cross_entropy, bs=64, steps=300),
]}

# --- training ------------------------------------------------------------------------------------------
def batches(task, n, seed):
    "`n` shuffled training batches (reshuffled every epoch) drawn with a `seed`ed generator."
    xt, yt, _, _ = task.data()
    g, out = torch.Generator().manual_seed(seed), []
    while len(out) < n:
        perm = torch.randperm(len(xt), generator=g)
        out += [(xt[perm[i:i + task.bs]], yt[perm[i:i + task.bs]]) for i in range(0, len(xt) - task.bs + 1, task.bs)]
    return out[:n]

def setup(task, seed):
    "Model and optimizer initialised from `seed` (the optimizer's lr is set by the caller)."
    torch.manual_seed(seed)
    model = task.model()
    return model, task.opt(model.parameters(), 1e-3)

def val_loss(task, model):
    _, _, xv, yv = task.data()
    model.eval()
    with torch.no_grad(): v = float(task.loss_fn(model(xv), yv))
    model.train()
    return v if math.isfinite(v) else None

def train(task, lr, schedule='constant', seed=0):
    "Final validation loss after `task.steps` steps at constant `lr` or under OneCycleLR(max_lr=lr); None if it diverged."
    if isinstance(task, str): task = TASKS[task]
    model, opt = setup(task, seed)
    for g in opt.param_groups: g['lr'] = lr
    sched = None
    if schedule == 'onecycle':  # momentum is cycled only when the optimizer has some (plain SGD stays plain SGD)
        has_mom = any(g.get('momentum', 0) > 0 or 'betas' in g for g in opt.param_groups)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=task.steps, cycle_momentum=has_mom)
    elif schedule != 'constant': raise ValueError(f"schedule: expected 'constant' or 'onecycle', got {schedule!r}")
    for x, y in batches(task, task.steps, seed + 10_000):
        loss = task.loss_fn(model(x), y)
        if not torch.isfinite(loss): return None
        opt.zero_grad(); loss.backward(); opt.step()
        if sched: sched.step()
    return val_loss(task, model)

def init_val_loss(task, seed=0):
    "Validation loss of the untrained model: the cap for diverged runs when averaging regrets."
    if isinstance(task, str): task = TASKS[task]
    model, _ = setup(task, seed)
    return val_loss(task, model)
