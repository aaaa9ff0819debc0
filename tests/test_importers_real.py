"""Curves imported from the real peers (torch-lr-finder, Lightning) are read as those tools read them: `suggest` on the
imported, already-smoothed curve gives the tool's own suggestion (no second smoothing, the tool's rule)."""
import os, warnings
import numpy as np, pytest, torch
from lrwidgets import Recording, suggest

def data_and_model(seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(4096, 8, generator=g); y = (x[:, 0] + x[:, 1] > 0).long()   # 128 batches of 32: a whole sweep in one epoch
    torch.manual_seed(seed)
    return x, y, torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))

def test_torch_lr_finder_suggestion_is_reproduced():
    import matplotlib; matplotlib.use('Agg')
    from torch_lr_finder import LRFinder
    x, y, model = data_and_model()
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    opt = torch.optim.SGD(model.parameters(), lr=1e-6)
    finder = LRFinder(model, opt, torch.nn.CrossEntropyLoss(), device='cpu')
    finder.range_test(dl, end_lr=10, num_iter=100)
    ax, theirs = finder.plot(suggest_lr=True)                   # the tool's own suggestion
    ours = suggest(Recording.from_torch_lr_finder(finder))
    assert ours.rule == 'steepest' and ours.lr == theirs

def test_lightning_suggestion_is_reproduced(tmp_path):
    os.environ.setdefault('HF_HUB_OFFLINE', '1')
    import lightning.pytorch as pl
    from lightning.pytorch.tuner import Tuner
    x, y, net = data_and_model()
    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__(); self.net, self.lr = net, 1e-3
        def training_step(self, batch, i): return torch.nn.functional.cross_entropy(self.net(batch[0]), batch[1])
        def configure_optimizers(self): return torch.optim.SGD(self.parameters(), lr=self.lr)
        def train_dataloader(self):
            return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    trainer = pl.Trainer(default_root_dir=tmp_path, accelerator='cpu', max_epochs=1, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        finder = Tuner(trainer).lr_find(Module(), min_lr=1e-6, max_lr=1., num_training=100, update_attr=False)
    theirs = finder.suggestion()                                 # Lightning's own suggestion
    ours = suggest(Recording.from_lightning(finder))
    assert theirs is not None and ours.lr == pytest.approx(theirs, rel=0, abs=0)
