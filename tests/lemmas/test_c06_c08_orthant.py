import dataclasses
from fractions import Fraction

import pytest

from verify.core.errors import DomainError
from verify.core.registry import get
from verify.core.runner import evaluate, run_lemma, verdict_counts
from verify.core.verdict import Verdict


@pytest.mark.parametrize("lemma_id", ["C.6", "C.7"])
def test_quick_runs_certify(lemma_id):
    lemma = dataclasses.replace(get(lemma_id), budget={"quick": 6})
    run = run_lemma(lemma, profile="quick", seed=0)
    assert verdict_counts(run)["certified"] == len(run.evaluations)


def test_c8_small_run_is_statistical():
    lemma = dataclasses.replace(get("C.8"), budget={"quick": 1}, examples=get("C.8").examples[:1])
    run = run_lemma(lemma, profile="quick", seed=0)
    assert verdict_counts(run)["statistical"] == len(run.evaluations)


def test_c6_tightened_constant_is_refuted():
    lemma = get("C.6")
    result = evaluate(lemma, lemma.examples[0], {"C6": Fraction(1, 2)}, 64)
    assert result.verdict is Verdict.REFUTED


def test_c7_tightened_constant_is_refuted():
    lemma = get("C.7")
    result = evaluate(lemma, lemma.examples[0], {"C7": Fraction(1, 2)}, 64)
    assert result.verdict is Verdict.REFUTED


def test_c8_tightened_constant_is_refuted():
    lemma = get("C.8")
    result = evaluate(lemma, lemma.examples[0], {"C8": Fraction(1, 1000)}, 64)
    assert result.verdict is Verdict.REFUTED


def test_c8_truncated_gap_encloses_exact_gap():
    import torch

    from verify.maths.orthant import instance_from_params as instance_from

    inst = instance_from({"d": 7, "d_out": 3, "f": "goldreich", "f_seed": 2, "R": 1.5, "eps": 0.3})
    x, _ = inst.sample(800, torch.Generator().manual_seed(3), sigma=0.3)
    exact, _ = inst.score_gap_squared(x, 0.3)
    for c in (0, 2, 5):
        lo, hi = inst.score_gap_squared(x, 0.3, candidates=c)
        assert bool((lo <= exact * (1 + 1e-9) + 1e-12).all())
        assert bool((hi >= exact * (1 - 1e-9) - 1e-12).all())


@pytest.mark.parametrize(
    "change",
    [{"R": 0.0}, {"R": -1.0}, {"eps": 1.0}, {"eps": 1.5}, {"d_out": 0}, {"sigma": 0.0}],
)
@pytest.mark.parametrize("lemma_id", ["C.6", "C.7", "C.8"])
def test_bad_parameters_are_one_line_domain_errors(lemma_id, change):
    lemma = get(lemma_id)
    point = {**lemma.examples[0], **change}
    with pytest.raises(DomainError) as info:
        evaluate(lemma, point, lemma.stated_constants(), 64, user_input=True)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "change", [{"d": 16, "d_out": 8}, {"f": "magic"}, {"x": [0.0, 0.0]}, {"typo": 1}]
)
def test_malformed_points_are_refused(change):
    # d > 10 without candidates (C.8), an unknown f, x of the wrong length (C.6), unknown names
    lemma = get("C.8") if "d" in change else get("C.6")
    point = {**lemma.examples[0], **change}
    with pytest.raises(DomainError):
        evaluate(lemma, point, lemma.stated_constants(), 64, user_input=True)
