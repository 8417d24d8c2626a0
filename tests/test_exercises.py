"""The exercise engine: time limits, hostile reader code, rendering, strict mode, questions."""
import threading
import time

import numpy as np
import pytest

from nnbook.exercises import Case, Checker, Mistake, quiz, reveal
from nnbook.exercises.core import call_with_time_limit, format_value


def _double_checker(**kwargs):
    return Checker(
        "double", reference=lambda x: 2 * x, arg_names=("x",), signature="double(x)",
        cases=[Case(np.array([1.0, -3.0]), label="two values"),
               Case(np.array([[0.5, 2.0], [4.0, -1.0]]), label="a matrix")],
        mistakes=[Mistake("You squared x instead of doubling it.", like=lambda x: x * x),
                  Mistake("Shape hint.", kinds=("shape",), when=lambda o: True)],
        **kwargs)


def test_reference_passes_and_says_so():
    result = _double_checker().run(lambda x: x + x)
    assert result.passed and result.status == "pass"
    assert result.text.startswith("✅ double") and "2 test cases" in result.text


def test_like_diagnoser_gives_its_hint_and_details():
    result = _double_checker().run(lambda x: x * x)
    assert result.status == "fail"
    assert result.hint == "You squared x instead of doubling it."
    text = result.text
    assert "test case 1 of 2" in text and "two values" in text
    assert "expected: shape (2,)" in text and "got:" in text and "x = shape (2,)" in text


def test_shape_problem_reports_both_shapes():
    result = _double_checker().run(lambda x: np.zeros((3, 4)))
    assert "wrong shape: expected (2,), got (3, 4)" in result.text
    assert result.hint == "Shape hint."


@pytest.mark.parametrize("fn, words", [
    (lambda x: None, "returned None"),
    (lambda x: "banana", "expected a NumPy array, got str"),
    (lambda x: np.full_like(x, np.nan), "contains nan"),
    (lambda x: np.full_like(x, np.inf), "contains inf"),
    (lambda x: 1 / 0, "ZeroDivisionError"),
    (lambda x: [2 * v for v in x] + [1.0], "wrong shape"),
    (lambda x: {"a": 1}, "expected a NumPy array, got dict"),
    (lambda x: np.array(["a", "b"]), "expected a NumPy array"),
])
def test_hostile_outputs_fail_politely(fn, words):
    result = _double_checker().run(fn)
    assert result.status == "fail"
    assert words in result.text


def test_exception_shows_type_message_and_line():
    def reader(x):
        y = x * 2
        return y[10]  # IndexError on this line

    result = _double_checker().run(reader)
    assert "IndexError" in result.text
    assert "return y[10]" in result.text and "in reader()" in result.text


def test_system_exit_and_base_exceptions_are_caught():
    def reader(x):
        raise SystemExit(3)

    assert "SystemExit" in _double_checker().run(reader).text


def test_not_implemented_stub_is_not_attempted_and_strict_raises():
    def stub(x):
        raise NotImplementedError

    checker = _double_checker()
    result = checker.run(stub)
    assert result.status == "not_attempted" and "not attempted yet" in result.text
    assert "raise NotImplementedError" in result.text
    checker(stub)  # displays, does not raise
    with pytest.raises(AssertionError, match="not attempted"):
        checker(stub, strict=True)


def test_strict_raises_on_wrong_and_passes_on_right(capsys):
    checker = _double_checker()
    with pytest.raises(AssertionError, match="squared"):
        checker(lambda x: x * x, strict=True)
    checker(lambda x: 2 * x, strict=True)
    assert "✅ double" in capsys.readouterr().out


def test_non_strict_call_prints_and_returns_none(capsys):
    assert _double_checker()(lambda x: x * x) is None
    assert "❌ double" in capsys.readouterr().out


def test_infinite_loop_hits_time_limit_quickly():
    def forever(x):
        while True:
            pass

    start = time.perf_counter()
    result = _double_checker(timeout=0.3).run(forever)
    assert time.perf_counter() - start < 2.0
    assert "did not finish within 0.3 s" in result.text


def test_reader_cannot_swallow_the_time_limit():
    def stubborn(x):
        while True:
            try:
                while True:
                    pass
            except Exception:  # a reader's broad except must not hide the time limit
                pass

    result = _double_checker(timeout=0.3).run(stubborn)
    assert "did not finish" in result.text


def _spin(x):
    while True:
        pass


def test_time_limit_in_a_worker_thread():
    # Outside the main thread there is no SIGALRM: the watchdog stops Python code (a single
    # long C call, such as time.sleep, would end only when it returns).
    box = {}

    def run():
        box["result"] = _double_checker(timeout=0.3).run(_spin)

    start = time.perf_counter()
    worker = threading.Thread(target=run)
    worker.start()
    worker.join(10)
    assert time.perf_counter() - start < 3.0
    assert "did not finish" in box["result"].text


