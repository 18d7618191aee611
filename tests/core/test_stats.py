"""Clopper-Pearson, binomial quantile indices and the TV radius."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
from flint import arb

from verify.core import stats
from verify.core.numbers import precision
from verify.core.stats import (
    binomial_cdf,
    clopper_pearson,
    quantile_confidence_interval,
    quantile_order_indices,
    tv_deviation,
)


def _bisect(f, a, b, increasing=True):
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    for _ in range(120):
        mid = (a + b) / 2
        if (f(mid) < 0) == increasing:
            a = mid
        else:
            b = mid
    return (a + b) / 2


def _cp_reference(k: int, n: int, alpha: float):
    with mpmath.workdps(40):
        lo = (
            0
            if k == 0
            else _bisect(
                lambda p: mpmath.betainc(k, n - k + 1, 0, p, regularized=True) - alpha / 2,
                0,
                mpmath.mpf(k) / n,
            )
        )
        hi = (
            1
            if k == n
            else _bisect(
                lambda p: mpmath.betainc(k + 1, n - k, 0, p, regularized=True) - (1 - alpha / 2),
                mpmath.mpf(k) / n,
                1,
            )
        )
        return lo, hi


@pytest.mark.parametrize(("k", "n"), [(0, 10), (1, 10), (5, 10), (10, 10), (37, 200), (3, 5000)])
def test_clopper_pearson_is_exact_and_outward(k: int, n: int) -> None:
    lo, hi = clopper_pearson(k, n, 0.05)
    ref_lo, ref_hi = _cp_reference(k, n, 0.05)
    to_mp = lambda q: mpmath.mpf(q.numerator) / q.denominator  # noqa: E731
    assert to_mp(lo) <= ref_lo and to_mp(hi) >= ref_hi
    assert float(ref_lo) - float(lo) <= 1e-7 * max(float(ref_lo), 1e-12) + 1e-15
    assert float(hi) - float(ref_hi) <= 1e-7 + 1e-15
    assert lo <= Fraction(k, n) <= hi


def test_clopper_pearson_rejects_bad_counts() -> None:
    with pytest.raises(ValueError):
        clopper_pearson(5, 4, 0.05)
    with pytest.raises(ValueError):
        clopper_pearson(1, 4, 1.5)


def test_binomial_cdf_matches_sum() -> None:
    n, q = 12, 0.3
    exact = sum(mpmath.binomial(n, i) * q**i * (1 - q) ** (n - i) for i in range(5))
    value = binomial_cdf(4, n, q)
    assert value.overlaps(arb(mpmath.nstr(exact, 30)))


def test_quantile_indices_have_the_stated_coverage() -> None:
    n, q, alpha = 200, 0.3, 0.01
    k_lo, k_hi = quantile_order_indices(n, q, alpha)
    assert 1 <= k_lo < n * q < k_hi <= n
    # P(Bin >= k_lo) >= 1 - alpha/2 and P(Bin <= k_hi - 1) >= 1 - alpha/2, tight by one step
    assert 1 - float(binomial_cdf(k_lo - 1, n, q).mid()) >= 1 - alpha / 2
    assert 1 - float(binomial_cdf(k_lo, n, q).mid()) < 1 - alpha / 2
    assert float(binomial_cdf(k_hi - 1, n, q).mid()) >= 1 - alpha / 2
    assert float(binomial_cdf(k_hi - 2, n, q).mid()) < 1 - alpha / 2


def test_quantile_interval_from_exact_values() -> None:
    values = [arb(i) for i in range(1, 201)]
    lo, hi = quantile_confidence_interval(values, 0.5, 0.01)
    assert lo is not None and hi is not None and lo < 100 < hi
    lo, hi = quantile_confidence_interval(values[:20], 0.01, 0.01)
    assert lo is None  # too few samples for a lower end at q = 0.01


def test_tv_deviation_formula() -> None:
    r = tv_deviation(1000, 4, 0.01)
    expected = 0.5 * (3 / 1000) ** 0.5 + (mpmath.log(100) / 2000) ** 0.5
    assert float(expected) <= float(r) <= float(expected) + 1e-12


@pytest.mark.parametrize(("k", "n", "p"), [(1, 10, "0.3"), (17, 400, "0.041"), (500, 1000, "0.5")])
def test_tail_slope_encloses_the_binomial_density(k: int, n: int, p: str) -> None:
    """d/dp P(Bin(n, p) >= k) = n C(n-1, k-1) p^(k-1) (1-p)^(n-k), enclosed at a point and over
    a ball (its range there), against mpmath's derivative of the incomplete beta at 40 digits."""
    with mpmath.workdps(40):
        tail = lambda q: mpmath.betainc(k, n - k + 1, 0, q, regularized=True)  # noqa: E731
        exact = mpmath.diff(tail, mpmath.mpf(p))
        with precision(80):
            at_p = stats._tail_ge_slope(k, n, arb(p))
            ball = stats._tail_ge_slope(k, n, arb(p).union(arb(p) * (1 + arb(2) ** -20)))
        for value in (at_p, ball):
            assert value.overlaps(arb(mpmath.nstr(exact, 35)))
        assert at_p.rad() < 1e-18 * abs(float(exact))


