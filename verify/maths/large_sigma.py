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
checks compare them with, and the C.19 network of the mixture's score. The mixture's score itself
is ``verify.maths.mixture.vertex_mixture_score`` (and ``_arb``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
from flint import arb

from verify.core.numbers import Real, ball, to_arb
from verify.maths.comb import (
    _theta_derivative,
    _theta_minus_one,
    nome,
    nome_unsmoothed,
    theta_tail_T,
    theta_weighted_sum,
)
from verify.maths.nets.pwl import PiecewiseLinear, relu_network
from verify.maths.nets.relunet import ReluNet, parallel
from verify.maths.oneway import all_seed_tuples, seed_index

if TYPE_CHECKING:
    from verify.maths.instance import Instance


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
    rule never stops. For q >= 1/2, arb's Jacobi theta (verify.maths.comb).
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


@dataclass(frozen=True)
class TableMap:
    """f given by its table over ``all_seeds(n_in)`` (a ``verify.maths.oneway.OneWayFunction``):
    ``words[r]`` is f of row r of ``all_seeds``."""

    n_in: int
    n_out: int
    words: tuple[tuple[int, ...], ...]

    @property
    def name(self) -> str:
        return f"table(d={self.n_in}, d'={self.n_out})"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.words, dtype=np.int8)[seed_index(x)]


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
    ``verify.maths.oneway.all_seeds(d)`` order), computed as expectations over the exact vertex
    posterior without the cancellation of subtracting two scores."""
    d, d_prime = len(x), len(y)
    seeds = all_seed_tuples(d)
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
    sigma reaches, making the implication vacuous); C_lo is 0 or certified insufficient with a
    finite bound above target (a real counterexample when its tau < 1).
    """
    scale = to_arb(eps) * to_arb(log_term).sqrt()
    proven_lo = 0.0  # the largest C seen with a finite bound certainly above target

    def sufficient(c: float) -> bool | None:
        nonlocal proven_lo
        tau = arb(c) * scale
        if tau >= 1:
            return True
        if not tau < 1:
            return None
        value = bound_at_tau(tau)
        if not value.is_finite():
            return False  # T(q) >= 1: not shown sufficient, but not shown insufficient either
        if value <= to_arb(target):
            return True
        if value > to_arb(target):
            proven_lo = max(proven_lo, c)
            return False
        return None

    lo, hi = 0.0, 1.0
    while sufficient(hi) is not True:
        lo, hi = hi, 2 * hi
        if hi > 1e6:
            return arb(proven_lo), arb(math.inf)
    for _ in range(steps):
        mid = (lo + hi) / 2
        verdict = sufficient(mid)
        if verdict is True:
            hi = mid
        elif verdict is False:
            lo = mid
        else:
            break
    return arb(proven_lo), arb(hi)


def log_term_c17(d_prime: int, delta: Real) -> arb:
    """L17 = log(2 d' / delta)."""
    return (2 * arb(d_prime) / to_arb(delta)).log()


def log_term_c18(d_prime: int, R: Real, eps: Real, delta: Real) -> arb:
    """L18 = log((1 + 2 R d' + 4 pi sqrt(d') / eps) / delta)."""
    top = 1 + 2 * to_arb(R) * d_prime + 4 * arb.pi() * arb(d_prime).sqrt() / to_arb(eps)
    return (top / to_arb(delta)).log()


# --- C.19 / C.20: the ReLU network of the mixture's score ---------------------------------------

TANH_CURVATURE = 0.77  # > max |tanh''| = 4 / (3 sqrt 3) = 0.7698; only sizes the grid


