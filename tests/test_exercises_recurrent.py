"""Chapter 12's checkers (``nnbook.exercises.recurrent``): each accepts right answers written as a
student would (two different ways), rejects realistic wrong ones with the hint that names THAT
mistake (or with no hint where none fits), and survives hostile code."""
from __future__ import annotations

import numpy as np
import pytest

from nnbook.exercises import recurrent as check
from nnbook.exercises.core import Checker
from nnlib.activations import log_softmax, sigmoid
from wrong_answers import assert_each_hint_fires_only_for_its_own_mistake, assert_rejected_with_hint

CHECKERS = {name: obj for name, obj in vars(check).items() if isinstance(obj, Checker)}
VOCAB = ".abcdefghijklmnopqrstuvwxyz"
CHAR_ID = {c: i for i, c in enumerate(VOCAB)}


# --------------------------------------------------------------------------- right answers
def lstm_sliced(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = x @ W_ih + b_ih + h @ W_hh + b_hh
    i, f = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H])
    g, o = np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def lstm_split(x, h, c, W_ih, W_hh, b_ih, b_hh):
    # np.split into four blocks, a hand-written sigmoid
    zi, zf, zg, zo = np.split(x @ W_ih + h @ W_hh + (b_ih + b_hh), 4, axis=1)
    sig = lambda v: 1 / (1 + np.exp(-v))
    c_new = sig(zf) * c + sig(zi) * np.tanh(zg)
    h_new = sig(zo) * np.tanh(c_new)
    return (h_new, c_new)


def clip_loop(grads, max_norm):
    total = 0.0
    for g in grads:
        total += np.sum(g * g)
    total = np.sqrt(total)
    if total > max_norm:
        return [g * (max_norm / total) for g in grads]
    return [g.copy() for g in grads]


def clip_concat(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))
    return [g * min(1.0, max_norm / norm) for g in grads]


def log_prob_whole(name, model):
    emb, cell, out = model
    x = np.array([[CHAR_ID[ch] for ch in "." + name]])
    lp = log_softmax(out(cell(emb(x)))[0])
    return float(sum(lp[t, CHAR_ID[ch]] for t, ch in enumerate(name + ".")))


def log_prob_loop(name, model):
    # one symbol per call, carrying the state (as generation does); log of the softmax
    emb, cell, out = model
    state, total = None, 0.0
    for prev, nxt in zip("." + name, name + "."):
        y, state = cell(emb(np.array([[CHAR_ID[prev]]])), state, return_state=True)
        z = out(y[:, -1])[0].astype(float)
        p = np.exp(z - z.max())
        p /= p.sum()
        total += np.log(p[CHAR_ID[nxt]])
    return total


SOLUTIONS = {
    "lstm_step": [lstm_sliced, lstm_split],
    "clip_by_norm": [clip_loop, clip_concat],
    "name_log_prob": [log_prob_whole, log_prob_loop],
}


# --------------------------------------------------------------------------- wrong answers
def lstm_order(order):
    def step(x, h, c, W_ih, W_hh, b_ih, b_hh):
        H = h.shape[1]
        z = x @ W_ih + b_ih + h @ W_hh + b_hh
        blocks = dict(zip(order, np.split(z, 4, axis=1)))
        i, f, o = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
        c_new = f * c + i * np.tanh(blocks["g"])
        return o * np.tanh(c_new), c_new
    return step


