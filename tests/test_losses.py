"""nnlib.losses: values and gradients vs PyTorch, gradient checks, stability, bad input."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nnlib import losses as L
from nnlib.gradcheck import check_loss

PROPS = settings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def data():
    r = np.random.default_rng(1)
    return {
        "reg_hat": r.normal(size=(6, 3)) * 2,
        "reg_y": r.normal(size=(6, 3)),
        "logits": r.normal(size=(6, 3)) * 3,
        "binary": (r.random((6, 3)) > 0.5).astype(float),
        "soft": r.random((6, 3)),
        "probs": r.uniform(0.05, 0.95, size=(6, 3)),
        "labels": np.array([0, 2, 1, 1, 0, 2]),
    }


def _torch_focal(torch, z, y, gamma, alpha):
    """torchvision.ops.sigmoid_focal_loss, written out by hand, mean reduction."""
    p = torch.sigmoid(z)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = (alpha * y + (1 - alpha) * (1 - y)) * loss
    return loss.mean()


def _cases(torch):
    F = torch.nn.functional
    return [
        # (nnlib value fn, nnlib grad fn, prediction key, target key, torch loss)
        (L.mse, L.mse_grad, "reg_hat", "reg_y", F.mse_loss),
        (L.mae, L.mae_grad, "reg_hat", "reg_y", F.l1_loss),
        (lambda a, b: L.huber(a, b, 0.7), lambda a, b: L.huber_grad(a, b, 0.7), "reg_hat", "reg_y",
         lambda a, b: F.huber_loss(a, b, delta=0.7)),
        (L.binary_cross_entropy, L.binary_cross_entropy_grad, "probs", "soft",
         F.binary_cross_entropy),
        (L.binary_cross_entropy_with_logits, L.binary_cross_entropy_with_logits_grad, "logits",
         "soft", F.binary_cross_entropy_with_logits),
        (L.cross_entropy, L.cross_entropy_grad, "logits", "labels", F.cross_entropy),
        (L.cross_entropy, L.cross_entropy_grad, "logits", "soft", F.cross_entropy),
        (L.focal_loss, L.focal_loss_grad, "logits", "binary",
         lambda a, b: _torch_focal(torch, a, b, 2.0, None)),
        (lambda a, b: L.focal_loss(a, b, 1.5, 0.25), lambda a, b: L.focal_loss_grad(a, b, 1.5, 0.25),
         "logits", "binary", lambda a, b: _torch_focal(torch, a, b, 1.5, 0.25)),
        (lambda a, b: L.focal_loss(a, b, 0.5, 0.8), lambda a, b: L.focal_loss_grad(a, b, 0.5, 0.8),
         "logits", "soft", lambda a, b: _torch_focal(torch, a, b, 0.5, 0.8)),
    ]


CASE_IDS = ["mse", "mae", "huber", "bce", "bce_logits", "ce_labels", "ce_soft", "focal",
            "focal_alpha", "focal_soft_gamma_half"]


@pytest.mark.parametrize("i", range(len(CASE_IDS)), ids=CASE_IDS)
def test_value_and_gradient_match_torch(torch, data, i):
    fn, grad_fn, pk, yk, torch_fn = _cases(torch)[i]
    y_hat, y = data[pk], data[yk]
    yh_t = torch.tensor(y_hat, requires_grad=True)
    loss_t = torch_fn(yh_t, torch.tensor(y))
    loss_t.backward()
    assert fn(y_hat, y) == pytest.approx(loss_t.item(), rel=1e-12)
    np.testing.assert_allclose(grad_fn(y_hat, y), yh_t.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_cross_entropy_sequence_matches_torch(torch):
    # nnlib: classes last, (N, T, K); PyTorch wants (N, K, T).
    r = np.random.default_rng(2)
    z, y = r.normal(size=(2, 5, 4)), r.integers(0, 4, size=(2, 5))
    zt = torch.tensor(z, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(zt.permute(0, 2, 1), torch.tensor(y))
    loss.backward()
    assert L.cross_entropy(z, y) == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(L.cross_entropy_grad(z, y), zt.grad.numpy(), rtol=1e-10)


LOSS_OBJECTS = [
    (L.MSELoss(), "reg_hat", "reg_y"), (L.MAELoss(), "reg_hat", "reg_y"),
    (L.HuberLoss(0.5), "reg_hat", "reg_y"), (L.BCELoss(), "probs", "binary"),
    (L.BCEWithLogitsLoss(), "logits", "soft"), (L.CrossEntropyLoss(), "logits", "labels"),
    (L.CrossEntropyLoss(), "logits", "soft"), (L.FocalLoss(2.0, 0.25), "logits", "binary"),
    (L.FocalLoss(0.5), "logits", "soft"),
]


@pytest.mark.parametrize("loss,pk,yk", LOSS_OBJECTS, ids=[f"{c[0]!r}-{c[2]}" for c in LOSS_OBJECTS])
def test_every_loss_passes_gradient_check(data, loss, pk, yk, capsys):
    y_hat = data[pk]
    if pk == "reg_hat":
        # keep |y_hat - y| off MAE's kink at 0 and Huber's kinks at ±delta
        d = y_hat - data[yk]
        y_hat = np.where(np.abs(np.abs(d) - 0.5) < 0.05, y_hat + 0.2, y_hat)
    result = check_loss(loss, y_hat, data[yk])
    assert result.max_error < 1e-6
    assert "y_hat" in capsys.readouterr().out


def test_loss_objects_agree_with_functions(data):
    loss = L.CrossEntropyLoss()
    value = loss(data["logits"], data["labels"])
    assert isinstance(value, float)
    assert value == L.cross_entropy(data["logits"], data["labels"])
    np.testing.assert_array_equal(loss.backward(), L.cross_entropy_grad(data["logits"], data["labels"]))
    with pytest.raises(RuntimeError, match="before forward"):
        L.MSELoss().backward()


def test_check_loss_accepts_functions_by_their_grad_twin(data):
    assert check_loss(L.mse, data["reg_hat"], data["reg_y"], verbose=False).passed


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    z = np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0]])
    y = np.array([0, 2])
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    onehot = np.eye(3)[y]
    np.testing.assert_allclose(L.cross_entropy_grad(z, y), (p - onehot) / 2, rtol=1e-13)
    np.testing.assert_allclose(L.cross_entropy(z, y), -np.log(p[[0, 1], y]).mean(), rtol=1e-13)
    assert L.cross_entropy(z, onehot) == pytest.approx(L.cross_entropy(z, y), rel=1e-14)


def test_focal_with_gamma_zero_is_bce_with_logits(data):
    z, y = data["logits"], data["binary"]
    assert L.focal_loss(z, y, gamma=0.0) == pytest.approx(L.binary_cross_entropy_with_logits(z, y))
    np.testing.assert_allclose(L.focal_loss_grad(z, y, gamma=0.0),
                               L.binary_cross_entropy_with_logits_grad(z, y), rtol=1e-12)


def test_focal_down_weights_easy_examples():
    # an easy example (confidently right) loses far more of its loss than a hard one
    easy, hard = np.array([4.0]), np.array([-1.0])
    y = np.array([1.0])
    ratio_easy = L.focal_loss(easy, y) / L.binary_cross_entropy_with_logits(easy, y)
    ratio_hard = L.focal_loss(hard, y) / L.binary_cross_entropy_with_logits(hard, y)
    assert ratio_easy < 1e-3 < 0.5 < ratio_hard


# --- stability ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_are_finite_without_warnings(dtype):
    z = np.array([[-1e4, 0.0, 1e4], [1e4, -1e4, 3.0]], dtype=dtype)
    yb = np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]], dtype=dtype)
    labels = np.array([0, 1])
    for value, grad in [
        (L.binary_cross_entropy_with_logits(z, yb), L.binary_cross_entropy_with_logits_grad(z, yb)),
        (L.cross_entropy(z, labels), L.cross_entropy_grad(z, labels)),
        (L.focal_loss(z, yb), L.focal_loss_grad(z, yb)),
        (L.focal_loss(z, yb, gamma=0.5), L.focal_loss_grad(z, yb, gamma=0.5)),
        (L.mse(z, yb), L.mse_grad(z, yb)),
        (L.huber(z, yb), L.huber_grad(z, yb)),
    ]:
        assert np.isfinite(value)
        assert np.all(np.isfinite(grad)) and grad.dtype == dtype
    # confidently wrong costs exactly |z| (no clipping): 3 such elements, plus log 2 for z = 0
    # and softplus(3) for z = 3, y = 0
    expected = (3e4 + np.log(2) + 3 + np.log1p(np.exp(-3.0))) / 6
    assert L.binary_cross_entropy_with_logits(z, yb) == pytest.approx(expected, rel=1e-6)


def test_bce_on_probabilities_clips_zero_and_one():
    p = np.array([0.0, 1.0, 0.0, 1.0])
    y = np.array([0.0, 1.0, 1.0, 0.0])
    value = L.binary_cross_entropy(p, y)
    assert np.isfinite(value) and value == pytest.approx(-np.log(1e-7) / 2, rel=1e-6)
    assert np.all(np.isfinite(L.binary_cross_entropy_grad(p, y)))


@PROPS
@given(z=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)),
                    elements=st.floats(-1e4, 1e4)), seed=st.integers(0, 1000))
def test_cross_entropy_nonnegative_and_gradient_rows_sum_to_zero(z, seed):
    y = np.random.default_rng(seed).integers(0, z.shape[1], size=z.shape[0])
    assert L.cross_entropy(z, y) >= 0
    g = L.cross_entropy_grad(z, y)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g.sum(axis=1), 0, atol=1e-12)


# --- bad input ------------------------------------------------------------------------

def test_cross_entropy_label_count_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"cross_entropy: logits \(32, 10\) and labels \(31,\) disagree on N"):
        L.cross_entropy(np.zeros((32, 10)), np.zeros(31, dtype=int))


def test_cross_entropy_rejects_bad_labels():
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\]"):
        L.cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="must be integers.*astype"):
        L.cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"logits must be \(N, K\)"):
        L.cross_entropy(np.zeros(3), np.array([0]))
    with pytest.raises(ValueError, match=r"empty logits \(0, 3\)"):
        L.cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match="mse: got empty arrays"):
        L.mse(np.zeros(0), np.zeros(0))


def test_regression_losses_refuse_to_broadcast():
    with pytest.raises(ValueError, match=r"mse: y_hat \(32, 1\) and y \(32,\) have different shapes.*reshape"):
        L.mse(np.zeros((32, 1)), np.zeros(32))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: logits \(4,\) and y \(5,\)"):
        L.BCEWithLogitsLoss()(np.zeros(4), np.zeros(5))


@pytest.mark.parametrize("make", [
    lambda: L.HuberLoss(-1.0), lambda: L.HuberLoss(0.0), lambda: L.FocalLoss(gamma=-1.0),
    lambda: L.FocalLoss(alpha=1.5), lambda: L.huber(np.zeros(2), np.zeros(2), delta=-0.1),
])
def test_invalid_hyperparameters_raise(make):
    with pytest.raises(ValueError, match="delta|gamma|alpha"):
        make()
