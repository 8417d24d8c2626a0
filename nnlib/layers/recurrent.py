"""Recurrent layers: RNN (tanh), LSTM and GRU, batch-first, with full backprop through time.

Shapes: ``x`` is ``(N, T, D)`` (batch, time steps, features); every layer returns the hidden
state at EVERY step, ``(N, T, H)``, so you can put a Dense layer on the last step
(``y[:, -1]``) or on all of them. An optional initial state ``h0: (N, H)`` (and ``c0`` for
the LSTM) defaults to zeros; after ``forward`` the final state is in ``.h_n`` (and ``.c_n``),
and after ``backward`` the gradient with respect to the initial state is in ``.grad_h0``
(and ``.grad_c0``), so a long text can be processed in chunks.

The equations and the gate order are PyTorch's, so weights can be copied across:

    RNN:   h_t = tanh(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)
    LSTM:  [i, f, g, o] = x_t W_ih + b_ih + h_{t-1} W_hh + b_hh       (4 blocks of H columns)
           i, f, o = σ(·),  g = tanh(·)
           c_t = f * c_{t-1} + i * g,         h_t = o * tanh(c_t)
    GRU:   [r, z, n] blocks of  a = x_t W_ih + b_ih  and  b = h_{t-1} W_hh + b_hh
           r = σ(a_r + b_r),  z = σ(a_z + b_z),  n = tanh(a_n + r * b_n)
           h_t = (1 - z) * n + z * h_{t-1}

Parameters (row-vector convention, like Dense): ``W_ih: (D, G*H)``, ``W_hh: (H, G*H)``,
``b_ih, b_hh: (G*H,)`` with G = 1, 4, 3 gates. PyTorch stores ``weight_ih_l0`` as
``(G*H, D)``: transpose when copying. Initialisation is PyTorch's: every parameter
~ U(-1/√H, 1/√H).

Speed, without hiding the equations (the loops below are the equations, one step at a time):

* the input part ``x_t W_ih`` does not depend on the previous step, so it is computed for
  all T steps in ONE matrix product before the loop; both biases are added there too;
* backward's loop only carries the gradient through time. The weight gradients are single
  products over all steps at the end: ``dW_ih = X^T dA``, ``dW_hh = H_prev^T dA``, and local
  derivatives that do not depend on the incoming gradient (σ', tanh') are computed for all
  steps at once before the loop;
* the loops run over time-major arrays ``(T, N, ·)`` — ``x.transpose(1, 0, 2)`` — so each
  step's slice is one contiguous block; results are returned batch-first.
"""
from __future__ import annotations

import numpy as np

from ..init import as_rng
from .base import Layer, Parameter, check_input


def _sigmoid(z, out=None):
    """σ(z) via the identity σ(z) = (1 + tanh(z/2)) / 2: tanh never overflows, whereas
    1 / (1 + exp(-z)) warns for z < -88 in float32. ``out`` (optional) receives the result."""
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


