"""Sequential models and the training loop.

``Sequential([Dense(64, 32), ReLU(), Dense(32, 10)])`` chains layers: ``forward`` runs them in
order, ``backward`` runs their backward passes in reverse (the chain rule, one layer at a time).
It is itself a :class:`~nnlib.layers.base.Layer`, so it can be nested inside other models.

``fit`` is the loop every chapter has written by hand, made reusable::

    for each epoch:
        shuffle the training set
        for each mini-batch (X_b, y_b):
            y_hat = model.forward(X_b)           # predictions
            L = loss(y_hat, y_b)                 # how wrong
            model.backward(loss.backward())      # dL/dθ for every parameter
            optimizer.step()                     # θ ← θ − η · (something built from dL/dθ)
        evaluate on the validation set, record the history, maybe stop early

It prints and draws nothing. Whatever should happen at fixed points of the loop -- a progress
bar, a live loss plot (both in the book's toolkit, ``nnbook.training``), early stopping -- is a
:class:`Callback`.

Weights are saved as a plain ``.npz`` (NumPy arrays only, no pickle) with a signature of the
architecture, so loading into a different model fails with a message saying what differs.
"""
from __future__ import annotations

import math

import numpy as np

from . import losses
from .data import batches
from .layers.base import Layer
from .optimizers import clip_grad_norm

CLASSIFICATION_LOSSES = (losses.CrossEntropyLoss, losses.BCELoss, losses.BCEWithLogitsLoss,
                         losses.FocalLoss)


