"""Checkers for the four projects of Chapter 17.
Use: ``from nnbook.exercises import projects as check``.

Each project has a *function* milestone, checked like every exercise of the book (cases, a
reference, hints for the mistakes below), and a *target* milestone: the checker calls the
reader's training function on the project's training data, with a time limit, and measures the
result on held-out data the function never receives (nor reaches: the test data is sealed while
it runs, see ``SealedData``). A target check keeps what the function
returned: ``check.cnn_target.trained()`` hands it to the rest of the notebook once the target is
reached (and says what to do first when it is not).

=========================================  ======================================================
checker                                    recognises (hint given)
=========================================  ======================================================
``per_class_accuracy(y_true, y_pred, K)``  divided by the PREDICTED count of each class (that is
→ (K,) array                               precision); the overall accuracy for every class;
                                           counts instead of fractions; integer division; the
                                           share of all examples; percentages; the error rate;
                                           one class too few (``range(K - 1)``)
``cnn_target(train_classifier)``           returned None or not an nnlib Sequential of nnlib
(a design + training run)                  layers; no Conv2D layer; over the parameter budget;
                                           wrong output shape; NaN scores; below the accuracy
                                           target (chance level: untrained or labels shuffled)
``perplexity(log_p, y, mask)`` → float     padding averaged in; no exp (the loss itself);
                                           exp(+loss); the sum instead of the mean; each name's
                                           mean averaged (per name, not per symbol); the mean of
                                           each name's perplexity; the mask inverted; the
                                           probabilities instead of their logs
``names_target(train_name_model)``         returned None or not a list of layers; wrong logits
                                           shape; NaN; probabilities for logits; confidently
                                           wrong (target not shifted); above the target
``detection_rates(s_normal, s_anomalous,   ``>=`` for ``>`` (ties flagged); TPR and FPR swapped;
t)`` → (tpr, fpr, precision)               precision as TP / #anomalies (recall); FP / flagged
                                           for the FPR; counts for rates; nan or an error when
                                           nothing is flagged; scores BELOW the threshold flagged
``anomaly_target(train_detector)``         returned None, the model, or no function; wrong score
                                           shape; NaN; a constant score; scores higher for
                                           normal digits (a likeness, or barely trained);
                                           below the AUC target (train longer first)
``nearest_mode(samples, centers)``         squared distances; the farthest centre (argmax);
→ (index, distance)                        the minimum over the wrong axis; the distance to the
                                           origin; the L1 distance; the distance to centre 0
``gan_target(train_gan)``                  not a (G, z_dim) pair (or reversed); G not an nnlib
                                           network; wrong sample shape; NaN; modes left empty
                                           (collapse) or points between modes (smearing); too
                                           few good points; modes squeezed to points
=========================================  ======================================================

Every target check: a training function that names the notebook's test arrays or the loaders,
or opens the data files while it runs, is refused with ``SealedData``'s message; one that runs
past the time limit is told to time an epoch.
"""
from __future__ import annotations

import os
import sys
import types
from functools import lru_cache

import numpy as np

from nnlib.activations import log_softmax
from nnlib.data import load_digits, load_mnist, load_text, ring_centers, train_val_test_split
from nnlib.metrics import mode_coverage

from .common import COMMON, has_nonfinite
from .core import Case, Checker, Mistake, Problem

__all__ = ["per_class_accuracy", "cnn_target", "perplexity", "names_target", "detection_rates",
           "anomaly_target", "nearest_mode", "gan_target",
           "CNN_BUDGET", "CNN_TARGET", "PPL_TARGET", "AUC_TARGET", "GOOD_TARGET",
           "VOCAB", "NORMAL_DIGITS", "project_names", "encode_names", "digits_split"]

CNN_BUDGET, CNN_TARGET = 30_000, 0.970          # parameters; test accuracy
PPL_TARGET = 7.0                                  # test perplexity per symbol (bigram ≈ 10.7)
AUC_TARGET = 0.95                                 # normal digits 0–4 against 5–9
GOOD_TARGET, MODE_RADIUS = 0.70, 0.15             # share within 3 std (3 × 0.05) of a mode
DATA_SPREAD = 0.062        # the real data's mean distance to its mode centre, within MODE_RADIUS
VOCAB = ".abcdefghijklmnopqrstuvwxyz"
NORMAL_DIGITS = (0, 1, 2, 3, 4)
TRAIN_SECONDS = 60.0                              # the time limit of a target check
_LOADERS = ("load_mnist", "load_digits", "load_text", "project_names", "digits_split")


def _model_type(x) -> str:
    return "None" if x is None else type(x).__name__


# --------------------------------------------------------------------- sealed test data
# A target check measures on held-out data the training function must never see. Two guards
# catch a function that reaches for it anyway (by accident, usually): before the call, the
# global names the function (and the notebook functions it calls) use are looked up — the
# notebook's test arrays and the loaders are refused; during the call, the loaders refuse to
# run and the data files refuse to open. (A determined cheat can still get around this; the
# instructor reads the training function, as the rubric says.)
class SealedData(PermissionError):
    """The training function reached for data a target check keeps from it."""


_SEALED = []                                         # non-empty while a training function runs
_DATA_FILES = ("mnist_10k.npz", "names.txt", "digits.csv.gz")


def _refuse_data_files(event, args):
    if _SEALED and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if path.endswith(_DATA_FILES):
            raise SealedData(f"the training function opened {os.path.basename(path)}, the file "
                             "that holds the test data")


