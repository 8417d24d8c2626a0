"""Instructor and student editions from one source, plus a helper that writes the exercise cells.

The chapters ARE the instructor edition: every exercise has a ``{solution}`` block and a
hidden solution cell. The student edition is derived from them:

* every cell tagged ``solution`` is removed (written solutions and strict solution cells);
* every ``{solution}`` directive block (and ``{solution-start}`` … ``{solution-end}``) is cut out
  of markdown cells and ``.md`` pages; a markdown cell left empty is removed;
* outputs are cleared; exercises, starters and check cells stay (the checks then print
  "not attempted yet", so the notebooks still run end to end);
* with the whole book, the folder also gets ``nnlib/``, ``nnbook/``, ``pyproject.toml``, a
  ``requirements.txt`` and a ``README.md`` saying what the edition hides and what it does not:
  it installs and builds on its own.

Commands (run from the repository root)::

    python scripts/student_edition.py student/                 # all chapters in _toc.yml
    python scripts/student_edition.py student/ --force         # replace an existing folder
    python scripts/student_edition.py student/ book/ch02_activations.ipynb   # chosen files
    python scripts/student_edition.py student/ --html          # + build the student HTML
    python -m nnbook.edition student/ ...             # the same thing

The output folder is never overwritten without ``--force``. With the ``_toc.yml`` mode the
folder is a complete book (``_config.yml`` gets ``sphinx.config.hide_solutions: true``, which
makes sphinx-exercise drop any solution that slipped through), so ``--html`` simply runs
``jupyter-book build <out>`` and the pages land in ``<out>/_build/html``.
"""
from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

__all__ = ["exercise_cells", "strip_solutions", "strip_markdown", "solution_leaks",
           "toc_files", "write_student_edition", "main"]

SOLUTION_TAG = "solution"
_OPEN = re.compile(r"^\s*(?P<fence>`{3,}|:{3,})\s*\{(?P<name>solution(?:-start|-end)?)\}")


# --------------------------------------------------------------------------- writing exercises
def exercise_cells(label: str, title: str, statement: str, starter: str, check: str,
                   solution: str, explanation: str = "", number: str | None = None) -> list:
    """The five cells of one coded exercise, following the book's pattern (``book/WRITING.md``).

    Args:
        label: ``"ex-ch02-softmax"`` (``ex-<chapter>-<name>``), used to pair the solution.
        title: the exercise's title. statement: its markdown text.
        starter: the stub the reader completes (it must ``raise NotImplementedError``).
        check: the check call, e.g. ``"check.softmax(softmax)"``.
        solution: the solution code (without the check; the strict check is appended).
        explanation: markdown shown above the solution code.
        number: the exercise's number in its chapter, e.g. ``"2.4"`` (it labels the collapsed
            solution's one-line preview in JupyterLab; the renderers number the boxes themselves).

    Returns a list of nbformat cells: the statement (a ``:::{exercise}`` colon fence), starter,
    check, the written solution (its own cell, tagged ``solution``, collapsed in JupyterLab by
    ``source_hidden``, its first line a MyST comment naming it), and the strict solution cell
    (tags ``remove-cell`` + ``solution``: run by the build and nbval, not shown in the HTML book,
    collapsed in JupyterLab).
    """
    if "NotImplementedError" not in starter:
        raise ValueError(f"{label}: the starter must `raise NotImplementedError` so the check "
                         "cell reports 'not attempted yet'")
    if "strict=True" in check:
        raise ValueError(f"{label}: the reader's check cell must not use strict=True")
    name = f"Exercise {number}" if number else "the exercise above"
    statement_md = f":::{{exercise}} {title}\n:label: {label}\n\n{statement.strip()}\n:::"
    body = (explanation.strip() + "\n\n" if explanation.strip() else "")
    solution_md = (f"% Solution to {name}: hidden until you click\n"
                   f":::{{solution}} {label}\n:class: dropdown\n\n{body}```python\n{solution.strip()}\n```\n:::")
    # every check call of the cell, made strict (an exercise may check two functions)
    strict_check = "\n".join(line.rstrip()[:-1] + ", strict=True)" if line.rstrip().endswith(")")
                              else line for line in check.strip().splitlines())
    hidden = nbformat.v4.new_code_cell(f"# Solution to {name}, run through the strict checker\n"
                                       f"{solution.strip()}\n\n{strict_check}")
    hidden.metadata.update({"tags": ["remove-cell", SOLUTION_TAG], "jupyter": {"source_hidden": True}})
    written = nbformat.v4.new_markdown_cell(solution_md)
    written.metadata.update({"tags": [SOLUTION_TAG], "jupyter": {"source_hidden": True}})
    return [nbformat.v4.new_markdown_cell(statement_md),
            nbformat.v4.new_code_cell(starter.strip()),
            nbformat.v4.new_code_cell(check.strip()),
            written,
            hidden]


