"""E.1: the explicit acceptance bound passes statistically; an inflated constant is REFUTED."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from verify.core.errors import DomainError
from verify.core.registry import get
from verify.core.runner import evaluate, run_lemma
from verify.core.verdict import Verdict

POINT = {
    "m": 6,
    "components": 2,
    "spread": 1.0,
    "std_lo": 0.3,
    "std_hi": 0.6,
    "beta": 0.3,
    "delta": 0.1,
    "r_frac": 0.5,
    "samples": 120,
    "seed": 4,
}


def _run(examples, constants=None, searched: int = 0):
    lemma = dataclasses.replace(get("E.1"), examples=examples, budget={"quick": searched})
    return run_lemma(lemma, profile="quick", seed=0, constants=constants or {})


def test_e1_statistical_pass_with_certified_steps() -> None:
    run = _run([POINT], searched=2)
    for evaluation in run.evaluations:
        verdicts = {p.name: p.verdict for p in evaluation.parts}
        assert verdicts["inner_quantile"] is Verdict.STATISTICAL
        assert verdicts["markov_step"] is Verdict.CERTIFIED
        assert verdicts["noise_step"] is Verdict.CERTIFIED
        assert evaluation.parts[0].confidence == pytest.approx(0.99)


def test_e1_inflated_constant_is_refuted() -> None:
    # the bound times 10^60 exceeds every probability: the quantile's upper end is below it
    run = _run([POINT], {"C": Fraction(10**60)})
    assert {e.verdict for e in run.evaluations} == {Verdict.REFUTED}


def test_e1_domain() -> None:
    lemma = get("E.1")
    with pytest.raises(DomainError):
        evaluate(lemma, {**POINT, "delta": 0.5}, lemma.stated_constants(), 64, user_input=True)
    with pytest.raises(DomainError):
        evaluate(lemma, {**POINT, "m": 40}, lemma.stated_constants(), 64, user_input=True)
