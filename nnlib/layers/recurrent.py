"""Recurrent layers: RNN (tanh), LSTM and GRU, batch-first, with backpropagation through time.

Shapes: ``x`` is ``(N, T, D)`` (batch, time steps, features); every layer returns the hidden
state at EVERY step, ``y: (N, T, H)``, so a Dense layer can read the last step (``y[:, -1]``)
or all of them (a character model predicts the next character at every step).

The state, one API for all three layers (and PyTorch's, without its ``num_layers`` axis)::

    y = layer(x)                                      # initial state = zeros
    y, state = layer(x, state, return_state=True)     # carry the state into the next chunk
    dx = layer.backward(grad_y)                       # forward was given no state
    dx, d_state = layer.backward(grad_y, grad_state)  # forward was given one (and returned one)

``state`` is ``h: (N, H)`` for RNN and GRU, and the pair ``(h, c)`` for the LSTM. This is the
layer contract of ``base.py``: an optional input (the initial state) gets a gradient only when
it was given; an extra output (the final state) exists only when asked for with
``return_state=True``, and only then does ``backward`` take its gradient, where ``None`` means
"did not reach the loss" (also inside the LSTM's pair, and for ``grad_y`` itself when only the
final state is used, as in a sequence classifier).

The equations, with PyTorch's gate order so that weights can be copied across. ``a`` is a
pre-activation, ``x_t W_ih + b_ih + h_{t-1} W_hh + b_hh``, split into blocks of H columns::

    RNN:   h_t = tanh(a)
    LSTM:  [a_i, a_f, a_g, a_o] = a
           i = σ(a_i),  f = σ(a_f),  g = tanh(a_g),  o = σ(a_o)
           c_t = f * c_{t-1} + i * g
           h_t = o * tanh(c_t)
    GRU:   [a_r, a_z, a_n] = x_t W_ih + b_ih     [b_r, b_z, b_n] = h_{t-1} W_hh + b_hh
           r = σ(a_r + b_r),  z = σ(a_z + b_z)
           n = tanh(a_n + r * b_n)
           h_t = (1 - z) * n + z * h_{t-1}

Parameters (row-vector convention, like Dense): ``W_ih: (D, G*H)``, ``W_hh: (H, G*H)``,
``b_ih, b_hh: (G*H,)`` with G = 1, 4, 3 gates. PyTorch stores ``weight_ih_l0`` as
``(G*H, D)``: transpose when copying. Initialisation is PyTorch's: every parameter
~ U(-1/√H, 1/√H).

Each ``_steps`` method is the loop above, one line per equation (the LSTM's four gates take a
few more: one tanh call computes them all); each ``_steps_backward`` walks it backwards, one line
per chain-rule factor. What makes them fast without changing how they
read (measured for the benchmark's LSTM, N=32, T=50, D=64, H=128, fwd+bwd ≈ 14 ms, PyTorch ≈ 12 ms):

* ``x_t W_ih`` does not depend on the previous step, so it is ONE matrix product for all T
  steps before the loop, and the weight gradients are single products over all steps after
  the backward loop (:func:`~nnlib.layers.dense.linear_backward`, as in Dense). The matrix
  products are then most of the time, the same products PyTorch makes;
* the per-step product in backward uses a contiguous copy of W_hhᵀ;
* the LSTM works gate by gate, each gate of a step one contiguous (N, H) array, and takes its
  four nonlinearities in one ``tanh`` call (see its docstring and comments for the figures:
  fwd+bwd 16.5 → 14 ms).

What was tried and dropped: computing every local derivative (σ', tanh') for all steps at
once before the backward loop. Its temporaries are (T, N, H) arrays, whose allocation cost
~1000 page faults per call — more time than the vectorisation saved.

Internally the arrays are time-major, ``(T, N, ·)`` (the LSTM's gates ``(T, 4, N, H)``), so one
step's slice is one contiguous block; ``h[t + 1]`` is the state after step t, and ``h[0]`` the initial state.
"""
from __future__ import annotations

import numpy as np

from ..activations import sigmoid, tanh
from ..init import as_rng
from .base import Layer, Parameter, check_input
from .dense import linear_backward


