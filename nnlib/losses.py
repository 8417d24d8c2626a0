"""Loss functions: a value, and the gradient of that value with respect to the prediction.

Each loss comes three ways:

* ``mse(y_hat, y) -> float``: the value, averaged over the batch ("mean" reduction, like
  PyTorch's default);
* ``mse_grad(y_hat, y) -> array``: dL/dy_hat, same shape and dtype as ``y_hat`` -- the
  ``grad_out`` that starts backpropagation;
* ``MSELoss()``: a small object with ``forward(y_hat, y) -> float`` that remembers its
  inputs and ``backward() -> dL/dy_hat``, the shape a training loop wants.

Shapes are checked, not broadcast: ``y_hat`` of shape (N, 1) against ``y`` of shape (N,)
would broadcast to an (N, N) matrix of every prediction minus every target -- a silent
bug that still trains, badly. We raise instead and say how to fix it.
"""
from __future__ import annotations

import numpy as np

from .activations import _as_float, _sum_over, log_softmax, sigmoid, softmax

__all__ = [
    "mse", "mse_grad", "mae", "mae_grad", "huber", "huber_grad",
    "binary_cross_entropy", "binary_cross_entropy_grad",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad",
    "cross_entropy", "cross_entropy_grad", "focal_loss", "focal_loss_grad",
    "Loss", "MSELoss", "MAELoss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "FocalLoss",
]


def _matched(name: str, y_hat, y, what: str = "y_hat"):
    """(y_hat, y) as float arrays of y_hat's dtype, after checking their shapes agree."""
    y_hat = _as_float(y_hat)
    y = np.asarray(y)
    if y_hat.shape != y.shape:
        hint = ""
        if y_hat.size == y.size:
            hint = f"; reshape one of them, e.g. y.reshape({y_hat.shape})"
        raise ValueError(f"{name}: {what} {y_hat.shape} and y {y.shape} have different shapes{hint}")
    if y_hat.size == 0:
        raise ValueError(f"{name}: got empty arrays; the mean of nothing is undefined")
    return y_hat, y.astype(y_hat.dtype, copy=False)


# --- regression ---------------------------------------------------------------------

def mse(y_hat, y) -> float:
    """Mean squared error, mean over all elements of (y_hat − y)².

    y_hat, y: same shape, e.g. (N,) or (N, D). Returns a float.
    """
    y_hat, y = _matched("mse", y_hat, y)
    d = y_hat - y
    return float(np.mean(d * d))


def mse_grad(y_hat, y):
    """dL/dy_hat = 2 (y_hat − y) / n, n the number of elements. Shape of y_hat."""
    y_hat, y = _matched("mse", y_hat, y)
    return 2 * (y_hat - y) / y_hat.size


def mae(y_hat, y) -> float:
    """Mean absolute error, mean of |y_hat − y|. Less sensitive to outliers than MSE."""
    y_hat, y = _matched("mae", y_hat, y)
    return float(np.mean(np.abs(y_hat - y)))


def mae_grad(y_hat, y):
    """dL/dy_hat = sign(y_hat − y) / n (0 where they are equal, as in PyTorch)."""
    y_hat, y = _matched("mae", y_hat, y)
    return np.sign(y_hat - y) / y_hat.size


def _check_delta(name, delta):
    if not delta > 0:
        raise ValueError(f"{name}: delta must be > 0, got {delta}")


def huber(y_hat, y, delta: float = 1.0) -> float:
    """Huber loss: ½d² for |d| ≤ delta, delta·(|d| − ½delta) beyond; d = y_hat − y; mean.

    Quadratic near the target (smooth, like MSE), linear far away (robust, like MAE).
    """
    _check_delta("huber", delta)
    y_hat, y = _matched("huber", y_hat, y)
    a = np.abs(y_hat - y)
    return float(np.mean(np.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta))))


def huber_grad(y_hat, y, delta: float = 1.0):
    """dL/dy_hat = clip(y_hat − y, −delta, delta) / n."""
    _check_delta("huber", delta)
    y_hat, y = _matched("huber", y_hat, y)
    return np.clip(y_hat - y, -delta, delta) / y_hat.size


# --- binary classification ----------------------------------------------------------

def binary_cross_entropy(p, y, eps: float = 1e-7) -> float:
    """Binary cross-entropy from probabilities: −mean[y log p + (1 − y) log(1 − p)].

    p: predicted probabilities in [0, 1] (e.g. a Sigmoid output); y: targets in [0, 1],
    same shape. ``p`` is clipped to [eps, 1 − eps] so that log(0) never happens.
    From logits, prefer :func:`binary_cross_entropy_with_logits`: it needs no clipping.
    """
    p, y = _matched("binary_cross_entropy", p, y, what="p")
    p = np.clip(p, eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))   # log1p(−p) = log(1 − p)


