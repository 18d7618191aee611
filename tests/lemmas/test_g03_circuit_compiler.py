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
