"""C.17 / C.18: certified at the stated constants, refuted below the worst case found."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from flint import arb

from lemmas.c17_c18_large_sigma import C17, C18
from verify.core.errors import DomainError
from verify.core.runner import evaluate, run_lemma, verdict_counts
from verify.core.verdict import Verdict
from verify.maths.large_sigma import density_deviation_bound
from verify.maths.large_sigma_points import EXAMPLES as _EXAMPLES


def _small(lemma):
    return dataclasses.replace(lemma, budget={"quick": 3})


@pytest.mark.parametrize("lemma", [C17, C18])
def test_certified_at_stated_constants(lemma):
    run = run_lemma(_small(lemma), profile="quick", seed=0)
    counts = verdict_counts(run)
    assert counts["certified"] == len(run.evaluations), counts


@pytest.mark.parametrize(
    ("lemma", "name", "value"),
    [
        (C17, "K17", Fraction(9, 10)),  # the tight example reaches 1.0
        (C17, "C17", Fraction(1, 5)),  # the least sufficient C is >= 0.225
        (C18, "K18", Fraction(4, 5)),  # the tight example reaches 0.91
        (C18, "C18", Fraction(1, 5)),
    ],
)
def test_refuted_below_worst_case(lemma, name, value):
    run = run_lemma(dataclasses.replace(lemma, budget={"quick": 0}), constants={name: value})
    assert any(e.verdict is Verdict.REFUTED for e in run.evaluations)


def test_known_false_variant_refuted():
    # dropping the d' exponent (D for one coordinate only) is false for d' = 5 at the teeth
    params = dict(_EXAMPLES[0])
    one = dict(params, d_out=1, y_steps=[0], y_jitter=[0.0])
    single = density_deviation_bound(1, params["sigma"], params["eps"])
    full = density_deviation_bound(5, params["sigma"], params["eps"])
    factor = Fraction(float(single.mid())) / Fraction(float(full.mid()))
    evaluation = evaluate(C17, params, {"K17": factor, "C17": Fraction(1, 4)}, 64)
    assert evaluation.verdict is Verdict.REFUTED
    assert evaluate(C17, one, C17.stated_constants(), 64).verdict is Verdict.CERTIFIED


@pytest.mark.parametrize(
    "change",
    [{"sigma": 0.001}, {"sigma": -1.0}, {"eps": 1.5}, {"R": 0.0}, {"delta": 1.0}, {"d_out": 0}],
)
def test_domain_errors(change):
    params = dict(_EXAMPLES[2], **change)
    with pytest.raises(DomainError):
        evaluate(C17, params, C17.stated_constants(), 64, user_input=True)


def test_equality_points_kept_out_of_the_domain():
    # eps < 0.2 with every comb coordinate on a tooth: the bound is attained up to T(q0) < 1e-200
    params = dict(_EXAMPLES[3], y_steps=[0, 2, 4, -6, 8], y_jitter=[0.0] * 5)
    with pytest.raises(DomainError):
        evaluate(C17, params, C17.stated_constants(), 64, user_input=True)
    nudged = dict(params, y_jitter=[1e-5, 0.0, 0.0, 0.0, 0.0])
    assert evaluate(C17, nudged, C17.stated_constants(), 64).verdict is Verdict.CERTIFIED


@pytest.mark.parametrize("lemma", [C17, C18])
def test_cross_checks_are_agreements_to_six_digits(lemma):
    run = run_lemma(_small(lemma), profile="quick", seed=0)
    checked = 0
    for evaluation in run.evaluations:
        for part in evaluation.parts:
            if "_vs_direct" not in part.name:
                continue
            checked += 1
            assert part.kind == "agreement"
            assert part.verdict is Verdict.CERTIFIED
            assert part.agreement["digits"] >= 6, part.agreement
    assert checked >= len(run.evaluations)


def test_nan_cross_check_is_never_certified(monkeypatch):
    import lemmas.c17_c18_large_sigma as module

    original = module.direct_deviation

    def nan_direct(params, words):
        _, gap = original(params, words)
        return arb("nan"), [arb("nan")] * len(gap)

    monkeypatch.setattr(module, "direct_deviation", nan_direct)
    for lemma in (C17, C18):
        evaluation = evaluate(lemma, _EXAMPLES[0], lemma.stated_constants(), 64)
        assert evaluation.verdict is not Verdict.CERTIFIED
