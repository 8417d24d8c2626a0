"""A 2-D classification playground (in the spirit of TensorFlow Playground), built on nnlib.

Pick a data set, the hidden layers, the activation and the learning rate, and watch the decision
boundary of a small multilayer perceptron move as it trains:

    from nnbook.interactive import playground
    playground()                     # live in JupyterLab; precomputed snapshots in the HTML book

* **Live (JupyterLab):** a ▶ Train / ⏸ Pause / ■ Reset control (an ``ipywidgets.Play``), a
  "Step" button and the four choices. Each tick of the Play widget trains a few epochs and
  redraws one reused figure — no background thread, so the kernel stays responsive.
* **Static book:** every combination of a small grid of choices is trained in advance and
  snapshotted at a few epochs; an epoch slider (with ▶) replays the training.

The network is ``Dense → activation → ... → Dense`` trained full-batch with softmax
cross-entropy and SGD with momentum — the same pieces the chapters build.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import to_rgb

from nnlib import data as datasets
from nnlib.activations import softmax
from nnlib.layers.activation import ReLU, Sigmoid, Tanh
from nnlib.layers.dense import Dense
from nnlib.losses import CrossEntropyLoss, cross_entropy
from nnlib.optimizers import SGD
from ..plotting import CLASS_COLORS, MARKERS
from .controls import Dropdown, Slider
from .frames import FigureRenderer
from .figure import MODE_ENV, InteractiveFigure, _screen_reader_only, interactive_figure

ACTIVATIONS = {"tanh": Tanh, "relu": ReLU, "sigmoid": Sigmoid}
RESOLUTION = 60          # the decision boundary is evaluated on a 60×60 grid (3,600 points)
FIGSIZE = (3.6, 3.4)     # small on purpose: the static book stores one PNG per snapshot


def make_dataset(name: str, n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """One of the toy sets from :mod:`nnlib.data`, standardized (mean 0, std 1 per feature).

    Returns ``X: (n, 2)`` float64 and ``y: (n,)`` int class ids.
    """
    makers = {
        "xor": lambda: datasets.xor(n, noise=0.2, seed=seed),
        "circles": lambda: datasets.circles(n, noise=0.1, factor=0.5, seed=seed),
        "moons": lambda: datasets.moons(n, noise=0.15, seed=seed),
        "spirals": lambda: datasets.spirals(n // 2, classes=2, noise=0.15, seed=seed),
        "blobs": lambda: datasets.blobs(n, centers=3, std=1.2, seed=seed),
    }
    if name not in makers:
        raise ValueError(f"playground: unknown data set {name!r}; choose one of {sorted(makers)}")
    X, y = makers[name]()
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    return X.astype(np.float64), np.asarray(y, dtype=int)


class MLP:
    """A tiny multilayer perceptron: ``Dense(2→h₁) → φ → ... → Dense(→K)`` giving logits (N, K)."""

    def __init__(self, hidden: tuple[int, ...], activation: str, n_classes: int, seed: int = 0):
        if activation not in ACTIVATIONS:
            raise ValueError(f"playground: unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        rng = np.random.default_rng(seed)
        init = "he" if activation == "relu" else "xavier"
        self.layers, d_in = [], 2
        for h in hidden:
            self.layers += [Dense(d_in, h, init=init, rng=rng, dtype=np.float64), ACTIVATIONS[activation]()]
            d_in = h
        self.layers.append(Dense(d_in, n_classes, init="xavier", rng=rng, dtype=np.float64))

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def forward(self, X: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            X = layer(X)
        return X

    def backward(self, grad_out: np.ndarray) -> None:
        for layer in reversed(self.layers):
            grad_out = layer.backward(grad_out)


class Trainer:
    """One network on one data set: ``train(epochs)``, and the quantities the figure shows."""

    def __init__(self, dataset: str, hidden, activation: str, lr: float, seed: int = 0):
        self.dataset, self.hidden, self.activation, self.lr = dataset, tuple(hidden), activation, lr
        self.X, self.y = make_dataset(dataset, seed=seed)
        self.n_classes = int(self.y.max()) + 1
        self.model = MLP(self.hidden, activation, self.n_classes, seed=seed)
        self.optimizer = SGD(self.model.parameters(), lr=lr, momentum=0.9)
        self.loss_fn = CrossEntropyLoss()
        self.epoch = 0
        lo, hi = self.X.min(axis=0) - 0.5, self.X.max(axis=0) + 0.5
        self.extent = (lo[0], hi[0], lo[1], hi[1])
        xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], RESOLUTION), np.linspace(lo[1], hi[1], RESOLUTION))
        self.grid = np.column_stack([xx.ravel(), yy.ravel()])

    def train(self, epochs: int) -> float:
        """Full-batch gradient steps; returns the loss before the last step."""
        loss = float("nan")
        for _ in range(epochs):
            loss = self.loss_fn(self.model.forward(self.X), self.y)
            self.model.backward(self.loss_fn.backward())
            self.optimizer.step()
            self.epoch += 1
        return loss

    def loss_and_accuracy(self) -> tuple[float, float]:
        logits = self.model.forward(self.X)
        return float(cross_entropy(logits, self.y)), float((logits.argmax(axis=1) == self.y).mean())

    def boundary_rgb(self) -> np.ndarray:
        """(RESOLUTION, RESOLUTION, 3) colours: each class's colour, washed out where unsure."""
        p = softmax(self.model.forward(self.grid))        # class probabilities, (3600, K)
        colors = np.array([to_rgb(c) for c in CLASS_COLORS[:self.n_classes]])
        pale = 0.45 * colors + 0.55                      # light tints keep the data points visible
        rgb = p @ pale
        # Where the network hesitates between classes, fade towards white.
        confidence = (p.max(axis=1, keepdims=True) - 1 / self.n_classes) * self.n_classes / (self.n_classes - 1)
        rgb = 1 - (1 - rgb) * (0.25 + 0.75 * confidence)
        return np.clip(rgb, 0, 1).reshape(RESOLUTION, RESOLUTION, 3)


