"""Does a longer or a shorter sweep give a better or steadier default suggestion? The benchmark's range tests at 100
steps (the engine's default, cached in recordings.json) against the same tasks and seeds at 300 steps, and at 33 steps
with three times as many seeds, so that the median of three short sweeps costs what one 100-step sweep costs. All are
read by the library's default and scored from the oracle grid (interpolated, as the selection does; not trained).

    python bench/quality/sweep_length.py     # about a minute (the 300- and 33-step range tests)
"""
import math, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import load_json, disjoint_groups
import recs as R, score as S

SHORT, SHORT_SEEDS = 33, tuple(range(11, 26))   # 15 seeds: five disjoint triples, each the cost of one 100-step sweep

def report(runs, grid) -> list[str]:
    "Lines comparing `runs` ({steps: {task: [Recording]}}, 100, 300 and SHORT steps) by their scores on `grid`."
    tasks, est = list(runs[100]), S.estimator(grid)
    mean = lambda r, tg, k: float(np.mean([r[t][tg][k] for t in tasks if r[t][tg][k] is not None]))
    suggested = lambda recs, k=1: S.suggest_all(recs, {'default': dict(rule=None, window=None)}, k)
    one = {n: suggested(rs) for n, rs in runs.items()}          # {steps: {'default': {task: [(lr, upper) per run]}}}
    scored = lambda sugs: S.score(sugs, grid, est)['default']
    line = lambda r: f"{mean(r, 'lr', 'norm'):.3f} / {mean(r, 'upper', 'norm'):.3f}, spread {mean(r, 'lr', 'spread'):.2f}"
    triples = {t: disjoint_groups(rs, 3) for t, rs in runs[SHORT].items()}
    out = ["norm. regret .lr / .upper and seed spread (decades), estimated from the grid:"]
    out += [f"  {n} steps ({len(runs[n][tasks[0]])} runs): one run {line(scored(one[n]))}; "
            f"median of 3 (overlapping triples) {line(scored(suggested(runs[n], 3)))}" for n in (100, 300)]
    out.append(f"  {SHORT} steps ({len(runs[SHORT][tasks[0]])} runs): one run {line(scored(one[SHORT]))}; "
               f"median of 3 (disjoint triples, the cost of one 100-step run) {line(scored(suggested(triples)))}")
    for t in tasks:
        a, b, c = (np.median([math.log10(lr) for lr, _ in one[n]['default'][t]]) for n in (100, 300, SHORT))
        out.append(f"  {t:18s} median suggested lr: 1e{a:+.2f} at 100 steps, 1e{b:+.2f} at 300, 1e{c:+.2f} at {SHORT}; "
                   f"best constant lr 1e{grid['tasks'][t]['constant']['oracle']['log10_lr']:+.2f}")
    return out

def main():
    runs = {100: R.load()}
    runs[300] = R.range_tests(list(runs[100]), num_iter=300)
    runs[SHORT] = R.range_tests(list(runs[100]), seeds=SHORT_SEEDS, num_iter=SHORT)
    print('\n'.join(report(runs, load_json('grid.json'))))

if __name__ == '__main__':
    main()
