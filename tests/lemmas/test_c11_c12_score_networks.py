"""C.11, C.12: score networks certified on examples and refuted below their error constants."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from lemmas.c11_c12_score_networks import C11, C12
from verify.core.errors import DomainError
from verify.core.runner import empirical_constants, evaluate, run_lemma, verdict_counts

# One worker runs the module, so the examples' runs below are made once.
pytestmark = pytest.mark.xdist_group("c11_c12")


def _run(lemma, constants=None):
    only = dataclasses.replace(lemma, budget={"quick": 0})
    return run_lemma(only, profile="quick", seed=0, constants=constants)


@pytest.fixture(scope="module")
def examples_run():
    """The run of each lemma's fixed examples at its stated constants, once for both tests
    (the run is deterministic: no search, seed 0)."""
    runs = {}

    def run_of(lemma):
        if lemma.id not in runs:
            runs[lemma.id] = _run(lemma)
        return runs[lemma.id]

    return run_of


@pytest.mark.parametrize(("lemma", "name"), [(C11, "C11"), (C12, "C12")])
def test_certified_then_refuted_below_the_empirical_error(lemma, name, examples_run) -> None:
    run = examples_run(lemma)
    assert verdict_counts(run)["certified"] == len(lemma.examples)
    found = empirical_constants(run)[name]["empirical"]
    assert 0 < found < 1e-2
    # Each example is refuted below its own empirical error (the examples span delta sigma^2
    # from 1/1024 to 1/2, and error/delta falls like delta: one constant cannot refute all).
    for example, evaluation in zip(lemma.examples, run.evaluations, strict=True):
        own = next(p for p in evaluation.parts if p.name == "error").empirical
        only = dataclasses.replace(lemma, examples=[example], budget={"quick": 0})
        refuted = run_lemma(only, profile="quick", seed=0, constants={name: Fraction(own / 4)})
        assert verdict_counts(refuted)["refuted"] == 1
        names = [p.name for p in refuted.evaluations[0].parts if p.verdict.value == "refuted"]
        assert names == ["error"]


@pytest.mark.parametrize("lemma", [C11, C12])
def test_records_reach_the_papers_regime(lemma, examples_run) -> None:
    # Issue 12 item 3: records at delta sigma^2 (per coordinate) <= 1e-3, certified.
    run = examples_run(lemma)
    shares = []
    for evaluation in run.evaluations:
        p = evaluation.params
        shares.append(p["delta"] * p["sigma"] ** 2 / len(p.get("coords", [None])))
    assert min(shares) <= 1e-3
    assert verdict_counts(run)["certified"] == len(run.evaluations)


def test_domain_errors() -> None:
    law = {"sigma": 1.0, "means": [0.0], "weights": [1.0]}
    with pytest.raises(DomainError):
        evaluate(C11, {**law, "delta": 1 / 2048}, C11.stated_constants(), 64, user_input=True)
    coords = [{"means": [0.0], "weights": [1.0]}] * 2
    with pytest.raises(DomainError):
        evaluate(C12, {"sigma": 1.0, "coords": coords, "delta": 4.0}, {}, 64, user_input=True)
