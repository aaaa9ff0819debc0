"""Wall time (and GPU memory) of lrwidgets' `range_test` against a bare hand-written loop and torch-lr-finder.

All three run the same model, data, optimizer and lr sweep, for the same number of steps, in one process,
interleaved (the order rotates every repetition) so that load from other processes hits all of them alike.
Prints each contender's median time and the ratios of the medians, plus the median of the per-repetition
ratios (paired, so more robust to a load that changes over time) with its bootstrap 95% interval, and the ratio of
minima that the targets are judged by. When the interval straddles a target, the machine is too noisy to settle it.

    python bench/range_test.py                         # CPU: MLP on sklearn digits, 300 steps
    python bench/range_test.py --device cuda           # GPU: a launch-bound MLP and a mid-size CNN, + peak memory
    python bench/range_test.py --reps 3 --iters 20     # a quick smoke run
    python bench/range_test.py --instructions          # instructions per run under valgrind (repeatable to ~1%; minutes)
    python bench/range_test.py --instructions --cache-sim   # ... with simulated cache misses and a cycle estimate
    python bench/range_test.py --opcodes               # Python bytecodes per step, by function (deterministic; seconds)
    python bench/range_test.py --parts                 # where the time goes: fixed costs in place and warm, and per step

The bare loop is the fastest honest range test one can write by hand: it sets the precomputed lr,
trains, keeps each loss on the device and copies them to the host once at the end (no divergence check,
no progress bar, no restore). `range_test` runs with its defaults (progress bar, divergence check, full
snapshot and restore); torch-lr-finder too (its constructor's snapshot, `range_test`, `reset()`).
The sweep ends at an lr low enough that nobody stops early, so every contender trains every step.
"""
import argparse, contextlib, io, itertools, math, os, statistics, sys, time, warnings
import torch


def digits_batches(batch_size, device):
    from sklearn.datasets import load_digits
    X, Y = load_digits(return_X_y=True)
    X, Y = torch.tensor(X/16, dtype=torch.float32, device=device), torch.tensor(Y, device=device)
    return [(X[i:i+batch_size], Y[i:i+batch_size]) for i in range(0, len(X) - batch_size + 1, batch_size)]


def mlp(width=128):
    return torch.nn.Sequential(torch.nn.Linear(64, width), torch.nn.ReLU(), torch.nn.Linear(width, width), torch.nn.ReLU(),
                               torch.nn.Linear(width, 10))


def cnn():
    "A mid-size CNN for 3×64×64 images (about 1.2 M parameters)."
    def block(i, o): return [torch.nn.Conv2d(i, o, 3, padding=1, bias=False), torch.nn.BatchNorm2d(o), torch.nn.ReLU()]
    return torch.nn.Sequential(*block(3, 32), *block(32, 64), torch.nn.MaxPool2d(2), *block(64, 128), torch.nn.MaxPool2d(2),
                               *block(128, 256), torch.nn.MaxPool2d(2), *block(256, 256), torch.nn.AdaptiveAvgPool2d(1),
                               torch.nn.Flatten(), torch.nn.Linear(256, 10))


def image_batches(n_batches, batch_size, device):
    g = torch.Generator(device='cpu').manual_seed(0)
    return [(torch.randn(batch_size, 3, 64, 64, generator=g).to(device), torch.randint(0, 10, (batch_size,), generator=g).to(device))
            for _ in range(n_batches)]


def accuracy(out, y): return (out.argmax(1) == y).float().mean()


def bare_loop(model, opt, dl, lrs, loss_fn, val=None, val_every=10):
    "The hand-written baseline: precomputed lrs, losses (and with `val`: accuracies, validation losses) kept on the device, one copy at the end."
    model.train()
    losses, accs, vals, batches = [], [], [], itertools.chain.from_iterable(itertools.repeat(dl))
    for i, (lr, (x, y)) in enumerate(zip(lrs, batches)):
        for g in opt.param_groups: g['lr'] = lr
        opt.zero_grad(set_to_none=True)
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        opt.step()
        losses.append(loss.detach())
        if val is not None:
            with torch.no_grad(): accs.append(accuracy(out, y))
            if i % val_every == val_every - 1 or i == len(lrs) - 1:
                model.eval()
                with torch.no_grad(): vals.append(sum(loss_fn(model(vx), vy) for vx, vy in val) / len(val))
                model.train()
    return torch.stack(losses + accs + vals).tolist()


