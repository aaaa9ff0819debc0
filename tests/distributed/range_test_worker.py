"""Worker for tests/distributed/test_range_test_distributed.py, run as
`torchrun --nproc_per_node=2 range_test_worker.py OUT_DIR TIMEOUT_S SCENARIO [SCENARIO ...]` (gloo, CPU).
Each rank writes `OUT_DIR/rank{R}.json`: per scenario the Recording's columns and meta, or the error it raised,
and whether its model, optimizer and RNG states came back bit-identical."""
import copy, datetime, json, math, os, random, sys, time, warnings
from pathlib import Path

import numpy as np, torch, torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

from lrwidgets import DistributedRangeTestError, range_test

B, N_BATCHES, N_ITER = 32, 8, 40   # global batch, batches in the data, steps of a sweep


def global_batches(n=N_BATCHES, bs=B, seed=0):
    "The data of every test: `n` global batches of `bs` rows."
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n * bs, 8, generator=g)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    return [(X[i:i+bs], y[i:i+bs]) for i in range(0, len(X), bs)]


def shard(batches, rank, world, micro=1):
    "Rank `rank`'s share of each global batch: its 1/world of each of `micro` consecutive micro-batches."
    out = []
    for x, y in batches:
        for xs, ys in zip(x.chunk(micro), y.chunk(micro)):
            h = len(xs) // world
            out.append((xs[rank*h:(rank+1)*h], ys[rank*h:(rank+1)*h]))
    return out


def mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))


def bn_net(seed=0):
    "Batch norm (buffers DDP broadcasts) and dropout (draws from the RNG)."
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.BatchNorm1d(32), torch.nn.ReLU(), torch.nn.Dropout(0.1),
                               torch.nn.Linear(32, 3))


acc = lambda out, y: (out.argmax(1) == y).float().mean()
SWEEP = dict(start_lr=1e-4, end_lr=1., num_iter=N_ITER, diverge_th=None, check_every=7, progress=False)


def reference(micro=1):
    "The same sweep in one process with the global batch (run by the test itself)."
    model = mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    data = global_batches()
    data = data if micro == 1 else shard(data, 0, 1, micro)
    rec = range_test(model, opt, data, F.cross_entropy, metrics=dict(acc=acc), val_data=global_batches(2, seed=5),
                     val_every=5, accum_steps=micro, **SWEEP)
    return rec.df.to_dict('list')


def fingerprint(model, optimizer):
    sd = optimizer.state_dict()
    return dict(tensors=[t.clone() for t in [*model.parameters(), *model.buffers()]],
                grads=[None if p.grad is None else p.grad.clone() for p in model.parameters()],
                modes=[m.training for m in model.modules()], groups=copy.deepcopy(sd['param_groups']),
                state=copy.deepcopy(sd['state']), rng=(torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()))


def same(a, b):
    if isinstance(a, torch.Tensor): return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, np.ndarray): return np.array_equal(a, b)
    if isinstance(a, dict): return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)): return len(a) == len(b) and all(map(same, a, b))
    return a == b


def raising_at(k, exc):
    "A step that raises `exc` at its k-th call."
    calls = []
    def step(model, batch):
        calls.append(1)
        if len(calls) == k: raise exc
        return F.cross_entropy(model(batch[0]), batch[1])
    return step


def run(model, opt, data, **kw):
    "range_test, and what came of it: the Recording or the error, timing, and whether the state came back exactly."
    before, t0 = fingerprint(model, opt), time.perf_counter()
    out = {}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            rec = range_test(model, opt, data, **kw)
        out.update(df=rec.df.to_dict('list'), meta={k: rec.meta[k] for k in
                   ('stop_reason', 'world_size', 'backend', 'device', 'steps_trained', 'batch_size', 'model', 'ddp', 'duration_s',
                    'extended_steps', 'end_lr_reached')},
                   warnings=[str(w.message) for w in caught if 'interrupted' in str(w.message)])
    except BaseException as e:
        out.update(error_type=type(e).__name__, error=str(e), notes=getattr(e, '__notes__', []),
                   cause=type(e.__cause__).__name__ if e.__cause__ else None)
    out.update(seconds=time.perf_counter() - t0, restored=same(before, fingerprint(model, opt)))
    return out


