r"""The parameter points of the large-sigma lemmas (C.17 - C.20): a small instance and a point.

A point names an instance (d, d', R, eps, f) with its smoothing sigma, and a place (x, y) of
R^{d+d'} near it: x_i = R c_i + sqrt(v) z_i around a vertex c, and y_j = v eps (n_j + u_j) / 4
(n_j + u_j even: on a tooth of either comb). f is one of ``F_KINDS``: a random table drawn from
``f_seed``, the constant map, or the projection f(s)_j = s_{j mod d}.

Shared by the lemma modules of C.17/C.18 and C.19/C.20 (which never import each other):
``point_specs`` and ``point_constraints`` (the parameters and what ties them together, for a
``verify.core.domain.Domain``), ``point_strategy`` (the search's draws), ``EXAMPLES``,
``codewords`` and ``point``; and ``direct_deviation``, the second computation of g/h - 1 and
s_g - s_h that cross-checks ``large_sigma.exact_deviation``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

import flint
from flint import arb
from hypothesis import strategies as st

from verify.core.domain import Choice, Constraint, Integer, Real, Reals, Spec
from verify.core.numbers import normal_density, to_arb
from verify.maths.comb import (
    direct_terms_needed,
    nome,
    smoothed_comb_closed_form,
    smoothed_comb_direct,
)
from verify.maths.large_sigma import phase_of, sigma_of_tau, theta_parts
from verify.maths.mixture import vertex_mixture_score_arb
from verify.maths.oneway import all_seed_tuples

MIN_TAU_OVER_EPS = 0.25
# Below this eps, T(q0) < 1e-200: a point with every comb coordinate on a tooth makes C.17's
# bound an equality to within T(q0), which no working precision resolves. Such points are kept
# out of the domain (the search approaches them from TEETH_CLEARANCE periods away).
DEGENERATE_EPS = 0.2
TEETH_CLEARANCE = 1e-6
F_KINDS = ("random", "constant", "projection")
MAX_D, MAX_D_OUT = 6, 8


def point_specs() -> dict[str, Spec]:
    """The parameters of a point; the search's ranges are the ``search`` narrowings."""
    return {
        "d": Integer(1, MAX_D, search=(1, 4)),
        "d_out": Integer(1, MAX_D_OUT, search=(1, 5)),
        "R": Real(0, 10, lo_open=True, search=(0.1, 8.0), log=True),
        "eps": Real(0, 1, lo_open=True, search=(0.02, 1.0), log=True),
        "sigma": Real(0, math.inf, lo_open=True, hi_open=True, doc="with tau/eps >= 1/4"),
        "delta": Real(0, 0.99, lo_open=True, search=(1e-8, 0.99), log=True),
        "f": Choice(F_KINDS),
        "f_seed": Integer(0, 2**31 - 1, search=(0, 1000)),
        "vertex": Reals(Real(-1, 1), 1, MAX_D, doc="a vertex c in {±1}^d"),
        "z": Reals(Real(-math.inf, math.inf, True, True), 1, MAX_D),
        "y_steps": Reals(Real(-math.inf, math.inf, True, True), 1, MAX_D_OUT),
        "y_jitter": Reals(Real(-math.inf, math.inf, True, True), 1, MAX_D_OUT),
    }


OPTIONAL = ("f", "f_seed")  # f defaults to a random table from f_seed = 0


def all_on_teeth(params: dict[str, Any]) -> bool:
    """Is every comb coordinate within TEETH_CLEARANCE periods of a tooth of either comb?
    (y_j / v = eps (n_j + u_j) / 4: the teeth are where n_j + u_j is even.)"""
    for n, u in zip(params["y_steps"], params["y_jitter"], strict=True):
        position = (n + u) / 2  # in half-periods: the teeth of both combs at the integers
        if abs(position - round(position)) / 2 >= TEETH_CLEARANCE:
            return False
    return True


def _lengths_match(params: dict[str, Any]) -> bool:
    d, d_out = params["d"], params["d_out"]
    widths = (("vertex", d), ("z", d), ("y_steps", d_out), ("y_jitter", d_out))
    return all(len(params[name]) == width for name, width in widths)


def _in_regime(params: dict[str, Any]) -> bool:
    sigma = float(params["sigma"])
    return sigma / math.sqrt(1 + sigma * sigma) / float(params["eps"]) >= MIN_TAU_OVER_EPS


def _off_the_teeth(params: dict[str, Any]) -> bool:
    return float(params["eps"]) >= DEGENERATE_EPS or not all_on_teeth(params)


