"""Chi-square tails and incomplete gamma functions (verify.maths.chisquare) contain independent
50-digit mpmath values: degrees of freedom 1..400, x from 1e-6 to far in either tail,
noncentralities up to 200."""

from __future__ import annotations

import mpmath
from hypothesis import given
from hypothesis import strategies as st

from tests.containment._draw import log_uniform
from tests.containment._profile import budget
from verify.core.numbers import contains, precision
from verify.maths.chisquare import chi2_cdf, chi2_sf, gamma_p, gamma_p_series, gamma_q, ncx2_cdf

DEGREES = st.one_of(st.integers(1, 10), st.integers(1, 400))


@budget(60)
@given(m=DEGREES, x=log_uniform(1e-6, 2000.0), bits=st.sampled_from([64, 128]))
def test_central_chi_square(m, x, bits):
    with precision(bits):
        cdf, sf = chi2_cdf(x, m), chi2_sf(x, m)
    with mpmath.workdps(50):
        s, z = mpmath.mpf(m) / 2, mpmath.mpf(x) / 2
        exact_cdf = mpmath.gammainc(s, 0, z, regularized=True)
        exact_sf = mpmath.gammainc(s, z, mpmath.inf, regularized=True)
    assert contains(cdf, exact_cdf), (m, x, bits, cdf)
    assert contains(sf, exact_sf), (m, x, bits, sf)


@budget(40)
@given(s=log_uniform(1e-3, 200.0), z=log_uniform(1e-6, 500.0), bits=st.sampled_from([64, 128]))
def test_incomplete_gamma(s, z, bits):
    with precision(bits):
        lower_, upper_ = gamma_p(s, z), gamma_q(s, z)
        series = gamma_p_series(s, z) if z < 4 * s + 50 else None
    with mpmath.workdps(50):
        s_mp, z_mp = mpmath.mpf(s), mpmath.mpf(z)
        exact_p = mpmath.gammainc(s_mp, 0, z_mp, regularized=True)
        exact_q = mpmath.gammainc(s_mp, z_mp, mpmath.inf, regularized=True)
    assert contains(lower_, exact_p), (s, z, bits, lower_)
    assert contains(upper_, exact_q), (s, z, bits, upper_)
    if series is not None:
        assert contains(series, exact_p), (s, z, bits, series)


def _mp_ncx2_cdf(x, m, noncentrality):
    """P(chi'^2_m(lambda) <= x) as the Poisson mixture of central chi-squares, summed in mpmath
    until the Poisson weights (times CDFs <= 1) left are below 1e-60 of the total."""
    mu, z, s0 = mpmath.mpf(noncentrality) / 2, mpmath.mpf(x) / 2, mpmath.mpf(m) / 2
    total, j = mpmath.mpf(0), 0
    while True:
        weight = mpmath.exp(-mu + j * mpmath.log(mu) - mpmath.loggamma(j + 1)) if mu else 0
        total += weight * mpmath.gammainc(s0 + j, 0, z, regularized=True)
        j += 1
        if j > mu and weight < mpmath.mpf(10) ** -60 * max(total, mpmath.mpf(10) ** -300):
            return total


@budget(30)
@given(
    m=st.integers(1, 50),
    x=log_uniform(1e-3, 600.0),
    noncentrality=log_uniform(1e-4, 200.0),
    bits=st.sampled_from([64, 128]),
)
def test_noncentral_chi_square_cdf(m, x, noncentrality, bits):
    with precision(bits):
        cdf = ncx2_cdf(x, m, noncentrality)
    with mpmath.workdps(50):
        exact = _mp_ncx2_cdf(x, m, noncentrality)
    assert contains(cdf, exact), (m, x, noncentrality, bits, cdf)


@budget(30)
@given(
    s=log_uniform(1e-3, 300.0),
    ratio=st.floats(0.01, 0.999),
    bits=st.sampled_from([53, 64, 200, 1000]),
)
def test_incomplete_gamma_series_at_every_precision(s, ratio, bits):
    """The positive series (its stopping test screened in doubles up to ~950 bits, the ball test
    alone beyond) encloses P(s, z) for z < s + 1, as tightly as its precision allows."""
    z = ratio * (s + 1)
    with precision(bits):
        series = gamma_p_series(s, z)
    with mpmath.workdps(bits // 3 + 40):
        exact = mpmath.gammainc(mpmath.mpf(s), 0, mpmath.mpf(z), regularized=True)
        assert contains(series, exact), (s, z, bits, series)
        assert mpmath.mpf(series.rad().str(5, radius=False)) <= exact * mpmath.mpf(2) ** (20 - bits)
