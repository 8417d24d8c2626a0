"""Per-chapter numbers (Exercise 2.1, 2.2 …), the same in the HTML book as in JupyterLab.

A chapter notebook starts its first Markdown cell with MyST front matter::

    ---
    numbering:
      enumerator: 2.%s
      equation: false
    ---
    # Chapter 2. Activation functions

jupyterlab-myst reads that block (and hides it): exercises become "Exercise 2.1", "2.2" …, and
``$$`` blocks stay unnumbered, as in the HTML book. myst-nb does not read front matter inside a
cell (it would show the block as a rule and a heading), so this extension:

* on ``source-read``, takes the block out of the notebook's first Markdown cell and remembers the
  chapter's ``enumerator`` template;
* on ``env-get-updated`` (after Sphinx numbered every enumerable node book-wide: "Exercise 29"),
  renumbers that chapter's exercises, figures, tables and code blocks from 1, in document order,
  through the template: "2.%s" gives (2, 1), shown "Exercise 2.1" and resolved the same way by
  ``{numref}`` and by sphinx-exercise's "Solution to Exercise 2.1".

A page without front matter keeps Sphinx's numbers. ``book/WRITING.md`` documents the convention.
"""
from __future__ import annotations

import json
import re

import yaml
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?)\n---[ \t]*(?:\n|\Z)", re.S)


def split_front_matter(text: str) -> tuple[dict, str]:
    """(front matter as a dict, the text without it); ({}, text) when there is none."""
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, text
    data = yaml.safe_load(m.group("yaml")) or {}
    if not isinstance(data, dict):
        return {}, text
    return data, text[m.end():]


def enumerator_of(front_matter: dict) -> str | None:
    """The ``numbering.enumerator`` template ("2.%s"), or None."""
    numbering = front_matter.get("numbering")
    if not isinstance(numbering, dict):
        return None
    template = numbering.get("enumerator")
    if isinstance(template, dict):  # mystmd also accepts {enumerator: "2.%s"}
        template = template.get("enumerator")
    return template if isinstance(template, str) and "%s" in template else None


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    env = app.env
    if not hasattr(env, "nn_enumerators"):
        env.nn_enumerators = {}
    env.nn_enumerators.pop(docname, None)
    if not str(env.doc2path(docname)).endswith(".ipynb"):
        return
    try:
        nb = json.loads(source[0])
    except ValueError:
        return
    cell = next((c for c in nb.get("cells", []) if c.get("cell_type") == "markdown"), None)
    if cell is None:
        return
    text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    front, rest = split_front_matter(text)
    if not front:
        return
    template = enumerator_of(front)
    if template is None:
        logger.warning(f"{docname}: front matter without numbering.enumerator (e.g. '2.%s')",
                       location=docname)
    else:
        env.nn_enumerators[docname] = template
    cell["source"] = rest
    source[0] = json.dumps(nb, ensure_ascii=False)


def _number(template: str, k: int) -> tuple:
    """"2.%s", 3 → (2, 3); the parts Sphinx joins with '.' ("A.%s" → ("A", 3))."""
    parts = template.replace("%s", str(k)).split(".")
    return tuple(int(p) if p.isdigit() else p for p in parts)


def _renumber(app: Sphinx, env) -> list[str]:
    changed = []
    for docname, template in getattr(env, "nn_enumerators", {}).items():
        per_type = env.toc_fignumbers.get(docname)
        if not per_type:
            continue
        for figtype, numbers in per_type.items():
            # Sphinx counted in document order: keep that order, restart at 1.
            ordered = sorted(numbers, key=lambda node_id: numbers[node_id])
            per_type[figtype] = {node_id: _number(template, k) for k, node_id in enumerate(ordered, 1)}
        changed.append(docname)
    return changed


def _purge(app: Sphinx, env, docname: str) -> None:
    getattr(env, "nn_enumerators", {}).pop(docname, None)


def _merge(app: Sphinx, env, docnames, other) -> None:
    if not hasattr(env, "nn_enumerators"):
        env.nn_enumerators = {}
    for docname in docnames:
        if docname in getattr(other, "nn_enumerators", {}):
            env.nn_enumerators[docname] = other.nn_enumerators[docname]


def setup(app: Sphinx) -> dict:
    app.connect("source-read", _source_read)
    # After Sphinx's TocTreeCollector (priority 500) has assigned its book-wide numbers.
    app.connect("env-get-updated", _renumber, priority=900)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
