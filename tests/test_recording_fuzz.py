"Property tests for the Recording file format: any valid recording survives save/load bit for bit."
import json, math
import numpy as np, pandas as pd, pytest
from hypothesis import given, settings, strategies as st
from lrwidgets import Recording, RecordingError

finite_pos = st.floats(min_value=1e-12, max_value=1e6, allow_nan=False, allow_infinity=False)
any_loss = st.floats(allow_nan=True, allow_infinity=True, width=64)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
json_meta = st.dictionaries(st.text(max_size=10), st.recursive(json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=8), max_size=6)

@st.composite
def recordings(draw):
    n = draw(st.integers(0, 40))
    steps = draw(st.lists(st.floats(0, 2, allow_nan=False), min_size=n, max_size=n))
    start = draw(finite_pos)
    lrs = start * np.exp(np.cumsum(steps)) if n else np.array([])
    if n > 1 and lrs[-1] <= lrs[0]: lrs[-1] = np.nextafter(lrs[0] * 2, np.inf)
    losses = draw(st.lists(any_loss, min_size=n, max_size=n))
    return Recording.from_arrays(lrs, losses, meta=draw(json_meta), val_loss=draw(st.lists(any_loss, min_size=n, max_size=n)))

@settings(max_examples=60, deadline=None)
@given(rec=recordings())
def test_save_load_round_trip_is_exact(rec, tmp_path_factory):
    path = tmp_path_factory.mktemp('rt') / 'r.parquet'
    back = Recording.load(rec.save(path))
    assert back.meta == rec.meta
    assert list(back.df.columns) == list(rec.df.columns)
    for c in rec.df.columns:
        assert np.array_equal(back.df[c].to_numpy().view('int64'), rec.df[c].to_numpy().view('int64')), c

@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=2000))
def test_garbage_files_give_a_clear_error(data, tmp_path_factory):
    path = tmp_path_factory.mktemp('bad') / 'run.parquet'
    path.write_bytes(data)
    with pytest.raises(RecordingError, match='run.parquet'): Recording.load(path)

def test_truncated_at_every_length_fails_clearly(tmp_path):
    "Every strict prefix of a real file is refused with a RecordingError naming the file."
    from lrwidgets import synthetic
    good = synthetic(n=50).save(tmp_path/'good.parquet').read_bytes()
    for k in range(0, len(good), max(1, len(good)//60)):
        (tmp_path/'cut.parquet').write_bytes(good[:k])
        with pytest.raises(RecordingError, match='cut.parquet'): Recording.load(tmp_path/'cut.parquet')

def test_meta_that_is_not_json_is_refused_before_writing(tmp_path):
    with pytest.raises(TypeError, match='JSON-able'): Recording.from_arrays([1., 2.], [1., 1.], meta={'f': lambda: 0})

# --- hostile files, frames and paths -------------------------------------------------------------------
import os, csv, pyarrow as pa, pyarrow.parquet as pq
from lrwidgets.recording import META_KEY, atomic_write

json_any = st.recursive(json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3), max_leaves=10)
wrong_shape = st.one_of(
    json_any.filter(lambda v: not isinstance(v, dict)),                                       # [1,2], "x", null, 3 ...
    st.builds(lambda v: {'format_version': v}, json_any.filter(lambda v: type(v) is not int)),  # a version that is no int
    st.builds(lambda v: {'format_version': v}, st.integers(max_value=0) | st.integers(min_value=2)),
    st.builds(lambda v: {'meta': v}, json_any.filter(lambda v: not isinstance(v, dict) and v is not None)))

def _with_meta(path, raw: bytes):
    good = Recording.from_arrays([1e-3, 1e-2, 1e-1], [2., 1., 3.])
    pq.write_table(pa.Table.from_pandas(good.df).replace_schema_metadata({META_KEY: raw}), path)
    return path

@settings(max_examples=80, deadline=None)
@given(stored=wrong_shape)
def test_metadata_of_the_wrong_shape_is_a_recording_error(stored, tmp_path_factory):
    path = _with_meta(tmp_path_factory.mktemp('shape') / 'odd.parquet', json.dumps(stored).encode())
    with pytest.raises(RecordingError, match='odd.parquet: '): Recording.load(path)

@settings(max_examples=12, deadline=None)
@given(depth=st.integers(500, 200_000), opener=st.sampled_from(['[', '{"a":']), where=st.sampled_from(['top', 'meta']))
def test_deep_nesting_is_a_recording_error(depth, opener, where, tmp_path_factory):
    "Nesting Python's JSON reader (or the meta's copy) cannot follow: a clear error, never a RecursionError."
    closer = ']' if opener == '[' else '}'
    deep = opener * depth + '1' + closer * depth
    raw = (deep if where == 'top' else '{"meta": {"x": ' + deep + '}}').encode()
    path = _with_meta(tmp_path_factory.mktemp('deep') / 'deep.parquet', raw)
    try: rec = Recording.load(path)
    except RecordingError as e: assert 'deep.parquet' in str(e)
    else:                                                              # shallow enough to read: then it is valid
        assert opener != '[' or where == 'meta'
        assert (rec.meta == {} if where == 'top' else 'x' in rec.meta) and len(rec) == 3

bad_names = st.one_of(st.integers(), st.floats(allow_nan=False), st.tuples(st.text(max_size=3)), st.none(), st.booleans())

@settings(max_examples=60, deadline=None)
@given(name=bad_names)
def test_column_names_that_are_not_text_are_refused(name):
    df = pd.DataFrame(dict(iteration=[0, 1], lr=[1e-3, 1e-2], loss=[1., 2.]))
    df[name] = [0., 1.]
    with pytest.raises(RecordingError, match='column names must be text'): Recording(df)

@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(['iteration', 'lr', 'loss', 'acc']), times=st.integers(2, 4))
def test_duplicate_columns_are_refused(name, times):
    df = pd.DataFrame(dict(iteration=[0, 1], lr=[1e-3, 1e-2], loss=[1., 2.], acc=[.1, .2]))
    df = pd.concat([df] + [df[[name]]] * (times - 1), axis=1)
    with pytest.raises(RecordingError, match=rf"\['{name}'\] appear more than once"): Recording(df)