if not getattr(sys, "_nnbook_sealed_hook", False):  # audit hooks cannot be removed: add one once
    sys.addaudithook(_refuse_data_files)
    sys._nnbook_sealed_hook = True


def _unsealed(what):
    if _SEALED:
        raise SealedData(f"the training function called {what}, which returns the test data")


def _global_names(fn, depth=3, seen=None):
    """The global names ``fn`` uses, and those of the notebook functions it calls."""
    seen = set() if seen is None else seen
    code, glob = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    if code is None or id(code) in seen:
        return set()
    seen.add(id(code))
    names, stack = set(), [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    if depth > 0:
        for name in list(names):
            g = glob.get(name)
            if isinstance(g, types.FunctionType) and g.__module__ == getattr(fn, "__module__", None):
                names |= _global_names(g, depth - 1, seen)
    return names


_ALWAYS_FORBIDDEN = ("_mnist", "_names", "_digits_split", "globals", "vars", "locals", "eval",
                     "exec", "__import__")


def _data_defaults(fn):
    """Arrays (or long lists) bound to ``fn`` in advance: default arguments, or a partial's."""
    import functools
    bound = []
    if isinstance(fn, functools.partial):
        bound += list(fn.args) + list((fn.keywords or {}).values())
        fn = fn.func
    bound += list(getattr(fn, "__defaults__", None) or ())
    bound += list((getattr(fn, "__kwdefaults__", None) or {}).values())
    return [b for b in bound if isinstance(b, np.ndarray) and b.size > 1
            or isinstance(b, (list, tuple)) and len(b) > 10]


def _inner(fn):
    """The plain function behind a partial or a callable object (whose names are looked up)."""
    import functools
    while isinstance(fn, functools.partial):
        fn = fn.func
    if not hasattr(fn, "__code__") and hasattr(type(fn), "__call__"):
        fn = getattr(type(fn).__call__, "__func__", type(fn).__call__)
    return fn


class _Seal:
    """``with _Seal():`` the loaders refuse and the data files do not open."""

    def __enter__(self):
        self.depth = len(_SEALED)
        _SEALED.append(True)

    def __exit__(self, *exc):
        del _SEALED[self.depth:]


def _sealed(fn, forbidden):
    """``fn``, called with the test data sealed; refused at once if it names any of ``forbidden``,
    or comes with data bound to it in advance (default arguments, a partial)."""
    def call(*args, **kwargs):
        used = sorted(_global_names(_inner(fn)) & (set(forbidden) | set(_ALWAYS_FORBIDDEN)))
        if used:
            raise SealedData("the training function uses " + ", ".join(f"`{u}`" for u in used)
                             + ", which " + ("holds" if len(used) == 1 else "hold")
                             + " or reaches held-out data")
        if _data_defaults(fn):
            raise SealedData("the training function comes with data bound to it in advance (a "
                             "default argument or a partial holding an array or a long list)")
        with _Seal():
            return fn(*args, **kwargs)
    return call


def _nnlib_layers(model):
    """Every layer inside ``model`` (depth first); any that nnlib did not define are returned
    separately: the check cannot count what they hold."""
    from nnlib.layers import Layer
    stack, layers, foreign = [model], [], []
    while stack:
        layer = stack.pop()
        if (type(layer).__module__.split(".")[0] != "nnlib" or not isinstance(layer, Layer)
                or "forward" in vars(layer)):                  # a forward replaced by hand
            foreign.append(layer)
            continue
        layers.append(layer)
        stack.extend(getattr(layer, "layers", []) or [])
        if getattr(layer, "block", None) is not None:
            stack.append(layer.block)
    return layers, foreign


# =========================================================================== Project 1
def _per_class_reference(y_true, y_pred, K):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return np.array([np.mean(y_pred[y_true == k] == k) for k in range(int(K))])


def _per_class_variant(kind):
    def f(y_true, y_pred, K):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        hit = np.array([np.sum((y_true == k) & (y_pred == k)) for k in range(K)])
        n_true = np.array([np.sum(y_true == k) for k in range(K)])
        n_pred = np.array([np.sum(y_pred == k) for k in range(K)])
        with np.errstate(all="ignore"):
            return {"precision": hit / n_pred, "overall": np.full(K, np.mean(y_true == y_pred)),
                    "counts": hit.astype(float), "int": (hit // n_true).astype(float),
                    "share": hit / len(y_true), "percent": 100 * hit / n_true,
                    "error": 1 - hit / n_true}[kind]
    return f


def _short_bincount(o):
    import re
    shapes = re.findall(r"\((\d+),\)", o.error_text) if "broadcast" in o.error_text else []
    K = o.args[2]
    return len(shapes) == 2 and str(K) in shapes and min(int(n) for n in shapes) < K


_rng = np.random.default_rng(17)
_y3 = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2, 1])
_p3 = np.array([0, 0, 0, 1, 2, 2, 2, 0, 2, 2])
_y10 = _rng.integers(0, 10, 60)
_y10[:10] = np.arange(10)                        # every class present
_p10 = np.where(_rng.random(60) < 0.7, _y10, _rng.integers(0, 10, 60))
_p10[_p10 == 3] = 5                              # class 3 never predicted: precision 0/0

