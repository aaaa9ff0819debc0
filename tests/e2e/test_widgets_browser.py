"""The linked dashboard and a multi-run explorer served by Voila (127.0.0.1) in real Chromium, as a user gets them.

`load_bokehjs()` puts the installed BokehJS in the page (no CDN). The test reads what the page shows: the widgets'
text and the bokeh models BokehJS holds (sources by name, ranges, hover tools), and checks what a reader sees first:
the y axes frame the kept curves (also for a run that diverges to 100x its start), tooltips write lr in scientific
notation and name the run, the torch line is the previewer's alone, no code line wraps inside a number, nothing is
clipped at 650 and 1280 px, and hiding a run in the legend hides it in every panel. It then moves the explorer's
smoothing-window slider 20 times with the keyboard and reports the median time from the key press to the first
frame painted after the new data arrived (click-to-paint); a second slider move switches the previewer to CLR.
Screenshots at 1280 and 700 px go to tests/e2e/artifacts/.
"""
import statistics, time
from importlib.resources import files
import numpy as np
import pytest
from browser_helpers import ARTIFACTS, voila, wait_port
from lrwidgets import Recording, synthetic, analyze, DEFAULT_WINDOW, OneCycle, Cyclic
from lrwidgets.plots import centred

SPE, EPOCHS = 50, 6
SHIPPED = files('lrwidgets')/'data'/'digits_mlp.parquet'
NOTEBOOK = [f"""\
from lrwidgets import LRDashboard, RangeTestExplorer, Recording, load_bokehjs
load_bokehjs()
dash = LRDashboard(Recording.load({str(SHIPPED)!r}), steps_per_epoch={SPE}, epochs={EPOCHS})
dash""", """\
import numpy as np
from lrwidgets import synthetic
runs = [synthetic(300, seed=s, best_lr=b, label=f'seed {s}') for s, b in [(1, 1e-2), (2, 2e-2), (3, 5e-3)]]
b = synthetic(300, seed=4)
runs.append(Recording.from_arrays(b.lrs, np.where(np.arange(300) > 240, b.losses * np.geomspace(1, 100, 300), b.losses),
                                  meta=dict(label='diverges 100x')))
multi = RangeTestExplorer(runs)
multi"""]

def multi_runs():
    runs = [synthetic(300, seed=s, best_lr=b, label=f'seed {s}') for s, b in [(1, 1e-2), (2, 2e-2), (3, 5e-3)]]
    b = synthetic(300, seed=4)
    return runs + [Recording.from_arrays(b.lrs, np.where(np.arange(300) > 240, b.losses * np.geomspace(1, 100, 300), b.losses),
                                         meta=dict(label='diverges 100x'))]

# The document of each widget holds its sources by name; the multi-run explorer is the one with a 'smooth_3'.
JS_DOCS = """() => Object.values(Bokeh.index).map(v => v.model.document)"""
JS_FIND = """([want, name]) => {
  const docs = Object.values(Bokeh.index).map(v => v.model.document);
  const doc = docs.find(d => d.get_model_by_name(want));
  const s = doc && doc.get_model_by_name(name);
  if (!s) return null;
  const data = s.data instanceof Map ? Object.fromEntries(s.data) : s.data;
  return Object.fromEntries(Object.entries(data).map(([k, c]) => [k, Array.from(c)])); }"""
JS_PANELS = """want => {
  const v = Object.values(Bokeh.index).find(v => v.model.document.get_model_by_name(want) && v.model.children);
  return v.model.children.map(p => ({title: p.title ? p.title.text : null, y: [p.y_range.start, p.y_range.end],
      visible: p.renderers.filter(r => r.data_source && r.data_source.name && /_3$/.test(r.data_source.name)).map(r => r.visible),
      hovers: p.toolbar.tools.filter(t => 'tooltips' in t && 'formatters' in t).map(t => ({
          tips: t.tooltips, fmt: t.formatters instanceof Map ? Object.fromEntries(t.formatters) : t.formatters}))})); }"""
JS_HIDE_RUN = """() => {
  const v = Object.values(Bokeh.index).find(v => v.model.document.get_model_by_name('smooth_3') && v.model.children);
  const loss = v.model.children[0];
  const item = loss.center.concat(loss.right).find(l => l.items).items.find(it => it.label.value == 'diverges 100x');
  for (const r of item.renderers) r.visible = false; }"""
# Every number in a <pre> on one line: a number that wraps has more than one client rect.
JS_WRAPPED_NUMBERS = """() => { const bad = [];
  for (const pre of document.querySelectorAll('pre')) {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (const m of n.textContent.matchAll(/[0-9][0-9.e+-]*/g)) {
        const r = document.createRange(); r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
        if (r.getClientRects().length > 1) bad.push(m[0]); } } }
  return bad; }"""