def run_ours(model, opt, dl, lrs, loss_fn, args, **kw):
    from lrwidgets import range_test
    rec = range_test(model, opt, dl, loss_fn, start_lr=lrs[0], end_lr=lrs[-1], num_iter=len(lrs), extend=None,
                     progress=args.progress, **kw)
    assert len(rec) == len(lrs), rec
    return rec.losses


def run_ours_val(model, opt, dl, lrs, loss_fn, args):
    return run_ours(model, opt, dl, lrs, loss_fn, args, val_data=args.val, metrics=dict(acc=accuracy))


def run_ours_hook(model, opt, dl, lrs, loss_fn, args):
    return run_ours(model, opt, dl, lrs, loss_fn, args, on_check=lambda lrs, losses, total: None)


def run_repeats(model, opt, dl, lrs, loss_fn, args):
    from lrwidgets import range_test
    recs = range_test(model, opt, dl, loss_fn, start_lr=lrs[0], end_lr=lrs[-1], num_iter=len(lrs), extend=None,
                      progress=args.progress, repeats=3)
    assert [len(r) for r in recs] == [len(lrs)] * 3


def run_separately(model, opt, dl, lrs, loss_fn, args):
    from lrwidgets import range_test
    for seed in range(3):
        rec = range_test(model, opt, dl, loss_fn, start_lr=lrs[0], end_lr=lrs[-1], num_iter=len(lrs), extend=None,
                         progress=args.progress, seed=seed)
        assert len(rec) == len(lrs)


def run_tlf(model, opt, dl, lrs, loss_fn, args):
    from torch_lr_finder import LRFinder
    finder = LRFinder(model, opt, loss_fn, device=args.device)
    with contextlib.redirect_stdout(io.StringIO()):          # it prints a line per run
        finder.range_test(dl, start_lr=lrs[0], end_lr=lrs[-1], num_iter=len(lrs), step_mode='exp')
    finder.reset()
    assert len(finder.history['lr']) == len(lrs)
    return finder.history['loss']


CONTENDERS = {'bare loop': lambda m, o, dl, lrs, lf, a: bare_loop(m, o, dl, lrs, lf), 'range_test': run_ours, 'torch-lr-finder': run_tlf,
              'bare loop, val+acc': lambda m, o, dl, lrs, lf, a: bare_loop(m, o, dl, lrs, lf, a.val),
              'range_test, val+acc': run_ours_val, 'range_test, on_check': run_ours_hook}
PAIRS = (('range_test', 'bare loop'), ('torch-lr-finder', 'bare loop'), ('range_test', 'torch-lr-finder'),
         ('range_test, val+acc', 'bare loop, val+acc'), ('range_test, on_check', 'range_test'))
TARGETS = {('range_test', 'bare loop'): 1.03, ('range_test, val+acc', 'bare loop, val+acc'): 1.03}   # by the ratio of minima
REPEATS = {'repeats=3': run_repeats, '3 separate calls': run_separately}


def setup(make_model, batches, args):
    "What every contender shares: the device, the initial weights, the data, the lrs and the loss; `args.val` the validation batches."
    device = torch.device(args.device)
    torch.manual_seed(0)
    init = {k: v.clone() for k, v in make_model().to(device).state_dict().items()}
    # torch-lr-finder wants a DataLoader; batch_size=None serves the ready-made batches as they are, to everyone
    dl = torch.utils.data.DataLoader(batches, batch_size=None, collate_fn=lambda b: b)
    from lrwidgets.engine import sweep_lrs      # imported here so that a refused run starts and ends quickly
    args.val = batches[-2:]                                   # the validation batches of the val+acc contenders
    return device, init, dl, sweep_lrs(args.start_lr, args.end_lr, args.iters).tolist(), torch.nn.functional.cross_entropy


def fresh(make_model, init, device, lrs):
    "The model at its initial weights and a new optimizer: each contender's starting point."
    model = make_model().to(device)
    model.load_state_dict(init)
    return model, torch.optim.SGD(model.parameters(), lr=lrs[0], momentum=0.9)


def paired_interval(times_a, times_b, level=0.95, resamples=2000) -> tuple:
    """Bootstrap interval of the median of the paired ratios `times_a[i] / times_b[i]`: how far the machine's noise
    leaves the answer open. A target can be read from the ratios only when the interval is narrower than the gap to it."""
    import random
    ratios = [x/y for x, y in zip(times_a, times_b)]
    rng, n = random.Random(0), len(ratios)
    meds = sorted(statistics.median(rng.choices(ratios, k=n)) for _ in range(resamples))
    cut = int((1 - level) / 2 * resamples)
    return meds[cut], meds[-cut - 1]