class Sequential(Layer):
    """A stack of layers applied one after another.

    Args:
        layers: a list of Layer objects; the output of each is the input of the next.

    It keeps no state of its own: each layer caches what its backward needs, so a backward
    before any forward raises the RuntimeError of the last layer, naming it.

    Shapes: whatever the first layer accepts -> whatever the last layer returns.
    """

    def __init__(self, layers):
        if isinstance(layers, Layer) or not isinstance(layers, (list, tuple)):
            raise TypeError("Sequential takes a list of layers, e.g. "
                            "Sequential([Dense(2, 8), ReLU(), Dense(8, 1)])")
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                hint = " (did you forget the parentheses, e.g. ReLU()?)" if isinstance(layer, type) else ""
                raise TypeError(f"Sequential: item {i} is {layer!r}, not a Layer{hint}")
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out):
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)
        return grad_out

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __repr__(self):
        inner = "".join(f"\n  {layer!r}," for layer in self.layers)
        return f"Sequential([{inner}\n])"

    # -- inspection -------------------------------------------------------------------------

    def summary(self, input_shape=None, dtype=np.float32) -> None:
        """Print one row per layer: its name, output shape and number of parameters.

        Args:
            input_shape: the shape of ONE example, e.g. ``(64,)`` or ``(1, 28, 28)``; when
                given, a dummy batch of zeros is passed through (in eval mode) to find each
                layer's output shape. Without it the shape column shows "?".
        """
        x = None if input_shape is None else np.zeros((2, *input_shape), dtype=dtype)
        rows = [("layer", "output shape", "parameters")]
        with _eval_mode(self):
            for i, layer in enumerate(self.layers):
                shape = "?"
                if x is not None:
                    x = layer.forward(x)
                    shape = "(" + ", ".join(["N", *map(str, x.shape[1:])]) + ")"
                count = sum(p.data.size for p in layer.parameters())
                rows.append((f"{i}: {layer!r}", shape, f"{count:,}"))
        total = sum(p.data.size for p in self.parameters())
        widths = [max(len(row[c]) for row in rows) for c in range(3)]
        line = "-" * (sum(widths) + 4)
        for j, row in enumerate(rows):
            print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}")
            if j == 0:
                print(line)
        print(line)
        print(f"total parameters: {total:,}")

    # -- training ---------------------------------------------------------------------------

    def fit(self, X, y, loss, optimizer, epochs: int = 10, batch_size: int = 32,
            validation_data=None, shuffle: bool = True, seed=0, metrics=None, scheduler=None,
            scheduler_interval: str = "batch", clip_norm: float | None = None,
            early_stopping=None, callbacks=()) -> "History":
        """Train with mini-batch gradient descent; return the per-epoch History.

        Args:
            X: inputs ``(N, ...)``; y: targets — ``(N,)`` integer class ids, ``(N, K)`` one-hot,
                or float targets shaped like the model's output (``(N,)`` works for ``(N, 1)``).
            loss: a loss object, e.g. ``CrossEntropyLoss()``; optimizer: e.g. ``Adam(model.parameters())``.
            validation_data: ``(X_val, y_val)``, evaluated after every epoch.
            shuffle: reshuffle the training set every epoch.
            seed: seeds the shuffling, so the same seed and the same initial model give the same
                run (layers with their own randomness, like Dropout, use their own ``rng``).
            metrics: names or functions ``f(y_hat, y) -> float``; default ``("accuracy",)``
                for classification (a classification loss or integer labels), else none.
            scheduler: a schedule from ``nnlib.schedules``, stepped after every batch
                (``scheduler_interval="batch"``, so count its steps in batches: e.g.
                ``OneCycleLR(opt, max_lr, total_steps=epochs * ceil(N / batch_size))``) or after
                every epoch (``scheduler_interval="epoch"``).
            clip_norm: if given, rescale the gradients before each step so their global norm is
                at most this (:func:`~nnlib.optimizers.clip_grad_norm`); tames exploding gradients.
            early_stopping: None, a patience (int), or an :class:`EarlyStopping`; watches
                ``val_loss`` and, by default, restores the best weights at the end.
            callbacks: :class:`Callback` objects called at fixed points of the loop, e.g. the
                book's ``nnbook.training.ProgressBar()`` and ``LivePlot()``.

        Returns:
            History: ``history["loss"]``, ``["val_loss"]``, ``["accuracy"]``, ``["val_accuracy"]``,
            ``["lr"]`` (at the start of the epoch), one value per epoch. Training loss and
            metrics are averages over the epoch's batches (the weights change during the epoch).

        Raises:
            FloatingPointError: the loss became NaN or inf (the message says what to try).
        """
        X, y = _check_data("fit", X, y)
        metrics = _metric_functions(metrics, loss, y)
        callbacks = _fit_callbacks(callbacks, early_stopping, validation_data, scheduler_interval)
        rng = np.random.default_rng(seed)
        history = History()
        for cb in callbacks:
            cb.on_fit_begin(self, history, epochs, steps_per_epoch=math.ceil(len(X) / batch_size))
        # The data needs no gradient, so the first layer skips dL/dX (PyTorch skips it too). A
        # diverging run raises FloatingPointError below, with advice, instead of overflow warnings.
        with _no_input_grad(self), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(epochs):
                self.train()
                lr, seen, sums = optimizer.lr, 0, dict.fromkeys(["loss", *metrics], 0.0)
                for X_b, y_b in batches(X, y, batch_size, shuffle, rng):    # shuffled, if asked
                    y_hat = self.forward(X_b)                                # predictions
                    y_b = _match_targets(y_hat, y_b)
                    batch_loss = loss(y_hat, y_b)                            # how wrong
                    _stop_if_not_finite(batch_loss, epoch, optimizer)
                    self.backward(loss.backward())                           # dL/dθ, every θ
                    if clip_norm is not None:
                        clip_grad_norm(self.parameters(), clip_norm)
                    optimizer.step()                                         # θ ← θ − ...
                    if scheduler is not None and scheduler_interval == "batch":
                        scheduler.step()
                    seen += len(X_b)
                    sums["loss"] += batch_loss * len(X_b)
                    for name, metric in metrics.items():
                        sums[name] += metric(y_hat, y_b) * len(X_b)
                    for cb in callbacks:
                        cb.on_batch_end(batch_loss)
                logs = {name: total / seen for name, total in sums.items()}   # epoch means
                if validation_data is not None:
                    val = self.evaluate(*validation_data, loss=loss, metrics=metrics)
                    logs.update({f"val_{name}": value for name, value in val.items()})
                logs["lr"] = lr
                history.append(logs)
                if scheduler is not None and scheduler_interval == "epoch":
                    scheduler.step()
                stop = [cb.on_epoch_end(epoch, logs) for cb in callbacks]   # ask every one
                if any(stop):
                    break
        for cb in callbacks:
            cb.on_fit_end()
        return history

    def evaluate(self, X, y, loss, metrics=None, batch_size: int = 256) -> dict:
        """Loss and metrics on ``(X, y)`` in eval mode: ``{"loss": ..., "accuracy": ...}``."""
        X, y = _check_data("evaluate", X, y)
        if not isinstance(metrics, dict):
            metrics = _metric_functions(metrics, loss, y)
        y_hat = self.predict(X, batch_size)
        y = _match_targets(y_hat, y)
        results = {"loss": float(loss(y_hat, y))}
        results.update({name: float(metric(y_hat, y)) for name, metric in metrics.items()})
        return results

    def predict(self, X, batch_size: int = 256) -> np.ndarray:
        """The model's outputs for ``X``, computed in eval mode, ``batch_size`` rows at a time.

        Eval mode matters: Dropout is switched off and BatchNorm uses its running statistics.
        The model's previous mode is restored afterwards.
        """
        with _eval_mode(self):
            outputs = [self.forward(X_b) for X_b in batches(X, None, batch_size, shuffle=False)]
        return np.concatenate(outputs)

    # -- saving -----------------------------------------------------------------------------

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Every array that defines the trained model, keyed ``"<layer>.<Type>.<k>.<name>"``.

        That is each Parameter, plus the running statistics layers keep outside their
        parameters (attributes whose name starts with ``running_``, e.g. BatchNorm's).
        """
        arrays = {}
        for i, layer in enumerate(self.layers):
            for k, (name, array) in enumerate(_layer_arrays(layer)):
                arrays[f"{i}.{type(layer).__name__}.{k}.{name}"] = array
        return arrays

    def architecture(self) -> list[str]:
        """One line per layer: its repr and the shapes of its arrays (what a weight file must match)."""
        lines = []
        for layer in self.layers:
            shapes = ", ".join(f"{name} {tuple(a.shape)}" for name, a in _layer_arrays(layer))
            lines.append(f"{layer!r}" + (f" [{shapes}]" if shapes else ""))
        return lines

    def save(self, path) -> None:
        """Write the weights to ``path`` (``.npz``): one array per parameter, plus the architecture.

        The file holds only numeric arrays and one array of strings, so it loads with
        ``np.load(path, allow_pickle=False)`` — loading it can never run code.
        """
        np.savez(path, __architecture__=np.array(self.architecture()), **self.state_arrays())

    def load_weights(self, path) -> "Sequential":
        """Copy weights saved by :meth:`save` into this model (which must have the same architecture).

        Raises:
            ValueError: naming the first difference, when the file was saved from another architecture.
        """
        with np.load(path, allow_pickle=False) as f:
            saved = [str(s) for s in f["__architecture__"]] if "__architecture__" in f else None
            arrays = {key: f[key] for key in f.files if key != "__architecture__"}
        if saved is None:
            raise ValueError(f"load_weights: {path} was not written by Sequential.save (no architecture)")
        _compare_architectures(saved, self.architecture(), path)
        for key, array in self.state_arrays().items():
            array[...] = arrays[key]          # in place: optimizers keep pointing at the same arrays
        return self


# ---------------------------------------------------------------------------------------------
# History, callbacks, early stopping
# ---------------------------------------------------------------------------------------------

class History(dict):
    """What ``fit`` returns: a dict of per-epoch lists, ``history["val_loss"][epoch]``.

    Attributes:
        best_epoch: the epoch (0-based) whose weights were restored by early stopping, else None.
    """

    best_epoch: int | None = None

    def append(self, logs: dict) -> None:
        for key, value in logs.items():
            self.setdefault(key, []).append(float(value))

    @property
    def epochs(self) -> int:
        return len(self.get("loss", []))


class Callback:
    """Code that ``fit`` runs at fixed points of its loop; override the methods you need.

    ``on_fit_begin`` hands over the model and the History that ``fit`` fills (keep them if you
    need them later); ``on_epoch_end`` gets that epoch's ``logs`` (``{"loss": ..., "val_loss":
    ..., "lr": ...}``) and returns True to stop training. The book's progress bar and live plot
    (``nnbook.training``) are callbacks; so is :class:`EarlyStopping`.
    """

    def on_fit_begin(self, model: Layer, history: History, epochs: int, steps_per_epoch: int) -> None:
        pass

    def on_batch_end(self, loss: float) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict) -> bool | None:
        pass

    def on_fit_end(self) -> None:
        pass


class EarlyStopping(Callback):
    """Stop training when the monitored value has not improved for ``patience`` epochs.

    "Improved" means lower than the best so far by more than ``min_delta``. With
    ``restore_best`` the model ends with the weights from its best epoch, not its last one
    — the epoch where, judged by validation data, it generalised best.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, restore_best: bool = True,
                 monitor: str = "val_loss"):
        if patience < 0 or min_delta < 0:
            raise ValueError(f"EarlyStopping: patience and min_delta must be >= 0, got {patience}, {min_delta}")
        self.patience, self.min_delta, self.restore_best, self.monitor = patience, min_delta, restore_best, monitor

    def on_fit_begin(self, model, history, epochs, steps_per_epoch):
        self.model, self.history = model, history
        self.best, self.best_epoch, self.best_weights, self.waited = np.inf, None, None, 0

    def on_epoch_end(self, epoch, logs) -> bool:
        """Record this epoch's value; return True when training should stop."""
        value = logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.waited = value, epoch, 0
            if self.restore_best:
                self.best_weights = [a.copy() for _, a in _layer_arrays(self.model)]
            return False
        self.waited += 1
        return self.waited >= self.patience

    def on_fit_end(self):
        """Put the best weights back (in place) and note the best epoch in the history."""
        self.history.best_epoch = self.best_epoch
        if self.restore_best and self.best_weights is not None:
            for (_, target), best in zip(_layer_arrays(self.model), self.best_weights):
                target[...] = best


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def accuracy(y_hat, y, threshold: float = 0.0) -> float:
    """Fraction of examples classified correctly.

    ``y_hat: (N, K)`` scores (K ≥ 2): the prediction is the arg-max, compared with integer
    ``y: (N,)`` or one-hot ``y: (N, K)``. ``y_hat: (N,)`` or ``(N, 1)`` (binary): predict 1
    when ``y_hat > threshold`` (0 for logits, 0.5 for probabilities).
    """
    y_hat, y = np.asarray(y_hat), np.asarray(y)
    if y_hat.ndim == 2 and y_hat.shape[1] > 1:
        predicted = y_hat.argmax(axis=1)
        true = y.argmax(axis=1) if y.ndim == 2 else y
    else:
        predicted = y_hat.reshape(len(y_hat)) > threshold
        true = y.reshape(len(y)) > 0.5
    return float(np.mean(predicted == true))


