"""Theta series and the smoothed comb (verify.maths.comb), closed form and direct sum, contain
independent 50-digit mpmath values over C.16's whole domain: eps down to 1e-4, sigma down to
1e-6, |x| up to the domain edge 8, every phase in [0, eps)."""

from __future__ import annotations

import mpmath
from hypothesis import given
from hypothesis import strategies as st

from tests.containment._draw import log_uniform
from tests.containment._profile import budget
from verify.core.numbers import contains, precision
from verify.maths.comb import (
    smoothed_comb_closed_form,
    smoothed_comb_direct,
    theta_tail_T,
    theta_weighted_sum,
)

X_EDGE = 8.0


def _lattice_sum(centre, spacing, offset, s):
    """sum_k phi_s(k spacing + offset - centre) in mpmath: Jacobi's theta_3 by mpmath's own
    series when its nome is at most 1/2 (few terms), the lattice sum itself otherwise (then
    s / spacing < 0.19, so the 50-digit window of +-17 s holds a handful of points)."""
    nome = mpmath.exp(-2 * mpmath.pi**2 * s**2 / spacing**2)
    u = offset - centre
    if nome <= 0.5:
        return mpmath.jtheta(3, mpmath.pi * u / spacing, nome) / spacing
    lo = int(mpmath.floor((-u - 17 * s) / spacing)) - 1
    hi = int(mpmath.ceil((-u + 17 * s) / spacing)) + 1
    return mpmath.fsum(mpmath.npdf(k * spacing + u, 0, s) for k in range(lo, hi + 1))


def mpmath_comb(x, sigma, eps, theta):
    r"""psi(x) = Z^{-1} sum_k phi(t_k) phi_sigma(x - t_k) = phi_{sqrt v}(x) L(x/v, tau) / L(0, 1)
    with t_k = k eps + theta, v = 1 + sigma^2, tau^2 = sigma^2 / v."""
    x, sigma, eps, theta = (mpmath.mpf(a) for a in (x, sigma, eps, theta))
    v = 1 + sigma**2
    tau = mpmath.sqrt(sigma**2 / v)
    numerator = _lattice_sum(x / v, eps, theta, tau)
    return mpmath.npdf(x, 0, mpmath.sqrt(v)) * numerator / _lattice_sum(0, eps, theta, 1)


@st.composite
def comb_points(draw):
    eps = draw(log_uniform(1e-4, 1.0))
    phase = draw(st.one_of(st.sampled_from([0.0, 0.5, 1 - 2**-40]), st.floats(0, 1)))
    theta = min(phase * eps, eps * (1 - 2**-40))
    return {
        "x": draw(st.one_of(st.sampled_from([-X_EDGE, X_EDGE]), st.floats(-X_EDGE, X_EDGE))),
        "sigma": draw(log_uniform(1e-6, 2.0)),
        "eps": eps,
        "theta": theta,
    }


@budget(60)
@given(point=comb_points(), bits=st.sampled_from([64, 128]))
def test_closed_form(point, bits):
    with precision(bits):
        enclosure = smoothed_comb_closed_form(**point)
    with mpmath.workdps(50):
        exact = mpmath_comb(**point)
    assert contains(enclosure, exact), (point, bits, enclosure, exact)


@budget(40)
@given(point=comb_points(), bits=st.sampled_from([64, 128]))
def test_direct_sum(point, bits):
    with precision(bits):
        enclosure = smoothed_comb_direct(**point, max_terms=2000)
    with mpmath.workdps(50):
        exact = mpmath_comb(**point)
    assert contains(enclosure, exact), (point, bits, enclosure, exact)


def _mp_theta_sums(q):
    """(2 sum q^{j^2}, sum j q^{j^2}) by mpmath: Jacobi's theta_3(0, q) - 1, and mpmath's
    accelerated summation of the weighted series."""
    q = mpmath.mpf(q)
    return mpmath.jtheta(3, 0, q) - 1, mpmath.nsum(lambda j: j * q ** (j * j), [1, mpmath.inf])


@budget(40)
@given(q=st.one_of(log_uniform(1e-30, 0.5), st.floats(0.5, 0.999)), bits=st.sampled_from([64, 128]))
def test_theta_series(q, bits):
    with precision(bits):
        t, s = theta_tail_T(q), theta_weighted_sum(q)
    with mpmath.workdps(50):
        t_exact, s_exact = _mp_theta_sums(q)
    assert contains(t, t_exact), (q, bits, t)
    assert contains(s, s_exact), (q, bits, s)
