"""Headless tests of lrwidgets.widgets with real ipywidgets, bokeh and jupyter_bokeh objects."""
import json
import numpy as np
import pytest
import torch
from bokeh.models import Plot
from lrwidgets import Recording, synthetic
from lrwidgets import analyze, suggest, RULES, DEFAULT_RULE
from lrwidgets.analysis import rule_skips
from lrwidgets.widgets import _on_grid
from lrwidgets.plots import centred
from lrwidgets import OneCycle, Cyclic, Step
import lrwidgets.widgets as wmod
from lrwidgets.widgets import RangeTestExplorer, SchedulePreviewer, LRDashboard, PREVIEW_KINDS as KINDS


def lr3(v): return float(f"{v:.3g}")


def rounded(s):
    "A suggestion with its lrs to 3 significant digits: what the code lines and a following previewer use."
    from dataclasses import replace
    return replace(s, lr=lr3(s.lr), lower=lr3(s.lower), upper=lr3(s.upper))


def record_patches(bokeh_model):
    "Replace the widget's `send` by a recorder of the messages it would send to the browser."
    sent = []
    bokeh_model.send = lambda content, buffers=None: sent.append((content, buffers))
    return sent


def patch_kinds(sent):
    "Kinds of the bokeh document events in the recorded PATCH-DOC messages."
    kinds = []
    for content, _ in sent:
        p = content.get('payload')
        if isinstance(p, str) and p.startswith('{"events"'): kinds += [e['kind'] for e in json.loads(p)['events']]
    return kinds


@pytest.fixture(scope='module')
def rec(): return synthetic(400, seed=7, noise=0.1)


def check(ex, recs):
    "The explorer shows what the analysis says for its settings."
    recs = recs if isinstance(recs, list) else [recs]
    an = [analyze(r, **ex.settings) for r in recs]
    want = an[0].suggestion if len(recs) == 1 else suggest(recs, **ex.settings)
    assert ex.suggestion == want and ex.value == want
    for i, a in enumerate(an):
        it = ex.sources[f'smooth_{i}'].data['iteration']
        line = np.r_[centred(recs[i].losses[:a.cut], ex.settings['window'], ex.settings['kind']), a.smoothed[a.cut:]]   # without the lag, up to the cut
        np.testing.assert_allclose(ex.sources[f'smooth_{i}'].data['loss'], line[it])
        assert (it < a.cut).all() and (ex.sources[f'smooth_after_{i}'].data['iteration'] >= a.cut).all()
        if len(recs[i]) <= ex.max_points:                 # drawn whole
            assert len(it) + len(ex.sources[f'smooth_after_{i}'].data['iteration']) == np.isfinite(line).sum()
        assert list(ex.sources[f'marker_{i}'].data['lr']) == ([a.suggestion.lr] if a.suggestion.lr is not None else [])
    if want.lr is not None:
        assert list(ex.sources['band'].data['lower']) == [want.lower] and list(ex.sources['band'].data['upper']) == [want.upper]
        assert f"{want.lr:.3g}" in ex.readout.value


CONTROL_MOVES = [('window', 7), ('kind', 'sma'), ('diverge_th', 2.0), ('cut', False), ('cut', True), ('own_skips', False),
                 ('skip_start', 25), ('skip_end', 12)] + [('rule', r) for r in RULES] + [('own_skips', True), ('window', 33)]


