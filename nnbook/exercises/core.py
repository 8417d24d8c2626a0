"""The checking engine: run a reader's function on a few cases and explain what went wrong.

A :class:`Checker` is data, not code:

* a list of :class:`Case` objects (the inputs; the expected output comes from a *reference*
  implementation, usually nnlib's own function, or is given directly);
* a list of :class:`Mistake` objects ("diagnosers"): each recognises one typical wrong answer,
  either because the reader's output equals what the mistaken formula gives (``like=``) or
  because a predicate on the outcome is true (``when=``), and carries the hint to show.

Calling a checker on the reader's function runs every case under a time limit, with the
reader's ``print`` output and NumPy warnings captured, and on the first failing case shows a
report: which case, the inputs, expected vs got (shapes and values), and the hint of the first
diagnoser that recognises the mistake. It never raises on a reader's mistake, whatever their
code does (raise, return ``None``, loop forever, print a million lines, modify its input).
With ``strict=True`` (used by the book's hidden solution cells) a failure raises
``AssertionError``, so building the book proves every solution.

    >>> from nnbook.exercises.core import Checker, Case, Mistake
    >>> double = Checker("double", reference=lambda x: 2 * x, arg_names=("x",),
    ...                  cases=[Case(1.0), Case(-3.0)],
    ...                  mistakes=[Mistake("You squared x instead of doubling it.", like=lambda x: x * x)])
    >>> double.run(lambda x: x + x).passed
    True
"""
from __future__ import annotations

import copy
import io
import os
import signal
import threading
import traceback
import warnings
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .progress import record as _record
from .timelimit import TimeLimit
from .timelimit import call_with_time_limit as _limited_call
from .report import (Result, _as_number_array, _reader_line, _short, _type_name, format_value,
                     show)

__all__ = ["Case", "Mistake", "Checker", "AnswerCheck", "Outcome", "Result", "call_with_time_limit",
           "format_value", "show"]

_HERE = os.path.dirname(os.path.abspath(__file__))


# --------------------------------------------------------------------------- cases and mistakes
class Case:
    """One call of the reader's function: ``fn(*args, **kwargs)``.

    Args:
        *args, **kwargs: the inputs, passed positionally (the reader may name parameters freely).
        label: a few words shown in the report, e.g. ``"large logits (must not overflow)"``.
        expected: the right answer; if omitted, the checker's reference computes it.
        rtol, atol: tolerances for this case (default: the checker's).
    """

    def __init__(self, *args, label: str = "", expected: Any = None,
                 rtol: float | None = None, atol: float | None = None, **kwargs):
        self.args, self.kwargs = args, kwargs
        self.label, self.expected, self.rtol, self.atol = label, expected, rtol, atol

    def __repr__(self):
        return f"Case({self.label or len(self.args)!r})"


@dataclass
class Outcome:
    """Everything known about one call of the reader's function; diagnosers read this.

    Attributes:
        case: the :class:`Case`; ``args``/``kwargs``: fresh, unmodified copies of its inputs.
        expected: the right answer. ``got``: what the reader returned (``None`` if it raised).
        error: the exception the reader's code raised, or ``None``. ``timed_out``: bool.
        warnings: messages of NumPy/Python warnings raised during the call.
        printed: the first few thousand characters the call printed; ``printed_chars``: all.
        mutated: names of the inputs the call modified in place.
        problem: what is wrong (``kind`` is one of ``"error" "timeout" "none" "type" "length"
            "shape" "nonfinite" "values" "mutated" "warning"``), or ``None`` if the case passes.
    """

    case: Case
    args: tuple
    kwargs: dict
    expected: Any = None
    got: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    warnings: list = field(default_factory=list)
    printed: str = ""
    printed_chars: int = 0
    mutated: list = field(default_factory=list)
    problem: "Problem | None" = None
    received: tuple = ()             # the very objects the call was given (to spot aliasing)

    @property
    def error_text(self) -> str:
        """``"TypeName: message"`` of the exception (``""`` if none) — handy in ``when=``."""
        return "" if self.error is None else f"{type(self.error).__name__}: {self.error}"


@dataclass
class Problem:
    """What is wrong with one call: a ``kind`` (see :class:`Outcome`) and a message for the reader."""

    kind: str
    message: str
    part: str | None = None          # which output of a tuple (e.g. "dW"), if several
    got_part: Any = None             # that output (or the whole output)
    expected_part: Any = None


