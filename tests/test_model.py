"""Sequential and its training loop: PyTorch parity, history, early stopping, NaN, save/load."""
import numpy as np
import pytest

from nnlib.data import blobs
from nnlib.layers.activation import ReLU, Sigmoid, Tanh
from nnlib.layers.base import Layer
from nnlib.layers.dense import Dense
from nnlib.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss
from nnlib.model import Callback, EarlyStopping, History, Sequential, accuracy
from nnlib.optimizers import SGD, Adam
from nnlib.schedules import ExponentialLR, StepLR


def mlp(seed=0, hidden=16, dtype=np.float64):
    return Sequential([Dense(2, hidden, rng=seed, dtype=dtype), ReLU(),
                       Dense(hidden, 3, rng=seed + 1, dtype=dtype)])


@pytest.fixture
def three_blobs():
    X, y = blobs(240, centers=3, std=1.5, seed=3)
    return X[:180], y[:180], X[180:], y[180:]


class ModeSpy(Layer):
    """Doubles its input in train mode, identity in eval mode; keeps a running statistic."""

    def __init__(self, n=3):
        self.running_mean = np.arange(n, dtype=float)

    def forward(self, x):
        return 2 * x if self.training else x

    def backward(self, grad_out):
        return 2 * grad_out if self.training else grad_out


# ---- Sequential itself -----------------------------------------------------------------------

def test_forward_and_backward_chain_the_layers(rng):
    model = mlp()
    x, g = rng.normal(size=(5, 2)), rng.normal(size=(5, 3))
    a, b, c = model.layers
    np.testing.assert_array_equal(model(x), c(b(a(x))))
    dx = model.backward(g)
    np.testing.assert_array_equal(dx, a.backward(b.backward(c.backward(g))))
    assert len(model.parameters()) == 4 and len(model) == 3 and model[0] is a


def test_sequential_rejects_non_layers():
    with pytest.raises(TypeError, match="list of layers"):
        Sequential(Dense(2, 3))
    with pytest.raises(TypeError, match="forget the parentheses"):
        Sequential([Dense(2, 3), ReLU])


def test_summary(capsys):
    mlp().summary(input_shape=(2,))
    out = capsys.readouterr().out
    assert "Dense(2→16)" in out and "(N, 16)" in out and "(N, 3)" in out
    assert "total parameters: 99" in out          # 2·16+16 + 16·3+3
    mlp().summary()
    assert "?" in capsys.readouterr().out


def test_train_eval_reach_every_layer_and_predict_uses_eval_mode():
    spy = ModeSpy()
    model = Sequential([spy])
    x = np.ones((4, 3))
    np.testing.assert_array_equal(model(x), 2 * x)              # train mode by default
    np.testing.assert_array_equal(model.predict(x), x)          # eval inside predict
    assert spy.training                                          # ... and restored after
    model.eval()
    assert not spy.training


# ---- fit: correctness against a hand-written PyTorch loop ------------------------------------

@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_fit_matches_a_pytorch_training_loop(torch, three_blobs, momentum):
    X, y, _, _ = three_blobs
    model = mlp()
    t_model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    with torch.no_grad():
        for t_layer, layer in ((t_model[0], model[0]), (t_model[2], model[2])):
            t_layer.weight.copy_(torch.tensor(layer.W.data.T))
            t_layer.bias.copy_(torch.tensor(layer.b.data))
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.05, momentum=momentum)
    for _ in range(3):
        for start in range(0, len(X), 32):
            t_opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(t_model(torch.tensor(X[start:start + 32])),
                                                     torch.tensor(y[start:start + 32]))
            loss.backward()
            t_opt.step()
    history = model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05, momentum=momentum),
                        epochs=3, batch_size=32, shuffle=False)
    np.testing.assert_allclose(model[0].W.data, t_model[0].weight.detach().numpy().T, atol=1e-10)
    np.testing.assert_allclose(model[2].b.data, t_model[2].bias.detach().numpy(), atol=1e-10)
    assert history["loss"][-1] < history["loss"][0]


# ---- fit: history, reproducibility, schedules, regression -------------------------------------

def test_history_keys_and_lengths(three_blobs):
    X, y, Xv, yv = three_blobs
    model = mlp()
    h = model.fit(X, y, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), epochs=4,
                  validation_data=(Xv, yv))
    assert isinstance(h, History) and h.epochs == 4
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 4 for v in h.values())
    assert h["accuracy"][-1] > 0.8 and h["val_accuracy"][-1] > 0.8
    final = model.evaluate(Xv, yv, CrossEntropyLoss())
    assert final == pytest.approx({"loss": h["val_loss"][-1], "accuracy": h["val_accuracy"][-1]})


