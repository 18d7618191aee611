"""Def.1.2: the closeness checker on its closed forms; model mutants are REFUTED."""

from __future__ import annotations

import numpy as np
import pytest

import lemmas.def12_closeness as def12
from verify.core.errors import DomainError
from verify.core.runner import evaluate
from verify.core.verdict import Verdict

POINT = {"a": 2.0, "tau": 0.5, "atoms": 6, "samples": 20_000, "seed": 0}


def _verdicts(point, lemma=def12.DEF12):
    result = evaluate(lemma, point, lemma.stated_constants(), 64)
    return {p.name: p for p in result.parts}


@pytest.mark.parametrize("point", def12.DEF12.examples)
def test_examples_pass(point) -> None:
    parts = _verdicts(point)
    assert parts["shift_exact"].verdict is Verdict.CERTIFIED
    assert parts["perturbation_exact"].verdict is Verdict.CERTIFIED
    assert parts["gaussian_lower"].verdict is Verdict.STATISTICAL
    assert parts["gaussian_upper"].verdict is Verdict.STATISTICAL


def test_sampler_shifted_by_three_tau_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    def shifted(a: float, n: int, rng: np.random.Generator) -> np.ndarray:
        return a + 3 * POINT["tau"] + rng.standard_normal(n)

    monkeypatch.setattr(def12, "_q_sampler", shifted)
    part = _verdicts(POINT)["gaussian_lower"]
    assert part.verdict is Verdict.REFUTED
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"


def test_wrong_closed_form_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    # the TV of N(0,1) and N(a,1) (tau ignored) in place of delta_tau: too large
    from verify.maths.closeness import gaussian_shift_delta

    monkeypatch.setattr(def12, "gaussian_shift_delta", lambda a, tau: gaussian_shift_delta(a, 0))
    assert _verdicts(POINT)["gaussian_upper"].verdict is Verdict.REFUTED


def test_domain() -> None:
    with pytest.raises(DomainError):
        def12.DEF12.validate_point({**POINT, "a": 0.0})
    with pytest.raises(DomainError):
        def12.DEF12.validate_point({**POINT, "samples": 10})


def test_model_mutants_are_caught() -> None:
    from tests.lemmas.model_mutants import assert_all_caught

    assert_all_caught(def12.DEF12, [POINT])
