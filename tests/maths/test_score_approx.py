"""verify.maths.score_approx: enclosures against float quadrature, and against verify.maths.laws."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from verify.core.numbers import ball, lower, upper
from verify.maths.laws import FiniteMixture
from verify.maths.nets.pwl import PiecewiseLinear
from verify.maths.score_approx import (
    H1_K,
    capped_approximation,
    capped_parameters,
    cell_data,
    far_from_mean,
    h2_tail_bound,
    interpolation_error,
    large_score,
    posterior_cumulants,
    pwl_error,
    smoothed,
    square_range,
)

F = Fraction
# (law, sigma) pairs and their smoothed forms (``smoothed``) for the pointwise checks.
ATOMS = (FiniteMixture([F(-3), F(0), F(4)], [0, 0, 0], [F(1, 4), F(1, 2), F(1, 4)]), F(1))
WIDE = (FiniteMixture([F(-1), F(5, 2)], [F(1, 2)] * 2, [F(2, 3), F(1, 3)]), F(1, 2))
LAW = smoothed(*ATOMS)
MIXTURE = smoothed(*WIDE)
XS = np.linspace(-16.0, 17.0, 330_001)
DX = XS[1] - XS[0]


def _quad(law, values: np.ndarray) -> float:
    return float(np.sum(values * law.density_np(XS)) * DX)


def _inside(enclosure, value: float, slack: float = 1e-6) -> bool:
    return float(lower(enclosure)) - slack <= value <= float(upper(enclosure)) + slack


@pytest.mark.parametrize("law", [LAW, MIXTURE])
def test_pointwise_score_and_derivative_contain_the_float_values(law) -> None:
    for x in [F(-7), F(-1, 3), F(0), F(5, 2), F(9)]:
        s = law.score(x)
        d = law.score_derivative(x)
        assert _inside(s, float(law.score_np(float(x))), 1e-12)
        assert _inside(d, float(law.score_derivative_np(float(x))), 1e-12)
        # ball evaluation contains the point values of its interior
        cell = ball(x - F(1, 8), x + F(1, 8))
        assert law.score_derivative(cell).contains(d)


def test_scores_agree_with_verify_smoothed() -> None:
    smoothed = pytest.importorskip("verify.maths.laws")
    other = smoothed.AtomicLaw(list(LAW.atoms), list(LAW.weights))
    for x in [F(-5), F(1, 2), F(3)]:
        assert LAW.score(x).overlaps(other.score(x, 1))
        assert LAW.score_derivative(x).overlaps(other.score_derivative(x, 1))
        assert LAW.density(x).overlaps(other.density(x, 1))


def test_square_range_is_tight_and_sound() -> None:
    around_zero = square_range(ball(-1, 2))
    assert float(lower(around_zero)) >= -1e-7 and float(upper(around_zero)) >= 4
    assert float(upper(around_zero)) <= 4 + 1e-7
    positive = square_range(ball(2, 3))
    assert positive.contains(arb(4)) and positive.contains(arb(9))
    assert float(lower(positive)) >= 4 - 1e-7


@pytest.mark.parametrize("anchor", [F(0), F(1, 3), F(-7, 5)])
def test_pwl_error_encloses_quadrature_on_random_functions(anchor: Fraction) -> None:
    # Regression: cells must start on f's grid even when the anchor is off the cell lattice.
    rng = random.Random(7)
    step = F(1, 2)
    xs = [anchor + i * step for i in range(-30, 31)]
    ys = [F(rng.randint(-400, 400), 100) for _ in xs]
    f = PiecewiseLinear.from_points(xs, ys, F(0), F(0))
    bound = max(abs(y) for y in ys)
    for pair in (ATOMS, WIDE):
        law = smoothed(*pair)
        enclosure = pwl_error(*pair, f, anchor, step, 4, bound)
        fx = np.interp(XS, [float(x) for x in xs], [float(y) for y in ys])
        assert _inside(enclosure, _quad(law, (fx - law.score_np(XS)) ** 2), 1e-9)


def test_pwl_error_rejects_breakpoints_off_the_grid() -> None:
    f = PiecewiseLinear.from_points([F(0), F(1, 3)], [F(0), F(1)], F(0), F(0))
    with pytest.raises(ValueError):
        pwl_error(*ATOMS, f, F(0), F(1, 2), 2, F(1))


def test_interpolation_error_and_window_sup_enclose_quadrature() -> None:
    from scipy.ndimage import maximum_filter1d

    eps = F(1, 2)
    result = interpolation_error(*ATOMS, eps, 4)
    grid = np.arange(-20.0, 21.0, float(eps))
    shat = np.interp(XS, grid, LAW.score_np(grid))
    assert _inside(result.error, _quad(LAW, (shat - LAW.score_np(XS)) ** 2), 1e-9)
    window = round(float(eps) / DX)
    sup = maximum_filter1d(LAW.score_derivative_np(XS) ** 2, 2 * window + 1)
    assert _inside(result.window_sup, _quad(LAW, sup), 1e-4)


def test_far_from_mean_and_large_score_enclose_quadrature() -> None:
    from scipy.ndimage import maximum_filter1d

    s = LAW.score_np(XS)
    far = np.abs(XS - float(LAW.mean)) >= 3
    result = far_from_mean(*ATOMS, F(3), F(5), 16)
    assert _inside(result.probability, _quad(LAW, far * 1.0), 1e-4)  # indicator: O(dx)
    assert _inside(result.score_square, _quad(LAW, far * s**2), 1e-3)
    assert _inside(result.worst_bounded, _quad(LAW, far * (np.abs(s) + 5) ** 2), 1e-4)
    # t beyond the core: everything comes from the tail bounds
    beyond = far_from_mean(*ATOMS, F(40), F(1), 16)
    assert float(lower(beyond.score_square)) <= 1e-30 <= float(upper(beyond.score_square)) + 1
    res = large_score(*ATOMS, F(1, 4), F(2), 4)
    window = round(0.25 / DX)
    event = maximum_filter1d(np.abs(s), 2 * window + 1) >= 2
    assert _inside(res.window_probability, _quad(LAW, event * 1.0), 1e-4)
    assert _inside(res.window_score_square, _quad(LAW, event * s**2), 1e-3)
    assert _inside(res.excess_square, _quad(LAW, np.maximum(np.abs(s) - 2, 0) ** 2), 1e-4)
    assert _inside(res.level_score_square, _quad(LAW, (np.abs(s) > 2) * s**2), 1e-3)


def test_h2_tail_bound_is_above_the_exact_value() -> None:
    from math import erfc, exp, pi, sqrt

    for delta in [0.01, 0.1, 0.5, 0.9]:
        lo, hi = 0.0, 40.0
        for _ in range(200):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if erfc(mid / sqrt(2)) > delta else (lo, mid)
        exact = delta + 2 * lo * exp(-lo * lo / 2) / sqrt(2 * pi)
        bound = h2_tail_bound(arb(delta))
        assert float(upper(bound)) >= exact - 1e-12
        assert float(upper(bound)) <= exact + 1e-6


def test_capped_parameters_meet_their_formulas_exactly() -> None:
    for sigma, delta in [(F(1), F(1, 2)), (F(1, 2), F(3)), (F(2), F(1, 16))]:
        p = capped_parameters(sigma, delta, F(1, 3), F(5))
        assert p.eps**2 <= sigma**4 * delta / (8 * H1_K) and p.eps <= sigma / 4
        assert p.cap**2 >= 96 / (sigma**4 * delta)
        assert p.half_width**2 >= 768 * F(5) / (sigma**4 * delta**2)
        assert p.steps * p.eps >= p.half_width
    with pytest.raises(ValueError):
        capped_parameters(F(1), F(1), F(0), F(1))


def test_capped_approximation_is_clipped_and_flat_at_the_ends() -> None:
    f, p = capped_approximation(*ATOMS, F(1, 2))
    values = f.values_at_breakpoints()
    assert max(abs(v) for v in values) <= p.cap
    assert f.slopes[0] == 0 and f.slopes[-1] == 0
    # The construction as written: clip(round(s(x_i))) at every node x_i, |i| <= steps, linear
    # between nodes. The built f skips certainly-capped nodes and merges collinear pieces, so
    # it must be that same function: equal at every node, breakpoints among the nodes, the end
    # nodes kept; its piece count is at most the formal 2 steps + 2.
    from verify.maths.score_approx import VALUE_DENOMINATOR, smoothed

    xs = [p.centre + i * p.eps for i in range(-p.steps, p.steps + 1)]
    raw = smoothed(*ATOMS).score_np(np.array([float(x) for x in xs]))
    formal = [
        min(p.cap, max(-p.cap, F(round(float(v) * VALUE_DENOMINATOR), VALUE_DENOMINATOR)))
        for v in raw
    ]
    assert [f(x) for x in xs] == formal
    assert set(f.breakpoints) <= set(xs)
    assert (f.breakpoints[0], f.breakpoints[-1]) == (xs[0], xs[-1])
    assert f.pieces <= 2 * p.steps + 2


def test_possibly_ge_counts_undecided_as_true() -> None:
    """Issue 16 item 3: in ``large_score`` an undecided comparison (the level 1/3 is a ball)
    read as False dropped a cell from the upper bounds; ``possibly_ge`` keeps it."""
    from verify.core.numbers import to_arb
    from verify.maths.score_approx import possibly_ge

    level = to_arb(Fraction(1, 3))
    at_level = arb(level.mid())
    assert not (at_level >= level)  # the old test: undecided, read as False
    assert possibly_ge(at_level, level)
    assert not possibly_ge(level - 1, level)


def test_cell_data_integer_forms_are_the_fraction_forms() -> None:
    # Lattice nodes and cell centres are formed from integers (hot paths): the same rationals,
    # hence the same enclosures, as the Fraction expressions; with a negative, non-dyadic start.
    lo, h = F(-37, 6), F(1, 12)
    data = cell_data(MIXTURE, lo, lo + 40 * h, h)
    assert data.nodes == [lo + i * h for i in range(41)]
    for i in (0, 7, 39):
        centre = (data.nodes[i] + data.nodes[i + 1]) / 2
        point = arb(centre.numerator) / arb(centre.denominator)
        v = arb(MIXTURE.variance.numerator) / arb(MIXTURE.variance.denominator)
        expected = (posterior_cumulants(MIXTURE, point, 3)[0] - point) / v
        assert data.score_mid[i].mid() == expected.mid()
        assert data.score_mid[i].rad() == expected.rad()


def _same_ball(a: arb, b: arb) -> bool:
    return a.mid() == b.mid() and a.rad() == b.rad()


@pytest.mark.parametrize("law", [LAW, MIXTURE], ids=["atoms", "mixture"])
@pytest.mark.parametrize("h", [F(1, 8), F(1, 7)], ids=["dyadic", "non-dyadic"])
def test_cell_data_loops_are_the_reference_functions(law, h: Fraction) -> None:
    # cell_data writes posterior_moments, lower_tail_mass, posterior_cumulants and density out
    # in its loops (hot paths): the very balls of the reference functions, on point nodes
    # (dyadic) and on nodes that are balls (h = 1/7).
    lo = F(-3) - 5 * h
    data = cell_data(law, lo, lo + 60 * h, h)
    v = arb(law.variance.numerator) / arb(law.variance.denominator)
    for i in (0, 1, 17, 59):
        u = arb(data.nodes[i].numerator) / arb(data.nodes[i].denominator)
        mean, var = law.posterior_moments(u)
        assert _same_ball(data.mean_at[i], mean)
        assert _same_ball(data.derivative_at[i], var / (v * v) - 1 / v)
        assert _same_ball(data.cdf_at[i], law.lower_tail_mass(u))
        nxt = arb(data.nodes[i + 1].numerator) / arb(data.nodes[i + 1].denominator)
        cell = (u + nxt) / 2 + arb(0, 1) * ((nxt - u) / 2)
        centre = data.centre(i)
        point = arb(centre.numerator) / arb(centre.denominator)
        m, k2, k3 = posterior_cumulants(law, point, 3)
        _, _, k3_on, k4_on = posterior_cumulants(law, cell, 4)
        assert _same_ball(data.score_mid[i], (m - point) / v)
        assert _same_ball(data.derivative_mid[i], k2 / (v * v) - 1 / v)
        assert _same_ball(data.second_mid[i], k3 / (v * v * v))
        assert _same_ball(data.second_on[i], k3_on / (v * v * v))
        assert _same_ball(data.third_on[i], k4_on / ((v * v) * (v * v)))
        assert _same_ball(data.density_on[i], law.density(cell))


def test_derivatives_on_is_derivative_on_per_cell() -> None:
    data = cell_data(MIXTURE, F(-4), F(6), F(1, 7))
    every = data.derivatives_on()
    assert len(every) == data.cells
    for i in range(data.cells):
        assert _same_ball(every[i], data.derivative_on(i))


def test_scores_on_is_score_on_per_cell() -> None:
    data = cell_data(LAW, F(-8), F(9), F(1, 6))
    every = data.scores_on()
    assert len(every) == data.cells
    for i in range(data.cells):
        assert _same_ball(every[i], data.score_on(i))
