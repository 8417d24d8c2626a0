"""Chapter 8's checkers (``nnbook.exercises.regularization``): each accepts right answers written
as a student would, rejects realistic wrong ones with the hint that names THAT mistake (or with no
hint where none fits). Hostile code, NaN and stubs: tests/test_exercises_checkers.py."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import regularization as check
from nnbook.exercises.core import Checker
from wrong_answers import assert_each_hint_fires_only_for_its_own_mistake, assert_rejected_with_hint

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}


# --------------------------------------------------------------------------- right answers
def reg_grad(w, grad, l1, l2):
    return grad + l1 * np.sign(w) + l2 * w


def reg_grad_where(w, grad, l1, l2):
    sub = np.where(w > 0, 1.0, np.where(w < 0, -1.0, 0.0))
    return grad + l2 * w + l1 * sub


def dropout(x, grad_out, keep, p, training):
    if not training:
        return x, grad_out
    mask = keep / (1 - p)
    return x * mask, grad_out * mask


def early_stopping(val_losses, patience, min_delta):
    best, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


@pytest.mark.parametrize("name, fn", [
    ("regularized_grad", reg_grad), ("regularized_grad", reg_grad_where),
    ("dropout", dropout), ("early_stopping", early_stopping)])
def test_accepts_right_answers_written_differently(name, fn):
    result = CHECKERS[name].run(fn)
    assert result.passed, result.text


# --------------------------------------------------------------------------- wrong answers
def rg_two(w, grad, l1, l2):
    return grad + l1 * np.sign(w) + 2 * l2 * w


def rg_swapped(w, grad, l1, l2):
    return grad + l1 * w + l2 * np.sign(w)


def rg_penalty_only(w, grad, l1, l2):
    return l1 * np.sign(w) + l2 * w


def rg_abs(w, grad, l1, l2):
    return grad + l1 * np.abs(w) + l2 * w


def rg_minus(w, grad, l1, l2):
    return grad - l1 * np.sign(w) - l2 * w


def rg_l1_divided(w, grad, l1, l2):
    return grad + l1 * w / np.abs(w) + l2 * w          # 0/0 at w = 0


def rg_in_place(w, grad, l1, l2):
    grad += l1 * np.sign(w) + l2 * w
    return grad


def rg_ignores_l1(w, grad, l1, l2):
    return grad + l2 * w


def rg_squared(w, grad, l1, l2):
    return grad + l1 * np.sign(w) + l2 * w ** 2


def do_times_p(x, grad_out, keep, p, training):
    if not training:
        return x, grad_out
    return x * keep * p, grad_out * keep * p


def do_rate_at_inference(x, grad_out, keep, p, training):
    if training:
        return x * keep, grad_out * keep
    return x * p, grad_out * p


def do_no_scale(x, grad_out, keep, p, training):
    if not training:
        return x, grad_out
    return x * keep, grad_out * keep


def do_times_keep_prob(x, grad_out, keep, p, training):
    if not training:
        return x, grad_out
    return x * keep * (1 - p), grad_out * keep * (1 - p)


def do_always(x, grad_out, keep, p, training):
    return x * keep / (1 - p), grad_out * keep / (1 - p)


def do_dx_unmasked(x, grad_out, keep, p, training):
    if not training:
        return x, grad_out
    return x * keep / (1 - p), grad_out / (1 - p)


def do_dx_unscaled(x, grad_out, keep, p, training):
    if not training:
        return x, grad_out
    return x * keep / (1 - p), grad_out * keep


def do_drop_mask(x, grad_out, keep, p, training):
    if not training:
        return x, grad_out
    drop = ~keep
    return x * drop / (1 - p), grad_out * drop / (1 - p)


def do_original(x, grad_out, keep, p, training):
    if training:
        return x * keep, grad_out * keep
    return x * (1 - p), grad_out * (1 - p)


def do_string_mode(x, grad_out, keep, p, training):
    if training == "train":
        return x * keep / (1 - p), grad_out * keep / (1 - p)
    return x, grad_out


def es_last(val_losses, patience, min_delta):
    best, waited = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, waited = loss, 0
        else:
            waited += 1
            if waited == patience:
                return epoch, epoch
    return len(val_losses) - 1, len(val_losses) - 1


def es_late(val_losses, patience, min_delta):
    best, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited > patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def es_first_bad(val_losses, patience, min_delta):
    best, best_epoch = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch = loss, epoch
        else:
            return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def es_no_delta(val_losses, patience, min_delta):
    return early_stopping(val_losses, patience, 0.0)


def es_leq(val_losses, patience, min_delta):
    best, best_epoch, waited = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss <= best - min_delta:
            best, best_epoch, waited = loss, epoch, 0
        else:
            waited += 1
            if waited == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def es_one_based(val_losses, patience, min_delta):
    b, s = early_stopping(val_losses, patience, min_delta)
    return b + 1, s + 1


def es_argmin_whole(val_losses, patience, min_delta):
    b, s = early_stopping(val_losses, patience, min_delta)
    return int(np.argmin(val_losses)), s        # looks at epochs after the stop


def es_count_from_start(val_losses, patience, min_delta):
    best, best_epoch, bad = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch = loss, epoch       # the count of bad epochs is never reset
        else:
            bad += 1
            if bad == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1


def es_typo(val_losses, patience, min_delta):
    best = float("inf")
    for epoch, loss in enumerate(val_losses):
        if loss < bst - min_delta:  # noqa: F821
            best = loss
    return 0, 0


WRONG = [
    ("regularized_grad", rg_two, "not 2λ₂·w"),
    ("regularized_grad", rg_swapped, "swapped"),
    ("regularized_grad", rg_penalty_only, "FULL gradient"),
    ("regularized_grad", rg_abs, "sign(w), not |w|"),
    ("regularized_grad", rg_minus, "ADDED to the loss"),
    ("regularized_grad", rg_l1_divided, None),
    ("regularized_grad", rg_ignores_l1, None),
    ("regularized_grad", rg_squared, None),
    ("dropout", do_times_p, "taken literally"),
    ("dropout", do_rate_at_inference, "Scale the kept units by 1/(1 − p)"),
    ("dropout", do_no_scale, "Scale the kept units by 1/(1 − p)"),
    ("dropout", do_original, "Scale the kept units by 1/(1 − p)"),
    ("dropout", do_times_keep_prob, "multiplying by (1 − p) shrinks twice"),
    ("dropout", do_always, "evaluation mode dropout is the identity"),
    ("dropout", do_dx_unmasked, "same mask"),
    ("dropout", do_dx_unscaled, "same scale"),
    ("dropout", do_drop_mask, "KEPT"),
    ("dropout", do_string_mode, None),
    ("early_stopping", es_last, "not the epoch where training stopped"),
    ("early_stopping", es_late, "one epoch late"),
    ("early_stopping", es_first_bad, "stopped at the first one"),
    ("early_stopping", es_no_delta, "MORE than `min_delta`"),
    ("early_stopping", es_leq, "Use <, not <="),
    ("early_stopping", es_one_based, "numbered from 0"),
    ("early_stopping", es_argmin_whole, None),
    ("early_stopping", es_count_from_start, None),
    ("early_stopping", es_typo, None),
]


@pytest.mark.parametrize("name, wrong, hint", WRONG, ids=[f"{n}-{w.__name__}" for n, w, _ in WRONG])
def test_rejects_a_wrong_answer_with_the_right_hint_or_none(name, wrong, hint):
    assert_rejected_with_hint(CHECKERS, name, wrong, hint)


def test_each_hint_fires_only_for_its_own_mistake():
    assert_each_hint_fires_only_for_its_own_mistake(
        CHECKERS, [w for w in WRONG if w[1] not in (do_rate_at_inference, do_original)])


def test_modifying_the_gradient_in_place_is_reported():
    result = check.regularized_grad.run(rg_in_place)
    assert result.status == "fail" and "`grad`" in result.text and "modified" in result.text