_NOT_A_VALUE = ("warning", "mutated", "error", "timeout", "not_attempted")


class Mistake:
    """A diagnoser: recognises one specific wrong answer and carries the hint for it.

    Args:
        hint: what to tell the reader (one or two sentences: the likely cause and the fix).
        like: ``like(*args, **kwargs)`` computes what the mistaken formula returns; the mistake
            is recognised when the reader's output (or output ``part``) equals it.
        when: ``when(outcome) -> bool`` for anything else (an exception, a warning, a shape...).
        part: for functions returning a tuple, the index or name of the output ``like`` gives.
        kinds: only consider this mistake for these problem kinds (e.g. ``("shape",)``); on its
            own, it recognises every problem of those kinds.
        on_error: this diagnoser explains an EXCEPTION (its ``when`` reads ``o.error_text``,
            e.g. a broadcasting error). When the reader's code raised or ran out of time, only
            such diagnosers are asked: a hint about the numbers must never answer an exception
            (a NameError is not "your softmax overflows").
    """

    def __init__(self, hint: str, like: Callable | None = None, when: Callable | None = None,
                 part: int | str | None = None, kinds: Sequence[str] | None = None,
                 rtol: float = 1e-5, atol: float = 1e-8, on_error: bool = False):
        if like is None and when is None and kinds is None:
            raise ValueError("Mistake needs like= (a wrong formula), when= (a predicate) or "
                             "kinds= (problem kinds)")
        if on_error and like is not None:
            raise ValueError("on_error=True explains an exception: give when=, not like=")
        if kinds is not None and set(kinds) & {"error", "timeout"}:
            on_error = True            # kinds=("error", ...) declares an error diagnoser
        self.hint, self.like, self.when, self.part = hint, like, when, part
        self.kinds, self.rtol, self.atol, self.on_error = kinds, rtol, atol, on_error

    def matches(self, o: Outcome, output_names: Sequence[str] | None) -> bool:
        """Does this mistake explain the failed outcome ``o``? Never raises."""
        raised = o.problem is not None and o.problem.kind in ("error", "timeout")
        if raised and not self.on_error:
            return False  # an exception or a time-out gets error diagnosers only
        if self.kinds is not None and (o.problem is None or o.problem.kind not in self.kinds):
            return False
        if self.like is not None and o.problem is not None and o.problem.kind in _NOT_A_VALUE:
            return False  # the numbers were right (or absent): a wrong formula cannot explain it
        if isinstance(self.part, str) and o.problem is not None and o.problem.part is not None \
                and o.problem.part != self.part:
            return False  # a hint about dW must not explain a wrong dX
        try:
            if self.when is not None and not self.when(o):
                return False
            if self.like is None:
                return True
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                wrong = self.like(*_fresh(o.args), **_fresh(o.kwargs))
                got, expected = o.got, o.expected
                if self.part is not None:
                    index = self.part
                    if isinstance(index, str):
                        index = list(output_names or ()).index(index)
                    got, wrong = got[index], wrong[index]
                    expected = expected[index] if expected is not None else None
                if expected is not None and _close(wrong, expected, self.rtol, self.atol,
                                                   equal_nan=True):
                    # the mistaken formula gives the right answer on this case, so it cannot
                    # be what went wrong (e.g. a list of the right numbers would match it)
                    return False
                return _close(got, wrong, self.rtol, self.atol, equal_nan=True)
        except Exception:  # a diagnoser must never turn a reader's mistake into a crash
            return False


# --------------------------------------------------------------------------- running code safely
def call_with_time_limit(fn: Callable, args=(), kwargs=None, seconds: float = 3.0):
    """Call ``fn(*args, **kwargs)``; return ``(value, exception, timed_out)``.

    The limit is one the checked code can neither catch (``except:`` included) nor switch off
    (``signal``/``setitimer`` included): see :mod:`nnbook.exercises.timelimit`. It works in a
    Jupyter kernel's main thread and in any other thread; the reader's Interrupt propagates.
    """
    kwargs = kwargs or {}
    # In the main thread (a notebook's cells run there) a SIGALRM timer as well: a signal also
    # ends a long sleep or a blocking wait, which the watchdog's exception cannot reach until the
    # call returns. If the checked code switches the alarm off, the watchdog still stops it.
    use_alarm = (hasattr(signal, "setitimer")
                 and threading.current_thread() is threading.main_thread()
                 and signal.getitimer(signal.ITIMER_REAL)[0] == 0)   # never steal a live timer
    if not use_alarm:
        call = _limited_call(fn, args, kwargs, seconds)
        return call.value, call.error, call.timed_out

    def on_alarm(signum, frame):
        raise TimeLimit()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            call = _limited_call(fn, args, kwargs, seconds)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except TimeLimit:      # the alarm went off between the two calls above: still a time-out
        return None, None, True
    finally:
        signal.signal(signal.SIGALRM, previous)
    return call.value, call.error, call.timed_out


