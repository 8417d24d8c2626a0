"""Checkers for the convolution chapter. Use: ``from nnbook.exercises import conv as check``.

(Named by topic because the chapter's number is not fixed yet; the convolution chapter can
``from nnbook.exercises import conv as check`` or re-export these from its own ``chNN`` module.)

================================  =============================================================
checker                           recognises (hint given)
================================  =============================================================
``conv_output_size(H, k, s, p)``  the missing +1 (off by one); true division ``/`` (a float);
                                  padding counted once (p instead of 2p) or ignored; rounding
                                  or ceiling instead of the floor
================================  =============================================================

The output size of a convolution or pooling window over ``H`` input positions, kernel ``k``,
stride ``s``, padding ``p`` on each side: ``(H + 2p − k) // s + 1`` (PyTorch's formula with
dilation 1; a window that would run past the padded edge is dropped).
"""
from __future__ import annotations

import math

from .core import Case, Checker, Mistake

__all__ = ["conv_output_size"]


def _size(H, k, s, p):
    return (H + 2 * p - k) // s + 1


conv_output_size = Checker(
    "conv_output_size", _size, arg_names=("H", "k", "s", "p"),
    signature="conv_output_size(H, k, s, p)",
    cases=[
        Case(28, 5, 1, 0, label="28 × 28 image, 5 × 5 kernel, stride 1, no padding"),
        Case(32, 3, 1, 1, label="'same' padding: 3 × 3 kernel, p = 1"),
        Case(7, 3, 2, 0, label="stride 2"),
        Case(8, 3, 2, 1, label="stride 2 where the last window does not fit"),
        Case(224, 7, 2, 3, label="ResNet's first layer: 224, k = 7, s = 2, p = 3"),
    ],
    mistakes=[
        Mistake("Use floor division `//`: a window that would run past the padded edge is "
                "dropped, and a size is a whole number. `/` gives a float such as 4.5.",
                kinds=("type",), when=lambda o: isinstance(o.got, float)),
        Mistake("Padding is added on BOTH sides: H + 2p.",
                like=lambda H, k, s, p: (H + p - k) // s + 1),
        Mistake("The padding is missing: the padded input has H + 2p positions.",
                like=lambda H, k, s, p: (H - k) // s + 1),
        Mistake("Off by one: count the window positions, not the gaps between them. The first "
                "window starts at 0, and each stride adds one more: (H + 2p − k) // s + 1.",
                like=lambda H, k, s, p: (H + 2 * p - k) // s),
        Mistake("Round DOWN (floor division `//`): a partial window at the edge is dropped, so "
                "rounding up or to nearest counts a window that does not fit.",
                when=lambda o: o.got in (math.ceil((o.args[0] + 2 * o.args[3] - o.args[1]) / o.args[2]) + 1,
                                         round((o.args[0] + 2 * o.args[3] - o.args[1]) / o.args[2]) + 1)),
    ])