class _Recurrent(Layer):
    """What RNN, LSTM and GRU share: parameters, the state API, checks and weight gradients.

    A subclass sets ``gates`` (G) and ``state_names`` and writes the two loops,
    ``_steps`` and ``_steps_backward``.
    """

    gates = 1                  # G: how many blocks of H columns the weight matrices hold
    kind = "Recurrent"
    state_names = ("h",)       # the LSTM's state is the pair ("h", "c")

    def __init__(self, input_size: int, hidden_size: int, rng=None, dtype=np.float32):
        self.name = f"{self.kind}({input_size}→{hidden_size})"
        for what, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{self.name}: {what} must be a positive int, got {v!r}")
        D, H, G = int(input_size), int(hidden_size), self.gates
        self.input_size, self.hidden_size = D, H
        rng = as_rng(rng)
        bound = 1.0 / np.sqrt(H)                  # PyTorch's choice for every recurrent parameter
        uniform = lambda *shape: rng.uniform(-bound, bound, size=shape).astype(dtype)
        self.W_ih = Parameter(uniform(D, G * H), "W_ih")
        self.W_hh = Parameter(uniform(H, G * H), "W_hh")
        self.b_ih = Parameter(uniform(G * H), "b_ih")
        self.b_hh = Parameter(uniform(G * H), "b_hh")
        # Set False on a network's first layer (its input is data): backward then skips
        # dL/dx and returns None in its place, as Dense does.
        self.needs_input_grad = True
        self.cache = None

    def __repr__(self):
        return f"{self.kind}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    def __call__(self, x, state=None, return_state: bool = False):
        return self.forward(x, state, return_state)

    # --- forward / backward: the bookkeeping around the loops -------------------------------
    def forward(self, x, state=None, return_state: bool = False):
        """x: (N, T, D) → y: (N, T, H), or ``(y, final_state)`` if ``return_state``.

        ``state`` is the initial state (see the module docstring), ``None`` for zeros.
        The cache holds x (time-major), what the loop saved, and how forward was called.
        """
        x, state0 = self._check_forward(x, state)              # x: (T, N, D) from here on
        saved = self._steps(self._input_part(x), *state0)
        self.cache = dict(x=x, saved=saved, state_given=state is not None,
                          return_state=bool(return_state))
        h = saved["h"]
        y = np.ascontiguousarray(h[1:].transpose(1, 0, 2))    # batch-first copy, the caller's own
        if not return_state:
            return y
        final = tuple(saved[s][-1].copy() for s in self.state_names)
        return y, self._pack(final)

    def backward(self, grad_out, grad_state=None):
        """grad_out: dL/dy (N, T, H) or None → dx: (N, T, D), or ``(dx, d_state)`` if forward
        was given a state. ``grad_state`` = dL/d(final state), only if forward returned it.
        Overwrites every parameter's ``.grad``; dx is None if ``needs_input_grad`` is False."""
        cache = self._cached()
        x, saved = cache["x"], cache["saved"]
        T, N, D = x.shape
        H, dtype = self.hidden_size, self.W_hh.data.dtype
        dh_out = self._time_major_grad(grad_out, N, T)          # time-major (T, N, H)
        dfinal = self._check_grad_state(grad_state, N)          # tuple of (N, H)

        dA_x, dA_h, d_state0 = self._steps_backward(dh_out, *dfinal, **saved)
        h_prev = saved["h"][:-1]                                # the state each step started from
        dx, dW_ih, db_ih, dW_hh, db_hh = self._weight_grads(x, h_prev, dA_x, dA_h)
        for p, g in ((self.W_ih, dW_ih), (self.W_hh, dW_hh), (self.b_ih, db_ih), (self.b_hh, db_hh)):
            p.grad = g.astype(dtype, copy=False)
        if dx is not None:
            dx = np.ascontiguousarray(dx.reshape(T, N, D).transpose(1, 0, 2))   # batch-first
        if not cache["state_given"]:
            return dx
        return dx, self._pack(d_state0)

    def _weight_grads(self, x, h_prev, dA_x, dA_h):
        """x: (T, N, D), h_prev: (T, N, H) and dL/da for the input and hidden products,
        (T, N, G*H) → dx (or None), dW_ih, db_ih, dW_hh, db_hh. One product over all T*N
        rows for each weight, exactly Dense's backward."""
        T, N, D = x.shape
        dx, dW_ih, db_ih = linear_backward(x.reshape(T * N, D), self.W_ih.data,
                                           dA_x.reshape(T * N, -1), self.needs_input_grad)
        _, dW_hh, db_hh = linear_backward(h_prev.reshape(T * N, -1), self.W_hh.data,
                                          dA_h.reshape(T * N, -1), need_dx=False)
        return dx, dW_ih, db_ih, dW_hh, db_hh

    def _W_hh_T(self):
        """W_hh transposed, as a contiguous copy: the per-step product dA_t @ W_hhᵀ then takes
        50 µs instead of 72 µs (N=32, H=128, LSTM; OpenBLAS, one thread) -- 1 ms per backward."""
        return np.ascontiguousarray(self.W_hh.data.T)

    def _input_part(self, x):
        """x: (T, N, D) → x_t W_ih + b_ih + b_hh for every step at once, (T, N, G*H).

        Both biases are added here, once: they add to the same pre-activation (the GRU,
        whose b_hn sits inside r * (...), overrides this)."""
        T, N, D = x.shape
        A = x.reshape(T * N, D) @ self.W_ih.data
        A += self.b_ih.data + self.b_hh.data        # in place: no second (T*N, G*H) array
        return A.reshape(T, N, -1)

    # --- checks and the state's packing ------------------------------------------------------
    def _pack(self, states):
        """The state as the user sees it: h alone, or the LSTM's pair (h, c)."""
        return states[0] if len(states) == 1 else tuple(states)

    def _unpack(self, state, what):
        """The user's state (h, or (h, c), or None) → a tuple with one entry per state array."""
        k = len(self.state_names)
        if state is None:
            return (None,) * k
        if k == 1:
            if isinstance(state, (tuple, list)):
                raise ValueError(f"{self.name}: {what} is one array h of shape (N, H), got a "
                                 f"{type(state).__name__} of {len(state)}")
            return (state,)
        if not isinstance(state, (tuple, list)) or len(state) != k:
            got = f"an array of shape {np.shape(state)}" if not isinstance(state, (tuple, list)) \
                else f"a {type(state).__name__} of {len(state)}"
            raise ValueError(f"{self.name}: {what} is the pair (h, c) of (N, H) arrays, got {got}")
        return tuple(state)

    def _check_forward(self, x, state):
        """Validate x: (N, T, D) and the initial state, cast to the parameters' dtype.
        Returns x time-major, (T, N, D), and the initial state as a tuple of (N, H) arrays."""
        dtype = self.W_hh.data.dtype
        x = np.asarray(x, dtype=dtype)
        check_input(self.name, x, f"(N, T, {self.input_size})",
                    x.ndim == 3 and x.shape[2] == self.input_size)
        if x.shape[1] == 0:
            raise ValueError(f"{self.name}: the input sequence is empty (T = 0), shape {x.shape}")
        N, H = x.shape[0], self.hidden_size
        states = []
        for label, s in zip(self.state_names, self._unpack(state, "the initial state")):
            s = np.zeros((N, H), dtype=dtype) if s is None else np.asarray(s, dtype=dtype)
            if s.shape != (N, H):
                raise ValueError(f"{self.name}: expected initial state {label}0 of shape (N, H) = "
                                 f"({N}, {H}), got {s.shape}")
            states.append(s)
        # Time-major copy (T, N, D): each step's slice is then one contiguous block.
        return np.ascontiguousarray(x.transpose(1, 0, 2)), tuple(states)

    def _time_major_grad(self, grad_out, N, T):
        """dL/dy: (N, T, H), or None (y did not reach the loss) → time-major (T, N, H)."""
        H, dtype = self.hidden_size, self.W_hh.data.dtype
        if grad_out is None:
            return np.zeros((T, N, H), dtype=dtype)
        check_input(self.name + ".backward", grad_out, f"{(N, T, H)} (dL/dy)",
                    np.shape(grad_out) == (N, T, H))
        return np.asarray(grad_out, dtype=dtype).transpose(1, 0, 2)

    def _check_grad_state(self, grad_state, N):
        """dL/d(final state) → a tuple of (N, H) arrays, zeros where None."""
        H, dtype = self.hidden_size, self.W_hh.data.dtype
        if grad_state is not None and not self.cache["return_state"]:
            raise ValueError(f"{self.name}.backward: got a gradient for the final state, but "
                             f"forward did not return it (call forward with return_state=True)")
        out = []
        for label, g in zip(self.state_names, self._unpack(grad_state, "the final state's gradient")):
            if g is None:
                out.append(np.zeros((N, H), dtype=dtype))
                continue
            check_input(self.name + ".backward", g, f"{(N, H)} (dL/d{label}_n)", np.shape(g) == (N, H))
            out.append(np.asarray(g, dtype=dtype))
        return tuple(out)


