"""RESULTS.md and regret.png from results.json + grid.json (python bench/quality/report.py re-renders them)."""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import HERE, GOOD_TOL, load_json

RECOMMENDED = ('valley (w=40)', 'valley x3 seeds (w=40)')   # the recommendation in discussion.md, compared below too

def _pct(v): return '–' if v is None else f"{100 * v:.0f}%"
def _f(v, d=2): return '–' if v is None else f"{v:.{d}f}"
def _lr(v): return '–' if v is None else f"{v:.2g}"

def main_methods(out):
    "The rules (single and median of 3) at the default window and the best ones at any window, the peers, the fixed lr."
    dw = out['meta']['default_window']
    best = {best_single(out), best_single(out, 'combined'), *RECOMMENDED}   # the best/recommended windows too
    return [m for m, i in out['methods'].items() if i['family'] not in ('rule', 'combined') or i['window'] == dw or m in best]

def task_table(grid, tasks):
    rows = ["| task | model, optimizer, data | budget | constant-lr oracle (val loss) | good lrs (constant) | 1cycle oracle (val loss) | good max_lrs (1cycle) | trivial loss |",
            "|---|---|---|---|---|---|---|---|"]
    for t in tasks:
        d = grid['tasks'][t]; c, o = d['constant'], d['onecycle']
        g = lambda s: ', '.join(f"1e{e:+.2f}" for e in s['good_log10_lrs'])
        rows.append(f"| {t} | {d['about']} | {d['steps']} steps × {d['batch_size']} | {c['oracle']['lr']:.2g} ({c['oracle']['val_loss']:.3f}) | {g(c)} "
                    f"| {o['oracle']['lr']:.2g} ({o['oracle']['val_loss']:.3f}) | {g(o)} | {d['trivial_loss']:.3f} |")
    return '\n'.join(rows)

def method_table(out, methods, target):
    tasks, res, summ = out['tasks'], out['results'], out['summary']
    head = "| method | " + " | ".join(tasks) + " | **mean regret** | mean good | mean spread | median \\|Δlog10\\| | worst regret |"
    rows = [head, "|---" * (len(tasks) + 6) + "|"]
    for m in sorted(methods, key=lambda m: summ[m][target]['regret']):
        cells = []
        for t in tasks:
            c = res[m][t][target]
            fail = f", {c['failed']} none" if c['failed'] else ''
            cells.append(f"{_pct(c['regret'])} / {_pct(c['good'])} / {_f(c['spread'])}{fail}")
        s = summ[m][target]
        rows.append(f"| {m} | " + " | ".join(cells) + f" | **{_pct(s['regret'])}** | {_pct(s['good'])} | {_f(s['spread'])} | {_f(s['dist'])} | {_pct(s['worst'])} |")
    return '\n'.join(rows)

def window_table(out, family='rule'):
    "Mean regret (constant / 1cycle) and mean spread of .lr per rule and window."
    ws = out['meta']['windows']
    by = {(i['rule'], i['window']): m for m, i in out['methods'].items() if i['family'] == family}
    rules = sorted({r for r, _ in by})
    rows = ["| rule | " + " | ".join(f"w={w}" for w in ws) + " |", "|---" * (len(ws) + 1) + "|"]
    for r in rules:
        cells = []
        for w in ws:
            s = out['summary'][by[r, w]]
            cells.append(f"{_pct(s['lr']['regret'])} / {_pct(s['upper']['regret'])} ({_f(s['lr']['spread'])})")
        rows.append(f"| {r} | " + " | ".join(cells) + " |")
    return '\n'.join(rows)

def lr_table(out, grid, methods):
    "The suggested lrs themselves (median over trials) per task, next to the oracles."
    tasks = out['tasks']
    rows = ["| method | " + " | ".join(f"{t} lr / upper" for t in tasks) + " |", "|---" * (len(tasks) + 1) + "|",
            "| **oracle** | " + " | ".join(f"**{grid['tasks'][t]['constant']['oracle']['lr']:.2g} / {grid['tasks'][t]['onecycle']['oracle']['lr']:.2g}**" for t in tasks) + " |"]
    med = lambda v: None if not [x for x in v if x is not None] else float(np.exp(np.median(np.log([x for x in v if x is not None]))))
    for m in methods:
        rows.append(f"| {m} | " + " | ".join(f"{_lr(med(out['results'][m][t]['lr']['lrs']))} / {_lr(med(out['results'][m][t]['upper']['lrs']))}" for t in tasks) + " |")
    return '\n'.join(rows)