def test_every_control_changes_what_the_analysis_says_and_patches_the_same_figure(rec):
    ex = RangeTestExplorer(rec)
    check(ex, rec)
    ids = {k: (s, s.id) for k, s in ex.sources.items()}
    plot, layout, bundle = ex.plot, ex.layout_bokeh, ex.plot.render_bundle
    sent = record_patches(ex.plot)
    seen = []
    ex.observe(lambda ch: seen.append(ch.new), 'value')
    for name, value in CONTROL_MOVES:
        before = {k: dict(s.data) for k, s in ex.sources.items()}
        n_sent = len(sent)
        ex.controls[name].value = value
        check(ex, rec)
        changed = any(not np.array_equal(np.asarray(before[k][c]), np.asarray(s.data[c]))
                      for k, s in ex.sources.items() for c in s.data)
        if changed: assert 'ColumnDataChanged' in patch_kinds(sent[n_sent:]), name
        n_patches = sum(str(c.get('payload', '')).startswith('{"events"') for c, _ in sent[n_sent:])
        assert n_patches == (1 if changed else 0), (name, n_patches)        # one message per move, all changes in it
    assert ex.settings['rule'] == list(RULES)[-1] and ex.settings['window'] == 33 and ex.settings['skip_start'] is None
    assert {k: (s, s.id) for k, s in ex.sources.items()} == ids        # the same sources ...
    assert ex.plot is plot and ex.layout_bokeh is layout                  # ... in the same figure and widget
    assert ex.plot.render_bundle is bundle                               # never re-rendered: only patches were sent
    assert set(patch_kinds(sent)) <= {'ColumnDataChanged', 'ModelChanged'}
    assert seen and seen[-1] == ex.suggestion


def test_controls_map_to_analyze_arguments(rec):
    ex = RangeTestExplorer(rec, rule='steep', window=9, kind='sma', diverge_th=None, skip_start=4, skip_end=2)
    assert ex.settings == dict(rule='steep', window=9, kind='sma', diverge_th=None, skip_start=4, skip_end=2)
    assert ex.controls['own_skips'].value is False and ex.controls['cut'].value is False
    check(ex, rec)
    ex.controls['own_skips'].value = True
    assert ex.settings['skip_start'] is None and ex.controls['skip_start'].disabled
    v = RULES['steep'].skip_start
    assert ex.controls['skip_start'].value == (int(v * len(rec)) if v < 1 else v)


def test_one_skip_given_the_other_is_the_rules_own(rec):
    ex = RangeTestExplorer(rec, rule='steep', skip_start=4)
    assert ex.settings['skip_start'] == 4 and ex.settings['skip_end'] == RULES['steep'].skip_end
    assert ex.suggestion == suggest(rec, 'steep', skip_start=4)
    ex.controls['rule'].value = 'ratio'                                 # ratio skips what its base (smith) skips
    ex.controls['own_skips'].value = True
    assert (ex.controls['skip_start'].value, ex.controls['skip_end'].value) == (0, 0)
    check(ex, rec)


def test_recorded_val_loss_and_metrics_get_panels_that_share_the_marks(rec):
    n = len(rec)
    r = Recording.from_arrays(rec.lrs, rec.losses, val_loss=np.where(np.arange(n) % 40 == 0, rec.losses, np.nan),
                              accuracy=np.linspace(0.1, 0.9, n), meta=dict(label='with metrics'))
    ex = RangeTestExplorer(r)
    panels = ex.layout_bokeh.children
    assert [p.title.text for p in panels] == ['loss vs learning rate', 'loss slope (d loss / d ln lr)', 'accuracy', 'val_loss']
    assert len(ex.sources['extra_val_loss_0'].data['lr']) == 10
    np.testing.assert_array_equal(ex.sources['extra_accuracy_0'].data['value'], r.df['accuracy'].to_numpy())
    for p in panels[2:]: assert {g.data_source.name for g in p.renderers} >= {'band', 'suggestion'}
    ex.controls['window'].value = 9
    check(ex, r)


def test_x_axis_toggle_swaps_scales_without_touching_data(rec):
    ex = RangeTestExplorer(rec)
    data = {k: dict(s.data) for k, s in ex.sources.items()}
    sent = record_patches(ex.plot)
    models = set(ex.layout_bokeh.document.models)
    ex.controls['x_log'].value = False
    drawn_on = lambda: {r.x_range_name for p in ex.layout_bokeh.select({'type': Plot}) for r in p.renderers}
    shown = lambda: {type(ax).__name__ for p in ex.layout_bokeh.select({'type': Plot}) for ax in p.below if ax.visible}
    assert drawn_on() == {'linear'} and shown() == {'LinearAxis'}
    assert 'ColumnDataChanged' not in patch_kinds(sent) and 'ModelChanged' in patch_kinds(sent)
    assert sum(str(c.get('payload', '')).startswith('{"events"') for c, _ in sent) == 1      # one patch
    assert all(ex.sources[k].data[c] is data[k][c] for k in data for c in data[k])
    assert set(ex.layout_bokeh.document.models) == models                                   # no new model to send
    ex.controls['x_log'].value = True
    assert drawn_on() == {'default'} and shown() == {'LogAxis'}


