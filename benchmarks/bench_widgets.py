"""Time every interactive figure's live update (recompute + redraw), as a reader drags a control.

    python benchmarks/bench_widgets.py                # all book/*.ipynb + the playground
    python benchmarks/bench_widgets.py book/ch02_activations.ipynb --no-payload

How the figures are found: each notebook's code cells run in a fresh namespace (cwd = the
notebook's folder, matplotlib's Agg backend) with ``nnbook.interactive.interactive_figure``
patched to record every figure it builds. Each recorded figure is then driven the way the
live widget is: the controls are changed one at a time (≥ 10 changes, cycling through every
control) and each ``set()`` — ``draw(ax, **values)`` on the reused figure + PNG encoding +
handing the bytes to the Image widget — is timed. The first draw (which also lays the axes
out) is reported separately. The target is a median ≤ 100 ms: the point where a drag stops
feeling direct.

With ``--payload`` (default) every figure's static frames are also rendered, to report the bytes
each figure and each page adds to the HTML book (budget: 1.5 MB per figure, 5 MB per page).

Writes ``benchmarks/results/widgets.md`` and prints the slowest figures. Timings are wall clock
and process CPU time: on a shared machine the CPU time is the steadier number.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import platform
import statistics
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import matplotlib  # noqa: E402
import nbformat  # noqa: E402

import nnbook.interactive as interactive  # noqa: E402
from nnbook.interactive import Dropdown, Slider, interactive_figure, playground  # noqa: E402
from nnbook.interactive.playground import PlaygroundGrid  # noqa: E402

TARGET_MS = 100.0


@dataclass
class Result:
    name: str
    controls: str
    n_frames: int
    first_ms: float
    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    payload: int | None = None
    static_s: float | None = None   # time to render every static frame (paid once per display)
    error: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.wall_ms) if self.wall_ms else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_ms) if self.cpu_ms else float("nan")

    @property
    def p90(self) -> float:
        return sorted(self.wall_ms)[int(0.9 * (len(self.wall_ms) - 1))] if self.wall_ms else float("nan")


def change_sequence(fig, n_changes: int):
    """``n_changes`` single-control moves cycling over the controls: one step right, bouncing at the ends."""
    names = list(fig.controls)
    position = {n: fig.controls[n].values().index(fig.values[n]) if fig.values[n] in fig.controls[n].values() else 0
                for n in names}
    direction = {n: 1 for n in names}
    movable = [n for n in names if len(fig.controls[n].values()) > 1]
    for name in itertools.islice(itertools.cycle(movable), n_changes):
        values = fig.controls[name].values()
        nxt = position[name] + direction[name]
        if not 0 <= nxt < len(values):
            direction[name] *= -1
            nxt = position[name] + direction[name]
        position[name] = nxt
        yield name, values[nxt]


def time_figure(name: str, fig, n_changes: int, payload: bool) -> Result:
    sizes = " × ".join(f"{n}:{len(c.values())}" for n, c in fig.controls.items())
    result = Result(name, sizes, interactive.n_combinations(fig.controls), 0.0)
    fig.widget  # the live view exists, so each update also hands the PNG to the Image widget
    t = time.perf_counter()
    fig.render()
    result.first_ms = 1e3 * (time.perf_counter() - t)
    for control, value in change_sequence(fig, n_changes):
        t, c = time.perf_counter(), time.process_time()
        fig.set(**{control: value})
        result.cpu_ms.append(1e3 * (time.process_time() - c))
        result.wall_ms.append(1e3 * (time.perf_counter() - t))
    if payload:
        try:
            t = time.perf_counter()
            html = fig.to_html()
            result.static_s = time.perf_counter() - t
            result.payload = len(html.encode("utf-8"))
        except ValueError as err:
            result.error = f"static frames refused: {err}"
    return result


def figures_in_notebook(path: Path) -> list[tuple[str, object]]:
    """Run the notebook's code cells with ``interactive_figure`` patched to record what it builds."""
    recorded: list[tuple[str, object]] = []
    cell_no = [0]

    def recording_interactive_figure(draw, **kwargs):
        fig = interactive_figure(draw, **kwargs)
        recorded.append((f"{path.name} cell {cell_no[0]} ({getattr(draw, '__name__', 'draw')})", fig))
        return fig

    nb = nbformat.read(path, as_version=4)
    namespace = {"__name__": "__main__"}
    original = interactive.interactive_figure
    interactive.interactive_figure = recording_interactive_figure
    cwd = os.getcwd()
    os.chdir(path.parent)
    try:
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell_no[0] = i
            source = "\n".join(line for line in cell.source.splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(source, f"{path.name}[{i}]", "exec"), namespace)
            matplotlib.pyplot.close("all")
    finally:
        interactive.interactive_figure = original
        os.chdir(cwd)
    return recorded


def representative_figures():
    """A few figure shapes the chapters use, timed even when no notebook is given."""
    import numpy as np
    from nnbook.plotting import plot_decision_boundary

    x = np.linspace(-4, 4, 400)

    def neuron(ax, w, b, act):
        z = w * x + b
        ax.plot(x, np.tanh(z) if act == "tanh" else np.maximum(z, 0))
        ax.set(xlabel="x", ylabel="activation", ylim=(-1.2, 4))

    def two_panels(axes, w):
        axes[0].plot(x, 1 / (1 + np.exp(-w * x)))
        axes[1].plot(x, w * np.exp(-w * x) / (1 + np.exp(-w * x)) ** 2)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)

    def boundary(ax, angle):
        w = np.array([np.cos(angle), np.sin(angle)])
        plot_decision_boundary(ax, lambda P: (P @ w > 0).astype(int), X, y)

    return [
        ("representative: one-panel line plot", interactive_figure(
            neuron, alt="x", w=Slider(-3, 3, 0.5), b=Slider(-2, 2, 0.5), act=Dropdown(["tanh", "relu"]))),
        ("representative: two panels", interactive_figure(
            two_panels, alt="x", ncols=2, figsize=(8, 3), w=Slider(0.5, 5, 0.5))),
        ("representative: decision boundary 60×60 + 300 points", interactive_figure(
            boundary, alt="x", figsize=(5, 4), angle=Slider(0, 3, 0.25))),
    ]


