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


def test_c6_comb_top_is_a_certified_max():
    # key=float on the upper ends would take the wide ball [0.5, 1.5] whose lower end 0.5 hides
    # the certain value 1.4: against 1.3 that lhs cannot refute, the certified max [1.4, 1.5] does
    from flint import arb

    from verify.core.numbers import certainly_gt
    from verify.maths.orthant import comb_top

    wide, exact = arb(1, 0.5), arb("1.4")
    top = comb_top({1: [wide], -1: [exact]}, 1)
    assert certainly_gt(top, arb("1.3"))
    assert float(top.upper()) >= 1.5


def test_c8_samples_past_the_as_bound_are_counted_not_clamped(monkeypatch):
    # a model whose gap exceeds its almost-sure bound must be refuted, not silently clipped
    from verify.maths.instance import Instance

    original = Instance.score_gap_squared

    def inflated(self, x, sigma, candidates=None):
        lower, upper = original(self, x, sigma, candidates)
        return lower + 2 * self.gap_bound_max(sigma), upper + 2 * self.gap_bound_max(sigma)

    monkeypatch.setattr(Instance, "score_gap_squared", inflated)
    lemma = get("C.8")
    result = evaluate(lemma, lemma.examples[0], lemma.stated_constants(), 64)
    assert result.verdict is Verdict.REFUTED
    part = next(p for p in result.parts if p.name == "samples_within_as_bound")
    assert part.verdict is Verdict.REFUTED
    assert part.data["beyond"] == lemma.examples[0]["samples"]
    assert part.data["largest_over_bound"] > 2


def test_c8_exact_gap_is_not_clamped():
    import torch

    from verify.maths.orthant import instance_from_params as instance_from

    inst = instance_from({"d": 3, "d_out": 2, "f": "projection", "R": 0.5, "eps": 0.5})
    x, _ = inst.sample(50, torch.Generator().manual_seed(0), sigma=0.05)
    monkey = inst.gap_bound_max
    inst.__dict__["gap_bound_max"] = lambda sigma: monkey(sigma) * 1e-12
    _, upper = inst.score_gap_squared(x, 0.05)
    assert float(upper.max()) > inst.gap_bound_max(0.05)


def test_c8_refutation_confirmed_by_a_fresh_redraw():
    lemma = get("C.8")
    result = evaluate(lemma, lemma.examples[0], {"C8": Fraction(1, 1000)}, 64)
    part = next(p for p in result.parts if p.name == "score_gap")
    assert part.verdict is Verdict.REFUTED
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"
