import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from nnbook.plotting import CLASS_COLORS, decision_grid, plot_2d_data, plot_decision_boundary, predicted_classes


def test_decision_grid_covers_data_with_margin():
    X = np.array([[0.0, 0.0], [1.0, 2.0]])
    xx, yy, pts = decision_grid(X, resolution=5, margin=0.5)
    assert xx.shape == yy.shape == (5, 5) and pts.shape == (25, 2)
    assert pts[:, 0].min() == -0.5 and pts[:, 0].max() == 1.5
    assert pts[:, 1].min() == -0.5 and pts[:, 1].max() == 2.5


@pytest.mark.parametrize("out, expected", [
    (np.array([0, 2, 1]), [0, 2, 1]),                                 # class ids
    (np.array([True, False, True]), [1, 0, 1]),                        # booleans
    (np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), [1, 0, 1]),     # scores → argmax
    (np.array([0.2, 0.5, 0.9]), [0, 1, 1]),                            # probabilities ≥ 0.5
    (np.array([[0.2], [0.7], [0.4]]), [0, 1, 0]),                      # (M, 1) probabilities
])
def test_predicted_classes(out, expected):
    assert predicted_classes(out).tolist() == expected


def test_decision_boundary_draws_regions_and_points():
    X = np.array([[-1.0, 0.0], [1.0, 0.0]])
    y = np.array([0, 1])
    fig, ax = plt.subplots()
    plot_decision_boundary(ax, lambda p: (p[:, 0] > 0).astype(int), X, y, resolution=11)
    assert len(ax.collections) == 3  # shaded regions + one scatter per class
    assert ax.get_xlim() == (-1.5, 1.5)
    plt.close(fig)


def test_plot_2d_data_rejects_wrong_shapes():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=r"expected X \(N, 2\)"):
        plot_2d_data(ax, np.zeros((4, 3)), np.zeros(4))
    plt.close(fig)


def test_palette_is_distinct():
    assert len(set(CLASS_COLORS)) == len(CLASS_COLORS)
