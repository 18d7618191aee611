"""B.1: the clipped normal's mass, its TV step to Gaussian noise, decoding, and its sampler."""

from __future__ import annotations

from fractions import Fraction

import pytest

import lemmas.b01_clipped_noise as module
from lemmas.b01_clipped_noise import B1
from verify.core.errors import DomainError
from verify.core.runner import evaluate
from verify.core.verdict import Verdict


def _parts(evaluation):
    return {p.name: p for p in evaluation.parts}


def test_quick_run_passes(main_job_records):
    """The main job's B.1 record (its whole quick search, seed 0; tests/conftest.py), not a
    second run of the same search cut to 3 examples."""
    record = main_job_records["B.1"]
    counts = record["verdicts"]
    assert record["examples"] > len(B1.examples)  # the searched examples too
    assert counts["statistical"] == record["examples"], counts


@pytest.mark.parametrize("example", B1.examples)
def test_certified_parts_certify(example):
    parts = _parts(evaluate(B1, example, B1.stated_constants(), 64))
    for name in ("mass_two_ways", "tv_to_gaussian", "samples_within_clip"):
        assert parts[name].verdict is Verdict.CERTIFIED, parts[name]
    assert parts["mass_two_ways"].agreement["digits"] >= 6


def test_tv_equality_at_one_coordinate_certified_by_the_margin():
    # at d' = 1 the TV is exactly 2 Phi_bar(c / beta): only the Bonferroni margin decides
    parts = _parts(evaluate(B1, B1.examples[1], B1.stated_constants(), 64))
    assert parts["tv_to_gaussian"].verdict is Verdict.CERTIFIED


def test_tightened_constant_is_refuted():
    result = evaluate(B1, B1.examples[0], {"C_TV": Fraction(1, 2)}, 64)
    assert _parts(result)["tv_to_gaussian"].verdict is Verdict.REFUTED


def test_unclipped_sampler_is_refuted(monkeypatch):
    import torch

    def plain(n, beta, clip, generator):
        return beta * torch.randn(n, generator=generator, dtype=torch.float64)

    monkeypatch.setattr(module, "sample_clipped_normal", plain)
    parts = _parts(evaluate(B1, B1.examples[1], B1.stated_constants(), 64))
    assert parts["samples_within_clip"].verdict is Verdict.REFUTED


def test_wrong_law_inside_the_clip_is_refuted_and_confirmed(monkeypatch):
    import torch

    def uniform(n, beta, clip, generator):
        return clip * (2 * torch.rand(n, generator=generator, dtype=torch.float64) - 1)

    monkeypatch.setattr(module, "sample_clipped_normal", uniform)
    result = evaluate(B1, B1.examples[0], B1.stated_constants(), 64)
    assert result.verdict is Verdict.REFUTED
    refuted = [p for p in result.parts if p.kind == "statistical" and p.verdict is Verdict.REFUTED]
    assert refuted
    assert all(p.refutation["outcome"] == "confirmed by an independent re-draw" for p in refuted)


def test_clipping_wider_than_the_decoder_margin_is_refused():
    point = dict(B1.examples[0], clip=0.2)  # > eps / 4
    with pytest.raises(DomainError):
        evaluate(B1, point, B1.stated_constants(), 64, user_input=True)


def test_decoding_errors_appear_past_the_margin():
    # the decoding part can fail: with c = eps / 2 some draws cross to the other comb
    from verify.core.verdict import judge

    point = dict(B1.examples[1], clip=0.15)  # outside the domain: the check called directly
    parts = {p.name: p for p in module._check(point, B1.stated_constants())}
    decoding = parts["decoder_exact_under_clipping"]
    assert judge(decoding.lhs, decoding.rhs) is Verdict.REFUTED
