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
