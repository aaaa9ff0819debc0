"""Distributed range tests: two ranks under `torchrun` with the gloo backend on CPU (127.0.0.1, a free port per launch).
The worker (`range_test_worker.py`) writes each rank's results to a tmp dir that these tests read."""
import importlib.util, json, math, os, signal, socket, subprocess, sys, time
from pathlib import Path

import numpy as np, pytest

HERE = Path(__file__).resolve().parent
WORKER = HERE / 'range_test_worker.py'
QUICK = ['ddp_equal', 'ddp_accum', 'hooks_equal', 'poison_nan', 'poison_huge', 'error_fast', 'interrupt', 'bad_arg',
         'mismatch', 'subgroup', 'extended', 'extend_mismatch', 'live_stop', 'repeats']
GROUP_TIMEOUT_S = 6   # the training group's timeout in the DDP failure launch

spec = importlib.util.spec_from_file_location('range_test_worker', WORKER)
W = importlib.util.module_from_spec(spec)
spec.loader.exec_module(W)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def torchrun(out: Path, group_timeout_s: float, scenarios, hard_timeout_s=120):
    "Launch 2 ranks; returns the finished process, each rank's results and the wall time."
    env = dict(os.environ, GLOO_SOCKET_IFNAME='lo', OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nnodes=1', '--nproc_per_node=2', '--master_addr=127.0.0.1',
           f'--master_port={free_port()}', str(WORKER), str(out), str(group_timeout_s), *scenarios]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=HERE,
                            start_new_session=True)   # its own process group: a hang kills the agent AND the workers
    try: stdout, stderr = proc.communicate(timeout=hard_timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        pytest.fail(f"torchrun {scenarios} did not finish within {hard_timeout_s}s:\n{stderr[-4000:]}")
    proc = subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)
    elapsed = time.monotonic() - t0
    results = {r: json.loads((out / f'rank{r}.json').read_text()) for r in (0, 1) if (out / f'rank{r}.json').exists()}
    return proc, results, elapsed


@pytest.fixture(scope='module')
def quick(tmp_path_factory):
    proc, results, elapsed = torchrun(tmp_path_factory.mktemp('quick'), 30, QUICK)
    assert proc.returncode == 0 and len(results) == 2, proc.stderr[-4000:]
    assert all(set(results[r]) == set(QUICK) for r in (0, 1)), proc.stderr[-4000:]
    return {name: {r: results[r][name] for r in (0, 1)} for name in QUICK}


def same_df(a: dict, b: dict):
    "Exactly equal columns (NaN where NaN)."
    assert a.keys() == b.keys()
    for k in a: np.testing.assert_array_equal(np.array(a[k], float), np.array(b[k], float), err_msg=k)


