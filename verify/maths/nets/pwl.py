r"""Exact continuous piecewise-linear functions on the line, and their ReLU networks (Lemma C.9).

A continuous piecewise-linear f with k pieces has breakpoints t_1 < ... < t_{k-1} and slopes
a_0, ..., a_{k-1} (a_0 left of t_1, a_i between t_i and t_{i+1}). It is represented by
f(t_1) (or f(0) when k = 1), the breakpoints and the slopes, all ``Fraction``.

The C.9 network is f(x) = f(t_1) + a_0 (ReLU(x - t_1) - ReLU(t_1 - x))
+ sum_{i=1}^{k-1} (a_i - a_{i-1}) ReLU(x - t_i), with the two ReLU(x - t_1) terms merged:
one hidden layer of k units, inner weights +-1, inner biases -t_i (and +t_1), outer weights
a_1, -a_0, a_i - a_{i-1}, outer bias f(t_1). That is at most 3k + 1 nonzero parameters, each
bounded by 2B when slopes, breakpoints and values are bounded by B >= 1/2.

Two continuous piecewise-linear functions whose breakpoints lie in {t_i} are equal on the whole
line iff they agree at every t_i and at one point beyond each end: ``witness_points`` lists
those points, so an exact comparison there is a proof of equality.

One definition, two arithmetics (as mpmath's one function with several contexts): the exact
``Fraction`` fields are the definition; ``__call__`` evaluates it exactly, ``torch`` evaluates the
same function in float64 torch through its interpolation form (knots and values rounded to float64
once; a function fitted from float samples round-trips them exactly), and ``torch_relu_form``
through its C.9 ReLU units (the two agree to rounding).
"""

from __future__ import annotations

import operator
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

from verify.maths.nets.relunet import Affine, ReluNet

if TYPE_CHECKING:
    from torch import Tensor


def _fractions(values: Sequence[Fraction | int]) -> tuple[Fraction, ...]:
    """``tuple(Fraction(v) for v in values)``, without re-building values that already are
    ``Fraction`` (a hot path: networks of thousands of pieces)."""
    if set(map(type, values)) <= {Fraction}:
        return tuple(values)
    return tuple(Fraction(v) for v in values)


def _chord_slope(x0: Fraction, x1: Fraction, y0: Fraction, y1: Fraction) -> Fraction:
    """(y1 - y0) / (x1 - x0) as one reduced Fraction from the integers (the same rational as
    the three Fraction operations, with one normalisation instead of three)."""
    p0, q0 = x0.numerator, x0.denominator
    p1, q1 = x1.numerator, x1.denominator
    r0, s0 = y0.numerator, y0.denominator
    r1, s1 = y1.numerator, y1.denominator
    return Fraction((r1 * s0 - r0 * s1) * q0 * q1, (p1 * q0 - p0 * q1) * s0 * s1)