def binary_cross_entropy_grad(p, y, eps: float = 1e-7):
    """dL/dp = (p − y) / (p (1 − p)) / n, evaluated at the clipped p."""
    p, y = _matched("binary_cross_entropy", p, y, what="p")
    p = np.clip(p, eps, 1 - eps)
    return (p - y) / (p * (1 - p)) / p.size


def binary_cross_entropy_with_logits(z, y) -> float:
    """Binary cross-entropy of σ(z) against y, computed from the logits z directly.

    Per element, −[y log σ(z) + (1 − y) log(1 − σ(z))] simplifies to
    max(z, 0) − z·y + log(1 + e^{−|z|}), which never overflows (the exponent is ≤ 0) and
    never takes log(0). z, y: same shape. Returns the mean.
    """
    z, y = _matched("binary_cross_entropy_with_logits", z, y, what="logits")
    return float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))


def binary_cross_entropy_with_logits_grad(z, y):
    """dL/dz = (σ(z) − y) / n: the sigmoid's derivative cancels the log's."""
    z, y = _matched("binary_cross_entropy_with_logits", z, y, what="logits")
    return (sigmoid(z) - y) / z.size


def _check_focal(gamma, alpha):
    if not gamma >= 0:
        raise ValueError(f"focal_loss: gamma must be >= 0, got {gamma}")
    if alpha is not None and not 0 <= alpha <= 1:
        raise ValueError(f"focal_loss: alpha must be None or in [0, 1], got {alpha}")


def _focal_parts(z, y, alpha):
    """Pieces shared by the focal loss and its gradient (all elementwise, shape of z)."""
    p = sigmoid(z)
    q = sigmoid(-z)                                  # 1 − p, accurate even when p ≈ 1
    # CE: BCE from logits per element, the one line of binary_cross_entropy_with_logits (kept
    # inline there because chapter 4 prints that function beside the formula's derivation)
    ce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    one_minus_pt = y * q + (1 - y) * p               # 1 − p_t: how wrong the model is
    alpha_t = 1.0 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
    return p, q, ce, one_minus_pt, alpha_t


def focal_loss(z, y, gamma: float = 2.0, alpha: float | None = None) -> float:
    """Binary focal loss from logits (Lin et al. 2017), mean over elements.

    FL = α_t (1 − p_t)^γ · CE(σ(z), y), with p_t = p if y = 1 else 1 − p and
    α_t = α if y = 1 else 1 − α (no weighting when ``alpha`` is None).
    The factor (1 − p_t)^γ shrinks the loss of examples the model already gets right,
    so training focuses on the hard ones; γ = 0 and alpha None give plain BCE.
    Same as torchvision's ``sigmoid_focal_loss(..., reduction="mean")``.
    z, y: same shape; y in [0, 1].
    """
    _check_focal(gamma, alpha)
    z, y = _matched("focal_loss", z, y, what="logits")
    _, _, ce, one_minus_pt, alpha_t = _focal_parts(z, y, alpha)
    return float(np.mean(alpha_t * one_minus_pt**gamma * ce))


def focal_loss_grad(z, y, gamma: float = 2.0, alpha: float | None = None):
    """dL/dz, by the product rule on (1 − p_t)^γ · CE (α_t does not depend on z):

        d(1 − p_t)/dz = −(2y − 1) p (1 − p),   dCE/dz = p − y, so
        dFL/dz = α_t [ −γ (1 − p_t)^{γ−1} (2y − 1) p (1 − p) CE + (1 − p_t)^γ (p − y) ] / n.
    """
    _check_focal(gamma, alpha)
    z, y = _matched("focal_loss", z, y, what="logits")
    p, q, ce, omp, alpha_t = _focal_parts(z, y, alpha)
    # (1 − p_t)^{γ−1} is infinite at 1 − p_t = 0 when γ < 1, but there p(1 − p) = 0 and the
    # whole term is 0; substitute 1 for the base to avoid evaluating 0 to a negative power.
    safe = np.where(omp > 0, omp, 1)
    pow_gm1 = np.where(omp > 0, safe ** (gamma - 1), 0) if gamma != 0 else 0
    d_focus = -gamma * pow_gm1 * (2 * y - 1) * p * q * ce
    grad = alpha_t * (d_focus + omp**gamma * (p - y)) / z.size
    return grad.astype(z.dtype, copy=False)


# --- multi-class classification -----------------------------------------------------

