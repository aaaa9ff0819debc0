"""The linked dashboard served by Voila (127.0.0.1) in real Chromium, as a user gets it.

`load_bokehjs()` puts the installed BokehJS in the page (no CDN); `LRDashboard` is displayed as is (its
`BatchedBokehModel`s send one PATCH-DOC message per change). Moving the explorer's smoothing-window slider with
the keyboard must redraw the explorer's curve AND the linked 1cycle preview in the browser, with the numbers the
Python API gives for the new window; then the previewer's kind dropdown switches to CLR in the page.
"""
import sys, time
import nbformat
import numpy as np
import pytest
from browser_helpers import Server, free_port, wait_port
from lrwidgets import synthetic
from lrwidgets import analyze, DEFAULT_WINDOW
from lrwidgets import OneCycle, Cyclic

SPE, EPOCHS = 50, 6
NOTEBOOK = f"""\
from lrwidgets import LRDashboard, load_bokehjs
from lrwidgets import synthetic
load_bokehjs()
dash = LRDashboard(synthetic(400, seed=11), steps_per_epoch={SPE}, epochs={EPOCHS})
dash"""

# a source's columns, from the page's document that holds a model of that name (explorer: 'smooth_0', preview: 'lr')
JS_SOURCE = """name => { for (const v of Object.values(Bokeh.index)) {
    const s = v.model.document.get_model_by_name(name);
    if (!s) continue;
    const data = s.data instanceof Map ? Object.fromEntries(s.data) : s.data;
    return Object.fromEntries(Object.entries(data).map(([k, c]) => [k, Array.from(c)])); } return null; }"""


def wait_until(check, what, timeout=60):
    end = time.time() + timeout
    while True:
        try:
            if check(): return
        except Exception: pass
        if time.time() > end: raise AssertionError(f"the page does not show {what} after {timeout}s")
        time.sleep(0.25)


def shows(page, rec, window, kind='OneCycle'):
    "Whether the page plots the analysis for `window` and the linked schedule of `kind`."
    a = analyze(rec, window=window)
    sm, lr = page.evaluate(JS_SOURCE, 'smooth_0'), page.evaluate(JS_SOURCE, 'lr')
    grid = lambda v: 10 ** (round(np.log10(v) / 0.001) * 0.001)     # the lr sliders' steps: 0.001 decade
    if kind == 'OneCycle': want = OneCycle(grid(a.suggestion.upper), epochs=EPOCHS, steps_per_epoch=SPE)
    else: want = Cyclic(grid(a.suggestion.lower), grid(a.suggestion.upper), step_size_up=2 * SPE, total_steps=SPE * EPOCHS, steps_per_epoch=SPE)
    return (len(sm['loss']) == a.cut and np.allclose(sm['loss'], a.smoothed[:a.cut], rtol=1e-9)
            and np.allclose(lr['lr'], want.lrs()[np.asarray(lr['step'], int)], rtol=1e-9))


@pytest.mark.timeout(300)
def test_dashboard_in_voila(tmp_path, browser):
    rec = synthetic(400, seed=11)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK)])
    nb.metadata['kernelspec'] = dict(name='python3', display_name='Python 3', language='python')
    nbformat.write(nb, tmp_path/'dash.ipynb')
    port, errors = free_port(), []
    with Server([sys.executable, '-m', 'voila', 'dash.ipynb', '--no-browser', f'--port={port}', '--Voila.ip=127.0.0.1'],
                cwd=tmp_path) as server:
        try:
            page = browser.new_page(viewport={'width': 1280, 'height': 1400})
            page.on('pageerror', lambda e: errors.append(str(e)))
            wait_port(port, server.proc, timeout=120)
            page.goto(f'http://127.0.0.1:{port}/', timeout=120_000)
            page.locator('.noUi-handle').first.wait_for(timeout=120_000)
            wait_until(lambda: shows(page, rec, DEFAULT_WINDOW), 'the first analysis and its 1cycle preview')

            handle = page.locator('.widget-slider', has_text='smoothing window').locator('.noUi-handle')
            handle.focus()
            for _ in range(10): page.keyboard.press('ArrowRight')
            wait_until(lambda: shows(page, rec, DEFAULT_WINDOW + 10), 'the new window in the explorer and the preview')

            page.locator('.widget-dropdown', has_text='schedule').locator('select').select_option('Cyclic')
            wait_until(lambda: shows(page, rec, DEFAULT_WINDOW + 10, 'Cyclic'), 'the CLR preview of the same suggestion')
            text = page.evaluate("[...document.querySelectorAll('.widget-html-content')].map(e => e.innerText).join('\\n')")
            assert 'CyclicLR(optimizer, base_lr=' in text
            page.screenshot(path=str(tmp_path/'dashboard.png'), full_page=True)
            page.close()
        except Exception as e:
            raise AssertionError(f"{e}\n--- voila log ---\n{server.output()}") from e
    assert [e for e in errors if 'shared module' not in e] == [], errors
