r"""The variance-exploding (VE) diffusion of Appendix F (Definition F.1), in torch float64.

Forward SDE: :math:`dx = \sqrt{d(\sigma_t^2)/dt}\, dW_t`, so that :math:`x_t = x_0 + \sigma_t z`
and the law at time t is :math:`p_{\sigma_t} = p * N(0, \sigma_t^2 I)`. Written in the variable
:math:`u = \sigma^2` the forward SDE is plain Brownian motion, :math:`dx = dW_u`, and the reverse
SDE (12) is

.. math:: dx = s_{\sqrt u}(x)\, du + d\bar W_u \qquad (u \text{ decreasing}),

with :math:`s_\sigma = \nabla \log p_\sigma`. The sampler below discretizes it on a decreasing
schedule :math:`\sigma_0 > \sigma_1 > \dots > \sigma_K` by Euler-Maruyama in u:

.. math:: x_{k+1} = x_k + (\sigma_k^2 - \sigma_{k+1}^2)\, \hat s_{\sigma_k}(x_k)
          + \sqrt{\sigma_k^2 - \sigma_{k+1}^2}\, z_k,

started from :math:`N(m, (\sigma_0^2 + v_0) I)` (the law :math:`p_{\sigma_0}` is close to it
when :math:`\sigma_0^2` dominates the data covariance, whose scale v_0 the caller may pass). The
final iterate is a sample of (approximately) :math:`p_{\sigma_K}`: Theorem F.2 is a statement
about exactly this output (TV-close to a distribution W2-close to p). The score is any callable
``score(x, sigma) -> Tensor`` with the shape of x; the driver never looks inside it, so exact
scores, ReLU networks and broken scores (for refutation tests) all plug in alike.

Everything is seeded from an explicit ``torch.Generator``: same seed, same samples.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:  # torch stays unloaded until a sampler runs (``verify list`` defers it)
    from torch import Tensor

from verify.maths.mixture import gaussian_mixture_score

ScoreFunction = Callable[["Tensor", float], "Tensor"]

__all__ = [
    "ReverseSDEResult",
    "ScoreFunction",
    "forward_noise",
    "gaussian_mixture_1d_cdf",
    "gaussian_mixture_score",
    "geometric_schedule",
    "reverse_sde_sample",
]


def geometric_schedule(sigma_max: float, sigma_min: float, steps: int) -> Tensor:
    """``steps + 1`` noise levels from sigma_max down to sigma_min, equally spaced in log sigma.

    A geometric schedule keeps the per-step ratio (sigma_k^2 - sigma_{k+1}^2) / sigma_k^2
    constant, which is what keeps Euler-Maruyama stable for scores of size 1/sigma^2.
    """
    if not (sigma_max > sigma_min > 0) or steps < 1:
        raise ValueError("need sigma_max > sigma_min > 0 and steps >= 1")
    return torch.exp(
        torch.linspace(math.log(sigma_max), math.log(sigma_min), steps + 1, dtype=torch.float64)
    )


def forward_noise(x0: Tensor, sigma: float, generator: torch.Generator) -> Tensor:
    """A sample of the forward SDE at level sigma started at x0: x0 + sigma z."""
    z = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    return x0 + sigma * z


@dataclass
class ReverseSDEResult:
    samples: Tensor
    schedule: Tensor
    seconds: float
    score_calls: int


def reverse_sde_sample(
    score: ScoreFunction,
    n: int,
    dim: int,
    schedule: Tensor,
    generator: torch.Generator,
    *,
    prior_mean: Tensor | float = 0.0,
    data_variance: float = 1.0,
    batch: int | None = None,
) -> ReverseSDEResult:
    """Run the discretized VE reverse SDE for ``n`` samples in R^dim.

    ``schedule`` is decreasing (see ``geometric_schedule``); the result approximates
    ``p_{schedule[-1]}``. ``data_variance`` is the per-coordinate variance used in the initial
    Gaussian N(prior_mean, sigma_0^2 + data_variance) (1 for laws with covariance <= I).
    ``batch`` bounds the memory the score sees at once (the same generator stream is used, so the
    batch size changes nothing but memory).
    """
    if schedule.ndim != 1 or schedule.numel() < 2:
        raise ValueError("schedule must list at least two noise levels")
    if not bool(torch.all(schedule[1:] < schedule[:-1])):
        raise ValueError("schedule must be strictly decreasing")
    started = time.perf_counter()
    sigma0 = float(schedule[0])
    x = torch.randn((n, dim), generator=generator, dtype=torch.float64)
    x = x * math.sqrt(sigma0**2 + data_variance) + prior_mean
    calls = 0
    step = batch or n
    for k in range(schedule.numel() - 1):
        hi, lo = float(schedule[k]), float(schedule[k + 1])
        du = hi * hi - lo * lo
        noise = torch.randn((n, dim), generator=generator, dtype=torch.float64)
        drift = torch.empty_like(x)
        for start in range(0, n, step):
            drift[start : start + step] = score(x[start : start + step], hi)
            calls += 1
        x = x + du * drift + math.sqrt(du) * noise
    return ReverseSDEResult(x, schedule, time.perf_counter() - started, calls)


def gaussian_mixture_1d_cdf(
    x: Tensor, means: Tensor, stds: Tensor, weights: Tensor, sigma: float
) -> Tensor:
    """CDF of the sigma-smoothed 1-D Gaussian mixture at x."""
    scale = torch.sqrt(stds.to(torch.float64) ** 2 + sigma**2)
    z = (x.unsqueeze(-1) - means) / scale
    return (weights * 0.5 * torch.erfc(-z / math.sqrt(2))).sum(-1)
