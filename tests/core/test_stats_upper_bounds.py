"""Distribution-free upper bounds for means (empirical Bernstein) and chi-square tail moments."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from verify.core.numbers import lower, upper
from verify.core.stats import chi_square_tail_moment, empirical_bernstein_upper


def test_empirical_bernstein_covers_the_mean_and_shrinks():
    rng = np.random.default_rng(0)
    small = empirical_bernstein_upper(list(rng.random(200)), 1, 1e-3)
    large = empirical_bernstein_upper(list(rng.random(20000)), 1, 1e-3)
    assert upper(large) < upper(small)
    assert 0.5 < upper(large) < 0.53


def test_empirical_bernstein_range_term_for_heavy_rare_values():
    # one value at the bound in 1000: the range term 7 M log(2/alpha) / (3 (n - 1)) dominates
    values = [0.0] * 999 + [100.0]
    bound = empirical_bernstein_upper(values, 100, 1e-3)
    assert upper(bound) > Fraction(7 * 100, 3 * 999) * Fraction(76, 10)


def test_empirical_bernstein_rejects_values_past_the_bound():
    with pytest.raises(ValueError):
        empirical_bernstein_upper([0.5, 1.5], 1, 0.01)
    with pytest.raises(ValueError):
        empirical_bernstein_upper([0.5], 1, 0.01)


def test_empirical_bernstein_coverage_on_a_skewed_law():
    # the bound at level 0.1 holds in (well) over 90% of repetitions
    rng = np.random.default_rng(1)
    misses = sum(
        upper(empirical_bernstein_upper(list(rng.beta(0.2, 5, 100)), 1, 0.1)) < Fraction(1, 26)
        for _ in range(200)
    )
    assert misses <= 20


@pytest.mark.parametrize("k, q, a, b", [(1, 3.0, 1, 0), (3, 7.81, 2, 0.5), (8, 40.0, 0, 1)])
def test_chi_square_tail_moment_against_mpmath(k, q, a, b):
    mpmath.mp.dps = 40
    density = lambda x: x ** (k / 2 - 1) * mpmath.exp(-x / 2) / (2 ** (k / 2) * mpmath.gamma(k / 2))  # noqa: E731
    exact = mpmath.quad(lambda x: (a + b * x) * density(x), [q, mpmath.inf])
    enclosure = chi_square_tail_moment(a, b, k, q)
    assert lower(enclosure) <= Fraction(str(exact)) * (1 + Fraction(1, 10**12))
    assert upper(enclosure) >= Fraction(str(exact)) * (1 - Fraction(1, 10**12))


def test_empirical_bernstein_of_floats_is_that_of_their_exact_rationals():
    """The float path (integer numerators over the largest power-of-two denominator) gives the
    ball the Fraction path gives, and rejects the same values."""
    rng = np.random.default_rng(5)
    values = [*(rng.pareto(1.5, 3000) * 1e-9).tolist(), 0.0, 5e-324, 1e-300]
    bound = Fraction(max(values)) * 3
    exact = [Fraction(v) for v in values]
    floats = empirical_bernstein_upper(values, bound, 1e-6)
    assert floats.mid() == empirical_bernstein_upper(exact, bound, 1e-6).mid()
    assert floats.rad() == empirical_bernstein_upper(exact, bound, 1e-6).rad()
    for bad in ([1.0, -1e-300], [0.0, float(Fraction(3)) * (1 + 2**-52)]):
        with pytest.raises(ValueError, match="lie in"):
            empirical_bernstein_upper(bad, 3, 0.1)
