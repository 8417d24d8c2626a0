"""BatchNorm and LayerNorm: gradient checks, PyTorch parity (incl. running statistics and
eval mode), and bad input."""
import numpy as np
import pytest

from nnlib.gradcheck import check_layer
from nnlib.layers.norm import BatchNorm, LayerNorm


def _x(*shape, seed=0, scale=1.0, shift=0.0):
    return np.random.default_rng(seed).normal(size=shape) * scale + shift


def _with_affine(layer, seed=1):
    """Non-trivial gamma and beta, so the check sees their effect on dx."""
    r = np.random.default_rng(seed)
    layer.gamma.data = r.uniform(0.5, 2, size=layer.gamma.shape)
    layer.beta.data = r.normal(size=layer.beta.shape)
    return layer


# --- gradient checks ------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 3, 2)], ids=["dense", "conv"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_batchnorm_gradcheck(shape, mode):
    bn = _with_affine(BatchNorm(3, dtype=np.float64))
    x = _x(*shape, scale=2.0, shift=1.0)
    if mode == "eval":
        for k in range(3):
            bn(_x(*shape, seed=10 + k))                   # give it running statistics
        bn.eval()
    result = check_layer(bn, x, verbose=False)
    assert set(result.errors) == {"input x", "gamma", "beta"}
    assert result.max_error < 1e-6


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4)])
def test_layernorm_gradcheck(shape):
    assert check_layer(_with_affine(LayerNorm(4, dtype=np.float64)), _x(*shape, scale=3.0),
                       verbose=False).max_error < 1e-6


# --- what the layers compute ----------------------------------------------------------

def test_batchnorm_train_output_is_normalized_per_channel():
    x = _x(64, 3, 4, 4, scale=5.0, shift=-2.0)
    y = BatchNorm(3, dtype=np.float64)(x)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), 1, rtol=1e-5)


def test_batchnorm_eval_output_does_not_depend_on_the_batch():
    bn = BatchNorm(4, dtype=np.float64)
    for k in range(5):
        bn(_x(16, 4, seed=k, scale=3.0, shift=2.0))
    bn.eval()
    x = _x(8, 4, seed=99)
    np.testing.assert_allclose(bn(x)[:1], bn(x[:1]), rtol=1e-13)
    before = bn.running_mean.copy()
    bn(x)
    np.testing.assert_array_equal(bn.running_mean, before)        # eval never updates them


def test_layernorm_normalizes_each_example():
    y = LayerNorm(6, dtype=np.float64)(_x(3, 5, 6, scale=4.0, shift=7.0))
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=-1), 1, rtol=1e-4)


def _assert_step_matches(torch, ours, ref, x, g, rtol_dx):
    """One forward + backward of our norm layer and PyTorch's: output and every gradient agree."""
    xt = torch.tensor(x, requires_grad=True)
    ref.zero_grad()
    yt = ref(xt)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ours(x), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.backward(g), xt.grad.numpy(), rtol=rtol_dx, atol=1e-12)
    np.testing.assert_allclose(ours.gamma.grad, ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.beta.grad, ref.bias.grad.numpy(), rtol=1e-10)


# --- PyTorch parity -------------------------------------------------------------------

@pytest.mark.parametrize("shape,momentum", [((8, 3), 0.1), ((4, 3, 5, 5), 0.1), ((8, 3), 0.3)],
                         ids=["1d", "2d", "1d-momentum0.3"])
