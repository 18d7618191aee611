"""Algorithm 1 (rejection sampling of an unconditional sampler) and isotropic Gaussian mixtures
whose ball probabilities, acceptance probabilities and posteriors are known in closed form.

This module is the suite's only definition of Algorithm 1: one acceptance step
(``accept_proposals``: U < exp(log_accept), compared in log space) and one driver for many
measurements at once (``first_acceptances``: each row's first acceptance, with a per-row cap).
``rejection_sample`` (one y, every acceptance) and ``inversion.RejectionSampler`` /
``inversion.ClippedRejectionSampler`` (many y, which only say what they propose and their
likelihood) are all built on them.

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

import numpy as np
import torch
from flint import arb

from verify.core.numbers import to_arb

# The isotropic mixture on R^n is defined with the other laws; E.1/E.2 import it from here.
from verify.maths.laws import IsotropicGaussianMixture as GaussianMixture  # noqa: F401
from verify.maths.oneway import all_seeds

if TYPE_CHECKING:
    from verify.maths.instance import Instance


# ---------------------------------------------------------------------------- Algorithm 1

P = TypeVar("P")  # a batch of proposals, whatever form its sampler gives it


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


def first_coordinates(m: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """A = the selection of the first m coordinates (rows of x to rows of A x)."""
    return lambda x: x[:, :m]


def accept_proposals(
    propose: Callable[[int, torch.Generator], P],
    log_accept: Callable[[P, torch.Tensor], torch.Tensor],
    count: int,
    y_rows: torch.Tensor,
    gen: torch.Generator,
) -> tuple[P, torch.Tensor]:
    """One batch of ``count`` rounds of Algorithm 1: the proposals ``propose(count, gen)`` first,
    then U ~ Uniform(0, 1) per round (float64); round i accepts when U_i < exp(log_accept_i),
    compared as log U_i < log_accept_i (no underflow for tiny acceptance probabilities).
    ``log_accept(proposals, y_rows)`` is the log acceptance probability of each proposal against
    its measurement (the likelihood over its maximum). Returns the proposals and the mask."""
    proposals = propose(count, gen)
    log_probability = log_accept(proposals, y_rows)
    u = torch.rand(count, generator=gen, dtype=torch.float64)
    return proposals, torch.log(u) < log_probability


@dataclass
class FirstAcceptances:
    outputs: torch.Tensor  # (rows, width): each row's output, NaN where the row gave up
    draws: int  # proposals used: up to and including each accepted one, all of a failed row's
    gave_up: int  # rows still pending after ``max_draws`` proposals


def first_acceptances(
    y: torch.Tensor,
    propose: Callable[[int, torch.Generator], P],
    log_accept: Callable[[P, torch.Tensor], torch.Tensor],
    complete: Callable[[P, torch.Tensor, torch.Generator], torch.Tensor],
    width: int,
    gen: torch.Generator,
    *,
    max_draws: int,
    chunk: int,
) -> FirstAcceptances:
    """Algorithm 1 for every row of ``y`` at once: each row's output is its first accepted
    proposal (an independent run of Algorithm 1 per row).

    Per pass: the pending rows share ``chunk`` rounds (``max(1, chunk // pending)`` each, a row's
    rounds consecutive and in order), run by ``accept_proposals``; then
    ``complete(proposals, chosen, gen)`` turns the first accepted proposal of each row that
    accepted (indices ``chosen`` into the pass's proposals, possibly none) into output rows of
    ``width`` columns (it may draw more, e.g. coordinates the likelihood does not see). A row
    still pending after ``max_draws`` proposals gives up and stays NaN.
    """
    n = y.shape[0]
    out = torch.full((n, width), math.nan, dtype=torch.float64)
    pending = torch.arange(n)
    used = torch.zeros(n, dtype=torch.int64)
    draws = 0
    gave_up = 0
    while pending.numel():
        per_row = max(1, chunk // pending.numel())
        rows = pending.repeat_interleave(per_row)
        proposals, accepted = accept_proposals(propose, log_accept, rows.numel(), y[rows], gen)
        # First accepted draw of each row (draws of a row are in order within the chunk).
        order = torch.arange(rows.numel())
        first = torch.full((n,), rows.numel(), dtype=torch.int64)
        first.scatter_reduce_(0, rows[accepted], order[accepted], reduce="amin")
        hit = first[pending] < rows.numel()
        done_rows = pending[hit]
        chosen = first[done_rows]
        out[done_rows] = complete(proposals, chosen, gen)
        # Count draws used: up to and including the accepted one, or all of them.
        offset = first[done_rows] - torch.searchsorted(rows, done_rows)
        used[done_rows] += offset + 1
        used[pending[~hit]] += per_row
        draws += int(offset.sum()) + hit.sum().item() + per_row * int((~hit).sum())
        still = pending[~hit]
        over = used[still] >= max_draws
        gave_up += int(over.sum())
        pending = still[~over]
    return FirstAcceptances(out, draws, gave_up)


def gaussian_log_accept(sq_distance: torch.Tensor, beta: float) -> torch.Tensor:
    """log exp(-|A x - y|^2 / (2 beta^2)) from |A x - y|^2 per row: the Gaussian likelihood
    N(y; A x, beta^2 I) over its maximum."""
    return -sq_distance / (2 * beta**2)


def rejection_sample(
    sampler: UnconditionalSampler,
    y: torch.Tensor,
    beta: float,
    measure: int | Callable[[torch.Tensor], torch.Tensor],
    gen: torch.Generator,
    *,
    want: int | None = None,
    max_proposals: int,
    batch: int = 65536,
) -> RejectionResult:
    """Algorithm 1: run rounds until ``want`` outputs or ``max_proposals`` rounds.

    ``measure`` is A, as a map from rows of x' to rows of A x' (an int m: the first m
    coordinates). A round accepts x' when U < exp(-|A x' - y|^2 / (2 beta^2)), U ~ Uniform(0, 1)
    (``accept_proposals``, compared in log space); per batch the generator draws the proposals
    first, then the U's. With ``want=None`` exactly ``max_proposals`` rounds run and every
    acceptance is returned (so the number accepted is Binomial(rounds, a(y))); otherwise the
    first ``want`` outputs.
    """
    apply_a = first_coordinates(measure) if isinstance(measure, int) else measure

    def log_accept(
        proposals: tuple[torch.Tensor, torch.Tensor], y_rows: torch.Tensor
    ) -> torch.Tensor:
        return gaussian_log_accept(((apply_a(proposals[0]) - y_rows) ** 2).sum(1), beta)

    kept_x: list[torch.Tensor] = []
    kept_l: list[torch.Tensor] = []
    accepted = 0
    proposals = 0
    while (want is None or accepted < want) and proposals < max_proposals:
        count = min(batch, max_proposals - proposals)
        (x, labels), take = accept_proposals(sampler, log_accept, count, y, gen)
        proposals += count
        if bool(take.any()):
            kept_x.append(x[take])
            kept_l.append(labels[take])
            accepted += int(take.sum())
    samples = torch.cat(kept_x) if kept_x else torch.empty(0, 0, dtype=torch.float64)
    labels_all = torch.cat(kept_l) if kept_l else torch.empty(0, dtype=torch.long)
    if want is not None:
        samples, labels_all = samples[:want], labels_all[:want]
    return RejectionResult(samples, labels_all, proposals, accepted)


# ------------------------------------------------------- Algorithm 1 on the hard instance


def _seed_keys(seeds: np.ndarray) -> np.ndarray:
    """An injective integer key per row of {+-1}^d (bit i set iff s_i = -1)."""
    weights = np.int64(1) << np.arange(seeds.shape[1], dtype=np.int64)
    return ((seeds.astype(np.int64) < 0).astype(np.int64) * weights).sum(axis=1)


def seed_index(seeds: np.ndarray) -> np.ndarray:
    """The row of each seed (rows of ``seeds``, in {+-1}^d) in ``oneway.all_seeds(d)``: the
    order is looked up in ``all_seeds``, whatever it is, never restated here."""
    d = seeds.shape[1]
    position = np.empty(2**d, dtype=np.int64)
    position[_seed_keys(all_seeds(d))] = np.arange(2**d, dtype=np.int64)
    return position[_seed_keys(seeds)]


def instance_sampler(inst: Instance) -> UnconditionalSampler:
    """The exact unconditional sampler of the scaled instance x~ ~ g~, each draw labelled by its
    seed's row in ``all_seeds(d)`` (the cells of the exact posterior over seeds)."""

    def draw(count: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        x, seeds = inst.sample_scaled(count, gen)
        return x, torch.from_numpy(seed_index(seeds))

    return draw


def instance_measurement(inst: Instance) -> Callable[[torch.Tensor], torch.Tensor]:
    """A = [0 | I_{d'}]: the comb coordinates of x~."""
    return lambda x: x[:, inst.d :]


def instance_seed_terms(inst: Instance, y: list[float], beta: float) -> list[arb]:
    """For each seed s (``all_seeds`` order): prod_j psi_{f(s)_j, beta c}(c y_j), enclosed
    (c = ``inst.scale``): the unnormalised posterior of the seed given y."""
    c = to_arb(inst.scale)
    sigma = to_arb(beta) * c
    combs = {b: [inst.comb_arb(c * to_arb(v), sigma, b) for v in y] for b in (1, -1)}
    terms = []
    for code in inst.outputs(inst.seeds()):
        value = arb(1)
        for j, b in enumerate(code.tolist()):
            value *= combs[int(b)][j]
        terms.append(value)
    return terms


def instance_acceptance(inst: Instance, terms: list[arb], beta: float) -> arb:
    """a(y) = (2 pi beta^2)^{d'/2} c^{d'} 2^-d sum_s prod_j psi_{f(s)_j, beta c}(c y_j)."""
    d_out = inst.d_out
    b = to_arb(beta)
    mean = sum(terms, arb(0)) / len(terms)
    return (2 * arb.pi() * b * b) ** (arb(d_out) / 2) * to_arb(inst.scale) ** d_out * mean


# ---------------------------------------------------------------------- the E.1 bound


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
