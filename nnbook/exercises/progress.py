"""The "Your progress" cell at the end of a chapter's exercises.

Every check the reader runs (``check.softmax(softmax)``) is remembered for as long as the kernel
runs; ``progress(...)`` then lists the chapter's checked exercises, each with ✅ once it has passed
and otherwise a link back to the exercise. Strict checks (the hidden solution cells that the
build runs) do not count: progress is the reader's, not the book's.

    progress(("2.1", "ex-ch02-sigmoid", check.sigmoid),
             ("2.3", "ex-ch02-relu", check.relu, check.relu_prime))
"""
from __future__ import annotations

import html

__all__ = ["progress", "record"]

_PASSED: set[int] = set()     # id() of every check that has passed in this kernel
_TRIED: set[int] = set()      # ... and of every check that has been run at all


def record(check, result, strict: bool) -> None:
    """Remember a reader's check (called by every checker's ``__call__``; never raises)."""
    if strict:
        return
    try:
        if result.status == "not_attempted":
            return
        _TRIED.add(id(check))
        if result.passed:
            _PASSED.add(id(check))
    except Exception:
        pass


class _Progress:
    def __init__(self, rows):
        self.rows = rows            # (number, label, passed, tried)

    def _summary(self):
        done = sum(passed for _, _, passed, _ in self.rows)
        return done, len(self.rows)

    def __repr__(self):
        done, n = self._summary()
        lines = [f"Your progress: {done} of {n} checked exercises passed in this session."]
        for number, _, passed, tried in self.rows:
            state = "passed" if passed else ("tried, not passed yet" if tried else "not tried yet")
            lines.append(f"  Exercise {number}: {state}")
        lines.append(NOTE)
        return "\n".join(lines)

    def _repr_html_(self):
        done, n = self._summary()
        items = []
        for number, label, passed, tried in self.rows:
            if passed:
                items.append(f"<li>✅ Exercise {html.escape(number)}</li>")
            else:
                state = "tried, not passed yet" if tried else "not tried yet"
                items.append(f'<li>✏️ <a href="#{html.escape(label)}" style="color:#0b57c8">'
                             f"Exercise {html.escape(number)}</a>: {state}</li>")
        # An opaque light box with dark text, as the check results: readable on the light and
        # the dark theme alike (a cell output's background differs between the two).
        return ('<div class="nnbook-progress" role="status" style="border-left:4px solid #9a6700;'
                'padding:0.4em 0.8em;background:#fbf3e0;color:#1f2328">'
                f"<strong>Your progress: {done} of {n} checked exercises passed in this "
                f"session.</strong><ul style=\"margin:0.3em 0\">{''.join(items)}</ul>"
                f"<small>{html.escape(NOTE)}</small></div>")


NOTE = ("Progress is tracked while you run this notebook (in JupyterLab): run an exercise's "
        "check cell, then this cell again. The web version of the book tracks nothing.")


def progress(*exercises):
    """Show which of the chapter's checked exercises have passed since the kernel started.

    Each argument is ``(number, label, check, ...)``: the exercise's number as the book shows
    it, its label (the link target) and the check or checks that must pass for it.
    """
    rows = []
    for number, label, *checks in exercises:
        passed = bool(checks) and all(id(c) in _PASSED for c in checks)
        tried = any(id(c) in _TRIED for c in checks)
        rows.append((str(number), str(label), passed, tried))
    return _Progress(rows)
