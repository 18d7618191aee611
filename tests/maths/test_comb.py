"""The smoothed comb: closed form, direct sum and mpmath agree; derivative matches."""

import math
from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.core.numbers import contains, precision, to_arb
from verify.maths import comb
from verify.maths.comb import (
    smoothed_comb_closed_form,
    smoothed_comb_derivative,
    smoothed_comb_direct,
    smoothed_comb_np,
    theta_tail_T,
    theta_weighted_sum,
)


def _mpmath_comb(x, sigma, eps, theta):
    """The lattice sums term by term at 50 digits, over the teeth that matter at that accuracy:
    within 17 of 0 for Z (phi(17) < 1e-63) and within 17 sigma + eps of x for the numerator
    (a tooth left out weighs below exp(-144) times the nearest one, whose phi factor is at most
    e^9 smaller for |x| <= 4), at most 400 each side as before."""
    x, sigma, eps, theta = (mpmath.mpf(a) for a in (x, sigma, eps, theta))
    k0 = int(mpmath.floor(x / eps))
    width = min(400, int(mpmath.ceil(17 * sigma / eps)) + 2)
    ks = range(k0 - width, k0 + width + 1)
    reach = min(400, int(mpmath.ceil(17 / eps)) + 1)
    z = mpmath.fsum(mpmath.npdf(k * eps + theta) for k in range(-reach, reach + 1))
    return (
        mpmath.fsum(
            mpmath.npdf(k * eps + theta) * mpmath.npdf(x - k * eps - theta, 0, sigma) for k in ks
        )
        / z
    )


@settings(max_examples=25, deadline=None)
@given(
    st.floats(-4, 4),
    st.floats(0.05, 2),
    st.floats(0.05, 1),
    st.floats(0, 0.999),
)
def test_closed_form_direct_and_mpmath_agree(x, sigma, eps, phase):
    theta = phase * eps
    with precision(64):
        closed = smoothed_comb_closed_form(x, sigma, eps, theta)
        direct = smoothed_comb_direct(x, sigma, eps, theta)
    with mpmath.workdps(50):
        exact = _mpmath_comb(x, sigma, eps, theta)
    assert closed.overlaps(direct)
    assert contains(closed, exact)
    assert contains(direct, exact)
    # The float64 screen loses relative accuracy in deep troughs (cancellation): absolute check.
    assert math.isclose(
        float(closed.mid()), smoothed_comb_np(x, sigma, eps, theta), rel_tol=1e-9, abs_tol=1e-12
    )


def test_derivative_matches_central_difference():
    with precision(200):
        h = to_arb("1e-20")
        for args in [(0.3, 0.5, 1.0, 0.0), (-1.2, 0.2, 0.4, 0.1), (2.0, 1.5, 0.3, 0.25)]:
            x = to_arb(args[0])
            d = smoothed_comb_derivative(*args)
            plus = smoothed_comb_closed_form(x + h, *args[1:])
            minus = smoothed_comb_closed_form(x - h, *args[1:])
            numeric = (plus - minus) / (2 * h)
            assert abs(float((d - numeric).mid())) < 1e-15, args


def _theta_sums_50_digits(q: float) -> tuple:
    """(2 sum_{j>=1} q^{j^2}, sum_{j>=1} j q^{j^2}) in mpmath, summed term by term up to the
    first J with q^{J^2} < 10^-80: a later term j q^{j^2} is below j 10^-80 q^{(2J+1)(j-J)},
    so both tails are far below 10^-70 for these q (mpmath's nsum took 1.3 s at q = 0.9999 and
    was only good to 1e-36 there)."""
    q = mpmath.mpf(q)
    last = int(mpmath.ceil(mpmath.sqrt(80 * mpmath.log(10) / -mpmath.log(q)))) + 1
    terms = [q ** (j * j) for j in range(1, last + 1)]
    return 2 * mpmath.fsum(terms), mpmath.fsum(j * t for j, t in enumerate(terms, start=1))


