"""exceedance_interval: one-sided Clopper-Pearson bounds for P(X > t) from enclosures."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from verify.core.stats import clopper_pearson_lower, clopper_pearson_upper, exceedance_interval


def test_counts_use_the_right_end_of_each_enclosure():
    lower = [0.0, 0.5, 2.0, 3.0]
    upper = [0.5, 1.5, 2.5, 3.5]
    lo, hi, k_lo, k_hi = exceedance_interval(lower, upper, 1.0, 0.01)
    assert (k_lo, k_hi) == (2, 3)  # L > 1 for two draws; U > 1 for three
    assert lo == clopper_pearson_lower(2, 4, 0.01)
    assert hi == clopper_pearson_upper(3, 4, 0.01)


def test_an_enclosed_threshold_is_read_conservatively():
    # a value inside the threshold's ball counts as above it for the upper count only
    values = [1.0, 1.0, 5.0]
    _, _, k_lo, k_hi = exceedance_interval(values, values, arb(1, 0.01), 0.05)
    assert (k_lo, k_hi) == (1, 3)
    _, _, k_lo, k_hi = exceedance_interval(values, values, Fraction(1), 0.05)
    assert (k_lo, k_hi) == (1, 1)  # strictly above: 1.0 is not > 1


def test_coverage_on_a_heavy_tailed_law():
    # Pareto with infinite variance (shape 1.5): P(X > t) = t^-1.5 for t >= 1. Each one-sided
    # end misses with chance <= alpha; over 400 repetitions at alpha = 0.05 the misses stay
    # far below the 20 + 4 sd binomial allowance.
    rng = np.random.default_rng(7)
    t, alpha = 4.0, 0.05
    p = t**-1.5
    misses_lo = misses_hi = 0
    for _ in range(400):
        x = rng.pareto(1.5, size=200) + 1.0
        lo, hi, _, _ = exceedance_interval(x.tolist(), x.tolist(), t, alpha)
        misses_lo += lo > p
        misses_hi += hi < p
    assert misses_lo <= 37 and misses_hi <= 37


def test_bad_arguments():
    with pytest.raises(ValueError):
        exceedance_interval([], [], 1.0, 0.1)
    with pytest.raises(ValueError):
        exceedance_interval([1.0], [1.0, 2.0], 1.0, 0.1)
    with pytest.raises(ValueError):
        exceedance_interval([1.0], [1.0], 1.0, 1.5)


def test_counts_are_the_exact_comparisons_at_a_rational_threshold():
    """The float count (v > the largest double below the threshold) is the exact count,
    doubles on and next to a threshold that is not a double included."""
    import math
    import random

    from verify.core.stats import _count_above

    rng = random.Random(4)
    for bound in (Fraction(1, 3), Fraction(7, 8), Fraction(-5, 3), Fraction(10**30 + 1, 10**7)):
        near = float(bound)
        values = [near, math.nextafter(near, math.inf), math.nextafter(near, -math.inf)]
        values += [near * (1 + rng.uniform(-1e-15, 1e-15)) for _ in range(200)]
        values += [rng.uniform(-3, 3) for _ in range(200)]
        assert _count_above(values, bound) == sum(1 for v in values if Fraction(v) > bound)
    assert _count_above([1.0, 2.0], Fraction(3, 2)) == 1
    with pytest.raises(ValueError):
        _count_above([1.0, math.nan], Fraction(1))
