"The README is generated from nbs/index.ipynb, and CI runs exactly the test command it shows."
import re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT/'tools'))
from make_readme import readme_text

def test_readme_is_generated_from_index_notebook():
    assert (ROOT/'README.md').read_text() == readme_text(), "README.md is out of date: run `python tools/make_readme.py`"

def _command_after(heading):
    "The first shell command in the fenced block that follows `heading` in the README."
    m = re.search(re.escape(heading) + r'.*?```(?:bash|sh)\n(.+?)\n```', (ROOT/'README.md').read_text(), re.S)
    assert m, f"README has no command block under {heading!r}"
    return m.group(1).strip()

def test_ci_runs_the_readme_test_command():
    cmd = _command_after('Run every test')
    ci = [l.strip() for l in (ROOT/'.ci'/'run').read_text().splitlines() if l.strip() and not l.startswith('#')]
    assert cmd in ci, f".ci/run does not run the README's test command {cmd!r}"

def test_readme_main_job_command_runs_the_cli():
    assert 'lrwidgets run' in _command_after('Run the main job')
