"""Drawing a figure to PNG bytes, once (the live path) or for every combination (the static book).

Both paths use one persistent :class:`matplotlib.figure.Figure` that is *not* registered with
pyplot: it is cleared and redrawn on every change, so no figure ever piles up in
``plt.get_fignums()`` and nothing is shown twice by the inline backend.
"""
from __future__ import annotations

import hashlib
import io
import itertools
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from ._agg import make_canvas
from .controls import Control, is_active, n_combinations

MAX_FRAMES = 400               # frames per figure in the static book
MAX_BYTES = 1_500_000          # base64 payload per figure (a page stays < 5 MB with 3 such figures)
DPI = 80                       # 6×4 in → 480×320 px: sharp enough in a book column, a few kB per frame


class FigureRenderer:
    """Calls ``draw(ax, **values)`` on fresh axes of one reused figure and returns PNG bytes.

    Args:
        draw: ``draw(ax_or_axes, **values)``; gets one Axes, or an array of them when ``ncols > 1``.
        figsize: (width, height) in inches, the same for every frame so the image never jumps.
        ncols: number of side-by-side axes.
        dpi: pixels per inch of the PNG.
        constants: extra keyword arguments passed to ``draw`` unchanged (e.g. a data set).
    """

    def __init__(self, draw: Callable, *, figsize=(6, 4), ncols: int = 1, dpi: int = DPI,
                 constants: Mapping[str, Any] | None = None):
        if ncols < 1:
            raise ValueError(f"interactive_figure: ncols must be ≥ 1, got {ncols}")
        self.draw, self.ncols, self.dpi = draw, ncols, dpi
        self.constants = dict(constants or {})
        # constrained layout keeps axis labels inside the fixed-size image.
        self.figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        self.canvas = make_canvas(self.figure)  # Agg, with each glyph rasterized once (see _agg.py)
        self._positions = None  # axes positions found by the first frame's layout

    @property
    def pixel_size(self) -> tuple[int, int]:
        w, h = self.figure.get_size_inches()
        return int(round(w * self.dpi)), int(round(h * self.dpi))

    def png(self, values: Mapping[str, Any], compact: bool = False) -> bytes:
        """PNG bytes of the figure drawn for ``values`` (deterministic: same values → same bytes).

        ``compact=True`` (used for the book's frames) reduces the image to a 256-colour palette:
        3–4× smaller, and a plot's flat colours and anti-aliased edges look the same.
        """
        fig = self.figure
        # Figure.clear() would first clear every Axes (rebuilding their ticks, spines, ...) only
        # to throw them away: detach them instead, then clear what is left.
        for ax in list(fig.axes):
            fig.delaxes(ax)
        fig.clear()
        axes = fig.subplots(1, self.ncols, squeeze=True)
        self.draw(axes, **values, **self.constants)
        # Lay the axes out once (constrained layout, on the first frame) and then keep them
        # where they are: the plot no longer jumps when tick labels change width, and every
        # later frame is ~40% faster to draw.
        if self._positions is not None and len(fig.axes) == len(self._positions):
            fig.set_layout_engine("none")
            for ax, position in zip(fig.axes, self._positions):
                ax.set_position(position)
        else:
            fig.set_layout_engine("constrained")
        png = self.encode(compact)
        if self._positions is None:
            self._positions = [ax.get_position() for ax in fig.axes]
        return png

    def encode(self, compact: bool = False) -> bytes:
        """Render the figure as it is now to PNG bytes (used directly to redraw changed artists)."""
        # Draw straight onto the Agg canvas and encode the pixels ourselves: this skips
        # savefig's bookkeeping, and a fast zlib level keeps live updates quick (the bytes
        # only travel to the browser on this machine; compact frames are squeezed hard instead).
        self.canvas.draw()
        image = Image.fromarray(np.asarray(self.canvas.buffer_rgba()))  # (H, W, 4) uint8 → RGBA
        if compact:
            return _palette_png(image)
        buf = io.BytesIO()
        image.save(buf, format="PNG", compress_level=1)
        return buf.getvalue()


def _palette_png(image: Image.Image) -> bytes:
    """Encode an image with at most 256 colours (no dithering: dithering noise compresses badly)."""
    small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    # The octree averages pure white to (254, 254, 254): a visible grey box on a white page.
    palette = small.getpalette()
    small.putpalette([255 if min(palette[i - i % 3:i - i % 3 + 3]) >= 252 else v for i, v in enumerate(palette)])
    buf = io.BytesIO()
    # zlib level 7: within 10% of the smallest file (optimize=True, level 9) at a fifth of the time.
    small.save(buf, format="PNG", compress_level=7)
    return buf.getvalue()


_TEX = {r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\delta": "δ", r"\eta": "η", r"\sigma": "σ",
        r"\varphi": "φ", r"\phi": "φ", r"\lambda": "λ", r"\mu": "μ", r"\partial": "∂", r"\hat": "",
        r"\mathbf": "", r"\,": " ", r"\|": "‖", r"\cdot": "·", r"\times": "×", r"\le": "≤", r"\ge": "≥",
        r"\infty": "∞", r"\ell": "ℓ", r"\log": "log", r"\text": "", r"\rm": ""}