def close_df(got: dict, ref: dict):
    "The same lrs (exactly) and the same losses, metrics and validation losses within float tolerance."
    assert got.keys() == ref.keys()
    np.testing.assert_array_equal(got['lr'], ref['lr'])
    for k in got:
        np.testing.assert_allclose(np.array(got[k], float), np.array(ref[k], float), rtol=2e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize('scenario, micro', [('ddp_equal', 1), ('ddp_accum', 2), ('hooks_equal', 1)])
def test_two_ranks_record_what_one_process_records_with_the_global_batch(quick, scenario, micro):
    "(a) per-rank batch B/2 on 2 ranks == batch B in 1 process: losses, accuracy and validation loss are the means over ranks."
    ref = W.reference(micro)
    assert len(ref['loss']) == W.N_ITER and np.isfinite(ref['loss']).all()
    assert np.nanmin(ref['loss']) < 0.8 * ref['loss'][0]                      # it trained
    r0, r1 = quick[scenario][0], quick[scenario][1]
    same_df(r0['df'], r1['df'])                                             # every rank returns the same Recording
    close_df(r0['df'], ref)
    assert (r0['meta'] == r1['meta']) and r0['meta']['world_size'] == 2 and r0['meta']['backend'] == 'gloo'
    assert r0['meta']['ddp'] == (scenario != 'hooks_equal') and r0['meta']['model'] == 'Sequential'
    assert r0['meta']['batch_size'] == W.B // 2 // micro and r0['meta']['stop_reason'] == 'completed'


def test_a_poisoned_batch_on_one_rank_stops_every_rank_at_the_same_step(quick):
    "(b) NaN inputs in rank 1's 14th batch (DDP), and a huge batch on rank 1 (independent models)."
    nan0, nan1 = quick['poison_nan'][0], quick['poison_nan'][1]
    same_df(nan0['df'], nan1['df'])
    assert nan0['meta']['stop_reason'] == nan1['meta']['stop_reason'] == 'non-finite loss'
    assert len(nan0['df']['loss']) == 14 and math.isnan(nan0['df']['loss'][-1]) and np.isfinite(nan0['df']['loss'][:-1]).all()
    assert nan0['meta']['steps_trained'] == nan1['meta']['steps_trained'] == 16   # both trained to the check, then stopped
    big0, big1 = quick['poison_huge'][0], quick['poison_huge'][1]
    same_df(big0['df'], big1['df'])
    assert big0['meta']['stop_reason'] == big1['meta']['stop_reason'] == 'diverged'
    assert len(big0['df']['loss']) == 21 and big0['df']['loss'][-1] > 100 * big0['df']['loss'][0]


def test_an_exception_on_one_rank_raises_a_clear_error_on_every_rank(quick):
    "(c) without collectives in training: the other rank learns of it at the next check, within a second."
    e0, e1 = quick['error_fast'][0], quick['error_fast'][1]
    assert (e1['error_type'], e1['error']) == ('RuntimeError', 'boom on rank 1')     # the root cause itself, where it happened
    assert 'All 2 ranks stopped together' in e1['notes'][0]
    assert e0['error_type'] == 'DistributedRangeTestError'
    assert e0['error'].startswith('range_test failed on rank 1 at step 11: RuntimeError: boom on rank 1')
    assert e0['seconds'] < 5 and e1['seconds'] < 5


def test_an_exception_under_ddp_ends_both_processes_within_the_group_timeout(tmp_path):
    "(c) with DDP: rank 0 waits in the gradient all-reduce until the group's timeout, then both raise and exit."
    proc, results, elapsed = torchrun(tmp_path, GROUP_TIMEOUT_S, ['ddp_error'])
    assert proc.returncode != 0 and len(results) == 2, proc.stderr[-4000:]
    e0, e1 = results[0]['ddp_error'], results[1]['ddp_error']
    assert (e1['error_type'], e1['error']) == ('RuntimeError', 'boom on rank 1')
    assert e0['error_type'] == 'DistributedRangeTestError' and e0['cause'] == 'RuntimeError'   # from its own timeout
    assert e0['error'].startswith('range_test failed on rank 1 at step 11: RuntimeError: boom on rank 1')
    assert 'then rank 0 at step 11' in e0['error'] and 'Timed out' in e0['error']
    for e in (e0, e1): assert GROUP_TIMEOUT_S - 1 < e['seconds'] < GROUP_TIMEOUT_S + 15, e['seconds']
    assert e0['restored'] and e1['restored']                                                  # (d) on this exit too
    assert '[rank 0] ddp_error: raised DistributedRangeTestError' in proc.stderr
    assert '[rank 1] ddp_error: raised RuntimeError: boom on rank 1' in proc.stderr
    assert elapsed < 75, elapsed


def test_restore_is_exact_on_every_rank_on_every_exit(quick):
    "(d) model, optimizer and RNG states bit-identical afterwards, on both ranks, whatever the exit."
    for name in QUICK:
        for rank in (0, 1): assert quick[name][rank]['restored'], (name, rank)


def test_ctrl_c_on_one_rank_returns_the_steps_every_rank_finished(quick):
    i0, i1 = quick['interrupt'][0], quick['interrupt'][1]
    same_df(i0['df'], i1['df'])
    assert i0['meta']['stop_reason'] == 'interrupted' and len(i0['df']['loss']) == 10
    assert i0['warnings'] == i1['warnings'] == ['range_test interrupted after 10 steps: returning the partial Recording (state restored)']


def test_bad_or_different_arguments_fail_on_every_rank(quick):
    b0, b1 = quick['bad_arg'][0], quick['bad_arg'][1]
    assert (b1['error_type'], b1['error']) == ('ValueError', 'start_lr: expected a positive number, got -1.0')
    assert b0['error_type'] == 'DistributedRangeTestError' and 'rank 1 while checking its arguments' in b0['error']
    for r in (0, 1):
        m = quick['mismatch'][r]
        assert m['error_type'] == 'DistributedRangeTestError' and 'different num_iter: 40, 50 (by rank)' in m['error']
        e = quick['extend_mismatch'][r]
        assert e['error_type'] == 'DistributedRangeTestError' and 'different extend: 100, 1000 (by rank)' in e['error']


def test_every_rank_extends_the_sweep_alike(quick):
    "Past end_lr the ranks go on together, and stop together when the averaged loss diverges."
    e0, e1 = quick['extended'][0], quick['extended'][1]
    same_df(e0['df'], e1['df'])
    assert e0['meta'] == e1['meta'] and e0['meta']['stop_reason'] == 'diverged'
    assert e0['meta']['extended_steps'] > 0 and len(e0['df']['loss']) == W.N_ITER + e0['meta']['extended_steps']
    assert e0['meta']['end_lr_reached'] == e0['df']['lr'][-1] > 10.


def test_explicit_process_group(quick):
    s0, s1 = quick['subgroup'][0], quick['subgroup'][1]
    same_df(s0['df'], s1['df'])
    assert s0['meta']['world_size'] == 2 and len(s0['df']['loss']) == W.N_ITER


def test_a_stop_asked_by_on_check_on_one_rank_stops_every_rank_at_the_next_check(quick):
    l0, l1 = quick['live_stop'][0], quick['live_stop'][1]
    same_df(l0['df'], l1['df'])
    assert l0['meta'] == l1['meta'] and l0['meta']['stop_reason'] == 'stopped'
    assert len(l0['df']['loss']) == 21 == l0['meta']['steps_trained']       # checks every 7 steps: asked at 14, stopped at 21


def test_repeats_run_alike_on_every_rank(quick):
    r0, r1 = quick['repeats'][0], quick['repeats'][1]
    assert r0['seeds'] == r1['seeds'] == [0, 1] and len(r0['dfs']) == 2
    for a, b in zip(r0['dfs'], r1['dfs']): same_df(a, b)
    assert len(r0['dfs'][1]['loss']) == W.N_ITER
