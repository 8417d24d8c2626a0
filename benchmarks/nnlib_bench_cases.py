"""One benchmark case, one framework, one process: the worker behind ``bench_nnlib.py``.

    python benchmarks/nnlib_bench_cases.py {nnlib|torch} {mlp|conv1|conv2|lstm} [--repeats R]

Prints one JSON line: ``{"framework", "case", "median_ms", "median_cpu_ms", "wall_ms", "cpu_ms"}``.

Why a process per framework and case: with NumPy and PyTorch loaded in the same process,
NumPy timings here were distorted 10-60× (two OpenMP/BLAS thread pools and allocators
fighting); and a case that allocates large arrays changes malloc's behaviour for the cases
after it. The parent sets ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS``
in our environment before NumPy is imported; PyTorch is also told ``set_num_threads``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

# Run from anywhere: make the repository root importable.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CASES = {
    "mlp": "MLP 784-256-128-10 training step (batch 256, ReLU, cross-entropy, SGD)",
    "conv1": "Conv2D fwd+bwd, batch 64, 1→8 ch, 3×3, 28×28",
    "conv2": "Conv2D fwd+bwd, batch 64, 8→16 ch, 3×3, 14×14",
    "lstm": "LSTM fwd+bwd, batch 32, 50 steps, 64→128",
}
CONV_SHAPES = {"conv1": (64, 1, 8, 28), "conv2": (64, 8, 16, 14)}      # N, C_in, C_out, H=W


def data(case: str):
    """The same float32 inputs for both frameworks (seeded)."""
    rng = np.random.default_rng(0)
    if case == "mlp":
        return rng.standard_normal((256, 784), dtype=np.float32), rng.integers(0, 10, 256)
    if case in CONV_SHAPES:
        N, C, O, H = CONV_SHAPES[case]
        return (rng.standard_normal((N, C, H, H), dtype=np.float32),
                rng.standard_normal((N, O, H - 2, H - 2), dtype=np.float32))
    return (rng.standard_normal((32, 50, 64), dtype=np.float32),
            rng.standard_normal((32, 50, 128), dtype=np.float32))


def nnlib_step(case: str):
    """A zero-argument function doing one step of ``case`` with nnlib."""
    a, b = data(case)
    if case == "mlp":
        from nnlib.layers.activation import ReLU
        from nnlib.layers.dense import Dense
        from nnlib.losses import cross_entropy, cross_entropy_grad
        from nnlib.optimizers import SGD
        layers = [Dense(784, 256), ReLU(), Dense(256, 128), ReLU(), Dense(128, 10)]
        # The input is data: like a torch tensor without requires_grad, it needs no gradient.
        layers[0].needs_input_grad = False
        opt = SGD([p for layer in layers for p in layer.parameters()], lr=0.01)

        def step():
            out = a
            for layer in layers:
                out = layer.forward(out)
            cross_entropy(out, b)                 # the loss value, as a training loop logs it
            grad = cross_entropy_grad(out, b)
            for layer in reversed(layers):
                grad = layer.backward(grad)
            opt.step()
        return step
    if case in CONV_SHAPES:
        from nnlib.layers.conv import Conv2D
        _, C, O, _ = CONV_SHAPES[case]
        conv = Conv2D(C, O, 3)
        return lambda: (conv.forward(a), conv.backward(b))
    from nnlib.layers.recurrent import LSTM
    lstm = LSTM(64, 128)
    return lambda: (lstm.forward(a), lstm.backward(b))


def torch_step(case: str, threads: int):
    """The same step in PyTorch (CPU, float32, autograd)."""
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    a, b = data(case)
    if case == "mlp":
        nn = torch.nn
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                              nn.Linear(128, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x, y = torch.from_numpy(a), torch.from_numpy(b)

        def step():
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.item()
            loss.backward()
            opt.step()
        return step
    if case in CONV_SHAPES:
        _, C, O, _ = CONV_SHAPES[case]
        x = torch.from_numpy(a).requires_grad_(True)          # nnlib's backward returns dx too
        W = torch.randn(O, C, 3, 3, requires_grad=True)
        bias = torch.zeros(O, requires_grad=True)
        g = torch.from_numpy(b)

        def step():
            x.grad = W.grad = bias.grad = None
            torch.nn.functional.conv2d(x, W, bias).backward(g)
        return step
    lstm = torch.nn.LSTM(64, 128, batch_first=True)
    x = torch.from_numpy(a).requires_grad_(True)
    g = torch.from_numpy(b)

    def step():
        x.grad = None
        lstm.zero_grad()
        lstm(x)[0].backward(g)
    return step


def time_it(step, repeats: int, warmup: int = 5) -> tuple[list[float], list[float]]:
    """Milliseconds per call, wall-clock and CPU time of this process, after ``warmup`` calls.

    CPU time (user + system, all threads) is what the step costs; wall time also counts the
    moments the scheduler gave our core to someone else. With one thread and an idle machine
    they agree; on a busy shared machine CPU time is the steadier measure.
    """
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - w0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
    return wall, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework", choices=["nnlib", "torch"])
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "1")))
    args = parser.parse_args()
    step = nnlib_step(args.case) if args.framework == "nnlib" else torch_step(args.case, args.threads)
    wall, cpu = time_it(step, args.repeats)
    print(json.dumps(dict(framework=args.framework, case=args.case, median_ms=float(np.median(wall)),
                          median_cpu_ms=float(np.median(cpu)), wall_ms=wall, cpu_ms=cpu)))


if __name__ == "__main__":
    main()
