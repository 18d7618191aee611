r"""Lemmas H.6 and H.7: the exponential moment of the smoothed score, and moments from it.

Sources. The paper cites H.6 as Lemma B.3 and H.7 as Lemma A.6 of [GLPV22] (Gupta, Lee,
Price, Valiant, "Finite-sample maximum likelihood estimation of location", NeurIPS 2022) and
uses them, with H.5, in the proof of Corollary H.8. **The exact statements were not found**:
the paper's text available here has its formulas stripped, and a search of the stored
reference pages for GLPV22 returned only its abstract. What survives is the prose: H.6 is
"let p be a law on R, p_sigma have score s and Fisher information I; *if* [a condition],
then [a bound]", H.7 is "for [k] and [lambda], [a bound]", and H.8's proof maximises a
continuous function defined on a half-line by setting its derivative to zero (the shape of
:math:`u \mapsto u^k e^{-\lambda u}` on :math:`u \ge 0`), uses H.5 to bound I, applies H.6
under its condition, and "plugs into H.7" to obtain the moment bound. So this module derives
and checks the strongest explicit statements of that shape that we can prove; they are our
forms, not GLPV22's, and the lemma titles say "derived form".

Setting. p is a law on R (a finite Gaussian mixture, atoms allowed), sigma > 0,
:math:`p_\sigma = p * N(0,\sigma^2)`, s its score. With X = Y + Z, Y ~ p, Z ~ N(0, sigma^2)
independent, Tweedie gives :math:`s(x) = -E[Z \mid X = x]/\sigma^2`.

H.6 [derived form: sub-Gaussian exponential moment of the score]. For every real lambda,

.. math:: \mathbb E_{x\sim p_\sigma} e^{\lambda s(x)} \le C_6\, e^{\lambda^2/(2\sigma^2)},
          \qquad C_6 = 1.

Proof: conditional Jensen for the convex exp,
:math:`e^{-\lambda E[Z|X]/\sigma^2} \le E[e^{-\lambda Z/\sigma^2} \mid X]`, so the left side is
at most :math:`E e^{-\lambda Z/\sigma^2} = e^{\lambda^2/(2\sigma^2)}`. A point mass attains
equality. In GLPV22's form the right side is written with the Fisher information I, and H.5
(:math:`I \le 1/\sigma^2`) turns it into this one; the derived form reaches 1/sigma^2
directly, so here it needs no hypothesis on lambda. Checked in scale-free form with
:math:`t = \lambda\sigma`, both signs, :math:`1/8 \le |t| \le 2` (t = 0 is the equality 1 <= 1,
which ball arithmetic cannot certify).

H.7 [derived form: moments from the exponential moment]. For k >= 1 and lambda > 0,

.. math:: \mathbb E_{x\sim p_\sigma}|s(x)|^k \le C_7\Big(\frac{k}{e\lambda}\Big)^k
          \mathbb E_{x\sim p_\sigma} e^{\lambda|s(x)|}, \qquad C_7 = 1.

Proof: :math:`g(u) = u^k e^{-\lambda u}` on :math:`u \ge 0` has :math:`g'(u) = 0` only at
u = k/lambda, where :math:`g = (k/(e\lambda))^k`, its maximum (g(0) = 0 and g -> 0 at
infinity), so :math:`|s|^k \le (k/(e\lambda))^k e^{\lambda|s|}` pointwise. It is never an
equality in expectation (|s| is not constant under p_sigma); the ratio is largest near
:math:`\lambda\sigma = \sqrt k` (about 0.7 for k = 4 near a point mass). Checked for k = 2, 4
with :math:`t = \lambda\sigma \in [1/4, 3]`.

H.8 from H.5-H.7 (the paper's route, with these forms):
:math:`e^{\lambda|s|} \le e^{\lambda s} + e^{-\lambda s}`, H.6 gives
:math:`E e^{\lambda|s|} \le 2 e^{\lambda^2/(2\sigma^2)}`, and H.7 at :math:`\lambda\sigma = \sqrt
k` gives :math:`E|s|^k \le 2 (k/e)^{k/2}/\sigma^k` (4/e = 1.47 for k = 2, 32/e^2 = 4.33 for
k = 4). That is the paper's shape with weaker constants than H.8's sharp derived form
(:math:`M_k = E|N(0,1)|^k`), which the H.8 module checks directly.

Domain: finite Gaussian mixtures other than a single point mass (as H.5, H.8), with component
stds at most 3 sigma (the certified tail bound of :math:`e^{\lambda|s|}` uses
:math:`|s(x)| \le (|x - c| + R)/\sigma^2`, whose Gaussian tail is past the tilt only when the
components are not much wider than sigma; the search draws stds up to 3 sigma).

Check (certified). ``verify.maths.laws.score_exponential_cells``: per cell a Taylor model of
:math:`e^{\lambda s}` (or :math:`e^{\lambda|s|}`, first order on the few cells where s may
change sign) with exact Gaussian cell moments and an enclosure of the second derivative, plus
a certified Gaussian tail bound of the exponential outside the core; the moments of H.7 come
from ``score_power_cells`` (as H.8). The cells are halved while a part is undecided.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Constraint, Domain, Real
from verify.core.numbers import certainly_le, to_arb
from verify.maths.laws import (
    FiniteMixture,
    as_floats,
    mixture_constraints,
    mixture_from_params,
    mixture_params_strategy,
    mixture_specs,
    score_exponential_cells,
    score_power_cells,
)

MAX_REFINEMENTS = 4
INITIAL_CELLS_PER_SIGMA = 8
MAX_STD_OVER_SIGMA = 3


def _stds_within(params: dict[str, Any]) -> bool:
    stds = as_floats(params.get("stds", [0.0] * len(params["means"])))
    return max(stds) <= MAX_STD_OVER_SIGMA * float(params["sigma"])


STDS_WITHIN = Constraint(f"stds <= {MAX_STD_OVER_SIGMA} sigma", _stds_within)


def _domain(t: Real) -> Domain:
    return Domain(*mixture_constraints(), STDS_WITHIN, optional=("stds",), **mixture_specs(), t=t)


H6_DOMAIN = _domain(Real(0.125, 2.0))
H7_DOMAIN = _domain(Real(0.25, 3.0))


def _params_strategy(domain: Domain):
    @st.composite
    def build(draw) -> dict[str, Any]:
        params = draw(mixture_params_strategy())
        params["t"] = draw(domain["t"].strategy())
        return params

    return build


def _law(params: dict[str, Any], lemma: str) -> tuple[FiniteMixture, float]:
    return mixture_from_params(params, lemma=lemma)


EXAMPLES = [
    {"sigma": 1.0, "means": [-0.01, 0.01], "stds": [0.0, 0.0], "weights": [1.0, 1.0]},
    {"sigma": 1.0, "means": [-2.4, 2.4], "stds": [0.0, 0.0], "weights": [1.0, 1.0]},
    {"sigma": 0.5, "means": [-1.0, 0.5, 3.0], "stds": [0.25, 0.0, 0.6], "weights": [1, 2, 1]},
]


def _decided(value: arb, limit: arb) -> bool:
    return certainly_le(value, limit) or value > limit


# ------------------------------------------------------------------------------------- H.6


def _check_h6(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    law, sigma = _law(params, "H.6")
    t = Fraction(params["t"])
    s = to_arb(sigma)
    unit = (to_arb(t) ** 2 / 2).exp()  # e^{lambda^2 / (2 sigma^2)}, lambda = t sigma
    limit = to_arb(constants["C6"]) * unit
    cells = INITIAL_CELLS_PER_SIGMA
    for _ in range(MAX_REFINEMENTS):
        totals = {
            sign: score_exponential_cells(
                law, sigma, sign * to_arb(t) * s, cells_per_sigma=cells
            ).total()
            for sign in (1, -1)
        }
        if all(_decided(total, limit) for total in totals.values()):
            break
        cells *= 2
    return [
        Part(
            "lambda_positive" if sign > 0 else "lambda_negative",
            total,
            limit,
            "C6",
            unit,
            note=f"t = lambda sigma = {sign * float(t):g}, cells/sigma={cells}",
            data={"t": sign * float(t), "cells_per_sigma": cells},
        )
        for sign, total in totals.items()
    ]


H6 = Lemma(
    id="H.6",
    title=(
        "Exponential moment of the smoothed score (derived form): "
        "E e^{lambda s} <= e^{lambda^2/(2 sigma^2)}"
    ),
    statement=(
        r"\mathbb{E}_{x\sim p_\sigma} e^{\lambda s_\sigma(x)} \le C_6\,"
        r"e^{\lambda^2/(2\sigma^2)},\ C_6 = 1\ \text{(derived form; GLPV22 Lemma B.3's shape)}"
    ),
    domain=H6_DOMAIN,
    constants=[
        Constant("C6", 1, "conditional Jensen for exp: E e^{-lambda Z / sigma^2} (point mass)")
    ],
    params=_params_strategy(H6_DOMAIN),
    check=_check_h6,
    examples=[{**EXAMPLES[0], "t": 2}, {**EXAMPLES[1], "t": 1}, {**EXAMPLES[2], "t": 0.5}],
    budget={"quick": 6, "standard": 40, "thorough": 200},
    depends_on=(),
)

# ------------------------------------------------------------------------------------- H.7

H7_POWERS = (2, 4)


def _check_h7(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    law, sigma = _law(params, "H.7")
    t = Fraction(params["t"])
    s = to_arb(sigma)
    lam = to_arb(t) * s
    c7 = to_arb(constants["C7"])
    cells = INITIAL_CELLS_PER_SIGMA
    for _ in range(MAX_REFINEMENTS):
        moments = score_power_cells(law, sigma, list(H7_POWERS), cells_per_sigma=cells)
        exponential = score_exponential_cells(
            law, sigma, lam, absolute=True, cells_per_sigma=cells
        ).total()
        units = {k: (k / (arb.const_e() * lam)) ** k * exponential for k in H7_POWERS}
        lhs = {k: moments[k].total() for k in H7_POWERS}
        if all(_decided(lhs[k], c7 * units[k]) for k in H7_POWERS):
            break
        cells *= 2
    return [
        Part(
            f"k={k}",
            lhs[k],
            c7 * units[k],
            "C7",
            units[k],
            note=f"t = lambda sigma = {float(t):g}, cells/sigma={cells}",
            data={"t": float(t), "k": k, "cells_per_sigma": cells},
        )
        for k in H7_POWERS
    ]


H7 = Lemma(
    id="H.7",
    title="Moments of the smoothed score from its exponential moment (derived form)",
    statement=(
        r"\mathbb{E}_{x\sim p_\sigma}|s_\sigma(x)|^k \le C_7\Big(\frac{k}{e\lambda}\Big)^k"
        r"\mathbb{E}_{x\sim p_\sigma} e^{\lambda|s_\sigma(x)|},\ k\in\{2,4\},\ C_7 = 1"
        r"\ \text{(derived form; GLPV22 Lemma A.6's shape)}"
    ),
    domain=H7_DOMAIN,
    constants=[Constant("C7", 1, "max of u^k e^{-lambda u} on u >= 0 is (k/(e lambda))^k")],
    params=_params_strategy(H7_DOMAIN),
    check=_check_h7,
    examples=[{**EXAMPLES[0], "t": 2}, {**EXAMPLES[1], "t": 1.5}, {**EXAMPLES[2], "t": 1}],
    budget={"quick": 6, "standard": 40, "thorough": 200},
    depends_on=(),
)
