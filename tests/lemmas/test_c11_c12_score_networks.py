"""C.11, C.12: score networks certified on examples and refuted below their error constants."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from lemmas.c11_c12_score_networks import C11, C12
from verify.core.errors import DomainError
from verify.core.runner import evaluate, params_key, run_lemma, verdict_counts


def _fixed_records(lemma, main_job_records) -> list[dict]:
    """The main job's records (quick profile, seed 0; tests/conftest.py) of ``lemma``'s fixed
    examples, in their order: the runs of the examples at the stated constants, not made a
    second time here."""
    by_params = {
        params_key(record["params"]): record for record in main_job_records[lemma.id]["records"]
    }
    return [by_params[params_key(example)] for example in lemma.examples]


def _part(record, name):
    return next(p for p in record["parts"] if p["name"] == name)


@pytest.mark.parametrize(("lemma", "name"), [(C11, "C11"), (C12, "C12")])
def test_certified_then_refuted_below_the_empirical_error(lemma, name, main_job_records) -> None:
    records = _fixed_records(lemma, main_job_records)
    assert [r["verdict"] for r in records] == ["certified"] * len(lemma.examples)
    found = main_job_records[lemma.id]["constants"][name]["empirical"]
    assert 0 < found < 1e-2
    # Each example is refuted below its own empirical error (the examples span delta sigma^2
    # from 1/1024 to 1/2, and error/delta falls like delta: one constant cannot refute all).
    for example, record in zip(lemma.examples, records, strict=True):
        own = _part(record, "error")["empirical"]
        only = dataclasses.replace(lemma, examples=[example], budget={"quick": 0})
        refuted = run_lemma(only, profile="quick", seed=0, constants={name: Fraction(own / 4)})
        assert verdict_counts(refuted)["refuted"] == 1
        names = [p.name for p in refuted.evaluations[0].parts if p.verdict.value == "refuted"]
        assert names == ["error"]


@pytest.mark.parametrize("lemma", [C11, C12])
def test_records_reach_the_papers_regime(lemma, main_job_records) -> None:
    # Issue 12 item 3: records at delta sigma^2 (per coordinate) <= 1e-3, certified.
    records = _fixed_records(lemma, main_job_records)
    shares = []
    for record in records:
        p = record["params"]
        shares.append(p["delta"] * p["sigma"] ** 2 / len(p.get("coords", [None])))
    assert min(shares) <= 1e-3
    assert all(r["verdict"] == "certified" for r in records)


def test_domain_errors() -> None:
    law = {"sigma": 1.0, "means": [0.0], "weights": [1.0]}
    with pytest.raises(DomainError):
        evaluate(C11, {**law, "delta": 1 / 2048}, C11.stated_constants(), 64, user_input=True)
    coords = [{"means": [0.0], "weights": [1.0]}] * 2
    with pytest.raises(DomainError):
        evaluate(C12, {"sigma": 1.0, "coords": coords, "delta": 4.0}, {}, 64, user_input=True)
