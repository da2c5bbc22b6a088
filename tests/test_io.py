"""Saving and loading weights: a round trip is exact, bad files fail clearly and change nothing."""
import warnings
import zipfile

import numpy as np
import pytest

import lecture_nn as nn
from bad_weights import KINDS, archive, damaged_members, good_members
from lecture_nn.io import load_weights, save_weights


def _model(seed, sizes=(3, 5, 2)):
    return nn.mlp(list(sizes), "tanh", rng=np.random.default_rng(seed))


def _snapshot(model):
    return {k: v.copy() for k, v in model.params.items()}


def _assert_unchanged(model, snapshot):
    assert set(model.params) == set(snapshot)
    for name, value in model.params.items():
        np.testing.assert_array_equal(value, snapshot[name], err_msg=name)


def test_round_trip_restores_weights_and_outputs_exactly(tmp_path):
    trained = _model(0)
    X = np.random.default_rng(5).standard_normal((7, 3))
    path = save_weights(trained, tmp_path / "weights.npz")
    fresh = _model(1)
    assert not np.array_equal(fresh.forward(X), trained.forward(X))
    returned = load_weights(fresh, path)
    assert returned is fresh
    for name in trained.params:
        np.testing.assert_array_equal(fresh.params[name], trained.params[name])
    np.testing.assert_array_equal(fresh.forward(X), trained.forward(X))


def test_load_writes_into_the_layers_own_arrays(tmp_path):
    source, target = _model(0), _model(1)
    first_W = target[0].params["W"]
    load_weights(target, save_weights(source, tmp_path / "w.npz"))
    assert target[0].params["W"] is first_W  # an optimiser holding references still sees them
    np.testing.assert_array_equal(first_W, source[0].params["W"])