def test_theta_series_enclose_mpmath():
    for q in [1e-9, 0.01, 0.3, 0.6, 0.95, 0.9999]:
        with mpmath.workdps(50):
            t_exact, s_exact = _theta_sums_50_digits(q)
        with precision(64):
            assert contains(theta_tail_T(q), t_exact)
            assert contains(theta_weighted_sum(q), s_exact)


# One (sigma, eps) per branch of the value path at 64 bits: q below 2^-(prec+6) (no term), one,
# two and several theta terms, q near 1/2, q >= 1/2 (arb's Jacobi theta); eps = 2 and 6 take the
# denominator through several terms and through arb's Jacobi theta; (2.0, 0.7) has one term in
# both nomes and (0.33, 0.5) two terms in q with q0 negligible (the halved plans with each
# normaliser factor).
VALUE_PATH_CASES = [
    (2.0, 0.7),
    (0.33, 0.5),
    (1.0, 0.1),
    (0.5, 0.5),
    (0.5, 0.7),
    (0.3, 0.7),
    (0.2, 0.9),
    (0.1, 1.0),
    (0.5, 2.0),
    (0.5, 6.0),
]


@pytest.mark.parametrize("bits", [53, 64, 128, 256])
def test_value_path_branches_contain_mpmath_and_stay_tight(bits):
    from tests.containment.test_comb import mpmath_comb

    for sigma, eps in VALUE_PATH_CASES:
        theta = 0.3 * eps
        for x in (-3.0, 0.0, 1.3):
            with mpmath.workdps(80):
                exact = mpmath_comb(x, sigma, eps, theta)
            with precision(bits):
                comb._value_parameters_cache_clear()
                cold = smoothed_comb_closed_form(x, sigma, eps, theta)
                cached = smoothed_comb_closed_form(x, sigma, eps, theta)
                balls = smoothed_comb_closed_form(*(to_arb(a) for a in (x, sigma, eps, theta)))
                exact_inputs = smoothed_comb_closed_form(
                    Fraction(x), Fraction(sigma), Fraction(eps), Fraction(theta)
                )
            for value in (cold, cached, balls, exact_inputs):
                assert contains(value, exact), (bits, sigma, eps, x, value)
            # q >= 1/2 (arb's Jacobi theta) costs up to ~2^16 ulps, as before this path existed
            assert float(cold.rad()) <= abs(float(cold.mid())) * 2.0 ** (20 - bits)


@pytest.mark.parametrize("bits", [53, 64, 128, 256])
def test_float_screens_give_the_balls_of_the_ball_comparisons(bits):
    """Float inputs have their nomes' cases screened in floats; balls as inputs are decided by
    comparing balls only. Around every bound of both nomes (within 1e-12 relatively, where the
    screen defers to the balls, and beyond it) the two give the same balls (from 53 bits on,
    where a float sigma enters a ball exactly either way)."""
    bounds = [-(bits + 6) * math.log(2)] + [-(bits + 8) * math.log(2) / n**2 for n in (2, 3)]
    cases = []
    for bound in bounds:
        for nudge in (1 - 1e-3, 1 - 1e-6, 1 - 1e-12, 1.0, 1 + 1e-12, 1 + 1e-6, 1 + 1e-3):
            log_q = bound * nudge
            cases.append((0.7, math.sqrt(2 * math.pi**2 / -log_q)))  # q0 at the bound
            tau2 = log_q / (-2 * math.pi**2 / 0.5**2)  # q at the bound with eps = 0.5
            if tau2 < 1:
                cases.append((math.sqrt(tau2 / (1 - tau2)), 0.5))
    for sigma, eps in cases:
        for x in (-2.5, 0.0, 1.3):
            with precision(bits):
                comb._value_parameters_cache_clear()
                balls = smoothed_comb_closed_form(x, to_arb(sigma), to_arb(eps), 0.3 * eps)
                comb._value_parameters_cache_clear()
                screened = smoothed_comb_closed_form(x, sigma, eps, 0.3 * eps)
            assert screened.mid() == balls.mid() and screened.rad() == balls.rad(), (sigma, eps)
