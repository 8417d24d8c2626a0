"""Checkers for Chapter 1, *What is a neural network?* Use: ``from nnbook.exercises import perceptron as check``.

Conventions: ``x`` is one example ``(D,)`` or a batch ``(N, D)``; ``w`` is ``(D,)``; ``b`` a
number. The step function outputs 1 when ``z > 0`` and 0 otherwise (0 exactly on the line).

============================================  ==================================================
checker                                       recognises (hint given)
============================================  ==================================================
``neuron(x, w, b)`` → σ(x·w + b)              missing bias; bias subtracted; no activation (the
                                              raw sum); ``x * w`` not summed; ``np.sum(x * w)``
                                              summing over the whole batch
``perceptron_predict(x, w, b)`` → 0/1         ``z >= 0`` (1 on the line); −1/+1 outputs
                                              (``np.sign``); missing bias; returning z
``perceptron_update(w, b, x, y, lr)``         sign error (``w − η(y − ŷ)x``); bias not
→ ``(w, b)``                                  updated; the raw sum z used instead of ŷ
                                              (Adaline rule); updating when already right; only
                                              missed positives corrected (the ±1 rule); the
                                              error not multiplied by x; ``>=`` in the step;
                                              ``w`` updated in place (the chapter keeps old w's)
``and_weights(w, b)``, ``or_weights(w, b)``   the other gate; a constant output (bias too
(the reader's weights, not a function)        large/small); a corner on the line (z = 0, up
                                              to round-off: the exercise asks for strict
                                              inequalities); NaN/inf; wrong number of
                                              weights. The starter's placeholders
                                              (``None``/``...``, or w = 0 with b = 0) count
                                              as "not attempted yet"
============================================  ==================================================
"""
from __future__ import annotations

import numpy as np

from nnlib.activations import sigmoid as _sigmoid

from .common import COMMON
from .core import Case, Check, Checker, Mistake, Result

__all__ = ["neuron", "perceptron_predict", "perceptron_update", "and_weights", "or_weights"]

_rng = np.random.default_rng(1)


def _step(z):
    return (np.asarray(z) > 0).astype(float)


def _neuron(x, w, b):
    return _sigmoid(x @ w + b)


_X1 = np.array([1.5, -0.5, 1.0])   # not the chapter's example x: no coincidences with its weights
_W1 = np.array([0.4, 0.3, -0.2])
_XB = np.round(_rng.normal(size=(4, 3)), 2)

neuron = Checker(
    "neuron", _neuron, arg_names=("x", "w", "b"), signature="neuron(x, w, b)",
    cases=[
        Case(_X1, _W1, 0.1, label="one example, D = 3"),
        Case(_X1, _W1, -1.5, label="a negative bias"),
        Case(_XB, _W1, 0.5, label="a batch of 4 examples (N, D) → (N,)"),
        Case(np.array([[0.3, -1.2, 0.5, 2.0, -0.7], [1.1, 0.4, -0.9, 0.0, 0.6]]),
             np.array([0.2, -0.5, 0.8, 0.1, -0.3]), -0.2, label="D = 5 features: any D, not only 3"),
        Case(np.array([2.0]), np.array([-1.5]), 0.5, label="D = 1: one feature"),
    ],
    mistakes=[
        Mistake("The bias is missing: z = x·w + b, then σ(z).", like=lambda x, w, b: _sigmoid(x @ w)),
        Mistake("The bias is added, not subtracted: z = x·w + b.",
                like=lambda x, w, b: _sigmoid(x @ w - b)),
        Mistake("That is the weighted sum z itself; the neuron then applies its activation: "
                "σ(z) = 1/(1 + e^(−z)).", like=lambda x, w, b: x @ w + b),
        Mistake("`x * w` multiplies entry by entry; the weighted sum also ADDS them up: "
                "`x @ w` (or `np.dot(x, w)`).", like=lambda x, w, b: _sigmoid(x * w + b)),
        Mistake("`np.sum(x * w)` adds up the whole batch into one number. Sum over the features "
                "only: `x @ w` gives one value per example.",
                like=lambda x, w, b: _sigmoid(np.sum(x * w) + b)),
        *COMMON,
    ])

