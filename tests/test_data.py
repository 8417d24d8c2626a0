"""Data: toy sets, shipped data sets, split / one-hot / batching (with hypothesis for shapes)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import data
from nnlib.data import batches, one_hot, train_val_test_split


# ---- toy 2-D sets --------------------------------------------------------------------------

@pytest.mark.parametrize("make, n, K, seeded", [
    (lambda s: data.spirals(50, 3, seed=s), 150, 3, True),
    (lambda s: data.spirals(40, 5, noise=0.0, seed=s), 200, 5, False),   # no noise, no randomness
    (lambda s: data.moons(101, seed=s), 101, 2, True),
    (lambda s: data.circles(80, seed=s), 80, 2, True),
    (lambda s: data.blobs(90, centers=4, seed=s), 90, 4, True),
    (lambda s: data.xor(60, seed=s), 60, 2, True),
])
def test_toy_sets_shapes_labels_and_seeding(make, n, K, seeded):
    X, y = make(1)
    assert X.shape == (n, 2) and X.dtype == np.float64
    assert y.shape == (n,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) == set(range(K))
    assert np.bincount(y).max() - np.bincount(y).min() <= 1          # balanced
    X2, y2 = make(1)
    np.testing.assert_array_equal(X, X2)                              # same seed, same data
    np.testing.assert_array_equal(y, y2)
    assert np.array_equal(X, make(2)[0]) != seeded                    # another seed, other data


def test_xor_truth_table():
    X, y = data.xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, np.logical_xor(X[:, 0], X[:, 1]).astype(int))


@pytest.mark.parametrize("op, expected", [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1]),
                                          ("nand", [1, 1, 1, 0]), ("nor", [1, 0, 0, 0]),
                                          ("xor", [0, 1, 1, 0])])
def test_logic_gates(op, expected):
    X, y = data.logic_gate(op)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, expected)


def test_logic_gate_rejects_unknown_gates():
    with pytest.raises(ValueError, match="xnor"):
        data.logic_gate("xnor")


def test_toy_sets_have_the_intended_geometry():
    X, y = data.circles(400, noise=0.0, factor=0.3)
    radius = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    X, y = data.spirals(100, 2, noise=0.0)
    np.testing.assert_allclose(np.linalg.norm(X, axis=1).max(), 1.0)
    # the two arms of a noiseless 2-class spiral are point reflections of each other
    np.testing.assert_allclose(X[y == 1], -X[y == 0], atol=1e-12)
    X, y = data.blobs(600, centers=3, std=0.1)
    for c in range(3):   # tight clusters: every point is within 0.6 of its cluster mean
        assert np.linalg.norm(X[y == c] - X[y == c].mean(0), axis=1).max() < 0.6


def test_circles_rejects_bad_factor():
    with pytest.raises(ValueError, match="factor"):
        data.circles(factor=1.5)


# ---- shipped data --------------------------------------------------------------------------

def test_load_digits():
    X, y, images = data.load_digits()
    assert X.shape == (1797, 64) and images.shape == (1797, 8, 8) and y.shape == (1797,)
    assert X.min() == 0 and X.max() == 1
    np.testing.assert_array_equal(X.reshape(-1, 8, 8), images)
    assert set(y) == set(range(10))


def test_load_diabetes():
    X, y, names = data.load_diabetes()
    assert X.shape == (442, 10) and y.shape == (442,) and len(names) == 10
    assert names[0] == "age" and 19 <= X[:, 0].min() and X[:, 0].max() <= 79   # years: unscaled
    assert 25 <= y.min() and y.max() <= 346


def test_load_mnist_split_and_types():
    X_train, y_train, X_test, y_test = data.load_mnist()
    assert X_train.shape == (8000, 784) and X_test.shape == (2000, 784)
    assert X_train.dtype == np.float32 and 0 <= X_train.min() and X_train.max() == 1
    assert y_train.dtype == np.int64 and set(y_test) == set(range(10))
    # stratified: every class has (almost exactly) a fifth of its images in the test set
    total = np.bincount(y_train, minlength=10) + np.bincount(y_test, minlength=10)
    np.testing.assert_allclose(np.bincount(y_test, minlength=10), total / 5, atol=1)
    # no image is in both sets
    train_rows = {row.tobytes() for row in X_train}
    assert sum(row.tobytes() in train_rows for row in X_test) < 5   # MNIST has a few duplicates
    X_img, _, _, _ = data.load_mnist(flatten=False)
    assert X_img.shape == (8000, 1, 28, 28)
    np.testing.assert_array_equal(X_img.reshape(8000, -1), X_train)
    other = data.load_mnist(seed=1)[1]
    assert not np.array_equal(other, y_train)


def test_mnist_file_loads_without_pickle():
    with np.load(data.DATASETS / "mnist_10k.npz", allow_pickle=False) as f:
        assert f["images"].dtype == np.uint8 and f["images"].shape == (10000, 28, 28)
        assert f["labels"].dtype == np.uint8 and f["labels"].max() == 9
    assert (data.DATASETS / "mnist_10k.npz").stat().st_size < 2_000_000


def test_load_text():
    text = data.load_text("names")
    names = text.split()
    assert len(names) == len(set(names)) > 5000
    assert set(text) == set("abcdefghijklmnopqrstuvwxyz\n")
    assert names[:2] == ["james", "john"]
    assert len(text.encode()) <= 1_000_000
    with pytest.raises(ValueError, match="available"):
        data.load_text("shakespear")


# ---- tools ---------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(N=st.integers(1, 300), D=st.integers(1, 4), val=st.floats(0, 0.45), test=st.floats(0, 0.45),
       stratify=st.booleans(), seed=st.integers(0, 1000))
def test_split_partitions_the_data(N, D, val, test, stratify, seed):
    X = np.arange(N * D, dtype=float).reshape(N, D)
    y = np.arange(N) % 3
    parts = train_val_test_split(X, y, val=val, test=test, seed=seed, stratify=stratify)
    Xtr, ytr, Xva, yva, Xte, yte = parts
    assert len(Xtr) + len(Xva) + len(Xte) == N
    assert abs(len(Xte) - test * N) <= 3 and abs(len(Xva) - val * N) <= 3
    rows = np.concatenate([Xtr, Xva, Xte])[:, 0]
    np.testing.assert_array_equal(np.sort(rows), X[:, 0])                 # a partition
    for Xs, ys in [(Xtr, ytr), (Xva, yva), (Xte, yte)]:
        assert Xs.shape[1:] == (D,)
        np.testing.assert_array_equal(ys, (Xs[:, 0] // D).astype(int) % 3)   # rows keep labels
    again = train_val_test_split(X, y, val=val, test=test, seed=seed, stratify=stratify)
    for a, b in zip(parts, again):
        np.testing.assert_array_equal(a, b)


def test_stratified_split_keeps_class_shares():
    y = np.repeat([0, 1, 2], [500, 300, 200])
    X = np.zeros((1000, 1))
    _, ytr, _, yva, _, yte = train_val_test_split(X, y, val=0.2, test=0.1, stratify=True)
    np.testing.assert_array_equal(np.bincount(yte), [50, 30, 20])
    np.testing.assert_array_equal(np.bincount(yva), [100, 60, 40])
    np.testing.assert_array_equal(np.bincount(ytr), [350, 210, 140])


def test_split_rejects_bad_fractions():
    with pytest.raises(ValueError, match="val"):
        train_val_test_split(np.zeros((10, 1)), np.zeros(10), val=0.6, test=0.5)
    with pytest.raises(ValueError, match="rows"):
        train_val_test_split(np.zeros((10, 1)), np.zeros(9))


@given(y=st.lists(st.integers(0, 9), min_size=1, max_size=50), extra=st.integers(0, 3))
def test_one_hot(y, extra):
    y = np.array(y)
    K = y.max() + 1 + extra
    Y = one_hot(y, K)
    assert Y.shape == (len(y), K) and Y.dtype == np.float32
    np.testing.assert_array_equal(Y.sum(axis=1), 1)
    np.testing.assert_array_equal(Y.argmax(axis=1), y)
    assert one_hot(y).shape == (len(y), y.max() + 1)


def test_one_hot_rejects_bad_labels():
    with pytest.raises(ValueError, match="0..2"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="integer"):
        one_hot(np.array([0.0, 1.0]))


@given(N=st.integers(1, 200), batch_size=st.integers(1, 64), shuffle=st.booleans(),
       seed=st.integers(0, 100))
def test_batches_cover_every_example_once(N, batch_size, shuffle, seed):
    X = np.arange(N * 2).reshape(N, 2)
    y = np.arange(N)
    got = list(batches(X, y, batch_size, shuffle=shuffle, rng=seed))
    assert len(got) == -(-N // batch_size)
    assert all(len(xb) == batch_size for xb, _ in got[:-1]) and 1 <= len(got[-1][0]) <= batch_size
    seen = np.concatenate([yb for _, yb in got])
    np.testing.assert_array_equal(np.sort(seen), y)
    for xb, yb in got:
        np.testing.assert_array_equal(xb[:, 0], 2 * yb)        # X and y stay aligned
    if not shuffle:
        np.testing.assert_array_equal(seen, y)
    only_x = list(batches(X, batch_size=batch_size, shuffle=shuffle, rng=seed))
    np.testing.assert_array_equal(np.concatenate(only_x), np.concatenate([xb for xb, _ in got]))


def test_batches_shuffle_differs_between_epochs_with_one_generator():
    rng = np.random.default_rng(0)
    X = np.arange(100)
    first = np.concatenate(list(batches(X, batch_size=10, rng=rng)))
    second = np.concatenate(list(batches(X, batch_size=10, rng=rng)))
    assert not np.array_equal(first, second)


def test_batches_rejects_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        list(batches(np.zeros(4), batch_size=0))
    with pytest.raises(ValueError, match="rows"):
        list(batches(np.zeros(4), np.zeros(3)))
