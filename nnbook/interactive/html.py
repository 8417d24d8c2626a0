"""The static book's version of an interactive figure: plain HTML controls that swap PNG frames.

Everything is inline — the frames (base64 PNG), the data (JSON in a ``<script type=
"application/json">``) and ~40 lines of JavaScript — so the page works from ``file://`` or any
static host with no network, no require.js and no kernel. Each figure gets its own element ids and
its script is wrapped in a function, so several figures on one page never share a variable.

Accessibility: ``<input type="range">`` and ``<select>`` are keyboard controls out of the box
(Tab, arrow keys, Home/End); each has a ``<label for>``; the current value is shown in an
``<output>`` and read out via ``aria-valuetext``; the image's alt text ends with the current values.
The figure is a group named after the figure; under the image a short summary of what the frame
shows (the figure's ``describe``) sits in a polite live region, so a screen reader says it after
each change. A control that does not act in the current state (``only_when``) is disabled, and the
reason is shown next to it and linked with ``aria-describedby``.
"""
from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
from typing import Mapping

from .controls import Control, Slider, index_of, is_active, why_inactive
from .frames import Frames

_counter = itertools.count(1)

# One function per figure; it only touches elements inside its own root (found by id).
_SCRIPT = """
(function () {
  var root = document.getElementById(%(id)s);
  if (!root || root.getAttribute("data-ready") === "1") { return; }
  root.setAttribute("data-ready", "1");
  var data = JSON.parse(document.getElementById(%(id)s + "-data").textContent);
  var img = document.getElementById(%(id)s + "-img");
  var inputs = data.controls.map(function (c) { return document.getElementById(c.id); });
  var outputs = data.controls.map(function (c) { return document.getElementById(c.id + "-value"); });
  var summary = document.getElementById(%(id)s + "-summary");
  function position(i) {
    var c = data.controls[i];
    return Math.max(0, Math.min(c.labels.length - 1, parseInt(inputs[i].value, 10) || 0));
  }
  function update() {
    var key = 0, parts = [];
    for (var i = 0; i < inputs.length; i++) {
      var c = data.controls[i], k = position(i);
      key = key * c.labels.length + k;
      outputs[i].textContent = c.labels[k];
      if (inputs[i].type === "range") { inputs[i].setAttribute("aria-valuetext", c.labels[k]); }
      parts.push(c.label + " = " + c.labels[k]);
    }
    data.controls.forEach(function (c, i) {   // only_when: disable a control that does not act now
      if (!c.when) { return; }
      var active = c.when.every(function (w) { return w.ok.indexOf(position(w.c)) >= 0; });
      inputs[i].disabled = !active;
      document.getElementById(c.id + "-why").hidden = active;
    });
    img.src = "data:image/png;base64," + data.frames[data.index[key]];
    img.alt = data.alt + " (" + parts.join(", ") + ")";
    var text = data.summaries[data.sindex[key]];
    if (summary.textContent !== text) { summary.textContent = text; }
  }
  inputs.forEach(function (el, i) {
    el.addEventListener("input", update);
    el.addEventListener("change", update);
    var button = document.getElementById(data.controls[i].id + "-play");
    if (!button) { return; }
    var timer = null;
    function stop() { clearInterval(timer); timer = null; button.textContent = "\\u25B6"; button.setAttribute("aria-label", "Play " + data.controls[i].label); }
    button.addEventListener("click", function () {
      if (timer !== null) { stop(); return; }
      if (parseInt(el.value, 10) >= parseInt(el.max, 10)) { el.value = el.min; update(); }
      button.textContent = "\\u23F8"; button.setAttribute("aria-label", "Pause " + data.controls[i].label);
      timer = setInterval(function () {
        var next = parseInt(el.value, 10) + 1;
        if (next > parseInt(el.max, 10)) { stop(); return; }
        el.value = String(next); update();
      }, data.interval);
    });
  });
  update();
})();
"""


