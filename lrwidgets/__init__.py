"""Find good learning rates for PyTorch models, and see and steer that choice in Jupyter.

Modules:

- `lrwidgets.plots`: Bokeh figures of a range test and of a schedule, drawn from plain column data so that a widget (in Python) or a standalone page (in JavaScript) can redraw them by swapping `source.data`."""

__version__ = "0.1.0"

# The public names, each loaded from its module on first use (PEP 562): `import lrwidgets` costs nothing, and a
# script that only runs a range test never imports bokeh or ipywidgets.
_PUBLIC = {
    'recording': ('Recording', 'RecordingError', 'synthetic'),
    'engine': ('range_test', 'sweep_lrs', 'extension_lrs', 'DistributedRangeTestError'),
    'analysis': ('suggest', 'analyze', 'analyze_rules', 'smooth', 'loss_slope', 'cut', 'Suggestion', 'Analysis', 'median_suggestion',
                 'register_rule', 'RULES', 'DEFAULT_RULE', 'DEFAULT_WINDOW', 'DEFAULT_DIVERGE_TH'),
    'schedules': ('Schedule', 'OneCycle', 'Cyclic', 'CosineAnnealing', 'CosineWarmRestarts', 'Exponential', 'Step',
                  'MultiStep', 'LinearWarmup', 'ExponentialDecay', 'PiecewiseConstantDecay', 'FastaiOneCycle',
                  'Sequence', 'SCHEDULES', 'ScheduleWarning', 'HFLinear', 'HFCosine', 'HFCosineWithRestarts', 'HFPolynomial',
                  'HFConstantWithWarmup', 'HFInverseSqrt', 'HFCosineWithMinLR', 'HFWarmupStableDecay', 'HF_SCHEDULES',
                  'hf_schedule'),
    'plots': ('load_bokehjs', 'range_test_figure', 'schedule_figure'),
    'widgets': ('RangeTestExplorer', 'SchedulePreviewer', 'LRDashboard'),
    'live': ('LiveRangeTest',),
    'integrations': ('trainer_range_test', 'trainer_settings', 'trainer_schedule', 'use_lr', 'training_args_for',
                     'accelerate_range_test', 'lightning_range_test'),
    'html_report': ('report',),
}
_MODULE_OF = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = list(_MODULE_OF)

def __getattr__(name):
    if name not in _MODULE_OF: raise AttributeError(f"module 'lrwidgets' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(f'.{_MODULE_OF[name]}', __name__), name)
    globals()[name] = value   # the next lookup is a plain attribute
    return value

def __dir__(): return sorted(set(globals()) | set(__all__))