@pytest.mark.parametrize(
    ("k", "n", "alpha"), [(3, 1000, 1e-3), (700, 20000, 1e-6), (999, 1000, 0.05)]
)
def test_the_near_evaluations_give_the_same_endpoints(monkeypatch, k, n, alpha) -> None:
    """Certified tests near the last evaluation use the mean value theorem instead of the
    incomplete beta: the endpoints are those of the bisection that evaluates it every time."""
    fast = (
        stats.clopper_pearson_lower.__wrapped__(k, n, alpha),
        stats.clopper_pearson_upper.__wrapped__(k, n, alpha),
    )
    monkeypatch.setattr(stats, "_NEAR", Fraction(0))
    monkeypatch.setattr(stats, "_chernoff_certifies", lambda *a, **kw: False)  # beta everywhere
    calls = []
    tail = stats._tail_ge
    monkeypatch.setattr(stats, "_tail_ge", lambda *a: calls.append(a) or tail(*a))
    slow = (
        stats.clopper_pearson_lower.__wrapped__(k, n, alpha),
        stats.clopper_pearson_upper.__wrapped__(k, n, alpha),
    )
    assert fast == slow
    assert len(calls) > 4  # the near route had evaluations to save


@pytest.mark.parametrize(
    ("k", "n", "p"),
    [(1, 10, "0.01"), (7, 10, "0.2"), (10, 10, "0.5"), (4998, 10000, "0.4388"), (0, 50, "0.3")],
)
def test_chernoff_bound_covers_the_binomial_tails(k: int, n: int, p: str) -> None:
    """exp(-n D(k/n || p)) >= P(Bin(n, p) >= k) for p <= k/n and >= P(Bin(n, p) <= k) for
    p >= k/n, against the binomial sums in mpmath at 40 digits (both sides of k/n)."""
    with mpmath.workdps(40):
        q = mpmath.mpf(p)
        for point in (q, 1 - q):
            with precision(80):
                bound = stats._chernoff_bound(k, n, arb(mpmath.nstr(point, 30)))
            point = mpmath.mpf(mpmath.nstr(point, 30))
            # the n + 1 terms by the ratio of consecutive ones (mpmath.binomial per term cost
            # 3 s at n = 10^4; 40 digits leave 10^4 roundings far below the 10^-12 asked)
            ratio = point / (1 - point)
            terms = [(1 - point) ** n]
            for j in range(n):
                terms.append(terms[-1] * ratio * (n - j) / (j + 1))
            if k >= 1 and point <= mpmath.mpf(k) / n:  # P(Bin(n, point) >= k)
                exact = mpmath.fsum(terms[k:])
                assert float(bound.lower()) >= exact * (1 - mpmath.mpf(10) ** -12)
            if k < n and point >= mpmath.mpf(k) / n:  # P(Bin(n, point) <= k)
                exact = mpmath.fsum(terms[: k + 1])
                assert float(bound.lower()) >= exact * (1 - mpmath.mpf(10) ** -12)


@pytest.mark.parametrize(
    ("k", "n", "alpha"),
    [(4998, 10000, 1e-6), (15928, 20000, 1e-6), (370, 2000, 0.05), (2481, 3000, 1e-30)],
)
def test_the_chernoff_bracket_gives_the_same_endpoints(monkeypatch, k, n, alpha) -> None:
    """The bracket ends certified by the Chernoff bound instead of the incomplete beta: the
    endpoints are those of the bisection that evaluates the beta there."""
    calls = []
    chernoff = stats._chernoff_certifies
    monkeypatch.setattr(
        stats, "_chernoff_certifies", lambda *a, **kw: calls.append(a) or chernoff(*a, **kw)
    )
    fast = (
        stats.clopper_pearson_lower.__wrapped__(k, n, alpha),
        stats.clopper_pearson_upper.__wrapped__(k, n, alpha),
    )
    assert len(calls) == 2
    monkeypatch.setattr(stats, "_chernoff_certifies", lambda *a, **kw: False)
    slow = (
        stats.clopper_pearson_lower.__wrapped__(k, n, alpha),
        stats.clopper_pearson_upper.__wrapped__(k, n, alpha),
    )
    assert fast == slow
