"""nnbook.training: the progress bar and live plot the book attaches to ``Sequential.fit``."""
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from nnbook.training import LivePlot, ProgressBar, plot_history  # noqa: E402
from nnlib.data import blobs  # noqa: E402
from nnlib.layers import Dense, ReLU  # noqa: E402
from nnlib.losses import CrossEntropyLoss, MSELoss  # noqa: E402
from nnlib.model import History, Sequential  # noqa: E402
from nnlib.optimizers import SGD  # noqa: E402


@pytest.fixture
def three_blobs():
    X, y = blobs(240, centers=3, std=1.5, seed=3)
    return X[:180], y[:180], X[180:], y[180:]


def mlp():
    return Sequential([Dense(2, 16, rng=0, dtype=np.float64), ReLU(), Dense(16, 3, rng=1, dtype=np.float64)])


def test_progress_bar_counts_every_batch_and_shows_the_loss(three_blobs, capsys, monkeypatch):
    monkeypatch.delenv("NNLIB_PROGRESS", raising=False)
    X, y, _, _ = three_blobs
    model = mlp()
    model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=2,
              callbacks=[ProgressBar()])
    err = capsys.readouterr().err
    assert "12/12" in err and "batch" in err and "loss=" in err and "accuracy=" in err
    model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=2)
    assert capsys.readouterr() == ("", "")          # without callbacks fit prints nothing


def test_progress_text_mode_prints_one_final_tqdm_line(monkeypatch, capsys):
    # The book build sets NNLIB_PROGRESS=text: a static page gets the bar's final state as text.
    monkeypatch.setenv("NNLIB_PROGRESS", "text")
    model = Sequential([Dense(3, 1, rng=0)])
    X = np.ones((12, 3), dtype=np.float32)
    y = np.zeros((12, 1), dtype=np.float32)
    bar = ProgressBar()
    for _ in range(2):                               # one bar object, reused for a second fit
        model.fit(X, y, MSELoss(), SGD(model.parameters(), lr=0.01), epochs=2, batch_size=4,
                  callbacks=[bar])
        captured = capsys.readouterr()
        lines = captured.out.strip().splitlines()
        assert len(lines) == 1 and captured.err == "", captured
        assert lines[0].startswith("100%|") and "6/6" in lines[0] and "loss=" in lines[0]


def test_progress_bar_stops_where_early_stopping_stops(three_blobs, capsys):
    X, y, Xv, yv = three_blobs
    model = mlp()
    h = model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=20,
                  validation_data=(Xv, (yv + 1) % 3), early_stopping=1,
                  callbacks=[ProgressBar(text=True)])
    assert h.epochs < 20
    assert f"{6 * h.epochs}/120" in capsys.readouterr().out


def test_live_plot_draws_in_one_figure_without_leaking_figures(three_blobs):
    X, y, Xv, yv = three_blobs
    before = plt.get_fignums()
    model = mlp()
    plot = LivePlot()
    model.fit(X, y, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), epochs=3,
              validation_data=(Xv, yv), callbacks=[plot])
    assert plt.get_fignums() == before
    lines = plot.ax.get_lines()
    assert [line.get_label() for line in lines] == ["loss", "val_loss"]      # redrawn, not stacked
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    plot = LivePlot()
    h = History()
    for loss in (1.0, 0.5, 0.25):
        h.append({"loss": loss, "val_loss": 2 * loss})
        plot.update(h)
    lines = plot.ax.get_lines()
    assert [line.get_label() for line in lines] == ["loss", "val_loss"]
    np.testing.assert_array_equal(lines[1].get_ydata(), [2.0, 1.0, 0.5])


def test_plot_history():
    h = History()
    for loss in (3.0, 2.0, 1.5):
        h.append({"loss": loss, "val_loss": loss + 1, "accuracy": 0.5})
    ax = plot_history(h)
    assert [line.get_label() for line in ax.get_lines()] == ["loss", "val_loss"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    assert ax.get_lines()[1].get_linestyle() == "--"
    plt.close(ax.figure)
    ax = plot_history(h, keys=("accuracy",))
    assert ax.get_ylabel() == "value"
    plt.close(ax.figure)