def scenarios(rank, world):
    ce, data = F.cross_entropy, global_batches()
    mine = shard(data, rank, world)
    val = shard(global_batches(2, seed=5), rank, world)

    def ddp_equal():   # (a) per-rank batch B/2 under DDP == one process with batch B
        model = DDP(mlp())
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return run(model, opt, mine, loss_fn=ce, metrics=dict(acc=acc), val_data=val, val_every=5, **SWEEP)

    def ddp_accum():   # gradient accumulation: DDP's no_sync for all but the last micro-batch
        model = DDP(mlp())
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return run(model, opt, shard(data, rank, world, micro=2), loss_fn=ce, metrics=dict(acc=acc), val_data=val,
                   val_every=5, accum_steps=2, **SWEEP)

    def hooks_equal():   # a plain model whose gradients the user all-reduces (hooks after accumulation)
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        def average(p):
            dist.all_reduce(p.grad); p.grad.div_(world)
        hooks = [p.register_post_accumulate_grad_hook(average) for p in model.parameters()]
        try: return run(model, opt, mine, loss_fn=ce, metrics=dict(acc=acc), val_data=val, val_every=5, **SWEEP)
        finally:
            for h in hooks: h.remove()

    def poison_nan():   # (b) NaN inputs in rank 1's 14th batch; DDP, Adam with state, batch norm, dropout
        model = DDP(bn_net())
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for x, y in mine[:2]: opt.zero_grad(); ce(model(x), y).backward(); opt.step()
        model.module[3].eval()   # an unusual mode that must survive
        poisoned = [(x.clone(), y) for x, y in mine * 3]
        if rank == 1: poisoned[13][0][3, 2] = math.nan
        return run(model, opt, poisoned, loss_fn=ce, start_lr=1e-5, end_lr=1e-2, num_iter=N_ITER, progress=False)

    def poison_huge():   # (b) a huge batch on rank 1 only; independent models, so only the mean ties them
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        poisoned = [(x * (1e4 if rank == 1 and i == 20 else 1.), y) for i, (x, y) in enumerate(mine * 3)]
        return run(model, opt, poisoned, loss_fn=ce, start_lr=1e-5, end_lr=1e-2, num_iter=N_ITER, progress=False)

    def error_fast():   # (c) without collectives in training: the others learn of it at the next check
        model = mlp()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        step = raising_at(12, RuntimeError('boom on rank 1')) if rank == 1 else lambda m, b: ce(m(b[0]), b[1])
        return run(model, opt, mine, step=step, num_iter=N_ITER, progress=False)

    def ddp_error():   # (c) with DDP: rank 0 waits in the gradient all-reduce until the group's timeout
        model = DDP(mlp())
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        step = raising_at(12, RuntimeError('boom on rank 1')) if rank == 1 else lambda m, b: ce(m(b[0]), b[1])
        return run(model, opt, mine, step=step, num_iter=N_ITER, progress=False)

    def interrupt():   # Ctrl-C on rank 1 during its 11th step: both return the 10 steps every rank finished
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        step = raising_at(11, KeyboardInterrupt()) if rank == 1 else lambda m, b: ce(m(b[0]), b[1])
        return run(model, opt, mine, step=step, num_iter=N_ITER, progress=False)

    def bad_arg():   # a bad argument on rank 1 only
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return run(model, opt, mine, loss_fn=ce, start_lr=-1. if rank == 1 else 1e-5, num_iter=N_ITER, progress=False)

    def mismatch():   # ranks asked for different sweeps
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return run(model, opt, mine, loss_fn=ce, num_iter=N_ITER + 10 * rank, progress=False)

    def extended():   # past end_lr: both ranks extend the sweep alike, from the averaged losses
        torch.manual_seed(0)
        model = DDP(torch.nn.Linear(8, 3))
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        small = [(0.1 * x, y) for x, y in mine]
        return run(model, opt, small, loss_fn=ce, start_lr=1e-3, end_lr=10., num_iter=N_ITER, extend=1e4, check_every=7, progress=False)

    def extend_mismatch():   # ranks asked for different extensions
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return run(model, opt, mine, loss_fn=ce, num_iter=N_ITER, extend=100. * 10**rank, progress=False)

    def live_stop():   # on_check asks to stop on rank 1 only, at its 2nd check: every rank stops at the next one
        model = DDP(mlp())
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        hook = lambda lrs, losses, total: rank == 1 and len(lrs) == 14
        return run(model, opt, mine, loss_fn=ce, on_check=hook, **SWEEP)

    def repeats():   # repeats=2: every rank runs both sweeps, alike, and comes back restored
        model = DDP(mlp())
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        before, t0 = fingerprint(model, opt), time.perf_counter()
        recs = range_test(model, opt, mine, loss_fn=ce, repeats=2, **SWEEP)
        return dict(dfs=[r.df.to_dict('list') for r in recs], seeds=[r.meta['seed'] for r in recs],
                    meta=dict(stop_reason=', '.join(r.meta['stop_reason'] for r in recs)), seconds=time.perf_counter() - t0,
                    restored=same(before, fingerprint(model, opt)))

    def subgroup():   # an explicit process_group
        model = mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        return run(model, opt, mine, loss_fn=ce, process_group=dist.new_group(list(range(world))), **SWEEP)

    return locals()


def main():
    out, timeout_s, names = Path(sys.argv[1]), float(sys.argv[2]), sys.argv[3:]
    torch.set_num_threads(1)
    dist.init_process_group('gloo', timeout=datetime.timedelta(seconds=timeout_s))
    rank, world = dist.get_rank(), dist.get_world_size()
    todo, results = scenarios(rank, world), {}
    for name in names:
        results[name] = todo[name]()
        (out / f'rank{rank}.json').write_text(json.dumps(results))
        r = results[name]
        print(f"[rank {rank}] {name}: " + (f"raised {r['error_type']}: {r['error']}" if 'error' in r else r['meta']['stop_reason'])
              + f" in {r['seconds']:.2f}s, restored={r['restored']}", file=sys.stderr, flush=True)
    if any('error' in r for r in results.values()) and names == ['ddp_error']:
        deadline = time.monotonic() + 20   # torchrun ends the other rank when one exits with an error: let both write first
        while time.monotonic() < deadline and not all((out / f'rank{r}.json').exists() for r in range(world)): time.sleep(0.05)
        sys.exit(1)   # the process ends with an error, as it would without the try in `run`


if __name__ == '__main__':
    main()
