"""Metrics for classifiers: the confusion matrix, and precision, recall and F1 from it.

Accuracy — the share of right answers — hides what matters when one class is rare: on data with
10% positives, "always negative" scores 90%. These count the two kinds of error separately.
For a binary problem (positive class 1) with

    TP = true positives  (predicted 1, truly 1)     FP = false positives (predicted 1, truly 0)
    FN = false negatives (predicted 0, truly 1)     TN = true negatives  (predicted 0, truly 0)

    precision = TP / (TP + FP)      of the examples called positive, the share that are
    recall    = TP / (TP + FN)      of the positive examples, the share that were found
    F1        = 2 · precision · recall / (precision + recall)     their harmonic mean

For a generative model on a mixture of known Gaussians (such as ``nnlib.data.ring``),
:func:`mode_coverage` counts the modes its samples cover and the share of samples that are
near any mode.

A ratio whose denominator is 0 (nothing predicted positive, no positive example) is defined as
0, as scikit-learn does with ``zero_division=0``; ``tests/test_metrics.py`` checks every function
against scikit-learn.
"""
from __future__ import annotations

import numpy as np

__all__ = ["confusion_matrix", "precision_recall_f1", "mode_coverage"]


def _labels(y, who: str, name: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{who}: {name} must be 1-D class ids (N,), got shape {y.shape}")
    if y.size and not np.array_equal(y, np.round(y)):
        raise ValueError(f"{who}: {name} must hold integer class ids, got {y.dtype} values "
                         f"such as {y[y != np.round(y)][0]!r}")
    return y.astype(np.int64)


def confusion_matrix(y_true, y_pred, K: int | None = None) -> np.ndarray:
    """Count how often each true class was predicted as each class.

    Args:
        y_true, y_pred: ``(N,)`` integer class ids in ``0 … K−1`` (booleans count as 0/1).
        K: number of classes; default ``max(y_true, y_pred) + 1``.

    Returns:
        ``C: (K, K)`` integers, ``C[i, j]`` = number of examples of true class ``i`` predicted
        as ``j`` (rows: truth, columns: prediction — scikit-learn's layout). For two classes
        ``C = [[TN, FP], [FN, TP]]``.
    """
    t = _labels(y_true, "confusion_matrix", "y_true")
    p = _labels(y_pred, "confusion_matrix", "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"confusion_matrix: y_true {t.shape} and y_pred {p.shape} differ")
    if K is None:
        K = int(max(t.max(initial=0), p.max(initial=0))) + 1
    if t.size and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= K):
        raise ValueError(f"confusion_matrix: class ids must lie in 0 … {K - 1}")
    return np.bincount(t * K + p, minlength=K * K).reshape(K, K)


def precision_recall_f1(y_true, y_pred) -> tuple[float, float, float]:
    """Precision, recall and F1 of a binary classifier, for the positive class 1.

    Args:
        y_true, y_pred: ``(N,)`` 0/1 labels (or booleans).

    Returns:
        ``(precision, recall, f1)`` as floats; a ratio with a zero denominator is 0.
    """
    C = confusion_matrix(y_true, y_pred, K=2)
    (tn, fp), (fn, tp) = C
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)


def mode_coverage(samples, centers, radius: float, min_share: float = 0.02) -> tuple[int, float]:
    """How many modes a generator covers, and how many of its samples are good.

    Each sample is assigned to its nearest centre; it is *good* if that centre lies within
    ``radius`` (e.g. 3 standard deviations of the mode). A mode is *covered* if at least
    ``min_share`` of all samples are good samples assigned to it — a single stray point does
    not count as covering a mode.

    Args:
        samples: ``(N, D)`` generated points; centers: ``(K, D)`` the modes' centres.
        radius: the distance within which a sample counts as belonging to its mode.
        min_share: the share of the N samples a mode needs to count as covered.

    Returns:
        ``(modes_covered, quality)``: an int in ``0 … K`` and the share of good samples.
    """
    samples, centers = np.asarray(samples, dtype=float), np.asarray(centers, dtype=float)
    if samples.ndim != 2 or centers.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(f"mode_coverage: samples (N, D) and centers (K, D) must share D, got "
                         f"{samples.shape} and {centers.shape}")
    distance = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=2)   # (N, K)
    nearest = distance.argmin(axis=1)
    good = distance[np.arange(len(samples)), nearest] <= radius
    counts = np.bincount(nearest[good], minlength=len(centers))
    covered = int(np.sum(counts >= min_share * len(samples)))
    return covered, float(good.mean()) if len(samples) else 0.0
