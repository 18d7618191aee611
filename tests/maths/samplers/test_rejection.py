"""Gaussian mixtures: closed forms against sampling; Algorithm 1 against the exact posterior."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from verify.core.numbers import precision, to_arb
from verify.maths.samplers.rejection import (
    GaussianMixture,
    e1_best_r,
    e1_bound,
    e1_radius,
    rejection_sample,
)


@pytest.fixture
def mixture() -> GaussianMixture:
    return GaussianMixture.random(3, 3, 1.0, (0.4, 0.8), seed=5)


def test_second_moment(mixture: GaussianMixture) -> None:
    gen = torch.Generator().manual_seed(0)
    x, _ = mixture.sample(400_000, gen)
    assert float((x**2).sum(1).mean()) == pytest.approx(mixture.second_moment(), rel=0.01)
    assert float(mixture.second_moment_arb().mid()) == pytest.approx(mixture.second_moment())


def test_ball_probability_three_ways(mixture: GaussianMixture) -> None:
    gen = torch.Generator().manual_seed(1)
    x, _ = mixture.sample(400_000, gen)
    center = [0.3, -0.2, 0.5]
    radius = 1.1
    mc = float(
        ((x - torch.tensor(center, dtype=torch.float64)).norm(dim=1) <= radius).double().mean()
    )
    with precision(64):
        exact = mixture.ball_probability_arb(center, to_arb(radius))
    screen = float(
        mixture.ball_probability_torch(torch.tensor([center], dtype=torch.float64), radius)
    )
    assert float(exact.mid()) == pytest.approx(screen, rel=1e-9)
    assert abs(mc - float(exact.mid())) < 5 * math.sqrt(mc * (1 - mc) / 400_000)


def test_acceptance_and_posterior_closed_forms(mixture: GaussianMixture) -> None:
    gen = torch.Generator().manual_seed(2)
    y = torch.tensor([0.4, 0.1, -0.3], dtype=torch.float64)
    beta = 0.7
    x, labels = mixture.sample(400_000, gen)
    weights = torch.exp(-((x - y) ** 2).sum(1) / (2 * beta**2))
    with precision(64):
        a = mixture.acceptance_arb(y.tolist(), beta)
        post = mixture.label_posterior_arb(y.tolist(), beta)
    assert float(weights.mean()) == pytest.approx(float(a.mid()), rel=0.02)
    assert float(mixture.log_acceptance_torch(y[None], beta).exp()) == pytest.approx(float(a.mid()))
    for k in range(3):
        share = float(weights[labels == k].sum() / weights.sum())
        assert share == pytest.approx(float(post[k].mid()), abs=0.02)


def test_algorithm_1_samples_the_posterior(mixture: GaussianMixture) -> None:
    gen = torch.Generator().manual_seed(3)
    y = torch.tensor([0.4, 0.1, -0.3], dtype=torch.float64)
    beta = 0.7
    result = rejection_sample(mixture.sample, y, beta, 3, gen, want=4000, max_proposals=10**6)
    assert result.accepted >= 4000 and result.samples.shape == (4000, 3)
    with precision(64):
        post = [float(p.mid()) for p in mixture.label_posterior_arb(y.tolist(), beta)]
        a = float(mixture.acceptance_arb(y.tolist(), beta).mid())
    counts = np.bincount(result.labels.numpy(), minlength=3) / 4000
    assert np.abs(counts - np.array(post)).sum() / 2 < 0.05
    assert result.acceptance_rate == pytest.approx(a, rel=0.1)


def test_selected_measurement_and_bounds(mixture: GaussianMixture) -> None:
    sub = mixture.selected(2)
    assert sub.dim == 2 and torch.equal(sub.means, mixture.means[:, :2])
    r = e1_best_r(0.5, 4, 0.1, 10.0)
    assert 0 < r < 10.0
    with precision(64):
        rho = e1_radius(to_arb(r), to_arb(0.5), 4, to_arb(0.1))
        b = e1_bound(to_arb(r), to_arb(10.0), 4, to_arb(0.1))
    assert float(rho.mid()) > 2 * r and 0 < float(b.mid()) < 0.1


def test_mixture_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError):
        GaussianMixture(torch.ones(2), torch.zeros(2, 1), torch.tensor([1.0, 0.0]))


def test_seed_index_follows_all_seeds() -> None:
    from verify.maths.oneway import all_seeds
    from verify.maths.samplers.rejection import seed_index

    for d in (1, 3, 5):
        seeds = all_seeds(d)
        assert np.array_equal(seed_index(seeds), np.arange(2**d))
        shuffled = seeds[::-1].copy()
        assert np.array_equal(seed_index(shuffled), np.arange(2**d)[::-1])


def test_fixed_rounds_and_a_measurement_map(mixture: GaussianMixture) -> None:
    # want=None runs exactly max_proposals rounds (the count of acceptances is Binomial);
    # an int m and the map x -> x[:, :m] are the same A, so the same generator gives the same run
    y = torch.tensor([0.4, 0.1], dtype=torch.float64)
    runs = [
        rejection_sample(
            mixture.sample,
            y,
            0.7,
            measure,
            torch.Generator().manual_seed(4),
            max_proposals=50_000,
            batch=20_000,
        )
        for measure in (2, lambda x: x[:, :2])
    ]
    assert all(run.proposals == 50_000 for run in runs)
    assert runs[0].accepted == runs[1].accepted == runs[0].labels.shape[0] > 0
    assert torch.equal(runs[0].samples, runs[1].samples)
    with precision(64):
        a = float(mixture.selected(2).acceptance_arb(y.tolist(), 0.7).mid())
    assert abs(runs[0].acceptance_rate - a) < 5 * math.sqrt(a * (1 - a) / 50_000)


def test_acceptance_step_draws_proposals_then_uniforms_and_compares_in_log_space() -> None:
    from verify.maths.samplers.rejection import accept_proposals

    def propose(count: int, gen: torch.Generator) -> torch.Tensor:
        return torch.rand(count, generator=gen, dtype=torch.float64)

    log_p = torch.tensor([0.0, -math.inf, -1e6, math.log(0.5)] * 50, dtype=torch.float64)
    proposals, accepted = accept_proposals(
        propose, lambda p, y: log_p, 200, torch.zeros(200), torch.Generator().manual_seed(7)
    )
    replay = torch.Generator().manual_seed(7)
    assert torch.equal(proposals, torch.rand(200, generator=replay, dtype=torch.float64))
    u = torch.rand(200, generator=replay, dtype=torch.float64)
    assert torch.equal(accepted, torch.log(u) < log_p)
    # Probability 1 always accepts; probability 0 and e^-1e6 (0 as a float) never do.
    assert bool(accepted[0::4].all()) and not bool(accepted[1::4].any() | accepted[2::4].any())


def test_driver_returns_each_rows_first_acceptance_and_gives_up_at_the_cap() -> None:
    from verify.maths.samplers.rejection import first_acceptances

    # A proposal is its round number (global, in draw order); a row accepts rounds whose number
    # is a multiple of its y; y = 0 never accepts and gives up after max_draws rounds.
    counter = {"next": 0}

    def propose(count: int, gen: torch.Generator) -> torch.Tensor:
        start = counter["next"]
        counter["next"] += count
        return torch.arange(start, start + count, dtype=torch.float64)

    def log_accept(p: torch.Tensor, y_rows: torch.Tensor) -> torch.Tensor:
        hit = (y_rows > 0) & (torch.remainder(p, y_rows.clamp(min=1)) == 0)
        return torch.where(hit, 0.0, -math.inf)

    def complete(p: torch.Tensor, chosen: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        return p[chosen].unsqueeze(1)

    y = torch.tensor([1.0, 0.0, 7.0], dtype=torch.float64)
    run = first_acceptances(
        y, propose, log_accept, complete, 1, torch.Generator(), max_draws=9, chunk=12
    )
    # Pass 1: 4 rounds each (rows 0: rounds 0-3, 1: 4-7, 2: 8-11): row 0 accepts round 0.
    # Pass 2: 6 rounds each (row 1: 12-17, row 2: 18-23): row 2 accepts 21; row 1 gives up.
    assert run.outputs[0, 0] == 0 and run.outputs[2, 0] == 21 and math.isnan(run.outputs[1, 0])
    assert run.gave_up == 1
    assert run.draws == 1 + 4 + 4 + 6 + (21 - 18 + 1)
