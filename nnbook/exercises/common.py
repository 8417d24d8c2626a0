"""Diagnosers shared by many checkers: mistakes about NumPy itself rather than about the math.

Each is a :class:`~nnbook.exercises.core.Mistake`; put them *after* a checker's specific ones.
"""
from __future__ import annotations

import re

import numpy as np

from .core import Mistake, Outcome


def warned(o: Outcome, *words: str) -> bool:
    """Did NumPy warn (or raise, under ``np.seterr(all="raise")``) with any of ``words``?"""
    texts = [w.lower() for w in o.warnings] + [o.error_text.lower()]
    return any(word in text for word in words for text in texts)


def failing_line(o: Outcome) -> str:
    """The reader's own source line that raised (``""`` if none): to tie a hint to that line."""
    if o.error is None:
        return ""
    from .report import _reader_line
    return _reader_line(o.error).split(": ", 1)[-1]


def raised_on(o: Outcome, *names: str) -> bool:
    """Did the reader's code raise on a line that assigns or uses one of ``names``?"""
    line = failing_line(o)
    return any(re.search(rf"\b{re.escape(n)}\b", line) for n in names)


def has_nonfinite(o: Outcome) -> bool:
    """Does the reader's output contain NaN or inf anywhere (checked leniently)?

    False when there is no output (the code raised, ran out of time or returned None)."""
    if o.error is not None or o.timed_out or o.got is None:
        return False
    try:
        got = o.got if not isinstance(o.got, tuple) else np.concatenate(
            [np.ravel(np.asarray(g, dtype=float)) for g in o.got])
        return bool(np.any(~np.isfinite(np.asarray(got, dtype=float))))
    except Exception:
        return False


MATH_MODULE = Mistake(
    "`math.exp`, `math.log`, `math.sqrt` work on one number at a time; the check passes whole "
    "arrays. Use `np.exp`, `np.log`, `np.sqrt`, which work element-wise.",
    when=lambda o: ("converted to python scalar" in o.error_text.lower()
                    or "must be real number" in o.error_text.lower())
    and re.search(r"\bmath\.", failing_line(o)) is not None, on_error=True)   # not float(array)

ARRAY_TRUTH = Mistake(
    "Python's `if`, `max`, `min`, `and`/`or` need ONE True/False, but a comparison such as "
    "`z > 0` gives a whole array of them. Use element-wise NumPy instead: `np.maximum(z, 0)`, "
    "`np.where(z > 0, a, b)`.",
    when=lambda o: "truth value of an array" in o.error_text, on_error=True)

def returned_an_input(o: Outcome) -> str | None:
    """For a ``verify=``: the reader returned one of the caller's arrays (or a view of it) instead
    of a new one. Inputs and outputs may be arrays or lists/tuples of arrays (a list of gradients).
    Ignored when the input was changed in place (that is reported first)."""
    if o.mutated or o.got is None:
        return None

    def arrays(x):
        items = x if isinstance(x, (tuple, list)) else (x,)
        return [a for a in items if isinstance(a, np.ndarray)]

    given = [a for arg in o.received for a in arrays(arg)]
    if any(np.shares_memory(out, g) for out in arrays(o.got) for g in given):
        return ("right numbers, but what you returned IS the caller's array (or a view of it), "
                "not a new one: changing one later would change the other. Return a new array "
                "in every case (`.copy()` where nothing changes).")
    return None


BROADCAST = Mistake(
    "The shapes do not line up (the error above names them). Print the shapes of your "
    "intermediate arrays to see which one is off. Two common causes: a size taken from the "
    "wrong axis (a height used for a width), or a reduction (`sum`, `max`, `mean`) combined with "
    "the original array without `keepdims=True`.",
    when=lambda o: "could not be broadcast" in o.error_text, on_error=True)

SCALAR_MATMUL = Mistake(
    "One operand of `@` is a single number (0 dimensions), not an array: `@` needs at least a "
    "vector on each side. Did you loop over the entries of a 1-D array, or call your function "
    "on one number?",
    when=lambda o: ("matmul" in o.error_text and "has 0" in o.error_text)
    or "unsupported operand type(s) for @" in o.error_text, on_error=True)

MATMUL_SHAPES = Mistake(
    "A matrix product's inner dimensions must agree: `(N, D) @ (D, M)` gives `(N, M)`. Print "
    "the shapes of both operands; you probably need a transpose (`.T`) or the operands swapped.",
    when=lambda o: ("matmul" in o.error_text or "not aligned" in o.error_text)
    and "has 0" not in o.error_text, on_error=True)

INT_INPUT = Mistake(
    "NumPy integer arrays cannot hold fractions (and `x += 0.5` on an int array fails). Convert "
    "first: `x = np.asarray(x, dtype=float)`.",
    when=lambda o: "Cannot cast ufunc" in o.error_text, on_error=True)

MUTATED_AND_WRONG = Mistake(
    "Your function also changed one of its inputs in place (an augmented assignment such as "
    "`g *= ...` or `x[...] = ...` on an argument): that changed the caller's array, and whatever "
    "you computed from it afterwards. Work on a copy (`g = g * ...`), then check the formula.",
    kinds=("values", "shape"), when=lambda o: bool(getattr(o, "mutated", None)))

COMMON = [MATH_MODULE, ARRAY_TRUTH, BROADCAST, SCALAR_MATMUL, MATMUL_SHAPES, INT_INPUT,
          MUTATED_AND_WRONG]
