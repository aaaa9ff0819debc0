"""Small seeded CPU tasks for the suggestion-quality benchmark (no downloads: scikit-learn's bundled data or generated).

Each task has a fixed dataset (data seed 0), a model factory and an optimizer factory. `train` trains one model from
a given seed for the task's fixed budget at a constant lr or under OneCycleLR(max_lr=lr) and returns the final
validation loss. The tasks are chosen to break rules, not to flatter them: their best learning rates lie about eight
decades apart (a linear model on raw features wants ~1e-6, softmax regression with plain SGD wants more than 1),
and they cover the curve shapes that fool readers of a range test: curves still falling at the sweep's end
(convex models), early dips (recurrent models), spikes (batches of 4 with heavy-tailed noise), a pre-trained
model that a high lr destroys, label noise, BatchNorm, attention. Every task trains in well under a second.
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

def _std(xt, xv):
    m, s = xt.mean(0), xt.std(0) + 1e-8
    return (xt - m) / s, (xv - m) / s

def _t(*arrays):
    return tuple(torch.tensor(a, dtype=torch.long if a.dtype.kind in 'iu' else torch.float32) for a in arrays)

def _std_target_split(x, y, n_val) -> tuple:
    "Split off `n_val` validation rows and standardise the target with the training rows' statistics (features as they are)."
    xt, yt, xv, yv = _split(x.astype(np.float32), y.astype(np.float32), n_val)
    m, s = yt.mean(), yt.std()
    return xt, ((yt - m) / s)[:, None], xv, ((yv - m) / s)[:, None]

def _std_split(x, y, n_val):
    "Split off `n_val` validation rows, standardise the features with the training rows' statistics, as tensors."
    xt, yt, xv, yv = _split(x.astype(np.float32), y, n_val)
    xt, xv = _std(xt, xv)
    return _t(xt, yt, xv, yv)

@lru_cache(None)
def diabetes_raw():
    "sklearn's diabetes data with RAW (unscaled) features, standardised target: the 'forgot to normalise' case."
    from sklearn.datasets import load_diabetes
    x, y = load_diabetes(return_X_y=True, scaled=False)
    return _t(*_std_target_split(x, y, 100))

@lru_cache(None)
def cancer_raw():
    "sklearn's breast cancer data, RAW features (some in the thousands): logistic regression's best lr is tiny."
    from sklearn.datasets import load_breast_cancer
    x, y = load_breast_cancer(return_X_y=True)
    return _t(*_split(x.astype(np.float32), y, 169))

@lru_cache(None)
def regression():
    "make_regression (little noise), 20 features standardised then scaled by 0.05, standardised target: with no bias, plain SGD wants a high lr."
    from sklearn.datasets import make_regression
    x, y = make_regression(n_samples=1200, n_features=20, n_informative=10, noise=5., random_state=0)
    xt, yt, xv, yv = _std_target_split(x, y, 400)
    xt, xv = _std(xt, xv)
    return _t(0.05 * xt, yt, 0.05 * xv, yv)

@lru_cache(None)
def classif(flip=0.1, n_features=20):
    "make_classification, standardised features, `flip` of the labels flipped (validation loss stays well above 0)."
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=2000, n_features=n_features, n_informative=10, n_classes=4,
                               n_clusters_per_class=2, flip_y=flip, class_sep=1.0, random_state=0)
    return _std_split(x, y, 500)

@lru_cache(None)
def digits_noisy():
    "sklearn's 8x8 digits, pixels / 16, 25 % of the training labels replaced by random ones."
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    xt, yt, xv, yv = _split((x / 16).astype(np.float32), y, 500)
    rng = np.random.default_rng(0); flip = rng.random(len(yt)) < .25
    yt = np.where(flip, rng.integers(0, 10, len(yt)), yt)
    return _t(xt, yt, xv, yv)

@lru_cache(None)
def heavy_tailed():
    "Nonlinear regression with Student-t (2 dof) noise on the training targets: batches of 4 give spikes."
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 8)).astype(np.float32)
    f = np.sin(x[:, 0]) + x[:, 1] * x[:, 2] + 0.5 * x[:, 3]
    y = (f + 0.3 * rng.standard_t(2, size=len(f))).astype(np.float32)
    xt, yt, xv, yv = _split(x, y, 300)
    fv = np.sin(xv[:, 0]) + xv[:, 1] * xv[:, 2] + 0.5 * xv[:, 3]
    return _t(xt, yt[:, None], xv, (fv + 0.3 * rng.normal(size=len(fv))).astype(np.float32)[:, None])

@lru_cache(None)
def shapes(n=1200, size=12):
    "Generated 12x12 grey images of circles, squares, triangles and crosses at random size/position, plus noise."
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:size, :size].astype(np.float32)
    ims, labels = np.zeros((n, 1, size, size), np.float32), rng.integers(0, 4, n)
    for i, c in enumerate(labels):
        r = rng.uniform(2.5, 4.5); cy, cx = rng.uniform(r, size - r, 2)
        dy, dx = yy - cy, xx - cx
        if c == 0: m = dy**2 + dx**2 <= r**2
        elif c == 1: m = (abs(dy) <= r * .8) & (abs(dx) <= r * .8)
        elif c == 2: m = (dy <= r * .8) & (abs(dx) <= (dy + r) * .5)
        else: m = (abs(dy) <= r) & (abs(dx) <= r) & ((abs(dy) <= r * .3) | (abs(dx) <= r * .3))
        ims[i, 0] = m * rng.uniform(.5, 1.) + rng.normal(0, .4, (size, size))
    return _t(*_split(ims, labels, 400))

@lru_cache(None)
def majority(n=1500, length=10, vocab=4):
    "Generated token sequences; the label is the most frequent token (ties: the smallest), 5 % of labels flipped."
    rng = np.random.default_rng(0)
    x = rng.integers(0, vocab, (n, length))
    y = np.array([np.bincount(r, minlength=vocab).argmax() for r in x])
    flip = rng.random(n) < .05; y = np.where(flip, rng.integers(0, vocab, n), y)
    return _t(*_split(x, y, 500))

@lru_cache(None)
def running_sum(n=1500, length=10):
    "Generated real sequences; the target is the sum of the first half minus the second half, scaled, plus noise."
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, length, 1)).astype(np.float32)
    y = (x[:, :length // 2, 0].sum(1) - x[:, length // 2:, 0].sum(1)) / math.sqrt(length) + 0.3 * rng.normal(size=n)
    return _t(*_split(x, y.astype(np.float32)[:, None], 500))

@lru_cache(None)
def shifted(which):
    "Two related 4-class problems: 'pre' (labels of a random linear map) and 'fine' (the map perturbed, inputs shifted)."
    rng = np.random.default_rng(0)
    w = rng.normal(size=(16, 4)); w2 = w + 0.6 * rng.normal(size=(16, 4))
    n = 3000 if which == 'pre' else 600
    x = rng.normal(size=(n, 16)).astype(np.float32) + (0. if which == 'pre' else 0.5)
    logits = x @ (w if which == 'pre' else w2) + rng.gumbel(size=(n, 4))   # noisy labels: the oracle stays above 0
    return _t(*_split(x, logits.argmax(1), 1000 if which == 'pre' else 200))

# --- tasks added after the default rule (`cautious`) was designed on the thirteen above: a prospective check -------
@lru_cache(None)
def wine():
    "sklearn's wine data (178 samples, 13 features), standardised."
    from sklearn.datasets import load_wine
    x, y = load_wine(return_X_y=True)
    return _std_split(x, y, 58)

@lru_cache(None)
def digits_images():
    "sklearn's 8x8 digits as 1-channel images, pixels / 16."
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    return _t(*_split((x / 16).astype(np.float32).reshape(-1, 1, 8, 8), y, 500))

@lru_cache(None)
def friedman():
    "make_friedman1 (10 features, 5 informative, noise 1), standardised target."
    from sklearn.datasets import make_friedman1
    x, y = make_friedman1(n_samples=1500, n_features=10, noise=1.0, random_state=0)
    return _t(*_std_target_split(x, y, 500))

@lru_cache(None)
def moons():
    "make_moons (noise 0.3), standardised."
    from sklearn.datasets import make_moons
    x, y = make_moons(n_samples=1500, noise=0.3, random_state=0)
    return _std_split(x, y, 500)

@lru_cache(None)
def iris():
    "sklearn's iris (150 samples), standardised."
    from sklearn.datasets import load_iris
    x, y = load_iris(return_X_y=True)
    return _std_split(x, y, 50)

# --- tasks added after the default rule took its current form (`cautious`, lean 1, up 4, window 10): a second check ---
@lru_cache(None)
def digits_flat():
    "sklearn's digits as 64 features, pixels / 16."
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    return _t(*_split((x / 16).astype(np.float32), y, 500))

@lru_cache(None)
def waves(n=1500, length=32):
    "Noisy sines of one of 3 frequencies (1, 2 or 3 cycles per 16 steps) at a random phase; the class is the frequency."
    rng = np.random.default_rng(0)
    y, t = rng.integers(0, 3, n), np.arange(length)
    x = np.sin(2 * np.pi * (y[:, None] + 1) * t / 16 + rng.uniform(0, 2 * np.pi, (n, 1))) + 0.8 * rng.normal(size=(n, length))
    return _t(*_split(x.astype(np.float32)[:, None, :], y, 500))

@lru_cache(None)
def classif30():
    "make_classification: 30 features (12 informative), 5 classes, 5% flipped labels, standardised."
    from sklearn.datasets import make_classification
    x, y = make_classification(n_samples=2000, n_features=30, n_informative=12, n_classes=5, flip_y=0.05, random_state=1)
    return _std_split(x, y, 500)

@lru_cache(None)
def outliers():
    "make_regression (10 features, noise 5), standardised target; 5% of the TRAINING targets moved by N(0, 20) outliers."
    from sklearn.datasets import make_regression
    x, y = make_regression(n_samples=1200, n_features=10, noise=5., random_state=2)
    xt, yt, xv, yv = _std_target_split(x, y, 400)
    rng = np.random.default_rng(0)
    bad = rng.random(len(yt)) < 0.05
    yt[bad] += rng.normal(0, 20, (int(bad.sum()), 1)).astype(np.float32)
    return _t(xt, yt, xv, yv)

@lru_cache(None)
def friedman2_raw():
    "make_friedman2 (4 features with ranges up to ~1700) with RAW features, standardised target."
    from sklearn.datasets import make_friedman2
    x, y = make_friedman2(n_samples=1500, noise=0., random_state=0)
    return _t(*_std_target_split(x, y, 500))

# --- tasks added after the default took its form of 2026-12-02 (`cautious`, window 10, up 8, kept fall): a third check ---
@lru_cache(None)
def spirals(n=1500, turns=1.5, noise=0.25):
    "Two interleaved spirals in the plane (2 classes) with Gaussian noise, standardised."
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, n)
    r = rng.uniform(0.1, 1, n)
    a = 2 * np.pi * turns * r + np.pi * y
    x = np.c_[r * np.cos(a), r * np.sin(a)] + noise * 0.2 * rng.normal(size=(n, 2))
    return _std_split(x, y, 500)

@lru_cache(None)
def friedman3():
    "make_friedman3 (4 features, noise 0.1), standardised features and target."
    from sklearn.datasets import make_friedman3
    x, y = make_friedman3(n_samples=1500, noise=0.1, random_state=0)
    xt, yt, xv, yv = _std_target_split(x, y, 500)
    xt, xv = _std(xt, xv)
    return _t(xt, yt, xv, yv)

# --- models --------------------------------------------------------------------------------------------
def mlp(n_in, n_out, width=32): return nn.Sequential(nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(), nn.Linear(width, n_out))

def cnn_bn(): return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Conv2d(6, 12, 3, padding=1), nn.BatchNorm2d(12), nn.ReLU(), nn.MaxPool2d(2),
                                   nn.Flatten(), nn.Linear(12 * 3 * 3, 4))

def cnn_digits(): return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                       nn.Flatten(), nn.Linear(16 * 2 * 2, 10))

def cnn1d(): return nn.Sequential(nn.Conv1d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2), nn.Conv1d(8, 16, 5, padding=2), nn.ReLU(),
                                  nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(16, 3))

def ln_mlp(n_in, n_out, width=64):
    "A transformer-style MLP: LayerNorm, GELU and dropout 0.1."
    return nn.Sequential(nn.Linear(n_in, width), nn.LayerNorm(width), nn.GELU(), nn.Dropout(0.1),
                         nn.Linear(width, width), nn.LayerNorm(width), nn.GELU(), nn.Linear(width, n_out))

def deep_tanh(n_in=2, n_out=2, width=32, depth=6):
    layers = [nn.Linear(n_in, width), nn.Tanh()]
    for _ in range(depth - 2): layers += [nn.Linear(width, width), nn.Tanh()]
    return nn.Sequential(*layers, nn.Linear(width, n_out))

class Recurrent(nn.Module):
    "A GRU or LSTM over a sequence (tokens embedded, or real values), its last state through a linear head."
    def __init__(self, cell, n_out, vocab=None, n_in=1, hidden=16):
        super().__init__()
        self.emb = nn.Embedding(vocab, 8) if vocab else None
        self.rnn = cell(8 if vocab else n_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_out)
    def forward(self, x):
        h, _ = self.rnn(self.emb(x) if self.emb is not None else x)
        return self.head(h[:, -1])

class TinyTransformer(nn.Module):
    "One self-attention encoder layer (d=16, 2 heads) over embedded tokens plus learnt positions, mean-pooled."
    def __init__(self, vocab=4, length=10, d=16, n_out=4):
        super().__init__()
        self.emb, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.randn(length, d) * .1)
        self.enc = nn.TransformerEncoderLayer(d, 2, 32, dropout=0., batch_first=True)
        self.head = nn.Linear(d, n_out)
    def forward(self, x): return self.head(self.enc(self.emb(x) + self.pos).mean(1))

@lru_cache(None)
def _pretrained_state():
    "An MLP trained on the 'pre' task (Adam 3e-3, 400 steps, seed 0): the starting point of the fine-tuning task."
    g = torch.random.get_rng_state()
    torch.manual_seed(0)
    model, (xt, yt, _, _) = mlp(16, 4, 64), shifted('pre')
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(0)
    for _ in range(400):
        i = torch.randint(0, len(xt), (64,), generator=gen)
        loss = F.cross_entropy(model(xt[i]), yt[i]); opt.zero_grad(); loss.backward(); opt.step()
    torch.random.set_rng_state(g)
    return {k: v.clone() for k, v in model.state_dict().items()}

def pretrained():
    "The pre-trained MLP (the same weights for every seed: only the batch order varies)."
    m = mlp(16, 4, 64); m.load_state_dict(_pretrained_state()); return m

_sgd = lambda p, lr: torch.optim.SGD(p, lr=lr)
_sgdm = lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9)
_adam = lambda p, lr: torch.optim.Adam(p, lr=lr)
_adamw = lambda p, lr: torch.optim.AdamW(p, lr=lr, weight_decay=0.05)
_nesterov = lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, nesterov=True)
_rmsprop = lambda p, lr: torch.optim.RMSprop(p, lr=lr)
_adagrad = lambda p, lr: torch.optim.Adagrad(p, lr=lr)
_radam = lambda p, lr: torch.optim.RAdam(p, lr=lr)
_adamax = lambda p, lr: torch.optim.Adamax(p, lr=lr)

def mlp_dropout(n_in, n_out, width=64, p=0.2):
    return nn.Sequential(nn.Linear(n_in, width), nn.ReLU(), nn.Dropout(p), nn.Linear(width, width), nn.ReLU(), nn.Dropout(p), nn.Linear(width, n_out))

TASKS = {t.name: t for t in [
    Task('cancer_logreg_sgd', 'logistic regression, plain SGD, cross-entropy on load_breast_cancer with raw features',
         cancer_raw, lambda: nn.Linear(30, 2), _sgd, F.cross_entropy, bs=32, steps=200),
    Task('diabetes_sgdm', 'MLP 10-32-32-1, SGD(momentum=0.9), MSE on load_diabetes with raw (unscaled) features',
         diabetes_raw, lambda: mlp(10, 1), _sgdm, F.mse_loss, bs=32, steps=200),
    Task('diabetes_adam', 'MLP 10-32-32-1, Adam, MSE on load_diabetes with raw (unscaled) features',
         diabetes_raw, lambda: mlp(10, 1), _adam, F.mse_loss, bs=32, steps=200),
    Task('finetune_adam', 'pre-trained MLP 16-64-64-4 fine-tuned with Adam on a shifted, perturbed 4-class task',
         lambda: shifted('fine'), pretrained, _adam, F.cross_entropy, bs=32, steps=100),
    Task('linreg_sgd', 'linear regression without bias, plain SGD, MSE on make_regression (features 0.05 x standardised)',
         regression, lambda: nn.Linear(20, 1, bias=False), _sgd, F.mse_loss, bs=16, steps=200),
    Task('softmax_sgd', 'softmax regression, plain SGD, cross-entropy on make_classification (10% flipped labels)',
         classif, lambda: nn.Linear(20, 4), _sgd, F.cross_entropy, bs=32, steps=200),
    Task('classif_sgd', 'MLP 20-32-32-4, plain SGD, cross-entropy on make_classification (10% flipped labels)',
         classif, lambda: mlp(20, 4), _sgd, F.cross_entropy, bs=64, steps=200),
    Task('digits_adamw', 'MLP 64-32-32-10, AdamW(weight_decay=0.05), cross-entropy on load_digits, 25% random labels',
         digits_noisy, lambda: mlp(64, 10), _adamw, F.cross_entropy, bs=32, steps=200),
    Task('heavy_adam_bs4', 'MLP 8-32-32-1, Adam, MSE, batches of 4 with Student-t noise (early spikes)',
         heavy_tailed, lambda: mlp(8, 1), _adam, F.mse_loss, bs=4, steps=300),
    Task('shapes_bn_sgdm', 'CNN (2 conv + BatchNorm), SGD(momentum=0.9), cross-entropy on generated 12x12 shapes',
         shapes, cnn_bn, _sgdm, F.cross_entropy, bs=32, steps=150),
    Task('gru_adam', 'GRU (16 units) on embedded tokens, Adam, cross-entropy: the most frequent of 10 tokens',
         majority, lambda: Recurrent(nn.GRU, 4, vocab=4), _adam, F.cross_entropy, bs=32, steps=150),
    Task('lstm_sgdm', 'LSTM (16 units), SGD(momentum=0.9), MSE: signed sum of a length-10 real sequence',
         running_sum, lambda: Recurrent(nn.LSTM, 1), _sgdm, F.mse_loss, bs=32, steps=150),
    Task('attn_adamw', 'one self-attention layer (d=16, 2 heads), AdamW, cross-entropy: the most frequent token',
         majority, TinyTransformer, _adamw, F.cross_entropy, bs=32, steps=150),
    # added after `cautious` was designed on the tasks above (FRESH): they test it, they did not shape it
    Task('wine_nesterov', 'MLP 13-32-32-3, SGD(momentum=0.9, nesterov=True), cross-entropy on load_wine (120 training samples)',
         wine, lambda: mlp(13, 3), _nesterov, F.cross_entropy, bs=16, steps=150),
    Task('digits_cnn_adam', 'CNN (2 conv, no BatchNorm), Adam, cross-entropy on load_digits as 8x8 images',
         digits_images, cnn_digits, _adam, F.cross_entropy, bs=32, steps=150),
    Task('friedman_rmsprop', 'MLP 10-32-32-1, RMSprop, MSE on make_friedman1 (noise 1)',
         friedman, lambda: mlp(10, 1), _rmsprop, F.mse_loss, bs=32, steps=200),
    Task('moons_deep_sgd', '6-layer tanh MLP (width 32), plain SGD, cross-entropy on make_moons (noise 0.3)',
         moons, deep_tanh, _sgd, F.cross_entropy, bs=32, steps=200),
    Task('iris_adagrad', 'MLP 4-32-32-3, Adagrad, cross-entropy on load_iris (100 training samples)',
         iris, lambda: mlp(4, 3), _adagrad, F.cross_entropy, bs=16, steps=150),
    # added after the default took its current form (FRESH2): they test it, they did not shape it
    Task('digits_short_sgdm', 'MLP 64-32-32-10, SGD(momentum=0.9), cross-entropy on load_digits, a short budget (40 steps)',
         digits_flat, lambda: mlp(64, 10), _sgdm, F.cross_entropy, bs=64, steps=40),
    Task('waves_cnn1d_adamw', '1-D CNN (2 conv), AdamW, cross-entropy: the frequency of a noisy sine (3 classes)',
         waves, cnn1d, _adamw, F.cross_entropy, bs=32, steps=150),
    Task('ln_gelu_adam', 'MLP 30-64-64-5 with LayerNorm, GELU and dropout 0.1, Adam, cross-entropy on make_classification',
         classif30, lambda: ln_mlp(30, 5), _adam, F.cross_entropy, bs=128, steps=150),
    Task('huber_sgd', 'linear regression, plain SGD, Huber loss on make_regression with 5% gross outliers in the training targets',
         outliers, lambda: nn.Linear(10, 1), _sgd, F.huber_loss, bs=32, steps=200),
    Task('friedman2_raw_sgdm', 'MLP 4-32-32-1, SGD(momentum=0.9), MSE on make_friedman2 with raw features (ranges up to ~1700)',
         friedman2_raw, lambda: mlp(4, 1), _sgdm, F.mse_loss, bs=32, steps=200),
    # added after the default took its form of 2026-12-02 (FRESH3), written before any of them was run
    Task('spirals_sgdm_bs8', 'MLP 2-64-64-2, SGD(momentum=0.9), cross-entropy on two noisy interleaved spirals, batches of 8',
         spirals, lambda: mlp(2, 2, 64), _sgdm, F.cross_entropy, bs=8, steps=300),
    Task('digits_radam_dropout', 'MLP 64-64-64-10 with dropout 0.2, RAdam, cross-entropy on load_digits',
         digits_flat, lambda: mlp_dropout(64, 10), _radam, F.cross_entropy, bs=32, steps=150),
    Task('friedman3_l1_adamax', 'MLP 4-32-32-1, Adamax, L1 loss on make_friedman3 (standardised)',
         friedman3, lambda: mlp(4, 1), _adamax, F.l1_loss, bs=32, steps=200),
]}
FRESH = ('wine_nesterov', 'digits_cnn_adam', 'friedman_rmsprop', 'moons_deep_sgd', 'iris_adagrad')
FRESH2 = ('digits_short_sgdm', 'waves_cnn1d_adamw', 'ln_gelu_adam', 'huber_sgd', 'friedman2_raw_sgdm')
FRESH3 = ('spirals_sgdm_bs8', 'digits_radam_dropout', 'friedman3_l1_adamax')

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
    "Validation loss of the untrained model: the 'learnt nothing' end of the normalized regret."
    if isinstance(task, str): task = TASKS[task]
    model, _ = setup(task, seed)
    return val_loss(task, model)
