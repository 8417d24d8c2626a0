"""nnlib.activations: values and derivatives vs PyTorch, stability, and properties."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnlib import activations as A

# (name, nnlib function, nnlib derivative, torch function builder)
ELEMENTWISE = [
    ("sigmoid", A.sigmoid, A.sigmoid_prime, lambda t: t.sigmoid),
    ("tanh", A.tanh, A.tanh_prime, lambda t: t.tanh),
    ("relu", A.relu, A.relu_prime, lambda t: t.relu),
    ("leaky_relu", lambda z: A.leaky_relu(z, 0.1), lambda z: A.leaky_relu_prime(z, 0.1),
     lambda t: (lambda x: t.nn.functional.leaky_relu(x, 0.1))),
    ("elu", lambda z: A.elu(z, 0.7), lambda z: A.elu_prime(z, 0.7),
     lambda t: (lambda x: t.nn.functional.elu(x, 0.7))),
    ("gelu", A.gelu, A.gelu_prime, lambda t: t.nn.functional.gelu),
]
IDS = [e[0] for e in ELEMENTWISE]
FUNCS = [A.sigmoid, A.sigmoid_prime, A.tanh, A.tanh_prime, A.relu, A.relu_prime, A.leaky_relu,
         A.leaky_relu_prime, A.elu, A.elu_prime, A.gelu, A.gelu_prime, A.softmax, A.log_softmax]
PROPS = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


def _grid():
    # include exact 0 and points on both sides of every kink
    return np.concatenate([np.linspace(-6, 6, 49), [-1e-3, 1e-3, 20.0, -20.0]])


@pytest.mark.parametrize("name,f,f_prime,tf", ELEMENTWISE, ids=IDS)
def test_matches_torch_value_and_derivative(torch, name, f, f_prime, tf):
    z = _grid()
    zt = torch.tensor(z, requires_grad=True)
    yt = tf(torch)(zt)
    yt.sum().backward()
    np.testing.assert_allclose(f(z), yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(f_prime(z), zt.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name,f,f_prime,tf", ELEMENTWISE, ids=IDS)
def test_derivative_matches_finite_difference(name, f, f_prime, tf):
    z = _grid()
    z = z[np.abs(z) > 1e-4]           # stay away from the kink of relu-like functions
    h = 1e-6
    numeric = (f(z + h) - f(z - h)) / (2 * h)
    np.testing.assert_allclose(f_prime(z), numeric, rtol=1e-6, atol=1e-8)


def test_prime_takes_the_pre_activation_not_the_output():
    # sigmoid'(0) = 0.25. Code that expects the activation would compute 0 * (1 - 0) = 0.
    assert A.sigmoid_prime(0.0) == pytest.approx(0.25)
    assert A.tanh_prime(0.0) == pytest.approx(1.0)
    # and at z = 2: σ(2)(1 − σ(2)), not 2 * (1 - 2)
    s = 1 / (1 + np.exp(-2.0))
    assert A.sigmoid_prime(2.0) == pytest.approx(s * (1 - s))


def test_kink_conventions_match_pytorch():
    assert A.relu_prime(np.array([0.0]))[0] == 0.0
    assert A.leaky_relu_prime(np.array([0.0]), 0.2)[0] == pytest.approx(0.2)
    assert A.elu_prime(np.array([0.0]), 0.5)[0] == pytest.approx(0.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("f", FUNCS, ids=lambda f: f.__name__)
def test_extreme_inputs_finite_no_warnings_dtype_kept(f, dtype):
    # warnings are errors (conftest), so an overflow in exp fails this test
    z = np.array([[-1e4, -1000.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0, 1e4]], dtype=dtype)
    out = f(z)
    assert out.dtype == dtype
    assert out.shape == z.shape
    assert np.all(np.isfinite(out))


def test_sigmoid_saturates_exactly_and_symmetrically():
    z = np.array([-1e4, -40.0, 0.0, 40.0, 1e4])
    s = A.sigmoid(z)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5
    np.testing.assert_allclose(s + A.sigmoid(-z), 1.0, rtol=0, atol=1e-15)
    # the negative branch keeps relative precision where 1/(1+e^{-z}) would round to 0
    assert A.sigmoid(np.array([-40.0]))[0] == pytest.approx(np.exp(-40.0), rel=1e-12)


def test_softmax_extreme_logits():
    z = np.array([[1e4, 0.0, -1e4], [5.0, 5.0, 5.0]], dtype=np.float32)
    np.testing.assert_allclose(A.softmax(z), [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3]], atol=1e-7)
    ls = A.log_softmax(z)
    assert np.all(np.isfinite(ls))
    assert ls[0, 2] == pytest.approx(-2e4, rel=1e-6)   # log(0) would have been -inf


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_match_torch(torch, axis):
    z = np.random.default_rng(0).normal(size=(4, 5)) * 3
    zt = torch.tensor(z)
    np.testing.assert_allclose(A.softmax(z, axis), torch.softmax(zt, axis).numpy(), rtol=1e-12)
    np.testing.assert_allclose(A.log_softmax(z, axis), torch.log_softmax(zt, axis).numpy(),
                               rtol=1e-12)


def test_softmax_jacobian_matches_torch(torch):
    z = np.array([0.3, -1.2, 2.0, 0.1])
    J = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, 0), torch.tensor(z))
    np.testing.assert_allclose(A.softmax_jacobian(A.softmax(z)), J.numpy(), atol=1e-14)
    # not the (wrong) elementwise s * (1 - s): the Jacobian has off-diagonal terms
    s = A.softmax(z)
    assert not np.allclose(A.softmax_jacobian(s), np.diag(s * (1 - s)))


def test_softmax_jacobian_rejects_batches():
    with pytest.raises(ValueError, match=r"softmax_jacobian: expected a 1-D.*\(2, 3\)"):
        A.softmax_jacobian(np.ones((2, 3)) / 3)


# --- the backward passes as pure functions: softmax_backward, log_softmax_backward ----

def _vjp_by_finite_differences(f, z, g, h=1e-6):
    """dL/dz for L = Σ f(z) ⊙ g, by central differences (float64)."""
    from nnlib.gradcheck import numerical_gradient

    z = z.copy()
    return numerical_gradient(lambda v: np.sum(f(v) * g), z, h)


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_backward_functions_match_finite_differences(name, axis):
    rng = np.random.default_rng(3)
    z, g = rng.normal(size=(3, 4)) * 2, rng.normal(size=(3, 4))
    f = getattr(A, name)
    backward = getattr(A, f"{name}_backward")
    numeric = _vjp_by_finite_differences(lambda v: f(v, axis), z, g)
    np.testing.assert_allclose(backward(f(z, axis), g, axis=axis), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_backward_functions_match_torch(torch, name, axis):
    rng = np.random.default_rng(4)
    z, g = rng.normal(size=(2, 3, 5)) * 3, rng.normal(size=(2, 3, 5))
    zt = torch.tensor(z, requires_grad=True)
    getattr(torch, name)(zt, axis).backward(torch.tensor(g))
    f, backward = getattr(A, name), getattr(A, f"{name}_backward")
    np.testing.assert_allclose(backward(f(z, axis), g, axis=axis), zt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_softmax_backward_equals_the_jacobian_product_not_the_diagonal():
    z = np.array([0.3, -1.2, 2.0, 0.1])
    g = np.array([1.0, -0.5, 0.25, 2.0])
    s = A.softmax(z)
    np.testing.assert_allclose(A.softmax_backward(s, g), A.softmax_jacobian(s).T @ g, rtol=1e-14)
    assert not np.allclose(A.softmax_backward(s, g), s * (1 - s) * g)


def test_softmax_backward_keeps_float32():
    s = A.softmax(np.ones((2, 3), dtype=np.float32))
    assert A.softmax_backward(s, np.ones((2, 3), dtype=np.float32)).dtype == np.float32
    assert A.log_softmax_backward(np.log(s), np.ones((2, 3), dtype=np.float32)).dtype == np.float32


# --- properties -----------------------------------------------------------------------

def _arrays(dtype):
    return hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
                      elements=st.floats(-1e4, 1e4, width=32))


@PROPS
@given(z=st.one_of(_arrays(np.float32), _arrays(np.float64)))
def test_sigmoid_in_unit_interval_and_monotone(z):
    s = A.sigmoid(z)
    assert s.shape == z.shape and s.dtype == z.dtype
    assert np.all((s >= 0) & (s <= 1))
    flat = np.sort(z.ravel())
    assert np.all(np.diff(A.sigmoid(flat)) >= 0)


@PROPS
@given(z=st.one_of(_arrays(np.float32), _arrays(np.float64)))
def test_softmax_rows_sum_to_one_and_log_softmax_finite(z):
    p = A.softmax(z, axis=-1)
    tol = 1e-5 if z.dtype == np.float32 else 1e-12
    assert p.shape == z.shape
    assert np.all(p >= 0)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, atol=tol)
    ls = A.log_softmax(z, axis=-1)
    assert np.all(np.isfinite(ls)) and np.all(ls <= 0)
    np.testing.assert_allclose(np.exp(ls), p, atol=tol)


@PROPS
@given(z=_arrays(np.float64), c=st.floats(-100, 100))
def test_softmax_shift_invariant(z, c):
    np.testing.assert_allclose(A.softmax(z + c), A.softmax(z), atol=1e-9)


@PROPS
@given(z=st.one_of(_arrays(np.float32), _arrays(np.float64)))
def test_all_functions_finite_and_shape_preserving(z):
    for f in FUNCS:
        out = f(z)
        assert out.shape == z.shape, f.__name__
        assert np.all(np.isfinite(out)), f.__name__
