"""Diagnosers shared by many checkers: mistakes about NumPy itself rather than about the math.

Each is a :class:`~nnbook.exercises.core.Mistake`; put them *after* a checker's specific ones.
"""
from __future__ import annotations

import numpy as np

from .core import Mistake, Outcome


def warned(o: Outcome, *words: str) -> bool:
    """Did NumPy warn (or raise, under ``np.seterr(all="raise")``) with any of ``words``?"""
    texts = [w.lower() for w in o.warnings] + [o.error_text.lower()]
    return any(word in text for word in words for text in texts)


def has_nonfinite(o: Outcome) -> bool:
    """Does the reader's output contain NaN or inf anywhere (checked leniently)?"""
    try:
        got = o.got if not isinstance(o.got, tuple) else np.concatenate(
            [np.ravel(np.asarray(g, dtype=float)) for g in o.got])
        return bool(np.any(~np.isfinite(np.asarray(got, dtype=float))))
    except Exception:
        return False


MATH_MODULE = Mistake(
    "`math.exp`, `math.log`, `math.sqrt` work on one number at a time; the check passes whole "
    "arrays. Use `np.exp`, `np.log`, `np.sqrt`, which work element-wise.",
    when=lambda o: "converted to python scalar" in o.error_text.lower()
    or "must be real number" in o.error_text.lower())

ARRAY_TRUTH = Mistake(
    "Python's `if`, `max`, `min`, `and`/`or` need ONE True/False, but a comparison such as "
    "`z > 0` gives a whole array of them. Use element-wise NumPy instead: `np.maximum(z, 0)`, "
    "`np.where(z > 0, a, b)`.",
    when=lambda o: "truth value of an array" in o.error_text)

BROADCAST = Mistake(
    "The shapes do not line up. When you reduce over an axis (`sum`, `max`, `mean`) and then "
    "combine the result with the original array, keep the reduced axis: `keepdims=True`. "
    "Print the shapes of your intermediate arrays to see which one is off.",
    when=lambda o: "could not be broadcast" in o.error_text)

MATMUL_SHAPES = Mistake(
    "A matrix product's inner dimensions must agree: `(N, D) @ (D, M)` gives `(N, M)`. Print "
    "the shapes of both operands; you probably need a transpose (`.T`) or the operands swapped.",
    when=lambda o: "matmul" in o.error_text or "not aligned" in o.error_text)

INT_INPUT = Mistake(
    "NumPy integer arrays cannot hold fractions (and `x += 0.5` on an int array fails). Convert "
    "first: `x = np.asarray(x, dtype=float)`.",
    when=lambda o: "Cannot cast ufunc" in o.error_text)

COMMON = [MATH_MODULE, ARRAY_TRUTH, BROADCAST, MATMUL_SHAPES, INT_INPUT]
