"""Smoke test of bench/widgets.py: it runs every case on small recordings and prints its table (timings are not asserted)."""
import runpy
from pathlib import Path

def test_bench_runs(capsys):
    bench = runpy.run_path(str(Path(__file__).parents[1]/'bench'/'widgets.py'))
    bench['main'](repeats=1, big=20_000)
    out = capsys.readouterr().out
    for case in ('explorer 10k: window', 'explorer 20k: x axis', 'dashboard 20k: window', 'previewer 100k steps: max_lr', 're-render'):
        assert case in out, case
    assert 'targets: wall' in out
