"""Concept questions: answers revealed on demand, and multiple choice with instant feedback.

In the book, most concept questions are plain markdown (the ``{exercise}``/``{solution}``
dropdown pair; see the package docstring). These two helpers are for code cells:

* ``reveal(question, answer)`` — a ``<details>`` block: click the question to see the answer.
  No JavaScript, no widgets, so it looks the same in JupyterLab and in the static book.
* ``quiz(question, options, answer, explanations)`` — pick an option, see at once whether it
  is right and why. Live ipywidgets radio buttons in JupyterLab; in the static book a
  self-contained HTML block (radio buttons + CSS, no script, no external resources).
  Like :mod:`nnbook.interactive`, the result carries both views; Jupyter Book's
  ``nb_mime_priority_overrides`` (``["html", "text/html", 5]``) makes the book use the HTML.
  ``NNLIB_INTERACTIVE=static`` (or ``live``) emits one view only.

Text may contain `backticks` (rendered as code) and nothing else: both helpers escape HTML,
so a ``<`` in an answer is shown, not interpreted.
"""
from __future__ import annotations

import hashlib
import html
import itertools
import os
import re
from typing import Sequence

__all__ = ["reveal", "quiz", "Reveal", "Quiz"]

MODE_ENV = "NNLIB_INTERACTIVE"
_counter = itertools.count()
# An explanation that already opens with a verdict ("Right: …", "No, …").
_VERDICT = re.compile(r"^(Right|Correct|Yes|Exactly|Indeed|No|Not quite|Wrong|Incorrect)[.:,!]")
# Feedback colours with at least 4.5:1 contrast on the light and the dark page (the HTML book's
# theme switch sets html[data-theme=dark]; JupyterLab's dark theme sets data-jp-theme-light=false).
_COLOURS = {True: ("#1a7f37", "#56d364"), False: ("#cf222e", "#ff7b72")}


def _md(text: str) -> str:
    """Escape HTML; `backticks` become <code>; blank lines become paragraph breaks."""
    pieces = html.escape(str(text)).split("`")
    out = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))
    return out.replace("\n\n", "<br><br>")


def _uid(*parts) -> str:
    """A stable id (same content → same id, so rebuilt pages do not churn) made unique per call."""
    digest = hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:8]
    return f"nnq-{digest}-{next(_counter)}"


class Reveal:
    """A question whose answer is hidden until clicked. Build with :func:`reveal`."""

    def __init__(self, question: str, answer: str):
        self.question, self.answer = question, answer

    @property
    def text(self) -> str:
        return f"Q: {self.question}\n(answer hidden — in Jupyter, click the question)"

    @property
    def html(self) -> str:
        return ('<details class="nnlib-reveal" style="border:1px solid rgba(127,127,127,0.35);'
                'border-radius:4px;padding:0.4em 0.8em;margin:0.4em 0">'
                f'<summary style="cursor:pointer;font-weight:600">{_md(self.question)}</summary>'
                f'<div style="margin-top:0.5em">{_md(self.answer)}</div></details>')

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.text, "text/html": self.html}

    def __repr__(self):
        return self.text


def reveal(question: str, answer: str) -> Reveal:
    """A concept question with its answer folded away; display it as a cell's result.

    >>> reveal("Why subtract the max in softmax?", "exp overflows above ~709; the shift cancels.")
    Q: Why subtract the max in softmax?
    (answer hidden — in Jupyter, click the question)
    """
    return Reveal(question, answer)