per_class_accuracy = Checker(
    "per_class_accuracy", _per_class_reference, arg_names=("y_true", "y_pred", "K"),
    signature="per_class_accuracy(y_true, y_pred, K)", rtol=1e-9, atol=1e-12,
    cases=[
        Case(_y3, _p3, 3, label="10 labels, 3 classes"),
        Case(_y10, _p10, 10, label="60 labels, 10 classes; nothing is predicted as 3"),
        Case(np.array([2, 2, 0, 1]), np.array([2, 2, 0, 1]), 3, label="every prediction right"),
        Case(np.array([0, 1, 2, 3, 3, 1]), np.array([0, 1, 2, 1, 2, 1]), 4,
             label="6 labels, 4 classes; class 3, the last, is never predicted right"),
    ],
    mistakes=[
        Mistake("That divides by how often each class was PREDICTED: that is the precision of "
                "each class. Its accuracy (its recall) asks: of the images that really are class "
                "k, what fraction did the model call k? Divide by `np.sum(y_true == k)`.",
                like=_per_class_variant("precision")),
        Mistake("Every entry is the same number, the overall accuracy. Compute one fraction per "
                "class, over the images of THAT class only: `np.mean(y_pred[y_true == k] == k)`.",
                like=_per_class_variant("overall")),
        Mistake("Those are counts of correct predictions; divide each by the number of images "
                "of its class to get a fraction.", like=_per_class_variant("counts")),
        Mistake("`//` is integer division: 45 // 50 is 0. Use `/`.", like=_per_class_variant("int")),
        Mistake("That divides by ALL the images, so the entries add up to the overall accuracy. "
                "Divide by the number of images of class k.", like=_per_class_variant("share")),
        Mistake("Return fractions in [0, 1], not percentages.", like=_per_class_variant("percent")),
        Mistake("That is the error rate of each class (1 − accuracy).",
                like=_per_class_variant("error")),
        Mistake("One entry per class 0, 1, …, K − 1, whether or not the model ever predicts "
                "it: `range(K)` has K of them (`range(K - 1)` misses the last class); do not "
                "loop over the classes that occur in `y_pred`, and give `np.bincount` a "
                "`minlength=K`.",
                when=lambda o: np.ndim(o.got) == 1 and np.size(o.got) < o.args[2]),
        Mistake("Two per-class arrays of different lengths: `np.bincount(a)` is only as long as "
                "the largest value in `a` plus one, so a class that is never predicted right "
                "(here the last one) is missing from the correct counts. Give it "
                "`minlength=K`, or loop over `range(K)`.",
                when=lambda o: _short_bincount(o), on_error=True),
        *COMMON,
    ])


@lru_cache(maxsize=1)
def _mnist():
    return load_mnist(flatten=False)


