"""clopper_pearson_gap is the gap of clopper_pearson's interval to the target, shortcut or not."""

from fractions import Fraction

import pytest

from verify.core.stats import clopper_pearson, clopper_pearson_gap


def _full_gap(k: int, n: int, alpha: float, low: Fraction, high: Fraction) -> Fraction:
    lo, hi = clopper_pearson(k, n, alpha)
    return max(Fraction(0), low - hi, lo - high)


@pytest.mark.parametrize(
    ("k", "n", "alpha", "low", "high"),
    [
        (2000, 4000, 1e-3, Fraction(1, 2), Fraction(1, 2)),  # meets: the shortcut
        (1950, 4000, 1e-3, Fraction(49, 100), Fraction(51, 100)),
        (2000, 4000, 1e-6, Fraction(1, 2) - Fraction(1, 10**9), Fraction(1, 2)),
        (2200, 4000, 1e-3, Fraction(1, 2), Fraction(1, 2)),  # interval above the target
        (1800, 4000, 1e-3, Fraction(1, 2), Fraction(1, 2)),  # interval below the target
        (0, 50, 1e-3, Fraction(1, 10), Fraction(1, 10)),  # k = 0: bisected as before
        (50, 50, 1e-3, Fraction(9, 10), Fraction(9, 10)),  # k = n
        (7, 50, 1e-3, Fraction(0), Fraction(1, 10)),  # target touching 0
    ],
)
def test_gap_equals_the_bisected_interval_gap(k, n, alpha, low, high):
    assert clopper_pearson_gap(k, n, alpha, low, high) == _full_gap(k, n, alpha, low, high)


def test_a_separated_target_gives_a_positive_gap():
    assert clopper_pearson_gap(2400, 4000, 1e-6, Fraction(1, 2), Fraction(1, 2)) > 0
