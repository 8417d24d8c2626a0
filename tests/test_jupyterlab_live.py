"""End-to-end tests in a real JupyterLab (with jupyterlab-myst), a real kernel, a real browser.

Every chapter of _toc.yml, opened as a reader opens it (tests/test_jupyterlab_live.py::
test_chapter_reads_as_a_book_in_jupyterlab):

* opening it does not mark it modified (its kernelspec/language_info are what ipykernel writes);
* no raw MyST is visible (no ``{exercise}``, ``:::``, ``:label:`` … in the rendered cells or in
  the one-line previews of collapsed cells);
* exercises render as numbered boxes, "Exercise 2.1", "Exercise 2.2" …, as in the HTML book;
* each written solution is hidden until its "Solution to Exercise N.k" preview is clicked, and
  shown after; math is typeset (KaTeX) and no ``$…$`` is left as text;
* after "Run all", the first slider of every interactive figure still redraws it in the kernel.

And the original live-path test:

Starts JupyterLab headless on a free localhost port (no token, ``--allow-root``, a temporary
notebook folder and temporary settings/workspace folders), opens a small notebook that shows one
``interactive_figure`` in Playwright's chromium, runs all cells from the Run menu, moves the slider
with the keyboard and checks that the kernel redrew the figure: the image changes, the shown
value changes, and exactly one figure image remains in the output. The server and its kernels
are shut down afterwards, whatever happens.

Slow (~30–60 s): marked ``slow``. Skips when Playwright or chromium is missing, except under
``CI=true`` where that fails.
"""
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
REPO = Path(__file__).resolve().parents[1]
NOTEBOOK_CELLS = [
    "import numpy as np\nfrom nnbook.interactive import interactive_figure, Slider",
    "x = np.linspace(-3, 3, 50)\n\n"
    "def draw(ax, w):\n"
    "    ax.plot(x, np.tanh(w * x))\n"
    "    ax.set_title(f'w = {w}')\n"
    "    ax.set_ylim(-1.1, 1.1)",
    "interactive_figure(draw, alt='tanh of w times x', figsize=(4, 3),\n"
    "                   w=Slider(0, 4, 1, value=1, label='weight w'))",
    "from nnbook.interactive import PlaygroundGrid, playground\n"
    "playground(PlaygroundGrid(datasets=('xor',), hidden=((4,),), activations=('tanh',), lrs=(0.3,),\n"
    "                          epochs=20, snapshot_every=10), dpi=40)",
]

pytestmark = pytest.mark.slow

CHAPTERS = sorted(REPO.glob("book/ch[0-9][0-9]_*.ipynb"))
SHOTS = REPO / "_build" / "screenshots" / "jupyterlab"   # look at them
# JupyterLab settings for the test server: render every cell (no windowing, so the whole notebook
# is in the page), and no pop-up asking about news.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false"},
}
RAW_MYST = re.compile(r"```|:::|\{(?:exercise|solution|admonition|numref|ref|figure|math)\}|^\s*:(?:label|class):", re.M)
UNTYPESET = re.compile(r"\$(?=[^\s\d$])|(?<=[^\s\d$])\$")


