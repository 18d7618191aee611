"""The distance from a Clopper-Pearson interval to a target interval, certified without the
interval's bisection whenever the two meet.

A sampler's event check asks whether the two-sided Clopper-Pearson interval (lo, hi) of k
successes in n trials, at level 1 - alpha, meets a target [low, high] (an enclosure of the exact
probability): the gap max(0, low - hi, lo - high) is 0 when it does. ``clopper_pearson``
bisects each end with certified binomial tails (~1 ms to ~10 ms an evaluation, a dozen per end);
deciding that the ends reach the target takes one evaluation per end:

- the exact lower end L solves P(Bin(n, L) >= k) = alpha/2 and the tail increases in p, so
  P(Bin(n, high) >= k) >= alpha/2 gives L <= high, and the returned lo <= L (it is rounded
  inward, certified) gives lo - high <= 0;
- the exact upper end U solves P(Bin(n, U) <= k) = alpha/2 and the CDF decreases in p, so
  P(Bin(n, low) <= k) >= alpha/2 gives low <= U <= hi, so low - hi <= 0.

When both hold the gap is 0, exactly what ``clopper_pearson`` would give; otherwise (or when
k is 0 or n, or a tail enclosure is too wide to decide) the interval is bisected as before.
"""

from __future__ import annotations

from fractions import Fraction

from verify.core.numbers import lower, precision, to_arb, upper
from verify.core.stats import binomial_cdf, clopper_pearson

_PRECISION = 80  # the working precision of ``clopper_pearson``'s certified tails


def _reaches(k: int, n: int, alpha: float, low: Fraction, high: Fraction) -> bool:
    """Certified: the exact Clopper-Pearson interval at level 1 - alpha meets [low, high]
    through both ends (L <= high and U >= low); False when that is not certain."""
    if not (0 < k < n and 0 < low <= high < 1):
        return False
    with precision(_PRECISION):
        level = upper(to_arb(alpha / 2))
        at_high = 1 - binomial_cdf(k - 1, n, to_arb(high))  # P(Bin(n, high) >= k)
        if not lower(at_high) >= level:
            return False
        return lower(binomial_cdf(k, n, to_arb(low))) >= level


def clopper_pearson_gap(k: int, n: int, alpha: float, low: Fraction, high: Fraction) -> Fraction:
    """max(0, low - hi, lo - high) for ``clopper_pearson(k, n, alpha)`` = (lo, hi): the same
    number, without the bisection when the interval certainly meets [low, high]."""
    if _reaches(k, n, alpha, low, high):
        return Fraction(0)
    lo, hi = clopper_pearson(k, n, alpha)
    return max(Fraction(0), low - hi, lo - high)
