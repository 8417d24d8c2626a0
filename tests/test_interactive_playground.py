"""The 2-D classification playground: training works, snapshots replay it, the live view redraws."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnbook.interactive import PlaygroundGrid, frame_key, playground, static_playground
from nnbook.interactive.playground import RESOLUTION, Trainer, make_dataset

TINY = PlaygroundGrid(datasets=("xor",), hidden=((4,),), activations=("tanh",), lrs=(0.03, 0.3),
                      epochs=40, snapshot_every=20)


@pytest.mark.parametrize("name", ["xor", "circles", "moons", "spirals", "blobs"])
def test_datasets_are_standardized_2d(name):
    X, y = make_dataset(name)
    assert X.shape == (200, 2) and y.shape == (200,)
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-12)


def test_unknown_choices_are_refused():
    with pytest.raises(ValueError, match="unknown data set 'iris'"):
        make_dataset("iris")
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Trainer("xor", (4,), "swish", 0.1)


def test_a_hidden_layer_learns_xor_and_a_linear_boundary_cannot():
    deep = Trainer("xor", (8, 8), "tanh", 0.3)
    deep.train(300)
    loss, acc = deep.loss_and_accuracy()
    assert acc >= 0.95 and loss < 0.2
    boundary = deep.boundary_rgb()
    assert boundary.shape == (RESOLUTION, RESOLUTION, 3) and 0 <= boundary.min() and boundary.max() <= 1


def test_static_playground_has_a_frame_per_choice_and_snapshot_replaying_training():
    fig = static_playground(TINY, dpi=30)
    frames = fig.frames
    assert len(frames.index) == 2 * 3  # two learning rates × epochs 0, 20, 40
    key = lambda lr, epoch: frame_key(fig.controls, dict(dataset="xor", hidden=(4,), activation="tanh",
                                                          lr=lr, epoch=epoch))
    # Epoch 0 is the same untrained network for both learning rates: stored once.
    assert frames.index[key(0.03, 0)] == frames.index[key(0.3, 0)]
    assert len({frames.index[key(0.3, e)] for e in (0, 20, 40)}) == 3
    # The snapshot at epoch 40 is what a fresh run trained 40 epochs draws.
    expected = fig.renderer.png(dict(dataset="xor", hidden=(4,), activation="tanh", lr=0.3, epoch=40), compact=True)
    assert frames.pngs[frames.index[key(0.3, 40)]] == expected
    assert 'aria-label="Play epoch"' in fig.to_html()


def test_default_playground_fits_the_page_budget_by_frame_count():
    fig = static_playground()
    assert len(fig.controls) == 5 and fig.max_bytes == 1_500_000
    n = np.prod([len(c.values()) for c in fig.controls.values()])
    assert n <= fig.max_frames


def test_live_playground_trains_on_ticks_and_redraws_one_figure(monkeypatch):
    monkeypatch.delenv("NNLIB_INTERACTIVE", raising=False)
    before = plt.get_fignums()
    pg = playground(TINY, dataset="xor", epochs_per_tick=3, dpi=30)
    bundle = pg._repr_mimebundle_()
    assert "text/html" in bundle and "application/vnd.jupyter.widget-view+json" in bundle
    first = pg._image.value
    pg._play.value = 2                      # two ticks of the Play widget
    assert pg.trainer.epoch == 6 and pg._image.value != first
    pg._play.value = 0                      # ■ rewinds: a fresh network
    assert pg.trainer.epoch == 0 and pg._image.value == first
    pg._menus["lr"].value = 0.3             # a new choice restarts training with it
    assert pg.trainer.lr == 0.3 and pg.trainer.epoch == 0
    assert plt.get_fignums() == before
    with pytest.raises(ValueError, match="unknown choice"):
        pg.choose(depth=3)


def test_fast_training_redraw_equals_a_full_redraw():
    pg = playground(TINY, dataset="xor", dpi=30)
    pg.render()
    fast = pg.step(7)                 # swaps the background and the title only
    assert pg.trainer.epoch == 7
    assert fast == pg.render(full=True)
