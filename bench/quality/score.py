"""Scores lr suggestions against the oracle grid (grid.json) by TRAINING at every reported suggestion, and chooses
the default rule by leave-one-task-out cross-validation.

For every task, 5 range tests (recs.py: `lrwidgets.range_test` at its defaults, cached in recordings.json):
  - candidates: every rule in `analysis.RULES` at several windows and settings (CANDIDATES), single runs and
    the median of 3 runs;
  - the peers' default pipelines (peers.py) on the same recordings, a fixed lr of 1e-2 and the library's default.
`.lr` is scored at a constant lr, `.upper` as OneCycleLR's max_lr (the peers' single number as both).

Selection is honest: for each held-out task, the candidate with the lowest mean normalized regret on the OTHER
tasks is chosen (those regrets estimated from the grid by interpolation in log lr, so that trying many
candidates costs no training), and then scored on the held-out task by actually training at its suggestions.
The CV numbers are the mean of those held-out scores; every method in the tables is trained (evals.json).

    python bench/quality/score.py     # writes evals.json, results.json, RESULTS.md (needs grid.json)
"""
import argparse, datetime, hashlib, importlib, math, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from common import TRAIN_SEEDS, SCHEDULES, evaluate, rel_regret, norm_regret, load_json, save_json, tasks_md5, cpu_seconds

FIXED_LR = 1e-2
TARGETS = (('lr', 'constant'), ('upper', 'onecycle'))
COMBINE_K = 3

RULE_KW = {'cautious': [dict(lr_at=a, up=u, lean=l) for a in (.5, .7) for u in (4., 8.) for l in (0., .5, 1.)]}   # rule constants chosen here too

def candidates():
    """{name: dict(rule=, window=, **rule_kw)}: the settings the default is chosen from (every rule at 4 windows, and the
    constants of RULE_KW; a setting equal to the rule's defaults is named without them)."""
    import inspect
    from lrwidgets import analysis as A
    out = {}
    for rule, fn in A.RULES.items():
        own = {k: p.default for k, p in inspect.signature(fn).parameters.items() if p.default is not p.empty}
        for kw in RULE_KW.get(rule, [{}]):
            args = ', '.join(f'{k}={v:g}' for k, v in kw.items() if own.get(k) != v)
            for w in (10, 20, 40, 80): out[f"{rule}{f'({args})' if args else ''} (w={w})"] = dict(rule=rule, window=w, **kw)
    return out

def _lu(s):
    "(lr, upper) of a Suggestion, None where missing."
    f = lambda v: None if v is None or not math.isfinite(v) else float(v)
    return f(s.lr), f(s.upper)

def trials(recs, k=1):
    "The 5 single runs, or for k > 1 the 5 cyclic k-tuples of them."
    n = len(recs)
    return list(recs) if k == 1 else [[recs[(i + j) % n] for j in range(k)] for i in range(n)]

def suggest_all(recs, configs, k=1):
    "{name: {task: [(lr, upper) per trial]}}."
    from lrwidgets import suggest
    out = {}
    for name, cfg in configs.items():
        cfg = dict(cfg); rule, window = cfg.pop('rule'), cfg.pop('window')
        out[name] = {t: [_lu(suggest(tr, rule, window=window, **cfg)) for tr in trials(rs, k)] for t, rs in recs.items()}
    return out

ALL_RUNS = 'lrwidgets default, median of all runs'   # what `lrwidgets run` reports: the median of every range test of a task

def peer_suggestions(recs):
    from peers import PEERS
    from lrwidgets import suggest
    out = {name: {t: [(lambda v: (v, v))(fn(r.lrs, r.losses)) for r in rs] for t, rs in recs.items()} for name, fn in PEERS.items()}
    out[f'fixed {FIXED_LR:g}'] = {t: [(FIXED_LR, FIXED_LR)] * len(rs) for t, rs in recs.items()}
    out['lrwidgets default'] = {t: [_lu(suggest(r)) for r in rs] for t, rs in recs.items()}
    out['lrwidgets default, median of 3'] = {t: [_lu(suggest(tr)) for tr in trials(rs, COMBINE_K)] for t, rs in recs.items()}
    out[ALL_RUNS] = {t: [_lu(suggest(list(rs)))] for t, rs in recs.items()}   # one reading per task: no spread
    return out

# --- losses: estimated from the grid (selection) or trained (reported) ------------------------------------
def estimator(grid):
    "est(task, schedule, lr): mean validation loss interpolated in log10(lr) between grid points (diverged = L0)."
    tables = {}
    for t, d in grid['tasks'].items():
        for s in SCHEDULES:
            l0 = d['untrained_loss']
            tables[t, s] = (np.log10(d[s]['lrs']), np.array([l0 if v is None else min(v, l0) for v in d[s]['val_loss']]))
    return lambda t, s, lr: None if lr is None else float(np.interp(math.log10(lr), *tables[t, s]))

