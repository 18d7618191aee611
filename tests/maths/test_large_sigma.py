"""verify.maths.large_sigma: bounds, the posterior-form deviation against the instance's arb
scores."""

from __future__ import annotations

import itertools
import random

import pytest
from flint import arb

from verify.core.numbers import precision
from verify.maths.comb import _theta_derivative, _theta_minus_one, nome
from verify.maths.instance import Instance
from verify.maths.large_sigma import (
    density_deviation_bound,
    exact_deviation,
    log_term_c17,
    needed_constant,
    score_deviation_bound,
    sigma_of_tau,
    theta_parts,
)
from verify.maths.mixture import vertex_mixture_score_arb
from verify.maths.oneway import GoldreichFunction, all_seeds, evaluate


def test_theta_parts_match_comb():
    with precision(96):
        q = nome(0.3, 0.4)
        for z in (0.0, 0.1, 0.25, -0.37):
            value, slope = theta_parts(arb(z), q)
            assert value.overlaps(_theta_minus_one(arb(z), q))
            if z != 0.0:  # comb's relative stopping rule never stops on an exact zero
                assert slope.overlaps(_theta_derivative(arb(z), q))
        assert theta_parts(arb(0), q)[1].contains(0)


def test_bounds_fall_with_sigma_and_grow_with_d_out():
    with precision(64):
        values = [density_deviation_bound(4, s, 0.2) for s in (0.05, 0.1, 0.2, 0.4)]
        assert all(a > b for a, b in itertools.pairwise(values))
        assert density_deviation_bound(8, 0.1, 0.2) > density_deviation_bound(4, 0.1, 0.2)
        assert score_deviation_bound(4, 3.0, 0.1, 0.2) > score_deviation_bound(4, 1.0, 0.1, 0.2)


def test_exact_deviation_matches_instance_arb_score():
    f = GoldreichFunction(5, 2, seed=3)
    instance = Instance(f, 2.0, 0.3)
    words = [tuple(int(b) for b in row) for row in evaluate(f, all_seeds_array(5))]
    rng = random.Random(0)
    sigma = 0.2
    with precision(128):
        for _ in range(2):
            x = [rng.uniform(-3, 3) for _ in range(5)]
            y = [rng.uniform(-2, 2) for _ in range(2)]
            gap = exact_deviation(x, y, words, 2.0, sigma, 0.3).score_gap
            direct = instance.score_arb(x + y, sigma)
            mixture = vertex_mixture_score_arb(x, y, 2.0, sigma)
            for a, b, c in zip(gap, direct, mixture, strict=True):
                assert a.overlaps(b - c)


def all_seeds_array(d):
    return all_seeds(d)


@pytest.mark.parametrize(("d_out", "delta"), [(1, 0.9), (16, 1e-4)])
def test_needed_constant_bracket_is_certified(d_out, delta):
    with precision(64):
        lo, hi = needed_constant(
            lambda tau: density_deviation_bound(d_out, sigma_of_tau(tau), 0.1),
            delta,
            0.1,
            log_term_c17(d_out, delta),
        )
        assert 0.2 < float(lo.mid()) <= float(hi.mid()) < 0.25
        tau_hi = hi * arb(0.1) * log_term_c17(d_out, delta).sqrt()
        assert density_deviation_bound(d_out, sigma_of_tau(tau_hi), 0.1) <= delta
        tau_lo = lo * arb(0.1) * log_term_c17(d_out, delta).sqrt()
        assert density_deviation_bound(d_out, sigma_of_tau(tau_lo), 0.1) > delta
