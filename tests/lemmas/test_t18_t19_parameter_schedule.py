"""Thm.1.8 / Thm.1.9 schedule audits: certified over d in [8, 10^6]; a tightened failure scale
and a schedule with too small a vertex scale are refuted."""

import dataclasses
import itertools
from fractions import Fraction

import verify.maths.parameter_schedule as ps
from tests._groups import SCIPY_STATS_SYMPY
from verify.core.registry import get
from verify.core.runner import evaluate, run_lemma, verdict_counts

WHOLE_RANGE = {"d_lo": 8, "d_hi": 10**6}


def test_whole_range_certifies_every_condition():
    for lemma_id in ("Thm.1.8", "Thm.1.9"):
        lemma = get(lemma_id)
        result = evaluate(lemma, WHOLE_RANGE, lemma.stated_constants(), 64)
        assert result.verdict.value == "certified", lemma_id
        names = {p.name for p in result.parts}
        assert {"sampler_failure", "orthant_score_error", "mixture_score_error"} <= names


def test_quick_search_certifies(main_job_records):
    """The main job's Thm.1.8 record (its quick search, seed 0; tests/conftest.py), not a second
    quick search (it was seed 1)."""
    record = main_job_records["Thm.1.8"]
    assert record["verdicts"]["certified"] == record["examples"] >= 3


def test_cells_cover_the_range():
    cells = ps.cells(8, 10**6, 1.05)
    assert cells[0].lower() <= 8 and cells[-1].upper() >= 10**6
    for left, right in itertools.pairwise(cells):
        assert left.upper() >= right.lower()


def test_tightened_failure_scale_is_refuted():
    lemma = dataclasses.replace(get("Thm.1.8"), budget={"quick": 3})
    run = run_lemma(lemma, constants={"failure_scale": Fraction(2), "size_constant": 300})
    assert verdict_counts(run)["refuted"] > 0


def test_too_small_vertex_scale_is_refuted(monkeypatch):
    monkeypatch.setattr(ps, "RADIUS_CONSTANT", 1)
    lemma = get("Thm.1.9")
    result = evaluate(lemma, WHOLE_RANGE, lemma.stated_constants(), 64)
    assert result.verdict.value == "refuted"
    refuted = {p.name for p in result.parts if p.verdict.value == "refuted"}
    assert "decoding_sign_term" in refuted


@SCIPY_STATS_SYMPY
def test_reduction_overhead_is_measured_on_request():
    found = ps.reduction_overhead(ds=(64, 128, 256), rows=4, repeats=1)
    assert found["d"] == [64, 128, 256] and len(found["seconds"]) == 3
    low, high = found["exponent_interval"]
    assert low <= found["exponent"] <= high