def test_same_seed_same_history_other_seed_other_history(three_blobs):
    X, y, Xv, yv = three_blobs

    def run(seed):
        model = mlp()
        h = model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.05, momentum=0.9),
                      epochs=3, batch_size=16, validation_data=(Xv, yv), seed=seed)
        return h, model[0].W.data

    (h1, W1), (h2, W2), (h3, _) = run(0), run(0), run(1)
    assert h1 == h2
    np.testing.assert_array_equal(W1, W2)
    assert h1["loss"] != h3["loss"]


@pytest.mark.parametrize("interval, expected_steps", [("batch", 3 * 6), ("epoch", 3)])
def test_scheduler_is_stepped_per_batch_or_per_epoch(three_blobs, interval, expected_steps):
    X, y, _, _ = three_blobs
    model = mlp()
    opt = SGD(model.parameters(), lr=0.1)
    sched = ExponentialLR(opt, gamma=0.9)
    h = model.fit(X, y, CrossEntropyLoss(), opt, epochs=3, batch_size=32, scheduler=sched,
                  scheduler_interval=interval)
    assert sched.t == expected_steps                   # 180 examples / 32 = 6 batches
    per_epoch = expected_steps // 3
    # history["lr"] is the rate at the start of each epoch
    np.testing.assert_allclose(h["lr"], [0.1 * 0.9 ** (per_epoch * e) for e in range(3)])


def test_scheduler_interval_is_validated(three_blobs):
    X, y, _, _ = three_blobs
    model = mlp()
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="scheduler_interval"):
        model.fit(X, y, CrossEntropyLoss(), opt, scheduler=StepLR(opt, 2), scheduler_interval="step")


def test_clip_norm_limits_every_step(three_blobs):
    X, y, _, _ = three_blobs
    norms = []

    class Recorder(SGD):
        def step(self):
            norms.append(np.sqrt(sum(np.sum(p.grad**2) for p in self.params)))
            super().step()

    model = mlp()
    model.fit(X * 50, y, CrossEntropyLoss(), Recorder(model.parameters(), lr=0.01), epochs=2,
              clip_norm=0.5)
    assert max(norms) <= 0.5 + 1e-9
    norms.clear()
    model = mlp()
    model.fit(X * 50, y, CrossEntropyLoss(), Recorder(model.parameters(), lr=0.01), epochs=2)
    assert max(norms) > 0.5                           # without clipping the gradients are larger


def test_regression_with_flat_float_targets():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(200, 1))
    y = np.sin(3 * X[:, 0])                         # (N,), model outputs (N, 1)
    model = Sequential([Dense(1, 32, rng=0, dtype=np.float64), Tanh(), Dense(32, 1, rng=1, dtype=np.float64)])
    h = model.fit(X, y, MSELoss(), Adam(model.parameters(), lr=0.01), epochs=60)
    assert set(h) == {"loss", "lr"}                  # no accuracy for regression
    assert h["loss"][-1] < 0.05 < h["loss"][0]
    assert model.predict(X).shape == (200, 1)


def test_accuracy_metric():
    assert accuracy(np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]]), np.array([0, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([[1, 0], [1, 0]])) == 0.5
    assert accuracy(np.array([[-1.0], [2.0]]), np.array([0, 1])) == 1.0              # logits
    assert accuracy(np.array([0.4, 0.6]), np.array([0, 1]), threshold=0.5) == 1.0    # probabilities


def test_binary_classification_reports_accuracy_with_the_right_threshold():
    """Logits are thresholded at 0, probabilities (after a Sigmoid, with BCELoss) at 0.5."""
    X, y = blobs(100, centers=2, std=0.5, seed=0)
    for loss, head in ((BCEWithLogitsLoss(), []), (BCELoss(), [Sigmoid()])):
        model = Sequential([Dense(2, 1, rng=0, dtype=np.float64), *head])
        h = model.fit(X, y.astype(float), loss, Adam(model.parameters(), lr=0.05), epochs=30)
        assert h["accuracy"][-1] > 0.95, type(loss).__name__


# ---- fit: failures explained ------------------------------------------------------------------

def test_nan_loss_stops_fit_with_advice():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)) * 100
    y = rng.normal(size=(64, 1)) * 100
    model = Sequential([Dense(4, 16, rng=0, dtype=np.float64), ReLU(), Dense(16, 1, rng=1, dtype=np.float64)])
    with pytest.raises(FloatingPointError) as err:
        model.fit(X, y, MSELoss(), SGD(model.parameters(), lr=10.0), epochs=50)
    message = str(err.value)
    assert "lower the learning rate" in message and "now 10" in message
    assert "normalise the inputs" in message and "clip_norm" in message