BAD = {'empty': (Recording.from_arrays([], [], meta=dict(label='empty')), 'is empty'),
       'one point': (Recording.from_arrays([1e-3], [2.], meta=dict(label='one')), 'single point'),
       'all NaN': (Recording.from_arrays([1e-4, 1e-3, 1e-2], [np.nan] * 3, meta=dict(label='nan')), 'no finite loss'),
       'all inf': (Recording.from_arrays([1e-4, 1e-3, 1e-2, 1e-1], [np.inf] * 4, meta=dict(label='inf')), 'no finite loss'),
       'one finite': (Recording.from_arrays([1e-4, 1e-3, 1e-2], [np.nan, 1., np.nan], meta=dict(label='nan')), 'single finite loss')}


@pytest.mark.parametrize('name', list(BAD))
def test_bad_recordings_show_a_message_and_never_raise(name):
    bad, words = BAD[name]
    ex = RangeTestExplorer(bad)
    assert ex.plot.layout.display == 'none' and ex.message.layout.display is None
    assert words in ex.message_text and 'no suggestion' in ex.readout.value
    for control, value in [(None, None)] + CONTROL_MOVES + [('x_log', False)]:
        if control: ex.controls[control].value = value
        assert ex.suggestion == suggest(bad, **ex.settings) and ex.suggestion.lr is None and words in ex.message_text


def test_a_bad_run_among_good_ones_is_named_and_the_rest_compared(rec):
    nan_run = BAD['all NaN'][0]
    ex = RangeTestExplorer([rec, nan_run, synthetic(300, seed=2, label='second')])
    assert ex.plot.layout.display is None and "'nan'" in ex.message_text
    assert ex.suggestion == suggest(ex.recs, **ex.settings) and ex.suggestion.reason.endswith('; 1 gave none')
    assert len(ex.sources['raw_1'].data['lr']) == 0 and len(ex.sources['raw_2'].data['lr']) > 0
    ex.controls['window'].value = 5
    assert ex.suggestion == suggest(ex.recs, **ex.settings)


def test_an_analysis_that_raises_is_shown_not_raised(rec, monkeypatch):
    ex = RangeTestExplorer(rec)
    def broken(*a, **k): raise RuntimeError('boom')
    monkeypatch.setattr(wmod, 'analyze', broken)
    ex.controls['window'].value = 11                     # must not raise into the notebook
    assert 'RuntimeError: boom' in ex.message_text and ex.suggestion.lr is None and 'RuntimeError: boom' in ex.suggestion.reason
    monkeypatch.undo()
    ex.controls['window'].value = 12
    check(ex, rec)
    assert ex.message.layout.display == 'none'


def test_wrong_arguments_fail_early(rec):
    with pytest.raises(TypeError, match='recs: expected a Recording'): RangeTestExplorer([rec, 'x'])
    with pytest.raises(TypeError, match='non-empty list'): RangeTestExplorer([])
    with pytest.raises(ValueError, match='rule: expected one of'): RangeTestExplorer(rec, rule='nope')
    with pytest.raises(ValueError, match='kind: expected one of'): SchedulePreviewer('Linear')
    with pytest.raises(TypeError, match=r"unknown OneCycle parameter\(s\) \['warmup'\]"): SchedulePreviewer(warmup=3)
    with pytest.raises(TypeError, match=r"unknown Step parameter\(s\) \['mode'\]"): SchedulePreviewer('Step', mode='triangular')
    assert SchedulePreviewer('Step', gamma=0.5, step_size=7).schedule == Step(1e-2, 7, 0.5, total_steps=1000, steps_per_epoch=100)


