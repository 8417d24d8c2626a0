"""End-to-end test of the live path: a real JupyterLab, a real kernel, a real browser.

Starts JupyterLab headless on a free localhost port (no token, ``--allow-root``, a temporary
notebook folder and temporary settings/workspace folders), opens a small notebook that shows one
``interactive_figure`` in Playwright's chromium, runs all cells from the Run menu, moves the slider
with the keyboard and checks that the kernel redrew the figure: the image changes, the shown
value changes, and exactly one figure image remains in the output. The server and its kernels
are shut down afterwards, whatever happens.

Slow (~30–60 s): marked ``slow``. Skips when Playwright or chromium is missing, except under
``CI=true`` where that fails.
"""
import os
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
    if shutil.which("jupyter") is None and subprocess.run([sys.executable, "-m", "jupyterlab", "--version"],
                                                          capture_output=True).returncode != 0:
        _need("JupyterLab is not installed: pip install jupyterlab")
    root = tmp_path_factory.mktemp("lab")
    notebooks, state = root / "notebooks", root / "state"
    notebooks.mkdir()
    state.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in NOTEBOOK_CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, notebooks / "live.ipynb")
    port = _free_port()
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               JUPYTER_CONFIG_DIR=str(state / "config"), JUPYTER_RUNTIME_DIR=str(state / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(state / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(state / "workspaces"))
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
