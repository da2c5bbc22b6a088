"""Data sets: shapes, determinism, the MNIST subset, IDX files (good and corrupt)."""
import gzip
import struct

import numpy as np
import pytest

from lecture_nn import data


@pytest.mark.parametrize("name", sorted(data.TOY_SETS))
def test_toy_sets_are_deterministic_and_shaped(name):
    X1, y1 = data.make_toy(name, n=50, noise=0.1, rng=np.random.default_rng(3))
    X2, y2 = data.make_toy(name, n=50, noise=0.1, rng=np.random.default_rng(3))
    assert X1.shape == (50, 2) and y1.shape == (50,)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert y1.dtype == np.int64 and y1.min() == 0


def test_xor_labels_follow_quadrants_without_noise():
    X, y = data.make_xor(100, noise=0.0, rng=np.random.default_rng(0))
    assert np.array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(int))


@pytest.mark.parametrize("call, error, message", [
    (lambda: data.make_moons(0, rng=np.random.default_rng(0)), ValueError, "n must be"),
    (lambda: data.make_moons(10, noise=-1, rng=np.random.default_rng(0)), ValueError, "noise"),
    (lambda: data.make_moons(10), TypeError, "Generator"),
    (lambda: data.make_toy("swirl", rng=np.random.default_rng(0)), ValueError, "unknown toy set"),
    (lambda: data.to_pm1(np.array([0, 2])), ValueError, r"\{0, 1\}"),
])
def test_data_rejects_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_mnist_subset_split_is_fixed_and_stratified():
    split = data.load_mnist_subset()
    assert split.X_train.shape == (4000, 784) and split.X_test.shape == (1000, 784)
    assert 0.0 <= split.X_train.min() and split.X_train.max() <= 1.0
    assert np.array_equal(np.bincount(split.y_test), np.full(10, 100))
    again = data.load_mnist_subset()
    assert np.array_equal(split.y_train, again.y_train)
    images = data.load_mnist_subset(images=True)
    assert images.X_train.shape == (4000, 1, 28, 28)


def test_digits_split():
    split = data.load_digits()
    assert split.X_train.shape == (1500, 64) and split.X_test.shape == (297, 64)
    assert split.X_train.max() == 1.0


def write_idx(path, array, magic_type=0x08, compress=False, truncate=0):
    header = struct.pack(">HBB", 0, magic_type, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    payload = payload[:len(payload) - truncate]
    opener = gzip.open if compress else open
    with opener(path, "wb") as fh:
        fh.write(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_reads_idx_files(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28))
    labels = np.array([3, 1, 4, 1, 5])
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"train-images-idx3-ubyte{suffix}", images, compress=compress)
    write_idx(tmp_path / f"train-labels-idx1-ubyte{suffix}", labels, compress=compress)
    X, y = data.load_mnist(tmp_path)
    assert X.shape == (5, 784) and np.array_equal(y, labels)
    np.testing.assert_allclose(X[0], images[0].ravel() / 255)
    X4, _ = data.load_mnist(tmp_path, images=True)
    assert X4.shape == (5, 1, 28, 28)


def test_load_mnist_rejects_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="no MNIST directory"):
        data.load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        data.load_mnist(tmp_path)
    images = np.zeros((2, 28, 28))
    write_idx(tmp_path / "train-images-idx3-ubyte", images, truncate=10)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2]))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.load_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x12\x34\x08\x03" + bytes(100))
    with pytest.raises(ValueError, match="magic number 0x12340803"):
        data.load_mnist(tmp_path)
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 28, 28)))
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        data.load_mnist(tmp_path)
    with pytest.raises(ValueError, match="kind must be 'train' or 'test'"):
        data.load_mnist(tmp_path, kind="validation")
    (tmp_path / "short").write_bytes(b"\x00\x00")
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "short")


def test_shift_images_moves_pixels_and_fills_zero():
    img = np.zeros((1, 4, 4))
    img[0, 1, 1] = 1.0
    shifted = data.shift_images(img, dx=2, dy=1)
    assert shifted[0, 2, 3] == 1.0 and shifted.sum() == 1.0
    flat = data.shift_images(img.reshape(1, 16), dx=-1, dy=0)
    assert flat.reshape(4, 4)[1, 0] == 1.0
    with pytest.raises(ValueError, match="out of view"):
        data.shift_images(img, dx=4, dy=0)
