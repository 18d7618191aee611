r"""Lemmas C.17 and C.18: at large smoothing the instance is a Gaussian mixture on the hypercube.

Objects (``verify.maths.large_sigma``): :math:`v = 1+\sigma^2`, :math:`\tau^2=\sigma^2/v`,
:math:`q=e^{-2\pi^2\tau^2/\epsilon^2}`, :math:`q_0=e^{-2\pi^2/\epsilon^2}`,
:math:`T(q)=2\sum_{j\ge1}q^{j^2}`, :math:`W(q)=\sum_{j\ge1}jq^{j^2}`. The smoothed instance is
:math:`g_\sigma = 2^{-d}\sum_s G_s(x)\Psi_{f(s)}(y)` and the mixture of Gaussians
:math:`h_\sigma(x,y) = 2^{-d}\sum_s\prod_i\phi_{\sqrt v}(x_i-Rs_i)\prod_j\phi_{\sqrt v}(y_j)`,
i.e. the mixture of :math:`N((Rs,0),vI)` over the vertices.

C.17 (density) [paper-shape]. For every f (indeed every mixing law over phase patterns), every
sigma with T(q) < 1 and every point,

.. math:: |g_\sigma(x,y) - h_\sigma(x,y)| \le K_{17}\,D\,h_\sigma(x,y),\qquad
   D = \max\Big(\Big(\frac{1+T(q)}{1-T(q_0)}\Big)^{d'}-1,\;
                1-\Big(\frac{1-T(q)}{1+T(q_0)}\Big)^{d'}\Big),

with :math:`K_{17}=1`; in particular :math:`\|g_\sigma-h_\sigma\|_{TV}\le D/2`. Paper's shape:
:math:`D\le\delta` whenever :math:`\tau\ge C_{17}\,\epsilon\sqrt{\log(2d'/\delta)}`, with
:math:`C_{17} = 1/4` (for sigma <= 1, :math:`\tau\ge\sigma/\sqrt2`, so
:math:`\sigma\ge\sqrt2C_{17}\epsilon\sqrt{\log(2d'/\delta)}` suffices).

C.18 (score) [paper-shape]. Under the same conditions, at every point

.. math:: |\nabla\log g_\sigma - \nabla\log h_\sigma| \le K_{18}E_{18},\quad
   E_{18}^2 = \Big(\frac{R}{v}\kappa\Big)^2 + d'\beta^2,\quad
   \kappa = \frac{(\hbar/\ell)^{d'}-1}{2},\quad
   \beta = \frac{4\pi W(q)}{\epsilon v(1-T(q))},

with :math:`\hbar = (1+T(q))/(1-T(q_0))`, :math:`\ell=(1-T(q))/(1+T(q_0))`, :math:`K_{18}=1`;
hence :math:`\mathbb E_{x\sim g_\sigma}|\nabla\log g_\sigma-\nabla\log h_\sigma|^2\le E_{18}^2`.
Paper's shape: :math:`E_{18}\le\delta` whenever :math:`\tau\ge C_{18}\,\epsilon\,
\sqrt{\log((1+2Rd'+4\pi\sqrt{d'}/\epsilon)/\delta)}`, :math:`C_{18} = 1/4`.

Derivation (details in ``verify.maths.large_sigma``). By C.16's closed form
:math:`\psi_{\theta,\sigma}=\phi_{\sqrt v}(1+e_\theta)` with :math:`1+e_\theta(t) =
\vartheta(\theta-t/v;q)/\vartheta(\theta;q_0)\in[\ell,\hbar]` and
:math:`|\partial_t\log(1+e_\theta)|\le\beta`. Then :math:`g_\sigma = h_\sigma\mathbb E_{w(x)}
[P_s(y)]`, :math:`P_s=\prod_j(1+e_{f(s)_j}(y_j))\in[\ell^{d'},\hbar^{d'}]`, w the vertex
posterior (a product law): C.17 follows. The score gap is :math:`\nabla\log\mathbb E_wP`; its
vertex block is :math:`(R/v)\mathrm{Cov}_w(s,P)/\mathbb E_wP`, of norm at most
:math:`(R/v)\sqrt{\mathrm{Var}_wP}/\mathbb E_wP\le (R/v)\kappa` (the signs are independent under
w, so :math:`\mathrm{Var}_w(u\cdot s)\le1`), and its comb block is an average of
:math:`\nabla_y\log P_s`, entries at most :math:`\beta`. The thresholds: D and E18 fall as tau
grows (q falls, v grows), so the least sufficient C is found by certified bisection; as
:math:`d'/\delta\to\infty` it tends to :math:`1/(\pi\sqrt2)\approx0.2251`; the search's largest
is about 0.239 (C.17, d' = 1, delta near 1), so C = 1/4 is stated.

Check. Instances with d <= 4, d' <= 5 and f a random table, constant or projection. At a point
(x near the vertices or anywhere, y anywhere, including the teeth where C.16 is tight) both
sides are arb enclosures: g/h - 1 and the score gap are computed as exact expectations over
all 2^d seeds (``verify.maths.large_sigma.exact_deviation``, no cancellation), and cross-checked
against
a second computation from the closed-form densities (parts ``*_vs_direct``: left side the gap
between the two enclosures, right side 0). The threshold parts enclose the least sufficient C
(certified bisection bracket) and compare it with the stated C.

Domain: d in [1, 6], d' in [1, 8], R in (0, 10], eps in (0, 1], sigma > 0 with
tau / eps >= 1/4 (so T(q) <= 0.6: the large-sigma regime), delta in (0, 0.99]. For eps < 0.2
some comb coordinate must lie at least 1e-6 periods off the teeth: with every coordinate on a
tooth, C.17's bound is attained up to a relative T(q0) < 1e-200, which ball arithmetic cannot
resolve (an equality case, approached from inside).
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from typing import Any

import flint
from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import finite_real, integer, log_uniform
from verify.core.errors import DomainError
from verify.core.numbers import ball, lower, normal_density, to_arb, upper
from verify.maths.comb import (
    direct_terms_needed,
    nome,
    smoothed_comb_closed_form,
    smoothed_comb_direct,
)
from verify.maths.large_sigma import (
    abs_enclosure,
    all_seeds,
    density_deviation_bound,
    exact_deviation,
    log_term_c17,
    log_term_c18,
    mixture_score_arb,
    needed_constant,
    norm_enclosure,
    phase_of,
    score_deviation_bound,
    sigma_of_tau,
    theta_parts,
)

MIN_TAU_OVER_EPS = 0.25
# Below this eps, T(q0) < 1e-200: a point with every comb coordinate on a tooth makes C.17's
# bound an equality to within T(q0), which no working precision resolves. Such points are kept
# out of the domain (the search approaches them from TEETH_CLEARANCE periods away).
DEGENERATE_EPS = 0.2
TEETH_CLEARANCE = 1e-6
F_KINDS = ("random", "constant", "projection")


# --- parameters ----------------------------------------------------------------------------------


def codewords(params: dict[str, Any]) -> list[tuple[int, ...]]:
    """f(s) for every seed (``all_seeds`` order) from the params' f description."""
    d, d_out = params["d"], params["d_out"]
    seeds = all_seeds(d)
    kind = params.get("f", "random")
    if kind == "constant":
        return [tuple([1] * d_out) for _ in seeds]
    if kind == "projection":
        return [tuple(s[j % d] for j in range(d_out)) for s in seeds]
    rng = random.Random(int(params.get("f_seed", 0)))
    return [tuple(rng.choice((1, -1)) for _ in range(d_out)) for _ in seeds]


