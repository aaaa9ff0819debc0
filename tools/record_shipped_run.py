"""Record the range test that ships with lrwidgets: `lrwidgets/data/digits_mlp.parquet`.

It is the default experiment of the repository's `settings.ini` (an MLP on scikit-learn's digits, SGD with
momentum, lr 1e-6 -> 10 over 300 mini-batches), run by the real engine (`lrwidgets.range_test`) through the
same code as `lrwidgets run`. The device is the config's (`--device cuda` to record on a GPU); the Recording's
meta says honestly where and how it was made (device, versions, the settings, this script).

    python tools/record_shipped_run.py [--device cpu]
"""
import argparse, sys
from pathlib import Path
from lrwidgets.cli import read_config, run_experiment

ROOT = Path(__file__).resolve().parents[1]
DEST = ROOT/'lrwidgets'/'data'/'digits_mlp.parquet'

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--device', default=None, help="torch device (default: the config's)")
    args = p.parse_args(argv)
    cfg = read_config(ROOT/'settings.ini', device=args.device, label='digits-mlp (shipped)')
    [rec] = run_experiment(dict(cfg, repeats=1), progress=True)   # one run ships
    if rec.meta.get('stop_reason') == 'interrupted':     # Ctrl-C: a partial run must not replace the shipped one
        print(f"interrupted after {len(rec)} iterations; {DEST.relative_to(ROOT)} is untouched", file=sys.stderr)
        return 130
    rec.meta['recorded_by'] = 'tools/record_shipped_run.py'
    rec.meta['note'] = ("shipped example: lrwidgets' default experiment (settings.ini) recorded with "
                        f"lrwidgets.range_test on device {rec.meta.get('device')!r} ({rec.meta.get('device_name')})")
    DEST.parent.mkdir(parents=True, exist_ok=True)
    rec.save(DEST)
    print(f"{rec!r}\nwrote {DEST.relative_to(ROOT)} ({DEST.stat().st_size} bytes)")

if __name__ == '__main__': sys.exit(main())