class _CappedText(io.TextIOBase):
    """A stdout replacement that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int = 2000):
        self.limit, self.kept, self.total = limit, [], 0

    def writable(self):
        return True

    def write(self, s):
        s = str(s)
        room = self.limit - self.total       # what is kept is the first `limit` characters
        if room > 0:
            self.kept.append(s[:room])
        self.total += len(s)
        return len(s)

    def text(self) -> str:
        return "".join(self.kept)


def _fresh(x):
    """A deep copy of the inputs, so a mutating reader cannot corrupt the next case."""
    try:
        return copy.deepcopy(x)
    except Exception:
        return x


def _same(a, b, atol: float) -> bool:
    """Is ``a`` (after the call) still equal to ``b`` (before)? Used to detect mutation."""
    try:
        if callable(a):
            return True
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            a, b = np.asarray(a), np.asarray(b)
            if a.shape != b.shape:
                return False
            if atol == 0 or not np.issubdtype(a.dtype, np.number):
                return bool(np.array_equal(a, b, equal_nan=True))
            return bool(np.allclose(a, b, rtol=0, atol=atol, equal_nan=True))
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            return len(a) == len(b) and all(_same(x, y, atol) for x, y in zip(a, b))
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(_same(a[k], b[k], atol) for k in a)
        return bool(a == b)
    except Exception:
        return True


# --------------------------------------------------------------------------- comparing outputs
def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _close(got, expected, rtol, atol, equal_nan=False) -> bool:
    if isinstance(expected, tuple):
        return (isinstance(got, (tuple, list)) and len(got) == len(expected)
                and all(_close(g, e, rtol, atol, equal_nan) for g, e in zip(got, expected)))
    g, e = _as_number_array(got), _as_number_array(expected)
    if g is None or e is None:
        return False
    if e.ndim == 0 and g.size == 1:
        g = g.reshape(())
    if g.shape != e.shape:
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(g.astype(np.float64), e.astype(np.float64),
                                rtol=rtol, atol=atol, equal_nan=equal_nan))


def _compare(got, expected, rtol, atol, names, part=None, lists_ok=False) -> Problem | None:
    """Why ``got`` is not ``expected`` (a :class:`Problem`), or ``None`` if it is.

    A function asked for an array must return one (``lists_ok=False``); a value typed by hand
    (:class:`AnswerCheck`) may be a list."""
    where = f" ({part})" if part else ""
    if got is None:
        return Problem("none", f"returned None{where} — did you forget the `return` statement?",
                       part, got, expected)
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)):
            return Problem("type", f"expected a tuple of {len(expected)} results "
                           f"({', '.join(names or [])}), got {_type_name(got)}", None, got, expected)
        if len(got) != len(expected):
            return Problem("length", f"expected {len(expected)} results "
                           f"({', '.join(names or [])}), got {len(got)}", None, got, expected)
        for i, (g, e) in enumerate(zip(got, expected)):
            name = names[i] if names and i < len(names) else f"output {i}"
            problem = _compare(g, e, rtol, atol, None, part=name, lists_ok=lists_ok)
            if problem is not None:
                return problem
        return None
    if _is_int(expected):
        if not _is_int(got):
            kind = type(got).__name__
            return Problem("type", f"expected an integer{where}, got {kind} {_short(got)}",
                           part, got, expected)
        if int(got) != int(expected):
            return Problem("values", f"expected {int(expected)}{where}, got {int(got)}",
                           part, got, expected)
        return None
    e = np.asarray(expected)
    g = _as_number_array(got)
    if not lists_ok and isinstance(got, (list, tuple)) and isinstance(expected, np.ndarray) \
            and g is not None and g.shape == e.shape:
        return Problem("type", f"expected a NumPy array{where}, got a Python {type(got).__name__}: "
                       "return the array itself (NumPy operations give arrays; `np.array(...)` "
                       "converts)", part, got, expected)
    if g is None:
        want = "a number" if e.ndim == 0 else "a NumPy array"
        return Problem("type", f"expected {want}{where}, got {_type_name(got)}", part, got, expected)
    if e.ndim == 0 and g.size == 1:
        g = g.reshape(())
    if g.shape != e.shape:
        if e.ndim == 0:
            msg = f"expected a single number{where}, got an array of shape {g.shape}"
        else:
            msg = f"wrong shape{where}: expected {e.shape}, got {g.shape}"
        return Problem("shape", msg, part, got, expected)
    with np.errstate(all="ignore"):
        gf, ef = g.astype(np.float64), e.astype(np.float64)
        bad_g, bad_e = ~np.isfinite(gf), ~np.isfinite(ef)
        if np.any(bad_g & ~bad_e):
            n = int(np.sum(bad_g & ~bad_e))
            kinds = sorted({"nan" if np.isnan(v) else "inf" for v in gf[bad_g & ~bad_e].ravel()})
            return Problem("nonfinite", f"your output{where} contains {'/'.join(kinds)} "
                           f"({n} of {gf.size} values) where the expected values are finite",
                           part, got, expected)
        if not np.allclose(gf, ef, rtol=rtol, atol=atol, equal_nan=True):
            diff = np.where(bad_e | bad_g, 0.0, np.abs(gf - ef))
            worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
            at = f" at index {tuple(int(i) for i in worst)}" if diff.ndim else ""
            return Problem("values", f"values differ{where}: largest difference "
                           f"{float(np.max(diff)):.3g}{at}", part, got, expected)
    return None


# --------------------------------------------------------------------------- the checker
NOT_ATTEMPTED = ("not attempted yet — replace `raise NotImplementedError` with your code, "
                 "run that cell, then run this check again.")


class Check:
    """What every check in the book shares: ``check.name(answer)`` runs :meth:`run`, records the
    verdict for the chapter's progress cell, and shows it; with ``strict=True`` (the hidden
    solution cells) a failure raises ``AssertionError`` too. Subclasses define ``name`` and
    ``run(*answer) -> Result``: :class:`Checker` (a function), :class:`AnswerCheck` (a value),
    and the perceptron's weight check (a pair ``w, b``)."""

    name: str

    def run(self, *answer) -> Result:          # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __call__(self, *answer, strict: bool = False) -> None:
        """Check the answer and display the verdict; ``strict=True`` raises on failure."""
        result = self.run(*answer)
        _record(self, result, strict)
        show(result)
        if strict and not result.passed:
            raise AssertionError(f"{self.name}: the solution fails its check\n{result.text}")