def point(params: dict[str, Any]) -> tuple[list[float], list[float]]:
    """(x, y): x_i = R c_i + sqrt(v) z_i (c the params' vertex), y_j = v eps (n_j + u_j) / 4."""
    sigma, eps, R = params["sigma"], params["eps"], params["R"]
    v = 1 + sigma * sigma
    x = [R * c + math.sqrt(v) * z for c, z in zip(params["vertex"], params["z"], strict=True)]
    y = [v * eps * (n + u) / 4 for n, u in zip(params["y_steps"], params["y_jitter"], strict=True)]
    return x, y


def _validate(params: dict[str, Any]) -> None:
    d = integer(params, "d", 1, 6)
    d_out = integer(params, "d_out", 1, 8)
    R = finite_real(params, "R")
    eps = finite_real(params, "eps")
    sigma = finite_real(params, "sigma")
    delta = finite_real(params, "delta")
    if not 0 < R <= 10:
        raise DomainError(f"needs 0 < R <= 10, got R={R}")
    if not 0 < eps <= 1:
        raise DomainError(f"needs 0 < eps <= 1, got eps={eps}")
    if not sigma > 0:
        raise DomainError(f"needs sigma > 0, got sigma={sigma}")
    tau = sigma / math.sqrt(1 + sigma * sigma)
    if tau / eps < MIN_TAU_OVER_EPS:
        raise DomainError(
            f"large-sigma regime needs tau/eps >= {MIN_TAU_OVER_EPS} "
            f"(tau = sigma/sqrt(1+sigma^2)), got {tau / eps:.4g}"
        )
    if not 0 < delta <= 0.99:
        raise DomainError(f"needs 0 < delta <= 0.99, got delta={delta}")
    if params.get("f", "random") not in F_KINDS:
        raise DomainError(f"f must be one of {F_KINDS}, got {params.get('f')!r}")
    for name, width in (("vertex", d), ("z", d), ("y_steps", d_out), ("y_jitter", d_out)):
        values = params.get(name)
        if not isinstance(values, list) or len(values) != width:
            raise DomainError(f"{name} must be a list of {width} numbers")
        if not all(isinstance(t, int | float) and math.isfinite(t) for t in values):
            raise DomainError(f"{name} must hold finite numbers")
    if not all(c in (1, -1) for c in params["vertex"]):
        raise DomainError("vertex entries must be ±1")
    if eps < DEGENERATE_EPS and all_on_teeth(params):
        raise DomainError(
            f"for eps < {DEGENERATE_EPS} some comb coordinate must lie at least "
            f"{TEETH_CLEARANCE} periods off the teeth (C.17's bound is attained there up to "
            "T(q0), below any working precision)"
        )


