"""RESULTS.md from results.json + grid.json (python bench/quality/report.py re-renders it), and the summary
tables that bench/quality/tables.py writes into the README and the analysis chapter."""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import HERE, GOOD_TOL, load_json, tasks_md5
from score import CV, CV3, ALL_RUNS

PEERS = ('fastai (valley)', 'torch-lr-finder (steepest)', 'Lightning <2.5.3', 'Lightning >=2.5.3', 'fixed 0.01')

def _pct(v): return '–' if v is None else f"{100 * v:.0f}%"
def _f(v, d=2): return '–' if v is None else f"{v:.{d}f}"
def _r(v): return '–' if v is None else f"{v:.3f}"

def label(out, m):
    "A method's name in the tables."
    if m == CV: return '**lrwidgets default, cross-validated** (chosen by leave-one-task-out)'
    if m == CV3: return '**lrwidgets, median of 3 runs, cross-validated**'
    if m == 'lrwidgets default': return f"lrwidgets default (`{out['meta']['default_rule']}`, window {out['meta']['default_window']}; in-sample)"
    if m == 'lrwidgets default, median of 3': return 'lrwidgets default, median of 3 runs (in-sample)'
    if m == ALL_RUNS: return f"lrwidgets default, median of all {len(next(iter(out['meta']['rows'].values())))} runs (`lrwidgets run`'s default; in-sample; one reading per task)"
    return m

def summary_table(out, methods=None):
    "The headline table: mean normalized regret, share good, seed spread and failures, per target (trained unless marked)."
    methods = methods or [CV, CV3, 'lrwidgets default', 'lrwidgets default, median of 3', *([ALL_RUNS] if ALL_RUNS in out['summary'] else []), *PEERS]
    rows = ["| method | norm. regret, `.lr` at a constant lr | norm. regret, `.upper` as 1cycle max_lr | in the good set (const / 1cycle) | seed spread (decades) | worst task (const / 1cycle) | no answer |",
            "|---|---|---|---|---|---|---|"]
    for m in methods:
        trained = m in out['summary']
        a, b = (out['summary'] if trained else out['summary_est'])[m]['lr'], (out['summary'] if trained else out['summary_est'])[m]['upper']
        name = label(out, m) + ('' if trained else ' (estimated from the grid)')
        rows.append(f"| {name} | {_r(a['norm'])} | {_r(b['norm'])} | {_pct(a['good'])} / {_pct(b['good'])} | {_f(a['spread'])} "
                    f"| {_f(a['worst'])} / {_f(b['worst'])} | {a['failed']} |")
    return '\n'.join(rows)

def fresh_table(out, fresh):
    "Means over the tasks added after the default rule's first form was designed (trained methods only)."
    methods = [m for m in (CV, CV3, 'lrwidgets default', 'lrwidgets default, median of 3', *PEERS) if m in out['results']]
    rows = ["| method | norm. regret `.lr` | norm. regret `.upper` | in the good set (const / 1cycle) | per task `.lr` / `.upper` |", "|---|---|---|---|---|"]
    for m in methods:
        r = [out['results'][m][t] for t in fresh]
        mean = lambda tg, k: float(np.mean([c[tg][k] for c in r]))
        per = ', '.join(f"{c['lr']['norm']:.2f} / {c['upper']['norm']:.2f}" for c in r)
        rows.append(f"| {label(out, m)} | {_r(mean('lr', 'norm'))} | {_r(mean('upper', 'norm'))} | {_pct(mean('lr', 'good'))} / {_pct(mean('upper', 'good'))} | {per} |")
    return '\n'.join(rows)

def ci_table(out, ours=(CV, CV3), key='cis'):
    "Paired differences in normalized regret (ours - peer) over tasks, with t 95 % intervals."
    rows = ["| ours | peer | Δ norm. regret `.lr` (95 % CI), tasks won/lost | Δ norm. regret `.upper` (95 % CI), won/lost |", "|---|---|---|---|"]
    for a in ours:
        for p, d in out[key][a].items():
            c = [f"{x['mean']:+.3f} ({x['lo']:+.3f} … {x['hi']:+.3f}), {x['wins']}/{x['losses']}" for x in (d['lr'], d['upper'])]
            rows.append(f"| {label(out, a)} | {p} | {c[0]} | {c[1]} |")
    return '\n'.join(rows)

