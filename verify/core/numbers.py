"""Certified real arithmetic on python-flint ``arb`` balls, and an mpmath cross-check path.

Everything a CERTIFIED verdict rests on goes through this module: exact conversion of inputs,
working precision, enclosures of truncated series (partial sum plus a rigorous tail bound), and
comparison of enclosures. Plain floats enter only as exact dyadic rationals (``arb(float)`` is
exact), never as approximations of a real that the float was meant to stand for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction

import flint
from flint import arb

DEFAULT_PRECISION = 64
MAX_PRECISION = 1024

Real = arb | Fraction | int


@contextmanager
def precision(bits: int) -> Iterator[None]:
    """Run a block at ``bits`` of working precision, restoring the previous precision after."""
    old = flint.ctx.prec
    flint.ctx.prec = bits
    try:
        yield
    finally:
        flint.ctx.prec = old


def to_arb(value: Real | float | str) -> arb:
    """Exact enclosure of ``value``: floats and dyadic rationals exactly, other rationals tightly.

    A ``str`` is parsed by arb itself (``"0.1"`` becomes a ball containing 1/10).
    """
    kind = type(value)
    # The common exact types first, by identity (no isinstance chain): the same conversions.
    if kind is arb:
        return value
    if kind is float:
        if math.isfinite(value):  # exact conversion
            return arb(value)
        raise ValueError(f"not a finite real: {value!r}")
    if kind is Fraction:
        return arb(value.numerator) / arb(value.denominator)
    if kind is int:
        return arb(value)
    if isinstance(value, arb):
        return value
    if isinstance(value, bool):
        raise TypeError("bool is not a real number here")
    if isinstance(value, int):
        return arb(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite real: {value!r}")
        return arb(value)
    if isinstance(value, Fraction):
        return arb(value.numerator) / arb(value.denominator)
    if isinstance(value, str):
        return arb(value)
    raise TypeError(f"cannot enclose {type(value).__name__}")


def lower(x: Real) -> Fraction:
    """A rational number <= every point of the enclosure (exact for rationals)."""
    if isinstance(x, Fraction | int):
        return Fraction(x)
    return Fraction(*_dyadic(x.lower()))


def upper(x: Real) -> Fraction:
    """A rational number >= every point of the enclosure (exact for rationals)."""
    if isinstance(x, Fraction | int):
        return Fraction(x)
    return Fraction(*_dyadic(x.upper()))


def _dyadic(endpoint: arb) -> tuple[int, int]:
    man, exp = endpoint.mid().man_exp()
    man, exp = int(man), int(exp)
    return (man * 2**exp, 1) if exp >= 0 else (man, 2 ** (-exp))


def midpoint(x: Real) -> float:
    """A float near the centre of the enclosure, for display and search guidance only."""
    if isinstance(x, Fraction | int):
        return float(x)
    return float(x.mid())


def is_finite(x: Real) -> bool:
    if isinstance(x, Fraction | int):
        return True
    return bool(x.is_finite())


def radius(x: Real) -> float:
    if isinstance(x, Fraction | int):
        return 0.0
    return float(x.rad())


def _endpoints(x: Real) -> tuple[arb, arb] | tuple[Fraction, Fraction]:
    if isinstance(x, Fraction | int):
        return Fraction(x), Fraction(x)
    return x.lower(), x.upper()


def _le(a: arb | Fraction, b: arb | Fraction) -> bool:
    """Exact comparison of two endpoints (arb endpoints are exact dyadic numbers)."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a <= b
    a_arb = a if isinstance(a, arb) else to_arb(a)
    b_arb = b if isinstance(b, arb) else to_arb(b)
    # For a non-dyadic Fraction, to_arb is a ball: comparing balls only decides when certain.
    return bool(a_arb <= b_arb)


def certainly_le(a: Real, b: Real) -> bool:
    """True only if every point of ``a`` is <= every point of ``b``."""
    if not (is_finite(a) and is_finite(b)):
        return False
    return _le(_endpoints(a)[1], _endpoints(b)[0])


