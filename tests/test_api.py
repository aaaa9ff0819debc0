"The top-level API: every public name imports from `lrwidgets`, cheaply, and no module hides a function of its name."
import importlib, pkgutil, subprocess, sys
import lrwidgets

def test_public_names_resolve_to_their_objects():
    for m in pkgutil.iter_modules(lrwidgets.__path__): importlib.import_module(f'lrwidgets.{m.name}')  # no submodule shadows a name
    for name in lrwidgets.__all__:
        obj = getattr(lrwidgets, name)
        assert obj is getattr(importlib.import_module(f'lrwidgets.{lrwidgets._MODULE_OF[name]}'), name), name
    assert callable(lrwidgets.range_test) and callable(lrwidgets.suggest)
    assert set(lrwidgets.__all__) <= set(dir(lrwidgets))

def test_star_import_and_unknown_name():
    ns = {}
    exec('from lrwidgets import *', ns)
    assert {'range_test', 'suggest', 'analyze', 'Recording', 'RangeTestExplorer', 'LRDashboard', 'SchedulePreviewer',
            'OneCycle', 'Cyclic'} <= set(ns)
    try: lrwidgets.no_such_name
    except AttributeError as e: assert 'no_such_name' in str(e)
    else: raise AssertionError('an unknown name must raise AttributeError')

def _modules_after(code):
    out = subprocess.run([sys.executable, '-c', f'{code}\nimport sys; print(" ".join(sorted(sys.modules)))'],
                         capture_output=True, text=True, check=True).stdout.split()
    return set(out)

def test_import_is_cheap_and_a_range_test_needs_no_widgets():
    bare = _modules_after('import lrwidgets')
    assert not {'torch', 'bokeh', 'ipywidgets', 'pandas'} & bare
    engine = _modules_after('from lrwidgets import range_test, suggest, Recording')
    assert 'torch' in engine and not {'bokeh', 'ipywidgets', 'jupyter_bokeh'} & engine

def test_no_module_shares_its_name_with_an_exported_function():
    for m in pkgutil.iter_modules(lrwidgets.__path__):
        mod = importlib.import_module(f'lrwidgets.{m.name}')
        assert m.name not in getattr(mod, '__all__', ()), f'lrwidgets.{m.name} exports a function of its own name'
