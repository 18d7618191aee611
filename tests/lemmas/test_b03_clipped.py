"""B.3 under Definition B.1's clipped noise: the exact posterior sampler, the bound, refutations."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest

import lemmas.b03_clipped as module
from lemmas.b03_clipped import B3_CLIPPED
from verify.core.errors import DomainError
from verify.core.runner import evaluate, run_lemma, verdict_counts
from verify.core.verdict import Verdict
from verify.maths.instance import Instance
from verify.maths.oneway import GoldreichFunction
from verify.maths.samplers.inversion import ClippedPosteriorSampler, ExactPosteriorSampler

POINT = B3_CLIPPED.examples[0]


def _part(result):
    return next(p for p in result.parts if p.name == "failure_rate_vs_bound")


@pytest.mark.parametrize("example", B3_CLIPPED.examples)
def test_examples_hold_statistically(example):
    result = evaluate(B3_CLIPPED, example, B3_CLIPPED.stated_constants(), 64)
    assert result.verdict is Verdict.STATISTICAL, result.parts
    assert _part(result).data["no_answer"] == 0


def test_tightened_constant_is_refuted_through_the_strict_rule():
    # observed C is about 0.8: C = 1/10 must fail at 1e-6 and on a 4x independent re-draw
    result = evaluate(B3_CLIPPED, POINT, {"C": Fraction(1, 10)}, 64)
    assert result.verdict is Verdict.REFUTED
    assert _part(result).refutation["outcome"] == "confirmed by an independent re-draw"


def test_sampler_that_forgets_the_clip_is_refuted(monkeypatch):
    # The Gaussian-noise posterior fed clipped measurements weighs seeds of the wrong phase:
    # failure ~0.87 against a bound of 0.18.
    def gaussian(instance, beta, clip):
        return ExactPosteriorSampler(instance, beta)

    monkeypatch.setattr(module, "ClippedPosteriorSampler", gaussian)
    point = {**POINT, "beta": 0.3, "trials": 2000}
    result = evaluate(B3_CLIPPED, point, B3_CLIPPED.stated_constants(), 64)
    assert result.verdict is Verdict.REFUTED
    assert _part(result).refutation["outcome"] == "confirmed by an independent re-draw"


def test_adversary_without_its_delta_terms_is_refuted():
    point = {**B3_CLIPPED.examples[1], "delta": 0.2, "tau": 0.0}
    result = evaluate(B3_CLIPPED, point, {"C": Fraction(1, 5)}, 64)
    assert result.verdict is Verdict.REFUTED
    assert _part(result).refutation["outcome"] == "confirmed by an independent re-draw"


def test_posterior_is_uniform_on_the_seeds_consistent_with_the_phases():
    import torch

    instance = Instance(GoldreichFunction(8, 4, 0), 2.0, 1.0, eps_max=math.inf)
    sampler = ClippedPosteriorSampler(instance, 0.3, 0.25)
    generator = torch.Generator().manual_seed(0)
    x, _ = instance.sample_by_inverse_cdf(50, generator)
    y = x[:, 8:] + 0.24 * (2 * torch.rand(50, 4, generator=generator, dtype=torch.float64) - 1)
    logits = sampler.seed_log_posterior(y)
    phases = torch.as_tensor(Instance.decode_phases(y.numpy(), 1.0), dtype=torch.float64)
    consistent = (sampler.codes.unsqueeze(0) == phases.unsqueeze(1)).all(-1)
    assert torch.equal(torch.isfinite(logits), consistent)
    for row, mask in zip(logits, consistent, strict=True):
        assert torch.allclose(row[mask], row[mask][0].expand(int(mask.sum())))
    draws = sampler(y.repeat(20, 1), generator)
    codes = instance.outputs_torch(torch.where(draws[:, :8] >= 0, 1.0, -1.0))
    tails = (draws[:, 8:] - y.repeat(20, 1)).abs()
    assert bool((tails <= 0.25).all())
    assert not torch.isnan(draws).any() and codes.shape == (1000, 4)


def test_impossible_measurement_gives_no_answer():
    import torch

    instance = Instance(GoldreichFunction(6, 2, 0), 2.0, 1.0, eps_max=math.inf)
    sampler = ClippedPosteriorSampler(instance, 0.3, 0.1)
    y = torch.tensor([[0.25, 0.0]], dtype=torch.float64)  # 0.25 from every comb point
    out = sampler(y, torch.Generator().manual_seed(0))
    assert bool(torch.isnan(out).all()) and sampler.stats.gave_up == 1


def test_clipped_measurement_cdf_has_the_clipped_law():
    import torch

    instance = Instance(GoldreichFunction(6, 2, 0), 2.0, 1.0, eps_max=math.inf)
    sampler = ClippedPosteriorSampler(instance, 0.3, 0.2)
    u = torch.tensor([-0.3, -0.2, 0.0, 0.2, 0.3], dtype=torch.float64)
    cdf = sampler.noise_cdf(u)
    assert cdf.tolist()[:2] == [0.0, 0.0] and cdf.tolist()[3:] == [1.0, 1.0]
    assert abs(float(cdf[2]) - 0.5) < 1e-15


def test_search_run_quick():
    small = dataclasses.replace(B3_CLIPPED, examples=[], budget={"quick": 1})
    counts = verdict_counts(run_lemma(small, profile="quick", seed=0))
    assert counts["refuted"] == 0 and counts["error"] == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"clip": 0.3},  # > eps / 4
        {"beta": 0.0},
        {"d": 3},
        {"sampler": "magic"},
        {"sampler": "rejection", "d_out": 6},
        {"tau": 0.5},  # tau must be 0 for the exact sampler
        {"sampler": "adversarial", "tau": 4.0},
        {"sampler": "adversarial", "delta": 0.7},
    ],
)
def test_domain_errors(bad):
    with pytest.raises(DomainError):
        B3_CLIPPED.validate_point({**POINT, **bad})


def test_rejection_and_enumeration_agree_on_a_fixed_measurement():
    # Two independent exact samplers of the clipped posterior: enumeration (weights, inverse
    # CDF) and Algorithm 1 (no weights). At R = 6 a sign flip has probability ~1e-9, so
    # sign(x_{1:d}) is the drawn seed; both must draw only seeds consistent with y's phases
    # and the same comb points, and rejection must reach every consistent seed.
    import torch

    from verify.maths.samplers.inversion import ClippedRejectionSampler

    instance = Instance(GoldreichFunction(6, 2, 3), 6.0, 2.0, eps_max=math.inf)
    enumeration = ClippedPosteriorSampler(instance, 0.3, 0.5)
    rejection = ClippedRejectionSampler(instance, 0.3, 0.5)
    generator = torch.Generator().manual_seed(5)
    x, _ = instance.sample_by_inverse_cdf(1, generator)
    y = (x[:, 6:] + 0.2).repeat(400, 1)
    exact_draws, rejection_draws = enumeration(y, generator), rejection(y, generator)
    assert torch.equal(exact_draws[:, 6:], rejection_draws[:, 6:])
    consistent = torch.isfinite(enumeration.seed_log_posterior(y[:1]))[0]
    index = {tuple(s.tolist()): i for i, s in enumerate(enumeration.seeds)}
    for draws in (exact_draws, rejection_draws):
        seeds = {index[tuple(torch.where(row >= 0, 1.0, -1.0).tolist())] for row in draws[:, :6]}
        assert seeds == set(torch.nonzero(consistent).flatten().tolist())