class Checker(Check):
    """Checks a reader's function against a reference on a list of cases.

    Args:
        name: the function's name in the book, e.g. ``"softmax"``.
        reference: the right implementation (usually nnlib's); computes each case's expected
            output unless the case gives ``expected=``. ``None`` if every case gives it.
        cases: the :class:`Case` list, simplest first (the first failure is reported).
        mistakes: :class:`Mistake` diagnosers, most specific first.
        arg_names: names of the positional inputs, for the report (``("z",)``).
        signature: how the book writes the call, e.g. ``"softmax(z, axis=-1)"``.
        output_names: names of a tuple's outputs, e.g. ``("dX", "dW", "db")``.
        rtol, atol: default tolerances. timeout: seconds per call.
        allow_mutation: accept functions that modify their inputs in place: ``True`` for every
            input, or the names of the inputs that may change (``("w", "v")`` for an optimizer
            step that updates its state in place, as nnlib's optimizers do; its ``grad`` must
            still come back untouched).
        mutation_atol: tolerance when comparing inputs before/after (round-off when the reader
            nudges ``x[i]`` by ±h and back, as in a numerical gradient).
        warnings_fail: a NumPy warning (overflow, divide by zero...) fails the case even if the
            numbers are right — the book's functions must stay quiet at extreme inputs.
        verify: ``verify(outcome) -> str | None``, an extra test run after the comparison
            (e.g. "the weights must classify all four inputs"); a string fails the case.
        success: extra words for the ✅ line.
    """

    def __init__(self, name: str, reference: Callable | None, cases: Sequence[Case],
                 mistakes: Sequence[Mistake] = (), arg_names: Sequence[str] = (),
                 signature: str | None = None, output_names: Sequence[str] | None = None,
                 rtol: float = 1e-5, atol: float = 1e-8, timeout: float = 3.0,
                 allow_mutation: bool | Sequence[str] = False, mutation_atol: float = 0.0,
                 warnings_fail: bool = True, verify: Callable | None = None,
                 success: str = "", doc: str = ""):
        if not cases:
            raise ValueError(f"Checker {name!r} needs at least one case")
        self.name, self.reference, self.cases = name, reference, list(cases)
        self.mistakes, self.arg_names = list(mistakes), tuple(arg_names)
        self.signature = signature or f"{name}({', '.join(arg_names)})"
        self.output_names = tuple(output_names) if output_names else None
        self.rtol, self.atol, self.timeout = rtol, atol, timeout
        self.allow_mutation, self.mutation_atol = allow_mutation, mutation_atol
        self.warnings_fail, self.verify, self.success = warnings_fail, verify, success
        self.lists_ok = False      # a function asked for an array must return an array
        self.__doc__ = (f"Check your ``{self.signature}``: ``check.{name}({name})`` prints ✅ or "
                        f"a ❌ with a hint; ``strict=True`` raises on failure.\n\n{doc}").strip()

    def __repr__(self):
        return f"<checker for {self.signature}: {len(self.cases)} cases, {len(self.mistakes)} hints>"

    # The public entry point used in notebooks is Check.__call__: check.name(fn, strict=False).

    def run(self, fn) -> Result:
        """Check ``fn`` and return the :class:`Result` without displaying it."""
        if not callable(fn):
            return Result(self.name, "fail", f"{self.name}: expected a function, got "
                          f"{_type_name(fn)}",
                          [("text", "", f"Pass the function itself: `check.{self.name}({self.name})` — "
                            f"not the result of calling it, `check.{self.name}({self.name}(...))`.")])
        for index, case in enumerate(self.cases):
            outcome = self._run_case(fn, case)
            if outcome.problem is None:
                continue
            if outcome.problem.kind == "not_attempted":
                return Result(self.name, "not_attempted", f"{self.name}: {NOT_ATTEMPTED}",
                              outcome=outcome, case_index=index, n_cases=len(self.cases))
            try:
                return self._failure(outcome, index)
            except Exception as exc:  # formatting an exotic output failed: report plainly
                return Result(self.name, "fail", f"{self.name}: test case {index + 1} of "
                              f"{len(self.cases)} failed",
                              [("text", "", outcome.problem.message),
                               ("text", "", f"(the report could not be completed: "
                                f"{type(exc).__name__}: {exc})")],
                              outcome=outcome, case_index=index, n_cases=len(self.cases))
        silenced = self.warnings_fail and _silences_warnings(fn)
        if silenced:
            return Result(self.name, "fail", f"{self.name}: right numbers, but the warnings are "
                          "switched off", [("text", "", f"Your function calls `{silenced}`, which "
                          "hides NumPy's overflow and invalid-value warnings instead of avoiding "
                          "them. The book's functions stay quiet at extreme inputs because their "
                          "formula never overflows; rewrite it in the stable form the chapter "
                          "shows and remove the silencing."),
                          ("hint", "", "Remove the `errstate`/`seterr` call and use the stable "
                           "formula.")],
                          hint="Remove the `errstate`/`seterr` call and use the stable formula.",
                          n_cases=len(self.cases))
        extra = f" {self.success}" if self.success else ""
        n = len(self.cases)
        cases = "the test case passes" if n == 1 else f"all {n} test cases pass"
        return Result(self.name, "pass", f"{self.name}: correct — {cases}.{extra}", n_cases=n)

    def expected_for(self, case: Case):
        """The right answer for ``case`` (computed by the reference on a fresh copy)."""
        if case.expected is not None:
            return case.expected
        if self.reference is None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the reference must be quiet; if not, it is our bug
            return self.reference(*_fresh(case.args), **_fresh(case.kwargs))

    def _run_case(self, fn, case: Case) -> Outcome:
        expected = self.expected_for(case)
        pristine_args, pristine_kwargs = _fresh(case.args), _fresh(case.kwargs)
        call_args, call_kwargs = _fresh(case.args), _fresh(case.kwargs)
        sink = _CappedText()
        with warnings.catch_warnings(record=True) as caught, redirect_stdout(sink), \
                redirect_stderr(sink):
            warnings.simplefilter("always")
            got, error, timed_out = call_with_time_limit(fn, call_args, call_kwargs, self.timeout)
        o = Outcome(case, pristine_args, pristine_kwargs, expected, got, error, timed_out,
                    [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)],
                    sink.text(), sink.total)   # NumPy's warnings; not, e.g., a ResourceWarning
        o.received = call_args
        if self.allow_mutation is not True:
            may_change = set(self.allow_mutation or ())
            names = self._names(len(case.args))
            o.mutated = [names[i] for i, (a, b) in enumerate(zip(call_args, pristine_args))
                         if names[i] not in may_change and not _same(a, b, self.mutation_atol)]
            o.mutated += [k for k in case.kwargs if k not in may_change
                          and not _same(call_kwargs[k], pristine_kwargs[k], self.mutation_atol)]
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # comparing odd outputs must stay quiet
                o.problem = self._problem(o)
        except Exception as exc:  # an output so odd that comparing it failed: still no crash
            o.problem = Problem("type", f"could not use your result ({type(exc).__name__}: "
                                f"{exc}); got {_type_name(o.got)}")
        return o

    def _problem(self, o: Outcome) -> Problem | None:
        if o.timed_out:
            return Problem("timeout", f"did not finish within {self.timeout:g} s — an infinite "
                           "loop? (a `while` whose condition never changes, or a huge `range`)")
        if o.error is not None:
            if isinstance(o.error, NotImplementedError):
                return Problem("not_attempted", NOT_ATTEMPTED)
            where = _reader_line(o.error)
            msg = f"your code raised {o.error_text}"
            return Problem("error", msg + (f"\n  at {where}" if where else ""))
        rtol = o.case.rtol if o.case.rtol is not None else self.rtol
        atol = o.case.atol if o.case.atol is not None else self.atol
        problem = _compare(o.got, o.expected, rtol, atol, self.output_names,
                           lists_ok=self.lists_ok) \
            if o.expected is not None else None
        if problem is not None:
            return problem
        if self.verify is not None:
            try:
                message = self.verify(o)
            except Exception as exc:  # e.g. garbage output the verifier cannot index
                message = f"could not use your result ({type(exc).__name__}: {exc})"
            if message:
                return Problem("values", message, None, o.got, o.expected)
        if o.mutated:
            which = ", ".join(f"`{m}`" for m in o.mutated)
            z = o.mutated[0]
            return Problem("mutated", f"right answer, but your function modified its input {which} "
                           f"in place, so the caller's data changed — e.g. `{z} -= ...`, "
                           f"`{z}[...] = ...` or `{z}.pop()` writes into what you were given. Work on "
                           f"a copy (`{z} = {z} - ...`, `{z} = {z}.copy()`; for a list of arrays, a copy of "
                           f"each: `[{'b' if z == 'a' else 'a'}.copy() for "
                           f"{'b' if z == 'a' else 'a'} in {z}]`).")
        if self.warnings_fail and o.warnings:
            return Problem("warning", "right numbers, but NumPy warned: "
                           f"\"{o.warnings[0]}\" — a warning on these inputs can hide an "
                           "overflow or a nan on others.")
        return None

    def _names(self, n: int) -> list[str]:
        names = list(self.arg_names[:n])
        return names + [f"arg{i}" for i in range(len(names), n)]

    def _failure(self, o: Outcome, index: int) -> Result:
        case, problem = o.case, o.problem
        label = f" — {case.label}" if case.label else ""
        title = f"{self.name}: test case {index + 1} of {len(self.cases)} failed{label}"
        lines: list[tuple[str, str, str]] = []
        if o.args or o.kwargs:
            lines.append(("text", "", f"called `{self.signature}` with:"))
        for name, value in zip(self._names(len(o.args)), o.args):
            lines.append(("value", f"{name} =", format_value(value)))
        for name, value in o.kwargs.items():
            lines.append(("value", f"{name} =", format_value(value)))
        lines.append(("text", "", problem.message))
        if problem.kind in ("values", "nonfinite", "shape", "type", "length", "none"):
            shown_expected = problem.expected_part if problem.part else o.expected
            shown_got = problem.got_part if problem.part else o.got
            tag = f" {problem.part}" if problem.part else ""
            if shown_expected is not None:
                lines.append(("value", f"expected{tag}:", format_value(shown_expected)))
            lines.append(("value", f"got{tag}:", format_value(shown_got)))
        if o.warnings and problem.kind != "warning":
            lines.append(("text", "", f"NumPy warned: \"{o.warnings[0]}\""))
        if o.printed_chars:
            head = "\n".join(o.printed.splitlines()[:6])
            lines.append(("text", "", f"your function printed {o.printed_chars:,} characters; "
                          "the start:"))
            lines.append(("value", "printed:", "\n".join(line[:160] for line in head.splitlines())))
        hint = next((m.hint for m in self.mistakes if m.matches(o, self.output_names)), None)
        if hint is None and problem.kind == "error" and isinstance(o.error, TypeError) \
                and _raised_at_call(o.error):
            hint = (f"The checker calls `{self.signature}`; does your function accept these "
                    "arguments in this order?")
        if hint:
            lines.append(("hint", "", hint))
        return Result(self.name, "fail", title, lines, o, hint, index, len(self.cases))


