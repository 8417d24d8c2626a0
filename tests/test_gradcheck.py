"""nnlib.gradcheck: the checker is right when backward is right, and -- the point of a
test for a test tool -- it FAILS when backward is wrong."""
import numpy as np
import pytest

from nnlib import activations as A
from nnlib import losses
from nnlib.gradcheck import check_layer, check_loss, numerical_gradient, rel_error
from nnlib.layers.activation import Sigmoid
from nnlib.layers.dense import Dense


def test_numerical_gradient_of_known_function_and_restores_x():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    before = x.copy()
    g = numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_allclose(g, 3 * before**2, rtol=1e-9)
    np.testing.assert_array_equal(x, before)          # every nudge was undone


def test_numerical_gradient_rejects_integer_arrays():
    with pytest.raises(ValueError, match="float array"):
        numerical_gradient(lambda v: v.sum(), np.array([1, 2, 3]))


def test_rel_error():
    a = np.array([1.0, 2.0, 3.0])
    assert rel_error(a, a) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(a, -a) == pytest.approx(1.0)
    assert rel_error(1e6 * a, 1e6 * (a + 1e-3)) == pytest.approx(rel_error(a, a + 1e-3))  # scale-free
    with pytest.raises(ValueError, match="shapes"):
        rel_error(a, a[:2])


def test_check_layer_passes_a_correct_layer_and_prints_a_table(capsys):
    layer = Dense(4, 3)
    x = np.random.default_rng(0).normal(size=(5, 4))
    result = check_layer(layer, x)
    assert result.passed and bool(result)
    assert set(result.errors) == {"input x", "W", "b"}
    assert result.max_error < 1e-8
    out = capsys.readouterr().out
    assert "Dense(4→3)" in out and "input x" in out and "✅" in out and "❌" not in out


def test_check_layer_leaves_the_original_layer_alone():
    layer = Dense(3, 2)
    W0 = layer.W.data.copy()
    check_layer(layer, np.ones((2, 3)), verbose=False)
    assert layer.W.data.dtype == np.float32
    np.testing.assert_array_equal(layer.W.data, W0)


class BiasMeanDense(Dense):
    """Bug: averages the bias gradient over the batch instead of summing."""

    def backward(self, grad_out):
        dx = super().backward(grad_out)
        self.b.grad = grad_out.mean(axis=0)
        return dx


class ForgetsWTransposeDense(Dense):
    """Bug: uses W where Wᵀ belongs (only shape-compatible for a square W)."""

    def backward(self, grad_out):
        super().backward(grad_out)
        return grad_out @ self.W.data


class DerivativeOfOutputSigmoid(Sigmoid):
    """The classic bug: applies σ'(·) to the activation instead of the pre-activation."""

    def f_prime(self, z):
        return A.sigmoid_prime(A.sigmoid(z))


@pytest.mark.parametrize("layer,bad", [
    (BiasMeanDense(4, 3), "b"),
    (ForgetsWTransposeDense(4, 4), "input x"),
    (DerivativeOfOutputSigmoid(), "input x"),
])
def test_check_layer_catches_a_wrong_backward(capsys, layer, bad):
    x = np.random.default_rng(1).normal(size=(5, 4))
    result = check_layer(layer, x)
    assert not result.passed
    assert result.errors[bad] > 1e-3
    out = capsys.readouterr().out
    assert "❌" in out and "MISMATCH" in out and bad in out


class CrossEntropyWithoutMean(losses.CrossEntropyLoss):
    """Bug: forgets to divide the gradient by N."""

    def grad(self, y_hat, y):
        return super().grad(y_hat, y) * len(y)


def test_check_loss_catches_a_wrong_gradient():
    z = np.random.default_rng(2).normal(size=(4, 3))
    y = np.array([0, 1, 2, 0])
    assert check_loss(losses.CrossEntropyLoss(), z, y, verbose=False).passed
    assert not check_loss(CrossEntropyWithoutMean(), z, y, verbose=False).passed


def test_check_loss_needs_a_gradient():
    with pytest.raises(TypeError, match="neither a Loss object"):
        check_loss(lambda a, b: float(np.sum(a)), np.zeros(2), np.zeros(2))


def test_check_layer_notes_a_skipped_input_gradient(capsys):
    layer = Dense(3, 2)
    layer.needs_input_grad = False
    result = check_layer(layer, np.ones((2, 3)))
    assert set(result.errors) == {"W", "b"} and result.passed
    assert "dL/dx was not checked" in capsys.readouterr().out


def test_rel_error_floor_treats_noise_on_a_zero_gradient_as_agreement():
    zero = np.zeros(5)
    noise = np.full(5, 1e-11)
    assert rel_error(zero, noise) > 0.99               # without a floor: a false alarm
    assert rel_error(zero, noise, floor=1e-7) < 1e-3   # with one: agreement
    # a real error stays an error even with the floor
    assert rel_error(zero, np.full(5, 1e-3), floor=1e-7) > 0.5


def test_check_layer_passes_attention_whose_key_bias_gradient_is_exactly_zero():
    from nnlib.layers import MultiHeadSelfAttention
    layer = MultiHeadSelfAttention(8, 2, rng=0)
    x = np.random.default_rng(1).normal(size=(2, 3, 8))
    result = check_layer(layer, x, verbose=False)
    assert result.passed, result.errors
