"""A time limit that the checked code can neither catch nor switch off.

``call_with_time_limit(fn, args, kwargs, seconds)`` runs ``fn`` in the calling thread (a
Jupyter kernel's main thread, a pytest worker, any thread) and returns a :class:`Call`.

How it works, and why (measured on CPython 3.11, 3.12 and 3.13; tests/test_exercises_timelimit.py):

* A **watchdog thread** waits for the deadline, then raises :class:`TimeLimit` inside the
  checked thread with ``PyThreadState_SetAsyncExc``. Nothing in the checked code can switch
  that off (a ``SIGALRM`` timer, the previous design, is undone by ``signal.signal(SIGALRM,
  SIG_IGN)`` or ``signal.setitimer``; only the main thread may use it).
* Injecting repeatedly from the watchdog is not enough: ``while True: try: <loop> except
  BaseException: continue`` catches every injection, because each one lands in the inner loop
  (we measured it running forever). So the exception **re-arms itself as it is delivered**:
  ``TimeLimit.__init__`` runs in the checked thread at the moment of delivery and schedules the
  next one at once, so the ``except`` body, the loop's back edge or the next call raises again,
  until the exception leaves the checked function. The re-arm is a ``+`` whose ``__radd__`` is
  a C function (``functools.partial`` of ``PyThreadState_SetAsyncExc``): a binary operator, unlike
  a call, is not a point where CPython delivers pending exceptions, so the re-arm cannot fire
  inside ``__init__`` itself.
* On CPython 3.12 a ``JUMP_BACKWARD`` that raises is blamed on the instruction it jumps to, so
  ``while True: try: f() except BaseException: pass`` catches the exception again at its own
  back edge. There, after the deadline, ``sys.monitoring`` LINE and JUMP events (global, so
  they can be switched on from the watchdog) raise in the checked thread's code as well.
* Once the call has returned (or raised), the checked thread stops the watchdog and drains
  the at most one injection still pending, inside a ``try``, before anything else runs.

What it cannot do: interrupt a single long C call (``time.sleep(60)``, one enormous matrix
product) — the exception arrives when that call returns. A forked child killed with SIGKILL
could, but fork in a Jupyter kernel with BLAS thread pools can deadlock, which would be
reported as a time-out (a wrong verdict), and the checked code's side effects (the training
loop's parameters) would be lost; so we do not fork.

The reader's Interrupt (``KeyboardInterrupt``) is never swallowed: it propagates out of
``call_with_time_limit`` after the watchdog has been stopped. No timer, trace, monitoring tool
or thread outlives the call.
"""
from __future__ import annotations

import ctypes
import functools
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["TimeLimit", "Call", "call_with_time_limit"]

_HERE = os.path.dirname(os.path.abspath(__file__))


class TimeLimit(BaseException):
    """Raised inside the checked code when its time is up (a BaseException, so ``except
    Exception`` does not see it; and it re-arms itself, so ``except:`` cannot keep it)."""

    def __init__(self, *args):
        guard = _guard
        if guard is not None and guard.running and guard.expired:
            # Re-arm: the next delivery point in this thread raises again. A binary operator,
            # not a call, so that CPython does not deliver it here, inside __init__.
            guard.tid + _REARM  # noqa: B018  (the side effect is the point)


class _Tid:
    @classmethod
    def from_param(cls, obj):
        return ctypes.c_ulong(_guard.tid if _guard is not None else 0)


class _Exc:
    @classmethod
    def from_param(cls, obj):
        return ctypes.py_object(TimeLimit)


_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int
_rearm_fn = ctypes.PYFUNCTYPE(ctypes.c_int, _Tid, _Exc)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi))


class _Rearm:
    # ``int + _REARM`` calls ``__radd__(int)``: a C callable, so no Python frame, no CALL
    # instruction and no delivery point between the check above and the re-arm.
    __radd__ = staticmethod(functools.partial(_rearm_fn, None))


_REARM = _Rearm()


class _Guard:
    """State shared by the checked thread, the watchdog and TimeLimit.__init__."""

    def __init__(self, seconds: float):
        self.tid = threading.get_ident()
        self.seconds = seconds
        self.running = True      # cleared by the checked thread when the call is over
        self.expired = False     # set by the watchdog at the deadline
        self.wake = threading.Event()
        self.monitoring = False

    def watch(self):
        if self.wake.wait(self.seconds) or not self.running:
            return
        self.expired = True
        if _MONITORING is not None:
            self.monitoring = _MONITORING.start(self)
        while self.running:
            if self.monitoring:
                _MONITORING.instrument(self)
            # Reading `running` and injecting happen with no delivery point between them in
            # this thread, and this thread holds the GIL throughout: once the checked thread
            # has cleared `running`, at most one injection is still pending (drained there).
            _set_async_exc(self.tid, TimeLimit)
            self.wake.wait(0.002)