def test_a_million_points_analysed_whole_drawn_downsampled():
    big = synthetic(1_000_000, seed=5)
    ex = RangeTestExplorer(big)
    check(ex, big)
    assert all(len(s.data['lr']) <= 2004 for k, s in ex.sources.items() if 'lr' in s.data)
    ex.controls['window'].value = 50
    check(ex, big)


def test_code_lines_are_the_schedules_torch_calls(rec):
    ex = RangeTestExplorer(rec, total_steps=777)
    s = rounded(ex.suggestion)                                            # lrs to 3 digits, as a person types them
    assert ex.code.splitlines() == [OneCycle.from_suggestion(s, total_steps=777).torch_call(), Cyclic.from_suggestion(s).torch_call()]
    assert f"max_lr={lr3(ex.suggestion.upper)!r}," in ex.code and '0000000' not in ex.code and '9999999' not in ex.code


# ---- previewer -------------------------------------------------------------------------------------------------

def check_schedule(prev):
    kind = prev.controls['kind'].value
    want = KINDS[kind](**prev.params)
    assert prev.schedule == want
    lr = prev.sources['lr'].data
    np.testing.assert_array_equal(lr['lr'], want.lrs()[lr['step']])
    m = want.momentums()
    if m is None: assert len(prev.sources['momentum'].data['step']) == 0
    else: np.testing.assert_array_equal(prev.sources['momentum'].data['momentum'], m[prev.sources['momentum'].data['step']])
    spe = prev.controls['steps_per_epoch'].value
    np.testing.assert_array_equal(prev.sources['epochs'].data['step'], np.arange(spe, want.total_steps, spe))
    assert want.torch_call().replace("'", '&#x27;') in prev.code.value


PREVIEW_MOVES = [('max_lr', 0.05), ('pct_start', 0.4), ('anneal_strategy', 'linear'), ('div_factor', 10.), ('final_div_factor', 100.),
                 ('three_phase', True), ('epochs', 5), ('steps_per_epoch', 64), ('momentum', (0.8, 0.97)), ('cycle_momentum', False),
                 ('kind', 'Cyclic'), ('cycle_momentum', True), ('base_lr', 1e-4), ('step_size_up', 100), ('mode', 'exp_range'),
                 ('clr_gamma', 0.995), ('mode', 'triangular2'), ('max_lr', 0.2),
                 ('kind', 'CosineAnnealing'), ('lr', 0.3), ('eta_min', 1e-4), ('kind', 'CosineWarmRestarts'), ('T_0', 30), ('T_mult', 2),
                 ('kind', 'WarmupCosine'), ('warmup_steps', 25), ('start_factor', 0.1), ('eta_min', 1e-3), ('epochs', 4),
                 ('kind', 'Exponential'), ('exp_gamma', 0.99), ('kind', 'Step'), ('step_size', 40), ('step_gamma', 0.5), ('epochs', 7)]


def test_previewer_controls_change_the_schedule_and_patch_the_plot():
    prev = SchedulePreviewer(steps_per_epoch=50, epochs=3)
    check_schedule(prev)
    srcs, bundle = dict(prev.sources), prev.plot.render_bundle
    sent = record_patches(prev.plot)
    for name, value in PREVIEW_MOVES:
        prev.controls[name].value = value
        check_schedule(prev)
    assert prev.sources == srcs and prev.plot.render_bundle is bundle
    assert 'ColumnDataChanged' in patch_kinds(sent)
    assert prev.controls['momentum'].layout.display == 'none' and prev.controls['mode'].layout.display == 'none'
    assert prev.controls['step_gamma'].layout.display is None and prev.controls['exp_gamma'].layout.display == 'none'


def test_switching_to_cyclic_shows_its_controls_and_torch_momentum_defaults():
    prev = SchedulePreviewer(steps_per_epoch=50, epochs=3)
    prev.controls['kind'].value = 'Cyclic'
    assert prev.controls['momentum'].value == (0.8, 0.9)                          # torch's CyclicLR defaults
    assert prev.controls['pct_start'].layout.display == 'none' and prev.controls['mode'].layout.display is None
    check_schedule(prev)


