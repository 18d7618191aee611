r"""Lemmas C.13-C.15: the ReLU network for the instance's score at small sigma.

**C.13 vertex identifier** [derived]. clamp_w(t) = ReLU(t/w + 1) - ReLU(t/w - 1) - 1 (one hidden
layer of 2 units per coordinate, 7 nonzero parameters, |parameter| <= max(1, 1/w)) satisfies
clamp_w(t) = sign(t) whenever |t| >= w, and |clamp_w| <= 1 everywhere. Proof checked exactly:
clamp_w is piecewise linear with breakpoints -w, w only, so it equals ±1 on [w, inf) and on
(-inf, -w] iff it does at ±w and ±(w + 1), and its extreme values are at those points.

**C.14 switch** [derived]. switch(b, v) = ReLU(v + B b - B) - ReLU(-v + B b - B) (2 hidden units,
8 parameters, |parameter| <= max(1, B)) equals v for b = 1 and 0 for b = 0 whenever |v| <= B.
Proof checked exactly: for b = 1 it is ReLU(v) - ReLU(-v), piecewise linear with one breakpoint
0, equal to v at -B, 0, B; for b = 0 it is linear on [-B, B] (breakpoints at ±B) and 0 at both
ends. For every real b, |switch(b, v)| <= 2|v| (ReLU is 1-Lipschitz), checked at random exact
points.

**C.15 small-sigma network** [open; explicit form derived here]. With u_s the score of g_{s,sigma}
(head -(x_i - R s_i)/v, comb coordinate j: l_{f(s)_j}(t_j), l_b = (log psi_{b,sigma})'), the
network is

  N(x)_i = -(x_i - R c_i)/v,  c = clamp_w(x_{1:d})  (C.13),
  N(x)_{d+j} = switch(beta_j, s_+(t_j)) + switch(1 - beta_j, s_-(t_j))  (C.14, B = V),
  beta = clip_[0,1]((1 + F(c))/2),  F the G.3 network of f (Goldreich's local function),

where s_b is the continuous piecewise-linear interpolant of l_b on a uniform grid of [-L, L],
L = 7 sqrt(v), constant beyond (C.9 network), V = max |s_b|. With Phi_R = Phi_bar(R/sqrt v),
Phi_w = Phi_bar((R - w)/sqrt v), P_flip = 1 - (1 - Phi_R)^d, e1^2 = max_b E_{t~psi_b,sigma}
(s_b - l_b)^2, a = eps/(2 sigma^2) + 1/sigma:

.. math::
    E_{x\sim g_\sigma}|N(x) - \nabla\log g_\sigma(x)|^2 \le C_{15}\Big(2B_8 + 2\big[d' e_1^2
      + P_{\mathrm{flip}} d'(V + a)^2 + d\,\Phi_w \tfrac{4R^2}{v^2} + d\,\Phi_w\, d'(4V + a)^2
      \big]\Big),\quad C_{15} = 1.

Derivation: |N - grad log g|^2 <= 2|N - u_{s(x)}|^2 + 2|u_{s(x)} - grad log g|^2; the second
term is C.8 (B_8). Write g_sigma = E_{s'} g_{s',sigma}. On Omega = {all |x_i| >= w}, c = s(x)
exactly (C.13) and F(c) = f(s(x)) exactly (G.3), so N - u_{s(x)} vanishes on the head and is
s_b - l_b with b = f(s(x))_j on the comb coordinates. If s(x) = s' (no flip) t_j ~ psi_b,
independent of the head: expectation <= e1^2 per coordinate. If a flip occurred (probability
P_flip, independent of t), |s_b| <= V and |l_b| <= |l_{b'}| + eps/(2 sigma^2) (C.8's lattice
argument), and E l_{b'}^2 <= 1/sigma^2 (Fisher information of a sigma-smoothed law), so
E(s_b - l_b)^2 <= (V + a)^2 by Minkowski. Off Omega (probability <= d Phi_w): each coordinate
with |x_i| < w errs on the head by R|c_i - s_i|/v <= 2R/v, and |N_{d+j}| <= 4V since
|switch(b, v)| <= 2|v| for every b, so the comb error is <= 4V + |l_b| in L2 <= 4V + a.

Check (STATISTICAL): the left side by sampling x ~ g_sigma (seeded) with the exact score
(enumeration over seeds), N evaluated in float64 torch; the interval is the normal (CLT)
approximation at z = 3.29 (two-sided 0.999) -- the error is unbounded (l_b grows linearly), so
no distribution-free bounded-mean interval applies; this is stated in the part's note. e1^2 is
computed by float64 quadrature (trapezoid on a grid finer than min(sigma, eps)/8 over
[-14 sqrt v, 14 sqrt v]); the rest of the right side is an arb enclosure. The bound is loose
(empirical constant ~1e-4 to 1e-2): off Omega it charges every comb coordinate the worst case
4V + a, and smaller w (weights 1/w in C.13) shrinks that term through Phi_w.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from flint import arb
from hypothesis import strategies as st

from lemmas.c06_c08_orthant import b8
from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import finite_real, integer, log_uniform
from verify.core.errors import DomainError
from verify.core.numbers import ball, to_arb
from verify.maths.circuits import compile_circuit
from verify.maths.instance import Instance
from verify.maths.nets.pwl import PiecewiseLinear, relu_network
from verify.maths.nets.relunet import Affine, ReluNet, parallel
from verify.maths.oneway import GoldreichFunction

# --- C.13 and C.14 networks ----------------------------------------------------------------------


def clamp_network(w: Fraction) -> ReluNet:
    """clamp_w(t) = ReLU(t/w + 1) - ReLU(t/w - 1) - 1 on one coordinate."""
    w = Fraction(w)
    return ReluNet(
        (Affine([[1 / w], [1 / w]], [1, -1]), Affine([[Fraction(1), Fraction(-1)]], [-1]))
    )


def vertex_identifier(d: int, w: Fraction) -> ReluNet:
    """C.13: clamp_w on each of d coordinates (block diagonal)."""
    return parallel(*[clamp_network(w) for _ in range(d)])


def switch_network(bound: Fraction) -> ReluNet:
    """C.14: inputs (b, v) -> ReLU(v + B b - B) - ReLU(-v + B b - B)."""
    B = Fraction(bound)
    return ReluNet(
        (Affine([[B, Fraction(1)], [B, Fraction(-1)]], [-B, -B]), Affine([[1, -1]], [0]))
    )


def _params_w(draw) -> dict[str, Any]:
    return {
        "d": draw(st.integers(1, 8)),
        "w": draw(log_uniform(1e-3, 50.0)),
        "seed": draw(st.integers(0, 10**6)),
    }


@st.composite
def _c13_params(draw) -> dict[str, Any]:
    return _params_w(draw)


def _validate_c13(params: dict[str, Any]) -> None:
    integer(params, "d", 1, 64)
    w = finite_real(params, "w")
    if w <= 0:
        raise DomainError(f"C.13 needs a margin w > 0, got w={w}")


def _check_c13(params: dict[str, Any], constants: dict[str, Fraction], margin=1) -> list[Part]:
    d = int(params["d"])
    w = Fraction(float(params["w"]))
    net = vertex_identifier(d, w)
    one = clamp_network(w)
    witnesses = [-w - 1, -w, w, w + 1]
    want = [-1, -1, 1, 1]
    wrong = sum(1 for t, s in zip(witnesses, want, strict=True) if one([t])[0] != s)
    bounded = max(abs(one([t])[0]) for t in [-w - 1, -w, Fraction(0), w, w + 1])
    rng = np.random.default_rng([0x13, int(params.get("seed", 0))])
    mismatch = Fraction(0)
    for _ in range(4):  # exact evaluation of the d-dimensional network off the walls
        signs = rng.choice([-1, 1], size=d)
        mags = [Fraction(margin) * w * (1 + Fraction(int(k), 7)) for k in rng.integers(0, 20, d)]
        x = [int(s) * m for s, m in zip(signs, mags, strict=True)]
        out = net(x)
        mismatch = max(mismatch, *(abs(o - int(s)) for o, s in zip(out, signs, strict=True)))
    unit = Fraction(d)
    return [
        Part("witness_mismatches", Fraction(wrong), Fraction(0)),
        Part("sign_off_walls", mismatch, Fraction(0)),
        Part("bounded_by_one", bounded, Fraction(1)),
        Part("parameters", Fraction(net.parameter_count()), constants["K"] * unit, "K", unit),
        Part("weights", net.max_abs_parameter(), max(Fraction(1), 1 / w)),
    ]


@st.composite
def _c14_params(draw) -> dict[str, Any]:
    return {"B": draw(log_uniform(1e-3, 1e3)), "seed": draw(st.integers(0, 10**6))}


def _validate_c14(params: dict[str, Any]) -> None:
    B = finite_real(params, "B")
    if B <= 0:
        raise DomainError(f"C.14 needs a bound B > 0, got B={B}")


def _check_c14(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    B = Fraction(float(params["B"]))
    net = switch_network(B)
    wrong = Fraction(0)
    for v in (-B, Fraction(0), B):
        wrong = max(wrong, abs(net([1, v])[0] - v))
    for v in (-B, B):
        wrong = max(wrong, abs(net([0, v])[0]))
    rng = np.random.default_rng([0x14, int(params.get("seed", 0))])
    excess = Fraction(-1)
    for _ in range(16):  # |switch(b, v)| <= 2|v| for arbitrary real b
        b = Fraction(int(rng.integers(-400, 400)), 100)
        v = B * Fraction(int(rng.integers(-300, 300)), 100)
        excess = max(excess, abs(net([b, v])[0]) - 2 * abs(v))
    return [
        Part("switch_exact", wrong, Fraction(0)),
        Part("lipschitz_any_b", excess, Fraction(0)),
        Part("parameters", Fraction(net.parameter_count()), constants["K"], "K", Fraction(1)),
        Part("weights", net.max_abs_parameter(), max(Fraction(1), B)),
    ]


# --- C.15 ---------------------------------------------------------------------------------------


class SmallSigmaNetwork:
    """The C.15 network for one instance and sigma, evaluated in float64 torch."""

    def __init__(self, inst: Instance, sigma: float, w: float, grid: int | None = None) -> None:
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
        self.f_net = compile_circuit(inst.f.to_circuit()).to_torch()
        self.s_nets = []
        for index in range(2):
            pwl = PiecewiseLinear.from_points(
                [Fraction(float(t)) for t in xs],
                [Fraction(float(y)) for y in self.values[:, index]],
                Fraction(0),
                Fraction(0),
            )
            self.s_nets.append(relu_network(pwl).to_torch())
        self.parameters = (
            7 * inst.d
            + compile_circuit(inst.f.to_circuit()).parameter_count()
            + inst.d_out * (2 * (3 * n + 1) + 2 * 8 + 6)
            + 2 * inst.d
        )

    def s_hat(self, t: torch.Tensor, index: int) -> torch.Tensor:
        with torch.no_grad():
            return self.s_nets[index](t.reshape(-1, 1)).reshape(t.shape)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        inst, relu = self.inst, torch.relu
        head = x[:, : inst.d]
        c = relu(head / self.w + 1) - relu(head / self.w - 1) - 1
        with torch.no_grad():
            o = self.f_net(c)
        beta = (1 + o) / 2
        beta = relu(beta) - relu(beta - 1)
        t = x[:, inst.d :]
        B = self.V

        def switch(b, val):
            return relu(val + B * b - B) - relu(-val + B * b - B)

        tail = switch(beta, self.s_hat(t, 0)) + switch(1 - beta, self.s_hat(t, 1))
        return torch.cat([-(head - float(inst.R) * c) / self.v, tail], 1)

    def one_dimensional_error(self) -> float:
        """e1^2 = max_b E_{t ~ psi_b,sigma} (s_b(t) - l_b(t))^2 by trapezoid quadrature."""
        span = 14 * math.sqrt(self.v)
        h = min(self.sigma, self.inst.eps) / 8
        t = torch.linspace(-span, span, int(2 * span / h) + 1, dtype=torch.float64)
        log_psi, slope = self.inst.comb_terms(t, self.sigma)
        worst = 0.0
        for index in range(2):
            err = (self.s_hat(t, index) - slope[:, index]) ** 2 * torch.exp(log_psi[:, index])
            worst = max(worst, float(torch.trapezoid(err, t)))
        return worst


def _validate_c15(params: dict[str, Any]) -> None:
    d = integer(params, "d", 5, 10)
    integer(params, "d_out", 1, 16)
    integer(params, "samples", 100, 10**6)
    sigma = finite_real(params, "sigma")
    R = finite_real(params, "R")
    eps = finite_real(params, "eps")
    w = finite_real(params, "w")
    if not 0 < sigma <= 1:
        raise DomainError(f"C.15 (small sigma) needs 0 < sigma <= 1, got sigma={sigma}")
    if R <= 0:
        raise DomainError(f"C.15 needs R > 0, got R={R}")
    if not 0 < eps < 1:
        raise DomainError(f"C.15 needs 0 < eps < 1, got eps={eps}")
    if not 0 < w < R:
        raise DomainError(f"C.15 needs 0 < w < R, got w={w}, R={R}")
    del d


@st.composite
def _c15_params(draw) -> dict[str, Any]:
    sigma = draw(log_uniform(0.05, 0.6))
    z = draw(st.floats(1.5, 4.0))
    R = z * math.sqrt(1 + sigma * sigma)
    return {
        "d": draw(st.integers(5, 6)),
        "d_out": draw(st.integers(1, 4)),
        "f_seed": draw(st.integers(0, 1000)),
        "R": R,
        "eps": draw(log_uniform(0.1, 0.9)),
        "sigma": sigma,
        "w": R * draw(st.floats(0.05, 0.5)),
        "samples": 3000,
        "seed": draw(st.integers(0, 10**6)),
    }


def b15_terms(inst: Instance, sigma: float, w: float, V: float, e1: float) -> dict[str, arb]:
    s = to_arb(sigma)
    v = 1 + s * s
    R = to_arb(inst.R)

    def tail(z: arb) -> arb:
        return (z / arb(2).sqrt()).erfc() / 2

    phi_R = tail(R / v.sqrt())
    phi_w = tail((R - to_arb(w)) / v.sqrt())
    p_flip = 1 - (1 - phi_R) ** inst.d
    a = to_arb(inst.eps) / (2 * s * s) + 1 / s
    Va = to_arb(V)
    d, dp = inst.d, inst.d_out
    network = (
        dp * to_arb(e1)
        + p_flip * dp * (Va + a) ** 2
        + d * phi_w * 4 * R * R / (v * v)
        + d * phi_w * dp * (4 * Va + a) ** 2
    )
    return {"b8": b8(inst, sigma), "network": network, "total": 2 * b8(inst, sigma) + 2 * network}


def _check_c15(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    f = GoldreichFunction(int(params["d"]), int(params["d_out"]), int(params.get("f_seed", 0)))
    inst = Instance(f, float(params["R"]), float(params["eps"]))
    sigma, w = float(params["sigma"]), float(params["w"])
    net = SmallSigmaNetwork(inst, sigma, w)
    generator = torch.Generator().manual_seed(int(params.get("seed", 0)))
    x, _ = inst.sample(int(params["samples"]), generator, sigma=sigma)
    err = ((net(x) - inst.score(x, sigma)) ** 2).sum(1).numpy()
    mean, sd = float(err.mean()), float(err.std(ddof=1))
    z = 3.29
    half = z * sd / math.sqrt(err.size)
    e1 = net.one_dimensional_error()
    terms = b15_terms(inst, sigma, w, net.V, e1)
    unit = terms["total"]
    c = to_arb(constants["C15"])
    note = (
        f"CLT interval (z = 3.29, not distribution-free); e1^2 = {e1:.3g} (float quadrature); "
        f"V = {net.V:.3g}; 2 B8 = {float(2 * terms['b8'].mid()):.3g}; "
        f"network parameters ~ {net.parameters}"
    )
    return [
        Part(
            "network_error",
            ball(max(0.0, mean - half), mean + half),
            c * unit,
            "C15",
            unit,
            kind="statistical",
            confidence=0.999,
            note=note,
        )
    ]


C13 = Lemma(
    id="C.13",
    title="Vertex identifier network",
    statement=(
        r"\mathrm{clamp}_w(t) = \mathrm{ReLU}(t/w+1)-\mathrm{ReLU}(t/w-1)-1 = \mathrm{sign}(t)"
        r"\ (|t|\ge w),\ |\mathrm{clamp}_w|\le1,\ \#\mathrm{params}\le K d,"
        r"\ \max|\mathrm{param}|\le\max(1,1/w)"
    ),
    domain="1 <= d <= 64, w > 0",
    constants=[Constant("K", 7, "2 hidden units per coordinate: 2 weights, 2 biases, 3 outer")],
    params=_c13_params,
    check=_check_c13,
    validate=_validate_c13,
    examples=[{"d": 3, "w": 0.5, "seed": 0}, {"d": 8, "w": 1e-3, "seed": 1}],
    budget={"quick": 15, "standard": 150, "thorough": 800},
    depends_on=("C.9",),
)

C14 = Lemma(
    id="C.14",
    title="Switch network",
    statement=(
        r"\mathrm{switch}(b,v)=\mathrm{ReLU}(v+Bb-B)-\mathrm{ReLU}(-v+Bb-B) = bv"
        r"\ (b\in\{0,1\},|v|\le B),\ |\mathrm{switch}(b,v)|\le2|v|\ \forall b,"
        r"\ \#\mathrm{params}\le K,\ \max|\mathrm{param}|\le\max(1,B)"
    ),
    domain="B > 0",
    constants=[Constant("K", 8, "2 hidden units with 2 weights and a bias each, 2 outer weights")],
    params=_c14_params,
    check=_check_c14,
    validate=_validate_c14,
    examples=[{"B": 1.0, "seed": 0}, {"B": 1e3, "seed": 1}],
    budget={"quick": 15, "standard": 150, "thorough": 800},
    depends_on=(),
)

C15 = Lemma(
    id="C.15",
    title="Small-sigma score network for the instance",
    statement=(
        r"E_{x\sim g_\sigma}|N(x)-\nabla\log g_\sigma(x)|^2\le C_{15}\big(2B_8+2[d'e_1^2"
        r"+P_{\mathrm{flip}}d'(V+a)^2+d\bar\Phi_w\tfrac{4R^2}{v^2}+d\bar\Phi_w d'(4V+a)^2]\big)"
    ),
    domain="Goldreich f with 5 <= d <= 10, 1 <= d' <= 16, 0 < sigma <= 1, R > 0, 0 < eps < 1, "
    "0 < w < R, samples >= 100",
    constants=[Constant("C15", 1, "triangle inequality + C.8 + C.13/C.14/G.3 exactness on Omega")],
    params=_c15_params,
    check=_check_c15,
    validate=_validate_c15,
    examples=[
        {
            "d": 5,
            "d_out": 3,
            "f_seed": 0,
            "R": 3.0,
            "eps": 0.3,
            "sigma": 0.2,
            "w": 0.45,
            "samples": 3000,
            "seed": 0,
        },
    ],
    budget={"quick": 3, "standard": 30, "thorough": 150},
    depends_on=("C.8", "C.11", "C.13", "C.14", "G.3"),
)
