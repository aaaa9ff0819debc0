"""Smoke test of bench/schedules.py: it runs and prints its table (timings are not asserted here)."""
import runpy, sys
from pathlib import Path

def test_bench_runs(capsys):
    bench = runpy.run_path(str(Path(__file__).parents[1]/'bench'/'schedules.py'))
    bench['main'](steps=20_000, torch_steps=500, repeats=1)
    out = capsys.readouterr().out
    for name in ('OneCycle', 'Cyclic', 'CosineAnnealing', 'Sequence'): assert name in out
    assert 'targets' in out