def _need(reason):
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (read from /proc; empty where there is no /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """(base URL, notebook name) of a JupyterLab server that lives for this module only."""
    with _lab_server(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="module")
def jupyterlab_without_myst(tmp_path_factory):
    """The same server with jupyterlab-myst disabled (a reader's JupyterLab without it)."""
    with _lab_server(tmp_path_factory.mktemp("plainlab"), disable_myst=True) as server:
        yield server


@contextlib.contextmanager
def _lab_server(root: Path, disable_myst: bool = False):
    if shutil.which("jupyter") is None and subprocess.run([sys.executable, "-m", "jupyterlab", "--version"],
                                                          capture_output=True).returncode != 0:
        _need("JupyterLab is not installed: pip install jupyterlab")
    notebooks, state = root / "notebooks", root / "state"
    notebooks.mkdir()
    state.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebooks / "live.ipynb")
    for chapter in CHAPTERS:   # copies: a test run never touches the book's own files
        shutil.copy(chapter, notebooks / chapter.name)
    for name, values in LAB_SETTINGS.items():
        path = state / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    if disable_myst:
        (state / "config" / "labconfig").mkdir(parents=True)
        (state / "config" / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"jupyterlab-myst": True}}))
    port = _free_port()
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTER_RUNTIME_DIR=str(state / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"),
               # chapters run live only: no need to precompute the HTML book's frames
               NNLIB_INTERACTIVE="live", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
           f"--ServerApp.port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
           f"--ServerApp.root_dir={notebooks}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run commands without menus
           # Safety net should this process be killed before it can clean up: an idle kernel is
           # culled after 5 minutes and the idle server then exits by itself.
           "--MappingKernelManager.cull_idle_timeout=300", "--MappingKernelManager.cull_interval=60",
           "--ServerApp.shutdown_no_activity_timeout=120"]
    log = open(state / "server.log", "wb")
    # Own process group: the kernels it starts are ended with it.
    server = subprocess.Popen(cmd, cwd=notebooks, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/status", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (state / "server.log").read_text(errors="replace")[-3000:])
            time.sleep(0.5)
        yield base, "live.ipynb"
    finally:
        try:  # polite shutdown first (stops kernels), then make sure
            req = urllib.request.Request(f"{base}/api/shutdown", method="POST")
            urllib.request.urlopen(req, timeout=5).close()
            server.wait(timeout=15)
        except Exception:
            pass
        if server.poll() is None:
            kernels = _children(server.pid)  # kernels run in their own process groups
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
            for pid in kernels:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        log.close()


def test_slider_redraws_the_figure_in_the_kernel(jupyterlab, browser):
    base, name = jupyterlab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    external, page_errors = [], []

    def route(r):
        if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.goto(f"{base}/lab/tree/{name}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    # JupyterLab may ask which kernel to start: accept its proposal (Python 3).
    try:
        page.locator(".jp-Dialog button.jp-mod-accept").click(timeout=15_000)
    except Exception:
        pass
    # Wait for the kernel before running (the toolbar shows its status as "Idle").
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)

    # Do not await the command's promise: it settles only when every cell has finished.
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")

    output = page.locator(".jp-Notebook .jp-OutputArea-output").first
    image = output.locator("img.widget-image")
    try:
        image.first.wait_for(timeout=60_000)
    except Exception:  # say what JupyterLab showed instead of the figure
        raise AssertionError("no figure image appeared; the output area shows:\n"
                             + page.locator(".jp-Notebook .jp-OutputArea").last.inner_text())
    assert image.count() == 1
    before = image.get_attribute("src")
    readout = output.locator(".widget-readout")
    assert readout.inner_text().strip() == "1"

    handle = output.locator(".noUi-handle")
    handle.focus()
    page.keyboard.press("ArrowRight")
    # The new picture can only come from the kernel: it redrew the figure with w = 2.
    image.evaluate("(img, before) => new Promise(ok => { const t = setInterval(() => {"
                   " if (img.src !== before) { clearInterval(t); ok(); } }, 50); })", before)
    assert readout.inner_text().strip() == "2"
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.jp-Notebook .widget-readout').innerText.trim() === '3'",
                           timeout=30_000)
    time.sleep(1.0)  # give a stray second figure the chance to appear before counting
    assert output.locator("img").count() == 1
    assert "weight w = 3" in output.locator("span[role=img]").get_attribute("aria-label")
    assert page.get_by_text("javascript error").count() == 0  # a widget view that failed to render
    assert external == [] and page_errors == []

    # The playground: ▶ (keyboard: focus + Enter) trains in the kernel and redraws its one image.
    pg = page.locator(".jp-Notebook .jp-OutputArea-output").nth(1)
    pg_image = pg.locator("img.widget-image")
    pg_image.wait_for(timeout=60_000)
    first = pg_image.get_attribute("src")
    play = pg.locator(".widget-play button").first
    play.focus()
    page.keyboard.press("Enter")
    pg_image.evaluate("(img, before) => new Promise(ok => { const t = setInterval(() => {"
                      " if (img.src !== before) { clearInterval(t); ok(); } }, 50); })", first)
    pg.locator(".widget-play button").nth(1).click()   # pause
    assert pg.locator("img").count() == 1
    assert page.get_by_text("javascript error").count() == 0
    assert external == [] and page_errors == []
    page.close()


