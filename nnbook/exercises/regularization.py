"""Checkers for *Regularization* (Chapter 8).
Use: ``from nnbook.exercises import regularization as check``.

Conventions, as in the chapter and in nnlib/PyTorch: the L2 penalty is (λ₂/2)·‖w‖², so its
gradient is λ₂·w (what ``weight_decay=λ₂`` adds in nnlib's SGD and torch.optim.SGD); the L1
penalty is λ₁·‖w‖₁, gradient λ₁·sign(w) (0 at w = 0). Dropout is *inverted*: ``keep`` is the
boolean mask of units kept (each with probability 1 − p), kept units are scaled by 1/(1 − p) in
training, and evaluation is the identity — :class:`nnlib.layers.Dropout`. Early stopping is
:class:`nnlib.model.EarlyStopping`: an epoch improves if its loss is below the best so far by
more than ``min_delta``; training stops at the epoch where ``patience`` epochs in a row have not
improved.

=======================================  =========================================================
checker                                  recognises (hint given)
=======================================  =========================================================
``regularized_grad(w, grad, l1, l2)``    2λ₂w (the penalty without its ½); λ₁·w or λ₂·sign(w)
→ grad + l1·sign(w) + l2·w               (L1 and L2 swapped); the penalty's gradient without the
                                         data gradient; |w| instead of sign(w); the penalty
                                         subtracted
``dropout(x, grad_out, keep, p,         scaled by p (the drop rate) instead of 1/(1 − p); no
training)`` → (y, dx)                    scaling in training (also the original dropout's
                                         "scale at inference"); multiplied by (1 − p) in
                                         training; the mask or the scaling applied in evaluation;
                                         dx without the mask or without the scaling; keep used
                                         as a drop mask
``early_stopping(val_losses, patience,   the last epoch returned as the best; stopping one epoch
min_delta)`` → (best_epoch, stop_epoch)  early or late; patience ignored (stopping at the first
                                         epoch without improvement); min_delta ignored; ≤
                                         instead of <; the highest loss taken as the best;
                                         1-based epochs
=======================================  =========================================================
"""
from __future__ import annotations

import numpy as np

from nnlib.layers import Dropout
from nnlib.model import EarlyStopping

from .common import COMMON
from .core import Case, Checker, Mistake

__all__ = ["regularized_grad", "dropout", "early_stopping"]


# --------------------------------------------------------------------------- L1 and L2
def _reg_grad(w, grad, l1, l2):
    """nnlib's SGD adds l2·w (weight_decay); L1's subgradient is l1·sign(w)."""
    from nnlib.layers import Parameter
    from nnlib.optimizers import SGD
    p = Parameter(np.array(w, dtype=float))
    p.grad = np.array(grad, dtype=float)
    SGD([p], lr=1.0, weight_decay=l2).step()              # p ← w − (grad + l2·w)
    return (np.asarray(w, dtype=float) - p.data) + l1 * np.sign(w)


def _rg_variant(w, grad, l1, l2, *, two=False, swap=False, no_data=False, abs_=False, minus=False):
    w, grad = np.asarray(w, dtype=float), np.asarray(grad, dtype=float)
    a, b = (l2, l1) if swap else (l1, l2)
    pen = a * (np.abs(w) if abs_ else np.sign(w)) + (2 if two else 1) * b * w
    if minus:
        pen = -pen
    return pen if no_data else grad + pen


def _vrg(**mistake):
    return lambda *args: _rg_variant(*args, **mistake)


