"""The standalone report: every grid entry is the Python analysis, text from a Recording is escaped, the
file stays small and self-contained, and odd recordings still give a report or a clear error."""
import html, itertools, json, re, time
from importlib.resources import files
import numpy as np
import pytest
from lrwidgets import Recording, synthetic
from lrwidgets import analyze, DEFAULT_RULE, DEFAULT_WINDOW, DEFAULT_DIVERGE_TH
from lrwidgets.plots import display_line
from lrwidgets.analysis import round3
from lrwidgets import OneCycle
from lrwidgets.html_report import report, report_grid, grid_entry, entry_data, WINDOWS, DIVERGE_THS

SHIPPED = files('lrwidgets')/'data'/'digits_mlp.parquet'

def grid_of(text):
    return json.loads(re.search(r'<script type="application/json" id="lrwidgets-grid">(.*?)</script>', text, re.S).group(1))

def test_every_entry_is_the_python_analysis():
    rec = Recording.load(SHIPPED)
    g = report_grid(rec)
    ths = [None if t == 'off' else float(t) for t in g['thresholds']]
    assert g['kinds'] == ['ema', 'sma']
    checked = 0
    for k, (w, kind, t, rule) in enumerate(itertools.product(g['windows'], g['kinds'], ths, g['rules'])):
        assert grid_entry(g, int(w), t, rule, kind) == k                    # entries in row-major order of the controls
        if k % 7: continue                                                  # a seventh of the 2000+ entries, over all controls
        a = analyze(rec, rule=rule, window=int(w), kind=kind, diverge_th=t)
        ro = g['readouts'][g['combo_readout'][k]]
        attr = lambda n: (lambda v: float(v) if v else None)(re.search(f'data-{n}="([^"]*)"', ro).group(1))
        assert (attr('lr'), attr('lower'), attr('upper')) == (a.suggestion.lr, a.suggestion.lower, a.suggestion.upper)
        d = entry_data(g, k)
        np.testing.assert_allclose(d['rt/smooth_0']['loss'], display_line(rec, a, int(w), kind)[:a.cut], rtol=5e-6)   # no lag
        np.testing.assert_allclose(d['rt/slope_0']['slope'], a.slope[:a.cut][np.isfinite(a.slope[:a.cut])], rtol=5e-6, atol=1e-12)
        assert len(d['rt/raw_after_0']['loss']) == np.isfinite(rec.losses[a.cut:]).sum()
        if a.suggestion.upper is not None:
            sched = OneCycle.from_suggestion(a.suggestion.rounded(), total_steps=rec.meta['total_steps'])   # as its code line
            assert max(d['sched/lr']['lr']) == pytest.approx(sched.lrs().max(), rel=5e-6)
            assert (d['sched/band']['lower'], d['sched/band']['upper']) == ([round3(a.suggestion.lower)], [round3(a.suggestion.upper)])
        checked += 1
    assert checked > 300
    sma = entry_data(g, grid_entry(g, 20, 4., 'valley', 'sma'))['rt/smooth_0']['loss']
    ema = entry_data(g, grid_entry(g, 20, 4., 'valley', 'ema'))['rt/smooth_0']['loss']
    assert len(sma) != len(ema) or not np.allclose(sma, ema)                 # the kinds really differ

def test_text_from_the_recording_is_escaped(tmp_path):
    evil = '<img src=x onerror=alert(1)></script><script>alert(2)</script>'
    rec = synthetic(200, seed=3, label=evil)
    rec.meta[evil] = {'model': evil, 'note': '</details><b>bold</b> & "quotes"'}
    text = report(rec, tmp_path/'r.html').read_text()
    for raw in ('<img src=x', '<script>alert', '<b>bold</b>'):
        assert raw not in text
    assert '&lt;img src=x onerror=alert(1)&gt;' in text                          # shown as text in the header/meta table
    g = grid_of(text)                                                           # the JSON block is intact and decodes ...
    assert [evil] in g['columns']                                               # the legend's label, as data
    assert g['start'] == grid_entry(g, DEFAULT_WINDOW, DEFAULT_DIVERGE_TH, DEFAULT_RULE)
    assert re.findall(r'<script[^>]*\bsrc=', text) == []                        # ... and nothing is loaded from anywhere

def test_size_and_downsampling(tmp_path):
    big = synthetic(50_000, seed=4)
    t = time.time()
    path = report(big, tmp_path/'big.html', windows=[5, 50], diverge_ths=[3., None], rules=['robust', 'valley'], max_points=400)
    took = time.time() - t
    g = grid_of(path.read_text())
    longest = max(len(c) for c in g['columns'] if isinstance(c, list))
    assert longest <= 2 * 50_000                                                # the bases are the full curves ...
    d = entry_data(g, g['start'])
    assert len(d['rt/raw_0']['lr']) <= 402                                      # ... what is drawn is downsampled
    assert path.stat().st_size < 2.5e6, path.stat().st_size                    # 1.65 MB of it is BokehJS (was 8 MB when
                                                                                # a 1-point marker pulled in its whole 50k-point curve)
    assert took < 60

