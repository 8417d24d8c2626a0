"""Checkers for Chapter 12, *Recurrent networks*. Use: ``from nnbook.exercises import recurrent as check``.

==================================  ==========================================================
checker                             recognises (hint given)
==================================  ==========================================================
``lstm_step(x, h, c, W_ih, W_hh,    gates in another library's order (i, f, o, g or
b_ih, b_hh)``                       TensorFlow's i, g, f, o); a sigmoid candidate; h = o·c
                                    (no tanh); the input gate left out; i and f swapped;
                                    (1 − f) as the keep fraction; h from the OLD cell; one
                                    bias only; (c, h) returned in the wrong order; the
                                    caller's c modified in place
``clip_by_norm(grads, max_norm)``   clipping each entry (``np.clip``); each array by its own
                                    norm; small gradients scaled UP to ``max_norm``; the
                                    squared norm (no square root); the ratio upside down; the
                                    largest entry or the L1 norm instead of the L2 norm; the
                                    sum of the arrays' norms; the spectral norm
                                    (``np.linalg.norm(g, 2)`` on a matrix); the arrays changed
                                    in place; the caller's own arrays returned when nothing is
                                    clipped (the exercise asks for new ones)
``name_log_prob(name, model)``      the end symbol left out; the start symbol left out (no
                                    prediction for the first letter); each letter scored by
                                    the prediction made AT its own position; a probability
                                    instead of its log; log10/log2; the mean instead of the
                                    sum; −log p (the loss) instead of log p; every step
                                    restarted from the zero state; raw logits taken for
                                    log-probabilities; ``lp[:, targets]`` (every pair); the
                                    per-step array returned instead of its sum
==================================  ==========================================================

References: nnlib's ``LSTM`` run for one step (``lstm_step``); nnlib's ``clip_grad_norm``
(``clip_by_norm``); one forward pass of the reader's own model layers, the way Section 12.6
computes its loss (``name_log_prob``). The chapter's vocabulary is ``".abc…z"``: id 0 is the
start/end symbol ".", ids 1–26 the letters.
"""
from __future__ import annotations

import copy

import numpy as np

from nnlib.activations import log_softmax, sigmoid
from nnlib.layers import GRU, LSTM, Dense, Embedding, Parameter
from nnlib.optimizers import clip_grad_norm

from .common import ARRAY_TRUTH, INT_INPUT, MATH_MODULE, MATMUL_SHAPES, returned_an_input
from .core import Case, Checker, Mistake

# common.BROADCAST is left out on purpose: its advice (keepdims after a reduction) names the
# wrong cause for the broadcasting errors these exercises produce; each checker says its own.
_NUMPY = [MATH_MODULE, ARRAY_TRUTH, MATMUL_SHAPES, INT_INPUT]

__all__ = ["lstm_step", "clip_by_norm", "name_log_prob"]

VOCAB = ".abcdefghijklmnopqrstuvwxyz"

_rng = np.random.default_rng(12)


def _r(*shape, scale=1.0):
    return np.round(scale * _rng.normal(size=shape), 3)


