r"""Inline exercises with instant feedback: ``from nnbook.exercises import activations as check``.

``check.softmax(softmax)`` runs the reader's function on a few cases and prints ✅, or a ❌
naming the failing case, its input, expected vs got (shapes and values) and a hint aimed at
the likely mistake. It never raises on a reader's mistake (an exception in their code,
``None``, a wrong shape, NaN, an infinite loop, an untouched stub: all get a friendly message).
``check.softmax(softmax, strict=True)`` raises ``AssertionError`` instead: hidden solution
cells use it, so building the book proves every solution.

Modules: :mod:`~nnbook.exercises.core` (the engine: ``Checker``, ``Case``, ``Mistake``,
``AnswerCheck``), :mod:`~nnbook.exercises.timelimit` (a time limit the checked code cannot
escape), :mod:`~nnbook.exercises.report` (the verdict as text and HTML),
:mod:`~nnbook.exercises.common` (shared NumPy-level error hints), the checkers, one module per
topic, named by what they teach rather than by chapter number (Part I: ``perceptron``,
``activations``, ``multilayer``, ``losses``, ``backprop``, ``optimizers``, with
``perceptron_training``, ``softmax_gradient``, ``training_loop``; then ``normalization``,
``regularization``, ``practice``, ``convolution``, ``cnn``, ``recurrent``, ``attention``,
``autoencoders``, ``adversarial``, ``frameworks``, ``projects``; every module's docstring lists
its chapter, its checkers and the mistakes they recognise),
:mod:`~nnbook.exercises.questions` (``reveal`` and ``quiz`` for concept questions),
:mod:`~nnbook.edition` (the student edition: ``python -m nnbook.edition``).

The cells of an exercise (statement, starter, check, written solution, strict solution) are
described in ``book/WRITING.md``. How a checker judges, and how to write one, is
``EXERCISE_PATTERN.md`` beside this file.

A value the reader works out (e.g. a gradient by hand) is checked with ``AnswerCheck``; its
starter sets the value to ``None``, which reports "not attempted yet".

Writing a checker::

    from nnbook.exercises.core import Case, Checker, Mistake
    double = Checker("double", reference=lambda x: 2 * x, arg_names=("x",),
                     cases=[Case(np.array([1.0, -3.0]), label="two values")],
                     mistakes=[Mistake("You squared x.", like=lambda x: x * x)])
"""
from .core import AnswerCheck, Case, Checker, Mistake, Outcome, Result, call_with_time_limit
from .progress import progress
from .questions import quiz, reveal

__all__ = ["AnswerCheck", "Case", "Checker", "Mistake", "Outcome", "Result",
           "call_with_time_limit", "reveal", "quiz", "progress"]
