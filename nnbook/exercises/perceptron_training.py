"""Checker for Chapter 1's composing exercise: the whole perceptron training loop.

Use: ``from nnbook.exercises import perceptron_training`` and
``perceptron_training.perceptron_train(perceptron_train)``.

The reader writes ``perceptron_train(X, y, lr, max_epochs)`` → ``(w, b, mistakes)``: start from
``w = 0, b = 0``; sweep the examples in order, applying the perceptron rule to each; count the
mistakes of each epoch; stop after the first epoch without a mistake, or after ``max_epochs``.

=====================================================  ==========================================
mistake                                                recognised by
=====================================================  ==========================================
never stops early (always ``max_epochs`` epochs)       the AND case returns 100 epochs
stops after the first epoch whatever happened          one epoch where several are needed
the clean epoch's 0 left out of the list               the list ends in a mistake count
mistakes counted cumulatively, not per epoch           an increasing list
the counter never reset (so it never stops early)      an increasing list of max_epochs entries
the {−1, +1} rule ``if y·z <= 0`` on 0/1 labels        false alarms never corrected
starts from w = 1 (or anything but 0)                  different weights
the bias never updated                                 b stays 0
``z >= 0`` in the step (1 on the line)                 different updates from w = 0
sign error in the update                               never converges on AND
the number of epochs returned instead of the list      a number, not a list
=====================================================  ==========================================
"""
from __future__ import annotations

import numpy as np

from .common import COMMON
from .core import Case, Checker, Mistake

__all__ = ["perceptron_train"]


def _train(X, y, lr, max_epochs, *, start=0.0, ge=False, bias=True, sign=1.0, stop=True,
           keep_clean=True, cumulative=False, one_epoch=False, no_reset=False, pm1=False):
    """The reference (all defaults) and, with one keyword changed, each recognised mistake."""
    w, b = np.full(X.shape[1], float(start)), 0.0
    mistakes, total, count = [], 0, 0
    for _ in range(max_epochs):
        if not no_reset:
            count = 0
        for x_i, y_i in zip(X, y):
            z = x_i @ w + b
            if pm1:          # the {−1, +1} rule ("if y·z <= 0: w += η y x") fed 0/1 labels
                if y_i * z <= 0:
                    count += 1
                    w, b = w + lr * y_i * x_i, b + lr * y_i
                continue
            y_hat = float(z >= 0) if ge else float(z > 0)
            error = y_i - y_hat
            if error != 0:
                count += 1
                w = w + sign * lr * error * x_i
                if bias:
                    b = b + sign * lr * error
        total += count
        if count == 0 and stop and not keep_clean:
            break
        mistakes.append(total if cumulative else count)
        if one_epoch or (count == 0 and stop):
            break
    return w, float(b), mistakes


_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_rng = np.random.default_rng(3)
_X_SEP = np.round(_rng.normal(size=(24, 3)), 2)
_Y_SEP = (_X_SEP @ np.array([1.0, -2.0, 0.5]) + 0.3 > 0).astype(float)


def _like(**kw):
    return lambda X, y, lr, max_epochs: _train(X, y, lr, max_epochs, **kw)


def _epochs_only(o) -> bool:
    # the third output is one number (e.g. len(mistakes)); only when the code ran
    return (o.error is None and not o.timed_out and isinstance(o.got, tuple) and len(o.got) == 3
            and isinstance(o.got[2], (int, float, np.integer, np.floating)))


perceptron_train = Checker(
    "perceptron_train", lambda X, y, lr, max_epochs: _train(X, y, lr, max_epochs),
    arg_names=("X", "y", "lr", "max_epochs"), output_names=("w", "b", "mistakes"),
    signature="perceptron_train(X, y, lr, max_epochs)",
    cases=[
        Case(_CORNERS, np.array([0.0, 0.0, 0.0, 1.0]), 1.0, 100,
             label="AND: stops after the first clean epoch (6 epochs, the last with 0 mistakes)"),
        Case(_CORNERS, np.array([0.0, 1.0, 1.0, 1.0]), 0.5, 100, label="OR with lr = 0.5"),
        Case(_CORNERS, np.array([0.0, 1.0, 1.0, 0.0]), 1.0, 7,
             label="XOR: never clean, so exactly max_epochs = 7 epochs"),
        Case(_X_SEP, _Y_SEP, 0.1, 200, label="24 separable points in 3-D, lr = 0.1"),
    ],
    mistakes=[
        Mistake("Your loop ran all `max_epochs` epochs. Stop after the first epoch in which no "
                "example was a mistake: the weights can no longer change.",
                like=_like(stop=False)),
        Mistake("Your loop stopped after one epoch. Keep sweeping until an epoch passes with no "
                "mistake (or `max_epochs` is reached).", like=_like(one_epoch=True)),
        Mistake("The last entry of `mistakes` should be the clean epoch's 0: append the epoch's "
                "count before you test whether to stop.", like=_like(keep_clean=False)),
        Mistake("`mistakes` should hold each epoch's own count: reset the counter to 0 at the "
                "start of every epoch.", like=_like(cumulative=True)),
        Mistake("`mistakes` should hold each epoch's own count: set the counter to 0 at the "
                "start of every epoch. Counted across epochs it never returns to 0, so the loop "
                "also never stops early.", like=_like(no_reset=True)),
        Mistake("The test 'if y·z <= 0: w += η y x' is the rule for labels in {−1, +1}; with "
                "this book's 0/1 labels y = 0 multiplies the update away, so a false alarm "
                "(y = 0 classified 1) is never corrected. Use the error: w ← w + η (y − ŷ) x, "
                "b ← b + η (y − ŷ), with ŷ = step(z).", like=_like(pm1=True)),
        Mistake("Start from w = 0 and b = 0: the exercise (and Section 1.7) fixes the start, so "
                "that every run gives the same lines.", like=_like(start=1.0)),
        Mistake("The bias must learn too: b ← b + η (y − ŷ).", like=_like(bias=False)),
        Mistake("At z = 0 the prediction is ŷ = 0: step(z) is 1 only when z > 0.",
                like=_like(ge=True)),
        Mistake("Sign error: the rule is w ← w + η (y − ŷ) x; a missed positive example must "
                "pull the weights TOWARDS x.", like=_like(sign=-1.0)),
        Mistake("Return the list of mistakes per epoch (one number per epoch), not a single "
                "number.", when=_epochs_only),
        *COMMON,
    ])