def task_table(grid, tasks):
    rows = ["| task | model, optimizer, data | budget | constant-lr oracle (val loss) | 1cycle oracle (val loss) | L0 (untrained / constant prediction) |",
            "|---|---|---|---|---|---|"]
    for t in tasks:
        d = grid['tasks'][t]; c, o = d['constant']['oracle'], d['onecycle']['oracle']
        rows.append(f"| {t} | {d['about']} | {d['steps']} × {d['batch_size']} | {c['lr']:.2g} ({c['val_loss']:.3f}) "
                    f"| {o['lr']:.2g} ({o['val_loss']:.3f}) | {d['untrained_loss']:.3f} |")
    return '\n'.join(rows)

def per_task_table(out, methods, target):
    tasks, res = out['tasks'], out['results']
    rows = ["| task | " + " | ".join(label(out, m) for m in methods) + " |", "|---" * (len(methods) + 1) + "|"]
    for t in tasks:
        cells = []
        for m in methods:
            c = res[m][t][target]
            cells.append(f"{c['norm']:.2f} / {_pct(c['good'])} / {_f(c['spread'])}" + (f", {c['failed']} none" if c['failed'] else ''))
        rows.append(f"| {t} | " + " | ".join(cells) + " |")
    return '\n'.join(rows)

def warnings_table(out, grid):
    "Do the default's warnings flag its bad suggestions? Mean normalized regret of the runs with each warning, and without any."
    res, rows = out['results']['lrwidgets default'], []
    runs = [(kinds, res[t]['lr']['val_loss'][i], t) for t, ks in out['default_warnings'].items() for i, kinds in enumerate(ks)]
    from common import norm_regret
    g = grid['tasks']
    nr = lambda v, t: norm_regret(v, g[t]['constant']['oracle']['val_loss'], g[t]['untrained_loss'])
    groups = {k: [nr(v, t) for ks, v, t in runs if k in ks] for k in sorted({k for ks, _, _ in runs for k in ks})}
    groups['(no warning)'] = [nr(v, t) for ks, v, t in runs if not ks]
    rows = ["| warning | runs | mean norm. regret of `.lr` | share with regret > 0.2 |", "|---|---|---|---|"]
    rows += [f"| {k} | {len(v)} | {np.mean(v):.2f} | {np.mean(np.array(v) > 0.2):.0%} |" for k, v in groups.items() if v]
    return '\n'.join(rows)

def repeats_text(out):
    "The median of 3 range tests against one, both with the default setting: paired over tasks."
    d, s = out['repeats'], out['summary']
    one, three = s['lrwidgets default'], s['lrwidgets default, median of 3']
    cells = [f"`.{tg}`: Δ norm. regret {d[tg]['mean']:+.3f} (95 % CI {d[tg]['lo']:+.3f} … {d[tg]['hi']:+.3f}; {d[tg]['wins']} tasks better, "
             f"{d[tg]['losses']} worse), seed spread {one[tg]['spread']:.2f} → {three[tg]['spread']:.2f} decades" for tg in ('lr', 'upper')]
    return "Median of 3 minus one run: " + '; '.join(cells) + "."

READERS = (('one', 'lrwidgets default, one run'), ('three', 'lrwidgets default, median of 3 independent runs'),
           ('median5', 'lrwidgets default, median of 5 independent runs'), ('median10', 'lrwidgets default, median of 10 independent runs'),
           ('fastai', 'fastai (valley), one run'))

def _means(per, target, key):
    "The mean over tasks of `per[task][target][key]`, leaving out tasks without one (None if none has it)."
    vs = [d[target][key] for d in per.values() if d[target][key] is not None]
    return float(np.mean(vs)) if vs else None

def _abs_offset(per, target):
    "The mean over tasks of |mean log10(lr / oracle lr)|: how far a reader sits from the oracle once its scatter is averaged out."
    vs = [abs(d[target]['offset']) for d in per.values() if d[target].get('offset') is not None]
    return float(np.mean(vs)) if vs else None

