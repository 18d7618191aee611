"""quantile_interval gives quantile_confidence_interval's very interval."""

import math

import numpy as np
import pytest
from flint import arb

from verify.core.stats import quantile_confidence_interval
from verify.maths.samplers.quantiles import quantile_interval


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
def test_the_same_interval(n: int, q: float, ties: bool) -> None:
    values = _draws(n, n, ties)
    assert quantile_interval(values, q, 0.01) == quantile_confidence_interval(values, q, 0.01)


def test_an_unbounded_enclosure_takes_the_exact_route() -> None:
    """Both refuse an infinite end alike (the exact route is taken)."""
    values = [*_draws(100, 1, False), arb(0, math.inf)]
    with pytest.raises(ValueError):
        quantile_confidence_interval(values, 0.5, 0.01)
    with pytest.raises(ValueError):
        quantile_interval(values, 0.5, 0.01)
