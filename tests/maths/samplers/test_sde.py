"""The VE reverse SDE sampler against a Gaussian mixture with an exact score (statistical)."""

from __future__ import annotations

import math

import pytest
import torch

from verify.maths.samplers.sde import (
    gaussian_mixture_1d_cdf,
    gaussian_mixture_score,
    geometric_schedule,
    reverse_sde_sample,
)

MEANS = torch.tensor([-2.0, 1.5], dtype=torch.float64)
STDS = torch.tensor([0.3, 0.5], dtype=torch.float64)
WEIGHTS = torch.tensor([0.3, 0.7], dtype=torch.float64)
SIGMA_MIN = 0.05
ALPHA = 1e-4  # false-alarm rate of the DKW band below


def _ks_statistic(samples: torch.Tensor) -> float:
    xs = samples.flatten().sort().values
    cdf = gaussian_mixture_1d_cdf(xs, MEANS, STDS, WEIGHTS, SIGMA_MIN)
    n = xs.numel()
    i = torch.arange(1, n + 1, dtype=torch.float64)
    return max(float((i / n - cdf).max()), float((cdf - (i - 1) / n).max()))


def _dkw_band(n: int) -> float:
    # Dvoretzky-Kiefer-Wolfowitz (Massart's constant): P(sup|F_n - F| > e) <= 2 exp(-2 n e^2).
    return math.sqrt(math.log(2 / ALPHA) / (2 * n))


def _sample(score, seed: int = 0, n: int = 4000, steps: int = 400) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    schedule = geometric_schedule(30.0, SIGMA_MIN, steps)
    # 3 coordinates of a product law: independent draws of the 1-D mixture, pooled.
    return reverse_sde_sample(score, n, 3, schedule, generator, data_variance=3.0).samples


def test_reverse_sde_matches_mixture_within_dkw_band():
    samples = _sample(gaussian_mixture_score(MEANS, STDS, WEIGHTS))
    assert _ks_statistic(samples) <= _dkw_band(samples.numel())


def test_wrong_score_is_detected():
    # The score of the single Gaussian with the mixture's mean and variance: same first two
    # moments, wrong law. The KS test must reject it.
    mean = float((WEIGHTS * MEANS).sum())
    var = float((WEIGHTS * (STDS**2 + MEANS**2)).sum()) - mean**2
    one = gaussian_mixture_score(
        torch.tensor([mean]), torch.tensor([math.sqrt(var)]), torch.tensor([1.0])
    )
    samples = _sample(one)
    assert _ks_statistic(samples) > 5 * _dkw_band(samples.numel())


def test_reproducible_and_batch_invariant():
    score = gaussian_mixture_score(MEANS, STDS, WEIGHTS)
    schedule = geometric_schedule(10.0, 0.1, 20)
    a = reverse_sde_sample(score, 64, 2, schedule, torch.Generator().manual_seed(3)).samples
    b = reverse_sde_sample(
        score, 64, 2, schedule, torch.Generator().manual_seed(3), batch=7
    ).samples
    assert torch.equal(a, b)


def test_schedule_validation():
    with pytest.raises(ValueError):
        geometric_schedule(1.0, 2.0, 10)
    schedule = geometric_schedule(4.0, 0.5, 3)
    assert schedule[0] == pytest.approx(4.0) and schedule[-1] == pytest.approx(0.5)
    with pytest.raises(ValueError):
        reverse_sde_sample(lambda x, s: x, 4, 1, schedule.flip(0), torch.Generator().manual_seed(0))
