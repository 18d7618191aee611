r"""The C.15 small-sigma score network of the instance (uniform-grid construction) and the
network part of its error bound.

With u_s the score of g_{s,sigma} (head -(x_i - R s_i)/v, comb coordinate j: l_{f(s)_j}(t_j),
l_b = (log psi_{b,sigma})'), the network is

  N(x)_i = -(x_i - R c_i)/v,  c = clamp_w(x_{1:d})  (C.13),
  N(x)_{d+j} = switch(beta_j, s_+(t_j)) + switch(1 - beta_j, s_-(t_j))  (C.14, B = V),
  beta = clip_[0,1]((1 + F(c))/2),  F the G.3 network of f (Goldreich's local function),

where s_b is the continuous piecewise-linear interpolant of l_b on a uniform grid of [-L, L],
L = 7 sqrt(v), constant beyond (C.9 network), V = max |s_b|. The clamp and switch are the
gadgets of ``verify.maths.nets.gadgets``; the network is evaluated in float64 torch. torch is
imported where a network is built, not with this module.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
from flint import arb

from verify.core.errors import DomainError
from verify.core.numbers import normal_upper_tail, to_arb
from verify.maths.circuits import compile_circuit
from verify.maths.nets import gadgets
from verify.maths.nets.pwl import PiecewiseLinear, relu_network
from verify.maths.oneway import GoldreichFunction

if TYPE_CHECKING:
    from torch import Tensor

    from verify.maths.instance import Instance


class SmallSigmaNetwork:
    """The C.15 network for one instance and sigma, evaluated in float64 torch."""

    def __init__(self, inst: Instance, sigma: float, w: float, grid: int | None = None) -> None:
        import torch

        if not isinstance(inst.f, GoldreichFunction):
            raise DomainError("C.15 compiles f through G.3: f must be Goldreich's function")
        self.inst, self.sigma, self.w = inst, sigma, w
        self.v = 1 + sigma * sigma
        self.L = 7 * math.sqrt(self.v)
        h = min(sigma, inst.eps) / 4
        n = grid or int(min(4000, math.ceil(2 * self.L / h) + 1))
        xs = np.linspace(-self.L, self.L, n)
        _, slope = inst.comb_terms(torch.as_tensor(xs), sigma)
        self.grid = xs
        self.values = slope.numpy()  # (n, 2): l_+ and l_- at the grid
        self.V = float(np.abs(self.values).max())
        f_exact = compile_circuit(inst.f.to_circuit())
        self.f_net = f_exact.to_torch()
        self.clamp = gadgets.clamp_network(w)
        self.switch = gadgets.switch_network(self.V)
        self.s_nets = []
        for index in range(2):
            pwl = PiecewiseLinear.from_samples(xs.tolist(), self.values[:, index].tolist(), 0, 0)
            self.s_nets.append(relu_network(pwl).to_torch())
        # clamp per head coordinate, two C.9 networks of n pieces and two switches per comb
        # coordinate (6 for the bit clip and the sum), 2 per head coordinate for the output.
        self.parameters = (
            self.clamp.parameter_count() * inst.d
            + f_exact.parameter_count()
            + inst.d_out * (2 * (3 * n + 1) + 2 * self.switch.parameter_count() + 6)
            + 2 * inst.d
        )

    def s_hat(self, t: Tensor, index: int) -> Tensor:
        import torch

        with torch.no_grad():
            return self.s_nets[index](t.reshape(-1, 1)).reshape(t.shape)

    def __call__(self, x: Tensor) -> Tensor:
        import torch

        inst, relu = self.inst, torch.relu
        head = x[:, : inst.d]
        c = gadgets.apply_torch(self.clamp, head)
        with torch.no_grad():
            o = self.f_net(c)
        beta = (1 + o) / 2
        beta = relu(beta) - relu(beta - 1)
        t = x[:, inst.d :]
        tail = gadgets.apply_torch(self.switch, beta, self.s_hat(t, 0)) + gadgets.apply_torch(
            self.switch, 1 - beta, self.s_hat(t, 1)
        )
        return torch.cat([-(head - float(inst.R) * c) / self.v, tail], 1)

    def one_dimensional_error(self) -> float:
        """e1^2 = max_b E_{t ~ psi_b,sigma} (s_b(t) - l_b(t))^2 by trapezoid quadrature."""
        import torch

        span = 14 * math.sqrt(self.v)
        h = min(self.sigma, self.inst.eps) / 8
        t = torch.linspace(-span, span, int(2 * span / h) + 1, dtype=torch.float64)
        log_psi, slope = self.inst.comb_terms(t, self.sigma)
        worst = 0.0
        for index in range(2):
            err = (self.s_hat(t, index) - slope[:, index]) ** 2 * torch.exp(log_psi[:, index])
            worst = max(worst, float(torch.trapezoid(err, t)))
        return worst


def one_dimensional_error_enclosure(net: SmallSigmaNetwork) -> arb:
    r"""A certified enclosure of e1^2 = max_b E_{t ~ psi_b,sigma} (s_b(t) - l_b(t))^2:
    [0, (V + 1/sigma)^2]. Upper end: Minkowski, |s_b| <= V, and E l_b^2 = J(psi_b,sigma) <=
    J(N(0, sigma^2)) = 1/sigma^2 (psi_b,sigma is a law convolved with N(0, sigma^2); the Fisher
    information of a sum is at most that of either independent summand). The float quadrature
    ``one_dimensional_error`` (typically 1e-7 of the upper end) is reported beside it, not used:
    no float quadrature enters a certified side."""
    upper_end = (to_arb(net.V) + 1 / to_arb(net.sigma)) ** 2
    return upper_end / 2 + arb(0, 1) * (upper_end / 2)


def network_error_bound(inst: Instance, sigma: float, w: float, V: float, e1: float | arb) -> arb:
    r"""The network part of the C.15 bound, enclosed:
    d' e_1^2 + P_flip d'(V + a)^2 + d Phi_w 4R^2/v^2 + d Phi_w d'(4V + a)^2, with
    Phi_R = Phi_bar(R/sqrt v), Phi_w = Phi_bar((R - w)/sqrt v), P_flip = 1 - (1 - Phi_R)^d,
    a = eps/(2 sigma^2) + 1/sigma."""
    s = to_arb(sigma)
    v = 1 + s * s
    R = to_arb(inst.R)
    phi_R = normal_upper_tail(R / v.sqrt())
    phi_w = normal_upper_tail((R - to_arb(w)) / v.sqrt())
    p_flip = 1 - (1 - phi_R) ** inst.d
    a = to_arb(inst.eps) / (2 * s * s) + 1 / s
    Va = to_arb(V)
    d, dp = inst.d, inst.d_out
    return (
        dp * to_arb(e1)
        + p_flip * dp * (Va + a) ** 2
        + d * phi_w * 4 * R * R / (v * v)
        + d * phi_w * dp * (4 * Va + a) ** 2
    )


def sampled_squared_errors(net: SmallSigmaNetwork, samples: int, seed: int) -> np.ndarray:
    """|N(x) - grad log g_sigma(x)|^2 at ``samples`` seeded draws x ~ g_sigma (exact score by
    enumeration over the seeds)."""
    return sampled_error_terms(net, samples, seed)[0]


def sampled_error_terms(
    net: SmallSigmaNetwork, samples: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per draw (x, s) ~ g_sigma (seeded, the same draws as ``sampled_squared_errors``): the
    squared error |N(x) - grad log g_sigma(x)|^2, whether the draw is in Omega_s = {s_i x_i >= w
    for every head coordinate} (no flip, no coordinate inside the identifier's margin) and
    sum_j t_j^2 over the comb coordinates."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    x, seeds = net.inst.sample(samples, generator, sigma=net.sigma)
    err = ((net(x) - net.inst.score(x, net.sigma)) ** 2).sum(1).numpy()
    d = net.inst.d
    signed = x[:, :d].numpy() * seeds.astype(np.float64)
    inside = (signed >= net.w).all(1)
    comb_square = (x[:, d:] ** 2).sum(1).numpy()
    return err, inside, comb_square


# The comb truncation of the almost-sure bound: |c_j| <= COMB_CUT except on an event whose
# probability is enclosed exactly from the lattice weights.
COMB_CUT = 5


def _comb_moments(inst: Instance, cut: float) -> tuple[arb, arb]:
    """max over the phases b of E_b[c^2] and of P_b(|c| > cut), c the comb point (the sampler's
    law: the discretized Gaussian on eps Z + theta(b) truncated to |c| <= 12 + eps), enclosed."""
    eps = float(inst.eps)
    second, outside = arb(0), arb(0)
    for b in (1, -1):
        theta = inst.theta(b)
        ks = range(math.floor((-12 - theta) / eps), math.ceil((12 - theta) / eps) + 1)
        total, moment, beyond = arb(0), arb(0), arb(0)
        for k in ks:
            c = arb(k) * to_arb(eps) + to_arb(theta)
            weight = (-(c * c) / 2).exp()
            total += weight
            moment += weight * c * c
            if abs(k * eps + theta) > cut - 1e-9:  # borderline points counted as outside
                beyond += weight
        second = second.union(moment / total) if b == -1 else moment / total
        outside = outside.union(beyond / total) if b == -1 else beyond / total
    return arb(second.upper()), arb(outside.upper())


def error_upper_bound(
    net: SmallSigmaNetwork,
    err: np.ndarray,
    inside: np.ndarray,
    comb_square: np.ndarray,
    alpha: float,
) -> tuple[arb, dict[str, Any]]:
    r"""An upper confidence bound (level 1 - alpha) for E|N - grad log g_sigma|^2, with no tail
    assumption: an almost-sure bound of the per-point error, a certified analytic bound of its
    mean off a good event, and the empirical Bernstein bound
    (``verify.core.stats.empirical_bernstein_upper``) on the good event.

    Almost-sure bound. Head: N_i - S_i = R(E[s_i | x] - c_i)/v with c_i, E[s_i|x] in [-1, 1],
    so |N_i - S_i| <= 2R/v. Comb: |N_{d+j}| <= 4V (|switch(b, h)| <= 2|h| for every b, C.14;
    |s_b| <= V); the true comb score is a convex combination of l_{+-}(t_j) = -t_j/v + m/sigma^2
    with |m| <= eps/2 (m is the mean offset of the lattice posterior, a discretized Gaussian
    centred at t/v: within half a spacing of its centre), so |S_{d+j}| <= |t_j|/v + eps/(2
    sigma^2). On Omega_s (every s_i x_i >= w) the identifier and G.3 are exact, beta_j is
    f(s)_j in {0, 1} and N_{d+j} = s_b(t_j): |N_{d+j}| <= V (times 1 + 2^-20 for float64).

    Split E[D] = E[D 1{not Omega}] + E[D 1{Omega, sum t^2 > T}] + E[D 1{Omega, sum t^2 <= T}]:

    - not Omega has probability p = 1 - (1 - Phi_bar((R - w)/sqrt v))^d and depends on the head
      only; given s the comb t is independent of it, so (Minkowski)
      E[D 1{not Omega}] <= p [d 4R^2/v^2 + d'(4V + eps/(2 sigma^2) + sqrt(m2 + sigma^2)/v)^2],
      m2 = max_b E_b c^2 (exact lattice sums);
    - t_j = c_j + sigma z_j, so t_j^2 <= 2 c_j^2 + 2 sigma^2 z_j^2, and with
      T = 2 d' C^2 + 2 sigma^2 q the event sum t^2 > T lies in {some |c_j| > C} or
      {Q > q}, Q = |z|^2 ~ chi-square(d'). There D <= A + B Q a.s. with
      A = d 4R^2/v^2 + 2d'(4V + eps/(2 sigma^2))^2 + 4 d'(12 + eps)^2/v^2, B = 4 sigma^2/v^2
      (the sampler's comb support is |c| <= 12 + eps; its law is within 4e-33 in TV of g's),
      so the term is <= d' P_b(|c| > C) (A + B d') + E[(A + B Q) 1{Q > q}] (chi-square tail,
      ``chi_square_tail_moment``);
    - on the rest D lies in [0, M], M = d 4R^2/v^2 + (sqrt(d')(V + eps/(2 sigma^2)) +
      sqrt(T)/v)^2: the empirical Bernstein bound at level alpha.

    Draws past M on the good event would refute the almost-sure bound: they are counted and
    reported (``beyond_almost_sure_bound``), and the bound is then infinite."""
    from verify.core.stats import chi_square_tail_moment, empirical_bernstein_upper

    inst = net.inst
    d, dp = inst.d, inst.d_out
    s = to_arb(net.sigma)
    v = 1 + s * s
    R, eps = to_arb(inst.R), to_arb(inst.eps)
    V = to_arb(net.V) * (1 + arb(2) ** -20)
    lattice = eps / (2 * s * s)
    head = d * 4 * R * R / (v * v)
    q = dp + 10 * math.ceil(math.sqrt(dp)) + 40
    T = 2 * dp * COMB_CUT**2 + 2 * s * s * q
    bound = head + ((arb(dp).sqrt()) * (V + lattice) + T.sqrt() / v) ** 2
    m2, p_cut = _comb_moments(inst, COMB_CUT)
    p_off = 1 - (1 - normal_upper_tail((R - to_arb(net.w)) / v.sqrt())) ** d
    off_omega = p_off * (head + dp * (4 * V + lattice + (m2 + s * s).sqrt() / v) ** 2)
    A = head + 2 * dp * (4 * V + lattice) ** 2 + 4 * dp * (12 + eps) ** 2 / (v * v)
    B = 4 * s * s / (v * v)
    tail = dp * p_cut * (A + B * dp) + chi_square_tail_moment(A, B, dp, q)
    cut = float(T.upper())
    good = np.where(inside & (comb_square <= cut), err, 0.0)
    M = float(bound.upper())
    beyond = int((good > M).sum())
    data: dict[str, Any] = {
        "almost_sure_bound": M,
        "beyond_almost_sure_bound": beyond,
        "off_omega_term": float(off_omega.upper()),
        "tail_term": float(tail.upper()),
        "outside_omega": int((~inside).sum()),
    }
    if beyond:
        return arb("inf"), data
    sampled = empirical_bernstein_upper(good.tolist(), Fraction(M), alpha)
    return sampled + off_omega + tail, data
