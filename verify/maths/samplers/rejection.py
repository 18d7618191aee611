"""Algorithm 1 (rejection sampling of an unconditional sampler) and isotropic Gaussian mixtures
whose ball probabilities, acceptance probabilities and posteriors are known in closed form.

Algorithm 1 (the paper's upper bound). Given y = A x + eta, eta ~ N(0, beta^2 I_m):
repeat { draw x' from the unconditional sampler; with probability exp(-|A x' - y|^2/(2 beta^2))
return x' }. Each round is independent and accepts x' with probability proportional to the
likelihood N(y; A x', beta^2 I) up to the constant (2 pi beta^2)^{m/2}, so an accepted x' has
density p(x') exp(-|A x' - y|^2 / (2 beta^2)) / a(y): exactly the posterior p(x' | y). The
per-round acceptance is a(y) = E_{x'~p} exp(-|A x' - y|^2 / (2 beta^2)).
``rejection_sample`` runs the rounds in batches (torch): every accepted proposal of the stream is
the output of an independent run of Algorithm 1.

Isotropic Gaussian mixtures p = sum_k w_k N(mu_k, s_k^2 I_n) and A the selection of the first
m coordinates (||A|| = 1; A = I when m = n). With nu_k = A mu_k and v_k = s_k^2 + beta^2:
- ball probability: P_{x'~p}(|A x' - y| <= rho) = sum_k w_k F(rho^2/s_k^2; m, |nu_k - y|^2/s_k^2)
  (non-central chi-square, certified in ``verify.maths.chisquare``);
- acceptance: a(y) = sum_k w_k (beta^2 / v_k)^{m/2} exp(-|y - nu_k|^2 / (2 v_k));
- posterior over the component label: P(k | y) proportional to
  w_k v_k^{-m/2} exp(-|y - nu_k|^2 / (2 v_k)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import torch
from flint import arb

# The isotropic mixture on R^n is defined with the other laws; E.1/E.2 import it from here.
from verify.maths.laws import IsotropicGaussianMixture as GaussianMixture  # noqa: F401

DTYPE = torch.float64


# ---------------------------------------------------------------------------- Algorithm 1


class UnconditionalSampler(Protocol):
    def __call__(self, count: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``count`` samples (count, n) and an integer label per sample (count,)."""
        ...


@dataclass
class RejectionResult:
    samples: torch.Tensor  # (accepted, n): each an independent output of Algorithm 1
    labels: torch.Tensor  # (accepted,)
    proposals: int  # rounds run in total
    accepted: int

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.proposals if self.proposals else math.nan


def rejection_sample(
    sampler: UnconditionalSampler,
    y: torch.Tensor,
    beta: float,
    measure: int,
    gen: torch.Generator,
    *,
    want: int,
    max_proposals: int,
    batch: int = 65536,
) -> RejectionResult:
    """Run Algorithm 1 until ``want`` outputs or ``max_proposals`` rounds.

    ``measure`` = m: A selects the first m coordinates of x'. A round accepts x' when
    U < exp(-|A x' - y|^2 / (2 beta^2)), U ~ Uniform(0, 1) (compared in log space).
    """
    kept_x: list[torch.Tensor] = []
    kept_l: list[torch.Tensor] = []
    accepted = 0
    proposals = 0
    while accepted < want and proposals < max_proposals:
        count = min(batch, max_proposals - proposals)
        x, labels = sampler(count, gen)
        log_accept = -((x[:, :measure] - y) ** 2).sum(1) / (2 * beta**2)
        u = torch.rand(count, generator=gen, dtype=DTYPE)
        take = torch.log(u) < log_accept
        proposals += count
        if bool(take.any()):
            kept_x.append(x[take])
            kept_l.append(labels[take])
            accepted += int(take.sum())
    samples = torch.cat(kept_x) if kept_x else torch.empty(0, 0, dtype=DTYPE)
    labels_all = torch.cat(kept_l) if kept_l else torch.empty(0, dtype=torch.long)
    return RejectionResult(samples[:want], labels_all[:want], proposals, accepted)


def e1_radius(r: arb, beta: arb, m: int, delta: arb) -> arb:
    """2 r + beta sqrt(m + 2 sqrt(m log(1/delta)) + 2 log(1/delta)) (the ball of Lemma E.1)."""
    log_inv = (1 / delta).log()
    return 2 * r + beta * (m + 2 * (m * log_inv).sqrt() + 2 * log_inv).sqrt()


def e1_bound(r: arb, big_r: arb, m: int, delta: arb) -> arb:
    """delta (r / (3 R_delta))^m, the E.1 lower bound of the ball probability."""
    return delta * (r / (3 * big_r)) ** m


def e1_best_r(beta: float, m: int, delta: float, big_r: float) -> float:
    """The r maximising log[delta (r/3R)^m] - rho(r)^2 / (2 beta^2) (acceptance bound), <= R.

    d/dr: m / r - 2 (2 r + beta c) / beta^2 = 0, c = sqrt(m + 2 sqrt(mL) + 2L), L = log 1/delta,
    i.e. 4 r^2 + 2 beta c r - m beta^2 = 0.
    """
    log_inv = math.log(1 / delta)
    c = math.sqrt(m + 2 * math.sqrt(m * log_inv) + 2 * log_inv)
    r = beta * (-c + math.sqrt(c * c + 4 * m)) / 4
    return min(r, big_r)
