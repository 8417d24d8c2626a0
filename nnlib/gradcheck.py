"""Gradient checking: the tool that proves a backward pass right (or wrong).

A backward pass is hand-derived calculus, and a wrong one often still "trains", just
badly. The check is simple: nudge each input by ±h and watch the output move,

    df/dx_i ≈ (f(x + h e_i) − f(x − h e_i)) / (2h)        (central difference, error O(h²))

then compare with what ``backward`` claims. In float64 with h = 1e-5 a correct backward
agrees to about 1e-8 or better; a wrong one is usually off by 1e-2 or more.

    >>> from nnlib.layers import Dense
    >>> check_layer(Dense(3, 2), np.random.default_rng(0).normal(size=(4, 3)))  # doctest: +SKIP
"""
from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field

import numpy as np

__all__ = ["numerical_gradient", "rel_error", "check_layer", "check_loss", "GradCheckResult"]


def numerical_gradient(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference estimate of the gradient of a scalar function.

    f: ``f(x) -> float``. It is called with the *same* array ``x`` each time, after one
       entry has been nudged.
    x: the float array to differentiate with respect to. It is modified **in place** (one
       entry at a time) and restored afterwards, which is what lets ``f`` read it from
       anywhere -- e.g. ``x`` can be a layer's weight array that ``f`` never receives.
    Returns an array of x's shape: grad[i] ≈ (f(x + h e_i) − f(x − h e_i)) / 2h.
    Cost: 2 calls of f per entry of x, so keep x small.
    """
    if not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"numerical_gradient: x must be a float array, got dtype {x.dtype}")
    grad = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old                                  # restore before the next entry
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a, b, floor: float = 0.0) -> float:
    """Relative error ‖a − b‖ / max(‖a‖ + ‖b‖, floor) of two arrays (0 when both are 0).

    Relative, so it means the same for gradients of size 1e-3 and 1e3. We compare whole
    arrays rather than entry by entry: an entry whose true gradient is ~0 would otherwise
    turn harmless rounding noise into a huge "relative" error.

    ``floor`` handles a gradient that is exactly zero as a whole (e.g. the bias of the keys
    in attention: softmax ignores a constant shift). Its finite-difference estimate is pure
    rounding noise (~1e-11), and noise divided by noise is ~1, a false alarm. With a floor,
    differences far below it count as agreement.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes {a.shape} and {b.shape} differ")
    scale = max(np.linalg.norm(a) + np.linalg.norm(b), floor)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)


