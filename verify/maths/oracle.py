r"""A reference score oracle for the smoothed instance at large d (no enumeration of 2^d seeds).

``ScoreOracle(instance).score(x, sigma, tol) -> OracleResult`` returns the smoothed score
:math:`\nabla\log g_\sigma` at the rows of ``x`` (N, d + d'), a per-point error bound and the
regime used; it raises ``DomainError`` when neither regime's bound reaches ``tol``.

Notation: v = 1 + sigma^2, tau^2 = sigma^2 / v, q = exp(-2 pi^2 tau^2 / eps^2),
:math:`G_s(x)=\prod_i\phi_{\sqrt v}(x_i-Rs_i)`, :math:`\Psi_b(y)=\prod_j\psi_{b_j,\sigma}(y_j)`,
:math:`g_\sigma = 2^{-d}\sum_s G_s\Psi_{f(s)}` (the 2^{-d} cancels in every ratio below).

Large regime (C.16-C.18, ``verify.maths.large_sigma``). The score is that of the Gaussian mixture
:math:`h_\sigma`, :math:`s_h(x,y) = ((-x_i + R\tanh(Rx_i/v))/v,\ -y_j/v)`, and the bound is the
certified uniform bound :math:`E_{18}(d',R,\sigma,\epsilon)` of C.18 (computed in arb, rounded
up), valid at every point. It covers every sigma with :math:`E_{18}\le` tol; to leading order
:math:`E_{18}\approx q(2Rd'+4\pi\sqrt{d'}/\epsilon)/v`, and by the C.18 search
:math:`E_{18}\le\delta` whenever :math:`\tau \ge \epsilon\sqrt{\log((1+2Rd'+4\pi\sqrt{d'}/\epsilon)
/\delta)}/4` (C = 1/4; the limit is :math:`1/(\pi\sqrt2)\approx0.225`). For sigma <= 1,
:math:`\tau\ge\sigma/\sqrt2`, so sigma >= (sqrt 2 / 4) eps sqrt(log(...)) suffices.
``large_regime_threshold(tol)`` returns the least such sigma (bisection on the certified bound);
e.g. d' = 64, R = 4: eps = 0.1 gives 0.077 / 0.091 / 0.114 for tol 1e-2 / 1e-4 / 1e-8, and
eps = 0.3 gives 0.23 / 0.28 / 0.36.

Small regime (the C.6 argument, made pointwise). Let :math:`s^*` be the orthant of x (ties +1)
and :math:`r_i = \exp(-2R|x_i|/v)`: flipping the coordinates A of :math:`s^*` multiplies
:math:`G_s` by :math:`\prod_{i\in A}r_i`. Per point the oracle picks a plan (u, k): it sums
exactly every seed that agrees with :math:`s^*` outside the u most ambiguous coordinates U
except for at most k flips (:math:`2^u\sum_{m\le k}\binom{d-u}{m}` seeds; :math:`g_{u,k}`,
score :math:`\hat s = \nabla g_{u,k}/g_{u,k}`), and bounds the rest
:math:`\rho = g - g_{u,k}\ge0` without enumerating it. With
:math:`c_j = \max_b\psi_{b,\sigma}(y_j)/\psi_{f(s^*)_j,\sigma}(y_j)\ge1`, a far seed has
:math:`\Psi_{f(s)}\le\Psi_{f(s^*)}\prod_jc_j` for any f, and
:math:`\Psi_{f(s)}\le\Psi_{f(s^*)}\prod_{i\in A}\prod_{j\in N(i)}c_j` when f is local (N(i) the
outputs reading input i; known for Goldreich, projection and constant maps). So with
:math:`\tilde r_i = r_i\prod_{N(i)}c_j` (or :math:`r_i` and the factor :math:`\prod_jc_j`; the
smaller bound is used) and :math:`F = \sum_{A:|A\setminus U|>k}\prod_{i\in A}\tilde r_i
= \prod_{U}(1+\tilde r_i)\sum_{m>k}e_m(\tilde r_{\bar U})` (elementary symmetric sums, the
terms beyond order k + 2 bounded by :math:`e_M e^{e_1}`), :math:`F_{1/2}` the same sum weighted
by :math:`\sqrt{|A|}`, and :math:`\rho_y = |(\max_b|\partial_t\log\psi_{b,\sigma}(y_j)|)_j|`:

.. math:: \rho \le G_{s^*}\Psi_{f(s^*)}F,\qquad
   |\nabla\rho| \le G_{s^*}\Psi_{f(s^*)}\Big[\Big(\frac{|x-Rs^*|}{v}+\rho_y\Big)F
   + \frac{2R}{v}F_{1/2}\Big]

(:math:`|\nabla_x G_s| = G_s|x-Rs|/v`, :math:`|x-Rs|\le|x-Rs^*|+2R\sqrt{|A|}`,
:math:`|\nabla_y\Psi_b|\le\Psi_b\rho_y`), and
:math:`\nabla g/g - \hat s = (\nabla\rho - \hat s\rho)/(g_{u,k}+\rho)`, so

.. math:: |s_g(x) - \hat s(x)| \le (|\nabla\rho| + |\hat s|\,\rho)/g_{u,k} .

The plan is the cheapest (u <= 4, k <= 3, at most ``seed_cap`` seeds) whose bound, estimated
with :math:`g_{u,k}\ge G_{s^*}\Psi_{f(s^*)}`, meets tol; the returned bound uses the computed
:math:`g_{u,k}` and :math:`|\hat s|`. Coverage: the small regime works where the vertices are
well separated at the given points: near the vertices (:math:`|x_i|\approx R`),
:math:`\tilde r_i\approx e^{-2R^2/v}\prod_{N(i)}c_j` and the bound is about
:math:`\binom{d}{k+1}\tilde r^{k+1}` times polynomial factors, so roughly
:math:`v \lesssim 2(k+1)R^2/\log(\binom{d}{k+1}\mathrm{poly}/\mathrm{tol})`. It needs no
relation between sigma and eps (the c_j grow as sigma falls below eps/4, which the local bound
absorbs for local f). A few ambiguous coordinates per point (|x_i| near 0) are enumerated; points
with many of them are refused. At d = d' = 64, R = 4, eps = 0.1, tol = 1e-4, points drawn from
g_sigma: sigma in [0.01, 0.07] small regime (at most 5.5 s CPU for 4096 points), sigma >= 0.1
large regime (under 0.1 s) (``benchmarks/bench_oracle.py``).

Assumptions of the bounds. The inequalities above are exact mathematics; the large-regime
bound is enclosed in arb. The small-regime bound, and both regimes' scores, are evaluated in
float64 (torch), with the comb terms of ``Instance.comb_terms`` (truncated lattice/theta sums
whose dropped parts are below e^-72 relative). To cover rounding, each returned bound adds
``ROUNDING_ALLOWANCE`` = 2^-40 (about 1e-12) times (1 + an upper bound of |score| over all
seeds) to the bound itself, and the small-regime bound is multiplied by 1 + 2^-20; this presumes
float64 evaluation errors of a few thousand ulps at most (the sums involved have at most
~10^5 terms). Requests with tol below that allowance are refused.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from flint import arb

from verify.core.errors import DomainError
from verify.core.numbers import precision, upper
from verify.maths.instance import Instance, check_sigma
from verify.maths.large_sigma import score_deviation_bound
from verify.maths.mixture import vertex_mixture_score
from verify.maths.oneway import ConstantFunction, GoldreichFunction, ProjectionFunction

if TYPE_CHECKING:
    import torch

ROUNDING_ALLOWANCE = 2.0**-40
SAFETY_FACTOR = 1 + 2.0**-20
DEFAULT_SEED_CAP = 50_000
MAX_ENUMERATED_COORDINATES = 4
MAX_HAMMING_RADIUS = 3
_WORK_PER_CHUNK = 4_000_000


@dataclass(frozen=True)
class OracleResult:
    """The score at each point, a rigorous per-point error bound (see module docstring), and
    which regime produced them ("large": Gaussian mixture, C.18; "small": Hamming ball, C.6)."""

    score: torch.Tensor  # (N, d + d') float64
    error_bound: torch.Tensor  # (N,) float64: |score - true score| <= error_bound (Euclidean)
    regime: str
    seeds_per_point: int | None = None  # small regime: the most seeds summed at one point

    @property
    def max_error(self) -> float:
        return float(self.error_bound.max()) if self.error_bound.numel() else 0.0


@lru_cache(maxsize=256)
def large_sigma_bound(d_out: int, R: float, sigma: float, eps: float) -> float:
    """E18 of C.18 as a float rounded up (inf when the bound is vacuous)."""
    with precision(64):
        bound = score_deviation_bound(d_out, R, sigma, eps)
        # A bound beyond float range is vacuous: read it as inf rather than overflow.
        if not bound.is_finite() or bound.upper() > arb(2) ** 1000:
            return math.inf
        return float(upper(bound)) * (1 + 2.0**-50)


@lru_cache(maxsize=64)
def _pattern_flips(d: int, u: int, k: int) -> torch.Tensor:
    """(S, d) 0/1 flip patterns in sorted coordinates: every subset of the first u coordinates
    times every subset of at most k of the other d - u."""
    import torch

    rows = []
    for top in itertools.product((0, 1), repeat=u):
        for size in range(k + 1):
            for subset in itertools.combinations(range(u, d), size):
                row = [0] * d
                row[:u] = top
                for i in subset:
                    row[i] = 1
                rows.append(row)
    return torch.tensor(rows, dtype=torch.float64)


def pattern_count(d: int, u: int, k: int) -> int:
    """Seeds summed exactly for (u, k): 2^u * sum_{m <= k} C(d - u, m)."""
    return 2**u * sum(math.comb(d - u, m) for m in range(k + 1))


def _dependence_matrix(instance: Instance) -> torch.Tensor | None:
    """(d', d) 0/1 matrix: output j reads input i, for fs whose locality is known; else None."""
    import torch

    f = instance.f
    d, d_out = instance.d, instance.d_out
    dependence = torch.zeros(d_out, d, dtype=torch.float64)
    if isinstance(f, GoldreichFunction):
        for j, edge in enumerate(f.hypergraph):
            dependence[j, [int(i) for i in edge]] = 1.0
        return dependence
    if isinstance(f, ProjectionFunction):
        for j in range(d_out):
            dependence[j, j % d] = 1.0
        return dependence
    if isinstance(f, ConstantFunction):
        return dependence
    return None


def _suffix_symmetric_sums(log_r: torch.Tensor, top: int, order: int) -> torch.Tensor:
    """(N, top + 1, order + 1): log e_m(r_u, ..., r_{d-1}) for u = 0..top, m = 0..order.

    The recursion e_m <- e_m + r_i e_{m-1}, run from the last coordinate back, in logs."""
    import torch

    n, d = log_r.shape
    log_e = torch.full((n, order + 1), -math.inf, dtype=torch.float64)
    log_e[:, 0] = 0.0
    out = torch.empty((n, top + 1, order + 1), dtype=torch.float64)
    pad = torch.full((n, 1), -math.inf, dtype=torch.float64)
    for i in range(d - 1, -1, -1):
        shifted = torch.cat([pad, log_e[:, :-1] + log_r[:, i : i + 1]], 1)
        log_e = torch.logaddexp(log_e, shifted)
        if i <= top:
            out[:, i] = log_e
    return out


def _log_tails(log_r: torch.Tensor, top: int, max_k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Rigorous bounds, in logs, of the mass of the flip sets A that (u, k) leaves out:

    tail[n, u, k]      >= sum over A with |A minus U| > k of prod_{i in A} r_i,
    tail_sqrt[n, u, k] >= the same sum weighted by sqrt(|A|),

    U the first u coordinates (log_r sorted by the caller). With E_m = e_m of the rest and
    M = max_k + 2: the left sides are prod_U (1 + r_i) times sum_{m > k} E_m (weighted by
    sqrt(u) + sqrt(m) >= sqrt(u + m) in the second), and sum_{m >= M} E_m <= E_M exp(E_1),
    sum_{m >= M} sqrt(m) E_m <= E_M exp(E_1) (sqrt(M) + E_1) (e_{M+j} <= e_M e_j, e_j <=
    e_1^j / j!, sqrt(M + j) <= sqrt(M) + j)."""
    import torch

    order = max_k + 2
    log_e = _suffix_symmetric_sums(log_r, top, order)  # (N, top+1, order+1)
    log_prefix = torch.cat(
        [
            torch.zeros((log_r.shape[0], 1), dtype=torch.float64),
            torch.cumsum(torch.nn.functional.softplus(log_r[:, :top]), 1),
        ],
        1,
    )  # log prod_{i < u} (1 + r_i), u = 0..top
    m = torch.arange(order + 1, dtype=torch.float64)
    log_sqrt_m = 0.5 * torch.log(m.clamp(min=1))
    log_e1 = log_e[..., 1]
    far = log_e[..., order] + torch.exp(log_e1)  # log(E_M exp(E_1))
    far_sqrt = far + torch.logaddexp(torch.full_like(log_e1, 0.5 * math.log(order)), log_e1)
    tails, tails_sqrt = [], []
    for k in range(max_k + 1):
        near = torch.logsumexp(log_e[..., k + 1 : order], -1)
        near_sqrt = torch.logsumexp(log_e[..., k + 1 : order] + log_sqrt_m[k + 1 : order], -1)
        tail = torch.logaddexp(near, far)
        tail_sqrt = torch.logaddexp(near_sqrt, far_sqrt)
        u = torch.arange(top + 1, dtype=torch.float64)
        # sqrt(|A|) <= sqrt(u) + sqrt(|A \ U|)
        tail_sqrt = torch.logaddexp(0.5 * torch.log(u.clamp(min=1e-300)) + tail, tail_sqrt)
        tails.append(log_prefix + tail)
        tails_sqrt.append(log_prefix + tail_sqrt)
    return torch.stack(tails, -1), torch.stack(tails_sqrt, -1)


class ScoreOracle:
    """Reference smoothed score of an ``Instance`` at any d, with a per-point error bound."""

    def __init__(self, instance: Instance, *, seed_cap: int = DEFAULT_SEED_CAP) -> None:
        if not isinstance(instance, Instance):
            raise DomainError(
                f"ScoreOracle needs a verify.maths.instance.Instance, got {instance!r}"
            )
        self.instance = instance
        self.seed_cap = int(seed_cap)

    # --- public ------------------------------------------------------------------------------

    def score(
        self, x: torch.Tensor, sigma: float, tol: float, *, regime: str | None = None
    ) -> OracleResult:
        """Score of g_sigma at the rows of x with |error| <= tol at every point, or DomainError.

        ``regime`` forces "large" or "small" (still refused when its bound misses tol)."""
        points = self._points(x)
        sigma = check_sigma(sigma)
        tol = float(tol)
        if not math.isfinite(tol) or tol <= 0:
            raise DomainError(f"tol must be a finite positive number, got {tol!r}")
        if regime not in (None, "large", "small"):
            raise DomainError(f"regime must be 'large', 'small' or None, got {regime!r}")
        large_bound = self.large_bound(sigma)
        if regime in (None, "large"):
            result = self._large(points, sigma, large_bound)
            if result.max_error <= tol:
                return result
            if regime == "large":
                raise DomainError(
                    f"large-sigma bound {result.max_error:.3g} exceeds tol {tol:.3g} "
                    f"at sigma={sigma:g} (needs larger sigma / eps)"
                )
        result, seeds_tried = self._small(points, sigma, tol)
        if result is not None and result.max_error <= tol:
            return result
        small_text = "no points" if result is None else f"{result.max_error:.3g}"
        raise DomainError(
            f"neither regime reaches tol {tol:.3g} at sigma={sigma:g}: large-sigma bound "
            f"{large_bound:.3g}, small-sigma bound {small_text} ({seeds_tried} seeds summed at a "
            f"point, seed cap {self.seed_cap})"
        )

    def large_bound(self, sigma: float) -> float:
        inst = self.instance
        return large_sigma_bound(inst.d_out, float(inst.R), float(sigma), float(inst.eps))

    def large_regime_threshold(self, tol: float, *, relative: float = 1e-3) -> float:
        """A sigma from which on the large regime's bound meets tol (E18 falls as sigma grows),
        within ``relative`` of the least one; inf if even sigma = 1e3 does not."""
        tol = float(tol)
        if not math.isfinite(tol) or tol <= 0:
            raise DomainError(f"tol must be a finite positive number, got {tol!r}")
        lo, hi = 1e-6, 1e3
        if self.large_bound(hi) > tol:
            return math.inf
        if self.large_bound(lo) <= tol:
            return lo
        while hi / lo > 1 + relative:
            mid = math.sqrt(lo * hi)
            if self.large_bound(mid) <= tol:
                hi = mid
            else:
                lo = mid
        return hi

    # --- regimes -----------------------------------------------------------------------------

    def _points(self, x) -> torch.Tensor:
        import torch

        points = torch.as_tensor(x, dtype=torch.float64)
        if points.ndim == 1:
            points = points[None, :]
        if points.ndim != 2 or points.shape[1] != self.instance.dim:
            raise DomainError(
                f"points must have shape (N, {self.instance.dim}), got {tuple(points.shape)}"
            )
        if not bool(torch.isfinite(points).all()):
            raise DomainError("points must be finite")
        return points

    def _large(self, points: torch.Tensor, sigma: float, bound: float) -> OracleResult:
        inst = self.instance
        score = vertex_mixture_score(points, inst.d, float(inst.R), sigma)
        norm = score.norm(dim=1)
        error = bound + ROUNDING_ALLOWANCE * (1 + norm + float(inst.R) * math.sqrt(inst.d))
        return OracleResult(score=score, error_bound=error, regime="large")

    def _small(
        self, points: torch.Tensor, sigma: float, tol: float
    ) -> tuple[OracleResult | None, int]:
        import torch

        inst = self.instance
        d = inst.d
        R = float(inst.R)
        v = 1.0 + sigma * sigma
        n = points.shape[0]
        if n == 0:
            empty = torch.zeros(0, dtype=torch.float64)
            return OracleResult(points.clone(), empty, "small", 0), 0
        head, tail = points[:, :d], points[:, d:]
        star = torch.where(head >= 0, 1.0, -1.0).to(torch.float64)
        log_r = -2 * R * head.abs() / v
        log_comb, slope = inst.comb_terms(tail, sigma)  # (N, d', 2) each
        minus_star = torch.as_tensor(inst.outputs(star.to(torch.int8).numpy()) == -1)
        log_psi_star_j = torch.where(minus_star, log_comb[..., 1], log_comb[..., 0])
        # c_j = max_b psi_b(y_j) / psi_{f(s*)_j}(y_j) >= 1: what a far seed can gain at output j
        log_c = log_comb.max(-1).values - log_psi_star_j
        log_psi_star = log_psi_star_j.sum(1)
        rho_y = slope.abs().max(-1).values.norm(dim=1)  # |grad_y log Psi_b| <= rho_y for all b
        dist_star = (head - R * star).norm(dim=1) / v
        # an upper bound of |score of any seed| (convex combinations stay below it)
        crude = torch.sqrt((((head.abs() + R) / v) ** 2).sum(1) + rho_y**2)

        # Far seeds, relative to G_{s*} Psi_{f(s*)}: flipping A multiplies G by prod_A r_i and
        # Psi by at most prod_j c_j (any f), or by prod_{i in A} prod_{j in N(i)} c_j when f is
        # local (N(i) the outputs reading input i): r~_i = r_i prod_{N(i)} c_j.
        dependence = _dependence_matrix(inst)
        log_r_local = log_r + log_c @ dependence if dependence is not None else None
        key = log_r_local if log_r_local is not None else log_r
        order = torch.argsort(key, dim=1, descending=True)  # the most ambiguous coordinates first
        top = min(MAX_ENUMERATED_COORDINATES, d)
        max_k = min(MAX_HAMMING_RADIUS, d)
        tail_g, tail_g_sqrt = _log_tails(torch.gather(log_r, 1, order), top, max_k)
        log_c_all = log_c.sum(1)[:, None, None]
        tail, tail_sqrt = tail_g + log_c_all, tail_g_sqrt + log_c_all
        if log_r_local is not None:
            tail_l, tail_l_sqrt = _log_tails(torch.gather(log_r_local, 1, order), top, max_k)
            tail, tail_sqrt = torch.minimum(tail, tail_l), torch.minimum(tail_sqrt, tail_l_sqrt)
        log_two_r_v = math.log(2 * R / v)

        def bound(rows, u: int, k: int, log_g: torch.Tensor, norm: torch.Tensor) -> torch.Tensor:
            """(|grad rho| + |s_hat| rho) / g_k, every quantity relative to G_{s*} Psi_{f(s*)}."""
            import torch

            log_tail, log_tail_sqrt = tail[rows, u, k], tail_sqrt[rows, u, k]
            log_grad = torch.logaddexp(
                torch.log(dist_star[rows] + rho_y[rows]) + log_tail, log_two_r_v + log_tail_sqrt
            )
            log_err = torch.logaddexp(log_grad, torch.log(norm) + log_tail) - log_g
            return torch.exp(log_err) * SAFETY_FACTOR

        # per point, the cheapest (u, k) whose pessimistic estimate (g_k >= G_{s*} Psi_{f(s*)},
        # |s_hat| <= crude) meets tol, within the seed cap
        plans = sorted(
            (
                (pattern_count(d, u, k), u, k)
                for u in range(top + 1)
                for k in range(min(max_k, d - u) + 1)
                if pattern_count(d, u, k) <= self.seed_cap
            ),
        )
        everyone = torch.arange(n)
        choice = torch.full((n,), -1, dtype=torch.long)
        zero = torch.zeros(n, dtype=torch.float64)
        for index, (_, u, k) in enumerate(plans):
            open_rows = everyone[choice < 0]
            if open_rows.numel() == 0:
                break
            if u == d or k >= d - u:
                estimate = torch.zeros(open_rows.numel(), dtype=torch.float64)
            else:
                estimate = bound(open_rows, u, k, zero[open_rows], crude[open_rows])
            estimate = estimate + ROUNDING_ALLOWANCE * (1 + crude[open_rows])
            choice[open_rows[estimate <= tol]] = index
        choice[choice < 0] = len(plans) - 1  # out of reach: the largest plan, reported as is
        score = torch.empty_like(points)
        error = torch.empty(n, dtype=torch.float64)
        for index in sorted(set(choice.tolist())):
            count, u, k = plans[index]
            rows = everyone[choice == index]
            part_score, log_g = self._pattern_score(
                points[rows],
                sigma,
                star[rows],
                log_r[rows],
                log_comb[rows],
                slope[rows],
                order[rows],
                u,
                k,
            )
            relative_g = log_g - log_psi_star[rows]
            if u == d or k >= d - u:
                part_error = torch.zeros(rows.numel(), dtype=torch.float64)
            else:
                part_error = bound(rows, u, k, relative_g, part_score.norm(dim=1))
            allowance = ROUNDING_ALLOWANCE * (1 + crude[rows]) * (1 + count / 1000)
            score[rows] = part_score
            error[rows] = part_error + allowance
        largest = max(plans[i][0] for i in set(choice.tolist()))
        return OracleResult(score, error, "small", seeds_per_point=largest), largest

    def _pattern_score(
        self,
        points: torch.Tensor,
        sigma: float,
        star: torch.Tensor,
        log_r: torch.Tensor,
        log_comb: torch.Tensor,
        slope: torch.Tensor,
        order: torch.Tensor,
        u: int,
        k: int,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Score of g_{u,k} (the seeds of ``_pattern_flips(d, u, k)`` in each point's own
        coordinate order) and log(g_{u,k} / G_{s*})."""
        import torch

        inst = self.instance
        d, d_out = inst.d, inst.d_out
        R = float(inst.R)
        v = 1.0 + sigma * sigma
        sorted_flips = _pattern_flips(d, u, k)  # (S, d) in sorted coordinates
        count = sorted_flips.shape[0]
        delta = log_comb[..., 1] - log_comb[..., 0]  # (N, d')
        base = log_comb[..., 0].sum(1)
        per = max(1, _WORK_PER_CHUNK // (count * (d + d_out)))
        scores, log_gs = [], []
        for start in range(0, points.shape[0], per):
            sl = slice(start, start + per)
            m = points[sl].shape[0]
            flips = torch.zeros((m, count, d), dtype=torch.float64)
            flips.scatter_(
                2, order[sl, None, :].expand(m, count, d), sorted_flips.expand(m, count, d)
            )
            seeds = star[sl, None, :] * (1 - 2 * flips)  # (m, S, d)
            words = inst.outputs(seeds.reshape(-1, d).to(torch.int8).numpy())
            minus = torch.as_tensor(words == -1, dtype=torch.float64).reshape(m, count, d_out)
            log_w = (
                torch.einsum("nsd,nd->ns", flips, log_r[sl])
                + base[sl, None]
                + torch.einsum("nj,nsj->ns", delta[sl], minus)
            )
            w = torch.softmax(log_w, 1)
            mean_seed = torch.einsum("ns,nsd->nd", w, seeds)
            mean_minus = torch.einsum("ns,nsj->nj", w, minus)
            head = -(points[sl, :d] - R * mean_seed) / v
            comb = slope[sl, :, 0] + (slope[sl, :, 1] - slope[sl, :, 0]) * mean_minus
            scores.append(torch.cat([head, comb], 1))
            log_gs.append(torch.logsumexp(log_w, 1))
        return torch.cat(scores), torch.cat(log_gs)


def sigma_coverage(instance: Instance, tol: float, sigmas: np.ndarray) -> dict[str, list[float]]:
    """Which of ``sigmas`` the large regime covers at ``tol`` (the small regime depends on the
    points, see the module docstring)."""
    oracle = ScoreOracle(instance)
    covered = [float(s) for s in sigmas if oracle.large_bound(float(s)) <= tol]
    return {"large": covered}
