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
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from verify.maths.nets.relunet import Affine, ReluNet


@dataclass(frozen=True)
class PiecewiseLinear:
    breakpoints: tuple[Fraction, ...]
    slopes: tuple[Fraction, ...]
    value_at_first: Fraction

    def __post_init__(self) -> None:
        object.__setattr__(self, "breakpoints", tuple(Fraction(t) for t in self.breakpoints))
        object.__setattr__(self, "slopes", tuple(Fraction(a) for a in self.slopes))
        object.__setattr__(self, "value_at_first", Fraction(self.value_at_first))
        if len(self.slopes) != len(self.breakpoints) + 1:
            raise ValueError("k pieces need k slopes and k - 1 breakpoints")
        if any(b <= a for a, b in zip(self.breakpoints, self.breakpoints[1:], strict=False)):
            raise ValueError("breakpoints must be strictly increasing")

    @property
    def pieces(self) -> int:
        return len(self.slopes)

    @property
    def anchor(self) -> Fraction:
        """The point where ``value_at_first`` is the value: t_1, or 0 with no breakpoint."""
        return self.breakpoints[0] if self.breakpoints else Fraction(0)

    def values_at_breakpoints(self) -> list[Fraction]:
        values = [self.value_at_first] if self.breakpoints else []
        for i in range(1, len(self.breakpoints)):
            step = self.breakpoints[i] - self.breakpoints[i - 1]
            values.append(values[-1] + self.slopes[i] * step)
        return values

    def __call__(self, x: Fraction | int) -> Fraction:
        x = Fraction(x)
        if not self.breakpoints:
            return self.value_at_first + self.slopes[0] * x
        piece = bisect_right(self.breakpoints, x)
        values = self.values_at_breakpoints()
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

    @classmethod
    def from_points(
        cls,
        xs: Sequence[Fraction],
        ys: Sequence[Fraction],
        left_slope: Fraction,
        right_slope: Fraction,
    ) -> PiecewiseLinear:
        """The interpolant through (xs, ys), extended by the given slopes beyond the ends."""
        xs = [Fraction(x) for x in xs]
        ys = [Fraction(y) for y in ys]
        if len(xs) != len(ys) or not xs:
            raise ValueError("need as many values as points, at least one")
        segments = zip(xs, xs[1:], ys, ys[1:], strict=False)
        inner = [(y1 - y0) / (x1 - x0) for x0, x1, y0, y1 in segments]
        return cls(tuple(xs), (Fraction(left_slope), *inner, Fraction(right_slope)), ys[0])


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