# What sticks out of the page: the document scrolls sideways, or a widget ends right of the viewport.
JS_CLIPPED = """() => { const w = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > w + 1) out.push('page scrolls sideways: ' + document.documentElement.scrollWidth);
  for (const e of document.querySelectorAll('.widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-html, .bk-Figure, .bk-Column'))
    { const r = e.getBoundingClientRect(); if (r.width && r.right > w + 1) out.push(e.className.slice(0, 40) + ' ends at ' + Math.round(r.right)); }
  return out; }"""
# What the page sends the kernel: every websocket frame, as text (binary frames decoded).
JS_LOG_SENT = """
window._sent = [];
const PageWebSocket = window.WebSocket;
window.WebSocket = function(...args) {
  const ws = new PageWebSocket(...args), send = ws.send.bind(ws);
  ws.send = (d) => { try { window._sent.push(typeof d === 'string' ? d : new TextDecoder().decode(d)); } catch (e) {} return send(d); };
  return ws; };
window.WebSocket.prototype = PageWebSocket.prototype; Object.assign(window.WebSocket, PageWebSocket);"""
# Click-to-paint: key press (capture phase) -> the source's data replaced -> the frame after the next paint.
JS_TIMER = """name => {
  const docs = Object.values(Bokeh.index).map(v => v.model.document);
  const doc = docs.find(d => d.get_model_by_name(name) && !d.get_model_by_name('smooth_3'));
  const src = doc.get_model_by_name(name);
  window._t = {down: null, times: [], arrived: []};
  document.addEventListener('keydown', () => { window._t.down = performance.now(); }, true);
  src.properties.data.change.connect(() => {
    const t0 = window._t.down, t1 = performance.now();
    requestAnimationFrame(() => setTimeout(() => { if (t0 !== null) {
      window._t.arrived.push(t1 - t0); window._t.times.push(performance.now() - t0); } }, 0)); }); }"""


def wait_until(check, what, timeout=60):
    end = time.time() + timeout
    while True:
        try:
            if check(): return
        except Exception: pass
        if time.time() > end: raise AssertionError(f"the page does not show {what} after {timeout}s")
        time.sleep(0.1)


def lr3(v): return float(f"{v:.3g}")


def shows(page, rec, window, kind='OneCycle'):
    "Whether the page plots the shipped run for `window` (the lag-free line) and the linked schedule of `kind`."
    a = analyze(rec, window=window)
    sm, lr = page.evaluate(JS_FIND, ['marker_0', 'smooth_0']), page.evaluate(JS_FIND, ['epochs', 'lr'])
    line = centred(rec.losses[:a.cut], window)
    s = a.suggestion
    if kind == 'OneCycle': want = OneCycle(lr3(s.upper), epochs=EPOCHS, steps_per_epoch=SPE)
    else: want = Cyclic(lr3(s.lower), lr3(s.upper), step_size_up=2 * SPE, total_steps=SPE * EPOCHS, steps_per_epoch=SPE)
    return (len(sm['loss']) == a.cut and np.allclose(sm['loss'], line, rtol=1e-9)
            and np.allclose(lr['lr'], want.lrs()[np.asarray(lr['step'], int)], rtol=1e-9)), want


def texts(page) -> str:
    return page.evaluate("[...document.querySelectorAll('.widget-html-content')].map(e => e.textContent).join('\\n')")