def certainly_gt(a: Real, b: Real) -> bool:
    """True only if every point of ``a`` is > every point of ``b``."""
    if not (is_finite(a) and is_finite(b)):
        return False
    lo_a, hi_b = _endpoints(a)[0], _endpoints(b)[1]
    return _le(hi_b, lo_a) and not _le(lo_a, hi_b)


def possible_maximisers(values: Sequence[Real]) -> list[int]:
    """Indices of the values that may be the largest: every i whose upper end reaches the
    largest lower end. An undecided comparison keeps the candidate ("possibly the max"), so an
    extreme feeding an upper bound is never dropped because two balls agree to float rounding.
    """
    if not values:
        raise ValueError("no values to maximise over")
    if not all(is_finite(v) for v in values):
        return list(range(len(values)))
    floor = max((_endpoints(v)[0] for v in values), key=_endpoint_key)
    return [i for i, v in enumerate(values) if _le(floor, _endpoints(v)[1])]


def possible_minimisers(values: Sequence[Real]) -> list[int]:
    """Indices of the values that may be the smallest (mirror of ``possible_maximisers``)."""
    return possible_maximisers(
        [-to_arb(v) if not isinstance(v, Fraction | int) else -v for v in values]
    )


def certified_max(values: Sequence[Real]) -> arb:
    """An enclosure of max(values) for every choice of points in the balls: [max of the lower
    ends, max of the upper ends]. Unbounded if any value is not finite."""
    if not values:
        raise ValueError("no values to maximise over")
    if not all(is_finite(v) for v in values):
        return arb(0, math.inf)
    lo = max((to_arb(_endpoints(v)[0]) for v in values), key=_arb_key)
    hi = max((to_arb(_endpoints(v)[1]) for v in values), key=_arb_key)
    return ball(lo, hi)


def certified_min(values: Sequence[Real]) -> arb:
    """An enclosure of min(values) (mirror of ``certified_max``)."""
    return -certified_max([-to_arb(v) for v in values])


def _endpoint_key(endpoint: arb | Fraction) -> Fraction:
    # Endpoints are exact (dyadic arb midpoints with radius 0, or Fractions): ordering them
    # through exact rationals is a certified comparison, not a float one.
    if isinstance(endpoint, Fraction):
        return endpoint
    return Fraction(*_dyadic(endpoint))


def _arb_key(endpoint: arb) -> arb:
    # The midpoint as an exact ball (radius 0): arb orders exact balls exactly, the certified
    # comparison of their dyadic values without building a Fraction (and its gcd) per value.
    return endpoint.mid()


def relative_width_bound(x: Real) -> arb:
    """An upper bound of rad(x) / min|x| over the ball: 0 for an exact value, unbounded when x is
    not finite or contains 0 (such an enclosure says nothing relative about its value)."""
    if isinstance(x, Fraction | int):
        return arb(0)
    if not x.is_finite():
        return arb(0, math.inf)
    if x.rad() == 0:
        return arb(0)
    low = abs(x).lower()
    if not low > 0:
        return arb(0, math.inf)
    return arb((x.rad() / low).upper())


def ball(lo: Real, hi: Real) -> arb:
    """The smallest ball containing the interval [lo, hi] (endpoints enclosed rigorously)."""
    lo_a, hi_a = to_arb(lo), to_arb(hi)
    return (lo_a + hi_a) / 2 + arb(0, 1) * ((hi_a - lo_a) / 2)


def nonnegative_part(x: arb) -> arb:
    """Enclosure of max(x, 0) for every point of ``x`` (lower endpoint exactly 0 if it crosses)."""
    return x.nonnegative_part()


def nonnegative_lower(x: arb) -> arb:
    """A number <= x for a quantity x known to be >= 0: x's lower endpoint, or 0.

    Products and sums of such lower bounds stay tight relative to their size, where arithmetic
    on balls straddling 0 would push a tiny positive lower bound below 0.
    """
    low = x.lower()
    return low if low > 0 else arb(0)