class RNN(_Recurrent):
    """Elman RNN with tanh: ``h_t = tanh(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)``.

    forward(x: (N, T, D), state=h0: (N, H) | None, return_state=False) → y: (N, T, H)
    (and h_n: (N, H) if ``return_state``). See the module docstring for the state API.
    """

    gates, kind = 1, "RNN"

    def _steps(self, A, h0):
        """A: (T, N, H), x_t W_ih + b_ih + b_hh for every step. Saves h: (T + 1, N, H)."""
        T, N, H = A.shape
        W_hh = self.W_hh.data
        h = np.empty((T + 1, N, H), dtype=A.dtype)
        h[0] = h0
        for t in range(T):
            h[t + 1] = tanh(A[t] + h[t] @ W_hh)
        return dict(h=h)

    def _steps_backward(self, dh_out, dh_n, h):
        """dh_out: (T, N, H) dL/dh_t from y; dh_n: dL/dh_T from the final state.
        Returns dL/da for the input and the hidden product (the same array here), and (dL/dh0,)."""
        W_hh_T = self._W_hh_T()
        dA = np.empty_like(dh_out)
        dh_next = dh_n                              # the gradient reaching h_t from step t+1
        for t in reversed(range(len(dA))):
            dh = dh_out[t] + dh_next                # h_t feeds y and step t+1
            dA[t] = dh * (1 - h[t + 1] ** 2)        # h_t = tanh(a), tanh' = 1 - tanh²
            dh_next = dA[t] @ W_hh_T
        return dA, dA, (dh_next,)


