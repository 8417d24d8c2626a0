"""One benchmark case, one framework, one process: the worker behind ``bench_nnlib.py``.

    python benchmarks/nnlib_bench_cases.py {nnlib|torch} {mlp|conv1|conv2|lenet|lstm|gru|attn} [--repeats R]

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
    "lenet": "LeNet-5 training step (batch 64, 1×28×28: conv5-pad2(6), ReLU, maxpool2, conv5(16), ReLU, maxpool2, 400-120-84-10 with ReLU, cross-entropy, Adam)",
    "lstm": "LSTM fwd+bwd, batch 32, 50 steps, 64→128",
    "gru": "GRU classifier training step (batch 32, 30 steps, Embedding 32→64, GRU 64→128, last state → Dense 128→10, cross-entropy, Adam)",
    "attn": "causal self-attention block training step (batch 32, 32 steps, Embedding 32→64 + positions, x + MHA(LN(x)) 4 heads, LN, Dense 64→32 at every step, cross-entropy, Adam)",
}
# Sizes of the two Part IV cases: a chapter-sized character model (vocabulary 32).
GRU_SIZES = dict(N=32, T=30, V=32, E=64, H=128, K=10)
ATTN_SIZES = dict(N=32, T=32, V=32, d=64, heads=4)
CONV_SHAPES = {"conv1": (64, 1, 8, 28), "conv2": (64, 8, 16, 14)}      # N, C_in, C_out, H=W
LENET_BATCH = 64


def data(case: str):
    """The same float32 inputs for both frameworks (seeded)."""
    rng = np.random.default_rng(0)
    if case == "mlp":
        return rng.standard_normal((256, 784), dtype=np.float32), rng.integers(0, 10, 256)
    if case in CONV_SHAPES:
        N, C, O, H = CONV_SHAPES[case]
        return (rng.standard_normal((N, C, H, H), dtype=np.float32),
                rng.standard_normal((N, O, H - 2, H - 2), dtype=np.float32))
    if case == "gru":
        g = GRU_SIZES
        return rng.integers(0, g["V"], (g["N"], g["T"])), rng.integers(0, g["K"], g["N"])
    if case == "lenet":
        return (rng.standard_normal((LENET_BATCH, 1, 28, 28), dtype=np.float32),
                rng.integers(0, 10, LENET_BATCH))
    if case == "attn":
        a = ATTN_SIZES
        ids = rng.integers(0, a["V"], (a["N"], a["T"] + 1))
        return ids[:, :-1], ids[:, 1:]                        # predict the next token at every step
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
    if case == "gru":
        return _nnlib_gru_step(a, b)
    if case == "lenet":
        return _nnlib_lenet_step(a, b)
    if case == "attn":
        return _nnlib_attn_step(a, b)
    from nnlib.layers.recurrent import LSTM
    lstm = LSTM(64, 128)
    return lambda: (lstm.forward(a), lstm.backward(b))


def _nnlib_gru_step(ids, labels):
    from nnlib.layers import GRU, Dense, Embedding
    from nnlib.losses import cross_entropy, cross_entropy_grad
    from nnlib.optimizers import Adam
    g = GRU_SIZES
    emb, gru, out = Embedding(g["V"], g["E"], rng=0), GRU(g["E"], g["H"], rng=1), Dense(g["H"], g["K"], rng=2)
    opt = Adam(emb.parameters() + gru.parameters() + out.parameters(), lr=1e-3)

    def step():
        _, h_n = gru.forward(emb.forward(ids), return_state=True)     # the last state only
        logits = out.forward(h_n)
        cross_entropy(logits, labels)
        d_h_n = out.backward(cross_entropy_grad(logits, labels))
        emb.backward(gru.backward(None, d_h_n))                       # y itself is unused
        opt.step()
    return step


def _nnlib_lenet_step(x, labels):
    from nnlib.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU
    from nnlib.losses import cross_entropy, cross_entropy_grad
    from nnlib.model import Sequential
    from nnlib.optimizers import Adam
    model = Sequential([Conv2D(1, 6, 5, padding=2, rng=0), ReLU(), MaxPool2D(2),     # (N, 6, 14, 14)
                        Conv2D(6, 16, 5, rng=1), ReLU(), MaxPool2D(2),               # (N, 16, 5, 5)
                        Flatten(), Dense(400, 120, rng=2), ReLU(), Dense(120, 84, rng=3), ReLU(),
                        Dense(84, 10, rng=4)])
    # The input is data: like a torch tensor without requires_grad, it needs no gradient
    # (Sequential.fit sets the same flag while it trains).
    model.layers[0].needs_input_grad = False
    opt = Adam(model.parameters(), lr=1e-3)

    def step():
        logits = model.forward(x)
        cross_entropy(logits, labels)
        model.backward(cross_entropy_grad(logits, labels))
        opt.step()
    return step


def _nnlib_attn_step(ids, targets):
    from nnlib.layers import Dense, Embedding, LayerNorm, MultiHeadSelfAttention, PositionalEncoding
    from nnlib.losses import cross_entropy, cross_entropy_grad
    from nnlib.optimizers import Adam
    a = ATTN_SIZES
    N, T, V, d = a["N"], a["T"], a["V"], a["d"]
    emb, pos = Embedding(V, d, rng=0), PositionalEncoding(d, max_len=T)
    ln1, attn = LayerNorm(d), MultiHeadSelfAttention(d, a["heads"], causal=True, rng=1)
    ln2, out = LayerNorm(d), Dense(d, V, rng=2)
    layers = [emb, ln1, attn, ln2, out]
    opt = Adam([p for layer in layers for p in layer.parameters()], lr=1e-3)
    flat_targets = targets.reshape(-1)

    def step():
        x = pos.forward(emb.forward(ids))
        y = x + attn.forward(ln1.forward(x))                  # the residual sublayer
        logits = out.forward(ln2.forward(y)).reshape(N * T, V)
        cross_entropy(logits, flat_targets)
        dy = ln2.backward(out.backward(cross_entropy_grad(logits, flat_targets).reshape(N, T, V)))
        dx = dy + ln1.backward(attn.backward(dy))
        emb.backward(pos.backward(dx))
        opt.step()
    return step


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
    if case == "gru":
        return _torch_gru_step(torch, a, b)
    if case == "lenet":
        return _torch_lenet_step(torch, a, b)
    if case == "attn":
        return _torch_attn_step(torch, a, b)
    lstm = torch.nn.LSTM(64, 128, batch_first=True)
    x = torch.from_numpy(a).requires_grad_(True)
    g = torch.from_numpy(b)

    def step():
        x.grad = None
        lstm.zero_grad()
        lstm(x)[0].backward(g)
    return step


def _torch_gru_step(torch, ids, labels):
    nn, g = torch.nn, GRU_SIZES
    emb, gru, out = nn.Embedding(g["V"], g["E"]), nn.GRU(g["E"], g["H"], batch_first=True), nn.Linear(g["H"], g["K"])
    opt = torch.optim.Adam([*emb.parameters(), *gru.parameters(), *out.parameters()], lr=1e-3)
    x, y = torch.from_numpy(ids), torch.from_numpy(labels)

    def step():
        opt.zero_grad()
        _, h_n = gru(emb(x))
        loss = nn.functional.cross_entropy(out(h_n[0]), y)
        loss.item()
        loss.backward()
        opt.step()
    return step


def _torch_lenet_step(torch, x, labels):
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xt, y = torch.from_numpy(x), torch.from_numpy(labels)

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xt), y)
        loss.item()
        loss.backward()
        opt.step()
    return step


def _torch_attn_step(torch, ids, targets):
    from nnlib.layers.positional import sinusoidal_positional_encoding
    nn, a = torch.nn, ATTN_SIZES
    N, T, V, d = a["N"], a["T"], a["V"], a["d"]
    emb, ln1, ln2, out = nn.Embedding(V, d), nn.LayerNorm(d), nn.LayerNorm(d), nn.Linear(d, V)
    attn = nn.MultiheadAttention(d, a["heads"], batch_first=True)
    opt = torch.optim.Adam([p for m in (emb, ln1, attn, ln2, out) for p in m.parameters()], lr=1e-3)
    pe = torch.from_numpy(sinusoidal_positional_encoding(T, d))
    mask = nn.Transformer.generate_square_subsequent_mask(T)
    x_ids, y = torch.from_numpy(ids), torch.from_numpy(targets).reshape(-1)

    def step():
        opt.zero_grad()
        x = emb(x_ids) + pe
        h = ln1(x)
        y_att = x + attn(h, h, h, attn_mask=mask, is_causal=True, need_weights=False)[0]
        loss = nn.functional.cross_entropy(out(ln2(y_att)).reshape(N * T, V), y)
        loss.item()
        loss.backward()
        opt.step()
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
