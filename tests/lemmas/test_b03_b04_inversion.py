"""B.3 / B.4 / L.3.3: the inversion reduction against its explicit bound, and refutations."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from lemmas.b03_b04_inversion import B3, B4, L33
from verify.core.errors import DomainError
from verify.core.runner import evaluate, run_lemma, verdict_counts
from verify.core.verdict import Verdict

POINT = {
    "d": 8,
    "d_out": 4,
    "R": 3.5,
    "eps": 1.0,
    "beta": 0.1,
    "tau": 0.0,
    "delta": 0.0,
    "sampler": "exact",
    "f_seed": 0,
    "seed": 1,
    "trials": 1500,
}


@pytest.mark.parametrize("lemma", [B3, B4, L33], ids=lambda lemma: lemma.id)
def test_stated_bound_holds_statistically(lemma):
    point = {**POINT, "beta": 0.15}  # failure ~0.3 of a bound ~0.57: separates at 1500 trials
    result = evaluate(lemma, point, lemma.stated_constants(), 64)
    assert result.verdict is Verdict.STATISTICAL, result.parts


@pytest.mark.parametrize("lemma", [B3, B4, L33], ids=lambda lemma: lemma.id)
def test_tightened_constant_is_refuted(lemma):
    # Observed C is about 0.85 (the union bound is nearly attained); C = 1/10 must fail.
    result = evaluate(lemma, POINT, {"C": Fraction(1, 10)}, 64)
    assert result.verdict is Verdict.REFUTED
    # through the strict rule: significant at 1e-6 and confirmed by a 4x independent re-draw
    part = next(p for p in result.parts if p.name == "failure_rate_vs_bound")
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"


def test_adversarial_sampler_refutes_a_bound_without_the_delta_terms():
    # The adversary spends its whole delta budget (2 delta = 0.4 of garbage), so the bound is
    # nearly attained: a fifth of it must be refuted.
    point = {**POINT, "sampler": "adversarial", "tau": 0.0, "delta": 0.2, "trials": 3000}
    result = evaluate(B4, point, {"C": Fraction(1, 5)}, 64)
    assert result.verdict is Verdict.REFUTED
    part = next(p for p in result.parts if p.name == "failure_rate_vs_bound")
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"


def test_run_lemma_small_budget():
    small = dataclasses.replace(B4, examples=[POINT], budget={"quick": 1})
    run = run_lemma(small, profile="quick", seed=0)
    counts = verdict_counts(run)
    assert counts["refuted"] == 0 and counts["error"] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"R": -1.0},
        {"beta": 0.0},
        {"d": 3},
        {"sampler": "magic"},
        {"tau": 0.5},  # tau must be 0 for the exact sampler
        {"sampler": "rejection", "d_out": 6},
        {"sampler": "adversarial", "tau": 4.0},
        {"sampler": "adversarial", "delta": 0.7},
    ],
)
def test_domain_errors(bad):
    with pytest.raises(DomainError):
        B3.validate_point({**POINT, **bad})


def test_plots_written(tmp_path):
    small = dataclasses.replace(
        B4,
        examples=[
            POINT,
            {**POINT, "sampler": "rejection", "eps": 2.0, "beta": 0.3, "d_out": 2, "trials": 50},
        ],
        budget={"quick": 0},
    )
    run = run_lemma(small, profile="quick", seed=0)
    names = B4.plots([e.to_json() for e in run.evaluations], tmp_path)
    assert names and all((tmp_path / n).stat().st_size > 0 for n in names)


@pytest.mark.parametrize("lemma", [B4, L33], ids=lambda lemma: lemma.id)
def test_tv_route_certified_and_refuted_when_tightened(lemma):
    parts = {p.name: p for p in evaluate(lemma, POINT, lemma.stated_constants(), 64).parts}
    assert parts["tv_step"].verdict is Verdict.CERTIFIED
    assert parts["failure_rate_vs_tv_route"].verdict is Verdict.STATISTICAL
    tight = {p.name: p for p in evaluate(lemma, POINT, {"C": Fraction(1, 10)}, 64).parts}
    route = tight["failure_rate_vs_tv_route"]
    assert route.verdict is Verdict.REFUTED
    assert route.refutation["outcome"] == "confirmed by an independent re-draw"


def test_tv_step_equality_at_one_coordinate_and_a_planted_tv_refuted(monkeypatch):
    from verify.core.verdict import judge
    from verify.maths.samplers import inversion

    two_tv, term, margin = inversion.tv_step_parts(1, 1.0, 0.2)
    assert judge(two_tv, term, margin=margin) is Verdict.CERTIFIED
    monkeypatch.setattr(inversion, "clipped_normal_tv", lambda c, b, n: 3 * n * c / b)
    two_tv, term, margin = inversion.tv_step_parts(4, 1.0, 0.2)
    assert judge(two_tv, term, margin=margin) is Verdict.REFUTED


@pytest.mark.parametrize("lemma", [B4, L33], ids=lambda lemma: lemma.id)
def test_reduction_overhead_certified_and_refuted_when_tightened(lemma):
    # the counted steps per inversion (4 d' + d for B.4, 5 d' + d for L.3.3) against C_ov (d + d')
    point = {**POINT, "trials": 200}
    result = evaluate(lemma, point, lemma.stated_constants(), 64)
    part = next(p for p in result.parts if p.name == "reduction_overhead")
    assert part.verdict is Verdict.CERTIFIED
    assert 0.9 < part.data["exponent"] < 1.0  # linear in d + d'
    tightened = evaluate(
        lemma,
        point,
        {**lemma.stated_constants(), "C_ov": Fraction(part.empirical) * Fraction(999, 1000)},
        64,
    )
    assert (
        next(p for p in tightened.parts if p.name == "reduction_overhead").verdict
        is Verdict.REFUTED
    )


def test_quadratic_overhead_reduction_is_refuted():
    (mutant,) = B4.model_mutants
    result = evaluate(
        dataclasses.replace(B4, check=mutant.check), mutant.examples[0], B4.stated_constants(), 64
    )
    part = next(p for p in result.parts if p.name == "reduction_overhead")
    assert part.verdict is Verdict.REFUTED
    assert part.data["exponent"] > 1.5
    # the failure parts are untouched: only the overhead tells the two reductions apart
    assert all(p.verdict is not Verdict.REFUTED for p in result.parts if p is not part)
