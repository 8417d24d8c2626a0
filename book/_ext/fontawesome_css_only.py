"""Sphinx extension: drop the theme's 1.5 MB Font Awesome JavaScript; its CSS fonts suffice.

pydata-sphinx-theme 0.17 ships Font Awesome twice: web fonts with CSS classes (in its style
sheet, ~0.2 MB of woff2) and ``_static/scripts/fontawesome.js`` (1.5 MB), which swaps each
``<i class="fa-...">`` for an inline SVG. The icons look the same either way, and the script
alone is 40% of what every page loads before its own content (the issue-4 budget is 5 MB per
page). After the build, replace the script with a stub; the page still requests it, so no 404.
"""
from __future__ import annotations

from pathlib import Path

STUB = "/* Emptied by book/_ext/fontawesome_css_only.py: icons come from the theme's CSS web fonts. */\n"


def stub_fontawesome_js(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    script = Path(app.outdir) / "_static" / "scripts" / "fontawesome.js"
    if script.is_file() and script.stat().st_size > len(STUB):
        script.write_text(STUB)


def setup(app):
    app.connect("build-finished", stub_fontawesome_js)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