def all_on_teeth(params: dict[str, Any]) -> bool:
    """Is every comb coordinate within TEETH_CLEARANCE periods of a tooth of either comb?
    (y_j / v = eps (n_j + u_j) / 4: the teeth are where n_j + u_j is even.)"""
    for n, u in zip(params["y_steps"], params["y_jitter"], strict=True):
        position = (n + u) / 2  # in half-periods: the teeth of both combs at the integers
        if abs(position - round(position)) / 2 >= TEETH_CLEARANCE:
            return False
    return True


@st.composite
def _params(draw) -> dict[str, Any]:
    d = draw(st.integers(1, 4))
    d_out = draw(st.integers(1, 5))
    eps = draw(log_uniform(0.02, 1.0))
    ratio = draw(log_uniform(MIN_TAU_OVER_EPS, 1.5))
    tau = min(ratio * eps, 0.95)
    tau = max(tau, MIN_TAU_OVER_EPS * eps * (1 + 1e-9))
    sigma = float(sigma_of_tau(tau).mid())
    near = draw(st.booleans())
    z_range = 2.0 if near else 6.0
    params = {
        "d": d,
        "d_out": d_out,
        "R": draw(log_uniform(0.1, 8.0)),
        "eps": eps,
        "sigma": sigma,
        "delta": draw(log_uniform(1e-8, 0.99)),
        "f": draw(st.sampled_from(F_KINDS)),
        "f_seed": draw(st.integers(0, 1000)),
        "vertex": draw(st.lists(st.sampled_from((1, -1)), min_size=d, max_size=d)),
        "z": draw(st.lists(st.floats(-z_range, z_range), min_size=d, max_size=d)),
        "y_steps": draw(st.lists(st.integers(-24, 24), min_size=d_out, max_size=d_out)),
        "y_jitter": draw(st.lists(st.floats(-1.0, 1.0), min_size=d_out, max_size=d_out)),
    }
    if eps < DEGENERATE_EPS and all_on_teeth(params):
        first = params["y_jitter"][0]
        params["y_jitter"][0] = first - 1e-5 if first > 0 else first + 1e-5
    return params


def _enclosure_gap(a: arb, b: arb) -> Fraction:
    """Distance between two enclosures: 0 when they overlap (the computations agree)."""
    return max(Fraction(0), lower(a) - upper(b), lower(b) - upper(a))