def lstm_sigmoid_candidate(x, h, c, W_ih, W_hh, b_ih, b_hh):
    z = x @ W_ih + b_ih + h @ W_hh + b_hh
    i, f, g, o = np.split(sigmoid(z), 4, axis=1)        # one sigmoid for everything
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def lstm_no_squash(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = x @ W_ih + b_ih + h @ W_hh + b_hh
    i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c_new = f * c + i * g
    return o * c_new, c_new


def lstm_no_input_gate(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = x @ W_ih + b_ih + h @ W_hh + b_hh
    f, g, o = sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c_new = f * c + g
    return o * np.tanh(c_new), c_new


def lstm_swapped_if(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = x @ W_ih + b_ih + h @ W_hh + b_hh
    i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c_new = i * c + f * g
    return o * np.tanh(c_new), c_new


def lstm_forget_means_forget(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = x @ W_ih + b_ih + h @ W_hh + b_hh
    i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c_new = (1 - f) * c + i * g                          # "f = how much to forget"
    return o * np.tanh(c_new), c_new


def lstm_old_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = x @ W_ih + b_ih + h @ W_hh + b_hh
    i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    h_new = o * np.tanh(c)
    return h_new, f * c + i * g


def lstm_one_bias(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = x @ W_ih + h @ W_hh + b_ih
    i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def lstm_returns_c_h(x, h, c, W_ih, W_hh, b_ih, b_hh):
    h_new, c_new = lstm_sliced(x, h, c, W_ih, W_hh, b_ih, b_hh)
    return c_new, h_new


def lstm_tanh_gates(x, h, c, W_ih, W_hh, b_ih, b_hh):
    i, f, g, o = np.split(np.tanh(x @ W_ih + b_ih + h @ W_hh + b_hh), 4, axis=1)
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def lstm_in_place(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    z = x @ W_ih + b_ih + h @ W_hh + b_hh
    i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c *= f
    c += i * g
    return o * np.tanh(c), c


def lstm_wrong_H(x, h, c, W_ih, W_hh, b_ih, b_hh):
    H = W_hh.shape[1]                                    # 4H, not H
    z = x @ W_ih + b_ih + h @ W_hh + b_hh
    i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def lstm_transposed(x, h, c, W_ih, W_hh, b_ih, b_hh):
    # PyTorch stores weight_ih as (4H, D): a student who remembers that transposes
    H = h.shape[1]
    z = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


def clip_values(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]


def clip_each(grads, max_norm):
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * max_norm / n if n > max_norm else g)
    return out


def clip_always(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return [g * max_norm / total for g in grads]


def clip_no_sqrt(grads, max_norm):
    total = sum(np.sum(g ** 2) for g in grads)
    return [g * min(1, max_norm / total) for g in grads]


def clip_inverted(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return [g * min(1, total / max_norm) for g in grads]


def clip_max_entry(grads, max_norm):
    biggest = max(np.abs(g).max() for g in grads)
    return [g * min(1, max_norm / biggest) for g in grads]


def clip_l1(grads, max_norm):
    total = sum(np.abs(g).sum() for g in grads)
    return [g * min(1, max_norm / total) for g in grads]


def clip_in_place(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return grads


def clip_linalg_list(grads, max_norm):
    total = np.linalg.norm(grads)                         # a ragged list: NumPy refuses
    return [g * min(1, max_norm / total) for g in grads]


def clip_returns_norm(grads, max_norm):
    return np.sqrt(sum(np.sum(g ** 2) for g in grads))


def clip_first_only(grads, max_norm):
    n = np.linalg.norm(grads[0])
    return [g * min(1, max_norm / n) for g in grads]


def clip_sum_of_norms(grads, max_norm):
    n = sum(np.linalg.norm(g) for g in grads)             # Σ‖g_k‖, not √(Σ‖g_k‖²)
    return [g * min(1, max_norm / n) for g in grads]


def clip_spectral(grads, max_norm):
    n = np.sqrt(sum(np.linalg.norm(g, 2) ** 2 for g in grads))   # ord=2 on a matrix: spectral
    return [g * min(1, max_norm / n) for g in grads]


def clip_returns_callers_arrays(grads, max_norm):
    n = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if n <= max_norm:
        return grads                                       # the caller's own arrays, not new ones
    return [g * (max_norm / n) for g in grads]


def _nll_terms(name, model, inputs, targets, stateless=False):
    emb, cell, out = model
    if stateless:
        terms = []
        for a, b in zip(inputs, targets):
            lp = log_softmax(out(cell(emb(np.array([[CHAR_ID[a]]]))))[0, -1])
            terms.append(lp[CHAR_ID[b]])
        return np.array(terms)
    x = np.array([[CHAR_ID[ch] for ch in inputs]])
    lp = log_softmax(out(cell(emb(x)))[0])
    return np.array([lp[t, CHAR_ID[ch]] for t, ch in enumerate(targets)])


def lp_no_end(name, model):
    return float(_nll_terms(name, model, "." + name, name + ".")[:-1].sum())


def lp_no_start(name, model):
    return float(_nll_terms(name, model, name, name[1:] + ".").sum())


def lp_own_position(name, model):
    return float(_nll_terms(name, model, "." + name, "." + name).sum())


def lp_probability(name, model):
    emb, cell, out = model
    x = np.array([[CHAR_ID[ch] for ch in "." + name]])
    z = out(cell(emb(x)))[0].astype(float)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(np.prod([p[t, CHAR_ID[ch]] for t, ch in enumerate(name + ".")]))


def lp_log10(name, model):
    emb, cell, out = model
    x = np.array([[CHAR_ID[ch] for ch in "." + name]])
    z = out(cell(emb(x)))[0].astype(float)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    return float(np.sum(np.log10([p[t, CHAR_ID[ch]] for t, ch in enumerate(name + ".")])))


def lp_log2(name, model):
    return float(_nll_terms(name, model, "." + name, name + ".").sum() / np.log(2))


def lp_mean(name, model):
    return float(_nll_terms(name, model, "." + name, name + ".").mean())


def lp_negative(name, model):
    return float(-_nll_terms(name, model, "." + name, name + ".").sum())


def lp_stateless(name, model):
    return float(_nll_terms(name, model, "." + name, name + ".", stateless=True).sum())


def lp_ascii_ids(name, model):
    # 'a' -> 0 ... (forgets that id 0 is ".")
    emb, cell, out = model
    ids = lambda s: [0 if ch == "." else ord(ch) - 97 for ch in s]
    x = np.array([ids("." + name)])
    lp = log_softmax(out(cell(emb(x)))[0])
    return float(sum(lp[t, k] for t, k in enumerate(ids(name + "."))))


def lp_raw_logits(name, model):
    emb, cell, out = model
    z = out(cell(emb(np.array([[CHAR_ID[ch] for ch in "." + name]]))))[0]
    return float(sum(z[t, CHAR_ID[ch]] for t, ch in enumerate(name + ".")))   # logits, no log_softmax


def lp_all_pairs(name, model):
    emb, cell, out = model
    lp = log_softmax(out(cell(emb(np.array([[CHAR_ID[ch] for ch in "." + name]]))))[0])
    return float(lp[:, [CHAR_ID[ch] for ch in name + "."]].sum())      # a T × T block


def lp_returns_array(name, model):
    return _nll_terms(name, model, "." + name, name + ".")          # the terms, not their sum


WRONG = [
    # lstm_step
    ("lstm_step", lstm_order("ifog"), "order"),
    ("lstm_step", lstm_order("igfo"), "order"),
    ("lstm_step", lstm_sigmoid_candidate, "candidate g = tanh"),
    ("lstm_step", lstm_no_squash, "Squash the cell"),
    ("lstm_step", lstm_no_input_gate, "through the input gate"),
    ("lstm_step", lstm_swapped_if, "you swapped i and f"),
    ("lstm_step", lstm_forget_means_forget, "to KEEP"),
    ("lstm_step", lstm_old_cell, "uses the NEW cell"),
    ("lstm_step", lstm_one_bias, "Both biases"),
    ("lstm_step", lstm_returns_c_h, "in the order (h, c)"),
    ("lstm_step", lstm_tanh_gates, "Every gate is a sigmoid"),
    ("lstm_step", lstm_in_place, "writes into the caller's array"),
    ("lstm_step", lstm_wrong_H, "a quarter of the 4H columns"),
    ("lstm_step", lstm_transposed, "inner dimensions"),
    # clip_by_norm
    ("clip_by_norm", clip_values, "clips each ENTRY"),
    ("clip_by_norm", clip_each, "its own norm"),
    ("clip_by_norm", clip_always, "scaled small gradients UP"),
    ("clip_by_norm", clip_no_sqrt, "square ROOT"),
    ("clip_by_norm", clip_inverted, "not ‖g‖ / max_norm"),
    ("clip_by_norm", clip_max_entry, "the largest entry"),
    ("clip_by_norm", clip_l1, "(L1)"),
    ("clip_by_norm", clip_in_place, "in place"),
    ("clip_by_norm", clip_linalg_list, "different shapes"),
    ("clip_by_norm", clip_returns_norm, None),
    ("clip_by_norm", clip_first_only, None),
    ("clip_by_norm", clip_sum_of_norms, "NOT the sum of the arrays' norms"),
    ("clip_by_norm", clip_spectral, "spectral norm"),
    ("clip_by_norm", clip_returns_callers_arrays, "hands back the caller's own arrays"),
    # name_log_prob
    ("name_log_prob", lp_no_end, "also has to END"),
    ("name_log_prob", lp_no_start, "The first letter also has a probability"),
    ("name_log_prob", lp_own_position, "Off by one"),
    ("name_log_prob", lp_probability, "the probability itself"),
    ("name_log_prob", lp_log10, "log10"),
    ("name_log_prob", lp_log2, "log2"),
    ("name_log_prob", lp_mean, "you averaged them"),
    ("name_log_prob", lp_negative, "−log p (the loss)"),
    ("name_log_prob", lp_stateless, "restarted every step from zeros"),
    ("name_log_prob", lp_ascii_ids, "id 0 is the start/end symbol"),
    ("name_log_prob", lp_returns_array, "Return ONE number"),
    ("name_log_prob", lp_raw_logits, "returns LOGITS"),
    ("name_log_prob", lp_all_pairs, "T × T block"),
]


def test_every_checker_has_solutions_and_eight_wrong_answers():
    assert set(CHECKERS) == set(SOLUTIONS) == set(check.__all__)
    for name in CHECKERS:
        assert sum(1 for n, _, _ in WRONG if n == name) >= 8, name


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_accepts_right_answers_written_two_ways(name):
    for solution in SOLUTIONS[name]:
        result = CHECKERS[name].run(solution)
        assert result.passed, result.text


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_accepts_its_reference(name):
    assert CHECKERS[name].run(CHECKERS[name].reference).passed


@pytest.mark.parametrize("name, wrong, hint", WRONG, ids=[f"{n}-{w.__name__}-{i}" for i, (n, w, _) in enumerate(WRONG)])
def test_rejects_a_wrong_answer_with_the_hint_for_that_mistake(name, wrong, hint):
    assert_rejected_with_hint(CHECKERS, name, wrong, hint)


def test_each_hint_fires_only_for_its_own_mistake():
    assert_each_hint_fires_only_for_its_own_mistake(CHECKERS, WRONG)


def test_mistakes_differ_from_the_right_answer_on_every_checker_case():
    # a hint's wrong formula must not coincide with the reference on the case that reports it;
    # here: every diagnoser's `like` differs from the reference on at least one case
    for checker in CHECKERS.values():
        for mistake in checker.mistakes:
            if mistake.like is None:
                continue
            differs = False
            for case in checker.cases:
                expected = checker.expected_for(case)
                wrong = mistake.like(*case.args)
                exp = np.concatenate([np.ravel(e) for e in expected]) if isinstance(expected, tuple) else np.ravel(expected)
                got = np.concatenate([np.ravel(w) for w in wrong]) if isinstance(wrong, tuple) else np.ravel(wrong)
                if exp.shape != got.shape or not np.allclose(exp, got, rtol=1e-4, atol=1e-6):
                    differs = True
            assert differs, f"{checker.name}: a diagnoser equals the right answer: {mistake.hint[:60]}"


def test_reference_lstm_step_matches_the_equations():
    rng = np.random.default_rng(0)
    N, D, H = 3, 4, 5
    args = (rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)),
            rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=4 * H),
            rng.normal(size=4 * H))
    for got, want in zip(check.lstm_step.reference(*args), lstm_sliced(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_name_log_prob_reference_sums_to_one_over_all_short_strings():
    # a language model's probabilities over every string sum to at most 1; over all strings of
    # length <= 1 (".", "a.", ..., "z.") with a model that must end by then, they sum exactly to
    # the probability of ending: here we check the two-symbol strings directly
    model = check._M_GRU
    p_end_now = np.exp(check.name_log_prob.reference("", model))
    p_one = sum(np.exp(check.name_log_prob.reference(ch, model)) for ch in VOCAB[1:])
    assert 0 < p_end_now + p_one < 1


# --------------------------------------------------------------------------- hostile code
def _raises_type(*a):
    return None + 1


def _raises_index(*a):
    return a[0][99]


def _loops(*a):
    while True:
        pass


def _swallows(*a):
    while True:
        try:
            while True:
                pass
        except Exception:
            pass


def _nan(*a):
    return float("nan")


def _prints(*a):
    for i in range(5_000):
        print("debug", i)


def _generator(*a):
    yield 1


def _seterr_raise(*a):
    np.seterr(all="raise")
    return None


def _mutates(*a):
    if isinstance(a[0], np.ndarray):
        a[0][...] = 0
    elif isinstance(a[0], (list, tuple)):
        a[0][0][...] = 0
    return a[0]


HOSTILE = [_raises_type, _raises_index, _loops, _swallows, _nan, _prints, _generator,
           _seterr_raise, _mutates, lambda *a: None, lambda *a: [1, 2, 3], lambda *a: "7"]


@pytest.mark.parametrize("name", sorted(CHECKERS))
@pytest.mark.parametrize("fn", HOSTILE, ids=lambda f: f.__name__)
def test_hostile_code_gets_a_verdict_not_a_crash(name, fn):
    old = np.geterr()
    try:
        checker = CHECKERS[name]
        if fn in (_loops, _swallows):
            checker = Checker(checker.name, checker.reference, checker.cases[:1], checker.mistakes,
                              checker.arg_names, output_names=checker.output_names, timeout=0.3,
                              allow_mutation=checker.allow_mutation)
        result = checker.run(fn)
    finally:
        np.seterr(**old)
    assert result.status == "fail", result.text
    assert result.text


def test_untouched_stub_is_not_attempted():
    def stub(*a):
        raise NotImplementedError
    for checker in CHECKERS.values():
        assert checker.run(stub).status == "not_attempted"


def test_strict_mode_raises_and_passes(capsys):
    check.lstm_step(lstm_sliced, strict=True)
    with pytest.raises(AssertionError, match="fails its check"):
        check.clip_by_norm(clip_values, strict=True)
    assert "❌" in capsys.readouterr().out


def test_checking_does_not_touch_the_shared_generator():
    from nnlib import init
    init.seed(3)
    before = init.default_rng().random()
    init.seed(3)
    for name, solutions in SOLUTIONS.items():
        CHECKERS[name].run(solutions[0])
    assert init.default_rng().random() == before
