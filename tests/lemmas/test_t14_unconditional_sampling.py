"""Thm.1.4: the reverse SDE on the networks samples consistent points; a broken score fails."""

from __future__ import annotations

from fractions import Fraction

import pytest

from lemmas.t14_unconditional_sampling import T14
from verify.core.errors import DomainError
from verify.core.runner import evaluate
from verify.core.verdict import Verdict

POINT = {"d": 8, "steps": 60, "samples": 600, "seed": 0, "score": "network"}

# One worker runs the module, so the unmutated run below is made once.
pytestmark = pytest.mark.xdist_group("t14")


@pytest.fixture(scope="module")
def unmutated():
    """Thm.1.4 at POINT, stated constants: what the model mutants are compared with, and the
    network-driven SDE's own verdicts (one run of the network SDE for the three tests)."""
    from tests.lemmas.model_mutants import unmutated_run

    return unmutated_run(T14, [POINT])


def test_network_driven_sde_is_consistent(unmutated):
    (result,) = unmutated.evaluations
    assert result.verdict is Verdict.STATISTICAL, [p.to_json() for p in result.parts]


def test_mixture_score_is_refuted():
    # Known-false: the large-sigma mixture score at every level never encodes the phases.
    result = evaluate(T14, {**POINT, "score": "mixture"}, T14.stated_constants(), 64)
    assert result.verdict is Verdict.REFUTED


@pytest.mark.parametrize("bad", [{"d": 12}, {"steps": 5}, {"score": "exact"}, {"samples": 1}])
def test_domain_errors(bad):
    with pytest.raises(DomainError):
        T14.validate_point({**POINT, **bad})


def test_network_sampler_closeness_is_not_refuted(unmutated):
    (result,) = unmutated.evaluations
    part = {p.name: p for p in result.parts}["closeness_lower"]
    assert part.verdict is Verdict.STATISTICAL
    assert part.data["tau"] == 0.25


def test_model_mutants_are_caught(unmutated):
    from tests.lemmas.model_mutants import assert_all_caught

    # the mutants run at d = 8 (POINT): the shifted sampler and the mixture score
    assert all(m.examples[0]["d"] == POINT["d"] for m in T14.model_mutants)
    assert_all_caught(T14, [POINT], base=unmutated)


@pytest.fixture(scope="module")
def planted():
    """Thm.1.4 at its planted example alone (no search, no model mutant), stated constants:
    (that lemma, its run). The run is what the K mutant is compared with (``verify mutate``'s
    unmutated run) and its one evaluation is the planted sampler's verdicts at the stated K
    (``run_lemma`` evaluates it as ``evaluate(T14, point, stated, 64)`` does): one run of the
    planted SDE for the two tests instead of two."""
    import dataclasses

    from verify.core.runner import run_lemma

    point = next(e for e in T14.examples if e["score"] == "planted")
    small = dataclasses.replace(T14, examples=[point], budget={"quick": 0}, model_mutants=[])
    return small, run_lemma(small, profile="quick", seed=0)


def test_planted_sampler_reads_k_above_zero_and_a_smaller_one_is_refuted(planted):
    # a (tau, 0.6 delta_0)-close planted sampler: its inconsistency exceeds the exact rate by
    # ~0.6 delta_0, so K = 1 passes, K reads well above 0, and K = 1/5 below it is REFUTED
    small, base = planted
    (point,) = small.examples
    (result,) = base.evaluations
    assert result.params == point
    assert result.verdict is Verdict.STATISTICAL, [p.to_json() for p in result.parts]
    part = {p.name: p for p in result.parts}["inconsistency_rate"]
    assert part.empirical > 0.3
    tightened = evaluate(T14, point, {"K": Fraction(1, 5)}, 64)
    assert {p.name: p for p in tightened.parts}["inconsistency_rate"].verdict is Verdict.REFUTED


def test_mutation_catches_k_at_the_planted_example(planted):
    # K set just past its empirical value must come back REFUTED: verify mutate's loop over the
    # constants (mutate_constant against the unmutated run), that run being the fixture's
    from verify.core.mutate import mutate_constant

    small, base = planted
    mutants = [
        mutate_constant(small, constant, base, profile="quick", seed=0)
        for constant in small.constants
    ]
    assert mutants and all(m.caught for m in mutants), [(m.constant, m.detail) for m in mutants]