regularized_grad = Checker(
    "regularized_grad", _reg_grad, arg_names=("w", "grad", "l1", "l2"),
    signature="regularized_grad(w, grad, l1, l2)", rtol=1e-9, atol=1e-12,
    cases=[
        Case(np.array([0.5, -2.0, 0.0, 1.5]), np.array([0.1, 0.2, -0.3, 0.0]), 0.0, 0.1,
             label="L2 only (λ₂ = 0.1)"),
        Case(np.array([0.5, -2.0, 0.0, 1.5]), np.array([0.1, 0.2, -0.3, 0.0]), 0.05, 0.0,
             label="L1 only (λ₁ = 0.05), one weight exactly 0"),
        Case(np.array([[1.0, -0.25], [3.0, -4.0]]), np.array([[0.5, 0.5], [-1.0, 2.0]]), 0.01,
             0.2, label="both, a 2 × 2 weight matrix"),
    ],
    mistakes=[
        Mistake("The L2 penalty is (λ₂/2)·‖w‖²: its gradient is λ₂·w, not 2λ₂·w (this ½ is why "
                "`weight_decay=λ` adds exactly λ·w).", like=_vrg(two=True)),
        Mistake("L1 and L2 are swapped: L1 (λ₁‖w‖₁) gives λ₁·sign(w), L2 gives λ₂·w.",
                like=_vrg(swap=True)),
        Mistake("Return the FULL gradient: the data gradient `grad` plus the penalty's.",
                like=_vrg(no_data=True)),
        Mistake("The derivative of |w| is sign(w), not |w|.", like=_vrg(abs_=True)),
        Mistake("A penalty is ADDED to the loss, so its gradient is added: the step then "
                "shrinks the weights.", like=_vrg(minus=True)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- dropout
class _Draws:
    """Stands in for Dropout's generator: "random numbers" that keep exactly the given units
    (nnlib keeps a unit when its number is >= p; 1.0 always is, 0.0 never, for 0 < p < 1)."""

    def __init__(self, keep):
        self.keep = np.asarray(keep, dtype=bool)

    def random(self, shape):
        return np.broadcast_to(np.where(self.keep, 1.0, 0.0), shape)


def _dropout(x, grad_out, keep, p, training):
    """nnlib's Dropout, forward and backward, with this mask."""
    layer = Dropout(p)
    layer.rng = _Draws(keep)
    if not training:
        layer.eval()
    y = layer.forward(np.asarray(x, dtype=float))
    return y, layer.backward(np.asarray(grad_out, dtype=float))


def _do_variant(x, g, keep, p, training, *, by_p=False, none=False, times_keep=False,
                eval_mask=False, at_inference=False, dx_no_mask=False, dx_no_scale=False,
                drop_mask=False):
    x, g = np.asarray(x, dtype=float), np.asarray(g, dtype=float)
    keep = np.asarray(keep, dtype=bool)
    if drop_mask:
        keep = ~keep
    if not training:
        if eval_mask:
            s = keep / (1 - p)
            return x * s, g * s
        if at_inference:
            return x * (1 - p), g * (1 - p)
        if by_p:
            return x * p, g * p
        return x, g
    if at_inference or none:
        s = keep.astype(float)
    elif by_p:
        s = keep * p
    elif times_keep:
        s = keep * (1 - p)
    else:
        s = keep / (1 - p)
    dx = g * s
    if dx_no_mask:
        dx = g / (1 - p)
    if dx_no_scale:
        dx = g * keep
    return x * s, dx


def _vdo(**mistake):
    return lambda *args: _do_variant(*args, **mistake)


_rng = np.random.default_rng(8)
_x2 = np.round(_rng.normal(size=(3, 4)), 2)
_g2 = np.round(_rng.normal(size=(3, 4)), 2)
_k2 = np.array([[True, False, True, True], [False, True, True, False], [True, True, False, True]])

dropout = Checker(
    "dropout", _dropout, arg_names=("x", "grad_out", "keep", "p", "training"),
    signature="dropout(x, grad_out, keep, p, training)", output_names=("y", "dx"),
    rtol=1e-9, atol=1e-12,
    cases=[
        Case(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0.5, -1.0, 1.0, 2.0, -0.5]),
             np.array([True, True, False, True, False]), 0.2, True,
             label="training, p = 0.2 (keep 80%)"),
        Case(_x2, _g2, _k2, 0.5, True, label="training, p = 0.5, a (3, 4) batch"),
        Case(_x2, _g2, _k2, 0.3, False, label="EVALUATION mode, p = 0.3 (the mask is ignored)"),
    ],
    mistakes=[
        Mistake("\"Scale by the dropout rate\" taken literally: multiplying by p (the DROP "
                "probability) shrinks the signal to p times its size. Inverted dropout divides "
                "the kept units by the KEEP probability 1 − p in training, and does nothing in "
                "evaluation.", like=_vdo(by_p=True)),
        Mistake("Scale the kept units by 1/(1 − p) in training, so that their expected value "
                "equals the input's; without it the next layer sees smaller numbers in training "
                "than in evaluation. (Unscaled training with × (1 − p) at inference is the "
                "original dropout; inverted dropout moves the scaling into training, so that "
                "evaluation is the identity.)", like=_vdo(none=True)),
        Mistake("Divide by the keep probability, 1/(1 − p); multiplying by (1 − p) shrinks twice.",
                like=_vdo(times_keep=True)),
        Mistake("In evaluation mode dropout is the identity: y = x, dx = grad_out. No mask, no "
                "scaling.", like=_vdo(eval_mask=True)),
        Mistake("The backward pass uses the same mask: dropped units get zero gradient "
                "(dx = grad_out · keep / (1 − p)).", part="dx", like=_vdo(dx_no_mask=True)),
        Mistake("The backward pass uses the same scale 1/(1 − p) as the forward pass.",
                part="dx", like=_vdo(dx_no_scale=True)),
        Mistake("`keep` marks the units that are KEPT (True) — you zeroed those instead.",
                like=_vdo(drop_mask=True)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- early stopping
def _early_stopping(val_losses, patience, min_delta):
    """nnlib's EarlyStopping, fed the losses one epoch at a time."""
    es = EarlyStopping(patience=patience, min_delta=min_delta, restore_best=False)
    es.on_fit_begin(None, None, len(val_losses), 1)
    stop = len(val_losses) - 1
    for epoch, value in enumerate(val_losses):
        if es.on_epoch_end(epoch, {"val_loss": float(value)}):
            stop = epoch
            break
    return int(es.best_epoch), int(stop)


def _es_variant(val_losses, patience, min_delta, *, last=False, off=0, no_patience=False,
                no_delta=False, leq=False, maximize=False, one_based=False):
    losses = [float(v) for v in val_losses]
    if maximize:
        losses = [-v for v in losses]
    best, best_epoch, waited, stop = np.inf, 0, 0, len(losses) - 1
    delta = 0.0 if no_delta else min_delta
    for epoch, v in enumerate(losses):
        better = v <= best - delta if leq else v < best - delta
        if better:
            best, best_epoch, waited = v, epoch, 0
            continue
        waited += 1
        if waited >= (1 if no_patience else patience + off):
            stop = epoch
            break
    if last:
        best_epoch = stop
    k = 1 if one_based else 0
    return best_epoch + k, stop + k


def _ves(**mistake):
    return lambda *args: _es_variant(*args, **mistake)


early_stopping = Checker(
    "early_stopping", _early_stopping, arg_names=("val_losses", "patience", "min_delta"),
    signature="early_stopping(val_losses, patience, min_delta)",
    output_names=("best_epoch", "stop_epoch"),
    cases=[
        Case(np.array([1.0, 0.8, 0.7, 0.72, 0.7, 0.71, 0.74, 0.8, 0.9]), 3, 0.0,
             label="patience 3: the best is epoch 2, tied at epoch 4"),
        Case(np.array([0.9, 0.6, 0.5, 0.5, 0.49, 0.52, 0.6, 0.7, 0.45, 0.9]), 2, 0.02,
             label="patience 2, min_delta 0.02: a tie and a tiny gain do not count (and the "
                   "lowest loss comes after the stop)"),
        Case(np.array([2.0, 1.5, 1.2, 1.0, 0.9]), 2, 0.0,
             label="still improving at the end: training runs to the last epoch"),
        Case(np.array([0.5, 0.6, 0.55, 0.45, 0.7, 0.8, 0.9, 1.0]), 4, 0.0,
             label="patience 4: a late improvement resets the count"),
    ],
    mistakes=[
        Mistake("An epoch improves only if its loss is below the best by MORE than `min_delta`.",
                like=_ves(no_delta=True)),
        Mistake("The best epoch is the one with the lowest validation loss, whose weights you "
                "restore, not the epoch where training stopped.", part="best_epoch",
                like=_ves(last=True)),
        Mistake("Stop when `patience` epochs IN A ROW have not improved: the first such epoch "
                "ends training, counting from the best one. You stop one epoch late.",
                part="stop_epoch", like=_ves(off=1)),
        Mistake("Stop when `patience` epochs in a row have not improved, no sooner: you stop "
                "one epoch early.", part="stop_epoch", like=_ves(off=-1)),
        Mistake("`patience` is how many epochs WITHOUT improvement are tolerated: you stopped at "
                "the first one.", part="stop_epoch", like=_ves(no_patience=True)),
        Mistake("Equal is not better: a loss equal to the best (minus min_delta) is no "
                "improvement. Use <, not <=.", like=_ves(leq=True)),
        Mistake("Lower validation LOSS is better: you kept the highest.", like=_ves(maximize=True)),
        Mistake("Epochs are numbered from 0, as `enumerate` counts.", like=_ves(one_based=True)),
        *COMMON,
    ])
