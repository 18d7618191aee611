"""C.21 / Cor.3.5: statistical score-error checks, size checks, refutations."""

from __future__ import annotations

from fractions import Fraction

import pytest

import verify.maths.nets.instance_network as family
from lemmas.c21_instance_network import C21, COR35
from verify.core.errors import DomainError
from verify.core.runner import evaluate
from verify.core.verdict import Verdict

SMALL = {"d": 8, "gamma": 1.0, "sigma_u": 0.08, "samples": 1000, "seed": 0}
LARGE = {"d": 8, "gamma": 1.0, "sigma_u": 3.0, "samples": 1000, "seed": 0}


@pytest.mark.parametrize("lemma", [C21, COR35], ids=lambda lemma: lemma.id)
def test_stated_constants_hold(lemma):
    for point in (SMALL, LARGE):
        result = evaluate(lemma, point, lemma.stated_constants(), 64)
        assert result.verdict is Verdict.STATISTICAL, [p.to_json() for p in result.parts]


@pytest.mark.parametrize("lemma", [C21, COR35], ids=lambda lemma: lemma.id)
@pytest.mark.parametrize("name", ["K", "Q", "K_P", "K_W"])
def test_tightened_constants_are_refuted(lemma, name):
    constants = {**lemma.stated_constants(), name: Fraction(1, 10**4)}
    result = evaluate(lemma, SMALL, constants, 64)
    assert result.verdict is Verdict.REFUTED


@pytest.mark.parametrize(
    "bad",
    [{"d": 12}, {"gamma": 3.0}, {"sigma_u": 0.01}, {"sigma_u": 55.0}, {"samples": 10}, {"d": "16"}],
)
def test_domain_errors(bad):
    with pytest.raises(DomainError):
        C21.validate_point({**SMALL, **bad})


def test_plots(tmp_path):
    result = evaluate(COR35, LARGE, COR35.stated_constants(), 64)
    names = COR35.plots([result.to_json()], tmp_path)
    assert names and all((tmp_path / n).exists() for n in names)


@pytest.mark.parametrize("lemma", [C21, COR35], ids=lambda lemma: lemma.id)
def test_statistical_refutation_is_confirmed_by_a_redraw(lemma):
    constants = {**lemma.stated_constants(), "K": Fraction(1, 10**4)}
    result = evaluate(lemma, SMALL, constants, 64)
    (part,) = [p for p in result.parts if p.name == "score_error"]
    assert part.verdict is Verdict.REFUTED
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"


def test_large_sigma_upper_end_is_distribution_free_and_its_bound_holds():
    from verify.maths.nets.instance_network import (
        head_within,
        large_regime_error_terms,
        score_error_samples,
        target_network,
    )

    net = target_network(8, 1.0, 3.0)
    bound, tail, reach = large_regime_error_terms(net)
    _, upper, _ = score_error_samples(net, 1000, 0, True)
    inside = head_within(net, 1000, 0, reach)
    assert inside.all() and float(upper.max()) <= bound  # the almost-sure bound holds
    assert 0 < float(tail.upper()) < 1e-12
    result = evaluate(COR35, LARGE, COR35.stated_constants(), 64)
    (part,) = [p for p in result.parts if p.name == "score_error"]
    assert part.data["beyond_almost_sure_bound"] == 0
    assert part.data["n"] == 1000  # the range term needs fewer draws than the stated 1000
    assert "empirical Bernstein" in part.data["upper_end"]
    assert part.lhs["hi"] >= float(upper.mean())


def test_large_sigma_bound_is_refused_by_a_worse_network(monkeypatch):
    # a head fit with a planted offset breaks the almost-sure bound's knot term: the bound grows
    # with it, so it stays an upper bound of what the network does
    from verify.maths.nets.instance_network import large_regime_error_terms, target_network
    from verify.maths.nets.pwl import PiecewiseLinear

    net = target_network(8, 1.0, 3.0)
    good = large_regime_error_terms(net)[0]
    shifted = PiecewiseLinear(
        net.head_pwl.breakpoints, net.head_pwl.slopes, net.head_pwl.value_at_first + Fraction(1)
    )
    monkeypatch.setattr(net, "head_pwl", shifted)
    assert large_regime_error_terms(net)[0] > good + net.sigma_unscaled**2


def test_quick_examples_pass_without_inconclusive(main_job_records):
    """The main job's C.21 and Cor.3.5 records (quick profile, seed 0; tests/conftest.py), not a
    second run: every example, fixed ones included, is STATISTICAL (none INCONCLUSIVE), and the
    small-sigma examples carry the distribution-free exceedance part."""
    for lemma in (C21, COR35):
        record = main_job_records[lemma.id]
        assert record["examples"] >= len(lemma.examples) > 0
        assert record["verdicts"]["statistical"] == record["examples"], record["verdicts"]
        names = {part["name"] for rec in record["records"] for part in rec["parts"]}
        assert "error_exceedance" in names


def _planted(values):
    """A stand-in for ``score_error_samples``: these per-point values, exact (L_i = U_i)."""
    import numpy as np

    planted = np.asarray(values, dtype=np.float64)

    def samples(net, n, seed, scaled):
        return planted[:n].copy(), planted[:n].copy(), "small"

    return samples


def test_small_sigma_upper_end_is_distribution_free(monkeypatch):
    # A heavy-tailed law: D = 1e-12, except D = 100 with probability 2e-3 (mean 0.2 > K/d =
    # 1/8). With probability e^-2 none of 1000 draws shows the rare value; on such a draw a
    # normal-approximation interval for the mean, [mean -+ 3.29 sd / sqrt(n)], is ~1e-12 and
    # would wrongly pass. The check claims nothing about the mean there (no score_error part:
    # the screen only refutes), and what it does claim, P(D > K/d) <= Q, holds for this law,
    # its Clopper-Pearson upper end covering the true 2e-3.
    import math
    import statistics

    draws = [1e-12] * 1000
    z = statistics.NormalDist().inv_cdf(1 - 1e-3 / 2)
    normal_hi = statistics.fmean(draws) + z * statistics.stdev(draws) / math.sqrt(len(draws))
    true_mean = 1e-12 * (1 - 2e-3) + 100 * 2e-3
    assert normal_hi <= 1 / 8 < true_mean  # the normal approximation would pass, wrongly
    monkeypatch.setattr(family, "score_error_samples", _planted(draws))
    result = evaluate(COR35, SMALL, COR35.stated_constants(), 64)
    parts = {p.name: p for p in result.parts}
    assert "score_error" not in parts  # no pass is claimed for the mean
    exceedance = parts["error_exceedance"]
    assert exceedance.verdict is Verdict.STATISTICAL
    assert exceedance.lhs["hi"] >= 2e-3  # covers the planted law's true exceedance chance
    assert exceedance.data["mean_upper"] is None


def test_small_sigma_screen_refutes_a_planted_large_mean(monkeypatch):
    # rare but frequent enough to show: the distribution-free lower end of the mean refutes
    draws = ([1e-12] * 49 + [100.0]) * 100  # 2% at 100: mean 2 >> 1/8; P(D > 1/8) = 0.02 <= Q
    monkeypatch.setattr(family, "score_error_samples", _planted(draws))
    result = evaluate(COR35, SMALL, COR35.stated_constants(), 64)
    parts = {p.name: p for p in result.parts}
    assert parts["error_exceedance"].verdict is Verdict.STATISTICAL
    assert parts["score_error"].verdict is Verdict.REFUTED
    assert parts["score_error"].refutation["outcome"] == "confirmed by an independent re-draw"
