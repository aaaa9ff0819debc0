"""The `lrwidgets` console script end to end: real subprocesses, real files, exit codes and messages."""
import json, os, re, signal, subprocess, time
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
    (('suggest', SHIPPED, '--diverge-th', 'big'), 2, "--diverge-th: expected a number > 1 or 'off'"),
    (('suggest', SHIPPED, '--diverge-th', '0.5'), 2, "--diverge-th: expected a number > 1 or 'off', got '0.5'"),
    (('run', '--out', '.'), 2, "--out '.': is a folder; give a file prefix in it"),
    (('run', '--device', 'meta'), 2, "--device: device = 'meta': the meta device holds no values"),
    (('run', '--num-iter', 'many'), 2, "invalid int value: 'many'"),
    (('run', '--num-iter', '1'), 2, '--num-iter: num_iter = 1: expected a whole number from 2 to 10,000,000'),
    (('run', '--num-iter', str(10**12)), 2, '--num-iter: num_iter = 1000000000000: expected a whole number from 2 to 10,000,000'),
    (('run', '--end-lr', '1e-9'), 2, '--end-lr: end_lr (1e-09) must be larger than start_lr (1e-06, from built-in defaults)'),
    (('run', '--device', 'cuda:99'), 2, "--device: device = 'cuda:99'"),
    (('report', SHIPPED, '--Out', 'x.html'), 2, 'unrecognized arguments: --Out'),
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

def test_help_exits_0_and_says_what_options_do():
    r = cli('run', '--help')
    assert r.returncode == 0 and '--num-iter' in r.stdout and '--config' in r.stdout
    assert re.search(r'--no-progress\s+hide the progress bar', r.stdout), r.stdout
    assert cli('--help').returncode == 0
    for cmd in ('run', 'report'): assert '--out' in cli(cmd, '--help').stdout and '--Out' not in cli(cmd, '--help').stdout

