"""The built HTML book, checked page by page in a real browser with the network cut off.

The session builds the book strictly (``jupyter-book build -W -n --keep-going --all .``; the test
fails if the build does), serves ``_build/html`` on a free localhost port and opens every page of
``_toc.yml``, plus the index and a search, in headless Chromium (Debian's ``chromium``; Playwright
cannot download browsers here). Every request that would leave localhost is aborted and recorded.
Each page must then show:

* no request to anywhere but localhost, and no local request that failed (404, ...);
* no JavaScript error (``console.error`` or an uncaught exception);
* every math element typeset by MathJax (an ``mjx-container`` inside each ``.math``, no TeX error);
* every embedded ipywidget rendered (a widget view in front of each widget-view script);
* every interactive figure (``nnbook.interactive``) alive: from the page's initial state, moving
  each control with the keyboard changes the displayed frame and the shown value, unless the control
  is disabled there and says why; each figure has its own name and a live text summary;
* every exercise solution and every hidden cell collapsed, and ONE reveal per exercise (no second
  "Show code cell content" button holding the solution's code);
* no markup shown as text: the visible text (solutions opened) holds no code fence, no
  ``{directive}`` name, no ``:option:`` line, no TeX outside typeset math, no untypeset ``$…$`` and
  no NumPy scalar repr such as ``np.float64(2.0)`` (cell outputs included);
* every image with real alt text (not empty, not a file path or hash);
* exercises numbered per chapter: "Exercise 2.1", "Exercise 2.2" … on Chapter 2's page;
* formulas out of the Tab order; and axe-core (vendored in ``tests/vendor/axe-core``) finds no
  critical or serious WCAG 2.1 A/AA or best-practice violation, in the light and the dark theme;
* at most 5 MB downloaded in total (the budget of issue 4), counted as a static host serves
  the files: HTML, JavaScript, CSS and SVG gzip-compressed, fonts and images as they are.

Screenshots of each page, one per screenful, are written to ``_build/screenshots/``: look at
them.

Environment:
    BOOK_SKIP_BUILD=1  use the existing ``_build/html`` (you just built it) instead of rebuilding.
    CI=true            a missing browser or Playwright is a failure, not a skip.
"""
from __future__ import annotations

