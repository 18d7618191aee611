"""H.3, H.4: the two computations agree (certified), known-false variants are refuted."""

from __future__ import annotations

import dataclasses

import pytest

from lemmas.h03_h04_identities import H3, H3_WRONG_SIGN, H4, H4_WRONG_SIGN
from verify.core.errors import DomainError
from verify.core.runner import run_lemma, verdict_counts


@pytest.mark.parametrize("lemma", [H3, H4])
def test_examples_and_search_certified(lemma) -> None:
    run = run_lemma(dataclasses.replace(lemma, budget={"quick": 15}), profile="quick", seed=5)
    counts = verdict_counts(run)
    assert counts["certified"] == len(run.evaluations) >= len(lemma.examples)


@pytest.mark.parametrize(("lemma", "wrong"), [(H3, H3_WRONG_SIGN), (H4, H4_WRONG_SIGN)])
def test_known_false_variant_is_refuted(lemma, wrong) -> None:
    broken = dataclasses.replace(lemma, check=wrong, budget={"quick": 0})
    run = run_lemma(broken, profile="quick", seed=0)
    counts = verdict_counts(run)
    assert counts["refuted"] >= len(lemma.examples) - 1
    assert counts["error"] == 0


def test_h3_refutation_names_the_weights() -> None:
    broken = dataclasses.replace(H3, check=H3_WRONG_SIGN, budget={"quick": 0})
    first = run_lemma(broken, profile="quick", seed=0).evaluations[0]
    verdicts = {p.name: p.verdict.value for p in first.parts}
    assert verdicts["posterior_weights"] == "refuted"
    assert verdicts["conditional_mean"] == "refuted"


@pytest.mark.parametrize(
    ("lemma", "params"),
    [
        (
            H3,
            {
                "sigma": 1.0,
                "means": [0.0, 1.0],
                "stds": [0.5, 0.0],
                "weights": [1, 1],
                "x": 0.0,
                "c": 1.0,
            },
        ),
        (H3, {"sigma": 0.0, "means": [0.0], "weights": [1.0], "x": 0.0, "c": 1.0}),
        (H3, {"sigma": 1.0, "means": [0.0], "weights": [1.0], "x": float("inf"), "c": 1.0}),
        (H4, {"law": "discretized", "period": 0.0, "phase": 0.0, "sigma": 1.0, "x": 0.0}),
        (H4, {"law": "discretized", "period": 1.0, "phase": 1.5, "sigma": 1.0, "x": 0.0}),
        (H4, {"law": "mixture", "sigma": 1.0, "means": [0.0], "weights": [1.0]}),
        # The declared Domain: an unknown law or parameter is refused, not defaulted.
        (H4, {"law": "comb", "sigma": 1.0, "means": [0.0], "weights": [1.0], "x": 0.0}),
        (H4, {"law": "discretized", "period": 1.0, "sigma": 1.0, "x": 0.0}),
        (H4, {"law": "discretized", "period": 1.0, "phase": 0.0, "sigma": 1e-4, "x": 0.0}),
        (H3, {"sigma": 1.0, "means": [0.0], "weights": [1.0], "x": 0.0, "c": 1.0, "z": 0}),
        (H3, {"sigma": 1.0, "means": [0.0], "weights": [1.0], "x": 2e6, "c": 1.0}),
    ],
)
def test_domain_errors(lemma, params) -> None:
    with pytest.raises(DomainError):
        lemma.validate_point(params)


@pytest.mark.parametrize("lemma", [H3, H4])
def test_certified_agreements_carry_six_digits(lemma) -> None:
    """Issue 16 item 1: an agreement part is certified only on two finite enclosures agreeing
    to at least 6 digits (a gap part certified NaN or a wide ball around 0)."""
    run = run_lemma(dataclasses.replace(lemma, budget={"quick": 10}), profile="quick", seed=2)
    seen = 0
    for evaluation in run.evaluations:
        for part in evaluation.parts:
            assert part.agreement is not None
            if part.verdict.value == "certified":
                assert part.agreement["digits"] >= 6
                seen += 1
    assert seen > 0