def bench(name, make_model, batches, args, contenders=None, pairs=PAIRS):
    device, init, dl, lrs, loss_fn = setup(make_model, batches, args)
    contenders = contenders or CONTENDERS
    times, cpu = {k: [] for k in contenders}, {k: [] for k in contenders}
    peaks = {k: [] for k in contenders}
    names = list(contenders)
    for rep in range(args.reps + 1):                          # repetition 0 warms up and is not counted
        order = names[rep % len(names):] + names[:rep % len(names)]
        for k in order:
            model, opt = fresh(make_model, init, device, lrs)
            if device.type == 'cuda':
                torch.cuda.synchronize(); torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
                base = torch.cuda.memory_allocated()
            t, c = time.perf_counter(), time.thread_time()
            contenders[k](model, opt, dl, lrs, loss_fn, args)
            if device.type == 'cuda': torch.cuda.synchronize()
            dt, dc = time.perf_counter() - t, time.thread_time() - c
            if rep:
                times[k].append(dt); cpu[k].append(dc)
                if device.type == 'cuda': peaks[k].append(torch.cuda.max_memory_allocated() - base)
            del model, opt
    print(f"\n{name}: {args.iters} steps, {args.reps} interleaved repetitions, device {device}")
    for what, ts in (('wall time', times), ('CPU time of this thread', cpu)):
        med = {k: statistics.median(v) for k, v in ts.items()}
        print(f"  {what}:")
        for k in names:
            print(f"    {k:20s} median {med[k]*1e3:8.1f} ms  (min {min(ts[k])*1e3:.1f}, max {max(ts[k])*1e3:.1f})")
        for a, b in pairs:
            paired = statistics.median(x/y for x, y in zip(ts[a], ts[b]))
            lo, hi = paired_interval(ts[a], ts[b])
            print(f"    {a} / {b}: {med[a]/med[b]:.3f} (ratio of medians), {paired:.3f} (median of paired ratios, "
                  f"95% CI {lo:.3f}-{hi:.3f}), {min(ts[a])/min(ts[b]):.3f} (ratio of minima)")
    if device.type == 'cuda':
        for k in names: print(f"  peak GPU memory above the model, {k:20s}: {max(peaks[k])/2**20:.2f} MiB")
        if 'range_test' in peaks: print(f"  range_test peak / bare loop peak: {max(peaks['range_test'])/max(peaks['bare loop']):.4f}")
    return times


def judged(times, targets) -> bool:
    "Print each target against the ratio of minima of the wall times; True when all are met."
    ok = True
    for (a, b), target in targets.items():
        r = min(times[a]) / min(times[b])
        lo, hi = paired_interval(times[a], times[b])
        agree = hi <= target if r <= target else lo > target     # the whole interval on the same side as the minima
        settled = 'the paired ratios agree' if agree else 'the paired ratios leave it open: too noisy a machine to settle it'
        print(f"  target {a} / {b} <= {target}: {r:.3f} (ratio of minima) {'met' if r <= target else 'MISSED'}; "
              f"paired 95% CI {lo:.3f}-{hi:.3f}, {settled}")
        ok &= r <= target
    return ok


COUNTED = ('bare loop', 'range_test')   # the contenders whose instructions --instructions counts


def run_only(name, args):
    "Run contender `name` `args.reps` times on the MLP on digits, and nothing else (what --instructions runs under callgrind)."
    device, init, dl, lrs, loss_fn = setup(mlp, digits_batches(64, args.device), args)
    for _ in range(args.reps): CONTENDERS[name](*fresh(mlp, init, device, lrs), dl, lrs, loss_fn, args)


def callgrind_events(stderr:str) -> dict:
    "Callgrind's totals by event name (`Ir`; with --cache-sim=yes --branch-sim=yes also `I1mr`, `D1mr`, ..., `Bcm`, `Bim`)."
    import re
    names, counts = re.search(r'Events +: (.+)', stderr), re.search(r'Collected +: (.+)', stderr)
    if not (names and counts): return {}
    return dict(zip(names.group(1).split(), map(int, counts.group(1).split())))


def l1_misses(e:dict) -> int: return e['I1mr'] + e['D1mr'] + e['D1mw']
def ll_misses(e:dict) -> int: return e['ILmr'] + e['DLmr'] + e['DLmw']
def mispredicts(e:dict) -> int: return e['Bcm'] + e['Bim']


