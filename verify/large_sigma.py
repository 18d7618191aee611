r"""Large smoothing: the instance is close to a Gaussian mixture on the scaled hypercube.

Objects (LEMMAS.md sections 1 and 2). For a seed :math:`s\in\{\pm1\}^d` the smoothed instance's
component is :math:`G_s(x)\,\Psi_{f(s)}(y)` with :math:`x\in\mathbb R^d` the vertex coordinates,
:math:`y\in\mathbb R^{d'}` the comb coordinates, :math:`G_s(x)=\prod_i\phi_{\sqrt v}(x_i-Rs_i)`,
:math:`\Psi_b(y)=\prod_j\psi_{b_j,\sigma}(y_j)` (phase 0 for :math:`b_j=+1`, :math:`\epsilon/2`
for :math:`b_j=-1`) and :math:`v = 1+\sigma^2`. The smoothed instance is
:math:`g_\sigma = 2^{-d}\sum_s G_s\Psi_{f(s)}` and the Gaussian mixture that replaces it is
:math:`h_\sigma(x,y) = 2^{-d}\sum_s G_s(x)\prod_j\phi_{\sqrt v}(y_j)`, a product law whose score is

.. math:: s_h(x,y)_i = \frac{-x_i + R\tanh(Rx_i/v)}{v},\qquad s_h(x,y)_{d+j} = -\frac{y_j}{v}.

The comb factor. By the closed form (C.16), :math:`\psi_{\theta,\sigma}(t) =
\phi_{\sqrt v}(t)\,(1+e_\theta(t))` with :math:`1+e_\theta(t) = \vartheta(\theta-t/v;q)/
\vartheta(\theta;q_0)`. Since :math:`|\vartheta(u;q)-1|\le T(q)` for every u,

.. math:: \ell := \frac{1-T(q)}{1+T(q_0)} \;\le\; 1+e_\theta(t) \;\le\;
          \frac{1+T(q)}{1-T(q_0)} =: \hbar,

and :math:`\partial_t\log(1+e_\theta(t)) = -\vartheta'(u;q)/(v\,\vartheta(u;q))` with
:math:`|\vartheta'(u;q)|\le (4\pi/\epsilon)W(q)`, :math:`W(q)=\sum_{j\ge1}jq^{j^2}`, so

.. math:: |\partial_t\log(1+e_\theta(t))| \le \beta := \frac{4\pi W(q)}{\epsilon\,v\,(1-T(q))}.

(Requires T(q) < 1.) With :math:`P_s(y) = \prod_j(1+e_{f(s)_j}(y_j))\in[\ell^{d'},\hbar^{d'}]`
and the vertex posterior :math:`w_s(x)=G_s(x)/\sum_{s'}G_{s'}(x)` (a product law over the d
signs, with means :math:`m_i=\tanh(Rx_i/v)`) the instance factors exactly as

.. math:: g_\sigma(x,y) = h_\sigma(x,y)\;\mathbb E_{w(x)}[P_s(y)].

C.17 (density): :math:`|g_\sigma/h_\sigma - 1| \le D := \max(\hbar^{d'}-1,\,1-\ell^{d'})`
everywhere, for any f (indeed any mixing law over phase patterns).

C.18 (score): :math:`s_g - s_h = \nabla\log\mathbb E_w[P_s]`. In the vertex block,
:math:`\partial_{x_i}w_s = (R/v)\,w_s(s_i-m_i)`, so that block is
:math:`(R/v)\,\mathrm{Cov}_w(s,P)/\mathbb E_w P`; for a unit vector u,
:math:`|\mathrm{Cov}_w(u\cdot s,P)|\le\sqrt{\mathrm{Var}_w(u\cdot s)}\sqrt{\mathrm{Var}_w P}` with
:math:`\mathrm{Var}_w(u\cdot s)=\sum_iu_i^2(1-m_i^2)\le1` (w is a product law) and
:math:`\sqrt{\mathrm{Var}_wP}\le(\hbar^{d'}-\ell^{d'})/2`, while :math:`\mathbb E_wP\ge\ell^{d'}`.
In the comb block, :math:`\partial_{y_j}\log\mathbb E_wP = \mathbb E_{w'}[\partial_{y_j}\log P_s]`
(w' the P-reweighted posterior), each entry at most :math:`\beta`. Hence, for every point,

.. math:: |s_g - s_h|^2 \le E_{18}^2 := \Big(\frac{R}{v}\,\kappa\Big)^2 + d'\beta^2,\qquad
          \kappa = \frac{\hbar^{d'}-\ell^{d'}}{2\,\ell^{d'}}.

Leading orders (q small): :math:`D\approx 2d'q`, :math:`E_{18}\approx q\,(2Rd'+4\pi\sqrt{d'}/
\epsilon)/v`. Both are uniform in x, so they bound every expectation (L2 under any law).

This module gives the certified (arb) bounds, the exact small-instance computations the lemma
checks compare them with, and float64/torch evaluations of the mixture score for the oracle.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from flint import arb

from verify.comb import (
    _theta_derivative,
    _theta_minus_one,
    nome,
    nome_unsmoothed,
    theta_tail_T,
    theta_weighted_sum,
)
from verify.numbers import Real, ball, to_arb


def phase_of(bit: int, eps: Real) -> arb:
    """The comb phase of a codeword bit: 0 for +1, eps/2 for -1."""
    return arb(0) if bit > 0 else to_arb(eps) / 2


def abs_enclosure(x: arb) -> arb:
    """An enclosure of |x| that is a subset of [0, inf) (arb's abs keeps the ball's centre)."""
    if x >= 0:
        return x
    if x <= 0:
        return -x
    return ball(0, x.abs_upper())


def norm_enclosure(components: Sequence[arb]) -> arb:
    """Enclosure of the Euclidean norm of a vector of balls, from the endpoints of |c_i|."""
    low = sum((c.abs_lower() ** 2 for c in components), arb(0))
    high = sum((c.abs_upper() ** 2 for c in components), arb(0))
    return ball(low.sqrt().lower(), high.sqrt().upper())


# --- the certified bounds ------------------------------------------------------------------------


@dataclass(frozen=True)
class CombFactorBounds:
    """Enclosures of the comb factor's range [ell, hbar] (as ell - 1, hbar - 1, hbar/ell - 1,
    computed without cancellation since they are often below 1e-100) and log-slope bound beta."""

    low_minus_one: arb  # ell - 1 = -(T(q) + T(q0)) / (1 + T(q0))
    high_minus_one: arb  # hbar - 1 = (T(q) + T(q0)) / (1 - T(q0))
    ratio_minus_one: arb  # hbar / ell - 1 = 2 (T(q) + T(q0)) / ((1 - T(q)) (1 - T(q0)))
    log_slope: arb  # beta = 4 pi W(q) / (eps v (1 - T(q)))
    T_q: arb
    T_q0: arb


def comb_factor_bounds(sigma: Real, eps: Real) -> CombFactorBounds:
    s, e = to_arb(sigma), to_arb(eps)
    v = 1 + s * s
    q = nome(s, e)
    T_q = theta_tail_T(q)
    T_q0 = theta_tail_T(nome_unsmoothed(e))
    both = T_q + T_q0
    return CombFactorBounds(
        low_minus_one=-both / (1 + T_q0),
        high_minus_one=both / (1 - T_q0),
        ratio_minus_one=2 * both / ((1 - T_q) * (1 - T_q0)),
        log_slope=4 * arb.pi() * theta_weighted_sum(q) / (e * v * (1 - T_q)),
        T_q=T_q,
        T_q0=T_q0,
    )


def _power_minus_one(base_minus_one: arb, n: int) -> arb:
    """(1 + a)^n - 1 without cancellation: expm1(n log1p(a))."""
    return (n * base_minus_one.log1p()).expm1()


def density_deviation_bound(d_prime: int, sigma: Real, eps: Real) -> arb:
    """D = max(hbar^{d'} - 1, 1 - ell^{d'}) (C.17): sup |g_sigma / h_sigma - 1|."""
    b = comb_factor_bounds(sigma, eps)
    if not b.T_q < 1:
        return arb(0, math.inf)
    up = _power_minus_one(b.high_minus_one, d_prime)
    down = -_power_minus_one(b.low_minus_one, d_prime)
    # an enclosure of max(up, down) from the endpoints
    return ball(max(up.lower(), down.lower()), max(up.upper(), down.upper()))


def score_deviation_bound(d_prime: int, R: Real, sigma: Real, eps: Real) -> arb:
    """E18 (C.18): sup over all points of |grad log g_sigma - grad log h_sigma|."""
    b = comb_factor_bounds(sigma, eps)
    if not b.T_q < 1:
        return arb(0, math.inf)
    s = to_arb(sigma)
    v = 1 + s * s
    # kappa = (hbar^{d'} - ell^{d'}) / (2 ell^{d'}) = ((hbar/ell)^{d'} - 1) / 2
    kappa = _power_minus_one(b.ratio_minus_one, d_prime) / 2
    vertex = to_arb(R) / v * kappa
    return (vertex * vertex + d_prime * b.log_slope * b.log_slope).sqrt()


def theta_parts(u_over_eps: arb, q: arb) -> tuple[arb, arb]:
    """(vartheta(u; q) - 1, d vartheta / d(u/eps)) at u/eps, enclosed.

    For q < 1/2 a fixed number of terms plus the absolute tails
    2 sum_{j>=J} q^{j^2} and 4 pi sum_{j>=J} j q^{j^2} (geometric, ratio <= 2 q^{2J+1}); this
    stays sound and fast when the sine series is exactly 0 (u = 0), where a relative stopping
    rule never stops. For q >= 1/2, arb's Jacobi theta (verify.comb).
    """
    if q == 0:
        return arb(0), arb(0)
    if not q < arb(1) / 2:
        return _theta_minus_one(u_over_eps, q), _theta_derivative(u_over_eps, q)
    import flint

    rate = -float(q.upper().log().upper())  # q <= e^{-rate}
    terms = max(2, math.ceil(math.sqrt((flint.ctx.prec + 20) * math.log(2) / rate)) + 1)
    angle = 2 * arb.pi() * u_over_eps
    value, slope = arb(0), arb(0)
    for j in range(1, terms):
        power = q ** (j * j)
        value += power * (j * angle).cos()
        slope += j * power * (j * angle).sin()
    ratio = 2 * q ** (2 * terms + 1)
    tail = terms * q ** (terms * terms) / (1 - ratio)
    value = 2 * (value + arb(0, tail.upper()))
    slope = -4 * arb.pi() * (slope + arb(0, tail.upper()))
    return value, slope


# --- exact small-instance computations (certified, enumerating seeds) -----------------------------


def all_seeds(d: int) -> list[tuple[int, ...]]:
    return [tuple(1 - 2 * b for b in bits) for bits in itertools.product((0, 1), repeat=d)]


@dataclass(frozen=True)
class ExactDeviation:
    """Certified values at one point: g/h - 1 and the score gap s_g - s_h (vertex, comb blocks)."""

    ratio_minus_one: arb
    score_gap: list[arb]


def exact_deviation(
    x: Sequence[Real],
    y: Sequence[Real],
    codewords: Sequence[Sequence[int]],
    R: Real,
    sigma: Real,
    eps: Real,
) -> ExactDeviation:
    """g_sigma/h_sigma - 1 and s_g - s_h at (x, y), for codewords[s_index] = f(s) (seeds in
    ``all_seeds(d)`` order), computed as expectations over the exact vertex posterior without the
    cancellation of subtracting two scores."""
    d, d_prime = len(x), len(y)
    seeds = all_seeds(d)
    if len(codewords) != len(seeds):
        raise ValueError("need one codeword per seed")
    R_, s_, e_ = to_arb(R), to_arb(sigma), to_arb(eps)
    v = 1 + s_ * s_
    q, q0 = nome(s_, e_), nome_unsmoothed(e_)
    xs = [to_arb(t) for t in x]
    ys = [to_arb(t) for t in y]
    # per (j, bit): e = psi/phi - 1 and its log-derivative d/dy log(1 + e)
    dev: dict[tuple[int, int], arb] = {}
    log_slope: dict[tuple[int, int], arb] = {}
    for j, t in enumerate(ys):
        for bit in (1, -1):
            th = phase_of(bit, e_)
            # 1 + e = vartheta(th - t/v; q) / vartheta(th; q0); both "- 1" parts kept apart
            num_m1, slope = theta_parts((th - t / v) / e_, q)
            den_m1, _ = theta_parts(th / e_, q0)
            e_val = (num_m1 - den_m1) / (1 + den_m1)
            # d/dt log vartheta(th - t/v; q) = -vartheta'(u) / (v vartheta(u)), d/du = d/dz / eps
            slope = slope / e_
            dev[j, bit] = e_val
            log_slope[j, bit] = -slope / (v * (1 + num_m1))
    # vertex posterior weights: product law with P(s_i = +1) = 1 / (1 + exp(-2 R x_i / v))
    m = [(R_ * t / v).tanh() for t in xs]
    p_plus = [1 / (1 + (-2 * R_ * t / v).exp()) for t in xs]
    total_w = arb(0)
    total_wP = arb(0)  # E_w[P - 1]
    cov = [arb(0)] * d  # E_w[(P - 1)(s_i - m_i)]
    comb = [arb(0)] * d_prime  # E_w[P d_j log P]
    for seed, word in zip(seeds, codewords, strict=True):
        w = arb(1)
        for i in range(d):
            w *= p_plus[i] if seed[i] > 0 else 1 - p_plus[i]
        p_minus_one = arb(0)
        for j in range(d_prime):
            e_val = dev[j, word[j]]
            p_minus_one = p_minus_one + e_val + p_minus_one * e_val
        total_w += w
        total_wP += w * p_minus_one
        for i in range(d):
            cov[i] += w * p_minus_one * (seed[i] - m[i])
        for j in range(d_prime):
            comb[j] += w * (1 + p_minus_one) * log_slope[j, word[j]]
    # total_w is 1 mathematically; dividing keeps the enclosure honest about rounding
    mean_P = 1 + total_wP / total_w
    gap = [R_ / v * c / total_w / mean_P for c in cov] + [c / total_w / mean_P for c in comb]
    return ExactDeviation(ratio_minus_one=total_wP / total_w, score_gap=gap)


def mixture_score_arb(x: Sequence[Real], y: Sequence[Real], R: Real, sigma: Real) -> list[arb]:
    """s_h at (x, y), enclosed."""
    R_, s_ = to_arb(R), to_arb(sigma)
    v = 1 + s_ * s_
    xs = [to_arb(t) for t in x]
    return [(-t + R_ * (R_ * t / v).tanh()) / v for t in xs] + [-to_arb(t) / v for t in y]


# --- threshold constants (the paper's shape sigma >= C eps sqrt(log(...))) -----------------------


def tau_of_sigma(sigma: float) -> float:
    return sigma / math.sqrt(1 + sigma * sigma)


def sigma_of_tau(tau: Real) -> arb:
    """The inverse of tau = sigma / sqrt(1 + sigma^2) (tau < 1)."""
    t = to_arb(tau)
    return (t * t / (1 - t * t)).sqrt()


def needed_constant(
    bound_at_tau, target: Real, eps: Real, log_term: Real, steps: int = 40
) -> tuple[arb, arb]:
    """Certified bracket [C_lo, C_hi] for the least C with bound(tau = C eps sqrt(L)) <= target.

    ``bound_at_tau(tau) -> arb`` must be non-increasing in tau (all the bounds here are: q falls
    and v grows with tau). C_hi is certified sufficient (bound <= target, or tau >= 1 which no
    sigma reaches, making the implication vacuous); C_lo certified insufficient or 0.
    """
    scale = to_arb(eps) * to_arb(log_term).sqrt()

    def sufficient(c: float) -> bool | None:
        tau = arb(c) * scale
        if tau >= 1:
            return True
        if not tau < 1:
            return None
        value = bound_at_tau(tau)
        if not value.is_finite():
            return False  # T(q) >= 1: the bound says nothing, so this C is not shown sufficient
        if value <= to_arb(target):
            return True
        if value > to_arb(target):
            return False
        return None

    lo, hi = 0.0, 1.0
    while sufficient(hi) is not True:
        lo, hi = hi, 2 * hi
        if hi > 1e6:
            return arb(lo), arb(math.inf)
    for _ in range(steps):
        mid = (lo + hi) / 2
        verdict = sufficient(mid)
        if verdict is True:
            hi = mid
        elif verdict is False:
            lo = mid
        else:
            break
    return arb(lo), arb(hi)


def log_term_c17(d_prime: int, delta: Real) -> arb:
    """L17 = log(2 d' / delta)."""
    return (2 * arb(d_prime) / to_arb(delta)).log()


def log_term_c18(d_prime: int, R: Real, eps: Real, delta: Real) -> arb:
    """L18 = log((1 + 2 R d' + 4 pi sqrt(d') / eps) / delta)."""
    top = 1 + 2 * to_arb(R) * d_prime + 4 * arb.pi() * arb(d_prime).sqrt() / to_arb(eps)
    return (top / to_arb(delta)).log()


# --- float64 / torch evaluations ---------------------------------------------------------------


def mixture_score_torch(points: torch.Tensor, d: int, R: float, sigma: float) -> torch.Tensor:
    """s_h for a batch (N, d + d') of points, in the points' dtype."""
    v = 1.0 + sigma * sigma
    x, y = points[:, :d], points[:, d:]
    return torch.cat(((-x + R * torch.tanh(R * x / v)) / v, -y / v), dim=1)


def mixture_score_np(points: np.ndarray, d: int, R: float, sigma: float) -> np.ndarray:
    v = 1.0 + sigma * sigma
    x, y = points[:, :d], points[:, d:]
    return np.concatenate(((-x + R * np.tanh(R * x / v)) / v, -y / v), axis=1)
