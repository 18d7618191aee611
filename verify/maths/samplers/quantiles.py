"""``verify.core.stats.quantile_confidence_interval`` with the order statistics selected on
float keys: the same interval, without sorting thousands of exact rationals.

The interval's ends are the k_lo-th smallest lower end and the k_hi-th smallest upper end of
the draws' enclosures (``quantile_order_indices``). Rounding an exact endpoint to the nearest
double is monotone, so the k-th smallest exact endpoint lies in the group of endpoints whose
double equals the k-th smallest double, after every endpoint with a smaller double: only that
group (usually one value) is compared exactly.
"""

from __future__ import annotations

import math
from fractions import Fraction

from flint import arb

from verify.core.numbers import lower, upper
from verify.core.stats import quantile_confidence_interval, quantile_order_indices


def _kth_smallest(values: list[arb], keys: list[float], k: int, exact) -> Fraction:
    """The k-th smallest (1-based) of exact(v) over ``values``, keys[i] = float(exact end)."""
    cut = sorted(keys)[k - 1]
    below = sum(1 for key in keys if key < cut)
    group = sorted(exact(v) for v, key in zip(values, keys, strict=True) if key == cut)
    return group[k - 1 - below]


def quantile_interval(
    values: list[arb], q: float, alpha: float
) -> tuple[Fraction | None, Fraction | None]:
    """``quantile_confidence_interval(values, q, alpha)``: the same (lo, hi)."""
    n = len(values)
    lows = [float(v.lower()) for v in values]
    highs = [float(v.upper()) for v in values]
    if not all(math.isfinite(x) for x in lows + highs):
        return quantile_confidence_interval(values, q, alpha)
    k_lo, k_hi = quantile_order_indices(n, q, alpha)
    lo = _kth_smallest(values, lows, k_lo, lower) if k_lo >= 1 else None
    hi = _kth_smallest(values, highs, k_hi, upper) if k_hi <= n else None
    return lo, hi
