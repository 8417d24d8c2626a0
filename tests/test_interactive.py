"""Unit tests of nnbook.interactive: grids, frame keys, frames, page budget, HTML, live widget."""
import base64
import hashlib
import io
import itertools
import json
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from nnbook.interactive import (Dropdown, FigureRenderer, Slider, frame_key, grid_values, interactive_figure,
                               render_frames)

SMALL = dict(figsize=(2.0, 1.5), dpi=40)  # tiny frames keep the tests fast


def draw_line(ax, w, b, act="linear"):
    x = np.linspace(-2, 2, 50)
    z = w * x + b
    ax.plot(x, np.maximum(z, 0) if act == "relu" else z)
    ax.set_ylim(-5, 5)
    ax.set_title(act)


# ---- controls -------------------------------------------------------------------------------
def test_slider_grid_includes_both_ends_without_float_noise():
    assert grid_values(Slider(-1, 1, 0.5)) == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert grid_values(Slider(0, 0.3, 0.1)) == [0.0, 0.1, 0.2, 0.3]  # not 0.30000000000000004


def test_integer_slider_gives_ints_and_labels_without_decimals():
    s = Slider(0, 10, 2)
    assert grid_values(s) == [0, 2, 4, 6, 8, 10]
    assert all(type(v) is int for v in grid_values(s))
    assert s.format(4) == "4"
    assert Slider(-2, 2, 0.25).format(0.5) == "0.50"


def test_slider_initial_value_defaults_to_middle_and_snaps_to_grid():
    assert Slider(0, 10, 1).initial() == 5
    assert Slider(-1, 1, 0.1, value=0.30000000000000004).initial() == 0.3


@pytest.mark.parametrize("args, message", [
    ((0, 1, 0.3), "whole number of steps"),
    ((0, 1, 0), "step must be > 0"),
    ((1, 0, 0.5), "must be ≥ start"),
])
def test_invalid_slider_is_refused_with_a_reason(args, message):
    with pytest.raises(ValueError, match=message):
        Slider(*args)


def test_value_off_the_grid_is_refused():
    with pytest.raises(ValueError, match="not one of its values"):
        Slider(0, 1, 0.5, value=0.3)
    with pytest.raises(ValueError, match="not one of its values"):
        Dropdown(["relu", "tanh"], value="gelu")


def test_dropdown_accepts_label_value_pairs():
    d = Dropdown([("learning rate 0.1", 0.1), ("learning rate 1", 1.0)], value=1.0)
    assert grid_values(d) == [0.1, 1.0]
    assert d.initial() == 1.0
    assert d.format(0.1) == "learning rate 0.1"
    assert Dropdown(["a", "b"]).initial() == "a"


def test_frame_key_is_mixed_radix_in_product_order():
    controls = {"w": Slider(-1, 1, 1), "b": Slider(0, 3, 1), "act": Dropdown(["relu", "tanh"])}
    combos = itertools.product(*(c.values() for c in controls.values()))
    keys = [frame_key(controls, dict(zip(controls, combo))) for combo in combos]
    assert keys == list(range(3 * 4 * 2))
    assert frame_key(controls, {"w": 0, "b": 2, "act": "tanh"}) == 1 * 8 + 2 * 2 + 1


# ---- frames ---------------------------------------------------------------------------------
def test_every_combination_has_a_frame_equal_to_drawing_that_value():
    controls = {"w": Slider(-1, 1, 1), "b": Slider(0, 1, 1), "act": Dropdown(["linear", "relu"])}
    renderer = FigureRenderer(draw_line, **SMALL)
    frames = render_frames(draw_line, controls, renderer=renderer)
    assert len(frames.index) == 3 * 2 * 2
    assert frames.size == (80, 60)
    for combo in itertools.product(*(c.values() for c in controls.values())):
        values = dict(zip(controls, combo))
        expected = renderer.png(values, compact=True)
        assert frames.pngs[frames.index[frame_key(controls, values)]] == expected, values
    # and different values really give different pictures
    assert len(set(frames.index)) == 12


def _text_heavy(fig, shift):
    """Text at sub-pixel offsets, rotated, in mathtext and in two fonts: what the glyph cache keys on."""
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label=r"$\sigma(z)=\frac{1}{1+e^{-z}}$")
    ax.set_xlabel("pre-activation z (−3…3)")
    ax.set_ylabel("activation σ(z)")  # rotated 90°
    for k in range(6):
        ax.text(0.1 + 0.013 * k + shift, 0.15 * k + shift / 3, f"w = {k - 2.5:+.2f}", rotation=17 * k,
                family="serif" if k % 2 else "sans-serif", fontsize=7 + k)
    ax.text(0.6, 0.2, "two lines:\nline gap from the font", fontsize=8)  # multi-line: the font's line metrics
    ax.legend(loc="lower right")
    ax.set_title(r"mean $\frac{1}{N}\sum_i (\hat y_i - y_i)^2$")


