r"""Posterior sampling implies inversion (Lemmas B.2, B.3, Theorem B.4, Lemma 3.3), in torch.

The reduction. Given :math:`y^* = f(s^*)`, build a *synthetic measurement*: for each output
coordinate j draw a point :math:`t_j` of the discretized Gaussian whose phase encodes
:math:`y^*_j` (phase 0 for +1, eps/2 for -1; mass :math:`\phi(t)/Z_\theta` at each comb point t)
and add :math:`N(0,\beta^2)` noise. For uniform :math:`s^*` this y has exactly the law of the real
measurement :math:`y = Ax + \eta` of :math:`x\sim g` (Definition 3.1, A = [0 | I]). Feed y to a
posterior sampler, get x, and output :math:`\mathrm{sign}(x_{1:d})` (ties to +1).

The guarantee checked (explicit form of B.3 / B.4 / Lemma 3.3, derived here). Let the sampler be
a :math:`(\tau,\delta)`-posterior sampler: with probability :math:`\ge 1-\delta` over y its output
can be coupled with :math:`x\sim g(\cdot\mid y)` so that :math:`\|\hat x - x\| \le \tau` except
with probability :math:`\delta`. Then

.. math:: \Pr[f(\mathrm{sign}(\hat x_{1:d})) \ne y^*]
          \le 2\delta + 4 d'\,\bar\Phi\!\big(\tfrac{\epsilon}{4\beta}\big) + d\,\bar\Phi(R-\tau).

Proof. (i) The synthetic noise and (ii) the noise of the pair (x, y) (x a true posterior sample:
the pair has the law of (signal, measurement)) are each below eps/4 in every coordinate except
with probability :math:`d'\cdot 2\bar\Phi(\epsilon/4\beta)` (B.2). On both events
:math:`x_{d+j}` is a comb point within eps/2 of a comb point of phase :math:`y^*_j`; comb points
of the two phases are eps/2 apart, so it *is* that point: :math:`f(s) = y^*` for the seed s of x.
(iii) Given s, :math:`x_{1:d}\sim N(Rs, I)` independently of y, and a shift of norm at most
:math:`\tau` flips the sign of coordinate i only if :math:`(x_i - Rs_i)s_i < -(R-\tau)`:
probability :math:`\bar\Phi(R-\tau)` each. (iv) The two delta's: the bad-y set and the coupling
failure. Lemma 3.3 is the same statement for the scaled law :math:`\tilde g` (everything divided
by c = sqrt(R^2+1)), with :math:`\tilde\beta = \beta/c`, :math:`\tilde\tau = \tau/c`.

B.3 is the same bound for a pair (x, y) drawn from the model itself, the event being
:math:`f(\mathrm{sign}(\hat x_{1:d})) = f(s)` for the seed s of the signal.

Samplers provided: ``ExactPosteriorSampler`` (enumerates the 2^d seeds; the likelihood of a seed
given y factorises into smoothed combs :math:`\psi_{f(s)_j,\beta}(y_j)`), ``RejectionSampler``
(draw x ~ g, accept with probability :math:`e^{-|Ax-y|^2/2\beta^2}`: exact, time exponential in
d'; Algorithm 1 is defined once, in ``verify.maths.samplers.rejection``), and
``AdversarialSampler`` (a worst-case member of the :math:`(\tau,\delta)` class built on
the exact sampler: garbage on a y-set of probability exactly delta, garbage with probability delta
elsewhere, and a shift of norm tau of the most fragile sign coordinate). For Definition B.1's
clipped noise (B.3 as the paper states it, ``lemmas/b03_clipped``): ``ClippedPosteriorSampler``
(the enumeration with the clipped likelihood) and ``ClippedRejectionSampler`` (Algorithm 1 with
it), and ``clipped_model_pair_failures`` with the bound ``clipped_failure_bound_arb``.

The instance is ``verify.maths.instance.Instance`` (Definitions 3.1/3.2) through its torch
forms (``outputs_torch``, ``comb_table``, ``sample_comb_by_inverse_cdf``, ...); seeds are
enumerated in the suite's one order, ``verify.maths.oneway.all_seeds``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from flint import arb
from hypothesis import assume
from hypothesis import strategies as st

from verify.core.numbers import Real, ball, normal_upper_tail, normal_upper_tail_float, to_arb
from verify.core.plotting import pyplot, save
from verify.core.stats import clopper_pearson
from verify.maths.instance import (
    Instance,
    clipped_normal_mass,
    clipped_normal_tv,
    sample_clipped_normal,
)
from verify.maths.oneway import all_seeds
from verify.maths.samplers.rejection import first_acceptances, gaussian_log_accept

if TYPE_CHECKING:
    import torch
    from torch import Tensor


def seed_table(instance: Instance) -> tuple[Tensor, Tensor]:
    """``all_seeds(d)`` and f of each, as float64 tensors of ±1 (shapes (2^d, d), (2^d, d'))."""
    import torch

    seeds = torch.as_tensor(all_seeds(instance.d), dtype=torch.float64)
    return seeds, instance.outputs_torch(seeds)


def log_smoothed_comb(instance: Instance, sign: int, y: Tensor, beta: float) -> Tensor:
    """log psi_{theta(sign), beta}(y), elementwise, by the direct comb sum (float64 logsumexp)."""
    import torch

    t, log_mass = instance.comb_table(sign)
    # log_mass - ((y - t) / beta)^2 / 2 - log(beta sqrt(2 pi)), in place in one (n, d', T)
    # tensor: z * z is z**2, and -w + log_mass is log_mass - w, the same roundings
    log_terms = y.unsqueeze(-1) - t
    log_terms.div_(beta)
    log_terms.mul_(log_terms).div_(2)
    log_terms.neg_().add_(log_mass).sub_(math.log(beta * math.sqrt(2 * math.pi)))
    return torch.logsumexp(log_terms, dim=-1)


@dataclass
class ReductionWork:
    """The elementary steps of the B.4 / Lemma 3.3 reduction around its sampler call, counted
    where they are performed, one per entry of the tensors processed: ``drawn`` coordinates
    generated (a comb point by inverse CDF, a normal draw), ``arithmetic`` elementwise
    operations (the noise's scaling and addition; Lemma 3.3's division by c), ``compared`` the
    decoding's sign tests; ``sampler_calls`` the calls of the sampler (one per batch of rows).

    A comb point counts as one step: its inverse-CDF search takes ceil(log2 T) comparisons in a
    table of T ~ 4 COMB_RADIUS / eps points, fixed by the instance's eps, not by d or d'. The
    count is deterministic (shapes, not times): per inversion 4 d' + d (B.4), 5 d' + d (L.3.3).
    """

    drawn: int = 0
    arithmetic: int = 0
    compared: int = 0
    sampler_calls: int = 0

    @property
    def steps(self) -> int:
        return self.drawn + self.arithmetic + self.compared


def synthetic_measurement(
    instance: Instance,
    y_star: Tensor,
    beta: float,
    generator: torch.Generator,
    work: ReductionWork | None = None,
) -> Tensor:
    """Theorem B.4's measurement: a comb point of phase y*_j plus N(0, beta^2), per coordinate."""
    import torch

    points = instance.sample_comb_by_inverse_cdf(y_star, generator)
    if work is not None:
        work.drawn += 2 * points.numel()  # the comb points and the normal draws
        work.arithmetic += 2 * points.numel()  # beta * noise, points + it
    return points + beta * torch.randn(points.shape, generator=generator, dtype=torch.float64)


def decode_seed(x: Tensor, d: int, work: ReductionWork | None = None) -> Tensor:
    """sign(x_{1:d}) with ties to +1."""
    import torch

    if work is not None:
        work.compared += x.shape[0] * d
    return torch.where(x[:, :d] >= 0, 1.0, -1.0).to(torch.float64)


def decode_phases(x_tail: Tensor, eps: float) -> Tensor:
    """Lemma B.2's decoder: +1 if x is nearer the phase-0 comb than the phase-eps/2 comb."""
    import torch

    r = torch.remainder(x_tail, eps)
    distance_to_even = torch.minimum(r, eps - r)
    return torch.where(distance_to_even <= eps / 4, 1.0, -1.0).to(torch.float64)


def failure_bound(
    d: int, d_out: int, R: float, eps: float, beta: float, tau: float = 0.0, delta: float = 0.0
) -> float:
    """The right side 2 delta + 4 d' Phi_bar(eps / 4 beta) + d Phi_bar(R - tau) (floats)."""
    return (
        2 * delta
        + 4 * d_out * normal_upper_tail_float(eps / (4 * beta))
        + d * normal_upper_tail_float(R - tau)
    )


def failure_bound_arb(
    d: int, d_out: int, R: Real, eps: Real, beta: Real, tau: Real = 0, delta: Real = 0
) -> arb:
    """The same right side 2 delta + 4 d' Phi_bar(eps / 4 beta) + d Phi_bar(R - tau), enclosed."""
    R, eps, beta, tau, delta = (to_arb(float(t)) for t in (R, eps, beta, tau, delta))
    return (
        2 * delta + 4 * d_out * normal_upper_tail(eps / (4 * beta)) + d * normal_upper_tail(R - tau)
    )


def tv_route_bound_arb(
    d: int, d_out: int, R: Real, eps: Real, beta: Real, tau: Real = 0, delta: Real = 0
) -> arb:
    """B.4 through Definition B.1, enclosed: 2 delta + d Phi_bar(R - tau) + 2 TV, TV =
    1 - (1 - 2 Phi_bar(eps / 4 beta))^d' the distance from clipped (c = eps/4) to Gaussian
    noise. Under clipped noise the phases are decoded without error (B.1), so B.3 costs
    2 delta + d Phi_bar(R - tau); moving the synthetic measurement and the model's posterior
    from clipped to Gaussian noise costs TV once each. Since 2 TV <= 4 d' Phi_bar(eps / 4 beta)
    (part ``tv_step``), this is at most ``failure_bound_arb``."""
    R, eps, beta, tau, delta = (to_arb(float(t)) for t in (R, eps, beta, tau, delta))
    tv = clipped_normal_tv(eps / 4, beta, d_out)
    return 2 * delta + d * normal_upper_tail(R - tau) + 2 * tv


def tv_step_parts(d_out: int, eps: Real, beta: Real) -> tuple[arb, arb, arb]:
    """(2 TV, 4 d' Phi_bar(eps / 4 beta), a certified lower bound of their difference): the TV
    step's cost against the stated bound's decoding term. The difference is 2(np - 1 + (1-p)^n),
    p = 2 Phi_bar(eps / 4 beta), n = d', at least 2 C(n, 2) p^2 (1 - (n - 2) p / 3) by
    Bonferroni (0 at n = 1, where the two are equal)."""
    eps, beta = to_arb(float(eps)), to_arb(float(beta))
    p = 2 * normal_upper_tail(eps / (4 * beta))
    margin = 2 * arb(d_out * (d_out - 1) // 2) * p * p * (1 - (d_out - 2) * p / 3)
    return 2 * clipped_normal_tv(eps / 4, beta, d_out), 2 * d_out * p, margin


# ---------------------------------------------------------------------------------------------
# Posterior samplers. Each maps measurements y of shape (n, d') (unscaled coordinates) to one
# posterior draw per row, shape (n, d + d'), and records the work done.
# ---------------------------------------------------------------------------------------------


@dataclass
class SamplerStats:
    draws: int = 0  # unconditional draws (rejection) or seed enumerations (exact)
    seconds: float = 0.0
    gave_up: int = 0  # rows where rejection sampling hit its cap (returned NaN)


class ExactPosteriorSampler:
    """Exact posterior sampling by enumerating the 2^d seeds (small d).

    p(s, x | y) factorises: p(s | y) is proportional to prod_j psi_{f(s)_j, beta}(y_j) (the comb
    of phase f(s)_j smoothed by the measurement noise); given s, each x_{d+j} is a comb point
    drawn with weight phi(t)/Z * phi_beta(y_j - t), and x_{1:d} ~ N(R s, I).
    """

    def __init__(self, instance: Instance, beta: float, max_seed_bits: int = 16):
        if instance.d > max_seed_bits:
            raise ValueError(f"exact enumeration of 2^{instance.d} seeds refused")
        self.instance, self.beta = instance, beta
        self.seeds, self.codes = seed_table(instance)  # (2^d, d), (2^d, d')
        self.stats = SamplerStats()

    def seed_log_posterior(self, y: Tensor) -> Tensor:
        """log p(s | y) up to a constant per row, shape (n, 2^d)."""
        import torch

        plus = log_smoothed_comb(self.instance, 1, y, self.beta)  # (n, d')
        minus = log_smoothed_comb(self.instance, -1, y, self.beta)
        chosen = (self.codes > 0).to(torch.float64)  # (2^d, d')
        return minus.sum(1, keepdim=True) + (plus - minus) @ chosen.T

    def __call__(self, y: Tensor, generator: torch.Generator) -> Tensor:
        import torch

        started = time.perf_counter()
        inst = self.instance
        logits = self.seed_log_posterior(y)
        idx = torch.multinomial(torch.softmax(logits, dim=1), 1, generator=generator).squeeze(1)
        s = self.seeds[idx]
        head = float(inst.R) * s + torch.randn(s.shape, generator=generator, dtype=torch.float64)
        codes = self.codes[idx]
        tail = torch.empty_like(y)
        for sign in (1, -1):
            mask = codes > 0 if sign > 0 else codes <= 0
            if not bool(mask.any()):
                continue
            t, log_mass = inst.comb_table(sign)
            yy = y[mask]
            w = yy.unsqueeze(-1) - t  # log_mass - (yy - t)^2 / (2 beta^2), in place
            w.mul_(w).div_(2 * self.beta**2).neg_().add_(log_mass)
            pick = torch.multinomial(torch.softmax(w, dim=1), 1, generator=generator).squeeze(1)
            tail[mask] = t[pick]
        self.stats.draws += y.shape[0] * self.seeds.shape[0]
        self.stats.seconds += time.perf_counter() - started
        return torch.cat([head, tail], dim=1)

    def noise_cdf(self, u: Tensor) -> Tensor:
        """P(eta <= u) for the measurement noise eta ~ N(0, beta^2), elementwise."""
        import torch

        z = u / self.beta
        return 0.5 * torch.erfc(-z / math.sqrt(2))


class RejectionSampler:
    """Algorithm 1: x ~ g, accept with probability exp(-|Ax - y|^2 / (2 beta^2)).

    Built on ``rejection.first_acceptances`` (the suite's one Algorithm 1): this class only says
    what it proposes and its likelihood. Only A x enters the acceptance test, so a proposal is a
    seed and its comb coordinates; the Gaussian head x_{1:d} | s is drawn afterwards for the
    accepted draws (same law as x ~ g). Exact whenever it returns; expected draws per row are
    1 / E_x exp(-|Ax - y|^2 / 2beta^2), exponential in d'. Rows still pending after
    ``max_draws`` draws come back as NaN (and count as failures for whoever decodes them).
    """

    def __init__(
        self, instance: Instance, beta: float, max_draws: int = 200_000, chunk: int = 4096
    ):
        self.instance, self.beta = instance, beta
        self.max_draws, self.chunk = max_draws, chunk
        self.stats = SamplerStats()
        self.table: tuple[Tensor, Tensor] | None = None
        if instance.d <= 16:
            self.table = seed_table(instance)

    def propose(self, count: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``count`` seeds s ~ Uniform({±1}^d) and comb coordinates x_{d+1:} | s: (s, tail)."""
        import torch

        inst = self.instance
        if self.table is None:
            s = inst.sample_seeds_torch(count, generator)
            codes = inst.outputs_torch(s)
        else:  # small d: f tabulated on all 2^d seeds once, draws index the table
            pick = torch.randint(0, self.table[0].shape[0], (count,), generator=generator)
            s, codes = self.table[0][pick], self.table[1][pick]
        return s, inst.sample_comb_by_inverse_cdf(codes, generator)

    def complete(
        self, proposals: tuple[Tensor, Tensor], chosen: Tensor, generator: torch.Generator
    ) -> Tensor:
        """The accepted proposals as rows of x: the head x_{1:d} ~ N(R s, I), then the comb."""
        import torch

        s, tail = proposals
        return torch.cat([self.instance.sample_head(s[chosen], generator), tail[chosen]], dim=1)

    def log_accept_proposals(self, proposals: tuple[Tensor, Tensor], y: Tensor) -> Tensor:
        return self.log_accept(proposals[1], y)

    def __call__(self, y: Tensor, generator: torch.Generator) -> Tensor:
        started = time.perf_counter()
        inst = self.instance
        run = first_acceptances(
            y,
            self.propose,
            self.log_accept_proposals,
            self.complete,
            inst.d + inst.d_out,
            generator,
            max_draws=self.max_draws,
            chunk=self.chunk,
        )
        self.stats.draws += run.draws
        self.stats.gave_up += run.gave_up
        self.stats.seconds += time.perf_counter() - started
        return run.outputs

    def log_accept(self, tail: Tensor, y: Tensor) -> Tensor:
        """log of the acceptance probability exp(-|Ax - y|^2 / 2 beta^2), the likelihood over
        its maximum (Gaussian noise), per row."""
        return gaussian_log_accept(((tail - y) ** 2).sum(1), self.beta)


class ClippedRejectionSampler(RejectionSampler):
    """Algorithm 1 for Definition B.1's clipped noise: the likelihood prod_j phi_beta(y_j - t_j)
    1{|y_j - t_j| <= c} / m over its maximum (phi_beta(0) / m)^d' is exp(-|Ax - y|^2 / 2beta^2)
    when every |y_j - t_j| <= c and 0 otherwise. Exact whenever it returns; independent of
    ``ClippedPosteriorSampler`` (no enumeration, no weights). Only the likelihood differs from
    ``RejectionSampler``."""

    def __init__(self, instance: Instance, beta: float, clip: float, **kwargs: Any):
        super().__init__(instance, beta, **kwargs)
        self.clip = clip

    def log_accept(self, tail: Tensor, y: Tensor) -> Tensor:
        import torch

        inside = ((tail - y).abs() <= self.clip).all(dim=1)
        return torch.where(inside, super().log_accept(tail, y), -math.inf)


class AdversarialSampler:
    """A worst-case (tau, delta)-posterior sampler built on an exact one.

    - bad measurements: the y with F(y_1) < delta, F the exact CDF of the first measured
      coordinate (so the bad set has probability exactly delta), get a garbage answer;
    - on the other y, with probability delta the coupling fails: garbage again;
    - otherwise the exact draw is moved by tau along the seed coordinate nearest to 0 (towards
      it), the shift of norm tau that flips a sign most often.
    Garbage is the exact draw with its seed coordinates negated.
    """

    def __init__(self, exact: ExactPosteriorSampler, tau: float, delta: float):
        import torch

        self.exact, self.tau, self.delta = exact, tau, delta
        self.plus_fraction = float((exact.codes[:, 0] > 0).to(torch.float64).mean())
        self.stats = exact.stats

    def measurement_cdf(self, y1: Tensor) -> Tensor:
        import torch

        inst = self.exact.instance
        total = torch.zeros_like(y1)
        for sign, weight in ((1, self.plus_fraction), (-1, 1 - self.plus_fraction)):
            t, log_mass = inst.comb_table(sign)
            total += weight * (log_mass.exp() * self.exact.noise_cdf(y1.unsqueeze(-1) - t)).sum(-1)
        return total

    def __call__(self, y: Tensor, generator: torch.Generator) -> Tensor:
        import torch

        x = self.exact(y, generator)
        d = self.exact.instance.d
        bad_y = self.measurement_cdf(y[:, 0]) < self.delta
        coupling_fails = torch.rand(y.shape[0], generator=generator) < self.delta
        garbage = bad_y | coupling_fails
        x[garbage, :d] = -x[garbage, :d]
        good = ~garbage
        head = x[good, :d]
        i = head.abs().argmin(dim=1)
        rows = torch.arange(head.shape[0])
        head[rows, i] -= self.tau * torch.where(head[rows, i] >= 0, 1.0, -1.0)
        x[good, :d] = head
        return x


class ClippedPosteriorSampler(ExactPosteriorSampler):
    r"""Exact posterior sampling for the clipped-noise model of Definition B.1 (small d).

    The model: s uniform on {±1}^d, x_{1:d} ~ N(R s, I), x_{d+j} a comb point t of phase
    f(s)_j with mass phi(t)/Z, and y_j = x_{d+j} + eta_j, eta_j i.i.d. N(0, beta^2) conditioned
    on [-c, c] (density phi_beta(u) 1{|u| <= c} / m, m = 1 - 2 Phi_bar(c / beta)). Bayes:

    .. math:: p(s \mid y) \propto 2^{-d} \prod_j \psi^c_{f(s)_j}(y_j),\qquad
              \psi^c_b(y) = \sum_{t \in \text{comb}_b} \tfrac{\phi(t)}{Z_b}
              \tfrac{\phi_\beta(y - t)\,1\{|y-t| \le c\}}{m},

    the smoothed comb convolved with the clipped density. The head x_{1:d} depends on y only
    through s, so given s it is drawn as N(R s, I) (no rejection needed); given s and y, x_{d+j}
    is a comb point of phase f(s)_j with weight phi(t)/Z phi_beta(y_j - t) 1{|y_j - t| <= c}.
    A seed with any factor psi^c = 0 has posterior weight exactly 0 (kept apart from the finite
    log weights, never as -inf arithmetic); the seed is drawn by inverse CDF on the weights, so
    a zero-weight seed is never drawn. With c < eps/4 at most one comb point of either phase is
    within c of y_j, so the posterior is uniform on the seeds s with f(s) = the phases of y.
    A measurement with no seed of positive weight (impossible under the model) gives a NaN row
    and counts in ``stats.gave_up``.
    """

    def __init__(self, instance: Instance, beta: float, clip: float, max_seed_bits: int = 16):
        super().__init__(instance, beta, max_seed_bits)
        self.clip = clip
        self.log_mass = math.log(float(clipped_normal_mass(clip, beta).mid()))

    def _log_likelihood(self, sign: int, y: Tensor) -> tuple[Tensor, Tensor]:
        """(log psi^c_sign(y) with 0 where psi^c = 0, and 1.0 where psi^c = 0), elementwise."""
        import torch

        t, log_mass = self.instance.comb_table(sign)
        u = y.unsqueeze(-1) - t
        # log_mass - (u / beta)^2 / 2 - log(beta sqrt(2 pi)) - log_mass_clip, in place
        log_terms = u / self.beta
        log_terms.mul_(log_terms).div_(2).neg_().add_(log_mass)
        log_terms.sub_(math.log(self.beta * math.sqrt(2 * math.pi))).sub_(self.log_mass)
        inside = u.abs() <= self.clip
        log_terms = torch.where(inside, log_terms, -math.inf)
        impossible = ~inside.any(-1)
        value = torch.logsumexp(log_terms, dim=-1)
        return torch.where(impossible, 0.0, value), impossible.to(torch.float64)

    def seed_log_posterior(self, y: Tensor) -> Tensor:
        """log p(s | y) up to a constant per row, -inf for seeds of weight 0, shape (n, 2^d)."""
        import torch

        plus, plus_zero = self._log_likelihood(1, y)
        minus, minus_zero = self._log_likelihood(-1, y)
        chosen = (self.codes > 0).to(torch.float64)  # (2^d, d')
        finite = minus.sum(1, keepdim=True) + (plus - minus) @ chosen.T
        zeros = minus_zero.sum(1, keepdim=True) + (plus_zero - minus_zero) @ chosen.T
        return torch.where(zeros > 0.5, -math.inf, finite)

    @staticmethod
    def _inverse_cdf(logits: Tensor, generator: torch.Generator) -> Tensor:
        """One index per row with probability softmax(logits) (rows with a finite entry), by
        inverse CDF; an index of weight 0 is never returned."""
        import torch

        weights = torch.softmax(logits, dim=1)
        cdf = torch.cumsum(weights, dim=1)
        u = torch.rand(logits.shape[0], 1, generator=generator, dtype=torch.float64)
        idx = torch.searchsorted(cdf, u * cdf[:, -1:], right=True).squeeze(1)
        last = torch.where(weights > 0, torch.arange(logits.shape[1]), 0).amax(dim=1)
        return torch.minimum(idx, last)

    def __call__(self, y: Tensor, generator: torch.Generator) -> Tensor:
        import torch

        started = time.perf_counter()
        inst = self.instance
        logits = self.seed_log_posterior(y)
        possible = torch.isfinite(logits).any(dim=1)
        idx = self._inverse_cdf(torch.where(possible.unsqueeze(1), logits, 0.0), generator)
        s = self.seeds[idx]
        head = inst.sample_head(s, generator)
        codes = self.codes[idx]
        tail = torch.full_like(y, math.nan)
        for sign in (1, -1):
            mask = (codes > 0 if sign > 0 else codes <= 0) & possible.unsqueeze(1)
            if not bool(mask.any()):
                continue
            t, log_mass = inst.comb_table(sign)
            u = y[mask].unsqueeze(-1) - t
            w = torch.where(u.abs() <= self.clip, log_mass - u**2 / (2 * self.beta**2), -math.inf)
            tail[mask] = t[self._inverse_cdf(w, generator)]
        out = torch.cat([head, tail], dim=1)
        out[~possible] = math.nan
        self.stats.gave_up += int((~possible).sum())
        self.stats.draws += y.shape[0] * self.seeds.shape[0]
        self.stats.seconds += time.perf_counter() - started
        return out

    def noise_cdf(self, u: Tensor) -> Tensor:
        """P(eta <= u) for the clipped noise: (Phi(u / beta) - Phi(-c / beta)) / m on [-c, c]."""
        low = normal_upper_tail_float(self.clip / self.beta)
        gaussian = super().noise_cdf(u)
        return ((gaussian - low) / (1 - 2 * low)).clamp(0.0, 1.0)


PosteriorSampler = Callable[["Tensor", "torch.Generator"], "Tensor"]


@dataclass
class InversionOutcome:
    trials: int
    failures: int
    seconds: float
    draws: int
    gave_up: int


def invert(
    instance: Instance,
    y_star: Tensor,
    beta: float,
    sampler: PosteriorSampler,
    generator: torch.Generator,
    *,
    scaled: bool = False,
    work: ReductionWork | None = None,
) -> Tensor:
    """Theorem B.4 / Lemma 3.3: a candidate preimage of each row of y* (shape (n, d')).

    ``scaled=True`` runs the reduction on g~ (Lemma 3.3): the measurement is built in scaled
    coordinates with noise beta / c, and ``sampler`` must then be a posterior sampler for g~
    taking scaled measurements (see ``scaled_sampler``). ``work``, when given, counts the
    reduction's own steps (``ReductionWork``).
    """
    import torch

    if scaled:
        c = instance.scale
        points = instance.sample_comb_by_inverse_cdf(y_star, generator) / c
        noise = torch.randn(points.shape, generator=generator, dtype=torch.float64)
        y = points + (beta / c) * noise
        if work is not None:
            work.drawn += 2 * points.numel()
            work.arithmetic += 3 * points.numel()  # / c, (beta / c) * noise, the sum
    else:
        y = synthetic_measurement(instance, y_star, beta, generator, work)
    if work is not None:
        work.sampler_calls += 1
    return decode_seed(sampler(y, generator), instance.d, work)


def invert_rebuilding_prefixes(
    instance: Instance,
    y_star: Tensor,
    beta: float,
    sampler: PosteriorSampler,
    generator: torch.Generator,
    *,
    scaled: bool = False,
    work: ReductionWork | None = None,
) -> Tensor:
    """A planted wrong reduction (B.4's model mutant): the synthetic measurement's coordinate j
    taken from a measurement of the whole prefix y*_{1..j} built afresh. The output has the
    same law as ``invert``'s, but the reduction spends 2 d'(d' + 1) + d steps per inversion:
    quadratic overhead, which the overhead part must refute."""
    import torch

    if scaled:
        raise ValueError("the planted quadratic reduction is the unscaled one (B.4)")
    columns = [
        synthetic_measurement(instance, y_star[:, : j + 1], beta, generator, work)[:, j]
        for j in range(y_star.shape[1])
    ]
    if work is not None:
        work.sampler_calls += 1
    return decode_seed(sampler(torch.stack(columns, 1), generator), instance.d, work)


Reduction = Callable[..., "Tensor"]
OVERHEAD_SIZES = (8, 32, 128)  # d and d' of the overhead grid
OVERHEAD_ROWS = 4  # inversions per grid point (the count per inversion is exact)


@dataclass(frozen=True)
class OverheadPoint:
    d: int
    d_out: int
    steps: Fraction  # the reduction's own steps per inversion
    sampler_calls: int


@lru_cache(maxsize=16)
def reduction_overhead(
    R: float,
    eps: float,
    beta: float,
    *,
    scaled: bool = False,
    reduction: Reduction = invert,
    sizes: Sequence[int] = OVERHEAD_SIZES,
    rows: int = OVERHEAD_ROWS,
) -> tuple[OverheadPoint, ...]:
    """The reduction's own steps per inversion (``ReductionWork``) for d, d' in ``sizes``, on
    instances with the given R, eps, beta, around a stand-in sampler returning zeros: only the
    work around the sampler call is counted, so its output does not matter. Cached: the counts
    depend on the shapes only."""
    import torch

    from verify.maths.oneway import GoldreichFunction

    points = []
    for d in sizes:
        for d_out in sizes:
            instance = Instance(GoldreichFunction(d, d_out, 0), R, eps, eps_max=math.inf)
            generator = torch.Generator().manual_seed(0)
            s_star = 2.0 * torch.randint(0, 2, (rows, d), generator=generator) - 1
            y_star = instance.outputs_torch(s_star.to(torch.float64))

            def stand_in(y: Tensor, _gen: torch.Generator, width: int = d + d_out) -> Tensor:
                return torch.zeros(y.shape[0], width, dtype=torch.float64)

            work = ReductionWork()
            reduction(instance, y_star, beta, stand_in, generator, scaled=scaled, work=work)
            points.append(OverheadPoint(d, d_out, Fraction(work.steps, rows), work.sampler_calls))
    return tuple(points)


def overhead_exponent(points: Sequence[OverheadPoint]) -> arb:
    """The least-squares slope of log(steps) against log(d + d') over the grid, enclosed (arb
    logarithms of exact counts): ~1 for an O(d + d') reduction, ~2 for a quadratic one."""
    u = [to_arb(p.d + p.d_out).log() for p in points]
    v = [to_arb(p.steps).log() for p in points]
    u_mean, v_mean = sum(u) / len(u), sum(v) / len(v)
    covariance = sum((a - u_mean) * (b - v_mean) for a, b in zip(u, v, strict=True))
    variance = sum((a - u_mean) ** 2 for a in u)
    return covariance / variance


def overhead_part(
    params: dict[str, Any], c_ov: Fraction, reduction: Reduction = invert, *, scaled: bool = False
) -> Any:
    """B.4 / L.3.3's part ``reduction_overhead``: the reduction's own steps per inversion at
    the grid point of largest steps / (d + d') (exact rationals) against C_ov (d + d'),
    certified; the fitted exponent and the whole grid travel as data."""
    from verify.core.contract import Part

    R, eps, beta = (float(params[k]) for k in ("R", "eps", "beta"))
    points = reduction_overhead(R, eps, beta, scaled=scaled, reduction=reduction)
    worst = max(points, key=lambda p: p.steps / (p.d + p.d_out))
    unit = Fraction(worst.d + worst.d_out)
    exponent = overhead_exponent(points)
    return Part(
        "reduction_overhead",
        *(worst.steps, c_ov * unit, "C_ov", unit),
        note=(
            f"{worst.steps} steps per inversion at d = {worst.d}, d' = {worst.d_out}; fitted "
            f"exponent of steps in d + d' {float(exponent.mid()):.6f} +- "
            f"{float(exponent.rad()):.1e}; one sampler call per batch"
        ),
        data={
            "exponent": float(exponent.mid()),
            "exponent_radius": float(exponent.rad()),
            "grid": [[p.d, p.d_out, float(p.steps)] for p in points],
            "sampler_calls": max(p.sampler_calls for p in points),
        },
    )


def scaled_sampler(instance: Instance, sampler: PosteriorSampler) -> PosteriorSampler:
    """A posterior sampler for g~ from one for g: y~ = y / c, so x~ = x / c given y = c y~.

    (The posterior of the scaled law given the scaled measurement is the image of the unscaled
    posterior under x -> x / c: the reparameterisation of Lemma 3.3's proof.)
    """

    c = instance.scale

    def run(y_scaled: Tensor, generator: torch.Generator) -> Tensor:
        return sampler(c * y_scaled, generator) / c

    return run


def inversion_failures(
    instance: Instance,
    beta: float,
    sampler: PosteriorSampler,
    trials: int,
    generator: torch.Generator,
    *,
    scaled: bool = False,
) -> int:
    """B.4 / L.3.3: failures of the reduction over ``trials`` uniform seeds s*."""
    import torch

    s_star = 2.0 * torch.randint(0, 2, (trials, instance.d), generator=generator) - 1
    y_star = instance.outputs_torch(s_star.to(torch.float64))
    guess = invert(instance, y_star, beta, sampler, generator, scaled=scaled)
    wrong = (instance.outputs_torch(guess) != y_star).any(dim=1)
    return int(wrong.sum())


def model_pair_failures(
    instance: Instance,
    beta: float,
    sampler: PosteriorSampler,
    trials: int,
    generator: torch.Generator,
) -> int:
    """B.3: (x, y) from the model; failure when f(sign(x_hat_{1:d})) != f(s)."""
    import torch

    x, s = instance.sample_by_inverse_cdf(trials, generator)
    y = x[:, instance.d :] + beta * torch.randn(
        (trials, instance.d_out), generator=generator, dtype=torch.float64
    )
    guess = decode_seed(sampler(y, generator), instance.d)
    return int((instance.outputs_torch(guess) != instance.outputs_torch(s)).any(dim=1).sum())


def clipped_model_pair_failures(
    instance: Instance,
    beta: float,
    clip: float,
    sampler: PosteriorSampler,
    trials: int,
    seed: int,
) -> int:
    """B.3 under Definition B.1's noise: (x, y) from the model with clipped noise (generator
    seeded with ``seed``); failure when f(sign(x_hat_{1:d})) != f(s) or the sampler returned a
    NaN row (no answer)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    x, s = instance.sample_by_inverse_cdf(trials, generator)
    noise = sample_clipped_normal(trials * instance.d_out, beta, clip, generator)
    y = x[:, instance.d :] + noise.reshape(trials, instance.d_out)
    # Rows in chunks: the exact samplers hold a (rows, 2^d) table of seed weights.
    x_hat = torch.cat([sampler(rows, generator) for rows in y.split(4096)])
    guess = decode_seed(x_hat, instance.d)
    wrong = (instance.outputs_torch(guess) != instance.outputs_torch(s)).any(dim=1)
    return int((wrong | torch.isnan(x_hat).any(dim=1)).sum())


def clipped_failure_bound_arb(d: int, R: Real, tau: Real = 0, delta: Real = 0) -> arb:
    """B.3 under clipped noise (c <= eps/4), enclosed: 2 delta + d Phi_bar(R - tau). No decoding
    term: the exact posterior's seeds all have f(s) = f(s_true) (``ClippedPosteriorSampler``)."""
    R, tau, delta = (to_arb(float(t)) for t in (R, tau, delta))
    return 2 * delta + d * normal_upper_tail(R - tau)


def reduction_failures(
    mode: str, instance: Instance, beta: float, sampler: PosteriorSampler, trials: int, seed: int
) -> int:
    """Failures in ``trials`` runs of B.3 (model pairs), B.4 (the reduction) or L.3.3 (the
    reduction on the scaled law), from a generator seeded with ``seed``."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    if mode == "B.3":
        return model_pair_failures(instance, beta, sampler, trials, generator)
    if mode == "B.4":
        return inversion_failures(instance, beta, sampler, trials, generator)
    scaled = scaled_sampler(instance, sampler)
    return inversion_failures(instance, beta, scaled, trials, generator, scaled=True)


def failure_rate_ball(failures: int, trials: int, alpha: float) -> arb:
    """A ball centred at the observed failure rate (so that the engine's empirical constant is
    rate / bound) and wide enough to contain the whole Clopper-Pearson interval at level
    1 - alpha (exact binomial tails: distribution-free, conservative)."""
    lo, hi = clopper_pearson(failures, trials, alpha)
    rate = Fraction(failures, trials)
    half_width = max(rate - lo, hi - rate)
    return ball(rate - half_width, rate + half_width)


def rejection_time_profile(
    instance_for: Callable[[int], Instance],
    dims: list[int],
    beta: float,
    trials: int,
    generator: torch.Generator,
    max_draws: int = 2_000_000,
) -> list[dict[str, float]]:
    """Draws and seconds per inversion by rejection sampling, for each d' in ``dims``."""
    rows = []
    for dim in dims:
        inst = instance_for(dim)
        sampler = RejectionSampler(inst, beta, max_draws=max_draws)
        failures = inversion_failures(inst, beta, sampler, trials, generator)
        rows.append(
            {
                "d_out": dim,
                "draws_per_inversion": sampler.stats.draws / trials,
                "seconds_per_inversion": sampler.stats.seconds / trials,
                "failure_rate": failures / trials,
                "gave_up": sampler.stats.gave_up,
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------
# The figures of B.3 / B.4 / Lemma 3.3, from the recorded parts' data.
# ---------------------------------------------------------------------------------------------

SAMPLER_NAMES = ("exact", "adversarial", "rejection")


def _recorded_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for record in records:
        for part in record.get("parts", []):
            if part.get("name") == "failure_rate_vs_bound" and part.get("data"):
                rows.append({**record["params"], **part["data"], "bound": part["rhs"]["mid"]})
    return rows


def failure_plots(lemma_id: str) -> Callable[[list[dict[str, Any]], Any], list[str]]:
    """The lemma's ``plots``: observed failure rate against the bound, per sampler, and
    rejection sampling's draws per inversion against d' (its exponential cost)."""

    def plots(records: list[dict[str, Any]], out_dir: Any) -> list[str]:
        rows = _recorded_rows(records)
        if not rows:
            return []
        plt = pyplot()
        stem = lemma_id.replace(".", "_").lower()
        names = []
        fig, ax = plt.subplots(figsize=(6.0, 4.4))
        for sampler, marker in zip(SAMPLER_NAMES, "o^s", strict=True):
            sel = [r for r in rows if r["sampler"] == sampler]
            if sel:
                ax.scatter(
                    [r["bound"] for r in sel],
                    [r["failures"] / r["trials"] for r in sel],
                    marker=marker,
                    label=sampler,
                    alpha=0.75,
                )
        top = max(1e-3, *(min(1.0, r["bound"]) for r in rows))
        ax.plot([0, top], [0, top], "k--", lw=0.8, label="failure = bound")
        ax.set_xlabel("bound 2δ + 4d'Φ̄(ε/4β) + dΦ̄(R−τ)")
        ax.set_ylabel("observed failure rate")
        ax.set_title(f"{lemma_id}: inversion through a posterior sampler")
        ax.legend(fontsize=8)
        names.append(save(fig, out_dir, f"{stem}_failure_vs_bound.png"))
        rejection = [r for r in rows if r["sampler"] == "rejection"]
        if rejection:
            fig, ax = plt.subplots(figsize=(6.0, 4.4))
            ax.scatter(
                [r["d_out"] for r in rejection],
                [max(r["draws_per_inversion"], 1.0) for r in rejection],
                c=[r["beta"] / r["eps"] for r in rejection],
                cmap="viridis",
            )
            ax.set_yscale("log")
            ax.set_xlabel("d' (measured coordinates)")
            ax.set_ylabel("unconditional draws per inversion")
            ax.set_title(f"{lemma_id}: rejection sampling cost grows exponentially in d'")
            names.append(save(fig, out_dir, f"{stem}_rejection_cost.png"))
        return names

    return plots


# --- the search strategy of B.3, B.4 and L.3.3 ------------------------------------------------

REJECTION_MAX_DRAWS = 200_000
TRIALS = {"exact": 2000, "adversarial": 2000, "rejection": 200}
MAX_TRIALS = 40_000
REJECTION_MAX_TRIALS = 12_000
MIN_BOUND = 0.02


@st.composite
def inversion_params(draw) -> dict[str, Any]:
    """B.3/B.4/L.3.3's search strategy: a sampler, the instance and enough trials."""
    sampler = draw(st.sampled_from(SAMPLER_NAMES))
    R = draw(st.floats(min_value=1.0, max_value=5.0))
    if sampler == "rejection":
        # Per-round acceptance is about 0.75 beta per measured coordinate: keep beta large and
        # d' small so that a run stays within the budget (the benchmark sweeps d' further).
        d_out = draw(st.integers(1, 3))
        beta = draw(st.floats(min_value=0.15, max_value=0.5))
        eps = beta * draw(st.floats(min_value=3.0, max_value=10.0))
    else:
        d_out = draw(st.integers(1, 8))
        eps = draw(st.floats(min_value=0.25, max_value=2.0))
        beta = eps * draw(st.floats(min_value=1 / 24, max_value=1 / 3))
    adversarial = sampler == "adversarial"
    params = {
        "d": draw(st.integers(5, 10)),
        "d_out": d_out,
        "R": R,
        "eps": eps,
        "beta": beta,
        "tau": R * draw(st.floats(min_value=0.0, max_value=0.5)) if adversarial else 0.0,
        "delta": draw(st.floats(min_value=0.0, max_value=0.1)) if adversarial else 0.0,
        "sampler": sampler,
        "f_seed": draw(st.integers(0, 1000)),
        "seed": draw(st.integers(0, 2**31 - 1)),
    }
    bound = failure_bound(
        params["d"], d_out, R, eps, beta, float(params["tau"]), float(params["delta"])
    )
    # A sampling check resolves a failure rate only down to ~1/trials, and the bound is nearly
    # attained (C ~ 0.85-0.9), so: search where the bound is at least MIN_BOUND, with enough
    # trials to separate a rate of 0.88 * bound from the bound (about 1200 / bound), capped.
    assume(bound >= MIN_BOUND)
    # Rejection costs about (1 / 0.75 beta)^d' draws per trial: fewer trials for larger d'.
    cap = REJECTION_MAX_TRIALS // d_out if sampler == "rejection" else MAX_TRIALS
    params["trials"] = int(min(cap, max(TRIALS[sampler], math.ceil(1200 / bound))))
    return params


def reduction_domain(*constraints: Any, samplers: Sequence[str], **extra_specs: Any) -> Any:
    """The parameters of the B.3/B.4 reduction, shared by B.3, B.4, L.3.3 and B.3.clipped:
    ``constraints`` and ``extra_specs`` (placed after beta) are a lemma's own additions."""
    from verify.core import domain as dom

    positive = dom.Real(0, math.inf, lo_open=True, hi_open=True)
    return dom.Domain(
        dom.Constraint("0 <= tau < R", lambda p: p["tau"] < p["R"]),
        *constraints,
        dom.Constraint(
            "tau = delta = 0 for the exact and rejection samplers",
            lambda p: p["sampler"] == "adversarial" or p["tau"] == p["delta"] == 0,
        ),
        dom.Constraint(
            "d' <= 4 for rejection (exponential in d')",
            lambda p: p["sampler"] != "rejection" or p["d_out"] <= 4,
        ),
        d=dom.Integer(5, 12, doc="seed enumeration"),
        d_out=dom.Integer(1, 12),
        R=positive,
        eps=positive,
        beta=positive,
        **extra_specs,
        tau=dom.Real(0, math.inf, hi_open=True),
        delta=dom.Real(0, 0.5, hi_open=True),
        sampler=dom.Choice(tuple(samplers)),
        f_seed=dom.Integer(0, 2**63 - 1, doc="Goldreich's local function's hypergraph"),
        seed=dom.Integer(0, 2**63 - 1),
        trials=dom.Integer(1, 100_000),
    )
