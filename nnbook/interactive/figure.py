"""``interactive_figure``: one plotting function, live in JupyterLab and still alive in the book.

The returned object's ``_repr_mimebundle_`` carries two views of the same figure:

* ``application/vnd.jupyter.widget-view+json`` — ipywidgets controls and an ``Image`` that the
  kernel redraws on every change (JupyterLab picks this one);
* ``text/html`` — the precomputed frames with a tiny inline script (the HTML book picks this one,
  via myst-nb's ``nb_mime_priority_overrides``; see the package docstring).
"""
from __future__ import annotations

import html
import inspect
import os
from typing import Any, Callable

from .controls import Control, Dropdown, Slider, check_conditions, index_of, is_active, why_inactive
from .frames import (DPI, MAX_BYTES, MAX_FRAMES, FigureRenderer, canonical_values, check_frame_count,
                     figure_titles, render_frames)
from .html import static_html

# "both" (default), "static" (HTML only: no widget state saved into the notebook) or "live".
MODE_ENV = "NNLIB_INTERACTIVE"


class InteractiveFigure:
    """A figure with controls. Build it with :func:`interactive_figure`; display it as a cell's result.

    Attributes:
        controls: name → Slider/Dropdown, in the order shown.
        values: the current value of each control.
        renderer: the persistent figure the live path redraws.
    """

    def __init__(self, draw: Callable, controls: dict[str, Control], *, alt: str, figsize=(6, 4),
                 ncols: int = 1, dpi: int = DPI, constants: dict[str, Any] | None = None,
                 max_frames: int = MAX_FRAMES, max_bytes: int = MAX_BYTES, interval_ms: int = 400,
                 name: str | None = None, describe: Callable[..., str] | None = None):
        if not alt or not alt.strip():
            raise ValueError("interactive_figure: alt= must describe the figure for readers who cannot see it")
        _check_signature(draw, [*controls, *(constants or {})])
        check_conditions(controls)
        if describe is not None:
            _check_signature(describe, [*controls, *(constants or {})], with_axes=False)
        self.draw, self.controls, self.alt = draw, controls, alt
        # The figure's accessible name (its own, not a generic "Interactive figure").
        self.name = (name or alt.split(";")[0].split(". ")[0]).strip()
        self.describe = describe
        self.figsize, self.ncols, self.dpi = figsize, ncols, dpi
        self.constants = dict(constants or {})
        self.max_frames, self.max_bytes, self.interval_ms = max_frames, max_bytes, interval_ms
        self.values = {name: c.initial() for name, c in controls.items()}
        self.renderer = FigureRenderer(draw, figsize=figsize, ncols=ncols, dpi=dpi, constants=self.constants)
        self._frames = None
        self._widget = None
        self._image = None
        check_frame_count(controls, max_frames)  # refuse oversized grids now, at authoring time

    # ---- static book -------------------------------------------------------------------------
    @property
    def frames(self):
        """All frames (rendered on first use; raises ValueError if they exceed the page budget)."""
        if self._frames is None:
            self._frames = render_frames(self.draw, self.controls, max_frames=self.max_frames,
                                         max_bytes=self.max_bytes, renderer=self.renderer)
        return self._frames

    def to_html(self, fig_id: str | None = None) -> str:
        """The self-contained HTML/JS version (what the static book shows)."""
        initial = {name: c.initial() for name, c in self.controls.items()}
        return static_html(self.frames, self.controls, initial, alt=self.alt, fig_id=fig_id,
                           interval_ms=self.interval_ms, name=self.name, summaries=self.summaries())

    def summary(self, values=None) -> str:
        """The text summary of the frame for ``values`` (default: the current ones).

        ``describe(**values)`` when the figure has one (what the frame shows: "AND: 1 wrong");
        otherwise what the titles of the frame last drawn say (``titles``), else the values.
        """
        values = dict(self.values if values is None else values)
        if self.describe is not None:
            text = self.describe(**values, **self.constants)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"interactive_figure: describe() must return a non-empty str, got {text!r}")
            return text.strip()
        titles = figure_titles(self.renderer.figure) if values == self.values else ""
        return titles or "; ".join(f"{c.label or n} = {c.format(values[n])}" for n, c in self.controls.items()
                                   if is_active(self.controls, n, values))

    def summaries(self) -> list[str]:
        """The summary of every combination, in frame-key order (the static book stores them)."""
        import itertools

        if self.describe is None and self.frames.titles and all(self.frames.titles):
            return list(self.frames.titles)

        names = list(self.controls)
        cache: dict[tuple, str] = {}
        out = []
        for combo in itertools.product(*(c.values() for c in self.controls.values())):
            canonical = canonical_values(self.controls, dict(zip(names, combo)))
            key = tuple(canonical[n] for n in names)
            if key not in cache:
                cache[key] = self.summary(canonical)
            out.append(cache[key])
        return out

    # ---- live (JupyterLab) -------------------------------------------------------------------
    def render(self) -> bytes:
        """Redraw the figure for the current ``values``; returns the PNG bytes (and shows them live)."""
        png = self.renderer.png(self.values)
        if self._image is not None:
            self._image.value = png
            self._alt.value = _screen_reader_only(self._alt_now())
            self._summary.value = _live_region(self.summary())
            self._update_disabled()
        return png

    def _update_disabled(self) -> None:
        """Disable (and explain) every control that does not act in the current state."""
        for name, reason in self._reasons.items():
            active = is_active(self.controls, name, self.values)
            self._control_widgets[name].disabled = not active
            reason.layout.display = "none" if active else None

    def set(self, **values) -> bytes:
        """Change some values (as a reader would) and redraw; returns the new PNG bytes."""
        for name, value in values.items():
            if name not in self.controls:
                raise ValueError(f"interactive_figure: no control named {name!r}; controls are {list(self.controls)}")
            self.values[name] = self.controls[name].values()[index_of(self.controls[name], value)]
        if self._widget is not None:  # keep the widgets in step (their observers see no change)
            for name in values:
                self._control_widgets[name].value = self.values[name]
        return self.render()

    def _alt_now(self) -> str:
        now = ", ".join(f"{c.label or n} = {c.format(self.values[n])}" for n, c in self.controls.items())
        return f"{self.name}: {self.alt} ({now})"

    @property
    def widget(self):
        """The ipywidgets view (built on first use): labelled controls above one reused Image."""
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    def _build_widget(self):
        import ipywidgets as w

        self._control_widgets = {}
        self._reasons = {}
        rows = []
        for name, c in self.controls.items():
            label = c.label or name
            options = [(c.format(v), v) for v in c.values()]
            style = {"description_width": "8em"}
            if isinstance(c, Slider):
                cw = w.SelectionSlider(options=options, value=self.values[name], description=label,
                                       continuous_update=True, style=style, layout=w.Layout(width="26em"))
            else:
                cw = w.Dropdown(options=options, value=self.values[name], description=label, style=style)
            self._control_widgets[name] = cw
            row = [cw]
            if c.only_when:  # shown while the control does not act, e.g. "α applies only when …"
                reason = w.HTML(f"<i>{html.escape(why_inactive(self.controls, name))}</i>")
                self._reasons[name] = reason
                row.append(reason)
            if isinstance(c, Slider) and c.animate:
                play = w.Play(min=0, max=len(options) - 1, step=1, interval=self.interval_ms,
                              value=cw.index, description=f"Play {label}")
                w.jslink((play, "value"), (cw, "index"))
                row.insert(0, play)
            rows.append(w.HBox(row))
            cw.observe(self._on_change(name), names="value")
        width, height = self.renderer.pixel_size
        self._image = w.Image(value=self.renderer.png(self.values), format="png",
                              layout=w.Layout(width=f"{width}px", height=f"{height}px"))
        # ipywidgets' Image has no alt attribute (and its tooltip breaks the view in JupyterLab),
        # so the description goes in a text element only screen readers see.
        self._alt = w.HTML(_screen_reader_only(self._alt_now()))
        # What the frame shows, in words, updated with every frame (see _live_region).
        self._summary = w.HTML(_live_region(self.summary()))
        box = w.VBox(rows + [self._image, self._summary, self._alt])
        box.add_class("nnlib-interactive-live")
        self._update_disabled()
        return box

    def _on_change(self, name):
        def handler(change):
            if self.values[name] != change["new"]:
                self.values[name] = change["new"]
                self.render()
        return handler

    # ---- display -----------------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        mode = os.environ.get(MODE_ENV, "both").strip().lower()
        data = {"text/plain": f"<interactive figure: {self.alt}>"}
        if mode in ("both", "static"):
            data["text/html"] = self.to_html()
        if mode in ("both", "live"):
            data.update({k: v for k, v in self.widget._repr_mimebundle_().items() if k != "text/plain"})
        return data

    def __repr__(self):
        return f"InteractiveFigure({self.alt!r}, controls={list(self.controls)})"