def _open(browser, base: str, name: str):
    """A page showing notebook ``name`` with its kernel idle; (page, external requests, errors)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    external, errors = [], []

    def route(r):
        if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda e: errors.append(str(e)))
    # A workspace of its own: JupyterLab would otherwise reopen the notebooks of earlier tests.
    page.goto(f"{base}/lab/workspaces/{Path(name).stem}/tree/{name}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    try:
        page.locator(".jp-Dialog button.jp-mod-accept").click(timeout=5_000)
    except Exception:
        pass
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    return page, external, errors


# Where a Markdown cell's rendering lives: jupyterlab-myst's widget, else JupyterLab's own.
RENDERED = ".jp-Cell-inputArea > .myst, .jp-MarkdownOutput"
_CELLS = """() => { const RENDERED = '""" + RENDERED + """'; return Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map(c => {
  const placeholder = c.querySelector('.jp-InputPlaceholder');
  const md = c.querySelector(RENDERED);
  return {
    markdown: c.classList.contains('jp-MarkdownCell'),
    placeholder: placeholder && placeholder.offsetParent !== null ? placeholder.innerText.trim() : null,
    shown: md && md.offsetParent !== null ? md.innerText : '',
    katex: md ? md.querySelectorAll('.katex').length : 0,
  };
}); }"""


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.stem for c in CHAPTERS])
def test_chapter_reads_as_a_book_in_jupyterlab(jupyterlab, browser, chapter):
    base, _ = jupyterlab
    nb = nbformat.read(chapter, as_version=4)
    project = re.match(r"ch(\d\d)_(\d)_", chapter.name)     # ch17_1_…: numbered 17.1.k
    number = f"{int(project.group(1))}\\.{project.group(2)}" if project else str(int(chapter.name[2:4]))
    solution_cells = [i for i, c in enumerate(nb.cells)
                      if c.cell_type == "markdown" and "solution" in c.metadata.get("tags", [])]
    n_exercises = sum(len(re.findall(r"^:{3,}\{exercise\}", c.source, re.M)) for c in nb.cells
                      if c.cell_type == "markdown")
    page, external, errors = _open(browser, base, chapter.name)
    try:
        page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length === {len(nb.cells)}",
                               timeout=30_000)
        # jupyterlab-myst renders the cells, then numbers them across the notebook
        page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .katex').length > 0"
                               f" && (document.querySelector('.jp-Notebook').innerText.match(/Exercise {number}\\.\\d+/g) || []).length"
                               f" >= {n_exercises}", timeout=60_000)
        time.sleep(1.0)
        cells = page.evaluate(_CELLS)
        assert len(cells) == len(nb.cells)
        assert page.locator(".jp-mod-dirty").count() == 0, f"{chapter.name}: marked modified on opening"

        # no raw MyST anywhere a reader looks: rendered cells and collapsed-cell previews
        for i, cell in enumerate(cells):
            if cell["markdown"]:
                for text in (cell["shown"], cell["placeholder"] or ""):
                    m = RAW_MYST.search(text)
                    assert not m, f"{chapter.name} cell {i}: raw MyST visible: …{text[max(0, m.start() - 40):m.end() + 40]!r}…"
                    m = UNTYPESET.search(text)
                    assert not m, f"{chapter.name} cell {i}: math left as text: …{text[max(0, m.start() - 40):m.end() + 40]!r}…"
        # every chapter typesets its math (a project page has only a few formulas)
        n_math = sum(len(re.findall(r"\$[^$\n]+\$", c.source)) for c in nb.cells if c.cell_type == "markdown")
        assert n_math and sum(c["katex"] for c in cells) >= min(10, n_math), \
            f"{chapter.name}: math is not typeset ({n_math} formulas in the source)"

        # exercises numbered per chapter, as in the HTML book
        titles = re.findall(r"Exercise\s+(\d+(?:\.\d+)+)\s+\(", page.locator(".jp-Notebook").inner_text())
        assert titles == [f"{number.replace(chr(92), '')}.{k}" for k in range(1, n_exercises + 1)], titles

        # every written solution hidden, then shown after a click on its labelled preview
        assert solution_cells, f"{chapter.name}: no solution cells"
        for k, i in enumerate(solution_cells, start=1):
            cell = cells[i]
            assert cell["placeholder"] is not None and not cell["shown"].strip(), \
                f"{chapter.name} cell {i}: a solution visible before the reader asks"
            assert re.match(rf"% Solution to Exercise {number}\.\d+", cell["placeholder"]), cell["placeholder"]
            node = page.locator(".jp-Notebook .jp-Cell").nth(i)
            if k == 1:   # screenshots to look at: an exercise with its solution hidden, then shown
                SHOTS.mkdir(parents=True, exist_ok=True)
                node.scroll_into_view_if_needed()
                page.evaluate("el => el.scrollIntoView({block: 'center'})", node.element_handle())
                page.screenshot(path=str(SHOTS / f"{chapter.stem}_1_solution_hidden.png"))
            node.locator(".jp-InputPlaceholder").click()
            node.locator(RENDERED).first.wait_for(state="visible", timeout=10_000)
            shown = node.locator(RENDERED).first.inner_text()
            assert re.search(rf"Solution to\s*Exercise\s+{number}\.\d+", shown), shown[:200]
            m = RAW_MYST.search(shown)
            assert not m, f"raw MyST in a solution: …{shown[max(0, m.start() - 60):m.end() + 60]!r}…"
            if k == 1:
                page.screenshot(path=str(SHOTS / f"{chapter.stem}_2_solution_shown.png"))

        # sliders still live: run the chapter, then move the first slider of every figure
        page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
        page.wait_for_function("() => document.querySelector(\".jp-Notebook-ExecutionIndicator[data-status='busy']\")",
                               timeout=30_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=240_000)
        # Running a Markdown cell clears its source_hidden: after Run All every solution must
        # still be folded (its ':class: dropdown'), showing its title and nothing more.
        time.sleep(1.0)
        after = page.evaluate(_CELLS)
        for i in solution_cells:
            shown = re.sub(r"\s+", " ", after[i]["shown"]).strip()
            rest = re.sub(rf"^.*?Solution to\s*Exercise\s+{number}\.\d+\S*", "", shown).strip()
            assert after[i]["placeholder"] is not None or len(rest) < 40, \
                f"{chapter.name} cell {i}: after Run All the solution is in plain sight: {shown[:160]!r}"
        figures = page.locator(".jp-Notebook .nnlib-interactive-live")
        n_figures = len(re.findall(r"^interactive_figure\(", "\n".join(c.source for c in nb.cells if c.cell_type == "code"), re.M))
        assert figures.count() == n_figures, f"{chapter.name}: {figures.count()} live figures, expected {n_figures}"
        for f in range(n_figures):
            figure = figures.nth(f)
            image = figure.locator("img.widget-image").first
            # the first slider that acts in the figure's initial state (a disabled one says why);
            # a figure whose only slider is disabled at first is moved by its first menu
            handles = figure.locator(".noUi-target:not([disabled]) .noUi-handle")
            before = image.get_attribute("src")
            if handles.count() == 0:
                menu = figure.locator("select").first
                menu.scroll_into_view_if_needed()
                menu.select_option(index=1)
                assert _changes(image, before), f"{chapter.name}: figure {f + 1}'s menu did not redraw it"
                continue
            handle = handles.first
            handle.scroll_into_view_if_needed()
            for key in ("ArrowRight", "ArrowLeft", "ArrowLeft"):   # at the right end, step back
                before = image.get_attribute("src")
                handle.focus()
                page.keyboard.press(key)
                if _changes(image, before):
                    break
            else:
                raise AssertionError(f"{chapter.name}: figure {f + 1}'s slider did not redraw it in the kernel")
        figures.first.scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"{chapter.stem}_3_live_figure.png"))
        assert page.get_by_text("javascript error").count() == 0
        assert external == [], external
        assert errors == [], errors
    finally:
        page.close()


def _changes(image, before: str, timeout_ms: int = 20_000) -> bool:
    """Did the image's src change (a redraw from the kernel) within the timeout?"""
    return image.evaluate("(img, [before, ms]) => new Promise(ok => { const t0 = Date.now();"
                          " const t = setInterval(() => { if (img.src !== before) { clearInterval(t); ok(true); }"
                          " else if (Date.now() - t0 > ms) { clearInterval(t); ok(false); } }, 50); })",
                          [before, timeout_ms])