perceptron_predict = Checker(
    "perceptron_predict", lambda x, w, b: _step(x @ w + b), arg_names=("x", "w", "b"),
    signature="perceptron_predict(x, w, b)",
    cases=[
        Case(_X1, _W1, 0.1, label="one example"),
        Case(_XB, _W1, 0.2, label="a batch of 4 examples"),
        Case(np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 0.0]]), np.array([1.0, 1.0]), -1.0,
             label="points exactly on the line (z = 0) give 0"),
    ],
    mistakes=[
        Mistake("On the line (z = 0 exactly) this book's step gives 0: use `z > 0`, not `z >= 0`.",
                like=lambda x, w, b: (x @ w + b >= 0).astype(float)),
        Mistake("This perceptron outputs 0 or 1; `np.sign` gives −1/+1 (another common "
                "convention). Use `(z > 0).astype(float)`.",
                like=lambda x, w, b: np.sign(x @ w + b)),
        Mistake("The bias is missing: z = x·w + b.", like=lambda x, w, b: _step(x @ w)),
        Mistake("That is z itself; the perceptron thresholds it: 1 if z > 0 else 0.",
                like=lambda x, w, b: x @ w + b),
        *COMMON,
    ])


def _update(w, b, x, y, lr):
    error = y - float(_step(x @ w + b))
    return w + lr * error * x, b + lr * error


_W2 = np.array([0.2, -0.4])
_ETA_Y_X = ("Your update leaves w and b unchanged for a negative example (y = 0) that was "
            "classified 1 (a false alarm): its error y − ŷ = −1 must move them AWAY from x. The "
            "rule is w ← w + η (y − ŷ) x, b ← b + η (y − ŷ). An update by η·y·x — on every "
            "example, or only when y·z ≤ 0 (the rule for labels in {−1, +1}; see the chapter's "
            "box on the two conventions), or only for a missed positive — never moves anything "
            "when y = 0.")


_GE = ("At z = 0 the prediction is ŷ = 0: step(z) is 1 only when z > 0, so use `z > 0`, not "
       "`z >= 0`.")
_IN_PLACE = ("Return a NEW array for w (`w = w + ...`, or `w + lr * error * x` in the return), "
             "not `w += ...`: the chapter's training loop keeps every old w in its list of states "
             "(to replay the run and to see whether the update changed anything), and an update "
             "written into the caller's array changes all of them at once.")


def _update_no_bias_in_prediction(w, b, x, y, lr, ge=False):
    w, x = np.asarray(w, float), np.asarray(x, float)
    z = float(x @ w)                           # the bias left out of the prediction
    e = y - float(z >= 0 if ge else _step(z))
    return w + lr * e * x, b + lr * e


def _same_pair(a, b):
    try:
        return bool(np.allclose(np.asarray(a[0], float), b[0]) and np.isclose(float(a[1]), b[1]))
    except Exception:
        return False


perceptron_update = Checker(
    "perceptron_update", _update, arg_names=("w", "b", "x", "y", "lr"),
    signature="perceptron_update(w, b, x, y, lr)", output_names=("w", "b"),
    # No input may change in place, w included: the chapter's training loop keeps every old
    # (w, b) to replay the run, and an update written into the caller's w rewrites them all.
    cases=[
        Case(_W2, -0.1, np.array([1.0, 0.5]), 1.0, 0.5,
             label="a positive example classified 0: move towards it"),
        Case(_W2, 0.3, np.array([1.0, -1.0]), 0.0, 0.5,
             label="a negative example classified 1: move away from it"),
        Case(_W2, 0.1, np.array([-1.0, 1.0]), 0.0, 0.5, label="classified correctly: no change"),
        Case(np.zeros(2), 0.0, np.array([1.0, 1.0]), 0.0, 1.0,
             label="starting from w = 0, b = 0 (z = 0 → ŷ = 0)"),
        Case(np.array([-5.0, -5.0]), 0.0, np.array([1.0, 1.0]), 1.0, 0.5,
             label="ONE step, even when it does not yet fix this example"),
        Case(np.array([0.5, 0.0]), -1.0, np.array([1.0, 0.0]), 1.0, 0.5,
             label="the bias decides: w·x = 0.5 > 0 but w·x + b = −0.5 < 0, so ŷ = 0"),
    ],
    mistakes=[
        Mistake(_IN_PLACE, kinds=("mutated",), when=lambda o: "w" in o.mutated),
        # Before the bias diagnoser: with b = 0 (the case starting from w = 0) leaving the bias
        # out and `>=` give the same numbers, but `>=` with the bias is the slip that fails there
        # first (leaving the bias out fails an earlier case).
        Mistake(_GE, like=lambda w, b, x, y, lr: (w + lr * (y - float(x @ w + b >= 0)) * x,
                                                  b + lr * (y - float(x @ w + b >= 0)))),
        Mistake("The prediction needs the bias: ŷ = step(w·x + b). Without b an example can look "
                "classified correctly when w·x + b says it is not (the chapter's 'forgetting the "
                "bias' box).",
                when=lambda o: any(_same_pair(o.got, _update_no_bias_in_prediction(*o.args, ge=ge))
                                   and not _same_pair(o.expected, _update_no_bias_in_prediction(
                                       *o.args, ge=ge)) for ge in (False, True))),
        Mistake("Sign error: the rule is w ← w + η (y − ŷ) x (and b ← b + η (y − ŷ)); with y = 1 "
                "and ŷ = 0 the weights must move TOWARDS x.",
                like=lambda w, b, x, y, lr: (lambda W, B: (2 * w - W, 2 * b - B))(*_update(w, b, x, y, lr))),
        Mistake("The bias must learn too: b ← b + η (y − ŷ), like a weight whose input is "
                "always 1.", like=lambda w, b, x, y, lr: (_update(w, b, x, y, lr)[0], b)),
        Mistake("You used the raw sum z instead of the prediction ŷ = step(z) in (y − ŷ): that is "
                "the Widrow–Hoff (Adaline) rule, not the perceptron's.",
                like=lambda w, b, x, y, lr: (w + lr * (y - (x @ w + b)) * x, b + lr * (y - (x @ w + b)))),
        Mistake(_ETA_Y_X, like=lambda w, b, x, y, lr: (w + lr * y * x, b + lr * y)
                if y * (x @ w + b) <= 0 else (np.array(w, float), float(b))),
        Mistake(_ETA_Y_X, like=lambda w, b, x, y, lr: (w + lr * y * x, b + lr * y)),
        Mistake("The weight change is η (y − ŷ) times the INPUT x: each weight moves in "
                "proportion to its own input.",
                like=lambda w, b, x, y, lr: (w + lr * (y - float(_step(x @ w + b))), _update(w, b, x, y, lr)[1])),
        *COMMON,
    ])