@dataclass(frozen=True)
class MixtureScoreNetwork:
    """The C.19 network for s_h: one C.9 network per vertex coordinate (the interpolant of
    t -> (-t + R tanh(R t / v)) / v on a grid, slope -1/v beyond), the exact linear map -t/v per
    comb coordinate, run in parallel (C.10). All weights are exact rationals."""

    R: Fraction
    v: Fraction
    d: int
    d_out: int
    target: Fraction  # the per-coordinate sup error the grid was sized for
    half_width: Fraction  # L: nodes span [-L, L]
    step: Fraction  # h
    vertex: PiecewiseLinear
    comb: PiecewiseLinear
    vertex_net: ReluNet
    comb_net: ReluNet

    @property
    def pieces(self) -> int:
        return self.vertex.pieces

    def full_net(self) -> ReluNet:
        return parallel(*([self.vertex_net] * self.d + [self.comb_net] * self.d_out))

    def parameter_count(self) -> int:
        return (
            self.d * self.vertex_net.parameter_count()
            + self.d_out * self.comb_net.parameter_count()
        )

    def max_abs_parameter(self) -> Fraction:
        return max(self.vertex_net.max_abs_parameter(), self.comb_net.max_abs_parameter())

    def evaluate_exact(self, point: Sequence[Fraction]) -> list[Fraction]:
        head = [self.vertex(Fraction(t)) for t in point[: self.d]]
        return head + [self.comb(Fraction(t)) for t in point[self.d :]]

    def evaluate_np(self, points: np.ndarray) -> np.ndarray:
        """Float64 evaluation (np.interp on the nodes, linear beyond): a screen."""
        xs = np.array([float(t) for t in self.vertex.breakpoints])
        ys = np.array([float(y) for y in self.vertex.values_at_breakpoints()])
        slope = float(self.vertex.slopes[0])
        head = points[:, : self.d]
        inside = np.interp(head, xs, ys)
        inside = np.where(head < xs[0], ys[0] + slope * (head - xs[0]), inside)
        inside = np.where(head > xs[-1], ys[-1] + slope * (head - xs[-1]), inside)
        return np.concatenate((inside, -points[:, self.d :] / float(self.v)), axis=1)


def _dyadic_below(value: float) -> Fraction:
    """A power of two at most ``value`` (> 0), at least value / 2."""
    return Fraction(2) ** math.floor(math.log2(value))


def grid_plan(R: Fraction, v: Fraction, target: Fraction) -> tuple[Fraction, Fraction]:
    """(L, h) for a per-coordinate sup error about ``target``: (R/v)(1 - tanh(RL/v)) <= target/2
    (as 1 - tanh u <= 2 e^{-2u}) and (R/v)^3 h^2 max|tanh''| / 8 <= target/4; h a power of 2."""
    ratio = float(R / v)
    eta = float(target)
    u = max(0.0, 0.5 * math.log(4 * ratio / eta)) if ratio > 0 else 0.0
    step = _dyadic_below(math.sqrt(2 * eta / (TANH_CURVATURE * ratio**3)))
    cells = max(1, math.ceil(2 * u / ratio / float(step)))
    half = step * cells / 2
    return half, step


def mixture_score_network(
    R: Real, sigma: Real, d: int, d_out: int, delta: Real
) -> MixtureScoreNetwork:
    """The C.19 network with vector sup error about delta (per-coordinate target delta/sqrt(d))."""
    R_, v = Fraction(R), 1 + Fraction(sigma) ** 2
    target = Fraction(delta) / Fraction(math.sqrt(d))
    half, step = grid_plan(R_, v, target)
    cells = int(2 * half / step)
    nodes = [-half + k * step for k in range(cells + 1)]
    values = [
        -t / v + R_ / v * Fraction(math.tanh(float(R_ * t / v))) for t in nodes
    ]  # node values rounded to floats, exact rationals from here on; the error counts them
    vertex = PiecewiseLinear.from_points(nodes, values, -1 / v, -1 / v)
    comb = PiecewiseLinear((), (-1 / v,), Fraction(0))
    return MixtureScoreNetwork(
        R=R_,
        v=v,
        d=d,
        d_out=d_out,
        target=target,
        half_width=half,
        step=step,
        vertex=vertex,
        comb=comb,
        vertex_net=relu_network(vertex),
        comb_net=relu_network(comb),
    )


