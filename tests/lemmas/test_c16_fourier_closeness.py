"""C.16: certified on the search; refuted when the prefactor drops below its empirical value."""

import json

from verify.cli import main
from verify.core.registry import get
from verify.core.runner import evaluate


def test_quick_search_certifies_every_example(main_job_records):
    """The main job's C.16 record (its quick search, seed 0; tests/conftest.py), not a second
    quick search (it was seed 1): every example is certified, the prefactor nearly attained."""
    record = main_job_records["C.16"]
    assert record["verdicts"]["certified"] == record["examples"] > 20
    found = record["constants"]["prefactor"]["empirical"]
    assert 0.999 < found <= 1.0  # the bound is attained in the limit: C = 1 is sharp


def test_nearly_attained_points_certify_through_the_margin():
    # theta - x/v in eps Z with q0/q astronomically small: only the margin can decide.
    lemma = get("C.16")
    for params in (
        {"eps": 0.01, "sigma": 1.0, "theta": 0.0, "x": 0.0},
        {"eps": 0.1353, "sigma": 0.0498, "theta": 0.0, "x": 0.0},
        {"eps": 0.05, "sigma": 2.0, "theta": 0.025, "x": 0.0},
    ):
        result = evaluate(lemma, params, lemma.stated_constants(), 64)
        assert result.verdict.value == "certified", params


def test_closed_form_cross_check_part_present():
    lemma = get("C.16")
    params = {"eps": 0.5, "sigma": 0.7, "theta": 0.2, "x": 1.0}
    result = evaluate(lemma, params, lemma.stated_constants(), 64)
    names = {p.name for p in result.parts}
    assert "closed_form_vs_direct_sum" in names


def test_prefactor_below_empirical_is_refuted(tmp_path):
    """One run, through the CLI: it exits 1 and its results record the refuted examples (a
    second run_lemma of the same search cut to 5 examples showed the same)."""
    code = main(
        ["run", "C.16", "--set", "C.16.prefactor=0.99", "--out", str(tmp_path), "--no-html"]
    )
    assert code == 1
    (record,) = json.loads((tmp_path / "results.json").read_text())["lemmas"]
    assert record["id"] == "C.16" and record["verdicts"]["refuted"] > 0


def test_uninformative_closed_form_is_inconclusive_at_64_bits_then_retried():
    # At 64 bits the closed form is a ball around 0 (4e-20) next to a direct sum of 3e-135: the
    # enclosures overlap, which must not certify; the retry at higher precision resolves it.
    from verify.core.numbers import precision
    from verify.core.verdict import judge_agreement

    lemma = get("C.16")
    params = {"eps": 0.5, "sigma": 0.01, "theta": 0.25, "x": 0.0}
    with precision(64):
        parts = lemma.check(params, lemma.stated_constants())
    (cross,) = [p for p in parts if p.name == "closed_form_vs_direct_sum"]
    assert cross.kind == "agreement"
    assert cross.lhs.overlaps(cross.rhs)
    assert judge_agreement(cross.lhs, cross.rhs).value == "inconclusive"
    result = evaluate(lemma, params, lemma.stated_constants(), 64)
    (record,) = [p for p in result.parts if p.name == "closed_form_vs_direct_sum"]
    assert result.precision > 64
    assert record.verdict.value == "certified"
    assert record.agreement["digits"] >= 6


def test_nan_closed_form_never_certifies():
    from flint import arb

    from verify.core.verdict import judge_agreement

    assert judge_agreement(arb("nan"), arb("6.89e-21714723")).value == "inconclusive"
