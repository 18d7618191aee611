r"""E.2 in the paper's form: an unconditional sampler that is (tau, delta)-close to p, with the
coupling planted and explicit, turned into a posterior sampler by Algorithm 1.

The planted sampler. Draw x ~ p exactly; with probability 1 - delta move it by
``INSIDE * tau`` (< tau) in a uniformly random direction, otherwise by ``OUTSIDE * tau``
(> tau). The pair (x, x_hat) is a coupling of p with the sampler's law and
P(|x_hat - x| > tau) = delta exactly, so the sampler is (tau, delta)-close to p and the upper
bound on delta is exact.

The claim (``lemmas.e02_posterior_rejection`` (a'), derived there): Algorithm 1 on x_hat returns
q_y with delta_tau(q_y, p(. | y)) <= delta' = (delta + tau/(beta sqrt e))/a(y). Two parts:

- ``paper_coupling`` (STATISTICAL): the proof's coupling itself. Rounds run on coupled pairs
  with one shared U each; the stream of rounds splits at the rounds where either member
  accepts (the stopping rounds of i.i.d. coupled runs of Algorithm 1); a stopping round is
  *bad* unless both accept and |x_hat - x| <= tau. Coupling the two outputs along the run, they
  are within tau unless the stopping round is bad, so P(bad stop) bounds delta_tau(q_y,
  p(.|y)) from above; the proof bounds it by delta'. The Clopper-Pearson interval of P(bad stop)
  (exact binomial tails: distribution-free) must meet [0, delta'].
- ``paper_closeness`` (STATISTICAL, one-sided): ``verify.maths.closeness.delta_lower_bound``
  (split-sample half-space and Clopper-Pearson) from Algorithm 1's outputs on x_hat and on exact
  samples (exact posterior samples, E.2 (a)) must not exceed delta'.

Both at level 1 - alpha; a refutation is confirmed at the engine's level on the same draws and
on ``FRESH_FACTOR`` times as many fresh ones (``Part.redraw``). A sampler moved by 3 tau
(``shift``: the model mutant) breaks both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from flint import arb

from verify.core.contract import Part
from verify.core.numbers import ball, to_arb
from verify.core.stats import clopper_pearson
from verify.maths.closeness import delta_lower_bound
from verify.maths.samplers.posterior_evidence import ALPHA, FRESH_FACTOR
from verify.maths.samplers.rejection import (
    UnconditionalSampler,
    first_coordinates,
    rejection_sample,
)

INSIDE = 0.999  # a good move, strictly within tau whatever the rounding of |x_hat - x|
OUTSIDE = 4.0  # a bad move, far outside tau
BATCH = 200_000
FRESH_SEED_OFFSET = 1_000_003  # the re-draw's generators, apart from the check's own


def planted_sampler(
    exact: UnconditionalSampler, tau: float, delta: float, shift: float = 0.0
) -> Callable[[int, torch.Generator], tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Draws (x, x_hat, labels) of the planted coupling; ``shift`` moves every x_hat by that
    many tau along the first axis beyond the plant (a wrong sampler: the model mutant)."""

    def draw(count: int, gen: torch.Generator):
        x, labels = exact(count, gen)
        direction = torch.randn(x.shape, generator=gen, dtype=x.dtype)
        direction /= direction.norm(dim=1, keepdim=True).clamp_min(1e-300)
        bad = torch.rand(count, generator=gen, dtype=x.dtype) < delta
        size = torch.where(bad, OUTSIDE * tau, INSIDE * tau).to(x.dtype)[:, None]
        x_hat = x + size * direction
        x_hat[:, 0] += shift * tau
        return x, x_hat, labels

    return draw


def delta_prime(tau: float, delta: float, beta: float, acceptance: arb) -> arb:
    """(delta + tau/(beta sqrt e))/a(y), enclosed."""
    lipschitz = to_arb(tau) / (to_arb(beta) * arb(1).exp().sqrt())
    return (to_arb(delta) + lipschitz) / acceptance


def coupled_stops(
    draw: Callable, y: torch.Tensor, beta: float, measure: Callable, tau: float, rounds: int, gen
) -> tuple[int, int]:
    """(stopping rounds, bad stopping rounds) among ``rounds`` coupled rounds (module doc)."""
    stops = bad = 0
    done = 0
    while done < rounds:
        count = min(BATCH, rounds - done)
        x, x_hat, _ = draw(count, gen)
        log_u = torch.log(torch.rand(count, generator=gen, dtype=torch.float64))
        accept_x = log_u < -((measure(x) - y) ** 2).sum(1) / (2 * beta**2)
        accept_hat = log_u < -((measure(x_hat) - y) ** 2).sum(1) / (2 * beta**2)
        within = (x_hat - x).norm(dim=1) <= tau
        stop = accept_x | accept_hat
        stops += int(stop.sum())
        bad += int((stop & ~(accept_x & accept_hat & within)).sum())
        done += count
    return stops, bad