def test_nan_inputs_are_refused_before_training(three_blobs):
    X, y, _, _ = three_blobs
    X = X.copy()
    X[3, 1] = np.nan
    model = mlp()
    with pytest.raises(ValueError, match="1 NaN or inf"):
        model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="180 examples but y has 179"):
        model.fit(X, y[:-1], CrossEntropyLoss(), SGD(model.parameters(), lr=0.1))


# ---- early stopping -----------------------------------------------------------------------------

@pytest.mark.parametrize("restore_best", [True, False])
def test_early_stopping_restores_the_best_weights(three_blobs, restore_best):
    X, y, Xv, yv = three_blobs
    yv_wrong = (yv + 1) % 3          # validation labels that disagree: val loss rises as we learn
    model = mlp()
    stopper = EarlyStopping(patience=2, restore_best=restore_best)
    h = model.fit(X, y, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), epochs=30,
                  validation_data=(Xv, yv_wrong), early_stopping=stopper)
    best = int(np.argmin(h["val_loss"]))
    assert h.best_epoch == best
    assert h.epochs == best + 2 + 1 < 30                     # stopped after `patience` bad epochs
    assert h["val_loss"][-1] > h["val_loss"][best]
    now = model.evaluate(Xv, yv_wrong, CrossEntropyLoss())["loss"]
    expected = h["val_loss"][best] if restore_best else h["val_loss"][-1]
    assert now == pytest.approx(expected, rel=1e-12)


def test_early_stopping_accepts_a_patience_and_needs_validation_data(three_blobs):
    X, y, Xv, yv = three_blobs
    model = mlp()
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), early_stopping=3)
    h = model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=5,
                  validation_data=(Xv, (yv + 1) % 3), early_stopping=1)
    assert h.epochs < 5
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)


def test_early_stopping_restores_running_statistics(three_blobs):
    X, y, Xv, yv = three_blobs
    spy = ModeSpy(3)
    model = Sequential([*mlp().layers, spy])

    stopper = EarlyStopping(patience=1)
    opt = Adam(model.parameters(), lr=0.01)
    original = spy.running_mean.copy()

    def drift(y_hat, y):   # a "metric" that bumps the statistic on each of 6 batches + 1 validation
        spy.running_mean += 1
        return 0.0

    h = model.fit(X, y, CrossEntropyLoss(), opt, epochs=20, validation_data=(Xv, (yv + 1) % 3),
                  early_stopping=stopper, metrics=[drift])
    batches_until_best = (h.best_epoch + 1) * 7
    np.testing.assert_array_equal(spy.running_mean, original + batches_until_best)


# ---- save / load --------------------------------------------------------------------------------

def test_save_load_round_trip(tmp_path, three_blobs):
    X, y, Xv, _ = three_blobs
    model = Sequential([*mlp().layers, ModeSpy(3)])
    model.fit(X, y, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), epochs=2)
    model[-1].running_mean[:] = [7.0, 8.0, 9.0]
    path = tmp_path / "weights.npz"
    model.save(path)
    fresh = Sequential([*mlp(seed=5).layers, ModeSpy(3)])
    assert not np.allclose(fresh.predict(Xv), model.predict(Xv))
    W_before = fresh[0].W.data
    fresh.load_weights(path)
    np.testing.assert_array_equal(fresh.predict(Xv), model.predict(Xv))
    np.testing.assert_array_equal(fresh[-1].running_mean, [7.0, 8.0, 9.0])
    assert fresh[0].W.data is W_before            # loaded in place: an optimizer still sees it


def test_saved_file_is_plain_arrays(tmp_path):
    path = tmp_path / "w.npz"
    mlp().save(path)
    with np.load(path, allow_pickle=False) as f:
        assert "0.Dense.0.W" in f.files and "2.Dense.1.b" in f.files
        assert all(f[k].dtype != object for k in f.files)
        assert list(f["__architecture__"])[0] == "Dense(2→16) [W (2, 16), b (16,)]"


def test_loading_into_another_architecture_says_what_differs(tmp_path):
    path = tmp_path / "w.npz"
    mlp(hidden=16).save(path)
    with pytest.raises(ValueError, match=r"layer 0 differs: the file has Dense\(2→16\).*model has Dense\(2→8\)"):
        mlp(hidden=8).load_weights(path)
    deeper = Sequential([Dense(2, 16), ReLU(), Dense(16, 16), ReLU(), Dense(16, 3)])
    with pytest.raises(ValueError, match="holds 3 layers but this model has 5"):
        deeper.load_weights(path)
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ValueError, match="not written by Sequential.save"):
        mlp().load_weights(tmp_path / "other.npz")


