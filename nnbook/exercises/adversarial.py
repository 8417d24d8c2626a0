"""Checkers for *Generative adversarial networks* (Chapter 15).
Use: ``from nnbook.exercises import adversarial as check``.

The losses are written with logits ``l`` (the discriminator's last layer has no sigmoid) and
batch means, as in the chapter: with ``D = σ(l)``,

    discriminator:  L_D = mean(−log σ(l_real)) + mean(−log(1 − σ(l_fake)))
    generator:      L_G = mean(−log σ(l_fake))            (non-saturating)
                    L_G = mean(log(1 − σ(l_fake)))        (saturating, the minimax form)

nnlib is the reference: :func:`nnlib.losses.binary_cross_entropy_with_logits` and its gradient,
and :func:`nnlib.metrics.mode_coverage`.

======================================  ===========================================================
checker                                 recognises (hint given)
======================================  ===========================================================
``discriminator_loss(logits_real,       real and fake labels swapped; one mean over both batches;
logits_fake)`` → (loss, d_real,         gradients without the 1/N of the mean; σ(l) − y with the
d_fake)                                 sign flipped; log(σ(l)) computed directly (overflow or
                                        log(0) for large logits)
``generator_loss(logits_fake,           the non_saturating flag ignored (either way); the
non_saturating)`` → (loss, d_fake)      saturating loss with the wrong sign (the generator would
                                        help the discriminator); no 1/N; log(σ(l)) computed
                                        directly
``mode_coverage(samples, centers,       any single good sample counting as covering a mode
radius, min_share)`` → (modes_covered,  (min_share ignored); the radius ignored; squared distances
quality)                                compared with the radius; samples far from every mode
                                        counted towards coverage; min_share used as a count;
                                        a strict > at the threshold
``gan_step(theta, x_real, z, lr)`` →     the generator updated against the OLD discriminator (a
new theta (a, b, w, c)                  simultaneous step); the generator updated first; the
                                        saturating generator loss; the real samples' term left out
                                        of the discriminator's gradient (an overwritten
                                        gradient); the chain rule through D forgotten (∂x̃ = g
                                        instead of g·w); sums instead of means
======================================  ===========================================================

``gan_step`` is one step of the smallest GAN: generator x̃ = a·z + b, discriminator logit
l(x) = w·x + c, plain gradient descent with rate ``lr``, the discriminator first, then the
generator (non-saturating loss) against the UPDATED discriminator, with the same z.
"""
from __future__ import annotations

import numpy as np

from nnlib.activations import sigmoid as _sigmoid
from nnlib.losses import binary_cross_entropy_with_logits as _bce
from nnlib.losses import binary_cross_entropy_with_logits_grad as _bce_grad
from nnlib.metrics import mode_coverage as _mode_coverage

from .common import COMMON, has_nonfinite, warned
from .core import Case, Checker, Mistake

__all__ = ["discriminator_loss", "generator_loss", "mode_coverage", "gan_step"]


def _unstable(o) -> bool:
    """Overflow, log(0) or inf/nan: the loss was computed as log(σ(l)) with a large logit."""
    return (o.error is None and (has_nonfinite(o) or warned(o, "overflow", "divide by zero",
                                                              "invalid value")))


# --------------------------------------------------------------------------- discriminator
def _scalar_loss(o):
    """The loss is one number, whatever the shape of the logits."""
    loss = o.got[0] if isinstance(o.got, tuple) and o.got else None
    if loss is not None and np.ndim(loss) != 0:
        return (f"right values, but the loss has shape {np.shape(loss)}: it is ONE number. With "
                "logits shaped (N, 1), `np.mean(..., axis=0)` keeps an axis; take the mean over "
                "every entry (`np.mean(...)` with no axis).")
    return None


def _d_loss(lr, lf):
    lr, lf = np.asarray(lr, dtype=float), np.asarray(lf, dtype=float)
    ones, zeros = np.ones_like(lr), np.zeros_like(lf)
    return _bce(lr, ones) + _bce(lf, zeros), _bce_grad(lr, ones), _bce_grad(lf, zeros)


def _d_variant(lr, lf, *, swap=False, one_mean=False, no_mean=False, flip=False):
    lr, lf = np.asarray(lr, dtype=float), np.asarray(lf, dtype=float)
    yr, yf = (0.0, 1.0) if swap else (1.0, 0.0)
    if one_mean:
        z = np.concatenate([lr, lf])
        y = np.concatenate([np.full_like(lr, yr), np.full_like(lf, yf)])
        g = _bce_grad(z, y)
        return _bce(z, y), g[:len(lr)], g[len(lr):]
    loss = _bce(lr, np.full_like(lr, yr)) + _bce(lf, np.full_like(lf, yf))
    gr, gf = _sigmoid(lr) - yr, _sigmoid(lf) - yf
    if not no_mean:
        gr, gf = gr / lr.size, gf / lf.size
    if flip:
        gr, gf = -gr, -gf
    return loss, gr, gf