def test_batchnorm_matches_torch_over_training_steps_and_in_eval(torch, shape, momentum):
    ours = _with_affine(BatchNorm(3, momentum=momentum, dtype=np.float64))
    cls = torch.nn.BatchNorm1d if len(shape) == 2 else torch.nn.BatchNorm2d
    ref = cls(3, momentum=momentum)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(ours.gamma.data))
        ref.bias.copy_(torch.tensor(ours.beta.data))
    for step in range(4):
        x = _x(*shape, seed=step, scale=2.0 + step, shift=step - 1.0)
        g = _x(*shape, seed=100 + step)
        _assert_step_matches(torch, ours, ref, x, g, rtol_dx=1e-9)
    # running statistics (unbiased variance) after 4 steps
    np.testing.assert_allclose(ours.running_mean, ref.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.running_var, ref.running_var.numpy(), rtol=1e-12)
    # eval mode: forward and input gradient with the running statistics
    ours.eval()
    ref.eval()
    x, g = _x(*shape, seed=50), _x(*shape, seed=51)
    _assert_step_matches(torch, ours, ref, x, g, rtol_dx=1e-10)


def test_layernorm_matches_torch(torch):
    ours = _with_affine(LayerNorm(5, dtype=np.float64))
    ref = torch.nn.LayerNorm(5)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(ours.gamma.data))
        ref.bias.copy_(torch.tensor(ours.beta.data))
    x, g = _x(2, 3, 5, scale=3.0), _x(2, 3, 5, seed=4)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(ours(x), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.backward(g), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours.gamma.grad, ref.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.beta.grad, ref.bias.grad.numpy(), rtol=1e-10)


# --- dtypes and extremes --------------------------------------------------------------

def test_float32_kept_and_astype_converts_running_stats():
    bn = BatchNorm(3)
    y = bn(_x(4, 3))
    assert y.dtype == np.float32 and bn.running_var.dtype == np.float32
    assert bn.backward(np.ones((4, 3), np.float32)).dtype == np.float32
    bn.astype(np.float64)
    assert bn.gamma.data.dtype == bn.running_mean.dtype == bn.running_var.dtype == np.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_stay_finite(dtype):
    x = np.array([[1e4, -1e4], [-1e4, 1e4], [0.0, 0.0]], dtype=dtype)
    for layer in (BatchNorm(2, dtype=dtype), LayerNorm(2, dtype=dtype)):
        y = layer(x)
        dx = layer.backward(np.ones_like(x))
        assert np.all(np.isfinite(y)) and np.all(np.isfinite(dx)), repr(layer)
    const = BatchNorm(2, dtype=dtype)(np.full((4, 2), 3.0, dtype))   # zero variance: eps saves us
    assert np.all(const == 0)


# --- bad input ------------------------------------------------------------------------

def test_batchnorm_bad_input_messages():
    with pytest.raises(ValueError) as err:
        BatchNorm(3)(np.zeros((4, 5)))
    assert str(err.value) == "BatchNorm(3): expected input (N, 3) or (N, 3, H, W), got (4, 5)"
    with pytest.raises(ValueError, match=r"BatchNorm\(3\): expected input .* got \(4, 3, 5\)"):
        BatchNorm(3)(np.zeros((4, 3, 5)))
    with pytest.raises(ValueError, match=r"more than 1 value per channel"):
        BatchNorm(3)(np.zeros((1, 3)))
    BatchNorm(3).eval()(np.zeros((1, 3)))                # one example is fine in eval mode


def test_layernorm_bad_input_message():
    with pytest.raises(ValueError, match=r"^LayerNorm\(4\): expected input \(\.\.\., 4\), got \(2, 5\)$"):
        LayerNorm(4)(np.zeros((2, 5)))


@pytest.mark.parametrize("make,msg", [
    (lambda: BatchNorm(0), "num_features must be >= 1"),
    (lambda: BatchNorm(3, momentum=-0.1), "momentum must be in"),
    (lambda: BatchNorm(3, momentum=1.5), "momentum must be in"),
    (lambda: BatchNorm(3, eps=0), "eps must be > 0"),
    (lambda: LayerNorm(0), "normalized_dim must be >= 1"),
    (lambda: LayerNorm(3, eps=-1e-5), "eps must be > 0"),
])
def test_invalid_hyperparameters(make, msg):
    with pytest.raises(ValueError, match=msg):
        make()


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="before forward"):
        BatchNorm(2).backward(np.zeros((3, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        LayerNorm(2).backward(np.zeros((3, 2)))