def point_constraints() -> tuple[Constraint, ...]:
    """What ties a point's parameters together, checked in this order (each assumes the ones
    before it): list lengths, a vertex of ±1, the large-sigma regime, and, for small eps, not the
    equality points on the teeth (C.17's bound is attained there up to T(q0) < 1e-200, below any
    working precision; the search approaches them from TEETH_CLEARANCE periods away)."""
    return (
        Constraint("vertex and z have d entries, y_steps and y_jitter d'", _lengths_match),
        Constraint("vertex entries are ±1", lambda p: all(c in (1, -1) for c in p["vertex"])),
        Constraint(f"tau/eps >= {MIN_TAU_OVER_EPS} (tau = sigma/sqrt(1+sigma^2))", _in_regime),
        Constraint(
            f"for eps < {DEGENERATE_EPS}: some comb coordinate at least {TEETH_CLEARANCE} "
            "periods off the teeth",
            _off_the_teeth,
        ),
    )


@st.composite
def point_strategy(draw) -> dict[str, Any]:
    """The search's points: d, d', eps, then sigma from a tau/eps ratio in [1/4, 1.5]."""
    specs = point_specs()
    d = draw(specs["d"].strategy())
    d_out = draw(specs["d_out"].strategy())
    eps = draw(specs["eps"].strategy())
    ratio = draw(Real(MIN_TAU_OVER_EPS, 1.5, log=True).strategy())
    tau = min(ratio * eps, 0.95)
    tau = max(tau, MIN_TAU_OVER_EPS * eps * (1 + 1e-9))
    sigma = float(sigma_of_tau(tau).mid())
    near = draw(st.booleans())
    z_range = 2.0 if near else 6.0
    params = {
        "d": d,
        "d_out": d_out,
        "R": draw(specs["R"].strategy()),
        "eps": eps,
        "sigma": sigma,
        "delta": draw(specs["delta"].strategy()),
        "f": draw(specs["f"].strategy()),
        "f_seed": draw(specs["f_seed"].strategy()),
        "vertex": draw(st.lists(st.sampled_from((1, -1)), min_size=d, max_size=d)),
        "z": draw(st.lists(st.floats(-z_range, z_range), min_size=d, max_size=d)),
        "y_steps": draw(st.lists(st.integers(-24, 24), min_size=d_out, max_size=d_out)),
        "y_jitter": draw(st.lists(st.floats(-1.0, 1.0), min_size=d_out, max_size=d_out)),
    }
    if eps < DEGENERATE_EPS and all_on_teeth(params):
        first = params["y_jitter"][0]
        params["y_jitter"][0] = first - 1e-5 if first > 0 else first + 1e-5
    return params


def _random_table(d: int, d_out: int, f_seed: int) -> dict[tuple[int, ...], tuple[int, ...]]:
    """The random f of ``f_seed``: one word per seed, drawn in the big-endian order of the seeds
    (s_1 the most significant bit, -1 for a set bit): this fixes which f a seed names."""
    rng = random.Random(f_seed)
    table = {}
    for index in range(2**d):
        seed = tuple(-1 if (index >> (d - 1 - i)) & 1 else 1 for i in range(d))
        table[seed] = tuple(rng.choice((1, -1)) for _ in range(d_out))
    return table


def codewords(params: dict[str, Any]) -> list[tuple[int, ...]]:
    """f(s) for every seed, in ``verify.maths.oneway.all_seeds`` order, from the params' f."""
    d, d_out = params["d"], params["d_out"]
    seeds = all_seed_tuples(d)
    kind = params.get("f", "random")
    if kind == "constant":
        return [tuple([1] * d_out) for _ in seeds]
    if kind == "projection":
        return [tuple(s[j % d] for j in range(d_out)) for s in seeds]
    table = _random_table(d, d_out, int(params.get("f_seed", 0)))
    return [table[s] for s in seeds]


def point(params: dict[str, Any]) -> tuple[list[float], list[float]]:
    """(x, y): x_i = R c_i + sqrt(v) z_i (c the params' vertex), y_j = v eps (n_j + u_j) / 4."""
    sigma, eps, R = params["sigma"], params["eps"], params["R"]
    v = 1 + sigma * sigma
    x = [R * c + math.sqrt(v) * z for c, z in zip(params["vertex"], params["z"], strict=True)]
    y = [v * eps * (n + u) / 4 for n, u in zip(params["y_steps"], params["y_jitter"], strict=True)]
    return x, y


def direct_deviation(
    params: dict[str, Any], words: Sequence[Sequence[int]]
) -> tuple[arb, list[arb]]:
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
    for seed, word in zip(all_seed_tuples(len(xs)), words, strict=True):
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
    s_h = vertex_mixture_score_arb(xs, ys, R, s)
    return g / h - 1, [gr / g - sh for gr, sh in zip(grad, s_h, strict=True)]


# --- the examples every search starts from ------------------------------------------------

TIGHT_C17 = {
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
TIGHT_C18 = {
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
EXAMPLES = [
    TIGHT_C17,
    TIGHT_C18,
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