def _check_signature(draw: Callable, names: list[str], with_axes: bool = True) -> None:
    """Fail at authoring time, not at the first frame, when draw (or describe) cannot take the controls."""
    try:
        signature = inspect.signature(draw)
    except (TypeError, ValueError):  # some callables have no inspectable signature
        return
    try:
        signature.bind(*([None] if with_axes else []), **{name: None for name in names})
    except TypeError as err:
        name = getattr(draw, "__name__", "draw")
        what = "the axes and the keyword" if with_axes else "the keyword"
        raise ValueError(f"interactive_figure: {name}{signature} must accept {what} "
                         f"arguments {names} ({err})") from None


def _live_region(text: str) -> str:
    """The summary line under a live figure.

    ipywidgets' HTML widget replaces its inner HTML on every update, so the element carrying
    ``role="status"`` is new each time; Chromium, Firefox and the common screen readers still
    announce a status element inserted with its text, and the text is also visible.
    """
    return (f'<div class="nnbook-summary" role="status" aria-live="polite">{html.escape(text)}</div>')


def _screen_reader_only(text: str) -> str:
    hidden = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap"
    return f'<span role="img" aria-label="{html.escape(text)}" style="{hidden}">{html.escape(text)}</span>'


def interactive_figure(draw: Callable, *, alt: str, figsize=(6, 4), ncols: int = 1, dpi: int = DPI,
                       max_frames: int = MAX_FRAMES, max_bytes: int = MAX_BYTES, interval_ms: int = 400,
                       name: str | None = None, describe: Callable[..., str] | None = None,
                       **controls_and_constants) -> InteractiveFigure:
    """A figure the reader can change: live in JupyterLab, precomputed frames in the HTML book.

    Args:
        draw: ``draw(ax, **values)`` draws on fresh axes (``ax`` is an array of Axes when
            ``ncols > 1``). Use the Axes methods (``ax.plot``, ``ax.figure``), not ``plt.*``.
        alt: what the figure shows, for readers who cannot see it; the current values are appended.
        figsize: (width, height) in inches, shared by every frame.
        ncols: side-by-side axes.
        dpi: resolution of every frame (80 → a 6×4 figure is 480×320 px).
        max_frames, max_bytes: the page budget; a larger grid raises ValueError (say which control
            to coarsen) instead of silently bloating the page.
        interval_ms: time per step when a ``Slider(animate=True)`` plays.
        name: the figure's accessible name, short ("Activation explorer"); default: the start of
            ``alt``.
        describe: ``describe(**values) -> str``, next to ``draw``: what the current frame shows, in
            words ("AND: 1 wrong, OR: solved"). Shown under the figure and announced politely to
            screen readers when it changes, live and in the static book. Default: the values.
        **controls_and_constants: ``Slider``/``Dropdown`` per parameter of ``draw``; any other value
            is passed to ``draw`` unchanged (a data set, a trained history).

    Returns:
        An :class:`InteractiveFigure`; make it the last expression of a cell to show it.
    """
    controls = {k: v for k, v in controls_and_constants.items() if isinstance(v, (Slider, Dropdown))}
    constants = {k: v for k, v in controls_and_constants.items() if k not in controls}
    if not controls:
        raise ValueError("interactive_figure: give at least one control, e.g. w=Slider(-3, 3, 0.5)")
    return InteractiveFigure(draw, controls, alt=alt, figsize=figsize, ncols=ncols, dpi=dpi,
                             constants=constants, max_frames=max_frames, max_bytes=max_bytes,
                             interval_ms=interval_ms, name=name, describe=describe)