def _vd(**mistake):
    return lambda lr, lf: _d_variant(lr, lf, **mistake)


discriminator_loss = Checker(
    "discriminator_loss", _d_loss, arg_names=("logits_real", "logits_fake"),
    signature="discriminator_loss(logits_real, logits_fake)",
    output_names=("loss", "d_real", "d_fake"), rtol=1e-7, atol=1e-10,
    cases=[
        Case(np.array([2.0, -0.5, 1.0]), np.array([-1.5, 0.5, 0.0, -3.0]),
             label="3 real and 4 fake logits"),
        Case(np.array([[0.3], [-2.0]]), np.array([[1.2], [0.1]]),
             label="logits shaped (N, 1), as a Dense(…, 1) layer returns them"),
        Case(np.array([40.0, -40.0, 800.0]), np.array([-800.0, 35.0]),
             label="a confident discriminator: logits far from 0"),
        Case(np.array([-800.0, 3.0]), np.array([800.0, -2.0]),
             label="a discriminator confidently WRONG (early in training): a real logit far "
                   "below 0, a fake one far above"),
    ], verify=_scalar_loss,
    mistakes=[
        Mistake("Real samples have the label 1 and fake ones 0: the discriminator is trained to "
                "say σ(l) ≈ 1 on real data.", like=_vd(swap=True)),
        Mistake("L_D is the SUM of two means, one over the real logits and one over the fake "
                "ones; a single mean over both batches halves it (and its gradients).",
                like=_vd(one_mean=True)),
        Mistake("Each loss is a MEAN over its batch, so each gradient carries 1/N: "
                "d_real = (σ(l) − 1)/N_real, d_fake = σ(l)/N_fake.", like=_vd(no_mean=True)),
        Mistake("The gradient of −log σ(l) with respect to l is σ(l) − 1, and of −log(1 − σ(l)) "
                "is σ(l): your signs are flipped.", like=_vd(flip=True)),
        Mistake("With a confident discriminator the logits are large: log(σ(l)) overflows or takes "
                "log(0), and `log1p(exp(−l))` overflows for a logit far BELOW 0. Use the form from "
                "logits, max(l, 0) − l·y + log(1 + e^(−|l|)) (nnlib's "
                "binary_cross_entropy_with_logits), which is finite for every sign.",
                when=_unstable),
        *COMMON,
    ])


# --------------------------------------------------------------------------- generator
def _g_loss(lf, non_saturating):
    lf = np.asarray(lf, dtype=float)
    if non_saturating:
        return _bce(lf, np.ones_like(lf)), _bce_grad(lf, np.ones_like(lf))
    return -_bce(lf, np.zeros_like(lf)), -_bce_grad(lf, np.zeros_like(lf))


def _g_variant(lf, non_saturating, *, always=None, wrong_sign=False, no_mean=False,
               label0=False):
    lf = np.asarray(lf, dtype=float)
    ns = non_saturating if always is None else always
    if ns and label0:
        return -_bce(lf, np.zeros_like(lf)), -_bce_grad(lf, np.zeros_like(lf))
    loss, grad = _g_loss(lf, ns)
    if not ns and wrong_sign:
        loss, grad = -loss, -grad
    if no_mean:
        grad = grad * lf.size
    return loss, grad


def _vg(**mistake):
    return lambda lf, ns: _g_variant(lf, ns, **mistake)