def plain_text(text: str) -> str:
    """A matplotlib label as plain words: mathtext ``$\\alpha$`` → ``α``, no ``$``, braces or backslashes."""
    if "$" not in text:
        return text
    for tex, plain in sorted(_TEX.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(tex, plain)
    return " ".join(text.replace("$", "").replace("{", "").replace("}", "").replace("\\", "").split())


def figure_titles(figure) -> str:
    """What a frame's titles say, in reading order ("AND: 1 wrong | OR: solved"): the default
    text summary of a frame (a figure's title states what the reader should notice)."""
    titles = []
    if getattr(figure, "_suptitle", None) is not None and figure._suptitle.get_text():
        titles.append(figure._suptitle.get_text())
    titles += [ax.get_title() for ax in figure.axes if ax.get_title()]
    return " | ".join(plain_text(t) for t in titles)


@dataclass
class Frames:
    """Every frame of a figure, stored once per distinct image.

    Attributes:
        names: control names in key order (see :func:`~nnbook.interactive.controls.frame_key`).
        pngs: distinct PNG images.
        index: ``index[frame_key(...)]`` is the position in ``pngs`` of that combination's image.
        size: (width, height) in pixels, shared by every frame.
        titles: per combination (frame-key order), what the frame's titles say.
    """

    names: list[str]
    pngs: list[bytes]
    index: list[int]
    size: tuple[int, int]
    titles: list[str] | None = None

    @property
    def payload_bytes(self) -> int:
        """Size of the frames once base64-encoded into the page (4 characters per 3 bytes)."""
        return sum(4 * ((len(p) + 2) // 3) for p in self.pngs)


def _too_many_frames(controls: Mapping[str, Control], count: int, limit: int, why: str) -> ValueError:
    sizes = {name: len(c.values()) for name, c in controls.items()}
    grid = " × ".join(f"{name}: {n}" for name, n in sizes.items())
    biggest = max(sizes, key=sizes.get)
    return ValueError(
        f"interactive_figure: {count} frames ({grid} values) {why}. Coarsen '{biggest}' "
        f"(it has the most values, {sizes[biggest]}: use a larger step or fewer options), "
        f"drop a control, or lower figsize/dpi. The static book stores one PNG per combination. "
        f"(For a live-only figure in JupyterLab, pass max_frames= and set the environment "
        f"variable NNLIB_INTERACTIVE=live before the figure is built: no frames are stored.)")


def check_frame_count(controls: Mapping[str, Control], max_frames: int = MAX_FRAMES) -> int:
    """Number of combinations; raises ValueError (saying which control to coarsen) above the limit."""
    count = n_combinations(controls)
    if count > max_frames:
        raise _too_many_frames(controls, count, max_frames, f"is more than the limit of {max_frames} per figure")
    return count


def canonical_values(controls: Mapping[str, Control], values: Mapping[str, Any]) -> dict:
    """``values`` with every control that does not act in this state set to its initial value."""
    return {name: (value if is_active(controls, name, values) else controls[name].initial())
            for name, value in values.items()}


def render_frames(draw: Callable, controls: Mapping[str, Control], *, figsize=(6, 4), ncols: int = 1,
                  dpi: int = DPI, constants: Mapping[str, Any] | None = None,
                  max_frames: int = MAX_FRAMES, max_bytes: int = MAX_BYTES,
                  renderer: FigureRenderer | None = None) -> Frames:
    """Draw every combination of control values; identical images are stored once.

    Raises ValueError before drawing anything when there are more than ``max_frames``
    combinations, and stops as soon as the distinct images pass ``max_bytes`` (base64), or
    when the first frames already show that the total will be far above it.
    """
    count = check_frame_count(controls, max_frames)
    renderer = renderer or FigureRenderer(draw, figsize=figsize, ncols=ncols, dpi=dpi, constants=constants)
    names = list(controls)
    seen: dict[str, int] = {}
    drawn: dict[tuple, int] = {}   # canonical combination -> position in pngs
    said: dict[tuple, str] = {}    # canonical combination -> its titles
    pngs: list[bytes] = []
    index: list[int] = []
    titles: list[str] = []
    payload = 0
    combos = itertools.product(*(c.values() for c in controls.values()))  # same order as frame_key
    for n_done, combo in enumerate(combos, start=1):
        # A control that does not act in this state (``only_when``) cannot change the picture:
        # draw the state once, with that control at its initial value, and reuse the frame.
        canonical = canonical_values(controls, dict(zip(names, combo)))
        key = tuple(canonical[name] for name in names)
        if key in drawn:
            index.append(drawn[key])
            titles.append(said[key])
            continue
        png = renderer.png(canonical, compact=True)
        said[key] = figure_titles(renderer.figure)
        titles.append(said[key])
        digest = hashlib.sha256(png).hexdigest()
        if digest not in seen:
            seen[digest] = len(pngs)
            pngs.append(png)
            payload += 4 * ((len(png) + 2) // 3)
        drawn[key] = seen[digest]
        index.append(seen[digest])
        projected = payload / n_done * count
        if payload > max_bytes or (n_done >= 8 and projected > 2 * max_bytes):
            raise _too_many_frames(
                controls, count, max_bytes,
                f"need about {projected / 1e6:.1f} MB of PNG (limit {max_bytes / 1e6:.1f} MB per figure; "
                f"one frame is about {payload / len(pngs) / 1e3:.0f} kB)")
    return Frames(names=names, pngs=pngs, index=index, size=renderer.pixel_size, titles=titles)
