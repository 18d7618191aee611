"""G.2: certified by brute force; a tightened constant and a reduction reading the wrong block
are refuted."""

import dataclasses
from fractions import Fraction

import lemmas.g02_padding_blocking as g02
from verify.core.registry import get
from verify.core.runner import evaluate, run_lemma, verdict_counts


def test_quick_search_certifies_every_example(main_job_records):
    """The main job's G.2 record (its quick search, seed 0; tests/conftest.py), not a second
    quick search (it was seed 1)."""
    record = main_job_records["G.2"]
    assert record["verdicts"]["certified"] == record["examples"] >= 10


def test_an_always_right_inverter_attains_c_one():
    lemma = get("G.2")
    params = {"n": 3, "m": 3, "blocks": 2, "pad": 1, "answer_rate": 1.0, "seed": 5}
    result = evaluate(lemma, params, lemma.stated_constants(), 64)
    assert result.verdict.value == "certified"
    tightened = evaluate(lemma, params, {"c": Fraction(11, 10)}, 64)
    assert tightened.verdict.value == "refuted"


def test_tightened_constant_is_refuted():
    lemma = dataclasses.replace(get("G.2"), budget={"quick": 4})
    run = run_lemma(lemma, constants={"c": Fraction(11, 10)})
    assert verdict_counts(run)["refuted"] > 0


def test_reduction_reading_the_wrong_block_is_refuted(monkeypatch):
    def wrong_block(x, i, n):
        return (x >> (((i + 1) % 3) * n)) & ((1 << n) - 1)

    monkeypatch.setattr(g02, "read_block", wrong_block)
    lemma = get("G.2")
    params = {"n": 2, "m": 2, "blocks": 3, "pad": 0, "answer_rate": 0.8, "seed": 0}
    result = evaluate(lemma, params, lemma.stated_constants(), 64)
    assert result.verdict.value == "refuted"


def test_misplaced_block_breaks_the_query_law(monkeypatch):
    monkeypatch.setattr(g02, "insert_block", lambda x, rest, i, n: (rest << n) | x)
    lemma = get("G.2")
    params = {"n": 2, "m": 2, "blocks": 2, "pad": 0, "answer_rate": 0.5, "seed": 0}
    result = evaluate(lemma, params, lemma.stated_constants(), 64)
    assert result.verdict.value == "refuted"
