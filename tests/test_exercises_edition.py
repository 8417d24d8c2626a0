"""The exercise pattern in real notebooks, and the student edition made from them.

A small chapter following the pattern is written to a temporary folder; the instructor
version runs end to end (strict solution checks pass), the student version contains no
solution text and still runs end to end (checks say "not attempted yet").
"""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from nnbook.edition import (exercise_cells, main, solution_leaks, strip_markdown,
                                     strip_solutions, toc_files, write_student_edition)

REPO = Path(__file__).resolve().parent.parent

SOFTMAX_SOLUTION = """\
def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)"""

MSE_GRAD_SOLUTION = """\
def mse_grad(y_hat, y):
    return 2 * (y_hat - y) / y_hat.size"""

SECRET = "keepdims=True))"  # a string that occurs only in the solutions


def _chapter() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Chapter X\n\nSome text."),
        nbformat.v4.new_code_cell("import numpy as np\n"
                                  "from nnbook.exercises import activations as check, losses as check4\n"
                                  "from nnbook.exercises import reveal, quiz"),
        nbformat.v4.new_markdown_cell("## Exercises"),
        *exercise_cells(
            "ex-chx-softmax", "A softmax that never overflows",
            "Write `softmax(z)` for logits of shape `(N, K)`.",
            "def softmax(z):\n    # your code here\n    raise NotImplementedError",
            "check.softmax(softmax)", SOFTMAX_SOLUTION,
            explanation="Subtract each row's max first."),
        *exercise_cells(
            "ex-chx-mse-grad", "The gradient of MSE",
            "Write `mse_grad(y_hat, y)`.",
            "def mse_grad(y_hat, y):\n    raise NotImplementedError",
            "check4.mse_grad(mse_grad)", MSE_GRAD_SOLUTION),
        nbformat.v4.new_markdown_cell(textwrap.dedent("""\
            ```{exercise} Why not s(1 - s)?
            :label: ex-chx-why

            What is wrong with `softmax_derivative(s) = s * (1 - s)`?
            ```

            ```{solution} ex-chx-why
            :class: dropdown

            It is only the diagonal of the Jacobian, the hidden answer text.
            ```""")),
        nbformat.v4.new_code_cell('reveal("Why subtract the max?", "exp overflows above ~709.")'),
        nbformat.v4.new_code_cell('quiz("Softmax belongs in", ["hidden layers", "the output layer"], 1,\n'
                                  '     ["no: it squashes gradients", "yes"])'),
    ]
    return nb


def _execute(path: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def _outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out["text"])
            for value in out.get("data", {}).values():
                parts.append(value if isinstance(value, str) else json.dumps(value))
    return "\n".join(parts)


@pytest.fixture
def chapter(tmp_path):
    path = tmp_path / "book" / "chx.ipynb"
    path.parent.mkdir()
    nbformat.write(_chapter(), path)
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: book/chx\n")
    (tmp_path / "_config.yml").write_text("title: Test book\nsphinx:\n  config:\n    x: 1\n")
    return path


def test_exercise_cells_follow_the_pattern():
    cells = exercise_cells("ex-a-b", "T", "Do it.", "def f(x):\n    raise NotImplementedError",
                           "check.f(f)", "def f(x):\n    return x")
    kinds = [c.cell_type for c in cells]
    assert kinds == ["markdown", "code", "code", "markdown", "code"]
    assert cells[0].source.startswith(":::{exercise} T\n:label: ex-a-b")
    assert cells[3].source.startswith("% Solution to the exercise above: hidden until you click\n:::{solution} ex-a-b\n")
    assert cells[3].source.rstrip().endswith(":::")
    assert cells[3].metadata == {"tags": ["solution"], "jupyter": {"source_hidden": True}}
    assert cells[4].metadata["tags"] == ["remove-cell", "solution"]
    assert cells[4].metadata["jupyter"] == {"source_hidden": True}
    assert cells[4].source.endswith("check.f(f, strict=True)")
    two = exercise_cells("ex-a-c", "T", "s", "def g(x):\n    raise NotImplementedError",
                         "check.relu(relu)\ncheck.relu_prime(relu_prime)", "def g(x):\n    return x")
    assert two[4].source.endswith("check.relu(relu, strict=True)\ncheck.relu_prime(relu_prime, strict=True)")
    with pytest.raises(ValueError, match="NotImplementedError"):
        exercise_cells("ex", "T", "s", "def f(x):\n    return 0", "check.f(f)", "")