def per_trial_regrets(out, grid, m, target):
    "Relative regret of each (task, trial) of method `m`, in task order."
    from common import rel_regret
    sch = dict(lr='constant', upper='onecycle')[target]
    return np.array([rel_regret(v, grid['tasks'][t][sch]['oracle']['val_loss'], grid['tasks'][t]['trivial_loss'])
                     for t in out['tasks'] for v in out['results'][m][t][target]['val_loss']])

def best_single(out, family='rule'):
    "The method of `family` with the lowest mean of its constant and 1cycle regrets."
    return min((m for m, i in out['methods'].items() if i['family'] == family), key=lambda m: out['summary'][m]['both']['regret'])

def comparison_table(out, grid, ours):
    "Paired differences in regret (ours - baseline) over the (task, seed) pairs, with a bootstrap 95 % interval."
    rng = np.random.default_rng(0)
    base = [m for m, i in out['methods'].items() if i['family'] in ('peer', 'fixed')]
    rows = ["| ours | baseline | Δ regret .lr (95% CI), wins | Δ regret .upper (95% CI), wins | spread .lr ours vs baseline |", "|---|---|---|---|---|"]
    for a in ours:
        for b in base:
            cells = []
            for target in ('lr', 'upper'):
                d = per_trial_regrets(out, grid, a, target) - per_trial_regrets(out, grid, b, target)
                bs = [d[rng.integers(0, len(d), len(d))].mean() for _ in range(2000)]
                lo, hi = np.percentile(bs, [2.5, 97.5])
                cells.append(f"{100 * d.mean():+.1f} pts ({100 * lo:+.1f} … {100 * hi:+.1f}), {int(np.sum(d < 0))}/{len(d)}")
            sa, sb = out['summary'][a]['lr']['spread'], out['summary'][b]['lr']['spread']
            rows.append(f"| {a} | {b} | {cells[0]} | {cells[1]} | {_f(sa)} vs {_f(sb)} |")
    return '\n'.join(rows)

def plot(out, methods, path):
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    tasks, res, summ = out['tasks'], out['results'], out['summary']
    order = sorted(methods, key=lambda m: summ[m]['both']['regret'])
    fig, axes = plt.subplots(1, 2, figsize=(14, 0.32 * len(order) + 1.8), sharey=True)
    colors = dict(zip(tasks, plt.cm.tab10.colors))
    for ax, (target, title) in zip(axes, [('lr', '.lr trained at a constant lr'), ('upper', '.upper as OneCycleLR max_lr')]):
        for y, m in enumerate(order):
            for k, t in enumerate(tasks):
                c = res[m][t][target]
                ax.scatter([100 * c['regret']], [y + (k - 1.5) * 0.12], s=18, color=colors[t], label=t if y == 0 else None)
            ax.scatter([100 * summ[m][target]['regret']], [y], marker='|', s=250, color='k', label='mean over tasks' if y == 0 else None)
        ax.axvline(100 * GOOD_TOL, color='grey', ls=':', lw=1, label='5 % ("good")')
        ax.set_xscale('symlog', linthresh=10, linscale=0.7); ax.set_title(title)
        ax.set_xlabel('relative regret, % (mean over 5 seeds; symlog axis)')
        ticks = [-10, 0, 5, 10, 20, 50, 100, 200]
        ax.set_xticks(ticks, [str(t) for t in ticks]); ax.set_xlim(-15, 250); ax.grid(axis='x', alpha=.3)
    axes[0].set_yticks(range(len(order)), order); axes[0].invert_yaxis()
    fam = {m: out['methods'][m]['family'] for m in order}
    for lab in axes[0].get_yticklabels():
        f = fam[lab.get_text()]
        lab.set_color({'peer': 'tab:red', 'fixed': 'grey'}.get(f, 'black'))
        if f == 'combined': lab.set_fontstyle('italic')
    axes[1].legend(loc='upper right', fontsize=8)
    fig.suptitle('Regret of each rule (black: lrwidgets rules at the default window, italic: median of 3 range tests, '
                 'red: peers, grey: fixed lr)', fontsize=9)
    fig.tight_layout(); fig.savefig(path, dpi=90); plt.close(fig)

