"""nnlib vs PyTorch CPU: is the NumPy library fast enough that no notebook waits?

    python benchmarks/bench_nnlib.py [--threads 1] [--rounds 5] [--repeats 30] [--cases mlp,conv1,...]
                                     [--write benchmarks/results/nnlib_vs_torch.md]

Each (framework, case) runs in its OWN process (see nnlib_bench_cases.py for why), float32,
with the same thread count for NumPy's BLAS and PyTorch. A process times ``repeats`` steps
after a warm-up and reports their median. Rounds interleave the two frameworks (alternating
which goes first), so a burst of load from other programs hits both; the reported ratio is
the median over rounds of (nnlib median / torch median) — a paired comparison, robust to a
noisy shared machine. Targets (ratio = nnlib time / torch time): MLP ≤ 1.0, each Conv2D
≤ 1.5, the LeNet-5 training step ≤ 1.0 (issue 14), LSTM ≤ 1.25 (issue 15; was 2.0), the GRU
classifier and the attention block ≤ 1.0.

This is a script, not a test: timings depend on the machine.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from nnlib_bench_cases import CASES  # noqa: E402

TARGETS = {"mlp": 1.0, "conv1": 1.5, "conv2": 1.5, "lenet": 1.0, "lstm": 1.25, "gru": 1.0, "attn": 1.0}


def run_worker(framework: str, case: str, threads: int, repeats: int) -> dict | None:
    """{"wall": ms, "cpu": ms} medians of one case in a fresh process (None if it could not run)."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)        # must be set before NumPy/PyTorch start their pools
    proc = subprocess.run(
        [sys.executable, os.path.join(HERE, "nnlib_bench_cases.py"), framework, case,
         "--repeats", str(repeats), "--threads", str(threads)],
        env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {framework} {case}: could not run ({last})", file=sys.stderr)
        return None
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"wall": out["median_ms"], "cpu": out["median_cpu_ms"]}


def benchmark(cases, threads: int, rounds: int, repeats: int) -> dict:
    """{case: {clock: {"nnlib": [ms per round], "torch": [...], "ratios": [...]}}}, clock ∈ wall, cpu."""
    results = {case: {clock: {"nnlib": [], "torch": [], "ratios": []} for clock in ("wall", "cpu")}
               for case in cases}
    for r in range(rounds):
        for case in cases:
            order = ("nnlib", "torch") if r % 2 == 0 else ("torch", "nnlib")
            ms = {fw: run_worker(fw, case, threads, repeats) for fw in order}
            if None in ms.values():
                continue
            for clock, res in results[case].items():
                for fw in order:
                    res[fw].append(ms[fw][clock])
                res["ratios"].append(ms["nnlib"][clock] / ms["torch"][clock])
            print(f"round {r + 1}/{rounds} {case:6s} wall: nnlib {ms['nnlib']['wall']:7.2f} ms, "
                  f"torch {ms['torch']['wall']:7.2f} ms;  cpu: nnlib {ms['nnlib']['cpu']:7.2f} ms, "
                  f"torch {ms['torch']['cpu']:7.2f} ms", file=sys.stderr)
    return results


def table(results: dict) -> str:
    """A Markdown table per case: medians over rounds, paired ratios (wall and CPU), target."""
    lines = ["| case | nnlib wall (ms) | PyTorch wall (ms) | ratio wall | ratio CPU | target | met |",
             "| --- | ---: | ---: | ---: | ---: | ---: | :---: |"]
    med = lambda xs: f"{statistics.median(xs):.2f}" if xs else "n/a"

    def ratio(xs):
        return f"{statistics.median(xs):.2f} ({min(xs):.2f}–{max(xs):.2f})" if xs else "n/a"

    for case, res in results.items():
        wall, cpu = res["wall"], res["cpu"]
        if wall["ratios"]:
            met = [statistics.median(r["ratios"]) <= TARGETS[case] for r in (wall, cpu)]
            verdict = "yes" if all(met) else ("**no**" if not any(met) else "wall " + ("yes" if met[0] else "**no**")
                                              + ", CPU " + ("yes" if met[1] else "**no**"))
        else:
            verdict = "n/a"
        lines.append(f"| {CASES[case]} | {med(wall['nnlib'])} | {med(wall['torch'])} | "
                     f"{ratio(wall['ratios'])} | {ratio(cpu['ratios'])} | ≤ {TARGETS[case]:g} | {verdict} |")
    return "\n".join(lines)


def per_round(results: dict) -> str:
    """Every round's medians, so a reader can see the spread behind the summary."""
    lines = ["| case | round | nnlib wall | torch wall | nnlib CPU | torch CPU |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for case, res in results.items():
        rows = zip(res["wall"]["nnlib"], res["wall"]["torch"], res["cpu"]["nnlib"], res["cpu"]["torch"])
        for r, (nw, tw, nc, tc) in enumerate(rows, 1):
            lines.append(f"| {case} | {r} | {nw:.2f} | {tw:.2f} | {nc:.2f} | {tc:.2f} |")
    return "\n".join(lines)


def environment(threads: int, rounds: int, repeats: int) -> str:
    import numpy
    try:
        import torch
        torch_version = torch.__version__
    except ImportError:
        torch_version = "not installed"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (f"- date (UTC): {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M}\n"
            f"- machine: {platform.machine()}, {os.cpu_count()} logical CPUs (shared with other jobs), "
            f"load average at the end {load}\n"
            f"- Python {platform.python_version()}, NumPy {numpy.__version__}, PyTorch {torch_version}\n"
            f"- threads: {threads} for both (OMP/OPENBLAS/MKL_NUM_THREADS and torch.set_num_threads)\n"
            f"- {rounds} rounds × {repeats} timed steps per process, after 5 warm-up steps; float32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--write", metavar="PATH", help="also write the Markdown report to PATH")
    args = parser.parse_args()
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s) {sorted(unknown)}; choose from {list(CASES)}")

    results = benchmark(cases, args.threads, args.rounds, args.repeats)
    report = (f"# nnlib vs PyTorch (CPU)\n\n{table(results)}\n\n"
              "Ratio = nnlib time / PyTorch time (lower is better): the median over rounds of the "
              "per-round ratio, range in brackets. *Wall* is elapsed time; *CPU* is the process's "
              "user + system time, which excludes the moments other programs had our core. On a "
              "busy shared machine trust CPU: there the wall-clock median is biased against "
              "whichever step is longer than the scheduler's time slice (a few ms), because such "
              "a step is nearly always interrupted while a shorter one often is not.\n\n"
              f"{environment(args.threads, args.rounds, args.repeats)}\n\n"
              f"## Every round (median ms of the timed steps in one fresh process)\n\n{per_round(results)}\n")
    print(report)
    if args.write:
        os.makedirs(os.path.dirname(os.path.abspath(args.write)), exist_ok=True)
        with open(args.write, "w", encoding="utf-8") as fh:
            fh.write(report)
        print(f"wrote {args.write}", file=sys.stderr)


if __name__ == "__main__":
    main()