def time_playground(n_changes: int) -> list[Result]:
    pg = playground()
    pg.widget
    tick = Result("playground: one Play tick (train 5 epochs + redraw)", "", 0, 0.0)
    for _ in range(n_changes):
        t, c = time.perf_counter(), time.process_time()
        pg._play.value += 1
        tick.cpu_ms.append(1e3 * (time.process_time() - c))
        tick.wall_ms.append(1e3 * (time.perf_counter() - t))
    choice = Result("playground: change a menu (new network + redraw)", "", 0, 0.0)
    for dataset in itertools.islice(itertools.cycle(pg.grid.datasets[1:] + pg.grid.datasets[:1]), n_changes):
        t, c = time.perf_counter(), time.process_time()
        pg._menus["dataset"].value = dataset
        choice.cpu_ms.append(1e3 * (time.process_time() - c))
        choice.wall_ms.append(1e3 * (time.perf_counter() - t))
    static = pg.static
    tick.n_frames = choice.n_frames = interactive.n_combinations(static.controls)
    return [tick, choice], static


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: book/*.ipynb")
    parser.add_argument("--changes", type=int, default=12, help="control changes per figure (≥ 10)")
    parser.add_argument("--no-payload", dest="payload", action="store_false",
                        help="skip rendering the static frames (faster)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "widgets.md")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((REPO / "book").glob("*.ipynb"))

    results: list[Result] = []
    page_bytes: dict[str, int] = {}
    notes = []
    for path in notebooks:
        try:
            found = figures_in_notebook(path.resolve())
        except Exception:
            notes.append(f"{path.name}: could not execute ({traceback.format_exc(limit=1).strip().splitlines()[-1]})")
            continue
        print(f"{path.name}: {len(found)} interactive figure(s)", flush=True)
        for name, fig in found:
            r = time_figure(name, fig, args.changes, args.payload)
            results.append(r)
            page_bytes[path.name] = page_bytes.get(path.name, 0) + (r.payload or 0)
            print(f"  {r.median:7.1f} ms median ({r.cpu_median:.1f} ms CPU)  {name}", flush=True)
    for name, fig in representative_figures():
        results.append(time_figure(name, fig, args.changes, payload=False))
    pg_results, static = time_playground(args.changes)
    results.extend(pg_results)
    if args.payload:
        t = time.perf_counter()
        pg_results[0].payload = len(static.to_html().encode("utf-8"))
        pg_results[0].static_s = time.perf_counter() - t

    results.sort(key=lambda r: -r.cpu_median)
    lines = [
        "# Interactive figures: live update time",
        "",
        f"`python benchmarks/bench_widgets.py` — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"Python {platform.python_version()}, matplotlib {matplotlib.__version__}, "
        f"{os.cpu_count()} CPU(s) (shared machine: wall times are noisy; CPU time is steadier).",
        "",
        f"One update = `set()` on the live figure: `draw(ax, **values)` + PNG encode + Image widget, "
        f"timed over {args.changes} single-control changes. Target: median ≤ {TARGET_MS:.0f} ms "
        f"(judged on CPU time, which is what a reader's otherwise idle machine sees as wall time; "
        f"load average during this run: {os.getloadavg()[0]:.1f}).",
        "",
        "| figure | controls | frames | first draw ms | median ms | p90 ms | median CPU ms | static HTML | frames render s | ok |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :-: |",
    ]
    for r in results:
        size = f"{r.payload / 1e6:.2f} MB" if r.payload else ("refused" if r.error else "–")
        ok = "✅" if r.cpu_median <= TARGET_MS else "❌"
        lines.append(f"| {r.name} | {r.controls} | {r.n_frames or '–'} | {r.first_ms:.0f} | {r.median:.0f} | "
                     f"{r.p90:.0f} | {r.cpu_median:.0f} | {size} | "
                     f"{'–' if r.static_s is None else f'{r.static_s:.1f}'} | {ok} |")
    if page_bytes:
        lines += ["", "## Static weight per page (interactive figures only)", "",
                  "| page | interactive-figure HTML |", "| --- | ---: |"]
        lines += [f"| {page} | {n / 1e6:.2f} MB |" for page, n in sorted(page_bytes.items())]
    errors = [f"{r.name}: {r.error}" for r in results if r.error]
    if errors or notes:
        lines += ["", "## Problems", ""] + [f"- {e}" for e in errors + notes]
    slow = [r for r in results if r.cpu_median > TARGET_MS]
    results_by_cpu = sorted(results, key=lambda r: -r.cpu_median)
    lines += ["", f"Slowest: {results_by_cpu[0].name} at {results_by_cpu[0].cpu_median:.0f} ms CPU "
                  f"({results_by_cpu[0].median:.0f} ms wall) median." if results else "",
              f"{len(slow)} of {len(results)} above {TARGET_MS:.0f} ms." if slow else
              f"All {len(results)} within {TARGET_MS:.0f} ms."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\nslowest updates:")
    for r in results[:5]:
        print(f"  {r.median:7.1f} ms median  {r.cpu_median:6.1f} ms CPU  {r.name}")
    for line in errors + notes:
        print("PROBLEM:", line)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
