"""What the book shows while a model trains: a progress bar and a live loss plot.

Both are callbacks for nnlib's ``Sequential.fit``, which itself prints and draws nothing::

    from nnbook.training import LivePlot, ProgressBar, plot_history

    history = model.fit(X, y, loss, opt, epochs=10, validation_data=(X_val, y_val),
                        callbacks=[ProgressBar(), LivePlot()])
    plot_history(history)                 # the curves again, after training

* :class:`ProgressBar` -- tqdm's bar: a live widget in JupyterLab, a text bar in a terminal. When
  the book is built (``NNLIB_PROGRESS=text``, set by ``book/_ext/static_outputs.py``) it prints
  the bar once, in its final state, as one line of text: a static page cannot animate a widget,
  and the widget alone would add the 3.6 MB ipywidgets manager to the page.
* :class:`LivePlot` -- one loss figure, redrawn after every epoch (in place, in Jupyter).
* :func:`plot_history` -- loss (or any other) curves of a finished ``History``.
"""
from __future__ import annotations

import os
import time

from nnlib.model import Callback, History

PROGRESS_ENV = "NNLIB_PROGRESS"     # "text": print the final state of the bar as one line


class ProgressBar(Callback):
    """A tqdm progress bar over all batches of a ``fit``, with the latest epoch's loss and metrics.

    Args:
        text: print one final line instead of a live bar; default: when ``NNLIB_PROGRESS=text``.
    """

    def __init__(self, text: bool | None = None):
        self.text = text

    def on_fit_begin(self, model, history, epochs, steps_per_epoch):
        text = os.environ.get(PROGRESS_ENV) == "text" if self.text is None else self.text
        total = epochs * steps_per_epoch
        if text:
            self.bar = _FinalLineBar(total)
        else:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="batch", leave=True)

    def on_batch_end(self, loss):
        self.bar.update(1)

    def on_epoch_end(self, epoch, logs):
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items() if k != "lr"})

    def on_fit_end(self):
        self.bar.close()


class _FinalLineBar:
    """Counts like a tqdm bar; ``close()`` prints tqdm's own rendering of the final state."""

    def __init__(self, total: int):
        self.total, self.n, self.postfix = total, 0, ""
        self.start = time.perf_counter()

    def update(self, n: int = 1):
        self.n += n

    def set_postfix(self, values: dict):
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def close(self):
        from tqdm import tqdm

        elapsed = time.perf_counter() - self.start
        print(tqdm.format_meter(self.n, self.total, elapsed, unit="batch", postfix=self.postfix))


class LivePlot(Callback):
    """A loss curve redrawn after every epoch in ONE figure (updated in place in Jupyter).

    Args:
        keys: the History entries to draw, e.g. ``("loss", "val_loss")`` or ``("val_accuracy",)``.
    """

    def __init__(self, keys=("loss", "val_loss")):
        import matplotlib.pyplot as plt

        self.keys = keys
        self.fig, self.ax = plt.subplots(figsize=(6, 3.5))
        plt.close(self.fig)      # we display it ourselves; otherwise Jupyter shows a 2nd copy
        self.handle = None

    def on_fit_begin(self, model, history, epochs, steps_per_epoch):
        self.history = history

    def on_epoch_end(self, epoch, logs):
        self.update(self.history)

    def update(self, history: History) -> None:
        """Redraw the curves of ``history`` and show the figure (once; later calls update it)."""
        self.ax.clear()
        _draw_history(self.ax, history, self.keys)
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return
        if get_ipython() is None:            # a plain script: nothing to redraw into
            return
        if self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)


def plot_history(history: History, ax=None, keys=("loss", "val_loss")):
    """Plot the given History entries against the epoch number; returns the matplotlib Axes."""
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.figure(figsize=(6, 3.5)).gca()
    _draw_history(ax, history, keys)
    return ax


def _draw_history(ax, history, keys):
    from matplotlib.ticker import MaxNLocator

    for key in keys:
        if key in history:      # validation dashed: tells the curves apart without colour
            ax.plot(range(1, len(history[key]) + 1), history[key], marker=".", label=key,
                    linestyle="--" if key.startswith("val_") else "-")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss" if all("loss" in k for k in keys) else "value")
    ax.legend()


__all__ = ["ProgressBar", "LivePlot", "plot_history"]