class _Monitoring:
    """CPython >= 3.12: after the deadline, raise TimeLimit on LINE and JUMP events in the code
    objects on the checked thread's stack (local events: our own code never sees a callback,
    so no delivery point appears in it)."""

    def __init__(self):
        self.mon = sys.monitoring
        self.tool = None
        self.codes: set = set()

    def start(self, guard) -> bool:
        mon = self.mon
        for tool in (5, 4, 3):  # ids 0-2 belong to debuggers, coverage and profilers
            try:
                mon.use_tool_id(tool, "nnbook time limit")
            except ValueError:
                continue
            self.tool = tool
            break
        else:
            return False

        def callback(*args):
            if guard.running and threading.get_ident() == guard.tid:
                raise TimeLimit()
            return None

        mon.register_callback(self.tool, mon.events.LINE, callback)
        mon.register_callback(self.tool, mon.events.JUMP, callback)
        self.instrument(guard)
        return True

    def instrument(self, guard):
        """Switch the events on for every code object of the checked code on the stack."""
        if self.tool is None:
            return
        frame = sys._current_frames().get(guard.tid)
        while frame is not None:
            code = frame.f_code
            if code not in self.codes and not code.co_filename.startswith(_HERE):
                self.mon.set_local_events(self.tool, code, self.mon.events.LINE | self.mon.events.JUMP)
                self.codes.add(code)
            frame = frame.f_back

    def stop(self):
        if self.tool is None:
            return
        mon, tool, self.tool = self.mon, self.tool, None
        for code in self.codes:
            mon.set_local_events(tool, code, 0)
        self.codes.clear()
        mon.register_callback(tool, mon.events.LINE, None)
        mon.register_callback(tool, mon.events.JUMP, None)
        mon.free_tool_id(tool)


_MONITORING = _Monitoring() if sys.version_info >= (3, 12) and hasattr(sys, "monitoring") else None
_guard: _Guard | None = None
_lock = threading.Lock()


@dataclass
class Call:
    """What happened: ``value`` returned, or ``error`` raised, or ``timed_out``; and the
    wall-clock ``seconds`` it took."""

    value: Any = None
    error: BaseException | None = None
    timed_out: bool = False
    seconds: float = 0.0


def _deliver_pending():
    """A Python-level call: CPython delivers a pending asynchronous exception on entry."""
    return None


def call_with_time_limit(fn: Callable, args=(), kwargs=None, seconds: float = 3.0) -> Call:
    """Call ``fn(*args, **kwargs)`` with a time limit it cannot catch or disable.

    Returns a :class:`Call`. ``KeyboardInterrupt`` (the reader's Interrupt) propagates.
    A call made while another limited call is running in this process (a check inside a
    checked function) runs under the outer call's limit.
    """
    global _guard
    kwargs = kwargs or {}
    if not _lock.acquire(blocking=False):  # nested: the outer limit applies
        start = time.perf_counter()
        try:
            return Call(value=fn(*args, **kwargs), seconds=time.perf_counter() - start)
        except (KeyboardInterrupt, TimeLimit):
            raise
        except BaseException as exc:  # noqa: BLE001 (SystemExit included)
            return Call(error=exc, seconds=time.perf_counter() - start)
    guard = _Guard(seconds)
    _guard = guard
    watchdog = threading.Thread(target=guard.watch, name="nnbook-time-limit", daemon=True)
    outcome: tuple = ("none", None)
    begin = time.perf_counter()
    try:
        watchdog.start()
        # Inside the handlers only stores happen (no call, no backward jump), so a pending
        # injection cannot be delivered before `running` is cleared and the drain below runs.
        try:
            value = fn(*args, **kwargs)
            guard.running = False  # first thing after the call
            outcome = ("value", value)
        except TimeLimit:
            guard.running = False
            outcome = ("timeout", None)
        except KeyboardInterrupt as exc:
            guard.running = False
            outcome = ("interrupt", exc)
        except BaseException as exc:  # noqa: BLE001  (SystemExit from exit() included)
            guard.running = False
            outcome = ("error", exc)
        try:
            _deliver_pending()  # the one injection that may still be pending lands here
        except TimeLimit:
            pass
    finally:
        guard.running = False
        try:
            _deliver_pending()
        except TimeLimit:
            pass
        guard.wake.set()
        if watchdog.is_alive():
            watchdog.join()
        if guard.monitoring:
            _MONITORING.stop()
        _guard = None
        _lock.release()
    kind, payload = outcome
    if kind == "interrupt":
        raise payload  # the reader's Interrupt is always respected
    call = Call(seconds=time.perf_counter() - begin)
    if kind == "timeout" or (guard.expired and kind == "value"):
        call.timed_out = True  # a call that swallowed the limit and returned late is late
    elif kind == "value":
        call.value = payload
    else:
        call.error = payload
    return call