class _TargetChecker(Checker):
    """A checker whose only case runs the reader's training function; keeps what it returned."""

    def __init__(self, *args, what: str = "model", forbidden=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.model = None           # what the reader's function returned, last time
        self.score = None           # the measured target value, last time
        self.passed = False         # did that run reach the target?
        self.what = what
        self.forbidden = tuple(forbidden)   # global names the training function may not use

    def _run_case(self, fn, case):
        depth = len(_SEALED)
        try:
            o = super()._run_case(_sealed(fn, self.forbidden), case)
        finally:
            # A time limit re-raises until it leaves the reader's function, so it can cut the
            # seal's own exit short; the seal is lifted here, outside the timed call.
            del _SEALED[depth:]
        self.model, self.passed = o.got, o.problem is None
        o.args, o.kwargs = (), {}     # the report names the data in words, not as pages of pixels
        return o

    def _problem(self, o):
        if o.timed_out:
            return Problem("timeout", f"training did not finish within {self.timeout:g} s (wall "
                           "clock), the check's limit: time one epoch, then use fewer epochs or "
                           "a smaller model")
        if isinstance(o.error, SealedData):
            return Problem("error", f"{o.error} — the target is measured on data your function "
                           "never sees, so it may use only what it is given "
                           f"({self.signature}). Train and choose on the training data (split "
                           "a validation set off it).")
        return super()._problem(o)

    def trained(self):
        """What the reader's training function returned, once it has reached the target."""
        if not self.passed:
            raise RuntimeError(
                f"this milestone has not reached its target yet: the cells from here on study "
                f"the {self.what} your `{self.signature.split('(')[0]}` returns. Run it through "
                f"`check.{self.name}(...)` until the check passes, then run this cell again.")
        return self.model


def _mnist_case():
    X_tr, y_tr, _, _ = _mnist()
    return Case(X_tr, y_tr, label=f"train on the 8,000 training images (at most "
                f"{TRAIN_SECONDS:.0f} s), then classify the 2,000 held-out test images")


def _verify_cnn(o):
    model = o.got
    checker = cnn_target
    checker.score = None
    if model is None:
        return ("train_classifier returned None: expected a trained model — did you forget "
                "`return model`?")
    from nnlib.model import Sequential
    if type(model) is not Sequential:
        if isinstance(model, Sequential):
            return (f"expected a plain nnlib Sequential, got a subclass of it "
                    f"({_model_type(model)}): the check scores the model with nnlib's own "
                    "predict, so put any preprocessing in a layer, or leave it out")
        return f"expected an nnlib model (a Sequential), got {_model_type(model)}"
    layers, foreign = _nnlib_layers(model)
    if foreign:
        return (f"the model holds a layer nnlib did not define ({_model_type(foreign[0])}); "
                "build it from nnlib's layers, whose parameters the check can count")
    from nnlib.layers import Conv2D
    if not any(isinstance(layer, Conv2D) for layer in layers):   # the walk above found them all
        return "the project asks for a CNN: use at least one Conv2D layer"
    from nnlib.layers.base import Parameter
    held = [v for layer in layers for v in vars(layer).values()
            if isinstance(getattr(v, "data", None), np.ndarray) and not isinstance(v, Parameter)]
    if held:
        return ("the model holds weights that are not nnlib Parameters (replaced after "
                "training?); the check counts Parameters, so keep them as they are")
    n = sum(int(np.size(v.data)) for layer in layers for v in vars(layer).values()
            if isinstance(v, Parameter))
    if n > CNN_BUDGET:
        return (f"your model has {n:,} parameters, over the budget of {CNN_BUDGET:,}: fewer "
                "channels, or pool before the Dense layer so it sees fewer inputs")
    _, _, X_te, y_te = _mnist()
    with _Seal():                                         # the model may not fetch answers either
        scores = np.asarray(Sequential.predict(model, X_te))  # nnlib's predict, whatever it says
    if scores.shape != (len(X_te), 10):
        return (f"the model must map images (N, 1, 28, 28) to 10 scores (N, 10); on the "
                f"{len(X_te):,} test images it returned shape {scores.shape}")
    if not np.all(np.isfinite(scores)):
        return "the model's scores contain nan or inf: did training diverge (learning rate too high)?"
    acc = float(np.mean(scores.argmax(axis=1) == y_te))
    checker.score = acc
    if acc < CNN_TARGET:
        from nnlib.layers import Softmax
        low = (" — chance level: is the model trained at all, and on labels that match the "
               "images (shuffle X and y with the same order)?") if acc < 0.2 else ""
        if model.layers and isinstance(model.layers[-1], Softmax):
            low += (" Your model ends in a Softmax layer: CrossEntropyLoss applies its own "
                    "softmax to the scores, so the model should end at the last Dense layer.")
        return (f"{n:,} parameters (within budget), test accuracy {acc:.2%}{low}; the target is "
                f"{CNN_TARGET:.1%}. Train longer, adjust the learning rate or the design, and "
                "choose by a validation split, never by the test set.")
    return None


cnn_target = _TargetChecker(
    "cnn_target", None, arg_names=("X_train", "y_train"),
    signature="train_classifier(X_train, y_train)", timeout=TRAIN_SECONDS,
    cases=[_mnist_case()], verify=_verify_cnn, what="model",
    forbidden=("X_test", "y_test", *_LOADERS),
    success=f"a CNN within {CNN_BUDGET:,} parameters, above {CNN_TARGET:.1%} on the test set.",
    mistakes=[*COMMON])


# =========================================================================== Project 2
def _mean_nll(log_p, y, mask):
    log_p, y, mask = np.asarray(log_p, float), np.asarray(y), np.asarray(mask, bool)
    picked = np.take_along_axis(log_p, y[..., None], axis=-1)[..., 0]
    return picked, mask


def _perplexity_reference(log_p, y, mask):
    picked, mask = _mean_nll(log_p, y, mask)
    return float(np.exp(-picked[mask].mean()))


def _ppl_variant(kind):
    def f(log_p, y, mask):
        picked, mask = _mean_nll(log_p, y, mask)
        nll = -picked[mask].mean()
        per_name = np.array([-row[m].mean() for row, m in zip(picked, mask)])
        return {"padding": np.exp(-picked.mean()), "no_exp": nll, "plus": np.exp(-nll),
                "sum": np.exp(-picked[mask].sum()), "per_name": np.exp(per_name.mean()),
                "mean_of_ppl": np.exp(per_name).mean(), "inverted": np.exp(-picked[~mask].mean()),
                "probs": np.exp(-np.exp(picked[mask]).mean())}[kind]
    return lambda *a: float(f(*a))


def _ppl_case(N, T, V, lengths, seed, label):
    r = np.random.default_rng(seed)
    log_p = log_softmax(r.normal(0, 1.5, (N, T, V)))
    y = r.integers(0, V, (N, T))
    mask = np.arange(T)[None, :] < np.asarray(lengths)[:, None]
    y[~mask] = 0                                   # padding: id 0, as in the project
    return Case(np.round(log_p, 6), y, mask, label=label)


perplexity = Checker(
    "perplexity", _perplexity_reference, arg_names=("log_p", "y", "mask"),
    signature="perplexity(log_p, y, mask)", rtol=1e-6, atol=1e-9,
    verify=lambda o: None if np.ndim(o.got) == 0 else (
        f"right value, but return one number (a float), not an array of shape "
        f"{np.shape(o.got)}: `float(...)`, or take the mean without `keepdims`"),
    cases=[
        _ppl_case(1, 3, 4, [3], 1, "one sequence of 3 symbols, no padding, 4-symbol vocabulary"),
        _ppl_case(2, 5, 6, [5, 2], 2, "two sequences, the second padded after 2 symbols"),
        _ppl_case(3, 6, 27, [4, 6, 1], 3, "three names, lengths 4, 6 and 1, 27 symbols"),
    ],
    mistakes=[
        Mistake("The padding was averaged in. Only the real positions count: take the mean of "
                "−log p over `mask` (`picked[mask].mean()`), or every batch padded further "
                "would get another perplexity.", like=_ppl_variant("padding")),
        Mistake("That is the mean loss in nats per symbol; the perplexity is its exponential, "
                "`np.exp(loss)`.", like=_ppl_variant("no_exp")),
        Mistake("The perplexity is exp of the mean NEGATIVE log-probability (≥ 1); you "
                "exponentiated the mean log-probability itself, which gives its reciprocal.",
                like=_ppl_variant("plus")),
        Mistake("Average, do not add: the perplexity is per symbol, exp(mean of −log p). The "
                "sum grows with the number of symbols.", like=_ppl_variant("sum")),
        Mistake("Per SYMBOL, not per name: average −log p over every real position of every "
                "name together (`picked[mask].mean()`). Averaging each name's mean weights a "
                "3-letter name as much as a 10-letter one.", like=_ppl_variant("per_name")),
        Mistake("Take the exponential once, of the mean over all real symbols; the mean of each "
                "name's perplexity is a different (larger) number.",
                like=_ppl_variant("mean_of_ppl")),
        Mistake("The mask is True at the REAL positions; you averaged over the padding only.",
                like=_ppl_variant("inverted")),
        Mistake("`log_p` already holds LOG-probabilities: use −log p directly, do not "
                "exponentiate it first.", like=_ppl_variant("probs")),
        *COMMON,
    ])


@lru_cache(maxsize=1)
def _names():
    names = load_text("names").split()
    order = np.random.default_rng(0).permutation(len(names))
    n_test = len(names) // 10
    # Chapter 12 validated its model on order[:n_test]; the project's test names are the LAST
    # tenth, which no chapter has looked at.
    return tuple(names[i] for i in order[:-n_test]), tuple(names[i] for i in order[-n_test:])


def project_names():
    """The project's split of the names: (train_names, test_names), 90% / 10%, fixed."""
    _unsealed("check.project_names()")
    train, test = _names()
    return list(train), list(test)


def encode_names(names, T=None):
    """Names → inputs ".name", targets "name." (ids, padded with 0 to T) and the mask."""
    T = T or max(len(n) for n in names) + 1
    x = np.zeros((len(names), T), dtype=int)
    y = np.zeros((len(names), T), dtype=int)
    mask = np.zeros((len(names), T), dtype=bool)
    for k, name in enumerate(names):
        ids = [VOCAB.index(c) for c in name]
        x[k, 1:len(ids) + 1] = ids
        y[k, :len(ids)] = ids
        mask[k, :len(ids) + 1] = True
    return x, y, mask


def _reads_ahead(layers, x):
    """Does the output at position t depend on inputs after t? (Changes the last half.)"""
    T = x.shape[1]
    if T < 2:
        return False
    cut = T // 2
    x2 = x.copy()
    x2[:, cut:] = (x2[:, cut:] + 1) % len(VOCAB)
    a = np.asarray(_apply(layers, x), dtype=float)[:, :cut]
    b = np.asarray(_apply(layers, x2), dtype=float)[:, :cut]
    return a.shape == b.shape and not np.allclose(a, b, rtol=1e-5, atol=1e-6)


def _apply(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def _verify_names(o):
    model = o.got
    names_target.score = None
    if model is None:
        return ("train_name_model returned None: expected a list of layers — did you forget "
                "`return [emb, cell, out]`?")
    if not isinstance(model, (list, tuple)) or not model or not all(callable(l) for l in model):
        return ("expected a list of layers applied in order, e.g. [Embedding, GRU, Dense]; got "
                f"{_model_type(model)}")
    _, test = project_names()
    x, y, mask = encode_names(test)
    with _Seal():
        logits = np.asarray(_apply(model, x), dtype=float)
        leak = _reads_ahead(model, x)
    if logits.shape != (*x.shape, len(VOCAB)):
        return (f"on the {len(test)} test names (ids of shape {x.shape}) the layers must give "
                f"logits of shape {(*x.shape, len(VOCAB))}; got {logits.shape}")
    if not np.all(np.isfinite(logits)):
        return "the logits contain nan or inf: did training diverge (clip the gradients?)"
    if leak:
        return ("the model's output at a position changes when a LATER input changes: it reads "
                "the symbols it is asked to predict. Each position may see only the symbols "
                "before it (a recurrent layer does; attention needs `causal=True`).")
    ppl = _perplexity_reference(log_softmax(logits), y, mask)
    names_target.score = ppl
    if ppl > PPL_TARGET and logits.min() >= 0 and np.allclose(logits.sum(axis=-1), 1, atol=1e-3):
        return (f"test perplexity {ppl:.2f}: your layers output probabilities (every row sums to "
                "1); the check expects logits, the last Dense layer's output before any softmax")
    if ppl > PPL_TARGET:
        far = ""
        if ppl > 1.5 * len(VOCAB):
            far = (f" — far worse than guessing uniformly ({len(VOCAB)}): the model is "
                   "confidently wrong. Is the target the NEXT symbol (the input shifted by one, "
                   "as `encode_names` gives it)?")
        elif ppl > 0.9 * len(VOCAB):
            far = (" — no better than guessing uniformly: is the model trained (or did the "
                   "loss blow up: clip the gradients)?")
        return (f"test perplexity {ppl:.2f} per symbol{far}; the target is at most "
                f"{PPL_TARGET}. (Guessing uniformly gives {len(VOCAB)}; the bigram of "
                "Chapter 12, about 10.7.)")
    return None


names_target = _TargetChecker(
    "names_target", None, arg_names=("train_names",),
    signature="train_name_model(train_names)", timeout=TRAIN_SECONDS,
    cases=[Case(project_names()[0], label=f"train on the {len(project_names()[0]):,} training "
                f"names (at most {TRAIN_SECONDS:.0f} s), then score the held-out test names")],
    verify=_verify_names, what="layers",
    forbidden=("test_names", "x_test", "y_test", "m_test", *_LOADERS),
    success=f"test perplexity at most {PPL_TARGET} per symbol.", mistakes=[*COMMON])


# =========================================================================== Project 3
def _rates_reference(s_normal, s_anomalous, t):
    s_normal, s_anomalous = np.asarray(s_normal, float), np.asarray(s_anomalous, float)
    tp, fp = np.sum(s_anomalous > t), np.sum(s_normal > t)
    precision = tp / (tp + fp) if tp + fp else 0.0
    return float(tp / len(s_anomalous)), float(fp / len(s_normal)), float(precision)


def _rates_variant(kind):
    def f(s_normal, s_anomalous, t):
        s_normal, s_anomalous = np.asarray(s_normal, float), np.asarray(s_anomalous, float)
        if kind == "geq":
            tp, fp = np.sum(s_anomalous >= t), np.sum(s_normal >= t)
        elif kind == "below":
            tp, fp = np.sum(s_anomalous < t), np.sum(s_normal < t)
        else:
            tp, fp = np.sum(s_anomalous > t), np.sum(s_normal > t)
        tpr, fpr = tp / len(s_anomalous), fp / len(s_normal)
        precision = tp / (tp + fp) if tp + fp else 0.0
        if kind == "swap":
            tpr, fpr = fpr, tpr
        if kind == "recall":
            precision = tpr
        if kind == "fdr":
            fpr = fp / (tp + fp) if tp + fp else 0.0
        if kind == "counts":
            tpr, fpr = tp, fp
        return float(tpr), float(fpr), float(precision)
    return f


_sn = np.array([0.2, 0.5, 0.9, 1.3, 0.4, 0.7, 2.5, 0.3])
_sa = np.array([3.1, 1.3, 0.6, 4.0, 2.2])

detection_rates = Checker(
    "detection_rates", _rates_reference, arg_names=("s_normal", "s_anomalous", "t"),
    signature="detection_rates(s_normal, s_anomalous, t)",
    output_names=("tpr", "fpr", "precision"), rtol=1e-9, atol=1e-12,
    cases=[
        Case(_sn, _sa, 1.0, label="8 normal and 5 anomalous scores, threshold 1.0"),
        Case(_sn, _sa, 1.3, label="a threshold equal to two scores (ties are NOT flagged)"),
        Case(_sn, _sa, 5.0, label="a threshold above every score: nothing is flagged"),
        Case(_sn, _sa, 0.1, label="a threshold below every score: everything is flagged"),
    ],
    mistakes=[
        Mistake("An image is flagged when its score is strictly ABOVE the threshold, `s > t`; "
                "with `>=` a score equal to t is flagged too.", like=_rates_variant("geq")),
        Mistake("High scores are the anomalous ones (large reconstruction error): flag `s > t`, "
                "not `s < t`.", like=_rates_variant("below")),
        Mistake("The true-positive rate is about the ANOMALIES (the fraction of them flagged), "
                "the false-positive rate about the NORMAL images; you swapped them.",
                like=_rates_variant("swap")),
        Mistake("Precision divides by everything FLAGGED, TP / (TP + FP); TP / #anomalies is the "
                "recall (the true-positive rate).", like=_rates_variant("recall")),
        Mistake("The false-positive rate divides by the number of NORMAL images, FP / #normal; "
                "FP / (TP + FP) is the share of false alarms among the alarms.",
                like=_rates_variant("fdr")),
        Mistake("Return rates (fractions), not counts: divide by the number of images in each "
                "group.", like=_rates_variant("counts")),
        Mistake("When nothing is flagged, TP + FP = 0 and the precision is 0/0: the project "
                "defines it as 0.0 for that case (test `if tp + fp == 0`).",
                when=lambda o: (has_nonfinite(o) or "ZeroDivisionError" in o.error_text)
                and o.args[2] >= 5.0, on_error=True),
        *COMMON,
    ])


@lru_cache(maxsize=1)
def _digits_split():
    d = load_digits()
    return train_val_test_split(d.X.astype(np.float32), d.y, val=0.1, test=0.2, seed=0,
                                stratify=True)


def digits_split():
    """The project's split of the digits (as Chapter 14): X_train, y_train, X_val, y_val,
    X_test, y_test; pixels in [0, 1]."""
    _unsealed("check.digits_split()")
    return tuple(a.copy() for a in _digits_split())


def _auc(s_normal, s_anomalous):
    """P(an anomaly scores above a normal image), ties counting ½ (the ROC's area)."""
    diff = np.asarray(s_anomalous, float)[:, None] - np.asarray(s_normal, float)[None, :]
    return float(np.mean((diff > 0) + 0.5 * (diff == 0)))


def _verify_anomaly(o):
    score = o.got
    anomaly_target.score = None
    if score is None:
        return ("train_detector returned None: expected a score function — did you forget "
                "`return score`?")
    from nnlib.layers import Layer
    if isinstance(score, Layer) or not callable(score):
        return (f"expected a function score(X) -> one number per image; got "
                f"{_model_type(score)}. Return a function that computes the error of your "
                "trained autoencoder, not the autoencoder itself.")
    _, _, _, _, X_te, y_te = digits_split()
    with _Seal():
        scores = np.asarray(score(X_te), dtype=float)
    if scores.shape != (len(X_te),):
        return (f"score(X) must return one number per image, shape ({len(X_te)},) for the "
                f"{len(X_te)} test images; got {scores.shape}")
    if not np.all(np.isfinite(scores)):
        return "the scores contain nan or inf"
    normal = np.isin(y_te, NORMAL_DIGITS)
    auc = _auc(scores[normal], scores[~normal])
    anomaly_target.score = auc
    if np.ptp(scores) == 0:
        return (f"every image gets the same score ({scores[0]:.3g}), so the score cannot rank "
                "anything: AUC 0.500")
    if auc < 0.5:
        return (f"AUC {auc:.3f}: below 0.5, so your score is HIGHER for the normal digits. Two "
                "causes: the score is a likeness, not an error (flip its sign); or the model "
                "has barely learned — an untrained or briefly trained autoencoder's error measures "
                "something other than strangeness and can rank the groups backwards. Check that "
                "score(X) is the error between X and the trained model's sigmoid output, and "
                "train longer.")
    if auc < AUC_TARGET:
        return (f"test AUC {auc:.3f} (normal 0–4 against unseen 5–9); the target is "
                f"{AUC_TARGET}. Train longer first (the AUC climbs with the epochs), compare "
                "the error in pixel space (after the sigmoid), then try other code sizes.")
    return None


anomaly_target = _TargetChecker(
    "anomaly_target", None, arg_names=("X_normal",),
    signature="train_detector(X_normal)", timeout=TRAIN_SECONDS,
    cases=[Case(digits_split()[0][np.isin(digits_split()[1], NORMAL_DIGITS)],
                label="train on the normal training digits (0–4) only, then score the test "
                      "digits: 0–4 normal, 5–9 anomalies")],
    verify=_verify_anomaly, what="score function",
    forbidden=("X_train", "y_train", "X_val", "y_val", "X_test", "y_test", "is_anomaly",
               *_LOADERS), success=f"test AUC at least {AUC_TARGET}.", mistakes=[*COMMON])


# =========================================================================== Project 4
def _nearest_reference(samples, centers):
    d = np.linalg.norm(np.asarray(samples, float)[:, None, :] - np.asarray(centers, float)[None],
                       axis=2)
    return d.argmin(axis=1), d.min(axis=1)


def _nearest_variant(kind):
    def f(samples, centers):
        S, C = np.asarray(samples, float), np.asarray(centers, float)
        diff = S[:, None, :] - C[None]
        d = {"l2": np.linalg.norm(diff, axis=2), "sq": np.sum(diff ** 2, axis=2),
             "l1": np.abs(diff).sum(axis=2)}["sq" if kind == "sq" else "l1" if kind == "l1"
                                            else "l2"]
        if kind == "far":
            return d.argmax(axis=1), d.max(axis=1)
        if kind == "origin":
            return d.argmin(axis=1), np.linalg.norm(S, axis=1)
        if kind == "first":
            return d.argmin(axis=1), d[:, 0]
        return d.argmin(axis=1), d.min(axis=1)
    return f


_C8 = np.round(ring_centers(8, 2.0), 4)
_S1 = np.array([[1.9, 0.1], [0.0, -2.2], [-1.3, 1.5], [0.2, 0.1], [1.5, 1.4]])
_C3 = np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [-1.0, 2.0, 0.5]])
_S3 = np.round(np.random.default_rng(5).normal(size=(6, 3)), 3)

