"""nonnegative_mean_lower: a distribution-free lower bound of a nonnegative mean."""

import random
from fractions import Fraction

import pytest

from verify.core.stats import nonnegative_mean_lower


def test_bound_stays_below_the_mean_of_a_heavy_tailed_law():
    # Pareto(1.5): mean 3, infinite variance; the bound at 1e-3 must stay below 3 on each draw
    rng = random.Random(7)
    levels = [Fraction(2) ** k for k in range(-4, 12)]
    misses = 0
    for _ in range(40):
        values = [rng.paretovariate(1.5) for _ in range(500)]
        misses += nonnegative_mean_lower(values, levels, 1e-3) > 3
    assert misses == 0


def test_rare_large_values_are_seen_through_exceedances():
    values = [0.0] * 980 + [10.0] * 20  # mean 0.2, all of it in 2% of the draws
    with_exceedance = nonnegative_mean_lower(values, [Fraction(10)], 1e-6)
    assert Fraction(1, 20) < with_exceedance < Fraction(1, 5)


def test_bad_arguments():
    with pytest.raises(ValueError):
        nonnegative_mean_lower([-1.0], [Fraction(1)], 0.01)
    with pytest.raises(ValueError):
        nonnegative_mean_lower([1.0], [], 0.01)


def test_floats_give_the_bound_of_their_exact_rationals():
    """The float path (integer prefix sums, float-to-Fraction comparisons) is the exact one."""
    rng = random.Random(11)
    values = [rng.paretovariate(1.5) * 1e-6 for _ in range(4000)] + [0.0, 5e-324]
    levels = [Fraction(1, 2**k) for k in range(0, 40, 4)] + [1e-5]
    exact = [Fraction(v) for v in values]
    assert nonnegative_mean_lower(values, levels, 1e-3) == nonnegative_mean_lower(
        exact, levels, 1e-3
    )