generator_loss = Checker(
    "generator_loss", _g_loss, arg_names=("logits_fake", "non_saturating"),
    signature="generator_loss(logits_fake, non_saturating)",
    output_names=("loss", "d_fake"), rtol=1e-7, atol=1e-10,
    cases=[
        Case(np.array([-1.0, 0.5, 2.0, -3.0]), True, label="non-saturating, 4 logits"),
        Case(np.array([-1.0, 0.5, 2.0, -3.0]), False, label="the same logits, saturating"),
        Case(np.array([[-6.0], [0.2], [1.5]]), False, label="saturating, logits shaped (N, 1)"),
        Case(np.array([-900.0, 40.0, -35.0]), True,
             label="non-saturating, a confident discriminator: logits far from 0"),
    ],
    mistakes=[
        Mistake("`non_saturating=False` asks for the saturating loss, mean(log(1 − σ(l))), the "
                "minimax form; you returned the non-saturating one.",
                like=_vg(always=True)),
        Mistake("`non_saturating=True` asks for mean(−log σ(l)), the loss that pretends the "
                "fakes are REAL (label 1): you returned the saturating loss (label 0 with the "
                "sign flipped gives it too).", like=_vg(always=False)),
        Mistake("The saturating generator loss is +mean(log(1 − σ(l))), to be MINIMIZED (it is "
                "the discriminator's second term with the opposite sign): yours has the "
                "discriminator's sign, so the generator would help the discriminator.",
                like=_vg(wrong_sign=True)),
        Mistake("The loss is a MEAN over the batch, so its gradient carries 1/N.",
                like=_vg(no_mean=True)),
        Mistake("With confident logits log(σ(l)) overflows or takes log(0). Use the form from "
                "logits (nnlib's binary_cross_entropy_with_logits).", when=_unstable),
        *COMMON,
    ])


# --------------------------------------------------------------------------- mode coverage
def _cov_variant(samples, centers, radius, min_share, *, any_sample=False, no_radius=False,
                 squared=False, all_count=False, as_count=False, strict=False, farthest=False,
                 share_of_good=False, two_d=False, every_centre=False, below=False):
    s, c = np.asarray(samples, dtype=float), np.asarray(centers, dtype=float)
    if two_d:                                      # only the first two coordinates
        s, c = s[:, :2], c[:, :2]
    d = np.linalg.norm(s[:, None] - c[None], axis=2)
    if squared:
        d = d ** 2
    nearest = d.argmax(axis=1) if farthest else d.argmin(axis=1)
    near_d = d.min(axis=1) if farthest == "assign" else d[np.arange(len(s)), nearest]
    good = np.ones(len(s), bool) if no_radius else (near_d < radius if below else near_d <= radius)
    counts = np.bincount(nearest if all_count else nearest[good], minlength=len(c))
    if every_centre:                               # a sample counts for every centre in reach
        counts = np.sum(d <= radius, axis=0)
    need = min_share if as_count else min_share * (good.sum() if share_of_good else len(s))
    if any_sample:
        covered = int(np.sum(counts > 0))
    elif strict:
        covered = int(np.sum(counts > need))
    else:
        covered = int(np.sum(counts >= need))
    return covered, float(good.mean())


def _vc(**mistake):
    return lambda *args: _cov_variant(*args, **mistake)


def _not_degenerate(variant):
    """A variant whose output (0 modes, 0.0 good) many other bugs also give: recognise it only
    when it says something (NaN matches nothing)."""
    def f(*args):
        covered, good = variant(*args)
        return (covered, good) if good > 0 else (float("nan"), float("nan"))
    return f


_C8 = np.array([[np.cos(a), np.sin(a)] for a in 2 * np.pi * np.arange(8) / 8]) * 2.0
_rng = np.random.default_rng(15)
# 100 samples: 60 on mode 0, 29 on mode 2, 2 on mode 5 (a stray pair), 1 on mode 7, and 8 far
# from every mode, between the centre and mode 5 (nearest to mode 5, but outside its radius)
_S1 = np.vstack([_C8[0] + 0.05 * _rng.normal(size=(60, 2)), _C8[2] + 0.05 * _rng.normal(size=(29, 2)),
                 _C8[5] + 0.05 * _rng.normal(size=(2, 2)), _C8[7:8] + 0.02,
                 0.6 * _C8[5] + 0.05 * _rng.normal(size=(8, 2))])
_C3 = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
# 50 samples: 25 on mode 0, exactly 5 (10%) on mode 1 near the radius, 20 between the modes
_S2 = np.vstack([0.5 * _rng.normal(size=(25, 2)), [[10.0, 0.0]] * 3 + [[10.0, 1.9]] * 2,
                 [[5.0, 5.0]] * 20])

# 10 samples on a line: 6 at 0.1, 2 at 0.9, 2 at 4.9; centres 0, 1, 5 (radius 1 overlaps 0 and 1)
_C3L = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]])
_S3 = np.array([[0.1, 0.0]] * 6 + [[0.9, 0.0]] * 2 + [[4.9, 0.0]] * 2)
# 3-D: 4 modes that differ in the third coordinate only for the last two
_C3D = np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, 3.0], [3.0, 0.0, 3.0]])
_S4 = np.array([[0.0, 0.0, 0.1], [0.1, 0.0, 0.0], [0.0, 0.0, 2.9], [0.0, 0.1, 3.0],
                [3.0, 0.0, 3.5], [3.0, 0.0, 2.9], [2.9, 0.0, 0.0], [0.0, 0.0, 1.4]])