# --------------------------------------------------------------------------- logic gates
_GATE_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_AND = np.array([0.0, 0.0, 0.0, 1.0])
_OR = np.array([0.0, 1.0, 1.0, 1.0])


class _GateCheck(Check):
    """Checks weights the reader chose: ``check.and_weights(w, b)``."""

    def __init__(self, gate: str, truth: np.ndarray, other: str, other_truth: np.ndarray,
                 fix: str):
        self.gate, self.truth, self.name = gate, truth, f"{gate.lower()}_weights"
        self.__doc__ = (f"Check your {gate} weights: ``check.{gate.lower()}_weights(w, b)`` with "
                        f"``w`` of shape (2,) and a number ``b``; the neuron is step(x·w + b).")
        self._mistakes = [
            Mistake(f"Your neuron computes {other}, not {gate}. {fix}",
                    when=lambda o: np.array_equal(np.asarray(o.got, float), other_truth)),
            Mistake("`w` or `b` contains NaN or inf, so z = x·w + b is not a number for some "
                    "inputs (every comparison with NaN is False, and the step then gives 0). "
                    "Choose finite numbers.", when=lambda o: not _finite(self._w, self._b)),
            Mistake("An input lies exactly on your decision line (z = 0, or within round-off of "
                    "it): the exercise asks for "
                    "strict inequalities, so that every corner is clearly on one side. Shift b "
                    "a little (e.g. b = −1.5 rather than −1 or −2 with w = [1, 1] for AND).",
                    when=lambda o: bool(_on_the_line(self._w, self._b).any())),
            Mistake("Your neuron gives the same answer for all four inputs: the bias outweighs "
                    "the weights. Pick b between the sums x·w of the inputs that should give 0 "
                    "and those that should give 1.",
                    when=lambda o: np.ptp(np.asarray(o.got, float)) == 0),
            Mistake("`w` needs one weight per input: shape (2,), e.g. `np.array([1.0, 1.0])`.",
                    kinds=("error", "shape")),
            *COMMON,
        ]

    def __repr__(self):
        return f"<checker for {self.gate.lower()}_weights(w, b)>"

    def _strictly(self, o) -> str | None:
        """The four outputs are right; the exercise also asks for strict inequalities."""
        on = _on_the_line(self._w, self._b)
        if not on.any():
            return None
        corners = ", ".join(f"({a:g}, {c:g})" for a, c in _GATE_X[on])
        return (f"the four outputs are right, but {corners} lie{'s' if on.sum() == 1 else ''} "
                "on your decision line (z = 0, or within round-off of it): the step calls such a "
                "corner 0 only by its convention at z = 0, and the slightest change to the input "
                "flips it.")

    def _wrong_shape(self, w, b) -> Result | None:
        """Weights of the wrong shape are answered before any arithmetic (no "your code raised")."""
        name = f"{self.gate.lower()}_weights"
        if b is None:
            return Result(name, "fail", f"{name}: no bias given",
                          [("text", "", f"Call it with both numbers: `check.{name}(w, b)`.")])
        try:
            w_shape, b_size = np.shape(np.asarray(w, dtype=float)), np.size(np.asarray(b, dtype=float))
        except (TypeError, ValueError):
            return Result(name, "fail", f"{name}: `w` and `b` must be numbers",
                          [("text", "", f"got w = {_compact(w)}, b = {_compact(b)}"),
                           ("hint", "", _SHAPE_HINT)], hint=_SHAPE_HINT)
        if w_shape == (2,) and b_size == 1:
            return None
        what = (f"`w` has shape {w_shape}" if w_shape != (2,) else
                f"`b` has {b_size} numbers")
        hint = _SHAPE_HINT + (" The bias is the separate number `b`, not a third weight."
                              if w_shape == (3,) else "")
        return Result(name, "fail", f"{name}: {what}; the neuron needs w of shape (2,) and one "
                      "number b", [("text", "", f"got w = {_compact(w)}, b = {_compact(b)}"),
                                   ("hint", "", hint)], hint=hint)

    def run(self, w, b):
        if _placeholder(w, b):
            name = f"{self.gate.lower()}_weights"
            return Result(name, "not_attempted", f"{name}: not attempted yet — replace the "
                          "placeholder weights and bias with your own, run that cell, then run "
                          "this check again.")
        wrong = self._wrong_shape(w, b)
        if wrong is not None:
            return wrong
        self._w, self._b = w, b

        def your_neuron(X):
            return _step(X @ np.asarray(w, dtype=float) + b)

        checker = Checker(
            f"{self.gate.lower()}_weights", lambda X: self.truth.copy(), arg_names=("x",),
            signature=f"step(x @ w + b) with your w = {_compact(w)}, b = {_compact(b)}",
            cases=[Case(_GATE_X, label=f"the four inputs of the {self.gate} truth table")],
            mistakes=self._mistakes, verify=self._strictly,
            success=f"Your neuron computes {self.gate}, with every corner strictly on its side.")
        return checker.run(your_neuron)

    def __call__(self, w, b=None, strict: bool = False) -> None:
        if b is None and isinstance(w, tuple) and len(w) == 2:
            w, b = w  # check.and_weights((w, b)) also works
        super().__call__(w, b, strict=strict)