def _metric_functions(metrics, loss, y) -> dict:
    classification = isinstance(loss, CLASSIFICATION_LOSSES) or np.issubdtype(np.asarray(y).dtype, np.integer)
    if metrics is None:
        metrics = ("accuracy",) if classification else ()
    threshold = 0.5 if isinstance(loss, losses.BCELoss) else 0.0   # probabilities vs logits
    known = {"accuracy": lambda y_hat, y: accuracy(y_hat, y, threshold)}
    functions = {}
    for m in metrics:
        if callable(m):
            functions[m.__name__] = m
        elif m in known:
            functions[m] = known[m]
        else:
            raise ValueError(f"unknown metric {m!r}; use one of {sorted(known)} or a function f(y_hat, y)")
    return functions


def _fit_callbacks(callbacks, early_stopping, validation_data, scheduler_interval) -> list:
    """The callbacks ``fit`` runs: the given ones, plus early stopping (None, True, a patience,
    or an EarlyStopping), after checking what they need is there."""
    if scheduler_interval not in ("batch", "epoch"):
        raise ValueError(f"fit: scheduler_interval must be 'batch' or 'epoch', got {scheduler_interval!r}")
    if isinstance(callbacks, Callback):
        callbacks = [callbacks]
    callbacks = list(callbacks)
    if early_stopping is True:
        early_stopping = EarlyStopping()
    elif isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=early_stopping)
    if early_stopping:
        callbacks.append(early_stopping)
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"fit: callbacks must be Callback objects, got {cb!r}")
        if isinstance(cb, EarlyStopping) and cb.monitor.startswith("val_") and validation_data is None:
            raise ValueError(f"fit: early stopping watches {cb.monitor}; pass validation_data=(X_val, y_val)")
    return callbacks


