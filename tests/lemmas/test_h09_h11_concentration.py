"""H.9, H.10, H.11: quick runs pass, tightened constants and false variants are REFUTED."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from verify.core.errors import DomainError
from verify.core.registry import get
from verify.core.runner import evaluate, run_lemma
from verify.core.verdict import Verdict


def _run(lemma_id: str, examples, constants=None, searched: int = 0):
    lemma = dataclasses.replace(get(lemma_id), examples=examples, budget={"quick": searched})
    return run_lemma(lemma, profile="quick", seed=0, constants=constants or {})


def _verdicts(run) -> set[Verdict]:
    return {e.verdict for e in run.evaluations}


def test_h9_examples_and_search_certified() -> None:
    run = _run("H.9", get("H.9").examples, searched=5)
    assert _verdicts(run) == {Verdict.CERTIFIED}


def test_h9_lower_tail_empty_event_and_large_m() -> None:
    run = _run("H.9", [{"m": 4, "t": 100.0}, {"m": 10_000, "t": 3.0}])
    assert _verdicts(run) == {Verdict.CERTIFIED}


@pytest.mark.parametrize(
    ("constant", "value", "example"),
    [
        ("C_upper", Fraction(3, 10), {"m": 10_000, "t": 1e-6}),  # ratio there ~ 0.4976
        ("C_lower", Fraction(1, 2), {"m": 1, "t": 1e-6}),  # ratio there ~ 0.682
    ],
)
def test_h9_tightened_constant_is_refuted(constant: str, value: Fraction, example) -> None:
    run = _run("H.9", [example], {constant: value})
    assert _verdicts(run) == {Verdict.REFUTED}


def test_h9_domain() -> None:
    with pytest.raises(DomainError):
        evaluate(get("H.9"), {"m": 0, "t": 1.0}, get("H.9").stated_constants(), 64, user_input=True)
    with pytest.raises(DomainError):
        evaluate(
            get("H.9"), {"m": 3, "t": -1.0}, get("H.9").stated_constants(), 64, user_input=True
        )


def test_h10_certified_and_refuted() -> None:
    examples = [{"m": 2, "R": 12, "r": 6, "seed": 0}, {"m": 3, "R": 8, "r": 4, "seed": 1}]
    assert _verdicts(_run("H.10", examples, searched=2)) == {Verdict.CERTIFIED}
    # below the volume bound 3^-m no covering exists: N >= (R/r)^m > C (3R/r)^m
    assert _verdicts(_run("H.10", examples[:1], {"C": Fraction(1, 18)})) == {Verdict.REFUTED}


def test_h10_domain() -> None:
    lemma = get("H.10")
    with pytest.raises(DomainError):
        evaluate(
            lemma,
            {"m": 2, "R": 3, "r": 5, "seed": 0},
            lemma.stated_constants(),
            64,
            user_input=True,
        )
    with pytest.raises(DomainError):
        evaluate(
            lemma,
            {"m": 5, "R": 3, "r": 3, "seed": 0},
            lemma.stated_constants(),
            64,
            user_input=True,
        )


def test_h11_equality_case_certified_and_tightening_refuted() -> None:
    tight = {
        "n": 4,
        "m": 2,
        "atoms": 2,
        "law": "rademacher",
        "matrix": "select",
        "spread": 0.0,
        "seed": 0,
    }
    run = _run("H.11", [tight], searched=4)
    assert _verdicts(run) == {Verdict.CERTIFIED}
    first = run.evaluations[0].parts[0]
    assert first.empirical == pytest.approx(1.0)  # equality E|A(x - mu)|^2 = m, certified exactly
    assert _verdicts(_run("H.11", [tight], {"C": Fraction(99, 100)})) == {Verdict.REFUTED}


def test_h11_domain() -> None:
    lemma = get("H.11")
    bad = {
        "n": 6,
        "m": 2,
        "atoms": 2,
        "law": "rademacher",
        "matrix": "select",
        "spread": 0.0,
        "seed": 0,
    }
    with pytest.raises(DomainError):
        evaluate(lemma, bad, lemma.stated_constants(), 64, user_input=True)


@pytest.mark.parametrize(
    "point", [{"m": 1, "t": 1e-6}, {"m": 2, "t": 20.0}, {"m": 10, "t": 0.01}, {"m": 400, "t": 5.0}]
)
def test_h9_two_computations_agree_to_six_digits(point) -> None:
    from lemmas.h09_h10_concentration import H9

    result = evaluate(H9, point, H9.stated_constants(), 64)
    parts = {p.name: p for p in result.parts}
    agreement = parts["upper_tail_two_ways"]
    assert agreement.kind == "agreement"
    assert agreement.verdict is Verdict.CERTIFIED
    assert agreement.agreement["digits"] >= 6


def test_h11_direct_equals_trace_is_an_agreement() -> None:
    from lemmas.h11_contraction_moment import H11

    params = next(iter(H11.examples))
    parts = {p.name: p for p in evaluate(H11, params, H11.stated_constants(), 64).parts}
    assert parts["direct_equals_trace"].kind == "agreement"
    assert parts["direct_equals_trace"].verdict is Verdict.CERTIFIED