def _ce_targets(z, y):
    """Validate cross-entropy inputs; return (z, Y) with Y one-hot/soft, shape of the logits z."""
    z = _as_float(z)
    y = np.asarray(y)
    if z.ndim < 2:
        raise ValueError(f"cross_entropy: logits must be (N, K), got {z.shape}")
    if z.size == 0:
        raise ValueError(f"cross_entropy: got empty logits {z.shape}; the mean of nothing is undefined")
    K = z.shape[-1]
    if y.shape == z.shape:                           # one-hot or soft targets
        return z, y.astype(z.dtype, copy=False)
    if y.ndim != z.ndim - 1:
        raise ValueError(f"cross_entropy: labels must be class indices {z.shape[:-1]} or "
                         f"one-hot {z.shape}, got {y.shape}")
    if y.shape != z.shape[:-1]:
        raise ValueError(f"cross_entropy: logits {z.shape} and labels {y.shape} disagree on N")
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"cross_entropy: class labels must be integers, got dtype {y.dtype}; "
                         "use y.astype(int)")
    if y.size and (y.min() < 0 or y.max() >= K):
        raise ValueError(f"cross_entropy: labels must be in [0, {K - 1}] for {K} classes, "
                         f"got values from {y.min()} to {y.max()}")
    Y = np.zeros_like(z)
    np.put_along_axis(Y, y[..., None], 1, axis=-1)
    return z, Y


def cross_entropy(z, y) -> float:
    """Softmax cross-entropy from logits: −mean over examples of Σ_k y_k log softmax(z)_k.

    z: (N, K) logits, raw scores (no softmax applied!). y: (N,) integer class labels in
    [0, K), or (N, K) one-hot / soft targets. Extra leading axes are allowed and
    averaged over: (N, T, K) logits with (N, T) labels -- note the classes are the
    *last* axis (PyTorch puts them second). Uses log_softmax: fused, never log(0).
    """
    z, Y = _ce_targets(z, y)
    n = z.size // z.shape[-1]
    return float(-np.sum(Y * log_softmax(z)) / n)


def cross_entropy_grad(z, y):
    """dL/dz = (softmax(z) − y) / N: softmax's Jacobian and the log cancel.

    (For soft targets whose rows do not sum to 1 the general form is softmax·Σy − y.)
    """
    z, Y = _ce_targets(z, y)
    n = z.size // z.shape[-1]
    return (softmax(z) * _sum_over(Y, -1) - Y) / n


# --- loss objects -------------------------------------------------------------------

class Loss:
    """A loss as an object: ``forward(y_hat, y) -> float`` remembers its inputs, and
    ``backward() -> dL/dy_hat`` (shape of y_hat) starts backpropagation."""

    cache = None        # (y_hat, y) of the last forward, as a layer's cache: None until then

    def value(self, y_hat, y) -> float:
        raise NotImplementedError

    def grad(self, y_hat, y):
        raise NotImplementedError

    def forward(self, y_hat, y) -> float:
        self.cache = (y_hat, y)
        return self.value(y_hat, y)

    def backward(self):
        if self.cache is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        return self.grad(*self.cache)

    def __call__(self, y_hat, y) -> float:
        return self.forward(y_hat, y)

    def __repr__(self):
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    """Mean squared error; see :func:`mse`."""

    def value(self, y_hat, y):
        return mse(y_hat, y)

    def grad(self, y_hat, y):
        return mse_grad(y_hat, y)


class MAELoss(Loss):
    """Mean absolute error; see :func:`mae`."""

    def value(self, y_hat, y):
        return mae(y_hat, y)

    def grad(self, y_hat, y):
        return mae_grad(y_hat, y)


class HuberLoss(Loss):
    """Huber loss with threshold ``delta`` > 0; see :func:`huber`."""

    def __init__(self, delta: float = 1.0):
        _check_delta("HuberLoss", delta)
        self.delta = float(delta)

    def value(self, y_hat, y):
        return huber(y_hat, y, self.delta)

    def grad(self, y_hat, y):
        return huber_grad(y_hat, y, self.delta)

    def __repr__(self):
        return f"HuberLoss(delta={self.delta})"


class BCELoss(Loss):
    """Binary cross-entropy from probabilities; see :func:`binary_cross_entropy`."""

    def value(self, y_hat, y):
        return binary_cross_entropy(y_hat, y)

    def grad(self, y_hat, y):
        return binary_cross_entropy_grad(y_hat, y)


class BCEWithLogitsLoss(Loss):
    """Binary cross-entropy from logits; see :func:`binary_cross_entropy_with_logits`."""

    def value(self, y_hat, y):
        return binary_cross_entropy_with_logits(y_hat, y)

    def grad(self, y_hat, y):
        return binary_cross_entropy_with_logits_grad(y_hat, y)


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy from logits; see :func:`cross_entropy`."""

    def value(self, y_hat, y):
        return cross_entropy(y_hat, y)

    def grad(self, y_hat, y):
        return cross_entropy_grad(y_hat, y)


class FocalLoss(Loss):
    """Binary focal loss from logits; see :func:`focal_loss`."""

    def __init__(self, gamma: float = 2.0, alpha: float | None = None):
        _check_focal(gamma, alpha)
        self.gamma, self.alpha = float(gamma), alpha

    def value(self, y_hat, y):
        return focal_loss(y_hat, y, self.gamma, self.alpha)

    def grad(self, y_hat, y):
        return focal_loss_grad(y_hat, y, self.gamma, self.alpha)

    def __repr__(self):
        return f"FocalLoss(gamma={self.gamma}, alpha={self.alpha})"
