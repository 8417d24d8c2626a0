"""Interactive figures that work live in JupyterLab *and* in the static HTML book.

A chapter writes one plotting function and names its controls::

    import numpy as np
    from nnbook.interactive import interactive_figure, Slider, Dropdown

    x = np.linspace(-4, 4, 200)

    def draw(ax, w, b, act):
        z = w * x + b
        ax.plot(x, 1 / (1 + np.exp(-z)) if act == "sigmoid" else np.maximum(z, 0))
        ax.set_xlabel("input x")
        ax.set_ylabel("activation")
        ax.set_ylim(-0.1, 4)

    interactive_figure(draw, alt="Output of one neuron as its weight and bias change",
                       w=Slider(-3, 3, 0.5, value=1.0, label="weight w"),
                       b=Slider(-2, 2, 1, value=0, label="bias b"),
                       act=Dropdown(["sigmoid", "relu"], label="activation"))

* In JupyterLab the sliders are ipywidgets and the kernel redraws one reused figure per change.
* In the HTML book every combination was drawn in advance (here 13 × 5 × 2 = 130 PNG frames of
  ~5 kB, identical ones stored once) and a few lines of inline JavaScript swap them — no kernel,
  no network. Too many combinations (> 400 frames or > 1.5 MB) raise a ValueError naming the
  control to coarsen.
* An animation is a ``Slider(0, n_epochs, 1, animate=True)`` over a precomputed history.
* ``name=`` is the figure's accessible name; ``describe=`` (a function of the same values as
  ``draw``) says in one sentence what the frame shows; it is shown under the figure and announced
  to screen readers as it changes (default: the frame's titles).
* A control that acts only for some values of another says so: ``Slider(..., only_when=
  {"activation": ["ELU"]})`` is disabled, with the reason, in every other state (both views), and
  costs no extra frames there. ``Slider.of([0, 0.01, 0.1, 1])`` lists uneven values.

For the HTML book to show the frames rather than the (dead) widget, the Jupyter Book
``_config.yml`` prefers ``text/html`` for the html builder::

    sphinx:
      config:
        nb_mime_priority_overrides:
          - ["html", "text/html", 5]

Set the environment variable ``NNLIB_INTERACTIVE=static`` (or ``live``) to emit only one view.

``playground()`` is a TensorFlow-Playground-style 2-D classifier built on nnlib.
"""
from .controls import Dropdown, Slider, frame_key, grid_values, index_of, n_combinations
from .figure import InteractiveFigure, interactive_figure
from .frames import DPI, MAX_BYTES, MAX_FRAMES, FigureRenderer, Frames, render_frames
from .html import static_html
from .playground import Playground, PlaygroundGrid, playground, static_playground

__all__ = [
    "interactive_figure", "InteractiveFigure", "Slider", "Dropdown", "grid_values", "frame_key",
    "index_of", "n_combinations", "render_frames", "Frames", "FigureRenderer", "static_html",
    "DPI", "MAX_FRAMES", "MAX_BYTES", "playground", "Playground", "PlaygroundGrid", "static_playground",
]
