"""Certified arithmetic: enclosures contain 50-digit mpmath values; comparisons are strict."""

import math
from fractions import Fraction

import mpmath
import pytest
from flint import arb
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.core.numbers import (
    ball,
    certainly_gt,
    certainly_le,
    contains,
    gaussian_sum_tail,
    gaussian_tail_mass,
    gaussian_tail_moment,
    nonnegative_lower,
    normal_density,
    precision,
    series_with_tail,
    to_arb,
)


@settings(max_examples=60, deadline=None)
@given(st.floats(-30, 30), st.floats(0.01, 10))
def test_normal_density_encloses_mpmath(x, s):
    with precision(64):
        enclosure = normal_density(to_arb(x), to_arb(s))
    with mpmath.workdps(50):
        exact = mpmath.npdf(mpmath.mpf(x), 0, mpmath.mpf(s))
    assert contains(enclosure, exact)


@settings(max_examples=40, deadline=None)
@given(st.floats(0.001, 0.95))
def test_gaussian_series_encloses_mpmath(q):
    with precision(64):
        qa = to_arb(q)
        enclosure = series_with_tail(lambda j: qa ** (j * j), lambda n: gaussian_sum_tail(qa, n), 1)
    with mpmath.workdps(50):
        exact = mpmath.nsum(lambda j: mpmath.mpf(q) ** (j * j), [1, mpmath.inf])
    assert contains(enclosure, exact)


def test_series_of_zero_terms_stops():
    # sin(0) terms: the sum is exactly 0 and must not run to max_terms.
    q = to_arb(0.3)
    calls = []

    def term(j):
        calls.append(j)
        return arb(0)

    result = series_with_tail(term, lambda n: gaussian_sum_tail(q, n), 1)
    assert result.contains(0) and len(calls) < 20


def test_comparisons_are_certain_only():
    third = to_arb(Fraction(1, 3))
    assert certainly_le(third, Fraction(1, 2))
    assert not certainly_le(third, third + arb(0, 1e-30))
    assert not certainly_gt(third, third)
    assert certainly_le(Fraction(1, 3), Fraction(1, 3))
    assert not certainly_le(arb("nan"), 1)
    assert certainly_gt(to_arb(-1e6).exp(), to_arb(-1e7).exp())


def test_ball_and_nonnegative_lower():
    b = ball(1, 2)
    assert b.contains(1) and b.contains(2) and not b.contains(3)
    straddling = arb(0, 1e-18)
    assert nonnegative_lower(straddling) == 0
    assert nonnegative_lower(to_arb(0.5)) <= 0.5


@settings(max_examples=40, deadline=None)
@given(st.floats(-5, 40), st.floats(0.1, 5))
def test_gaussian_tail_integrals_enclose_mpmath(a, s):
    with precision(64):
        mass, moment = gaussian_tail_mass(a, s), gaussian_tail_moment(a, s)
    with mpmath.workdps(50):
        a_mp, s_mp = mpmath.mpf(a), mpmath.mpf(s)
        # mpmath's own normal CDF, and the moment integrated by parts in mpmath
        exact_mass = mpmath.ncdf(-a_mp, 0, s_mp)
        exact_moment = s_mp**2 * mpmath.npdf(a_mp, 0, s_mp)
    assert contains(mass, exact_mass)
    assert contains(moment, exact_moment)
    # Containment alone is weak (NaN contains everything): the enclosures are also tight.
    assert mass.is_finite() and mass.rad() <= abs(mass).lower() * arb(2) ** -40
    assert moment.is_finite() and moment.rad() <= abs(moment).lower() * arb(2) ** -40


def test_possible_maximisers_keep_undecided_candidates():
    from verify.core.numbers import (
        certified_max,
        certified_min,
        possible_maximisers,
        possible_minimisers,
    )

    # Two balls equal to float rounding: both may be the max, so both are kept.
    a, b = arb(1) + arb("1e-30"), arb(1)
    assert float(a) == float(b)
    assert 0 in possible_maximisers([a, b])
    overlapping = [arb(1, 0.1), arb("1.05", 0.1), arb(0)]
    assert possible_maximisers(overlapping) == [0, 1]
    assert possible_minimisers(overlapping) == [2]
    m = certified_max(overlapping)
    assert m.lower() <= arb("0.95") and m.upper() >= arb("1.15")
    assert certified_min([arb(1), arb(2)]).contains(1)
    # A float-keyed max would pick index 1 here; the exact answer keeps index 0.
    tiny = [arb(1) + arb(2) ** -80, arb(1)]
    assert 0 in possible_maximisers(tiny)
    assert possible_maximisers([arb("nan"), arb(1)]) == [0, 1]