def _json_for_script(obj) -> str:
    """JSON that cannot end the <script> element early (no raw '<', '>' or '&')."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def new_figure_id(frames: Frames) -> str:
    """An id unique on the page: a hash of the images (stable across runs) plus a counter."""
    digest = hashlib.sha256(b"".join(frames.pngs[:4])).hexdigest()[:8]
    return f"nnfig-{digest}-{next(_counter)}"


def static_html(frames: Frames, controls: Mapping[str, Control], values: Mapping, *, alt: str,
                fig_id: str | None = None, interval_ms: int = 400, name: str | None = None,
                summaries: list[str] | None = None) -> str:
    """Self-contained HTML for ``frames``: labelled controls, the image, and the swapping script.

    Args:
        frames: from :func:`~nnbook.interactive.frames.render_frames` over ``controls``.
        values: the initial value of each control.
        alt: what the figure shows, for readers who cannot see it (values are appended).
        fig_id: element-id prefix (default: a fresh unique one).
        interval_ms: time per step of the ▶ button of ``Slider(animate=True)``.
        name: the figure's accessible name (default: the alt text).
        summaries: the text summary of every combination, in frame-key order (default: the
            controls' values).
    """
    fig_id = fig_id or new_figure_id(frames)
    figure_name = name or alt   # (the loop below reuses `name` for the controls)
    width, height = frames.size
    rows, meta = [], []
    for name, control in controls.items():
        cid = f"{fig_id}-{name}"
        label = control.label or name
        labels = [control.format(v) for v in control.values()]
        k = index_of(control, values[name])
        entry = {"id": cid, "label": label, "labels": labels}
        why = ""
        if control.only_when:
            names = list(controls)
            entry["when"] = [{"c": names.index(other),
                              "ok": [index_of(controls[other], v) for v in allowed]}
                             for other, allowed in control.only_when.items()]
            active = is_active(controls, name, values)
            why = (f' <span id="{cid}-why" class="nnlib-why" style="font-style:italic"'
                   f'{"" if not active else " hidden"}>{html.escape(why_inactive(controls, name))}</span>')
        meta.append(entry)
        described = f' aria-describedby="{cid}-why"' if control.only_when else ""
        disabled = " disabled" if control.only_when and not is_active(controls, name, values) else ""
        if isinstance(control, Slider):
            widget = (f'<input type="range" id="{cid}" min="0" max="{len(labels) - 1}" step="1" value="{k}" '
                      f'aria-valuetext="{html.escape(labels[k])}" autocomplete="off" style="width:14em"'
                      f'{described}{disabled}>')
            if control.animate:
                widget += (f' <button type="button" id="{cid}-play" aria-label="Play {html.escape(label)}" '
                           f'style="min-width:2.2em">&#x25B6;</button>')
        else:
            opts = "".join(f'<option value="{i}"{" selected" if i == k else ""}>{html.escape(t)}</option>'
                           for i, t in enumerate(labels))
            widget = f'<select id="{cid}" autocomplete="off"{described}{disabled}>{opts}</select>'
        rows.append(
            f'<div style="display:flex;align-items:center;gap:0.6em;margin:0.15em 0">'
            f'<label for="{cid}" style="min-width:8em">{html.escape(label)}</label>{widget}'
            f'<output id="{cid}-value" for="{cid}" style="font-family:monospace;min-width:4em">'
            f'{html.escape(labels[k])}</output>{why}</div>')
    key = 0
    for name, control in controls.items():
        key = key * len(control.values()) + index_of(control, values[name])
    first = base64.b64encode(frames.pngs[frames.index[key]]).decode("ascii")
    if summaries is None:
        import itertools as _it
        names = list(controls)
        summaries = ["; ".join(f"{(c.label or n)} = {c.format(v)}" for (n, c), v in zip(controls.items(), combo))
                     for combo in _it.product(*(c.values() for c in controls.values()))]
    distinct = list(dict.fromkeys(summaries))
    position = {s: i for i, s in enumerate(distinct)}
    data = {
        "summaries": distinct,
        "sindex": [position[s] for s in summaries],
        "alt": alt,
        "interval": interval_ms,
        "controls": meta,
        "index": frames.index,
        "frames": [base64.b64encode(p).decode("ascii") for p in frames.pngs],
    }
    current = ", ".join(f"{m['label']} = {m['labels'][index_of(c, values[n])]}"
                        for m, (n, c) in zip(meta, controls.items()))
    return (
        f'<div class="nnlib-interactive" id="{fig_id}" role="group" aria-label="{html.escape(figure_name)}" '
        f'style="margin:0.5em 0">'
        f'<div class="nnlib-controls">{"".join(rows)}</div>'
        f'<img id="{fig_id}-img" src="data:image/png;base64,{first}" width="{width}" height="{height}" '
        f'alt="{html.escape(alt + " (" + current + ")")}" style="max-width:100%;height:auto">'
        f'<p id="{fig_id}-summary" class="nnlib-summary" role="status" aria-live="polite" '
        f'style="margin:0.2em 0 0;font-size:0.9em">{html.escape(summaries[key])}</p>'
        f'<script type="application/json" id="{fig_id}-data">{_json_for_script(data)}</script>'
        f'<script>{_SCRIPT % {"id": json.dumps(fig_id)}}</script>'
        f'</div>')
