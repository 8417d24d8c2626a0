"""The variational autoencoder's pieces: Reparameterize (nnlib.layers.reparameterize) and the
Gaussian KL divergence (nnlib.divergences). Finite differences, PyTorch parity (its own
reparameterized sampler ``Normal.rsample`` and ``kl_divergence``), a Monte Carlo check of the
closed form, and readable errors."""
import copy

import numpy as np
import pytest

from nnlib.divergences import gaussian_kl, gaussian_kl_grad, gaussian_kl_per_example
from nnlib.gradcheck import check_layer, numerical_gradient, rel_error
from nnlib.layers import Dense, Reparameterize, Tanh
from nnlib.layers.reparameterize import reparameterize, reparameterize_backward
from nnlib.model import Sequential


def _mu_logvar(N=5, d=3, seed=0):
    r = np.random.default_rng(seed)
    return r.normal(size=(N, d)), r.normal(scale=0.8, size=(N, d))


# --- Reparameterize -----------------------------------------------------------------------

def test_forward_is_mu_plus_sigma_times_eps_and_eps_is_standard_normal():
    layer = Reparameterize(2, rng=0)
    h = np.array([[1.0, -2.0, np.log(4.0), np.log(0.25)]] * 20000)
    z = layer(h)
    assert z.shape == (20000, 2)
    _, eps = layer.cache
    np.testing.assert_allclose(z, [1.0, -2.0] + np.array([2.0, 0.5]) * eps)
    # ε ~ N(0, 1): the sample mean and std of z are μ and σ (to within sampling error)
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [2.0, 0.5], rtol=0.02)


def test_eval_mode_returns_the_mean_and_passes_no_gradient_to_logvar():
    layer = Reparameterize(3, rng=0).eval()
    mu, logvar = _mu_logvar()
    z = layer(np.concatenate([mu, logvar], axis=1))
    np.testing.assert_array_equal(z, mu)
    dh = layer.backward(np.ones_like(mu))
    np.testing.assert_array_equal(dh, np.concatenate([np.ones_like(mu), np.zeros_like(mu)], axis=1))


def test_fresh_noise_at_every_forward_in_training_mode():
    layer = Reparameterize(3, rng=0)
    h = np.zeros((4, 6))
    assert not np.allclose(layer(h), layer(h))


def test_float32_stays_float32():
    layer = Reparameterize(2, rng=0)
    z = layer(np.zeros((3, 4), dtype=np.float32))
    assert z.dtype == np.float32
    assert layer.backward(np.ones((3, 2), dtype=np.float32)).dtype == np.float32


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_gradient_check(mode):
    mu, logvar = _mu_logvar(6, 4)
    layer = Reparameterize(4, rng=1)
    getattr(layer, mode)()
    result = check_layer(layer, np.concatenate([mu, logvar], axis=1), verbose=False)
    assert result.passed, result.table()


def test_gradient_check_through_encoder_sampler_decoder():
    """A whole small VAE path, checked as one Sequential (the noise is part of the copy's state)."""
    model = Sequential([Dense(5, 6, rng=0, dtype=np.float64), Tanh(), Dense(6, 4, rng=1, dtype=np.float64),
                        Reparameterize(2, rng=2), Dense(2, 5, rng=3, dtype=np.float64)])
    result = check_layer(model, np.random.default_rng(4).normal(size=(3, 5)), verbose=False)
    assert result.passed, result.table()


def test_pure_functions_match_finite_differences():
    mu, logvar = _mu_logvar()
    eps = np.random.default_rng(9).normal(size=mu.shape)
    g = np.random.default_rng(10).normal(size=mu.shape)
    d_mu, d_logvar = reparameterize_backward(g, logvar, eps)
    f = lambda _: np.sum(reparameterize(mu, logvar, eps) * g)     # noqa: E731
    assert rel_error(d_mu, numerical_gradient(f, mu)) < 1e-8
    assert rel_error(d_logvar, numerical_gradient(f, logvar)) < 1e-8


