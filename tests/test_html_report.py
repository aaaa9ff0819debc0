"""The standalone report: every grid entry is the Python analysis, text from a Recording is escaped, the
file stays small and self-contained, and odd recordings still give a report or a clear error."""
import itertools, json, re, time
from importlib.resources import files
import numpy as np
import pytest
from lrwidgets import Recording, synthetic
from lrwidgets import analyze, DEFAULT_RULE, DEFAULT_WINDOW, DEFAULT_DIVERGE_TH
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
        np.testing.assert_allclose(d['rt/smooth_0']['loss'], a.smoothed[:a.cut], rtol=5e-6)
        np.testing.assert_allclose(d['rt/slope_0']['slope'], a.slope[:a.cut][np.isfinite(a.slope[:a.cut])], rtol=5e-6, atol=1e-12)
        assert len(d['rt/raw_after_0']['loss']) == np.isfinite(rec.losses[a.cut:]).sum()
        if a.suggestion.upper is not None:
            sched = OneCycle.from_suggestion(a.suggestion, total_steps=rec.meta['total_steps'])
            assert max(d['sched/lr']['lr']) == pytest.approx(sched.lrs().max(), rel=5e-6)
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