class _Recurrent(Layer):
    """Shared parts: parameters, input checks, and the weight gradients after BPTT."""

    gates = 1          # G: how many blocks of H columns the weight matrices hold
    kind = "Recurrent"

    def __init__(self, input_size: int, hidden_size: int, rng=None, dtype=np.float32):
        self.name = f"{self.kind}({input_size}→{hidden_size})"
        for what, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{self.name}: {what} must be a positive int, got {v!r}")
        D, H, G = int(input_size), int(hidden_size), self.gates
        self.input_size, self.hidden_size = D, H
        rng = as_rng(rng)                         # None → seed 0, so runs reproduce
        bound = 1.0 / np.sqrt(H)                  # PyTorch's choice for every recurrent parameter
        uniform = lambda *shape: rng.uniform(-bound, bound, size=shape).astype(dtype)
        self.W_ih = Parameter(uniform(D, G * H), "W_ih")
        self.W_hh = Parameter(uniform(H, G * H), "W_hh")
        self.b_ih = Parameter(uniform(G * H), "b_ih")
        self.b_hh = Parameter(uniform(G * H), "b_hh")
        self._cache = None

    def __repr__(self):
        return f"{self.kind}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    def __call__(self, x, *state):
        return self.forward(x, *state)

    def _check(self, x, *states):
        """Validate x: (N, T, D) and each initial state: (N, H) or None (→ zeros), cast to the
        parameters' dtype. Returns x time-major, (T, N, D), and the list of states."""
        dtype = self.W_hh.data.dtype
        x = np.asarray(x, dtype=dtype)
        check_input(self.name, x, f"(N, T, {self.input_size})", x.ndim == 3 and x.shape[2] == self.input_size)
        if x.shape[1] == 0:
            raise ValueError(f"{self.name}: the input sequence is empty (T = 0), shape {x.shape}")
        N, H = x.shape[0], self.hidden_size
        out = []
        for label, s in zip(("h0", "c0"), states):
            if s is None:
                s = np.zeros((N, H), dtype=dtype)
            s = np.asarray(s, dtype=dtype)
            if s.shape != (N, H):
                raise ValueError(f"{self.name}: expected initial state {label} of shape (N, H) = "
                                 f"({N}, {H}), got {s.shape}")
            out.append(s)
        # Time-major copy (T, N, D): each step's slice is then one contiguous block.
        return np.ascontiguousarray(x.transpose(1, 0, 2)), out

    def _check_grad(self, grad_out):
        """Validate dL/dh: (N, T, H); return it time-major (T, N, H) in the parameters' dtype."""
        if self._cache is None:
            raise RuntimeError(f"{self.name}: backward called before forward")
        T, N, _ = self._cache["x"].shape
        expected = (N, T, self.hidden_size)
        check_input(self.name + ".backward", grad_out, f"{expected} (dL/d hidden states)",
                    np.shape(grad_out) == expected)
        return np.asarray(grad_out, dtype=self.W_hh.data.dtype).transpose(1, 0, 2)

    def _weight_grads(self, x_tm, h_prev, dA_x, dA_h):
        """Weight gradients for all steps at once; returns dL/dx. Everything time-major:
        x_tm (T, N, D), h_prev (T, N, H) the state each step started from, dA_*: (T, N, G*H).

        dA_x is dL/d(x_t W_ih + b_ih) and dA_h is dL/d(h_{t-1} W_hh + b_hh); they are the same
        array except in the GRU, whose n block scales the hidden part by r.
        Each product is ONE 2-D matmul over all T*N rows (faster than T batched ones).
        """
        T, N, GH = dA_x.shape
        dA_x2, dA_h2 = dA_x.reshape(T * N, GH), dA_h.reshape(T * N, GH)
        grads = {
            self.W_ih: x_tm.reshape(T * N, -1).T @ dA_x2,
            self.W_hh: h_prev.reshape(T * N, -1).T @ dA_h2,
            self.b_ih: dA_x2.sum(axis=0),
            self.b_hh: dA_h2.sum(axis=0),
        }
        for p, g in grads.items():
            p.grad = g.astype(p.data.dtype, copy=False)
        dx = (dA_x2 @ self.W_ih.data.T).reshape(T, N, -1)
        return dx.transpose(1, 0, 2)                            # back to batch-first (N, T, D)

    def _input_part(self, x_tm, biases):
        """x_tm: (T, N, D) → x_t W_ih + biases for every step at once, (T, N, G*H)."""
        T, N, D = x_tm.shape
        return (x_tm.reshape(T * N, D) @ self.W_ih.data + biases).reshape(T, N, -1)


class RNN(_Recurrent):
    """Elman RNN with tanh: ``h_t = tanh(x_t W_ih + b_ih + h_{t-1} W_hh + b_hh)``.

    forward(x: (N, T, D), h0: (N, H) | None) → h: (N, T, H). See the module docstring.
    """

    gates, kind = 1, "RNN"

    def forward(self, x, h0=None):
        x, (h0,) = self._check(x, h0)                # x: (T, N, D) from here on
        A_x = self._input_part(x, self.b_ih.data + self.b_hh.data)     # (T, N, H)
        W_hh = self.W_hh.data
        h = np.empty_like(A_x)
        h_t = h0
        for t in range(len(A_x)):
            h_t = np.tanh(A_x[t] + h_t @ W_hh, out=h[t])
        self.h_n = h_t.copy()
        self._cache = dict(x=x, h0=h0, h=h)
        return h.transpose(1, 0, 2)                  # batch-first (N, T, H)

    def backward(self, grad_out):
        """grad_out: (N, T, H) = dL/dh_t for every t → dx: (N, T, D); also .grad_h0."""
        grad_out = self._check_grad(grad_out)                   # time-major (T, N, H)
        x, h0, h = self._cache["x"], self._cache["h0"], self._cache["h"]
        tanh_prime = 1 - h ** 2                    # tanh'(a) = 1 - tanh(a)², all steps at once
        W_hh_T = np.ascontiguousarray(self.W_hh.data.T)         # contiguous: a faster matmul
        dA = np.empty_like(h)                      # dL/d(pre-activation), (T, N, H)
        dh_next = np.zeros_like(h0)                # gradient reaching h_t from step t+1
        for t in reversed(range(len(h))):
            dh = grad_out[t] + dh_next
            np.multiply(dh, tanh_prime[t], out=dA[t])
            dh_next = dA[t] @ W_hh_T
        self.grad_h0 = dh_next
        h_prev = np.concatenate([h0[None], h[:-1]])             # (T, N, H)
        return self._weight_grads(x, h_prev, dA, dA)


