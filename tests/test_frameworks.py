"""Chapter 16's claim, as a test: the same network from the same weights trains identically in
nnlib, PyTorch and Keras; and a reader without the frameworks gets the chapter's recorded output,
labelled, with no error."""
from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
keras = pytest.importorskip("keras")

from nnlib.layers import Dense, ReLU  # noqa: E402
from nnlib.losses import CrossEntropyLoss  # noqa: E402
from nnlib.model import Sequential  # noqa: E402
from nnlib.optimizers import SGD  # noqa: E402

BOOK = pathlib.Path(__file__).resolve().parent.parent / "book"


def test_nnlib_pytorch_and_keras_train_the_same_network_identically():
    rng = np.random.default_rng(0)
    X = rng.random((200, 16), dtype=np.float32)
    y = rng.integers(0, 4, 200)
    model = Sequential([Dense(16, 8, rng=0), ReLU(), Dense(8, 4, rng=1)])
    (W1, b1), (W2, b2) = [(model.layers[k].W.data.copy(), model.layers[k].b.data.copy()) for k in (0, 2)]
    loss_fn, opt = CrossEntropyLoss(), SGD(model.parameters(), lr=0.5)
    ours = []
    for _ in range(10):
        ours.append(float(loss_fn(model(X), y)))
        model.backward(loss_fn.backward())
        opt.step()

    # float32 explicitly: another test in the same process may have changed torch's default dtype
    net = torch.nn.Sequential(torch.nn.Linear(16, 8, dtype=torch.float32), torch.nn.ReLU(),
                              torch.nn.Linear(8, 4, dtype=torch.float32))
    with torch.no_grad():
        for layer, W, b in [(net[0], W1, b1), (net[2], W2, b2)]:
            layer.weight.copy_(torch.from_numpy(W.T))
            layer.bias.copy_(torch.from_numpy(b))
    topt = torch.optim.SGD(net.parameters(), lr=0.5)
    theirs = []
    for _ in range(10):
        topt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(y))
        loss.backward()
        topt.step()
        theirs.append(loss.item())

    knet = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(4)])
    knet.layers[0].set_weights([W1, b1])
    knet.layers[1].set_weights([W2, b2])
    knet.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5),
                 loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    kloss = [float(knet.train_on_batch(X, y)) for _ in range(10)]

    assert ours[-1] < ours[0] - 0.1                      # it learns
    assert np.allclose(theirs, ours, atol=1e-5) and np.allclose(kloss, ours, atol=1e-5)


def test_without_the_frameworks_the_chapter_shows_labelled_recorded_output(monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(BOOK / "ch16_frameworks.ipynb", as_version=4)
    monkeypatch.setenv("NNBOOK_NO_FRAMEWORKS", "1")
    NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(BOOK)}}).execute()
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []) if o.get("output_type") == "stream")
    assert "frameworks installed: False" in text
    assert text.count("[recorded output: PyTorch and Keras are not installed here; "
                      "`pip install -r requirements-frameworks.txt` makes this cell live]") == 5
    assert "PyTorch: loss 2.4104" in text and "Keras:   loss 2.4104" in text