@settings(max_examples=40, deadline=None)
@given(col=st.sampled_from(['lr', 'loss', 'acc']), values=st.sampled_from([
    [1+1j, 2+0j], np.array([1, 2], dtype='complex64'), pd.to_datetime(['2020', '2021']), pd.to_timedelta([1, 2], 's'),
    ['1.5', '2'], [b'1', b'2'], [[1.], [2.]], [{'a': 1}, None], pd.Categorical(['a', 'b'])]))
def test_columns_that_are_not_real_numbers_are_refused(col, values):
    df = pd.DataFrame(dict(iteration=[0, 1], lr=[1e-3, 1e-2], loss=[1., 2.], acc=[.1, .2]))
    df[col] = values
    with pytest.raises(RecordingError, match=f"column '{col}'"): Recording(df)

def test_multiindex_columns_are_refused():
    df = pd.DataFrame(dict(iteration=[0, 1], lr=[1e-3, 1e-2], loss=[1., 2.]))
    with pytest.raises(RecordingError, match='MultiIndex'): Recording(pd.concat({'run': df}, axis=1))

@settings(max_examples=80, deadline=None)
@given(names=st.lists(st.text(min_size=1, max_size=12).filter(lambda s: s not in ('iteration', 'lr', 'loss')), min_size=1, max_size=4, unique=True))
def test_csv_headers_cannot_start_a_formula(names, tmp_path_factory):
    "Whatever the column names, no header cell starts a spreadsheet formula, and the rest of each name survives."
    rec = Recording.from_arrays([1e-3, 1e-2], [1., 2.], **{n: [0., 1.] for n in names})
    path = rec.to_csv(tmp_path_factory.mktemp('csv') / 'r.csv')
    with open(path, newline='', encoding='utf-8') as f: header = next(csv.reader(f))
    assert len(header) == 3 + len(names)
    for got, want in zip(header[3:], names):
        assert got[:1] not in ('=', '+', '-', '@', '\t', '\r')
        assert got == want or got == "'" + want

def test_atomic_write_honours_links_and_read_only_files(tmp_path):
    rec = Recording.from_arrays([1e-3, 1e-2], [1., 2.])
    real = rec.save(tmp_path/'real.parquet')
    (tmp_path/'link.parquet').symlink_to(real)
    Recording.from_arrays([1e-3, 1e-2, 1e-1], [1., 2., 3.]).save(tmp_path/'link.parquet')
    assert (tmp_path/'link.parquet').is_symlink() and len(Recording.load(real)) == 3
    os.chmod(real, 0o444)
    before = real.read_bytes()
    for target in (real, tmp_path/'link.parquet'):
        with pytest.raises(PermissionError, match=f'{target.name}: the file is read-only'): rec.save(target)
        with pytest.raises(PermissionError, match='read-only'): rec.to_csv(target)
    assert real.read_bytes() == before
    (tmp_path/'plain').write_text('x')
    for bad, words in [(tmp_path, 'is a directory'), (tmp_path/'nope/r.parquet', 'nope/r.parquet: no such folder'),
                       (tmp_path/'plain/r.parquet', 'plain/r.parquet: no such folder')]:
        with pytest.raises(OSError, match=words): rec.save(bad)
    def fails(tmp): raise OSError(28, f'No space left on device: {tmp}')
    with pytest.raises(OSError) as e: atomic_write(tmp_path/'r.csv', fails)
    assert 'r.csv' in str(e.value) and '.tmp' not in str(e.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['link.parquet', 'plain', 'real.parquet']   # no temporary left