def test_normal_upper_tail_is_tight_and_the_float_screen_agrees():
    from verify.core.numbers import normal_upper_tail, normal_upper_tail_float

    for z in (-3.5, 0.0, 1.0, 7.25, 38.0):
        with precision(64):
            tail = normal_upper_tail(z)
        with mpmath.workdps(50):
            exact = mpmath.ncdf(-mpmath.mpf(z))
        assert contains(tail, exact), z
        assert tail.is_finite() and tail.rad() <= tail.lower() * arb(2) ** -45, z
        assert math.isclose(normal_upper_tail_float(z), float(exact), rel_tol=1e-13), z


def test_endpoints_are_exact_rationals():
    from verify.core.numbers import lower, upper

    # Dyadic points with positive, zero and negative exponents: lower == upper == the value.
    for value in (Fraction(8), Fraction(1), Fraction(-3), Fraction(1, 8), Fraction(-5, 32)):
        point = to_arb(value)
        assert lower(point) == value and upper(point) == value
    assert lower(Fraction(1, 3)) == upper(Fraction(1, 3)) == Fraction(1, 3)
    assert lower(7) == upper(7) == 7
    third = to_arb(Fraction(1, 3))
    assert lower(third) < Fraction(1, 3) < upper(third)
    assert lower(arb(1, 1)) <= 0 and upper(arb(1, 1)) >= 2
    assert upper(arb(1, 1)) - lower(arb(1, 1)) < Fraction(21, 10)


def test_comparisons_refuse_infinite_points():
    inf, minus_inf = arb("inf"), arb("-inf")
    # Points at infinity are not finite enclosures: no comparison is certain.
    assert not certainly_le(minus_inf, 1)
    assert not certainly_le(1, inf)
    assert not certainly_gt(inf, 1)
    assert not certainly_gt(1, minus_inf)
    assert not certainly_gt(arb("nan"), 1)
    assert not certainly_gt(1, arb("nan"))
    assert certainly_gt(2, 1) and not certainly_gt(1, 1)


def test_ball_is_the_smallest_enclosing_ball():
    b = ball(1, 2)
    assert b.contains(1) and b.contains(2)
    assert not b.contains(arb("0.99")) and not b.contains(arb("2.01"))
    assert ball(Fraction(1, 3), Fraction(1, 3)).contains(to_arb(Fraction(1, 3)))


def test_extremes_refuse_empty_input_and_handle_every_kind_of_value():
    from verify.core.numbers import (
        certified_max,
        certified_min,
        possible_maximisers,
        possible_minimisers,
    )

    for helper in (possible_maximisers, possible_minimisers, certified_max, certified_min):
        with pytest.raises(ValueError, match=r"^no values to maximise over$"):
            helper([])
    # Exact rationals, floats and balls, on their own and mixed.
    assert possible_minimisers([Fraction(2), Fraction(1), 3]) == [1]
    assert possible_maximisers([Fraction(2), Fraction(1), 3]) == [2]
    assert possible_minimisers([0.5, 0.25]) == [1]
    # Exact rationals stay exact: 1/3 and 1/3 + 1e-30 are told apart (balls of them are not).
    close = [Fraction(1, 3) + Fraction(1, 10**30), Fraction(1, 3)]
    assert possible_minimisers(close) == [1]
    assert possible_maximisers(close) == [0]
    assert possible_maximisers([Fraction(1, 2), arb(1)]) == [1]
    # The extreme of finite values is finite and exact for exact inputs.
    top = certified_max([arb(1), Fraction(2), arb(-3)])
    assert top.is_finite() and top.rad() == 0 and top == 2
    bottom = certified_min([arb(1), Fraction(2), arb(-3)])
    assert bottom.is_finite() and bottom == -3
    spread = certified_max([arb(1, 0.5), arb(2, 0.1)])
    assert spread.contains(arb("1.9")) and spread.contains(arb("2.1"))
    assert not spread.contains(arb("1.8")) and not spread.contains(arb("2.2"))
    # Any non-finite value: the extreme is unknown, an unbounded enclosure of every real.
    for bad in (arb("nan"), arb("inf"), arb(0, math.inf)):
        unknown = certified_max([bad, arb(1)])
        assert not unknown.is_finite()
        assert unknown.contains(1) and unknown.contains(-(10**300)) and unknown.contains(10**300)
        assert not certified_min([bad, arb(1)]).is_finite()
