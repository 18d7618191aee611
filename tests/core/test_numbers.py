"""Certified arithmetic: enclosures contain 50-digit mpmath values; comparisons are strict."""

from fractions import Fraction

import mpmath
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
