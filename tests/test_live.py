"""Headless tests of the live range test: a real sweep in a background thread, stopped mid-way, redraws throttled."""
import time
import numpy as np
import pytest
import torch
import lrwidgets.live as live_mod
from lrwidgets import LRDashboard, suggest
from lrwidgets.live import LiveRangeTest


def problem(n_batches=400, delay=0.0):
    torch.manual_seed(0)
    x = torch.randn(256, 4); y = x @ torch.randn(4, 1)
    batches = [(x[i:i+16], y[i:i+16]) for i in range(0, 256, 16)] * (n_batches // 16 + 1)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    data = (b for b in batches if not time.sleep(delay)) if delay else batches
    return model, opt, data


def test_stop_mid_sweep_restores_and_keeps_the_rows():
    model, opt, data = problem(delay=0.004)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    live = LiveRangeTest(model, opt, data, torch.nn.functional.mse_loss, num_iter=400, diverge_th=None, check_every=4, interval=0)
    end = time.time() + 60
    while len(live.sources['live'].data['lr']) < 40 and time.time() < end: time.sleep(0.01)
    assert not live._done.is_set()                                          # still sweeping when Stop is pressed
    live.stop_button.click()
    rec = live.wait(60)
    assert rec is not None and rec.meta['stop_reason'] == 'stopped' and 40 <= len(rec) < 400
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())   # the engine restored the model
    assert isinstance(live.dashboard, LRDashboard) and live.children[-1] is live.dashboard
    assert live.dashboard.suggestion == suggest(rec, **live.dashboard.explorer.settings)
    assert live.stop_button.disabled and 'stopped' in live.status.value


def test_redraws_at_most_once_per_interval(monkeypatch):
    drawn = []
    real = live_mod.live_data
    monkeypatch.setattr(live_mod, 'live_data', lambda *a, **k: (drawn.append(time.monotonic()), real(*a, **k))[1])
    model, opt, data = problem(delay=0.002)
    live = LiveRangeTest(model, opt, data, torch.nn.functional.mse_loss, num_iter=300, diverge_th=None, check_every=1, interval=0.1)
    rec = live.wait(120)
    assert rec.meta['stop_reason'] != 'stopped' and len(rec) >= 300
    gaps = np.diff(drawn[1:])                                               # (the first is the empty plot at construction)
    assert len(drawn) >= 3 and (gaps >= 0.1 - 1e-3).all(), gaps             # checked 300 times, drawn a few


def test_a_failed_sweep_is_told_not_raised():
    model, opt, data = problem()
    live = LiveRangeTest(model, opt, data, torch.nn.functional.mse_loss, num_iter=0)
    assert live.wait(30) is None and isinstance(live.error, ValueError)
    assert 'failed' in live.status.value and live.stop_button.disabled and live.dashboard is None