class LSTM(_Recurrent):
    """Long short-term memory, PyTorch's equations and gate order (i, f, g, o).

    forward(x: (N, T, D), h0: (N, H) | None, c0: (N, H) | None) → h: (N, T, H).
    The final cell state is in ``.c_n``; after backward, ``.grad_h0`` and ``.grad_c0``.

    Backward computes every LOCAL derivative (σ', tanh', the gate values that multiply dc)
    for all steps at once before its loop; the loop only chains them through time.
    """

    gates, kind = 4, "LSTM"

    def forward(self, x, h0=None, c0=None):
        x, (h0, c0) = self._check(x, h0, c0)        # x: (T, N, D) from here on
        T, N, _ = x.shape
        H = self.hidden_size
        A_x = self._input_part(x, self.b_ih.data + self.b_hh.data)     # (T, N, 4H)
        W_hh = self.W_hh.data
        gates = np.empty_like(A_x)                   # i, f, g, o after their nonlinearity
        c = np.empty((T, N, H), dtype=A_x.dtype)
        tanh_c, h = np.empty_like(c), np.empty_like(c)
        h_t, c_t = h0, c0
        for t in range(T):
            a = h_t @ W_hh
            a += A_x[t]                              # pre-activations of the 4 gates, (N, 4H)
            _sigmoid(a, out=gates[t])                # σ on all four blocks, then g gets tanh instead
            i, f, g, o = (gates[t, :, k * H:(k + 1) * H] for k in range(4))
            np.tanh(a[:, 2 * H:3 * H], out=g)
            c_t = np.multiply(f, c_t, out=c[t])
            c_t += i * g                             # c_t = f * c_{t-1} + i * g
            np.tanh(c_t, out=tanh_c[t])
            h_t = np.multiply(o, tanh_c[t], out=h[t])
        self.h_n, self.c_n = h_t.copy(), c_t.copy()
        self._cache = dict(x=x, h0=h0, c0=c0, h=h, c=c, tanh_c=tanh_c, gates=gates)
        return h.transpose(1, 0, 2)                  # back to batch-first (N, T, H)

    def backward(self, grad_out):
        """grad_out: (N, T, H) = dL/dh_t for every t → dx: (N, T, D); also .grad_h0, .grad_c0."""
        grad_out = self._check_grad(grad_out)                   # time-major (T, N, H)
        C = self._cache
        x, h, c, tanh_c, gates = C["x"], C["h"], C["c"], C["tanh_c"], C["gates"]
        T, N, H = h.shape
        i, f, g, o = (gates[..., k * H:(k + 1) * H] for k in range(4))
        c_prev = np.concatenate([C["c0"][None], c[:-1]])       # (T, N, H)

        # Local derivatives, all steps at once. From h = o tanh(c) and c = f c_prev + i g:
        dc_from_dh = o * (1 - tanh_c ** 2)                      # dc += dh * this
        dA_o_from_dh = tanh_c * o * (1 - o)                     # dA_o = dh * this   (σ' = σ(1-σ))
        dA_ifg_from_dc = np.stack([g * i * (1 - i),             # dA_i = dc * g σ'(a_i)
                                   c_prev * f * (1 - f),        # dA_f = dc * c_prev σ'(a_f)
                                   i * (1 - g ** 2)], axis=2)   # dA_g = dc * i tanh'(a_g)

        W_hh_T = np.ascontiguousarray(self.W_hh.data.T)         # contiguous: a faster matmul
        dA = np.empty_like(gates)                  # dL/d(pre-activation gates), (T, N, 4H)
        dh_next = np.zeros_like(C["h0"])           # gradient reaching h_t from step t+1
        dc_next = np.zeros_like(C["c0"])
        for t in reversed(range(T)):
            dh = grad_out[t] + dh_next
            dc = dh * dc_from_dh[t]
            dc += dc_next
            np.multiply(dc[:, None, :], dA_ifg_from_dc[t], out=dA[t, :, :3 * H].reshape(N, 3, H))
            np.multiply(dh, dA_o_from_dh[t], out=dA[t, :, 3 * H:])
            dc_next = dc * f[t]                    # the cell's gradient highway: just a product
            dh_next = dA[t] @ W_hh_T
        self.grad_h0, self.grad_c0 = dh_next, dc_next
        h_prev = np.concatenate([C["h0"][None], h[:-1]])        # (T, N, H)
        return self._weight_grads(x, h_prev, dA, dA)


