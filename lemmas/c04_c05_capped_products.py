r"""Lemmas C.4-C.5: the capped, clipped piecewise-linear score, and product laws.

Setting and inputs as in ``c01_interpolation`` (p a law on R,
:math:`p_\sigma = p * N(0,\sigma^2)`, s its score, :math:`\mu` the mean of p,
:math:`m_2 = \mathrm{Var}(p) + \sigma^2`; H.1 with K = 3, H.2, H.5, H.8; C.1-C.3).

C.4 [open], construction and explicit form. Let :math:`0 < \delta < 1/\sigma^2` (for :math:`\delta
\ge 1/\sigma^2` the zero function works by H.5) and :math:`a = \sqrt{\delta/2}`. Take a power of
two :math:`\epsilon \le \min(\sigma/4, \sigma^2 a/(2\sqrt K))`, a cap :math:`L \ge
4\sqrt3/(\sigma^2 a)`, a half-width :math:`T \ge 16\sqrt{3m_2}/(\sigma^2\delta)` (rationals; see
``verify.maths.score_approx.capped_parameters``), :math:`N = \lceil T/\epsilon\rceil`, nodes
:math:`x_i = \mu + i\epsilon`, :math:`|i| \le N`, node values :math:`w_i = \mathrm{clip}(s(x_i) \pm
\eta, -L, L)` (:math:`\eta \le 2^{-21}` rounding), f the linear interpolant, constant beyond
:math:`x_{\pm N}`. Then

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
:math:`2T/\epsilon = O(\sqrt{K m_2}/(\sigma^4\delta^{3/2}))`. Why no law comes near delta: the
derivation pays the first-order :math:`\epsilon^2 S^2`, linear interpolation errs at second order
(:math:`\epsilon^4 s''^2`), and :math:`\epsilon^2 \propto \sigma^4\delta`, so error/delta falls like
delta (two atoms: 2.2e-6 at delta sigma^2 = 1/8, 7e-8 at 1/64, 4.4e-9 at 1/1024 with weights
1:3; Chebyshev, Markov loose too). So the empirical constant stays far below C_4 = 1 at every
delta: the bound cannot be approached by this f, and a tightened C_4 is refuted only below the
measured error.

Small delta. The domain reaches delta sigma^2 = 1/1024 (< 1e-3). The formal count 2T/eps + 4 grows
like delta^{-3/2} (3.2e7 at 1/1024), but almost all nodes lie where s is certainly beyond the cap
(x >= max a + v (L + 1), since s = (E[a|x] - x)/v), or where f is collinear with its neighbours;
``score_approx.grid_interpolant`` skips the first and merges the second, building the same function
with the pieces that carry information (1226 for two atoms at 1/1024), and the error is certified
on the law's core only (cells of width eps; beyond, the tail bound).

C.5 [derived]. For a product law :math:`p = \otimes_i p_i` the smoothed law is the product of the
:math:`p_{i,\sigma}`, so :math:`\log p_\sigma` is a sum and :math:`s(x)_i = s_i(x_i)`; for
:math:`\hat s(x)_i = \hat s_i(x_i)`, Fubini gives :math:`E|\hat s - s|^2 = \sum_i E(\hat s_i -
s_i)^2`. Checked with two computations: (1) the joint score computed from the joint mixture over
all atom tuples (no use of the product structure) agrees with the coordinatewise scores at random
points (``Agreement``); (2) a Monte Carlo estimate of :math:`E|\hat s - s_{joint}|^2` over :math:`x
\sim p_\sigma` in d dimensions against the sum of the certified one-dimensional errors. (2) is
statistical on purpose: it is the computation that does not use the product structure, and a
certified d-dimensional integral would need cells^d enclosures. Its interval is distribution-free
at confidence 0.999 (n = 100000): on the box of the coordinates' cores, |s_hat - s|^2 <= b with b
certified (``product_scores.boxed_error``), so the empirical Bernstein bound (Maurer-Pontil) holds;
outside, a certified remainder is added to the upper end; samples beyond b are counted, never
clamped (any: no interval); ``redraw`` re-draws 4n. Parts :math:`C_{5,lo}\sum \le \widehat{E} \le
C_{5,hi}\sum`, :math:`C_{5,lo} = 4/5`, :math:`C_{5,hi} = 5/4`. :math:`\hat s_i` interpolates the
score rounded to multiples of 1/16 on :math:`\mu_i + (\sigma/2)\mathbb Z` (an error spread over the
bulk of the law; C.4's errors are too small and too rare for Monte Carlo).

How each side is certified (``verify.maths.score_approx``): cells of width at most sigma/16 over a
core reaching 9 standard deviations past the extreme atoms; cell masses from erfc; the score on
a cell from the monotone posterior mean; errors of linear functions by a second-order Taylor
model on each cell (:math:`\alpha + \beta t + \gamma(t)`, :math:`|\gamma''| \le \sup|s''|`,
third posterior cumulant); window suprema by sliding maxima; tails by Gaussian tail moments
with :math:`|s(x)| \le |x - a_{far}|/v` and :math:`|s'| \le \max(1/v, D^2/(4v^2) - 1/v)`.
"""

