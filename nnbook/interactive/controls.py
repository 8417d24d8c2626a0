"""Slider and Dropdown: the two kinds of control an interactive figure can have.

A control is a finite list of values. That is what lets the same figure work in two places:
JupyterLab draws whichever value the reader picks, and the static book shows a picture that
was drawn in advance for *every* value (there is no Python in a browser reading the HTML book).

    >>> grid_values(Slider(-1, 1, 0.5))
    [-1.0, -0.5, 0.0, 0.5, 1.0]
    >>> frame_key({"w": Slider(-1, 1, 0.5), "act": Dropdown(["relu", "tanh"])}, {"w": 0.5, "act": "tanh"})
    7
    >>> grid_values(Slider.of([0.01, 0.1, 0.3, 1.0]))     # uneven steps: list the values
    [0.01, 0.1, 0.3, 1.0]

A control that matters only for some values of another says so with ``only_when``; in every
other state both views show it disabled, with the reason next to it::

    alpha=Slider(0, 1, 0.1, label="α", only_when={"activation": ["leaky ReLU", "ELU"]})
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, Sequence


def _decimals(x: float) -> int:
    """Digits after the decimal point needed to write ``x`` exactly as typed (0.25 → 2)."""
    exponent = Decimal(repr(float(x))).normalize().as_tuple().exponent
    return max(0, -int(exponent))


@dataclass(frozen=True)
class Slider:
    """A slider over ``start, start + step, ..., stop`` (both ends included).

    Args:
        start, stop, step: the grid. ``stop - start`` must be a whole number of steps.
        value: the initial value (default: the grid value nearest the middle).
        label: what the reader sees next to the slider (default: the parameter's name).
        animate: also show a ▶ button that steps through the values (epochs, time steps).

        only_when: ``{other control: [values]}``: the slider acts only while every other control
            named has one of those values; otherwise it is shown disabled, with ``why``.
        why: the reason shown while disabled (default: "<label> applies only when …").

    Integer ``start`` and ``step`` give ``int`` values (handy for epochs and layer counts).
    ``Slider.of([...])`` makes a slider over listed values (uneven steps, e.g. 0.01 … 1).
    """

    start: float
    stop: float
    step: float
    value: float | None = None
    label: str | None = None
    animate: bool = False
    only_when: Mapping[str, Sequence] | None = None
    why: str | None = None
    grid: tuple | None = None
    _values: tuple = field(init=False, repr=False, compare=False)

    @classmethod
    def of(cls, values: Sequence[float], **kwargs) -> "Slider":
        """A slider over ``values`` (increasing; any spacing), e.g. ``Slider.of([0.01, 0.1, 1])``."""
        values = tuple(values)
        if len(values) < 2 or any(b <= a for a, b in zip(values, values[1:])):
            raise ValueError(f"Slider.of: need at least 2 increasing values, got {list(values)}")
        return cls(values[0], values[-1], min(b - a for a, b in zip(values, values[1:])), grid=values, **kwargs)

    def __post_init__(self):
        _check_only_when(self)
        if self.grid is not None:
            is_int = all(isinstance(v, int) and not isinstance(v, bool) for v in self.grid)
            object.__setattr__(self, "_values", tuple(self.grid) if is_int else tuple(float(v) for v in self.grid))
            if self.value is not None:
                index_of(self, self.value)
            return
        if not self.step > 0:
            raise ValueError(f"Slider: step must be > 0, got {self.step}")
        if self.stop < self.start:
            raise ValueError(f"Slider: stop ({self.stop}) must be ≥ start ({self.start})")
        n_steps = (self.stop - self.start) / self.step
        if abs(n_steps - round(n_steps)) > 1e-9 * max(1.0, n_steps):
            raise ValueError(f"Slider({self.start}, {self.stop}, {self.step}): stop - start must be a whole "
                             f"number of steps (it is {n_steps:.3g}); change stop or step")
        is_int = all(isinstance(v, int) and not isinstance(v, bool) for v in (self.start, self.step))
        digits = max(_decimals(self.start), _decimals(self.step))
        # Round away float noise (0.1 * 3 = 0.30000000000000004) so labels and keys are exact.
        values = [self.start + k * self.step for k in range(int(round(n_steps)) + 1)]
        values = [int(round(v)) for v in values] if is_int else [round(float(v), digits) for v in values]
        object.__setattr__(self, "_values", tuple(values))
        if self.value is not None:
            index_of(self, self.value)  # raises a readable error when value is off the grid

    def values(self) -> list:
        return list(self._values)

    def initial(self):
        if self.value is None:
            return self._values[(len(self._values) - 1) // 2]
        return self._values[index_of(self, self.value)]

    def format(self, v) -> str:
        if isinstance(v, int):
            return str(v)
        if self.grid is not None:
            digits = max(_decimals(x) for x in self.grid)
        else:
            digits = max(_decimals(self.start), _decimals(self.step))
        return f"{v:.{digits}f}"


@dataclass(frozen=True)
class Dropdown:
    """A choice among ``options``: plain values (``["relu", "tanh"]``) or ``(label, value)`` pairs.

    Args:
        options: the choices, in the order shown.
        value: the initial choice (default: the first).
        label: what the reader sees next to the menu (default: the parameter's name).
        only_when, why: as for :class:`Slider`.
    """

    options: Sequence[Any]
    value: Any = None
    label: str | None = None
    only_when: Mapping[str, Sequence] | None = None
    why: str | None = None
    _pairs: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        _check_only_when(self)
        pairs = []
        for opt in self.options:
            if isinstance(opt, tuple) and len(opt) == 2 and isinstance(opt[0], str):
                pairs.append((opt[0], opt[1]))
            else:
                pairs.append((str(opt), opt))
        if not pairs:
            raise ValueError("Dropdown: needs at least one option")
        object.__setattr__(self, "options", tuple(self.options))
        object.__setattr__(self, "_pairs", tuple(pairs))
        if self.value is not None:
            index_of(self, self.value)

    def values(self) -> list:
        return [v for _, v in self._pairs]

    def initial(self):
        return self._pairs[0][1] if self.value is None else self._pairs[index_of(self, self.value)][1]

    def format(self, v) -> str:
        return self._pairs[index_of(self, v)][0]


Control = Slider | Dropdown


def _check_only_when(control) -> None:
    if control.only_when is None:
        return
    if not isinstance(control.only_when, Mapping) or not control.only_when:
        raise ValueError(f"{type(control).__name__}: only_when must map another control's name to the "
                         f"values where this one acts, e.g. {{'activation': ['ELU']}}; got {control.only_when!r}")
    frozen = {name: tuple(values) if isinstance(values, (list, tuple, set, frozenset)) else (values,)
              for name, values in control.only_when.items()}
    object.__setattr__(control, "only_when", frozen)


def is_active(controls: Mapping[str, Control], name: str, values: Mapping[str, Any]) -> bool:
    """Does control ``name`` act on the figure when the controls hold ``values``?"""
    condition = controls[name].only_when
    if not condition:
        return True
    return all(any(v is values[other] or v == values[other] for v in allowed)
               for other, allowed in condition.items())


def why_inactive(controls: Mapping[str, Control], name: str) -> str:
    """The reason shown next to a disabled control ("α applies only when activation is ELU")."""
    control = controls[name]
    if control.why:
        return control.why
    parts = []
    for other, allowed in control.only_when.items():
        shown = [controls[other].format(v) for v in allowed]
        listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
        parts.append(f"{controls[other].label or other} is {listed}")
    return f"{control.label or name} applies only when " + " and ".join(parts)


def check_conditions(controls: Mapping[str, Control]) -> None:
    """Every ``only_when`` names another control and values it can take (raises ValueError)."""
    for name, control in controls.items():
        for other, allowed in (control.only_when or {}).items():
            if other not in controls or other == name:
                raise ValueError(f"{name}: only_when names {other!r}, which is not another control "
                                 f"of this figure ({[n for n in controls if n != name]})")
            for v in allowed:
                index_of(controls[other], v)  # raises if v is not one of its values
            if controls[other].only_when:
                raise ValueError(f"{name}: only_when depends on {other!r}, which has an only_when "
                                 "itself; chain conditions are not supported")


def grid_values(control: Control) -> list:
    """Every value the control can take, in order (these are the frames the static book stores)."""
    return control.values()


def index_of(control: Control, value) -> int:
    """Position of ``value`` in the control's grid; floats match to within 1e-9 of a step."""
    values = control.values()
    if isinstance(control, Slider) and isinstance(value, (int, float)) and not isinstance(value, bool):
        if control.grid is not None:
            for k, v in enumerate(values):
                if math.isclose(v, value, rel_tol=1e-9, abs_tol=1e-12):
                    return k
        else:
            k = int(round((value - control.start) / control.step))
            if 0 <= k < len(values) and math.isclose(values[k], value, rel_tol=0,
                                                     abs_tol=1e-9 * control.step + 1e-12):
                return k
    else:
        for k, v in enumerate(values):
            if v is value or v == value:
                return k
    shown = values if len(values) <= 8 else values[:3] + ["..."] + values[-3:]
    raise ValueError(f"{type(control).__name__}: value {value!r} is not one of its values {shown}")


def frame_key(controls: Mapping[str, Control], values: Mapping[str, Any]) -> int:
    """The flat index of one combination of values: a mixed-radix number, first control first.

    With controls ``a`` (3 values) and ``b`` (4 values), ``a`` at index i and ``b`` at index j
    give ``i * 4 + j``. The page's JavaScript computes the same number from the inputs.
    """
    key = 0
    for name, control in controls.items():
        key = key * len(control.values()) + index_of(control, values[name])
    return key


def n_combinations(controls: Mapping[str, Control]) -> int:
    """How many frames a full grid over ``controls`` needs."""
    return math.prod(len(c.values()) for c in controls.values())
