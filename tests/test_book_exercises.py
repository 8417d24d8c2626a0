"""Every chapter keeps the book's promises about exercises and structure.

* The solution a reader sees in the HTML dropdown is the code the build proves: each
  ``{solution}`` block's Python appears, line for line, in the hidden solution cell that runs the
  checker with ``strict=True``.
* Every coded exercise has a starter that raises NotImplementedError, a check cell and a strict
  solution cell; every exercise label is unique and every solution points at an exercise.
* Each Part I chapter has what issue "Part I chapters" asks for: learning objectives, at least
  two interactive figures, at least four exercises (two or more coded and checked), a common
  mistakes callout, a summary and further reading.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def chapters() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc.get("parts", []) for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


CHAPTERS = chapters()
EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}[^\n]*\n(?::[^\n]*\n)*?:label:\s*(\S+)", re.M)
SOLUTION = re.compile(r"^(`{3,}|:{3,})\{solution\}\s*(\S+)\s*\n(.*?)^\1\s*$", re.M | re.S)
PYTHON_BLOCK = re.compile(r"^```(?:python|ipython3?)\s*\n(.*?)^```\s*$", re.M | re.S)


def cells(path):
    return nbformat.read(path, as_version=4).cells


def markdown(path) -> str:
    return "\n".join(c.source for c in cells(path) if c.cell_type == "markdown")


def solution_cells(path):
    return [c for c in cells(path) if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]


def code_lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_chapters_are_found():
    assert len(CHAPTERS) >= 6, [p.name for p in CHAPTERS]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_exercise_labels_are_unique_and_solutions_point_at_them(path):
    labels = [m.group(2) for m in EXERCISE.finditer(markdown(path))]
    assert len(labels) == len(set(labels)), f"duplicate exercise labels in {path.name}: {labels}"
    targets = [m.group(2) for m in SOLUTION.finditer(markdown(path))]
    assert targets, f"{path.name} has no {{solution}} blocks"
    assert set(targets) <= set(labels), f"solutions for unknown exercises: {set(targets) - set(labels)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_dropdown_solution_code_is_the_code_the_build_proves(path):
    proven = "\n".join(c.source for c in solution_cells(path))
    proven_lines = set(code_lines(proven))
    for m in SOLUTION.finditer(markdown(path)):
        for block in PYTHON_BLOCK.findall(m.group(3)):
            missing = [line for line in code_lines(block) if line not in proven_lines]
            assert not missing, (f"{path.name}, solution to {m.group(2)}: these lines of the dropdown "
                                 f"are not in any strict solution cell (the two copies drifted): {missing[:5]}")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_solution_cell_is_checked_strictly_and_hidden(path):
    for cell in solution_cells(path):
        assert "strict=True" in cell.source, f"{path.name}: a solution cell that proves nothing:\n{cell.source[:300]}"
        tags = cell.metadata.get("tags", [])
        assert {"hide-cell", "remove-cell"} & set(tags), f"{path.name}: a solution cell shown openly: {tags}"
        assert cell.metadata.get("jupyter", {}).get("source_hidden"), \
            f"{path.name}: a solution cell whose source JupyterLab shows expanded"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_coded_exercises_have_a_stub_and_a_check(path):
    code = [c.source for c in cells(path) if c.cell_type == "code" and "solution" not in c.metadata.get("tags", [])]
    stubs = [s for s in code if "raise NotImplementedError" in s]
    checks = [s for s in code if re.search(r"\bcheck\.\w+\(", s)]
    strict = solution_cells(path)
    assert len(stubs) >= 2 and len(checks) >= 2 and len(strict) >= 2, \
        f"{path.name}: {len(stubs)} stubs, {len(checks)} check cells, {len(strict)} strict solutions"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_the_required_parts(path):
    text = markdown(path)
    code = "\n".join(c.source for c in cells(path) if c.cell_type == "code")
    exercises = EXERCISE.findall(text)
    assert len(exercises) >= 4, f"{path.name}: {len(exercises)} exercises, need at least 4"
    figures = len(re.findall(r"\binteractive_figure\(", code)) + len(re.findall(r"\b(?:static_)?playground\(", code))
    assert figures >= 2, f"{path.name}: {figures} interactive figures, need at least 2"
    assert re.search(r"learning objectives", text, re.I), f"{path.name}: no learning objectives"
    assert re.search(r"common mistake", text, re.I), f"{path.name}: no common-mistakes callout"
    assert re.search(r"^#+ .*Summary", text, re.M), f"{path.name}: no Summary section"
    assert re.search(r"^#+ .*Further reading", text, re.M), f"{path.name}: no Further reading section"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_page_loads_nothing_from_the_internet(path):
    # Links in prose are fine to *read*, but nothing the page renders may fetch a URL:
    # no <img src=http...>, no <script src=...>, no markdown images from the web.
    for cell in cells(path):
        assert not re.search(r"!\[[^\]]*\]\(https?://", cell.source), f"{path.name}: web image in a cell"
        assert not re.search(r"<(?:img|script|iframe)[^>]+src=[\"']https?://", cell.source), \
            f"{path.name}: a web resource in a cell"