def thirty_table(spread):
    "Spread, regret and good share of each reader over spread.json's 30 range tests per task (grid-estimated)."
    rows = ["| reader | seed spread (decades, `.lr` / `.upper`) | mean \\|offset\\| from the oracle's lr (decades) | norm. regret, `.lr` / `.upper` (estimated) | in the good set (const / 1cycle) |",
            "|---|---|---|---|---|"]
    for k, name in READERS:
        per = spread['readers'].get(k)
        if per is None: continue                                   # made before that reader existed
        off = {tg: _abs_offset(per, tg) for tg in ('lr', 'upper')}
        rows.append(f"| {name} | {_f(_means(per, 'lr', 'spread'))} / {_f(_means(per, 'upper', 'spread'))} | {_f(off['lr'])} / {_f(off['upper'])} | "
                    f"{_r(_means(per, 'lr', 'norm'))} / {_r(_means(per, 'upper', 'norm'))} | {_pct(_means(per, 'lr', 'good'))} / {_pct(_means(per, 'upper', 'good'))} |")
    return '\n'.join(rows)

SIGMAS = (0., .1, .15, .2, .33)   # decades of scatter of a finder that is right on average

def floor_rows(grid, sigmas=SIGMAS) -> list:
    """[(sigma, {target: (mean norm. regret, mean good share)})]: a finder whose log10(lr) is the oracle's plus normal noise
    of sd `sigma` (no offset), scored from the grid as the readers are (Gauss-Hermite quadrature, 41 nodes)."""
    from score import estimator
    from common import SCHEDULES, norm_regret
    est, (z, w) = estimator(grid), np.polynomial.hermite_e.hermegauss(41)
    w = w / w.sum()
    out = []
    for sd in sigmas:
        per = {}
        for tg, sch in zip(('lr', 'upper'), SCHEDULES):
            regrets, goods = [], []
            for t, d in grid['tasks'].items():
                o = d[sch]['oracle']
                losses = [est(t, sch, 10 ** (o['log10_lr'] + sd * zi)) for zi in z]
                regrets.append(w @ [norm_regret(v, o['val_loss'], d['untrained_loss']) for v in losses])
                goods.append(w @ [v <= d[sch]['good_threshold'] for v in losses])
            per[tg] = (float(np.mean(regrets)), float(np.mean(goods)))
        out.append((sd, per))
    return out

EDGE_CUT = 0.5   # where training "stops working": the full budget's normalized regret reaches 0.5, half the gain lost

def edge_log10(d, schedule, cut=EDGE_CUT):
    """log10 of the lr above the oracle's at which task `d`'s normalized regret on the grid first reaches `cut`
    (interpolated in log10 lr between grid points), None if it does not within the grid."""
    from common import norm_regret
    lrs, o = np.log10(d[schedule]['lrs']), d[schedule]['oracle']
    reg = [norm_regret(v, o['val_loss'], d['untrained_loss']) for v in d[schedule]['val_loss']]
    for j in range(int(np.argmin(np.abs(lrs - o['log10_lr']))), len(lrs) - 1):
        if reg[j + 1] >= cut: return float(lrs[j] + (cut - reg[j]) / (reg[j + 1] - reg[j]) * (lrs[j + 1] - lrs[j]))
    return None