def _key(task, schedule, lr): return f'{task}|{schedule}|{lr!r}'

def train_all(sugs, grid, cache, workers=2):
    "Trains every (task, schedule, suggested lr) of `sugs` not yet in `cache` (key -> [mean, per_seed])."
    cache = dict(cache)
    for t, d in grid['tasks'].items():   # grid points are evaluations too (same budget and seeds)
        for s in SCHEDULES:
            for lr, v, ps in zip(d[s]['lrs'], d[s]['val_loss'], d[s]['per_seed']): cache.setdefault(_key(t, s, lr), [v, ps])
    jobs = {(t, sch, lr) for m in sugs.values() for t, trs in m.items() for tr in trs
            for (lr, sch) in zip(tr, SCHEDULES) if lr is not None}
    todo = [j for j in jobs if _key(*j) not in cache]
    print(f'{len(jobs)} distinct (task, schedule, lr) to score, {len(todo)} to train', file=sys.stderr)
    def save(done):   # a long run killed halfway keeps what it trained
        if workers: save_json('evals.json', dict(tasks_md5=tasks_md5(), train_seeds=list(TRAIN_SEEDS),
                                                 evals=dict(sorted({**cache, **{_key(*j): [m, ps] for j, (m, ps) in done.items()}}.items()))))
    for j, (mean, ps) in evaluate(todo, workers, checkpoint=save).items(): cache[_key(*j)] = [mean, ps]
    return cache

def cell(trs, t, grid, loss):
    "Scores of one method on one task: per target, the lrs, losses, regrets, share good, seed spread, failures."
    d = grid['tasks'][t]; out = {}
    for i, (target, sch) in enumerate(TARGETS):
        o, thr, l0, cap = d[sch]['oracle'], d[sch]['good_threshold'], d['untrained_loss'], d['trivial_loss']
        lrs = [tr[i] for tr in trs]
        losses = [None if lr is None else loss(t, sch, lr) for lr in lrs]
        logs = [math.log10(lr) for lr in lrs if lr is not None]
        out[target] = dict(lrs=lrs, val_loss=losses,
                           norm=float(np.mean([norm_regret(v, o['val_loss'], l0) for v in losses])),
                           rel=float(np.mean([rel_regret(v, o['val_loss'], cap) for v in losses])),
                           good=float(np.mean([v is not None and v <= thr for v in losses])),
                           dist=float(np.median(np.abs(np.array(logs) - o['log10_lr']))) if logs else None,
                           spread=float(np.std(logs)) if len(logs) > 1 else None, failed=sum(lr is None for lr in lrs))
    return out

def score(sugs, grid, loss):
    return {m: {t: cell(trs, t, grid, loss) for t, trs in per.items()} for m, per in sugs.items()}

def mean_over(res_m, tasks, target, key):
    vs = [res_m[t][target][key] for t in tasks if res_m[t][target][key] is not None]
    return float(np.mean(vs)) if vs else None

def summary(res, tasks):
    out = {}
    for m, r in res.items():
        out[m] = {tg: {k: mean_over(r, tasks, tg, k) for k in ('norm', 'rel', 'good', 'spread')} | dict(
                  worst=max(r[t][tg]['norm'] for t in tasks), failed=sum(r[t][tg]['failed'] for t in tasks),
                  dist=float(np.median([r[t][tg]['dist'] for t in tasks if r[t][tg]['dist'] is not None] or [np.nan])))
                  for tg, _ in TARGETS}
    return out

def both(r, tasks):
    "The selection criterion: mean normalized regret over `tasks` of .lr (constant) and .upper (1cycle), averaged."
    return (mean_over(r, tasks, 'lr', 'norm') + mean_over(r, tasks, 'upper', 'norm')) / 2

def loto(est_res, tasks):
    "{held-out task: the candidate chosen on the other tasks}."
    return {h: min(est_res, key=lambda m: both(est_res[m], [t for t in tasks if t != h])) for h in tasks}

def paired_ci(res, a, b, tasks, target, key='norm'):
    "Mean over tasks of (a - b) and its 95 % t interval (pairs: tasks)."
    from scipy import stats
    d = np.array([res[a][t][target][key] - res[b][t][target][key] for t in tasks])
    h = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / math.sqrt(len(d))
    return dict(mean=float(d.mean()), lo=float(d.mean() - h), hi=float(d.mean() + h), wins=int((d < 0).sum()), losses=int((d > 0).sum()))

TRAINED_PEERS = ('fastai (valley)', 'fixed 0.01')   # also trained; the other peers are scored from the grid unless --train-peers
CV, CV3 = 'CV: chosen by LOTO', 'CV: chosen by LOTO, median of 3'   # the cross-validated rows (report.py names them)

