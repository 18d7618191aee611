r"""Lemmas C.19 and C.20: a ReLU network for the hypercube Gaussian mixture's score, and its error
against the smoothed instance's true score at large sigma.

C.19 [open; explicit form stated here]. Let :math:`v=1+\sigma^2` and
:math:`h = 2^{-d}\sum_s N((Rs,0),vI)` on :math:`\mathbb R^{d+d'}`, a product law whose score is
:math:`s_h(x,y)_i = (-x_i+R\tanh(Rx_i/v))/v`, :math:`s_h(x,y)_{d+j}=-y_j/v`. For
:math:`\delta>0` put :math:`\eta=\delta/\sqrt d`, :math:`r = R/v`,
:math:`u_L=\max(0,\tfrac12\log(4r/\eta))`, h the largest power of two with
:math:`h\le\sqrt{2\eta/(0.77\,r^3)}` and :math:`L = h\lceil 2u_L/(rh)\rceil/2`. The network
N applies to each vertex coordinate the C.9 network of the continuous piecewise-linear
interpolant of :math:`s_h` at the nodes :math:`-L, -L+h, \dots, L` (node values rounded to
float64, then exact), continued with slope :math:`-1/v`, and to each comb coordinate the exact
network of :math:`t\mapsto -t/v`; the blocks run in parallel (C.10). Then

.. math:: \sup_{(x,y)}|N(x,y)-s_h(x,y)| \le K_{19}\,\delta,\qquad
   \text{pieces } k \le P_{19}\big(3 + \sqrt{r/\eta}\,\log^+(4r/\eta)\big),

at most :math:`d(3k+1)+4d'` nonzero parameters, depth 2, every parameter at most
:math:`W_{19}=\max(1,\ L^*,\ 1/v + r^2,\ 2r^2,\ (L^*+R)/v)`, :math:`L^* = u_L/r + h`, with
:math:`K_{19}=1`, :math:`P_{19}=2`. Hence :math:`\mathbb E_{h}|N-s_h|^2\le\delta^2`, and under
any law. Derivation: :math:`N-s_h` is :math:`r(T-\tanh(r\,\cdot))` per vertex coordinate, T the
network's interpolant of :math:`\tanh(rt)`; on a cell :math:`|T-\tanh|\le h^2r^2\max|\tanh''|/8
+` node rounding (:math:`\max|\tanh''| = 4/(3\sqrt3) < 0.77`), beyond the nodes
:math:`|T-\tanh|\le` node rounding :math:`+ 1-\tanh(rL) \le 2e^{-2rL}`; the grid makes both at
most :math:`\eta/(2r)` up to rounding. The pieces: :math:`2L/h+2` with :math:`h` at least half
its bound. (C.12's generic route, ``verify.maths.nets.score_networks``, gives an L2 bound; this
direct
construction gives a uniform one, which C.20 needs under :math:`g_\sigma`.)

C.20 [open]. With N the C.19 network for :math:`\delta`, :math:`g_\sigma` the smoothed
instance (any f) and :math:`E_{18}` the C.18 bound, at every point

.. math:: |N(x,y) - \nabla\log g_\sigma(x,y)| \le K_{20}\,\big(\sqrt d\,\eta^* + E_{18}\big),
   \qquad K_{20}=1,

:math:`\eta^*` the certified per-coordinate sup error of C.19 (:math:`\le\eta`); so
:math:`\mathbb E_{g_\sigma}|N-\nabla\log g_\sigma|^2\le(\delta+E_{18})^2`, and with C.18's
threshold (:math:`\tau\ge\epsilon\sqrt{\log((1+2Rd'+4\pi\sqrt{d'}/\epsilon)/\delta)}/4`) at most
:math:`4\delta^2`: a network with :math:`O(d\sqrt{R/(v\delta)}\log(R/\delta))` parameters.
Derivation: triangle inequality with C.19 and C.18.

Check. C.19: the vertex network equals its piecewise-linear function (exact, at every
breakpoint and one point beyond each end), the full network is exactly the block concatenation,
the parameter count, pieces and largest weight against the formulas, and the sup error enclosed
between its value at the cell midpoints and at infinity (a lower bound) and the certified cell
bound (upper). C.20: at a point, the exact network output (rationals) against the true score
in arb (``exact_deviation``, all 2^d seeds); STATISTICAL, the paper's form
:math:`\mathbb E_{g_\sigma}|N-\nabla\log g_\sigma|^2\le K_{20}^2(\delta+E_{18})^2` (delta =
``net_delta``) from 200 float64 samples of :math:`g_\sigma`: Hoeffding's interval (0.999,
distribution-free) on the range [0, certified pointwise bound squared], re-drawn 4x from a fresh
seed before a refutation; a sample past that bound is counted and refutes.

Domain: C.19: R in (0, 10], sigma in (0, 4], d, d' in [1, 8], delta in [1e-4, 1].
C.20: as C.17/C.18 (eps in (0, 1), tau/eps >= 1/4) with delta the network's accuracy.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Domain, Integer, Real
from verify.core.numbers import ball, to_arb, upper
from verify.maths.instance import FRESH_SAMPLES_FACTOR, Instance, fresh_seed
from verify.maths.large_sigma import (
    TANH_CURVATURE,
    TableMap,
    exact_deviation,
    hoeffding_interval,
    mixture_score_network,
    norm_enclosure,
    score_deviation_bound,
    squared_score_errors,
    vertex_sup_error,
)
from verify.maths.large_sigma_points import (
    EXAMPLES,
    OPTIONAL,
    codewords,
    point,
    point_constraints,
    point_specs,
    point_strategy,
)
from verify.maths.mixture import vertex_mixture_score_arb
from verify.maths.nets.score_networks import is_block_concatenation, network_equals_function

STATISTICAL_SAMPLES = 200
STATISTICAL_ALPHA = 1e-3


C19_DOMAIN = Domain(
    d=Integer(1, 8, search=(1, 4)),
    d_out=Integer(1, 8, search=(1, 4)),
    R=Real(0, 10, lo_open=True, search=(0.1, 6.0), log=True),
    sigma=Real(0, 4, lo_open=True, search=(0.05, 4.0), log=True),
    delta=Real(1e-4, 1, search=(2e-3, 1.0), log=True),
)


@st.composite
def _params_c19(draw) -> dict[str, Any]:
    return {name: draw(C19_DOMAIN[name].strategy()) for name in C19_DOMAIN.names()}


def _formulas(R: Fraction, v: Fraction, d: int, delta: Fraction) -> tuple[arb, arb, arb]:
    """(pieces unit 3 + sqrt(r/eta) log+(4r/eta), L* = u_L/r + h_max, W19) enclosed."""
    r = to_arb(R) / to_arb(v)
    eta = to_arb(delta) / arb(d).sqrt()
    ratio = 4 * r / eta
    log_plus = ratio.log() if ratio > 1 else arb(0)
    pieces_unit = 3 + (r / eta).sqrt() * log_plus
    h_max = (2 * eta / (arb(TANH_CURVATURE) * r * r * r)).sqrt()
    L_star = log_plus / 2 / r + h_max
    vv = to_arb(v)
    candidates = [arb(1), L_star, 1 / vv + r * r, 2 * r * r, (L_star + to_arb(R)) / vv]
    W = candidates[0]
    for c in candidates[1:]:
        W = W.max(c)
    return pieces_unit, L_star, W


def _check_c19(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    d, d_out = params["d"], params["d_out"]
    R, sigma, delta = Fraction(params["R"]), Fraction(params["sigma"]), Fraction(params["delta"])
    network = mixture_score_network(R, sigma, d, d_out, delta)
    low, high = vertex_sup_error(network)
    root_d = arb(d).sqrt()
    sup_error = ball(root_d * low, root_d * high)
    k19 = to_arb(constants["K19"])
    parts = [
        Part(
            "sup_error",
            sup_error,
            k19 * to_arb(delta),
            "K19",
            to_arb(delta),
            note=f"{network.pieces} pieces, h = {network.step}, L = {network.half_width}",
        )
    ]
    # the comb network -t/v has its only kink at 0: agreement at -1, 0, 1 is equality
    comb_exact = all(network.comb_net([t])[0] == network.comb(t) for t in (-1, 0, 1))
    exact = comb_exact and network_equals_function(network.vertex_net, network.vertex)
    parts.append(Part("network_equals_interpolant", Fraction(0 if exact else 1), Fraction(0)))
    full = network.full_net()
    blocks = [network.vertex_net] * d + [network.comb_net] * d_out
    parts.append(
        Part(
            "block_concatenation",
            Fraction(0 if is_block_concatenation(full, blocks) else 1),
            Fraction(0),
        )
    )
    parts.append(
        Part(
            "parameter_count",
            Fraction(full.parameter_count()),
            Fraction(d * (3 * network.pieces + 1) + 4 * d_out),
        )
    )
    pieces_unit, _, weight_bound = _formulas(R, network.v, d, delta)
    p19 = to_arb(constants["P19"])
    parts.append(Part("pieces", Fraction(network.pieces), p19 * pieces_unit, "P19", pieces_unit))
    parts.append(Part("largest_parameter", full.max_abs_parameter(), weight_bound))
    return parts


# --- C.20 -----------------------------------------------------------------------------------------


C20_DOMAIN = Domain(
    *point_constraints(),
    optional=OPTIONAL,
    **dict(
        point_specs(),
        eps=Real(0, 1, lo_open=True, hi_open=True, doc="the instance's comb period"),
        net_delta=Real(1e-4, 1, search=(2e-3, 1.0), log=True),
    ),
)


@st.composite
def _params_c20(draw) -> dict[str, Any]:
    params = draw(point_strategy())
    params["eps"] = min(params["eps"], 0.99)
    params["R"] = min(params["R"], 6.0)
    params["net_delta"] = draw(C20_DOMAIN["net_delta"].strategy())
    return params


def _check_c20(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    d, d_out = params["d"], params["d_out"]
    R, sigma, eps = params["R"], params["sigma"], params["eps"]
    words = codewords(params)
    network = mixture_score_network(
        Fraction(R), Fraction(sigma), d, d_out, Fraction(params["net_delta"])
    )
    _, high = vertex_sup_error(network)
    E18 = score_deviation_bound(d_out, R, sigma, eps)
    unit = arb(d).sqrt() * high + E18
    k20 = to_arb(constants["K20"])
    x, y = point(params)
    gap = exact_deviation(x, y, words, R, sigma, eps).score_gap
    s_h = vertex_mixture_score_arb(x, y, R, sigma)
    output = network.evaluate_exact([Fraction(t) for t in x + y])
    error = norm_enclosure([to_arb(n) - a - b for n, a, b in zip(output, s_h, gap, strict=True)])
    parts = [Part("score_error", error, k20 * unit, "K20", unit)]

    # mean squared error under g_sigma, sampled (float64 enumeration of the true score)
    instance = Instance(TableMap(d, d_out, tuple(words)), R, eps)
    seed = int(params.get("f_seed", 0))
    squared = squared_score_errors(instance, network, STATISTICAL_SAMPLES, seed, sigma)
    bound = float(upper(unit * unit)) * (1 + 1e-9) + 1e-24  # float64 noise of the two scores
    beyond = int((squared > bound).sum())
    requested = (k20 * (to_arb(params["net_delta"]) + E18)) ** 2

    def interval(values: np.ndarray, level: float) -> arb:
        # Hoeffding needs values in [0, bound]; past it the count part refutes, never a clip.
        if (values > bound).any():
            return arb(0, math.inf)
        return ball(*hoeffding_interval(values, bound, level))

    def redraw(level: float, fresh: bool) -> tuple[arb, arb]:
        if not fresh:
            return interval(squared, level), requested
        n = FRESH_SAMPLES_FACTOR * STATISTICAL_SAMPLES
        again = squared_score_errors(instance, network, n, fresh_seed(seed), sigma)
        return interval(again, level), requested

    parts.append(
        Part(
            "mean_square_error_under_g_sigma",
            interval(squared, STATISTICAL_ALPHA),
            requested,
            kind="statistical",
            confidence=1 - STATISTICAL_ALPHA,
            note=f"{STATISTICAL_SAMPLES} samples, largest {float(squared.max()):.3g}",
            data={"samples": STATISTICAL_SAMPLES, "largest": float(squared.max())},
            redraw=redraw,
        )
    )
    parts.append(
        Part(
            "samples_within_pointwise_bound",
            *(Fraction(beyond), Fraction(0)),
            data={"beyond": beyond, "largest_over_bound": float(squared.max()) / bound},
        )
    )
    return parts


_C19_EXAMPLES = [
    {"d": 2, "d_out": 2, "R": 3.0, "sigma": 0.5, "delta": 0.01},
    {"d": 1, "d_out": 1, "R": 6.0, "sigma": 0.1, "delta": 0.002},
    {"d": 4, "d_out": 3, "R": 1.0, "sigma": 1.0, "delta": 0.1},
]
_C20_EXAMPLES = [dict(ex, eps=min(ex["eps"], 0.99), net_delta=0.01) for ex in EXAMPLES]

C19 = Lemma(
    id="C.19",
    title="ReLU network for the score of the Gaussian mixture on the scaled hypercube",
    statement=(
        r"\sup|N - s_h| \le K_{19}\delta,\ k \le P_{19}(3+\sqrt{r/\eta}\log^+(4r/\eta)),\ "
        r"\#\mathrm{par} \le d(3k+1)+4d',\ |\mathrm{par}|\le W_{19},\ r=R/v,\ \eta=\delta/\sqrt d,"
        r"\ h=2^{-d}\sum_s N((Rs,0),(1+\sigma^2)I)"
    ),
    domain=C19_DOMAIN,
    constants=[
        Constant("K19", 1, "grid sized so that interpolation and saturation each cost eta/2"),
        Constant("P19", 2, "2L/h + 2 pieces, h at least half its bound"),
    ],
    params=_params_c19,
    check=_check_c19,
    examples=_C19_EXAMPLES,
    budget={"quick": 8, "standard": 80, "thorough": 400},
    depends_on=("C.12",),
)

C20 = Lemma(
    id="C.20",
    title="Large sigma: the mixture network approximates the instance's smoothed score",
    statement=(
        r"|N - \nabla\log g_\sigma| \le K_{20}(\sqrt d\,\eta^* + E_{18})\ \text{everywhere};\ "
        r"\mathbb E_{g_\sigma}|N-\nabla\log g_\sigma|^2 \le K_{20}^2(\delta+E_{18})^2"
    ),
    domain=C20_DOMAIN,
    constants=[Constant("K20", 1, "triangle inequality: C.19's sup error plus C.18's E18")],
    params=_params_c20,
    check=_check_c20,
    examples=_C20_EXAMPLES,
    budget={"quick": 6, "standard": 60, "thorough": 300},
    depends_on=("C.18", "C.19"),
)
