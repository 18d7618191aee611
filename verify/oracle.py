r"""A reference score oracle for the smoothed instance at large d (no enumeration of 2^d seeds).

``ScoreOracle(instance).score(x, sigma, tol) -> OracleResult`` returns the smoothed score
:math:`\nabla\log g_\sigma` at the rows of ``x`` (N, d + d'), a per-point error bound and the
regime used; it raises ``DomainError`` when neither regime's bound reaches ``tol``.

Notation: v = 1 + sigma^2, tau^2 = sigma^2 / v, q = exp(-2 pi^2 tau^2 / eps^2),
:math:`G_s(x)=\prod_i\phi_{\sqrt v}(x_i-Rs_i)`, :math:`\Psi_b(y)=\prod_j\psi_{b_j,\sigma}(y_j)`,
:math:`g_\sigma = 2^{-d}\sum_s G_s\Psi_{f(s)}` (the 2^{-d} cancels in every ratio below).

Large regime (C.16-C.18, ``verify.large_sigma``). The score is that of the Gaussian mixture
:math:`h_\sigma`, :math:`s_h(x,y) = ((-x_i + R\tanh(Rx_i/v))/v,\ -y_j/v)`, and the bound is the
certified uniform bound :math:`E_{18}(d',R,\sigma,\epsilon)` of C.18 (computed in arb, rounded
up), valid at every point. It covers every sigma with :math:`E_{18}\le` tol; to leading order
:math:`E_{18}\approx q(2Rd'+4\pi\sqrt{d'}/\epsilon)/v`, and by the C.18 search
:math:`E_{18}\le\delta` whenever :math:`\tau \ge \epsilon\sqrt{\log((1+2Rd'+4\pi\sqrt{d'}/\epsilon)
/\delta)}/4` (C = 1/4; the limit is :math:`1/(\pi\sqrt2)\approx0.225`). For sigma <= 1,
:math:`\tau\ge\sigma/\sqrt2`, so sigma >= (sqrt 2 / 4) eps sqrt(log(...)) suffices.

Small regime (the C.6 argument, made pointwise). Let :math:`s^*` be the orthant of x (ties +1)
and :math:`r_i = \exp(-2R|x_i|/v)`: flipping coordinates A of :math:`s^*` multiplies
:math:`G_s` by :math:`\prod_{i\in A}r_i`. The oracle sums exactly the seeds within Hamming
distance k of :math:`s^*` (:math:`g_k`, score :math:`\hat s=\nabla g_k/g_k`) and bounds the rest
:math:`\rho = g - g_k\ge0` without enumerating it. With :math:`M_j = \max_b\psi_{b,\sigma}(y_j)`,
:math:`M_\Psi=\prod_jM_j`, :math:`\rho_y = (\sum_j(\max_b|\psi'_{b,\sigma}(y_j)|/M_j)^2)^{1/2}`
and the elementary symmetric sums :math:`e_m(r)`:

.. math:: \rho \le G_{s^*}M_\Psi\sum_{m>k}e_m(r),\qquad
   |\nabla\rho| \le G_{s^*}M_\Psi\Big[\Big(\frac{|x-Rs^*|}{v}+\rho_y\Big)\sum_{m>k}e_m(r)
   + \frac{2R}{v}\sum_{m>k}\sqrt m\,e_m(r)\Big]

(each far seed: :math:`\Psi_{f(s)}\le M_\Psi`, :math:`|\nabla_y\Psi_{f(s)}|\le M_\Psi\rho_y`,
:math:`|\nabla_x G_s| = G_s|x-Rs|/v` and :math:`|x-Rs|\le|x-Rs^*|+2R\sqrt{|A|}`), and
:math:`\nabla g/g - \hat s = (\nabla\rho - \hat s\rho)/(g_k+\rho)`, so

.. math:: |s_g(x) - \hat s(x)| \le (|\nabla\rho| + |\hat s|\,\rho)/g_k .

k is the least value (up to a seed cap) whose bound meets tol at every point. The small regime
covers the sigma where the vertices are well separated at the given points: for points near the
vertices (:math:`|x_i|\approx R`), :math:`\sum_{m>k}e_m(r)\approx\binom{d}{k+1}e^{-2(k+1)R^2/v}`,
times the polynomial factors above and :math:`M_\Psi/\Psi_{f(s^*)}(y)` (about 1 at points drawn
from :math:`g_\sigma`); so roughly :math:`v \le 2(k+1)R^2/\log(\binom{d}{k+1}\,\mathrm{poly}/
\mathrm{tol})`. It needs no relation between sigma and eps. Points with many coordinates near
0 (r_i near 1) are not covered.

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

import numpy as np
import torch

from verify.errors import DomainError
from verify.instance import Instance, check_sigma
from verify.large_sigma import mixture_score_torch, score_deviation_bound
from verify.numbers import precision, upper

ROUNDING_ALLOWANCE = 2.0**-40
SAFETY_FACTOR = 1 + 2.0**-20
DEFAULT_SEED_CAP = 5000
_WORK_PER_CHUNK = 4_000_000


@dataclass(frozen=True)
class OracleResult:
    """The score at each point, a rigorous per-point error bound (see module docstring), and
    which regime produced them ("large": Gaussian mixture, C.18; "small": Hamming ball, C.6)."""

    score: torch.Tensor  # (N, d + d') float64
    error_bound: torch.Tensor  # (N,) float64: |score - true score| <= error_bound (Euclidean)
    regime: str
    hamming_radius: int | None = None  # k, in the small regime

    @property
    def max_error(self) -> float:
        return float(self.error_bound.max()) if self.error_bound.numel() else 0.0


@lru_cache(maxsize=256)
def large_sigma_bound(d_out: int, R: float, sigma: float, eps: float) -> float:
    """E18 of C.18 as a float rounded up (inf when the bound is vacuous)."""
    with precision(64):
        bound = score_deviation_bound(d_out, R, sigma, eps)
        if not bound.is_finite():
            return math.inf
        return float(upper(bound)) * (1 + 2.0**-50)


@lru_cache(maxsize=64)
def _flip_sets(d: int, k: int) -> torch.Tensor:
    """(S, d) 0/1 matrix: every subset of {0..d-1} of size <= k, by size."""
    rows = [
        [1 if i in subset else 0 for i in range(d)]
        for size in range(k + 1)
        for subset in itertools.combinations(range(d), size)
    ]
    return torch.tensor(rows, dtype=torch.float64)


def seed_count(d: int, k: int) -> int:
    return sum(math.comb(d, m) for m in range(k + 1))


def _log_elementary_symmetric(log_r: torch.Tensor) -> torch.Tensor:
    """(N, d+1): log e_m(r) for m = 0..d, by the recursion e_m <- e_m + r_i e_{m-1} in logs."""
    n, d = log_r.shape
    log_e = torch.full((n, d + 1), -math.inf, dtype=torch.float64)
    log_e[:, 0] = 0.0
    for i in range(d):
        shifted = torch.cat(
            [
                torch.full((n, 1), -math.inf, dtype=torch.float64),
                log_e[:, :-1] + log_r[:, i : i + 1],
            ],
            1,
        )
        log_e = torch.logaddexp(log_e, shifted)
    return log_e


class ScoreOracle:
    """Reference smoothed score of an ``Instance`` at any d, with a per-point error bound."""

    def __init__(self, instance: Instance, *, seed_cap: int = DEFAULT_SEED_CAP) -> None:
        if not isinstance(instance, Instance):
            raise DomainError(f"ScoreOracle needs a verify.instance.Instance, got {instance!r}")
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
        result, k_tried = self._small(points, sigma, tol)
        if result is not None and result.max_error <= tol:
            return result
        small_text = "no points" if result is None else f"{result.max_error:.3g}"
        raise DomainError(
            f"neither regime reaches tol {tol:.3g} at sigma={sigma:g}: large-sigma bound "
            f"{large_bound:.3g}, small-sigma bound {small_text} (Hamming radius {k_tried}, "
            f"seed cap {self.seed_cap})"
        )

    def large_bound(self, sigma: float) -> float:
        inst = self.instance
        return large_sigma_bound(inst.d_out, float(inst.R), float(sigma), float(inst.eps))

    # --- regimes -----------------------------------------------------------------------------

    def _points(self, x) -> torch.Tensor:
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
        score = mixture_score_torch(points, inst.d, float(inst.R), sigma)
        norm = score.norm(dim=1)
        error = bound + ROUNDING_ALLOWANCE * (1 + norm + float(inst.R) * math.sqrt(inst.d))
        return OracleResult(score=score, error_bound=error, regime="large")

    def _small(
        self, points: torch.Tensor, sigma: float, tol: float
    ) -> tuple[OracleResult | None, int]:
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
        log_M = log_comb.max(-1).values  # (N, d')
        log_M_psi = log_M.sum(1)
        # max_b |psi'_b| / M_j = max_b exp(log psi_b - log M_j) |slope_b|
        rel_slope = (torch.exp(log_comb - log_M[..., None]) * slope.abs()).max(-1).values
        rho_y = rel_slope.norm(dim=1)
        dist_star = (head - R * star).norm(dim=1) / v
        # an upper bound of |score of any seed| (convex combinations stay below it)
        crude = torch.sqrt(
            (((head.abs() + R) / v) ** 2).sum(1) + (slope.abs().max(-1).values ** 2).sum(1)
        )
        # log Psi_{f(s*)}(y): a lower bound of g_k / G_{s*} for every k
        minus_star = torch.as_tensor(inst.outputs(star.to(torch.int8).numpy()) == -1)
        log_psi_star = torch.where(minus_star, log_comb[..., 1], log_comb[..., 0]).sum(1)

        log_e = _log_elementary_symmetric(log_r)  # (N, d+1)
        m = torch.arange(d + 1, dtype=torch.float64)
        log_sqrt_m = 0.5 * torch.log(m.clamp(min=1))

        def tail_terms(k: int) -> tuple[torch.Tensor, torch.Tensor]:
            if k >= d:
                none = torch.full((n,), -math.inf, dtype=torch.float64)
                return none, none
            return (
                torch.logsumexp(log_e[:, k + 1 :], 1),
                torch.logsumexp(log_e[:, k + 1 :] + log_sqrt_m[k + 1 :], 1),
            )

        def bound(k: int, log_g_k: torch.Tensor, score_norm: torch.Tensor) -> torch.Tensor:
            log_tail, log_tail_sqrt = tail_terms(k)
            log_rho = log_M_psi + log_tail
            log_grad = log_M_psi + torch.logaddexp(
                torch.log(dist_star + rho_y) + log_tail, math.log(2 * R / v) + log_tail_sqrt
            )
            log_err = torch.logaddexp(log_grad, torch.log(score_norm) + log_rho) - log_g_k
            return torch.exp(log_err) * SAFETY_FACTOR

        # choose k with the pessimistic estimate (g_k >= G_{s*} Psi_{f(s*)}, |s_hat| <= crude)
        k = 0
        while True:
            estimate = bound(k, log_psi_star, crude) + ROUNDING_ALLOWANCE * (1 + crude)
            if float(estimate.max()) <= tol or k >= d:
                break
            if seed_count(d, k + 1) > self.seed_cap:
                break
            k += 1
        score, log_g_k, count = self._hamming_ball_score(
            points, sigma, star, log_r, log_comb, slope, k
        )
        error = bound(k, log_g_k, score.norm(dim=1)) + ROUNDING_ALLOWANCE * (1 + crude) * (
            1 + count / 1000
        )
        return OracleResult(score=score, error_bound=error, regime="small", hamming_radius=k), k

    def _hamming_ball_score(
        self,
        points: torch.Tensor,
        sigma: float,
        star: torch.Tensor,
        log_r: torch.Tensor,
        log_comb: torch.Tensor,
        slope: torch.Tensor,
        k: int,
    ) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Score of g_k (seeds within Hamming distance k of the orthant) and log(g_k / G_{s*})."""
        inst = self.instance
        d, d_out = inst.d, inst.d_out
        R = float(inst.R)
        v = 1.0 + sigma * sigma
        flips = _flip_sets(d, k)  # (S, d)
        count = flips.shape[0]
        signs = 1 - 2 * flips  # multiply s* by these
        delta = log_comb[..., 1] - log_comb[..., 0]  # (N, d')
        base = log_comb[..., 0].sum(1)
        per = max(1, _WORK_PER_CHUNK // (count * (d + d_out)))
        scores, log_gs = [], []
        for start in range(0, points.shape[0], per):
            sl = slice(start, start + per)
            st = star[sl]
            seeds = st[:, None, :] * signs[None, :, :]  # (n, S, d)
            words = inst.outputs(seeds.reshape(-1, d).to(torch.int8).numpy())
            minus = torch.as_tensor(words == -1, dtype=torch.float64).reshape(-1, count, d_out)
            log_w = (
                log_r[sl] @ flips.T + base[sl, None] + torch.einsum("nj,nsj->ns", delta[sl], minus)
            )
            w = torch.softmax(log_w, 1)
            mean_seed = torch.einsum("ns,nsd->nd", w, seeds)
            mean_minus = torch.einsum("ns,nsj->nj", w, minus)
            head = -(points[sl, :d] - R * mean_seed) / v
            comb = slope[sl, :, 0] + (slope[sl, :, 1] - slope[sl, :, 0]) * mean_minus
            scores.append(torch.cat([head, comb], 1))
            log_gs.append(torch.logsumexp(log_w, 1))
        return torch.cat(scores), torch.cat(log_gs), count


def sigma_coverage(instance: Instance, tol: float, sigmas: np.ndarray) -> dict[str, list[float]]:
    """Which of ``sigmas`` the large regime covers at ``tol`` (the small regime depends on the
    points, see the module docstring)."""
    oracle = ScoreOracle(instance)
    covered = [float(s) for s in sigmas if oracle.large_bound(float(s)) <= tol]
    return {"large": covered}