def edge_rule(grid, cut=EDGE_CUT, backoffs=np.arange(0, 2.001, 0.05)) -> dict:
    """{target: dict(gap, gap_sd, censored, backoff, norm, good)}: how far above the oracle's lr each task's edge
    (`edge_log10`) lies (mean and sd in decades, over the tasks whose edge is within the grid), and how a finder that knew
    every edge exactly and answered it less one back-off for all tasks would score, the back-off chosen on all tasks
    (in-sample: optimistic), estimated from the grid. A task without an edge gets its oracle's lr (kind)."""
    from score import estimator
    from common import SCHEDULES, norm_regret
    est, out = estimator(grid), {}
    for tg, sch in zip(('lr', 'upper'), SCHEDULES):
        tasks = grid['tasks']
        edges = {t: edge_log10(d, sch, cut) for t, d in tasks.items()}
        gaps = [e - tasks[t][sch]['oracle']['log10_lr'] for t, e in edges.items() if e is not None]
        def score(b):
            lrs = {t: 10 ** (tasks[t][sch]['oracle']['log10_lr'] if e is None else e - b) for t, e in edges.items()}
            losses = {t: est(t, sch, lr) for t, lr in lrs.items()}
            return (float(np.mean([norm_regret(v, tasks[t][sch]['oracle']['val_loss'], tasks[t]['untrained_loss']) for t, v in losses.items()])),
                    float(np.mean([v <= tasks[t][sch]['good_threshold'] for t, v in losses.items()])))
        b = min(backoffs, key=lambda b: score(b)[0])
        out[tg] = dict(gap=float(np.mean(gaps)) if gaps else None, gap_sd=float(np.std(gaps, ddof=1)) if len(gaps) > 1 else None,
                       censored=len(edges) - len(gaps),
                       backoff=float(b), norm=score(b)[0], good=score(b)[1])
    return out

def edge_text(edge, floor) -> str:
    "Where the optimum sits below the lr at which training stops working (`edge_rule`), and what knowing that lr exactly would score."
    lr, up, allowed = edge['lr'], edge['upper'], allowed_scatter(floor)
    return (f"Knowing where training stops working would not be enough either. The lr above the oracle's at which the full "
            f"budget's normalized regret reaches {EDGE_CUT} lies {_f(lr['gap'])} ± {_f(lr['gap_sd'])} decades above the "
            f"oracle's at a constant lr and {_f(up['gap'])} ± {_f(up['gap_sd'])} as 1cycle's peak (mean ± sd over the tasks; "
            f"{lr['censored']} and {up['censored']} without one inside the grid). A finder that knew that lr exactly on every task "
            f"and backed off from it by the best single factor for all of them ({_f(lr['backoff'])} and {_f(up['backoff'])} "
            f"decades, chosen on these tasks) would score {_r(lr['norm'])} / {_r(up['norm'])}, with {_pct(lr['good'])} / "
            f"{_pct(up['good'])} in the good set: how far below that edge the optimum sits differs from task to task by "
            f"{_f(lr['gap_sd'])} decades (sd), where the targets allow {_f(allowed)}." if allowed is not None else '')

def floor_table(floor) -> str:
    "What a finder that is right on average scores at each scatter (`floor_rows`): the scale of the targets."
    rows = ["| scatter of log10(lr) around the oracle's (decades) | norm. regret, `.lr` / `.upper` (estimated) | in the good set (const / 1cycle) |", "|---|---|---|"]
    rows += [f"| {sd:.2f} | {_r(p['lr'][0])} / {_r(p['upper'][0])} | {_pct(p['lr'][1])} / {_pct(p['upper'][1])} |" for sd, p in floor]
    return '\n'.join(rows)

def spread_sections(spread, grid):
    "The section made from spread.json (30 more range tests per task) and the grid's scale of the targets; empty without it."
    if spread is None: return ''
    m = spread['meta']
    if m.get('tasks_md5') != tasks_md5():
        return "## Thirty range tests per task\nspread.json was made with another tasks.py: run `python bench/quality/spread.py`.\n"
    floor = floor_rows(grid)
    return f"""## Thirty range tests per task
The five range tests per task above are few for a spread, and they may miss a rare bad reading: `spread.py` ran
{m['runs']} more per task (seeds {m['seeds'][0]}–{m['seeds'][1]}; {m['seconds']} s wall; {m['created'][:16]} UTC) and read them with the default, every disjoint group
of 3, 5 and 10 runs with the median of theirs (10, 6 and 3 groups per task), and fastai's `valley`. Nothing is trained:
regret and the good set are estimated from the grid, and the setting is the library's default (in-sample). The spread
is the standard deviation of log10(lr) (ddof=1); the offset, a task's mean log10(lr) less the oracle's: what is left
once the scatter is averaged out.

{thirty_table(spread)}

{thirty_text(spread)}

{selection_text(spread)}

### What the targets ask
A finder whose log10(lr) is the oracle's plus normal scatter of the given size, right on average, scored the same way
(estimated from the grid):

{floor_table(floor)}

{floor_text(spread, floor, grid)}

{edge_text(edge_rule(grid), floor)}
"""

