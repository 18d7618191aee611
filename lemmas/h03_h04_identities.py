r"""Lemma H.3 (shift identity, GLPV22 Lemma A.1) and Corollary H.4 (Tweedie's second-order
identity): two independent computations of the same quantity must agree.

Setting: Y ~ p on R, Z ~ N(0, sigma^2) independent, X = Y + Z, s = s_sigma the score of p_sigma.

H.3 [derived]. For all x, c: the law of Z given X = x + c is the law of Z' + c where Z' follows
the law of Z given X = x reweighted by exp(-(2 c Z' + c^2) / (2 sigma^2)). (Substitute
z = z' + c in p(x + c - z) phi_sigma(z).) Checked for atomic laws, where both sides are finite
distributions: left, the posterior weights r_i(x + c) of the atoms a_i (Z = x + c - a_i);
right, r_i(x) exp(-(2 c (x - a_i) + c^2) / 2 sigma^2) renormalised (Z' = x - a_i). Parts: every
atom's weight, the conditional mean and the conditional variance of Z.

H.4 [derived]. s(x) = (E[Y | x] - x) / sigma^2 and s'(x) = Var(Y | x) / sigma^4 - 1/sigma^2.
Checked on finite Gaussian mixtures (atoms allowed) against direct differentiation,
s = p'/p and s' = p''/p - (p'/p)^2 with p, p', p'' summed over the components
(``verify.maths.laws``: the Tweedie side uses the component posteriors N(mu_i(x), tau_i^2), the
direct side the derivatives of the component densities), and on discretized Gaussians (the
lattice posterior's moments) against the Jacobi-theta closed form of the smoothed comb
(``verify.maths.comb``: p'/p from the closed form of psi and psi').

Form of the parts: ``Agreement`` parts carrying both enclosures; certified only when both are
finite, each narrower than 2^-20 of its magnitude, and they overlap; refuted when they provably
differ (H.3's weights: one part on the atom whose pair agrees least, ``least_agreeing``).
No constant: the refutation tests feed
known-false variants (``variant="wrong_sign"``: the tilt exp(+(2cZ + c^2)/2 sigma^2) for H.3,
Var/sigma^4 + 1/sigma^2 for H.4), which must be REFUTED.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from functools import partial
from typing import Any

from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Agreement, Lemma, Part
from verify.core.domain import Choice, Constraint, Domain, Real
from verify.core.numbers import nonnegative_part, to_arb
from verify.maths.comb import smoothed_comb_closed_form, smoothed_comb_derivative
from verify.maths.laws import (
    AtomicLaw,
    DiscretizedGaussian,
    as_floats,
    least_agreeing,
    mixture_constraints,
    mixture_from_params,
    mixture_params_strategy,
    mixture_specs,
)


def _square(x: arb) -> arb:
    return nonnegative_part(x * x)


# ------------------------------------------------------------------------------------- H.3


LINE = Real(-math.inf, math.inf, lo_open=True, hi_open=True)


def _within(name: str, scale: Callable[[float], float]) -> Callable[[dict[str, Any]], bool]:
    """|params[name]| <= 1e6 scale(sigma)."""
    return lambda p: abs(as_floats([p[name]])[0]) <= 1e6 * scale(as_floats([p["sigma"]])[0])


H3_DOMAIN = Domain(
    *mixture_constraints(allow_point_mass=True),
    Constraint(
        "atomic laws (all stds 0)", lambda p: all(t == 0 for t in as_floats(p.get("stds", [0])))
    ),
    Constraint("|x| <= 1e6 sigma", _within("x", lambda sigma: sigma)),
    Constraint("|c| <= 1e6 sigma", _within("c", lambda sigma: sigma)),
    optional=("stds",),
    **mixture_specs(),
    x=LINE,
    c=LINE,
)


@st.composite
def _h3_params(draw) -> dict[str, Any]:
    params = draw(mixture_params_strategy(allow_point_mass=True))
    params["stds"] = [0.0] * len(params["means"])
    sigma = params["sigma"]
    centre = sum(params["means"]) / len(params["means"])
    params["x"] = centre + draw(st.floats(-4.0, 4.0)) * sigma
    params["c"] = draw(st.floats(-2.0, 2.0)) * sigma
    return params


def _check_h3(
    params: dict[str, Any], constants: dict[str, Fraction], *, variant: str = "paper"
) -> list[Part]:
    law, sigma = mixture_from_params(params, lemma="H.3", allow_point_mass=True)
    law = AtomicLaw(law.means, law.weights)
    s, x, c = to_arb(sigma), to_arb(params["x"]), to_arb(params["c"])
    s2 = s * s
    direct = law._point_posterior(x + c, s).weights
    before = law._point_posterior(x, s).weights
    sign = -1 if variant == "paper" else 1
    zs = [x - to_arb(a) for a in law.atoms]  # Z' values given X = x
    # Reweighting exp(-(2 c z + c^2) / 2 sigma^2), shifted by its value at the first atom
    # (a common factor) to keep the exponents small.
    exponents = [sign * (2 * c * z + c * c) / (2 * s2) for z in zs]
    top = arb(max((e.mid() for e in exponents), key=float))
    raw = [r * (e - top).exp() for r, e in zip(before, exponents, strict=True)]
    total = sum(raw[1:], raw[0])
    tilted = [w / total for w in raw]
    weight_pair = least_agreeing(list(zip(direct, tilted, strict=True)))
    # Conditional mean and variance of Z given X = x + c: direct vs tilted-and-shifted.
    z_direct = [x + c - to_arb(a) for a in law.atoms]
    mean_direct = sum((r * z for r, z in zip(direct, z_direct, strict=True)), arb(0))
    mean_tilted = c + sum((w * z for w, z in zip(tilted, zs, strict=True)), arb(0))
    var_direct = sum(
        (r * _square(z - mean_direct) for r, z in zip(direct, z_direct, strict=True)), arb(0)
    )
    var_tilted = sum(
        (w * _square(z + c - mean_tilted) for w, z in zip(tilted, zs, strict=True)), arb(0)
    )
    note = f"E[Z|x+c]: direct {mean_direct.str(10)}, tilted {mean_tilted.str(10)}"
    parts = [
        Agreement("posterior_weights", *weight_pair, note=f"{len(law.atoms)} atoms, weakest"),
        Agreement("conditional_mean", mean_direct, mean_tilted, note=note),
    ]
    if len(set(law.atoms)) > 1:
        # A point mass (one atom, or several at one place) has conditional variance exactly 0
        # on both sides: two balls around 0 carry no relative information, so there is nothing
        # to cross-check.
        parts.append(Agreement("conditional_variance", var_direct, var_tilted))
    return parts


H3 = Lemma(
    id="H.3",
    title="Shift identity: Z | X = x + c is Z | X = x tilted by exp(-(2cZ + c^2)/2 sigma^2), + c",
    statement=(
        r"\mathcal{L}(Z\mid X=x+c) = \mathcal{L}(Z'+c),\quad "
        r"\frac{d\mathcal{L}(Z')}{d\mathcal{L}(Z\mid X=x)}(z)\propto "
        r"e^{-(2cz+c^2)/(2\sigma^2)}"
    ),
    domain=H3_DOMAIN,
    constants=[],
    params=_h3_params,
    check=_check_h3,
    examples=[
        {"sigma": 1.0, "means": [-2.4, 2.4], "weights": [1.0, 1.0], "x": 0.3, "c": 0.5},
        {"sigma": 0.5, "means": [0.0, 0.25, 3.0], "weights": [1, 2, 1], "x": 1.0, "c": -1.0},
        {"sigma": 1.0, "means": [0.0], "weights": [1.0], "x": 7.0, "c": 2.0},
    ],
    budget={"quick": 10, "standard": 100, "thorough": 500},
    depends_on=(),
)

# ------------------------------------------------------------------------------------- H.4


# The discretized Gaussian's own bounds (its sigma is drawn from [0.01, 3]).
PERIOD = Real(0, 4, lo_open=True, search=(0.05, 2.0), log=True, doc="the comb's period")
DISCRETIZED_SIGMA = Real(1e-3, 100, search=(0.01, 3.0), log=True)


def _discretized(p: dict[str, Any]) -> bool:
    return p.get("law") == "discretized"


def _discretized_holds(p: dict[str, Any]) -> bool:
    sigma, period, phase = as_floats([p["sigma"], p["period"], p["phase"]])
    return DISCRETIZED_SIGMA.contains(sigma) and PERIOD.contains(period) and 0 <= phase < period


H4_DOMAIN = Domain(
    Constraint(
        "law = mixture (default): means and weights given; law = discretized: period, phase",
        lambda p: all(k in p for k in (("period", "phase") if _discretized(p) else ("means",))),
    ),
    *(
        Constraint(f"law = mixture: {c.text}", lambda p, c=c: _discretized(p) or c.holds(p))
        for c in mixture_constraints(allow_point_mass=True)
    ),
    Constraint(
        f"law = discretized: period in {PERIOD.interval()}, 0 <= phase < period, "
        f"sigma in {DISCRETIZED_SIGMA.interval()}",
        lambda p: not _discretized(p) or _discretized_holds(p),
    ),
    Constraint("|x| <= 1e6 max(sigma, 1)", _within("x", lambda sigma: max(sigma, 1.0))),
    optional=("law", "means", "stds", "weights", "period", "phase"),
    law=Choice(("mixture", "discretized")),
    **mixture_specs(),
    period=PERIOD,
    phase=Real(0, 4, hi_open=True, doc="in [0, period)"),
    x=LINE,
)


def _h4_law(params: dict[str, Any]):
    if _discretized(params):
        sigma, period, phase = as_floats([params["sigma"], params["period"], params["phase"]])
        return DiscretizedGaussian(period, phase), sigma
    return mixture_from_params(params, lemma="H.4", allow_point_mass=True)


@st.composite
def _h4_params(draw) -> dict[str, Any]:
    if draw(st.integers(0, 3)) == 0:
        period = draw(PERIOD.strategy())
        sigma = draw(DISCRETIZED_SIGMA.strategy())
        return {
            "law": "discretized",
            "period": period,
            "phase": draw(st.floats(0.0, 0.999)) * period,
            "sigma": sigma,
            "x": draw(st.floats(-4.0, 4.0)),
        }
    params = draw(mixture_params_strategy(allow_point_mass=True))
    params["law"] = "mixture"
    centre = sum(params["means"]) / len(params["means"])
    params["x"] = centre + draw(st.floats(-6.0, 6.0)) * params["sigma"]
    return params


def _check_h4(
    params: dict[str, Any], constants: dict[str, Fraction], *, variant: str = "paper"
) -> list[Part]:
    law, sigma = _h4_law(params)
    s, x = to_arb(sigma), to_arb(params["x"])
    s2 = s * s
    post = law._posterior(x, s)
    offset = x - law._center_arb()
    score_tweedie = (post.mean - offset) / s2
    sign = -1 if variant == "paper" else 1
    derivative_tweedie = post.variance / (s2 * s2) + sign / s2
    if isinstance(law, DiscretizedGaussian):
        period, phase = to_arb(law.period), to_arb(law.phase)
        density = smoothed_comb_closed_form(x, s, period, phase)
        score_direct = smoothed_comb_derivative(x, s, period, phase) / density
        source = "theta closed form"
    else:
        score_direct = post.direct_first
        source = "component derivatives"
    derivative_direct = post.direct_second - post.direct_first * post.direct_first
    note = f"s' tweedie {derivative_tweedie.str(10)}, direct {derivative_direct.str(10)}"
    return [
        # s(x) is 0 at symmetric points (the relative test fails on any ball around 0): both
        # sides are shifted by 1/sigma, so the part certifies |difference| <~ 2^-20 / sigma.
        Agreement(
            "score_tweedie_vs_direct",
            score_tweedie + 1 / s,
            score_direct + 1 / s,
            note=f"{source}; both sides + 1/sigma (s may be 0)",
        ),
        Agreement("derivative_tweedie_vs_direct", derivative_tweedie, derivative_direct, note=note),
    ]


H4 = Lemma(
    id="H.4",
    title="Tweedie: s = (E[Y|x] - x)/sigma^2 and s' = Var(Y|x)/sigma^4 - 1/sigma^2",
    statement=(
        r"s_\sigma(x) = \frac{\mathbb{E}[Y\mid X=x]-x}{\sigma^2},\qquad "
        r"s_\sigma'(x) = \frac{\mathrm{Var}(Y\mid X=x)}{\sigma^4} - \frac{1}{\sigma^2}"
    ),
    domain=H4_DOMAIN,
    constants=[],
    params=_h4_params,
    check=_check_h4,
    examples=[
        {"law": "mixture", "sigma": 1.0, "means": [-2.4, 2.4], "weights": [1.0, 1.0], "x": 0.1},
        {
            "law": "mixture",
            "sigma": 0.7,
            "means": [-1.0, 0.5, 3.0],
            "stds": [0.5, 0.0, 1.25],
            "weights": [1.0, 2.0, 1.0],
            "x": -4.0,
        },
        {"law": "discretized", "period": 0.5, "phase": 0.25, "sigma": 0.3, "x": 0.3},
        {"law": "discretized", "period": 1.0, "phase": 0.0, "sigma": 0.05, "x": 2.2},
    ],
    budget={"quick": 10, "standard": 100, "thorough": 500},
    depends_on=("H.3",),
)

# Known-false variants for the refutation tests.
H3_WRONG_SIGN = partial(_check_h3, variant="wrong_sign")
H4_WRONG_SIGN = partial(_check_h4, variant="wrong_sign")
