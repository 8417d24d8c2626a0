"""Shared fixtures for nnlib's unit tests.

* Warnings are errors in every unit test: an overflow in ``np.exp`` must fail loudly.
* ``torch`` is the PyTorch reference. Under ``CI=true`` a missing torch is a failure
  (parity tests must run); on a reader's laptop the parity tests skip with a reason.
"""
import contextlib
import functools
import http.server
import os
import shutil
import threading
import warnings

import numpy as np
import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.fixture(scope="session")
def torch():
    try:
        import torch as _torch
    except ImportError:
        if IN_CI:
            pytest.fail("PyTorch is required under CI=true for parity tests: pip install torch==2.13.0")
        pytest.skip("PyTorch not installed: parity tests skipped (pip install torch==2.13.0)")
    _torch.set_default_dtype(_torch.float64)
    return _torch


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# --------------------------------------------------------------------------- real-browser tests
# Debian's chromium, driven by Playwright for Python (Playwright cannot download its own browser
# here). The flags stop Chromium's own background traffic, which a closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def require(reason: str):
    """A missing tool: a failure under CI=true (the test must run there), else a skip saying why."""
    if IN_CI:
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for one test module.

    Module scope, not session: a sync Playwright left open would make the next browser test
    module in the same pytest worker fail ("Sync API inside the asyncio loop").
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("Playwright for Python is not installed: pip install playwright")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        require("Debian's chromium is not installed: apt-get install chromium")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # one line per request would drown pytest's output
        pass


@pytest.fixture(scope="session")
def serve_directory():
    """``with serve_directory(path) as base_url:`` serves a folder on a free localhost port."""
    return _serve_directory


@contextlib.contextmanager
def _serve_directory(directory):
    """Serve ``directory`` on a free localhost port; yields the base URL (ending in '/')."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture(autouse=True)
def _reset_nnlib_shared_generator():
    """Every test starts from the shared generator's import-time state (seed 0), so a test that
    creates unseeded layers gets the same weights whichever tests ran before it in the worker."""
    from nnlib import init

    init.seed(0)
    yield
