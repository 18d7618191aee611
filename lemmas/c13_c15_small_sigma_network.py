r"""Lemmas C.13 and C.14: the ReLU gadgets of the small-sigma score network (C.15).

**C.13 vertex identifier** [derived]. clamp_w(t) = ReLU(t/w + 1) - ReLU(t/w - 1) - 1 (one hidden
layer of 2 units per coordinate, 7 nonzero parameters, |parameter| <= max(1, 1/w)) satisfies
clamp_w(t) = sign(t) whenever |t| >= w, and |clamp_w| <= 1 everywhere. Proof checked exactly:
clamp_w is piecewise linear with breakpoints -w, w only (read from the network), so it equals ±1
on [w, inf) and on (-inf, -w] iff it does at ±w and ±(w + 1), and its extreme values are at
those points; the d-coordinate network is proved block-diagonal with clamp blocks.

**C.14 switch** [derived]. switch(b, v) = ReLU(v + B b - B) - ReLU(-v + B b - B) (2 hidden units,
8 parameters, |parameter| <= max(1, B)) equals v for b = 1 and 0 for b = 0 whenever |v| <= B.
Proof checked exactly: for b = 1 it is ReLU(v) - ReLU(-v), piecewise linear with one breakpoint
0, equal to v at -B, 0, B; for b = 0 it is linear on [-B, B] (breakpoints at ±B) and 0 at both
ends. For every real b, |switch(b, v)| <= 2|v| (ReLU is 1-Lipschitz), proved exactly: the two
hidden units' lines and v = 0 meet at (b, v) = (1, 0); on each of the six cones from there
switch and |v| are affine, so 2|v| -+ switch >= 0 everywhere iff at the apex and along each ray.

The gadgets live in ``verify.maths.nets.gadgets`` (one exact network each, also evaluated in
float64 there). C.15, the small-sigma network built from them, is
``lemmas.c15_small_sigma_network``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Domain, Integer, Real
from verify.maths.nets.gadgets import (
    clamp_network,
    cone_apex_and_rays,
    proof_points_1d,
    switch_network,
    vertex_identifier,
)
from verify.maths.nets.score_networks import is_block_concatenation

__all__ = ["C13", "C14", "clamp_network", "switch_network", "vertex_identifier"]

SEED = Integer(0, 2**63 - 1, search=(0, 10**6), doc="seed of the random test points")
POSITIVE = {"lo": 0.0, "hi": math.inf, "lo_open": True, "hi_open": True}

C13_DOMAIN = Domain(
    optional=("seed",),
    d=Integer(1, 64, search=(1, 8)),
    w=Real(**POSITIVE, search=(1e-3, 50.0), log=True, doc="the margin"),
    seed=SEED,
)

C14_DOMAIN = Domain(
    optional=("seed",),
    B=Real(**POSITIVE, search=(1e-3, 1e3), log=True, doc="the bound on |v|"),
    seed=SEED,
)


@st.composite
def _c13_params(draw) -> dict[str, Any]:
    return {name: draw(C13_DOMAIN[name].strategy()) for name in ("d", "w", "seed")}


@st.composite
def _c14_params(draw) -> dict[str, Any]:
    return {"B": draw(C14_DOMAIN["B"].strategy()), "seed": draw(SEED.strategy())}


def _check_c13(params: dict[str, Any], constants: dict[str, Fraction], margin=1) -> list[Part]:
    d = int(params["d"])
    w = Fraction(float(params["w"]))
    net = vertex_identifier(d, w)
    one = clamp_network(w)
    # Proof points of the 1-D clamp: its breakpoints (read from the network) and one point
    # beyond each end. Equal values at an end breakpoint and beyond it prove the slope there 0.
    points = proof_points_1d(one)
    values = [one([t])[0] for t in points]
    wrong = sum(1 for t, y in zip(points, values, strict=True) if abs(t) >= w and y != _sign(t))
    flat_ends = values[0] == values[1] and values[-1] == values[-2]
    bounded = max(abs(y) for y in values) if flat_ends else Fraction(2)
    # The d-coordinate network is block-diagonal with clamp blocks: N(x)_i = clamp(x_i) for
    # every x, so the 1-D proof carries over. A few exact points off the walls as a spot check.
    structural = 0 if is_block_concatenation(net, [one] * d) else 1
    rng = np.random.default_rng([0x13, int(params.get("seed", 0))])
    mismatch = Fraction(structural)
    for _ in range(4):
        signs = rng.choice([-1, 1], size=d)
        mags = [Fraction(margin) * w * (1 + Fraction(int(k), 7)) for k in rng.integers(0, 20, d)]
        x = [int(s) * m for s, m in zip(signs, mags, strict=True)]
        out = net(x)
        mismatch = max(mismatch, *(abs(o - int(s)) for o, s in zip(out, signs, strict=True)))
    unit = Fraction(d)
    proof = "proved on the whole line: breakpoints and one point beyond each end"
    return [
        Part("witness_mismatches", Fraction(wrong), Fraction(0), note=proof),
        Part(
            "sign_off_walls",
            mismatch,
            Fraction(0),
            note="proved for all x: block-diagonal clamp blocks; plus 4 exact spot points",
        ),
        Part("bounded_by_one", bounded, Fraction(1), note=proof + " (ends flat)"),
        Part("parameters", Fraction(net.parameter_count()), constants["K"] * unit, "K", unit),
        Part("weights", net.max_abs_parameter(), max(Fraction(1), 1 / w)),
    ]


def _sign(t: Fraction) -> int:
    return (t > 0) - (t < 0)


def _check_c14(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    B = Fraction(float(params["B"]))
    net = switch_network(B)
    wrong = Fraction(0)
    # b = 1: breakpoint v = 0; b = 0: breakpoints v = +-B. Values at every breakpoint in
    # [-B, B] and at its ends prove switch = b v on the whole interval.
    for v in (-B, Fraction(0), B):
        wrong = max(wrong, abs(net([1, v])[0] - v))
    for v in (-B, B):
        wrong = max(wrong, abs(net([0, v])[0]))
    # |switch(b, v)| <= 2|v| for all real (b, v): the hidden units' lines and v = 0 meet at one
    # apex; on each cone from it both 2|v| - switch and 2|v| + switch are affine, so each is
    # >= 0 everywhere iff it is >= 0 at the apex and nondecreasing along every ray.
    cones = cone_apex_and_rays(net, [(Fraction(0), Fraction(1), Fraction(0))])
    if cones is None:
        excess = Fraction(1)
    else:
        (b0, v0), rays = cones

        def slack(b: Fraction, v: Fraction) -> list[Fraction]:
            y = net([b, v])[0]
            return [2 * abs(v) - y, 2 * abs(v) + y]

        at_apex = slack(b0, v0)
        excess = max(-min(at_apex), Fraction(-1))
        for db, dv in rays:
            beyond = slack(b0 + db, v0 + dv)
            excess = max(excess, *(a - c for a, c in zip(at_apex, beyond, strict=True)))
    return [
        Part("switch_exact", wrong, Fraction(0), note="proved on [-B, B]: breakpoints and ends"),
        Part(
            "lipschitz_any_b",
            excess,
            Fraction(0),
            note="proved for all real (b, v): apex and one point along each ray of the cones",
        ),
        Part("parameters", Fraction(net.parameter_count()), constants["K"], "K", Fraction(1)),
        Part("weights", net.max_abs_parameter(), max(Fraction(1), B)),
    ]


C13 = Lemma(
    id="C.13",
    title="Vertex identifier network",
    statement=(
        r"\mathrm{clamp}_w(t) = \mathrm{ReLU}(t/w+1)-\mathrm{ReLU}(t/w-1)-1 = \mathrm{sign}(t)"
        r"\ (|t|\ge w),\ |\mathrm{clamp}_w|\le1,\ \#\mathrm{params}\le K d,"
        r"\ \max|\mathrm{param}|\le\max(1,1/w)"
    ),
    domain=C13_DOMAIN,
    constants=[Constant("K", 7, "2 hidden units per coordinate: 2 weights, 2 biases, 3 outer")],
    params=_c13_params,
    check=_check_c13,
    examples=[{"d": 3, "w": 0.5, "seed": 0}, {"d": 8, "w": 1e-3, "seed": 1}],
    budget={"quick": 15, "standard": 150, "thorough": 800},
    depends_on=("C.9",),
)

C14 = Lemma(
    id="C.14",
    title="Switch network",
    statement=(
        r"\mathrm{switch}(b,v)=\mathrm{ReLU}(v+Bb-B)-\mathrm{ReLU}(-v+Bb-B) = bv"
        r"\ (b\in\{0,1\},|v|\le B),\ |\mathrm{switch}(b,v)|\le2|v|\ \forall b,"
        r"\ \#\mathrm{params}\le K,\ \max|\mathrm{param}|\le\max(1,B)"
    ),
    domain=C14_DOMAIN,
    constants=[Constant("K", 8, "2 hidden units with 2 weights and a bias each, 2 outer weights")],
    params=_c14_params,
    check=_check_c14,
    examples=[{"B": 1.0, "seed": 0}, {"B": 1e3, "seed": 1}],
    budget={"quick": 15, "standard": 150, "thorough": 800},
    depends_on=(),
)