@pytest.mark.parametrize("shift", [0.0, 0.0031, 0.0517])
def test_glyph_caching_canvas_draws_exactly_matplotlibs_pixels(shift):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from nnbook.interactive._agg import GlyphCachingRenderer, make_canvas

    def pixels(make, warm):
        fig = Figure(figsize=(3, 2.5), dpi=90)
        canvas = make(fig)
        if warm:  # fill the cache from the text at other sub-pixel positions first
            _text_heavy(fig, shift + 0.0013)
            canvas.draw()
            fig.clear()
        _text_heavy(fig, shift)
        canvas.draw()
        return np.asarray(canvas.buffer_rgba()).copy()

    expected = pixels(FigureCanvasAgg, warm=False)
    assert np.array_equal(pixels(make_canvas, warm=False), expected)
    assert np.array_equal(pixels(make_canvas, warm=True), expected)
    if isinstance(make_canvas(Figure()).get_renderer(), GlyphCachingRenderer):
        assert GlyphCachingRenderer._glyphs and GlyphCachingRenderer._layouts  # the caches are really used
        assert GlyphCachingRenderer._heights


def test_frames_are_byte_identical_across_runs():
    controls = {"w": Slider(-1, 1, 1), "b": Slider(0, 1, 1)}
    first = render_frames(draw_line, controls, **SMALL)
    again = render_frames(draw_line, controls, **SMALL)  # new figure, caches already warm
    assert first.pngs == again.pngs and first.index == again.index


def test_identical_frames_are_stored_once():
    def ignores_b(ax, w, b):
        ax.plot([0, 1], [0, w])

    controls = {"w": Slider(0, 2, 1), "b": Slider(0, 4, 1)}
    frames = render_frames(ignores_b, controls, **SMALL)
    assert len(frames.index) == 15
    assert len(frames.pngs) == 3
    assert frames.index[:5] == [0] * 5 and frames.index[5:10] == [1] * 5


def test_frames_are_compact_palette_pngs_of_the_shared_size():
    frames = render_frames(draw_line, {"w": Slider(0, 1, 1), "b": Slider(0, 0, 1)}, **SMALL)
    for png in frames.pngs:
        image = Image.open(io.BytesIO(png))
        assert image.mode == "P" and image.size == (80, 60)
        assert image.convert("RGB").getpixel((0, 0)) == (255, 255, 255)  # blends with the page


def test_too_many_frames_are_refused_before_drawing_and_name_the_control():
    calls = []
    with pytest.raises(ValueError) as err:
        interactive_figure(lambda ax, w, b: calls.append(1), alt="x",
                           w=Slider(-3, 3, 0.1), b=Slider(-1, 1, 0.25))
    message = str(err.value)
    assert "549 frames" in message and "limit of 400" in message
    assert "Coarsen 'w'" in message and "61" in message
    assert calls == []


def test_payload_over_budget_is_refused():
    rng = np.random.default_rng(0)

    def noise(ax, seed):  # random pixels do not compress: the worst case for the page budget
        ax.imshow(rng.random((60, 60, 3)))

    with pytest.raises(ValueError, match=r"MB of PNG \(limit 0\.1 MB"):
        render_frames(noise, {"seed": Slider(0, 50, 1)}, figsize=(3, 3), dpi=60, max_bytes=100_000)


# ---- HTML -----------------------------------------------------------------------------------
def make_figure(**extra):
    return interactive_figure(draw_line, alt="A line through the origin", **SMALL,
                              w=Slider(-1, 1, 1, value=1, label="weight w"),
                              b=Slider(0, 1, 1, label="bias b"),
                              act=Dropdown(["linear", "relu"], value="relu", label="activation"), **extra)


def parse_data(html):
    match = re.search(r'<script type="application/json" id="([^"]+)-data">(.*?)</script>', html, re.S)
    return match.group(1), json.loads(match.group(2))


def test_html_is_self_contained_labelled_and_accessible():
    html = make_figure().to_html()
    assert "http" not in html and "<script src" not in html and "require(" not in html
    fig_id, data = parse_data(html)
    for name, label in [("w", "weight w"), ("b", "bias b"), ("act", "activation")]:
        assert f'<label for="{fig_id}-{name}"' in html and f">{label}</label>" in html
        assert f'id="{fig_id}-{name}-value"' in html  # the current value is shown
    assert html.count('type="range"') == 2 and html.count("<select") == 1
    assert 'aria-valuetext="1"' in html
    alt = re.search(r'<img [^>]*alt="([^"]*)"', html).group(1)
    assert alt == "A line through the origin (weight w = 1, bias b = 0, activation = relu)"
    assert len(data["index"]) == 12 and len(data["frames"]) == 12