def test_solutions_stay_hidden_in_a_jupyterlab_without_the_extension(jupyterlab_without_myst, browser):
    """Without jupyterlab-myst the directives show as text, but no solution may be in sight."""
    base, _ = jupyterlab_without_myst
    for chapter in CHAPTERS:
        nb = nbformat.read(chapter, as_version=4)
        hidden = [i for i, c in enumerate(nb.cells) if c.metadata.get("jupyter", {}).get("source_hidden")]
        solutions = [i for i, c in enumerate(nb.cells) if "solution" in c.metadata.get("tags", [])]
        page, external, errors = _open(browser, base, chapter.name)
        try:
            page.wait_for_function(f"() => document.querySelectorAll('.jp-Notebook .jp-Cell').length === {len(nb.cells)}",
                                   timeout=30_000)
            time.sleep(1.0)
            assert page.locator(".jp-Notebook .myst").count() == 0, "jupyterlab-myst is still active"
            cells = page.evaluate(_CELLS)
            assert solutions and set(solutions) <= set(hidden)
            for i in hidden:
                assert cells[i]["placeholder"] is not None and not cells[i]["shown"].strip(), \
                    f"{chapter.name} cell {i}: shown openly without the extension"
            for i in solutions:
                assert cells[i]["placeholder"].startswith(("% Solution to Exercise", "# Solution to Exercise")), \
                    cells[i]["placeholder"]
            code = page.locator(".jp-Notebook").inner_text()
            assert "strict=True" not in code, f"{chapter.name}: a solution's code is visible"
            node = page.locator(".jp-Notebook .jp-Cell").nth(solutions[0])
            page.evaluate("el => el.scrollIntoView({block: 'center'})", node.element_handle())
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{chapter.stem}_0_without_jupyterlab_myst.png"))
            assert external == [] and errors == []
        finally:
            page.close()
