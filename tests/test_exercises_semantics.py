"""The checkers' semantics (issue 10): an exception or a time-out is answered with the exception
and the reader's own line, never with a hint about the numbers; a hint about one line or one
output never answers another; a function asked for an array returns one; only the state an
exercise updates may change in place."""
import numpy as np

from nnbook.exercises import multilayer, losses, backprop, optimizers
from nnbook.exercises.core import Case, Checker, Mistake


def test_a_name_error_gets_the_error_not_a_value_hint():
    def bce(p, y):
        p = np.clip(p, 1e-7, 1 - 1e-7)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - pp)))   # noqa: F821
    r = losses.binary_cross_entropy.run(bce)
    assert not r.passed and r.hint is None, r.hint
    assert "NameError" in r.text and "1 - pp" in r.text, r.text


def test_a_time_out_gets_no_value_hint():
    def numerical_gradient(f, x, h=1e-5):
        while True:
            pass
    r = backprop.numerical_gradient.run(numerical_gradient)
    assert not r.passed and "did not finish" in r.text and r.hint is None, r.text


def test_an_error_in_the_dW_line_is_not_blamed_on_dX():
    def dense_backward(dZ, X, W):
        dW = X @ dZ                      # the mistake: X, not X.T
        db = dZ.sum(axis=0)
        dX = dZ @ W.T
        return dX, dW, db
    r = backprop.dense_backward.run(dense_backward)
    assert not r.passed and "dX must have" not in (r.hint or ""), r.hint
    assert "dW = X @ dZ" in r.text


def test_an_error_in_the_dX_line_gets_the_dX_hint():
    def dense_backward(dZ, X, W):
        dW = X.T @ dZ
        db = dZ.sum(axis=0)
        dX = dZ @ W                      # the mistake: W, not W.T
        return dX, dW, db
    r = backprop.dense_backward.run(dense_backward)
    assert "dX must have" in (r.hint or ""), r.text


def test_a_column_bias_is_not_called_an_elementwise_product():
    r = multilayer.dense_forward.run(lambda X, W, b: X @ W + b.reshape(-1, 1))
    assert "column" in (r.hint or "") and "X * W" not in (r.hint or ""), r.hint
    r = multilayer.dense_forward.run(lambda X, W, b: X * W + b)
    assert "X * W" in (r.hint or ""), r.hint


def test_a_list_where_an_array_is_asked_fails():
    r = optimizers.sgd_step.run(lambda w, grad, lr: (w - lr * grad).tolist())
    assert not r.passed and "Python list" in r.text, r.text


def test_only_the_updated_state_may_change_in_place():
    def in_place(w, grad, lr):          # what nnlib's SGD does: accepted
        w -= lr * grad
        return w
    assert optimizers.sgd_step.run(in_place).passed

    def scales_grad(w, grad, lr):       # destroys the caller's gradient: rejected
        grad *= lr
        return w - grad
    r = optimizers.sgd_step.run(scales_grad)
    assert not r.passed and "`grad`" in r.text and "grad = grad.copy()" in r.text, r.text


def test_a_scalar_operand_of_matmul_is_named_as_such():
    def neuron(x, w, b):
        return np.array([1 / (1 + np.exp(-(row @ w + b))) for row in x])
    from nnbook.exercises import perceptron
    r = perceptron.neuron.run(neuron)
    assert not r.passed and "single number (0 dimensions)" in (r.hint or ""), r.text


def test_value_diagnosers_never_answer_exceptions():
    """A predicate that looks at the numbers is not consulted when the code raised."""
    seen = []
    checker = Checker("f", lambda x: x + 1, cases=[Case(np.ones(3))], mistakes=[
        Mistake("value hint", when=lambda o: seen.append(o.error) or True)])
    r = checker.run(lambda x: undefined_name)   # noqa: F821
    assert r.hint is None and seen == []
    r = checker.run(lambda x: x + 2)
    assert r.hint == "value hint"


def test_silencing_the_warnings_is_not_a_stable_formula():
    from nnbook.exercises import activations

    def sigmoid(z):
        with np.errstate(over="ignore"):          # hides the overflow instead of avoiding it
            return 1 / (1 + np.exp(-z))

    r = activations.sigmoid.run(sigmoid)
    assert r.status == "fail" and "np.errstate" in r.text and r.hint
    # a comment that mentions errstate is not a call
    def stable(z):
        # no np.errstate( needed: the formula never overflows
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    assert activations.sigmoid.run(stable).passed
