r"""Lemmas C.1-C.5: piecewise-linear approximation of a one-dimensional smoothed score.

Setting. p is a law on R, :math:`p_\sigma = p * N(0,\sigma^2)`, s its score, :math:`\mu` the
mean of p, :math:`m_2 = E_{x\sim p_\sigma}(x-\mu)^2 = \mathrm{Var}(p) + \sigma^2`. The laws
checked are finite mixtures :math:`\sum_j w_j N(a_j, \tau^2)` (atoms: :math:`\tau = 0`), so
:math:`p_\sigma = \sum_j w_j N(a_j, v)`, :math:`v = \sigma^2 + \tau^2`; the search covers atoms
on the lattice :math:`\sigma/4\,\mathbb Z` within :math:`\pm10\sigma` and combs with gaps
4..5.5 sigma (the H.1 worst case). Inputs used from Appendix H: H.1 with
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
by ``verify.maths.laws.window_sup_moment`` (H.1's implementation); the part
``window_sup_two_computations`` is certified when the two enclosures overlap and refuted when
they provably differ, and the inequalities use their intersection.

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

C.4 [open], construction and explicit form. Let :math:`0 < \delta < 1/\sigma^2` (for
:math:`\delta \ge 1/\sigma^2` the zero function works by H.5) and :math:`a = \sqrt{\delta/2}`.
Take a power of two :math:`\epsilon \le \min(\sigma/4, \sigma^2 a/(2\sqrt K))`, a cap
:math:`L \ge 4\sqrt3/(\sigma^2 a)`, a half-width :math:`T \ge 16\sqrt{3m_2}/(\sigma^2\delta)`
(rationals; see ``verify.maths.score_approx.capped_parameters``), :math:`N = \lceil
T/\epsilon\rceil`,
nodes :math:`x_i = \mu + i\epsilon`, :math:`|i| \le N`, node values
:math:`w_i = \mathrm{clip}(s(x_i) \pm \eta, -L, L)` (:math:`\eta \le 2^{-21}` rounding), f the
linear interpolant, constant beyond :math:`x_{\pm N}`. Then

1. f has 2N + 2 <= 2T/eps + 4 pieces;
2. its breakpoints satisfy :math:`|t| \le |\mu| + T + \epsilon`;
3. every slope is at most :math:`2L/\epsilon` in absolute value;
4. :math:`|f| \le L`;
5. :math:`E(f - s)^2 \le C_4\,\delta`, :math:`C_4 = 1`.

Derivation of 5. Inside :math:`|x-\mu| \le N\epsilon` (x in :math:`[x_i, x_{i+1}]`), with
:math:`S(x) = \sup_{|c|\le\epsilon}|s'(x+c)|`, clipping being 1-Lipschitz and the identity on
[-L, L]: :math:`|w_i - s(x)| \le \eta + \epsilon S(x) + (|s(x)|-L)_+`, so by Minkowski, H.1 and
C.3(c) :math:`\|f-s\|_{in} \le \eta + \epsilon\sqrt K/\sigma^2 + \sqrt3/(\sigma^2L) \le a`.
Outside, :math:`|f| \le L` and C.2 give :math:`\|f-s\|_{out} \le (3m_2)^{1/4}/(\sigma\sqrt T) +
L\sqrt{m_2}/T \le a`. So :math:`E(f-s)^2 \le 2a^2 = \delta`. Pieces:
:math:`2T/\epsilon = O(\sqrt{K m_2}/(\sigma^4\delta^{3/2}))`. The search finds the true error
orders of magnitude below delta: Chebyshev and Markov are far from tight for these laws.

C.5 [derived]. For a product law :math:`p = \otimes_i p_i` the smoothed law is the product of
the :math:`p_{i,\sigma}`, so :math:`\log p_\sigma` is a sum and :math:`s(x)_i = s_i(x_i)`; for
:math:`\hat s(x)_i = \hat s_i(x_i)`, Fubini gives
:math:`E|\hat s - s|^2 = \sum_i E(\hat s_i - s_i)^2`. Checked with two computations: (1) the
joint score computed from the joint mixture over all atom tuples (no use of the product
structure) agrees with the coordinatewise scores at random points (certified, enclosures
overlap); (2) a Monte Carlo estimate of :math:`E|\hat s - s_{joint}|^2` over
:math:`x \sim p_\sigma` in d dimensions against the sum of the certified one-dimensional errors.
(2) is statistical on purpose: it is the computation that does not use the product structure,
and a certified d-dimensional integral would need cells^d enclosures. Its interval is the CLT
interval at confidence 0.999 (normal approximation; n = 100000 samples): within the two parts
:math:`C_{5,lo}\sum \le \widehat{E} \le C_{5,hi}\sum`, :math:`C_{5,lo} = 4/5`,
:math:`C_{5,hi} = 5/4`. :math:`\hat s_i` interpolates the score rounded to multiples of
1/16 on :math:`\mu_i + (\sigma/2)\mathbb Z` (an error spread over the bulk of the law, so that
the Monte Carlo interval is narrow; C.4's functions have errors so small and so concentrated in
rare regions that a Monte Carlo estimate of them is noise).

How each side is certified (``verify.maths.score_approx``): cells of width at most sigma/16 over a
core reaching 9 standard deviations past the extreme atoms; cell masses from erfc; the score on
a cell from the monotone posterior mean; errors of linear functions by a second-order Taylor
model on each cell (:math:`\alpha + \beta t + \gamma(t)`, :math:`|\gamma''| \le \sup|s''|`,
third posterior cumulant); window suprema by sliding maxima; tails by Gaussian tail moments
with :math:`|s(x)| \le |x - a_{far}|/v` and :math:`|s'| \le \max(1/v, D^2/(4v^2) - 1/v)`.
"""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.errors import DomainError
from verify.core.numbers import ball, lower, to_arb, upper
from verify.core.plotting import pyplot, save
from verify.maths.laws import GaussianMixture, window_sup_moment
from verify.maths.score_approx import (
    H1_K,
    H1_KAPPA,
    TAIL_SDS,
    SmoothedAtoms,
    capped_approximation,
    far_from_mean,
    grid_interpolant,
    h2_tail_bound,
    interpolation_error,
    large_score,
    law_from_params,
    law_strategy,
    pwl_error,
)

