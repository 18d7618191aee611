"""Run a lemma's declared model mutants through ``verify.core.mutate.mutate`` (no constant
mutants: a test of the wrong models only)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import asdict
from fractions import Fraction
from typing import Any

from verify.core.contract import Lemma
from verify.core.mutate import CAUGHT, mutate, mutate_model
from verify.core.runner import LemmaRun, run_lemma


def _with_stated(check: Any, stated: dict[str, Fraction]) -> Any:
    """The check at the stated constants, its parts naming no constant: the lemma's constants
    are stripped (no constant mutants), the inequalities are the same."""

    def checked(params: dict[str, Any], constants: dict[str, Fraction]) -> list:
        parts = check(params, {**stated, **constants})
        return [dataclasses.replace(part, constant=None) for part in parts]

    return checked


def _light(lemma: Lemma, examples: Sequence[dict[str, Any]]) -> Lemma:
    """``lemma`` at ``examples`` (its own when empty), no search, its constants fixed at the
    stated values and its model mutants checked there too."""
    stated = lemma.stated_constants()
    models = [
        dataclasses.replace(m, check=_with_stated(m.check, stated)) for m in lemma.model_mutants
    ]
    return dataclasses.replace(
        lemma,
        constants=[],
        check=_with_stated(lemma.check, stated),
        examples=list(examples) or list(lemma.examples),
        budget={"quick": 0},
        model_mutants=models,
    )


def unmutated_run(lemma: Lemma, examples: Sequence[dict[str, Any]] = ()) -> LemmaRun:
    """The unmutated run that the mutants are compared with (``mutate``'s base run): a test
    that also needs the lemma's verdicts at ``examples`` reads them here instead of a second
    evaluation, and passes it on to ``assert_all_caught``."""
    return run_lemma(_light(lemma, examples), profile="quick", seed=0)


def model_mutant_summary(
    lemma: Lemma, examples: Sequence[dict[str, Any]] = (), base: LemmaRun | None = None
) -> dict:
    """The mutation summary of ``lemma``'s model mutants alone, the unmutated run at
    ``examples`` (the lemma's own when empty): ``mutate``'s loop over the model mutants
    (``mutate_model`` against the base run), with ``base`` the unmutated run when given."""
    light = _light(lemma, examples)
    if base is None:
        return mutate(profile="quick", seed=0, lemmas=[light], log=lambda line: None)
    mutants = [
        asdict(mutate_model(light, model, base, profile="quick", seed=0))
        for model in light.model_mutants
    ]
    caught = sum(m["status"] == CAUGHT for m in mutants)
    return {"caught": caught, "total": len(mutants), "mutants": mutants}


def assert_all_caught(
    lemma: Lemma, examples: Sequence[dict[str, Any]] = (), base: LemmaRun | None = None
) -> dict:
    assert lemma.model_mutants, f"{lemma.id} declares no model mutant"
    summary = model_mutant_summary(lemma, examples, base)
    statuses = {m["constant"]: m["status"] for m in summary["mutants"]}
    assert summary["total"] == len(lemma.model_mutants), statuses
    assert all(s == "caught" for s in statuses.values()), statuses
    return summary