class GRU(_Recurrent):
    """Gated recurrent unit, PyTorch's equations and gate order (r, z, n).

    Note where r acts: ``n = tanh(x_t W_in + b_in + r * (h_{t-1} W_hn + b_hn))`` — on the
    hidden product INCLUDING its bias, as in PyTorch (the original paper puts r before W_hn).
    forward(x: (N, T, D), h0: (N, H) | None) → h: (N, T, H).
    """

    gates, kind = 3, "GRU"

    def forward(self, x, h0=None):
        x, (h0,) = self._check(x, h0)                # x: (T, N, D) from here on
        H = self.hidden_size
        A_x = self._input_part(x, self.b_ih.data)    # (T, N, 3H)
        A_x[..., :2 * H] += self.b_hh.data[:2 * H]   # r, z: the biases just add; b_hn stays inside r * (...)
        W_hh, b_hn = self.W_hh.data, self.b_hh.data[2 * H:]
        gates = np.empty_like(A_x)                   # r, z, n after their nonlinearity
        B_n = np.empty_like(A_x[..., :H])            # h_{t-1} W_hn + b_hn, needed again for dr
        h = np.empty_like(B_n)
        h_t = h0
        for t in range(len(A_x)):
            b = h_t @ W_hh                           # hidden part of all three blocks, (N, 3H)
            r, z, n = (gates[t, :, k * H:(k + 1) * H] for k in range(3))
            _sigmoid(A_x[t, :, :2 * H] + b[:, :2 * H], out=gates[t, :, :2 * H])
            np.add(b[:, 2 * H:], b_hn, out=B_n[t])
            np.tanh(A_x[t, :, 2 * H:] + r * B_n[t], out=n)
            h_t = np.add(n, z * (h_t - n), out=h[t])     # (1 - z) n + z h_{t-1}
        self.h_n = h_t.copy()
        self._cache = dict(x=x, h0=h0, h=h, gates=gates, B_n=B_n)
        return h.transpose(1, 0, 2)                  # batch-first (N, T, H)

    def backward(self, grad_out):
        """grad_out: (N, T, H) = dL/dh_t for every t → dx: (N, T, D); also .grad_h0."""
        grad_out = self._check_grad(grad_out)                   # time-major (T, N, H)
        C = self._cache
        x, h0, h, gates, B_n = C["x"], C["h0"], C["h"], C["gates"], C["B_n"]
        H = self.hidden_size
        r, z, n = (gates[..., k * H:(k + 1) * H] for k in range(3))
        h_prev = np.concatenate([h0[None], h[:-1]])             # (T, N, H)
        # Local derivatives, all steps at once (σ' = σ(1-σ), tanh' = 1 - tanh²):
        dn_from_dh = (1 - z) * (1 - n * n)                      # d(pre-activation of n)
        dz_from_dh = (h_prev - n) * z * (1 - z)                 # d(pre-activation of z)
        dr_from_dn = B_n * r * (1 - r)                          # d(pre-activation of r)

        W_hh_T = np.ascontiguousarray(self.W_hh.data.T)
        dA_x = np.empty_like(gates)                # dL/d(x_t W_ih + b_ih)
        dA_h = np.empty_like(gates)                # dL/d(h_{t-1} W_hh + b_hh): differs in the n block
        dh_next = np.zeros_like(h0)
        for t in reversed(range(len(h))):
            dh = grad_out[t] + dh_next
            dn = np.multiply(dh, dn_from_dh[t], out=dA_x[t, :, 2 * H:])
            np.multiply(dn, dr_from_dn[t], out=dA_x[t, :, :H])
            np.multiply(dh, dz_from_dh[t], out=dA_x[t, :, H:2 * H])
            dA_h[t, :, :2 * H] = dA_x[t, :, :2 * H]
            np.multiply(dn, r[t], out=dA_h[t, :, 2 * H:])
            dh_next = dh * z[t]                    # h_t depends on h_{t-1} directly through z...
            dh_next += dA_h[t] @ W_hh_T            # ...and through all three gates
        self.grad_h0 = dh_next
        return self._weight_grads(x, h_prev, dA_x, dA_h)
