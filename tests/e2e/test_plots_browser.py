"""In a real browser (Chromium + BokehJS inline): the patches the widgets send are what BokehJS needs to redraw.

The explorer never re-renders its figure: a control change sends jupyter_bokeh a PATCH-DOC message (new source
data, or for the log/linear switch the name of the x range every renderer draws on, and which axis shows). Headless tests check the messages;
this one checks their effect. A standalone page holds the same document (same model ids); the patches recorded
from a `BatchedBokehModel` are applied with `Document.apply_json_patch`, which is what jupyter_bokeh's front end
does with them, and we read back what BokehJS draws: the screen x of the smoothed curve's points must be linear
in lr after the switch to a linear axis (log-spaced before), and the sources must hold the new data.
"""
import base64, json
import numpy as np
import pytest
from bokeh.embed import file_html
from bokeh.resources import INLINE
from lrwidgets import synthetic
from lrwidgets import analyze
from lrwidgets.plots import range_test_data, range_test_figure, set_x_log, update_sources
from lrwidgets.widgets import BatchedBokehModel



def recorded_patches(bm, change):
    "The PATCH-DOC messages `bm` sends for `change()`, as (content, {buffer id: base64})."
    sent = []
    bm.send = lambda content, buffers=None: sent.append((content, buffers))
    with bm.batch(): change()
    parts = [c.get('payload') for c, b in sent if c.get('payload') is not None]
    blobs = [b[0] for c, b in sent if b]
    header, metadata, content, *refs = parts
    assert json.loads(header)['msgtype'] == 'PATCH-DOC'
    buffers = {json.loads(r)['id']: base64.b64encode(bytes(blob)).decode() for r, blob in zip(refs, blobs)}
    return json.loads(content), buffers


JS_APPLY = """([content, buffers]) => {
  const doc = Bokeh.documents[0];
  const map = new Map(Object.entries(buffers).map(([id, b64]) =>
      [id, Uint8Array.from(atob(b64), c => c.charCodeAt(0)).buffer]));
  doc.apply_json_patch(content, map);
}"""

JS_SX = """(ids) => {
  // screen x of the smoothed line's points, as the renderer's view computed them
  const views = [];
  const walk = (v) => { views.push(v); for (const c of (v.child_views ?? [])) walk(c); };
  for (const root of Bokeh.index) walk(root);
  const plot = views.find(v => v.model.id === ids.plot);
  const rv = [...plot.renderer_views.values()].find(r => r.model.id === ids.renderer);
  return {scale: rv.coordinates.x_scale.type, sx: Array.from(rv.glyph.sx),
          n: Bokeh.documents[0].get_model_by_id(ids.source).data.lr.length};
}"""


@pytest.mark.timeout(120)
def test_data_and_axis_patches_redraw_in_bokehjs(tmp_path, browser):
    rec = synthetic(300, seed=3)
    a = analyze(rec)
    layout, srcs = range_test_figure(range_test_data(rec, a))
    bm = BatchedBokehModel(layout)
    (tmp_path / 'page.html').write_text(file_html(layout, INLINE, title='patch test'))
    loss_plot = layout.children[0]
    smooth_renderer = next(r for r in loss_plot.renderers if getattr(r, 'data_source', None) is srcs['smooth_0']
                           and type(r.glyph).__name__ == 'Line')
    ids = dict(plot=loss_plot.id, renderer=smooth_renderer.id, source=srcs['smooth_0'].id)

    a2 = analyze(rec, window=3, diverge_th=None)
    data_patch = recorded_patches(bm, lambda: update_sources(srcs, range_test_data(rec, a2)))
    axis_patch = recorded_patches(bm, lambda: set_x_log(layout, False))
    assert {e['kind'] for e in data_patch[0]['events']} == {'ColumnDataChanged'}
    assert {e['kind'] for e in axis_patch[0]['events']} == {'ModelChanged'}

    errors = []
    page = browser.new_page()
    page.on('pageerror', lambda e: errors.append(str(e)))
    page.on('console', lambda m: errors.append(m.text) if m.type == 'error' else None)
    page.goto((tmp_path / 'page.html').as_uri())
    page.wait_for_function('() => window.Bokeh && Bokeh.index && [...Bokeh.index].length > 0', timeout=30_000)
    page.wait_for_timeout(300)
    before = page.evaluate(JS_SX, ids)
    page.evaluate(JS_APPLY, list(data_patch))
    page.wait_for_timeout(300)
    after_data = page.evaluate(JS_SX, ids)
    page.evaluate(JS_APPLY, list(axis_patch))
    page.wait_for_timeout(300)
    after_axis = page.evaluate(JS_SX, ids)
    page.close()
    assert errors == []
    n_new = len(srcs['smooth_0'].data['lr'])
    assert before['n'] == a.cut and after_data['n'] == n_new == len(rec)     # the new data arrived (no cut now)
    assert before['scale'] == after_data['scale'] == 'LogScale' and after_axis['scale'] == 'LinearScale'
    lr = np.asarray(srcs['smooth_0'].data['lr'])
    for got, x in ((after_data, np.log(lr)), (after_axis, lr)):          # screen x is affine in log lr, then in lr
        sx = np.asarray(got['sx'])
        assert len(sx) == len(lr)
        fit = np.polyval(np.polyfit(x, sx, 1), x)
        assert np.abs(fit - sx).max() < 1.0, np.abs(fit - sx).max()      # within a pixel