@dataclass(frozen=True)
class PiecewiseLinear:
    breakpoints: tuple[Fraction, ...]
    slopes: tuple[Fraction, ...]
    value_at_first: Fraction

    def __post_init__(self) -> None:
        object.__setattr__(self, "breakpoints", _fractions(self.breakpoints))
        object.__setattr__(self, "slopes", _fractions(self.slopes))
        object.__setattr__(self, "value_at_first", Fraction(self.value_at_first))
        if len(self.slopes) != len(self.breakpoints) + 1:
            raise ValueError("k pieces need k slopes and k - 1 breakpoints")
        if not all(map(operator.lt, self.breakpoints, self.breakpoints[1:])):
            raise ValueError("breakpoints must be strictly increasing")

    @property
    def pieces(self) -> int:
        return len(self.slopes)

    @property
    def anchor(self) -> Fraction:
        """The point where ``value_at_first`` is the value: t_1, or 0 with no breakpoint."""
        return self.breakpoints[0] if self.breakpoints else Fraction(0)

    def values_at_breakpoints(self) -> list[Fraction]:
        return list(self.breakpoint_values)

    @cached_property
    def breakpoint_values(self) -> tuple[Fraction, ...]:
        values = [self.value_at_first] if self.breakpoints else []
        for i in range(1, len(self.breakpoints)):
            step = self.breakpoints[i] - self.breakpoints[i - 1]
            values.append(values[-1] + self.slopes[i] * step)
        return tuple(values)

    def __call__(self, x: Fraction | int) -> Fraction:
        x = Fraction(x)
        if not self.breakpoints:
            return self.value_at_first + self.slopes[0] * x
        piece = bisect_right(self.breakpoints, x)
        values = self.breakpoint_values
        if piece == 0:
            return values[0] + self.slopes[0] * (x - self.breakpoints[0])
        return values[piece - 1] + self.slopes[piece] * (x - self.breakpoints[piece - 1])

    def bound(self) -> Fraction:
        """B: the largest |slope|, |breakpoint| and |value at a breakpoint|, at least 1/2."""
        candidates = [Fraction(1, 2), abs(self.value_at_first)]
        candidates += [abs(a) for a in self.slopes] + [abs(t) for t in self.breakpoints]
        candidates += [abs(v) for v in self.values_at_breakpoints()]
        return max(candidates)

    def witness_points(self) -> list[Fraction]:
        """Every breakpoint and one point beyond each end (see the module docstring)."""
        if not self.breakpoints:
            return [Fraction(0), Fraction(1)]
        return [self.breakpoints[0] - 1, *self.breakpoints, self.breakpoints[-1] + 1]

    def witness_values(self) -> list[Fraction]:
        """f at ``witness_points()``, exactly: the breakpoint values, and one step out along
        each end piece (no search for the piece of each point)."""
        if not self.breakpoints:
            return [self(x) for x in self.witness_points()]
        values = self.breakpoint_values
        return [values[0] - self.slopes[0], *values, values[-1] + self.slopes[-1]]

    @classmethod
    def from_points(
        cls,
        xs: Sequence[Fraction],
        ys: Sequence[Fraction],
        left_slope: Fraction,
        right_slope: Fraction,
    ) -> PiecewiseLinear:
        """The interpolant through (xs, ys), extended by the given slopes beyond the ends."""
        xs = _fractions(xs)
        ys = _fractions(ys)
        if len(xs) != len(ys) or not xs:
            raise ValueError("need as many values as points, at least one")
        inner = list(map(_chord_slope, xs, xs[1:], ys, ys[1:]))
        f = cls(xs, (Fraction(left_slope), *inner, Fraction(right_slope)), ys[0])
        f.__dict__["breakpoint_values"] = ys  # exactly what the slopes reproduce
        return f

    @classmethod
    def from_samples(
        cls, knots: Sequence[float], values: Sequence[float], left_slope: float, right_slope: float
    ) -> PiecewiseLinear:
        """The interpolant of float samples (each float taken exactly)."""
        return cls.from_points(
            [Fraction(float(x)) for x in knots],
            [Fraction(float(y)) for y in values],
            Fraction(float(left_slope)),
            Fraction(float(right_slope)),
        )

    # --- float64 torch arithmetic of the same definition ---------------------------------------

    @cached_property
    def _torch_tables(self) -> tuple[Tensor, Tensor, float, float]:
        import torch

        if not self.breakpoints:
            raise ValueError("the torch form needs at least one breakpoint")
        knots = torch.tensor([float(t) for t in self.breakpoints], dtype=torch.float64)
        values = torch.tensor([float(y) for y in self.breakpoint_values], dtype=torch.float64)
        return knots, values, float(self.slopes[0]), float(self.slopes[-1])

    @property
    def torch_knots(self) -> Tensor:
        return self._torch_tables[0]

    @property
    def torch_values(self) -> Tensor:
        return self._torch_tables[1]

    def torch(self, t: Tensor) -> Tensor:
        """float64 evaluation at a tensor of points (interpolation form)."""
        import torch

        k, v, left_slope, right_slope = self._torch_tables
        if k.numel() == 1:
            return torch.where(
                t < k[0], v[0] + left_slope * (t - k[0]), v[0] + right_slope * (t - k[0])
            )
        idx = torch.searchsorted(k, t.contiguous()).clamp(1, k.numel() - 1)
        t0, t1 = k[idx - 1], k[idx]
        y0, y1 = v[idx - 1], v[idx]
        inside = y0 + (y1 - y0) * (t - t0) / (t1 - t0)
        left = v[0] + left_slope * (t - k[0])
        right = v[-1] + right_slope * (t - k[-1])
        return torch.where(t < k[0], left, torch.where(t > k[-1], right, inside))

    def torch_slopes(self) -> Tensor:
        """The slopes a_0, ..., a_{k-1} in float64 (inner ones from the float64 knots/values)."""
        import torch

        k, v, left_slope, right_slope = self._torch_tables
        inner = torch.diff(v) / torch.diff(k)
        ends = torch.tensor([left_slope, right_slope], dtype=torch.float64)
        return torch.cat([ends[:1], inner, ends[1:]])

    def torch_relu_coefficients(self) -> tuple[float, Tensor]:
        """(a_0, [a_i - a_{i-1}]_i): the weights of the C.9 ReLU units, in float64."""
        import torch

        a = self.torch_slopes()
        return float(a[0]), torch.diff(a)

    def torch_relu_form(self, t: Tensor) -> Tensor:
        """The same function through its C.9 ReLU units, in float64 (for equivalence tests)."""
        import torch

        a0, jumps = self.torch_relu_coefficients()
        k, v = self.torch_knots, self.torch_values
        units = torch.relu(t.unsqueeze(-1) - k)
        return v[0] + a0 * (torch.relu(t - k[0]) - torch.relu(k[0] - t)) + units @ jumps


def relu_network(f: PiecewiseLinear) -> ReluNet:
    """The one-hidden-layer ReLU network of Lemma C.9 computing ``f`` exactly."""
    one = Fraction(1)
    if not f.breakpoints:
        hidden = Affine([[one], [-one]], [0, 0])  # ReLU(x) - ReLU(-x) = x
        return ReluNet((hidden, Affine([[f.slopes[0], -f.slopes[0]]], [f.value_at_first])))
    t, a = f.breakpoints, f.slopes
    weights = [[one], [-one]] + [[one] for _ in t[1:]]
    biases = [-t[0], t[0]] + [-ti for ti in t[1:]]
    outer = [a[1], -a[0]] + [a[i] - a[i - 1] for i in range(2, len(a))]
    return ReluNet((Affine(weights, biases), Affine([outer], [f.value_at_first])))
