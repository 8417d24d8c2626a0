"""The book's notebooks are clean sources and _toc.yml lists exactly the pages in book/.

* Every page listed in ``_toc.yml`` exists, and every notebook or Markdown page in ``book/`` is
  listed (``only_build_toc_files: true`` would otherwise silently leave it out of the book, and
  nbval would test a notebook no reader sees).
* Notebooks are committed without outputs, execution counts or saved widget state: outputs go
  stale, bloat the history and make diffs unreadable; the build and nbval execute them anyway.
* Notebooks are valid nbformat 4.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from sphinx_external_toc.parsing import parse_toc_yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PAGE_SUFFIXES = (".ipynb", ".md")
SKIP_PARTS = {"assets", ".ipynb_checkpoints", "_build"}
NOT_PAGES = {"book/WRITING"}   # the writers' guide: documentation beside the chapters, not a page


def toc_docnames() -> list[str]:
    """Docnames in _toc.yml, e.g. ["book/intro", "book/ch01_neural_networks"]."""
    return list(parse_toc_yaml(ROOT / "_toc.yml"))


def book_pages() -> dict[str, Path]:
    """Docname -> file for every notebook and Markdown page under book/ (not assets/)."""
    pages = {}
    for path in sorted(BOOK.rglob("*")):
        rel = path.relative_to(ROOT)
        if path.suffix in PAGE_SUFFIXES and not SKIP_PARTS & set(rel.parts) \
                and rel.with_suffix("").as_posix() not in NOT_PAGES:
            pages[rel.with_suffix("").as_posix()] = path
    return pages


def notebook_problems(path: Path) -> list[str]:
    """What is wrong with a committed notebook (empty list: nothing)."""
    try:
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    except Exception as err:  # not JSON, or not a notebook at all
        return [f"cannot be read as a notebook: {err}"]
    if nb.get("nbformat") != 4:
        return [f"nbformat {nb.get('nbformat')}, expected 4"]
    problems = []
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        problems.append(f"invalid nbformat: {err.message}")
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        if cell.get("outputs"):
            problems.append(f"cell {i} has {len(cell['outputs'])} output(s)")
        if cell.get("execution_count") is not None:
            problems.append(f"cell {i} has execution_count {cell['execution_count']}")
    if "widgets" in nb.get("metadata", {}):
        problems.append("saved widget state in the notebook metadata")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != "python3":
        problems.append("kernelspec is not python3 (the build and nbval run the python3 kernel)")
    return problems


NOTEBOOKS = sorted(p for p in book_pages().values() if p.suffix == ".ipynb")


def test_every_toc_entry_exists():
    pages = book_pages()
    missing = [d for d in toc_docnames() if d not in pages]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"


def test_every_page_in_book_is_in_the_toc():
    listed = set(toc_docnames())
    unlisted = [d for d in book_pages() if d not in listed]
    assert not unlisted, (f"pages in book/ missing from _toc.yml (they would not be built): {unlisted}; "
                          "add them to _toc.yml or move them out of book/")


def test_no_static_folder_at_the_book_root():
    # Jupyter Book injects every .js/.css found in <root>/_static into every page.
    assert not (ROOT / "_static").exists(), "rename _static/: Jupyter Book would inject its files into every page"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_clean(path):
    problems = notebook_problems(path)
    assert not problems, (f"{path.relative_to(ROOT)}: " + "; ".join(problems)
                          + "\n(clear it: jupyter nbconvert --clear-output --inplace " + path.name + ")")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_prose_has_no_glue_roles_jupyterlab_cannot_render(path):
    nb = nbformat.read(path, as_version=4)
    bad = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and "{glue" in c.source]
    assert not bad, (f"{path.name}: cells {bad} use a {{glue}} role, which JupyterLab shows raw; "
                     "make the number exact by construction and assert it (book/WRITING.md)")


# The checker itself must be able to fail.

def _write(tmp_path, nb) -> Path:
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def _clean_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = 1")]
    return nb


def test_checker_accepts_a_clean_notebook(tmp_path):
    assert notebook_problems(_write(tmp_path, _clean_notebook())) == []


def test_checker_rejects_outputs_counts_widget_state_and_bad_files(tmp_path):
    nb = _clean_notebook()
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[1].execution_count = 3
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    problems = notebook_problems(_write(tmp_path, nb))
    assert any("output" in p for p in problems)
    assert any("execution_count 3" in p for p in problems)
    assert any("widget state" in p for p in problems)

    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    assert notebook_problems(broken)[0].startswith("cannot be read")
