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
    """Every notebook of _toc.yml: the chapters and their sections (the projects of Chapter 17)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []

    def walk(entries):
        for entry in entries:
            files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", []):
        walk(part["chapters"])
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


CHAPTERS = chapters()
# A project notebook (book/ch17_<k>_*.ipynb) is numbered 17.<k>: Exercise 17.1.2, Figure 17.1.1.
PROJECT = re.compile(r"ch(\d\d)_(\d)_")
PROJECTS = [p for p in CHAPTERS if PROJECT.match(p.name)]
TEACHING = [p for p in CHAPTERS if p not in PROJECTS]
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


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.stem)
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


def test_there_are_four_projects():
    assert len(PROJECTS) == 4, [p.name for p in PROJECTS]


@pytest.mark.parametrize("path", PROJECTS, ids=lambda p: p.stem)
def test_project_has_the_required_parts(path):
    """A project (issue 16): milestones instead of sections, each coded milestone with starter
    code, a check and a hidden reference solution; a measured target; hints; what a strong
    submission looks like and how an instructor grades it."""
    text = markdown(path)
    code = "\n".join(c.source for c in cells(path) if c.cell_type == "code")
    milestones = re.findall(r"^## Milestone (\d+)\b", text, re.M)
    assert len(milestones) >= 3 and milestones == [str(k + 1) for k in range(len(milestones))], \
        f"{path.name}: milestones {milestones}"
    assert len(EXERCISE.findall(text)) >= 3, f"{path.name}: each milestone is an exercise"
    assert re.search(r"\bcheck\.\w+_target\(", code), f"{path.name}: no target check"
    assert len(re.findall(r":::\{admonition\} Hint", text)) >= 3, f"{path.name}: too few hints"
    assert all(re.search(p, text, re.I | re.M) for p in (
        r"learning objectives", r"^## .*target", r"^## What a strong submission looks like",
        r"^## How an instructor grades it", r"common mistake")), f"{path.name}: a part is missing"
    figures = len(re.findall(r"\binteractive_figure\(", code))
    assert figures >= 1, f"{path.name}: no interactive figure"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_page_loads_nothing_from_the_internet(path):
    # Links in prose are fine to *read*, but nothing the page renders may fetch a URL:
    # no <img src=http...>, no <script src=...>, no markdown images from the web.
    for cell in cells(path):
        assert not re.search(r"!\[[^\]]*\]\(https?://", cell.source), f"{path.name}: web image in a cell"
        assert not re.search(r"<(?:img|script|iframe)[^>]+src=[\"']https?://", cell.source), \
            f"{path.name}: a web resource in a cell"


# --------------------------------------------------------------------------- the reading surface
# (issue 9; the conventions are written up in book/WRITING.md)
IPYKERNEL_SPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{(exercise|solution|admonition)\}\s*(\S*)", re.M)
FIGURE_CELL = re.compile(r"plt\.show\(\)|^interactive_figure\(", re.M)
HIDING_TAGS = {"hide-input", "hide-cell", "remove-input", "remove-cell", "hide-output"}


def chapter_number(path: Path) -> str:
    """"7" for a chapter, "17.1" for the first project."""
    m = PROJECT.match(path.name)
    return f"{int(m.group(1))}.{m.group(2)}" if m else str(int(path.name[2:4]))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_front_matter_numbers_the_chapter(path):
    first = next(c for c in cells(path) if c.cell_type == "markdown")
    m = FRONT_MATTER.match(first.source)
    assert m, f"{path.name}: the first Markdown cell must start with the numbering front matter (book/WRITING.md)"
    data = yaml.safe_load(m.group(1))
    assert data["numbering"]["enumerator"] == f"{chapter_number(path)}.%s", data
    assert data["numbering"]["equation"] is False, "$$ blocks are unnumbered in the HTML book: say so for JupyterLab"
    m_project = PROJECT.match(path.name)
    title = rf"# Project {m_project.group(2)}\. " if m_project else rf"# Chapter {chapter_number(path)}\. "
    assert re.match(title, first.source[m.end():]), "title right after the front matter"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_directives_are_colon_fences_one_per_cell(path):
    for i, cell in enumerate(cells(path)):
        if cell.cell_type != "markdown":
            continue
        found = DIRECTIVE.findall(cell.source)
        assert all(fence.startswith(":") for fence, _, _ in found), \
            f"{path.name} cell {i}: a backtick-fenced directive (use :::{{…}}): {found}"
        kinds = [kind for _, kind, _ in found if kind in ("exercise", "solution")]
        assert len(kinds) <= 1, f"{path.name} cell {i}: {kinds} in one cell (split: one exercise or solution per cell)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_solutions_are_hidden_in_jupyterlab_and_labelled_with_their_number(path):
    number, exercises, current = chapter_number(path), {}, None
    for i, cell in enumerate(cells(path)):
        tags = cell.metadata.get("tags", [])
        hidden = cell.metadata.get("jupyter", {}).get("source_hidden") is True
        if cell.cell_type == "markdown":
            for _, kind, arg in DIRECTIVE.findall(cell.source):
                if kind == "exercise":
                    label = re.search(r"^:label:\s*(\S+)", cell.source, re.M).group(1)
                    exercises[label] = f"{number}.{len(exercises) + 1}"
                    current = label
                elif kind == "solution":
                    assert arg == current, f"{path.name} cell {i}: the solution to {arg} does not follow its exercise"
                    assert "solution" in tags and hidden, \
                        f"{path.name} cell {i}: a written solution must be tagged 'solution' and source_hidden"
                    first = cell.source.splitlines()[0]
                    assert first == f"% Solution to Exercise {exercises[arg]}: hidden until you click", \
                        f"{path.name} cell {i}: first line {first!r} (JupyterLab shows it on the collapsed cell)"
                    # Running a Markdown cell (Run All) clears source_hidden in JupyterLab: the
                    # fold-out keeps the solution closed after that, in the HTML book one click.
                    assert cell.source.splitlines()[2] == ":class: dropdown", \
                        f"{path.name} cell {i}: the solution needs ':class: dropdown' right under its directive"
        elif "solution" in tags:
            assert set(tags) == {"remove-cell", "solution"} and hidden, \
                f"{path.name} cell {i}: a strict solution cell must be remove-cell (one reveal in HTML) and source_hidden"
            assert cell.source.startswith(f"# Solution to Exercise {exercises[current]}, run through the strict checker"), \
                f"{path.name} cell {i}: {cell.source.splitlines()[0]!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_cells_the_book_hides_are_hidden_in_jupyterlab_too(path):
    for i, cell in enumerate(cells(path)):
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "code" and re.match(r"\s*quiz\(", cell.source):
            assert "remove-input" in tags, f"{path.name} cell {i}: a quiz's source holds its answer (remove-input)"
        if tags & HIDING_TAGS:
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, \
                f"{path.name} cell {i}: tagged {sorted(tags)} but shown openly in JupyterLab (add source_hidden)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_references_stay_in_the_notebook_and_read_naturally(path):
    text = markdown(path)
    labels = set(re.findall(r"^:label:\s*(\S+)", text, re.M)) | set(re.findall(r"^\((\S+)\)=", text, re.M))
    for role, body in re.findall(r"\{(ref|numref|eq|doc)\}`([^`]*)`", text):
        target = re.sub(r"^.*<(.+)>$", r"\1", body)
        assert role != "doc" and target in labels, \
            f"{path.name}: {{{role}}}`{body}` points outside the notebook (JupyterLab cannot resolve it)"
        assert not (role == "ref" and target.startswith("ex-")), \
            f"{path.name}: {{ref}}`{body}` reads 'Exercise Exercise N': use {{numref}} (book/WRITING.md)"
    assert not re.search(r"Exercises? Exercise", text)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_figures_are_numbered_captioned_and_described(path):
    number, k, all_cells = chapter_number(path), 0, cells(path)
    for i, cell in enumerate(all_cells):
        if cell.cell_type != "code" or not FIGURE_CELL.search(cell.source):
            continue
        k += 1
        caption = all_cells[i + 1] if i + 1 < len(all_cells) else None
        assert caption is not None and caption.cell_type == "markdown" and \
            caption.source.startswith(f"*Figure {number}.{k}. "), \
            f"{path.name} cell {i}: figure {number}.{k} needs a caption '*Figure {number}.{k}. …*' right after it"
        if "plt.show()" in cell.source:
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt.split()) >= 4 and not re.search(r"[/\\]|\.png|\$|\\[a-z]", alt), \
                f"{path.name} cell {i}: static figure {number}.{k} needs real alt text (mystnb.image.alt): {alt!r}"
    text = markdown(path)
    for ref in re.findall(rf"Figure ({re.escape(number)}\.\d+)", text):
        assert int(ref.rsplit(".", 1)[1]) <= k, f"{path.name}: 'Figure {ref}' refers to a figure that does not exist"


# Sliders over a quantity that is discrete by nature, with fewer than 7 positions (the chapter
# standard asks >= 7 for continuous quantities); anything else below 7 fails.
DISCRETE_SLIDERS = {
    ("ch01", "w1"), ("ch01", "w2"), ("ch01", "b"),   # the AND/OR/XOR panel: integer weights by design
    ("ch02", "depth"),                                # a number of layers (5 depths, 2 … 30)
    ("ch03", "log2_H"),                               # log₂ of a unit count (H = 1 … 32)
    ("ch06", "log_peak"),                             # each position trains 5 networks (chapter budget)
    ("ch10", "k"), ("ch10", "s"), ("ch10", "p"), ("ch10", "d"),  # kernel size, stride, padding,
    ("ch10", "depth"),                                # dilation and layer count: small integers
    ("ch13", "query"),                                # a position in a short sequence
}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_continuous_sliders_have_at_least_seven_positions(path):
    import ast

    from nnbook.interactive import Slider

    code = "\n".join(c.source for c in cells(path) if c.cell_type == "code")
    for call in ast.walk(ast.parse(code)):
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", "") == "interactive_figure"):
            continue
        for kw in call.keywords:
            value = kw.value
            if not (isinstance(value, ast.Call) and "Slider" in ast.unparse(value.func)):
                continue
            if any(k.arg == "animate" for k in value.keywords):
                continue   # steps through time (epochs, updates): every step is shown
            slider = eval(ast.unparse(value), {"Slider": Slider})  # literal arguments only
            if (path.stem[:4], kw.arg) in DISCRETE_SLIDERS and len(slider.values()) < 7:
                continue
            assert len(slider.values()) >= 7, \
                f"{path.name}: slider {kw.arg} has {len(slider.values())} positions (a toggle); give it >= 7"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_kernel_metadata_is_what_ipykernel_writes(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.kernelspec == IPYKERNEL_SPEC, nb.metadata.kernelspec
    info = nb.metadata.get("language_info", {})
    for key in ("codemirror_mode", "file_extension", "mimetype", "name", "nbconvert_exporter", "pygments_lexer", "version"):
        assert key in info, f"{path.name}: language_info lacks {key} (JupyterLab fills it and marks the notebook modified)"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_progress_cell_lists_every_checked_exercise(path):
    """Every exercise with a check cell appears, with its checks, in the chapter's progress cell."""
    all_cells = cells(path)
    modules = set()
    for cell in all_cells:
        if cell.cell_type == "code":
            for m in re.finditer(r"from nnbook\.exercises import (\w+)(?: as (\w+))?", cell.source):
                modules.add(m.group(2) or m.group(1))
    checked, current = {}, None
    for cell in all_cells:
        if cell.cell_type == "markdown" and re.search(r"^:{3,}\{exercise\}", cell.source, re.M):
            current = re.search(r"^:label:\s*(\S+)", cell.source, re.M).group(1)
        elif cell.cell_type == "code" and current and "solution" not in cell.metadata.get("tags", []) \
                and "progress(" not in cell.source:
            for m in re.finditer(r"^\s*((\w+)\.(\w+))\(", cell.source, re.M):
                if m.group(2) in modules:
                    checked.setdefault(current, set()).add(m.group(1))
    progress = [c.source for c in all_cells if c.cell_type == "code" and "progress(" in c.source]
    if not checked:
        return
    assert len(progress) == 1, f"{path.name}: one progress cell at the end of the exercises"
    for label, checks in checked.items():
        entry = re.search(rf'\("[\d.]+", "{re.escape(label)}", ([^)]*)\)', progress[0])
        assert entry, f"{path.name}: {label} is missing from the progress cell"
        assert set(x.strip() for x in entry.group(1).split(",")) == checks, (label, entry.group(1), checks)
