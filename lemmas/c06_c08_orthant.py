r"""Lemmas C.6-C.8: in its own orthant the smoothed instance is its nearest vertex's component.

Notation (LEMMAS.md sections 1, 2). x in R^{d+d'}, t_j = x_{d+j}, s = s(x) = sign(x_{1:d}) (ties
to +1), v = 1 + sigma^2, e_i = exp(-2R|x_i|/v), G(x) = prod_{i<=d} phi_{sqrt v}(|x_i| - R),
u_{s'} = grad log g_{s',sigma}, m_j = max_b psi_{b,sigma}(t_j), m'_j = max_b |psi'_{b,sigma}(t_j)|.

**C.6 (density)** [derived]. For x in the orthant of s,
0 <= g_sigma(x) - 2^{-d} g_{s,sigma}(x) = 2^{-d} sum_{s' != s} g_{s',sigma}(x) and

.. math:: \sum_{s'\ne s} g_{s',\sigma}(x) \le C_6\, G(x)\, \bar M^{d'}\Big[\prod_i(1+e_i)-1\Big]

with C_6 = 1 (checked with C_6 = 1 + 2^-20: the bound is attained up to 1 + O(q0) when every
comb factor sits at a comb peak, an equality that ball arithmetic cannot certify) and
M-bar >= M = sup_{b,t} psi_{b,sigma}(t) the bound of
``verify.maths.instance.comb_sup_bound``: M <= eps sum_k phi_tau(k eps)/((1 - T(q0)) sqrt(2 pi v))
(tight to a factor 1 + O(q0), since the bound is attained at t = 0, b = +1).
Derivation: g_{s',sigma}(x) <= M^{d'} prod_i phi_{sqrt v}(x_i - R s'_i); for s'_i = s_i the
factor is phi_{sqrt v}(|x_i| - R), otherwise phi_{sqrt v}(|x_i| + R) = phi_{sqrt v}(|x_i| - R) e_i;
summing over s' != s gives prod(1 + e_i) - 1. Near the vertex (all |x_i| >= R/2) e_i <=
exp(-R^2/v), so the bracket is <= exp(d exp(-R^2/v)) - 1 (part ``bracket_near_vertex``), about
d exp(-R^2/v) once R >= sqrt(v log d).

**C.7 (gradient)** [open; explicit form derived here]. For x in the orthant of s,

.. math:: \Big|\sum_{s'\ne s}\nabla g_{s',\sigma}(x)\Big| \le C_7\, G(x) \prod_j m_j
    \Big[\prod_i(1+e_i)-1\Big]\sqrt{\frac{\||x_{1:d}|+R\|^2}{v^2}+\sum_j \frac{m_j'^2}{m_j^2}}

with C_7 = 1 (checked with C_7 = 1 + 2^-20: at d = 1 with f constant the bound is an
equality). Derivation: |grad g_{s'}|^2 = g_{s'}^2 |x_{1:d} - R s'|^2/v^2 + sum_j (partial_j
g_{s'})^2, with g_{s'} <= G_{s'} prod m_j, |x_i - R s'_i| <= |x_i| + R and |partial_{d+j} g_{s'}|
<= G_{s'} m'_j prod_{j' != j} m_{j'}; then the triangle inequality and the C.6 sum of G_{s'}.
(Replacing m_j by M-bar and m'_j by sup|psi'| gives a uniform version.)

**C.8 (score)** [open; explicit form derived here]. With Phi_bar_R = Phi_bar(R/sqrt v),

.. math:: E_{x\sim g_\sigma}\big|\nabla\log g_\sigma(x) - u_{s(x)}(x)\big|^2 \le C_8\, B_8,\quad
    B_8 = d\,\bar\Phi_R\,\frac{4R^2}{v^2} + \big(1-(1-\bar\Phi_R)^d\big)\,d'\,
    \frac{\epsilon^2}{4\sigma^4},

C_8 = 1. Derivation: grad log g_sigma = sum_{s'} w_{s'} u_{s'} with posterior weights w, so by
Jensen |grad log g_sigma - u_s|^2 <= sum_{s'} w_{s'} |u_{s'} - u_s|^2. Since g_sigma w_{s'} =
2^{-d} g_{s',sigma}, the expectation is E_{s'} E_{x ~ g_{s'}} |u_{s'}(x) - u_{s(x)}(x)|^2. Under
g_{s'} the head coordinates are independent N(R s'_i, v); each flips sign with probability
Phi_bar_R and contributes (2R/v)^2 when it does. The comb coordinates are independent of the
flips; u_{s'} and u_{s(x)} differ there only when a flip occurred, by (m_+ - m_-)/sigma^2 where
m_theta is the mean offset of the lattice posterior (weights phi_tau(c - t/v), c in eps Z +
theta); pairing lattice points shows both m_+ and m_- lie in [a - eps/2, a] for the offset a of
the nearest point, so |m_+ - m_-| <= eps/2. The same two facts bound the gap a.s. by
B = 4R^2 d/v^2 + d' eps^2/(4 sigma^4). The bound decays like d exp(-R^2/(2v)) in R.

Checks. C.6 and C.7 are certified at a point (arb; comb factors by ``verify.maths.comb``'s closed
form; left sides summed over all s' != s, d <= 8 in the search). C.8 is STATISTICAL: the gap is
computed in float64 over all seeds (d <= 10) or, up to d = 64, from the flips of the
``candidates`` coordinates nearest the walls plus a rigorous bound of the rest
(``Instance.score_gap_squared``); the mean of n samples gets Hoeffding's Chernoff (KL) interval
for [0, B] variables at level 1 - alpha (``bounded_mean_interval``: distribution-free, B the
certified a.s. bound), re-drawn with 4x the samples from an independent seed before a
refutation; samples certainly past B are counted, never clamped (part
``samples_within_as_bound``); B_8 is an arb enclosure. ``plots``: C.8's left side against
R/sqrt(v), one series per sigma.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Constraint, Domain, Integer, Real
from verify.core.numbers import ball, to_arb
from verify.maths.instance import comb_sup_bound
from verify.maths.orthant import (
    POINT_DOMAIN,
    comb_top,
    f_fields,
    instance_from_params,
    instance_specs,
    orthant_score_gap_bound,
    orthant_terms,
    plot_score_gap,
    point_strategy,
    score_gap_estimate,
    score_gap_fresh,
)


def _check_c6(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    inst = instance_from_params(params)
    sigma = float(params["sigma"])
    terms = orthant_terms(inst, params["x"], sigma)
    m_bar = comb_sup_bound(sigma, inst.eps)
    unit = terms.gauss * m_bar**inst.d_out * terms.bracket
    c = to_arb(constants["C6"])
    parts = [
        Part("density_decomposition", terms.others_value, c * unit, "C6", unit),
        Part("nonnegative", arb(0), terms.others_value),
    ]
    # the comb bound itself: every comb factor at x is <= M-bar
    top = comb_top(terms.factors["comb"], inst.d_out)
    # M-bar is attained up to 1 + O(q0) at t = 0, b = +1: compare with the same 2^-20 margin
    parts.append(Part("comb_sup", top, m_bar * (1 + arb(2) ** -20)))
    v, R = terms.v, to_arb(inst.R)
    if all(abs(float(c)) >= inst.R / 2 for c in params["x"][: inst.d]):
        near = (inst.d * (-(R * R) / v).exp()).exp() - 1
        parts.append(Part("bracket_near_vertex", terms.bracket, near))
    return parts


def _check_c7(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    inst = instance_from_params(params)
    sigma = float(params["sigma"])
    terms = orthant_terms(inst, params["x"], sigma)
    comb, comb_d = terms.factors["comb"], terms.factors["comb_d"]
    v, R, xs = terms.v, to_arb(inst.R), terms.xs
    prod_m = arb(1)
    ratio_sq = arb(0)
    for j in range(inst.d_out):
        m = comb[1][j].max(comb[-1][j])
        m_prime = abs(comb_d[1][j]).max(abs(comb_d[-1][j]))
        prod_m *= m
        ratio_sq += (m_prime / m) ** 2
    head_sq = sum(((abs(xs[i]) + R) ** 2 for i in range(inst.d)), arb(0)) / (v * v)
    unit = terms.gauss * prod_m * terms.bracket * (head_sq + ratio_sq).sqrt()
    norm = sum((g * g for g in terms.others_grad), arb(0)).sqrt()
    c = to_arb(constants["C7"])
    return [Part("gradient_decomposition", norm, c * unit, "C7", unit)]


# --- C.8 ---------------------------------------------------------------------------------------


C8_DOMAIN = Domain(
    Constraint(
        "candidates given when d > 10 (Hamming truncation)",
        lambda p: p["d"] <= 10 or "candidates" in p,
    ),
    optional=("f", "f_seed", "f_value", "candidates", "seed"),
    samples=Integer(100, 10**7),
    alpha=Real(0, 1, lo_open=True, hi_open=True),
    seed=Integer(0, 2**63 - 1, search=(0, 10**6)),
    candidates=Integer(0, 12, doc="coordinates enumerated near the walls (needed for d > 10)"),
    **instance_specs(64, (1, 6), (1, 6)),
)


@st.composite
def _c8_params(draw) -> dict[str, Any]:
    d = draw(C8_DOMAIN["d"].strategy())
    params = {
        "d": d,
        "d_out": draw(C8_DOMAIN["d_out"].strategy()),
        "eps": draw(Real(0.05, 0.9, log=True).strategy()),
        "sigma": draw(Real(0.05, 2.0, log=True).strategy()),
        "samples": 5000,
        "alpha": 1e-3,
        "seed": draw(C8_DOMAIN["seed"].strategy()),
    }
    # R through z = R/sqrt(v) in [0.3, 2.6]: beyond, the Chernoff interval's floor
    # B log(2/alpha)/n exceeds B_8 (which is about B Phi_bar(z)) at this sample size.
    z = draw(st.floats(0.3, 2.6))
    params["R"] = z * math.sqrt(1 + params["sigma"] ** 2)
    params.update(f_fields(draw, d))
    return params


def _check_c8(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    inst = instance_from_params(params)
    sigma, alpha = float(params["sigma"]), float(params["alpha"])
    candidates = params.get("candidates")
    n, seed = int(params["samples"]), int(params.get("seed", 0))
    gap = score_gap_estimate(inst, sigma, n, seed, alpha, candidates)
    unit = orthant_score_gap_bound(inst, sigma)
    c = to_arb(constants["C8"])
    how = "all seeds" if candidates is None else f"{candidates} wall coordinates + tail bound"
    note = f"mean {gap.mean:.4g} of {gap.samples} samples ({how}); a.s. bound {gap.bound_max:.4g}"

    def redraw(level: float, fresh: bool) -> tuple[arb, arb]:
        again = score_gap_fresh(inst, sigma, n, seed, level, candidates) if fresh else gap
        return ball(*again.interval(level)), c * unit

    return [
        Part(
            "score_gap",
            ball(gap.low, gap.high),
            c * unit,
            "C8",
            unit,
            kind="statistical",
            confidence=1 - alpha,
            note=note,
            data={"samples": gap.samples, "mean": gap.mean, "bound_max": gap.bound_max},
            redraw=redraw,
        ),
        # A sample past the almost-sure bound refutes the model whatever the mean says.
        Part(
            "samples_within_as_bound",
            Fraction(gap.beyond),
            Fraction(0),
            note="samples whose gap certainly exceeds the almost-sure bound B",
            data={"beyond": gap.beyond, "largest_over_bound": gap.largest_over_bound},
        ),
    ]


_CONSTANT_F = {"f": "constant", "f_value": 1}
_GOLDREICH_POINT = {
    "d": 5,
    "d_out": 3,
    "R": 3.0,
    "eps": 0.5,
    "sigma": 0.5,
    "f": "goldreich",
    "f_seed": 1,
    "x": [3.0, -2.5, 2.0, -3.5, 1.6, 0.25, 0.0, -1.0],
}
_C8_RUN = {"samples": 4000, "alpha": 1e-3}

C6 = Lemma(
    id="C.6",
    title="Density in the orthant is the nearest vertex's component",
    statement=(
        r"0\le g_\sigma(x)-2^{-d}g_{s,\sigma}(x)=2^{-d}\sum_{s'\ne s}g_{s',\sigma}(x),\quad"
        r"\sum_{s'\ne s}g_{s',\sigma}(x)\le C_6\prod_i\phi_{\sqrt v}(|x_i|-R)\,\bar M^{d'}"
        r"\Big[\prod_i(1+e^{-2R|x_i|/v})-1\Big]"
    ),
    domain=POINT_DOMAIN,
    constants=[
        Constant(
            "C6",
            1 + Fraction(1, 2**20),
            "1 (each comb factor <= M-bar) plus a 2^-20 margin: the bound is attained",
        )
    ],
    params=point_strategy,
    check=_check_c6,
    validate=instance_from_params,  # f's own checks (Goldreich's needs d >= 5)
    examples=[
        dict(_CONSTANT_F, d=3, d_out=2, R=2.0, eps=0.3, sigma=0.05, x=[0.1, -0.2, 0.05, 0, 0]),
        _GOLDREICH_POINT,
    ],
    budget={"quick": 25, "standard": 200, "thorough": 1000},
    depends_on=(),
)

C7 = Lemma(
    id="C.7",
    title="Gradient of the density in the orthant is the nearest vertex's gradient",
    statement=(
        r"\Big|\sum_{s'\ne s}\nabla g_{s',\sigma}(x)\Big|\le C_7\prod_i\phi_{\sqrt v}(|x_i|-R)"
        r"\prod_j m_j\Big[\prod_i(1+e^{-2R|x_i|/v})-1\Big]"
        r"\sqrt{\||x_{1:d}|+R\|^2/v^2+\sum_j m_j'^2/m_j^2}"
    ),
    domain=POINT_DOMAIN,
    constants=[
        Constant(
            "C7",
            1 + Fraction(1, 2**20),
            "1 (triangle inequality over s' != s) plus a 2^-20 margin: attained at d = 1",
        )
    ],
    params=point_strategy,
    check=_check_c7,
    validate=instance_from_params,  # f's own checks (Goldreich's needs d >= 5)
    examples=[
        dict(_CONSTANT_F, d=1, d_out=1, R=1.0, eps=0.02, sigma=1.0, x=[0.0, 0.0]),
        _GOLDREICH_POINT,
    ],
    budget={"quick": 25, "standard": 200, "thorough": 1000},
    depends_on=("C.6",),
)

C8 = Lemma(
    id="C.8",
    title="Score in the orthant is the nearest vertex's score (in L2(g_sigma))",
    statement=(
        r"E_{x\sim g_\sigma}|\nabla\log g_\sigma(x)-\nabla\log g_{s(x),\sigma}(x)|^2\le C_8 B_8,"
        r"\ B_8 = d\bar\Phi(R/\sqrt v)\frac{4R^2}{v^2}+\big(1-(1-\bar\Phi(R/\sqrt v))^d\big)"
        r"d'\frac{\epsilon^2}{4\sigma^4}"
    ),
    domain=C8_DOMAIN,
    constants=[Constant("C8", 1, "Jensen over the posterior + flip probabilities (derivation)")],
    params=_c8_params,
    check=_check_c8,
    validate=instance_from_params,
    examples=[
        dict(_C8_RUN, d=4, d_out=4, R=1.0, eps=0.5, sigma=0.2, f="projection", seed=0),
        dict(_C8_RUN, d=6, d_out=6, R=2.5, eps=0.3, sigma=0.3, f="goldreich", f_seed=0, seed=1),
        dict(_C8_RUN, d=16, d_out=8, R=2.9, eps=0.3, sigma=0.5, f="goldreich", f_seed=0, seed=2)
        | {"candidates": 6, "samples": 8000},
    ],
    budget={"quick": 5, "standard": 40, "thorough": 200},
    plots=plot_score_gap,
    depends_on=("C.6", "C.7", "C.16", "H.8"),
)
