"""The `lrwidgets` console script end to end: real subprocesses, real files, exit codes and messages."""
import json, subprocess
from pathlib import Path
from importlib.resources import files
import pytest
from fastcore.script import Config
from lrwidgets import Recording
from lrwidgets import suggest, RULES, DEFAULT_RULE
from lrwidgets.cli import DEFAULT_CONFIG, read_config

REPO = Path(__file__).resolve().parents[1]
SHIPPED = str(files('lrwidgets')/'data'/'digits_mlp.parquet')

def cli(*args, cwd=None, timeout=240):
    return subprocess.run(['lrwidgets', *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=timeout)

def test_builtin_defaults_are_the_repos_settings_ini(tmp_path, monkeypatch):
    test_file = dict(Config(REPO, 'settings.ini').d)
    assert test_file == DEFAULT_CONFIG
    monkeypatch.chdir(tmp_path)                                   # no ./settings.ini here: the built-in defaults
    assert read_config() == read_config(REPO/'settings.ini')

@pytest.mark.parametrize('args,code,words', [
    ((), 2, 'usage: lrwidgets'),
    (('frobnicate',), 2, "unknown command 'frobnicate'"),
    (('suggest',), 2, 'the following arguments are required: path'),
    (('suggest', SHIPPED, '--rule', 'magic'), 2, "unknown rule 'magic'"),
    (('suggest', SHIPPED, '--window', '0'), 2, '--window: expected a whole number >= 1'),
    (('suggest', SHIPPED, '--diverge-th', 'big'), 2, "--diverge-th: expected a number > 0 or 'off'"),
    (('run', '--num-iter', 'many'), 2, "invalid int value: 'many'"),
    (('run', '--num-iter', '1'), 2, '--num-iter: num_iter = 1: expected at least 2 iterations'),
    (('run', '--start-lr', '-1'), 2, '--start-lr: start_lr = -1.0: expected a number > 0'),
    (('run', '--device', 'toaster'), 2, "--device: device = 'toaster': not a torch device"),
    (('suggest', 'missing.parquet'), 1, 'missing.parquet: no such recording file'),
    (('report', 'missing.parquet'), 1, 'missing.parquet: no such recording file'),
    (('run', '--config', 'missing.ini'), 1, 'missing.ini: no such config file'),
])
def test_usage_errors_and_failures(args, code, words, tmp_path):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert words in r.stderr
    assert 'Traceback' not in r.stderr
    assert list(tmp_path.iterdir()) == []                         # nothing written

def test_help_exits_0():
    r = cli('run', '--help')
    assert r.returncode == 0 and '--num-iter' in r.stdout and '--config' in r.stdout
    assert cli('--help').returncode == 0

@pytest.mark.parametrize('text,words', [
    ("[DEFAULT]\nbatchsize = 32\n", 'unknown key(s) batchsize'),
    ("[DEFAULT]\nmodel = transformer\n", "model = 'transformer': expected one of mlp, cnn"),
    ("[DEFAULT]\nlearning = fun\n[DEFAULT\n", 'not a valid ini file'),
    ("num_iter = 10\n", 'not a valid ini file (MissingSectionHeaderError'),
    ("[DEFAULT]\nend_lr = 1e-7\n", 'end_lr (1e-07) must be larger than start_lr'),
])
def test_bad_config_file(text, words, tmp_path):
    (tmp_path/'bad.ini').write_text(text)
    r = cli('run', '--config', 'bad.ini', cwd=tmp_path)
    assert r.returncode == 1 and words in r.stderr, r.stderr
    assert not (tmp_path/'runs').exists()                         # failed before anything was trained or written

def test_corrupt_and_truncated_recordings(tmp_path):
    (tmp_path/'junk.parquet').write_bytes(b'PAR1' + bytes(100))
    data = Path(SHIPPED).read_bytes()
    (tmp_path/'cut.parquet').write_bytes(data[:len(data)//2])
    for name in ('junk.parquet', 'cut.parquet'):
        for cmd in ('suggest', 'report'):
            r = cli(cmd, name, cwd=tmp_path)
            assert r.returncode == 1 and f'{name}: not a readable Parquet file' in r.stderr, r.stderr

def test_suggest_json_is_the_analysis(tmp_path):
    rec = Recording.load(SHIPPED)
    r = cli('suggest', SHIPPED, '--json')
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert list(out)[0] == DEFAULT_RULE and set(out) == set(RULES)
    for rule, s in out.items():
        want = suggest(rec, rule=rule)
        assert (s['lr'], s['lower'], s['upper'], s['reason']) == (want.lr, want.lower, want.upper, want.reason)
    r = cli('suggest', SHIPPED, '--rule', 'steep', '--window', '5', '--diverge-th', 'off', '--json')
    assert json.loads(r.stdout)['steep']['lr'] == suggest(rec, rule='steep', window=5, diverge_th=None).lr
    table = cli('suggest', SHIPPED).stdout
    assert table.splitlines()[0].split()[:4] == ['rule', 'lr', 'lower', 'upper'] and f'{DEFAULT_RULE}*' in table

def test_report_command(tmp_path):
    r = cli('report', SHIPPED, '-o', tmp_path/'shipped.html')
    assert r.returncode == 0, r.stderr
    text = (tmp_path/'shipped.html').read_text()
    assert 'digits-mlp (shipped)' in text and 'id="lrwidgets-grid"' in text

def test_run_precedence_defaults_file_command_line(tmp_path):
    "./settings.ini overrides the defaults, the command line overrides both; outputs land at <out>.*"
    (tmp_path/'settings.ini').write_text("[DEFAULT]\nnum_iter = 40\nbatch_size = 32\nlabel = mine\nout = res/first\n")
    r = cli('run', '--num-iter', '25', '--start-lr', '1e-4', '--end-lr', '1', '--out', 'res/second', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'experiment (./settings.ini)' in r.stdout and 'wrote res/second.parquet and res/second.html' in r.stdout
    assert 'range test' in r.stderr                               # the progress bar
    for rule in RULES: assert any(line.split()[0].rstrip('*') == rule for line in r.stdout.splitlines() if line.strip())
    rec = Recording.load(tmp_path/'res/second.parquet')
    exp = rec.meta['experiment']
    assert (exp['num_iter'], exp['start_lr'], exp['end_lr']) == (25, 1e-4, 1.)            # command line
    assert (exp['batch_size'], exp['label']) == (32, 'mine') and rec.meta['batch_size'] == 32   # ./settings.ini
    assert (exp['hidden'], exp['dataset']) == (int(DEFAULT_CONFIG['hidden']), DEFAULT_CONFIG['dataset'])  # defaults
    assert len(rec) <= 25 and rec.lrs[0] == pytest.approx(1e-4)
    assert (tmp_path/'res/second.html').stat().st_size > 1e6
    assert not (tmp_path/'res/first.parquet').exists()