CELLS_PER_SIGMA = 16
MC_SAMPLES = 100_000
MC_Z = 3.2905  # two-sided normal quantile at confidence 0.999


def _positive(params: dict[str, Any], name: str) -> Fraction:
    value = params.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DomainError(f"missing or non-numeric parameter {name!r}")
    try:
        number = Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise DomainError(f"parameter {name} must be a real number, got {value!r}") from None
    if number <= 0:
        raise DomainError(f"parameter {name} must be positive, got {value!r}")
    return number


def _cap(params: dict[str, Any]) -> Fraction:
    value = params.get("cap", 0)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DomainError(f"cap must be a real number >= 0, got {value!r}")
    try:
        cap = Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise DomainError(f"cap must be a real number >= 0, got {value!r}") from None
    if cap < 0:
        raise DomainError("cap must be >= 0")
    return cap


def _seed(params: dict[str, Any]) -> int:
    seed = params.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DomainError(f"seed must be a nonnegative integer, got {seed!r}")
    return seed


def _subcells(eps: Fraction, sigma: Fraction) -> int:
    return max(2, math.ceil(CELLS_PER_SIGMA * eps / sigma))


def _gap(a: arb, b: arb) -> Fraction:
    """0 when the enclosures overlap (the two computations agree), else their distance."""
    return max(Fraction(0), lower(a) - upper(b), lower(b) - upper(a))


# ----------------------------------------------------------------------------------- C.1


def _validate_c1(params: dict[str, Any]) -> None:
    law = law_from_params(params)
    eps = _positive(params, "eps")
    if not law.sigma / 16 <= eps <= 2 * law.sigma:
        raise DomainError("C.1 is checked for sigma/16 <= eps <= 2 sigma (cost and accuracy)")


