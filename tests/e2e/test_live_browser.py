"""The live range test served by Voila (127.0.0.1) in real Chromium: the plot grows in the page while the sweep runs,
the Stop button pressed in the page ends it (the kernel handles the click because the sweep runs in a thread), and
the page then shows the dashboard over the recording. Screenshots go to tests/e2e/artifacts/."""
import time
import pytest
from browser_helpers import ARTIFACTS, voila, wait_port

NOTEBOOK = """\
import time, torch
from lrwidgets import load_bokehjs
from lrwidgets.live import LiveRangeTest
load_bokehjs()
torch.manual_seed(0)
x = torch.randn(256, 4); y = x @ torch.randn(4, 1)
batches = [(x[i:i+16], y[i:i+16]) for i in range(0, 256, 16)] * 40
model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
slow = (b for b in batches if not time.sleep(0.05))           # about 30 s for the whole sweep: time to press Stop
live = LiveRangeTest(model, opt, slow, torch.nn.functional.mse_loss, num_iter=600, diverge_th=None, check_every=5,
                     steps_per_epoch=16, epochs=5)
live"""

JS_LIVE_POINTS = """() => { for (const v of Object.values(Bokeh.index)) {
    const s = v.model.document.get_model_by_name('live');
    if (s) return (s.data instanceof Map ? s.data.get('lr') : s.data.lr).length; } return -1; }"""

JS_LR_FRAME = """() => { for (const v of Object.values(Bokeh.index)) {
    const s = v.model.document.get_model_by_name('frame');
    if (s) return Array.from(s.data instanceof Map ? s.data.get('lr') : s.data.lr); } return null; }"""

JS_LOSSES = """() => { for (const v of Object.values(Bokeh.index)) {
    const d = v.model.document, f = d.get_model_by_name('frame'), l = d.get_model_by_name('live');
    const col = (s, c) => Array.from(s.data instanceof Map ? s.data.get(c) : s.data[c]);
    if (f && l) return [col(f, 'loss'), col(l, 'loss')]; } return null; }"""

JS_TEXT = "[...document.querySelectorAll('.widget-html-content')].map(e => e.textContent).join('\\n')"

@pytest.mark.timeout(400)
def test_live_range_test_grows_stops_and_opens_the_dashboard(tmp_path, browser):
    (server, port), errors, page = voila(tmp_path, 'live.ipynb', [NOTEBOOK]), [], None
    with server:
        try:
            page = browser.new_page(viewport={'width': 1280, 'height': 1800})
            page.on('pageerror', lambda e: errors.append(str(e)))
            wait_port(port, server.proc, timeout=120)
            page.goto(f'http://127.0.0.1:{port}/', timeout=180_000)
            stop = page.get_by_role('button', name='Stop')
            stop.wait_for(timeout=180_000)
            page.wait_for_function("window.Bokeh && Object.keys(Bokeh.index).length > 0", timeout=60_000)
            seen = []
            end = time.time() + 120
            while len(seen) < 3 and time.time() < end:                      # the plot grows in the page
                n = page.evaluate(JS_LIVE_POINTS)
                if n > 0 and (not seen or n != seen[-1]): seen.append(n)
                time.sleep(0.2)
            assert len(seen) >= 3 and seen == sorted(seen), seen
            span = page.evaluate(JS_LR_FRAME)                                  # the lr axis spans the planned sweep,
            assert span[0] < 1e-7 and span[1] > 10, span                       # not only the rows so far
            page.wait_for_timeout(1000)                                        # the last patch painted
            frame, losses = page.evaluate(JS_LOSSES)
            middle = sorted(losses)[len(losses) // 2]
            assert frame[0] < middle < frame[1], (frame, middle)              # the loss axis frames the points drawn so far
            page.screenshot(path=str(ARTIFACTS/'live-running.png'), full_page=True)
            stop.click()
            page.get_by_text('steps recorded (stopped)').wait_for(timeout=60_000)
            page.locator('.widget-dropdown', has_text='schedule').wait_for(timeout=60_000)
            text = page.evaluate(JS_TEXT)
            n = int(text.split(' steps recorded (stopped)')[0].split()[-1])
            assert seen[-1] <= n < 600 and 'OneCycleLR(optimizer' in text
            page.screenshot(path=str(ARTIFACTS/'live-stopped.png'), full_page=True)
            page.close()
        except Exception as e:                                                 # the status line says why a sweep failed
            try: shown = page.evaluate(JS_TEXT)
            except Exception as e2: shown = f'(unreadable: {e2})'
            raise AssertionError(f"{e}\n--- the page's text ---\n{shown}\n--- voila log ---\n{server.output()}") from e
    assert [e for e in errors if 'shared module' not in e] == [], errors

STREAMING = """\
import threading, time, numpy as np
from IPython.display import display
from bokeh.models import ColumnDataSource
from bokeh.plotting import figure
from lrwidgets import load_bokehjs
from lrwidgets.widgets import BatchedBokehModel
load_bokehjs()
def streamed():
    src = ColumnDataSource(dict(x=[0.], y=[0.]), name='streamed')
    fig = figure(width=200, height=120); fig.line('x', 'y', source=src)
    return src, BatchedBokehModel(fig, streamed=True)
plots = [streamed() for _ in range(8)]
def patches():                                                  # every plot patched every 20 ms or so while the page opens its views
    for i in range(10**6):
        for src, plot in plots:
            with plot.batch(): src.data = dict(x=np.arange(i % 500 + 2.), y=np.arange(i % 500 + 2.))
        time.sleep(0.02)
threading.Thread(target=patches, daemon=True).start()
for _, plot in plots: display(plot)"""

JS_VIEW_POINTS = """() => window.Bokeh ? [...new Set(Object.values(Bokeh.index).map(v => v.model.document))].map(d => {
    const s = d.get_model_by_name('streamed'); return (s.data instanceof Map ? s.data.get('x') : s.data.x).length }) : []"""

@pytest.mark.timeout(300)
def test_views_opened_while_patches_stream_follow_them(tmp_path, browser):
    "A view that opens between the frames of a patch message still applies every later patch (none stays frozen)."
    (server, port), errors = voila(tmp_path, 'streaming.ipynb', [STREAMING]), []
    with server:
        page = browser.new_page(viewport={'width': 1280, 'height': 1000})
        page.on('pageerror', lambda e: errors.append(str(e)))
        wait_port(port, server.proc, timeout=120)
        page.goto(f'http://127.0.0.1:{port}/', timeout=180_000)
        page.wait_for_function(f"({JS_VIEW_POINTS})().length == 8", timeout=120_000)              # every view drawn
        seen = [set() for _ in range(8)]
        for _ in range(30):
            for s, n in zip(seen, page.evaluate(JS_VIEW_POINTS)): s.add(n)
            time.sleep(0.1)
        page.close()
    frozen = {i: sorted(s) for i, s in enumerate(seen) if len(s) < 5}
    assert frozen == {}, frozen                                              # every view kept drawing new data
    assert errors == [], errors
