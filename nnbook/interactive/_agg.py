"""An Agg canvas that rasterizes each glyph once, for figures redrawn many times.

Why: a chapter figure is redrawn for every frame of the static book and on every slider move,
and about a third of each redraw went into FreeType turning the same tick labels, axis
labels and legend entries into pixels again. Matplotlib (3.10+) draws text glyph by glyph:
it places each glyph at a sub-pixel position and asks FreeType for its bitmap. A glyph's
bitmap depends only on the font, size, rotation and the *fractional* part of that position;
moving it by whole pixels moves the bitmap by the same whole pixels. So we key the bitmap on
exactly those and reuse it: the pixels are identical to matplotlib's own (the tests compare
them), only the work is skipped.

This leans on private matplotlib internals (``RendererAgg._draw_text_glyphs_and_boxes``,
``FT2Font._layout``/``_set_transform``/``_render_glyph``). When they are missing (another
matplotlib version), :func:`make_canvas` returns the stock ``FigureCanvasAgg``.
"""
from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
from matplotlib.backends import backend_agg
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure

MAX_GLYPHS = 20_000   # rasterized glyphs kept (a few hundred bytes each)
MAX_LAYOUTS = 5_000   # laid-out strings kept


def _supported() -> bool:
    try:
        from matplotlib.ft2font import FT2Font, RenderMode  # noqa: F401
    except ImportError:
        return False
    return (hasattr(RendererAgg, "_draw_text_glyphs_and_boxes")
            and all(hasattr(FT2Font, name) for name in ("_layout", "_set_transform", "_render_glyph"))
            and all(hasattr(backend_agg, name) for name in ("get_hinting_flag", "get_font", "_fontManager")))


class GlyphCachingRenderer(RendererAgg):
    """``RendererAgg`` whose text drawing reuses glyph bitmaps and string layouts.

    Caches are class-level (shared by every figure in the process): the book's figures all use
    the same few fonts and sizes.
    """

    _glyphs: dict = {}     # (font, size, dpi, glyph, matrix, x % 64, y % 64, flags, mode) -> bitmap
    _layouts: dict = {}    # (font properties, dpi, text, flags, features, language) -> glyph placements
    _heights: dict = {}    # (font properties, dpi) -> (min ascent, min descent, line gap) in pixels
    _matrices: dict = {}   # (angle, slant, extend) -> FreeType 16.16 rotation/shear matrix

    def draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if ismath:
            return self.draw_mathtext(gc, x, y, s, prop, angle)
        flags = backend_agg.get_hinting_flag()
        features = mtext.get_fontfeatures() if mtext is not None else None
        language = mtext.get_language() if mtext is not None else None
        size = prop.get_size_in_points()
        try:
            key = (_font_key(prop), self.dpi, s, flags, features, language)
            placements = self._layouts.get(key)
        except TypeError:  # unhashable font features: lay out every time, as matplotlib does
            key, placements = None, None
        if placements is None:
            font = self._prepare_font(prop)
            items = font._layout(s, flags=flags, features=features, language=language)
            placements = tuple((item.ft_object, size, item.glyph_index, 0, 1, item.x, item.y) for item in items)
            if key is not None:
                if len(self._layouts) >= MAX_LAYOUTS:
                    self._layouts.clear()
                self._layouts[key] = placements
        self._draw_text_glyphs_and_boxes(gc, x, y, angle, placements, [])

    def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
        from matplotlib.ft2font import RenderMode

        # Same arithmetic as RendererAgg's, so every glyph lands on the same 1/64 pixel.
        cos = math.cos(math.radians(angle))
        sin = math.sin(math.radians(angle))
        load_flags = backend_agg.get_hinting_flag()
        antialiased = gc.get_antialiased()
        mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
        height = self.height
        cache = self._glyphs
        for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards
            matrix = self._matrix(angle, cos, sin, slant, extend)
            px = round(0x40 * (x + dx * cos - dy * sin))
            py = round(0x40 * (height - y + dx * sin + dy * cos))  # FreeType's y is upwards
            key = (font, size, self.dpi, glyph_index, matrix, px % 64, py % 64, load_flags, antialiased)
            hit = cache.get(key)
            if hit is None:
                font.set_size(size, self.dpi)
                font._set_transform(np.array(matrix).reshape(2, 2), [px, py])
                bitmap = font._render_glyph(glyph_index, load_flags, mode)
                buffer = np.array(bitmap.buffer, copy=True)
                if not antialiased:
                    buffer *= 0xff
                # Store the offset from the whole-pixel part of the position.
                hit = (buffer, bitmap.left - px // 64, bitmap.top - py // 64)
                if len(cache) >= MAX_GLYPHS:
                    cache.clear()
                cache[key] = hit
            buffer, left, top = hit
            # draw_text_image's y is downwards & the bitmap's bottom side.
            self._renderer.draw_text_image(
                buffer, left + px // 64, int(height) - (top + py // 64) + buffer.shape[0], 0, gc)
        if boxes:  # mathtext's fraction bars and the like: matplotlib's own code
            super()._draw_text_glyphs_and_boxes(gc, x, y, angle, (), boxes)

    def _get_font_height_metrics(self, prop):
        """The font's ascent, descent and line gap in pixels, for ``Text._get_layout``.

        Text asks for these on every layout of every label; matplotlib computes them from the
        font's OS/2 or hhea table each time. Same formula, computed once per font and size.
        """
        key = (_font_key(prop), self.dpi)
        metrics = self._heights.get(key)
        if metrics is None:
            metrics = (None, None, None)
            font = backend_agg.get_font(backend_agg._fontManager._find_fonts_by_props(prop))
            for table_name, gap_key, ascent_key, descent_key in [
                    ('OS/2', 'sTypoLineGap', 'sTypoAscender', 'sTypoDescender'),
                    ('hhea', 'lineGap', 'ascent', 'descent')]:
                table = font.get_sfnt_table(table_name)
                if table is None:
                    continue
                fontsize = prop.get_size_in_points()
                units_per_em = font.get_sfnt_table('head')['unitsPerEm']
                scale = 1 / units_per_em * fontsize * self.dpi / 72
                metrics = (table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale)
                break
            self._heights[key] = metrics
        return metrics

    @classmethod
    def _matrix(cls, angle, cos, sin, slant, extend) -> tuple:
        key = (angle, slant, extend)
        matrix = cls._matrices.get(key)
        if matrix is None:
            m = (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[extend, extend * slant], [0, 1]]).round().astype(int)
            matrix = cls._matrices[key] = tuple(int(v) for v in m.ravel())
        return matrix


def _font_key(prop) -> tuple:
    """Everything that decides which font file and size ``prop`` resolves to."""
    rc = mpl.rcParams
    return (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(),
            prop.get_stretch(), prop.get_size_in_points(), prop.get_file(), prop.get_math_fontfamily(),
            *(tuple(rc[name]) for name in _FAMILY_RC), rc["text.hinting_factor"], rc["text.kerning_factor"])


_FAMILY_RC = ("font.family", "font.serif", "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace")


class GlyphCachingCanvas(FigureCanvasAgg):
    """``FigureCanvasAgg`` drawing with :class:`GlyphCachingRenderer`."""

    def get_renderer(self):
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:
            self.renderer = GlyphCachingRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer


def make_canvas(figure: Figure) -> FigureCanvasAgg:
    """The fastest Agg canvas for ``figure`` that draws exactly matplotlib's pixels."""
    return GlyphCachingCanvas(figure) if _supported() else FigureCanvasAgg(figure)