def run(grid, cache, recs, workers=2, configs=None, train_peers=False):
    "Suggestions, CV selection, trainings and scores; returns (results, updated evaluation cache)."
    from lrwidgets import analysis as A
    tasks, t0 = list(recs), time.perf_counter()
    cands = configs or candidates()
    est = estimator(grid)
    single, triple = suggest_all(recs, cands), suggest_all(recs, cands, COMBINE_K)
    pool = {**single, **{f'{m}, median of 3': v for m, v in triple.items()}}
    est_res = score(pool, grid, est)
    singles = {m: est_res[m] for m in single}
    triples = {m: est_res[m] for m in pool if m.endswith('median of 3')}
    chosen, chosen3 = loto(singles, tasks), loto(triples, tasks)      # each task's setting, chosen without it
    insample, insample3 = (min(c, key=lambda m: both(c[m], tasks)) for c in (singles, triples))
    peers = peer_suggestions(recs)
    est_res.update(score(peers, grid, est))
    want = {}                                                  # what is trained
    for ch in (chosen, chosen3):
        for t in tasks: want.setdefault(ch[t], {})[t] = pool[ch[t]][t]
    for m in (insample, insample3): want[m] = pool[m]
    for m in peers:
        if train_peers or m in TRAINED_PEERS or m.startswith('lrwidgets'): want[m] = peers[m]
    cache = train_all(want, grid, cache, workers)
    trained = lambda t, s, lr: cache[_key(t, s, lr)][0]
    res = score(want, grid, trained)
    for r, src in ((res, res), (est_res, est_res)):
        r[CV], r[CV3] = ({t: src[ch[t]][t] for t in tasks} for ch in (chosen, chosen3))
    full = [m for m in res if set(res[m]) == set(tasks)]
    ours = (CV, CV3, 'lrwidgets default', 'lrwidgets default, median of 3')
    ci = lambda r, against: {m: {p: {tg: paired_ci(r, m, p, tasks, tg) for tg, _ in TARGETS} for p in against} for m in ours}
    meta = dict(command='python bench/quality/score.py' + (' --train-peers' if train_peers else ''), train_seeds=list(TRAIN_SEEDS), combine_k=COMBINE_K,
                default_rule=A.DEFAULT_RULE, default_window=A.DEFAULT_WINDOW, workers=workers, candidates=len(cands), train_peers=train_peers,
                seconds=round(time.perf_counter() - t0, 1), cpu_seconds=round(cpu_seconds(), 1),
                created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
                trained_methods=full, rows={t: [len(r) for r in rs] for t, rs in recs.items()},
                last_lr={t: [float(r.lrs[-1]) for r in rs] for t, rs in recs.items()},
                md5={m: hashlib.md5(Path(importlib.import_module(m).__file__).read_bytes()).hexdigest()[:8]
                     for m in ('lrwidgets.analysis', 'lrwidgets.engine')})
    est_top = sorted(singles, key=lambda m: both(singles[m], tasks))[:15]
    return dict(meta=meta, tasks=tasks, chosen=chosen, chosen3=chosen3, insample=insample, insample3=insample3,
                results={m: res[m] for m in full}, summary=summary({m: res[m] for m in full}, tasks),
                summary_est=summary({m: est_res[m] for m in (*ours, *peers)}, tasks),
                cis=ci(res, [p for p in peers if p in full and not p.startswith('lrwidgets')]), cis_est=ci(est_res, [p for p in peers if not p.startswith('lrwidgets')]),
                candidates=cands, estimated={m: both(est_res[m], tasks) for m in pool}, estimated_top=est_top,
                default_warnings=default_warnings(recs),
                repeats={tg: paired_ci(res, 'lrwidgets default, median of 3', 'lrwidgets default', tasks, tg) for tg, _ in TARGETS}), cache

def default_warnings(recs):
    "{task: [the kinds of warning (text before ':') of the default suggestion, per run]}."
    from lrwidgets import suggest
    return {t: [[w.split(':')[0] for w in suggest(r).warnings] for r in rs] for t, rs in recs.items()}

if __name__ == '__main__':
    import recs as R
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--train-peers', action='store_true', help='train every peer too (not only fastai and the fixed lr)')
    a = ap.parse_args()
    grid = load_json('grid.json')
    if grid is None or grid['meta'].get('tasks_md5') != tasks_md5():
        sys.exit("grid.json is missing or was made with another tasks.py: run python bench/quality/grid.py first")
    ev = load_json('evals.json') or {}
    cache = ev.get('evals', {}) if ev.get('tasks_md5') == tasks_md5() else {}   # stale trainings are redone
    out, cache = run(grid, cache, R.load(), workers=a.workers, train_peers=a.train_peers)
    save_json('evals.json', dict(tasks_md5=tasks_md5(), train_seeds=list(TRAIN_SEEDS), evals=dict(sorted(cache.items()))))
    save_json('results.json', out, indent=None)
    from report import write_report
    write_report(out, grid, spread=load_json('spread.json'))
    print(f"scoring: {out['meta']['seconds']} s")
