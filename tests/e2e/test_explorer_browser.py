"""The range-test explorer widget served by Voila on 127.0.0.1, in real Chromium: moving its sliders and
changing its rule redraws the plot and the readout with the Python analysis's results."""
import time
import numpy as np
import pytest
from importlib.resources import files
from lrwidgets import Recording
from lrwidgets import analyze, DEFAULT_RULE, DEFAULT_WINDOW, DEFAULT_DIVERGE_TH
from lrwidgets.plots import centred
from lrwidgets.widgets import RULE_TEXT
from browser_helpers import ARTIFACTS, voila, wait_port, screenshot

SHIPPED = files('lrwidgets')/'data'/'digits_mlp.parquet'

# jupyter_bokeh's widget renders with the page's BokehJS, which `load_bokehjs()` inlines from the installed
# bokeh (no CDN). The plot's sources are named after their keys (plots.range_test_figure), so the test reads
# what is plotted by name.
NOTEBOOK = f"""\
from lrwidgets import Recording
from lrwidgets import RangeTestExplorer, load_bokehjs
load_bokehjs()
RangeTestExplorer(Recording.load({str(SHIPPED)!r}))"""

JS_SOURCE = """name => { for (const v of Object.values(Bokeh.index)) {
    const s = v.model.document.get_model_by_name(name);
    if (!s) continue;
    const data = s.data instanceof Map ? Object.fromEntries(s.data) : s.data;
    return Object.fromEntries(Object.entries(data).map(([k, c]) => [k, Array.from(c)])); } }"""

OTHER_RULE = next(r for r in ('robust', 'valley') if r != DEFAULT_RULE)   # a rule to switch to

def fmt(v): return '–' if v is None else f"{v:.3g}"

def expected_readout(a): return f"lr {fmt(a.suggestion.lr)}, range [{fmt(a.suggestion.lower)}, {fmt(a.suggestion.upper)}]"

def shows(page, a, line) -> bool:
    "Whether the page's readout and plotted data are those of the analysis `a`, its smoothed loss drawn as `line`."
    text = page.evaluate("[...document.querySelectorAll('.widget-html-content')].map(e => e.textContent).join('\\n')")
    sm, mk = page.evaluate(JS_SOURCE, 'smooth_0'), page.evaluate(JS_SOURCE, 'marker_0')
    return (expected_readout(a) in text and a.suggestion.reason in text       # the reason: under "why", one click away
            and len(sm['loss']) == a.cut and np.allclose(sm['loss'], line[:a.cut], rtol=1e-9)
            and np.allclose(mk['lr'], [a.suggestion.lr], rtol=1e-12))

def wait_for_analysis(page, rec, timeout=30, **settings):
    "Wait until the page shows analyze(rec, **settings): readout and plotted curve."
    a = analyze(rec, **settings)
    line = np.r_[centred(rec.losses[:a.cut], settings.get('window', DEFAULT_WINDOW)), a.smoothed[a.cut:]]   # without the lag, up to the cut
    end = time.time() + timeout
    while not shows(page, a, line):
        if time.time() > end: raise AssertionError(f"the page does not show the analysis for {settings} after {timeout}s")
        time.sleep(0.25)
    return a

@pytest.mark.timeout(240)
def test_explorer_in_voila(page, tmp_path):
    rec = Recording.load(SHIPPED)
    server, port = voila(tmp_path, 'explorer.ipynb', [NOTEBOOK])
    with server:
        wait_port(port, server.proc, timeout=90)
        page.goto(f'http://127.0.0.1:{port}/', timeout=120_000)
        try:
            page.locator('.noUi-handle').first.wait_for(timeout=120_000)
            page.wait_for_function("window.Bokeh && Object.keys(Bokeh.index).length > 0", timeout=60_000)
            first = wait_for_analysis(page, rec, rule=DEFAULT_RULE, window=DEFAULT_WINDOW, diverge_th=DEFAULT_DIVERGE_TH)

            win = page.locator('.widget-slider', has_text='smoothing window').locator('.noUi-handle')
            win.focus()
            for _ in range(10): page.keyboard.press('ArrowRight')
            moved = wait_for_analysis(page, rec, rule=DEFAULT_RULE, window=DEFAULT_WINDOW + 10, diverge_th=DEFAULT_DIVERGE_TH)
            assert not np.allclose(moved.smoothed, first.smoothed)

            th = page.locator('.widget-slider', has_text='threshold').locator('.noUi-handle')
            th.focus()
            for _ in range(20): page.keyboard.press('ArrowLeft')   # steps of 0.02 decade: 4.0 -> 4.0 / 10**0.4
            cut = wait_for_analysis(page, rec, rule=DEFAULT_RULE, window=DEFAULT_WINDOW + 10, diverge_th=float(f"{DEFAULT_DIVERGE_TH / 10**0.4:.12g}"))
            assert cut.cut != moved.cut                              # the lower threshold cut the curve earlier

            page.locator('.widget-dropdown', has_text='rule').locator('select').select_option(label=f'{OTHER_RULE}: {RULE_TEXT[OTHER_RULE]}')   # the dropdown describes each rule
            last = wait_for_analysis(page, rec, rule=OTHER_RULE, window=DEFAULT_WINDOW + 10, diverge_th=float(f"{DEFAULT_DIVERGE_TH / 10**0.4:.12g}"))
            assert last.suggestion.lr != moved.suggestion.lr
            # BokehJS came from the server, not a CDN (Voila's own template asks for a few off-host files, which fail
            # offline without harm; they are listed in artifacts/explorer-requests.txt)
            (ARTIFACTS/'explorer-requests.txt').write_text('\n'.join(page.log.off_host()))
            assert not [u for u in page.log.off_host() if 'bokeh' in u.lower()], page.log.off_host()
            assert page.log.errors == [] or all('shared module' in e for e in page.log.errors), page.log.errors
            screenshot(page, 'explorer.png')
        except Exception as e:
            screenshot(page, 'explorer-failed.png')
            raise AssertionError(f"{e}\n--- voila log ---\n{server.output()}") from e
