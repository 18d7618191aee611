r"""One parameter schedule for Theorems 1.8 and 1.9, checked against every lemma it feeds.

The schedule, as a function of the seed length d (with d' = d comb coordinates):

- comb period :math:`\epsilon = 1/2`; vertex scale :math:`R(d) = \sqrt{C_R\log(4d)}`, C_R = 16;
- the sampler's accuracy :math:`\tau = 1` and failure :math:`\delta = 1/d` (Def. 1.5);
- measurement noise :math:`\beta(d) = \epsilon / (4\sqrt{2\log(4d^2)})`;
- noise levels :math:`\sigma \in [\sigma_{\min}, \infty)`, :math:`\sigma_{\min}(d) = 1/d`, split at
  :math:`\sigma_{sw}(d)`: :math:`\tau_{sw}^2 = \sigma_{sw}^2/(1+\sigma_{sw}^2) =
  \epsilon^2\log(64Rd^2)/(2\pi^2)` (the small-sigma network of C.13-C.15 below it, the mixture
  network of C.19/C.20 above it);
- the score target of Def. 1.1 / Cor. 3.5: :math:`\sigma^2\mathbb E\|N_\sigma - s_\sigma\|^2 \le
  \gamma/d` with :math:`\gamma = 1`; C.19's accuracy
  :math:`\delta_{19}(\sigma) = 1/(4\sigma\sqrt d)`.

Conditions (each ``lhs <= rhs``; every lemma's explicit form is the one in its module):

- **B.3/B.4 (decoding)**: :math:`4d'\bar\Phi(\epsilon/(4\beta)) \le 1/d` and
  :math:`d\,\bar\Phi(R-\tau) \le 1/d`; so the sampler's failure bound is
  :math:`F(d) = 2\delta + 4d'\bar\Phi(\epsilon/(4\beta)) + d\bar\Phi(R-\tau) \le 4/d`.
- **C.8 (small sigma)**: :math:`\sigma^2 B_8 \le 1/(4d)` for every
  :math:`\sigma\in[\sigma_{\min},\sigma_{sw}]`. Proof of the reduction to one number: with
  :math:`p = \bar\Phi(R/\sqrt{v_{sw}}) \ge \bar\Phi(R/\sqrt v)` (v increasing in sigma),
  :math:`1-(1-p)^d \le dp`, :math:`\sigma^2/v^2 \le \sigma_{sw}^2` and
  :math:`\epsilon^2/(4\sigma^2) \le \epsilon^2/(4\sigma_{\min}^2)`,
  :math:`\sigma^2B_8 \le U_8 = dp\,(4R^2\sigma_{sw}^2 + d'\epsilon^2/(4\sigma_{\min}^2))`.
- **C.17**: :math:`T(q) < 1` and :math:`D(\sigma_{sw}) \le 1/d`.
- **C.18/C.20 (large sigma)**: :math:`\sqrt{v_{sw}}\,E_{18}(\sigma_{sw}) \le 1/(4\sqrt d)`. This
  covers every :math:`\sigma\ge\sigma_{sw}`: q falls as sigma grows, so T(q), W(q) and
  :math:`\kappa` fall, and :math:`E_{18}^2 = (R\kappa/v)^2 + d'\beta_{18}^2` with
  :math:`\beta_{18} = 4\pi W(q)/(\epsilon v(1-T(q)))` makes :math:`vE_{18}` nonincreasing, so
  :math:`\sigma E_{18} \le \sqrt v E_{18} = vE_{18}/\sqrt v` is nonincreasing. With C.20,
  :math:`\sigma^2\mathbb E|N-s|^2 \le (\sigma\delta_{19} + \sigma E_{18})^2 \le 1/(4d)`.
- **C.21 / Cor. 3.5 (size)**: C.19's count :math:`d(3k+1)+4d'` with
  :math:`k \le 2(3+\sqrt{r/\eta}\log^+(4r/\eta))`, :math:`r/\eta = 4R\sigma d/v \le 2Rd`
  (:math:`\sigma/v\le1/2`), is at most :math:`K_P d^2`, :math:`K_P = 300` (C.21's constant).

The constants (failure scale 4, K_P = 300) are the lemma modules' to state; here a condition
with a constant has the unit as its right side (``Condition.constant`` names it).

How "every d from 8 to 10^6" is certified: the interval [8, 10^6] is cut into cells
:math:`[a, a\rho]` and every quantity above is evaluated in arb with d the whole cell (a ball):
ball arithmetic encloses each expression over the cell, so a cell that passes proves the
condition for every real d in it, integer or not, with no monotonicity in d needed (the
monotonicity arguments above are in sigma, where the cells do not reach). A condition's part
reports the certified maximum over the cells of lhs/rhs against 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from flint import arb

from verify.core.numbers import certified_max, normal_upper_tail, to_arb
from verify.maths.large_sigma import comb_factor_bounds

EPS = arb(1) / 2
RADIUS_CONSTANT = 16
SAMPLER_TAU = arb(1)


def gaussian_tail(t: arb) -> arb:
    """Phi-bar(t) = P(N(0,1) > t), enclosed (the suite's one Gaussian upper tail)."""
    return normal_upper_tail(t)


def _power_minus_one(base_minus_one: arb, n: arb) -> arb:
    return (n * base_minus_one.log1p()).expm1()


@dataclass(frozen=True)
class Schedule:
    d: arb
    R: arb
    beta: arb
    delta: arb
    sigma_min: arb
    sigma_switch: arb

    @property
    def v_switch(self) -> arb:
        return 1 + self.sigma_switch * self.sigma_switch


def schedule(d: arb | int) -> Schedule:
    """The schedule at d (an integer, or a ball covering a cell of d values)."""
    d = to_arb(d)
    R = (RADIUS_CONSTANT * (4 * d).log()).sqrt()
    beta = EPS / (4 * (2 * (4 * d * d).log()).sqrt())
    tau_sq = EPS * EPS * (64 * R * d * d).log() / (2 * arb.pi() ** 2)
    sigma_switch = (tau_sq / (1 - tau_sq)).sqrt()
    return Schedule(d, R, beta, 1 / d, 1 / d, sigma_switch)


def failure_bound(s: Schedule) -> tuple[arb, arb, arb]:
    """(comb decoding term, sign term, total F) of B.3/B.4 at the schedule."""
    comb = 4 * s.d * gaussian_tail(EPS / (4 * s.beta))
    sign = s.d * gaussian_tail(s.R - SAMPLER_TAU)
    return comb, sign, 2 * s.delta + comb + sign


def c8_bound(s: Schedule) -> arb:
    """U_8 >= sup over sigma in [sigma_min, sigma_switch] of sigma^2 B_8 (module docstring)."""
    p = gaussian_tail(s.R / s.v_switch.sqrt())
    vertex = 4 * s.R * s.R * s.sigma_switch * s.sigma_switch
    comb = s.d * EPS * EPS / (4 * s.sigma_min * s.sigma_min)
    return s.d * p * (vertex + comb)


def large_sigma_bounds(s: Schedule) -> tuple[arb, arb, arb]:
    """(T(q), D, sqrt(v) E_18) at sigma_switch (C.17, C.18)."""
    b = comb_factor_bounds(s.sigma_switch, EPS)
    up = _power_minus_one(b.high_minus_one, s.d)
    down = -_power_minus_one(b.low_minus_one, s.d)
    density = certified_max([up, down])
    kappa = _power_minus_one(b.ratio_minus_one, s.d) / 2
    v = s.v_switch
    vertex = s.R / v * kappa
    e18 = (vertex * vertex + s.d * b.log_slope * b.log_slope).sqrt()
    return b.T_q, density, v.sqrt() * e18


def network_parameters(s: Schedule) -> arb:
    """C.19's parameter count at the worst sigma above the switch (r / eta <= 2 R d)."""
    ratio = 2 * s.R * s.d
    pieces = 2 * (3 + ratio.sqrt() * (4 * ratio).log())
    return s.d * (3 * pieces + 1) + 4 * s.d


@dataclass(frozen=True)
class Condition:
    """``lhs <= constant * rhs`` (``constant`` a name of the lemma's constants, or None: 1)."""

    name: str
    lhs: arb
    rhs: arb
    lemma: str
    constant: str | None = None


def conditions(d: arb | int) -> list[Condition]:
    """Every hypothesis of the schedule at d (a point or a cell), as lhs <= rhs."""
    s = schedule(d)
    comb, sign, total = failure_bound(s)
    t_q, density, e18 = large_sigma_bounds(s)
    return [
        Condition("decoding_comb_term", comb, 1 / s.d, "B.4"),
        Condition("decoding_sign_term", sign, 1 / s.d, "B.4"),
        Condition("sampler_failure", total * s.d, arb(1), "B.4", "failure_scale"),
        Condition("orthant_score_error", c8_bound(s), 1 / (4 * s.d), "C.8"),
        Condition("theta_tail_below_one", t_q, arb(1), "C.17"),
        Condition("mixture_density", density, 1 / s.d, "C.17"),
        Condition("mixture_score_error", e18, 1 / (4 * s.d.sqrt()), "C.18/C.20"),
        Condition("network_size", network_parameters(s), s.d * s.d, "C.21", "size_constant"),
    ]


def cells(d_lo: int, d_hi: int, ratio: float) -> list[arb]:
    """Balls covering [d_lo, d_hi] in cells [a, a * ratio] (the last one clipped)."""
    found: list[arb] = []
    a = float(d_lo)
    while a < d_hi:
        b = min(a * ratio, float(d_hi))
        found.append(arb((a + b) / 2, (b - a) / 2 * (1 + 2**-40)))
        a = b
    if not found:
        found.append(arb(d_lo))
    return found


def worst_ratios(
    d_lo: int, d_hi: int, ratio: float
) -> dict[str, tuple[arb, Condition, list[float]]]:
    """Per condition: the certified max over the cells of lhs / rhs (a constant-scaled
    condition's empirical constant), the condition at the first cell (names, lemma) and the
    ratios' upper ends per cell (for plots)."""
    per_cell = [conditions(c) for c in cells(d_lo, d_hi, ratio)]
    result: dict[str, tuple[arb, Condition, list[float]]] = {}
    for index, first in enumerate(per_cell[0]):
        ratios = [cell[index].lhs / cell[index].rhs for cell in per_cell]
        uppers = [float(r.upper()) if r.is_finite() else math.inf for r in ratios]
        result[first.name] = (certified_max(ratios), first, uppers)
    return result


# -- the B.4 reduction's own cost (L.3.4, B.5) ---------------------------------------------


def reduction_overhead(
    ds: tuple[int, ...] = (256, 512, 1024, 2048, 4096),
    rows: int = 128,
    repeats: int = 5,
    seed: int = 0,
) -> dict[str, object]:
    """Wall time of the B.4 reduction beyond its one sampler call, against d (= d').

    The reduction builds the synthetic measurement (a comb point of phase y*_j plus noise per
    coordinate) and decodes sign(x_{1:d}) from the sampler's answer; the sampler is replaced by
    a stand-in answer (0, y) of the right shape, so only the reduction's own work is timed. The
    exponent is the Theil-Sen slope of log median time against log d, with its 95% interval
    (Kendall's tau, distribution-free). It is a measurement on a shared machine, recorded as
    data, not a verdict: wall time is not a sound basis for one.
    """
    import time

    import numpy as np
    import torch
    from scipy.stats import theilslopes

    from verify.maths.nets.instance_network import make_instance
    from verify.maths.samplers.inversion import decode_seed, synthetic_measurement

    medians = []
    for d in ds:
        instance = make_instance(d)
        generator = torch.Generator().manual_seed(seed)
        y_star = torch.where(torch.rand(rows, d, generator=generator) < 0.5, 1.0, -1.0).double()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            y = synthetic_measurement(instance, y_star, 0.05, generator)
            answer = torch.cat([torch.zeros(rows, d, dtype=torch.float64), y], dim=1)
            decode_seed(answer, d)
            times.append(time.perf_counter() - start)
        medians.append(float(np.median(times)))
    slope, _, low, high = theilslopes(np.log(medians), np.log(np.array(ds, dtype=float)))
    return {
        "d": list(ds),
        "seconds": medians,
        "exponent": float(slope),
        "exponent_interval": [float(low), float(high)],
    }