def _direct(params: dict[str, Any], words) -> tuple[arb, list[arb]]:
    """g/h - 1 and s_g - s_h as ratios of densities and gradients summed over the seeds (a second
    computation): comb values by the direct comb sum with certified tail where it is short
    (``verify.maths.comb.smoothed_comb_direct``), else the closed form; comb log-slopes
    -t/v - vartheta'(u; q)/(v vartheta(u; q)) from the theta series."""
    x, y = point(params)
    R, s, e = to_arb(params["R"]), to_arb(params["sigma"]), to_arb(params["eps"])
    v = 1 + s * s
    sd = v.sqrt()
    q = nome(s, e)
    xs, ys = [to_arb(t) for t in x], [to_arb(t) for t in y]
    short = direct_terms_needed(params["sigma"], params["eps"], flint.ctx.prec) <= 400
    value = smoothed_comb_direct if short else smoothed_comb_closed_form
    comb, comb_slope = {}, {}
    for b in (1, -1):
        th = phase_of(b, e)
        comb[b] = [value(t, s, e, th) for t in ys]
        comb_slope[b] = []
        for t in ys:
            minus_one, slope = theta_parts((th - t / v) / e, q)
            comb_slope[b].append(-t / v - slope / (e * v * (1 + minus_one)))
    gauss_y = arb(1)
    for t in ys:
        gauss_y *= normal_density(t, sd)
    g, h = arb(0), arb(0)
    grad = [arb(0)] * (len(xs) + len(ys))
    for seed, word in zip(all_seeds(len(xs)), words, strict=True):
        G = arb(1)
        for xi, si in zip(xs, seed, strict=True):
            G *= normal_density(xi - R * si, sd)
        P = arb(1)
        for j, b in enumerate(word):
            P *= comb[b][j]
        g += G * P
        h += G * gauss_y
        for i, (xi, si) in enumerate(zip(xs, seed, strict=True)):
            grad[i] += G * P * (-(xi - R * si) / v)
        for j, b in enumerate(word):
            grad[len(xs) + j] += G * P * comb_slope[b][j]
    s_h = mixture_score_arb(xs, ys, R, s)
    return g / h - 1, [gr / g - sh for gr, sh in zip(grad, s_h, strict=True)]


def _threshold_part(name: str, bracket: tuple[arb, arb], constant: Fraction, label: str) -> Part:
    c_lo, c_hi = bracket
    needed = ball(c_lo, c_hi) if c_hi.is_finite() else arb(0, math.inf)
    note = f"least sufficient {label} in [{float(c_lo.mid()):.6f}, {float(c_hi.mid()):.6f}]"
    return Part(name, needed, to_arb(constant), label, arb(1), note=note)


