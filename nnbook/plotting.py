"""Plotting helpers shared by every chapter, so all figures look alike.

* ``PALETTE`` — the Okabe–Ito colours, distinguishable with every common colour-vision deficiency.
* ``use_book_style()`` — PNG-friendly defaults: modest size, readable fonts, a light grid.
* ``plot_decision_boundary(ax, predict, X, y)`` — shade the plane by a classifier's prediction.
* ``plot_2d_data(ax, X, y)`` — a labelled scatter of a 2-D classification data set.
"""
from __future__ import annotations

from typing import Callable

import matplotlib as mpl
import numpy as np
from matplotlib.colors import ListedColormap

# Okabe & Ito (2008), "Color Universal Design": safe for protanopia, deuteranopia and tritanopia.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
CLASS_COLORS = [PALETTE[c] for c in ("blue", "vermillion", "green", "orange", "purple", "sky", "yellow", "black")]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]


def use_book_style() -> None:
    """Set matplotlib defaults for the book: PNG output, the palette, readable labels."""
    mpl.rcParams.update({
        "figure.figsize": (6.0, 4.0),
        "figure.dpi": 80,
        "savefig.dpi": 80,
        "font.size": 11,
        "axes.titlesize": 12,
        "axes.labelsize": 11,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": mpl.cycler(color=CLASS_COLORS),
        "legend.frameon": False,
        # SVG embeds dates and random ids (outputs would differ run to run); PNG does not.
        "svg.hashsalt": "nnlib",
    })


def plot_2d_data(ax, X: np.ndarray, y: np.ndarray, *, labels=None, size: float = 25) -> None:
    """Scatter a 2-D data set, one colour *and* one marker per class (readable in greyscale).

    Args:
        X: (N, 2) points.   y: (N,) integer class ids (or 0/1 floats).
        labels: optional class names for the legend.
    """
    X = np.asarray(X)
    y = np.asarray(y).astype(int).ravel()
    if X.ndim != 2 or X.shape[1] != 2 or len(X) != len(y):
        raise ValueError(f"plot_2d_data: expected X (N, 2) and y (N,), got {X.shape} and {y.shape}")
    for k in np.unique(y):
        pts = X[y == k]
        name = labels[k] if labels is not None else f"class {k}"
        ax.scatter(pts[:, 0], pts[:, 1], s=size, c=CLASS_COLORS[k % 8], marker=MARKERS[k % 8],
                   edgecolors="white", linewidths=0.5, label=name, zorder=3)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


def decision_grid(X: np.ndarray, resolution: int = 60, margin: float = 0.5):
    """A (resolution²) grid covering the data, for evaluating a classifier on the plane.

    Returns ``(xx, yy, points)`` where ``xx, yy`` are (resolution, resolution) and
    ``points`` is (resolution², 2).
    """
    X = np.asarray(X, dtype=float)
    lo = X.min(axis=0) - margin
    hi = X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def predicted_classes(out) -> np.ndarray:
    """Turn a classifier's output into class ids (M,).

    (M, K) scores → argmax; integer or boolean ids → as they are; (M,) or (M, 1) probabilities
    of class 1 → thresholded at 0.5.
    """
    out = np.asarray(out)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    if np.issubdtype(out.dtype, np.integer) or np.issubdtype(out.dtype, np.bool_):
        return out.ravel().astype(int)
    return (out.ravel() >= 0.5).astype(int)


def plot_decision_boundary(ax, predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray,
                           y: np.ndarray | None = None, *, resolution: int = 60,
                           margin: float = 0.5, alpha: float = 0.25) -> None:
    """Shade each region of the plane by the class ``predict`` assigns to it.

    Args:
        predict: maps (M, 2) points to (M,) class ids, or to (M, K) scores / (M,) or (M, 1)
            probabilities of class 1 (thresholded at 0.5).
        X: (N, 2) data, used for the extent (and plotted when ``y`` is given).
    """
    xx, yy, points = decision_grid(X, resolution, margin)
    classes = predicted_classes(predict(points))
    n_classes = max(int(classes.max()) + 1, 2 if y is None else int(np.max(y)) + 1)
    cmap = ListedColormap(CLASS_COLORS[:n_classes])
    ax.contourf(xx, yy, classes.reshape(xx.shape), levels=np.arange(n_classes + 1) - 0.5,
                cmap=cmap, alpha=alpha, zorder=1)
    if y is not None:
        plot_2d_data(ax, X, y)
    ax.set_xlim(xx.min(), xx.max())
    ax.set_ylim(yy.min(), yy.max())