def test_call_with_time_limit_restores_previous_alarm_handler():
    import signal
    before = signal.getsignal(signal.SIGALRM)
    value, error, timed_out = call_with_time_limit(lambda: 42, seconds=1.0)
    assert (value, error, timed_out) == (42, None, False)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_printing_a_lot_is_captured_and_summarised(capsys):
    def chatty(x):
        for _ in range(20000):
            print("debugging output line")
        return x * x

    result = _double_checker().run(chatty)
    assert capsys.readouterr().out == ""  # nothing leaked to the notebook
    assert "printed 440,000 characters" in result.text
    assert result.text.count("debugging output line") <= 6


def test_printing_costs_the_reader_no_time():
    """Keeping the first 2,000 characters must not re-count them on every write: it did, and a
    training loop printing 100,000 numbers took seconds longer inside the check than outside,
    enough to be reported as an infinite loop."""
    def chatty(x):
        for i in range(100_000):
            print("step", i)
        return 2 * x

    checker = _double_checker()
    checker.timeout = 2.0
    start = time.process_time()
    result = checker.run(chatty)
    assert result.passed, result.text
    assert time.process_time() - start < 1.5


def test_printing_with_a_right_answer_still_passes():
    def chatty(x):
        print("hello")
        return 2 * x

    assert _double_checker().run(chatty).passed


def test_input_mutation_is_detected():
    def mutating(x):
        x *= 2
        return x

    result = _double_checker().run(mutating)
    assert result.status == "fail" and "modified its input `x`" in result.text
    assert _double_checker(allow_mutation=True).run(mutating).passed


def test_mutation_does_not_leak_into_the_next_case_or_the_checker():
    checker = _double_checker(allow_mutation=True)
    before = [c.args[0].copy() for c in checker.cases]

    def wrecker(x):
        out = 2 * x
        x[...] = 1e9
        return out

    assert checker.run(wrecker).passed
    assert all(np.array_equal(c.args[0], b) for c, b in zip(checker.cases, before))


def test_numpy_warning_fails_even_with_right_numbers():
    checker = Checker("sig", reference=lambda z: 1 / (1 + np.exp(-np.clip(z, -500, 500))),
                      arg_names=("z",), cases=[Case(np.array([-1000.0, 0.0]))], atol=1e-12)
    result = checker.run(lambda z: 1 / (1 + np.exp(-z)))
    assert result.status == "fail" and "overflow" in result.text


def test_warnings_do_not_escape_even_when_warnings_are_errors():
    # conftest turns warnings into errors; the checker must record them, not raise.
    result = _double_checker().run(lambda x: np.log(x - x) + 2 * x)
    assert result.status == "fail"
    assert "divide by zero" in result.text


def test_not_a_function():
    result = _double_checker().run(np.array([2.0, -6.0]))
    assert result.status == "fail" and "Pass the function itself" in result.text


def test_wrong_signature_hint():
    result = _double_checker().run(lambda: 3)
    assert "TypeError" in result.text and "does your function accept" in result.text


def test_tuple_outputs_name_the_failing_part():
    checker = Checker("pair", reference=lambda x: (x, 2 * x), arg_names=("x",),
                      output_names=("a", "b"), cases=[Case(np.arange(3.0))])
    assert checker.run(lambda x: (x, 2 * x)).passed
    result = checker.run(lambda x: (x, 3 * x))
    assert "values differ (b)" in result.text and "expected b:" in result.text
    assert "expected a tuple of 2 results (a, b)" in checker.run(lambda x: x).text
    assert "expected 2 results" in checker.run(lambda x: (x,)).text


