"""``glue``: put a number computed in a notebook cell into the book's prose, cheaply.

myst-nb's ``glue(name, value)`` stores a value's display in the cell's output, and the prose
shows it with ``{glue:text}`name:.2f```. Importing ``myst_nb`` is free, but the *first call*
of its ``glue`` imports nbformat and jsonschema: about 1.3 s of CPU, a tenth of a chapter's
15-second budget, for nothing the kernel needs. This function writes the same output (same
MIME keys, same metadata; ``tests/test_glue.py`` compares the two) with IPython alone.
"""
from __future__ import annotations

from typing import Any

from IPython.core.formatters import format_display_data
from IPython.display import display as ipy_display

__all__ = ["glue", "GLUE_PREFIX"]

GLUE_PREFIX = "application/papermill.record/"   # what myst-nb's build looks for


def glue(name: str, variable: Any, display: bool = True) -> None:
    """Store ``variable``'s display under ``name`` (as ``myst_nb.glue``; ``display=False`` hides it)."""
    mimebundle, metadata = format_display_data(variable)
    mime_prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = dict(name=name, mime_prefix=mime_prefix)
    ipy_display({mime_prefix + k: v for k, v in mimebundle.items()}, raw=True, metadata=metadata)