def selection_text(spread):
    "Which setting leave-one-task-out picks on the thirty runs, for one run and for the medians (empty without it)."
    sel = spread.get('selection')
    if not sel: return ''
    from lrwidgets.analysis import DEFAULT_RULE, DEFAULT_WINDOW
    default = f"{DEFAULT_RULE} (w={DEFAULT_WINDOW})"
    part = lambda n, d: (f"{d['chosen'].get(default, 0)} of {sum(d['chosen'].values())} folds for "
                         f"{'one run' if str(n) == '1' else f'the median of {n}'} (cross-validated {_r(d['cv']['lr'])} / {_r(d['cv']['upper'])})")
    return ("The selection of the setting, made on these runs instead of the benchmark's five (leave one task out, the same "
            f"candidates, regrets estimated from the grid), picks the default (`{default}`) in " + '; '.join(part(n, d) for n, d in sel.items()) + '.')

def without_scatter(spread, grid, reader='one') -> dict:
    """{target: (mean norm. regret, good share)} of `reader` read exactly at its mean log10 lr on every task (the oracle's
    plus its offset in spread.json): what no scatter at all would leave, estimated from the grid."""
    from score import estimator
    from common import SCHEDULES, norm_regret
    est, out = estimator(grid), {}
    for tg, sch in zip(('lr', 'upper'), SCHEDULES):
        regrets, goods = [], []
        for t, d in grid['tasks'].items():
            o = d[sch]['oracle']
            v = est(t, sch, 10 ** (o['log10_lr'] + spread['readers'][reader][t][tg]['offset']))
            regrets.append(norm_regret(v, o['val_loss'], d['untrained_loss'])); goods.append(v <= d[sch]['good_threshold'])
        out[tg] = (float(np.mean(regrets)), float(np.mean(goods)))
    return out

def allowed_scatter(floor):
    "The largest scatter of `floor_rows` at which a finder right on average meets the targets (regret ≤ 0.05, 80 % good) on both schedules; None if none does."
    return max((sd for sd, p in floor if all(p[tg][0] <= 0.05 and p[tg][1] >= 0.8 for tg in ('lr', 'upper'))), default=None)

def floor_text(spread, floor, grid):
    "The scatter the targets allow (`floor_rows`), against the readers' spread and offset, and what the offset alone costs."
    ten, allowed = spread['readers'].get('median10'), allowed_scatter(floor)
    sd10 = ten and _means(ten, 'lr', 'spread')
    if sd10 is None or allowed is None: return ''                         # (no groups of ten: fewer runs)
    like = min(floor, key=lambda r: abs(r[0] - sd10))[1]                  # the row of about the same scatter
    alone = without_scatter(spread, grid)
    return (f"Regret ≤ 0.05 and 80 % in the good set on both schedules take a finder right on average to within "
            f"{allowed:.2f} decades. The median of ten runs scatters {_f(sd10)} decades but sits {_f(_abs_offset(ten, 'lr'))} "
            f"from the oracle's lr on average; its regret, {_r(_means(ten, 'lr', 'norm'))} / {_r(_means(ten, 'upper', 'norm'))} against "
            f"{_r(like['lr'][0])} / {_r(like['upper'][0])} for that scatter alone, is mostly the offset's. Read exactly at its mean "
            f"over the {spread['meta']['runs']} runs on every task, with no scatter at all, the default would score {_r(alone['lr'][0])} / "
            f"{_r(alone['upper'][0])}, with {_pct(alone['lr'][1])} / {_pct(alone['upper'][1])} in the good set. More runs shrink "
            "the scatter, not the offset: only a better reading of the curve can.")

