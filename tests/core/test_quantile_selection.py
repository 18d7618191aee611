"""stats.quantile_confidence_interval selects its order statistics on float keys: the interval
is the one of sorting every exact end (the definition, written out below)."""

import math
from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from verify.core.numbers import lower, upper
from verify.core.stats import quantile_confidence_interval, quantile_order_indices


def _by_sorting(values: list[arb], q: float, alpha: float):
    """The interval by its definition: the k-th smallest exact lower and upper ends."""
    k_lo, k_hi = quantile_order_indices(len(values), q, alpha)
    lows: list[Fraction] = sorted(lower(v) for v in values)
    highs: list[Fraction] = sorted(upper(v) for v in values)
    return (
        lows[k_lo - 1] if k_lo >= 1 else None,
        highs[k_hi - 1] if k_hi <= len(values) else None,
    )


def _draws(n: int, seed: int, ties: bool) -> list[arb]:
    rng = np.random.default_rng(seed)
    mids = rng.lognormal(size=n)
    if ties:  # many equal doubles whose exact ends differ, and repeated values
        mids = np.round(mids, 1)
    return [
        arb(float(m)) + arb(0, float(r)) if r else arb(float(m))
        for m, r in zip(mids, rng.choice([0.0, 1e-30, 1e-3], size=n), strict=True)
    ]


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize(("n", "q"), [(60, 0.15), (400, 0.5), (2000, 0.03), (5, 0.5)])
def test_the_interval_of_sorting_the_exact_ends(n: int, q: float, ties: bool) -> None:
    values = _draws(n, n, ties)
    assert quantile_confidence_interval(values, q, 0.01) == _by_sorting(values, q, 0.01)


def test_an_unbounded_enclosure_is_refused_as_by_sorting() -> None:
    values = [*_draws(100, 1, False), arb(0, math.inf)]
    with pytest.raises(ValueError):
        _by_sorting(values, 0.5, 0.01)
    with pytest.raises(ValueError):
        quantile_confidence_interval(values, 0.5, 0.01)