def test_strip_markdown_removes_solution_blocks_of_every_fence():
    text = textwrap.dedent("""\
        Intro.

        ````{solution} ex-1
        :class: dropdown

        ```python
        secret_code()
        ```
        ````

        Middle.

        :::{solution} ex-2
        secret colon fence
        :::

        ```{solution-start} ex-3
        ```
        secret gated
        ```{code-cell}
        x = 1
        ```
        ```{solution-end}
        ```

        ```{exercise} Keep me
        :label: ex-4
        ```
        End.""")
    out = strip_markdown(text)
    assert "secret" not in out and "solution" not in out
    assert "Intro." in out and "Middle." in out and "End." in out and "Keep me" in out


def test_student_notebook_has_no_solution_text(chapter):
    student = strip_solutions(nbformat.read(chapter, as_version=4))
    everything = "\n".join(c.source for c in student.cells)
    assert SECRET not in everything and "2 * (y_hat - y)" not in everything
    assert "{solution" not in everything and "hidden answer text" not in everything
    assert "strict=True" not in everything
    assert not any("solution" in c.metadata.get("tags", []) for c in student.cells)
    assert solution_leaks(student) == []
    assert solution_leaks(nbformat.read(chapter, as_version=4))  # the instructor one has them
    # exercises, starters and checks survive
    assert everything.count("{exercise}") == 3
    assert "check.softmax(softmax)" in everything and "raise NotImplementedError" in everything


def test_instructor_notebook_runs_and_every_solution_passes(chapter):
    nb = _execute(chapter)
    text = _outputs_text(nb)
    assert "✅ softmax" in text and "✅ mse_grad" in text
    assert "not attempted yet" in text  # the check cells ran before the solutions
    html = [out["data"]["text/html"] for c in nb.cells for out in c.get("outputs", [])
            if "text/html" in out.get("data", {})]
    assert any('class="nnlib-check nnlib-check-pass"' in h for h in html)
    assert any("<details" in h for h in html) and any("nnlib-quiz" in h for h in html)


def test_student_edition_runs_end_to_end(chapter, tmp_path):
    out = tmp_path / "student"
    written = write_student_edition(out, root=chapter.parent.parent)
    assert [p.name for p in written] == ["chx.ipynb"]
    nb = _execute(out / "book" / "chx.ipynb")
    text = _outputs_text(nb)
    assert text.count("not attempted yet") >= 2 and "✅ softmax" not in text and "✅ mse_grad" not in text
    assert not any(out.get("output_type") == "error" for c in nb.cells for out in c.get("outputs", []))


def test_student_edition_refuses_to_overwrite_without_force(chapter, tmp_path):
    out = tmp_path / "student"
    write_student_edition(out, root=chapter.parent.parent)
    (out / "mine.txt").write_text("the instructor's notes")
    with pytest.raises(FileExistsError, match="--force"):
        write_student_edition(out, root=chapter.parent.parent)
    assert (out / "mine.txt").exists()
    write_student_edition(out, root=chapter.parent.parent, force=True)
    assert not (out / "mine.txt").exists() and (out / "book" / "chx.ipynb").exists()


def test_student_config_hides_solutions(chapter, tmp_path):
    import yaml
    out = tmp_path / "student"
    write_student_edition(out, root=chapter.parent.parent)
    config = yaml.safe_load((out / "_config.yml").read_text())
    assert config["sphinx"]["config"]["hide_solutions"] is True
    assert config["sphinx"]["config"]["x"] == 1  # the rest of the config is kept
    assert (out / "_toc.yml").exists()


