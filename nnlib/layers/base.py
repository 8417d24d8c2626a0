"""The contract every layer follows — stated once, here.

A layer is a function with memory:

* ``forward(*inputs)`` computes the output and keeps what ``backward`` needs in ONE attribute,
  ``self.cache`` (``None`` until the first forward). Its docstring says what the cache holds.
* ``backward(grad_out)`` receives dL/d(output), **overwrites** the ``.grad`` of each of its
  parameters with dL/d(parameter) (it never accumulates), and returns dL/d(input).
* ``parameters()`` lists its :class:`Parameter` objects, which optimizers update in place;
* ``train()`` / ``eval()`` switch behaviour for layers that differ between the two
  (Dropout, BatchNorm). Every other layer ignores the flag.

The rules that make layers interchangeable:

1. **State.** Everything forward saves for backward lives in ``self.cache``, nowhere else.
   ``backward`` before any ``forward`` raises ``RuntimeError`` naming the layer: backward
   starts with ``self._cached()``, which returns the cache or raises that error. A container
   (``Sequential``) keeps no state of its own: its layers do, and the last one raises.
2. **Several inputs or outputs.** A layer with several inputs takes them positionally,
   ``forward(x, context)``, and ``backward`` returns one gradient per input it was given, as a
   tuple in the same order (``dx, d_context``); an optional input left out (``h0=None``) gets
   no gradient. A layer with several outputs returns a tuple, and ``backward`` takes one
   gradient per output (``backward(grad_out, grad_h_n)``), where ``None`` means "that output
   did not reach the loss" (a zero gradient). With one input and one output — almost every
   layer — both are plain arrays, which is what ``Sequential`` chains.
3. **A second backward.** ``backward`` is a function of the cache and ``grad_out`` only: it
   does not consume the cache, so calling it twice after one forward gives the same result
   (and overwrites ``.grad`` with the same values). A new forward replaces the cache.
4. **Ownership.** ``forward`` and ``backward`` never modify their arguments, and the arrays
   they return belong to the caller: no later call overwrites them, and the caller changing
   them does not change what backward computes (an internal scratch buffer is fine, handing
   it out, or handing out the cache, is not).
5. **Randomness.** A layer that draws random numbers takes ``rng`` (``None``, a seed or a
   ``np.random.Generator``); ``None`` draws from the library's shared generator
   (:func:`nnlib.init.default_rng`), so two unseeded layers differ while a re-run of the same
   code reproduces the same weights.
6. **Errors.** Bad input raises ``ValueError`` naming the layer and the shapes, e.g.
   ``Dense(64→10): expected input (N, 64), got (32, 63)``.

The contract is deliberately the one PyTorch exposes (``p.data``, ``p.grad``,
``model.train()``), so nothing has to be unlearned when the book moves to a framework.
"""
from __future__ import annotations

import numpy as np


class Parameter:
    """A trainable array and the gradient of the loss with respect to it.

    Attributes:
        data: the values, updated in place by optimizers.
        grad: dL/d(data), same shape and dtype; written by the owning layer's ``backward``.
        name: a readable name such as ``"W"``; used in error messages and saved files.
    """

    def __init__(self, data: np.ndarray, name: str = "param"):
        self.data = np.asarray(data)
        self.grad = np.zeros_like(self.data)
        self.name = name

    @property
    def shape(self):
        return self.data.shape

    def __repr__(self):
        return f"Parameter({self.name}, shape={self.data.shape}, dtype={self.data.dtype})"


class Layer:
    """Base class: subclasses implement ``forward`` and ``backward``."""

    training: bool = True
    cache = None        # what forward saved for backward (rule 1); None until the first forward

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def _cached(self):
        """``self.cache``, or a RuntimeError naming the layer when forward has not run yet."""
        if self.cache is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        return self.cache

    def _check_grad_out(self, grad_out, shape) -> np.ndarray:
        """``grad_out`` as an array, after checking it has the shape of the output (rule 6)."""
        if np.shape(grad_out) != tuple(shape):
            raise ValueError(f"{self!r}.backward: expected grad_out {tuple(shape)}, "
                             f"got {np.shape(grad_out)}")
        return np.asarray(grad_out)

    def parameters(self) -> list[Parameter]:
        """Every Parameter held by this layer (and by layers inside it), in a fixed order."""
        found: list[Parameter] = []
        for value in vars(self).values():
            if isinstance(value, Parameter):
                found.append(value)
            elif isinstance(value, Layer):
                found.extend(value.parameters())
            elif isinstance(value, (list, tuple)):
                for item in value:
                    if isinstance(item, Layer):
                        found.extend(item.parameters())
                    elif isinstance(item, Parameter):
                        found.append(item)
        return found

    def sublayers(self) -> list["Layer"]:
        """Layers held directly by this one (used to propagate train/eval)."""
        subs: list[Layer] = []
        for value in vars(self).values():
            if isinstance(value, Layer):
                subs.append(value)
            elif isinstance(value, (list, tuple)):
                subs.extend(item for item in value if isinstance(item, Layer))
        return subs

    def train(self) -> "Layer":
        self.training = True
        for sub in self.sublayers():
            sub.train()
        return self

    def eval(self) -> "Layer":
        self.training = False
        for sub in self.sublayers():
            sub.eval()
        return self

    def astype(self, dtype) -> "Layer":
        """Convert every parameter (and its gradient) to ``dtype``; returns self.

        Gradient checks run in float64; training usually runs in float32.
        """
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = np.zeros_like(p.data)
        return self

    def __repr__(self):
        return f"{type(self).__name__}()"


def check_input(layer_name: str, x: np.ndarray, expected: str, ok: bool) -> None:
    """Raise a readable ValueError when an input's shape is wrong.

    ``expected`` describes the shape in words, e.g. ``"(N, 64)"``; ``ok`` is the test.
    Example message: ``Dense(64→10): expected input (N, 64), got (32, 63)``.
    """
    if not ok:
        raise ValueError(f"{layer_name}: expected input {expected}, got {tuple(np.shape(x))}")
