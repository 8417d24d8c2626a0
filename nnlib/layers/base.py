"""The contract every layer follows.

A layer is a function with memory:

* ``forward(x)`` computes the output and caches whatever ``backward`` will need;
* ``backward(grad_out)`` receives dL/d(output), **overwrites** the ``.grad`` of each of
  its parameters with dL/d(parameter), and returns dL/d(input);
* ``parameters()`` lists its :class:`Parameter` objects, which optimizers update in place;
* ``train()`` / ``eval()`` switch behaviour for layers that differ between the two
  (Dropout, BatchNorm). Every other layer ignores the flag.

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

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

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