def test_suffix_is_added_and_file_is_a_plain_npz(tmp_path):
    path = save_weights(_model(0), tmp_path / "weights")
    assert path.endswith("weights.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["0.W", "0.b", "2.W", "2.b"]


def test_float32_model_round_trip(tmp_path):
    source = nn.mlp([2, 3], rng=np.random.default_rng(0), dtype=np.float32)
    target = nn.mlp([2, 3], rng=np.random.default_rng(1), dtype=np.float32)
    load_weights(target, save_weights(source, tmp_path / "w.npz"))
    assert target[0].params["W"].dtype == np.float32
    np.testing.assert_array_equal(target[0].params["W"], source[0].params["W"])


def _write(path, arrays):
    np.savez(path, **arrays)
    return path


@pytest.fixture
def good_arrays():
    return {k: v.copy() for k, v in _model(3).params.items()}


def _bad_files(tmp_path, good):
    obj = dict(good)
    obj["0.W"] = np.empty(good["0.W"].shape, dtype=object)
    missing = {k: v for k, v in good.items() if k != "2.b"}
    extra = dict(good, **{"4.W": np.zeros((2, 2))})
    shape = dict(good, **{"0.W": np.zeros((5, 3))})
    strings = dict(good, **{"0.b": np.array(["a"] * 5)})
    nan = dict(good, **{"2.W": np.full(good["2.W"].shape, np.nan)})
    return {
        "object array": (_write(tmp_path / "obj.npz", obj), "objects"),
        "missing key": (_write(tmp_path / "missing.npz", missing), "missing ['2.b']"),
        "extra key": (_write(tmp_path / "extra.npz", extra), "unexpected ['4.W']"),
        "wrong shape": (_write(tmp_path / "shape.npz", shape), "shape (3, 5)"),
        "string array": (_write(tmp_path / "str.npz", strings), "float"),
        "NaN weights": (_write(tmp_path / "nan.npz", nan), "finite"),
    }


@pytest.mark.parametrize("case", ["object array", "missing key", "extra key", "wrong shape",
                                  "string array", "NaN weights"])
def test_bad_archive_fails_clearly_and_leaves_model_unchanged(tmp_path, good_arrays, case):
    path, expected_words = _bad_files(tmp_path, good_arrays)[case]
    model = _model(0)
    before = _snapshot(model)
    with pytest.raises(ValueError) as info:
        load_weights(model, path)
    assert expected_words in str(info.value)
    _assert_unchanged(model, before)


def test_not_an_archive_fails_clearly(tmp_path):
    model = _model(0)
    before = _snapshot(model)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x00not a zip file at all" * 4)
    with pytest.raises(ValueError, match="npz"):
        load_weights(model, junk)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        load_weights(model, single)
    broken = tmp_path / "broken.npz"
    save_weights(_model(1), broken)
    broken.write_bytes(broken.read_bytes()[:60])  # truncated zip
    with pytest.raises(ValueError, match="npz"):
        load_weights(model, broken)
    _assert_unchanged(model, before)


def test_missing_file_and_non_model():
    with pytest.raises(FileNotFoundError, match="no weights file"):
        load_weights(_model(0), "/nonexistent/dir/w.npz")
    with pytest.raises(TypeError, match="params"):
        save_weights(object(), "/tmp/never_written.npz")


def test_archive_with_a_pickled_member_is_refused(tmp_path):
    """A hand-made zip whose member is a pickle must not be unpickled."""
    import pickle

    path = tmp_path / "pickled.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("0.W.npy", pickle.dumps(np.zeros((3, 5))))
    model = _model(0)
    before = _snapshot(model)
    with pytest.raises(ValueError):
        load_weights(model, path)
    _assert_unchanged(model, before)


def test_convnet_with_residual_round_trip(tmp_path):
    from lecture_nn.lessons.convolution import Conv2D
    from lecture_nn.dropout import Dropout
    from lecture_nn.layers import Flatten
    from lecture_nn.pooling import MaxPool2D
    from lecture_nn.residual import Residual

    def convnet(seed):
        rng = np.random.default_rng(seed)
        return nn.Sequential(Conv2D(1, 2, 3, padding=1, rng=rng), nn.ReLU(),
                             Residual(nn.Sequential(Conv2D(2, 2, 3, padding=1, rng=rng), nn.Tanh())),
                             MaxPool2D(2), Dropout(0.5, rng=rng), Flatten(),
                             nn.Linear(2 * 3 * 3, 4, rng=rng))

    source, target = convnet(0), convnet(1)
    path = save_weights(source, tmp_path / "convnet.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert "2.block.0.W" in archive.files and archive["0.W"].shape == (2, 1, 3, 3)
    load_weights(target, path)
    X = np.random.default_rng(2).random((3, 1, 6, 6))
    np.testing.assert_array_equal(nn.predict(target, X), nn.predict(source, X))
    # a dense model's file does not fit the convnet: refused, convnet unchanged
    before = _snapshot(target)
    with pytest.raises(ValueError, match="does not match the model"):
        load_weights(target, save_weights(_model(0), tmp_path / "dense.npz"))
    _assert_unchanged(target, before)


# --- issue 20: every check, the cast included, before anything is written --------------

def test_float64_value_beyond_float32_is_refused_by_name_and_nothing_is_written(tmp_path):
    source = nn.mlp([2, 3, 2], rng=np.random.default_rng(0))            # float64
    source.params["2.W"][0, 0] = 1e300
    target = nn.mlp([2, 3, 2], rng=np.random.default_rng(1), dtype=np.float32)
    before = _snapshot(target)
    path = save_weights(source, tmp_path / "big.npz")
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # an overflow warning of the cast would surface here
        with pytest.raises(ValueError, match=r"'2\.W' hold values up to 1\.00e\+300.*float32"):
            load_weights(target, path)
    _assert_unchanged(target, before)           # '0.W' and '0.b' come first and were not written


def test_float64_file_within_float32_range_loads_rounded(tmp_path):
    source = nn.mlp([2, 3], rng=np.random.default_rng(0))
    source.params["0.W"][0, 0] = 3e38                                     # just below float32's max
    target = nn.mlp([2, 3], rng=np.random.default_rng(1), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_weights(target, save_weights(source, tmp_path / "w.npz"))
    assert target.params["0.W"].dtype == np.float32
    np.testing.assert_array_equal(target.params["0.W"], source.params["0.W"].astype(np.float32))


@pytest.mark.parametrize("kind", KINDS)
def test_each_damaged_member_gets_its_own_message_and_model_is_unchanged(tmp_path, kind):
    model = _model(0)
    members, words = damaged_members(_model(2).params)[kind]
    path = archive(tmp_path / "damaged.npz", members)
    before = _snapshot(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"'0\.W'") as info:
            load_weights(model, path)
    assert info.match(words)
    _assert_unchanged(model, before)


def test_damaged_zip_data_and_foreign_members_are_refused(tmp_path):
    model = _model(0)
    before = _snapshot(model)
    members = good_members(_model(2).params)
    # a flipped byte inside a stored member: the zip's checksum no longer matches
    path = archive(tmp_path / "crc.npz", members)
    raw = bytearray(path.read_bytes())
    spot = raw.index(members["0.W.npy"][-16:])
    raw[spot] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"'0\.W' cannot be read: the zip archive is damaged"):
        load_weights(model, path)
    foreign = archive(tmp_path / "foreign.npz", dict(members, **{"notes.txt": b"hello"}))
    with pytest.raises(ValueError, match=r"'notes\.txt', which is not an \.npy array"):
        load_weights(model, foreign)
    not_zip = tmp_path / "pickle.npz"
    not_zip.write_bytes(b"\x80\x04" + b"\x00" * 20)
    with pytest.raises(ValueError, match=r"is not an \.npz archive"):
        load_weights(model, not_zip)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match=r"is empty"):
        load_weights(model, empty)
    _assert_unchanged(model, before)


def test_compressed_archive_round_trip(tmp_path):
    """np.savez_compressed files load like plain ones (members read through zlib)."""
    source, target = _model(0), _model(1)
    path = tmp_path / "compressed.npz"
    np.savez_compressed(path, **source.params)
    load_weights(target, path)
    for name in source.params:
        np.testing.assert_array_equal(target.params[name], source.params[name])


def test_fortran_ordered_and_big_endian_arrays_load_with_their_values(tmp_path):
    source, target = _model(0), _model(1)
    arrays = {name: np.asfortranarray(value).astype(">f8") for name, value in source.params.items()}
    load_weights(target, archive(tmp_path / "w.npz", good_members(arrays)))
    for name in source.params:
        np.testing.assert_array_equal(target.params[name], source.params[name])


def test_path_must_be_a_path():
    with pytest.raises(TypeError, match=r"path must be a file path .*got 3"):
        load_weights(_model(0), 3)
    with pytest.raises(TypeError, match=r"path must be a file path .*got None"):
        save_weights(_model(0), None)