def _silences_warnings(fn) -> str:
    """The warning switch a function's own source turns off (``np.errstate`` / ``np.seterr``),
    or ``""``. A checker whose cases fail on NumPy warnings cannot see warnings that were never
    raised, so it reads the source (when there is one) for the switch itself."""
    import inspect
    import re
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return ""
    source = "\n".join(line.split("#", 1)[0] for line in source.splitlines())   # not in comments
    m = re.search(r"\b(?:np|numpy)\.(errstate|seterr)\s*\(", source)
    return f"np.{m.group(1)}" if m else ""


def _raised_at_call(exc: BaseException) -> bool:
    """True if a TypeError came from the call itself (wrong signature), not from inside."""
    frames = traceback.extract_tb(exc.__traceback__)
    # the call itself fails in the engine's own frames (core.py, timelimit.py), not in a
    # function a checker hands to the reader's code (a test function f, say)
    engine = {os.path.join(_HERE, "core.py"), os.path.join(_HERE, "timelimit.py")}
    return bool(frames) and os.path.abspath(frames[-1].filename) in engine


class AnswerCheck(Check):
    """Checks a VALUE the reader computed (by hand or in code): ``check.dW1(dW1)``.

    For exercises such as "work out ∂L/∂w₁ for the network in Figure 5.2". The starter sets the
    answer to ``None`` (or ``...``), which reports "not attempted yet".

    Args:
        name: what the value is called in the exercise, e.g. ``"dW1"``.
        expected: the right value (number, array, or tuple of them).
        mistakes: :class:`Mistake` objects; ``like=`` takes no arguments and returns the wrong
            value (``like=lambda: 0.25``), ``when=`` receives the outcome as usual.
        rtol, atol: tolerances (hand-computed answers may be rounded: loosen them).
        label: a few words describing the value, shown in the report.

    >>> dw = AnswerCheck("dw", 0.5, [Mistake("Forgot the chain rule.", like=lambda: 0.25)])
    >>> dw.run(0.25).hint
    'Forgot the chain rule.'
    """

    def __init__(self, name: str, expected, mistakes: Sequence[Mistake] = (),
                 rtol: float = 1e-5, atol: float = 1e-8, label: str = ""):
        self.name, self.expected, self.label = name, expected, label
        self._checker = Checker(name, lambda: expected, cases=[Case(label=label)],
                                mistakes=mistakes, signature=f"your {name}", rtol=rtol, atol=atol)
        self._checker.lists_ok = True      # a value typed by hand may be a list
        self.__doc__ = f"Check your value of ``{name}``: ``check.{name}({name})``."

    def __repr__(self):
        return f"<answer check for {self.name}>"

    def run(self, value) -> Result:
        if value is None or value is Ellipsis:
            return Result(self.name, "not_attempted", f"{self.name}: not attempted yet — replace "
                          f"the placeholder with your value of `{self.name}`, run that cell, then "
                          "run this check again.")
        return self._checker.run(lambda: value)
