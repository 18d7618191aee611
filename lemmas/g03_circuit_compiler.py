r"""Lemma G.3: a boolean circuit of size S is simulated by a ReLU network of size O(S).

Statement checked. For a circuit with n inputs, G gates of type AND/OR (plus any number of NOT
gates), m outputs and neuron depth D, the network ``verify.maths.circuits.compile_circuit`` built
with
AND(a,b) = ReLU(a+b-1), OR(a,b) = 1 - ReLU(1-a-b), NOT(a) = 1-a satisfies, for every input in
{±1}^n (bits b = (1-x)/2, outputs 1 - 2 * bit):

.. math::
    N(x) = 1 - 2\,C\big((1-x)/2\big),\qquad
    \#\text{params}(N) \le K\,(3G + 2(n+G)D + 2m),\qquad \max|\text{param}| \le W,

with K = 1 and W = 2 (constant weights). For constant depth the size is O(S).

Derivation. A wire is kept as an affine form c + w z of one neuron z (NOT changes only c, w).
Each AND/OR neuron reads two forms: 2 weights and 1 bias. A wire needed at a deeper layer is
carried by ReLU(wire), exact on {0,1}: 1 weight and 1 bias, at most (n + G) carries per layer and
D layers. Each output 1 - 2 (c + w z) costs 1 weight and 1 bias. Weights are ±1 (gates, carries),
±1/2 (the first layer, through the input map) and ±2 (outputs); biases are sums of at most two
of 0, ±1/2, ±1, so every |parameter| <= 2.

Check. Exhaustive over all 2^n inputs (n <= 12), in exact integer arithmetic
(``evaluate_integer``: every parameter is a half-integer, so 2^l times layer l is an integer
network; overflow is excluded beforehand), cross-checked on a few inputs by the Fraction
``ReluNet``. Parts: ``mismatches`` (number of inputs where the network differs from the
circuit, <= 0), ``parameters`` (K), ``weights`` (W). Circuits are random (Hypothesis draws n, the
gate count, outputs and a seed) or Goldreich's local function (``verify.maths.oneway``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Choice, Constraint, Domain, Integer
from verify.maths.circuits import (
    Circuit,
    carry_count,
    compile_circuit,
    evaluate_integer,
    random_circuit,
)
from verify.maths.oneway import GoldreichFunction, all_seeds

MAX_INPUTS = 12


DOMAIN = Domain(
    Constraint("kind = random needs n_gates", lambda p: p["kind"] != "random" or "n_gates" in p),
    Constraint(
        "Goldreich's function needs n_inputs >= 5",
        lambda p: p["kind"] != "goldreich" or p["n_inputs"] >= 5,
    ),
    optional=("n_gates",),
    kind=Choice(("random", "goldreich"), doc="a random AND/OR/NOT circuit or Goldreich's f"),
    n_inputs=Integer(1, MAX_INPUTS),
    n_gates=Integer(1, 400, search=(1, 120), doc="random circuits only"),
    n_outputs=Integer(1, 64),
    seed=Integer(0, 2**32 - 1, search=(0, 10**6)),
)


@st.composite
def _params(draw) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["random", "random", "goldreich"])
    )  # random circuits twice as often
    if kind == "goldreich":
        return {
            "kind": kind,
            "n_inputs": draw(st.integers(5, MAX_INPUTS)),
            "n_outputs": draw(st.integers(1, 16)),
            "seed": draw(DOMAIN["seed"].strategy()),
        }
    return {
        "kind": kind,
        "n_inputs": draw(DOMAIN["n_inputs"].strategy()),
        "n_gates": draw(DOMAIN["n_gates"].strategy()),
        "n_outputs": draw(st.integers(1, 8)),
        "seed": draw(DOMAIN["seed"].strategy()),
    }


def build_circuit(params: dict[str, Any]) -> tuple[Circuit, np.ndarray | None]:
    """The circuit of a parameter point, and for Goldreich's function f on all seeds."""
    n = params["n_inputs"]
    if params["kind"] == "goldreich":
        f = GoldreichFunction(n, params["n_outputs"], params["seed"])
        return f.to_circuit(), f(all_seeds(n))
    rng = np.random.default_rng([0x63, params["seed"]])
    return random_circuit(rng, n, params["n_gates"], params["n_outputs"]), None


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    circuit, f_values = build_circuit(params)
    net = compile_circuit(circuit, signs=True)
    signs = all_seeds(circuit.n_inputs)
    bits = ((1 - signs) // 2).astype(np.int64)
    expected = (1 - 2 * circuit(bits)).astype(np.int64)
    scaled = evaluate_integer(net, signs.astype(np.int64))
    mismatches = int(np.any(scaled != expected * 2**net.depth, axis=1).sum())
    for row in range(0, len(signs), max(1, len(signs) // 3)):  # Fraction cross-check
        exact = net([int(v) for v in signs[row]])
        if exact != [Fraction(int(v)) for v in expected[row]]:
            mismatches += 1
    parts = [Part("mismatches", Fraction(mismatches), Fraction(0), note=f"{len(signs)} inputs")]
    if f_values is not None:
        wrong = int(np.any(expected != f_values, axis=1).sum())
        parts.append(Part("circuit_equals_f", Fraction(wrong), Fraction(0)))
    gates = sum(1 for g in circuit.gates if g.op != "NOT")
    depth = net.depth - 1
    unit = Fraction(3 * gates + 2 * (circuit.n_inputs + gates) * depth + 2 * len(circuit.outputs))
    count = Fraction(net.parameter_count())
    note = f"S={circuit.size}, G={gates}, D={depth}, carries={carry_count(circuit, net)}"
    parts.append(Part("parameters", count, constants["K"] * unit, "K", unit, note=note))
    parts.append(Part("weights", net.max_abs_parameter(), constants["W"], "W", Fraction(1)))
    return parts


G3 = Lemma(
    id="G.3",
    title="Circuits compile to ReLU networks with O(S) parameters and constant weights",
    statement=(
        r"N(x) = 1-2C((1-x)/2)\ \forall x\in\{\pm1\}^n,\quad "
        r"\#\mathrm{params}(N)\le K(3G+2(n+G)D+2m),\quad \max|\mathrm{param}|\le W"
    ),
    domain=DOMAIN,
    constants=[
        Constant("K", 1, "3 per AND/OR neuron, 2 per carry ((n+G) per layer), 2 per output"),
        Constant("W", 2, "weights ±1, ±1/2 (input map), ±2 (output map); biases <= 2"),
    ],
    params=_params,
    check=_check,
    examples=[
        {"kind": "goldreich", "n_inputs": 12, "n_outputs": 12, "seed": 0},
        {"kind": "random", "n_inputs": 3, "n_gates": 1, "n_outputs": 1, "seed": 1},
        {"kind": "random", "n_inputs": 8, "n_gates": 120, "n_outputs": 8, "seed": 2},
    ],
    budget={"quick": 20, "standard": 150, "thorough": 800},
    depends_on=(),
)