def test_integer_answers_must_be_integers():
    checker = Checker("size", reference=lambda n: n // 2, arg_names=("n",), cases=[Case(9)])
    assert checker.run(lambda n: n // 2).passed
    assert "expected an integer, got float 4.5" in checker.run(lambda n: n / 2).text
    assert "expected 4, got 5" in checker.run(lambda n: n // 2 + 1).text


def test_scalar_answers_accept_numpy_scalars_and_size_one_arrays():
    checker = Checker("total", reference=lambda x: float(np.sum(x)), arg_names=("x",),
                      cases=[Case(np.arange(4.0))])
    assert checker.run(lambda x: np.sum(x)).passed
    assert checker.run(lambda x: np.array([np.sum(x)])).passed
    assert "expected a single number" in checker.run(lambda x: x).text


def test_a_crashing_diagnoser_is_ignored():
    checker = Checker("double", reference=lambda x: 2 * x, arg_names=("x",),
                      cases=[Case(np.array([1.0]))],
                      mistakes=[Mistake("boom", when=lambda o: 1 / 0),
                                Mistake("fallback", like=lambda x: 3 * x)])
    assert checker.run(lambda x: 3 * x).hint == "fallback"


def test_bad_repr_in_output_does_not_crash():
    class Nasty:
        def __repr__(self):
            raise RuntimeError("no repr for you")

        def __array__(self, *args, **kwargs):
            raise RuntimeError("no array either")

    result = _double_checker().run(lambda x: Nasty())
    assert result.status == "fail" and "Nasty" in result.text


def test_html_and_text_renderings():
    fail = _double_checker().run(lambda x: x * x)
    bundle = fail._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html"}
    assert bundle["text/plain"] == fail.text
    html = bundle["text/html"]
    assert html.startswith('<div class="nnlib-check nnlib-check-fail"')
    assert "<code>" not in html or "</code>" in html
    assert "Hint:</span>" in html and "<pre" in html and "shape (2,)" in html and "✘" in html
    assert "<table" in html and ">expected:<" in html and ">got:<" in html
    ok = _double_checker().run(lambda x: 2 * x)
    assert "nnlib-check-pass" in ok.html and "✔" in ok.html and "✅" not in ok.html


def test_html_escapes_reader_output():
    result = _double_checker().run(lambda x: "<script>alert(1)</script>")
    assert "<script>" not in result.html and "&lt;script&gt;" in result.html


def test_large_values_are_truncated():
    text = format_value(np.arange(10_000.0).reshape(100, 100))
    assert "..." in text and len(text) <= 600


def test_checker_needs_cases_and_mistake_needs_a_test():
    with pytest.raises(ValueError):
        Checker("x", None, cases=[])
    with pytest.raises(ValueError):
        Mistake("hint")


# ------------------------------------------------------------------ concept questions
def test_reveal_renders_details_and_text():
    r = reveal("Why `max`?", "Because <exp> overflows.")
    bundle = r._repr_mimebundle_()
    assert "<details" in bundle["text/html"] and "<code>max</code>" in bundle["text/html"]
    assert "&lt;exp&gt;" in bundle["text/html"]  # escaped, not interpreted
    assert bundle["text/plain"].startswith("Q: Why `max`?")
    assert "overflows" not in bundle["text/plain"]  # the answer stays hidden in text


def test_quiz_static_html_is_self_contained_and_gives_per_option_feedback(monkeypatch):
    monkeypatch.setenv("NNLIB_INTERACTIVE", "static")
    q = quiz("Softmax belongs in …", ["hidden layers", "the output layer"], answer=1,
             explanations=["it squashes gradients", "it makes probabilities"])
    bundle = q._repr_mimebundle_()
    html = bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    assert html.count('type="radio"') == 2
    assert "<script" not in html and "http" not in html  # no JS, no external resources
    assert "✔ Correct. it makes probabilities" in html
    assert "✘ Not quite. it squashes gradients" in html
    assert "input:checked + label + .nnq-fb{display:block}" in html


def test_quiz_feedback_and_validation():
    q = quiz("2 + 2?", ["3", "4"], answer=1, explanations=["no", "yes"])
    assert q.feedback(1) == "✔ Correct. yes" and q.feedback(0) == "✘ Not quite. no"
    with pytest.raises(ValueError, match="index of the right option"):
        quiz("?", ["a", "b"], answer=2)
    with pytest.raises(ValueError, match="explanations"):
        quiz("?", ["a", "b"], answer=0, explanations=["only one"])


def test_quiz_widget_updates_feedback_on_choice():
    pytest.importorskip("ipywidgets")
    q = quiz("2 + 2?", ["3", "4"], answer=1, explanations=["no", "yes"])
    box = q.widget()
    title, buttons, verdict = box.children
    assert verdict.value == ""
    buttons.value = buttons.options[0]
    assert "Not quite" in verdict.value
    buttons.value = buttons.options[1]
    assert "Correct" in verdict.value


def test_an_existing_alarm_timer_is_left_alone():
    import signal
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        result = _double_checker(timeout=0.3).run(_spin)
        remaining = signal.getitimer(signal.ITIMER_REAL)[0]
        assert "did not finish" in result.text
        assert 25.0 < remaining <= 30.0 and not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ------------------------------------------------------------------ values the reader computes
def test_answer_check_accepts_rejects_and_handles_placeholders(capsys):
    from nnbook.exercises import AnswerCheck
    dw = AnswerCheck("dw", np.array([0.5, -1.0]),
                     [Mistake("Forgot the chain rule.", like=lambda: np.array([0.25, -0.5]))],
                     label="dL/dw for Figure 5.2")
    assert dw.run(np.array([0.5, -1.0])).passed
    assert dw.run([0.5, -1.0]).passed  # a list of numbers is fine
    wrong = dw.run(np.array([0.25, -0.5]))
    assert wrong.hint == "Forgot the chain rule." and "called" not in wrong.text
    assert "dL/dw for Figure 5.2" in wrong.text and "expected:" in wrong.text
    assert "wrong shape" in dw.run(0.5).text
    for placeholder in (None, ...):
        assert dw.run(placeholder).status == "not_attempted"
    dw("banana")
    assert "expected a NumPy array, got str" in capsys.readouterr().out
    with pytest.raises(AssertionError):
        dw(None, strict=True)


@pytest.mark.parametrize("weird", [
    lambda x: x.astype(complex),
    lambda x: np.array([1, "a"], dtype=object),
    lambda x: (i for i in range(3)),
    lambda x: np.ma.masked_array(2 * x, mask=[True, False]),
    lambda x: np.datetime64("2020-01-01"),
    lambda x: [[1.0, 2.0], [3.0]],
    lambda x: np.zeros((2,), dtype=[("a", float)]),
])
def test_exotic_outputs_never_crash_the_checker(weird):
    result = _double_checker().run(weird)
    assert result.status in ("fail", "pass")
    assert result.text and result.html.startswith("<div")