from __future__ import annotations

import math
import random
from fractions import Fraction
from functools import cache
from typing import Any

from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Agreement, Constant, Lemma, Part
from verify.core.domain import POSITIVE_REAL, Constraint, Domain, Integer
from verify.core.numbers import ball, to_arb
from verify.maths.laws import least_agreeing
from verify.maths.product_scores import (
    boxed_error,
    boxed_squared_errors,
    coarse_approximation,
    empirical_bernstein_interval,
    joint_scores_arb,
    sample_product,
)
from verify.maths.score_approx import (
    H1_COMB,
    CoordinateLaws,
    capped_approximation,
    delta_sigma2_in_range,
    law_domain,
    law_from_params,
    law_params_with,
    law_specs,
    law_strategy,
    product_laws,
    pwl_error,
    smoothed,
)
from verify.maths.score_plots import capped_approximation_plots

MC_SAMPLES = 100_000
MC_CONFIDENCE = 0.999
POSITIVE = POSITIVE_REAL


# ----------------------------------------------------------------------------------- C.4

# delta sigma^2 down to 1/1024 (< 1e-3, the paper's regime): the construction drops the nodes
# certainly at the cap and merges collinear pieces (``score_approx.grid_interpolant``), so its
# cost follows the pieces that carry information, not the 2T/eps ~ delta^-3/2 formal count.
C4_DOMAIN = law_domain(
    Constraint(
        "1/1024 <= delta sigma^2 < 1 (formal pieces ~ delta^-3/2)",
        delta_sigma2_in_range,
    ),
    delta=POSITIVE,
)


def _check_c4(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    (law, sigma), delta = law_from_params(params), Fraction(params["delta"])
    f, p = capped_approximation(law, sigma, delta)
    values = f.values_at_breakpoints()
    # One cell per grid interval is enough here (eps <= sigma/8 when delta sigma^2 <= 3/4...):
    # the error is orders of magnitude below delta, so enclosure width is not the issue.
    error = pwl_error(law, sigma, f, p.centre, p.eps, 1 if p.eps <= sigma / 8 else 2, p.cap)
    unit = to_arb(delta)
    note = f"pieces {f.pieces}, eps {p.eps}, L {p.cap}, T {p.half_width}"
    data = {"pieces": f.pieces, "eps": str(p.eps), "cap": str(p.cap), "T": str(p.half_width)}
    return [
        Part("pieces", Fraction(f.pieces), p.pieces_bound, note=note, data=data),
        Part("breakpoints", max(abs(t) for t in f.breakpoints), p.breakpoint_bound),
        Part("slopes", max(abs(a) for a in f.slopes), p.slope_bound),
        Part("values", max(abs(v) for v in values), p.cap),
        Part("end_slopes_zero", abs(f.slopes[0]) + abs(f.slopes[-1]), Fraction(0)),
        Part("error", error, to_arb(constants["C4"]) * unit, "C4", unit),
    ]


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
    domain=C4_DOMAIN,
    constants=[Constant("C4", 1, "C.1 + H.1.conj (K = 3), C.3(c), C.2 (Chebyshev), Minkowski")],
    params=law_params_with(
        lambda draw, s: {"delta": draw(st.sampled_from([0.125, 0.25, 0.5, 0.75, 0.9375])) / (s * s)}
    ),
    check=_check_c4,
    plots=capped_approximation_plots("C.4", "C4"),
    examples=[
        {**H1_COMB, "delta": 0.5},
        {"sigma": 1.0, "means": [-2.25, 2.25], "weights": [1.0, 3.0], "delta": 0.25},
        # the paper's regime, delta sigma^2 = 1/1024 < 1e-3 (pieces bound 3.2e7; f has 1226)
        {"sigma": 1.0, "means": [-2.25, 2.25], "weights": [1.0, 3.0], "delta": 1 / 1024},
    ],
    budget={"quick": 4, "standard": 40, "thorough": 200},
    depends_on=("C.1", "C.2", "C.3", "H.2", "H.1.conj"),
)


# ----------------------------------------------------------------------------------- C.5

C5_DOMAIN = Domain(
    Constraint(
        "at most 64 atom tuples (C.5 enumerates them)",
        lambda p: math.prod(len(c["means"]) for c in p["coords"]) <= 64,
    ),
    optional=("delta", "seed"),
    sigma=law_specs()["sigma"],
    coords=CoordinateLaws(),
    delta=POSITIVE,
    seed=Integer(0, 2**64, doc="seeds the points and the Monte Carlo sample"),
)


