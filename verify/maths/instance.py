r"""The lower-bound instance of Definitions 3.1 and 3.2: densities, scores, samplers, decoder.

Objects (LEMMAS.md section 1). ``f: {±1}^d -> {±1}^{d'}`` (``verify.maths.oneway``), vertex scale R,
comb period eps. Phase of bit b: theta(+1) = 0, theta(-1) = eps/2. For a seed s,
``g_s`` is the product law on R^{d+d'}: coordinate i <= d ~ N(R s_i, 1), coordinate d + j ~
psi_{theta(f(s)_j)} (the discretized Gaussian). ``g = 2^-d sum_s g_s``. Smoothing by
N(0, sigma^2 I): v = 1 + sigma^2, ``g_{s,sigma}(x) = prod_i phi_{sqrt v}(x_i - R s_i)
prod_j psi_{f(s)_j, sigma}(x_{d+j})``. Scaled instance (Def. 3.2): ``g~`` is the law of
x / sqrt(R^2 + 1) for x ~ g (covariance <= I). Measurement: y = A x~ + eta, A = [0 | I_{d'}],
eta ~ N(0, beta^2 I).

API (``Instance(f, R, eps)``; every argument checked, ``DomainError`` with one line otherwise):

- ``d``, ``d_out``, ``dim`` (= d + d'), ``scale`` (= sqrt(R^2 + 1)), ``theta(b)``,
  ``seeds()`` (all 2^d seeds in ``verify.maths.oneway.all_seeds`` order, d <= 12),
  ``outputs(seeds)`` (f, checked), ``orthant(x)`` (sign of x_{1:d}, ties to +1).
- torch float64, batched over the rows of x (N, dim); log-sum-exp over seeds:
  ``comb_terms(t, sigma)`` -> (log psi_{b,sigma}(t), d/dt log psi_{b,sigma}(t)) stacked on a last
  axis of size 2 (index 0: b = +1, index 1: b = -1);
  ``seed_log_density(x, sigma, seeds)`` (N, S) log g_{s,sigma}(x) for every given seed;
  ``log_density(x, sigma)``, ``score(x, sigma)`` (grad log g_sigma, exact enumeration, d <= 12);
  ``posterior(x, sigma)`` (N, 2^d) weights of the seeds given x;
  ``seed_score(x, sigma, seeds)`` (N, dim) grad log g_{s,sigma}(x), one seed per row;
  ``scaled_score(x, sigma)``: score of g~_sigma (= scale * score(scale x, scale sigma)).
- ``score_gap_squared(x, sigma, candidates=None)``: rowwise (lower, upper) enclosure of
  |grad log g_sigma - grad log g_{s(x),sigma}|^2 (exact enumeration, or the 2^c flips of the c
  coordinates nearest the orthant's walls plus a bound of the rest, for d up to 64);
  ``gap_bound_max(sigma)`` its a.s. bound; ``bounded_mean_interval(lo, hi, bound, alpha)`` a
  Hoeffding-Chernoff (KL) confidence interval for the mean of [0, bound] samples.
- samplers (torch.Generator for reproducibility): ``sample(n, generator, sigma=0)`` ->
  (x, seeds); ``sample_scaled(n, generator, sigma=0)``; ``measure(x_scaled, beta, generator)``;
  ``measurement_matrix()`` (A as a float64 tensor).
- torch forms for the reductions of B.3 / B.4 / Lemma 3.3 (``verify.maths.samplers.inversion``):
  ``outputs_torch(signs)`` (f on float64 ±1 tensors), ``comb_table(b)`` (teeth and log-masses),
  ``sample_comb_by_inverse_cdf``, ``sample_seeds_torch``, ``sample_head``,
  ``sample_by_inverse_cdf`` (same law as ``sample``, another stream of draws).
  ``eps_max`` (default 1, Definition 3.1) widens the comb period's range where a reduction needs
  it (B.4's rejection timing uses eps = 2).
- decoding: ``decode_phases(y_unscaled, eps)`` (nearer comb, B.2), ``decode_seed(x)``;
  ``phase_decoder_error_probability(eps, beta)`` its exact error rate, enclosed.
- arb (certified; comb values by ``verify.maths.comb``'s closed form, slopes by
  ``comb_log_slope_arb``):
  ``comb_arb(t, sigma, b)``, ``comb_derivative_arb(t, sigma, b)``,
  ``seed_density_arb(x, sigma, s)``, ``density_arb(x, sigma)``, ``gradient_arb(x, sigma)``,
  ``score_arb(x, sigma)``, ``seed_score_arb(x, sigma, s)`` (x a sequence of floats/Fractions;
  density_arb & co. enumerate all 2^d seeds).
- ``comb_sup_bound(sigma, eps)``: a rigorous upper bound of M = sup_{b,t} psi_{b,sigma}(t).

Why the torch comb terms are right: phi(c) phi_sigma(t - c) = phi_{sqrt v}(t) phi_tau(c - mu)
with tau^2 = sigma^2/v, mu = t/v, so psi_{theta,sigma}(t) = phi_{sqrt v}(t) S(mu) / Z_theta,
S(mu) = sum_k phi_tau(k eps + theta - mu), and d/dt log psi = -t/v + m/sigma^2 where m is the mean
of (c - mu) under weights phi_tau(c - mu). S and m are summed directly over the 2K+1 lattice points
nearest mu when tau/eps < 1/2 (K = ceil(12 tau/eps) + 2: dropped terms < e^-72 relative), and by
Poisson summation S = theta(theta - mu; q)/eps, q = exp(-2 pi^2 tau^2/eps^2) <= e^-4.9, with 12
terms otherwise (dropped terms < q^169). These are float64 screens; certified values use arb.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from flint import arb

from verify.core.errors import DomainError
from verify.core.numbers import (
    Real,
    gaussian_sum_tail,
    normal_density,
    normal_upper_tail,
    series_with_tail,
    to_arb,
)
from verify.maths.comb import smoothed_comb_closed_form
from verify.maths.oneway import OneWayFunction, all_seeds, check_signs, evaluate

if TYPE_CHECKING:
    import torch

MAX_ENUMERATION_D = 12
COMB_RADIUS = 12.0  # comb points with |t| > 12 carry mass < phi(12)/Z ~ 1e-32: dropped.
_THETA_TERMS = 12
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def check_sigma(sigma: float, *, allow_zero: bool = False) -> float:
    value = float(sigma)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise DomainError(f"sigma must be a finite positive number, got {sigma!r}")
    return value


@dataclass(frozen=True)
class Instance:
    """The unscaled instance g (Definition 3.1) with its scaled version (Definition 3.2)."""

    f: OneWayFunction
    R: float
    eps: float
    # Definition 3.1 takes eps in (0, 1); the rejection-timing profile of B.4 runs the same
    # construction with a wider comb (eps = 2), so the upper end is a parameter.
    eps_max: float = field(default=1.0, compare=False)
    _seeds: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.f, OneWayFunction):
            raise DomainError(f"f must provide n_in, n_out and __call__, got {self.f!r}")
        d, d_out = self.f.n_in, self.f.n_out
        if not isinstance(d, int) or d < 1:
            raise DomainError(f"d must be a positive integer, got {d!r}")
        if not isinstance(d_out, int) or d_out < 1:
            raise DomainError(
                f"d' must be a positive integer (d' = 0 has no measurement), got {d_out!r}"
            )
        r, e = float(self.R), float(self.eps)
        if not math.isfinite(r) or r <= 0:
            raise DomainError(f"R must be a finite positive number, got {self.R!r}")
        if not math.isfinite(e) or not 0 < e < self.eps_max:
            raise DomainError(f"eps must lie in (0, {self.eps_max:g}), got {self.eps!r}")
        # f's declared output length must be the one it produces.
        probe = np.ones((1, d), dtype=np.int8)
        out = np.asarray(self.f(probe))
        if out.shape != (1, d_out):
            raise DomainError(
                f"f output length {out.shape[-1] if out.ndim else 0} differs from d' = {d_out}"
            )

    # --- shapes and small helpers ---------------------------------------------------------

    @property
    def d(self) -> int:
        return self.f.n_in

    @property
    def d_out(self) -> int:
        return self.f.n_out

    @property
    def dim(self) -> int:
        return self.d + self.d_out

    @property
    def scale(self) -> float:
        return math.sqrt(float(self.R) ** 2 + 1)

    def theta(self, b: int) -> float:
        """Phase of the comb carrying bit b: 0 for +1, eps/2 for -1."""
        if b not in (1, -1):
            raise DomainError(f"a phase bit must be ±1, got {b!r}")
        return 0.0 if b == 1 else float(self.eps) / 2

    def theta_exact(self, b: int) -> Fraction:
        return Fraction(0) if b == 1 else Fraction(self.eps) / 2

    def seeds(self) -> np.ndarray:
        if self.d > MAX_ENUMERATION_D:
            raise DomainError(f"enumerating seeds needs d <= {MAX_ENUMERATION_D}, got {self.d}")
        if self._seeds is None:
            object.__setattr__(self, "_seeds", all_seeds(self.d))
        assert self._seeds is not None
        return self._seeds

    def outputs(self, seeds: np.ndarray) -> np.ndarray:
        return evaluate(self.f, seeds)

    def _x(self, x) -> torch.Tensor:
        import torch

        x = torch.as_tensor(x, dtype=torch.float64)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise DomainError(f"points must have shape (N, {self.dim}), got {tuple(x.shape)}")
        return x

    @staticmethod
    def orthant(x) -> np.ndarray:
        """s(x) = sign(x_{1:d}) with ties to +1 (pass the first d columns or whole points)."""
        import torch

        arr = np.asarray(x.detach().cpu() if isinstance(x, torch.Tensor) else x)
        return np.where(arr >= 0, 1, -1).astype(np.int8)

    def vertex(self, x) -> np.ndarray:
        """s(x) for points of R^{d+d'}: the sign of the first d coordinates."""
        return self.orthant(np.asarray(x)[..., : self.d])

    # --- float64 torch: the comb coordinates -----------------------------------------------

    def comb_terms(self, t, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(log psi_{b,sigma}(t), d/dt log psi_{b,sigma}(t)), last axis b = +1, -1."""
        import torch

        sigma = check_sigma(sigma)
        t = torch.as_tensor(t, dtype=torch.float64)
        logs, slopes = [], []
        for b in (1, -1):
            log_psi, slope = _comb_log_and_slope(t, sigma, float(self.eps), self.theta(b))
            logs.append(log_psi)
            slopes.append(slope)
        return torch.stack(logs, -1), torch.stack(slopes, -1)

    # --- float64 torch: densities and scores ------------------------------------------------

    def seed_log_density(self, x, sigma: float, seeds: np.ndarray) -> torch.Tensor:
        """(N, S): log g_{s,sigma}(x_n) for every point x_n and every seed s (rows of seeds)."""
        x = self._x(x)
        seeds = check_signs(seeds, self.d, "seeds")
        log_comb, _ = self.comb_terms(x[:, self.d :], sigma)
        return self._seed_log_density(x, sigma, seeds, log_comb)

    def _seed_log_density(self, x, sigma, seeds, log_comb) -> torch.Tensor:
        import torch

        v = 1.0 + sigma * sigma
        R = float(self.R)
        s = torch.as_tensor(seeds, dtype=torch.float64)
        minus = torch.as_tensor(self.outputs(seeds) == -1, dtype=torch.float64)  # (S, d')
        head = x[:, : self.d]
        gauss = (
            -(head * head).sum(1, keepdim=True) / (2 * v)
            + (R / v) * head @ s.T
            - self.d * (R * R / (2 * v) + 0.5 * math.log(v) + _LOG_SQRT_2PI)
        )
        comb = (
            log_comb[..., 0].sum(1, keepdim=True) + (log_comb[..., 1] - log_comb[..., 0]) @ minus.T
        )
        return gauss + comb

    def _chunks(self, n: int) -> list[slice]:
        per = max(1, 4_000_000 // (2**self.d))
        return [slice(i, min(n, i + per)) for i in range(0, n, per)]

    def log_density(self, x, sigma: float) -> torch.Tensor:
        """log g_sigma(x), enumerating every seed (d <= 12)."""
        import torch

        x = self._x(x)
        seeds = self.seeds()
        out = []
        for part in self._chunks(x.shape[0]):
            logs = self.seed_log_density(x[part], sigma, seeds)
            out.append(torch.logsumexp(logs, 1) - self.d * math.log(2))
        return torch.cat(out)

    def posterior(self, x, sigma: float) -> torch.Tensor:
        """(N, 2^d): P(seed = s | x) under g_sigma, rows of ``seeds()`` as columns."""
        import torch

        x = self._x(x)
        logs = self.seed_log_density(x, sigma, self.seeds())
        return torch.softmax(logs, 1)

    def score(self, x, sigma: float) -> torch.Tensor:
        """grad log g_sigma(x) = sum_s P(s|x) grad log g_{s,sigma}(x), exact enumeration."""
        import torch

        x = self._x(x)
        sigma = check_sigma(sigma)
        seeds = self.seeds()
        s = torch.as_tensor(seeds, dtype=torch.float64)
        minus = torch.as_tensor(self.outputs(seeds) == -1, dtype=torch.float64)
        v = 1.0 + sigma * sigma
        out = []
        for part in self._chunks(x.shape[0]):
            xp = x[part]
            log_comb, slope = self.comb_terms(xp[:, self.d :], sigma)
            w = torch.softmax(self._seed_log_density(xp, sigma, seeds, log_comb), 1)
            head = -(xp[:, : self.d] - float(self.R) * (w @ s)) / v
            tail = slope[..., 0] + (slope[..., 1] - slope[..., 0]) * (w @ minus)
            out.append(torch.cat([head, tail], 1))
        return torch.cat(out)

    def seed_score(self, x, sigma: float, seeds: np.ndarray) -> torch.Tensor:
        """grad log g_{s_n,sigma}(x_n): one seed per row of x."""
        import torch

        x = self._x(x)
        sigma = check_sigma(sigma)
        seeds = check_signs(seeds, self.d, "seeds")
        if seeds.shape[0] != x.shape[0]:
            raise DomainError("seed_score needs one seed per point")
        v = 1.0 + sigma * sigma
        s = torch.as_tensor(seeds, dtype=torch.float64)
        minus = torch.as_tensor(self.outputs(seeds) == -1, dtype=torch.float64)
        _, slope = self.comb_terms(x[:, self.d :], sigma)
        head = -(x[:, : self.d] - float(self.R) * s) / v
        tail = slope[..., 0] + (slope[..., 1] - slope[..., 0]) * minus
        return torch.cat([head, tail], 1)

    def scaled_score(self, x, sigma: float) -> torch.Tensor:
        """Score of g~_sigma (the scaled instance smoothed by N(0, sigma^2 I))."""
        c = self.scale
        return c * self.score(self._x(x) * c, check_sigma(sigma) * c)

    # --- the C.8 gap: grad log g_sigma - grad log g_{s(x),sigma} ------------------------------

    def gap_bound_max(self, sigma: float) -> float:
        """A.s. bound of |grad log g_sigma - grad log g_{s(x),sigma}|^2: 4 R^2 d/v^2 +
        d' eps^2/(4 sigma^4) (the gap is an average of u_{s'} - u_s, whose head part has norm^2
        <= 4R^2 d/v^2 and whose comb part has entries |m_+ - m_-|/sigma^2 <= eps/(2 sigma^2))."""
        v = 1.0 + sigma * sigma
        R = float(self.R)
        return 4 * R * R * self.d / (v * v) + self.d_out * float(self.eps) ** 2 / (4 * sigma**4)

    def score_gap_squared(
        self, x, sigma: float, candidates: int | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Rowwise enclosure (lower, upper) of |grad log g_sigma(x) - grad log g_{s(x),sigma}(x)|^2.

        ``candidates=None`` enumerates all seeds (d <= 12): lower = upper (float64). Otherwise,
        per point, C = the ``candidates`` coordinates nearest the orthant's walls (largest
        e_i = exp(-2R|x_i|/v)); the 2^|C| seeds s(x) with flips inside C enter exactly (D_C) and
        the rest is bounded: relative to g_{s(x)}, the other seeds' mass is at most
        rho = prod_{i in C}(1 + e_i) expm1(sum_{i not in C} log1p(e_i)) prod_j r_j, with
        r_j = max_b psi_b(t_j)/psi_{f(s)_j}(t_j); then |D - D_C| <= rho (sqrt(B) + |D_C|),
        B = gap_bound_max (the lower end clipped at 0). Nothing is clipped at B: a row past the
        almost-sure bound is evidence against the model, counted by ``beyond_bound``. Evaluated in
        float64 (a screen-grade evaluation of a rigorous bound; rho is typically < 1e-8).
        """
        import torch

        x = self._x(x)
        sigma = check_sigma(sigma)
        seeds = self.vertex(x.numpy())
        bmax = self.gap_bound_max(sigma)
        v = 1.0 + sigma * sigma
        R = float(self.R)
        if candidates is None or candidates >= self.d:
            everyone = self.seeds()
            s_all = torch.as_tensor(everyone, dtype=torch.float64)
            minus_all = torch.as_tensor(self.outputs(everyone) == -1, dtype=torch.float64)
            s_own = torch.as_tensor(seeds, dtype=torch.float64)
            minus_own = torch.as_tensor(self.outputs(seeds) == -1, dtype=torch.float64)
            out = []
            for part in self._chunks(x.shape[0]):
                log_comb, slope = self.comb_terms(x[part, self.d :], sigma)
                w = torch.softmax(self._seed_log_density(x[part], sigma, everyone, log_comb), 1)
                head = (R / v) * (w @ s_all - s_own[part])
                tail = (slope[..., 1] - slope[..., 0]) * (w @ minus_all - minus_own[part])
                out.append((head * head).sum(1) + (tail * tail).sum(1))
            sq = torch.cat(out)
            return sq, sq
        c = int(candidates)
        if c < 0:
            raise DomainError(f"candidates must be a nonnegative integer, got {candidates}")
        subsets = torch.as_tensor(all_seeds(c) == -1, dtype=torch.bool) if c else None
        log_comb, slope = self.comb_terms(x[:, self.d :], sigma)
        lower, upper = [], []
        per = max(1, 1_000_000 // ((2**c) * max(self.d, self.d_out)))
        for start in range(0, x.shape[0], per):
            xp, sp = x[start : start + per], seeds[start : start + per]
            lc, sl = log_comb[start : start + per], slope[start : start + per]
            head = xp[:, : self.d]
            e = torch.exp(-2 * R * head.abs() / v)
            n = head.shape[0]
            order = torch.argsort(e, 1, descending=True)
            chosen = order[:, :c]  # (n, c)
            masks = torch.zeros(n, 2**c, self.d, dtype=torch.bool)
            if c:
                index = chosen[:, None, :].expand(n, 2**c, c)
                masks.scatter_(2, index, subsets[None].expand(n, -1, -1))
            near = torch.as_tensor(sp, dtype=torch.float64)[:, None, :] * (
                1 - 2 * masks.to(torch.float64)
            )  # (n, K, d); column 0 of subsets is the empty flip set
            flat = near.reshape(-1, self.d).to(torch.int8).numpy()
            minus = torch.as_tensor(self.outputs(flat) == -1, dtype=torch.float64).reshape(
                n, 2**c, -1
            )
            logs = (R / v) * torch.einsum("nd,nkd->nk", head, near) + (
                (lc[..., 1] - lc[..., 0])[:, None, :] * minus
            ).sum(-1)
            w = torch.softmax(logs, 1)
            gap_head = (R / v) * (torch.einsum("nk,nkd->nd", w, near) - near[:, 0, :])
            gap_tail = (sl[..., 1] - sl[..., 0]) * (
                torch.einsum("nk,nkd->nd", w, minus) - minus[:, 0, :]
            )
            dk = torch.sqrt((gap_head**2).sum(1) + (gap_tail**2).sum(1))
            in_c = torch.gather(e, 1, chosen) if c else torch.zeros(n, 0, dtype=torch.float64)
            rest = torch.log1p(e).sum(1) - torch.log1p(in_c).sum(1)
            own = torch.where(minus[:, 0, :] > 0, lc[..., 1], lc[..., 0])
            log_r = (lc.max(-1).values - own).sum(1)
            rho = torch.expm1(rest.clamp(min=0)) * torch.exp(torch.log1p(in_c).sum(1) + log_r)
            slack = rho * (math.sqrt(bmax) + dk)
            upper.append((dk + slack) ** 2)
            lower.append(torch.clamp(dk - slack, min=0) ** 2)
        return torch.cat(lower), torch.cat(upper)

    # --- samplers ---------------------------------------------------------------------------

    def sample_comb(self, bits: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Exact draws from psi_{theta(b)} (discretized Gaussian) for an int tensor of ±1 bits.

        Support truncated to |c| <= 12 + eps: the dropped mass is < 2 Phi_bar(12) < 4e-33.
        """
        import torch

        eps = float(self.eps)
        out = torch.empty(bits.shape, dtype=torch.float64)
        for b in (1, -1):
            mask = bits == b
            count = int(mask.sum())
            if count == 0:
                continue
            theta = self.theta(b)
            k = torch.arange(math.floor((-12 - theta) / eps), math.ceil((12 - theta) / eps) + 1)
            points = k.to(torch.float64) * eps + theta
            weights = torch.exp(-points * points / 2)
            draws = torch.multinomial(weights, count, replacement=True, generator=generator)
            out[mask] = points[draws]
        return out

    def sample(
        self, n: int, generator: torch.Generator, sigma: float = 0.0
    ) -> tuple[torch.Tensor, np.ndarray]:
        """n draws of x ~ g_sigma (g itself for sigma = 0) and the seeds that generated them."""
        import torch

        sigma = check_sigma(sigma, allow_zero=True)
        bits = torch.randint(0, 2, (n, self.d), generator=generator)
        seeds = (1 - 2 * bits).to(torch.int8).numpy()
        phases = torch.as_tensor(self.outputs(seeds), dtype=torch.int8)
        head = float(self.R) * torch.as_tensor(seeds, dtype=torch.float64) + torch.randn(
            n, self.d, generator=generator, dtype=torch.float64
        )
        x = torch.cat([head, self.sample_comb(phases, generator)], 1)
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=generator, dtype=torch.float64)
        return x, seeds

    def sample_scaled(
        self, n: int, generator: torch.Generator, sigma: float = 0.0
    ) -> tuple[torch.Tensor, np.ndarray]:
        """n draws of x~ ~ g~ (then smoothed by N(0, sigma^2 I) in the scaled coordinates)."""
        import torch

        x, seeds = self.sample(n, generator)
        x = x / self.scale
        sigma = check_sigma(sigma, allow_zero=True)
        if sigma > 0:
            x = x + sigma * torch.randn(x.shape, generator=generator, dtype=torch.float64)
        return x, seeds

    # --- torch forms used by the reductions of B.3 / B.4 / Lemma 3.3 (samplers.inversion) ---

    def outputs_torch(self, signs: torch.Tensor) -> torch.Tensor:
        """f on a float64 tensor of seeds (rows of ±1), as a float64 tensor of ±1."""
        import torch

        codes = self.f(signs.to(torch.int8).numpy())
        return torch.as_tensor(codes, dtype=torch.float64)

    def comb_table(self, b: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Comb points t_k = k eps + theta(b), |t_k| <~ COMB_RADIUS, and log(phi(t_k) / Z)."""
        import torch

        eps = float(self.eps)
        k_max = math.ceil(COMB_RADIUS / eps) + 1
        t = torch.arange(-k_max, k_max + 1, dtype=torch.float64) * eps + self.theta(b)
        return t, torch.log_softmax(-(t**2) / 2, dim=0)

    def sample_comb_by_inverse_cdf(
        self, signs: torch.Tensor, generator: torch.Generator
    ) -> torch.Tensor:
        """One comb point per entry of ``signs`` (any shape, float ±1), phase by sign, by
        inverse CDF: the same law as ``sample_comb`` (one uniform per entry, a different
        stream). Both phases' CDFs are stacked into one increasing table ([0, 1] for +1, [1, 2]
        for -1) so that a single ``searchsorted`` serves every entry."""
        import torch

        t_plus, log_plus = self.comb_table(1)
        t_minus, log_minus = self.comb_table(-1)
        cdf = torch.cat([torch.cumsum(log_plus.exp(), 0), 1 + torch.cumsum(log_minus.exp(), 0)])
        cdf[t_plus.numel() - 1] = 1.0  # exact ends: rounding must not leak into the other table
        cdf[-1] = 2.0
        points = torch.cat([t_plus, t_minus])
        u = torch.rand(signs.shape, generator=generator, dtype=torch.float64)
        u = u + (signs <= 0).to(torch.float64)
        return points[torch.searchsorted(cdf, u).clamp_(max=points.numel() - 1)]

    def sample_seeds_torch(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """n uniform seeds as a float64 (n, d) tensor of ±1."""
        import torch

        bits = torch.randint(0, 2, (n, self.d), generator=generator, dtype=torch.float64)
        return 2.0 * bits - 1

    def sample_head(self, s: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """x_{1:d} given the seeds: N(R s, I)."""
        import torch

        return float(self.R) * s + torch.randn(s.shape, generator=generator, dtype=torch.float64)

    def sample_by_inverse_cdf(
        self, n: int, generator: torch.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """n draws of x ~ g and their seeds (float64), combs by ``sample_comb_by_inverse_cdf``."""
        import torch

        s = self.sample_seeds_torch(n, generator)
        head = self.sample_head(s, generator)
        tail = self.sample_comb_by_inverse_cdf(self.outputs_torch(s), generator)
        return torch.cat([head, tail], dim=1), s

    def measurement_matrix(self) -> torch.Tensor:
        """A = [0 | I_{d'}] (d' x (d + d')), so ||A|| = 1."""
        import torch

        return torch.cat([torch.zeros(self.d_out, self.d), torch.eye(self.d_out)], 1).to(
            torch.float64
        )

    def measure(self, x_scaled, beta: float, generator: torch.Generator) -> torch.Tensor:
        """y = A x~ + eta with eta ~ N(0, beta^2 I_{d'})."""
        import torch

        beta = check_sigma(beta, allow_zero=True)
        x = self._x(x_scaled)
        noise = torch.randn(x.shape[0], self.d_out, generator=generator, dtype=torch.float64)
        return x[:, self.d :] + beta * noise

    # --- decoding -----------------------------------------------------------------------------

    @staticmethod
    def decode_phases(y, eps: float) -> np.ndarray:
        """Bit of the nearer comb for each coordinate (unscaled units): +1 for eps Z, -1 for
        eps Z + eps/2. y mod eps in [0, eps/4] or (3 eps/4, eps) is nearer eps Z."""
        import torch

        y = np.asarray(y.detach().cpu() if isinstance(y, torch.Tensor) else y, dtype=np.float64)
        r = np.mod(y, eps)
        return np.where((r <= eps / 4) | (r > 3 * eps / 4), 1, -1).astype(np.int8)

    def decode_seed(self, x) -> np.ndarray:
        return self.vertex(x)

    # --- arb: certified values ---------------------------------------------------------------

    def comb_arb(self, t: Real | float, sigma: Real | float, b: int) -> arb:
        return smoothed_comb_closed_form(t, sigma, self.eps, self.theta_exact(b))

    def comb_derivative_arb(self, t: Real | float, sigma: Real | float, b: int) -> arb:
        """psi'_{b,sigma}(t) = psi(t) (-t/v + S'(mu)/(v S(mu))) (``comb_log_slope_arb``)."""
        return self.comb_arb(t, sigma, b) * comb_log_slope_arb(
            t, sigma, self.eps, self.theta_exact(b)
        )

    def factors_arb(self, x: Sequence, sigma) -> dict[str, dict[int, list[arb]]]:
        """Per-coordinate enclosures at x: ``head[b][i]`` = phi_{sqrt v}(x_i - b R),
        ``head_slope[b][i]`` = -(x_i - b R)/v, ``comb[b][j]`` = psi_{b,sigma}(x_{d+j}),
        ``comb_d[b][j]`` = psi'_{b,sigma}(x_{d+j}), for b = +1, -1."""
        if len(x) != self.dim:
            raise DomainError(f"a point needs {self.dim} coordinates, got {len(x)}")
        s = to_arb(sigma)
        v = 1 + s * s
        sd = v.sqrt()
        R = to_arb(self.R)
        xs = [to_arb(Fraction(c) if isinstance(c, int) else c) for c in x]
        head = {b: [normal_density(xi - b * R, sd) for xi in xs[: self.d]] for b in (1, -1)}
        head_slope = {b: [-(xi - b * R) / v for xi in xs[: self.d]] for b in (1, -1)}
        comb = {b: [self.comb_arb(t, s, b) for t in xs[self.d :]] for b in (1, -1)}
        comb_d = {b: [self.comb_derivative_arb(t, s, b) for t in xs[self.d :]] for b in (1, -1)}
        return {"head": head, "head_slope": head_slope, "comb": comb, "comb_d": comb_d}

    def seed_terms_arb(self, parts, s, fs) -> tuple[arb, list[arb]]:
        """(g_{s,sigma}(x), grad g_{s,sigma}(x)) from precomputed factors."""
        factors = [parts["head"][int(si)][i] for i, si in enumerate(s)]
        factors += [parts["comb"][int(b)][j] for j, b in enumerate(fs)]
        value = arb(1)
        for c in factors:
            value *= c
        grad = [value * parts["head_slope"][int(si)][i] for i, si in enumerate(s)]
        for j, b in enumerate(fs):
            others = arb(1)
            for k, c in enumerate(factors):
                if k != self.d + j:
                    others *= c
            grad.append(others * parts["comb_d"][int(b)][j])
        return value, grad

    def seed_density_arb(self, x: Sequence, sigma, s: Sequence[int]) -> arb:
        parts = self.factors_arb(x, sigma)
        fs = self.outputs(np.asarray([s], dtype=np.int8))[0]
        return self.seed_terms_arb(parts, s, fs)[0]

    def seed_score_arb(self, x: Sequence, sigma, s: Sequence[int]) -> list[arb]:
        parts = self.factors_arb(x, sigma)
        fs = self.outputs(np.asarray([s], dtype=np.int8))[0]
        value, grad = self.seed_terms_arb(parts, s, fs)
        return [g / value for g in grad]

    def density_and_gradient_arb(self, x: Sequence, sigma) -> tuple[arb, list[arb]]:
        """(g_sigma(x), grad g_sigma(x)) enclosed, summing all 2^d seeds."""
        parts = self.factors_arb(x, sigma)
        seeds = self.seeds()
        outs = self.outputs(seeds)
        total, grad = arb(0), [arb(0)] * self.dim
        for s, fs in zip(seeds, outs, strict=True):
            value, g = self.seed_terms_arb(parts, s, fs)
            total += value
            grad = [a + b for a, b in zip(grad, g, strict=True)]
        weight = arb(2) ** (-self.d)
        return total * weight, [c * weight for c in grad]

    def density_arb(self, x: Sequence, sigma) -> arb:
        return self.density_and_gradient_arb(x, sigma)[0]

    def gradient_arb(self, x: Sequence, sigma) -> list[arb]:
        return self.density_and_gradient_arb(x, sigma)[1]

    def score_arb(self, x: Sequence, sigma) -> list[arb]:
        value, grad = self.density_and_gradient_arb(x, sigma)
        return [g / value for g in grad]


def phase_decoder_error_probability(eps: Real | float, beta: Real | float) -> arb:
    """P(decode_phases(c + eta) != b) for c on the comb of bit b and eta ~ N(0, beta^2), enclosed:
    2 sum_k [Phi_bar((k+1/4) eps/beta) - Phi_bar((k+3/4) eps/beta)] (Lemma B.2), summed until the
    geometric tail bound falls below 2^-80 of the sum."""
    ratio = to_arb(eps) / to_arb(beta)
    total = arb(0)
    k = 0
    while True:
        a = (k + arb(1) / 4) * ratio
        total += normal_upper_tail(a) - normal_upper_tail(a + ratio / 2)
        k += 1
        a_next = (k + arb(1) / 4) * ratio
        tail = normal_upper_tail(a_next) / (1 - (-a_next * ratio).exp())
        if tail < total * arb(2) ** -80 or k > 10_000:
            return 2 * (total + arb(0, tail.upper()))


def comb_log_slope_arb(t: Real | float, sigma: Real | float, eps: Real | float, theta) -> arb:
    """d/dt log psi_{theta,sigma}(t) = -t/v + S'(mu)/(v S(mu)), enclosed.

    S(mu) = sum_k phi_tau(k eps + theta - mu) and S' = dS/dmu = sum_k (c_k - mu)/tau^2
    phi_tau(c_k - mu). For tau/eps <= 2 both are summed directly over |c - mu| <= W with
    W = tau sqrt(2 (prec + 20) ln 2) + eps, and each side's tail beyond distance a >= W is bounded
    by a phi_tau(a) / (1 - r) (resp. phi_tau(a)/(1 - r)), r = (1 + eps/a) exp(-a eps/tau^2) < 1
    bounding consecutive ratios. For tau/eps > 2 (q = exp(-2 pi^2 tau^2/eps^2) < e^-78) Poisson
    summation: S = th(theta - mu)/eps, S' = th_u(theta - mu)... with 4 terms and the geometric
    tails of ``gaussian_sum_tail``. Written here (not via ``verify.maths.comb``'s derivative)
    because a
    series whose partial sum is a ball containing 0 (theta - mu near a multiple of eps/2) cannot
    meet a relative stopping rule.
    """
    import flint

    x, s, e = to_arb(t), to_arb(sigma), to_arb(eps)
    th = to_arb(theta)
    v = 1 + s * s
    tau = (s * s / v).sqrt()
    mu = x / v
    if float((tau / e).mid()) <= 2:
        width = tau * arb(2 * (flint.ctx.prec + 20) * math.log(2)).sqrt() + e
        k_lo = math.floor(float(((mu - width - th) / e).mid())) - 1
        k_hi = math.ceil(float(((mu + width - th) / e).mid())) + 1
        total, slope = arb(0), arb(0)
        for k in range(k_lo, k_hi + 1):
            c = k * e + th - mu
            w = normal_density(c, tau)
            total += w
            slope += c * w
        for a in ((k_hi + 1) * e + th - mu, mu - ((k_lo - 1) * e + th)):
            if not (a > tau and a > 0):
                return arb(0, math.inf)
            r = (1 + e / a) * (-a * e / (tau * tau)).exp()
            if not r < 1:
                return arb(0, math.inf)
            total += arb(0, (normal_density(a, tau) / (1 - r)).upper())
            slope += arb(0, (a * normal_density(a, tau) / (1 - r)).upper())
        return -x / v + slope / (tau * tau) / (v * total)
    q = (-2 * arb.pi() ** 2 * tau * tau / (e * e)).exp()
    angle = 2 * arb.pi() * (th - mu) / e
    terms = 4
    theta_sum = 1 + 2 * sum((q ** (j * j) * (j * angle).cos() for j in range(1, terms + 1)), arb(0))
    theta_sum += arb(0, (2 * gaussian_sum_tail(q, terms + 1)).upper())
    # d/dmu th(theta - mu) = (2 pi/eps) 2 sum j q^{j^2} sin(j angle); sum_{j>n} j q^{j^2} <=
    # (n+1) q^{(n+1)^2} / (1 - 2 q^{2n+3}) (consecutive ratios <= 2 q^{2j+1})
    slope_sum = sum((j * q ** (j * j) * (j * angle).sin() for j in range(1, terms + 1)), arb(0))
    n1 = terms + 1
    slope_sum += arb(0, (n1 * q ** (n1 * n1) / (1 - 2 * q ** (2 * n1 + 1))).upper())
    d_theta = 4 * arb.pi() / e * slope_sum
    return -x / v + d_theta / (v * theta_sum)


def comb_sup_bound(sigma: Real | float, eps: Real | float) -> arb:
    """Rigorous upper bound of M = sup_{b, t} psi_{b,sigma}(t).

    psi_{theta,sigma}(t) = phi_{sqrt v}(t) S(mu) / Z_theta with S(mu) = sum_k phi_tau(k eps +
    theta - mu) = theta(theta - mu; q)/eps <= S at its peak = sum_k phi_tau(k eps) (Poisson: all
    Fourier coefficients are positive), and Z_theta = theta(theta; q0)/eps >= (1 - T(q0))/eps,
    T(q0) <= 2 q0/(1 - q0). Hence M <= eps sum_k phi_tau(k eps) / ((1 - T(q0)) sqrt(2 pi v)).
    The bound is attained up to the factor Z_0 (1 - T(q0))/... = 1 + O(q0) at t = 0, b = +1.
    """
    s, e = to_arb(sigma), to_arb(eps)
    v = 1 + s * s
    tau = (s * s / v).sqrt()
    ratio = (-(e * e) / (2 * tau * tau)).exp()  # phi_tau(k eps) = ratio^{k^2} phi_tau(0)
    peak_sum = 1 + 2 * series_with_tail(
        lambda k: ratio ** (k * k), lambda n: gaussian_sum_tail(ratio, n), 1, max_terms=10**6
    )
    q0 = (-2 * arb.pi() ** 2 / (e * e)).exp()
    t_q0 = 2 * q0 / (1 - q0)
    return e * peak_sum / (tau * (2 * arb.pi()).sqrt()) / ((1 - t_q0) * (2 * arb.pi() * v).sqrt())


# --- float64 torch comb terms -------------------------------------------------------------------


def _comb_log_and_slope(
    t: torch.Tensor, sigma: float, eps: float, theta: float
) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    v = 1.0 + sigma * sigma
    tau = sigma / math.sqrt(v)
    mu = t / v
    log_gauss = -t * t / (2 * v) - 0.5 * math.log(v) - _LOG_SQRT_2PI
    log_z = _log_comb_normalizer(theta, eps)
    if tau / eps < 0.5:
        k_span = math.ceil(12 * tau / eps) + 2
        k0 = torch.round((mu - theta) / eps)
        offsets = torch.arange(-k_span, k_span + 1, dtype=torch.float64)
        c = (k0[..., None] + offsets) * eps + theta - mu[..., None]  # c_k - mu
        logw = -c * c / (2 * tau * tau)
        log_s = torch.logsumexp(logw, -1) - math.log(tau) - _LOG_SQRT_2PI
        m = (torch.softmax(logw, -1) * c).sum(-1)
    else:
        q = math.exp(-2 * math.pi**2 * tau * tau / (eps * eps))
        j = torch.arange(1, _THETA_TERMS + 1, dtype=torch.float64)
        qj = torch.as_tensor(q, dtype=torch.float64) ** (j * j)
        angle = 2 * math.pi * (theta - mu)[..., None] * j / eps
        th = 1 + 2 * (qj * torch.cos(angle)).sum(-1)
        # d/dmu log th(theta - mu) = (2 sum q^{j^2} (2 pi j/eps) sin(angle)) / th
        dth = 2 * (qj * (2 * math.pi * j / eps) * torch.sin(angle)).sum(-1)
        log_s = torch.log(th) - math.log(eps)
        m = tau * tau * dth / th
    return log_gauss + log_s - log_z, -t / v + m / (sigma * sigma)


@lru_cache(maxsize=64)
def _log_comb_normalizer(theta: float, eps: float) -> float:
    """log(theta_series(theta; eps, 1) / eps): a constant of the comb for each phase, formed once
    (the network fits evaluate the comb terms hundreds of times per phase)."""
    return math.log(_theta_series(np.array([theta]), eps, 1.0)[0] / eps)


def _theta_series(u: np.ndarray, eps: float, tau: float) -> np.ndarray:
    """eps * sum_k phi_tau(k eps + u) in float64 (direct or Poisson, whichever converges fast)."""
    if tau / eps < 0.5:
        k = np.arange(-math.ceil(14 * tau / eps) - 3, math.ceil(14 * tau / eps) + 4)
        c = k[None, :] * eps + u[:, None]
        return eps * np.exp(-c * c / (2 * tau * tau)).sum(1) / (tau * math.sqrt(2 * math.pi))
    q = math.exp(-2 * math.pi**2 * tau * tau / (eps * eps))
    j = np.arange(1, _THETA_TERMS + 1)
    return 1 + 2 * (q ** (j * j) * np.cos(2 * math.pi * np.outer(u, j) / eps)).sum(1)


def kl_bernoulli(p: float, q: float) -> float:
    """kl(p || q) for Bernoulli laws (p, q in [0, 1])."""
    out = 0.0
    if p > 0:
        out += p * math.log(p / q) if q > 0 else math.inf
    if p < 1:
        out += (1 - p) * math.log((1 - p) / (1 - q)) if q < 1 else math.inf
    return out


# A statistical part's re-draw (``Part.redraw``) uses FRESH_SAMPLES_FACTOR times the samples from
# an independent generator: the seed is offset so that no draw repeats the original's.
FRESH_SAMPLES_FACTOR = 4
FRESH_SEED_OFFSET = 0x5EED_F4E5


def fresh_seed(seed: int) -> int:
    """The generator seed of a re-draw independent of the draw seeded with ``seed``."""
    return (int(seed) + FRESH_SEED_OFFSET) % 2**63


# Float64 rounding of a sum of squares of averages: a row this far past B is no rounding slip.
BEYOND_BOUND_RTOL = 1e-9


def beyond_bound(lower_values, bound: float) -> tuple[int, float]:
    """How many samples certainly exceed the almost-sure bound (lower end above ``bound`` by
    more than float rounding), and the largest lower end over ``bound``. Each such sample is
    evidence against the model; it is reported, never clamped."""
    lo = np.asarray(lower_values, dtype=np.float64)
    count = int((lo > bound * (1 + BEYOND_BOUND_RTOL)).sum())
    largest = float(lo.max() / bound) if lo.size and bound > 0 else 0.0
    return count, largest


def bounded_mean_interval(
    lower_values, upper_values, bound: float, alpha: float
) -> tuple[float, float]:
    """Confidence interval (level 1 - alpha) for E X from i.i.d. samples with X in [0, bound].

    ``lower_values`` / ``upper_values`` are rowwise enclosures of the samples (equal when X is
    known). Hoeffding's 1963 Chernoff bound for [0, 1] variables, P(mean_hat >= m + t) <=
    exp(-n kl(m + t || m)) (and symmetrically), gives with probability >= 1 - alpha/2 each:
    m <= max{q : kl(mean_hat_upper || q) <= log(2/alpha)/n}, m >= min{q : kl(...lower) <= ...}.
    Endpoints are found by bisection and widened by 1e-12 relative (float rounding). Upper
    ends past ``bound`` are intersected with it (the bound is almost sure); a sample whose lower
    end passes it is evidence against the model, which the caller counts (``beyond_bound``).
    """
    lo_x = np.asarray(lower_values, dtype=np.float64) / bound
    hi_x = np.asarray(upper_values, dtype=np.float64) / bound
    n = lo_x.size
    if n == 0 or bound <= 0:
        raise DomainError("bounded_mean_interval needs samples and a positive bound")
    level = math.log(2 / alpha) / n
    mean_hi = min(1.0, float(np.clip(hi_x, 0, 1).mean()))
    mean_lo = max(0.0, float(np.clip(lo_x, 0, 1).mean()))
    a, b = mean_hi, 1.0
    for _ in range(200):
        mid = (a + b) / 2
        if kl_bernoulli(mean_hi, mid) <= level:
            a = mid
        else:
            b = mid
    top = min(1.0, b * (1 + 1e-12) + 1e-300)
    a, b = 0.0, mean_lo
    for _ in range(200):
        mid = (a + b) / 2
        if kl_bernoulli(mean_lo, mid) <= level:
            b = mid
        else:
            a = mid
    bottom = max(0.0, a * (1 - 1e-12))
    return bottom * bound, top * bound


# --- Definition B.1: the clipped normal --------------------------------------------------------


def clipped_normal_mass(clip: Real | float, beta: Real | float) -> arb:
    """P(|N(0, beta^2)| <= clip) = 1 - 2 Phi_bar(clip / beta), enclosed: the normalisation of the
    clipped normal N(0, beta^2) conditioned on [-clip, clip] (Definition B.1)."""
    return 1 - 2 * normal_upper_tail(to_arb(clip) / to_arb(beta))


def clipped_normal_tv(clip: Real | float, beta: Real | float, d_out: int) -> arb:
    """TV between d_out i.i.d. clipped normals and N(0, beta^2 I), enclosed without cancellation.

    Conditioning a law P on an event A gives density 1_A p / P(A), so TV(P(.|A), P) =
    int_A p (1/P(A) - 1) = 1 - P(A); for the product, A is the product event and P(A) = m^d'
    with m = ``clipped_normal_mass``. Returned as -expm1(d' log1p(-2 Phi_bar(clip / beta)))."""
    tail = normal_upper_tail(to_arb(clip) / to_arb(beta))
    return -((d_out * (-2 * tail).log1p()).expm1())


def sample_clipped_normal(n: int, beta: float, clip: float, generator: torch.Generator):
    """n draws of the clipped normal by inversion (float64): beta Phi^-1(Phi(-c/b) + u m),
    u ~ U(0, 1), m = 1 - 2 Phi(-c/b). Nothing is clamped: a draw past the clip is the caller's
    evidence against the sampler."""
    import torch

    low = torch.special.ndtr(torch.tensor(-clip / beta, dtype=torch.float64))
    u = torch.rand(n, generator=generator, dtype=torch.float64)
    return beta * torch.special.ndtri(low + u * (1 - 2 * low))
