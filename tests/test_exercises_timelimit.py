"""The checkers' time limit: code under check can neither catch it nor switch it off, and it
leaves nothing behind (no timer, no thread, no pending exception) for the next cell."""
import signal
import threading
import time

import numpy as np
import pytest

from nnbook.exercises.core import Case, Checker, call_with_time_limit


def _busy():
    x = 0
    while True:
        x += 1


def swallow_everything():
    while True:
        try:
            _busy()
        except:            # noqa: E722  (the point: a bare except)
            pass


def swallow_base_exception():
    while True:
        try:
            while True:
                pass
        except BaseException:
            continue


def disables_the_alarm():
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    signal.setitimer(signal.ITIMER_REAL, 0)
    _busy()


def swallows_in_a_finally():
    while True:
        try:
            _busy()
        finally:
            pass


@pytest.mark.timeout(60)
@pytest.mark.parametrize("hostile", [_busy, swallow_everything, swallow_base_exception,
                                     disables_the_alarm, swallows_in_a_finally])
def test_hostile_code_is_stopped(hostile):
    start = time.perf_counter()
    value, error, timed_out = call_with_time_limit(hostile, seconds=0.5)
    assert timed_out and value is None
    assert time.perf_counter() - start < 10
    # nothing is left behind: no watchdog thread, and ordinary code runs undisturbed
    assert not [t for t in threading.enumerate() if t.name == "nnbook-time-limit"]
    total = sum(i for i in range(200_000))
    assert total == 199_999 * 200_000 // 2


@pytest.mark.timeout(60)
def test_results_and_errors_come_back_unchanged():
    assert call_with_time_limit(lambda a, b: a + b, (2, 3)) == (5, None, False)
    value, error, timed_out = call_with_time_limit(lambda: 1 / 0)
    assert value is None and isinstance(error, ZeroDivisionError) and not timed_out
    value, error, timed_out = call_with_time_limit(exit)
    assert isinstance(error, SystemExit) and not timed_out


@pytest.mark.timeout(60)
def test_works_outside_the_main_thread():
    box = {}
    worker = threading.Thread(target=lambda: box.update(r=call_with_time_limit(swallow_everything,
                                                                                seconds=0.3)))
    worker.start()
    worker.join(30)
    assert not worker.is_alive() and box["r"][2] is True


@pytest.mark.timeout(60)
def test_a_checker_reports_a_loop_that_swallows_the_limit():
    checker = Checker("f", lambda x: x, cases=[Case(np.ones(2))], timeout=0.5)

    def f(x):
        while True:
            try:
                while True:
                    pass
            except:        # noqa: E722
                pass

    r = checker.run(f)
    assert not r.passed and "did not finish" in r.text and r.hint is None
