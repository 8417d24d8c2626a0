"""Refresh the JavaScript that the HTML book serves itself (maintainers only).

Readers never run this: the files it writes are committed under ``book/assets/`` so that
building the book needs only Python. A maintainer who wants newer versions runs

    python scripts/vendor_assets.py            # needs `npm` (Node.js) on PATH

which downloads the pinned packages with ``npm pack`` (the ordinary npm client, nothing
else), copies only the files the book needs, and removes ``sourceMappingURL`` comments
(the .map files are not vendored, so browsers' developer tools would report 404s).

Why each file is needed:

* ``mathjax/tex-chtml.js`` typesets ``$...$`` math. It loads its fonts from
  ``mathjax/output/chtml/fonts/woff-v2/`` and, when a page uses a macro outside the core
  set (``\\boldsymbol``, ``\\cancel``, ...), an extension from ``mathjax/input/tex/extensions/``;
  both are resolved relative to the script, so the folder layout must be kept.
* ``widgets/require.js`` + ``widgets/embed-amd.js`` render the ipywidgets whose state the
  build saved into the page (the html-manager is an AMD module, so it needs require.js).
  Its CSS asks for Font Awesome fonts next to ``embed-amd.js``: the three ``.woff2`` files
  (Chrome/Firefox/Safari pick woff2 first; the other formats are for old browsers).
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "book" / "assets"

# Pinned: html-manager 1.0.x is the line that renders ipywidgets 8 state.
PACKAGES = {
    "mathjax": "3.2.2",
    "@jupyter-widgets/html-manager": "1.0.15",
    "requirejs": "2.3.8",
}

SOURCE_MAP = re.compile(rb"\n?//# sourceMappingURL=[^\n]*")


def npm_pack(spec: str, dest: Path) -> Path:
    """Download one package tarball with `npm pack` and unpack it; return its `package/` dir."""
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("vendor_assets.py needs npm (Node.js). Readers do not: the assets are committed.")
    out = subprocess.run([npm, "pack", spec, "--silent"], cwd=dest, check=True,
                         capture_output=True, text=True).stdout.split()[-1]
    unpack = dest / out.removesuffix(".tgz")
    with tarfile.open(dest / out) as tar:
        tar.extractall(unpack, filter="data")
    return unpack / "package"


def copy(src: Path, dst: Path, strip_maps: bool = False) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    data = src.read_bytes()
    if strip_maps:
        data = SOURCE_MAP.sub(b"", data)
    dst.write_bytes(data)


def vendor(tmp: Path) -> None:
    mj = npm_pack(f"mathjax@{PACKAGES['mathjax']}", tmp)
    hm = npm_pack(f"@jupyter-widgets/html-manager@{PACKAGES['@jupyter-widgets/html-manager']}", tmp)
    rq = npm_pack(f"requirejs@{PACKAGES['requirejs']}", tmp)

    for sub in ("mathjax", "widgets"):
        shutil.rmtree(ASSETS / sub, ignore_errors=True)

    es5 = mj / "es5"
    copy(es5 / "tex-chtml.js", ASSETS / "mathjax" / "tex-chtml.js", strip_maps=True)
    for font in sorted((es5 / "output/chtml/fonts/woff-v2").glob("*.woff")):
        copy(font, ASSETS / "mathjax/output/chtml/fonts/woff-v2" / font.name)
    for ext in sorted((es5 / "input/tex/extensions").glob("*.js")):
        if ext.name != "all-packages.js":  # everything at once; autoload fetches what a page uses
            copy(ext, ASSETS / "mathjax/input/tex/extensions" / ext.name, strip_maps=True)
    copy(mj / "LICENSE", ASSETS / "mathjax" / "LICENSE")

    dist = hm / "dist"
    copy(dist / "embed-amd.js", ASSETS / "widgets" / "embed-amd.js", strip_maps=True)
    for font in sorted(dist.glob("*.woff2")):
        copy(font, ASSETS / "widgets" / font.name)
    copy(dist / "embed.js.LICENSE.txt", ASSETS / "widgets" / "THIRD-PARTY-NOTICES.txt")
    copy(rq / "require.js", ASSETS / "widgets" / "require.js", strip_maps=True)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        vendor(Path(tmp))
    total = sum(p.stat().st_size for p in ASSETS.rglob("*") if p.is_file())
    print(f"book/assets: {total / 1e6:.1f} MB; versions {PACKAGES}")
    print("Update the versions table in book/assets/README.md if you changed a pin.")


if __name__ == "__main__":
    main()