def test_previewer_invalid_parameters_show_the_schedules_error():
    with pytest.raises(ValueError, match='too few steps'): SchedulePreviewer(steps_per_epoch=2, epochs=1)   # refused as given
    prev = SchedulePreviewer(steps_per_epoch=2, epochs=5, pct_start=0.3)
    prev.controls['epochs'].value = 1                                       # 2 steps: 1cycle's warm-up has no step
    assert prev.schedule is None and prev.plot.layout.display == 'none'
    assert 'too few steps' in prev.message_text
    with pytest.raises(ValueError, match='no valid schedule'): prev.to_torch(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    prev.controls['epochs'].value = 20                                      # fixed: the plot comes back
    assert prev.schedule is not None and prev.plot.layout.display is None and prev.message_text == ''
    check_schedule(prev)
    prev.controls['kind'].value = 'Cyclic'
    prev.controls['base_lr'].value = 1.                                      # above max_lr
    assert prev.schedule is None and 'must not exceed max_lr' in prev.message_text


def test_previewer_shows_the_schedules_warnings_and_keeps_the_plot():
    prev = SchedulePreviewer('Cyclic', steps_per_epoch=100, epochs=4, step_size_up=20)   # half cycle shorter than an epoch
    assert prev.schedule is not None and prev.plot.layout.display is None
    assert prev.message_text.startswith('warning:') and 'step_size_up=20' in prev.message_text


@pytest.mark.parametrize('kind, kw', [('OneCycle', dict(max_lr=0.03)), ('WarmupCosine', dict(lr=0.03, warmup_steps=7, eta_min=1e-4))])
def test_previewer_to_torch_steps_like_the_preview(kind, kw):
    prev = SchedulePreviewer(kind, steps_per_epoch=20, epochs=3, **kw)
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
    sched = prev.to_torch(opt)
    lrs = []
    for _ in range(prev.total_steps):
        lrs.append(opt.param_groups[0]['lr']); opt.step(); sched.step()
    np.testing.assert_allclose(lrs, prev.schedule.lrs(), rtol=1e-12)


def test_previewer_from_suggestion(rec):
    s = analyze(rec).suggestion
    p1 = SchedulePreviewer.from_suggestion(s, steps_per_epoch=40, epochs=5)
    assert p1.schedule == OneCycle.from_suggestion(rounded(s), epochs=5, steps_per_epoch=40)
    assert p1.controls['max_lr'].value == lr3(s.upper)
    p2 = SchedulePreviewer.from_suggestion(s, kind='Cyclic', steps_per_epoch=40, epochs=5)
    assert [p2.schedule.base_lr, p2.schedule.max_lr] == [lr3(s.lower), lr3(s.upper)]
    check_schedule(p2)


# ---- linking ---------------------------------------------------------------------------------------------------

def on_log_grid(v, step=0.001):
    "`v` on the lr sliders' grid: a whole number of `step` decades (what a browser slider sends back)."
    e = np.log10(v) / step
    return abs(e - round(e)) < 1e-6


def follows(dash):
    cls = KINDS[dash.previewer.controls['kind'].value]
    p = dash.previewer.params
    s = rounded(dash.suggestion)                                       # the same lrs as the explorer's code lines
    want = (cls.from_suggestion(s, **{k: v for k, v in p.items() if k not in cls.lr_params})
            if hasattr(cls, 'from_suggestion') else cls(**dict(p, lr=s.lr)))
    assert dash.schedule == want
    for k in cls.lr_params:                                            # the sliders show them: their steps laid through them
        if k in dash.previewer.controls and getattr(want, k) > 0: assert dash.previewer.controls[k].value == getattr(want, k), k
    check_schedule(dash.previewer)


def test_dashboard_previewer_follows_every_explorer_control(rec):
    dash = LRDashboard(rec, steps_per_epoch=30, epochs=4)
    follows(dash)
    for name, value in CONTROL_MOVES:
        dash.explorer.controls[name].value = value
        if dash.suggestion.lr is not None: follows(dash)
        else: assert dash.schedule is None and 'gives no' in dash.previewer.message_text
    for kind in ('Exponential', 'CosineWarmRestarts', 'Cyclic'):             # the last suggestion carries over
        dash.previewer.controls['kind'].value = kind
        follows(dash)
    dash.explorer.controls['rule'].value = DEFAULT_RULE
    follows(dash)
    dash.previewer.controls['max_lr'].value = 0.5                          # set by hand: no longer follows the suggestion ...
    assert dash.schedule.max_lr == 0.5 and dash.previewer.controls['follow'].value is False
    dash.explorer.controls['window'].value = 3
    assert dash.schedule.max_lr == 0.5                                     # ... when the explorer moves
    dash.previewer.controls['follow'].value = True                          # until told to follow again
    follows(dash)
    assert type(dash.to_torch(torch.optim.Adam(torch.nn.Linear(2, 1).parameters()))).__name__ == 'CyclicLR'


def test_link_several_runs_and_a_suggestion_without_bounds(rec):
    runs = [rec, synthetic(400, seed=8, label='b')]
    ex = RangeTestExplorer(runs)
    prev = ex.link(SchedulePreviewer(steps_per_epoch=20, epochs=5))
    assert prev.schedule.max_lr == lr3(ex.suggestion.upper)
    before = prev.schedule
    ex.controls['window'].value = 1; ex.controls['cut'].value = False
    ex.controls['rule'].value = 'minimum'
    assert prev.schedule.max_lr == lr3(ex.suggestion.upper) != before.max_lr
    flat = Recording.from_arrays(np.geomspace(1e-5, 1, 50), np.ones(50), meta=dict(label='flat'))
    ex2 = RangeTestExplorer(flat)                                        # the analysis finds nothing to suggest
    assert ex2.suggestion.lr is None and 'no suggestion' in ex2.readout.value
    p2 = ex2.link(SchedulePreviewer(steps_per_epoch=20, epochs=5))
    assert p2.schedule is None and 'the suggestion gives no OneCycle schedule' in p2.message_text   # nothing stale to hand out
    with pytest.raises(ValueError, match='no valid schedule'): p2.to_torch(torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1))
    p2.controls['max_lr'].value = 0.03                                   # set by hand: a schedule again
    assert p2.schedule == OneCycle(**p2.params)
    p2.controls['kind'].value = 'Cyclic'                                 # and another kind keeps the hand-set controls
    assert p2.schedule == Cyclic(**p2.params) and p2.schedule.max_lr == 0.03