def _check_c1(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    law = law_from_params(params)
    eps = _positive(params, "eps")
    sigma = to_arb(law.sigma)
    result = interpolation_error(law, eps, _subcells(eps, law.sigma))
    window_sup = result.window_sup
    second = _window_sup_by_verify_smoothed(law, eps)
    cross = []
    if second is not None:
        cross.append(
            Part(
                "window_sup_two_computations",
                _gap(window_sup, second),
                Fraction(0),
                note=f"score_approx {window_sup.str(6)} vs smoothed {second.str(6)}",
            )
        )
        if window_sup.overlaps(second):
            window_sup = window_sup.intersection(second)
    eps2 = to_arb(eps) ** 2
    unit1 = eps2 * window_sup
    parts = [
        *cross,
        Part(
            "interpolation_vs_window_sup",
            result.error,
            to_arb(constants["C1"]) * unit1,
            "C1",
            unit1,
            note=f"{result.cells} cells",
        ),
    ]
    if eps <= H1_KAPPA * law.sigma:
        unit_k = eps2 / sigma**4
        k = to_arb(constants["K"])
        parts.append(Part("interpolation_vs_K", result.error, k * unit_k, "K", unit_k))
        parts.append(Part("window_sup_vs_K", unit1, k * unit_k, "K", unit_k))
    return parts


def _window_sup_by_verify_smoothed(law: SmoothedAtoms, eps: Fraction) -> arb | None:
    """The same expectation by ``verify.maths.laws.window_sup_moment`` (an independent
    implementation: grid-point sliding maxima with second-order cell bounds), when the
    component width tau = sqrt(v - sigma^2) is rational."""
    tau2 = law.variance - law.sigma**2
    tau = Fraction(math.isqrt(tau2.numerator), math.isqrt(tau2.denominator))
    if tau * tau != tau2:
        return None
    mixture = GaussianMixture(list(law.atoms), [tau] * len(law.atoms), list(law.weights))
    return window_sup_moment(mixture, law.sigma, [eps / law.sigma])[eps / law.sigma]


def _c1_params():
    @st.composite
    def build(draw):
        law = draw(law_strategy())
        law["eps"] = law["sigma"] * draw(st.sampled_from([0.0625, 0.125, 0.25, 0.25, 0.5, 1, 2]))
        return law

    return build()


COMB = {
    "sigma": 1.0,
    "atoms": [-9.5, -4.75, 0.0, 4.75, 9.5],
    "weights": [1.0, 1.0, 1.0, 1.0, 1.0],
    "tau2": 0.0,
}

C1 = Lemma(
    id="C.1",
    title="Linear interpolation of the smoothed score on an eps-grid",
    statement=(
        r"\mathbb E(\hat s - s)^2 \le C_1\,\epsilon^2\,\mathbb E\sup_{|c|\le\epsilon}"
        r"s'(x+c)^2 \le \epsilon^2 K/\sigma^4\ (\epsilon\le\sigma/4),\ C_1 = 1,\ K = K(1/4) = 3"
    ),
    domain="finite mixtures of N(a_j, tau^2) (tau >= 0), sigma/16 <= eps <= 2 sigma",
    constants=[
        Constant("C1", 1, "pointwise: |s_hat - s| <= eps sup_{|c|<=eps} |s'(x+c)|"),
        Constant("K", H1_K, "H.1 with kappa = 1/4 (search: comb limit about 2.1)"),
    ],
    params=_c1_params,
    check=_check_c1,
    validate=_validate_c1,
    examples=[
        {**COMB, "eps": 0.25},
        {"sigma": 1.0, "atoms": [-2.25, 2.25], "weights": [1.0, 1.0], "tau2": 0.0, "eps": 1.0},
        {"sigma": 0.5, "atoms": [0.0], "weights": [1.0], "tau2": 0.0, "eps": 0.125},
    ],
    budget={"quick": 6, "standard": 60, "thorough": 300},
    depends_on=("H.1",),
)


# ----------------------------------------------------------------------------------- C.2


def _validate_c2(params: dict[str, Any]) -> None:
    law = law_from_params(params)
    _positive(params, "t")
    _cap(params)
    if _positive(params, "t") > 64 * law.sigma:
        raise DomainError("C.2 is checked for t <= 64 sigma")


def _check_c2(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    law = law_from_params(params)
    t = _positive(params, "t")
    cap = _cap(params)
    sigma = to_arb(law.sigma)
    m2 = to_arb(law.second_moment)
    ta = to_arb(t)
    res = far_from_mean(law, t, cap, CELLS_PER_SIGMA)
    c = to_arb(constants["C2"])
    unit_p = m2 / (ta * ta)
    unit_s = arb(3).sqrt() * m2.sqrt() / (sigma * sigma * ta)
    unit_g = ((3 * m2).root(4) / (sigma * ta.sqrt()) + to_arb(cap) * m2.sqrt() / ta) ** 2
    return [
        Part("chebyshev", res.probability, c * unit_p, "C2", unit_p),
        Part("score_square_far", res.score_square, c * unit_s, "C2", unit_s),
        Part("bounded_replacement_far", res.worst_bounded, c * unit_g, "C2", unit_g),
    ]


def _c2_params():
    @st.composite
    def build(draw):
        law = draw(law_strategy())
        s = law["sigma"]
        law["t"] = s * draw(st.sampled_from([0.25, 0.5, 1, 2, 4, 8, 16]))
        law["cap"] = draw(st.sampled_from([0, 1, 4, 16])) / s
        return law

    return build()


C2 = Lemma(
    id="C.2",
    title="Far from the mean a bounded approximation of the score costs little",
    statement=(
        r"P(|x-\mu|\ge t) \le C_2\frac{m_2}{t^2},\ \mathbb E[s^2; |x-\mu|\ge t] \le "
        r"C_2\frac{\sqrt{3 m_2}}{\sigma^2 t},\ \sup_{|g|\le L}\mathbb E[(g-s)^2; |x-\mu|\ge t]"
        r"\le C_2\Big(\frac{(3m_2)^{1/4}}{\sigma\sqrt t}+\frac{L\sqrt{m_2}}{t}\Big)^2,\ C_2=1"
    ),
    domain="finite mixtures, m2 = Var(p) + sigma^2, 0 < t <= 64 sigma, L >= 0",
    constants=[Constant("C2", 1, "Chebyshev, Cauchy-Schwarz with E s^4 <= 3/sigma^4 (H.8)")],
    params=_c2_params,
    check=_check_c2,
    validate=_validate_c2,
    examples=[
        {"sigma": 1.0, "atoms": [0.0], "weights": [1.0], "tau2": 0.0, "t": 1.0, "cap": 0},
        {**COMB, "t": 4.0, "cap": 4},
    ],
    budget={"quick": 6, "standard": 60, "thorough": 300},
    depends_on=("H.8",),
)


# ----------------------------------------------------------------------------------- C.3


def _validate_c3(params: dict[str, Any]) -> None:
    law = law_from_params(params)
    eps = _positive(params, "eps")
    _positive(params, "level")
    if not law.sigma / 16 <= eps <= H1_KAPPA * law.sigma:
        raise DomainError("C.3 is checked for sigma/16 <= eps <= sigma/4 (H.1 at kappa = 1/4)")
    if not 1 <= _positive(params, "level") * law.sigma <= 64:
        raise DomainError(
            "C.3 is checked for 1 <= L sigma <= 64 (part b tends to equality as L -> 0; beyond"
            " 64 both sides are below the tail bounds' resolution)"
        )


def _check_c3(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    law = law_from_params(params)
    eps = _positive(params, "eps")
    level = _positive(params, "level")
    sigma = to_arb(law.sigma)
    ea, la = to_arb(eps), to_arb(level)
    k = to_arb(H1_K)
    res = large_score(law, eps, level, _subcells(eps, law.sigma) * 2)
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


def _c3_params():
    @st.composite
    def build(draw):
        law = draw(law_strategy())
        s = law["sigma"]
        law["eps"] = s * draw(st.sampled_from([0.0625, 0.125, 0.25]))
        law["level"] = draw(st.sampled_from([1, 1.25, 1.5, 2, 3, 5])) / s
        return law

    return build()


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
    domain="finite mixtures, sigma/16 <= eps <= sigma/4, 1 <= L sigma <= 64",
    constants=[Constant("C3", 1, "Markov with H.1 and H.5; H.2; H.8 (fourth moment)")],
    params=_c3_params,
    check=_check_c3,
    validate=_validate_c3,
    examples=[
        {**COMB, "eps": 0.25, "level": 1.0},
        {"sigma": 1.0, "atoms": [0.0], "weights": [1.0], "tau2": 0.0, "eps": 0.25, "level": 2.0},
    ],
    budget={"quick": 6, "standard": 60, "thorough": 300},
    depends_on=("H.1", "H.2", "H.5", "H.8"),
)


# ----------------------------------------------------------------------------------- C.4


def _validate_c4(params: dict[str, Any]) -> None:
    law = law_from_params(params)
    delta = _positive(params, "delta")
    if not Fraction(1, 8) <= delta * law.sigma**2 < 1:
        raise DomainError("C.4 is checked for 1/8 <= delta sigma^2 < 1 (pieces ~ delta^-3/2)")


def c4_parts(law: SmoothedAtoms, delta: Fraction, c4: Fraction) -> list[Part]:
    f, p = capped_approximation(law, delta)
    values = f.values_at_breakpoints()
    largest_value = max(abs(v) for v in values)
    largest_slope = max(abs(a) for a in f.slopes)
    largest_break = max(abs(t) for t in f.breakpoints)
    # One cell per grid interval is enough here (eps <= sigma/8 when delta sigma^2 <= 3/4...):
    # the error is orders of magnitude below delta, so enclosure width is not the issue.
    error = pwl_error(law, f, p.centre, p.eps, 1 if p.eps <= law.sigma / 8 else 2, p.cap)
    unit = to_arb(delta)
    note = f"pieces {f.pieces}, eps {p.eps}, L {p.cap}, T {p.half_width}"
    return [
        Part("pieces", Fraction(f.pieces), p.pieces_bound, note=note),
        Part("breakpoints", largest_break, p.breakpoint_bound),
        Part("slopes", largest_slope, p.slope_bound),
        Part("values", largest_value, p.cap),
        Part("end_slopes_zero", abs(f.slopes[0]) + abs(f.slopes[-1]), Fraction(0)),
        Part("error", error, to_arb(c4) * unit, "C4", unit),
    ]


def _check_c4(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    law = law_from_params(params)
    return c4_parts(law, _positive(params, "delta"), constants["C4"])


def c4_plots(lemma_id: str, constant: str):
    """Plot maker: the C.4 function against the score for the record with the largest
    error / delta, and error / delta against delta sigma^2 for every record."""

    def plots(records: list[dict[str, Any]], out_dir: Any) -> list[str]:
        plt = pyplot()

        found = []
        for record in records:
            for part in record.get("parts", []):
                if part.get("constant") == constant and part.get("empirical") is not None:
                    found.append((part["empirical"], record["params"]))
        if not found:
            return []
        worst_value, worst = max(found, key=lambda item: item[0])
        try:
            law = law_from_params(worst)
        except DomainError:
            return []
        f, _ = capped_approximation(law, Fraction(worst["delta"]))
        sd = math.sqrt(float(law.variance))
        xs = np.linspace(float(min(law.atoms)) - 6 * sd, float(max(law.atoms)) + 6 * sd, 2000)
        fx = np.interp(
            xs, [float(t) for t in f.breakpoints], [float(v) for v in f.values_at_breakpoints()]
        )
        fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.0))
        left.plot(xs, law.score_np(xs), label="score s", lw=1.2)
        left.plot(xs, fx, "--", label=f"C.4 function ({f.pieces} pieces)", lw=1.0)
        left.set_xlabel("x")
        left.set_title(f"worst error/delta = {worst_value:.3g}")
        left.legend(fontsize=8)
        shares = []
        for value, params in found:
            s = float(params.get("sigma", 1.0))
            shares.append((float(params["delta"]) * s * s, value))
        right.scatter(*zip(*shares, strict=True), alpha=0.7)
        right.set_yscale("log")
        right.set_xlabel("delta sigma^2")
        right.set_ylabel("E(f - s)^2 / delta")
        right.set_title(f"{lemma_id}: certified error relative to delta")
        fig.tight_layout()
        return [save(fig, out_dir, f"{lemma_id.replace('.', '_').lower()}_approximation.png")]

    return plots


def _c4_params():
    @st.composite
    def build(draw):
        law = draw(law_strategy())
        s = law["sigma"]
        law["delta"] = draw(st.sampled_from([0.125, 0.25, 0.5, 0.75, 0.9375])) / (s * s)
        return law

    return build()


C4 = Lemma(
    id="C.4",
    title="Capped, clipped piecewise-linear approximation of the smoothed score",
    statement=(
        r"\exists f:\ \text{pieces}\le 2T/\epsilon+4,\ |t_i|\le|\mu|+T+\epsilon,\ "
        r"|f'|\le 2L/\epsilon,\ |f|\le L,\ \mathbb E(f-s)^2\le C_4\delta;\ "
        r"\epsilon\le\min(\tfrac\sigma4,\sigma^2\sqrt{\delta/(8K)}),\ "
        r"L\ge\frac{4\sqrt6}{\sigma^2\sqrt\delta},\ T\ge\frac{16\sqrt{3m_2}}{\sigma^2\delta},"
        r"\ C_4=1"
    ),
    domain="finite mixtures, 1/8 <= delta sigma^2 < 1",
    constants=[Constant("C4", 1, "C.1 + H.1, C.3(c) (H.8), C.2 (Chebyshev), Minkowski")],
    params=_c4_params,
    check=_check_c4,
    validate=_validate_c4,
    plots=c4_plots("C.4", "C4"),
    examples=[
        {**COMB, "delta": 0.5},
        {"sigma": 1.0, "atoms": [-2.25, 2.25], "weights": [1.0, 3.0], "tau2": 0.0, "delta": 0.25},
    ],
    budget={"quick": 4, "standard": 40, "thorough": 200},
    depends_on=("C.1", "C.2", "C.3", "H.2"),
)


# ----------------------------------------------------------------------------------- C.5


def product_laws(params: dict[str, Any]) -> list[SmoothedAtoms]:
    coords = params.get("coords")
    if not isinstance(coords, list) or not 1 <= len(coords) <= 4:
        raise DomainError("a product law needs a list 'coords' of 1..4 coordinate laws")
    if not all(isinstance(c, dict) for c in coords):
        raise DomainError("each coordinate law is a dict with atoms, weights, tau2")
    return [law_from_params(c, params.get("sigma")) for c in coords]


def _joint_scores_arb(laws: list[SmoothedAtoms], x: list[Fraction]) -> list[arb]:
    """Score of the joint mixture over all atom tuples, without using the product form."""
    tuples = list(itertools.product(*[range(len(law.atoms)) for law in laws]))
    logits = []
    for idx in tuples:
        value = arb(0)
        for law, j, xi in zip(laws, idx, x, strict=True):
            a = to_arb(law.atoms[j])
            value += to_arb(law.weights[j]).log() - (to_arb(xi) - a) ** 2 / (
                2 * to_arb(law.variance)
            )
        logits.append(value)
    top = max(logits, key=lambda t: float(t.mid()))
    e = [(t - top).exp() for t in logits]
    total = sum(e, arb(0))
    scores = []
    for i, law in enumerate(laws):
        mean = sum(
            (ej * to_arb(law.atoms[idx[i]]) for ej, idx in zip(e, tuples, strict=True)), arb(0)
        )
        scores.append((mean / total - to_arb(x[i])) / to_arb(law.variance))
    return scores


def _joint_scores_np(laws: list[SmoothedAtoms], x: np.ndarray) -> np.ndarray:
    tuples = list(itertools.product(*[range(len(law.atoms)) for law in laws]))
    logits = np.zeros((x.shape[0], len(tuples)))
    means = np.zeros((len(tuples), len(laws)))
    for k, idx in enumerate(tuples):
        for i, (law, j) in enumerate(zip(laws, idx, strict=True)):
            a = float(law.atoms[j])
            logits[:, k] += math.log(float(law.weights[j])) - (x[:, i] - a) ** 2 / (
                2 * float(law.variance)
            )
            means[k, i] = a
    logits -= logits.max(axis=1, keepdims=True)
    r = np.exp(logits)
    r /= r.sum(axis=1, keepdims=True)
    v = np.array([float(law.variance) for law in laws])
    return (r @ means - x) / v


def _sample(laws: list[SmoothedAtoms], n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cols = []
    for law in laws:
        w = np.array([float(t) for t in law.weights])
        a = np.array([float(t) for t in law.atoms])
        j = rng.choice(len(a), size=n, p=w / w.sum())
        cols.append(a[j] + math.sqrt(float(law.variance)) * rng.standard_normal(n))
    return np.stack(cols, axis=1)


def _coarse_approximation(law: SmoothedAtoms):
    """s_hat_i for C.5: interpolation on mu + (sigma/2) Z of the score rounded to multiples of
    1/16, constant beyond the core. The rounding spreads the error over the bulk of the law,
    which keeps the Monte Carlo interval narrow (any coordinatewise s_hat obeys C.5)."""
    step = law.sigma / 2
    reach = law.spread + TAIL_SDS * Fraction(math.ceil(math.sqrt(float(law.variance))))
    steps = math.ceil(reach / step)
    # Offset by step/3 so that a Gaussian's linear score is not met exactly on the grid.
    anchor = law.mean + step / 3
    return grid_interpolant(law, anchor, step, steps, Fraction(10**6), 16), anchor, step


def _validate_c5(params: dict[str, Any]) -> None:
    laws = product_laws(params)
    _seed(params)
    if math.prod(len(law.atoms) for law in laws) > 64:
        raise DomainError("C.5 enumerates atom tuples: at most 64")


def _check_c5(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    laws = product_laws(params)
    seed = _seed(params)
    functions, errors = [], []
    for law in laws:
        f, anchor, step = _coarse_approximation(law)
        functions.append(f)
        bound = max(abs(v) for v in f.values_at_breakpoints())
        errors.append(pwl_error(law, f, anchor, step, 8, bound))
    total = sum(errors, arb(0))
    parts = []
    # (1) the joint score factorises, at a few random points
    rng = random.Random(seed)
    worst = Fraction(0)
    for _ in range(4):
        x = [
            law.atoms[rng.randrange(len(law.atoms))] + Fraction(rng.randint(-64, 64), 16)
            for law in laws
        ]
        joint = _joint_scores_arb(laws, x)
        for law, xi, sj in zip(laws, x, joint, strict=True):
            worst = max(worst, _gap(law.score(xi), sj))
    parts.append(Part("joint_score_is_coordinatewise", worst, Fraction(0)))
    # (2) Monte Carlo of E|s_hat - s_joint|^2 against the sum of certified 1-D errors
    x = _sample(laws, MC_SAMPLES, seed)
    joint = _joint_scores_np(laws, x)
    approx = np.stack(
        [
            np.interp(
                x[:, i],
                [float(t) for t in f.breakpoints],
                [float(v) for v in f.values_at_breakpoints()],
            )
            for i, f in enumerate(functions)
        ],
        axis=1,
    )
    sq = ((approx - joint) ** 2).sum(axis=1)
    mean, sd = float(sq.mean()), float(sq.std(ddof=1))
    half = MC_Z * sd / math.sqrt(len(sq))
    estimate = ball(Fraction(mean - half), Fraction(mean + half))
    hi, lo = to_arb(constants["C5_hi"]), to_arb(constants["C5_lo"])
    note = f"MC {mean:.4g} +- {half:.2g}, certified sum {total.str(5)}"
    return [
        *parts,
        Part("mc_below", estimate, hi * total, "C5_hi", total, "statistical", 0.999, note),
        Part("mc_above", lo * total, estimate, "C5_lo", total, "statistical", 0.999, note),
    ]


def _c5_params():
    @st.composite
    def build(draw):
        sigma = draw(st.sampled_from([0.5, 1.0, 2.0]))
        d = draw(st.integers(2, 3))
        coords = []
        for _ in range(d):
            law = draw(law_strategy(st.just(sigma)))
            keep = len(law["atoms"]) if d == 2 else min(len(law["atoms"]), 4)
            coords.append(
                {
                    "atoms": law["atoms"][:keep],
                    "weights": law["weights"][:keep],
                    "tau2": law["tau2"],
                }
            )
        share = draw(st.sampled_from([0.25, 0.5, 0.75]))
        return {
            "sigma": sigma,
            "coords": coords,
            "delta": share * d / sigma**2,
            "seed": draw(st.integers(0, 2**16)),
        }

    return build()


C5 = Lemma(
    id="C.5",
    title="For product laws the squared score error is the sum of the coordinates' errors",
    statement=(
        r"p=\otimes_i p_i,\ \hat s(x)_i=\hat s_i(x_i):\ \mathbb E|\hat s-s|^2="
        r"\sum_i\mathbb E(\hat s_i-s_i)^2;\ \text{checked as } C_{5,lo}\sum_i\le"
        r"\widehat{\mathbb E}|\hat s-s_{joint}|^2\le C_{5,hi}\sum_i"
    ),
    domain="products of 2-3 finite mixtures with one sigma, at most 64 atom tuples",
    constants=[
        Constant("C5_hi", Fraction(5, 4), "identity (1) plus Monte Carlo slack"),
        Constant("C5_lo", Fraction(4, 5), "identity (1) minus Monte Carlo slack", "lower"),
    ],
    params=_c5_params,
    check=_check_c5,
    validate=_validate_c5,
    examples=[
        {
            "sigma": 1.0,
            "coords": [
                {"atoms": [-2.25, 2.25], "weights": [1.0, 1.0], "tau2": 0.0},
                {"atoms": [0.0, 3.0, 5.0], "weights": [1.0, 2.0, 1.0], "tau2": 0.25},
            ],
            "seed": 1,
        }
    ],
    budget={"quick": 2, "standard": 20, "thorough": 100},
    depends_on=(),
)
