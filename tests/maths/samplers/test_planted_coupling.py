"""The planted (tau, delta)-close sampler of E.2's paper form: its coupling is what it says."""

from __future__ import annotations

import math

import torch

from verify.core.stats import clopper_pearson
from verify.maths.samplers.planted_coupling import (
    INSIDE,
    OUTSIDE,
    coupled_stops,
    delta_prime,
    planted_sampler,
)
from verify.maths.samplers.rejection import GaussianMixture


def _mixture() -> GaussianMixture:
    return GaussianMixture.random(2, 2, 1.0, (0.5, 0.5), 0)


def test_planted_coupling_moves_by_less_than_tau_except_with_probability_delta() -> None:
    tau, delta, n = 0.1, 0.05, 40_000
    x, x_hat, _ = planted_sampler(_mixture().sample, tau, delta)(
        n, torch.Generator().manual_seed(0)
    )
    distance = (x_hat - x).norm(dim=1)
    apart = distance > tau
    assert torch.allclose(distance[~apart], torch.full_like(distance[~apart], INSIDE * tau))
    assert torch.allclose(distance[apart], torch.full_like(distance[apart], OUTSIDE * tau))
    lo, hi = clopper_pearson(int(apart.sum()), n, 1e-6)
    assert lo <= delta <= hi


def test_coupled_runs_meet_delta_prime_and_a_shifted_sampler_does_not() -> None:
    mixture, tau, delta, beta = _mixture(), 0.05, 0.01, 0.5
    y = torch.zeros(1, dtype=torch.float64)
    acceptance = mixture.selected(1).acceptance_arb([0.0], beta)
    bound = float(delta_prime(tau, delta, beta, acceptance).mid())
    assert math.isclose(bound, (delta + tau / (beta * math.sqrt(math.e))) / float(acceptance.mid()))
    for shift, expect_within in ((0.0, True), (3.0, False)):
        draw = planted_sampler(mixture.sample, tau, delta, shift)
        gen = torch.Generator().manual_seed(1)
        stops, bad = coupled_stops(draw, y, beta, lambda x: x[:, :1], tau, 20_000, gen)
        assert (bad / stops < bound) is expect_within