def test_nan_losses_and_no_suggestion(tmp_path):
    rec = synthetic(150, seed=5)
    losses = rec.losses.copy(); losses[[40, 41, 90]] = np.nan; losses[-1] = np.inf
    odd = Recording.from_arrays(rec.lrs, losses, meta=dict(label='gaps'))
    g = grid_of(report(odd, tmp_path/'nan.html').read_text())                  # NaN/inf become null: valid JSON
    d = entry_data(g, g['start'])
    assert np.isfinite(d['rt/raw_0']['loss']).all()
    tiny = Recording.from_arrays([1e-3, 1e-2], [1., 2.], meta=dict(label='tiny'))
    with pytest.raises(ValueError, match='no setting of the grid gives a suggestion'):
        report(tiny, tmp_path/'tiny.html')
    assert not (tmp_path/'tiny.html').exists()

def test_report_file_is_world_readable_and_atomic(tmp_path):
    p = report(synthetic(120, seed=6), tmp_path/'r.html', windows=[10], diverge_ths=[None], rules=['steep'])
    assert p.stat().st_mode & 0o044 == 0o044
    assert [f.name for f in tmp_path.iterdir()] == ['r.html']                   # no temporary file left behind

# --- hostile arguments and meta: a report or an error naming the argument, never a raw failure -------------
from hypothesis import given, settings, strategies as st
from lrwidgets import suggest
from lrwidgets.html_report import preview_steps, report_grid, MAX_PREVIEW_STEPS

SMALL = dict(windows=[10], diverge_ths=[None], rules=['valley'])   # a one-setting grid: fast
not_whole = st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.text(max_size=5), st.booleans(),
                      st.lists(st.integers(), max_size=2), st.just(np.float64(3.0)), st.just(b'7'))

@settings(max_examples=60, deadline=None)
@given(arg=st.sampled_from(['total_steps', 'steps_per_epoch']), value=not_whole)
def test_bad_step_arguments_name_the_argument(arg, value, tmp_path_factory):
    d = tmp_path_factory.mktemp('arg')
    with pytest.raises((TypeError, ValueError), match=f'^{arg}: expected a whole number >= 1, got'):
        report(synthetic(80, seed=1), d/'r.html', **SMALL, **{arg: value})
    assert list(d.iterdir()) == []

json_not_whole = not_whole.filter(lambda v: not isinstance(v, bytes))

@settings(max_examples=30, deadline=None)
@given(total=st.one_of(json_not_whole, st.integers(1, 3), st.integers(MAX_PREVIEW_STEPS + 1, 10**15), st.just(1e12), st.none()),
       per_epoch=st.one_of(json_not_whole, st.none(), st.integers(1, 10**12)))
def test_any_meta_total_steps_still_gives_a_report(total, per_epoch):
    "A recording's meta is the file's, not the caller's: odd values drop the preview (the grid says why), nothing fails."
    base = synthetic(80, seed=2)
    rec = Recording(base.df, dict(base.meta, total_steps=total, steps_per_epoch=per_epoch))
    g = report_grid(rec, **SMALL)
    if total is None: assert g['preview'].startswith('Schedule preview: 1cycle') and entry_data(g, g['start'])['sched/lr']['lr']
    else: assert g['preview'].startswith('No schedule preview') and entry_data(g, g['start'])['sched/lr']['lr'] == []

def test_one_epoch_on_a_tiny_dataset_reports_without_the_preview(tmp_path):
    "3 planned steps: the true reason is given, not 'no setting of the grid gives a suggestion'."
    rec = synthetic(120, seed=3)
    rec.meta.update(total_steps=3, steps_per_epoch=3)
    text = report(rec, tmp_path/'r.html', **SMALL).read_text()
    g = grid_of(text)
    assert 'too few steps' in g['preview'] and 'suggested lr' in g['readouts'][g['combo_readout'][g['start']]]
    assert g['has_preview'] is False and 'lrw-no-preview' in text            # the page says why, where the preview would be

def test_a_schedule_per_distinct_suggestion_not_per_entry(monkeypatch):
    "total_steps=10**6 used to rebuild the schedule for each of the grid's entries (88 s): once per distinct upper bound now."
    calls = []
    real = OneCycle.from_suggestion.__func__
    monkeypatch.setattr(OneCycle, 'from_suggestion', classmethod(lambda cls, sug, **kw: calls.append(sug.upper) or real(cls, sug, **kw)))
    rec = Recording.load(SHIPPED)
    t = time.time()
    g = report_grid(rec, windows=[5, 10, 20], diverge_ths=[3., None], total_steps=10**6)
    took = time.time() - t
    assert len(calls) == len(set(calls)) and 0 < len(calls) < len(g['combos'])
    assert '1,000,000 steps' in g['preview'] and took < 60, took

def test_warnings_are_shown_escaped_in_the_readout(tmp_path):
    short = synthetic(100, end_lr=1e-3, label='short')
    sug = suggest(short)
    assert sug.warnings                                                      # the sweep never turned up
    g = grid_of(report(short, tmp_path/'r.html', **SMALL).read_text())
    ro = g['readouts'][g['combo_readout'][g['start']]]
    for w in suggest(short, window=10, diverge_th=None).warnings: assert f'<li>{html.escape(w, quote=True)}</li>' in ro
