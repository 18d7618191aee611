"""C.19 / C.20: certified (and statistical) at the stated constants, refuted below them."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from lemmas.c19_c20_mixture_network import _C19_EXAMPLES, C19, C20
from verify.core.errors import DomainError
from verify.core.runner import evaluate, run_lemma, verdict_counts
from verify.core.verdict import Verdict


def test_c19_certified_at_stated_constants():
    run = run_lemma(dataclasses.replace(C19, budget={"quick": 2}), profile="quick", seed=0)
    assert verdict_counts(run)["certified"] == len(run.evaluations)


def test_c20_certified_and_statistical_at_stated_constants():
    run = run_lemma(dataclasses.replace(C20, budget={"quick": 2}), profile="quick", seed=0)
    counts = verdict_counts(run)
    assert counts["statistical"] == len(run.evaluations), counts
    for evaluation in run.evaluations:
        kinds = {p.name: p.verdict for p in evaluation.parts}
        assert kinds["score_error"] is Verdict.CERTIFIED


@pytest.mark.parametrize(
    ("lemma", "name", "value"),
    [
        (C19, "K19", Fraction(1, 20)),  # the sup error's certified lower end exceeds delta/20
        (C19, "P19", Fraction(1, 2)),  # 99 pieces against a unit of 136 at the first example
        (C20, "K20", Fraction(1, 2)),  # the C.18-tight point reaches 0.91
    ],
)
def test_refuted_below_worst_case(lemma, name, value):
    run = run_lemma(dataclasses.replace(lemma, budget={"quick": 0}), constants={name: value})
    assert any(e.verdict is Verdict.REFUTED for e in run.evaluations)


def test_known_false_variant_refuted():
    # asking the network for delta/100 while it was built for delta must fail the sup part
    params = dict(_C19_EXAMPLES[0])
    evaluation = evaluate(C19, params, {"K19": Fraction(1, 100), "P19": Fraction(2)}, 64)
    parts = {p.name: p.verdict for p in evaluation.parts}
    assert parts["sup_error"] is Verdict.REFUTED


@pytest.mark.parametrize(
    "change", [{"sigma": 0.0}, {"R": -1.0}, {"delta": 0.0}, {"d": 0}, {"sigma": float("nan")}]
)
def test_c19_domain_errors(change):
    with pytest.raises(DomainError):
        evaluate(C19, dict(_C19_EXAMPLES[0], **change), C19.stated_constants(), 64, user_input=True)


def test_c20_domain_errors():
    params = dict(C20.examples[2], eps=1.0)
    with pytest.raises(DomainError):
        evaluate(C20, params, C20.stated_constants(), 64, user_input=True)
    params = dict(C20.examples[2], net_delta=0.0)
    with pytest.raises(DomainError):
        evaluate(C20, params, C20.stated_constants(), 64, user_input=True)


def _statistical(evaluation):
    return next(p for p in evaluation.parts if p.name == "mean_square_error_under_g_sigma")


def test_c20_wrong_float_score_is_refuted_and_confirmed(monkeypatch):
    # a float implementation whose errors sit near the pointwise bound on every sample: the
    # mean-square part must be refuted at 1e-6 on its own samples and on a fresh re-draw
    import numpy as np

    import lemmas.c19_c20_mixture_network as module

    params = C20.examples[0]
    honest = evaluate(C20, params, C20.stated_constants(), 64)
    data = next(p for p in honest.parts if p.name == "samples_within_pointwise_bound").data
    bound = _statistical(honest).data["largest"] / data["largest_over_bound"]
    drawn = []

    def near_bound(instance, network, n, seed, sigma):
        drawn.append((n, seed))
        return np.full(n, 0.99 * bound)

    monkeypatch.setattr(module, "squared_score_errors", near_bound)
    constants = dict(C20.stated_constants(), K20=Fraction(1, 4))
    evaluation = evaluate(C20, params, constants, 64)
    part = _statistical(evaluation)
    assert part.verdict is Verdict.REFUTED
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"
    assert drawn[-1][0] == 4 * drawn[0][0] and drawn[-1][1] != drawn[0][1]


def test_c20_sample_past_the_pointwise_bound_refutes(monkeypatch):
    import numpy as np

    import lemmas.c19_c20_mixture_network as module

    monkeypatch.setattr(module, "squared_score_errors", lambda *a: np.full(a[2], 1e6))
    evaluation = evaluate(C20, C20.examples[0], C20.stated_constants(), 64)
    parts = {p.name: p for p in evaluation.parts}
    assert parts["samples_within_pointwise_bound"].verdict is Verdict.REFUTED
    assert parts["mean_square_error_under_g_sigma"].verdict is not Verdict.STATISTICAL