def test_command_line_chosen_files_and_exit_codes(chapter, tmp_path, capsys):
    out = tmp_path / "chosen"
    assert main([str(out), str(chapter)]) == 0
    assert (out / "chx.ipynb").exists()
    assert main([str(out), str(chapter)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main([str(out), str(chapter), "--force"]) == 0


def test_script_runs_from_the_repository(chapter, tmp_path):
    out = tmp_path / "viascript"
    result = subprocess.run([sys.executable, str(REPO / "scripts" / "student_edition.py"), str(out),
                             "--root", str(chapter.parent.parent)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "wrote 1 student file(s)" in result.stdout
    assert solution_leaks(nbformat.read(out / "book" / "chx.ipynb", as_version=4)) == []


def test_toc_files_reads_nested_parts(tmp_path):
    (tmp_path / "book").mkdir()
    for name in ("intro.md", "ch01.ipynb", "ch02.ipynb"):
        (tmp_path / "book" / name).write_text("{}" if name.endswith("ipynb") else "# Intro")
    (tmp_path / "_toc.yml").write_text(textwrap.dedent("""\
        format: jb-book
        root: book/intro
        parts:
          - caption: Part I
            chapters:
              - file: book/ch01
              - file: book/ch02
        """))
    assert [p.name for p in toc_files(tmp_path)] == ["intro.md", "ch01.ipynb", "ch02.ipynb"]


def test_time_limit_and_print_capture_work_inside_a_jupyter_kernel(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent("""\
        import time
        from nnbook.exercises import activations as check
        check.softmax.timeout = 0.5

        def softmax(z):
            print("debug", z)
            while True:
                pass

        start = time.perf_counter()
        check.softmax(softmax)
        print("elapsed", round(time.perf_counter() - start, 1))"""))]
    path = tmp_path / "kernel.ipynb"
    nbformat.write(nb, path)
    text = _outputs_text(_execute(path))
    assert "did not finish within 0.5 s" in text
    assert "elapsed 0." in text or "elapsed 1." in text
    assert "debug [1. 2. 3.]" in text  # shown inside the report, not as a raw stream


def test_the_failing_line_of_a_notebook_cell_is_shown(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent("""\
        import numpy as np
        from nnbook.exercises import activations as check

        def softmax(z):
            e = np.exp(z)
            return e / e.sum(axis=1, keepdims=True)   # axis 1 does not exist for a (K,) input

        check.softmax(softmax)"""))]
    path = tmp_path / "line.ipynb"
    nbformat.write(nb, path)
    text = _outputs_text(_execute(path))
    assert "AxisError" in text
    assert "line 6 in softmax(): return e / e.sum(axis=1, keepdims=True)" in text


def test_student_html_build_hides_every_solution(chapter, tmp_path):
    """``--html``: the student book builds strictly and its pages contain no solution."""
    root = chapter.parent.parent
    (root / "_config.yml").write_text(textwrap.dedent("""\
        title: Test book
        execute:
          execute_notebooks: force
        sphinx:
          extra_extensions: [sphinx_exercise]
        """))
    out = tmp_path / "student_book"
    assert main([str(out), "--root", str(root), "--html"]) == 0
    page = (out / "_build" / "html" / "book" / "chx.html").read_text(encoding="utf-8")
    assert "A softmax that never overflows" in page and "not attempted yet" in page
    assert SECRET not in page and "hidden answer text" not in page
    assert "Solution to" not in page and "strict=True" not in page


def test_notebooks_outside_the_toc_are_not_copied(chapter, tmp_path):
    stray = chapter.parent / "draft_with_solutions.ipynb"
    nbformat.write(_chapter(), stray)
    (chapter.parent / "notes.md").write_text("Notes\n\n```{solution} ex-chx-why\nsecret\n```\n")
    out = tmp_path / "student"
    write_student_edition(out, root=chapter.parent.parent)
    assert not (out / "book" / "draft_with_solutions.ipynb").exists()
    assert "secret" not in (out / "book" / "notes.md").read_text()
    for path in out.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8", errors="ignore"), path