def paper_form_parts(
    exact: UnconditionalSampler,
    y: torch.Tensor,
    beta: float,
    measure: int | Callable,
    acceptance: arb,
    params: dict[str, Any],
    shift: float = 0.0,
) -> list[Part]:
    """``paper_coupling`` and ``paper_closeness`` at the measurement y (module docstring), for
    the planted sampler of ``params["paper_tau"]``, ``params["paper_delta"]``, about
    ``params["outputs"]`` outputs, generators seeded from ``params["seed"]``."""
    tau, delta = float(params["paper_tau"]), float(params["paper_delta"])
    outputs, seed = params["outputs"], params["seed"] + 13
    alpha, fresh_factor, fresh_offset = ALPHA, FRESH_FACTOR, FRESH_SEED_OFFSET
    measure = first_coordinates(measure) if isinstance(measure, int) else measure
    bound = delta_prime(tau, delta, beta, acceptance)
    draw = planted_sampler(exact, tau, delta, shift)
    rounds = int(1.3 * outputs / float(acceptance.mid())) + 1000

    def hat_sampler(count: int, gen: torch.Generator):
        _, x_hat, labels = draw(count, gen)
        return x_hat, labels

    def stops_at(factor: int, gen_seed: int) -> tuple[int, int]:
        gen = torch.Generator().manual_seed(gen_seed)
        return coupled_stops(draw, y, beta, measure, tau, factor * rounds, gen)

    def outputs_at(factor: int, gen_seed: int) -> tuple[Any, Any]:
        gen = torch.Generator().manual_seed(gen_seed)
        want, cap = factor * outputs, factor * 10 * rounds
        q = rejection_sample(hat_sampler, y, beta, measure, gen, want=want, max_proposals=cap)
        p = rejection_sample(exact, y, beta, measure, gen, want=want, max_proposals=cap)
        return q.samples.numpy(), p.samples.numpy()

    def interval(counts: tuple[int, int], level: float) -> Any:
        lo, hi = clopper_pearson(counts[1], counts[0], level)
        return ball(lo, hi)

    counts = stops_at(1, seed)
    q, p = outputs_at(1, seed + 1)
    lower, info = delta_lower_bound(q, p, tau, alpha)

    def redraw_coupling(level: float, fresh: bool) -> tuple[Any, Any]:
        drawn = stops_at(fresh_factor, seed + fresh_offset) if fresh else counts
        return interval(drawn, level), bound

    def redraw_closeness(level: float, fresh: bool) -> tuple[Any, Any]:
        pair = outputs_at(fresh_factor, seed + 1 + fresh_offset) if fresh else (q, p)
        return delta_lower_bound(*pair, tau, level)[0], bound

    common = {"tau": tau, "delta": delta, "delta_prime": float(bound.mid()), "shift": shift}
    return [
        Part(
            "paper_coupling",
            interval(counts, alpha),
            bound,
            kind="statistical",
            confidence=1 - alpha,
            note=(
                f"{counts[1]}/{counts[0]} stopping rounds of the coupled runs bad; "
                f"delta' = {bound.str(5)}"
            ),
            data={**common, "stops": counts[0], "bad_stops": counts[1]},
            redraw=redraw_coupling,
        ),
        Part(
            "paper_closeness",
            lower,
            bound,
            kind="statistical",
            confidence=1 - alpha,
            note=f"lower confidence bound of delta_tau(q_y, p(.|y)) {float(lower):.4f}",
            data={**common, "delta_lower": float(lower), "outputs": len(q), **info},
            redraw=redraw_closeness,
        ),
    ]


def perturbed(
    x: torch.Tensor, labels: torch.Tensor, y: torch.Tensor, m: int, gamma: float, mode: str, gen
) -> torch.Tensor:
    """E.2 (a)'s inexact sampler: |x_hat - x| <= gamma ("random": a random move; "adversarial":
    component-0 proposals move toward y, the others away, in the measured coordinates)."""
    if gamma == 0 or mode == "none":
        return x
    if mode == "random":
        direction = torch.randn(x.shape, generator=gen, dtype=x.dtype)
        direction /= direction.norm(dim=1, keepdim=True).clamp_min(1e-300)
        radius = torch.rand(x.shape[0], 1, generator=gen, dtype=x.dtype)
        return x + gamma * radius * direction
    toward = torch.zeros_like(x)
    gap = y - x[:, :m]
    toward[:, :m] = gap / gap.norm(dim=1, keepdim=True).clamp_min(1e-300)
    sign = torch.where(labels == 0, 1.0, -1.0).to(x.dtype)[:, None]
    return x + gamma * sign * toward


def perturbed_sampler(
    exact: UnconditionalSampler, y: torch.Tensor, m: int, gamma: float, mode: str
) -> UnconditionalSampler:
    """``exact``'s draws moved by ``perturbed`` (labels kept: those of the exact draws)."""

    def draw(count: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        x, labels = exact(count, gen)
        return perturbed(x, labels, y, m, gamma, mode, gen), labels

    return draw