def test_html_initial_image_is_the_frame_of_the_initial_values():
    fig = make_figure()
    html = fig.to_html()
    src = re.search(r'<img [^>]*src="data:image/png;base64,([^"]+)"', html).group(1)
    key = frame_key(fig.controls, {"w": 1, "b": 0, "act": "relu"})
    assert base64.b64decode(src) == fig.frames.pngs[fig.frames.index[key]]


def test_two_figures_on_one_page_have_distinct_ids():
    ids_a = set(re.findall(r'id="([^"]+)"', make_figure().to_html()))
    ids_b = set(re.findall(r'id="([^"]+)"', make_figure().to_html()))
    assert ids_a and not ids_a & ids_b


def test_script_data_cannot_close_the_script_tag():
    fig = interactive_figure(draw_line, alt="</script><b>", **SMALL, w=Slider(0, 1, 1),
                             b=Slider(0, 0, 1), act=Dropdown(["</script>", "relu"]))
    html = fig.to_html()
    assert html.count("</script>") == 2  # the two real closing tags only
    _, data = parse_data(html)
    assert data["alt"] == "</script><b>" and data["controls"][2]["labels"][0] == "</script>"


def test_animated_slider_gets_a_play_button():
    fig = interactive_figure(lambda ax, epoch: ax.plot([0, epoch]), alt="x", **SMALL,
                             epoch=Slider(0, 3, 1, animate=True, label="epoch"))
    html = fig.to_html()
    assert re.search(r'<button type="button" id="[^"]+-epoch-play" aria-label="Play epoch"', html)
    import ipywidgets as w
    assert any(isinstance(c, w.Play) for c in fig.widget.children[0].children)


# ---- bundle and live widget -----------------------------------------------------------------
def test_mimebundle_carries_widget_view_and_html(monkeypatch):
    monkeypatch.delenv("NNLIB_INTERACTIVE", raising=False)
    bundle = make_figure()._repr_mimebundle_()
    assert {"text/html", "application/vnd.jupyter.widget-view+json", "text/plain"} <= set(bundle)
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
    monkeypatch.setenv("NNLIB_INTERACTIVE", "static")
    assert "application/vnd.jupyter.widget-view+json" not in make_figure()._repr_mimebundle_()


def test_live_widget_redraws_one_figure_when_a_control_changes():
    import ipywidgets as w
    before = plt.get_fignums()
    fig = make_figure()
    view = fig.widget
    image = [c for c in view.children if isinstance(c, w.Image)]
    assert all(c.tooltip is None for c in view.children if isinstance(c, w.Image))  # breaks JupyterLab's view
    assert len(image) == 1
    image = image[0]
    first = image.value
    slider = fig._control_widgets["w"]
    slider.value = -1
    assert image.value != first and fig.values["w"] == -1
    assert image.value == fig.renderer.png({"w": -1, "b": 0, "act": "relu"})
    assert "weight w = -1" in fig._alt.value
    fig._control_widgets["act"].value = "linear"
    assert fig.values["act"] == "linear"
    assert plt.get_fignums() == before  # nothing piles up in pyplot


def test_set_changes_values_and_widgets_together():
    fig = make_figure()
    fig.widget
    png = fig.set(b=1)
    assert fig._control_widgets["b"].value == 1 and fig._image.value == png
    with pytest.raises(ValueError, match="no control named 'c'"):
        fig.set(c=1)


def test_constants_and_several_axes_reach_draw():
    seen = {}

    def draw(axes, w, data):
        seen["n_axes"], seen["data"] = len(axes), data
        for ax in axes:
            ax.plot(data * w)

    fig = interactive_figure(draw, alt="x", ncols=3, figsize=(6, 2), dpi=40, w=Slider(0, 1, 1), data=np.arange(3))
    fig.render()
    assert seen["n_axes"] == 3 and list(seen["data"]) == [0, 1, 2]
    assert list(fig.controls) == ["w"]


def test_alt_text_is_required():
    with pytest.raises(ValueError, match="alt="):
        interactive_figure(draw_line, alt=" ", w=Slider(0, 1, 1))


def test_a_draw_function_that_cannot_take_the_controls_is_refused_at_once():
    def draw(ax, w):
        ax.plot([0, w])

    with pytest.raises(ValueError, match=r"draw\(ax, w\) must accept the axes and the keyword arguments \['w', 'b'\]"):
        interactive_figure(draw, alt="x", w=Slider(0, 1, 1), b=Slider(0, 1, 1))


# ---- controls that act only in some states, summaries, names (issue 9) ------------------------
def draw_act(ax, act, alpha):
    z = np.linspace(-2, 2, 40)
    ax.plot(z, np.where(z > 0, z, alpha * z) if act == "leaky" else np.tanh(z))
    ax.set_title(f"{act} (α = {alpha:g})" if act == "leaky" else act)


