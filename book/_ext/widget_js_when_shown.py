"""Sphinx extension: load the ipywidgets scripts only on pages that display a widget.

myst-nb adds the saved widget state and the html-manager (``nb_ipywidgets_js``: require.js +
embed-amd.js, 3.7 MB) to every page whose notebook *created* a widget. Our interactive figures
create live widgets for JupyterLab but the HTML book shows their precomputed ``text/html`` view
instead (``nb_mime_priority_overrides``), so on such pages the state is never rendered and the
scripts are dead weight. This handler runs after myst-nb's and drops them when the page body has
no widget view.
"""
from __future__ import annotations

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _is_widget_script(js, widget_files: set[str]) -> bool:
    filename = getattr(js, "filename", None) or ""
    attributes = getattr(js, "attributes", {}) or {}
    return attributes.get("type") == WIDGET_STATE or filename in widget_files


def drop_unused_widget_scripts(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body is None or WIDGET_VIEW in body:
        return
    # The HTML builder stores local paths with the "_static/" prefix.
    widget_files = {name for path in app.config.nb_ipywidgets_js for name in (path, f"_static/{path}")}
    context["script_files"] = [js for js in context.get("script_files", [])
                               if not _is_widget_script(js, widget_files)]


def setup(app):
    # myst-nb adds the scripts at the default priority 500; run after it.
    app.connect("html-page-context", drop_unused_widget_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
