"""Run a lemma's declared model mutants through ``verify.core.mutate.mutate`` (no constant
mutants: a test of the wrong models only)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from verify.core.contract import Lemma
from verify.core.mutate import mutate


def _with_stated(check: Any, stated: dict[str, Fraction]) -> Any:
    """The check at the stated constants, its parts naming no constant: the lemma's constants
    are stripped (no constant mutants), the inequalities are the same."""

    def checked(params: dict[str, Any], constants: dict[str, Fraction]) -> list:
        parts = check(params, {**stated, **constants})
        return [dataclasses.replace(part, constant=None) for part in parts]

    return checked


def model_mutant_summary(lemma: Lemma, examples: Sequence[dict[str, Any]] = ()) -> dict:
    """The mutation summary of ``lemma``'s model mutants alone, the unmutated run at
    ``examples`` (the lemma's own when empty)."""
    stated = lemma.stated_constants()
    models = [
        dataclasses.replace(m, check=_with_stated(m.check, stated)) for m in lemma.model_mutants
    ]
    light = dataclasses.replace(
        lemma,
        constants=[],
        check=_with_stated(lemma.check, stated),
        examples=list(examples) or list(lemma.examples),
        budget={"quick": 0},
        model_mutants=models,
    )
    return mutate(profile="quick", seed=0, lemmas=[light], log=lambda line: None)


def assert_all_caught(lemma: Lemma, examples: Sequence[dict[str, Any]] = ()) -> dict:
    assert lemma.model_mutants, f"{lemma.id} declares no model mutant"
    summary = model_mutant_summary(lemma, examples)
    statuses = {m["constant"]: m["status"] for m in summary["mutants"]}
    assert summary["total"] == len(lemma.model_mutants), statuses
    assert all(s == "caught" for s in statuses.values()), statuses
    return summary