def gated_figure(**kw):
    return interactive_figure(draw_act, alt="An activation", **SMALL, name="Activation explorer",
                              act=Dropdown(["tanh", "leaky"], label="activation"),
                              alpha=Slider.of([0.01, 0.1, 0.3], value=0.1, label="α",
                                              only_when={"act": ["leaky"]}), **kw)


def test_slider_of_listed_values_keeps_them_and_finds_each():
    s = Slider.of([0.01, 0.05, 0.1, 0.3, 1.0], value=0.3)
    assert grid_values(s) == [0.01, 0.05, 0.1, 0.3, 1.0] and s.initial() == 0.3
    assert [s.format(v) for v in s.values()] == ["0.01", "0.05", "0.10", "0.30", "1.00"]
    with pytest.raises(ValueError, match="increasing"):
        Slider.of([0.1, 0.1, 0.3])
    with pytest.raises(ValueError, match="not one of its values"):
        Slider.of([0.1, 0.3], value=0.2)


def test_only_when_must_name_another_control_and_its_values():
    with pytest.raises(ValueError, match="not another control"):
        interactive_figure(draw_act, alt="x", act=Dropdown(["tanh", "leaky"]),
                           alpha=Slider(0, 1, 0.5, only_when={"activation": ["leaky"]}))
    with pytest.raises(ValueError, match="not one of its values"):
        interactive_figure(draw_act, alt="x", act=Dropdown(["tanh", "leaky"]),
                           alpha=Slider(0, 1, 0.5, only_when={"act": ["elu"]}))


def test_an_inactive_control_is_disabled_with_its_reason_in_the_static_page():
    html = gated_figure().to_html()
    fig_id, data = parse_data(html)
    slider = re.search(rf'<input type="range" id="{fig_id}-alpha"[^>]*>', html).group(0)
    assert " disabled" in slider and f'aria-describedby="{fig_id}-alpha-why"' in slider
    why = re.search(rf'<span id="{fig_id}-alpha-why"[^>]*>([^<]*)</span>', html)
    assert why.group(1) == "α applies only when activation is leaky" and "hidden" not in why.group(0)
    assert data["controls"][1]["when"] == [{"c": 0, "ok": [1]}]
    # the figure's own accessible name, not a generic one
    assert f'id="{fig_id}" role="group" aria-label="Activation explorer"' in html


def test_an_inactive_control_costs_no_extra_frames_and_maps_to_its_state_picture():
    fig = gated_figure()
    frames = fig.frames
    # tanh: one picture whatever α; leaky: one per α (3) -> 4 distinct, 6 combinations
    assert len(frames.index) == 6 and len(frames.pngs) == 4
    assert len({frames.index[frame_key(fig.controls, {"act": "tanh", "alpha": a})] for a in (0.01, 0.1, 0.3)}) == 1


def test_summary_comes_from_describe_or_else_from_the_frame_titles():
    fig = gated_figure()
    summaries = fig.summaries()
    assert summaries[frame_key(fig.controls, {"act": "leaky", "alpha": 0.3})] == "leaky (α = 0.3)"
    assert summaries[frame_key(fig.controls, {"act": "tanh", "alpha": 0.3})] == "tanh"
    described = gated_figure(describe=lambda act, alpha: f"{act}: slope {alpha if act == 'leaky' else 0}")
    html = described.to_html()
    fig_id, data = parse_data(html)
    shown = re.search(rf'<p id="{fig_id}-summary"[^>]*role="status" aria-live="polite"[^>]*>([^<]*)</p>', html)
    assert shown.group(1) == "tanh: slope 0"       # the initial state's summary, in a live region
    assert "leaky: slope 0.3" in data["summaries"]
    with pytest.raises(ValueError, match="must accept the keyword arguments"):
        gated_figure(describe=lambda a: "x")


def test_live_widget_disables_the_inactive_control_and_updates_the_summary():
    fig = gated_figure()
    view = fig.widget
    slider = fig._control_widgets["alpha"]
    assert slider.disabled and fig._reasons["alpha"].layout.display is None
    assert 'role="status"' in fig._summary.value and ">tanh<" in fig._summary.value
    fig.set(act="leaky")
    assert not slider.disabled and fig._reasons["alpha"].layout.display == "none"
    assert ">leaky (α = 0.1)<" in fig._summary.value
    assert view is fig.widget


def test_summaries_are_plain_words_without_mathtext():
    fig = interactive_figure(lambda ax, a: ax.set_title(rf"$\alpha$ = {a}, $\hat{{y}}$ > 0"), alt="x", **SMALL,
                             a=Slider(0, 1, 1))
    assert fig.summaries()[0] == "α = 0, y > 0"
