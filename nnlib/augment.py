"""Data augmentation for images: new training examples from old ones, by changes that keep the label.

A digit shifted by a pixel, turned by a few degrees or overlaid with a little noise is still the
same digit. Training on such variations, drawn afresh every epoch, teaches a network that these
changes do not matter, the cheapest regularizer there is when it applies (Chapter 8). Each
function takes a batch of images ``(N, H, W)`` (or flattened ``(N, H·W)`` with ``shape=(H, W)``),
returns a new array of the same shape, and never modifies its input.

    random_shift      move each image by up to ``max_shift`` pixels in each direction (zeros
                      fill the uncovered border; nothing wraps around)
    random_rotation   turn each image by an angle drawn from [−max_degrees, max_degrees]
    add_noise         add Gaussian noise with standard deviation ``std``, clipped to [lo, hi]
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from .init import as_rng

__all__ = ["shift", "random_shift", "random_rotation", "add_noise"]


def _as_images(X, shape, who):
    X = np.asarray(X)
    if shape is not None:
        if X.ndim != 2 or X.shape[1] != shape[0] * shape[1]:
            raise ValueError(f"{who}: expected flattened images (N, {shape[0] * shape[1]}) for "
                             f"shape={tuple(shape)}, got {X.shape}")
        return X.reshape(len(X), *shape)
    if X.ndim != 3:
        raise ValueError(f"{who}: expected images (N, H, W), or (N, H·W) with shape=(H, W); "
                         f"got {X.shape}")
    return X


def shift(image, dy: int, dx: int):
    """One image ``(H, W)`` moved ``dy`` pixels down and ``dx`` right; the border fills with 0."""
    H, W = image.shape
    out = np.zeros_like(image)
    if abs(dy) >= H or abs(dx) >= W:
        return out
    out[max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \
        image[max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out


def random_shift(X, max_shift: int = 1, shape=None, rng=None):
    """Shift every image by its own random (dy, dx), each in [−max_shift, max_shift]."""
    images = _as_images(X, shape, "random_shift")
    rng = as_rng(rng)
    moves = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    out = np.stack([shift(im, int(dy), int(dx)) for im, (dy, dx) in zip(images, moves)]) \
        if len(images) else images.copy()
    return out.reshape(np.shape(X))


def random_rotation(X, max_degrees: float = 10.0, shape=None, rng=None):
    """Rotate every image about its centre by its own angle in [−max_degrees, max_degrees]
    (bilinear interpolation, zeros outside)."""
    images = _as_images(X, shape, "random_rotation")
    rng = as_rng(rng)
    angles = rng.uniform(-max_degrees, max_degrees, size=len(images))
    out = np.stack([ndimage.rotate(im, a, reshape=False, order=1, mode="constant", cval=0.0)
                    for im, a in zip(images.astype(float), angles)]) if len(images) else images.copy()
    return out.reshape(np.shape(X)).astype(np.result_type(X, np.float32), copy=False)


def add_noise(X, std: float = 0.05, lo: float = 0.0, hi: float = 1.0, rng=None):
    """``X`` plus Gaussian noise of standard deviation ``std``, clipped to ``[lo, hi]``."""
    X = np.asarray(X)
    rng = as_rng(rng)
    return np.clip(X + rng.normal(0.0, std, size=X.shape), lo, hi).astype(
        np.result_type(X, np.float32), copy=False)
