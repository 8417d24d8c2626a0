"""How a check's verdict looks: compact values, and the report as text and as HTML.

The HTML is self-contained (inline styles only, no script, no external resources) so it looks
the same in JupyterLab and in the static book, in light and dark themes (translucent colours).
"""
from __future__ import annotations

import html
import linecache
import os
import traceback

import numpy as np

__all__ = ["Result", "format_value", "show"]

_HERE = os.path.dirname(os.path.abspath(__file__))


def _as_number_array(x):
    """``np.asarray(x)`` as a numeric array, or ``None`` if ``x`` is not numbers."""
    try:
        a = np.asarray(x)
    except Exception:
        return None
    if a.dtype == object or np.iscomplexobj(a) or not (np.issubdtype(a.dtype, np.number)
                                                       or a.dtype == np.bool_):
        return None
    return a


# --------------------------------------------------------------------------- formatting values
def _type_name(x) -> str:
    if isinstance(x, np.ndarray):
        return f"an array of dtype {x.dtype}"
    return f"{type(x).__name__} {_short(x)}"


def _short(x, limit: int = 80) -> str:
    try:
        text = repr(x)
    except Exception:
        text = f"<{type(x).__name__} object>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_value(x, limit: int = 600) -> str:
    """A compact, truncated rendering of an input or output for the report."""
    try:
        if isinstance(x, np.ndarray) and x.ndim == 0 and np.issubdtype(x.dtype, np.number):
            x = x.item()  # a 0-d array prints like the number it is
        if isinstance(x, list) and len(repr(x)) <= 80:
            text = repr(x)
        elif isinstance(x, np.ndarray) or (isinstance(x, list) and _as_number_array(x) is not None
                                           and np.ndim(x) > 0):
            a = np.asarray(x)
            with np.printoptions(precision=5, threshold=30, edgeitems=3, linewidth=76,
                                 suppress=False):
                body = np.array2string(a, separator=", ")
            prefix = "" if isinstance(x, np.ndarray) else "list "
            text = f"{prefix}shape {a.shape} {a.dtype}:\n{body}"
        elif isinstance(x, (float, np.floating)):
            text = f"{float(x):.6g}"
            if text.lstrip("-").isdigit():
                text += ".0"  # 24.0 must not look like the integer 24
        elif isinstance(x, tuple):
            text = "(" + ", ".join(format_value(v, limit // 2) for v in x) + ")"
        elif callable(x) and hasattr(x, "__name__"):      # a function, lambda or class
            text = f"<function {x.__name__}>"
        elif callable(x):                                  # an object that can be called
            text = f"<{type(x).__name__} object>"
        else:
            text = _short(x, limit)
    except Exception:
        text = f"<{type(x).__name__} object>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _reader_line(exc: BaseException) -> str:
    """``"line 4 in softmax(): return e / e.sum()"`` — the deepest frame in the reader's code."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if not os.path.abspath(f.filename).startswith(_HERE)]
    theirs = [f for f in mine if "site-packages" not in f.filename and "/lib/python" not in f.filename]
    chosen = (theirs or mine or [None])[-1]
    if chosen is None:
        return ""
    line = chosen.line or linecache.getline(chosen.filename, chosen.lineno).strip()
    return f"line {chosen.lineno} in {chosen.name}(): {line}" if line else \
        f"line {chosen.lineno} in {chosen.name}()"


# --------------------------------------------------------------------------- the result
_STYLE = {  # left-border colour, background (translucent so dark themes stay readable)
    "pass": ("#1a7f37", "rgba(26,127,55,0.08)"),
    "fail": ("#cf222e", "rgba(207,34,46,0.07)"),
    "not_attempted": ("#9a6700", "rgba(154,103,0,0.08)"),
}


_ICONS = {"pass": ("✅", "✔"), "fail": ("❌", "✘"), "not_attempted": ("✏️", "✎")}


class Result:
    """The verdict of one check, with a text and an HTML rendering.

    Attributes: ``name``, ``status`` (``"pass"``, ``"fail"`` or ``"not_attempted"``),
    ``passed`` (bool), ``outcome`` (the failing :class:`Outcome`, or ``None``), ``hint``,
    ``case_index`` / ``n_cases``, ``lines``: the report as ``(role, label, body)`` triples with
    role ``"text"``, ``"value"`` (a labelled input/expected/got block) or ``"hint"``.
    The title starts with an emoji in text (✅ ❌ ✏️) and with a plain glyph in HTML (✔ ✘ ✎),
    which every font has: headless browsers often lack colour-emoji fonts.
    """

    def __init__(self, name, status, title, lines=(), outcome=None, hint=None,
                 case_index=None, n_cases=0):
        self.name, self.status, self.headline = name, status, title
        self.lines, self.outcome, self.hint = list(lines), outcome, hint
        self.case_index, self.n_cases = case_index, n_cases

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def title(self) -> str:
        return f"{_ICONS[self.status][0]} {self.headline}"

    @property
    def text(self) -> str:
        out = [self.title]
        for role, label, body in self.lines:
            if role == "hint":
                out.append("   💡 hint: " + body)
            elif role == "value":
                first, *rest = body.splitlines() or [""]
                out.append(f"   {label} {first}")
                out.extend("   " + " " * (len(label) + 1) + line for line in rest)
            else:
                out.extend("   " + line for line in body.splitlines())
        return "\n".join(out)

    def __str__(self):
        return self.text

    def __repr__(self):
        return self.text

    @property
    def html(self) -> str:
        border, background = _STYLE[self.status]
        icon = _ICONS[self.status][1]
        parts = [f'<div class="nnlib-check nnlib-check-{self.status}" style="border-left:4px solid '
                 f'{border};background:{background};padding:0.5em 0.9em;margin:0.4em 0;'
                 'border-radius:4px;font-size:0.95em;line-height:1.45">',
                 f'<div style="font-weight:600"><span style="color:{border}">{icon}</span> '
                 f'{_inline_code(self.headline)}</div>']
        table: list[str] = []
        cell = ("border:none;padding:0.15em 0.6em 0.15em 0;vertical-align:top;text-align:left;"
                "background:transparent")  # JupyterLab right-aligns table cells by default

        def flush():
            if table:
                parts.append('<table style="border:none;border-collapse:collapse;margin:0.25em 0 '
                             f'0.25em 0.8em">{"".join(table)}</table>')
                table.clear()

        for role, label, body in self.lines:
            if role == "value":
                table.append(
                    f'<tr style="border:none;background:transparent"><td style="{cell};'
                    f'white-space:nowrap;font-style:italic">{html.escape(label)}</td>'
                    f'<td style="{cell}"><pre style="margin:0;padding:0.2em 0.45em;border:none;'
                    'background:rgba(127,127,127,0.12);border-radius:3px;white-space:pre-wrap;'
                    f'font-size:0.88em;line-height:1.35">{html.escape(body)}</pre></td></tr>')
                continue
            flush()
            if role == "hint":
                parts.append('<div style="margin-top:0.35em"><span style="font-weight:600">'
                             f'Hint:</span> {_inline_code(body)}</div>')
            else:
                parts.append(f'<div style="margin:0.15em 0">{_inline_code(body)}</div>')
        flush()
        parts.append("</div>")
        return "".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": self.text, "text/html": self.html}

    def _repr_html_(self):
        return self.html


def _inline_code(text: str) -> str:
    """Escape HTML and turn `backticked` spans into <code>, keeping the report readable."""
    pieces = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces)).replace(
        "\n", "<br>")


def show(result: Result) -> None:
    """Display a result: rich HTML in Jupyter, plain text elsewhere."""
    try:
        from IPython import get_ipython
        if get_ipython() is not None:
            from IPython.display import display
            display(result)
            return
    except Exception:
        pass
    print(result.text)
