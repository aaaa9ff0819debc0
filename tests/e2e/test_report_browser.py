"""The standalone report written by `lrwidgets run`, in real Chromium: no kernel, no network; its controls
redraw the plot and the readout with exactly the Python analysis's results."""
import subprocess
import numpy as np
import pytest
from lrwidgets import Recording, synthetic, suggest
from lrwidgets.html_report import report
from lrwidgets import analyze, DEFAULT_RULE, DEFAULT_WINDOW, DEFAULT_DIVERGE_TH
from lrwidgets.html_report import WINDOWS, DIVERGE_THS
from lrwidgets.plots import display_line
from lrwidgets.analysis import round3
from browser_helpers import screenshot

LABEL = '<script>alert(1)</script> & "digits" 100%'   # '%' too: the ini is read without interpolation

@pytest.fixture(scope='module')
def run(tmp_path_factory):
    "A real `lrwidgets run` (console script) of the default experiment (five runs), with a hostile label."
    d = tmp_path_factory.mktemp('run')
    (d/'exp.ini').write_text(f"[DEFAULT]\nlabel = {LABEL}\n")
    r = subprocess.run(['lrwidgets', 'run', '--config', 'exp.ini', '--out', 'out/run', '--no-progress'], cwd=d,
                       capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr
    return d/'out/run.html', [Recording.load(d/f'out/run.run{i}.parquet') for i in range(1, 6)]

JS_SOURCE = """name => { const d = Bokeh.documents[0]; const s = d.get_model_by_name('lrwidgets:' + name);
  const data = s.data instanceof Map ? Object.fromEntries(s.data) : s.data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Array.from(v)])); }"""

def readout(page) -> dict:
    "The readout's exact numbers (its data- attributes) and its visible text."
    ro = page.locator('.lrw-readout').first
    num = lambda a: float(a) if a else None
    return dict(lr=num(ro.get_attribute('data-lr')), lower=num(ro.get_attribute('data-lower')),
                upper=num(ro.get_attribute('data-upper')), text=ro.inner_text())

def check_matches_python(page, recs, window, diverge_th, rule, kind='ema'):
    "The page shows suggest(recs, ...) (the runs' median) and analyze(rec, ...) of each run for these settings: readout exactly, curves to 6 digits."
    sug = suggest(recs, rule=rule, window=window, kind=kind, diverge_th=diverge_th)
    ro = readout(page)
    assert (ro['lr'], ro['lower'], ro['upper']) == (sug.lr, sug.lower, sug.upper), (window, diverge_th, rule, ro)
    assert sug.reason in ro['text']
    analyses = [analyze(rec, rule=rule, window=window, kind=kind, diverge_th=diverge_th) for rec in recs]
    for i, (rec, a) in enumerate(zip(recs, analyses)):
        sm = page.evaluate(JS_SOURCE, f'rt/smooth_{i}')
        np.testing.assert_allclose(sm['loss'], display_line(rec, a, window, kind)[:a.cut], rtol=1e-5)   # the explorer's line, no lag
        np.testing.assert_allclose(sm['lr'], rec.lrs[:a.cut], rtol=1e-5)
        after = page.evaluate(JS_SOURCE, f'rt/smooth_after_{i}')
        assert len(after['loss']) == len(rec) - a.cut
        marker = page.evaluate(JS_SOURCE, f'rt/marker_{i}')
        np.testing.assert_allclose(marker['lr'], [a.suggestion.lr], rtol=1e-5)                     # each run's own suggestion
    return sug, analyses[0]

@pytest.mark.timeout(300)
def test_report_controls_select_the_python_analysis(run, page):
    path, recs = run
    page.goto(path.as_uri())
    page.wait_for_function("window.Bokeh && Bokeh.documents.length > 0 && Bokeh.documents[0].get_model_by_name('lrwidgets:rt/smooth_0')")
    page.locator('.lrw-readout').first.wait_for()
    assert page.log.off_host() == [], page.log.off_host()                 # BokehJS inline: nothing fetched
    assert page.log.dialogs == []                                         # the label's script did not run ...
    assert LABEL in page.locator('#lrwidgets-title').inner_text()         # ... it shows as text
    assert LABEL in page.title()
    windows = sorted({*WINDOWS, DEFAULT_WINDOW})                           # the sliders' stops, as the report offers them
    ths = sorted({*DIVERGE_THS, DEFAULT_DIVERGE_TH} - {None}) + [None]
    w, t, rule = DEFAULT_WINDOW, DEFAULT_DIVERGE_TH, DEFAULT_RULE
    _, first = check_matches_python(page, recs, w, t, rule)

    handles = page.locator('.noUi-handle')                                # window slider, then threshold slider
    assert handles.count() == 2
    entry = page.evaluate('window.lrwidgetsEntry')
    handles.nth(0).focus(); page.keyboard.press('ArrowRight'); page.keyboard.press('ArrowRight')
    w = windows[windows.index(w) + 2]
    page.wait_for_function("e => window.lrwidgetsEntry !== e", arg=entry)
    moved_sug, moved = check_matches_python(page, recs, w, t, rule)
    assert not np.allclose(moved.smoothed, first.smoothed)                # the plotted curve really changed

    entry = page.evaluate('window.lrwidgetsEntry')
    handles.nth(1).focus()
    for _ in range(3): page.keyboard.press('ArrowLeft')
    t = ths[ths.index(t) - 3]
    page.wait_for_function("e => window.lrwidgetsEntry !== e", arg=entry)
    _, cut = check_matches_python(page, recs, w, t, rule)
    assert cut.cut != moved.cut                                           # the lower threshold cut the curve earlier

    entry = page.evaluate('window.lrwidgetsEntry')
    other = next(r for r in ('robust', 'valley') if r != rule)
    page.locator('select').select_option(other)
    page.wait_for_function("e => window.lrwidgetsEntry !== e", arg=entry)
    last_sug, last = check_matches_python(page, recs, w, t, other)
    assert last_sug.lr != moved_sug.lr
    code = OneCycle_code(last_sug, recs[0])
    assert code in readout(page)['text']                                  # the schedule's torch line followed
    sched = page.evaluate(JS_SOURCE, 'sched/lr')
    assert max(sched['lr']) == pytest.approx(round3(last_sug.upper), rel=1e-5)          # and so did its preview
    band = page.evaluate(JS_SOURCE, 'sched/band')                         # with the suggested range shaded
    assert (band['lower'], band['upper']) == ([round3(last_sug.lower)], [round3(last_sug.upper)])

    entry = page.evaluate('window.lrwidgetsEntry')
    page.locator('button', has_text='SMA').click()                        # the smoothing kind
    page.wait_for_function("e => window.lrwidgetsEntry !== e", arg=entry)
    _, sma = check_matches_python(page, recs, w, t, other, kind='sma')
    assert not np.allclose(sma.smoothed[:20], last.smoothed[:20])         # a trailing mean, not the EMA, is drawn
    assert page.log.errors == [] and page.log.dialogs == []
    screenshot(page, 'report.png')

def OneCycle_code(sug, rec):
    from lrwidgets import OneCycle
    return OneCycle.from_suggestion(sug.rounded(), total_steps=rec.meta['total_steps']).torch_call()   # lrs as a person types them


@pytest.mark.timeout(300)
def test_warnings_and_a_missing_preview_are_shown_at_two_widths(browser, tmp_path):
    "A sweep that never turned up, planned for 3 steps: the page lists the warnings and says why there is no preview."
    rec = synthetic(150, end_lr=1e-3, seed=7, label='short sweep')
    rec.meta.update(total_steps=3, steps_per_epoch=3)
    path = report(rec, tmp_path/'short.html', windows=[5, 20], diverge_ths=[None], rules=['valley', 'steep'])
    want = suggest(rec, rule='valley', window=20, diverge_th=None).warnings
    assert want
    for width in (1280, 700):
        ctx = browser.new_context(viewport={'width': width, 'height': 900})
        page = ctx.new_page()
        errors = []
        page.on('pageerror', lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        page.wait_for_function("window.Bokeh && Bokeh.documents.length > 0")
        items = page.locator('.lrw-warnings li')
        items.first.wait_for()
        assert [items.nth(i).inner_text() for i in range(items.count())] == list(want)
        assert items.first.is_visible() and items.first.bounding_box()['x'] >= 0
        why = page.locator('.lrw-no-preview')
        assert "No schedule preview over meta['total_steps']=3: too few steps" in why.inner_text() and why.is_visible()
        assert page.evaluate("Bokeh.documents[0].get_model_by_name('lrwidgets:no-preview') !== null")
        box = page.locator('.lrw-readout').first.bounding_box()
        assert box['width'] > 200 and box['height'] > 40                  # the readout is laid out, not squeezed to nothing
        assert errors == []
        screenshot(page, f'report-warnings-{width}.png')
        ctx.close()