def series_with_tail(
    term: Callable[[int], arb],
    tail_bound: Callable[[int], arb],
    start: int,
    *,
    max_terms: int = 100_000,
    rel_tol_bits: int | None = None,
) -> arb:
    """Enclose ``sum_{j >= start} term(j)`` as a partial sum plus ``[-tail, tail]``.

    ``tail_bound(J)`` must be a rigorous upper bound of ``|sum_{j >= J} term(j)|`` (and
    ``tail_bound(start)`` of the whole series' absolute size). Terms are added until the tail
    bound falls below ``2^-rel_tol_bits`` (default: the working precision) of the larger of the
    partial sum and ``tail_bound(start)``, or ``max_terms`` is reached; the returned ball always
    includes the tail, so stopping early costs width, never soundness.
    """
    bits = rel_tol_bits if rel_tol_bits is not None else flint.ctx.prec
    whole = tail_bound(start)
    reference = whole.upper() if whole.is_finite() else arb(0)
    total = arb(0)
    j = start
    while True:
        total += term(j)
        j += 1
        tail = tail_bound(j)
        if tail.is_finite():
            scale = max(abs(total).lower(), reference)
            if tail.upper() <= scale * arb(2) ** (-bits) or j - start >= max_terms:
                return total + arb(0, tail.upper())
        elif j - start >= max_terms:
            return total + arb(0, math.inf)


def gaussian_sum_tail(q: arb, first: int) -> arb:
    """Rigorous bound of ``sum_{j >= first} q^{j^2}`` for 0 <= q < 1 and first >= 1.

    Consecutive ratios are q^{2j+1} <= q^{2 first + 1}, so the sum is at most
    q^{first^2} / (1 - q^{2 first + 1}).
    """
    ratio = q ** (2 * first + 1)
    if not ratio < 1:
        return arb(0, math.inf)
    return q ** (first * first) / (1 - ratio)


def normal_density(x: arb, s: arb) -> arb:
    """phi_s(x), the N(0, s^2) density, enclosed."""
    return (-(x * x) / (2 * s * s)).exp() / (s * (2 * arb.pi()).sqrt())


def normal_upper_tail(z: Real) -> arb:
    r"""\bar\Phi(z) = P(N(0, 1) > z) = erfc(z / sqrt 2) / 2, enclosed (valid on balls; relative-
    accurate for z > 0, where 1 - Phi(z) would cancel). The one Gaussian upper tail of the suite."""
    return (to_arb(z) / arb(2).sqrt()).erfc() / 2


def normal_upper_tail_float(z: float) -> float:
    """The float screen of ``normal_upper_tail`` (never feeds a certified verdict)."""
    return 0.5 * math.erfc(z / math.sqrt(2))


def gaussian_tail_mass(a: Real, s: Real) -> arb:
    """P(N(0, s^2) > a) = erfc(a / (s sqrt 2)) / 2, enclosed: the tail of a Gaussian integral."""
    a, s = to_arb(a), to_arb(s)
    return (a / (s * arb(2).sqrt())).erfc() / 2


def gaussian_tail_moment(a: Real, s: Real) -> arb:
    """int_a^inf x phi_s(x) dx = s^2 phi_s(a), enclosed (a first-moment tail integral)."""
    s = to_arb(s)
    return s * s * normal_density(to_arb(a), s)


def contains(enclosure: arb, value: object) -> bool:
    """Does the ball contain the (mpmath or float) ``value``? Used by cross-check tests."""
    import mpmath

    # Scientific notation past mpmath's default range: a value such as exp(-10^10) written out
    # in fixed notation is a string of 10^9 zeros (seconds and gigabytes to parse).
    with mpmath.workdps(60):
        text = mpmath.nstr(mpmath.mpf(value), 60)
    return bool(arb(text).overlaps(enclosure))