def status(trainer: Trainer) -> str:
    loss, acc = trainer.loss_and_accuracy()
    return f"epoch {trainer.epoch}  loss {loss:.3f}  accuracy {acc:.0%}"


def draw_state(ax, trainer: Trainer) -> None:
    """Draw the decision regions, the data and a one-line status (epoch, loss, accuracy)."""
    ax.imshow(trainer.boundary_rgb(), origin="lower", extent=trainer.extent, interpolation="bilinear",
              aspect="auto")
    for k in range(trainer.n_classes):
        pts = trainer.X[trainer.y == k]
        ax.scatter(pts[:, 0], pts[:, 1], s=10, c=CLASS_COLORS[k], marker=MARKERS[k], linewidths=0)
    ax.set_title(status(trainer), fontsize=10)
    ax.set_xlabel("$x_1$ (standardized)", fontsize=10)
    ax.set_ylabel("$x_2$ (standardized)", fontsize=10)
    ax.tick_params(labelsize=8)
    ax.set_xlim(trainer.extent[:2])
    ax.set_ylim(trainer.extent[2:])


class BoundaryRenderer(FigureRenderer):
    """Draws a :class:`Trainer`'s state; between two states on the same data set it only swaps the
    background image and the title (the points, axes and ticks are unchanged): ~2× faster.

    The result is the same PNG a full redraw gives (the tests check it).
    """

    def __init__(self, *, figsize=FIGSIZE, dpi: int = 80):
        super().__init__(lambda ax, trainer: draw_state(ax, trainer), figsize=figsize, dpi=dpi)
        self._drawn = None   # (data set, extent) of the scene on the canvas

    def state_png(self, trainer: Trainer, compact: bool = False, full: bool = False) -> bytes:
        scene = (trainer.dataset, trainer.extent)
        axes = self.figure.axes
        if full or scene != self._drawn or len(axes) != 1 or not axes[0].images:
            self._drawn = scene
            return self.png({"trainer": trainer}, compact)
        axes[0].images[0].set_data(trainer.boundary_rgb())
        axes[0].title.set_text(status(trainer))
        return self.encode(compact)


# ---- the static book: snapshots of a small grid of runs ---------------------------------------
@dataclass(frozen=True)
class PlaygroundGrid:
    """The choices offered by the playground (the static book trains every combination)."""

    datasets: tuple = ("xor", "circles", "moons", "spirals")
    hidden: tuple = ((3,), (8, 8))
    activations: tuple = ("tanh", "relu")
    lrs: tuple = (0.03, 0.3)
    epochs: int = 300          # length of each run
    snapshot_every: int = 75   # epochs between frames (epochs/snapshot_every + 1 frames per run)