def _tanh_curvature_max(a: arb, b: arb) -> arb:
    """An upper bound of max |tanh''| on [a, b]. |tanh''(u)| = 2 |tanh u| sech^2 u vanishes at 0
    and its only other critical points are +-u*, tanh^2 u* = 1/3, where it is 4/(3 sqrt 3): on an
    interval avoiding +-u* the maximum is at an endpoint. (arb's tanh of a wide ball is far too
    wide to use directly.)"""
    critical = (1 / arb(3).sqrt()).atanh()
    peak = 4 / (3 * arb(3).sqrt())
    lo, hi = a.lower(), b.upper()
    if not (hi < -critical or lo > critical or (lo > -critical and hi < critical)):
        return peak.upper()

    def at(u: arb) -> arb:
        th = u.tanh()
        return (2 * th * (1 - th * th)).abs_upper()

    return at(lo).max(at(hi))


def vertex_sup_error(network: MixtureScoreNetwork) -> tuple[arb, arb]:
    """(lower, upper): rigorous bounds of sup_t |vertex(t) - s(t)|, s(t) = (-t + R tanh(Rt/v))/v.


    Upper: with T the network's tanh part and I the exact interpolant of tanh(R t / v) at the
    nodes, on a cell |T - tanh| <= |I - tanh| + max node error, |I - tanh| <= h^2/8 (R/v)^2
    max_cell |tanh''| (tanh'' enclosed on the cell's ball); beyond the last node
    |T - tanh| <= node error + (1 - tanh(R L / v)), the same on the left. Lower: the error at
    every cell midpoint and its limit at infinity.
    """
    R, v = to_arb(network.R), to_arb(network.v)
    scale = R / v
    nodes = network.vertex.breakpoints
    values = network.vertex.values_at_breakpoints()

    def tanh_part(t: Fraction, value: Fraction) -> arb:
        return (to_arb(value) + to_arb(t) / v) / scale  # T at a node

    node_error = [
        abs_enclosure(tanh_part(t, y) - (scale * to_arb(t)).tanh()).upper()
        for t, y in zip(nodes, values, strict=True)
    ]
    h = to_arb(network.step)
    worst = arb(0)
    low = arb(0)
    for k in range(len(nodes) - 1):
        curvature = _tanh_curvature_max(scale * to_arb(nodes[k]), scale * to_arb(nodes[k + 1]))
        interp = h * h / 8 * scale * scale * curvature
        worst = worst.max(interp + arb(max(node_error[k], node_error[k + 1])))
        middle = (nodes[k] + nodes[k + 1]) / 2
        value = to_arb((values[k] + values[k + 1]) / 2)  # the network is linear on the cell
        exact = (-to_arb(middle) + R * (scale * to_arb(middle)).tanh()) / v
        low = low.max(arb((value - exact).abs_lower()))
    edge = 1 - (scale * to_arb(nodes[-1])).tanh()
    worst = worst.max(arb(max(node_error[0], node_error[-1])) + arb(edge.upper()))
    # the error tends to (R/v)|1 - T(t_K)| as t -> infinity: the sup is at least that
    at_infinity = scale * (1 - tanh_part(nodes[-1], values[-1]))
    low = low.max(arb(at_infinity.abs_lower()))
    return low, scale * worst


# --- C.20's sampled mean square error --------------------------------------------------------


def hoeffding_interval(values: np.ndarray, value_range: float, alpha: float) -> tuple[float, float]:
    """Hoeffding's two-sided interval (level 1 - alpha, distribution-free) for the mean of
    i.i.d. variables in [0, value_range]."""
    n = len(values)
    half = value_range * math.sqrt(math.log(2 / alpha) / (2 * n))
    mean = float(values.mean())
    return max(0.0, mean - half), mean + half


def squared_score_errors(
    instance: Instance, network: Any, n: int, seed: int, sigma: float
) -> np.ndarray:
    """|N(x) - grad log g_sigma(x)|^2 at n draws of g_sigma (generator ``seed``; C.20's sample,
    float64: the network's ``evaluate_np`` against ``Instance.score``)."""
    import torch

    samples, _ = instance.sample(n, torch.Generator().manual_seed(seed), sigma=sigma)
    truth = instance.score(samples, sigma).numpy()
    return ((network.evaluate_np(samples.numpy()) - truth) ** 2).sum(1)
