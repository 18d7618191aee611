"""G.4: the compiled Goldreich network: exact, constant depth, linear size; refutations."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from lemmas.g04_goldreich_network import G4, ladder_fit
from verify.core.errors import DomainError
from verify.core.runner import evaluate, run_lemma, verdict_counts
from verify.core.verdict import Verdict


def test_quick_profile_certifies():
    run = run_lemma(dataclasses.replace(G4, budget={"quick": 2}), profile="quick", seed=0)
    counts = verdict_counts(run)
    assert counts["certified"] == len(run.evaluations) >= 3


def test_fitted_exponent_and_its_interval():
    fit = ladder_fit()
    assert fit["exponent_lo"] <= fit["exponent"] <= fit["exponent_hi"]
    assert fit["exponent_lo"] > 0.9 and fit["exponent_hi"] < 1.1  # linear, as G.4 states


@pytest.mark.parametrize(("name", "value"), [("K", Fraction(10)), ("D", Fraction(6))])
def test_tightened_constants_are_refuted(name, value):
    constants = {**G4.stated_constants(), name: value}
    assert evaluate(G4, G4.examples[0], constants, 64).verdict is Verdict.REFUTED


def test_a_wrong_network_is_refuted(monkeypatch):
    # compile a different hypergraph: the network no longer computes f
    import lemmas.g04_goldreich_network as g4
    from verify.maths.oneway import GoldreichFunction

    real = g4.compile_circuit
    monkeypatch.setattr(
        g4, "compile_circuit", lambda c: real(GoldreichFunction(8, 8, 99).to_circuit())
    )
    parts = {p.name: p for p in evaluate(G4, G4.examples[0], G4.stated_constants(), 64).parts}
    assert parts["function"].verdict is Verdict.REFUTED


def test_domain_errors():
    for bad in ({"d": 4, "d_out": 4, "seed": 0}, {"d": 8, "d_out": 0, "seed": 0}, {"d": 8}):
        with pytest.raises(DomainError):
            G4.validate_point(bad)


def test_every_constant_is_caught_by_mutation():
    from verify.core.mutate import mutate

    small = dataclasses.replace(G4, budget={"quick": 1})
    summary = mutate(profile="quick", seed=0, lemmas=[small], log=lambda *a, **k: None)
    assert summary["total"] == len(G4.constants)
    assert summary["defects"] == [], summary["defects"]


def test_integer_evaluation_is_exact_and_needs_half_integers() -> None:
    """``evaluate_integer`` (G.4's exact check) reads each layer's integer form: 2^L times the
    exact Fraction evaluation, and a DomainError for a quarter weight (a bias b counts when
    b 2^l is an integer at layer l)."""
    import numpy as np

    from verify.maths.circuits import evaluate_integer
    from verify.maths.nets.relunet import Affine, ReluNet

    net = ReluNet(
        (
            Affine(
                [[Fraction(1, 2), Fraction(-3, 2)], [Fraction(1), Fraction(0)]],
                [Fraction(1, 2), Fraction(-1)],
            ),
            Affine([[Fraction(1), Fraction(-1, 2)]], [Fraction(1, 4)]),
        )
    )
    x = np.array([[1, 2], [3, -1], [-5, 7]])
    exact = [net([Fraction(int(v)) for v in row])[0] * 4 for row in x]
    assert evaluate_integer(net, x)[:, 0].tolist() == exact
    with pytest.raises(DomainError):
        evaluate_integer(ReluNet((Affine([[Fraction(1, 4)]], [Fraction(0)]),)), np.array([[1]]))