# --------------------------------------------------------------------------- removing solutions
def strip_markdown(text: str) -> str:
    """Remove every ``{solution}`` directive block (and solution-start … solution-end)."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        m = _OPEN.match(lines[i])
        if not m:
            out.append(lines[i])
            i += 1
            continue
        i = _skip_block(lines, i, m.group("fence"))
        if m.group("name") == "solution-start":
            # everything up to and including the {solution-end} block is solution
            while i < len(lines):
                m2 = _OPEN.match(lines[i])
                i = _skip_block(lines, i, m2.group("fence")) if m2 else i + 1
                if m2 and m2.group("name") == "solution-end":
                    break
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def _skip_block(lines: list[str], start: int, fence: str) -> int:
    """Index just after the fenced block opened at ``lines[start]``."""
    char, n = fence[0], len(fence)
    for j in range(start + 1, len(lines)):
        stripped = lines[j].strip()
        if stripped and set(stripped) == {char} and len(stripped) >= n:
            return j + 1
    return len(lines)  # unclosed: MyST runs it to the end of the cell


def strip_solutions(nb):
    """A copy of notebook ``nb`` without solutions, and with outputs cleared."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.cell_type == "markdown":
            cell.source = strip_markdown(cell.source)
            if not cell.source.strip():
                continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    nb.cells = cells
    return nb


def solution_leaks(nb) -> list[str]:
    """What still looks like a solution in ``nb`` (empty list: clean)."""
    leaks = []
    for index, cell in enumerate(nb.cells):
        if SOLUTION_TAG in cell.get("metadata", {}).get("tags", []):
            leaks.append(f"cell {index}: tagged '{SOLUTION_TAG}'")
        if re.search(r"\{solution(-start|-end)?\}", cell.source):
            leaks.append(f"cell {index}: contains a {{solution}} directive")
        if cell.cell_type == "code" and "strict=True" in cell.source:
            leaks.append(f"cell {index}: a strict check (solution cells only)")
    return leaks


# --------------------------------------------------------------------------- the edition
def toc_files(root: Path) -> list[Path]:
    """The source files (``.ipynb`` or ``.md``) listed in ``root/_toc.yml``, in order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    names: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    names.append(node[key])
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    found = []
    for name in names:
        path = root / name
        candidates = [path] if path.suffix in (".ipynb", ".md") else \
            [path.with_suffix(".ipynb"), path.with_suffix(".md")]
        found += [c for c in candidates if c.exists()][:1]
    return found


def _student_copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.suffix == ".ipynb":
        nb = strip_solutions(nbformat.read(src, as_version=4))
        leaks = solution_leaks(nb)
        if leaks:
            raise SystemExit(f"{src}: solution text survived stripping: {leaks}")
        nbformat.write(nb, dst)
    else:
        dst.write_text(strip_markdown(src.read_text(encoding="utf-8")) + "\n", encoding="utf-8")


def _hide_solutions_config(src: Path, dst: Path) -> None:
    import yaml

    config = yaml.safe_load(src.read_text(encoding="utf-8")) if src.exists() else {}
    config = config or {}
    config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    # the edition's own README and the copied packages (which hold .md files) are not pages
    excluded = config.setdefault("exclude_patterns", [])
    excluded += [p for p in ("README.md", "nnlib", "nnbook", "_build", ".venv") if p not in excluded]
    config["title"] = f"{config.get('title', 'Book')} (student edition)"
    dst.write_text("# Generated by nnbook.edition: do not edit.\n"
                   + yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")


STUDENT_README = """\
# {title} — student edition

The chapters of the book as notebooks, **without the written solutions**: every exercise keeps its
statement, its starter cell and its check cell, which tells you at once whether your code is right
(and, if not, the likely mistake). Generated by `scripts/student_edition.py`; do not edit here.

## Install and open

```bash
python3 -m venv .venv && . .venv/bin/activate
python -m pip install -r requirements.txt
jupyter lab book/          # as root (e.g. in a container): jupyter lab --allow-root book/
```

Open `book/ch01_neural_networks.ipynb` first. To read the chapters as a website instead, run
`jupyter-book build .` and open `_build/html/index.html` (solutions hidden there too).

## What this edition hides, and what it does not

- Hidden: the written solution of every exercise and the cells that run the reference solution
  through the strict checker.