def test_save_load_with_batchnorm_and_dropout(tmp_path, three_blobs):
    """BatchNorm's running statistics travel with the weights; Dropout is off in predict."""
    from nnlib.layers import BatchNorm, Dropout

    def build(seed):
        return Sequential([Dense(2, 16, rng=seed), BatchNorm(16), ReLU(), Dropout(0.5, rng=seed),
                           Dense(16, 3, rng=seed + 1)])

    X, y, Xv, _ = three_blobs
    model = build(0)
    model.fit(X, y, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), epochs=3)
    np.testing.assert_array_equal(model.predict(Xv), model.predict(Xv))     # deterministic in eval
    model.save(tmp_path / "bn.npz")
    fresh = build(7).load_weights(tmp_path / "bn.npz")
    np.testing.assert_array_equal(fresh[1].running_var, model[1].running_var)
    assert not np.allclose(model[1].running_var, 1.0)
    np.testing.assert_array_equal(fresh.predict(Xv), model.predict(Xv))


def test_fit_skips_the_data_gradient_and_restores_the_flag():
    from nnlib.layers import Dense, ReLU
    from nnlib.losses import CrossEntropyLoss
    from nnlib.model import Sequential
    from nnlib.optimizers import SGD

    model = Sequential([Dense(4, 8, rng=0), ReLU(), Dense(8, 3, rng=1)])
    seen = []
    original = model.layers[0].backward

    def spy(grad_out):
        seen.append(model.layers[0].needs_input_grad)
        return original(grad_out)

    model.layers[0].backward = spy
    X = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
    y = np.arange(20) % 3
    model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=1, batch_size=10)
    assert seen == [False, False]                 # skipped during training ...
    assert model.layers[0].needs_input_grad is True  # ... and restored afterwards


# ---- callbacks ------------------------------------------------------------------------------------

class CallRecorder(Callback):
    """Writes down every call fit makes, in order."""

    def __init__(self, stop_after=None):
        self.calls, self.stop_after = [], stop_after

    def on_fit_begin(self, model, history, epochs, steps_per_epoch):
        self.model, self.history = model, history
        self.calls.append(("begin", epochs, steps_per_epoch))

    def on_batch_end(self, loss):
        assert np.isfinite(loss)
        self.calls.append("batch")

    def on_epoch_end(self, epoch, logs):
        self.calls.append(("epoch", epoch, sorted(logs)))
        return self.stop_after is not None and epoch + 1 >= self.stop_after

    def on_fit_end(self):
        self.calls.append("end")


def test_fit_calls_its_callbacks_in_loop_order(three_blobs):
    X, y, Xv, yv = three_blobs
    model, rec = mlp(), CallRecorder()
    h = model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=2,
                  batch_size=50, validation_data=(Xv, yv), callbacks=[rec])
    keys = ["accuracy", "loss", "lr", "val_accuracy", "val_loss"]
    assert rec.calls == [("begin", 2, 4), *["batch"] * 4, ("epoch", 0, keys),
                         *["batch"] * 4, ("epoch", 1, keys), "end"]
    assert rec.model is model and rec.history is h


def test_a_callback_can_stop_training_and_every_callback_still_hears_each_epoch(three_blobs):
    X, y, _, _ = three_blobs
    model, stopper, other = mlp(), CallRecorder(stop_after=2), CallRecorder()
    h = model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=10,
                  callbacks=[stopper, other])
    assert h.epochs == 2
    assert [c for c in other.calls if c[0] == "epoch"] == [c for c in stopper.calls if c[0] == "epoch"]
    assert other.calls[-1] == "end"


def test_early_stopping_is_a_callback_too(three_blobs):
    X, y, Xv, yv = three_blobs
    runs = []
    for how in ("argument", "callback"):
        model = mlp()
        stopper = EarlyStopping(patience=2)
        kwargs = {"early_stopping": stopper} if how == "argument" else {"callbacks": [stopper]}
        h = model.fit(X, y, CrossEntropyLoss(), Adam(model.parameters(), lr=0.01), epochs=30,
                      validation_data=(Xv, (yv + 1) % 3), **kwargs)
        runs.append((h["val_loss"], h.best_epoch, model[0].W.data.copy()))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1] is not None
    np.testing.assert_array_equal(runs[0][2], runs[1][2])
    with pytest.raises(ValueError, match="validation_data"):
        mlp().fit(X, y, CrossEntropyLoss(), SGD(mlp().parameters(), lr=0.1), callbacks=[EarlyStopping()])


def test_fit_rejects_what_is_not_a_callback(three_blobs):
    X, y, _, _ = three_blobs
    model = mlp()
    with pytest.raises(TypeError, match="Callback"):
        model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), callbacks=[print])


def test_fit_prints_nothing(three_blobs, capsys):
    X, y, Xv, yv = three_blobs
    model = mlp()
    model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=2,
              validation_data=(Xv, yv), early_stopping=3)
    assert capsys.readouterr() == ("", "")
