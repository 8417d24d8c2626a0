"""Real-browser test of the static (no-kernel) interactive figures.

A page with two ``interactive_figure`` outputs is served from localhost and opened in Debian's
chromium through Playwright. Every request that leaves localhost is blocked (and fails the test).
Each control is moved with the keyboard only (focus, then an arrow key) and the figure's <img>
must change; the ▶ button must animate; no console error and no page error may appear.

Skips with a reason when Playwright or chromium is missing — unless ``CI=true``, where it fails.
"""
from urllib.parse import urlparse

import numpy as np
import pytest

from nnbook.interactive import Dropdown, Slider, interactive_figure

def draw_neuron(ax, w, b, act):
    x = np.linspace(-3, 3, 60)
    z = w * x + b
    ax.plot(x, np.tanh(z) if act == "tanh" else np.maximum(z, 0))
    ax.set_ylim(-1.5, 3)
    ax.set_xlabel("x")


def draw_epoch(ax, epoch):
    ax.plot(np.arange(epoch + 1), np.exp(-0.3 * np.arange(epoch + 1)), marker="o")
    ax.set_xlim(0, 6)
    ax.set_ylim(0, 1.1)


@pytest.fixture(scope="module")
def served_page(tmp_path_factory, serve_directory):
    small = dict(figsize=(3, 2), dpi=50)
    first = interactive_figure(draw_neuron, alt="A neuron's output", **small,
                               w=Slider(-2, 2, 1, value=0, label="weight w"),
                               b=Slider(-1, 1, 0.5, label="bias b"),
                               act=Dropdown(["tanh", "relu"], label="activation"))
    second = interactive_figure(draw_epoch, alt="Loss curve", interval_ms=50, **small,
                                epoch=Slider(0, 6, 1, value=0, label="epoch", animate=True))
    body = "".join(f'<div class="output">{fig._repr_mimebundle_()["text/html"]}</div>' for fig in (first, second))
    root = tmp_path_factory.mktemp("page")
    (root / "index.html").write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>t</title></head>"
                                     f"<body><h1>Two figures</h1>{body}</body></html>", encoding="utf-8")
    with serve_directory(root) as base:
        yield f"{base}index.html"


def open_offline(browser, url):
    """A page where every non-localhost request is aborted and recorded, and errors are collected."""
    page = browser.new_page()
    problems = {"external": [], "console": [], "page": []}

    def route(r):
        host = urlparse(r.request.url).hostname
        if r.request.url.startswith("data:") or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            problems["external"].append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems["page"].append(str(e)))
    page.goto(url)
    return page, problems


def exercise_figures(page):
    """Move every control of every interactive figure with the keyboard; returns what was moved.

    For each control: focus it and press an arrow key (left when it is at its last value). Every
    press must change the shown value and the alt text; the image must change within three
    presses (two values may legitimately share one picture, e.g. two learning rates at epoch 0).
    """
    moved = []
    for root in page.locator(".nnlib-interactive").all():
        img = root.locator("img")
        for control in root.locator("input[type=range], select").all():
            control_id = control.get_attribute("id")
            shown = root.locator(f"output[for='{control_id}']")
            first_src = img.get_attribute("src")
            control.focus()
            at_end = control.evaluate("el => el.type === 'range' ? el.value === el.max "
                                      ": el.selectedIndex === el.options.length - 1")
            n_values = control.evaluate("el => el.type === 'range' ? +el.max + 1 : el.options.length")
            for _ in range(min(3, n_values - 1)):
                before = (shown.inner_text(), img.get_attribute("alt"))
                page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")
                after = (shown.inner_text(), img.get_attribute("alt"))
                assert after[0] != before[0], f"{control_id}: shown value did not change"
                assert after[1] != before[1] and after[0] in after[1], f"{control_id}: alt text not updated"
                if img.get_attribute("src") != first_src:
                    break
            assert img.get_attribute("src") != first_src, f"{control_id}: image did not change"
            moved.append(control_id)
    return moved


def test_every_control_of_every_figure_changes_the_image(browser, served_page):
    page, problems = open_offline(browser, served_page)
    assert page.locator(".nnlib-interactive").count() == 2
    moved = exercise_figures(page)
    assert len(moved) == 4  # w, b, act; epoch
    assert problems == {"external": [], "console": [], "page": []}
    page.close()


def test_controls_are_labelled_and_reachable_with_tab(browser, served_page):
    page, problems = open_offline(browser, served_page)
    controls = page.locator(".nnlib-interactive input[type=range], .nnlib-interactive select")
    for control in controls.all():
        label = page.locator(f"label[for='{control.get_attribute('id')}']")
        assert label.count() == 1 and label.inner_text().strip()
    controls.first.focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.id")
    assert focused == controls.nth(1).get_attribute("id")
    # clicking the label focuses its control (what <label for> is for)
    page.locator(f"label[for='{controls.nth(2).get_attribute('id')}']").click()
    assert page.evaluate("document.activeElement.id") == controls.nth(2).get_attribute("id")
    assert problems == {"external": [], "console": [], "page": []}
    page.close()


def test_play_button_animates_to_the_last_frame_and_stops(browser, served_page):
    page, problems = open_offline(browser, served_page)
    figure = page.locator(".nnlib-interactive").nth(1)
    slider = figure.locator("input[type=range]")
    assert slider.input_value() == "0"
    button = figure.locator("button")
    assert button.get_attribute("aria-label") == "Play epoch"
    button.focus()
    page.keyboard.press("Enter")              # keyboard, like every other control
    page.wait_for_function(f"document.getElementById('{slider.get_attribute('id')}').value === '6'",
                           timeout=5000)
    page.wait_for_function(f"document.getElementById('{button.get_attribute('id')}')"
                           f".getAttribute('aria-label') === 'Play epoch'", timeout=5000)
    assert figure.locator("output").inner_text() == "6"
    assert problems == {"external": [], "console": [], "page": []}
    page.close()
