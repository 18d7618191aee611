"""(tau, delta)-closeness: exact max-flow on finite supports; sample bounds vs closed forms."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from flint import arb

from tests._groups import SCIPY_STATS_SYMPY
from verify.maths.closeness import (
    coupling_upper_bound,
    delta_lower_bound,
    finite_delta,
    gaussian_shift_coupling,
    gaussian_shift_delta,
    matching_fraction,
)

ATOMS = [(0.0,), (1.0,), (2.5,), (4.0,)]
WEIGHTS = [Fraction(1, 8), Fraction(3, 8), Fraction(1, 4), Fraction(1, 4)]


@pytest.mark.parametrize("shift", [0.5, 0.75, 1.25])
def test_shifted_law_is_close_at_tau_ge_shift(shift: float) -> None:
    moved = [(x + shift,) for (x,) in ATOMS]
    assert finite_delta(ATOMS, WEIGHTS, moved, WEIGHTS, shift) == 0
    assert finite_delta(ATOMS, WEIGHTS, moved, WEIGHTS, 2 * shift) == 0
    if shift == 0.5:  # every cross distance is >= 0.5: below it nothing can be matched
        assert finite_delta(ATOMS, WEIGHTS, moved, WEIGHTS, shift / 2) == 1


def test_tau_perturbation_and_one_atom_moved_too_far() -> None:
    tau = Fraction(1, 4)
    perturbed = [(0.25,), (0.8,), (2.25,), (4.0,)]  # every atom within tau
    assert finite_delta(ATOMS, WEIGHTS, perturbed, WEIGHTS, tau) == 0
    too_far = [(0.25,), (1.3,), (2.25,), (4.0,)]  # the 3/8 atom moves by 0.3 > tau
    assert finite_delta(ATOMS, WEIGHTS, too_far, WEIGHTS, tau) == Fraction(3, 8)


def test_finite_delta_is_a_max_flow_with_splitting() -> None:
    # P = 1/2 at 0, 1/2 at 2; Q = 3/4 at 1, 1/4 at 10: within 1, 3/4 of P fits, 1/4 cannot
    p, q = [(0.0,), (2.0,)], [(1.0,), (10.0,)]
    half, w = [Fraction(1, 2)] * 2, [Fraction(3, 4), Fraction(1, 4)]
    assert finite_delta(p, half, q, w, 1) == Fraction(1, 4)
    assert finite_delta(p, half, q, w, Fraction(99, 100)) == 1
    with pytest.raises(ValueError):
        finite_delta(p, [Fraction(1, 2)] * 2, q, [Fraction(1, 2)] * 1 + [Fraction(1, 3)], 1)


@SCIPY_STATS_SYMPY
def test_gaussian_closed_form_against_sympy() -> None:
    import sympy as sp

    t, a, tau = sp.symbols("t a tau", real=True)
    phi = lambda z: (1 + sp.erf(z / sp.sqrt(2))) / 2  # noqa: E731
    gain = phi(t) - phi(t + tau - a)  # P(A) - Q(A^tau) for A = (-inf, t]
    (t_star,) = sp.solve(sp.diff(gain, t), t)
    assert sp.simplify(t_star - (a - tau) / 2) == 0
    value = sp.simplify(gain.subs(t, t_star) - (2 * phi((a - tau) / 2) - 1))
    assert value == 0
    assert gaussian_shift_delta(arb(1), arb(2)) == 0
    assert abs(gaussian_shift_delta(arb(2), arb("0.5")) - (2 * 0.7733726476231317 - 1)) < 1e-12


def test_sample_bounds_bracket_the_gaussian_closed_form() -> None:
    rng = np.random.default_rng(0)
    a, tau, n = 2.0, 0.5, 20_000
    exact = float(gaussian_shift_delta(arb(a), arb(tau)).mid())
    x = rng.standard_normal(n)
    lower, info = delta_lower_bound(x, a + rng.standard_normal(n), tau, 1e-3)
    assert 0 < lower <= exact and exact - float(lower) < 0.06, info
    # an explicit coupling: the maximal coupling of X and Y - tau, then Y = Y' + tau
    x, y, apart = gaussian_shift_coupling(a, tau, n, rng)
    # kept pairs sit at distance tau exactly, up to float rounding: allow 1e-9 for it (the
    # closed form moves by less than 1e-9 when tau does)
    upper, far = coupling_upper_bound(x, y, tau + 1e-9, 1e-3)
    assert exact <= upper and float(upper) - exact < 0.03
    assert far <= int(apart.sum())
    estimate = matching_fraction(x[:3000], a + rng.standard_normal(3000), tau)
    assert abs(estimate - exact) < 0.1


def test_wrong_law_is_detected() -> None:
    # a sampler shifted by 3 tau is far from the law at tau: the lower bound sees it
    rng = np.random.default_rng(1)
    tau, n = 0.1, 8000
    lower, _ = delta_lower_bound(
        rng.standard_normal(n), 3 * tau + rng.standard_normal(n), tau, 1e-3
    )
    assert lower > 0
    same, _ = delta_lower_bound(rng.standard_normal(n), rng.standard_normal(n), tau, 1e-3)
    assert same == 0
