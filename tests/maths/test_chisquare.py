"""Certified chi-square tails against mpmath, and the float screens against the enclosures."""

from __future__ import annotations

import mpmath
import pytest
import torch

from verify.core.numbers import contains, precision
from verify.maths.chisquare import (
    chi2_cdf,
    chi2_sf,
    gamma_p,
    ncx2_cdf,
    ncx2_cdf_lower,
    ncx2_cdf_torch,
    ncx2_cdf_upper_far,
    poisson_window,
)


@pytest.mark.parametrize(
    ("m", "x"),
    [(1, 0.5), (1, 43.0), (3, 2.7), (10, 0.5), (10, 70.0), (1000, 900.0), (1000, 1100.0)],
)
def test_central_tails_contain_mpmath(m: int, x: float) -> None:
    with precision(80), mpmath.workdps(40):
        p, q = chi2_cdf(x, m), chi2_sf(x, m)
        ref_p = mpmath.gammainc(mpmath.mpf(m) / 2, 0, mpmath.mpf(x) / 2, regularized=True)
        ref_q = mpmath.gammainc(mpmath.mpf(m) / 2, mpmath.mpf(x) / 2, mpmath.inf, regularized=True)
        assert contains(p, ref_p)
        assert contains(q, ref_q)
    assert float(p.rad()) <= 1e-12 * max(float(p.mid()), 1e-300) + 1e-300


def test_large_order_lower_tail_is_tight() -> None:
    # arb's own gamma_lower loses everything here; the series must not.
    with precision(64), mpmath.workdps(40):
        p = chi2_cdf(9000.0, 10_000)
        ref = mpmath.gammainc(5000, 0, 4500, regularized=True)
        assert contains(p, ref)
    assert float(p.rad()) < 1e-10 * float(p.mid())


def test_gamma_p_zero_and_domain() -> None:
    assert gamma_p(2.5, 0) == 0
    with pytest.raises(ValueError):
        gamma_p(-1.0, 1.0)


def _ncx2_reference(x: float, m: int, lam: float) -> mpmath.mpf:
    with mpmath.workdps(40):
        half = mpmath.mpf(lam) / 2
        total = mpmath.mpf(0)
        for j in range(0, int(half + 15 * mpmath.sqrt(half + 1) + 50)):
            w = (
                mpmath.exp(-half + j * mpmath.log(half) - mpmath.loggamma(j + 1))
                if half
                else (1 if j == 0 else 0)
            )
            total += w * mpmath.gammainc(
                mpmath.mpf(m) / 2 + j, 0, mpmath.mpf(x) / 2, regularized=True
            )
        return total


@pytest.mark.parametrize(
    ("x", "m", "lam"),
    [(1.0, 5, 1.0), (10.0, 5, 30.0), (50.0, 5, 30.0), (1000.0, 32, 830.0), (400.0, 32, 830.0)],
)
def test_noncentral_contains_reference(x: float, m: int, lam: float) -> None:
    ref = _ncx2_reference(x, m, lam)
    with precision(80), mpmath.workdps(40):
        value = ncx2_cdf(x, m, lam)
        low = ncx2_cdf_lower(x, m, lam)
        assert contains(value, ref)
    assert float(low.mid()) <= float(ref) * (1 + 1e-12)
    screen = float(ncx2_cdf_torch(torch.tensor(x), m, torch.tensor(lam)))
    assert screen == pytest.approx(float(ref), rel=1e-8)


def test_noncentral_window_large_parameter() -> None:
    # windowed Poisson sum (lambda/2 > 200): compare with a Monte-Carlo-free identity, the
    # central limit: |z + mu|^2 has mean m + lambda; P(below the mean) is near 1/2.
    lo, hi = poisson_window(3000.0, 32, 1500.0)
    assert 0 < lo < 1500 < hi
    with precision(64):
        value = ncx2_cdf(3032.0, 32, 3000.0)
    assert 0.45 < float(value.mid()) < 0.55
    assert float(value.rad()) < 1e-8


def test_far_bound_is_an_upper_bound() -> None:
    with precision(64):
        bound = ncx2_cdf_upper_far(4.0, 3, 100.0)
        value = ncx2_cdf(4.0, 3, 100.0)
    assert value.upper() <= bound.lower() or value < bound
    assert ncx2_cdf_upper_far(100.0, 3, 4.0) == 1


@pytest.mark.parametrize("bits", [64, 128])
def test_the_ladder_cache_changes_no_ball(bits: int) -> None:
    """P(m/2 + j, x/2) along a window is cached by (x, m, window, precision): a CDF read through
    the cache is the very ball (midpoint and radius) of one computed afresh."""
    from flint import arb

    from verify.maths import chisquare

    x = arb("7742.5077782740839", "1.3e-14")
    lams = [arb("1.6039243673506032"), arb("895.39168744305371"), arb("1.6039243673506")]
    with precision(bits):
        chisquare._LADDERS.clear()
        fresh = []
        for lam in lams:
            chisquare._LADDERS.clear()
            fresh.append(chisquare._ncx2_parts(x, 3, lam, None))
        cached = [chisquare._ncx2_parts(x, 3, lam, None) for lam in lams * 2]
    for (a, b), (c, d) in zip(fresh * 2, cached, strict=True):
        for u, v in ((a, c), (b, d)):
            assert u.mid() == v.mid() and u.rad() == v.rad()


def test_ready_made_exact_balls_do_not_change_the_mixture() -> None:
    """The divisors and orders kept between calls (grown by other windows) are exact, and the
    mixture sum takes exactly its window's divisors: the plain loop's balls, whatever was kept."""
    from flint import arb

    from verify.maths import chisquare

    for m in (1, 3, 8):
        halves = chisquare._half_integers(m, 37)
        assert len(halves) >= 37
        assert all(h.is_exact() and h == arb(m) / 2 + j for j, h in enumerate(halves))
    chisquare._exact_integers(5000)  # a longer list kept from some other call
    with precision(64):
        for x, m, lam, terms in [(arb(30) / 7, 3, arb(50) / 3, 40), (arb(2), 1, arb(1) / 9, 7)]:
            total, _ = chisquare._ncx2_parts(x, m, lam, terms)
            values, _ = chisquare._gamma_p_ladder(x, m, 0, terms)
            mu = lam / 2
            weight, expected = (-mu).exp(), arb(0)
            for j in range(terms):
                expected += weight * values[j]
                weight = weight * mu / (j + 1)
            assert total.mid() == expected.mid() and total.rad() == expected.rad()
