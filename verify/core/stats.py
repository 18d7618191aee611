"""Distribution-free confidence statements for sampling-based (STATISTICAL) checks.

- ``clopper_pearson(k, n, alpha)``: the exact (Clopper-Pearson) interval for a binomial
  proportion, from the regularized incomplete beta function in arb. Endpoints are rounded
  outward: the returned interval contains the exact Clopper-Pearson interval.
- ``binomial_cdf(j, n, q)``: P(Bin(n, q) <= j), enclosed.
- ``clopper_pearson_gap(k, n, alpha, low, high)``: the distance from the Clopper-Pearson
  interval to a target interval, certified 0 without the bisection when they meet.
- ``quantile_order_indices(n, q, alpha)``: order-statistic indices (k_lo, k_hi) such that for
  i.i.d. samples from any law the q-quantile xi_q = inf{x : F(x) >= q} satisfies
  X_(k_lo) <= xi_q <= X_(k_hi) with probability >= 1 - alpha.
- ``exceedance_interval(lower, upper, t, alpha)``: one-sided Clopper-Pearson bounds for
  P(X > t) from enclosures of i.i.d. draws (the quantile form of a heavy-tailed error).
- ``tv_deviation(n, cells, alpha)``: a radius r with P(TV(empirical, true) > r) <= alpha for
  n samples on ``cells`` cells (expectation bound plus McDiarmid).

Why these are right:
  P(Bin(n, p) >= k) = I_p(k, n - k + 1) is increasing in p, so the Clopper-Pearson lower end
  solves I_p(k, n-k+1) = alpha/2; the upper end solves P(Bin(n, p) <= k) = alpha/2.
  For order statistics: #{X_i <= xi_q} ~ Bin(n, F(xi_q)) with F(xi_q) >= q, hence
  P(X_(k) <= xi_q) >= P(Bin(n, q) >= k); #{X_i < xi_q} ~ Bin(n, F(xi_q-)) with F(xi_q-) <= q,
  hence P(X_(k) >= xi_q) >= P(Bin(n, q) <= k - 1).
  For TV on K cells: E TV(p_hat, p) <= (1/2) sum_i sqrt(p_i (1 - p_i) / n) <= sqrt((K-1)/n) / 2
  (Cauchy-Schwarz), and TV(p_hat, p) has bounded differences 1/n, so McDiarmid gives
  P(TV - E TV >= t) <= exp(-2 n t^2).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Sequence
from fractions import Fraction
from functools import lru_cache

import numpy as np
from flint import arb

from verify.core.numbers import lower, precision, to_arb, upper

_BISECTION_STEPS = 64


def _tail_ge(k: int, n: int, p: arb) -> arb:
    """P(Bin(n, p) >= k) for 1 <= k <= n, enclosed."""
    return p.beta_lower(k, n - k + 1, regularized=1)


def _tail_ge_slope(k: int, n: int, p: arb) -> arb:
    """d/dp P(Bin(n, p) >= k) = n C(n-1, k-1) p^(k-1) (1-p)^(n-k) for 1 <= k <= n, enclosed
    over the ball p (its every point in (0, 1))."""
    return n * arb.bin_uiui(n - 1, k - 1) * p ** (k - 1) * (1 - p) ** (n - k)


def _chernoff_bound(k: int, n: int, p: arb) -> arb:
    """exp(-n D(k/n || p)), D the Kullback-Leibler divergence of Bernoulli laws, enclosed: the
    Chernoff bound of P(Bin(n, p) >= k) for p <= k/n and of P(Bin(n, p) <= k) for p >= k/n
    (0 < p < 1). A few logarithms where the incomplete beta costs milliseconds at large n."""
    share = arb(k) / n
    divergence = arb(0)
    if k > 0:  # 0 log 0 = 0
        divergence += share * (share / p).log()
    if k < n:
        divergence += (1 - share) * ((1 - share) / (1 - p)).log()
    return (-n * divergence).exp()


# The Chernoff bound stands in for a certified tail only where that tail's own test would have
# passed too, so that the endpoints stay those of the incomplete beta: with half the level to
# spare, and for the CDF side (1 - P(Bin >= k + 1) at 80 bits, whose enclosure is about 2^-80
# wide whatever the value) at levels far above that width; below them the beta decides (and
# 1 - tail cannot certify a level under ~2^-80 at all).
_CHERNOFF_CDF_FLOOR = Fraction(1, 2**50)


def _chernoff_certifies(k: int, n: int, p: Fraction, level: Fraction, cdf: bool) -> bool:
    """Certified: the Chernoff bound at p (beyond k/n on the side the tail is taken) is at most
    level / 2 (and, for the CDF side, level >= ``_CHERNOFF_CDF_FLOOR``)."""
    if cdf and level < _CHERNOFF_CDF_FLOOR:
        return False
    return upper(_chernoff_bound(k, n, to_arb(p))) <= level / 2


def binomial_cdf(j: int, n: int, q: float | Fraction | arb) -> arb:
    """P(Bin(n, q) <= j), enclosed (j may be < 0 or >= n)."""
    if j < 0:
        return arb(0)
    if j >= n:
        return arb(1)
    return 1 - _tail_ge(j + 1, n, to_arb(q))


def _check_counts(k: int, n: int, alpha: float) -> None:
    if not (0 <= k <= n and n >= 1):
        raise ValueError(f"need 0 <= k <= n, n >= 1 (got k={k}, n={n})")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}")


@lru_cache(maxsize=4096)
def clopper_pearson(k: int, n: int, alpha: float) -> tuple[Fraction, Fraction]:
    """Two-sided Clopper-Pearson interval (lo, hi) at level 1 - alpha, rounded outward."""
    _check_counts(k, n, alpha)
    return clopper_pearson_lower(k, n, alpha / 2), clopper_pearson_upper(k, n, alpha / 2)


def _meets_target(k: int, n: int, alpha: float, low: Fraction, high: Fraction) -> bool:
    """Certified: the exact Clopper-Pearson interval at level 1 - alpha meets [low, high]
    through both ends (L <= high and U >= low); False when that is not certain."""
    if not (0 < k < n and 0 < low <= high < 1):
        return False
    with precision(80):  # clopper_pearson's working precision
        level = upper(to_arb(alpha / 2))
        at_high = 1 - binomial_cdf(k - 1, n, to_arb(high))  # P(Bin(n, high) >= k)
        if not lower(at_high) >= level:
            return False
        return lower(binomial_cdf(k, n, to_arb(low))) >= level


def clopper_pearson_gap(k: int, n: int, alpha: float, low: Fraction, high: Fraction) -> Fraction:
    """max(0, low - hi, lo - high) for ``clopper_pearson(k, n, alpha)`` = (lo, hi): the same
    number, without the bisection when the interval certainly meets [low, high] (an enclosure
    of an exact probability, as a sampler's event check has). The bisection costs a dozen
    certified tails per end; deciding that the ends reach the target takes one per end:

    - the exact lower end L solves P(Bin(n, L) >= k) = alpha/2 and the tail increases in p, so
      P(Bin(n, high) >= k) >= alpha/2 gives L <= high, and the returned lo <= L (rounded
      inward, certified) gives lo - high <= 0;
    - the exact upper end U solves P(Bin(n, U) <= k) = alpha/2 and the CDF decreases in p, so
      P(Bin(n, low) <= k) >= alpha/2 gives low <= U <= hi, so low - hi <= 0.

    When both hold the gap is 0, exactly what the interval gives; otherwise (or when k is 0 or
    n, or a tail enclosure is too wide to decide) the interval is bisected.
    """
    if _meets_target(k, n, alpha, low, high):
        return Fraction(0)
    lo, hi = clopper_pearson(k, n, alpha)
    return max(Fraction(0), low - hi, lo - high)


def _spread(k: int, n: int) -> float:
    """A generous float bracket half-width around k/n (12 standard deviations plus 12/n)."""
    p = k / n
    return 12 * math.sqrt(p * (1 - p) / n) + 12 / n


# The bisections below decide most steps with a float estimate of the probability (scipy's
# regularized incomplete beta), certified steps only where the estimate lies within this relative
# margin of the level, and certify the endpoint they return (or redo the search certified step by
# step should that fail): the arb evaluations are the costly part. A float error can only move
# the endpoint inward, never make it unsound; with scipy's accuracy (~1e-14 relative) every
# decision is the certified one, so the endpoints are those of the all-certified search.
_SCREEN_MARGIN = 1e-6


def _screen(estimate: float, level: float) -> bool | None:
    """estimate <= level when clearly so (True), clearly not (False), None when too close."""
    if not math.isfinite(estimate):
        return None
    if estimate <= level * (1 - _SCREEN_MARGIN):
        return True
    if estimate >= level * (1 + _SCREEN_MARGIN):
        return False
    return None


# A certified test reuses its last evaluation (mean value theorem) for points within this
# relative distance of it: the bisection's last steps, where the float screen cannot decide.
_NEAR = Fraction(1, 2**16)


class _CertifiedAtMost:
    """Certified ``probability(p) <= level``, ``probability`` monotone with derivative enclosed by
    ``slope(ball)`` over a ball. Near the last point evaluated (a, P(a) enclosed), the value is
    enclosed as P(a) + (p - a) slope(hull(a, p)) (mean value theorem), a few ball products
    instead of an incomplete beta; that decides whenever it excludes the level, and the
    incomplete beta is evaluated otherwise. Either way the answer is the exact comparison's
    (barring a value within the beta enclosure's radius of the level), so the bisection takes
    the same steps."""

    def __init__(
        self,
        probability: Callable[[arb], arb],
        slope: Callable[[arb], arb],
        level: Fraction,
    ) -> None:
        self.probability, self.slope, self.level = probability, slope, level
        self.anchor: tuple[Fraction, arb] | None = None

    def __call__(self, p: Fraction) -> bool:
        if self.anchor is not None and abs(p - self.anchor[0]) <= _NEAR * self.anchor[0]:
            a, at_a = self.anchor
            point, start = to_arb(p), to_arb(a)
            near = at_a + (point - start) * self.slope(start.union(point))
            if upper(near) <= self.level:
                return True
            if lower(near) > self.level:
                return False
        value = self.probability(to_arb(p))
        self.anchor = (p, value)
        return upper(value) <= self.level


def _bisect(
    inner: Fraction,
    outer: Fraction,
    valid: Callable[[Fraction], bool],
    estimate: Callable[[float], float],
    level: float,
) -> Fraction:
    """The bisection of a Clopper-Pearson end from ``inner`` (valid, certified) towards
    ``outer`` (k/n), until the bracket is below 2^-30 of the valid end; the returned point is
    certified valid. ``estimate(p)`` is a float value of the probability ``valid`` bounds."""

    def search(screened: bool) -> tuple[Fraction, bool]:
        good, bad, certain = inner, outer, True
        for _ in range(_BISECTION_STEPS):
            mid = Fraction(float((good + bad) / 2))  # keep denominators dyadic and short
            if mid in (good, bad) or abs(bad - good) <= good * Fraction(1, 2**30):
                break
            decided = _screen(estimate(float(mid)), level) if screened else None
            ok = valid(mid) if decided is None else decided
            if ok:
                good, certain = mid, decided is None
            else:
                bad = mid
        return good, certain

    found, certain = search(screened=True)
    if certain or valid(found):
        return found
    return search(screened=False)[0]


@lru_cache(maxsize=4096)
def clopper_pearson_lower(k: int, n: int, alpha: float) -> Fraction:
    """One-sided lower confidence bound at level 1 - alpha: P(p < result) <= alpha, rounded down.

    Returns a p with I_p(k, n-k+1) certainly <= alpha, so p <= the exact bound. The bisection
    starts from a float bracket whose lower end is itself certified (else from 0).
    """
    _check_counts(k, n, alpha)
    if k == 0:
        return Fraction(0)
    from scipy.special import betainc

    with precision(80):
        level = lower(to_arb(alpha))

        valid = _CertifiedAtMost(
            lambda p: _tail_ge(k, n, p), lambda p: _tail_ge_slope(k, n, p), level
        )

        lo = Fraction(max(0.0, k / n - _spread(k, n)))
        # The bracket end lies a dozen standard deviations out, where the Chernoff bound of the
        # tail is far below the usual levels: certifying it that way spares an incomplete beta
        # (a bound <= level gives a tail <= level); else the tail decides.
        if lo > 0 and not (_chernoff_certifies(k, n, lo, level, cdf=False) or valid(lo)):
            lo = Fraction(0)
        return _bisect(
            lo,
            Fraction(k, n),
            valid,
            lambda p: float(betainc(k, n - k + 1, p)),  # P(Bin(n, p) >= k)
            float(level),
        )


@lru_cache(maxsize=4096)
def clopper_pearson_upper(k: int, n: int, alpha: float) -> Fraction:
    """One-sided upper confidence bound at level 1 - alpha: P(p > result) <= alpha, rounded up.

    Returns a p with P(Bin(n, p) <= k) certainly <= alpha, so p >= the exact bound.
    """
    _check_counts(k, n, alpha)
    if k == n:
        return Fraction(1)
    from scipy.special import betaincc

    with precision(80):
        level = lower(to_arb(alpha))

        valid = _CertifiedAtMost(  # P(Bin(n, p) <= k) = 1 - P(Bin(n, p) >= k + 1)
            lambda p: binomial_cdf(k, n, p), lambda p: -_tail_ge_slope(k + 1, n, p), level
        )

        hi = Fraction(min(1.0, k / n + _spread(k, n)))
        # As for the lower end: P(Bin(n, hi) <= k) by its Chernoff bound first.
        if hi < 1 and not (_chernoff_certifies(k, n, hi, level, cdf=True) or valid(hi)):
            hi = Fraction(1)
        return _bisect(
            hi,
            Fraction(k, n),
            valid,
            lambda p: float(betaincc(k + 1, n - k, p)),  # P(Bin(n, p) <= k)
            float(level),
        )


@lru_cache(maxsize=1024)
def quantile_order_indices(n: int, q: float, alpha: float) -> tuple[int, int]:
    """1-based order-statistic indices (k_lo, k_hi) bracketing the q-quantile w.p. >= 1 - alpha.

    k_lo = 0 means "no lower bound" (use -inf); k_hi = n + 1 means "no upper bound" (+inf).
    Each side fails with probability at most alpha / 2 (see the module docstring).
    """
    if not (n >= 1 and 0 < q < 1 and 0 < alpha < 1):
        raise ValueError(f"bad arguments n={n}, q={q}, alpha={alpha}")
    from scipy.special import betainc, betaincc

    half = alpha / 2
    with precision(96):
        target = 1 - to_arb(alpha) / 2

        def lo_holds(k: int) -> bool:  # P(Bin(n, q) >= k) certainly >= 1 - alpha/2
            return lower(1 - binomial_cdf(k - 1, n, q)) >= upper(target)

        def hi_holds(k: int) -> bool:  # P(Bin(n, q) <= k - 1) certainly >= 1 - alpha/2
            return lower(binomial_cdf(k - 1, n, q)) >= upper(target)

        def search(screened: bool) -> tuple[int, int]:
            # Float screen (see _bisect): P(Bin <= k - 1) <= alpha/2 for the lower side,
            # P(Bin >= k) <= alpha/2 for the upper one, for 1 <= k <= n.
            def lo_ok(k: int) -> bool:
                decided = _screen(float(betaincc(k, n - k + 1, q)), half) if screened else None
                return lo_holds(k) if decided is None else decided

            def hi_ok(k: int) -> bool:
                decided = _screen(float(betainc(k, n - k + 1, q)), half) if screened else None
                return hi_holds(k) if decided is None else decided

            mean = n * q
            # k_lo: largest k with P(Bin(n, q) >= k) = 1 - cdf(k - 1) certainly >= 1 - alpha/2.
            k_lo = 0
            k = max(1, int(mean))
            while k >= 1:
                if lo_ok(k):
                    k_lo = k
                    break
                k -= 1
            if k_lo:
                while k_lo + 1 <= n and lo_ok(k_lo + 1):
                    k_lo += 1
            # k_hi: smallest k with P(Bin(n, q) <= k - 1) certainly >= 1 - alpha/2.
            k_hi = n + 1
            k = min(n, math.ceil(mean) + 1)
            while k <= n:
                if hi_ok(k):
                    k_hi = k
                    break
                k += 1
            while k_hi - 1 >= 1 and k_hi <= n and hi_ok(k_hi - 1):
                k_hi -= 1
            return k_lo, k_hi

        k_lo, k_hi = search(screened=True)
        if (k_lo == 0 or lo_holds(k_lo)) and (k_hi == n + 1 or hi_holds(k_hi)):
            return k_lo, k_hi
        return search(screened=False)


def tv_deviation(n: int, cells: int, alpha: float) -> Fraction:
    """Radius r (rounded up) with P(TV(empirical law of n samples, true law) > r) <= alpha."""
    if not (n >= 1 and cells >= 1 and 0 < alpha < 1):
        raise ValueError(f"bad arguments n={n}, cells={cells}, alpha={alpha}")
    with precision(96):
        r = (arb(cells - 1) / n).sqrt() / 2 + ((1 / to_arb(alpha)).log() / (2 * n)).sqrt()
        return upper(r)


def quantile_confidence_interval(
    values: list[arb], q: float, alpha: float
) -> tuple[Fraction | None, Fraction | None]:
    """Confidence interval (level 1 - alpha) for the q-quantile of a law, from enclosures of
    i.i.d. draws. Order statistics are monotone in each coordinate, so the k-th smallest lower
    end bounds X_(k) below and the k-th smallest upper end bounds it above. None: no bound
    (too few samples for that side)."""
    n = len(values)
    k_lo, k_hi = quantile_order_indices(n, q, alpha)
    lo = _kth_smallest(values, k_lo, lower, lambda v: v.lower()) if k_lo >= 1 else None
    hi = _kth_smallest(values, k_hi, upper, lambda v: v.upper()) if k_hi <= n else None
    return lo, hi


def _kth_smallest(
    values: list[arb], k: int, exact: Callable[[arb], Fraction], end: Callable[[arb], arb]
) -> Fraction:
    """The k-th smallest (1-based) of ``exact(v)`` over ``values``, selected on float keys
    (``float(end(v))``) rather than by sorting thousands of exact rationals: rounding to the
    nearest double is monotone, so the k-th smallest exact end lies in the group whose double
    equals the k-th smallest double, after every end with a smaller double; only that group
    (usually one value) is compared exactly. An end that is not a finite double takes the
    exact sort."""
    keys = [float(end(v)) for v in values]
    if not all(math.isfinite(key) for key in keys):
        return sorted(exact(v) for v in values)[k - 1]
    cut = sorted(keys)[k - 1]
    below = sum(1 for key in keys if key < cut)
    group = sorted(exact(v) for v, key in zip(values, keys, strict=True) if key == cut)
    return group[k - 1 - below]


def _count_above(values: Sequence[float], bound: Fraction) -> int:
    """#{v > bound}, exactly. For finite doubles v > bound iff v > b, b the largest double
    <= bound (a double above b is above bound: the next one past b exceeds it), so a
    vectorized float comparison gives the exact count; other values are compared as Fractions."""
    try:
        below = float(bound)
    except OverflowError:
        below = math.inf
    floats = np.asarray(values, dtype=np.float64) if len(values) else np.zeros(0)
    if not (
        math.isfinite(below)
        and all(type(v) is float for v in values)
        and bool(np.isfinite(floats).all())
    ):
        return sum(1 for v in values if Fraction(v) > bound)
    if Fraction(below) > bound:
        below = math.nextafter(below, -math.inf)
    return int(np.count_nonzero(floats > below))


def exceedance_interval(
    lower_values: Sequence[float],
    upper_values: Sequence[float],
    threshold: arb | Fraction | float,
    alpha: float,
) -> tuple[Fraction, Fraction, int, int]:
    """One-sided Clopper-Pearson bounds, each at level 1 - alpha, for p = P(X > t) from
    enclosures [L_i, U_i] of n i.i.d. draws X_i (any law: no tail assumption), and the two counts.

    L_i > t implies X_i > t, and X_i > t implies U_i > t, so k_lo = #{L_i > t} <= #{X_i > t} <=
    k_hi = #{U_i > t}, with #{X_i > t} ~ Bin(n, p). The Clopper-Pearson lower end is increasing
    in the count and the upper end too, so clopper_pearson_lower(k_lo) and
    clopper_pearson_upper(k_hi) keep their levels. The threshold may be an enclosure: L_i is
    compared with its upper end and U_i with its lower end (exact rational comparisons)."""
    n = len(lower_values)
    if n < 1 or len(upper_values) != n or not 0 < alpha < 1:
        raise ValueError(f"bad arguments n={n}, upper={len(upper_values)}, alpha={alpha}")
    t = to_arb(threshold)
    t_low, t_high = lower(t), upper(t)
    k_lo = _count_above(lower_values, t_high)
    k_hi = _count_above(upper_values, t_low)
    return clopper_pearson_lower(k_lo, n, alpha), clopper_pearson_upper(k_hi, n, alpha), k_lo, k_hi


def _exact_numerators(values: Sequence[Fraction]) -> tuple[list[int], int]:
    """The values as integers over one common denominator (the lcm of theirs)."""
    common = math.lcm(*(v.denominator for v in values)) if values else 1
    return [v.numerator * (common // v.denominator) for v in values], common


def _exact_prefix_sums(values: Sequence[Fraction]) -> tuple[list[int], int]:
    """The prefix sums [0, v_0, v_0 + v_1, ...] exactly, as integers over one common denominator
    (the lcm of the denominators: the largest power of two for floats): integer additions
    instead of a gcd per Fraction sum, the same rationals."""
    numerators, common = _exact_numerators(values)
    return _prefix_sums(numerators), common


def _float_numerators(values: Sequence[float]) -> tuple[list[int], int] | None:
    """Finite floats as integers over one common denominator (the largest power of two among
    theirs, which every other divides): ``_exact_prefix_sums``'s integers without a Fraction
    per value; None unless every value is a float."""
    if not all(type(v) is float for v in values):
        return None
    ratios = [v.as_integer_ratio() for v in values]  # exact; raises on nan and inf as Fraction
    common = max((den for _, den in ratios), default=1)
    return [num * (common // den) for num, den in ratios], common


def _prefix_sums(numerators: list[int]) -> list[int]:
    running, sums = 0, [0]
    for numerator in numerators:
        running += numerator
        sums.append(running)
    return sums


def nonnegative_mean_lower(
    values: Sequence[float], levels: Sequence[Fraction | float], alpha: float
) -> Fraction:
    """A lower confidence bound (level 1 - alpha) for E[X] of a nonnegative X from i.i.d. draws
    (or lower enclosures of them), with no tail assumption. For each level M fixed before the
    draws are seen, two bounds, each at alpha/(2m) (union bound over the 2m statements):

    - Hoeffding on min(X, M), which lies in [0, M] and is <= X:
      E[X] >= mean(min(x_i, M)) - M sqrt(log(2m/alpha)/(2n));
    - Markov's event form, E[X] >= M P(X >= M), with P(X >= M) above its one-sided
      Clopper-Pearson lower bound (``clopper_pearson_lower``).

    The second catches rare large values (heavy tails) that clipping discards."""
    n = len(values)
    if n < 1 or not levels or not 0 < alpha < 1:
        raise ValueError(f"bad arguments n={n}, levels={len(levels)}, alpha={alpha}")
    if any(not v >= 0 for v in values):
        raise ValueError("values must be nonnegative numbers")
    share = alpha / (2 * len(levels))
    # Floats sort as their exact rationals do (equal floats, equal rationals): sorting the floats
    # is the same order at a fraction of the cost of comparing Fractions.
    ordered = sorted(values)
    scaled = _float_numerators(ordered)
    if scaled is None:
        exact: Sequence[Fraction | float] = [Fraction(v) for v in ordered]
        prefix, common = _exact_prefix_sums(exact)
    else:  # floats are dyadic: exact integer sums; float < Fraction compares exactly
        exact, (numerators, common) = ordered, scaled
        prefix = _prefix_sums(numerators)
    best = Fraction(0)
    with precision(96):
        slack = ((1 / to_arb(share)).log() / (2 * n)).sqrt()
        for level in levels:
            m = Fraction(level)
            below = bisect_left(exact, m)  # values < m; the rest are clipped to m
            exceed = n - below
            clipped = (Fraction(prefix[below], common) + m * exceed) / n
            best = max(best, lower(to_arb(clipped) - to_arb(m) * slack))
            # The Clopper-Pearson lower end is at most exceed/n: skip it (the costly part, a
            # bisection on the beta function) when even m exceed/n cannot beat the best so far.
            if m * exceed > best * n:
                best = max(best, m * clopper_pearson_lower(exceed, n, share))
    return best


def empirical_bernstein_upper(
    values: Sequence[float], bound: Fraction | float, alpha: float
) -> arb:
    """An upper confidence bound (level 1 - alpha) for E[X] of an X in [0, bound] from n i.i.d.
    draws: the empirical Bernstein bound of Maurer and Pontil (2009, Theorem 4), one-sided,

      E[X] <= mean + sqrt(2 V_n log(2/alpha) / n) + 7 bound log(2/alpha) / (3 (n - 1)),

    V_n the unbiased sample variance. Valid for every law on [0, bound] (no asymptotics).
    Mean and variance are exact rational sums of the (dyadic) floats; the rest is arb, and the
    returned ball's upper end is the bound. A value outside [0, bound] is an error: the caller
    counts and reports such values before calling (an almost-sure bound that fails is wrong)."""
    n = len(values)
    m = Fraction(bound)
    if n < 2 or not m > 0 or not 0 < alpha < 1:
        raise ValueError(f"bad arguments n={n}, bound={bound}, alpha={alpha}")
    scaled = _float_numerators(values)
    if scaled is None:
        exact = [Fraction(v) for v in values]
        if any(not 0 <= v <= m for v in exact):
            raise ValueError("values must lie in [0, bound]")
        numerators, common = _exact_numerators(exact)
    else:  # finite floats: the range from float comparisons and the largest value's exact one
        numerators, common = scaled
        if any(not v >= 0.0 for v in values) or Fraction(max(values)) > m:
            raise ValueError("values must lie in [0, bound]")
    total = Fraction(sum(numerators), common)  # exact sums over one common denominator
    squares = sum(numerator * numerator for numerator in numerators)
    mean = total / n
    variance = (Fraction(squares, common * common) - total * mean) / (n - 1)
    with precision(96):
        log_term = (2 / to_arb(alpha)).log()
        return (
            to_arb(mean)
            + (2 * to_arb(variance) * log_term / n).sqrt()
            + 7 * to_arb(m) * log_term / (3 * (n - 1))
        )


def chi_square_tail_moment(a: arb | Fraction | float, b: arb | Fraction | float, k: int, q) -> arb:
    """E[(a + b Q) 1{Q > q}] for Q ~ chi-square with k degrees of freedom, enclosed:
    a Q(k/2, q/2) + b k Q(k/2 + 1, q/2), Q(s, z) the regularized upper incomplete gamma function
    (E[Q 1{Q > q}] = k P(chi2_{k+2} > q): the chi-square density times x/k is the density with
    k + 2 degrees of freedom)."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    half = to_arb(q) / 2
    s = arb(k) / 2
    return to_arb(a) * half.gamma_upper(s, regularized=1) + to_arb(b) * k * half.gamma_upper(
        s + 1, regularized=1
    )
