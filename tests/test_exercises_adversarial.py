"""Chapter 15's checkers (``nnbook.exercises.adversarial``): each accepts right answers written
as a student would, rejects realistic wrong ones with the hint that names THAT mistake (or with no
hint where none fits). Hostile code, NaN and stubs: tests/test_exercises_checkers.py."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import adversarial as check
from nnbook.exercises.core import Checker
from wrong_answers import assert_each_hint_fires_only_for_its_own_mistake, assert_rejected_with_hint

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}


def softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))


# --------------------------------------------------------------------------- right answers
def d_loss(logits_real, logits_fake):
    loss = np.mean(softplus(-logits_real)) + np.mean(softplus(logits_fake))
    return loss, (sigmoid(logits_real) - 1) / logits_real.size, sigmoid(logits_fake) / logits_fake.size


def d_loss_nnlib(logits_real, logits_fake):
    from nnlib.losses import binary_cross_entropy_with_logits as bce
    from nnlib.losses import binary_cross_entropy_with_logits_grad as grad
    ones, zeros = np.ones_like(logits_real), np.zeros_like(logits_fake)
    return (bce(logits_real, ones) + bce(logits_fake, zeros), grad(logits_real, ones),
            grad(logits_fake, zeros))


def g_loss(logits_fake, non_saturating):
    n = logits_fake.size
    if non_saturating:
        return np.mean(softplus(-logits_fake)), (sigmoid(logits_fake) - 1) / n
    return -np.mean(softplus(logits_fake)), -sigmoid(logits_fake) / n


def coverage(samples, centers, radius, min_share):
    d = np.sqrt(((samples[:, None, :] - centers[None, :, :]) ** 2).sum(axis=-1))
    k = d.argmin(axis=1)
    good = d.min(axis=1) <= radius
    covered = sum(1 for j in range(len(centers)) if np.sum(good & (k == j)) >= min_share * len(samples))
    return covered, good.mean()


def gan_step(theta, x_real, z, lr):
    a, b, w, c = theta
    N, M = len(x_real), len(z)
    x_fake = a * z + b
    g_real = (sigmoid(w * x_real + c) - 1) / N        # dL_D/dl for real samples
    g_fake = sigmoid(w * x_fake + c) / M              # dL_D/dl for fake samples
    w = w - lr * (g_real @ x_real + g_fake @ x_fake)
    c = c - lr * (g_real.sum() + g_fake.sum())
    g = (sigmoid(w * (a * z + b) + c) - 1) / M        # dL_G/dl, non-saturating, new D
    dx = g * w
    a, b = a - lr * (dx @ z), b - lr * dx.sum()
    return np.array([a, b, w, c])


def _step_with(**change):
    def step(theta, x_real, z, lr):
        a, b, w, c = theta
        N, M = len(x_real), len(z)
        x_fake = a * z + b
        g_real = (sigmoid(w * x_real + c) - 1) / (1 if change.get("sums") else N)
        g_fake = sigmoid(w * x_fake + c) / (1 if change.get("sums") else M)
        if change.get("only_fake"):        # D.backward(real) then D.backward(fake): overwritten
            g_real = np.zeros_like(g_real)
        w_new = w - lr * (g_real @ x_real + g_fake @ x_fake)
        c_new = c - lr * (g_real.sum() + g_fake.sum())
        wg, cg = (w, c) if change.get("old_D") else (w_new, c_new)
        l = wg * (a * z + b) + cg
        if change.get("saturating"):
            g = -sigmoid(l) / M
        elif change.get("label0"):
            g = sigmoid(l) / M
        else:
            g = (sigmoid(l) - 1) / (1 if change.get("sums") else M)
        dx = g if change.get("no_chain") else g * wg
        if change.get("z_not_x"):
            return np.array([a - lr * dx.sum(), b - lr * dx.sum(), w_new, c_new])
        return np.array([a - lr * (dx @ z), b - lr * dx.sum(), w_new, c_new])
    return step


def gan_step_typo(theta, x_real, z, lr):
    a, b, w, c = theta
    x_fake = a * z + b
    g_real = (sigmoid(w * x_real + c) - 1) / len(x_real)
    return np.array([a, b, w - lr * g_real @ x_rael, c])  # noqa: F821


def gan_step_lists(theta, x_real, z, lr):
    return list(gan_step(theta, x_real, z, lr))


@pytest.mark.parametrize("name, fn", [
    ("gan_step", gan_step), ("gan_step", _step_with()),
    ("discriminator_loss", d_loss), ("discriminator_loss", d_loss_nnlib),
    ("generator_loss", g_loss), ("mode_coverage", coverage)])
def test_accepts_right_answers_written_differently(name, fn):
    result = CHECKERS[name].run(fn)
    assert result.passed, result.text


# --------------------------------------------------------------------------- wrong answers
def d_swapped(logits_real, logits_fake):
    loss = np.mean(softplus(logits_real)) + np.mean(softplus(-logits_fake))
    return loss, sigmoid(logits_real) / logits_real.size, (sigmoid(logits_fake) - 1) / logits_fake.size


def d_one_mean(logits_real, logits_fake):
    z = np.concatenate([logits_real, logits_fake])
    y = np.concatenate([np.ones_like(logits_real), np.zeros_like(logits_fake)])
    loss = np.mean(softplus(z) - z * y)
    g = (sigmoid(z) - y) / len(z)
    return loss, g[:len(logits_real)], g[len(logits_real):]


def d_no_mean(logits_real, logits_fake):
    loss = np.mean(softplus(-logits_real)) + np.mean(softplus(logits_fake))
    return loss, sigmoid(logits_real) - 1, sigmoid(logits_fake)


def d_flipped(logits_real, logits_fake):
    loss = np.mean(softplus(-logits_real)) + np.mean(softplus(logits_fake))
    return loss, (1 - sigmoid(logits_real)) / logits_real.size, -sigmoid(logits_fake) / logits_fake.size


def d_naive_log(logits_real, logits_fake):
    p_real, p_fake = 1 / (1 + np.exp(-logits_real)), 1 / (1 + np.exp(-logits_fake))
    loss = -np.mean(np.log(p_real)) - np.mean(np.log(1 - p_fake))
    return loss, (p_real - 1) / len(p_real), p_fake / len(p_fake)


def d_loss_only_real_grad_wrong_len(logits_real, logits_fake):
    n = len(logits_real) + len(logits_fake)
    loss = np.mean(softplus(-logits_real)) + np.mean(softplus(logits_fake))
    return loss, (sigmoid(logits_real) - 1) / n, sigmoid(logits_fake) / n


def d_typo(logits_real, logits_fake):
    loss = np.mean(softplus(-logits_real)) + np.mean(softplus(logits_fake))
    return loss, (sigmoid(logits_real) - 1) / logits_real.size, sigmoid(logit_fake) / 2  # noqa: F821


def g_always_ns(logits_fake, non_saturating):
    return np.mean(softplus(-logits_fake)), (sigmoid(logits_fake) - 1) / logits_fake.size


def g_always_sat(logits_fake, non_saturating):
    return -np.mean(softplus(logits_fake)), -sigmoid(logits_fake) / logits_fake.size


def g_label0(logits_fake, non_saturating):
    if non_saturating:     # "fakes get label 0", then flip the sign to fool D
        return -np.mean(softplus(logits_fake)), -sigmoid(logits_fake) / logits_fake.size
    return -np.mean(softplus(logits_fake)), -sigmoid(logits_fake) / logits_fake.size


def g_wrong_sign(logits_fake, non_saturating):
    if non_saturating:
        return g_loss(logits_fake, True)
    return np.mean(softplus(logits_fake)), sigmoid(logits_fake) / logits_fake.size


def g_no_mean(logits_fake, non_saturating):
    loss, grad = g_loss(logits_fake, non_saturating)
    return loss, grad * logits_fake.size


def g_naive(logits_fake, non_saturating):
    D = 1 / (1 + np.exp(-logits_fake))
    if non_saturating:
        return -np.mean(np.log(D)), (D - 1) / len(D)
    return np.mean(np.log(1 - D)), -D / len(D)


def g_string_flag(logits_fake, non_saturating):
    if non_saturating == "True":
        return g_loss(logits_fake, True)
    return g_loss(logits_fake, False)


def g_grad_of_D(logits_fake, non_saturating):
    D = sigmoid(logits_fake)
    loss = g_loss(logits_fake, non_saturating)[0]
    return loss, -1 / D / len(D) if non_saturating else -1 / (1 - D) / len(D)


def c_any(samples, centers, radius, min_share):
    d = np.linalg.norm(samples[:, None] - centers[None], axis=2)
    good = d.min(axis=1) <= radius
    return len(set(d.argmin(axis=1)[good])), good.mean()


def c_no_radius(samples, centers, radius, min_share):
    d = np.linalg.norm(samples[:, None] - centers[None], axis=2)
    counts = np.bincount(d.argmin(axis=1), minlength=len(centers))
    return int(np.sum(counts >= min_share * len(samples))), 1.0


def c_squared(samples, centers, radius, min_share):
    d2 = ((samples[:, None] - centers[None]) ** 2).sum(axis=2)
    k, good = d2.argmin(axis=1), d2.min(axis=1) <= radius
    counts = np.bincount(k[good], minlength=len(centers))
    return int(np.sum(counts >= min_share * len(samples))), good.mean()


def c_all_count(samples, centers, radius, min_share):
    d = np.linalg.norm(samples[:, None] - centers[None], axis=2)
    counts = np.bincount(d.argmin(axis=1), minlength=len(centers))
    good = d.min(axis=1) <= radius
    return int(np.sum(counts >= min_share * len(samples))), good.mean()


def c_strict(samples, centers, radius, min_share):
    covered, quality = coverage(samples, centers, radius, min_share)
    d = np.linalg.norm(samples[:, None] - centers[None], axis=2)
    k, good = d.argmin(axis=1), d.min(axis=1) <= radius
    counts = np.bincount(k[good], minlength=len(centers))
    return int(np.sum(counts > min_share * len(samples))), quality


def c_count(samples, centers, radius, min_share):
    d = np.linalg.norm(samples[:, None] - centers[None], axis=2)
    k, good = d.argmin(axis=1), d.min(axis=1) <= radius
    counts = np.bincount(k[good], minlength=len(centers))
    return int(np.sum(counts >= min_share)), good.mean()


def c_quality_of_modes(samples, centers, radius, min_share):
    covered, _ = coverage(samples, centers, radius, min_share)
    return covered, covered / len(centers)


def c_axis(samples, centers, radius, min_share):
    d = np.linalg.norm(samples[:, None] - centers[None], axis=1)
    k, good = d.argmin(axis=1), d.min(axis=1) <= radius
    return int(np.sum(np.bincount(k[good]) >= min_share * len(samples))), good.mean()


def c_float_count(samples, centers, radius, min_share):
    covered, quality = coverage(samples, centers, radius, min_share)
    return covered / len(centers), quality


def _sigm(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def d_half_stable(logits_real, logits_fake):
    # log1p(exp(-l)) is finite for l >> 0 only: a real logit far below 0 overflows
    loss = np.mean(np.log1p(np.exp(-logits_real))) + np.mean(np.log1p(np.exp(logits_fake)))
    return loss, (_sigm(logits_real) - 1) / logits_real.size, _sigm(logits_fake) / logits_fake.size


def d_loss_as_array(logits_real, logits_fake):
    loss, d_real, d_fake = d_loss(logits_real, logits_fake)
    return np.reshape(loss, (1,)), d_real, d_fake          # mean(axis=0) of an (N, 1) array


def _dist(samples, centers):
    return np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)


def c_argmax(samples, centers, radius, min_share):
    d = _dist(samples, centers)
    k = d.argmax(axis=1)
    good = d[np.arange(len(d)), k] <= radius
    return int(np.sum(np.bincount(k[good], minlength=len(centers)) >= min_share * len(d))), good.mean()


def c_argmax_assign(samples, centers, radius, min_share):
    d = _dist(samples, centers)
    good = d.min(axis=1) <= radius
    counts = np.bincount(d.argmax(axis=1)[good], minlength=len(centers))
    return int(np.sum(counts >= min_share * len(d))), good.mean()


def c_share_of_good(samples, centers, radius, min_share):
    d = _dist(samples, centers)
    good = d.min(axis=1) <= radius
    counts = np.bincount(d.argmin(axis=1)[good], minlength=len(centers))
    return int(np.sum(counts >= min_share * good.sum())), good.mean()


def c_two_d(samples, centers, radius, min_share):
    dx = samples[:, 0][:, None] - centers[:, 0][None]
    dy = samples[:, 1][:, None] - centers[:, 1][None]
    d = np.sqrt(dx ** 2 + dy ** 2)
    good = d.min(axis=1) <= radius
    counts = np.bincount(d.argmin(axis=1)[good], minlength=len(centers))
    return int(np.sum(counts >= min_share * len(d))), good.mean()


def c_every_centre(samples, centers, radius, min_share):
    within = _dist(samples, centers) <= radius
    return int(np.sum(within.sum(axis=0) >= min_share * len(samples))), within.any(axis=1).mean()


def c_below_radius(samples, centers, radius, min_share):
    d = _dist(samples, centers)
    good = d.min(axis=1) < radius
    counts = np.bincount(d.argmin(axis=1)[good], minlength=len(centers))
    return int(np.sum(counts >= min_share * len(d))), good.mean()


WRONG = [
    ("gan_step", _step_with(old_D=True), "used the discriminator from before its step"),
    ("gan_step", _step_with(saturating=True), "NON-saturating"),
    ("gan_step", _step_with(only_fake=True), "term from the REAL samples"),
    ("gan_step", _step_with(no_chain=True), "flows THROUGH the discriminator"),
    ("gan_step", _step_with(sums=True), "divide the real samples' gradients by N"),
    ("gan_step", _step_with(label0=True), None),
    ("gan_step", _step_with(z_not_x=True), None),
    ("gan_step", gan_step_typo, None),
    ("gan_step", gan_step_lists, None),
    ("discriminator_loss", d_swapped, "Real samples have the label 1"),
    ("discriminator_loss", d_one_mean, "SUM of two means"),
    ("discriminator_loss", d_no_mean, "carries 1/N"),
    ("discriminator_loss", d_flipped, "signs are flipped"),
    ("discriminator_loss", d_naive_log, "overflows or takes log(0)"),
    ("discriminator_loss", d_loss_only_real_grad_wrong_len, None),
    ("discriminator_loss", d_typo, None),
    ("generator_loss", g_always_ns, "asks for the saturating loss"),
    ("generator_loss", g_always_sat, "pretends the fakes are REAL"),
    ("generator_loss", g_label0, "pretends the fakes are REAL"),
    ("generator_loss", g_wrong_sign, "the generator would help"),
    ("generator_loss", g_no_mean, "gradient carries 1/N"),
    ("generator_loss", g_naive, "overflows or takes log(0)"),
    ("generator_loss", g_string_flag, "pretends the fakes are REAL"),
    ("generator_loss", g_grad_of_D, None),
    ("mode_coverage", c_any, "a stray point or two"),
    ("mode_coverage", c_count, "a stray point or two"),
    ("mode_coverage", c_no_radius, "nearest centre is within `radius`"),
    ("mode_coverage", c_squared, "not its square"),
    ("mode_coverage", c_all_count, "Count only GOOD samples"),
    ("mode_coverage", c_strict, "use >=, not >"),
    ("mode_coverage", c_quality_of_modes, None),
    ("mode_coverage", c_axis, None),
    ("mode_coverage", c_float_count, None),
    ("mode_coverage", c_argmax, None),             # (0 modes, 0% good): too common to name
    ("mode_coverage", c_argmax_assign, "FARTHEST centre"),
    ("mode_coverage", c_share_of_good, "not of the good ones only"),
    ("mode_coverage", c_two_d, "not always 2"),
    ("mode_coverage", c_every_centre, "must not be counted for both"),
    ("mode_coverage", c_below_radius, "(`<=`, not `<`)"),
    ("discriminator_loss", d_half_stable, "overflows or takes log(0)"),
    ("discriminator_loss", d_loss_as_array, None),
]


@pytest.mark.parametrize("name, wrong, hint", WRONG, ids=[f"{n}-{w.__name__}" for n, w, _ in WRONG])
def test_rejects_a_wrong_answer_with_the_right_hint_or_none(name, wrong, hint):
    assert_rejected_with_hint(CHECKERS, name, wrong, hint)


def test_each_hint_fires_only_for_its_own_mistake():
    assert_each_hint_fires_only_for_its_own_mistake(
        CHECKERS, [w for w in WRONG if w[1] not in (g_label0, g_string_flag, c_count)])   # one mistake, reached two ways


def test_an_error_is_reported_as_the_error():
    text = check.discriminator_loss.run(d_typo).text
    assert "NameError" in text and "logit_fake" in text
