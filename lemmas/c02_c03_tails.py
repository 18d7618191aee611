r"""Lemmas C.2, C.3: what the smoothed score's tails and large values cost.

Setting. p is a law on R, :math:`p_\sigma = p * N(0,\sigma^2)`, s its score, :math:`\mu` the
mean of p, :math:`m_2 = E_{x\sim p_\sigma}(x-\mu)^2 = \mathrm{Var}(p) + \sigma^2`. The laws
checked are finite mixtures :math:`\sum_j w_j N(a_j, \tau^2)` (atoms: :math:`\tau = 0`), so
:math:`p_\sigma = \sum_j w_j N(a_j, v)`, :math:`v = \sigma^2 + \tau^2`; the search covers atoms
on the lattice :math:`\sigma/4\,\mathbb Z` within :math:`\pm10\sigma` and combs with gaps
4..5.5 sigma (the H.1 worst case). Inputs used from Appendix H: H.1.conj (conjectured) with
:math:`K = K(1/4) = 3` (:math:`E\sup_{|c|\le\sigma/4} s'(x+c)^2 \le K/\sigma^4`), H.2, H.5
(:math:`E s^2 \le 1/\sigma^2`), H.8 (:math:`E s^4 \le 3/\sigma^4`).

C.2 [paper-shape], explicit form derived here. For t > 0, :math:`E = \{|x-\mu| \ge t\}`:
Chebyshev :math:`P(E) \le m_2/t^2`; Cauchy-Schwarz and H.8
:math:`E[s^2; E] \le \sqrt{E s^4\,P(E)} \le \sqrt3\sqrt{m_2}/(\sigma^2 t)`; and for every g
with :math:`|g| \le L` on E (Minkowski in :math:`L^2(p_\sigma; E)`, worst case
:math:`g = -L\,\mathrm{sign}(s)`)

.. math:: E[(g - s)^2; E] \le E[(|s|+L)^2; E]
          \le C_2\Big(\frac{(3 m_2)^{1/4}}{\sigma\sqrt t} + \frac{L\sqrt{m_2}}{t}\Big)^2,
          \qquad C_2 = 1,

(the same C_2 multiplies the Chebyshev and Cauchy-Schwarz parts; L = 0 is "replace s by 0").

C.3 [paper-shape], explicit form derived here. For :math:`\epsilon \le \sigma/4` and L > 0 let
:math:`B_L = \{x : \sup_{|c|\le\epsilon}|s(x+c)| \ge L\}`. Since
:math:`\sup_c |s(x+c)| \le |s(x)| + \epsilon\sup_c|s'(x+c)|`,
:math:`E\sup_c s(x+c)^2 \le 2/\sigma^2 + 2\epsilon^2K/\sigma^4` (H.5, H.1), and Markov gives
(a) :math:`P(B_L) \le C_3\,\delta_L`, :math:`\delta_L = 2(1/\sigma^2 + \epsilon^2K/\sigma^4)/L^2`;
H.2 with that probability gives (b) :math:`E[s^2; B_L] \le C_3\,h(\min(1,\delta_L))/\sigma^2`,
:math:`h(\delta) = \delta + 2t\phi(t)`, :math:`t = \bar\Phi^{-1}(\delta/2)`; and the fourth
moment (H.8) gives (c) :math:`E(|s|-L)_+^2 \le E[s^2; |s| > L] \le C_3\,3/(\sigma^4L^2)`,
:math:`C_3 = 1`. Part (c) is the form the C.4 construction uses. Part (b) tends to equality
for a point mass as :math:`L\sigma \to 0` (then :math:`B_L = \mathbb R`, :math:`\delta_L \ge 1`
and both sides are :math:`E s^2 = 1/\sigma^2`); an equality cannot be certified, so the domain
is :math:`L\sigma \ge 1` (point mass, eps = sigma/4: ratio 0.905).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import POSITIVE_REAL, Constraint, Real
from verify.core.numbers import to_arb
from verify.maths.score_approx import (
    CELLS_PER_SIGMA,
    H1_COMB,
    H1_K,
    H1_KAPPA,
    far_from_mean,
    h2_tail_bound,
    large_score,
    law_domain,
    law_from_params,
    law_params_with,
    ratio_to_sigma,
    second_moment,
    subcells,
)

COMB = H1_COMB
POSITIVE = POSITIVE_REAL


# ----------------------------------------------------------------------------------- C.2

C2_DOMAIN = law_domain(
    Constraint("t <= 64 sigma", lambda p: ratio_to_sigma(p, "t") <= 64),
    optional=("cap",),
    t=POSITIVE,
    cap=Real(0, math.inf, hi_open=True, doc="the bound L of the replacement g"),
)


def _check_c2(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    law, level_sigma = law_from_params(params)
    t = Fraction(params["t"])
    cap = Fraction(params.get("cap", 0))
    sigma = to_arb(level_sigma)
    m2 = to_arb(second_moment(law, level_sigma))
    ta = to_arb(t)
    res = far_from_mean(law, level_sigma, t, cap, CELLS_PER_SIGMA)
    c = to_arb(constants["C2"])
    unit_p = m2 / (ta * ta)
    unit_s = arb(3).sqrt() * m2.sqrt() / (sigma * sigma * ta)
    unit_g = ((3 * m2).root(4) / (sigma * ta.sqrt()) + to_arb(cap) * m2.sqrt() / ta) ** 2
    return [
        Part("chebyshev", res.probability, c * unit_p, "C2", unit_p),
        Part("score_square_far", res.score_square, c * unit_s, "C2", unit_s),
        Part("bounded_replacement_far", res.worst_bounded, c * unit_g, "C2", unit_g),
    ]


C2 = Lemma(
    id="C.2",
    title="Far from the mean a bounded approximation of the score costs little",
    statement=(
        r"P(|x-\mu|\ge t) \le C_2\frac{m_2}{t^2},\ \mathbb E[s^2; |x-\mu|\ge t] \le "
        r"C_2\frac{\sqrt{3 m_2}}{\sigma^2 t},\ \sup_{|g|\le L}\mathbb E[(g-s)^2; |x-\mu|\ge t]"
        r"\le C_2\Big(\frac{(3m_2)^{1/4}}{\sigma\sqrt t}+\frac{L\sqrt{m_2}}{t}\Big)^2,\ C_2=1"
    ),
    domain=C2_DOMAIN,
    constants=[Constant("C2", 1, "Chebyshev, Cauchy-Schwarz with E s^4 <= 3/sigma^4 (H.8)")],
    params=law_params_with(
        lambda draw, s: {
            "t": s * draw(st.sampled_from([0.25, 0.5, 1, 2, 4, 8, 16])),
            "cap": draw(st.sampled_from([0, 1, 4, 16])) / s,
        }
    ),
    check=_check_c2,
    examples=[
        {"sigma": 1.0, "means": [0.0], "weights": [1.0], "t": 1.0, "cap": 0},
        {**COMB, "t": 4.0, "cap": 4},
    ],
    budget={"quick": 6, "standard": 60, "thorough": 300},
    depends_on=("H.8",),
)


# ----------------------------------------------------------------------------------- C.3

C3_DOMAIN = law_domain(
    Constraint(
        "sigma/16 <= eps <= sigma/4 (H.1 at kappa = 1/4)",
        lambda p: Fraction(1, 16) <= ratio_to_sigma(p, "eps") <= H1_KAPPA,
    ),
    Constraint(
        "1 <= L sigma <= 64 (part b tends to equality as L -> 0; beyond 64 both sides are below"
        " the tail bounds' resolution)",
        lambda p: 1 <= Fraction(p["level"]) * Fraction(p["sigma"]) <= 64,
    ),
    eps=POSITIVE,
    level=Real(0, math.inf, lo_open=True, hi_open=True, doc="the level L"),
)


def _check_c3(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    law, level_sigma = law_from_params(params)
    eps, level = Fraction(params["eps"]), Fraction(params["level"])
    sigma = to_arb(level_sigma)
    ea, la = to_arb(eps), to_arb(level)
    k = to_arb(H1_K)
    res = large_score(law, level_sigma, eps, level, subcells(eps, level_sigma) * 2)
    c = to_arb(constants["C3"])
    unit_a = 2 * (1 / sigma**2 + ea * ea * k / sigma**4) / (la * la)
    delta = unit_a if unit_a < 1 else arb(1)
    unit_b = h2_tail_bound(delta) / sigma**2
    unit_c = 3 / (sigma**4 * la * la)
    return [
        Part("window_markov", res.window_probability, c * unit_a, "C3", unit_a),
        Part("window_h2", res.window_score_square, c * unit_b, "C3", unit_b),
        Part("excess_below_level_square", res.excess_square, res.level_score_square),
        Part("fourth_moment", res.level_score_square, c * unit_c, "C3", unit_c),
    ]


C3 = Lemma(
    id="C.3",
    title="Where the score is large, replacing it by zero costs little",
    statement=(
        r"B_L=\{x:\sup_{|c|\le\epsilon}|s(x+c)|\ge L\}:\ P(B_L)\le C_3\delta_L,\ "
        r"\delta_L=\frac{2(1/\sigma^2+\epsilon^2K/\sigma^4)}{L^2};\ \mathbb E[s^2;B_L]\le "
        r"C_3\frac{\delta+2t\phi(t)}{\sigma^2}\big|_{\delta=\min(1,\delta_L),"
        r"t=\bar\Phi^{-1}(\delta/2)};\ \mathbb E(|s|-L)_+^2\le\mathbb E[s^2;|s|>L]\le "
        r"C_3\frac{3}{\sigma^4L^2}"
    ),
    domain=C3_DOMAIN,
    constants=[Constant("C3", 1, "Markov with H.1.conj (K = 3) and H.5; H.2; H.8 (4th moment)")],
    params=law_params_with(
        lambda draw, s: {
            "eps": s * draw(st.sampled_from([0.0625, 0.125, 0.25])),
            "level": draw(st.sampled_from([1, 1.25, 1.5, 2, 3, 5])) / s,
        }
    ),
    check=_check_c3,
    examples=[
        {**COMB, "eps": 0.25, "level": 1.0},
        {"sigma": 1.0, "means": [0.0], "weights": [1.0], "eps": 0.25, "level": 2.0},
    ],
    budget={"quick": 6, "standard": 60, "thorough": 300},
    depends_on=("H.1.conj", "H.2", "H.5", "H.8"),
)
