"""Benchmark: a schedule's vectorized `lrs()` for 1 000 000 steps vs stepping torch's scheduler.

Run: `python bench/schedules.py [--steps 1000000] [--torch-steps 20000] [--repeats 5]`
Both sides run in this one process, interleaved (ours, torch, ours, torch, ...), and we report medians:
wall-clock and CPU (process) time, since the machine may be shared. Stepping torch for a million steps takes
seconds, so torch is timed on `--torch-steps` steps and extrapolated linearly (its cost per step is constant:
each `.step()` does the same work). Targets: lrs() <= 50 ms for 1e6 steps, >= 100x faster than torch.
"""
import argparse, os, statistics, sys, time
import numpy as np, torch
from lrwidgets import Cyclic, OneCycle, CosineAnnealing, Sequence, LinearWarmup

def timed(f):
    "Wall and CPU seconds of one call of `f`."
    w, c = time.perf_counter(), time.process_time()
    f()
    return time.perf_counter() - w, time.process_time() - c

def step_torch(schedule, n):
    "Step torch's twin of `schedule` `n` times, reading the lr each step (as a training loop would)."
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = schedule.to_torch(opt)
    opt.step()                                                 # once, so torch does not warn about the step order
    for _ in range(n):
        opt.param_groups[0]['lr']
        sched.step()

def main(steps=1_000_000, torch_steps=20_000, repeats=5):
    torch.set_num_threads(1)
    cases = {'OneCycle': OneCycle(0.01, total_steps=steps), 'Cyclic': Cyclic(1e-3, 1e-2, step_size_up=2000),
             'CosineAnnealing': CosineAnnealing(0.1, T_max=steps),
             'Sequence(warmup, cosine)': Sequence([LinearWarmup(0.1, 0.01, total_iters=steps//10), CosineAnnealing(0.1, steps - steps//10)])}
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; numpy {np.__version__}, torch {torch.__version__}")
    print(f"{'schedule':26s} {'lrs() 1e6 wall':>15s} {'cpu':>8s} {'torch 1e6 (extrap.) wall':>25s} {'cpu':>8s} {'ratio wall':>11s} {'ratio cpu':>10s}")
    ok = True
    for name, s in cases.items():
        ours, theirs = [], []
        s.lrs(1000); step_torch(s, 100)                       # warm up
        for _ in range(repeats):                               # interleaved
            ours.append(timed(lambda: s.lrs(steps)))
            w, c = timed(lambda: step_torch(s, torch_steps))
            theirs.append((w*steps/torch_steps, c*steps/torch_steps))
        ow, oc = (statistics.median(x) for x in zip(*ours))
        tw, tc = (statistics.median(x) for x in zip(*theirs))
        print(f"{name:26s} {ow*1e3:12.1f} ms {oc*1e3:5.1f} ms {tw:22.2f} s {tc:5.2f} s {tw/ow:10.0f}x {tc/oc:9.0f}x")
        ok &= oc <= 0.050 and tc/oc >= 100
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("targets (<= 50 ms CPU for 1e6 steps, >= 100x): " + ("met" if ok else "NOT met"))
    return ok

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--steps', type=int, default=1_000_000)
    p.add_argument('--torch-steps', type=int, default=20_000)
    p.add_argument('--repeats', type=int, default=5)
    a = p.parse_args()
    sys.exit(0 if main(a.steps, a.torch_steps, a.repeats) else 1)   # a missed target fails the run
