r"""The score network of Theorem C.21 / Corollary 3.5 for the scaled instance g~, in torch float64.

One ReLU network per noise level sigma (scaled units) on a grid. In unscaled units
(:math:`\sigma_u = c\,\sigma`, :math:`c=\sqrt{R^2+1}`, :math:`v = 1+\sigma_u^2`) it is

- **small sigma** (:math:`\sigma_u \le` ``sigma_switch``; C.13-C.15): the score of the vertex
  component :math:`g_{s(x),\sigma}` of the orthant of x. Layer 1 computes the vertex identifier
  :math:`\mathrm{clamp}(x_i) = \mathrm{ReLU}(x_i/w+1)-\mathrm{ReLU}(x_i/w-1)-1` (C.13, exact
  sign when :math:`|x_i|\ge w`), identity pairs :math:`\mathrm{ReLU}(\pm x)` and, for every comb
  coordinate, the ReLU units of two 1-D piecewise-linear score approximations
  :math:`h_{+}, h_{-}` (C.9/C.11: the smoothed comb scores of phase 0 and eps/2). The Goldreich
  network of Lemma G.3 (``verify.maths.circuits``, exact weights) maps the identified vertex to the
  phases f(s); the bits are clamped to [0, 1]; the switch of C.14,
  :math:`\mathrm{ReLU}(h + B b - B) - \mathrm{ReLU}(-h + B b - B)`, selects
  :math:`h_{f(s)_j}` for each comb coordinate; the head coordinates are
  :math:`(R\,\mathrm{clamp}(x_i) - x_i)/v` (exact for g_{s,sigma}).
- **large sigma** (C.17-C.20): the score of the Gaussian mixture on the hypercube,
  :math:`((R\tanh(Rx_i/v)-x_i)/v,\,-y_j/v)`, with the tanh part a 1-D piecewise-linear network.

The switch point is the least grid sigma where the certified C.18 bound (``verify.maths.oracle``'s
``large_sigma_bound``) makes the large-sigma replacement cost below a quarter of the target.

The 1-D piecewise-linear pieces are fitted adaptively: knots are the exact values of the target
function (``Instance.comb_terms``: the smoothed comb score, or the tanh score), intervals are
bisected until the density-weighted squared interpolation error (7-point Gauss-Legendre per
interval, plus the linear tails out to 40 standard deviations) is below the per-coordinate share
of the target. The density is the marginal of that coordinate under g_sigma (comb of the same
phase; mixture of N(+-R, v)).

Evaluation. The blocks -- the C.13 clamp and C.14 switch gadgets, the C.9 ReLU forms of the 1-D
scores (C.11/C.12 construction, ``pwl.relu_network``), the G.3 network of f and the bit clip --
are composed by ``verify.maths.nets.layered`` (C.10's combinators, identity padding) into one
layered ReLU network per sigma, held as one ``torch.nn.Module`` of sparse float64 layers
(``InstanceScoreNetwork.module``). ``__call__`` and ``unscaled`` are its forward pass (no
interpolation); ``module().state_dict()`` exports it; ``size()`` reads the nonzero parameters,
largest |parameter| and depth from the module's own tensors. Sparse, because the comb layers are
block-diagonal (d' coordinates x hundreds of knots would be mostly zeros dense).

torch is imported inside the functions that build or run a network, so importing this module
(as ``verify list`` does) stays cheap.

Scaling (Definition 3.2): :math:`\tilde S(\tilde x) = c\,S_{c\sigma}(c\tilde x)`; the factors c are
folded into the first and last affine maps, so the scaled network is a network of the same size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from flint import arb

from verify.maths.circuits import compile_circuit_sparse, sparse_float_layers
from verify.maths.nets import gadgets, layered
from verify.maths.nets.pwl import PiecewiseLinear, relu_network
from verify.maths.oneway import GoldreichFunction

if TYPE_CHECKING:  # torch (and the modules built on it) load when a network is built
    from torch import Tensor

    from verify.maths.instance import Instance

# The work family (``Lemma.work_family``) of the lemmas that build these networks (C.21, Cor.3.5,
# Def.1.1, Def.1.3, Thm.1.4, Thm.1.7): they share this module's caches (the instances, networks
# and score families, built once per process), so a parallel run keeps their first shards in one
# process. Which process runs a shard never changes its result.
WORK_FAMILY = "instance networks"

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(7)
_GL_NODES = (_GL_NODES + 1) / 2
_GL_WEIGHTS = _GL_WEIGHTS / 2


def fit_pwl(
    target,
    density,
    lo: float,
    hi: float,
    tol: float,
    *,
    start: int = 64,
    max_knots: int = 20000,
    joint=None,
) -> tuple[PiecewiseLinear, float]:
    """Adaptive interpolation of ``target`` on [lo, hi] with density-weighted L2 error <= tol.

    Returns the function and its estimated error integral (interior intervals by 7-point
    Gauss-Legendre; tails [hi, hi + 40 w] and [lo - 40 w, lo], w = (hi - lo)/2, on 400-cell grids).
    End slopes are the target's slopes at the ends (numerically), so the tails are its tangents.
    Only the intervals created by a bisection are re-evaluated. ``joint(t) -> (target, density)``
    may replace the two callables when they share work.
    """
    evaluate = joint or (lambda t: (target(t), density(t)))

    def interval_errors(a, b, fa, fb):
        u = a[:, None] + (b - a)[:, None] * _GL_NODES[None, :]
        fu, pu = evaluate(u)
        lin = fa[:, None] + (fb - fa)[:, None] * _GL_NODES[None, :]
        return ((fu - lin) ** 2 * pu) @ _GL_WEIGHTS * (b - a)

    knots = np.linspace(lo, hi, start)
    values = evaluate(knots)[0]
    err = interval_errors(knots[:-1], knots[1:], values[:-1], values[1:])
    while True:
        total = float(err.sum())
        if total <= tol / 2 or knots.size >= max_knots:
            break
        split = np.nonzero(err > tol / (2 * err.size))[0]
        if split.size == 0:
            break
        a, b = knots[split], knots[split + 1]
        mid = (a + b) / 2
        f_mid = evaluate(mid)[0]
        left = interval_errors(a, mid, values[split], f_mid)
        right = interval_errors(mid, b, f_mid, values[split + 1])
        knots = np.insert(knots, split + 1, mid)
        values = np.insert(values, split + 1, f_mid)
        err = np.insert(err, split + 1, right)
        err[split + np.arange(split.size)] = left
    h = 1e-6 * (hi - lo)
    ends = evaluate(np.array([lo, lo + h, hi - h, hi]))[0]
    left_slope = float((ends[1] - ends[0]) / h)
    right_slope = float((ends[3] - ends[2]) / h)
    import torch

    pwl = PiecewiseLinear.from_samples(knots.tolist(), values.tolist(), left_slope, right_slope)
    width = (hi - lo) / 2
    tail_err = 0.0
    for start_t, end_t in ((hi, hi + 40 * width), (lo - 40 * width, lo)):
        grid = np.linspace(start_t, end_t, 401)
        mid = (grid[:-1] + grid[1:]) / 2
        approx = pwl.torch(torch.as_tensor(mid)).numpy()
        f_tail, p_tail = evaluate(mid)
        tail_err += float(((f_tail - approx) ** 2 * p_tail).sum() * (grid[1] - grid[0]))
    return pwl, total + tail_err


@lru_cache(maxsize=512)
def _head_fit(R: float, v: float, reach: float, tol: float) -> tuple[PiecewiseLinear, float]:
    """The large-sigma head fit: the tanh score of the hypercube mixture with its marginal
    density, on [-reach, reach] to ``tol``. A function of these numbers alone, so fitted once
    for all the networks that share them (Thm.1.7's instances of one d and several d')."""

    def tanh_score(t):
        return (R * np.tanh(R * t / v) - t) / v

    def density(t):
        z = 1 / math.sqrt(2 * math.pi * v)
        return 0.5 * z * (np.exp(-((t - R) ** 2) / (2 * v)) + np.exp(-((t + R) ** 2) / (2 * v)))

    return fit_pwl(tanh_score, density, -reach, reach, tol)


@lru_cache(maxsize=512)
def _head_layers(R: float, v: float, reach: float, tol: float) -> layered.Layers:
    """``_head_fit``'s ReLU network (C.9) as float64 layers, built once per fit (the
    combinators never write into a layer they are given)."""
    return layered.from_relunet(relu_network(_head_fit(R, v, reach, tol)[0]))


@lru_cache(maxsize=16)
def goldreich_relu_network(d: int, d_out: int, seed: int):
    """The G.3 network of Goldreich's function as sparse float64 layers (compiled exactly row by
    row, ``compile_circuit_sparse``; every distinct weight checked exact in float64) and its
    torch module.

    Compiled once per (d, d', seed): every small-sigma network shares this block. Sparse, so
    d = 1024 compiles in about a second (the dense exact compiler took ~5 s at d = 128 and
    10^7 exact entries a layer at d = 1024).
    """
    circuit = GoldreichFunction(d, d_out, seed).to_circuit()
    net = sparse_float_layers(compile_circuit_sparse(circuit, signs=True))
    return net, layered.to_module(net)


@dataclass
class NetworkSize:
    parameters: int
    max_abs_parameter: float
    depth: int
    pieces: dict[str, int] = field(default_factory=dict)


class InstanceScoreNetwork:
    """The C.21 network for one scaled noise level sigma (see the module docstring)."""

    def __init__(self, instance: Instance, sigma: float, target: float, sigma_switch: float):
        import torch

        self.instance = instance
        self.sigma = float(sigma)  # scaled units
        c = instance.scale
        self.sigma_unscaled = c * self.sigma
        self.v = 1 + self.sigma_unscaled**2
        self.target = float(target)
        self.regime = "large" if self.sigma_unscaled >= sigma_switch else "small"
        self.fit_error: dict[str, float] = {}
        self._modules: dict[str, object] = {}
        d, d_out = instance.d, instance.d_out
        R, v, su = float(instance.R), self.v, self.sigma_unscaled
        # Per-coordinate share of sigma^2 E|net - S|^2 <= target/2 (the rest for C.8 / C.18).
        share = self.target / (2 * su**2)
        if self.regime == "small":
            self.width = (
                0.5  # vertex identifier: exact sign for |x_i| >= 1/2 (mass < Phi_bar(R-1/2))
            )
            reach = 8 + 8 * math.sqrt(v)
            self.comb_pwl = {}
            from verify.maths.instance import _comb_log_and_slope

            for sign in (1, -1):
                theta = instance.theta(sign)

                def comb_joint(t, theta=theta):
                    # One phase at a time: comb_terms computes both (the same function), and
                    # the fit only needs the one it fits: half the cost of the build.
                    t = torch.as_tensor(t, dtype=torch.float64)
                    logs, slope = _comb_log_and_slope(t, su, float(instance.eps), theta)
                    return slope.numpy(), np.exp(logs.numpy())

                pwl, err = fit_pwl(None, None, -reach, reach, share / d_out, joint=comb_joint)
                self.comb_pwl[sign] = pwl
                self.fit_error[f"comb{sign:+d}"] = err
            hs = [p.torch_values.abs().max() for p in self.comb_pwl.values()]
            self.switch_bound = float(max(hs)) * 1.01 + 1.0
            self.clamp = gadgets.clamp_network(self.width)
            self.switch = gadgets.switch_network(self.switch_bound)
            self.f_net, self.f_torch = goldreich_relu_network(d, d_out, self.f_seed)
        else:
            self._head_key = (R, v, R + 10 * math.sqrt(v), share / d)
            self.head_pwl, err = _head_fit(*self._head_key)
            self.fit_error["head"] = err

    @property
    def f_seed(self) -> int:
        return int(getattr(self.instance.f, "seed", 0))

    # --- evaluation -------------------------------------------------------------------------

    def layers(self, scaled: bool) -> layered.Layers:
        """The network as one layered ReLU network (unscaled, or with c folded in)."""
        inst = self.instance
        d, d_out, R, v = inst.d, inst.d_out, float(inst.R), self.v
        if self.regime == "large":
            # the shared float layers of the shared fit; a head put in its place (a planted
            # mutant) is compiled afresh
            shared = self.head_pwl is _head_fit(*self._head_key)[0]
            head = _head_layers(*self._head_key) if shared else relu_network(self.head_pwl)
            net = layered.large_sigma_layers(head, d, d_out, v)
        else:
            net = layered.small_sigma_layers(
                self.clamp,
                self.f_net,
                relu_network(self.comb_pwl[1]),
                relu_network(self.comb_pwl[-1]),
                self.switch,
                d,
                d_out,
                R,
                v,
            )
        c = inst.scale
        return layered.scale_io(net, c, c) if scaled else net

    def module(self, scaled: bool = True):
        """The network as one ``torch.nn.Module`` of sparse ReLU layers (cached)."""
        key = "scaled" if scaled else "unscaled"
        if key not in self._modules:
            self._modules[key] = layered.to_module(self.layers(scaled))
        return self._modules[key]

    def unscaled(self, x: Tensor) -> Tensor:
        """The network's output in unscaled coordinates (score of g_{sigma_u} at unscaled x):
        the forward pass of the unscaled module."""
        import torch

        with torch.no_grad():
            return self.module(scaled=False)(x)

    def __call__(self, x_scaled: Tensor, sigma: float | None = None) -> Tensor:
        """The forward pass of the scaled module: c S_u(c x~), the c's folded into its weights."""
        import torch

        with torch.no_grad():
            return self.module(scaled=True)(x_scaled)

    # --- size ---------------------------------------------------------------------------------

    def size(self) -> NetworkSize:
        """Nonzero parameters, largest |parameter| and depth, read from the scaled module."""
        module = self.module(scaled=True)
        if self.regime == "large":
            pieces = {"head": len(self.head_pwl.breakpoints) + 1}
        else:
            pieces = {
                "comb+": len(self.comb_pwl[1].breakpoints) + 1,
                "comb-": len(self.comb_pwl[-1].breakpoints) + 1,
            }
        return NetworkSize(
            module.parameter_count(), module.max_abs_parameter(), module.depth, pieces
        )


def default_parameters(d: int) -> dict[str, float]:
    """The experiments' instance for seed length d = d': R grows like sqrt(log d), eps = 1/2."""
    return {"R": math.sqrt(8 * math.log(4 * d)), "eps": 0.5}


def make_instance(d: int, d_out: int | None = None, f_seed: int = 0) -> Instance:
    from verify.maths.instance import Instance

    params = default_parameters(d)
    f = GoldreichFunction(d, d_out or d, f_seed)
    return Instance(f, params["R"], params["eps"])


def sigma_grid(instance: Instance, count: int, sigma_min_unscaled: float = 0.025) -> np.ndarray:
    """Scaled noise levels, geometric from sigma_min (unscaled eps/20) to 10 R (unscaled)."""
    c = instance.scale
    top = 10 * float(instance.R)
    return np.geomspace(sigma_min_unscaled, top, count) / c


def switch_point(instance: Instance, target: float, sigmas_unscaled: np.ndarray) -> float:
    """Least unscaled sigma of the grid from which the certified C.18 bound E18 satisfies
    sigma^2 E18^2 <= target / 4 (E18 bounds |S - S_mixture| pointwise)."""
    from verify.maths.oracle import large_sigma_bound

    for s in sorted(sigmas_unscaled):
        R, eps = float(instance.R), float(instance.eps)
        bound = large_sigma_bound(instance.d_out, R, float(s), eps)
        if bound < 1e100 and s * s * bound * bound <= target / 4:
            return float(s)
    return math.inf


class InstanceScoreFamily:
    """One network per scaled sigma of a grid: the score model the reverse SDE runs on."""

    def __init__(self, instance: Instance, sigmas: np.ndarray, target: float):
        self.instance = instance
        self.sigmas = np.asarray(sigmas, dtype=np.float64)
        self.target = target
        c = instance.scale
        fine = np.geomspace(0.02, 50, 200)
        self.sigma_switch = switch_point(instance, target, fine)
        self.networks = {
            float(s): InstanceScoreNetwork(instance, float(s), target, self.sigma_switch)
            for s in self.sigmas
        }
        del c

    def network(self, sigma: float) -> InstanceScoreNetwork:
        key = min(self.networks, key=lambda s: abs(math.log(s / sigma)))
        return self.networks[key]

    def __call__(self, x_scaled: Tensor, sigma: float) -> Tensor:
        return self.network(sigma)(x_scaled)


# --- the experiments' networks (Theorem C.21 / Corollary 3.5): one per (d, grid sigma) ----------


@lru_cache(maxsize=4)
def experiment_instance(d: int) -> Instance:
    """The instance of ``default_parameters`` with d' = d and Goldreich seed 0."""
    return make_instance(d)


@lru_cache(maxsize=8)
def experiment_switch(d: int) -> float:
    """The switch point for target 1/d on the fine grid geomspace(0.02, 50, 200)."""
    return switch_point(experiment_instance(d), 1.0 / d, np.geomspace(0.02, 50, 200))


@lru_cache(maxsize=64)
def grid_network(d: int, index: int, grid: int) -> InstanceScoreNetwork:
    """The network at the ``index``-th of ``grid`` scaled noise levels, target 1/d."""
    inst = experiment_instance(d)
    sigmas = sigma_grid(inst, grid)
    return InstanceScoreNetwork(inst, float(sigmas[index]), 1.0 / d, experiment_switch(d))


@lru_cache(maxsize=8)
def _reference_scores(net: InstanceScoreNetwork, samples: int, seed: int):
    """The seeded draws x~ ~ g~_sigma and the oracle's reference score at them (unscaled), kept
    for the run: C.21 and Cor.3.5 compare the unscaled and the scaled network at the same points
    (same seed), so the oracle, the costly part, runs once per (network, samples, seed)."""
    import torch

    from verify.maths.oracle import ScoreOracle

    inst = net.instance
    generator = torch.Generator().manual_seed(seed)
    x_scaled, _ = inst.sample_scaled(samples, generator, sigma=net.sigma)
    su = net.sigma_unscaled
    tol = 1e-3 * math.sqrt(1.0 / inst.d) / su
    return x_scaled, ScoreOracle(inst).score(x_scaled * inst.scale, su, tol=tol)


def score_error_samples(
    net: InstanceScoreNetwork, samples: int, seed: int, scaled: bool
) -> tuple[np.ndarray, np.ndarray, str]:
    """Per-point lower and upper values of sigma^2 |N - S|^2 at ``samples`` seeded draws
    x ~ g~_sigma, and the oracle's regime.

    The reference score is ``verify.maths.oracle``'s ScoreOracle with its rigorous per-point
    error bound e_i: the true value lies in [sigma^2 max(0, |.| - e_i)^2, sigma^2 (|.| + e_i)^2].
    ``scaled`` compares the scaled network with the scaled score (Cor. 3.5), otherwise the
    unscaled ones (C.21).
    """
    import torch

    inst = net.instance
    c = inst.scale
    x_scaled, reference = _reference_scores(net, samples, seed)
    su = net.sigma_unscaled
    if scaled:
        out, ref, err, sigma = (
            net(x_scaled),
            c * reference.score,
            c * reference.error_bound,
            net.sigma,
        )
    else:
        out, ref, err, sigma = (
            net.unscaled(x_scaled * c),
            reference.score,
            reference.error_bound,
            su,
        )
    gap = torch.linalg.vector_norm(out - ref, dim=1)
    lower = sigma**2 * torch.clamp(gap - err, min=0) ** 2
    upper = sigma**2 * (gap + err) ** 2
    return lower.numpy(), upper.numpy(), reference.regime


@lru_cache(maxsize=16)
def target_switch(d: int, gamma: float) -> float:
    """The switch point for target d^-gamma on the fine grid geomspace(0.02, 50, 200)."""
    return switch_point(experiment_instance(d), d**-gamma, np.geomspace(0.02, 50, 200))


@lru_cache(maxsize=32)
def target_network(d: int, gamma: float, sigma_unscaled: float) -> InstanceScoreNetwork:
    """The network for target error d^-gamma at the unscaled noise level ``sigma_unscaled``
    (any value, not a grid point)."""
    inst = experiment_instance(d)
    sigma = sigma_unscaled / inst.scale
    return InstanceScoreNetwork(inst, sigma, d**-gamma, target_switch(d, gamma))


def score_error_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per recorded ``error_exceedance`` part of C.21 / Cor.3.5 (present in every
    regime): params and data, with "lo" and "hi" the mean's distribution-free lower end and its
    upper end (None where none is certified: small sigma)."""
    rows = []
    for record in records:
        for part in record.get("parts", []):
            if part.get("name") == "error_exceedance" and part.get("data"):
                data = part["data"]
                rows.append(
                    {
                        **record["params"],
                        **data,
                        "lo": data.get("mean_lower"),
                        "hi": data.get("mean_upper"),
                    }
                )
    return rows


def fit_exponent(ds: list[float], values: list[float]) -> float | None:
    """Least-squares slope of log(value) against log(d)."""
    if len(set(ds)) < 2:
        return None
    slope, _ = np.polyfit(np.log(ds), np.log(values), 1)
    return float(slope)


def large_regime_error_terms(net: InstanceScoreNetwork) -> tuple[float, Any, float]:
    r"""For a large-sigma network: (M, tail, reach) with, for x ~ g_sigma (unscaled, head
    x_i = R s_i + sqrt(v) z_i), D = sigma_u^2 |N(x) - grad log g_sigma(x)|^2 <= M almost surely
    when every |x_i| <= reach, and E[D 1{some |x_i| > reach}] <= tail. Certified in arb.

    N - grad log g = (N - S_h) + (S_h - grad log g), S_h the score of the Gaussian mixture h on
    the hypercube: the second is at most E18 everywhere (C.18, ``large_sigma_bound``); the first
    vanishes on the comb coordinates (-y/v exactly) and is h(x_i) - f(x_i) on the head,
    f(t) = (R tanh(R t / v) - t)/v, h its piecewise-linear interpolant. On a piece of width Delta,
    |h - f| <= max |h - f| at its knots (arb, exact knot values) + Delta^2/8 sup |f''|, with
    |f''| <= (R/v)^3 4/(3 sqrt 3) (|tanh''| <= 4/(3 sqrt 3)); so |N - S_h| <= sqrt(d) e on the
    box, and M = sigma_u^2 (sqrt(d) e + E18)^2. Beyond the last knot h is the line of slope s:
    |h - f|(t) <= e + kappa |t - end|, kappa = |s - f'(end)| + 4 (R/v)^2 exp(-2 R end / v)
    (f' changes by at most (R/v)^2 sech^2 beyond it), and |t - end| <= sqrt(v) |z_i| there.
    Then D <= A + B Q with Q = |z|^2 ~ chi-square(d), and {|x_i| > reach} lies in
    {z_i^2 > ((reach - R)/sqrt v)^2}: tail = d E[(A + B (d - 1) + B z_1^2) 1{z_1^2 > q}]
    (``chi_square_tail_moment`` with one degree of freedom)."""
    from verify.core.numbers import certified_max, to_arb
    from verify.core.stats import chi_square_tail_moment
    from verify.maths.oracle import large_sigma_bound

    if net.regime != "large":
        raise ValueError("the almost-sure bound is derived for the large-sigma network only")
    inst = net.instance
    d = inst.d
    R, su = to_arb(float(inst.R)), to_arb(net.sigma_unscaled)
    v = 1 + su * su
    a = R / v

    def f(t):
        return (R * (a * t).tanh() - t) / v

    def f_prime(t):
        return a * a / (a * t).cosh() ** 2 - 1 / v

    pwl = net.head_pwl
    knots = [to_arb(t) for t in pwl.breakpoints]
    values = [to_arb(y) for y in pwl.breakpoint_values]
    f2 = a**3 * 4 / (3 * arb(3).sqrt())
    at_knots = certified_max([abs(y - f(t)) for t, y in zip(knots, values, strict=True)])
    widest = certified_max([knots[k + 1] - knots[k] for k in range(len(knots) - 1)])
    e = at_knots + widest * widest / 8 * f2
    e18 = to_arb(large_sigma_bound(inst.d_out, float(inst.R), net.sigma_unscaled, float(inst.eps)))
    box = su * su * (arb(d).sqrt() * e + e18) ** 2
    ends = (knots[0], knots[-1])
    reach = min(float(abs(ends[0]).lower()), float(ends[1].lower()))
    kappa = arb(0)
    for end, slope in ((ends[0], pwl.slopes[0]), (ends[1], pwl.slopes[-1])):
        drift = 4 * a * a * (-2 * a * abs(end)).exp()
        kappa = arb(max(kappa.upper(), (abs(to_arb(slope) - f_prime(end)) + drift).upper()))
    # |N - S| <= sqrt(d) e + E18 + kappa sqrt(v) |z|, so D <= A + B Q:
    A = 2 * su * su * (arb(d).sqrt() * e + e18) ** 2
    B = 2 * su * su * kappa * kappa * v
    q = ((to_arb(reach) - R) / v.sqrt()) ** 2
    tail = d * chi_square_tail_moment(A + B * (d - 1), B, 1, arb(q.lower()))
    return float(box.upper()) * (1 + 2.0**-40), tail, reach


def head_within(net: InstanceScoreNetwork, samples: int, seed: int, reach: float) -> np.ndarray:
    """Per draw of ``score_error_samples`` (same seed): whether every unscaled head coordinate
    has |x_i| <= reach."""
    x_scaled, _ = _reference_scores(net, samples, seed)
    head = (x_scaled * net.instance.scale)[:, : net.instance.d].numpy()
    return (np.abs(head) <= reach).all(1)


# The most draws the large-sigma mean bound asks for (the oracle is cheap there: ~0.4 ms a point
# at d = 16 on a loaded core); past it the empirical Bernstein range term may not decide.
MEAN_SAMPLE_CAP = 20_000


def mean_sample_size(net: InstanceScoreNetwork, samples: int, target: float, alpha: float) -> int:
    """Draws for the mean's upper end: in the large-sigma regime the least n >= ``samples`` whose
    empirical Bernstein range term 7 M log(2/alpha) / (3 (n - 1)) is at most target/2 (M the
    certified almost-sure bound, ``large_regime_error_terms``), capped at MEAN_SAMPLE_CAP (times
    16/d above d = 16: cost and memory grow with n d), and
    ``samples`` when even the cap leaves the range term above the whole target (no affordable n
    decides: e.g. d = 64, gamma = 2, sigma_u = 0.5 would need 10^8). ``samples`` in the
    small-sigma regime (no almost-sure bound there: no n decides)."""
    if net.regime != "large":
        return samples
    # The reference score's cost and memory grow with n d: the cap is MEAN_SAMPLE_CAP points at
    # d <= 16 and the same n d above (a standard run at d = 256 drawing 20000 points held ~13 GB
    # in each worker and was killed for memory).
    cap = max(samples, MEAN_SAMPLE_CAP * 16 // max(16, net.instance.d))
    bound = large_regime_error_terms(net)[0]
    needed = math.ceil(7 * bound * math.log(2 / alpha) / (3 * target / 2)) + 1
    if needed > 2 * cap:
        return samples
    return max(samples, min(needed, cap))


def mean_error_bounds(
    net: InstanceScoreNetwork,
    lower: np.ndarray,
    upper: np.ndarray,
    samples: int,
    seed: int,
    levels: list[Any],
    alpha: float,
) -> tuple[Any, Any, dict[str, Any]]:
    r"""Distribution-free one-sided bounds, each at level 1 - alpha, for
    :math:`\sigma^2 E|N - S|^2` from the per-point enclosures [lower_i, upper_i] of the draws
    ``score_error_samples(net, samples, seed, .)``: (lower end, upper end or None, info).

    Lower end, every regime: ``verify.core.stats.nonnegative_mean_lower`` at ``levels`` (fixed
    before the draws). Upper end, large-sigma regime only: the empirical Bernstein bound
    (Maurer-Pontil) on min(upper_i, M) inside the box |x_i| <= reach, M the certified almost-sure
    bound there, plus the certified chi-square tail term outside (``large_regime_error_terms``);
    infinite when a draw's certified lower value exceeds M inside the box (the almost-sure bound
    would be wrong). None in the small-sigma regime: the comb fit controls only a density-weighted
    L2 error, so the only almost-sure bound is of order d'(eps/sigma)^2 (10^3 at d = 16,
    sigma_u = 0.06) and the range term alone would need ~10^5 to 10^6 draws."""
    from verify.core.stats import empirical_bernstein_upper, nonnegative_mean_lower

    lo = nonnegative_mean_lower(lower.tolist(), levels, alpha)
    if net.regime != "large":
        return lo, None, {"upper_end": "none: small-sigma regime (no almost-sure bound)"}
    bound, tail, reach = large_regime_error_terms(net)
    inside = head_within(net, samples, seed, reach)
    beyond = int(((lower > bound) & inside).sum())
    info = {
        "upper_end": "empirical Bernstein under a certified almost-sure bound",
        "almost_sure_bound": bound,
        "beyond_almost_sure_bound": beyond,
        "outside_box": int((~inside).sum()),
        "tail_term": float(tail.upper()),
    }
    if beyond:
        return lo, arb("inf"), info
    clipped = np.where(inside, np.minimum(upper, bound), 0.0)
    hi = empirical_bernstein_upper(clipped.tolist(), bound, alpha) + tail
    return lo, hi, info


@dataclass
class ScoreErrorEvidence:
    """One draw's distribution-free bounds on D = sigma^2 |N - S|^2, each one-sided at level
    1 - alpha (``score_error_evidence``)."""

    samples: int
    upper_values: np.ndarray
    regime: str  # the oracle's
    mean_lower: Any  # Fraction
    mean_upper: Any  # arb, or None where no upper end is certified (small sigma)
    mean_info: dict[str, Any]
    exceedance: Any  # arb ball [Clopper-Pearson lower, upper] of P(D > threshold)
    counts: tuple[int, int]  # #{L_i > threshold}, #{U_i > threshold}

    def record(self) -> dict[str, Any]:
        """The part data: draws, the mean's bounds and their provenance, exceedance counts."""
        top = None if self.mean_upper is None else float(self.mean_upper.upper())
        return {
            "oracle_regime": self.regime,
            "n": self.samples,
            "mean": float(self.upper_values.mean()),
            "mean_lower": float(self.mean_lower),
            "mean_upper": top,
            "exceed_lower_count": self.counts[0],
            "exceed_upper_count": self.counts[1],
            **self.mean_info,
        }

    def mean_interval(self) -> Any:
        """The mean's interval; at its lower end alone (a refute-only screen) without an upper
        end."""
        from verify.core.numbers import ball, to_arb

        top = self.mean_upper if self.mean_upper is not None else to_arb(self.mean_lower)
        return ball(self.mean_lower, top)


def score_error_evidence(
    net: InstanceScoreNetwork,
    samples: int,
    seed: int,
    scaled: bool,
    threshold: Any,
    levels: list[Any],
    alpha: float,
) -> ScoreErrorEvidence:
    """The draws ``score_error_samples(net, samples, seed, scaled)`` and their bounds: the mean's
    (``mean_error_bounds`` at ``levels``) and the one-sided Clopper-Pearson bounds of
    P(D > threshold) (``verify.core.stats.exceedance_interval``)."""
    from verify.core.numbers import ball
    from verify.core.stats import exceedance_interval

    lower, upper, regime = score_error_samples(net, samples, seed, scaled)
    lo, hi, info = mean_error_bounds(net, lower, upper, samples, seed, levels, alpha)
    p_lo, p_hi, k_lo, k_hi = exceedance_interval(lower.tolist(), upper.tolist(), threshold, alpha)
    return ScoreErrorEvidence(samples, upper, regime, lo, hi, info, ball(p_lo, p_hi), (k_lo, k_hi))