# --------------------------------------------------------------------------- lstm_step
def _lstm_reference(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """One step of nnlib's LSTM (float64): returns (h_new, c_new)."""
    D, H4 = np.shape(W_ih)
    layer = LSTM(D, H4 // 4, rng=0, dtype=np.float64)     # rng=0: the shared generator untouched
    for p, value in zip((layer.W_ih, layer.W_hh, layer.b_ih, layer.b_hh), (W_ih, W_hh, b_ih, b_hh)):
        p.data = np.array(value, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)[:, None, :]        # one step: (N, 1, D)
    _, (h_new, c_new) = layer(x, (np.asarray(h, float), np.asarray(c, float)), return_state=True)
    return h_new, c_new


def _lstm_variant(order="ifgo", cand=np.tanh, squash_c=True, use_i=True, swap_if=False,
                  one_minus_f=False, h_from_old_c=False, one_bias=False, swap_out=False,
                  gate=sigmoid):
    """An LSTM step with one deliberate slip: ``order`` names the blocks of the 4H columns."""
    def step(x, h, c, W_ih, W_hh, b_ih, b_hh):
        x, h, c = (np.asarray(v, dtype=float) for v in (x, h, c))
        z = x @ W_ih + b_ih + h @ W_hh + (0 if one_bias else b_hh)
        H = z.shape[1] // 4
        block = {name: z[:, k * H:(k + 1) * H] for k, name in enumerate(order)}
        i, f, o = gate(block["i"]), gate(block["f"]), gate(block["o"])
        g = cand(block["g"])
        if swap_if:
            i, f = f, i
        if one_minus_f:
            f = 1 - f
        c_new = f * c + (i * g if use_i else g)
        h_new = o * (np.tanh(c if h_from_old_c else c_new) if squash_c else c_new)
        return (c_new, h_new) if swap_out else (h_new, c_new)
    return step


def _lstm_case(N, D, H, label, c_scale=1.0, w_scale=0.5):
    return Case(_r(N, D), _r(N, H, scale=0.5), _r(N, H, scale=c_scale), _r(D, 4 * H, scale=w_scale),
                _r(H, 4 * H, scale=w_scale), _r(4 * H, scale=0.5), _r(4 * H, scale=0.5), label=label)


_ORDER = ("The four blocks of the 4H columns are, in nnlib's and PyTorch's order, i, f, g, o: "
          "input gate, forget gate, candidate, output gate (`z[:, :H]` is i, `z[:, H:2*H]` is f, "
          "`z[:, 2*H:3*H]` is g, `z[:, 3*H:]` is o). Other libraries order them differently "
          "(TensorFlow's old LSTMCell: i, g, f, o), which is why weights copied between "
          "frameworks must be re-ordered.")

lstm_step = Checker(
    "lstm_step", _lstm_reference, arg_names=("x", "h", "c", "W_ih", "W_hh", "b_ih", "b_hh"),
    signature="lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh)", output_names=("h", "c"),
    cases=[
        _lstm_case(1, 2, 1, "one sequence, 2 inputs, 1 unit"),
        _lstm_case(3, 4, 2, "a batch of 3, 4 inputs, 2 units"),
        _lstm_case(2, 3, 3, "a large previous cell (|c| up to ~6)", c_scale=3.0),
        _lstm_case(4, 5, 5, "D = H = 5, larger weights", w_scale=1.5),
    ],
    mistakes=[
        Mistake(_ORDER, like=_lstm_variant(order="ifog")),
        Mistake(_ORDER, like=_lstm_variant(order="igfo")),
        Mistake("The candidate g = tanh(z_g) can be negative (new content in (−1, 1)); you used "
                "a sigmoid for it, which only ever adds.", like=_lstm_variant(cand=sigmoid)),
        Mistake("Squash the cell before the output gate: h = o ⊙ tanh(c), not o ⊙ c.",
                like=_lstm_variant(squash_c=False)),
        Mistake("The candidate enters the cell through the input gate: c = f ⊙ c_prev + i ⊙ g.",
                like=_lstm_variant(use_i=False)),
        Mistake("The forget gate multiplies the OLD cell and the input gate the candidate: "
                "c = f ⊙ c_prev + i ⊙ g; you swapped i and f.", like=_lstm_variant(swap_if=True)),
        Mistake("f is the fraction of the old cell to KEEP (f = 1 remembers everything), despite "
                "its name: c = f ⊙ c_prev + i ⊙ g, not (1 − f) ⊙ c_prev + ...",
                like=_lstm_variant(one_minus_f=True)),
        Mistake("h uses the NEW cell: compute c first, then h = o ⊙ tanh(c_new).",
                like=_lstm_variant(h_from_old_c=True)),
        Mistake("Both biases are added: z = x W_ih + b_ih + h W_hh + b_hh.",
                like=_lstm_variant(one_bias=True)),
        Mistake("Return the pair in the order (h, c): the new state first, then the new cell.",
                like=_lstm_variant(swap_out=True)),
        Mistake("Every gate is a sigmoid (a fraction between 0 and 1); only the candidate g and "
                "the squashing of the cell use tanh.", like=_lstm_variant(gate=np.tanh)),
        Mistake("`c *= f` (or `c[...] = ...`) writes into the caller's array: the previous cell "
                "is an input and must not change. Write `c_new = f * c + i * g`.",
                kinds=("mutated",), when=lambda o: "c" in o.mutated),
        Mistake("The shapes do not line up: each gate is (N, H), a quarter of the 4H columns of "
                "z. Take H from the state, `H = h.shape[1]` (W_hh has 4H columns), and slice "
                "z[:, :H], z[:, H:2*H], z[:, 2*H:3*H], z[:, 3*H:].",
                when=lambda o: "could not be broadcast" in o.error_text, on_error=True),
        *_NUMPY,
    ])


# --------------------------------------------------------------------------- clip_by_norm
def _clip_reference(grads, max_norm):
    """nnlib's clip_grad_norm on copies of the arrays: returns them as a tuple."""
    params = []
    for g in grads:
        p = Parameter(np.zeros(np.shape(g)), "g")
        p.grad = np.array(g, dtype=np.float64)
        params.append(p)
    clip_grad_norm(params, max_norm)
    return tuple(p.grad for p in params)


def _scaled(grads, scale):
    return tuple(np.asarray(g, float) * scale for g in grads)


def _total(grads, kind="l2"):
    flat = np.concatenate([np.ravel(np.asarray(g, float)) for g in grads])
    return {"l2": np.sqrt(np.sum(flat ** 2)), "sq": np.sum(flat ** 2), "max": np.max(np.abs(flat)),
            "l1": np.sum(np.abs(flat)), "rms": np.sqrt(np.mean(flat ** 2))}[kind]


def _clip_with(kind):
    return lambda grads, c: _scaled(grads, min(1.0, c / _total(grads, kind)))


def _clip_by(norm):
    """Clip with a different (wrong) total norm ``norm(grads)``."""
    return lambda grads, c: _scaled(grads, min(1.0, c / norm([np.asarray(g, float) for g in grads])))


def _spectral(grads):
    return np.sqrt(sum(np.linalg.norm(g, 2) ** 2 if g.ndim == 2 else np.sum(g ** 2) for g in grads))


_G_BIG = (_r(3, 4, scale=2), _r(4, scale=2), _r(4, 2, scale=2))            # norm ≈ 9
_G_SPIKE = (np.array([[0.1, -0.2], [30.0, 0.05]]), np.array([0.3, -0.1]),
            np.array([[-0.2], [0.4]]))                                      # one huge entry
_G_SMALL = (_r(3, 4, scale=0.05), _r(4, scale=0.05), _r(4, 2, scale=0.05))   # norm ≈ 0.2

clip_by_norm = Checker(
    "clip_by_norm", _clip_reference, arg_names=("grads", "max_norm"),
    signature="clip_by_norm(grads, max_norm)", output_names=("grads[0]", "grads[1]", "grads[2]"),
    rtol=1e-5, atol=1e-7,
    cases=[
        Case(_G_BIG, 1.0, label="three arrays whose total norm is about 9, max_norm = 1"),
        Case(_G_SPIKE, 5.0, label="one huge entry (30) among small ones, max_norm = 5"),
        Case(_G_SMALL, 1.0, label="a total norm below max_norm: nothing to clip"),
        Case(_G_BIG, 3.0, label="max_norm = 3"),
    ], verify=returned_an_input,      # the exercise asks for NEW arrays
    mistakes=[
        Mistake("That clips each ENTRY to [−c, c] (`np.clip`), which changes the direction of the "
                "step. Clip the norm: measure the length of all the gradients together, "
                "‖g‖ = √(Σ of every squared entry), and if it exceeds max_norm multiply every "
                "array by max_norm / ‖g‖.",
                like=lambda grads, c: tuple(np.clip(np.asarray(g, float), -c, c) for g in grads)),
        Mistake("Each array was clipped by its own norm. The norm is taken over ALL the gradients "
                "together, as one long vector, and one common factor scales every array, so the "
                "step keeps its direction.",
                like=lambda grads, c: tuple(np.asarray(g, float) * min(1.0, c / np.linalg.norm(g))
                                            for g in grads)),
        Mistake("A gradient already shorter than max_norm is left alone: the factor is "
                "min(1, max_norm / ‖g‖). You scaled small gradients UP to max_norm.",
                like=lambda grads, c: _scaled(grads, c / _total(grads))),
        Mistake("‖g‖ is the square ROOT of the sum of squares; you divided by the sum of squares.",
                like=_clip_with("sq")),
        Mistake("The factor is max_norm / ‖g‖ (shrinks a long gradient), not ‖g‖ / max_norm.",
                like=lambda grads, c: _scaled(grads, min(1.0, _total(grads) / c))),
        Mistake("Use the Euclidean (L2) norm, √(Σ g²), over every entry; you used the largest "
                "entry.", like=_clip_with("max")),
        Mistake("The total norm is NOT the sum of the arrays' norms: square every entry of every "
                "array, add them all, and take ONE square root, ‖g‖ = √(Σ_arrays Σ g²) "
                "(equivalently √(Σ ‖g_k‖²)).",
                like=_clip_by(lambda gs: sum(np.sqrt(np.sum(g ** 2)) for g in gs))),
        Mistake("`np.linalg.norm(g, 2)` on a MATRIX is its spectral norm (largest singular "
                "value), not the square root of the sum of squares. Use `np.sqrt(np.sum(g ** 2))` "
                "(or `np.linalg.norm(g)` with no `ord`) for each array.",
                like=_clip_by(_spectral)),
        Mistake("Use the Euclidean (L2) norm, √(Σ g²), over every entry; you used the sum of "
                "absolute values (L1).", like=_clip_with("l1")),
        Mistake("When there is nothing to clip, `return grads` hands back the caller's own arrays, "
                "so changing one later changes the other. Return new arrays in both cases, e.g. "
                "`[g * scale for g in grads]` with scale = 1.",
                when=lambda o: o.problem is not None and "IS the caller's array" in o.problem.message),
        Mistake("`g *= scale` changes the caller's arrays in place; return new arrays "
                "(`g * scale`).", kinds=("mutated",), when=lambda o: "grads" in o.mutated),
        Mistake("`np.linalg.norm(grads)` cannot treat a list of arrays of different shapes as one "
                "array. Add up the squares array by array, `sum(np.sum(g ** 2) for g in grads)`, "
                "and take the square root once.",
                when=lambda o: "inhomogeneous" in o.error_text or "setting an array element with a "
                "sequence" in o.error_text, on_error=True),
        *_NUMPY,
    ])


# --------------------------------------------------------------------------- name_log_prob
def _model(kind, E, H, seed):
    rng = np.random.default_rng(seed)
    emb = Embedding(len(VOCAB), E, rng=rng)
    cell = kind(E, H, rng=rng, dtype=np.float32)
    out = Dense(H, len(VOCAB), init="xavier", rng=rng)
    emb.W.data *= 0.8
    out.W.data *= 3.0                            # peaked predictions: mistakes differ clearly
    out.b.data = rng.normal(0, 1, len(VOCAB)).astype(np.float32)
    return [emb, cell, out]


def _ids(text):
    return np.array([[VOCAB.index(ch) for ch in text]])


def _log_probs(model, inputs, stateless=False, raw=False):
    emb, cell, out = model
    norm = (lambda z: z) if raw else log_softmax    # raw: the logits taken for log-probabilities
    if stateless:                                # every position from the zero state
        x = inputs.reshape(-1, 1)
        return norm(out(cell(emb(x)))[:, -1].astype(np.float64))
    return norm(out(cell(emb(inputs)))[0].astype(np.float64))   # (T, V)


def _ascii_id(ch):
    return 0 if ch == "." else ord(ch) - ord("a")          # forgets that "." is id 0


def _score(name, model, end=True, own_position=False, stateless=False, reduce=np.sum,
           ids=VOCAB.index, raw=False, all_pairs=False):
    """Σ_t log p(target_t | inputs up to t) with inputs "." + name and targets name + "."
    (the right answer), or one of the slips the keywords name."""
    inputs = "." + name
    targets = inputs if own_position else name + "."
    lp = _log_probs(copy.deepcopy(model), np.array([[ids(ch) for ch in inputs]]), stateless, raw)
    if all_pairs:                                # lp[:, targets]: every position × every target
        return reduce(lp[:, [ids(ch) for ch in targets]])
    picked = np.array([lp[t, ids(ch)] for t, ch in enumerate(targets)])
    return reduce(picked if end else picked[:-1])


def _name_log_prob_reference(name, model):
    """log p(".name.") = Σ_t log p(next symbol | the symbols before it), natural log."""
    return float(_score(name, model))


def _no_start(name, model):
    # fed "name" without the start symbol: predicts name[1:] + "." (no prediction for name[0])
    inputs = _ids(name)
    lp = _log_probs(copy.deepcopy(model), inputs)
    target = name[1:] + "."
    return float(sum(lp[t, VOCAB.index(ch)] for t, ch in enumerate(target)))


_M_GRU = _model(GRU, 4, 5, 1)
_M_LSTM = _model(LSTM, 3, 4, 2)
_M_GRU2 = _model(GRU, 6, 8, 3)

name_log_prob = Checker(
    "name_log_prob", _name_log_prob_reference, arg_names=("name", "model"),
    signature="name_log_prob(name, model)", allow_mutation=True, rtol=1e-4, atol=1e-5,
    cases=[
        Case("ab", _M_GRU, label="a two-letter name, a small random GRU model"),
        Case("mary", _M_GRU, label="'mary'"),
        Case("christopher", _M_GRU2, label="a long name, another GRU model"),
        Case("anna", _M_LSTM, label="'anna', an LSTM model (its state is a pair)"),
    ],
    mistakes=[
        Mistake("The name also has to END: add log p(\".\" after the last letter). The target "
                "sequence is the name followed by \".\".",
                like=lambda n, m: float(_score(n, m, end=False))),
        Mistake("The first letter also has a probability: feed \".\" + name, so that the first "
                "prediction (made after the start symbol) scores the first letter.",
                like=_no_start),
        Mistake("Off by one: the logits at position t predict the symbol at position t + 1. "
                "Score the targets (name + \".\") with the predictions made on the inputs "
                "(\".\" + name), not each input with its own prediction.",
                like=lambda n, m: float(_score(n, m, own_position=True))),
        Mistake("Return the LOG-probability, a sum of log p's (a number ≤ 0); you returned the "
                "probability itself.", like=lambda n, m: float(np.exp(_score(n, m)))),
        Mistake("Use the natural log (`np.log`, as log_softmax does); you used log10.",
                like=lambda n, m: float(_score(n, m) / np.log(10))),
        Mistake("Use the natural log (`np.log`, as log_softmax does); you used log2.",
                like=lambda n, m: float(_score(n, m) / np.log(2))),
        Mistake("The probability of the whole name is the PRODUCT of the next-symbol "
                "probabilities, so its log is their SUM; you averaged them (that is the loss per "
                "symbol of Section 12.6, with the opposite sign).",
                like=lambda n, m: float(_score(n, m, reduce=np.mean))),
        Mistake("Return log p, a number ≤ 0; you returned −log p (the loss).",
                like=lambda n, m: float(-_score(n, m))),
        Mistake("Each step must start from the state the previous step ended in. Feed the whole "
                "sequence in one call (`cell(emb(ids))`), or pass `state` from call to call with "
                "`return_state=True`; you restarted every step from zeros.",
                like=lambda n, m: float(_score(n, m, stateless=True))),
        Mistake("The Dense layer returns LOGITS, not log-probabilities: pass them through "
                "`log_softmax` (over the vocabulary axis) before picking the target's entry.",
                like=lambda n, m: float(_score(n, m, raw=True))),
        Mistake("`lp[:, targets]` picks EVERY target at EVERY position (a T × T block) and sums "
                "all of them. Pair each position with its own target: "
                "`lp[np.arange(len(targets)), targets]`.",
                like=lambda n, m: float(_score(n, m, all_pairs=True))),
        Mistake("Return ONE number, log p(name), the sum over the positions; you returned the "
                "log-probability of each step (an array). Add them up: `float(picked.sum())`.",
                when=lambda o: np.ndim(o.got) == 1 and np.size(o.got) == len(o.args[0]) + 1),
        Mistake("Use the chapter's ids, `CHAR_ID` (VOCAB = \".abc…z\"): id 0 is the start/end symbol "
                "\".\" and the letters are 1–26, so 'a' is 1, not 0.",
                like=lambda n, m: float(_score(n, m, ids=_ascii_id))),
        *_NUMPY,
    ])