def _check_c5(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    laws, sigma = product_laws(params)
    seed = params.get("seed", 0)
    functions, errors, anchors, steps = [], [], [], []
    for law in laws:
        f, anchor, step = coarse_approximation(law, sigma)
        functions.append(f)
        anchors.append(anchor)
        steps.append(step)
        bound = max(abs(v) for v in f.values_at_breakpoints())
        errors.append(pwl_error(law, sigma, f, anchor, step, 8, bound))
    total = sum(errors, arb(0))
    # (1) the joint score factorises, at a few random points
    rng = random.Random(seed)
    pairs = []
    for _ in range(4):
        x = [
            law.means[rng.randrange(len(law.means))] + Fraction(rng.randint(-64, 64), 16)
            for law in laws
        ]
        joint = joint_scores_arb(laws, sigma, x)
        for law, xi, sj in zip(laws, x, joint, strict=True):
            pairs.append((smoothed(law, sigma).score(xi), sj))
    # (2) Monte Carlo of E|s_hat - s_joint|^2 against the sum of certified 1-D errors
    box = boxed_error(laws, sigma, functions, anchors, steps, errors)
    hi, lo = to_arb(constants["C5_hi"]), to_arb(constants["C5_lo"])

    @cache  # both parts and the runner's redraws at other levels read the same samples
    def squared_errors(count: int, seed: int) -> Any:
        x = sample_product(laws, sigma, count, seed)
        return boxed_squared_errors(laws, sigma, functions, x, box)

    def estimate(alpha: float, fresh: bool) -> tuple[arb, dict[str, Any]]:
        count = MC_SAMPLES * (4 if fresh else 1)
        sq = squared_errors(count, seed + fresh)
        beyond = int((sq > float(box.bound)).sum())
        info = {"samples": count, "mc_mean": float(sq.mean()), "beyond_bound": beyond}
        if beyond:  # the almost-sure bound is contradicted: no valid interval
            return arb(0, math.inf), info
        low, high = empirical_bernstein_interval(sq, float(box.bound), alpha)
        return ball(max(low, Fraction(0)), to_arb(high) + box.outside), info

    found, info = estimate(1 - MC_CONFIDENCE, False)
    note = f"MC {info['mc_mean']:.4g} in {found.str(4)} (empirical Bernstein), sum {total.str(5)}"
    data = {**info, "as_bound": box.bound.str(5), "certified_sum": total.str(5)}
    mc = {"kind": "statistical", "confidence": MC_CONFIDENCE, "note": note, "data": data}

    def redraw_below(alpha: float, fresh: bool) -> tuple[arb, arb]:
        return estimate(alpha, fresh)[0], hi * total

    def redraw_above(alpha: float, fresh: bool) -> tuple[arb, arb]:
        return lo * total, estimate(alpha, fresh)[0]

    return [
        Agreement(
            "joint_score_is_coordinatewise",
            *least_agreeing(pairs),
            note=f"{len(pairs)} coordinate scores vs the joint score; the weakest pair",
        ),
        Part("mc_below", found, hi * total, "C5_hi", total, redraw=redraw_below, **mc),
        Part("mc_above", lo * total, found, "C5_lo", total, redraw=redraw_above, **mc),
    ]


@st.composite
def _c5_params(draw) -> dict[str, Any]:
    sigma = draw(st.sampled_from([0.5, 1.0, 2.0]))
    d = draw(st.integers(2, 3))
    coords = []
    for _ in range(d):
        law = draw(law_strategy(st.just(sigma)))
        keep = len(law["means"]) if d == 2 else min(len(law["means"]), 4)
        coords.append({k: law[k][:keep] for k in ("means", "weights", "stds")})
    share = draw(st.sampled_from([0.25, 0.5, 0.75]))
    return {
        "sigma": sigma,
        "coords": coords,
        "delta": share * d / sigma**2,
        "seed": draw(st.integers(0, 2**16)),
    }


C5 = Lemma(
    id="C.5",
    title="For product laws the squared score error is the sum of the coordinates' errors",
    statement=(
        r"p=\otimes_i p_i,\ \hat s(x)_i=\hat s_i(x_i):\ \mathbb E|\hat s-s|^2="
        r"\sum_i\mathbb E(\hat s_i-s_i)^2;\ \text{checked as } C_{5,lo}\sum_i\le"
        r"\widehat{\mathbb E}|\hat s-s_{joint}|^2\le C_{5,hi}\sum_i"
    ),
    domain=C5_DOMAIN,
    constants=[
        Constant("C5_hi", Fraction(5, 4), "identity (1) plus Monte Carlo slack"),
        Constant("C5_lo", Fraction(4, 5), "identity (1) minus Monte Carlo slack", "lower"),
    ],
    params=_c5_params,
    check=_check_c5,
    examples=[
        {
            "sigma": 1.0,
            "coords": [
                {"means": [-2.25, 2.25], "weights": [1.0, 1.0]},
                {"means": [0.0, 3.0, 5.0], "weights": [1.0, 2.0, 1.0], "stds": [0.5] * 3},
            ],
            "seed": 1,
        }
    ],
    budget={"quick": 2, "standard": 20, "thorough": 100},
    depends_on=(),
)
