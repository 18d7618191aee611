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
from typing import TYPE_CHECKING

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


def network_error_bound(inst: Instance, sigma: float, w: float, V: float, e1: float) -> arb:
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
    import torch

    generator = torch.Generator().manual_seed(seed)
    x, _ = net.inst.sample(samples, generator, sigma=net.sigma)
    return ((net(x) - net.inst.score(x, net.sigma)) ** 2).sum(1).numpy()
