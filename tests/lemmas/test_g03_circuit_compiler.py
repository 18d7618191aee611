import dataclasses
from fractions import Fraction

import pytest

from verify.core.errors import DomainError
from verify.core.registry import get
from verify.core.runner import evaluate, run_lemma, verdict_counts
from verify.core.verdict import Verdict


def test_quick_run_certifies():
    lemma = dataclasses.replace(get("G.3"), budget={"quick": 4})
    run = run_lemma(lemma, profile="quick", seed=0)
    counts = verdict_counts(run)
    assert counts["certified"] == len(run.evaluations) > 0


def test_tightened_weight_constant_is_refuted():
    lemma = get("G.3")
    point = {"kind": "goldreich", "n_inputs": 6, "n_outputs": 4, "seed": 1}
    result = evaluate(lemma, point, {"K": Fraction(1), "W": Fraction(3, 2)}, 64)
    assert result.verdict is Verdict.REFUTED


def test_tightened_size_constant_is_refuted():
    lemma = get("G.3")
    point = {"kind": "random", "n_inputs": 3, "n_gates": 1, "n_outputs": 1, "seed": 1}
    result = evaluate(lemma, point, {"K": Fraction(1, 4), "W": Fraction(2)}, 64)
    assert result.verdict is Verdict.REFUTED


def test_bad_points_are_domain_errors():
    lemma = get("G.3")
    for bad in (
        {"kind": "goldreich", "n_inputs": 3, "n_outputs": 2, "seed": 0},
        {"kind": "random", "n_inputs": 13, "n_gates": 2, "n_outputs": 1, "seed": 0},
        {"kind": "other", "n_inputs": 3, "n_outputs": 2, "seed": 0},
        {"kind": "random", "n_inputs": 3, "n_outputs": 1, "seed": 0},  # no n_gates
        {"kind": "random", "n_inputs": 3, "n_gates": 2, "n_outputs": 1, "seed": 0, "x": 1},
    ):
        with pytest.raises(DomainError):
            evaluate(lemma, bad, lemma.stated_constants(), 64, user_input=True)


def test_sparse_compiler_holds_the_dense_layers_and_scales_to_d_1024():
    import time

    from verify.maths.circuits import compile_circuit, compile_circuit_sparse, sparse_float_layers
    from verify.maths.oneway import GoldreichFunction

    circuit = GoldreichFunction(12, 12, 3).to_circuit()
    dense = compile_circuit(circuit)
    sparse = compile_circuit_sparse(circuit)
    assert [layer.dense() for layer in sparse] == list(dense.layers)
    for (weight, bias), layer in zip(sparse_float_layers(sparse), dense.layers, strict=True):
        assert weight.toarray().tolist() == [[float(w) for w in row] for row in layer.weight]
        assert bias.tolist() == [float(b) for b in layer.bias]
    start = time.process_time()
    big = compile_circuit_sparse(GoldreichFunction(1024, 1024, 0).to_circuit())
    assert time.process_time() - start < 20  # dense: ~10^7 exact entries a layer
    assert big[0].in_dim == 1024 and big[-1].out_dim == 1024
