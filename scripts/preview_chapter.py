"""Build one chapter (plus the intro page) strictly in a temporary folder and screenshot it.

    python scripts/preview_chapter.py book/ch02_activations.ipynb [--out /tmp/preview]

For authors: a full-book build executes every chapter; this executes only yours. It copies the
book's configuration and assets, writes a table of contents with the intro and your chapter,
builds with ``-W -n --keep-going`` (any warning fails), then takes full-page screenshots in headless
Chromium (network blocked) and prints where they are, with any console errors. Look at the PNGs.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def chapter_title(path: pathlib.Path) -> str:
    """The chapter's "# Chapter N. …" heading (after the front matter of its first cell)."""
    import nbformat

    first = next(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    return next(line for line in first.splitlines() if line.startswith("# "))


def build(chapter: pathlib.Path, out: pathlib.Path) -> pathlib.Path:
    if out.exists():
        shutil.rmtree(out)
    (out / "book").mkdir(parents=True)
    shutil.copy(ROOT / "_config.yml", out / "_config.yml")
    shutil.copy(ROOT / "book" / "intro.md", out / "book" / "intro.md")
    for folder in ("assets", "_ext"):   # vendored JS/CSS and local Sphinx extensions
        if (ROOT / "book" / folder).exists():
            shutil.copytree(ROOT / "book" / folder, out / "book" / folder,
                            ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(chapter, out / "book" / chapter.name)
    # The intro links every chapter: the others become title-only stubs (not executed), so the
    # links resolve and the strict build still judges only this chapter.
    import nbformat
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []

    def walk(entries):               # chapters and their sections (the projects of Chapter 17)
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part["chapters"])
    for f in files:
        page = ROOT / f"{f}.md"
        if page.exists():            # a Markdown page of the book (e.g. the notation page)
            shutil.copy(page, out / page.relative_to(ROOT))
            continue
        other = ROOT / f"{f}.ipynb"
        if other.name == chapter.name or not other.exists():
            continue
        title = chapter_title(other)
        stub = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"{title}\n\n(stub for the preview)")])
        nbformat.write(stub, out / "book" / other.name)
    if f"book/{chapter.stem}" not in files:
        files.append(f"book/{chapter.stem}")
    (out / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: Preview\n    chapters:\n"
        + "".join(f"      - file: {f}\n" for f in files))
    cmd = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
           "build", "-W", "-n", "--keep-going", str(out)]
    # One BLAS thread per process, as in the tests and scripts/build_book.py (2-3x faster here).
    env = dict(os.environ, **{v: os.environ.get(v, "1") for v in BLAS_THREADS})
    result = subprocess.run(cmd, capture_output=True, text=True, env=env)
    log = result.stdout + result.stderr
    # Sphinx's warnings and errors; a kernel's own start-up notices are not about the page.
    warnings = [line for line in log.splitlines()
                if ("WARNING" in line or "ERROR" in line) and "IPKernelApp" not in line]
    for line in warnings:
        print(line)
    if result.returncode != 0:
        print(log[-4000:])
        raise SystemExit(f"build failed ({len(warnings)} warnings/errors above)")
    return out / "_build" / "html"


def screenshot(html_dir: pathlib.Path, pages: list[str], shots: pathlib.Path) -> None:
    import http.server
    import threading
    from functools import partial

    from playwright.sync_api import sync_playwright

    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(html_dir))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    shots.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium") or shutil.which("chromium-browser"), args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda route: route.continue_()
                       if route.request.url.startswith(f"http://127.0.0.1:{port}") else route.abort())
            for name in pages:
                errors.clear()
                page.goto(f"http://127.0.0.1:{port}/book/{name}.html", wait_until="networkidle")
                page.wait_for_timeout(1500)  # MathJax typesets asynchronously
                # Slices of one viewport each: a single full-page PNG of a long chapter is
                # too tall to read when viewed.
                height = page.evaluate("document.documentElement.scrollHeight")
                for k in range(0, height, 900):
                    png = shots / f"{name}_{k // 900:02d}.png"
                    page.screenshot(path=str(png), full_page=True,
                                    clip={"x": 0, "y": k, "width": 1200, "height": min(900, height - k)})
                print(f"screenshots: {shots}/{name}_NN.png ({(height + 899) // 900} slices)")
                for e in errors:
                    print(f"  console error on {name}: {e}")
            browser.close()
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapter", type=pathlib.Path)
    parser.add_argument("--out", type=pathlib.Path, default=None)
    parser.add_argument("--no-screenshot", action="store_true")
    args = parser.parse_args()
    chapter = args.chapter.resolve()
    if not args.no_screenshot:   # say what is missing before spending a build on it
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            raise SystemExit("preview_chapter: the screenshots need Playwright, which requirements.txt does "
                             "not install:\n    python -m pip install -r requirements-test.txt   (or: pip "
                             "install playwright)\nand Debian's chromium (apt-get install chromium). Or run "
                             "with --no-screenshot to only build the chapter.")
        if not (shutil.which("chromium") or shutil.which("chromium-browser")):
            raise SystemExit("preview_chapter: the screenshots need Debian's chromium: apt-get install "
                             "chromium (or run with --no-screenshot to only build the chapter)")
    out = args.out or pathlib.Path(tempfile.gettempdir()) / f"preview_{chapter.stem}"
    html = build(chapter, out)
    print(f"built: {html / 'book' / (chapter.stem + '.html')}")
    if not args.no_screenshot:
        screenshot(html, [chapter.stem], out / "screenshots")


if __name__ == "__main__":
    main()