def _hidden_label(hidden) -> str:
    return " + ".join(str(h) for h in hidden) + (" unit" if hidden == (1,) else " units")


def static_playground(grid: PlaygroundGrid = PlaygroundGrid(), *, seed: int = 0, dpi: int = 72) -> InteractiveFigure:
    """The playground as an :func:`interactive_figure` over precomputed training snapshots."""
    cache: dict = {}

    def snapshot(dataset, hidden, activation, lr, epoch):
        key = (dataset, hidden, activation, lr)
        if key not in cache:  # train the run once and keep the weights at every snapshot
            trainer = Trainer(dataset, hidden, activation, lr, seed=seed)
            states = {0: [p.data.copy() for p in trainer.model.parameters()]}
            while trainer.epoch < grid.epochs:
                trainer.train(grid.snapshot_every)
                states[trainer.epoch] = [p.data.copy() for p in trainer.model.parameters()]
            cache[key] = (trainer, states)
        trainer, states = cache[key]
        for p, saved in zip(trainer.model.parameters(), states[epoch]):
            p.data[...] = saved
        trainer.epoch = epoch
        return trainer

    def draw(ax, dataset, hidden, activation, lr, epoch):
        draw_state(ax, snapshot(dataset, hidden, activation, lr, epoch))

    fig = interactive_figure(
        draw, figsize=FIGSIZE, dpi=dpi, name="Neural network playground",
        alt="Decision regions of a small neural network on a 2-D data set; the data points are "
            "coloured by class and the background by the class the network predicts",
        dataset=Dropdown(list(grid.datasets), label="data set"),
        hidden=Dropdown([(_hidden_label(h), tuple(h)) for h in grid.hidden], label="hidden layers"),
        activation=Dropdown(list(grid.activations), label="activation"),
        lr=Dropdown([(str(lr), lr) for lr in grid.lrs], label="learning rate η"),
        # Start at the end of training, so a new choice shows its outcome at once; ▶ replays from 0.
        epoch=Slider(0, grid.epochs, grid.snapshot_every, value=grid.epochs, label="epoch", animate=True),
    )
    # Frames come in product order (epoch fastest), so consecutive frames share a data set and
    # only the background and title need redrawing.
    fig.renderer = _ValuesRenderer(BoundaryRenderer(dpi=dpi), snapshot)
    return fig


class _ValuesRenderer:
    """Adapts a BoundaryRenderer to the ``png(values, compact)`` interface of interactive figures."""

    def __init__(self, renderer: BoundaryRenderer, snapshot):
        self.renderer, self.snapshot = renderer, snapshot
        self.pixel_size = renderer.pixel_size
        self.figure = renderer.figure

    def png(self, values, compact: bool = False) -> bytes:
        return self.renderer.state_png(self.snapshot(**values), compact)