def test_load_bokehjs_inlines_bokehjs_without_a_cdn(monkeypatch):
    import bokeh, bokeh.io.notebook as nbm
    from lrwidgets import load_bokehjs
    shown = []
    monkeypatch.setattr(nbm, 'publish_display_data', lambda *a, **k: shown.append(a[0] if a else k['data']))
    load_bokehjs()
    js = shown[-1]['application/javascript']
    assert len(js) > 1_000_000 and 'cdn.bokeh.org' not in js and bokeh.__version__ in js
    load_bokehjs(inline=False)
    assert 'cdn.bokeh.org' in shown[-1]['application/javascript']


def test_values_given_are_honoured_and_sliders_start_on_their_steps(rec):
    ex = RangeTestExplorer(rec, diverge_th=2.57)                   # the threshold's grid is laid through the value given
    assert ex.controls['diverge_th'].value == 2.57 and ex.settings['diverge_th'] == 2.57
    check(ex, rec)
    prev = SchedulePreviewer(max_lr=0.0123, div_factor=25.3, steps_per_epoch=20, epochs=5)
    assert prev.schedule.div_factor == 25.3 and prev.schedule.max_lr == 0.0123   # the schedule is what was asked for ...
    assert prev.controls['div_factor'].value == 25.5 and prev.controls['max_lr'].value == 0.0123   # ... the sliders on their steps
    check_schedule(prev)
    prev.controls['div_factor'].value = 30.                        # moved by hand: the slider's value from then on
    assert prev.schedule.div_factor == 30.