nearest_mode = Checker(
    "nearest_mode", _nearest_reference, arg_names=("samples", "centers"),
    signature="nearest_mode(samples, centers)", output_names=("index", "distance"),
    verify=lambda o: None if np.issubdtype(np.asarray(o.got[0]).dtype, np.integer) else (
        f"right numbers, but the index must be integers (it picks a centre), not "
        f"{np.asarray(o.got[0]).dtype}: `argmin` gives integers; drop the conversion"),
    rtol=1e-9, atol=1e-12,
    cases=[
        Case(_S1[:2], _C8[:3], label="2 points, 3 centres"),
        Case(_S1, _C8, label="5 points, the 8 centres of the ring"),
        Case(_S3, _C3, label="6 points in 3-D, 3 centres"),
        Case(ring_centers(8, 2.0), ring_centers(8, 2.0),
             label="points exactly on the centres (a generator that collapsed onto them)"),
    ],
    mistakes=[
        Mistake("Those are SQUARED distances: take `np.sqrt` (or `np.linalg.norm(..., axis=-1)`).",
                like=_nearest_variant("sq"), part="distance"),
        Mistake("`argmax` finds the FARTHEST centre; the nearest is `argmin`.",
                like=_nearest_variant("far")),
        Mistake("Use the Euclidean distance √(Σ (x − c)²); you added absolute differences (L1).",
                like=_nearest_variant("l1"), part="distance"),
        Mistake("The distance is to the nearest CENTRE, not to the origin.",
                like=_nearest_variant("origin"), part="distance"),
        Mistake("The distance column of centre 0 is not the distance to the NEAREST centre: "
                "take the minimum over the centres (`d.min(axis=1)`).",
                like=_nearest_variant("first"), part="distance"),
        Mistake("A squared distance written as ‖x‖² − 2 x·c + ‖c‖² can round to a tiny negative "
                "number (−2e-15) for a point on a centre, and its square root is nan: clip it at 0 "
                "(`np.maximum(d2, 0)`) before `np.sqrt`, or compute x − c first.",
                when=lambda o: isinstance(o.got, tuple) and len(o.got) == 2
                and np.shape(o.got[1]) == (len(o.args[0]),)
                and np.isnan(np.asarray(o.got[1], dtype=float)).any()
                and not np.isnan(np.asarray(o.got[1], dtype=float)[np.asarray(o.expected[1]) > 1e-6]).any()),
        Mistake("With `d` of shape (N, K) (points × centres), take the minimum over the centres, "
                "`axis=1`; over `axis=0` you get one number per centre.",
                when=lambda o: isinstance(o.got, tuple) and len(o.got) == 2
                and np.shape(o.got[0]) == (len(o.args[1]),) != (len(o.args[0]),)),
        *COMMON,
    ])