def cycle_estimate(e:dict) -> float:
    """Callgrind's (KCachegrind's) cycle estimate from the simulated caches and branch predictor: instructions, plus
    10 cycles per first-level miss and per mispredicted branch, plus 100 per last-level miss."""
    return e['Ir'] + 10 * (l1_misses(e) + mispredicts(e)) + 100 * ll_misses(e)


def instructions(args) -> dict:
    """Instructions per range test of each of `COUNTED`, counted by valgrind's callgrind: repeatable where wall time on a
    shared or virtual machine is not (to about 1% of a contender's count, the ratio to about 0.01: each process has its
    own hash seed and addresses, so run it twice before reading a change smaller than that), though blind to what costs
    time without instructions (cache misses, stalls); `--cache-sim` adds simulated cache misses, branch mispredictions and the cycle estimate built from them (twice as slow).
    Each contender runs 1 and 3 times in its own process; half the difference is one run, without imports or warm-up.
    range_test runs without its progress bar: the bar redraws every 0.2 s of wall time, ten times as often at valgrind's pace."""
    import shutil, subprocess
    if shutil.which('valgrind') is None: sys.exit("bench/range_test.py --instructions: needs valgrind (e.g. apt-get install valgrind)")
    sim = ['--cache-sim=yes', '--branch-sim=yes'] if args.cache_sim else []
    runs = {(k, n): subprocess.Popen(['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', *sim, sys.executable, __file__,
                                      '--only', k, '--reps', str(n), '--iters', str(args.iters), '--threads', str(args.threads), '--no-progress'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for k in COUNTED for n in (1, 3)}
    events = {}
    for (k, n), p in runs.items():
        err = p.communicate()[1]
        events[k, n] = callgrind_events(err)
        if p.returncode or 'Ir' not in events[k, n]: sys.exit(f"bench/range_test.py --instructions: callgrind failed for {k!r}:\n{err[-2000:]}")
    per_run = {k: {e: (events[k, 3][e] - events[k, 1][e]) / 2 for e in events[k, 1]} for k in COUNTED}
    print(f"per {args.iters}-step range test (valgrind callgrind{', simulated caches and branches' if args.cache_sim else ''}, "
          "MLP on digits, CPU; range_test without its progress bar):")
    for line in count_lines(per_run, args.iters): print(line)
    return per_run


def count_lines(per_run:dict, iters:int) -> list[str]:
    "One line per count in `per_run` (callgrind's events of one run of each of `COUNTED`): both contenders and their ratio."
    rows = [('instructions', lambda e: e['Ir'])]
    if 'Bcm' in per_run['bare loop']:     # simulated caches and branches
        rows += [('first-level cache misses', l1_misses), ('last-level cache misses', ll_misses),
                 ('mispredicted branches', mispredicts), ('cycle estimate', cycle_estimate)]
    lines = []
    for what, of in rows:
        b, a = of(per_run['bare loop']), of(per_run['range_test'])
        lines.append(f"  {what:25s} bare loop {b/1e6:9.2f} M, range_test {a/1e6:9.2f} M: range_test / bare loop {a/b:.4f} "
                     f"({(a - b)/iters:,.0f} more per step, fixed costs included)")
    return lines


def opcodes(args) -> dict:
    """Python bytecodes per step of each of `COUNTED`, by function (`sys.settrace`'s opcode events), and each one's fixed
    bytecodes per call: deterministic and quick, they show which of range_test's functions the per-step overhead is in.
    C work (torch's kernels, tensor copies) is not counted; --instructions counts everything."""
    import collections
    args.progress = False     # the bar redraws by wall time, which tracing slows thirtyfold
    device, init, dl, lrs, loss_fn = setup(mlp, digits_batches(64, 'cpu'), args)

    def count(name, n):
        counts = collections.Counter()
        def trace(frame, event, arg):
            frame.f_trace_opcodes = True
            if event == 'opcode': counts[os.path.basename(frame.f_code.co_filename), frame.f_code.co_name] += 1
            return trace
        model, opt = fresh(mlp, init, device, lrs)
        sys.settrace(trace)
        try: CONTENDERS[name](model, opt, dl, lrs[:n], loss_fn, args)
        finally: sys.settrace(None)
        return counts

    n = args.iters
    per_step, fixed = {}, {}
    for k in COUNTED:
        CONTENDERS[k](*fresh(mlp, init, device, lrs), dl, lrs[:n], loss_fn, args)     # warm-up: lazy imports, caches
        short, long = count(k, n // 2), count(k, n)
        per_step[k] = {f: (long[f] - short[f]) / (n - n // 2) for f in long if long[f] != short[f]}
        fixed[k] = sum(short.values()) - n // 2 * sum(per_step[k].values())
    print("Python bytecodes (sys.settrace opcode events; MLP on digits, CPU; range_test without its progress bar):")
    for k in COUNTED: print(f"  {k:12s} {sum(per_step[k].values()):7.1f} per step, {fixed[k]:8.0f} per call")
    print("  range_test's own functions, per step:")
    for (file, fn), c in sorted(per_step['range_test'].items(), key=lambda kv: -kv[1]):
        if file == 'engine.py' and c >= 0.5: print(f"    {c:6.1f}  {fn}")
    return per_step


PARTS = (('argument checks', 'engine', '_settings'), ('snapshot', '_Snapshot', '__init__'), ('first batch', '_Batches', 'peek'),
         ('progress bar', '_Progress', '__init__'), ('block checks', '_Rows', 'check'), ('progress bar', '_Progress', 'close'),
         ('restore', '_Snapshot', 'restore'), ('metadata', 'engine', '_meta'), ('Recording', 'Recording', 'from_arrays'))
REPLAYED = ('argument checks', 'snapshot', 'metadata', 'Recording')   # free of side effects: called again, warm, to compare


@contextlib.contextmanager
def parts_timed(spent:dict, calls:list):
    """Inside, each of range_test's `PARTS` adds its wall time to `spent[part]`, and the calls of the `REPLAYED` parts
    go to `calls` as `(part, fn, args, kwargs)`, to be timed again."""
    from lrwidgets import engine
    saved = []
    for part, owner, name in PARTS:
        obj = engine if owner == 'engine' else getattr(engine, owner)
        raw, fn = vars(obj)[name], getattr(obj, name)
        def timed(*a, _fn=fn, _part=part, **kw):
            t = time.perf_counter()
            try: return _fn(*a, **kw)
            finally:
                spent[_part] = spent.get(_part, 0.) + time.perf_counter() - t
                if _part in REPLAYED: calls.append((_part, _fn, a, kw))
        setattr(obj, name, staticmethod(timed) if isinstance(raw, classmethod) else timed)
        saved.append((obj, name, raw))
    try: yield
    finally:
        for obj, name, raw in saved: setattr(obj, name, raw)


def warm_time(fn, a, kw, times=20) -> float:
    "The least wall time of `times` calls of `fn(*a, **kw)` back to back: what the call costs with its code and data in cache."
    best = math.inf
    for _ in range(times):
        t = time.perf_counter(); fn(*a, **kw); best = min(best, time.perf_counter() - t)
    return best


def parts(args) -> dict:
    """Where range_test's time beyond the bare loop's goes, timed in place: each of its `PARTS` (what a call costs once,
    and the block checks) inside real sweeps, the `REPLAYED` ones again back to back (warm) for comparison, and what is
    left against the bare loop, which is the Python of every step. Interleaved with the bare loop, `args.reps` times; medians."""
    device, init, dl, lrs, loss_fn = setup(mlp, digits_batches(64, 'cpu'), args)
    bare, rest, spent_runs, calls_runs = [], [], [], []
    for rep in range(args.reps + 1):                  # repetition 0 warms up and is not counted
        for k in (('bare loop', 'range_test') if rep % 2 else ('range_test', 'bare loop')):
            model, opt = fresh(mlp, init, device, lrs)
            spent, calls = {}, []
            with (parts_timed(spent, calls) if k == 'range_test' else contextlib.nullcontext()):
                t = time.perf_counter()
                CONTENDERS[k](model, opt, dl, lrs, loss_fn, args)
                dt = time.perf_counter() - t
            if not rep: continue
            if k == 'bare loop': bare.append(dt); continue
            rest.append(dt - sum(spent.values())); spent_runs.append(spent); calls_runs.append(calls)
    warm_runs = []                                    # replayed after all the timed runs, which they would warm up
    for calls in calls_runs:
        warm = {}
        for part, fn, a, kw in calls: warm[part] = warm.get(part, 0.) + warm_time(fn, a, kw)
        warm_runs.append(warm)
    per_part = {part: statistics.median(s[part] for s in spent_runs) for part in dict.fromkeys(p for p, *_ in PARTS)}
    in_place, base = statistics.median(sum(s.values()) for s in spent_runs), statistics.median(bare)
    per_step = statistics.median(r - b for r, b in zip(rest, bare)) / args.iters
    print(f"range_test's parts, timed in place in {args.reps} {args.iters}-step sweeps interleaved with the bare loop "
          f"(MLP on digits, CPU{'' if args.progress else ', no progress bar'}; medians):")
    print(f"  {'part':16s} {'in place':>9s} {'warm':>9s}")
    for part, v in per_part.items():
        warm = f"{statistics.median(w[part] for w in warm_runs)*1e3:6.3f} ms" if part in REPLAYED else ''
        print(f"  {part:16s} {v*1e3:6.3f} ms {warm:>9s}")
    print(f"  all parts        {in_place*1e3:6.3f} ms: {in_place/base:.1%} of the bare loop's {base*1e3:.1f} ms")
    print(f"  every step       {per_step*1e6:6.1f} µs more than the bare loop's ({per_step*args.iters/base:.1%}): range_test less its parts, "
          "paired with the bare loop")
    return dict(per_part, per_step=per_step, bare=base)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--device', default='cpu', help="'cpu' (default) or 'cuda'")
    p.add_argument('--reps', type=int, default=30, help='timed repetitions of each contender (after one warm-up)')
    p.add_argument('--iters', type=int, default=300, help='steps of each range test')
    p.add_argument('--threads', type=int, default=1, help='torch CPU threads (1 keeps a shared machine quieter)')
    p.add_argument('--start-lr', type=float, default=1e-5)
    p.add_argument('--end-lr', type=float, default=0.1, help='low enough that no contender stops early')
    p.add_argument('--no-progress', dest='progress', action='store_false', help="range_test without its progress bar")
    p.add_argument('--no-targets', dest='targets', action='store_false', help="print the ratios but exit 0 whatever they are (smoke runs)")
    p.add_argument('--instructions', action='store_true', help="count instructions under valgrind's callgrind instead of timing (CPU; minutes)")
    p.add_argument('--cache-sim', action='store_true', help="with --instructions: simulate the caches and branch predictor too, and estimate cycles")
    p.add_argument('--opcodes', action='store_true', help="count Python bytecodes per step and per call, by function, instead of timing (CPU; seconds)")
    p.add_argument('--parts', action='store_true', help="time range_test's parts in place (fixed costs, block checks) and what each step adds (CPU)")
    p.add_argument('--only', choices=CONTENDERS, help=argparse.SUPPRESS)     # one contender, --reps times, untimed (for --instructions)
    args = p.parse_args(argv)
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        sys.exit(f"bench/range_test.py: --device {args.device} needs a CUDA GPU, but torch.cuda.is_available() is False "
                 f"(torch {torch.__version__}); run without --device for the CPU benchmark")
    if not (args.device == 'cpu' or args.device.startswith('cuda')): sys.exit(f"bench/range_test.py: unknown --device {args.device!r}")
    if args.cache_sim and not args.instructions: sys.exit("bench/range_test.py: --cache-sim goes with --instructions")
    if (args.instructions or args.opcodes or args.parts) and args.device != 'cpu':
        sys.exit("bench/range_test.py: --instructions, --opcodes and --parts measure on the CPU; leave out --device")
    torch.set_num_threads(args.threads)
    warnings.filterwarnings('ignore')
    if args.only: return run_only(args.only, args)
    if args.instructions: return instructions(args)
    if args.opcodes: return opcodes(args)
    if args.parts: return parts(args)
    print(f"torch {torch.__version__}, {args.threads} thread(s), load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    ok = True
    if args.device == 'cpu':
        ok &= judged(bench('MLP 64-128-128-10 on digits, batch 64', mlp, digits_batches(64, 'cpu'), args), TARGETS)
        bench('repeats=3 against 3 separate calls (MLP on digits)', mlp, digits_batches(64, 'cpu'), args, REPEATS,
              (('repeats=3', '3 separate calls'),))
    else:
        ok &= judged(bench('launch-bound MLP on digits, batch 64', mlp, digits_batches(64, args.device), args), TARGETS)
        ok &= judged(bench('CNN (1.2 M params) on 3x64x64 images, batch 128', cnn, image_batches(16, 128, args.device), args), TARGETS)
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.targets and not ok: sys.exit("bench/range_test.py: a speed target was missed (ratios of minima above)")


if __name__ == '__main__':
    main()
