"""Normal density and tails (verify.core.numbers) contain independent 50-digit mpmath values."""

from __future__ import annotations

import mpmath
from hypothesis import given
from hypothesis import strategies as st

from tests.containment._draw import log_uniform, signed
from tests.containment._profile import budget
from verify.core.numbers import (
    contains,
    gaussian_tail_mass,
    gaussian_tail_moment,
    normal_density,
    normal_upper_tail,
    precision,
    to_arb,
)

PRECISIONS = st.sampled_from([53, 64, 128])


@budget(80)
@given(x_over_s=signed(1e-8, 60.0), s=log_uniform(1e-6, 1e3), bits=PRECISIONS)
def test_normal_density(x_over_s, s, bits):
    x = x_over_s * s
    with precision(bits):
        enclosure = normal_density(to_arb(x), to_arb(s))
    with mpmath.workdps(50):
        exact = mpmath.npdf(mpmath.mpf(x), 0, mpmath.mpf(s))
    assert contains(enclosure, exact), (x, s, bits, enclosure)


@budget(80)
@given(z=st.one_of(signed(1e-10, 1e4), st.floats(-40, 40)), bits=PRECISIONS)
def test_normal_upper_tail(z, bits):
    with precision(bits):
        enclosure = normal_upper_tail(z)
    with mpmath.workdps(50):
        exact = mpmath.erfc(mpmath.mpf(z) / mpmath.sqrt(2)) / 2
    assert contains(enclosure, exact), (z, bits, enclosure)


@budget(60)
@given(a_over_s=signed(1e-8, 60.0), s=log_uniform(1e-6, 1e3), bits=PRECISIONS)
def test_gaussian_tail_mass_and_moment(a_over_s, s, bits):
    a = a_over_s * s
    with precision(bits):
        mass, moment = gaussian_tail_mass(a, s), gaussian_tail_moment(a, s)
    with mpmath.workdps(50):
        a_mp, s_mp = mpmath.mpf(a), mpmath.mpf(s)
        # mpmath's normal CDF of the reflected point, and the moment integrated by parts
        # (int_a^inf t phi_s(t) dt = s phi(a/s)): no cancellation at either end.
        exact_mass = mpmath.ncdf(-a_mp / s_mp)
        exact_moment = s_mp * mpmath.npdf(a_mp / s_mp)
    assert contains(mass, exact_mass), (a, s, bits, mass)
    assert contains(moment, exact_moment), (a, s, bits, moment)
