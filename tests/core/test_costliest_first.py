"""schedule.costliest_first and results.lemma_seconds: the order in which workers start shards,
from an earlier run's seconds, and never a result that depends on it."""

from __future__ import annotations

import json
from pathlib import Path

from verify.core.registry import get
from verify.core.results import lemma_json, lemma_seconds, without_timings
from verify.core.schedule import Shard, costliest_first, run_lemmas


def _tasks(sizes: dict[str, list[int]]) -> tuple[list[tuple], dict[str, list[Shard]]]:
    shards = {
        lemma_id: [Shard(lemma_id, k, n, k, k == 0) for k, n in enumerate(counts)]
        for lemma_id, counts in sizes.items()
    }
    # one task per batch, as ``by_family`` leaves lemmas of different families
    return [((s, "quick", {}, 64),) for ss in shards.values() for s in ss], shards


def _order(batches: list[tuple]) -> list[tuple[str, int]]:
    return [(batch[0][0].lemma_id, batch[0][0].index) for batch in batches]


def test_known_seconds_beat_example_counts() -> None:
    # A lemma of few, slow examples (Thm.1.4: 2 examples, 4 s) starts before one of many fast
    # ones (C.9: 43 examples, 1 s): by example count it would start last.
    tasks, shards = _tasks({"C.9": [43], "Thm.1.4": [2], "H.9": [36]})
    ordered = costliest_first(tasks, shards, {"C.9": 1.0, "Thm.1.4": 4.0, "H.9": 0.1})
    assert _order(ordered) == [("Thm.1.4", 0), ("C.9", 0), ("H.9", 0)]


def test_without_estimates_the_most_examples_start_first() -> None:
    tasks, shards = _tasks({"A": [3], "B": [30], "C": [10]})
    assert _order(costliest_first(tasks, shards, {})) == [("B", 0), ("C", 0), ("A", 0)]


def test_a_lemma_without_estimate_is_costed_at_the_median_rate() -> None:
    # Known rates 0.1 and 1.0 s per example (median 1.0 of [0.1, 1.0]): the new lemma's 5
    # examples cost 5 s, between the 8 s and the 1 s lemmas.
    tasks, shards = _tasks({"slow": [8], "fast": [10], "new": [5]})
    ordered = costliest_first(tasks, shards, {"slow": 8.0, "fast": 1.0})
    assert _order(ordered) == [("slow", 0), ("new", 0), ("fast", 0)]


def test_shards_share_their_lemmas_seconds_by_examples() -> None:
    # 10 s over shards of 50, 50 and 20 examples: 4.2, 4.2, 1.7 s; a 3 s lemma fits between.
    tasks, shards = _tasks({"big": [50, 50, 20], "mid": [7]})
    ordered = costliest_first(tasks, shards, {"big": 10.0, "mid": 3.0})
    assert _order(ordered) == [("big", 0), ("big", 1), ("mid", 0), ("big", 2)]


def test_bad_estimates_are_ignored() -> None:
    tasks, shards = _tasks({"A": [3], "B": [30]})
    estimates = {"A": float("nan"), "B": -1.0, "other": 99.0}
    assert _order(costliest_first(tasks, shards, estimates)) == [("B", 0), ("A", 0)]


def test_lemma_seconds_reads_a_run_of_the_same_profile_only(tmp_path: Path) -> None:
    doc = {
        "meta": {"profile": "quick"},
        "lemmas": [{"id": "C.9", "seconds": 1.5}, {"id": "H.1", "seconds": 4}, {"id": "X"}],
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc))
    assert lemma_seconds(path, "quick") == {"C.9": 1.5, "H.1": 4.0}
    assert lemma_seconds(path, "standard") == {}
    assert lemma_seconds(tmp_path / "missing.json", "quick") == {}
    for garbage in ("not json", "[]", '{"meta": 3}', '{"meta": {"profile": "quick"}}'):
        path.write_text(garbage)
        assert lemma_seconds(path, "quick") == {}


def test_results_do_not_depend_on_the_estimates() -> None:
    # Two of the cheapest lemmas (0.1 and 0.07 s; G.3 took 0.3): only the order is at stake.
    lemmas = [get("H.9"), get("G.2")]

    def canonical(estimates: dict[str, float]) -> str:
        runs = run_lemmas(lemmas, profile="quick", seed=3, jobs=2, estimated_seconds=estimates)
        assert [r.lemma.id for r in runs] == ["H.9", "G.2"]
        return json.dumps(without_timings([lemma_json(r) for r in runs]), sort_keys=True)

    assert canonical({"H.9": 9.0, "G.2": 0.1}) == canonical({"H.9": 0.1, "G.2": 9.0})
