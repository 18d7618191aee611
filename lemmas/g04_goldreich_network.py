r"""Lemma G.4: Goldreich's local function compiled through G.3 is a ReLU network of constant depth
and linear size.

Statement checked ([derived] here from G.3). Let :math:`f: \{\pm1\}^d \to \{\pm1\}^{d'}` be
Goldreich's function with predicate :math:`x_1 \oplus x_2 \oplus x_3 \oplus (x_4 \wedge x_5)`
(``verify.maths.oneway.GoldreichFunction``) and :math:`N_f` = ``compile_circuit(f.to_circuit())``
(G.3). Then :math:`N_f(x) = f(x)` on :math:`\{\pm1\}^d`, and

.. math::
    \mathrm{depth}(N_f) \le D = 7,\qquad \#\mathrm{params}(N_f) \le K\,(d + d'),\ K = 152,
    \qquad \max|\mathrm{param}| \le W = 2,

so with d' = d the size grows at most linearly in d.

Derivation. Per output the circuit has G = 10 AND/OR gates (each xor is (a OR b) AND NOT(a AND b):
3 gates; three xors and one AND) and gate depth 6 (three nested xors), so N_f has 6 hidden layers
and one output layer: D = 7, whatever d. G.3's count 3G + 2(n + G) D_h + 2m with G = 10 d',
n = d, D_h = 6 and m = d' is 12 d + 152 d' <= 152 (d + d'). (The exact count depends on the
hypergraph through the carries, so it is not itself affine in d; only the bound is.)

Check. ``function``: N_f against f on all 2^d inputs for d <= 12 (exact integers, G.3's
``evaluate_integer``); for larger d on 64 seeded random inputs only (sampled, said in the note; G.3
proves the compiler exact on every circuit). ``depth``, ``parameters``, ``weights``: read from the
network itself. The fitted exponent of P against d on the ladder d = 8, 16, 32, 64 (d' = d,
seed 0) is recorded in the ``parameters`` part's data (measured, not a certified claim): the
least-squares slope of log P on log d and its interval, from the smallest to the largest local
slope between neighbours of the ladder (each enclosed in arb; lower and upper ends taken).
The dense exact network costs O(d^2) to build: d <= 64 (d = 128 takes ~5 s on one core).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from itertools import pairwise
from typing import Any

import numpy as np
from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Domain, Integer
from verify.core.numbers import to_arb
from verify.maths.circuits import compile_circuit, evaluate_integer
from verify.maths.oneway import GoldreichFunction, all_seeds

EXHAUSTIVE_UP_TO = 12
SAMPLED_INPUTS = 64
LADDER = (8, 16, 32, 64)

DOMAIN = Domain(
    d=Integer(5, 64, search=(5, 24), doc="input length of f"),
    d_out=Integer(1, 64, search=(1, 24), doc="output length d' of f"),
    seed=Integer(0, 2**32 - 1, search=(0, 10**6), doc="seed of Goldreich's hypergraph"),
)


@st.composite
def _params(draw) -> dict[str, Any]:
    d = draw(DOMAIN["d"].strategy())
    same = draw(st.booleans())  # the paper's d' = d half the time
    return {
        "d": d,
        "d_out": d if same else draw(DOMAIN["d_out"].strategy()),
        "seed": draw(DOMAIN["seed"].strategy()),
    }


@lru_cache(maxsize=64)
def network_size(d: int, d_out: int, seed: int) -> tuple[int, int, Fraction]:
    """(depth, nonzero parameters, largest |parameter|) of the compiled Goldreich network."""
    net = compile_circuit(GoldreichFunction(d, d_out, seed).to_circuit())
    return net.depth, net.parameter_count(), net.max_abs_parameter()


def _local_exponent(p0: int, p1: int, d0: int, d1: int) -> arb:
    return (to_arb(p1) / to_arb(p0)).log() / (to_arb(d1) / to_arb(d0)).log()


@lru_cache(maxsize=1)
def ladder_fit() -> dict[str, Any]:
    """Least-squares exponent of P against d on ``LADDER`` (d' = d, seed 0), and the interval
    spanned by the local exponents between neighbours (lower end of the smallest, upper end of
    the largest, from arb enclosures)."""
    counts = [network_size(d, d, 0)[1] for d in LADDER]
    slope = float(np.polyfit(np.log(LADDER), np.log(counts), 1)[0])
    local = [
        _local_exponent(p0, p1, d0, d1)
        for (p0, p1), (d0, d1) in zip(pairwise(counts), pairwise(LADDER), strict=True)
    ]
    return {
        "exponent": slope,
        "exponent_lo": min(float(x.lower()) for x in local),
        "exponent_hi": max(float(x.upper()) for x in local),
        "ladder": list(LADDER),
        "ladder_parameters": counts,
    }


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    d, d_out, seed = int(params["d"]), int(params["d_out"]), int(params["seed"])
    f = GoldreichFunction(d, d_out, seed)
    net = compile_circuit(f.to_circuit())
    if d <= EXHAUSTIVE_UP_TO:
        x, how = all_seeds(d), f"exhaustive over all {2**d} inputs"
    else:
        rng = np.random.default_rng([0x64, seed, d, d_out])
        x = rng.choice([-1, 1], size=(SAMPLED_INPUTS, d)).astype(np.int8)
        how = f"sampled: {SAMPLED_INPUTS} random inputs only (G.3 proves the compiler exact)"
    scaled = evaluate_integer(net, x.astype(np.int64))
    want = f(x).astype(np.int64) * 2**net.depth
    wrong = int(np.any(scaled != want, axis=1).sum())
    count = net.parameter_count()
    unit = Fraction(d + d_out)
    fit = ladder_fit()
    fit_note = f"ladder exponent {fit['exponent']:.3f} in [{fit['exponent_lo']:.3f}, "
    fit_note += f"{fit['exponent_hi']:.3f}] (measured)"
    return [
        Part("function", Fraction(wrong), Fraction(0), note=how),
        Part("depth", Fraction(net.depth), constants["D"], "D", Fraction(1)),
        Part(
            "parameters",
            Fraction(count),
            constants["K"] * unit,
            "K",
            unit,
            note=fit_note,
            data={"parameters": count, **fit},
        ),
        Part("weights", net.max_abs_parameter(), constants["W"], "W", Fraction(1)),
    ]


G4 = Lemma(
    id="G.4",
    title="Goldreich's function compiles to a constant-depth ReLU network of linear size",
    statement=(
        r"N_f(x) = f(x)\ \forall x\in\{\pm1\}^d,\ \mathrm{depth}(N_f)\le D,"
        r"\ \#\mathrm{params}(N_f)\le K(d+d'),\ \max|\mathrm{param}|\le W,"
        r"\ \log_2\frac{P(2d,2d')}{P(d,d')}\le E"
    ),
    domain=DOMAIN,
    constants=[
        Constant("D", 7, "three nested xors: 6 gate layers, plus the output layer"),
        Constant("K", 152, "G.3 with G = 10 d', 6 hidden layers: 12 d + 152 d'"),
        Constant("W", 2, "G.3: weights and biases of the compiled network"),
    ],
    params=_params,
    check=_check,
    examples=[
        {"d": 8, "d_out": 8, "seed": 0},
        {"d": 12, "d_out": 24, "seed": 1},
        {"d": 32, "d_out": 32, "seed": 2},
    ],
    budget={"quick": 4, "standard": 40, "thorough": 150},
    depends_on=("G.2", "G.3"),
)