mode_coverage = Checker(
    "mode_coverage", lambda s, c, r, m: _mode_coverage(s, c, r, m),
    arg_names=("samples", "centers", "radius", "min_share"),
    signature="mode_coverage(samples, centers, radius, min_share)",
    output_names=("modes_covered", "quality"), rtol=1e-9, atol=1e-12,
    cases=[
        Case(_S1, _C8, 0.15, 0.05,
             label="a ring of 8 modes; 100 samples: most on modes 0 and 2, two on mode 5, one "
                   "on mode 7, 8 inside the ring"),
        Case(_S2, _C3, 2.0, 0.1,
             label="3 modes, radius 2; mode 1 gets exactly 10% of the samples"),
        Case(_C8.repeat(3, axis=0) + 0.01, _C8, 0.1, 0.02, label="3 samples on every mode"),
        Case(_S3, _C3L, 1.0, 0.2, label="3 modes on a line at 0, 1 and 5; radius 1 (the balls "
                                      "of the first two overlap)"),
        Case(_S4, _C3D, 0.5, 0.25, label="points in 3-D: 4 modes; one sample exactly at the "
                                       "radius"),
        Case(np.array([[0.4, 0.0]] * 8 + [[5.0, 0.0]] * 2), _C3L, 1.0, 0.5,
             label="8 samples at 0.4, within reach of the modes at 0 AND 1; min_share 0.5"),
        Case(np.vstack([[[0.0, 0.0]] * 2, [[9.0, 9.0]] * 8]), _C3, 0.5, 0.5,
             label="2 good samples of 10, min_share 0.5"),
    ],
    mistakes=[
        Mistake("`argmax` finds the FARTHEST centre; a sample belongs to its NEAREST centre, "
                "`argmin` over the centres.", like=_not_degenerate(_vc(farthest=True))),
        Mistake("`argmax` finds the FARTHEST centre; a sample belongs to its NEAREST centre, "
                "`argmin` over the centres.", like=_vc(farthest="assign")),
        Mistake("The share is of ALL N samples (`min_share * N`), not of the good ones only: "
                "a generator with two good samples out of ten does not cover a mode with "
                "min_share 0.5.", like=_vc(share_of_good=True)),
        Mistake("The points have D coordinates, not always 2: compute distances over every "
                "coordinate (`axis=-1` of the differences), not from `samples[:, 0]` and "
                "`samples[:, 1]`.", like=_vc(two_d=True)),
        Mistake("Each sample belongs to ONE mode, its nearest: where two modes' radii overlap, "
                "a sample in both must not be counted for both.", like=_vc(every_centre=True)),
        Mistake("\"Within radius\" includes the radius itself: a sample at distance exactly "
                "`radius` is good (`<=`, not `<`).", like=_vc(below=True)),
        Mistake("A mode is covered only if at least `min_share` of ALL the samples are good "
                "samples on it (a share: 0.05 is 5% of N): a stray point or two does not cover "
                "a mode.",
                part="modes_covered", like=_vc(any_sample=True)),
        Mistake("A sample is good only if its nearest centre is within `radius`: samples far "
                "from every mode (in the middle of the ring) must not count.",
                like=_vc(no_radius=True)),
        Mistake("Compare the DISTANCE with the radius, not its square: "
                "`np.linalg.norm(samples[:, None] - centers[None], axis=2)`.",
                like=_vc(squared=True)),
        Mistake("Count only GOOD samples towards a mode's share: a sample far from every mode "
                "has a nearest centre too, but does not belong to it.",
                part="modes_covered", like=_vc(all_count=True)),
        Mistake("\"At least min_share\" includes the threshold itself: use >=, not >.",
                part="modes_covered", like=_vc(strict=True)),
        *COMMON,
    ])