- **Not hidden:** `nnlib/` is the library the chapters teach — it contains working versions of
  most functions the exercises ask for (that is its job: the chapters use it). The checkers in
  `nnbook/exercises/` compare your answer with reference implementations that you can read.
- So this edition is for **practice**, not for secure grading: a student who wants to can read
  the answers in the library. For graded work, use exercises whose answers are not in the
  library, or a grader that runs outside the student's environment.
"""


def _installable(root: Path, out: Path) -> None:
    """Make ``out`` installable on its own: the packages, pyproject.toml, requirements, a README."""
    for package in ("nnlib", "nnbook"):
        if (root / package).is_dir():
            shutil.copytree(root / package, out / package, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if (root / "pyproject.toml").exists():
        shutil.copy2(root / "pyproject.toml", out / "pyproject.toml")
    if (root / "requirements.txt").exists():
        shutil.copy2(root / "requirements.txt", out / "requirements.txt")
    import yaml

    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8")) if (root / "_config.yml").exists() else {}
    title = (config or {}).get("title", "The book")
    (out / "README.md").write_text(STUDENT_README.format(title=title), encoding="utf-8")


def write_student_edition(out: Path, root: Path = Path("."), files: list[Path] | None = None,
                          force: bool = False) -> list[Path]:
    """Write the student edition into ``out``; return the files written.

    With ``files`` None, every file in ``root/_toc.yml`` is converted, the rest of the book's
    folders (images, assets, bibliography) are copied, and ``_config.yml`` is copied with
    ``hide_solutions: true``: ``out`` is a buildable book. With ``files``, only those are
    converted, written flat into ``out``.
    """
    out, root = Path(out), Path(root)
    if out.exists() and any(out.iterdir()):
        if not force:
            raise FileExistsError(f"{out} already exists and is not empty; choose another folder "
                                  "or pass --force to replace it")
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if files is not None:
        for src in map(Path, files):
            dst = out / src.name
            _student_copy(src, dst)
            written.append(dst)
        return written
    sources = toc_files(root)
    # Copy the book's folders for their images and assets, but no notebook: only the ones in
    # the table of contents are written, and only after their solutions are removed.
    ignore = shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__", "*.pyc",
                                    "*.ipynb")
    for folder in sorted({src.parent.resolve() for src in sources} - {root.resolve()}):
        shutil.copytree(folder, out / folder.relative_to(root.resolve()), ignore=ignore,
                        dirs_exist_ok=True)
    for page in out.rglob("*.md"):  # a copied page may hold a solution too
        page.write_text(strip_markdown(page.read_text(encoding="utf-8")) + "\n", encoding="utf-8")
    for extra in ("_toc.yml", "references.bib", "logo.png"):
        if (root / extra).exists():
            shutil.copy2(root / extra, out / extra)
    _hide_solutions_config(root / "_config.yml", out / "_config.yml")
    _installable(root, out)
    for src in sources:
        dst = out / src.resolve().relative_to(root.resolve())
        _student_copy(src, dst)
        written.append(dst)
    leaks = {str(nb): solution_leaks(nbformat.read(nb, as_version=4)) for nb in out.rglob("*.ipynb")}
    leaks = {path: found for path, found in leaks.items() if found}
    if leaks:  # belt and braces: nothing with a solution may leave this function
        raise RuntimeError(f"solutions found in the student edition: {leaks}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="student_edition",
        description="Write the student edition of the book: notebooks without solutions.")
    parser.add_argument("out", type=Path, help="output folder (must not exist, or use --force)")
    parser.add_argument("files", nargs="*", type=Path,
                        help="notebooks/pages to convert (default: everything in _toc.yml)")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="the book's root folder, holding _config.yml and _toc.yml")
    parser.add_argument("--force", action="store_true", help="replace an existing output folder")
    parser.add_argument("--html", action="store_true",
                        help="then build the student HTML (jupyter-book build OUT)")
    args = parser.parse_args(argv)
    try:
        written = write_student_edition(args.out, args.root, args.files or None, args.force)
    except FileExistsError as exc:
        print(f"student_edition: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} student file(s) to {args.out}")
    if args.html:
        if args.files:
            print("student_edition: --html needs the full book (omit the file list)", file=sys.stderr)
            return 2
        # Jupyter Book's CLI through this interpreter (as scripts/build_book.py does), strict:
        # a failing cell or a dangling reference to a removed solution fails the build.
        command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()",
                   "build", "-W", "-n", "--keep-going", str(args.out)]
        print("running:", " ".join(command))
        return subprocess.call(command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
