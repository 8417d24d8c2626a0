"""Sampling helpers: probabilities with a temperature, its limits, greedy, sampling, bad input."""
import numpy as np
import pytest

from nnlib.sampling import greedy, probabilities, sample

LOGITS = np.array([2.0, 1.0, 0.5, -1.0, -np.inf])          # the last choice is forbidden


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0, 2.0, 10.0])
def test_probabilities_match_torch_softmax_of_scaled_logits(torch, tau):
    z = np.random.default_rng(0).standard_normal((4, 6)) * 3
    expected = torch.softmax(torch.tensor(z) / tau, dim=-1).numpy()
    np.testing.assert_allclose(probabilities(z, tau), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("tau", [0.0, 1e-300, 1e-30, 1e-3])
def test_temperature_to_zero_is_greedy_without_nan_or_warnings(tau):
    p = probabilities(LOGITS, tau)
    np.testing.assert_allclose(p, [1, 0, 0, 0, 0], atol=1e-12)
    assert sample(LOGITS, tau, rng=0) == greedy(LOGITS) == 0


def test_temperature_zero_splits_ties_evenly():
    np.testing.assert_allclose(probabilities([1.0, 3.0, 3.0], 0), [0, 0.5, 0.5])
    draws = sample(np.tile([1.0, 3.0, 3.0], (400, 1)), 0, rng=1)
    assert set(np.unique(draws)) == {1, 2}


@pytest.mark.parametrize("tau", [1e6, 1e300, np.inf])
def test_temperature_to_infinity_is_uniform_over_allowed_choices(tau):
    np.testing.assert_allclose(probabilities(LOGITS, tau), [0.25] * 4 + [0], atol=1e-5)
    assert probabilities(LOGITS, tau)[-1] == 0


def test_lower_temperature_is_sharper():
    entropy = lambda p: -np.sum(p[p > 0] * np.log(p[p > 0]))
    H = [entropy(probabilities(LOGITS, t)) for t in (0.25, 0.5, 1, 2, 4)]
    assert all(a < b for a, b in zip(H, H[1:]))


def test_samples_follow_the_probabilities_and_never_pick_a_forbidden_choice():
    rng = np.random.default_rng(2)
    n = 40_000
    draws = sample(np.tile(LOGITS, (n, 1)), 1.0, rng=rng)
    assert draws.shape == (n,) and draws.max() < 4
    freq = np.bincount(draws, minlength=5) / n
    p = probabilities(LOGITS)
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / n) + 1e-12)


def test_zero_probability_choices_at_either_end_are_never_drawn():
    z = np.array([-np.inf, 0.0, -np.inf])
    assert set(sample(np.tile(z, (500, 1)), 1.0, rng=3)) == {1}


def test_shapes_dtypes_and_reproducibility():
    z = np.random.default_rng(4).standard_normal((2, 3, 7)).astype(np.float32)
    assert probabilities(z, 0.7).dtype == np.float32
    ids = sample(z, 0.7, rng=5)
    assert ids.shape == (2, 3) and np.issubdtype(ids.dtype, np.integer)
    np.testing.assert_array_equal(ids, sample(z, 0.7, rng=5))          # a seed reproduces
    g = np.random.default_rng(6)
    many = [int(sample(LOGITS, 1.0, rng=g)) for _ in range(50)]
    assert len(set(many)) > 1                                          # one generator: new draws
    np.testing.assert_array_equal(greedy(z), z.argmax(axis=-1))
    assert np.ndim(sample(LOGITS, rng=0)) == 0


def test_unseeded_draws_come_from_nnlibs_shared_generator():
    from nnlib.init import seed
    seed(7)
    first = sample(np.zeros((200, 5)))
    assert len(set(first)) == 5                                        # fresh draws, every choice
    assert not np.array_equal(first, sample(np.zeros((200, 5))))
    seed(7)
    np.testing.assert_array_equal(sample(np.zeros((200, 5))), first)   # a seeded run reproduces


def test_bad_input_names_the_function_and_the_problem():
    for bad_tau in (-1, np.nan, "hot", None):
        with pytest.raises(ValueError, match=r"^sample: temperature must be a number >= 0"):
            sample(LOGITS, bad_tau, rng=0)
    with pytest.raises(ValueError, match=r"^probabilities: logits must be finite or -inf.*shape \(3,\)"):
        probabilities([1.0, np.nan, 0.0])
    with pytest.raises(ValueError, match=r"^greedy: logits must be finite or -inf"):
        greedy([np.inf, 0.0])
    with pytest.raises(ValueError, match=r"every choice is forbidden \(-inf\) in some row of logits \(2, 2\)"):
        sample([[0.0, 1.0], [-np.inf, -np.inf]], rng=0)
    with pytest.raises(ValueError, match=r"expected logits \(\.\.\., K\) with K >= 1 choices, got shape \(\)"):
        sample(3.0, rng=0)