class LSTM(_Recurrent):
    """Long short-term memory, PyTorch's equations and gate order (i, f, g, o).

    forward(x: (N, T, D), state=(h0, c0) | None, return_state=False) → y: (N, T, H)
    (and the final ``(h_n, c_n)`` if ``return_state``). See the module docstring.

    The weights are stored as PyTorch stores them, the four gates' columns side by side
    ([i | f | g | o] in W_ih, W_hh and the biases). The loops see them gate by gate: each
    weight matrix as four (·, H) blocks and each step's pre-activations as a (4, N, H) array,
    so every gate of a step is one contiguous (N, H) array. Two measured reasons (N=32, H=128,
    OpenBLAS, one thread): NumPy runs an element-wise line over a contiguous (N, H) array in
    one pass but over a column block of an (N, 4H) array row by row (0.9 vs 3 µs), and four
    (N, H) @ (H, H) products take 38 µs against 52 µs for one (N, H) @ (H, 4H).
    """

    gates, kind, state_names = 4, "LSTM", ("h", "c")

    def _blocks(self, W):
        """(rows, 4H) → (4, rows, H): the column blocks of the four gates, as a copy."""
        return np.ascontiguousarray(W.reshape(len(W), 4, self.hidden_size).transpose(1, 0, 2))

    def _input_part(self, x):
        """x: (T, N, D) → x_t W_ih for every step, gate by gate: (4, T, N, H). (The biases are
        added in the loop, one step at a time: 0.2 ms less than one pass over all steps.)"""
        T, N, D = x.shape
        A = np.matmul(x.reshape(T * N, D), self._blocks(self.W_ih.data))      # (4, T*N, H)
        return A.reshape(4, T, N, self.hidden_size)

    def _steps(self, A, h0, c0):
        """A: (4, T, N, H), x_t W_ih for each step. Saves gates and states."""
        _, T, N, H = A.shape
        W_hh = self._blocks(self.W_hh.data)     # (4, H, H): a block per gate
        b = (self.b_ih.data + self.b_hh.data).reshape(4, 1, H)
        h = np.empty((T + 1, N, H), dtype=A.dtype)
        c = np.empty((T + 1, N, H), dtype=A.dtype)
        gates = np.empty((T, 4, N, H), dtype=A.dtype)
        i, f, g, o = (gates[:, k] for k in range(4))     # each (T, N, H)
        tanh_c = np.empty((T, N, H), dtype=A.dtype)
        # σ(z) = (1 + tanh(z/2)) / 2: ONE tanh call for all four gates
        # (16 µs per step less than a σ call and a tanh call)
        half = np.array([.5, .5, 1, .5], dtype=A.dtype).reshape(4, 1, 1)
        shift = np.array([.5, .5, 0, .5], dtype=A.dtype).reshape(4, 1, 1)
        h[0], c[0] = h0, c0
        for t in range(T):
            a = np.matmul(h[t], W_hh, out=gates[t])      # (4, N, H)
            a += A[:, t]
            a += b                               # [a_i, a_f, a_g, a_o]
            a *= half
            np.tanh(a, out=a)
            a *= half
            a += shift                           # [i_t, f_t, g_t, o_t]
            # the equations, written into their arrays (out=): no copies
            np.multiply(f[t], c[t], out=c[t + 1])
            c[t + 1] += i[t] * g[t]              # c_t = f c_{t-1} + i g
            np.tanh(c[t + 1], out=tanh_c[t])
            np.multiply(o[t], tanh_c[t], out=h[t + 1])   # h_t = o tanh(c_t)
        return dict(h=h, c=c, i=i, f=f, g=g, o=o, tanh_c=tanh_c,
                    gates=gates)

    def _steps_backward(self, dh_out, dh_n, dc_n, h, c, i, f, g, o, tanh_c, gates):
        """Walk the LSTM's steps backwards. dh_out: (T, N, H) dL/dh_t from y; dh_n, dc_n:
        dL/d(final state). Returns dL/da, gate by gate (T, 4, N, H), twice (the input and
        hidden products share it) and (dL/dh0, dL/dc0)."""
        T, N, H = dh_out.shape
        W_hh_T = self._blocks(self.W_hh.data).transpose(0, 2, 1).copy()   # (4, H, H)
        dA = np.empty((T, 4, N, H), dtype=dh_out.dtype)     # dL/d[a_i, a_f, a_g, a_o] per step
        dh_next, dc_next = dh_n, dc_n               # gradients reaching step t from step t+1
        for t in reversed(range(T)):
            dh = dh_out[t] + dh_next                # h_t feeds y and step t+1
            dc = dc_next + dh * o[t] * (1 - tanh_c[t] ** 2)     # h_t = o tanh(c_t)
            # dA[t] = [dc g σ'(a_i), dc c_{t-1} σ'(a_f), dc i tanh'(a_g), dh tanh(c_t) σ'(a_o)]
            # (c_t = f c_{t-1} + i g), built in place over the four gates at once
            d, s = dA[t], gates[t]
            np.multiply(s, s, out=d)
            np.subtract(s, d, out=d)                # σ' = s (1 - s) (right for i, f, o)
            np.multiply(g[t], g[t], out=d[2])
            np.subtract(1, d[2], out=d[2])          # tanh' = 1 - g² for the g block
            d[0] *= g[t]
            d[1] *= c[t]
            d[2] *= i[t]
            d[3] *= tanh_c[t]
            d[:3] *= dc
            d[3] *= dh
            dc_next = dc * f[t]                     # the cell's gradient highway: one product
            dh_next = np.matmul(d, W_hh_T).sum(axis=0)          # Σ over gates of dA_k W_hh,kᵀ
        return dA, dA, (dh_next, dc_next)

    def _weight_grads(self, x, h_prev, dA_x, dA_h):
        """dA (T, 4, N, H) back to the weights' layout, (T, N, 4H), then the base class's
        products: one copy (0.08 ms) makes the three products 1 ms faster than four
        gate-by-gate products each (measured as above)."""
        dA = np.ascontiguousarray(dA_x.transpose(0, 2, 1, 3))       # (T, N, 4, H)
        return super()._weight_grads(x, h_prev, dA, dA)