# --------------------------------------------------------------------------- one GAN step
def _gan_step(theta, x_real, z, lr):
    """The reference, built from nnlib: two Dense(1, 1) layers, its losses and SGD."""
    from nnlib.layers import Dense
    from nnlib.optimizers import SGD
    a, b, w, c = (float(v) for v in np.asarray(theta, dtype=float))
    x_real = np.asarray(x_real, dtype=float).reshape(-1, 1)
    z = np.asarray(z, dtype=float).reshape(-1, 1)
    G, D = Dense(1, 1, dtype=np.float64), Dense(1, 1, dtype=np.float64)
    G.W.data[:], G.b.data[:], D.W.data[:], D.b.data[:] = a, b, w, c
    opt_G, opt_D = SGD(G.parameters(), lr=lr), SGD(D.parameters(), lr=lr)
    # the discriminator: one batch of real and fake, each loss a mean over its own half
    n, m = len(x_real), len(z)
    logits = D(np.vstack([x_real, G(z)]))
    _, d_real, d_fake = _d_loss(logits[:n], logits[n:])
    D.backward(np.vstack([d_real, d_fake]))
    opt_D.step()
    # the generator, against the updated discriminator, through it
    _, d_l = _g_loss(D(G(z)), True)
    G.backward(D.backward(d_l))
    opt_G.step()
    return np.array([G.W.data[0, 0], G.b.data[0], D.W.data[0, 0], D.b.data[0]])


def _step_variant(theta, x_real, z, lr, *, simultaneous=False, g_first=False, saturating=False,
                  no_real=False, no_chain=False, sums=False):
    a, b, w, c = (float(v) for v in np.asarray(theta, dtype=float))
    x_real, z = np.asarray(x_real, dtype=float).ravel(), np.asarray(z, dtype=float).ravel()
    n, m = len(x_real), len(z)
    sig = _sigmoid

    def d_update(a, b, w, c):
        xf = a * z + b
        g_r = (sig(w * x_real + c) - 1) / (1 if sums else n)
        g_f = sig(w * xf + c) / (1 if sums else m)
        if no_real:
            g_r = 0 * g_r
        return w - lr * (np.sum(g_r * x_real) + np.sum(g_f * xf)), c - lr * (np.sum(g_r) + np.sum(g_f))

    def g_update(a, b, w, c):
        l = w * (a * z + b) + c
        g = (-sig(l) if saturating else sig(l) - 1) / (1 if sums else m)
        dx = g if no_chain else g * w
        return a - lr * np.sum(dx * z), b - lr * np.sum(dx)

    if g_first:
        a, b = g_update(a, b, w, c)
        w, c = d_update(a, b, w, c)
    elif simultaneous:
        w2, c2 = d_update(a, b, w, c)
        a, b = g_update(a, b, w, c)
        w, c = w2, c2
    else:
        w, c = d_update(a, b, w, c)
        a, b = g_update(a, b, w, c)
    return np.array([a, b, w, c])


def _vs(**mistake):
    return lambda *args: _step_variant(*args, **mistake)


gan_step = Checker(
    "gan_step", _gan_step, arg_names=("theta", "x_real", "z", "lr"),
    signature="gan_step(theta, x_real, z, lr)", rtol=1e-7, atol=1e-10,
    cases=[
        Case(np.array([1.0, 0.0, 0.5, -0.2]), np.array([2.5, 3.0, 3.5]),
             np.array([-1.0, 0.3, 1.2, 0.4]), 0.1,
             label="a = 1, b = 0, w = 0.5, c = −0.2; 3 real samples, 4 noise values, lr 0.1"),
        Case(np.array([0.5, 1.0, -1.5, 0.3]), np.array([0.2, -0.4, 1.1, 0.9, 0.0]),
             np.array([0.7, -1.3]), 0.5, label="5 real samples, 2 noise values, lr 0.5"),
    ],
    mistakes=[
        Mistake("The generator steps AFTER the discriminator, against the UPDATED w and c: you "
                "used the discriminator from before its step.", like=_vs(simultaneous=True)),
        Mistake("Update the discriminator FIRST, then the generator (against the updated "
                "discriminator).", like=_vs(g_first=True)),
        Mistake("The generator uses the NON-saturating loss, mean(−log σ(l)): its gradient with "
                "respect to l is (σ(l) − 1)/M, not −σ(l)/M.", like=_vs(saturating=True)),
        Mistake("The discriminator's gradient has a term from the REAL samples too: "
                "(σ(l_real) − 1)/N times x_real for w. (With layers: a second backward overwrites "
                "the first one's .grad — run real and fake through D as one batch, or add the "
                "gradients.)", like=_vs(no_real=True)),
        Mistake("The generator's gradient flows THROUGH the discriminator: ∂L/∂x̃ = ∂L/∂l · w, "
                "then ∂L/∂a = Σ ∂L/∂x̃ · z and ∂L/∂b = Σ ∂L/∂x̃.", like=_vs(no_chain=True)),
        Mistake("Each loss is a mean: divide the real samples' gradients by N and the fake ones' "
                "by M.", like=_vs(sums=True)),
        *COMMON,
    ])
