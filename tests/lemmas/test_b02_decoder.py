from fractions import Fraction

import pytest

from verify.core.errors import DomainError
from verify.core.registry import get
from verify.core.runner import evaluate
from verify.core.verdict import Verdict
from verify.maths.instance import phase_decoder_error_probability


def test_quick_run_passes(main_job_records):
    """The main job's B.2 record (its whole quick search, seed 0; tests/conftest.py), not a
    second run of the same search cut to 3 examples."""
    record = main_job_records["B.2"]
    counts = record["verdicts"]
    assert record["examples"] > len(get("B.2").examples)  # the searched examples too
    assert counts["refuted"] == counts["error"] == counts["inconclusive"] == 0


def test_exact_error_probability_matches_two_sided_sum():
    import math

    p = phase_decoder_error_probability(0.5, 0.2)
    ratio = 0.5 / 0.2
    direct = sum(
        0.5 * math.erfc((k + 0.25) * ratio / math.sqrt(2))
        - 0.5 * math.erfc((k + 0.75) * ratio / math.sqrt(2))
        for k in range(-50, 50)
    )
    assert abs(float(p.mid()) - direct) < 1e-12


def test_tightened_constant_is_refuted():
    lemma = get("B.2")
    result = evaluate(lemma, lemma.examples[0], {"C": Fraction(1, 2)}, 64)
    assert result.verdict is Verdict.REFUTED


def test_wrong_decoder_is_refuted(monkeypatch):
    import numpy as np

    from verify.maths.instance import Instance

    def careless(y, eps):  # decides on the nearer multiple of eps only within eps/8
        r = np.mod(np.asarray(y, dtype=float), eps)
        return np.where((r <= eps / 8) | (r > 7 * eps / 8), 1, -1).astype(np.int8)

    monkeypatch.setattr(Instance, "decode_phases", staticmethod(careless))
    lemma = get("B.2")
    result = evaluate(lemma, lemma.examples[0], lemma.stated_constants(), 64)
    assert result.verdict is Verdict.REFUTED


@pytest.mark.parametrize("change", [{"eps": 1.0}, {"eps": 0.0}, {"beta": 0.0}, {"d_out": 0}])
def test_bad_parameters_are_domain_errors(change):
    lemma = get("B.2")
    with pytest.raises(DomainError):
        evaluate(
            lemma, {**lemma.examples[0], **change}, lemma.stated_constants(), 64, user_input=True
        )


def test_wrong_decoder_refutation_is_confirmed_by_a_redraw(monkeypatch):
    import numpy as np

    from verify.maths.instance import Instance

    def careless(y, eps):
        r = np.mod(np.asarray(y, dtype=float), eps)
        return np.where((r <= eps / 8) | (r > 7 * eps / 8), 1, -1).astype(np.int8)

    monkeypatch.setattr(Instance, "decode_phases", staticmethod(careless))
    lemma = get("B.2")
    result = evaluate(lemma, lemma.examples[0], lemma.stated_constants(), 64)
    refuted = [p for p in result.parts if p.kind == "statistical" and p.verdict is Verdict.REFUTED]
    assert refuted
    assert all(p.refutation["outcome"] == "confirmed by an independent re-draw" for p in refuted)


@pytest.mark.parametrize("example", get("B.2").examples, ids=lambda e: str(e["d_out"]))
def test_seed_rounding_is_certified(example):
    # d = d' = 1 is an equality of the union bound: the Bonferroni margin certifies it
    lemma = get("B.2")
    result = evaluate(lemma, example, lemma.stated_constants(), 64)
    parts = {p.name: p for p in result.parts}
    assert parts["seed_rounding"].verdict is Verdict.CERTIFIED
    assert parts["seed_rounding_rate_above_interval_low"].verdict is Verdict.STATISTICAL


def test_wrong_head_noise_is_refuted_through_the_strict_rule(monkeypatch):
    import torch

    import lemmas.b02_decoder as module

    def too_noisy(R, d, n, seed):  # N(R s, 4 I): the sign flips far more often than Phi_bar(R)
        generator = torch.Generator().manual_seed(seed)
        s = 1 - 2 * torch.randint(0, 2, (n, d), generator=generator, dtype=torch.float64)
        head = R * s + 2 * torch.randn(n, d, generator=generator, dtype=torch.float64)
        return int((torch.where(head >= 0, 1.0, -1.0) != s).any(dim=1).sum())

    monkeypatch.setattr(module, "_rounding_errors", too_noisy)
    lemma = get("B.2")
    result = evaluate(lemma, {**lemma.examples[0], "R": 3.0, "d": 4}, lemma.stated_constants(), 64)
    part = next(p for p in result.parts if p.name == "seed_rounding_rate_above_interval_low")
    assert part.verdict is Verdict.REFUTED
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"
