"""Does a longer sweep give a better or steadier default suggestion? The benchmark's range tests at 100 steps (the
engine's default, cached in recordings.json) against the same tasks and seeds at 300 steps, both read by the library's
default and, alone and as medians of 3, scored from the oracle grid (interpolated, as the selection does; not trained).

    python bench/quality/sweep_length.py     # about half a minute (the 300-step range tests)
"""
import math, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import load_json
import recs as R, score as S

def main():
    from lrwidgets import suggest
    grid = load_json('grid.json'); est = S.estimator(grid)
    runs = {100: R.load()}
    runs[300] = R.range_tests(list(runs[100]), num_iter=300)
    tasks = list(runs[100])
    mean = lambda r, tg, k: float(np.mean([r[t][tg][k] for t in tasks if r[t][tg][k] is not None]))
    setting = {'default': dict(rule=None, window=None)}
    for n, recs in runs.items():
        one, three = (S.score(S.suggest_all(recs, setting, k), grid, est)['default'] for k in (1, 3))
        print(f"{n} steps: norm. regret .lr / .upper {mean(one, 'lr', 'norm'):.3f} / {mean(one, 'upper', 'norm'):.3f}, "
              f"seed spread {mean(one, 'lr', 'spread'):.2f}; median of 3: {mean(three, 'lr', 'norm'):.3f} / "
              f"{mean(three, 'upper', 'norm'):.3f}, spread {mean(three, 'lr', 'spread'):.2f} (estimated from the grid)")
    for t in tasks:
        a, b = (np.median([math.log10(suggest(r).lr) for r in runs[n][t]]) for n in (100, 300))
        print(f"  {t:18s} median suggested lr: 1e{a:+.2f} at 100 steps, 1e{b:+.2f} at 300; best constant lr "
              f"1e{grid['tasks'][t]['constant']['oracle']['log10_lr']:+.2f}")

if __name__ == '__main__':
    main()