_SHAPE_HINT = "`w` needs one weight per input: shape (2,), e.g. `np.array([1.0, 1.0])`."


def _finite(w, b) -> bool:
    try:
        return bool(np.all(np.isfinite(np.asarray(w, dtype=float)))
                    and np.all(np.isfinite(np.asarray(b, dtype=float))))
    except (TypeError, ValueError):
        return True


def _on_the_line(w, b) -> np.ndarray:
    """Which corners have z = 0, up to round-off (relative to the size of the weights)."""
    w, b = np.asarray(w, dtype=float), float(np.asarray(b, dtype=float).reshape(-1)[0])
    z = _GATE_X @ w + b
    scale = np.abs(w).sum() + abs(b)
    return np.isfinite(z) & (np.abs(z) <= 1e-9 * max(scale, 1e-300))


def _placeholder(w, b) -> bool:
    """``None``/``...`` or all-zero weights with a zero bias: the starter, untouched."""
    if w is None or w is Ellipsis or b is Ellipsis:
        return True
    try:
        return b is not None and not np.any(np.asarray(w, dtype=float)) and float(b) == 0.0
    except (TypeError, ValueError):
        return False


def _compact(v) -> str:
    if v is None:
        return "None"
    try:
        return np.array2string(np.asarray(v, dtype=float), precision=3, separator=", ")
    except Exception:
        return repr(v)[:40]


and_weights = _GateCheck("AND", _AND, "OR", _OR,
                         "AND needs BOTH inputs: make the bias more negative, so one input "
                         "alone cannot reach the threshold (e.g. w = [1, 1], b = −1.5).")
or_weights = _GateCheck("OR", _OR, "AND", _AND,
                        "OR needs only ONE input: make the bias less negative, so a single "
                        "input reaches the threshold (e.g. w = [1, 1], b = −0.5).")
