r"""Inline exercises with instant feedback: ``from nnbook.exercises import ch02 as check``.

``check.softmax(softmax)`` runs the reader's function on a few cases and prints ✅, or a ❌
naming the failing case, its input, expected vs got (shapes and values) and a hint aimed at
the likely mistake. It never raises on a reader's mistake (an exception in their code,
``None``, a wrong shape, NaN, an infinite loop, an untouched stub: all get a friendly message).
``check.softmax(softmax, strict=True)`` raises ``AssertionError`` instead: hidden solution
cells use it, so building the book proves every solution.

Modules: :mod:`~nnbook.exercises.core` (the engine: ``Checker``, ``Case``, ``Mistake``),
:mod:`~nnbook.exercises.report` (the verdict as text and HTML), :mod:`~nnbook.exercises.common`
(shared NumPy-level hints), ``ch01`` … ``ch06`` and ``conv`` (the checkers of one chapter each;
every module's docstring lists its checkers and the mistakes they recognise),
:mod:`~nnbook.exercises.questions` (``reveal`` and ``quiz`` for concept questions),
:mod:`~nnbook.edition` (the student edition: ``python -m nnbook.edition``).

The pattern every chapter follows (one exercise = five cells)
-------------------------------------------------------------
1. A **markdown** cell with the statement, numbered and labelled (``ex-chNN-name``)::

       ```{exercise} A softmax that never overflows
       :label: ex-ch02-softmax

       Write `softmax(z)` for logits `z` of shape `(N, K)` ... Test it on `[[1000, 1001]]`.
       ```

2. A **code** cell with the starter: a stub the reader completes::

       def softmax(z):
           # z: (N, K) logits -> (N, K) probabilities; each row sums to 1
           # your code here
           raise NotImplementedError

3. A **code** cell with the check (the chapter imports ``check`` once, near the top)::

       check.softmax(softmax)

4. A **markdown** cell with the written solution, a dropdown in the HTML book. The outer
   fence has FOUR backticks because it contains a code block::

       ````{solution} ex-ch02-softmax
       :class: dropdown

       Subtract each row's max first (softmax is unchanged by a constant shift):

       ```python
       def softmax(z):
           e = np.exp(z - z.max(axis=-1, keepdims=True))
           return e / e.sum(axis=-1, keepdims=True)
       ```
       ````

5. A **code** cell that runs the solution in strict mode, hidden: cell metadata
   ``{"tags": ["hide-cell", "solution"], "jupyter": {"source_hidden": true}}``::

       def softmax(z):
           e = np.exp(z - z.max(axis=-1, keepdims=True))
           return e / e.sum(axis=-1, keepdims=True)

       check.softmax(softmax, strict=True)

Rules: exercises sit in the chapter's "Exercises" section and no later cell relies on the
reader's version of the function (the student edition deletes the solution cells, so the
stub would still raise). Concept questions use the same ``{exercise}``/``{solution}`` pair
with prose instead of code, or ``reveal``/``quiz`` from :mod:`nnbook.exercises.questions`.
The full guide for chapter writers is ``EXERCISE_PATTERN.md`` (kept in the brief folder).

A value the reader works out (e.g. a gradient by hand) is checked with ``AnswerCheck``; its
starter sets the value to ``None``, which reports "not attempted yet".

Writing a checker (in ``nnlib/exercises/chNN.py``)::

    from nnbook.exercises.core import Case, Checker, Mistake
    double = Checker("double", reference=lambda x: 2 * x, arg_names=("x",),
                     cases=[Case(np.array([1.0, -3.0]), label="two values")],
                     mistakes=[Mistake("You squared x.", like=lambda x: x * x)])
"""
from .core import AnswerCheck, Case, Checker, Mistake, Outcome, Result, call_with_time_limit
from .questions import quiz, reveal

__all__ = ["AnswerCheck", "Case", "Checker", "Mistake", "Outcome", "Result",
           "call_with_time_limit", "reveal", "quiz"]
