"""Tests of verify.maths.laws: enclosures contain the true values, two computations agree."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from verify.core.numbers import ball
from verify.maths.laws import (
    AtomicLaw,
    DiscretizedGaussian,
    GaussianMixture,
    TailBound,
    certified_expectation,
    certified_sup_abs,
    score_moment,
    window_sup_moment,
    window_sup_moment_ratio_screen,
)

LAWS = [
    AtomicLaw([-2.4, 2.4], [1, 1]),
    AtomicLaw([-3.0, 0.5, 1.0, 7.25], [0.1, 0.4, 0.2, 0.3]),
    GaussianMixture([-1.0, 0.5, 3.0], [0.5, 0.0, 1.25], [1, 2, 1]),
]
SIGMAS = [0.3, 1.0, 2.5]


def _float_derivative(f, x: float, step: float = 1e-5) -> float:
    return float((f(np.array([x + step])) - f(np.array([x - step])))[0] / (2 * step))


@pytest.mark.parametrize("law", LAWS, ids=repr)
@pytest.mark.parametrize("sigma", SIGMAS)
def test_point_values_match_float_screen_and_derivatives(law, sigma) -> None:
    for x in [-4.0, -0.7, 0.0, 0.3, 2.2, 9.0]:
        xs = np.array([x])
        assert float(law.density(x, sigma).mid()) == pytest.approx(
            float(law.density_np(xs, sigma)[0]), rel=1e-9
        )
        score = law.score(x, sigma)
        assert float(score.mid()) == pytest.approx(float(law.score_np(xs, sigma)[0]), abs=1e-8)
        # s = p'/p by a finite difference of the float density.
        fd = _float_derivative(lambda t: np.log(law.density_np(t, sigma)), x)
        assert float(score.mid()) == pytest.approx(fd, rel=1e-4, abs=1e-5)
        tweedie = law.score_derivative(x, sigma)
        direct = law.score_derivative(x, sigma, method="direct")
        assert tweedie.overlaps(direct)
        fd2 = _float_derivative(lambda t: law.score_np(t, sigma), x)
        assert float(tweedie.mid()) == pytest.approx(fd2, rel=1e-4, abs=1e-4)
        fd3 = _float_derivative(lambda t: law.score_derivative_np(t, sigma), x)
        second = float(law.score_second_derivative(x, sigma).mid())
        assert second == pytest.approx(fd3, rel=1e-3, abs=1e-3)


@pytest.mark.parametrize("law", LAWS, ids=repr)
def test_ball_enclosures_contain_every_point(law) -> None:
    rng = np.random.default_rng(7)
    sigma = 0.8
    for _ in range(12):
        centre = float(rng.uniform(-5, 8))
        radius = float(rng.choice([1e-3, 0.05, 0.3]))
        x = ball(centre - radius, centre + radius)
        enclosures = {
            "density": law.density(x, sigma),
            "score": law.score(x, sigma),
            "score_derivative": law.score_derivative(x, sigma),
            "score_derivative_direct": law.score_derivative(x, sigma, method="direct"),
        }
        for t in np.linspace(centre - radius, centre + radius, 9):
            assert enclosures["density"].contains(law.density(float(t), sigma))
            assert enclosures["score"].contains(law.score(float(t), sigma))
            assert enclosures["score_derivative"].contains(law.score_derivative(float(t), sigma))
            assert enclosures["score_derivative_direct"].overlaps(
                law.score_derivative(float(t), sigma)
            )
            assert law.score_second_derivative(x, sigma).contains(
                law.score_second_derivative(float(t), sigma)
            )


def test_tight_ball_enclosure_for_small_cells() -> None:
    law = AtomicLaw([-2.4, 2.4], [1, 1])
    x = ball(0.5, 0.5 + 1 / 64)
    enclosure = law.score_derivative(x, 1.0)
    ends = [float(law.score_derivative(t, 1.0).mid()) for t in (0.5, 0.5 + 1 / 64)]
    assert float(enclosure.rad()) < 2 * abs(ends[1] - ends[0])


def test_discretized_gaussian_matches_comb_closed_form() -> None:
    from verify.maths import comb

    law = DiscretizedGaussian(0.5, 0.25)
    for x in [0.0, 0.3, 2.0, -7.0]:
        for sigma in [0.1, 0.3, 2.0]:
            assert law.density(x, sigma).overlaps(
                comb.smoothed_comb_closed_form(x, sigma, 0.5, 0.25)
            )
            assert law.score_derivative(x, sigma).overlaps(
                law.score_derivative(x, sigma, method="direct")
            )
            fd = _float_derivative(lambda t, s=sigma: law.score_np(t, s), x)
            assert float(law.score_derivative(x, sigma).mid()) == pytest.approx(fd, rel=1e-4)


def test_discretized_gaussian_ball() -> None:
    law = DiscretizedGaussian(0.5, 0.0)
    x = ball(0.2, 0.21)
    enclosure = law.score_derivative(x, 0.3)
    for t in np.linspace(0.2, 0.21, 5):
        assert enclosure.contains(law.score_derivative(float(t), 0.3))


def test_certified_sup_abs_of_a_known_function() -> None:
    result = certified_sup_abs(lambda x: x * (1 - x), 0, 1, rtol=1e-6)
    assert result.contains(arb(1) / 4)
    assert float(result.rad()) < 1e-5


def test_certified_expectation_of_constants_and_moments() -> None:
    law = AtomicLaw([-1.0, 2.0], [1, 3])
    one = certified_expectation(lambda x: arb(1), law, 0.5, tail=TailBound(constant=1), cells=64)
    assert one.contains(1)
    second = certified_expectation(
        lambda x: x * x, law, 0.5, tail=TailBound(slope=2, power=2, constant=2 * 4), cells=512
    )
    exact = Fraction(1, 4) * 1 + Fraction(3, 4) * 4 + Fraction(1, 4)  # E Y^2 + sigma^2
    assert second.contains(arb(exact.numerator) / exact.denominator)


def test_score_moment_matches_quadrature_and_fisher_bound() -> None:
    law = AtomicLaw([-2.4, 2.4], [1, 1])
    xs = np.linspace(-14, 14, 400_001)
    dx = xs[1] - xs[0]
    for k in (2, 4):
        quad = float((np.abs(law.score_np(xs, 1.0)) ** k * law.density_np(xs, 1.0)).sum() * dx)
        enclosure = score_moment(law, 1.0, k, cells_per_sigma=8)
        assert float(enclosure.lower()) <= quad <= float(enclosure.upper())
        assert float(enclosure.rad()) < 0.05


def test_window_sup_moment_brackets_a_float_estimate() -> None:
    law = AtomicLaw([-2.4, 2.4], [1, 1])
    kappa = Fraction(1, 2)
    enclosure = window_sup_moment(law, 1.0, [kappa], cells_per_sigma=32)[kappa]
    xs = np.linspace(-12, 12, 24_001)
    dx = xs[1] - xs[0]
    values = law.score_derivative_np(xs, 1.0) ** 2
    m = int(0.5 / dx)
    sup = np.array([values[max(0, i - m) : i + m + 1].max() for i in range(len(xs))])
    estimate = float((sup * law.density_np(xs, 1.0)).sum() * dx)
    assert float(enclosure.lower()) <= estimate <= float(enclosure.upper())
    assert estimate == pytest.approx(2.01, abs=0.02)


def test_window_sup_moment_scale_and_translation_invariance() -> None:
    law = AtomicLaw([-1.5, 0.25, 3.0], [1, 2, 1])
    kappa = Fraction(1, 4)
    base = window_sup_moment(law, 1.0, [kappa], cells_per_sigma=32)[kappa]
    scaled = window_sup_moment(law.scaled(2.0), 2.0, [kappa], cells_per_sigma=32)[kappa] * 16
    moved = window_sup_moment(law.shifted(37.5), 1.0, [kappa], cells_per_sigma=32)[kappa]
    assert base.overlaps(scaled)
    assert base.overlaps(moved)
    assert float(abs(base - scaled).mid()) < 1e-6


def test_window_sup_moment_equal_std_mixture_matches_atoms_at_effective_sigma() -> None:
    # N(a_j, 0.75^2) smoothed at sigma = 1 is the atoms smoothed at 1.25: same integrand,
    # same law of x; eps = sigma / 4 = 1.25 / 5 and both grids have spacing 1/64.
    atoms = [-3.0, 0.5, 2.25]
    weights = [1.0, 2.0, 1.0]
    mixture = GaussianMixture(atoms, [0.75] * 3, weights)
    kappa = Fraction(1, 4)
    first = window_sup_moment(mixture, 1.0, [kappa])[kappa]
    second = window_sup_moment(
        AtomicLaw(atoms, weights), 1.25, [Fraction(1, 5)], cells_per_sigma=80
    )
    assert first.overlaps(second[Fraction(1, 5)])
    assert float(first.rad()) < 0.02 * float(first.mid())
    with pytest.raises(NotImplementedError):
        window_sup_moment(GaussianMixture(atoms, [0.5, 0.75, 0.75], weights), 1.0, [kappa])


@pytest.mark.parametrize(
    ("law", "sigma"),
    [
        (AtomicLaw([-2.4, 2.4], [1, 1]), 1.0),
        (AtomicLaw([-1.5, 0.25, 3.0, 7.0], [1, 2, 1, 0.5]), 0.5),
        (GaussianMixture([-3.0, 0.5, 2.25], [0.75] * 3, [1.0, 2.0, 1.0]), 2.0),
    ],
)
def test_window_ratio_screen_is_below_the_certified_ratio_and_close(law, sigma) -> None:
    # H.1 skips a grid when the screen's upper / lower is too large: that is sound for the
    # grid choice only if the certified enclosure on that grid is at least as wide.
    kappas = [Fraction(1, 4), Fraction(1, 2), Fraction(1)]
    for cells in (32, 64):
        screen = window_sup_moment_ratio_screen(law, sigma, kappas, cells_per_sigma=cells)
        certified = window_sup_moment(law, sigma, kappas, cells_per_sigma=cells)
        for kappa in kappas:
            ratio = float(certified[kappa].upper() / certified[kappa].lower())
            assert 1 < screen[kappa] <= ratio
            assert screen[kappa] - 1 >= 0.5 * (ratio - 1)


def test_fisher_identity_two_computations() -> None:
    # E s^2 = 1/sigma^2 - E Var(Y|X) / sigma^4: the enclosures overlap, and a 1 % perturbation
    # of the second computation is provably apart (an Agreement part would be REFUTED).
    from verify.core.verdict import Verdict, judge_agreement
    from verify.maths.laws import posterior_variance_expectation

    law = AtomicLaw([-3.0, 0.5, 1.0, 7.25], [0.1, 0.4, 0.2, 0.3])
    sigma = arb(0.7)
    fisher = score_moment(law, sigma, 2)
    variance = posterior_variance_expectation(law, sigma)
    by_parts = 1 / sigma**2 - variance / sigma**4
    assert fisher.is_finite() and by_parts.is_finite() and fisher.overlaps(by_parts)
    perturbed = 1 / sigma**2 - variance * arb("1.01") / sigma**4
    assert judge_agreement(fisher, perturbed) is Verdict.REFUTED


def test_isotropic_mixture_in_one_dimension_is_the_one_dimensional_mixture() -> None:
    import torch

    from verify.maths.laws import IsotropicGaussianMixture

    law = IsotropicGaussianMixture.random(1, 3, 1.0, (0.4, 0.8), seed=5)
    flat = law.one_dimensional()
    x, beta = 0.3, 0.5
    # a(y) = E exp(-(x' - y)^2 / (2 beta^2)) = sqrt(2 pi) beta p_beta(y): two laws, one number.
    via_flat = (2 * arb.pi()).sqrt() * beta * flat.density(x, beta)
    assert law.acceptance_arb([x], beta).overlaps(via_flat)
    with pytest.raises(ValueError):
        IsotropicGaussianMixture(torch.ones(1), torch.zeros(1, 2), torch.ones(1)).one_dimensional()


def test_score_derivative_sup_takes_the_certified_max() -> None:
    """Issue 16 item 2: the two candidates 1/sigma^2 and Vmax/sigma^4 - 1/sigma^2 agree to
    float rounding here (spread just above 2 sqrt 2); ``max(..., key=float)`` kept the smaller."""
    import math

    import flint

    from verify.maths.laws import AtomicLaw

    old_prec = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        spread = Fraction(math.isqrt(8 * 4**80) + 1, 2**80)
        law = AtomicLaw([0, spread], [1, 1])
        top = law.variance_sup(arb(1)) - 1
        assert float(top.upper()) == 1.0 and top.upper() > 1
        assert law.score_derivative_sup(1) >= top.upper()
    finally:
        flint.ctx.prec = old_prec


def test_component_cache_keys_on_exact_endpoints() -> None:
    """Issue 16 item 4: sigmas equal to 30 digits but not exactly (200 bits) get their own
    components (the key ``sigma.mid().str(30)`` collided)."""
    import flint

    from verify.maths.laws import GaussianMixture

    old_prec = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        law = GaussianMixture([0, 1], [0, 0], [1, 1])
        one, near = arb(1) + arb(2) ** -149, arb(1) + arb(2) ** -150
        assert one.mid().str(30) == near.mid().str(30)
        first = law._components(one)[0][2]
        second = law._components(near)[0][2]
        assert (1 / (near * near)).overlaps(second) and not first.overlaps(second)
    finally:
        flint.ctx.prec = old_prec


def test_abs_normal_exponential_moment_against_mpmath() -> None:
    """H.1's provable constant: E[|Z|^k e^{a|Z|}] contains a 50-digit quadrature value, and
    the values quoted in the H.1 docstring (84.5, 1241, 2.93e6) come out."""
    import mpmath

    from verify.maths.laws import abs_normal_exponential_moment

    mpmath.mp.dps = 50
    for k, a in [(0, Fraction(1)), (8, Fraction(1)), (8, Fraction(2)), (3, Fraction(1, 3))]:
        rate = mpmath.mpf(a.numerator) / a.denominator
        exact = (
            2
            * mpmath.quad(
                lambda z, k=k, rate=rate: z**k * mpmath.exp(rate * z - z * z / 2),
                [0, 10, mpmath.inf],
            )
            / mpmath.sqrt(2 * mpmath.pi)
        )
        enclosure = abs_normal_exponential_moment(k, a)
        assert enclosure.rad() < 1e-10 * enclosure.mid()
        assert enclosure.contains(arb(mpmath.nstr(exact, 45)).mid())
    assert abs_normal_exponential_moment(8, 0).contains(105)
    forms = [
        1 + (abs_normal_exponential_moment(8, a) * abs_normal_exponential_moment(0, a)).sqrt()
        for a in (1, 2, 4)
    ]
    assert [round(float(f.mid()), 1) for f in forms[:2]] == [84.5, 1240.0]
    assert 2.92e6 < float(forms[2].mid()) < 2.93e6


def test_cell_moments_edge_cache_gives_the_fresh_enclosures() -> None:
    # _cell_moments keeps per law the tail and density at each (component, edge); a finer grid
    # meets the coarse grid's edges again and must get the very enclosures a fresh law computes.
    from verify.maths.laws import _cell_moments, _core

    def law():
        return GaussianMixture([-1.0, 0.5, 3.0], [0.5, 0.0, 1.25], [1, 2, 1])

    warm = law()
    sigma = arb(0.75)
    _cell_moments(warm, sigma, _core(warm, sigma, 9.0, 64)[0])
    edges = _core(warm, sigma, 9.0, 128)[0]
    cached = _cell_moments(warm, sigma, edges)
    fresh = _cell_moments(law(), sigma, edges)
    assert warm.__dict__["_edge_cache"]
    for got, want in zip(cached, fresh, strict=True):
        for a, b in zip(got, want, strict=True):
            assert a.mid() == b.mid() and a.rad() == b.rad()


def test_sigma_and_radius_kits_give_the_fresh_enclosures() -> None:
    # The per-sigma kit is kept by the identity of the last sigma object and the per-radius kit
    # by rho's exact value: alternating sigmas (equal values in new objects, other values, other
    # half widths, another precision) must give the very enclosures a fresh law computes.
    import flint

    def law():
        return GaussianMixture([-1.0, 0.5, 3.0], [0.5, 0.0, 1.25], [1, 2, 1])

    def same(got, want) -> bool:
        return all(
            a.mid() == b.mid() and a.rad() == b.rad() for a, b in zip(got, want, strict=True)
        )

    warm = law()
    calls = [(arb(0.75), 0.25, 53), (arb(3).sqrt(), 0.125, 53), (arb(0.75), 0.125, 53)]
    calls += [(arb(0.75), 0.25, 53), (arb(3).sqrt(), 0.25, 53), (arb(0.75), 0.25, 120)]
    old_prec = flint.ctx.prec
    try:
        for sigma, half, prec in calls:
            flint.ctx.prec = prec
            for centre in (arb(-2.5), arb(0.375), arb(6)):
                assert same(
                    warm.cell_score_ranges(centre, arb(half), sigma),
                    law().cell_score_ranges(centre, arb(half), sigma),
                )
                cell = centre + arb(0, half)
                assert same(
                    warm._tilted_posterior(cell, sigma)[:6],
                    law()._tilted_posterior(cell, sigma)[:6],
                )
                assert same(
                    warm._point_posterior(centre, sigma)[:6],
                    law()._point_posterior(centre, sigma)[:6],
                )
    finally:
        flint.ctx.prec = old_prec


def test_shared_pieces_give_the_enclosures_formed_one_by_one() -> None:
    # score_power_cells reads the powers of a ball from _powers (bottom-up) instead of _pow
    # (recursive), and the cell radius passed to cell_score_ranges instead of formed there:
    # the very same enclosures, including for balls around 0 and at another precision.
    import flint

    from verify.maths.laws import _cell_radius, _pow, _powers

    def same(got, want) -> bool:
        return all(
            a.mid() == b.mid() and a.rad() == b.rad() for a, b in zip(got, want, strict=True)
        )

    old_prec = flint.ctx.prec
    try:
        for prec in (53, 64, 120):
            flint.ctx.prec = prec
            for x in (arb(0, 0.5), arb(-1.25, 1e-3), arb(3).sqrt(), arb(-7) / 3):
                assert same(_powers(x, 9), [_pow(x, k) for k in range(10)])
            law = GaussianMixture([-1.0, 0.5, 3.0], [0.5, 0.0, 1.25], [1, 2, 1])
            for centre in (arb(-2.5), arb(0.375)):
                half = arb(0.125)
                assert same(
                    law.cell_score_ranges(centre, half, arb(0.75), None, _cell_radius(half)),
                    law.cell_score_ranges(centre, half, arb(0.75)),
                )
    finally:
        flint.ctx.prec = old_prec


def test_core_edges_are_the_exact_multiples_of_the_step() -> None:
    # _core forms the edges as arb(k) * step: exact dyadics, the same balls as the rationals.
    import flint

    from verify.maths.laws import _core

    law = GaussianMixture([-1.0, 0.5, 3.0], [0.5, 0.0, 1.25], [1, 2, 1])
    old_prec = flint.ctx.prec
    try:
        for prec in (24, 53, 200):
            flint.ctx.prec = prec
            edges, _ = _core(law, arb(0.001), 9.0, 100_000)
            assert all(e.rad() == 0 for e in edges)
            first = Fraction(edges[0].mid().str(60, radius=False))
            step = Fraction((edges[1] - edges[0]).mid().str(60, radius=False))
            for j in (0, 1, len(edges) // 2, len(edges) - 1):
                assert Fraction(edges[j].mid().str(60, radius=False)) == first + j * step
    finally:
        flint.ctx.prec = old_prec


@pytest.mark.parametrize(
    ("means", "sigma", "width"),
    [
        ([1e6, 1e6 + 0.02], arb(1e-3), 1e-12),  # edges ~1e6, z steps of 1/16: screen near 1e6
        ([-3.0, 40.0], arb(0.5), 1e-12),  # atoms far apart (most edges far from each)
        ([-3.0, 40.0], arb(0.5, 1e-3), 0.03),  # a ball sigma
        ([0.0, 2.0**-40], arb(2.0**-45), 1e-12),  # a tiny scale
    ],
)
def test_cell_moments_float_screen_keeps_every_near_edge(means, sigma, width) -> None:
    # _cell_moments takes the arb z only at edges its float screen puts near a component; an
    # edge it missed would turn exact cells into [0, tiny] balls and lose their mass: the
    # masses must still sum to an enclosure of 1 (the core misses < 1e-30 of it) that is tight.
    from verify.maths.laws import _cell_moments, _core

    law = GaussianMixture(means, [0.0] * len(means), [1, 3])
    edges, _ = _core(law, sigma, 9.0, 512)
    total = sum(_cell_moments(law, sigma, edges)[0], arb(0))
    assert total.overlaps(arb(1)), total
    assert float(total.rad()) < width, total