def _check_data(who: str, X, y):
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"{who}: X has {len(X)} examples but y has {len(y)}")
    if np.issubdtype(X.dtype, np.floating) and not np.all(np.isfinite(X)):
        raise ValueError(f"{who}: X contains {np.sum(~np.isfinite(X))} NaN or inf values; "
                         "clean or impute them before training")
    return X, y


def _match_targets(y_hat, y):
    """Let float targets (N,) go with outputs (N, 1): the common regression/binary case."""
    if y_hat.ndim == 2 and y_hat.shape[1] == 1 and y.ndim == 1:
        return y.reshape(-1, 1)
    return y


def _stop_if_not_finite(value: float, epoch: int, optimizer) -> None:
    if not np.isfinite(value):
        raise FloatingPointError(
            f"fit: the loss became {value} in epoch {epoch + 1}: training diverged. Things to try: "
            f"(1) lower the learning rate (now {optimizer.lr:g}; try 10x smaller); "
            "(2) normalise the inputs (standardise features, scale pixels to [0, 1]) and check "
            "them and the targets for NaN or huge values; "
            "(3) clip gradients (fit(..., clip_norm=1.0)) or use a loss from logits "
            "(CrossEntropyLoss, BCEWithLogitsLoss) instead of taking log of probabilities.")


