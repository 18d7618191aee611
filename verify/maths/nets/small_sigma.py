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
from verify.core.numbers import ball, certified_min, normal_upper_tail, to_arb
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
    [0, U], U the smaller (certified comparison) of two upper bounds:

    - Minkowski: (V + 1/sigma)^2, as |s_b| <= V and E l_b^2 = J(psi_b,sigma) <= J(N(0, sigma^2))
      = 1/sigma^2 (psi_b,sigma is a law convolved with N(0, sigma^2); the Fisher information of
      a sum is at most that of either independent summand);
    - the interpolation bound ``one_dimensional_error_upper`` (node errors, sup|l_b''| per cell
      against the cell's mass, certified tails), typically 1e-3 of the first or less.

    The float quadrature ``one_dimensional_error`` is reported beside it, not used: no float
    quadrature enters a certified side."""
    minkowski = (to_arb(net.V) + 1 / to_arb(net.sigma)) ** 2
    upper_end = certified_min([minkowski, one_dimensional_error_upper(net)]).upper()
    return ball(0, upper_end)


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


# ---------------------------------------------------------------------------------------------
# A certified upper bound of e1^2 (the interpolation error of s_b under psi_b,sigma)
# ---------------------------------------------------------------------------------------------
#
# psi_b,sigma(t) = sum_c (e^{-c^2/2}/Z) phi_sigma(t - c) over the whole lattice eps Z + theta(b).
# Its posterior of c given t is proportional to exp(-(c - mu)^2/(2 tau^2)), mu = t/v,
# tau^2 = sigma^2/v, so with m(mu) = E[c - mu | t]:
#   l_b(t) = -t/v + m/sigma^2,  l_b'' = kappa_3(c | t)/sigma^6,
#   psi_b,sigma(t) = e^{-t^2/(2v)} sum_c e^{-(c - mu)^2/(2 tau^2)} / (Z sigma sqrt(2 pi)).
# The weights are irrational and the lattice infinite, so the rational finite mixtures of
# ``verify.maths.score_approx`` do not apply: every lattice sum below is a finite arb sum over
# the atoms within 9 tau + eps of mu plus a certified bound of the rest (``_lattice_tail``).

# Atoms farther than TAIL_SIGMAS tau + eps from mu enter through the tail bound only.
TAIL_SIGMAS = 9


def _lattice_tail(D: arb, extra: arb, tau: arb, eps: arb) -> arb:
    r"""Upper bound of :math:`\sum (1 + x + e)^3 e^{-x^2/(2\tau^2)}` over the points x >= D of a
    lattice of spacing eps (one side), for D >= 2 tau, e = ``extra`` >= 0. There the summand g
    is decreasing (x(1 + x + e) >= 4 tau^2 > 3 tau^2), so the sum is at most g(D) +
    (1/eps) int_D^inf g, and (1 + x + e)^3 <= 4((1 + e)^3 + x^3),
    int_D^inf e^{-x^2/(2 tau^2)} <= tau^2/D e^{-D^2/(2 tau^2)} (Mills),
    int_D^inf x^3 e^{-x^2/(2 tau^2)} = tau^2 (D^2 + 2 tau^2) e^{-D^2/(2 tau^2)}."""
    if not 2 * tau <= D:  # certified: arb comparisons are True only when certain
        raise ValueError("the lattice tail bound needs D >= 2 tau")
    gauss = (-(D * D) / (2 * tau * tau)).exp()
    head = (1 + D + extra) * (1 + D + extra) * (1 + D + extra) * gauss
    integral = 4 * (1 + extra) * (1 + extra) * (1 + extra) * tau * tau / D * gauss
    integral += 4 * tau * tau * (D * D + 2 * tau * tau) * gauss
    return arb((head + integral / eps).upper())


class _Lattice:
    """The lattice eps Z + theta of one phase, with exact (dyadic) eps, theta and sigma."""

    def __init__(self, eps: float, theta: float, sigma: float) -> None:
        self.eps_f, self.theta_f = eps, theta
        self.eps, self.theta = to_arb(eps), to_arb(theta)
        self.sigma = to_arb(sigma)
        self.v = 1 + self.sigma * self.sigma
        self.tau = (self.sigma * self.sigma / self.v).sqrt()
        self.tau_f = sigma / math.sqrt(1 + sigma * sigma)
        self.D = TAIL_SIGMAS * self.tau + self.eps  # every excluded atom is this far from mu
        self.inv_two_tau2 = 1 / (2 * self.tau * self.tau)

    def atom(self, k: int) -> arb:
        return self.eps * k + self.theta

    def atom_table(self) -> dict[int, arb]:
        """score_at's atoms formed so far, by index, at the working precision: ``atom(k)`` is the
        same ball each time, and score_at asks for the same atoms at neighbouring points (one
        look-up per call; ``atom`` itself stays a plain product, cheaper than this look-up)."""
        import flint

        prec = flint.ctx.prec
        table = self.__dict__.get("_atom_table")
        if table is None or table[0] != prec:
            table = self.__dict__["_atom_table"] = (prec, {})
        return table[1]

    def atoms_near(self, mu: arb) -> range:
        """Indices of the atoms within D of every point of ``mu`` and more; the excluded atoms
        are certified at least D from every point of ``mu``."""
        reach = TAIL_SIGMAS * self.tau_f + self.eps_f + float(mu.rad()) + self.eps_f
        mid = float(mu)  # mu's midpoint as a float (float(mu.mid()), cheaper)
        lo = math.floor((mid - reach - self.theta_f) / self.eps_f)
        hi = math.ceil((mid + reach - self.theta_f) / self.eps_f)
        while not mu.lower() - self.atom(lo - 1) >= self.D:
            lo -= 1
        while not self.atom(hi + 1) - mu.upper() >= self.D:
            hi += 1
        return range(lo, hi + 1)

    def tail(self, extra: arb) -> arb:
        """Both sides of ``_lattice_tail`` at D: bounds sum_excluded (1 + |c - mu| + e)^3 w_c."""
        return 2 * _lattice_tail(self.D, extra, self.tau, self.eps)

    def tail_at_zero(self) -> arb:
        """``tail(arb(0))``, kept per working precision (the same ball each time: score_at and
        mean_offset_bound ask for it once per point)."""
        import flint

        cache = self.__dict__.setdefault("_tail_at_zero", {})
        prec = flint.ctx.prec
        if prec not in cache:
            cache[prec] = self.tail(arb(0))
        return cache[prec]

    def weight(self, k: int, mu: arb) -> arb:
        """e^{-(c_k - mu)^2/(2 tau^2)} over a ball ``mu``, never dipping below zero."""
        from verify.maths.score_approx import exp_range, square_range

        return exp_range(-square_range(self.atom(k) - mu) * self.inv_two_tau2)

    def point_weight(self, k: int, mu: arb) -> arb:
        """The same at a tight ball (a point): arb's own enclosure (a hot path)."""
        gap = self.atom(k) - mu
        return (-(gap * gap) * self.inv_two_tau2).exp()

    def score_at(self, t: arb) -> arb:
        """l_b(t) at a point t, enclosed: -t/v + m/sigma^2, m = sum w (c - mu)/sum w."""
        mu = t / self.v
        total, first = arb(0), arb(0)
        inv_two_tau2, eps, theta = self.inv_two_tau2, self.eps, self.theta
        table = self.atom_table()
        for k in self.atoms_near(mu):
            atom = table.get(k)
            if atom is None:
                atom = table[k] = eps * k + theta  # self.atom(k)
            gap = atom - mu
            w = (-(gap * gap) * inv_two_tau2).exp()  # point_weight(k, mu), gap computed once
            total += w
            first += w * gap
        rest = self.tail_at_zero()  # |c - mu| <= (1 + |c - mu|)^3 on the excluded atoms
        m = (first + arb(0, 1) * rest) / (total + ball(0, rest))
        return -t / self.v + m / (self.sigma * self.sigma)

    def cell_sums(self, mu: arb) -> tuple[arb, arb]:
        """Upper bounds over the ball ``mu`` of sum_c w_c and of E|c - a|^3 (a the atom nearest
        mu's centre)."""
        a = self.atom(round((float(mu.mid()) - self.theta_f) / self.eps_f))
        total, third = arb(0), arb(0)
        for k in self.atoms_near(mu):
            w = self.weight(k, mu)
            total += w
            gap = abs(self.atom(k) - a)
            third += w * gap * gap * gap
        rest = self.tail(arb((abs(mu - a)).upper()))
        third_upper = (third + rest).upper() / total.lower()
        return arb((total + rest).upper()), arb(third_upper)

    def mean_offset_bound(self, pieces: int = 64) -> arb:
        """sup over mu of |m(mu)| (m is eps-periodic in mu: one period in ``pieces`` balls)."""
        from verify.maths.score_approx import exp_range, square_range

        worst = arb(0)
        width = self.eps / pieces
        for j in range(pieces):
            mu = self.theta + width * j + arb(0, 1) * width  # covers [theta + (j-1)w, ... + (j+1)w]
            total, first = arb(0), arb(0)
            for k in self.atoms_near(mu):
                gap = self.atom(k) - mu
                w = exp_range(-square_range(gap) * self.inv_two_tau2)  # weight(k, mu)
                total += w
                first += w * gap
            rest = self.tail_at_zero()
            m = (abs(first) + rest).upper() / total.lower()
            worst = worst.max(arb(m))
        return worst

    def periodic_sums(self, pieces: int) -> tuple[list[arb], list[arb]]:
        """``cell_sums`` on the balls [theta + p w, theta + (p + 1) w], w = eps/pieces: both sums
        are eps-periodic in mu (the lattice is invariant under a shift by eps, and so is the
        nearest atom), so these cover every mu."""
        width = self.eps / pieces
        out = [
            self.cell_sums(ball(self.theta + width * p, self.theta + width * (p + 1)))
            for p in range(pieces)
        ]
        return [t for t, _ in out], [m for _, m in out]

    def covering_pieces(self, mu: arb, pieces: int) -> list[int]:
        """Indices (mod ``pieces``) of the period's balls covering the ball ``mu``, one spare on
        each side against the float rounding of the index."""
        width = self.eps_f / pieces
        first = math.floor((float(mu.lower()) - self.theta_f) / width) - 1
        last = math.floor((float(mu.upper()) - self.theta_f) / width) + 1
        if last - first + 1 >= pieces:
            return list(range(pieces))
        return [p % pieces for p in range(first, last + 1)]

    def normaliser_lower(self) -> arb:
        """A lower bound of Z = sum_c e^{-c^2/2} (a partial sum of positive terms)."""
        ks = range(math.floor((-20 - self.theta_f) / self.eps_f), math.ceil(20 / self.eps_f) + 1)
        return arb(sum(((-(self.atom(k) ** 2)) / 2).exp() for k in ks).lower())

    def outside_moments(self, L: arb) -> tuple[arb, arb]:
        """Upper bounds of P(|t| > L) and E[t^2; |t| > L] under psi: per atom c the exact normal
        forms, Phi_bar(u) and (c^2 + sigma^2) Phi_bar(u) + sigma (L + c) phi(u) with
        u = (L - c)/sigma (and the mirror side); atoms with |c| > 20 by their whole mass and
        second moment c^2 + sigma^2 <= (1 + |c|)^3 (``_lattice_tail`` at tau = 1)."""
        s = self.sigma
        ks = range(math.floor((-20 - self.theta_f) / self.eps_f), math.ceil(20 / self.eps_f) + 1)
        prob, second = arb(0), arb(0)
        inv_sqrt_2pi = 1 / (2 * arb.pi()).sqrt()
        for k in ks:
            c = self.atom(k)
            w = (-(c * c) / 2).exp()
            for side in (c, -c):
                u = (L - side) / s
                tail = normal_upper_tail(u)
                density = (-(u * u) / 2).exp() * inv_sqrt_2pi
                prob += w * tail
                second += w * ((side * side + s * s) * tail + s * (L + side) * density)
        lo, hi = ks[0], ks[-1]
        if not (self.atom(lo) <= -20 + self.eps and self.atom(hi) >= 20 - self.eps):
            raise ValueError("the atom window must reach |c| = 20")
        far = 2 * _lattice_tail(arb(20) - self.eps, arb(0), arb(1), self.eps)
        z = self.normaliser_lower()
        return arb(((prob + far) / z).upper()), arb(((second + far) / z).upper())


def one_dimensional_error_upper(net: SmallSigmaNetwork) -> arb:
    r"""A certified upper bound of e1^2 = max_b E_{t~psi_b,sigma}(s_b(t) - l_b(t))^2, s_b the
    continuous piecewise-linear interpolant of the float64 node values y_k at the grid x_k
    (exact dyadics), constant beyond [-L, L].

    On a cell [x_k, x_{k+1}] of width h: s_b - l_b = (s_b - I l_b) + (I l_b - l_b), I the exact
    linear interpolant of l_b, so |s_b - l_b| <= max(|y_k - l_b(x_k)|, |y_{k+1} - l_b(x_{k+1})|)
    + h^2/8 sup|l_b''|, and |l_b''| = |kappa_3(c|t)|/sigma^6 <= 8 E[|c - a|^3 | t]/sigma^6 for
    any a (|kappa_3| <= E|c - m|^3 and |m - a| <= E|c - a|). The cell's mass is at most h times
    the upper end of psi_b,sigma over the cell. Beyond +-L, |s_b| <= V and
    |l_b(t)| <= |t|/v + M/sigma^2 (M = sup|m|, one period of mu), so the tail adds
    2(V + M/sigma^2)^2 P(|t| > L) + 2 E[t^2; |t| > L]/v^2."""
    from verify.maths.score_approx import exp_range, square_range

    inst, sigma = net.inst, net.sigma
    xs = [to_arb(float(x)) for x in net.grid]
    s = to_arb(sigma)
    v = 1 + s * s
    sigma6 = (s * s) ** 3
    L = xs[-1]
    if not (xs[0] == -L):
        raise ValueError("the interpolation grid must be symmetric")
    V = to_arb(net.V)
    norm = s * (2 * arb.pi()).sqrt()
    worst = []
    for index, b in enumerate((1, -1)):
        lattice = _Lattice(float(inst.eps), inst.theta(b), sigma)
        z = lattice.normaliser_lower()
        node_error = [
            arb(abs(to_arb(float(y)) - lattice.score_at(x)).upper())
            for x, y in zip(xs, net.values[:, index], strict=True)
        ]
        # The period in pieces about half a cell wide (in mu): each cell meets a few of them.
        pieces = max(8, math.ceil(2 * float(inst.eps) * (1 + sigma * sigma) / float(xs[1] - xs[0])))
        totals, thirds = lattice.periodic_sums(pieces)
        core = arb(0)
        two_v, z_norm = 2 * v, z * norm  # loop invariants (the same balls each time)
        for k in range(len(xs) - 1):
            cell = ball(xs[k], xs[k + 1])
            h = xs[k + 1] - xs[k]
            covering = lattice.covering_pieces(cell / v, pieces)
            total = max((totals[p] for p in covering), key=lambda a: a.upper())
            third = max((thirds[p] for p in covering), key=lambda a: a.upper())
            gauss = exp_range(-square_range(cell) / two_v)
            density = arb((gauss * total / z_norm).upper())
            err = node_error[k].max(node_error[k + 1]) + h * h / 8 * 8 * third / sigma6
            core += h * density * err * err
        M = lattice.mean_offset_bound()
        prob, second = lattice.outside_moments(L)
        tail = 2 * (V + M / (s * s)) ** 2 * prob + 2 * second / (v * v)
        worst.append(arb((core + tail).upper()))
    return arb(max(w.upper() for w in worst))