def write_report(out, grid, outdir=HERE):
    "Writes RESULTS.md and regret.png into `outdir`."
    outdir = Path(outdir)
    methods = main_methods(out)
    plot(out, methods, outdir / 'regret.png')
    meta, gm = out['meta'], grid['meta']
    dr, dw = meta['default_rule'], meta['default_window']
    ours = [m for m in dict.fromkeys([f'{dr} (w={dw})', *RECOMMENDED, best_single(out), best_single(out, 'combined')]) if m in out['methods']]
    n_pairs = sum(len(out['results'][ours[0]][t]['lr']['lrs']) for t in out['tasks'])
    disc = (HERE / 'discussion.md').read_text() if (HERE / 'discussion.md').exists() else ''
    text = f"""# Suggestion quality benchmark

Generated by `python bench/quality/report.py` from `results.json` (made by `{meta['command']}` on {meta['created'][:16]} UTC,
{meta['seconds']} s wall / {meta.get('cpu_seconds', '?')} CPU-s with {meta['workers']} workers, {meta.get('trained', '?')} of {meta.get('distinct', '?')}
(task, schedule, lr) points newly trained, the rest from `evals.json`; analysis.py md5 `{meta.get('md5', {}).get('lrwidgets.analysis', '?')[:8]}`)
and `grid.json` (made by `{gm['command']}`, {gm['seconds']} s wall with {gm['workers']} workers).
Do not edit by hand; the discussion comes from `discussion.md`.

## Method
- **Tasks** (`tasks.py`, fixed data, CPU, no downloads), chosen so that their best lrs lie decades apart.
- **Oracle grid** (`grid.py`): 33 lrs, 1e-7 … 10 (4 per decade), each trained for the task's budget with a constant lr and
  with `OneCycleLR(max_lr=lr, total_steps=budget)` (momentum cycled as torch does by default; not for plain SGD,
  which keeps momentum 0 as in its range test). Validation loss = mean over training seeds {gm['train_seeds']}.
  Oracle = the grid lr with the lowest validation loss.
- **Good** = validation loss ≤ oracle + {GOOD_TOL:.0%} × max(oracle, 5 % of the trivial loss). The trivial loss is that of
  the best constant prediction; every oracle here is far above 0 (label noise, irreducible noise), so this is simply
  "within 5 % of the oracle".
- **Relative regret** = (loss − oracle) / max(oracle, 5 % of trivial), with the loss of a diverged run (or one worse than
  trivial, or a rule that gave no lr) counted as the trivial loss. Every suggested lr is **actually trained** at exactly
  that lr (same budget and seeds as the grid; cached in `evals.json`), not interpolated. A suggestion between grid
  points can beat the grid oracle, so regret can be slightly negative.
- **Range tests**: `lrwidgets.range_test` at its defaults (1e-7 → 10, {meta['num_iter']} steps, stop at 5 × best), seeds
  {meta['range_test_seeds']} (model init, batch order). Every method reads the same recordings.
- `.lr` is scored against the constant-lr oracle, `.upper` against the 1cycle oracle. The peers give one number; it is
  scored as both (their docs feed it to one-cycle training as well). The peers' pipelines (smoothing, divergence stop,
  trimming, rule) are reimplemented from their source in `peers.py` and read our raw losses.
- **Spread** = std of log10(lr) over the 5 seeds (decades). Combined methods (`suggest([r1, r2, r3])`, median) are
  scored over the 5 cyclic triples of the 5 seeds, so they cost 3 range tests per suggestion. The triples overlap
  (each recording is in 3 of them), so their spread is somewhat optimistic next to independent triples.
- Cells: `regret / share good / spread` (mean over 5 seeds); sorted by mean regret over tasks.

## Tasks and oracles
{task_table(grid, out['tasks'])}

## `.lr` at a constant lr (rules at the default window {meta['default_window']}, plus the best rule at its best window)
{method_table(out, methods, 'lr')}

## `.upper` as OneCycleLR's max_lr
{method_table(out, methods, 'upper')}

![regret per rule](regret.png)

## The default and the best rules against the peers and a fixed lr
Paired over the {n_pairs} (task, seed) pairs: Δ = our regret − the baseline's (negative: ours better), mean in
percentage points, bootstrap 95 % interval over pairs, and how many pairs ours won. Pairs are not independent
(same tasks; the 3-seed medians share recordings), so read the intervals as rough. A fixed lr has no seed spread
by construction.

{comparison_table(out, grid, ours)}

## Suggested lrs (geometric median over seeds)
{lr_table(out, grid, methods)}

## Smoothing window
Cells: mean regret of `.lr` (constant) / of `.upper` (1cycle), and in brackets the mean seed spread of `.lr` (decades).
`robust` smooths with its own kernel, so the window only moves its divergence cut.

One range test per suggestion:

{window_table(out)}

Median of 3 range tests (`suggest([r1, r2, r3], window=w)`):

{window_table(out, 'combined')}

{disc}
"""
    (outdir / 'RESULTS.md').write_text(text)

if __name__ == '__main__':
    write_report(load_json('results.json'), load_json('grid.json'))