def within_mode_spread(samples):
    """The mean distance of the points within MODE_RADIUS of a mode to that mode's centre
    (the real data: DATA_SPREAD); 0.0 when no point is that close."""
    near = np.linalg.norm(np.asarray(samples, float)[:, None] - ring_centers(8, 2.0)[None],
                          axis=2).min(axis=1)
    return float(near[near < MODE_RADIUS].mean()) if np.any(near < MODE_RADIUS) else 0.0


def _verify_gan(o):
    got = o.got
    gan_target.score = None
    if got is None:
        return "train_gan returned None: expected (G, z_dim) — did you forget `return G, z_dim`?"
    if (isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], (int, np.integer))
            and callable(got[1])):
        return "expected the pair in the order (G, z_dim); got (z_dim, G)"
    if not (isinstance(got, tuple) and len(got) == 2 and callable(got[0])
            and isinstance(got[1], (int, np.integer)) and got[1] > 0):
        return (f"expected a pair (G, z_dim): the generator and the length of its noise "
                f"vector; got {_model_type(got)}")
    G, z_dim = got
    from nnlib.model import Sequential
    if type(G) is not Sequential or _nnlib_layers(G)[1]:
        return (f"G must be the trained generator network, an nnlib Sequential of nnlib layers; "
                f"got {_model_type(G)}. The target is for a GAN, not for points placed by hand.")
    z = np.random.default_rng(2024).normal(size=(2000, int(z_dim)))
    with _Seal():
        samples = np.asarray(Sequential.forward(G, z), dtype=float)
    if samples.shape != (2000, 2):
        return (f"G(z) for z of shape (2000, {z_dim}) must give 2000 points in 2-D, shape "
                f"(2000, 2); got {samples.shape}")
    if not np.all(np.isfinite(samples)):
        return "the generated points contain nan or inf"
    covered, good = mode_coverage(samples, ring_centers(8, 2.0), MODE_RADIUS)
    gan_target.score = (covered, good)
    spread = within_mode_spread(samples)
    if covered == 8 and good >= GOOD_TARGET and spread < 0.5 * DATA_SPREAD:
        return (f"all 8 modes covered and {good:.0%} of the points on a mode, but the points sit "
                f"{spread:.3f} from their mode's centre on average, the real data "
                f"{DATA_SPREAD:.3f}: each mode is squeezed to (nearly) a point, a collapse within "
                "the modes. The generator must reproduce the spread too.")
    if covered == 0:
        return (f"none of the 8 modes covered ({good:.0%} of the points near one): the points "
                "are not on the ring at all — are G and D both trained (each optimizer "
                "stepping)? (Look at a scatter plot of G(z).)")
    if covered < 8 and good >= 0.6:
        return (f"{covered} of the 8 modes covered, and {good:.0%} of the points lie on a "
                "mode: the generator leaves modes empty, mode collapse. Try the remedies of "
                "Chapter 15 (packing, balanced steps) and compare seeds.")
    if covered < 8:
        return (f"{covered} of the 8 modes covered and only {good:.0%} of the points within "
                f"{MODE_RADIUS} of a mode: most points lie between or away from the modes; the "
                f"target is all 8 and {GOOD_TARGET:.0%}. Look at a scatter plot of G(z) over "
                "training: "
                "if the points are still converging, train longer; if they are settling on some "
                "modes, longer training only deepens the collapse, so try another seed or the "
                "remedies of Chapter 15 (packing).")
    if good < GOOD_TARGET:
        return (f"all 8 modes covered, but only {good:.0%} of the points lie within "
                f"{MODE_RADIUS} of a mode; the target is {GOOD_TARGET:.0%}. Train longer.")
    return None


gan_target = _TargetChecker(
    "gan_target", None, arg_names=(), signature="train_gan()", timeout=TRAIN_SECONDS,
    cases=[Case(label="train a GAN on the ring of 8 Gaussians (at most 60 s), then draw 2,000 "
                      "points from G with the checker's own noise")],
    verify=_verify_gan, what="generator", forbidden=_LOADERS,
    success=f"all 8 modes covered, at least {GOOD_TARGET:.0%} of the points on a mode.",
    mistakes=[*COMMON])
