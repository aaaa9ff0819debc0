"Smoke test of bench/live.py: both sides run and the ratio is printed (timings are not asserted here)."
import runpy
from pathlib import Path

def test_live_bench_runs(capsys):
    bench = runpy.run_path(str(Path(__file__).parents[1]/'bench'/'live.py'))
    assert bench['main'](reps=1, iters=20, targets=False) == 0
    out = capsys.readouterr().out
    assert 'ratio of minima' in out and 'with the live view' in out