@pytest.mark.timeout(600)
def test_dashboard_and_multi_run_explorer_in_voila(tmp_path, browser):
    rec = Recording.load(SHIPPED)
    (server, port), errors = voila(tmp_path, 'dash.ipynb', NOTEBOOK), []
    with server:
        try:
            page = browser.new_page(viewport={'width': 1280, 'height': 3200})
            page.on('pageerror', lambda e: errors.append(str(e)))
            page.add_init_script(JS_LOG_SENT)
            wait_port(port, server.proc, timeout=120)
            page.goto(f'http://127.0.0.1:{port}/', timeout=180_000)
            page.locator('.noUi-handle').first.wait_for(timeout=180_000)
            wait_until(lambda: page.evaluate(JS_FIND, ['smooth_3', 'frame']) is not None, 'both widgets', 120)
            wait_until(lambda: shows(page, rec, DEFAULT_WINDOW)[0], 'the first analysis and its 1cycle preview')

            # the y axes frame the kept curves: the shipped run, and four runs of which one diverges to 100x its start
            for want, recs in (('marker_0', [rec]), ('smooth_3', multi_runs())):
                panels = page.evaluate(JS_PANELS, want)
                frame = page.evaluate(JS_FIND, [want, 'frame'])
                assert panels[0]['y'] == frame['loss'] and panels[1]['y'] == frame['slope']
                for r in recs:
                    a = analyze(r)
                    kept = a.smoothed[:a.cut]
                    assert frame['loss'][0] <= kept.min() and kept.max() <= frame['loss'][1], r.label
                assert frame['loss'][1] < 0.2 * max(np.nanmax(r.losses) for r in recs)        # not the explosion
                # tooltips: lr in .3g (scientific below 1e-4), naming the run and whether a point is raw or smoothed
                tips = [h for p in panels[:2] for h in p['hovers']]
                assert tips and all(['lr', '@lr{%.3g}'] in h['tips'] and h['fmt']['@lr'] == 'printf' for h in tips)
                assert {h['tips'][0][1] for h in tips} == {r.label for r in recs}
                assert {h['tips'][2][0] for h in tips} >= {'loss (raw)', 'loss (smoothed)'}

            # one torch line, the previewer's: the explorer points to it
            ok, want = shows(page, rec, DEFAULT_WINDOW)
            t = texts(page)
            assert t.count('OneCycleLR(') == 1 + 1 and want.torch_call() in t          # the previewer's, and the multi explorer's own
            assert 'the schedule below follows this suggestion' in t and 'to_torch(optimizer)' in t
            assert page.evaluate(JS_WRAPPED_NUMBERS) == []

            assert page.evaluate(JS_CLIPPED) == []
            page.screenshot(path=str(ARTIFACTS/'dashboard-1280.png'), full_page=True)

            # hiding a run in the legend hides it in every panel
            page.evaluate(JS_HIDE_RUN)
            wait_until(lambda: all(v is False for p in page.evaluate(JS_PANELS, 'smooth_3')[:2] for v in p['visible']), 'the run hidden')
            for width in (700, 650):
                page.set_viewport_size({'width': width, 'height': 4200})
                time.sleep(1.5)
                assert page.evaluate(JS_CLIPPED) == [], width
                assert page.evaluate(JS_WRAPPED_NUMBERS) == [], width
                if width == 700: page.screenshot(path=str(ARTIFACTS/'dashboard-700.png'), full_page=True)
            page.set_viewport_size({'width': 1280, 'height': 3200})
            time.sleep(1.5)                    # the page's re-layout (its own size changes go to the kernel) ends first

            # click-to-paint over 20 moves of the smoothing window (keyboard: one step per press)
            page.evaluate(JS_TIMER, 'smooth_0')
            handle = page.locator('.widget-slider', has_text='smoothing window').first.locator('.noUi-handle')
            handle.focus()
            page.evaluate('window._sent = []')
            for i in range(20):
                n = len(page.evaluate('window._t.times'))
                page.keyboard.press('ArrowRight')
                wait_until(lambda: len(page.evaluate('window._t.times')) > n, f'move {i + 1} painted', 30)
            times = page.evaluate('window._t.times')
            wait_until(lambda: shows(page, rec, DEFAULT_WINDOW + 20)[0], 'the new window in the explorer and the preview')
            # the page sent the kernel the slider's values, and none of the changes the kernel sent it (data, fitted ranges)
            sent = page.evaluate('window._sent')
            assert sum('"method":"update"' in m for m in sent) >= 20, sent
            echoes = [m for m in sent if '"jsevent"' in m and any(k in m for k in ('"ColumnDataChanged"', '"attr":"data"', '"attr":"start"', '"attr":"end"'))]
            assert echoes == [], [m[-300:] for m in echoes][:3]
            med, arrived = statistics.median(times), statistics.median(page.evaluate('window._t.arrived'))
            report = (f"click-to-paint: median {med:.1f} ms (p90 {sorted(times)[17]:.1f} ms) over {len(times)} slider moves; "
                      f"of which key press -> new data in the page (kernel and messages) {arrived:.1f} ms, "
                      f"data -> painted {med - arrived:.1f} ms")
            (ARTIFACTS/'click-to-paint.txt').write_text(report + '\n' + ' '.join(f'{t:.0f}' for t in times) + '\n')
            print(report)
            assert med < 1000, times           # target < 100 ms on CI; a shared, loaded machine gets a generous bound

            page.locator('.widget-dropdown', has_text='schedule').locator('select').select_option('Cyclic')
            wait_until(lambda: shows(page, rec, DEFAULT_WINDOW + 20, 'Cyclic')[0], 'the CLR preview of the same suggestion')
            assert 'CyclicLR(optimizer, base_lr=' in texts(page)
            page.close()
        except Exception as e:
            raise AssertionError(f"{e}\n--- voila log ---\n{server.output()}") from e
    assert [e for e in errors if 'shared module' not in e] == [], errors
