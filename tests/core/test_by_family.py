"""schedule.by_family and costliest_first: the first shards of lemmas sharing memoised
work run as one batch in one process; the batches' order never changes a result."""

from __future__ import annotations

from verify.core.registry import get
from verify.core.schedule import Shard, by_family, costliest_first


def _tasks(sizes: dict[str, list[int]]) -> tuple[list[tuple], dict[str, list[Shard]]]:
    shards = {
        lemma_id: [Shard(lemma_id, k, n, k, k == 0) for k, n in enumerate(counts)]
        for lemma_id, counts in sizes.items()
    }
    return [(s, "quick", {}, 64) for ss in shards.values() for s in ss], shards


def _names(batches: list[tuple]) -> list[list[tuple[str, int]]]:
    return [[(t[0].lemma_id, t[0].index) for t in batch] for batch in batches]


def test_first_shards_of_a_family_form_one_batch_in_the_given_order() -> None:
    tasks, _ = _tasks({"H.5": [3], "C.9": [4], "H.8": [2], "H.2": [5]})
    family = {"H.5": "h02_h08", "H.8": "h02_h08", "H.2": "h02_h08", "C.9": "c09"}
    assert _names(by_family(tasks, family)) == [
        [("H.5", 0), ("H.8", 0), ("H.2", 0)],
        [("C.9", 0)],
    ]


def test_further_shards_stay_batches_of_their_own() -> None:
    # a standard run: the search shards k > 0 still spread over the workers
    tasks, _ = _tasks({"A": [50, 50], "B": [50, 20]})
    batches = by_family(tasks, {"A": "f", "B": "f"})
    assert _names(batches) == [[("A", 0), ("B", 0)], [("A", 1)], [("B", 1)]]


def test_a_lemma_missing_from_the_map_is_its_own_family() -> None:
    tasks, _ = _tasks({"A": [1], "B": [1]})
    assert _names(by_family(tasks, {})) == [[("A", 0)], [("B", 0)]]


def test_batches_are_ordered_by_their_summed_cost() -> None:
    # H.5 + H.8 (3 s + 1 s) start before C.9 (3.5 s), which starts before G.3 (0.5 s)
    tasks, shards = _tasks({"C.9": [4], "H.5": [3], "G.3": [2], "H.8": [2]})
    batches = by_family(tasks, {"H.5": "h", "H.8": "h"})
    ordered = costliest_first(batches, shards, {"C.9": 3.5, "H.5": 3.0, "G.3": 0.5, "H.8": 1.0})
    assert _names(ordered) == [[("H.5", 0), ("H.8", 0)], [("C.9", 0)], [("G.3", 0)]]


def test_a_lemmas_family_is_its_module_unless_declared() -> None:
    assert get("H.5").family() == get("H.8").family() == "lemmas.h02_h08_score_moments"
    assert get("C.9").family() != get("H.5").family()


def test_the_instance_network_lemmas_share_one_family() -> None:
    # they share instance_network's caches: Thm.1.4 after Def.1.3 costs a tenth of it alone
    ids = ("C.21", "Cor.3.5", "Def.1.1", "Def.1.3", "Thm.1.4", "Thm.1.7")
    assert {get(lemma_id).family() for lemma_id in ids} == {"instance networks"}