# ---- what the user asked for: honoured or refused as the analysis and the schedules would ----------------------

def test_explorer_honours_a_fraction_skip_and_a_wide_threshold(rec):
    ex = RangeTestExplorer(rec, skip_start=0.5)
    assert ex.suggestion == suggest(rec, skip_start=0.5) and ex.settings['skip_start'] == 0.5
    assert ex.controls['skip_start'].value == len(rec) // 2                    # shown in points
    ex.controls['skip_start'].value = 10                                       # moved: points from then on
    assert ex.settings['skip_start'] == 10 and ex.suggestion == suggest(rec, skip_start=10)
    ex = RangeTestExplorer(rec, diverge_th=50)
    assert ex.controls['diverge_th'].value == 50 and ex.settings['diverge_th'] == 50.
    assert ex.suggestion == suggest(rec, diverge_th=50)


@pytest.mark.parametrize('kw', [dict(diverge_th=0.5), dict(window=0), dict(window=2.5), dict(kind='median'), dict(skip_start=-1)])
def test_explorer_refuses_what_the_analysis_refuses(rec, kw):
    with pytest.raises(ValueError) as want: analyze(rec, **kw)
    with pytest.raises(ValueError) as got: RangeTestExplorer(rec, **kw)
    assert str(got.value) == str(want.value)


def test_previewer_honours_a_large_lr_and_refuses_what_the_schedule_refuses():
    prev = SchedulePreviewer(max_lr=100, steps_per_epoch=20, epochs=5)
    assert prev.schedule.max_lr == 100 and prev.controls['max_lr'].max >= 2          # the slider widened to hold it
    for kw in (dict(pct_start=0), dict(epochs=0), dict(max_lr=-1.)):
        with pytest.raises(ValueError) as got: SchedulePreviewer(steps_per_epoch=20, **{'epochs': 5, **kw})
        with pytest.raises(ValueError) as want: OneCycle(**{'max_lr': 0.01, 'epochs': 5, 'steps_per_epoch': 20, **kw})
        assert str(got.value) == str(want.value)


# ---- readable at a glance ---------------------------------------------------------------------------------------

def test_numbers_are_written_as_a_person_types_them():
    prev = SchedulePreviewer('Cyclic', steps_per_epoch=20, epochs=5)
    prev.controls['momentum'].value = (0.805, 0.9)                                # slider arithmetic: 0.8999999999999999
    prev.controls['kind'].value = 'Step'; prev.controls['step_gamma'].value = 0.1
    prev.controls['kind'].value = 'OneCycle'; prev.controls['div_factor'].value = 5.5
    code = prev.code.value
    assert 'div_factor=5.5)' in code and not any(s in code for s in ('0000000', '9999999'))
    assert prev.params['max_momentum'] == 0.95
    assert "white-space:pre-wrap;overflow-wrap:normal" in code                     # wraps between arguments, never in a number


def test_follow_toggle_and_warnings_past_the_curve(rec):
    dash = LRDashboard(rec, steps_per_epoch=30, epochs=4)
    lim = dash.explorer.limits()
    assert lim['minimum'] is not None and dash.previewer.controls['follow'].layout.display is None
    assert 'follows this suggestion' in dash.explorer.readout.value and '<pre' not in dash.explorer.readout.value   # one code line
    dash.previewer.controls['max_lr'].value = _on_grid(dash.previewer.controls['max_lr'], lim['minimum'] * 1.5)
    assert 'past the range test' in dash.previewer.message_text and dash.previewer.schedule is not None
    if lim['diverged']:
        dash.previewer.controls['max_lr'].value = _on_grid(dash.previewer.controls['max_lr'], lim['diverged'] * 2)
        assert 'beyond the divergence region' in dash.previewer.message_text
    dash.previewer.controls['follow'].value = True
    assert dash.schedule.max_lr == lr3(dash.suggestion.upper) and dash.previewer.message_text == ''
    band = dash.previewer.sources['band'].data
    r = dash.suggestion.rounded()                              # shaded as the curve is built: lrs to 3 digits, as the report
    assert list(band['lower']) == [r.lower] and list(band['upper']) == [r.upper]