@pytest.mark.parametrize('text,words', [
    ("[DEFAULT]\nbatchsize = 32\n", 'unknown key(s) batchsize'),
    ("[DEFAULT]\nmodel = transformer\n", "model = 'transformer': expected one of mlp, cnn"),
    ("[DEFAULT]\nlearning = fun\n[DEFAULT\n", 'not a valid ini file'),
    ("num_iter = 10\n", 'not a valid ini file (MissingSectionHeaderError'),
    ("[DEFAULT]\nend_lr = 1e-7\n", 'bad.ini: end_lr (1e-07) must be larger than start_lr'),
    ("[DEFAULT]\nseed = 99999999999999999999999\n", "seed = '99999999999999999999999': expected a whole number from 0 to 4,294,967,295"),
    ("[DEFAULT]\nnum_iter = 1000000000000\n", "num_iter = '1000000000000': expected a whole number from 2 to 10,000,000"),
    ("[DEFAULT]\nepochs = 10000000000\n", "epochs = '10000000000': expected a whole number from 1 to 1,000,000"),
    ("[DEFAULT]\nmode = cubic\n", "mode = 'cubic': expected one of exp, linear"),
    ("[DEFAULT]\nbatch_size = 5000\n", 'bad.ini: batch_size = 5000: more than the 1438 training rows of digits'),
    ("[DEFAULT]\ndevice = meta\n", "bad.ini: device = 'meta': the meta device holds no values"),
    ("[DEFAULT]\ndiverge_th = 0.5\n", "bad.ini: diverge_th = '0.5': expected a number > 1"),
    ("[DEFAULT]\nout = runs/\n", "bad.ini: out = 'runs/': is a folder"),
    ("\ufeff[DEFAULT]\nmode = cubic\n", "mode = 'cubic': expected one of exp, linear"),   # a BOM is not the ini's first line
    ("[DEFAULT]\nseed = 1\nseed = 2\n", 'not a valid ini file (DuplicateOptionError'),
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

def test_only_the_default_rule_is_starred():
    "The star marks the rule suggest reads the run with, also when --rule shows another one alone."
    lines = cli('suggest', SHIPPED, '--rule', 'steep').stdout.splitlines()
    assert lines[1].split()[0] == 'steep', lines          # not starred: the default is cautious
    assert cli('suggest', SHIPPED).stdout.splitlines()[1].split()[0] == f'{DEFAULT_RULE}*'

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
    r = cli('report', SHIPPED, '--out', tmp_path/'shipped.html')
    assert r.returncode == 0, r.stderr
    text = (tmp_path/'shipped.html').read_text()
    assert 'digits-mlp (shipped)' in text and 'id="lrwidgets-grid"' in text

def test_report_and_suggest_take_a_file_name_that_is_not_utf8(tmp_path):
    "A recording saved under a name holding a byte that is not UTF-8 is read back, suggested on and reported."
    odd = os.fsencode(tmp_path) + b'/caf\xe9.parquet'
    Recording.load(SHIPPED).save(os.fsdecode(odd))
    r = subprocess.run([b'lrwidgets', b'report', odd], capture_output=True, timeout=240)
    assert r.returncode == 0, r.stderr
    assert 'id="lrwidgets-grid"' in Path(os.fsdecode(odd[:-len(b'parquet')] + b'html')).read_text(encoding='utf-8')
    r = subprocess.run([b'lrwidgets', b'suggest', odd], capture_output=True, timeout=240)
    assert r.returncode == 0 and b'cautious' in r.stdout, r.stderr

def test_several_runs_from_run_to_report_and_suggest(tmp_path):
    "--repeats 2: two runs (seeds 3 and 4) saved side by side, the table is their median; report and suggest take both."
    (tmp_path/'res').mkdir(); (tmp_path/'res/two.run3.parquet').write_bytes(b'an earlier run')   # left as it is, and named
    r = cli('run', '--repeats', '2', '--num-iter', '40', '--out', 'res/two', '--no-progress', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'note: res/two.run3.parquet in the same place is from an earlier run, not this one' in r.stdout
    assert (tmp_path/'res/two.run3.parquet').read_bytes() == b'an earlier run'
    runs = [Recording.load(tmp_path/f'res/two.run{i}.parquet') for i in (1, 2)]
    assert [rec.meta['seed'] for rec in runs] == [0, 1] and runs[0].label == 'digits-mlp seed 0'
    assert not (tmp_path/'res/two.parquet').exists() and (tmp_path/'res/two.html').exists()
    assert 'res/two.run1.parquet and res/two.run2.parquet and res/two.html' in r.stdout and ', 2 runs on cpu' in r.stdout
    both = suggest(runs)
    assert 'median of 2 runs' in r.stdout and both.reason.startswith('median of 2 runs')
    out = json.loads(cli('suggest', 'res/two.run1.parquet', 'res/two.run2.parquet', '--json', cwd=tmp_path).stdout)
    assert (out[DEFAULT_RULE]['lr'], out[DEFAULT_RULE]['upper']) == (both.lr, both.upper)
    r = cli('report', 'res/two.run1.parquet', 'res/two.run2.parquet', '--out', 'both.html', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = (tmp_path/'both.html').read_text()
    assert 'Range test, 2 runs: digits-mlp seed 0, 1' in text and text.count('class="lrw-meta"') == 2
    assert cli('run', '--repeats', '0', cwd=tmp_path).returncode == 2            # a whole number from 1 to 100

def test_run_precedence_defaults_file_command_line(tmp_path):
    "./settings.ini overrides the defaults, the command line overrides both; outputs land at <out>.*"
    (tmp_path/'settings.ini').write_text("[DEFAULT]\nnum_iter = 40\nbatch_size = 32\nlabel = mine\nout = res/first\n")
    r = cli('run', '--num-iter', '25', '--start-lr', '1e-4', '--end-lr', '1', '--out', 'res/second', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert 'experiment (./settings.ini)' in r.stdout and ', 5 runs on cpu' in r.stdout                 # five runs by default
    assert 'wrote res/second.run1.parquet to res/second.run5.parquet and res/second.html' in r.stdout
    assert sorted(p.name for p in (tmp_path/'res').iterdir()) == ['second.html'] + [f'second.run{i}.parquet' for i in range(1, 6)]
    assert 'range test' in r.stderr                               # the progress bar
    for rule in RULES: assert any(line.split()[0].rstrip('*') == rule for line in r.stdout.splitlines() if line.strip())
    assert not (tmp_path/'res/second.parquet').exists()
    rec = Recording.load(tmp_path/'res/second.run1.parquet')
    exp = rec.meta['experiment']
    assert (exp['num_iter'], exp['start_lr'], exp['end_lr']) == (25, 1e-4, 1.)            # command line
    assert (exp['batch_size'], exp['label']) == (32, 'mine') and rec.meta['batch_size'] == 32   # ./settings.ini
    assert (exp['hidden'], exp['dataset']) == (int(DEFAULT_CONFIG['hidden']), DEFAULT_CONFIG['dataset'])  # defaults
    assert rec.lrs[0] == pytest.approx(1e-4)
    assert (tmp_path/'res/second.html').stat().st_size > 1e6
    assert not list((tmp_path/'res').glob('first*'))                # ./settings.ini's out was overridden


# --- hostile settings, paths and signals ---------------------------------------------------------------
from hypothesis import given, settings, strategies as st, HealthCheck
from lrwidgets.cli import SETTINGS, ConfigError, UsageError
from lrwidgets.recording import META_KEY

ini_value = st.one_of(st.text(st.characters(blacklist_categories=('Cs',), blacklist_characters='\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029'), max_size=30),
                      st.integers().map(str), st.floats().map(repr), st.sampled_from(['%', '100%', '%(x)s', '$x', '1e400', '-0', 'nan', ' ']))

@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(list(SETTINGS)), value=ini_value)
def test_any_value_of_any_key_is_read_or_refused_by_name(key, value, tmp_path):
    "Whatever a settings file says, the result is typed settings or a ConfigError naming the file and the key."
    path = tmp_path/'exp.ini'
    path.write_text(f"[DEFAULT]\n{key} = {value}\n", encoding='utf-8')
    try: cfg = read_config(path)
    except ConfigError as e: assert str(e).startswith(f"{path}: ") and key in str(e), str(e)
    else: assert isinstance(cfg[key], SETTINGS[key][0])

@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300) | st.text(max_size=60).map(lambda t: ('[DEFAULT]\nlabel = ' + t).encode('utf-16')))
def test_binary_and_foreign_encodings_name_the_file(data, tmp_path):
    path = tmp_path/'odd.ini'
    path.write_bytes(data)
    try: read_config(path)
    except ConfigError as e: assert str(e).startswith(f"{path}: "), str(e)

@settings(max_examples=40, deadline=None)
@given(opt=st.sampled_from(['num_iter', 'start_lr', 'end_lr', 'device', 'out']), value=ini_value)
def test_any_command_line_value_is_a_usage_error(opt, value):
    "An override that is not a valid setting is the command line's fault (exit code 2), named by its option."
    try: read_config(None, **{opt: value})
    except UsageError as e: assert str(e).startswith(f"--{opt.replace('_', '-')}"), str(e)

def _odd_meta(path, raw):
    import pyarrow as pa, pyarrow.parquet as pq
    good = Recording.load(SHIPPED)
    pq.write_table(pa.Table.from_pandas(good.df).replace_schema_metadata({META_KEY: raw}), path)

@pytest.mark.parametrize('raw,words', [(b'[1,2]', 'must be a JSON object, got list'), (b'"x"', 'got str'), (b'null', 'got NoneType'),
                                       (b'{"format_version": "1"}', "format_version '1'"), (b'[' * 100_000, 'RecursionError')])
def test_recordings_with_odd_metadata_are_named_errors(raw, words, tmp_path):
    _odd_meta(tmp_path/'odd.parquet', raw)
    for cmd in ('suggest', 'report'):
        r = cli(cmd, 'odd.parquet', cwd=tmp_path)
        assert r.returncode == 1 and f'odd.parquet: ' in r.stderr and words in r.stderr and 'failed:' not in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['odd.parquet']

def test_outputs_that_cannot_be_written_are_refused_before_the_sweep(tmp_path):
    (tmp_path/'afile').write_text('x')
    (tmp_path/'ro').mkdir(); (tmp_path/'ro/run.html').write_text('mine'); os.chmod(tmp_path/'ro/run.html', 0o444)
    (tmp_path/'dir.html').mkdir()
    for out, words in [('afile/run', 'cannot make its folder: afile is a file'), ('ro/run', 'ro/run.html: the file is read-only'),
                       ('dir', 'dir.html: is a directory')]:
        r = cli('run', '--out', out, cwd=tmp_path)
        assert r.returncode == 1 and f'--out: ' in r.stderr and words in r.stderr, r.stderr
        assert 'experiment (' not in r.stdout                                # refused before anything was trained
    assert (tmp_path/'ro/run.html').read_text() == 'mine' and sorted(p.name for p in (tmp_path/'ro').iterdir()) == ['run.html']

def test_report_never_overwrites_the_recording_it_reads(tmp_path):
    data = Path(SHIPPED).read_bytes()
    (tmp_path/'x.html').write_bytes(data)                                    # a recording named .html
    (tmp_path/'r.parquet').write_bytes(data)
    (tmp_path/'link.html').symlink_to('r.parquet')
    for args in [('x.html',), ('r.parquet', '--out', 'r.parquet'), ('r.parquet', '--out', 'link.html'), ('r.parquet', '--out', './r.parquet')]:
        r = cli('report', *args, cwd=tmp_path)
        assert r.returncode == 2 and 'is the recording being read' in r.stderr, (args, r.stderr)
    assert (tmp_path/'x.html').read_bytes() == data and (tmp_path/'r.parquet').read_bytes() == data
    (tmp_path/'ro.html').write_text('mine'); os.chmod(tmp_path/'ro.html', 0o444)
    r = cli('report', 'r.parquet', '--out', 'ro.html', cwd=tmp_path)
    assert r.returncode == 1 and 'ro.html: the file is read-only' in r.stderr and (tmp_path/'ro.html').read_text() == 'mine'

@pytest.mark.parametrize('how', [('--device', 'cpu:0'), ('--config', 'dev.ini')])
def test_the_device_path_moves_the_experiment_there(how, tmp_path):
    "The CLI puts model and data on the requested device (here a CPU spelling the engine would refuse for a CPU model)."
    (tmp_path/'dev.ini').write_text("[DEFAULT]\ndevice = cpu:0\nnum_iter = 20\n")
    r = cli('run', *how, '--num-iter', '20', '--repeats', '1', '--out', 'o/run', '--no-progress', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rec = Recording.load(tmp_path/'o/run.parquet')
    assert rec.meta['device'] == 'cpu' and rec.meta['experiment']['device'] == 'cpu:0'

@pytest.mark.skipif(not __import__('torch').cuda.is_available(), reason='needs a CUDA device')
def test_a_gpu_run_records_on_the_gpu(tmp_path):
    r = cli('run', '--device', 'cuda', '--num-iter', '60', '--repeats', '1', '--out', 'g/run', '--no-progress', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rec = Recording.load(tmp_path/'g/run.parquet')
    assert rec.meta['device'].startswith('cuda') and rec.meta['device_name'] and len(rec) > 10

def test_one_epoch_on_a_small_dataset_still_gets_its_report(tmp_path):
    "wine, batch 64: 2 steps per epoch, too few for a 1cycle preview; the report says so instead of failing."
    (tmp_path/'wine.ini').write_text("[DEFAULT]\ndataset = wine\nepochs = 1\nnum_iter = 40\nout = w/run\n")
    r = cli('run', '--config', 'wine.ini', '--no-progress', cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert '"preview":"No schedule preview over meta[\'total_steps\']=2: too few steps' in (tmp_path/'w/run.html').read_text()

def test_ctrl_c_during_the_sweep_exits_130_and_keeps_existing_outputs(tmp_path):
    "A real SIGINT in the middle of the first of the five sweeps: exit 130, <out>.* untouched, the partial run in a file of its own."
    (tmp_path/'out').mkdir()
    (tmp_path/'out/run.run1.parquet').write_bytes(b'my old run'); (tmp_path/'out/run.html').write_text('my old report')
    (tmp_path/'slow.ini').write_text("[DEFAULT]\nstart_lr = 1e-7\nend_lr = 1e-6\nnum_iter = 2000000\nout = out/run\n")
    err = open(tmp_path/'stderr.txt', 'w+')
    p = subprocess.Popen(['lrwidgets', 'run', '--config', 'slow.ini'], cwd=tmp_path, stdout=subprocess.PIPE, stderr=err, text=True)
    deadline = time.time() + 120
    while 'range test' not in (tmp_path/'stderr.txt').read_text() and time.time() < deadline and p.poll() is None: time.sleep(0.2)
    time.sleep(1.5)                                                           # well inside the sweep
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=120)
    msg = (tmp_path/'stderr.txt').read_text()
    assert p.returncode == 130, (p.returncode, msg)
    assert 'interrupted' in msg and 'out/run.run1.interrupted.parquet' in msg and 'Traceback' not in msg, msg
    assert (tmp_path/'out/run.run1.parquet').read_bytes() == b'my old run' and (tmp_path/'out/run.html').read_text() == 'my old report'
    part = Recording.load(tmp_path/'out/run.run1.interrupted.parquet')
    assert part.meta['stop_reason'] == 'interrupted' and 0 < len(part) < 2_000_000
    assert sorted(p.name for p in (tmp_path/'out').iterdir()) == ['run.html', 'run.run1.interrupted.parquet', 'run.run1.parquet']

def test_ctrl_c_while_the_report_is_made_keeps_the_finished_runs(tmp_path):
    "A real SIGINT after the table is printed, while the report is built: exit 130, the five finished runs saved, no report."
    out = open(tmp_path/'stdout.txt', 'w+')
    p = subprocess.Popen(['lrwidgets', 'run', '--num-iter', '60', '--out', 'o/run', '--no-progress'], cwd=tmp_path,
                         stdout=out, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while 'cautious*' not in (tmp_path/'stdout.txt').read_text() and time.time() < deadline and p.poll() is None: time.sleep(0.05)
    p.send_signal(signal.SIGINT)                                              # the report takes seconds: it is being made now
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, (p.returncode, err)
    assert 'the runs are saved in o/run.run1.parquet to o/run.run5.parquet; o/run.html was not written' in err, err
    assert 'Traceback' not in err and not (tmp_path/'o/run.html').exists()
    for i in range(1, 6): assert Recording.load(tmp_path/f'o/run.run{i}.parquet').meta['stop_reason'] != 'interrupted'

def test_a_run_no_setting_can_read_is_kept_without_a_report(tmp_path):
    "lr 1e30 gives a NaN loss at the second step: no grid setting gives a suggestion; the run is saved anyway and the exit code says 1."
    (tmp_path/'wild.ini').write_text("[DEFAULT]\nstart_lr = 1e30\nend_lr = 1e32\nnum_iter = 30\nout = o/run\n")
    r = cli('run', '--config', 'wild.ini', '--no-progress', cwd=tmp_path)
    assert r.returncode == 1 and 'no report: ' in r.stderr, r.stderr
    assert 'the runs are saved in o/run.run1.parquet to o/run.run5.parquet' in r.stderr, r.stderr
    for i in range(1, 6): assert Recording.load(tmp_path/f'o/run.run{i}.parquet').meta['stop_reason'] == 'non-finite loss'
    assert not (tmp_path/'o/run.html').exists()
