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
    x, sigma, eps, theta = (mpmath.mpf(a) for a in (x, sigma, eps, theta))
    k0 = int(mpmath.floor(x / eps))
    ks = range(k0 - 400, k0 + 401)
    z = mpmath.fsum(mpmath.npdf(k * eps + theta) for k in range(-400, 401))
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


def test_theta_series_enclose_mpmath():
    for q in [1e-9, 0.01, 0.3, 0.6, 0.95, 0.9999]:
        with mpmath.workdps(50):
            t_exact = 2 * mpmath.nsum(lambda j, q=q: mpmath.mpf(q) ** (j * j), [1, mpmath.inf])
            s_exact = mpmath.nsum(lambda j, q=q: j * mpmath.mpf(q) ** (j * j), [1, mpmath.inf])
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
