"""mixture_reverse_sde: the algebra of the TV bound (sympy), and the certified distances against
independent numerical integrals."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from flint import arb

from tests._groups import SCIPY_STATS_SYMPY
from verify.core.numbers import precision, to_arb
from verify.maths.samplers.gaussian_recursion import bias_schedule, gaussian_run
from verify.maths.samplers.mixture_reverse_sde import (
    MIXTURES,
    Mixture1D,
    distances,
    float_schedule,
    gaussian_tv,
    score_error_integral,
    score_levels,
)


def _gaussian_expectation(expr, x, mean, variance):
    """E[expr] for x ~ N(mean, variance), expr a polynomial in x of degree <= 2 (moments)."""
    import sympy as sp

    z = sp.Symbol("z")
    poly = sp.Poly(sp.expand(expr.subs(x, mean + sp.sqrt(variance) * z)), z)
    moments = {0: 1, 1: 0, 2: 1}
    return sum(c * moments[k] for (k,), c in poly.terms())


@SCIPY_STATS_SYMPY
def test_gaussian_kl_and_its_quadratic_bound_by_sympy() -> None:
    import sympy as sp

    x, m = sp.symbols("x m", real=True)
    v, w = sp.symbols("v w", positive=True)
    # log q - log g for q = N(m, v), g = N(0, w): a quadratic in x, averaged under q
    log_ratio = -((x - m) ** 2) / (2 * v) + x**2 / (2 * w) - sp.log(v / w) / 2
    kl = _gaussian_expectation(log_ratio, x, m, v)
    closed = (m**2 / w + v / w - 1 - sp.log(v / w)) / 2
    assert sp.simplify(kl - closed) == 0
    # f(x) = x - 1 - log x <= (x-1)^2/2 for x >= 1 and <= (1-x)^2/(2x) for x < 1: both gaps
    # vanish at 1 and move away from 0 monotonically (derivatives of one sign).
    t = sp.symbols("t", positive=True)
    f = t - 1 - sp.log(t)
    above = sp.diff((t - 1) ** 2 / 2 - f, t)
    below = sp.diff((1 - t) ** 2 / (2 * t) - f, t)
    assert sp.simplify(above - (t - 1) ** 2 / t) == 0  # >= 0: the gap grows for t > 1
    assert sp.simplify(below + (t - 1) ** 2 / (2 * t**2)) == 0  # <= 0 on (0, 1)


@SCIPY_STATS_SYMPY
def test_contraction_and_tail_integral_by_sympy() -> None:
    import sympy as sp

    s2, hi, lo, u, big_u, t2 = sp.symbols("s2 hi lo u U t2", positive=True)
    w, w_next, du = s2 + hi, s2 + lo, hi - lo
    assert sp.simplify((1 - du / w) - w_next / w) == 0  # a_k = w_{k+1} / w_k
    # int_U^oo (1/(t2 + u) - 1/(s2 + u)) du = log((s2 + U)/(t2 + U)): F(u) = log((t2 + u)/(s2 + u))
    # is an antiderivative of the integrand and vanishes at infinity, so the integral is -F(U)
    # (the fundamental theorem; sympy's own integrate() takes ~2 s to reach the same).
    antiderivative = sp.log((t2 + u) / (s2 + u))
    integrand = 1 / (t2 + u) - 1 / (s2 + u)
    assert sp.simplify(sp.diff(antiderivative, u) - integrand) == 0
    assert sp.limit(antiderivative, u, sp.oo) == 0
    tail = -antiderivative.subs(u, big_u)
    assert sp.simplify(sp.expand_log(tail - sp.log((s2 + big_u) / (t2 + big_u)), force=True)) == 0


@SCIPY_STATS_SYMPY
def test_heat_flow_kl_identity_on_gaussians_by_sympy() -> None:
    import sympy as sp

    # d/du KL(N(m, a+u) || N(0, b+u)) = -(1/2) E_p |s_p - s_g|^2 (the identity behind E)
    u, a, b = sp.symbols("u a b", positive=True)
    m, x = sp.symbols("m x", real=True)
    va, vb = a + u, b + u
    kl = (m**2 / vb + va / vb - 1 - sp.log(va / vb)) / 2
    fisher_gap = _gaussian_expectation((-(x - m) / va + x / vb) ** 2, x, m, va)
    assert sp.simplify(sp.diff(kl, u) + fisher_gap / 2) == 0


def _numeric_tv(q_mean: float, q_sd: float, target: Mixture1D) -> float:
    from scipy import integrate

    def gap(x: float) -> float:
        p = sum(
            float(w) * math.exp(-((x - float(m)) ** 2) / (2 * float(t) ** 2)) / float(t)
            for w, m, t in target.components()
        )
        q = math.exp(-((x - q_mean) ** 2) / (2 * q_sd**2)) / q_sd
        return abs(p - q) / math.sqrt(2 * math.pi)

    return integrate.quad(gap, -30, 30, limit=400, points=[q_mean])[0] / 2


@SCIPY_STATS_SYMPY
def test_gaussian_tv_closed_form_against_quadrature_and_cells() -> None:
    for m1, v1, m2, v2 in ((0.6, 1.3, 0.5, 1.0), (0.0, 0.2, 1.0, 3.0), (2.0, 1.0, 0.0, 1.0001)):
        exact = gaussian_tv(arb(m1), arb(v1), arb(m2), arb(v2))
        target = Mixture1D.gaussian(m2, math.sqrt(v2))
        assert abs(float(exact.mid()) - _numeric_tv(m1, math.sqrt(v1), target)) < 1e-7
        cells = distances(arb(m1), arb(v1), Mixture1D((target.means[0],), (target.stds[0],), (1,)))
        # the Gaussian built from sqrt(v2) as a float has variance v2 to double rounding only
        assert cells.tv.overlaps(exact) or abs(float(cells.tv.mid() - exact.mid())) < 1e-9
    # equal variances: 2 Phi(|gap| / 2 sd) - 1
    same = gaussian_tv(arb(0), arb(1), arb(1), arb(1))
    assert abs(float(same.mid()) - math.erf(0.5 / math.sqrt(2))) < 1e-12


@SCIPY_STATS_SYMPY
@pytest.mark.parametrize("name", sorted(MIXTURES))
def test_mixture_tv_and_w2_enclose_quadrature(name: str) -> None:
    target = Mixture1D.named(name)
    q_mean, q_var = float(target.mean) + 0.05, float(target.variance) * 1.1
    found = distances(to_arb(q_mean), to_arb(q_var), target)
    numeric = _numeric_tv(q_mean, math.sqrt(q_var), target)
    assert float(found.tv.lower()) - 1e-9 <= numeric <= float(found.tv.upper()) + 1e-9
    assert found.tv.rad() < 1e-3
    assert float(found.w2_lower.mid()) <= float(found.w2_upper.mid())


@pytest.mark.usefixtures("main_job_memos")
def test_score_error_integral_bounds_the_quadrature() -> None:
    # F.2's quick mixture example (three_skewed, 100 steps from 20 to 0.05, 16 levels): run
    # after the main job in its process, the cell tables of its 17 levels are already built.
    target = Mixture1D.named("three_skewed")
    schedule = float_schedule(20.0, 0.05, 100)
    with precision(64):  # the main job's working precision (the tables are kept per precision)
        levels = score_levels(schedule[0], schedule[-1], 16)
        bound, errors, tail = score_error_integral(target, levels)
    law = target.laws_mixture()
    s2 = float(target.variance)
    xs = np.linspace(-40, 40, 8001)

    def error(u: float) -> float:  # E_{p_u} |s_p - s_g|^2 by a fine Riemann sum
        sig = math.sqrt(u)
        p = law.density_np(xs, sig)
        gap = law.score_np(xs, sig) + (xs - float(target.mean)) / (s2 + u)
        return float((gap**2 * p).sum() * (xs[1] - xs[0]))

    us = np.geomspace(0.05**2, 400, 120)
    values = [error(u) for u in us]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(values))  # monotone in u
    integral = float(np.trapezoid(values, us))
    assert integral <= float(bound.upper())
    assert float(bound.mid()) < 3 * integral + float(tail.upper())  # and not vacuous
    # I(U) = J(p_U) - 1/(s^2 + U) (moment matching) agrees with the direct integral
    for level, enclosure in zip(levels, errors, strict=True):
        direct = error(float(level.mid()))
        assert float(enclosure.lower()) - 1e-6 <= direct <= float(enclosure.upper()) + 1e-6


def test_contracted_bounds_cover_the_recursion() -> None:
    import torch

    from verify.maths.samplers.sde import geometric_schedule

    for steps, eps in ((25, 0.0), (200, 0.1)):
        sigmas = [float(v) for v in geometric_schedule(20.0, 0.05, steps).to(torch.float64)]
        run = gaussian_run(sigmas, 0.7, 0.0, 0.49 + sigmas[0] ** 2, bias_schedule(sigmas, eps))
        # the contracted bounds are the unrolled recursion itself: never certainly below it
        assert not abs(run.mean_error) > run.contracted_mean_bound
        gap = abs(run.variance - run.target_variance)
        assert not gap > run.contracted_variance_bound
        assert gap.overlaps(run.contracted_variance_bound)
        assert run.contracted_variance_bound <= run.variance_bound