def _layer_arrays(layer: Layer) -> list[tuple[str, np.ndarray]]:
    """(name, array) for each Parameter of ``layer`` and each running statistic it keeps."""
    return [(p.name, p.data) for p in layer.parameters()] + _running_arrays(layer)


def _running_arrays(layer: Layer) -> list[tuple[str, np.ndarray]]:
    found = [(name, value) for name, value in vars(layer).items()
             if name.startswith("running_") and isinstance(value, np.ndarray)]
    for sub in layer.sublayers():
        found.extend(_running_arrays(sub))
    return found


def _compare_architectures(saved: list[str], mine: list[str], path) -> None:
    if len(saved) != len(mine):
        raise ValueError(f"load_weights: {path} holds {len(saved)} layers but this model has "
                         f"{len(mine)}.\n  file:  {' → '.join(saved)}\n  model: {' → '.join(mine)}")
    for i, (a, b) in enumerate(zip(saved, mine)):
        if a != b:
            raise ValueError(f"load_weights: layer {i} differs: the file has {a}, "
                             f"this model has {b}")


class _no_input_grad:
    """Context manager: the model's first layer skips dL/dx (``needs_input_grad``), then is restored.

    During ``fit`` nothing uses the gradient with respect to the data, and for a Dense first
    layer that product costs as much as its forward pass.
    """

    def __init__(self, model):
        layer = model.layers[0] if model.layers else None
        self.layer = layer if hasattr(layer, "needs_input_grad") else None

    def __enter__(self):
        if self.layer is not None:
            self.saved, self.layer.needs_input_grad = self.layer.needs_input_grad, False

    def __exit__(self, *exc):
        if self.layer is not None:
            self.layer.needs_input_grad = self.saved


class _eval_mode:
    """``with _eval_mode(model):`` — eval mode inside, the previous mode restored after."""

    def __init__(self, model: Layer):
        self.model, self.was_training = model, model.training

    def __enter__(self):
        self.model.eval()

    def __exit__(self, *exc):
        if self.was_training:
            self.model.train()


__all__ = ["Sequential", "History", "Callback", "EarlyStopping", "accuracy"]