def thirty_text(spread):
    "How the 30 runs compare with the benchmark's 5 (both read with the default and estimated from the grid)."
    five, one = spread['readers']['five'], spread['readers']['one']
    worse = sorted(((one[t]['lr']['norm'] - five[t]['lr']['norm'], t) for t in one), reverse=True)
    return (f"The benchmark's own five runs per task, read and estimated the same way, give {_r(_means(five, 'lr', 'norm'))} / "
            f"{_r(_means(five, 'upper', 'norm'))}, {_pct(_means(five, 'lr', 'good'))} / {_pct(_means(five, 'upper', 'good'))} in the good set "
            f"and a spread of {_f(_means(five, 'lr', 'spread'))} / {_f(_means(five, 'upper', 'spread'))}: five seeds missed rare bad readings, "
            "most on " + ', '.join(f"`{t}` ({d:+.2f})" for d, t in worse[:4]) + " at a constant lr. The tables above, made from those "
            "five, are that much too kind; the comparison with fastai holds on the thirty.")

def choice_table(out):
    rows = ["| held-out task | chosen on the other tasks (single run) | chosen (median of 3) |", "|---|---|---|"]
    rows += [f"| {t} | {out['chosen'][t]} | {out['chosen3'][t]} |" for t in out['tasks']]
    return '\n'.join(rows)