def test_controls_that_do_nothing_are_hidden_or_disabled(rec):
    ex = RangeTestExplorer(rec)
    ex.controls['cut'].value = False
    assert ex.controls['diverge_th'].disabled
    ex.controls['cut'].value = True
    assert not ex.controls['diverge_th'].disabled
    prev = SchedulePreviewer('Cyclic', steps_per_epoch=20, epochs=5)
    assert prev.controls['clr_gamma'].layout.display == 'none'                     # gamma does nothing in 'triangular'
    prev.controls['mode'].value = 'exp_range'
    assert prev.controls['clr_gamma'].layout.display is None
    prev.controls['kind'].value = 'Step'
    assert prev.layout_bokeh.children[1].visible is False                          # no momentum: no empty panel


def test_rules_are_described_and_the_default_marked(rec):
    ex = RangeTestExplorer(rec)
    labels = dict((v, k) for k, v in ex.controls['rule'].options)
    assert set(labels) == set(RULES) and labels[DEFAULT_RULE].startswith(f'{DEFAULT_RULE} (default): ')
    assert all(len(l) > len(r) + 10 for r, l in labels.items())
    assert '<details' in ex.readout.value and ex.suggestion.reason.split(':')[0][:20] in ex.readout.value


def test_the_suggestions_warnings_are_shown(rec):
    from dataclasses import fields
    from lrwidgets import Suggestion
    if 'warnings' not in {f.name for f in fields(Suggestion)}: pytest.skip('this analysis gives no warnings')
    short = Recording.from_arrays(np.geomspace(1e-5, 1e-3, 200), np.linspace(2., 1., 200), meta=dict(label='still falling'))
    ex = RangeTestExplorer(short)
    assert ex.suggestion.warnings and all(w.split(':')[0] in ex.readout.value for w in ex.suggestion.warnings)


def test_skipped_spans_are_shaded_and_the_frame_is_set(rec):
    ex = RangeTestExplorer(rec, rule='steepest')
    a, e = rule_skips('steepest', len(rec))
    sk = ex.sources['skipped'].data
    assert list(sk['lower']) == [rec.lrs[0], rec.lrs[len(rec) - 1 - e]] and list(sk['upper']) == [rec.lrs[a], rec.lrs[-1]]
    y = ex.layout_bokeh.children[0].y_range
    assert [y.start, y.end] == list(ex.sources['frame'].data['loss'])
    ex.controls['cut'].value = False                                                # the uncut explosion does not stretch it
    assert ex.layout_bokeh.children[0].y_range.end < np.nanmax(rec.losses) or np.nanmax(rec.losses) < 3 * rec.losses[0]

def test_threshold_below_the_slider_floor_is_kept():
    "diverge_th=1.05 is a valid threshold (> 1): the explorer keeps it exactly, as the analysis would."
    ex = RangeTestExplorer(synthetic(400, seed=7, noise=0.1), diverge_th=1.05)
    assert ex.settings['diverge_th'] == 1.05

def test_the_drawn_line_ignores_the_diverged_tail():
    "The zero-lag line before the cut is smoothed from the kept points only: a tail that explodes cannot bend it."
    rng = np.random.default_rng(0)
    losses = np.r_[np.linspace(2, 1, 80), np.geomspace(1.2, 1e6, 20)] * (1 + 0.01 * rng.standard_normal(100))
    rec = Recording.from_arrays(np.geomspace(1e-5, 10, 100), losses)
    ex = RangeTestExplorer(rec, window=40)
    a = ex.analyses[0]
    line = ex._lines(ex.analyses)[0]
    from lrwidgets.plots import centred
    assert a.cut < 100 and np.all(line[:75] < 2.1)             # the fall before the explosion, as recorded
    assert centred(rec.losses, 40)[70] > 100                    # smoothed with the tail, point 70 read ~2772
    np.testing.assert_array_equal(line[a.cut:], a.smoothed[a.cut:])
