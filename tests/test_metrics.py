"""nnlib.metrics and nnlib.data.standardize against scikit-learn, and their edge cases."""
import numpy as np
import pytest
from sklearn import metrics as skm
from sklearn.preprocessing import StandardScaler

from nnlib.data import standardize
from nnlib.metrics import confusion_matrix, precision_recall_f1


@pytest.mark.parametrize("seed", range(20))
def test_precision_recall_f1_agree_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    N = int(rng.integers(1, 40))
    t = (rng.random(N) < rng.random()).astype(int)
    p = (rng.random(N) < rng.random()).astype(int)
    ours = precision_recall_f1(t, p)
    theirs = (skm.precision_score(t, p, zero_division=0), skm.recall_score(t, p, zero_division=0),
              skm.f1_score(t, p, zero_division=0))
    assert np.allclose(ours, theirs)
    assert all(isinstance(v, float) for v in ours)


def test_zero_denominators_give_zero_not_nan():
    assert precision_recall_f1([0, 0, 1], [0, 0, 0]) == (0.0, 0.0, 0.0)   # nothing predicted
    assert precision_recall_f1([0, 0], [1, 0]) == (0.0, 0.0, 0.0)         # no positive example
    assert precision_recall_f1(np.array([True, False]), np.array([True, False])) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("seed", range(5))
def test_confusion_matrix_agrees_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    t, p = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    assert np.array_equal(confusion_matrix(t, p, K=4), skm.confusion_matrix(t, p, labels=range(4)))
    assert confusion_matrix([1, 1], [1, 1], K=3).shape == (3, 3)


def test_metrics_reject_bad_labels_with_a_clear_message():
    with pytest.raises(ValueError, match="y_pred .* differ"):
        confusion_matrix([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="integer class ids"):
        precision_recall_f1([0, 1], [0.3, 0.9])
    with pytest.raises(ValueError, match=r"lie in 0 … 1"):
        precision_recall_f1([0, 2], [0, 1])
    with pytest.raises(ValueError, match="1-D"):
        confusion_matrix(np.zeros((2, 2)), np.zeros((2, 2)))


def test_standardize_uses_the_training_statistics_like_standard_scaler():
    rng = np.random.default_rng(0)
    A, B, C = rng.normal(3, 5, (30, 4)), rng.normal(0, 1, (7, 4)), rng.normal(size=(2, 4))
    A[:, 2] = 1.5                                     # a constant column
    scaler = StandardScaler().fit(A)
    a, b, c = standardize(A, B, C)
    for ours, X in [(a, A), (b, B), (c, C)]:
        assert np.allclose(ours, scaler.transform(X))
    assert np.all(np.isfinite(a)) and np.allclose(a[:, 2], 0)
    assert np.allclose(standardize(A), a)              # one array in, one out


def test_standardize_does_not_modify_its_inputs_and_checks_shapes():
    A = np.arange(12.0).reshape(4, 3)
    before = A.copy()
    standardize(A, A[:2])
    assert np.array_equal(A, before)
    assert standardize(np.array([[1, 2], [3, 4]])).dtype == float   # integers work
    with pytest.raises(ValueError, match=r"array 2 has shape \(2, 2\), expected \(M, 3\)"):
        standardize(A, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"must be \(N, D\)"):
        standardize(np.zeros(3))


def test_ring_and_mode_coverage():
    from nnlib.data import ring, ring_centers
    from nnlib.metrics import mode_coverage
    X, y = ring(4000, modes=8, radius=2.0, std=0.05, seed=0)
    C = ring_centers(8, 2.0)
    assert X.shape == (4000, 2) and set(np.unique(y)) == set(range(8))
    assert np.allclose([X[y == k].mean(axis=0) for k in range(8)], C, atol=0.01)
    assert np.allclose(np.linalg.norm(C, axis=1), 2.0)
    # within 3 std of a 2-D Gaussian: 1 - exp(-4.5) = 98.9% of its points
    assert mode_coverage(X, C, radius=0.15) == (8, pytest.approx(1 - np.exp(-4.5), abs=0.01))
    # a collapsed generator: everything on two modes, plus one stray point near a third
    collapsed = np.vstack([X[y == 0], X[y == 3], C[5:6] + 0.01])
    covered, quality = mode_coverage(collapsed, C, radius=0.15)
    assert covered == 2 and quality > 0.97
    # far from every mode: nothing covered, quality 0
    assert mode_coverage(np.zeros((100, 2)), C, radius=0.15) == (0, 0.0)
    # the threshold: a mode with exactly min_share of the samples counts
    pts = np.vstack([np.repeat(C[:1], 98, axis=0), np.repeat(C[1:2], 2, axis=0)])
    assert mode_coverage(pts, C, radius=0.1, min_share=0.02)[0] == 2
    assert mode_coverage(pts, C, radius=0.1, min_share=0.03)[0] == 1
    with pytest.raises(ValueError, match="share D"):
        mode_coverage(np.zeros((3, 3)), C, radius=1.0)