def write_report(out, grid, outdir=HERE, spread=None):
    "Writes RESULTS.md into `outdir` (with `spread`, spread.py's results, one more section)."
    from tasks import FRESH, FRESH2, FRESH3
    meta, gm = out['meta'], grid['meta']
    fresh, fresh2, fresh3 = ([t for t in group if t in out['tasks']] for group in (FRESH, FRESH2, FRESH3))
    ests = '\n'.join(f"| {m} | {out['estimated'][m]:.3f} |" for m in out['estimated_top'])
    text = f"""# Suggestion quality benchmark

Generated by `python bench/quality/report.py` from `results.json` (made by `{meta['command']}` on {meta['created'][:16]} UTC,
{meta['seconds']} s wall, {meta['cpu_seconds']} CPU-s, {meta['workers']} workers, {meta['candidates']} candidate settings; analysis.py md5
`{meta['md5']['lrwidgets.analysis']}`, engine.py `{meta['md5']['lrwidgets.engine']}`) and `grid.json` (made by `{gm['command']}`,
{gm['seconds']} s wall, {gm['cpu_seconds']} CPU-s). Do not edit by hand.

## Method
- **{len(out['tasks'])} tasks** (`tasks.py`; scikit-learn's bundled data or generated; CPU; no downloads), chosen to break rules.
- **Oracle grid** (`grid.py`): 1e-7 … 100 at 2 lrs per decade, then 4 per decade around each oracle; each trained for
  the task's budget at a constant lr and with `OneCycleLR(max_lr=lr)`; validation loss = mean over training seeds
  {gm['train_seeds']}. Oracle L* = the best grid point.
- **Normalized regret** = (L − L*) / (L0 − L*), L capped at L0: 0 is the oracle, 1 no better than not training. L0 is
  the better of the untrained model's loss and the best constant prediction's. **Relative regret** = (L − L*) / L*.
  **Good** = within {GOOD_TOL:.0%} of L* (relative). A rule that gives no lr, or a diverged training, scores L0.
- **Range tests** (`recs.py`): `lrwidgets.range_test` at its defaults, 5 seeds per task; every method reads the same
  recordings. `.lr` is trained at a constant lr, `.upper` as OneCycleLR's max_lr; a peer's single number is scored as
  both. Seed spread = std of log10(lr) over the 5 runs. "Median of 3" = `suggest([r1, r2, r3])` over the 5 cyclic
  triples of the 5 runs (they overlap, so its spread is optimistic: for normal scatter about 0.47 of one run's
  where independent triples give 0.67; "Thirty range tests per task" below measures independent ones).
- **Every reported suggestion is trained** at exactly its lr (3 seeds; `evals.json`). **Selection** of the default among
  {meta['candidates']} settings (rules × windows × parameters) is leave-one-task-out: for each task, the setting with the
  lowest mean normalized regret (`.lr` and `.upper` averaged) on the other tasks, those regrets *estimated* by
  interpolating the grid; the chosen setting is then trained on the held-out task. "CV" rows are those held-out scores.
  {"Every peer is trained too." if meta.get('train_peers') else "fastai's valley and the fixed lr are trained too; the other peers are scored from the grid by the same interpolation (marked; `score.py --train-peers` trains them as well)."}
  "In-sample" rows use the library's default, the single-run setting chosen on all tasks (the median-of-3 row applies
  that same setting to triples of runs): optimistic.
- Paired intervals: over tasks (t distribution, {len(out['tasks']) - 1} degrees of freedom).

## Summary (means over tasks)
{summary_table(out)}

## On the tasks added after the default rule was first designed
The first form of `cautious` (the lower of two readings for the bounds and the lr) was designed after looking at where
the rules failed on the first thirteen tasks, which cross-validation cannot account for. {len(fresh)} later tasks
({', '.join(f'`{t}`' for t in fresh)}) were added after that form was fixed: with it, their cross-validated normalized
regret was 0.058 (`.lr`) and 0.049 (`.upper`), a prospective check. `lean` (the constant lr leaning to the higher
reading) was added after looking at all the tasks, these included, so the table below, made with it, is **not**
prospective: it is their share of the tables above, cross-validated where it says so.

{fresh_table(out, fresh)}

## On the tasks added after the default took its current form
The last {len(fresh2)} tasks ({', '.join(f'`{t}`' for t in fresh2)}) were written after the default (`cautious` with
`lean` 1, `up` 4, window 10) was fixed on the eighteen tasks above, and before any of them was run. That default's
result on them, a prospective check: normalized regret 0.280 (`.lr`) and 0.340 (`.upper`), cross-validated 0.288 and
0.280, against fastai's `valley` 0.401 and 0.435. Two of the five failed it. A short budget (`digits_short_sgdm`, 40
steps): its best lr, 0.32, lies near the curve's minimum; a range test does not know the budget, and every finder
missed it. A regression on raw features (`friedman2_raw_sgdm`, 0.92 and 0.81): in two runs of five `cautious`
set aside `robust`'s right reading as lying before the valley's descent. The kept fall (`cautious`' `kept_fall`)
was added for that case afterwards, and `up` 8 won the selection once these tasks were in it, so the table below is
**not** prospective: it is their share of the tables above.

{fresh_table(out, fresh2)}

## On the tasks written after the default took its present form
The last {len(fresh3)} tasks ({', '.join(f'`{t}`' for t in fresh3)}) were written after the default (`cautious`, window
10, `up` 8, `lean` 1, the kept fall) was fixed on the twenty-three tasks above, and before any range test or rule was run
on them: the in-sample row of the table below is a prospective check of that default. The cross-validated rows choose
their setting on the other tasks, these included.

{fresh_table(out, fresh3)}

## Against each peer (paired over tasks; negative = ours better)
Trained on both sides (every peer that was trained):

{ci_table(out)}

Every peer, both sides estimated from the grid (the same interpolation the selection uses):

{ci_table(out, key='cis_est')}

## Tasks and oracles
{task_table(grid, out['tasks'])}

## Per task: normalized regret / share good / seed spread
`.lr` at a constant lr:

{per_task_table(out, [CV, CV3, 'lrwidgets default', 'fastai (valley)', 'fixed 0.01'], 'lr')}

`.upper` as 1cycle max_lr:

{per_task_table(out, [CV, CV3, 'lrwidgets default', 'fastai (valley)', 'fixed 0.01'], 'upper')}

## One run or the median of 3, same setting (the default)
{repeats_text(out)}

{spread_sections(spread, grid)}
## Do the warnings flag the bad suggestions?
The default's suggestion on each of the {sum(len(v) for v in out['default_warnings'].values())} range tests, grouped by the warnings `suggest` gave
(a run may have several):

{warnings_table(out, grid)}

## What leave-one-task-out chose
{choice_table(out)}

## Best settings in-sample (estimated from the grid, mean of the two targets' normalized regret)
| setting | est. norm. regret |
|---|---|
{ests}
"""
    disc = HERE / 'discussion.md'
    if disc.exists(): text += '\n' + disc.read_text()
    (Path(outdir) / 'RESULTS.md').write_text(text)

if __name__ == '__main__':
    write_report(load_json('results.json'), load_json('grid.json'), spread=load_json('spread.json'))