class GRU(_Recurrent):
    """Gated recurrent unit, PyTorch's equations and gate order (r, z, n).

    Note where r acts: ``n = tanh(x_t W_in + b_in + r * (h_{t-1} W_hn + b_hn))`` — on the
    hidden product INCLUDING its bias, as in PyTorch (the original paper puts r before W_hn).
    forward(x: (N, T, D), state=h0: (N, H) | None, return_state=False) → y: (N, T, H)
    (and h_n: (N, H) if ``return_state``). See the module docstring for the state API.
    """

    gates, kind = 3, "GRU"

    def _input_part(self, x):
        """x: (T, N, D) → x_t W_ih + b_ih for every step, (T, N, 3H). b_hh stays in the loop."""
        T, N, D = x.shape
        A = x.reshape(T * N, D) @ self.W_ih.data
        A += self.b_ih.data
        return A.reshape(T, N, -1)

    def _steps(self, A, h0):
        """A: (T, N, 3H), x_t W_ih + b_ih for every step. Saves the gates, b_n and the states."""
        T, N, H3 = A.shape
        H = H3 // 3
        W_hh, b_hh = self.W_hh.data, self.b_hh.data
        h = np.empty((T + 1, N, H), dtype=A.dtype)
        r, z, n, b_n = (np.empty((T, N, H), dtype=A.dtype) for _ in range(4))
        h[0] = h0
        for t in range(T):
            a = A[t]                                            # [a_r | a_z | a_n]
            b = h[t] @ W_hh
            b += b_hh                                           # [b_r | b_z | b_n]
            s = sigmoid(a[:, :2 * H] + b[:, :2 * H])    # r and z in one call, as the LSTM does
            r[t] = s[:, 0 * H:1 * H]
            z[t] = s[:, 1 * H:2 * H]
            b_n[t] = b[:, 2 * H:3 * H]
            n[t] = tanh(a[:, 2 * H:3 * H] + r[t] * b_n[t])
            h[t + 1] = (1 - z[t]) * n[t] + z[t] * h[t]
        return dict(h=h, r=r, z=z, n=n, b_n=b_n)

    def _steps_backward(self, dh_out, dh_n, h, r, z, n, b_n):
        """Walk the GRU's steps backwards. Returns dL/da (T, N, 3H), dL/db (T, N, 3H) — they
        differ in the n block, where b_n is scaled by r — and (dL/dh0,)."""
        T, N, H = dh_out.shape
        W_hh_T = self._W_hh_T()
        dA = np.empty((T, N, 3, H), dtype=dh_out.dtype)    # dL/d[a_r, a_z, a_n]
        dB = np.empty((T, N, 3, H), dtype=dh_out.dtype)    # dL/d[b_r, b_z, b_n]
        dh_next = dh_n
        for t in reversed(range(T)):
            dh = dh_out[t] + dh_next                            # h_t feeds y and step t+1
            da_n = dh * (1 - z[t]) * (1 - n[t] ** 2)            # h_t = (1 - z) n + z h_{t-1}, n = tanh(·)
            da_z = dh * (h[t] - n[t]) * z[t] * (1 - z[t])       # z = σ(a_z + b_z)
            da_r = da_n * b_n[t] * r[t] * (1 - r[t])            # n = tanh(a_n + r b_n), r = σ(a_r + b_r)
            dA[t, :, 0], dA[t, :, 1], dA[t, :, 2] = da_r, da_z, da_n
            dB[t, :, 0], dB[t, :, 1], dB[t, :, 2] = da_r, da_z, da_n * r[t]
            dh_next = dh * z[t] + dB[t].reshape(N, 3 * H) @ W_hh_T
        return dA.reshape(T, N, 3 * H), dB.reshape(T, N, 3 * H), (dh_next,)