def _check_c17(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    words = codewords(params)
    x, y = point(params)
    d_out, sigma, eps, R = params["d_out"], params["sigma"], params["eps"], params["R"]
    exact = exact_deviation(x, y, words, R, sigma, eps)
    D = density_deviation_bound(d_out, sigma, eps)
    k = to_arb(constants["K17"])
    parts = [Part("relative_density_gap", abs_enclosure(exact.ratio_minus_one), k * D, "K17", D)]
    direct, _ = _direct(params, words)
    parts.append(
        Part(
            "relative_density_gap_vs_direct",
            _enclosure_gap(exact.ratio_minus_one, direct),
            0,
            note=f"posterior form {exact.ratio_minus_one.str(6)} vs closed forms {direct.str(6)}",
        )
    )
    delta = params["delta"]
    bracket = needed_constant(
        lambda tau: density_deviation_bound(d_out, sigma_of_tau(tau), eps),
        delta,
        eps,
        log_term_c17(d_out, delta),
    )
    parts.append(_threshold_part("threshold_constant", bracket, constants["C17"], "C17"))
    return parts


def _check_c18(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    words = codewords(params)
    x, y = point(params)
    d_out, sigma, eps, R = params["d_out"], params["sigma"], params["eps"], params["R"]
    exact = exact_deviation(x, y, words, R, sigma, eps)
    E18 = score_deviation_bound(d_out, R, sigma, eps)
    k = to_arb(constants["K18"])
    gap = norm_enclosure(exact.score_gap)
    parts = [Part("score_gap", gap, k * E18, "K18", E18)]
    _, direct = _direct(params, words)
    worst = max(_enclosure_gap(a, b) for a, b in zip(exact.score_gap, direct, strict=True))
    parts.append(Part("score_gap_vs_direct", worst, 0, note="largest coordinate disagreement"))
    delta = params["delta"]
    bracket = needed_constant(
        lambda tau: score_deviation_bound(d_out, R, sigma_of_tau(tau), eps),
        delta,
        eps,
        log_term_c18(d_out, R, eps, delta),
    )
    parts.append(_threshold_part("threshold_constant", bracket, constants["C18"], "C18"))
    return parts


_TIGHT_C17 = {
    # f constant, a point at the vertex and on the teeth: every comb factor near its maximum
    "d": 2,
    "d_out": 5,
    "R": 6.0,
    "eps": 0.5,
    "sigma": float(sigma_of_tau(0.2).mid()),
    "delta": 0.9,
    "f": "constant",
    "f_seed": 0,
    "vertex": [1, -1],
    "z": [0.0, 0.0],
    "y_steps": [0, 0, 0, 4, -4],
    "y_jitter": [0.0, 0.0, 0.0, 0.0, 0.0],
}
_TIGHT_C18 = {
    # f constant, y a quarter period off the teeth: the comb log-slope at its maximum, and R
    # small so that the vertex block's share of E18 is negligible
    "d": 1,
    "d_out": 1,
    "R": 0.1,
    "eps": 0.5,
    "sigma": float(sigma_of_tau(0.2).mid()),
    "delta": 0.5,
    "f": "constant",
    "f_seed": 0,
    "vertex": [1],
    "z": [0.0],
    "y_steps": [1],
    "y_jitter": [0.0],
}
_EXAMPLES = [
    _TIGHT_C17,
    _TIGHT_C18,
    {
        "d": 3,
        "d_out": 4,
        "R": 2.0,
        "eps": 0.2,
        "sigma": 0.1,
        "delta": 0.01,
        "f": "random",
        "f_seed": 7,
        "vertex": [1, 1, -1],
        "z": [0.3, -1.0, 0.5],
        "y_steps": [1, 2, -3, 0],
        "y_jitter": [0.1, -0.2, 0.0, 0.4],
    },
    {
        "d": 4,
        "d_out": 5,
        "R": 1.0,
        "eps": 0.05,
        "sigma": 0.02,
        "delta": 1e-6,
        "f": "random",
        "f_seed": 3,
        "vertex": [1, -1, 1, -1],
        "z": [0.0, 0.1, -0.2, 2.0],
        "y_steps": [1, 3, 5, 7, 9],
        "y_jitter": [0.0, 0.0, 0.0, 0.0, 0.0],
    },
]

_STATEMENT_17 = (
    r"|g_\sigma - h_\sigma| \le K_{17} D\, h_\sigma,\ "
    r"D=\max\big((\tfrac{1+T(q)}{1-T(q_0)})^{d'}-1,\,1-(\tfrac{1-T(q)}{1+T(q_0)})^{d'}\big);\ "
    r"D\le\delta \text{ if } \tau \ge C_{17}\epsilon\sqrt{\log(2d'/\delta)},\ "
    r"h_\sigma = 2^{-d}\sum_s N((Rs,0), vI),\ \tau^2=\sigma^2/(1+\sigma^2)"
)
_STATEMENT_18 = (
    r"|\nabla\log g_\sigma-\nabla\log h_\sigma| \le K_{18}E_{18},\ "
    r"E_{18}^2=(\tfrac{R}{v}\tfrac{(\hbar/\ell)^{d'}-1}{2})^2+d'\big(\tfrac{4\pi W(q)}"
    r"{\epsilon v(1-T(q))}\big)^2;\ E_{18}\le\delta \text{ if } \tau\ge C_{18}\epsilon"
    r"\sqrt{\log((1+2Rd'+4\pi\sqrt{d'}/\epsilon)/\delta)}"
)
_DOMAIN = (
    "d in [1, 6], d' in [1, 8], R in (0, 10], eps in (0, 1], sigma with tau/eps >= 1/4, "
    "delta in (0, 0.99], any f; for eps < 0.2 not every comb coordinate on a tooth"
)

C17 = Lemma(
    id="C.17",
    title="Large sigma: the smoothed instance's density is close to a Gaussian mixture",
    statement=_STATEMENT_17,
    domain=_DOMAIN,
    constants=[
        Constant("K17", 1, "each comb factor lies in [ell, hbar] by C.16's theta quotient"),
        Constant(
            "C17",
            Fraction(1, 4),
            "certified bisection: least sufficient C <= 0.239 found, limit 1/(pi sqrt 2)",
        ),
    ],
    params=_params,
    check=_check_c17,
    validate=_validate,
    examples=_EXAMPLES,
    budget={"quick": 12, "standard": 150, "thorough": 800},
    depends_on=("C.16",),
)

C18 = Lemma(
    id="C.18",
    title="Large sigma: the smoothed instance's score is close to the Gaussian mixture's",
    statement=_STATEMENT_18,
    domain=_DOMAIN,
    constants=[
        Constant("K18", 1, "Cov/Var bound on the vertex block, C.16 slope on the comb block"),
        Constant(
            "C18",
            Fraction(1, 4),
            "certified bisection: least sufficient C ~ 0.224, limit 1/(pi sqrt 2)",
        ),
    ],
    params=_params,
    check=_check_c18,
    validate=_validate,
    examples=_EXAMPLES,
    budget={"quick": 12, "standard": 150, "thorough": 800},
    depends_on=("C.16", "C.17"),
)
