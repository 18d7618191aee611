r"""Lemma C.1: interpolating the smoothed score on a grid.

Setting. p is a law on R, :math:`p_\sigma = p * N(0,\sigma^2)`, s its score, :math:`\mu` the
mean of p, :math:`m_2 = E_{x\sim p_\sigma}(x-\mu)^2 = \mathrm{Var}(p) + \sigma^2`. The laws
checked are finite mixtures :math:`\sum_j w_j N(a_j, \tau^2)` (atoms: :math:`\tau = 0`), so
:math:`p_\sigma = \sum_j w_j N(a_j, v)`, :math:`v = \sigma^2 + \tau^2`; the search covers atoms
on the lattice :math:`\sigma/4\,\mathbb Z` within :math:`\pm10\sigma` and combs with gaps
4..5.5 sigma (the H.1 worst case). Inputs used from Appendix H: H.1.conj (conjectured) with
:math:`K = K(1/4) = 3` (:math:`E\sup_{|c|\le\sigma/4} s'(x+c)^2 \le K/\sigma^4`), H.2, H.5
(:math:`E s^2 \le 1/\sigma^2`), H.8 (:math:`E s^4 \le 3/\sigma^4`).

C.1 [derived]. Let :math:`\hat s` interpolate s linearly on the grid :math:`\epsilon\mathbb Z`.
For x in :math:`[x_i, x_{i+1}]`, :math:`\hat s(x)` is a convex combination of
:math:`s(x_i), s(x_{i+1})`, each within :math:`\epsilon\sup_{|c|\le\epsilon}|s'(x+c)|` of s(x)
(mean value theorem), hence pointwise
:math:`(\hat s - s)^2(x) \le \epsilon^2\sup_{|c|\le\epsilon}s'(x+c)^2` and

.. math:: E(\hat s - s)^2 \le C_1\,\epsilon^2\,E\sup_{|c|\le\epsilon}s'(x+c)^2
          \le \epsilon^2 K/\sigma^4 \quad(\epsilon \le \sigma/4),\qquad C_1 = 1.

Checked: both inequalities (the second as two parts, error <= K eps^2/sigma^4 and
eps^2 E sup <= K eps^2/sigma^4, with the constant K shared with H.1). The window expectation
is computed twice, here (cells of width eps/M, sliding maxima of Taylor-model cell bounds) and
by ``verify.maths.laws.window_sup_moment`` (H.1's implementation). Both are enclosures of the
same number, but each is about 1% to 5% wide: the widths come from the grids of the sliding
maxima (a sup over a window is resolved to O(h) at the window's ends), not from the precision,
and 6 digits would need grids about 10^4 times finer. So they are not an ``Agreement`` (which
certifies only two enclosures agreeing to 2^-20): ``window_sup_enclosures_intersect`` certifies
that their intersection is non-empty (refuted when provably disjoint: one computation is wrong),
and ``window_sup_enclosures_informative`` that each is at most 1/8 wide relative to its value (an
uninformative ball intersects anything). The inequalities use the intersection.

C.2, C.3: ``c02_c03_tails``. C.4, C.5: ``c04_c05_capped_products``. Certified by
``score_approx`` (cells <= sigma/16, erfc masses, Taylor models, sliding maxima, Gaussian tails).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import POSITIVE_REAL, Constraint
from verify.core.numbers import certified_max, certified_min, relative_width_bound, to_arb
from verify.core.verdict import relative_width
from verify.maths.score_approx import (
    H1_COMB,
    H1_K,
    H1_KAPPA,
    interpolation_error,
    law_domain,
    law_from_params,
    law_params_with,
    ratio_to_sigma,
    subcells,
    window_sup_by_grid_maxima,
)

COMB = H1_COMB
POSITIVE = POSITIVE_REAL


# ----------------------------------------------------------------------------------- C.1

C1_DOMAIN = law_domain(
    Constraint("sigma/16 <= eps <= 2 sigma", lambda p: 1 / 16 <= ratio_to_sigma(p, "eps") <= 2),
    eps=POSITIVE,
)


def _check_c1(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    law, level_sigma = law_from_params(params)
    eps = Fraction(params["eps"])
    sigma = to_arb(level_sigma)
    result = interpolation_error(law, level_sigma, eps, subcells(eps, level_sigma))
    window_sup = result.window_sup
    # Two algorithms for one expectation: Taylor-model cells with sliding maxima (above) and
    # grid-point maxima with second-order cell bounds (laws.window_sup_moment); both are kept
    # on purpose, the part certifies that they agree.
    second = window_sup_by_grid_maxima(law, level_sigma, eps)
    cross = []
    if second is not None:
        # Both are enclosures of the same expectation, 1-5% wide from their grids: far from the
        # 6 digits an Agreement needs. What they certify together is that their intersection
        # is non-empty (each lower end <= the other's upper end), a consistency bound pair.
        highest_lower = certified_max([arb(window_sup.lower()), arb(second.lower())])
        lowest_upper = certified_min([arb(window_sup.upper()), arb(second.upper())])
        cross.append(
            Part(
                "window_sup_enclosures_intersect",
                highest_lower,
                lowest_upper,
                note=(
                    f"score_approx {window_sup.str(6)} vs laws.window_sup_moment "
                    f"{second.str(6)}: a bound pair whose intersection is non-empty, "
                    "not a 6-digit agreement"
                ),
                data={
                    "cells_and_sliding_maxima": window_sup.str(6),
                    "grid_maxima": second.str(6),
                    "relative_widths": [relative_width(window_sup), relative_width(second)],
                },
            )
        )
        # An intersection says something only when both enclosures are informative: a ball
        # around 0, or one wider than 1/8 of its value, would intersect anything.
        widest = certified_max([relative_width_bound(window_sup), relative_width_bound(second)])
        cross.append(
            Part(
                "window_sup_enclosures_informative",
                widest,
                Fraction(1, 8),
                note="the wider of the two enclosures' relative widths, at most 1/8",
            )
        )
        if window_sup.overlaps(second):
            window_sup = window_sup.intersection(second)
    eps2 = to_arb(eps) ** 2
    unit1 = eps2 * window_sup
    c1 = to_arb(constants["C1"])
    parts = [
        *cross,
        Part(
            "interpolation_vs_window_sup",
            result.error,
            c1 * unit1,
            "C1",
            unit1,
            note=f"{result.cells} cells",
            data={"cells": result.cells},
        ),
    ]
    if eps <= H1_KAPPA * level_sigma:
        unit_k = eps2 / sigma**4
        k = to_arb(constants["K"])
        parts.append(Part("interpolation_vs_K", result.error, k * unit_k, "K", unit_k))
        parts.append(Part("window_sup_vs_K", unit1, k * unit_k, "K", unit_k))
    return parts


C1 = Lemma(
    id="C.1",
    title="Linear interpolation of the smoothed score on an eps-grid",
    statement=(
        r"\mathbb E(\hat s - s)^2 \le C_1\,\epsilon^2\,\mathbb E\sup_{|c|\le\epsilon}"
        r"s'(x+c)^2 \le \epsilon^2 K/\sigma^4\ (\epsilon\le\sigma/4),\ C_1 = 1,\ K = K(1/4) = 3"
    ),
    domain=C1_DOMAIN,
    constants=[
        Constant("C1", 1, "pointwise: |s_hat - s| <= eps sup_{|c|<=eps} |s'(x+c)|"),
        Constant("K", H1_K, "H.1.conj (conjectured form) kappa = 1/4; proved form: 84.5"),
    ],
    params=law_params_with(
        lambda draw, s: {"eps": s * draw(st.sampled_from([0.0625, 0.125, 0.25, 0.25, 0.5, 1, 2]))}
    ),
    check=_check_c1,
    examples=[
        {**COMB, "eps": 0.25},
        {"sigma": 1.0, "means": [-2.25, 2.25], "weights": [1.0, 1.0], "eps": 1.0},
        {"sigma": 0.5, "means": [0.0], "weights": [1.0], "eps": 0.125},
    ],
    budget={"quick": 6, "standard": 60, "thorough": 300},
    depends_on=("H.1.conj",),
)