# ---- the live playground ------------------------------------------------------------------------
class Playground:
    """Live playground: train in JupyterLab; falls back to the static snapshots in the HTML book.

    Attributes:
        trainer: the current run (rebuilt whenever a choice changes or Reset is pressed).
        epochs_per_tick: epochs trained per tick of the Play widget.
    """

    def __init__(self, grid: PlaygroundGrid = PlaygroundGrid(), *, dataset=None, hidden=None,
                 activation=None, lr=None, epochs_per_tick: int = 5, interval_ms: int = 150,
                 seed: int = 0, dpi: int = 80):
        self.grid, self.seed, self.dpi = grid, seed, dpi
        self.epochs_per_tick, self.interval_ms = epochs_per_tick, interval_ms
        self.choice = {
            "dataset": dataset or grid.datasets[0],
            "hidden": tuple(hidden or grid.hidden[-1]),
            "activation": activation or grid.activations[0],
            "lr": lr or grid.lrs[0],
        }
        self.renderer = BoundaryRenderer(dpi=dpi)
        self.reset()
        self._widget = self._image = None
        self._static = None

    def reset(self) -> None:
        """A fresh network (same seed) for the current choices."""
        c = self.choice
        self.trainer = Trainer(c["dataset"], c["hidden"], c["activation"], c["lr"], seed=self.seed)

    def render(self, full: bool = True) -> bytes:
        """Redraw the current state into the one reused figure; returns PNG bytes.

        ``full=False`` (during training: same data, new weights) only swaps the background image
        and the title of the existing plot, about twice as fast as drawing it from scratch.
        """
        png = self.renderer.state_png(self.trainer, full=full)
        if self._image is not None:
            self._image.value = png
        return png

    def step(self, epochs: int | None = None) -> bytes:
        """Train ``epochs`` (default: one tick's worth) and redraw."""
        self.trainer.train(self.epochs_per_tick if epochs is None else epochs)
        return self.render(full=False)

    def choose(self, **choice) -> bytes:
        """Change data set / hidden / activation / lr (restarts training) and redraw."""
        unknown = set(choice) - set(self.choice)
        if unknown:
            raise ValueError(f"playground: unknown choice {sorted(unknown)}; choices are {list(self.choice)}")
        self.choice.update(choice)
        self.reset()
        return self.render()

    @property
    def widget(self):
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    def _build_widget(self):
        import ipywidgets as w

        g, style = self.grid, {"description_width": "7em"}
        self._menus = {
            "dataset": w.Dropdown(options=list(g.datasets), value=self.choice["dataset"], description="data set", style=style),
            "hidden": w.Dropdown(options=[(_hidden_label(h), tuple(h)) for h in g.hidden], value=self.choice["hidden"],
                                 description="hidden layers", style=style),
            "activation": w.Dropdown(options=list(g.activations), value=self.choice["activation"],
                                     description="activation", style=style),
            "lr": w.Dropdown(options=[(str(lr), lr) for lr in sorted(set(g.lrs) | {self.choice["lr"]})],
                             value=self.choice["lr"], description="learning rate η", style=style),
        }
        for name, menu in self._menus.items():
            menu.observe(lambda change, name=name: self.choose(**{name: change["new"]}), names="value")
        # The Play widget is the training loop: its frontend timer ticks, each tick trains a few
        # epochs here in the kernel. ■ (stop) rewinds the counter to 0, which we treat as Reset.
        self._play = w.Play(value=0, min=0, max=100_000, step=1, interval=self.interval_ms,
                            description="Train")
        self._play.observe(self._on_tick, names="value")
        step = w.Button(description="Step", tooltip=f"Train {self.epochs_per_tick} epochs")
        step.on_click(lambda _: self.step())
        reset = w.Button(description="Reset", tooltip="New network, same choices")
        reset.on_click(lambda _: (self.reset(), self.render()))
        width, height = (int(round(s * self.dpi)) for s in FIGSIZE)
        self._image = w.Image(value=self.render(), format="png",
                              layout=w.Layout(width=f"{width}px", height=f"{height}px"))
        alt = w.HTML(_screen_reader_only("Decision regions of the network as it trains; "
                                         "the title shows the epoch, loss and accuracy"))
        return w.HBox([w.VBox(list(self._menus.values()) + [w.HBox([self._play, step, reset])]),
                       w.VBox([self._image, alt])])

    def _on_tick(self, change):
        ticks = change["new"] - change["old"]
        if change["new"] == 0:
            self.reset()
            self.render()
        elif ticks > 0:  # after a lag several ticks arrive as one jump: train them all, draw once
            self.step(ticks * self.epochs_per_tick)

    @property
    def static(self) -> InteractiveFigure:
        if self._static is None:
            self._static = static_playground(self.grid, seed=self.seed)
        return self._static

    def _repr_mimebundle_(self, include=None, exclude=None):
        mode = os.environ.get(MODE_ENV, "both").strip().lower()
        data = {"text/plain": "<nnlib playground>"}
        if mode in ("both", "static"):
            data["text/html"] = self.static.to_html()
        if mode in ("both", "live"):
            data.update({k: v for k, v in self.widget._repr_mimebundle_().items() if k != "text/plain"})
        return data


def playground(grid: PlaygroundGrid = PlaygroundGrid(), **choices) -> Playground:
    """A TensorFlow-Playground-style classifier: live in JupyterLab, replayable in the HTML book.

    Args:
        grid: the choices offered (data sets, hidden layers, activations, learning rates, and for
            the static book the run length and snapshot spacing).
        **choices: initial ``dataset``, ``hidden``, ``activation``, ``lr``; and ``epochs_per_tick``,
            ``interval_ms``, ``seed``, ``dpi`` of the live view.
    """
    return Playground(grid, **choices)