def test_matches_torch_rsample(torch):
    """PyTorch's reparameterized sampler: same z for the same ε, same gradients."""
    mu, logvar = _mu_logvar(5, 3)
    mu_t = torch.tensor(mu, requires_grad=True)
    logvar_t = torch.tensor(logvar, requires_grad=True)
    torch.manual_seed(0)
    z_t = torch.distributions.Normal(mu_t, torch.exp(0.5 * logvar_t)).rsample()
    eps = ((z_t - mu_t) / torch.exp(0.5 * logvar_t)).detach().numpy()    # the ε torch drew
    g = np.random.default_rng(3).normal(size=mu.shape)
    z_t.backward(torch.tensor(g))

    layer = Reparameterize(3)
    layer.forward(np.concatenate([mu, logvar], axis=1))
    layer.cache = (logvar, eps)                     # use torch's ε
    np.testing.assert_allclose(reparameterize(mu, logvar, eps), z_t.detach().numpy(), rtol=1e-12)
    dh = layer.backward(g)
    np.testing.assert_allclose(dh[:, :3], mu_t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(dh[:, 3:], logvar_t.grad.numpy(), rtol=1e-10)


def test_readable_errors():
    layer = Reparameterize(2)
    with pytest.raises(ValueError, match=r"Reparameterize\(4→2\).*\(N, 4\).*\(3, 5\)"):
        layer(np.zeros((3, 5)))
    with pytest.raises(RuntimeError, match="Reparameterize"):
        Reparameterize(2).backward(np.zeros((3, 2)))
    layer(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"Reparameterize\(4→2\)\.backward"):
        layer.backward(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="latent_dim"):
        Reparameterize(0)


def test_the_layer_does_not_keep_a_view_of_the_callers_array():
    layer = Reparameterize(2, rng=0)
    h = np.random.default_rng(0).normal(size=(3, 4))
    layer(h)
    g = np.ones((3, 2))
    expected = layer.backward(g).copy()
    h[...] = 100.0                                  # the caller reuses its buffer
    np.testing.assert_array_equal(layer.backward(g), expected)


def test_seeded_layers_reproduce_and_deepcopies_draw_the_same_noise():
    a, b = Reparameterize(2, rng=5), Reparameterize(2, rng=5)
    h = np.zeros((4, 4))
    np.testing.assert_array_equal(a(h), b(h))
    c = copy.deepcopy(a)
    np.testing.assert_array_equal(a(h), c(h))


# --- the KL divergence --------------------------------------------------------------------

def test_kl_closed_form_values():
    # μ = 0, σ² = 1: q is the prior, KL 0. μ = 1, σ² = 1: ½. μ = 0, σ² = e: ½(e − 1 − 1).
    assert gaussian_kl(np.zeros((2, 3)), np.zeros((2, 3))) == 0.0
    assert gaussian_kl(np.ones((1, 1)), np.zeros((1, 1))) == pytest.approx(0.5)
    assert gaussian_kl(np.zeros((1, 1)), np.ones((1, 1))) == pytest.approx(0.5 * (np.e - 2))
    # summed over dimensions, averaged over examples
    mu = np.array([[1.0, 1.0], [0.0, 0.0]])
    assert gaussian_kl(mu, np.zeros((2, 2))) == pytest.approx((1.0 + 0.0) / 2)
    np.testing.assert_allclose(gaussian_kl_per_example(mu, np.zeros((2, 2))), [1.0, 0.0])


def test_kl_matches_a_monte_carlo_estimate():
    mu, logvar = np.array([[0.7, -1.2]]), np.array([[np.log(0.3), np.log(2.0)]])
    r = np.random.default_rng(0)
    z = mu + np.exp(0.5 * logvar) * r.normal(size=(400_000, 2))
    log_q = -0.5 * (np.log(2 * np.pi) + logvar + (z - mu) ** 2 / np.exp(logvar))
    log_p = -0.5 * (np.log(2 * np.pi) + z ** 2)
    mc = np.mean(np.sum(log_q - log_p, axis=1))
    assert mc == pytest.approx(gaussian_kl(mu, logvar), abs=0.01)


def test_kl_gradient_matches_finite_differences():
    mu, logvar = _mu_logvar(4, 3)
    d_mu, d_logvar = gaussian_kl_grad(mu, logvar)
    assert rel_error(d_mu, numerical_gradient(lambda m: gaussian_kl(m, logvar), mu)) < 1e-8
    assert rel_error(d_logvar, numerical_gradient(lambda lv: gaussian_kl(mu, lv), logvar)) < 1e-8


def test_kl_matches_torch(torch):
    mu, logvar = _mu_logvar(6, 4)
    mu_t = torch.tensor(mu, requires_grad=True)
    logvar_t = torch.tensor(logvar, requires_grad=True)
    q = torch.distributions.Normal(mu_t, torch.exp(0.5 * logvar_t))
    p = torch.distributions.Normal(torch.zeros_like(mu_t), torch.ones_like(mu_t))
    kl_t = torch.distributions.kl_divergence(q, p).sum(dim=1).mean()
    kl_t.backward()
    assert gaussian_kl(mu, logvar) == pytest.approx(kl_t.item(), rel=1e-12)
    d_mu, d_logvar = gaussian_kl_grad(mu, logvar)
    np.testing.assert_allclose(d_mu, mu_t.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(d_logvar, logvar_t.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_kl_is_never_negative():
    r = np.random.default_rng(1)
    for _ in range(20):
        mu, logvar = r.normal(size=(8, 3)) * 3, r.normal(size=(8, 3)) * 3
        assert np.all(gaussian_kl_per_example(mu, logvar) >= 0)


def test_kl_errors():
    with pytest.raises(ValueError, match=r"\(N, d\).*\(2, 3\) and \(2, 2\)"):
        gaussian_kl(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="empty"):
        gaussian_kl(np.zeros((0, 3)), np.zeros((0, 3)))