class Quiz:
    """A multiple-choice question with per-option feedback. Build with :func:`quiz`."""

    def __init__(self, question: str, options: Sequence[str], answer: int,
                 explanations: Sequence[str] | None = None):
        options = [str(o) for o in options]
        if len(options) < 2:
            raise ValueError(f"quiz: need at least 2 options, got {len(options)}")
        if not (isinstance(answer, int) and 0 <= answer < len(options)):
            raise ValueError(f"quiz: answer must be the index of the right option "
                             f"(0 … {len(options) - 1}), got {answer!r}")
        explanations = list(explanations) if explanations is not None else [""] * len(options)
        if len(explanations) != len(options):
            raise ValueError(f"quiz: {len(options)} options but {len(explanations)} explanations")
        self.question, self.options, self.answer = question, options, answer
        self.explanations = [str(e) for e in explanations]
        self._widget = None

    def feedback(self, choice: int) -> str:
        """The plain-text verdict for option ``choice`` (what both views show).

        The verdict is said once: an explanation that starts with its own ("Right: …",
        "Yes. …", "No: …") gets only the ✔/✘ mark, any other gets "✔ Correct." / "✘ Not quite.".
        """
        right = choice == self.answer
        explanation = self.explanations[choice].strip()
        if _VERDICT.match(explanation):
            return f"{'✔' if right else '✘'} {explanation}"
        mark = "✔ Correct." if right else "✘ Not quite."
        return f"{mark} {explanation}".strip()

    @property
    def text(self) -> str:
        lines = [f"Q: {self.question}"]
        lines += [f"  {chr(65 + i)}. {o}" for i, o in enumerate(self.options)]
        return "\n".join(lines)

    @property
    def html(self) -> str:
        uid = _uid(self.question, *self.options)
        rows = []
        for i, option in enumerate(self.options):
            verdict = "nnq-right" if i == self.answer else "nnq-wrong"
            rows.append(
                f'<div class="nnq-row"><input type="radio" name="{uid}" id="{uid}-{i}">'
                f'<label for="{uid}-{i}" style="cursor:pointer;margin-left:0.35em">'
                f'{chr(65 + i)}. {_md(option)}</label>'
                f'<div class="nnq-fb {verdict}" style="margin:0.2em 0 0.4em 1.8em">'
                f'{_md(self.feedback(i))}</div></div>')
        # CSS alone shows the feedback of the checked option: works without JavaScript.
        dark = "html[data-theme=dark]"
        style = (f"<style>#{uid} .nnq-fb{{display:none}}"
                 f"#{uid} input:checked + label + .nnq-fb{{display:block}}"
                 f"#{uid} .nnq-right{{color:{_COLOURS[True][0]}}}#{uid} .nnq-wrong{{color:{_COLOURS[False][0]}}}"
                 f"{dark} #{uid} .nnq-right{{color:{_COLOURS[True][1]}}}"
                 f"{dark} #{uid} .nnq-wrong{{color:{_COLOURS[False][1]}}}</style>")
        return (f'<div class="nnlib-quiz" id="{uid}" style="border:1px solid '
                'rgba(127,127,127,0.35);border-radius:4px;padding:0.5em 0.9em;margin:0.4em 0">'
                f'{style}<div style="font-weight:600;margin-bottom:0.3em">{_md(self.question)}'
                f'</div>{"".join(rows)}</div>')

    def widget(self):
        """The live version: ipywidgets radio buttons and a feedback line."""
        if self._widget is None:
            import ipywidgets as widgets
            labels = [f"{chr(65 + i)}. {o}" for i, o in enumerate(self.options)]
            buttons = widgets.RadioButtons(options=labels, value=None,
                                           layout=widgets.Layout(width="max-content"))
            verdict = widgets.HTML(value="")

            def on_change(change):
                if change["new"] is not None:
                    choice = labels.index(change["new"])
                    # JupyterLab's light/dark theme colours for success and error text
                    colour = "var(--jp-success-color0)" if choice == self.answer else "var(--jp-error-color0)"
                    verdict.value = (f'<span style="color:{colour}">'
                                     f'{_md(self.feedback(choice))}</span>')

            buttons.observe(on_change, names="value")
            title = widgets.HTML(value=f"<b>{_md(self.question)}</b>")
            self._widget = widgets.VBox([title, buttons, verdict])
        return self._widget

    def _repr_mimebundle_(self, include=None, exclude=None):
        mode = os.environ.get(MODE_ENV, "both").strip().lower()
        data = {"text/plain": self.text}
        if mode in ("both", "static"):
            data["text/html"] = self.html
        if mode in ("both", "live") and _in_kernel():
            try:
                bundle = self.widget()._repr_mimebundle_()
                data.update({k: v for k, v in bundle.items() if k != "text/plain"})
            except Exception:  # no ipywidgets / no comm: the HTML view still works
                pass
        return data

    def __repr__(self):
        return self.text


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
        shell = get_ipython()
        return shell is not None and hasattr(shell, "kernel")
    except Exception:
        return False


def quiz(question: str, options: Sequence[str], answer: int,
         explanations: Sequence[str] | None = None) -> Quiz:
    """A multiple-choice question; display it as a cell's result.

    Args:
        question: the question.
        options: the choices (shown as A, B, C …).
        answer: index of the right option (0-based).
        explanations: one per option: why it is right or wrong (shown when it is picked).

    >>> q = quiz("softmax'(z) is …", ["s * (1 - s)", "diag(s) - s sᵀ"], answer=1,
    ...          explanations=["only the diagonal", "the full Jacobian"])
    >>> q.feedback(0)
    '✘ Not quite. only the diagonal'
    """
    return Quiz(question, options, answer, explanations)