import functools
import gzip
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sphinx_external_toc.parsing import parse_toc_yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
TOC_PAGES = [f"{d}.html" for d in parse_toc_yaml(ROOT / "_toc.yml")]  # e.g. "book/intro.html"
# Every page a reader can reach: the chapters, the index, and the search page running a search.
PAGES = TOC_PAGES + ["genindex.html", "search.html?q=gradient"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
VIEWPORT = {"width": 1280, "height": 1000}
PAGE_BUDGET_BYTES = 5_000_000
COMPRESSED_SUFFIXES = {".html", ".js", ".css", ".svg", ".json", ".txt"}  # gzip on any static host


# --------------------------------------------------------------------------- session fixtures

@pytest.fixture(scope="session")
def built_book() -> Path:
    """_build/html, freshly built strictly (or the existing one if BOOK_SKIP_BUILD=1).

    Independent of the browser: without chromium the strict build is still tested.

    ``--all`` re-reads every page: an incremental build would not repeat the warning of a page
    that did not change since a failed build, and would then pass.
    """
    if os.environ.get("BOOK_SKIP_BUILD") == "1":
        if not (HTML / "index.html").exists():
            pytest.fail(f"BOOK_SKIP_BUILD=1 but {HTML / 'index.html'} does not exist: build the book first")
        return HTML
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", "-W", "-n", "--keep-going", "--all", str(ROOT)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        log = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)  # no colour codes
        problems = [line for line in log.splitlines() if "WARNING:" in line or "ERROR:" in line]
        pytest.fail("the strict book build failed (-W: every warning is an error):\n"
                    + "\n".join(problems[:40]) + "\n--- end of the build log ---\n" + log[-1500:])
    return HTML


@pytest.fixture(scope="session")
def server(built_book, serve_directory):
    """Serve the built book on a free localhost port; yield its base URL."""
    with serve_directory(built_book) as base:
        yield base


# --------------------------------------------------------------------------- one visit per page

@dataclass
class PageReport:
    """Everything observed while loading one page and exercising its controls."""
    page: str
    blocked: list[str] = field(default_factory=list)        # requests that tried to leave localhost
    failed: list[str] = field(default_factory=list)         # local requests that failed (404, ...)
    errors: list[str] = field(default_factory=list)         # console errors and uncaught exceptions
    math_total: int = 0
    math_untypeset: list[str] = field(default_factory=list)
    math_tex_errors: list[str] = field(default_factory=list)
    widget_views: int = 0
    widgets_missing: list[str] = field(default_factory=list)
    figure_controls: list[dict] = field(default_factory=list)
    open_solutions: list[str] = field(default_factory=list)
    open_hidden_cells: list[str] = field(default_factory=list)
    second_reveals: list[str] = field(default_factory=list)   # solution code behind a 2nd button
    markup_leaks: list[str] = field(default_factory=list)
    bad_alts: list[str] = field(default_factory=list)
    exercise_numbers: list[str] = field(default_factory=list)
    figure_names: list[str] = field(default_factory=list)
    figure_summaries: list[str] = field(default_factory=list)
    math_in_tab_order: int = 0
    loaded_bytes: dict[str, int] = field(default_factory=dict)  # local file -> size on disk


# Runs in the page: which widget-view scripts have no rendered view in front of them? (The
# html-manager inserts a div.widget-subarea before each script and renders the view into it; a
# view inside a collapsed cell has no height, so only visible ones must take up space.)
_WIDGETS_MISSING = """() => Array.from(
    document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]'))
  .filter(s => { const v = s.previousElementSibling;
                 const w = v && v.classList.contains('widget-subarea') && v.querySelector('.jupyter-widgets');
                 const collapsed = s.closest('details:not([open]), .toggle-hidden');
                 return !(w && w.childElementCount > 0 && (collapsed || w.getBoundingClientRect().height > 0)); })
  .map(s => s.textContent.trim().slice(0, 120))"""

# Runs in the page on one figure: open the collapsed cells/dropdowns around it, so that its
# controls can take keyboard focus (after the collapsed-state checks have been made).
_REVEAL = """root => { for (let e = root; e; e = e.parentElement) {
    if (e.tagName === 'DETAILS') e.open = true;
    e.classList.remove('toggle-hidden'); } }"""

_MATH = """() => {
  const all = Array.from(document.querySelectorAll('span.math, div.math'));
  return {
    total: all.length,
    untypeset: all.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80)),
    tex_errors: Array.from(document.querySelectorAll('mjx-merror'))
      .map(e => (e.closest('.math') || e).textContent.slice(0, 80)),
  };
}"""


def _wait_quietly(page, script: str, timeout_ms: int) -> None:
    """Wait until ``script`` is truthy; on timeout just return (the checks report what is missing)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_function(script, timeout=timeout_ms)
    except PlaywrightTimeout:
        pass


def _frame(root) -> str:
    """A fingerprint of the figure's current image (hashed in the page: a frame is ~50 kB)."""
    return root.eval_on_selector("img", """img => { let h = 0; const s = img.src;
        for (let i = 0; i < s.length; i++) { h = (h * 31 + s.charCodeAt(i)) | 0; }
        return s.length + ':' + h; }""")


def _position(control) -> tuple[int, int]:
    """(current index, last index) of a range input or a select."""
    return tuple(control.evaluate(
        "el => el.tagName === 'SELECT' ? [el.selectedIndex, el.options.length - 1]"
        " : [Number(el.value), Number(el.max)]"))


def _step(control, forward: bool) -> None:
    """One keyboard step, as a reader would make it (the control has focus)."""
    is_select = control.evaluate("el => el.tagName") == "SELECT"
    if is_select:
        control.press("ArrowDown" if forward else "ArrowUp")
    else:
        control.press("ArrowRight" if forward else "ArrowLeft")


def _sweep(root, control, value_el) -> tuple[bool, bool, int]:
    """Move ``control`` with the keyboard to its last value, then to its first.

    Returns (the frame changed, the shown value changed, keys pressed); stops early once both
    changed. Neighbouring values may legitimately draw the same picture, hence the full sweep.
    """
    frame, value = _frame(root), (value_el.text_content() if value_el else None)
    position, last = _position(control)
    control.scroll_into_view_if_needed()
    control.focus()
    changed = value_changed = False
    presses = 0
    for forward, n in ((True, last - position), (False, last)):
        for _ in range(n):
            _step(control, forward)
            presses += 1
            value_changed = value_changed or (value_el is not None and value_el.text_content() != value)
            changed = changed or _frame(root) != frame
            if changed and (value_changed or value_el is None):
                return True, True, presses
    return changed, value_changed or value_el is None, presses


def _exercise_figure_controls(page, report: PageReport) -> None:
    """For each control of each interactive figure, FROM THE PAGE'S INITIAL STATE: does moving it
    change the frame and the shown value?

    A control that does not act in the initial state must be visibly disabled, with the reason
    next to it (``aria-describedby``); it is then checked in a state where it acts (another
    control moved until it is enabled) and must change the frame there.
    """
    figures = page.query_selector_all(".nnlib-interactive")
    for f, root in enumerate(figures):
        root.evaluate(_REVEAL)
        report.figure_names.append(root.get_attribute("aria-label") or "")
        summary = root.query_selector("[role=status][aria-live=polite]")
        report.figure_summaries.append(summary.text_content().strip() if summary else "")
        controls = root.query_selector_all("input[type=range], select")
        if not controls:
            report.figure_controls.append({"figure": f, "control": None, "changed": False,
                                           "value_changed": False, "why": "no controls"})
        initial = [_position(c)[0] for c in controls]
        for control in controls:
            cid = control.get_attribute("id") or "?"
            value_el = root.query_selector(f"output[for='{cid}']") if cid != "?" else None
            if _position(control)[1] == 0:
                report.figure_controls.append({"figure": f, "control": cid, "changed": False,
                                               "value_changed": False, "why": "it has a single value"})
                continue
            _restore(controls, initial)
            if control.is_disabled():
                reason = control.get_attribute("aria-describedby")
                why_el = root.query_selector(f"#{reason}") if reason else None
                why = why_el.text_content().strip() if why_el and why_el.is_visible() else ""
                changed = value_changed = False
                for other in controls:   # find a state where it acts, then it must act
                    if other == control or other.is_disabled():
                        continue
                    position, last = _position(other)
                    other.focus()
                    for _ in range(position):
                        _step(other, forward=False)
                    for _ in range(last + 1):
                        if not control.is_disabled():
                            changed, value_changed, _ = _sweep(root, control, value_el)
                            break
                        other.focus()
                        _step(other, forward=True)
                    if changed:
                        break
                ok = bool(why) and changed and value_changed
                report.figure_controls.append({
                    "figure": f, "control": cid, "changed": ok, "value_changed": ok,
                    "why": f"disabled at first, reason shown: {why!r}; acts once enabled: {changed}"})
                continue
            changed, value_changed, presses = _sweep(root, control, value_el)
            report.figure_controls.append({"figure": f, "control": cid, "changed": changed,
                                           "value_changed": value_changed,
                                           "why": f"{presses} key presses from the initial state"})
        _restore(controls, initial)


def _restore(controls, positions) -> None:
    """Put every control back where the page started (as the figure's own script sees it)."""
    for control, position in zip(controls, positions):
        control.evaluate("(el, k) => { if (el.tagName === 'SELECT') { el.selectedIndex = k; } else { el.value = String(k); }"
                         " el.dispatchEvent(new Event('input')); el.dispatchEvent(new Event('change')); }", position)


# Runs in the page (every solution and hidden cell opened): the text a reader sees, outside typeset
# math and outside code cells' sources, with whether it sits in a cell's output.
_VISIBLE_TEXT = """() => {
  const root = document.querySelector('main') || document.body;
  const out = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const el = n.parentElement;
    if (!el || el.closest('script, style, noscript, mjx-container, mjx-assistive-mml, .MathJax')) continue;
    if (!n.textContent.trim()) continue;
    const output = !!el.closest('.cell_output, .output');
    const code = !output && !!el.closest('pre, code, .highlight, .cell_input');
    const hidden = el.closest('[hidden]') || getComputedStyle(el).display === 'none';
    if (hidden) continue;
    out.push({text: n.textContent, code: code, output: output});
  }
  return out;
}"""

# Markup that must never reach a reader as text.
MARKUP_IN_PROSE = [
    ("a code fence", re.compile(r"```|^\s*:::", re.M)),
    ("a {directive} or {role} name", re.compile(r"\{[a-z][a-z0-9-]{2,}\}")),
    ("a :option: line", re.compile(r"^\s*:[a-z][a-z-]*:(\s|$)", re.M)),
    ("TeX outside typeset math", re.compile(r"\\[a-zA-Z]{2,}")),
    # a $ touching a formula ("$(X W", "}_{b}$."): math MathJax did not typeset (money is "$5")
    ("untypeset $…$ math", re.compile(r"\$(?=[^\s\d$])|(?<=[^\s\d$])\$|\$\$")),
]
NUMPY_REPR = ("a NumPy scalar repr", re.compile(r"\bnp\.(?:float|int|uint|complex|bool|str)_?\d*\(|\bnp\.(?:True|False)_"))


def markup_leaks(nodes: list[dict]) -> list[str]:
    """What in the page's visible text nodes is markup shown as text (see MARKUP_IN_PROSE)."""
    found = []
    for node in nodes:
        text = node["text"]
        checks = [NUMPY_REPR] if node["code"] or node["output"] else [*MARKUP_IN_PROSE, NUMPY_REPR]
        for what, pattern in checks:
            m = pattern.search(text)
            if m:
                start = max(0, m.start() - 40)
                found.append(f"{what}: …{text[start:m.end() + 40]!r}…")
    return found


# An alt text that is a file path, a hash or a bare file name says nothing to a screen reader.
BAD_ALT = re.compile(r"^$|[/\\]|\.(png|jpe?g|svg|gif)$|^[0-9a-f]{16,}", re.I)


def _screenshot_slices(page, path: str) -> None:
    """One PNG per screenful, top to bottom, as a reader scrolls (a single full-page capture of a
    long chapter is both slow and too tall to read)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    stem = path.split(".html")[0].replace("/", "_")
    for old in SHOTS.glob(f"{stem}_*.png"):
        old.unlink()
    height = page.evaluate("document.documentElement.scrollHeight")
    for k, top in enumerate(range(0, height, VIEWPORT["height"])):
        page.evaluate(f"window.scrollTo(0, {top})")
        page.screenshot(path=str(SHOTS / f"{stem}_{k:02d}.png"))
    page.evaluate("window.scrollTo(0, 0)")


def _record_size(report: PageReport, base_url: str, url: str) -> None:
    if url.startswith(base_url):
        local = HTML / url[len(base_url):].split("?")[0].split("#")[0]
        if local.is_file():
            report.loaded_bytes[local.relative_to(HTML).as_posix()] = local.stat().st_size


def visit(browser, base_url: str, path: str) -> PageReport:
    report = PageReport(path)
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()

    def route(r):
        if urlparse(r.request.url).hostname in LOCAL_HOSTS or r.request.url.startswith("data:"):
            r.continue_()
        else:
            report.blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("console", lambda m: report.errors.append(f"console.error: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: report.errors.append(f"uncaught: {e}"))
    page.on("response", lambda r: report.failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfinished", lambda r: _record_size(report, base_url, r.url))
    page.on("requestfailed", lambda r: report.failed.append(f"{r.failure} {r.url}")
            if urlparse(r.url).hostname in LOCAL_HOSTS else None)
    try:
        page.goto(base_url + path, wait_until="load")
        # Widgets render on the load event; MathJax then typesets (labels too): wait for both.
        _wait_quietly(page, f"() => ({_WIDGETS_MISSING})().length === 0", 20_000)
        if page.evaluate("() => !!document.querySelector('.math')"):
            _wait_quietly(page, "() => window.MathJax && MathJax.startup && MathJax.startup.promise", 20_000)
            page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise.then(() => 1) : 0")
        page.wait_for_timeout(300)  # let late console errors arrive

        # Without an icon link, browsers ask for /favicon.ico (a 404 and a console error). Chromium
        # skips that request while requests are intercepted, as here, so check the link itself.
        if not page.evaluate("() => !!document.querySelector('link[rel~=icon]')"):
            report.failed.append("no <link rel=icon>: browsers will request /favicon.ico (404)")
        math = page.evaluate(_MATH)
        report.math_in_tab_order = page.evaluate(
            "() => document.querySelectorAll('mjx-container[tabindex]:not([tabindex=\"-1\"])').length")
        report.math_total = math["total"]
        report.math_untypeset = math["untypeset"]
        report.math_tex_errors = math["tex_errors"]
        report.widget_views = page.eval_on_selector_all(
            'script[type="application/vnd.jupyter.widget-view+json"]', "els => els.length")
        report.widgets_missing = page.evaluate(_WIDGETS_MISSING)

        # Collapsed = the content under the title is not visible (togglebutton / <details>).
        for sol in page.query_selector_all("div.solution"):
            body = [el for el in sol.query_selector_all(":scope > *:not(.admonition-title)") if el.is_visible()]
            if body:
                report.open_solutions.append(sol.get_attribute("id") or sol.text_content()[:60])
        report.open_hidden_cells = page.eval_on_selector_all(
            "details.hide", "els => els.filter(d => d.open).map(d => d.textContent.trim().slice(0, 60))")
        # A solution's code must sit in its one "Solution to Exercise N.k" fold, not also behind
        # a second, unlabelled "Show code cell content" button (the strict solution cell).
        report.second_reveals = page.eval_on_selector_all(
            "details.hide", "els => els.filter(d => /strict=True/.test(d.textContent))"
                            ".map(d => d.textContent.trim().slice(0, 80))")
        report.exercise_numbers = page.eval_on_selector_all(
            "div.exercise > .admonition-title, div.exercise p.admonition-title",
            "els => els.map(e => (e.textContent.match(/Exercise\\s+(\\S+)/) || [])[1] || e.textContent)")
        report.bad_alts = page.eval_on_selector_all(
            "main img", "els => els.map(i => i.getAttribute('alt') === null ? '(no alt) ' + i.src.slice(-60)"
                        " : i.getAttribute('alt'))")
        report.bad_alts = [a for a in report.bad_alts if BAD_ALT.search(a.strip()) or a.startswith("(no alt)")]

        _screenshot_slices(page, path)
        _exercise_figure_controls(page, report)
        page.wait_for_timeout(200)
        # Open every solution and hidden cell: what they show must read right too.
        page.evaluate("() => { document.querySelectorAll('details').forEach(d => d.open = true);"
                      " document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden')); }")
        report.markup_leaks = markup_leaks(page.evaluate(_VISIBLE_TEXT))
    finally:
        context.close()
    return report


@pytest.fixture(scope="module")
def reports(browser, server):
    """page path -> PageReport, each page visited once however many tests read it."""
    cache: dict[str, PageReport] = {}

    def get(path: str) -> PageReport:
        if path not in cache:
            cache[path] = visit(browser, server, path)
        return cache[path]
    return get


# --------------------------------------------------------------------------- the checks

def test_book_builds_strictly_with_every_toc_page(built_book):
    missing = [p for p in TOC_PAGES if not (built_book / p).exists()]
    assert not missing, f"pages listed in _toc.yml but not built: {missing}"


@pytest.mark.parametrize("page", PAGES)
def test_nothing_loaded_from_the_internet(reports, page):
    r = reports(page)
    assert not r.blocked, f"{page}: requests that tried to leave localhost: {r.blocked}"
    assert not r.failed, f"{page}: local requests that failed: {r.failed}"


@pytest.mark.parametrize("page", PAGES)
def test_no_javascript_errors(reports, page):
    r = reports(page)
    assert not r.errors, f"{page}: JavaScript errors:\n" + "\n".join(r.errors)


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(reports, page):
    r = reports(page)
    assert not r.math_untypeset, (f"{page}: {len(r.math_untypeset)} of {r.math_total} math elements "
                                  f"not typeset by MathJax, e.g. {r.math_untypeset[:3]}")
    assert not r.math_tex_errors, f"{page}: TeX errors in math: {r.math_tex_errors[:5]}"


@pytest.mark.parametrize("page", PAGES)
def test_widgets_are_rendered(reports, page):
    r = reports(page)
    assert not r.widgets_missing, (f"{page}: {len(r.widgets_missing)} of {r.widget_views} embedded "
                                   f"widgets did not render: {r.widgets_missing[:3]}")


@pytest.mark.parametrize("page", PAGES)
def test_interactive_figures_respond_to_the_keyboard(reports, page):
    r = reports(page)
    dead = [c for c in r.figure_controls if not (c["changed"] and c["value_changed"])]
    assert not dead, (f"{page}: interactive-figure controls that did not change the figure "
                      f"(or the shown value) when moved with the keyboard: {dead}")


@pytest.mark.parametrize("page", PAGES)
def test_solutions_and_hidden_cells_start_collapsed(reports, page):
    r = reports(page)
    assert not r.open_solutions, f"{page}: solutions visible before the reader asks: {r.open_solutions}"
    assert not r.open_hidden_cells, f"{page}: hidden cells shown expanded: {r.open_hidden_cells}"


@pytest.mark.parametrize("page", TOC_PAGES)
def test_one_reveal_per_exercise(reports, page):
    r = reports(page)
    assert not r.second_reveals, (f"{page}: solution code also behind a 'Show code cell content' button "
                                  f"(tag the strict solution cell remove-cell): {r.second_reveals[:3]}")


@pytest.mark.parametrize("page", PAGES)
def test_no_markup_shown_as_text(reports, page):
    r = reports(page)
    assert not r.markup_leaks, f"{page}: markup shown to the reader as text:\n" + "\n".join(r.markup_leaks[:10])


@pytest.mark.parametrize("page", PAGES)
def test_every_image_has_real_alt_text(reports, page):
    r = reports(page)
    assert not r.bad_alts, (f"{page}: images whose alt text is empty or a path/hash (set "
                            f"mystnb.image.alt in the cell metadata): {r.bad_alts[:5]}")


CHAPTER = re.compile(r"book/ch(\d+)_(?:(\d)_)?")      # a project page: ch17_1_… → 17.1


@pytest.mark.parametrize("page", [p for p in TOC_PAGES if CHAPTER.search(p)
                                  and (ROOT / p.replace(".html", ".ipynb")).exists()])   # notebooks
def test_exercises_are_numbered_per_chapter(reports, page):
    r = reports(page)
    m = CHAPTER.search(page)
    chapter = f"{int(m.group(1))}.{m.group(2)}" if m.group(2) else str(int(m.group(1)))
    expected = [f"{chapter}.{k}" for k in range(1, len(r.exercise_numbers) + 1)]
    assert r.exercise_numbers, f"{page}: no exercise titles found"
    assert r.exercise_numbers == expected, f"{page}: exercises numbered {r.exercise_numbers}, expected {expected}"


@pytest.mark.parametrize("page", TOC_PAGES)
def test_interactive_figures_have_a_name_and_a_live_summary(reports, page):
    r = reports(page)
    assert all(n and n != "Interactive figure" for n in r.figure_names), f"{page}: figure names {r.figure_names}"
    assert len(set(r.figure_names)) == len(r.figure_names), f"{page}: two figures share a name: {r.figure_names}"
    assert all(r.figure_summaries), f"{page}: a figure without a text summary: {r.figure_summaries}"


def test_the_markup_check_catches_the_leaks_readers_found(browser):
    """The leaks of issue 9, as the pages showed them before the fix, must be caught."""
    page = browser.new_page()
    page.set_content(LEAKY_PAGE)
    found = markup_leaks(page.evaluate(_VISIBLE_TEXT))
    page.close()
    for what in ["a code fence", "a {directive} or {role} name", "a :option: line", "TeX outside typeset math",
                 "untypeset $…$ math", "a NumPy scalar repr"]:
        assert any(f.startswith(what) for f in found), (what, found)
    assert not any("fine" in f for f in found), found


# Fragments of the built ch02 and ch03 pages before the fix (markup leaked), plus a NumPy 2 repr
# in printed output, and typeset math and code that must NOT be reported ("fine").
LEAKY_PAGE = """<main>
<p>```{admonition} Common mistake: <code class="docutils literal notranslate"><span class="pre">softmax_derivative</span></code>
:class: warning
That is the diagonal of the softmax Jacobian, not the derivative.</p>
<p>activations and a network of any depth collapses into one layer:
$(X W^{[1]} + \\mathbf{b}^{[1]}) W^{[2]} + \\mathbf{b}^{[2]} = X \\underbrace{W^{[1]} W^{[2]}}_{W}</p>
<ul><li><p>\\underbrace{\\mathbf{b}^{[1]} W^{[2]} + \\mathbf{b}^{[2]}}_{\\mathbf{b}}$. Ten linear layers</p></li></ul>
<div class="cell_output"><pre>w = (np.float64(2.0), np.float64(1.0))</pre></div>
<div class="cell_input"><pre>fine = r"\\frac{a}{b} ```{note}```"</pre></div>
<p>fine: <span class="math"><mjx-container>\\frac{fine}{x}</mjx-container></span></p>
</main>"""


@pytest.mark.parametrize("page", PAGES)
def test_formulas_are_out_of_the_tab_order(reports, page):
    r = reports(page)
    assert r.math_in_tab_order == 0, (f"{page}: {r.math_in_tab_order} formulas take keyboard focus "
                                      "(MathJax menuOptions.settings.inTabOrder must be false)")


# --------------------------------------------------------------------------- axe-core, light and dark
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
_AXE_RUN = """async tags => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.filter(v => v.impact === 'critical' || v.impact === 'serious')
    .map(v => ({id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                where: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').split('\\n')[1])}));
}"""


@pytest.fixture(scope="module")
def axe_report(browser, server):
    """(page, mode) -> critical/serious axe violations on the page as first shown in that theme."""
    cache: dict = {}
    source = AXE.read_text(encoding="utf-8")

    def get(path: str, mode: str):
        if (path, mode) not in cache:
            context = browser.new_context(viewport=VIEWPORT)
            # the theme switch stores the reader's choice here; the page applies it before painting
            context.add_init_script(f"localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}');")
            page = context.new_page()
            page.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).hostname in LOCAL_HOSTS
                       or r.request.url.startswith("data:") else r.abort())
            try:
                page.goto(server + path, wait_until="load")
                if page.evaluate("() => !!document.querySelector('.math')"):
                    _wait_quietly(page, "() => window.MathJax && MathJax.startup && MathJax.startup.promise", 20_000)
                    page.evaluate("() => MathJax.startup.promise.then(() => 1)")
                page.wait_for_timeout(300)
                shown = page.evaluate("() => document.documentElement.dataset.theme")
                page.add_script_tag(content=source)
                cache[path, mode] = (shown, page.evaluate(_AXE_RUN, AXE_TAGS))
            finally:
                context.close()
        return cache[path, mode]
    return get


@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page", PAGES)
def test_axe_finds_no_serious_violation(axe_report, page, mode):
    shown, violations = axe_report(page, mode)
    assert shown == mode, f"{page}: asked for the {mode} theme, the page shows {shown!r}"
    assert not violations, (f"{page} ({mode}): axe-core found critical/serious violations:\n"
                            + "\n".join(f"  {v['id']} ({v['impact']}, {v['count']}×): {v['help']}; "
                                         f"e.g. {v['where']}" for v in violations))


@functools.lru_cache(maxsize=None)
def transfer_size(relpath: str) -> int:
    """Bytes a browser downloads for one built file: gzip level 6 for text, as-is otherwise."""
    path = HTML / relpath
    data = path.read_bytes()
    return len(gzip.compress(data, compresslevel=6)) if path.suffix in COMPRESSED_SUFFIXES else len(data)


# The search page is left out: it downloads every page that matches, by design.
@pytest.mark.parametrize("page", TOC_PAGES + ["genindex.html"])
def test_page_weight_within_budget(reports, page):
    r = reports(page)
    sent = {name: transfer_size(name) for name in r.loaded_bytes}
    total, raw = sum(sent.values()), sum(r.loaded_bytes.values())
    largest = sorted(sent.items(), key=lambda kv: -kv[1])[:5]
    assert total <= PAGE_BUDGET_BYTES, (f"{page}: downloads {total / 1e6:.2f} MB ({raw / 1e6:.2f} MB "
                                        f"uncompressed; budget {PAGE_BUDGET_BYTES / 1e6:.0f} MB); "
                                        f"largest: {largest}")
    assert total > 0, f"{page}: no file size recorded (the measurement itself is broken)"
