"""The book's quizzes say their verdict once, and readably in both themes (issue 9).

Readers saw "✔ Correct. Right: …": the helper added a verdict to an explanation that already
opened with one. Every quiz of every chapter is rebuilt from its notebook cell and each option's
feedback checked.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from nnbook.exercises.questions import quiz

ROOT = Path(__file__).resolve().parents[1]
VERDICTS = re.compile(r"\b(Correct|Right|Yes|Not quite|No|Wrong)\b[.:,!]")


def book_quizzes():
    found = []
    for path in sorted(ROOT.glob("book/ch[0-9][0-9]_*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code" and re.match(r"\s*quiz\(", cell.source):
                call = ast.parse(cell.source).body[0].value
                args = [ast.literal_eval(a) for a in call.args]
                kwargs = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
                found.append(pytest.param(args, kwargs, id=f"{path.stem}:{args[0][:30]}"))
    return found


QUIZZES = book_quizzes()


def test_the_book_has_quizzes():
    assert len(QUIZZES) >= 5


@pytest.mark.parametrize("args, kwargs", QUIZZES)
def test_each_feedback_says_its_verdict_once(args, kwargs):
    q = quiz(*args, **kwargs)
    for choice in range(len(q.options)):
        text = q.feedback(choice)
        assert text.startswith("✔" if choice == q.answer else "✘"), text
        assert len(VERDICTS.findall(text[:40])) <= 1, f"the verdict twice: {text!r}"


def test_feedback_colours_have_a_dark_theme_variant():
    html = quiz("q", ["a", "b"], answer=0, explanations=["Right: x", "No: y"]).html
    assert "html[data-theme=dark]" in html and "color:#56d364" in html and "color:#ff7b72" in html
