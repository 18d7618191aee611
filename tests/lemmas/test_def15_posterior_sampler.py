"""Def.1.5: Algorithm 1 on the exact instance sampler is a posterior sampler; the posterior of
the wrong y is REFUTED."""

from __future__ import annotations

import pytest

import lemmas.def15_posterior_sampler as def15
from verify.core.runner import evaluate
from verify.core.verdict import Verdict

POINT = dict(def15.DEF15.examples[0])


def _part(point):
    result = evaluate(def15.DEF15, point, {}, 64)
    return {p.name: p for p in result.parts}["posterior_probability"]


def test_exact_rejection_is_a_posterior_sampler() -> None:
    assert _part(POINT).verdict is Verdict.STATISTICAL


def test_posterior_of_the_wrong_y_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    # the comb phase flipped: y moved by eps/2 (unscaled) selects the other comb everywhere
    def wrong(y, inst, gen):
        return y + float(inst.eps) / (2 * inst.scale)

    monkeypatch.setattr(def15, "_measured_y", wrong)
    part = _part(POINT)
    assert part.verdict is Verdict.REFUTED
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"


def test_model_mutants_are_caught() -> None:
    from tests.lemmas.model_mutants import assert_all_caught

    assert_all_caught(def15.DEF15)