@dataclass
class GradCheckResult:
    """What a gradient check found.

    errors: relative error per checked array ("input x", "W", "b", ...).
    max_error: the largest of them. passed: max_error < tol.
    """
    name: str
    errors: dict = field(default_factory=dict)
    shapes: dict = field(default_factory=dict)
    tol: float = 1e-6
    notes: list = field(default_factory=list)

    @property
    def max_error(self) -> float:
        return max(self.errors.values(), default=0.0)

    @property
    def passed(self) -> bool:
        return self.max_error < self.tol

    def __bool__(self):
        return self.passed

    def table(self) -> str:
        """The readable report printed by :func:`check_layer` / :func:`check_loss`."""
        lines = [f"gradient check of {self.name} (float64, pass if relative error < {self.tol:.0e})",
                 f"  {'gradient of':<14}{'shape':<16}{'relative error':>15}  ok?"]
        for key, err in self.errors.items():
            mark = "✅" if err < self.tol else "❌"
            lines.append(f"  {key:<14}{str(self.shapes[key]):<16}{err:>15.2e}  {mark}")
        lines.extend(f"  note: {note}" for note in self.notes)
        lines.append("  (relative error = ‖analytic − numerical‖ / (‖analytic‖ + ‖numerical‖); "
                     "a correct backward gives ~1e-9 or less, a bug usually 1e-3 or more)")
        if self.passed:
            lines.append("  → backward agrees with finite differences.")
        else:
            bad = ", ".join(k for k, e in self.errors.items() if e >= self.tol)
            lines.append(f"  → MISMATCH in: {bad}. Re-derive that gradient; check shapes, "
                         "sums over the batch, and which cached value backward uses.")
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def check_layer(layer, x, seed: int = 0, h: float = 1e-5, tol: float = 1e-6,
                verbose: bool = True) -> GradCheckResult:
    """Check a layer's ``backward`` against finite differences, for its input and every parameter.

    layer: any nnlib Layer (it is not modified: the check runs on a float64 copy).
    x: an example input, e.g. (N, D). Integer inputs (Embedding indices) are used as they
       are and get no input gradient.
    seed: seeds the random upstream gradient g = dL/dy.

    The scalar that is differentiated is L = Σ y ⊙ g with y = layer(x), so dL/dy = g: a
    random g tests every output, where L = Σ y would hide many mistakes.
    Every evaluation runs on a fresh copy of the layer, so a layer that draws random
    numbers (Dropout) draws the *same* ones each time. The layer's mode (train/eval) is
    kept. Prints a table when ``verbose``; returns a :class:`GradCheckResult`.
    """
    template = copy.deepcopy(layer).astype(np.float64)
    x = np.array(x)                                   # our own copy: we nudge it in place
    integer_input = np.issubdtype(x.dtype, np.integer)
    if not integer_input:
        x = x.astype(np.float64)

    # Analytic gradients, from one forward + backward on a fresh copy.
    run = copy.deepcopy(template)
    y = np.asarray(run.forward(x))
    # g gets a random stream of its own: with default_rng(seed) itself, check_layer(layer, x)
    # on an x drawn from default_rng(0) would use g == x, a special case that can make the
    # true gradient ~0 (BatchNorm) and the comparison meaningless.
    g = np.random.default_rng([seed, 7919]).normal(size=y.shape)
    dx = run.backward(g)

    def L(_=None):
        return float(np.sum(copy.deepcopy(template).forward(x) * g))

    # A gradient that is exactly zero (attention's key bias: softmax ignores a constant shift)
    # is estimated as pure rounding noise: each evaluation of L is off by about eps·Σ|y ⊙ g|,
    # and the difference quotient divides that by 2h. Noise over noise would read as a 100 %
    # error, so norms far below this noise level, scaled by 1/tol, count as zero.
    noise = np.finfo(np.float64).eps * float(np.sum(np.abs(y * g))) / h

    def floor(shape):
        return 10 * noise * np.sqrt(np.prod(shape)) / tol

    result = GradCheckResult(name=repr(layer), tol=tol)
    if integer_input:
        result.notes.append("integer input (ids): it has no gradient, only parameters are checked")
    elif dx is None:
        result.notes.append("backward returned None for the input, so dL/dx was not checked")
    else:
        result.errors["input x"] = rel_error(dx, numerical_gradient(L, x, h), floor=floor(x.shape))
        result.shapes["input x"] = x.shape
    for p_run, p in zip(run.parameters(), template.parameters()):
        key = p.name
        k = 2
        while key in result.errors:                   # e.g. two layers each with a "W"
            key, k = f"{p.name}#{k}", k + 1
        result.errors[key] = rel_error(p_run.grad, numerical_gradient(L, p.data, h),
                                      floor=floor(p.data.shape))
        result.shapes[key] = p.data.shape
    if verbose:
        print(result.table())
    return result


def _grad_function(loss):
    """Return (value_fn, grad_fn) for a Loss object or a loss function with a ``*_grad`` twin."""
    if hasattr(loss, "forward") and hasattr(loss, "backward"):
        def grad_fn(y_hat, y):
            loss.forward(y_hat, y)
            return loss.backward()
        return loss.forward, grad_fn, repr(loss)
    module = sys.modules.get(getattr(loss, "__module__", ""), None)
    twin = getattr(module, getattr(loss, "__name__", "") + "_grad", None)
    if twin is None:
        raise TypeError(f"check_loss: {loss!r} is neither a Loss object (forward/backward) "
                        "nor a function with a *_grad twin in its module")
    return loss, twin, loss.__name__


def check_loss(loss, y_hat, y, h: float = 1e-5, tol: float = 1e-6,
               verbose: bool = True) -> GradCheckResult:
    """Check a loss's gradient dL/dy_hat against finite differences.

    loss: a Loss object (``CrossEntropyLoss()``) or a function such as ``losses.mse``
          (its gradient is found by name: ``losses.mse_grad``).
    y_hat: predictions / logits; y: targets (any dtype the loss accepts).
    """
    value_fn, grad_fn, name = _grad_function(loss)
    y_hat = np.array(y_hat, dtype=np.float64)
    analytic = grad_fn(y_hat, y)
    numeric = numerical_gradient(lambda v: value_fn(v, y), y_hat, h)
    result = GradCheckResult(name=name, tol=tol,
                             errors={"y_hat": rel_error(analytic, numeric)},
                             shapes={"y_hat": y_hat.shape})
    if verbose:
        print(result.table())
    return result
