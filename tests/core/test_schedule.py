"""Shards and workers: the same seed and profile give the same results for every --jobs."""

import json

import pytest

from verify.core.registry import get
from verify.core.results import lemma_json, without_timings
from verify.core.schedule import plan, run_lemmas, shard_seed


def _canonical(runs) -> str:
    return json.dumps([without_timings(lemma_json(r)) for r in runs], sort_keys=True, default=str)


def test_plan_depends_on_the_profile_only():
    lemma = get("C.16")
    quick = plan(lemma, "quick", 3)
    assert len(quick) == 1 and quick[0].seed == 3 and quick[0].with_fixed_examples
    standard = plan(lemma, "standard", 3)
    assert sum(s.examples for s in standard) == 300
    assert [s.index for s in standard] == list(range(len(standard)))
    assert standard[0].seed == 3 and len({s.seed for s in standard}) == len(standard)
    assert [s.with_fixed_examples for s in standard] == [True] + [False] * (len(standard) - 1)
    assert plan(lemma, "standard", 3) == standard


def test_shard_seeds_come_from_run_seed_lemma_and_index():
    assert shard_seed(5, "C.16", 0) == 5
    assert shard_seed(5, "C.16", 1) == shard_seed(5, "C.16", 1)
    assert shard_seed(5, "C.16", 1) != shard_seed(5, "C.9", 1)
    assert shard_seed(5, "C.16", 1) != shard_seed(6, "C.16", 1)


def test_one_and_two_workers_give_identical_results():
    lemmas = [get("C.16"), get("G.3")]
    serial = run_lemmas(lemmas, profile="quick", seed=7, jobs=1)
    parallel = run_lemmas(lemmas, profile="quick", seed=7, jobs=2)
    assert [r.lemma.id for r in parallel] == ["C.16", "G.3"]
    assert _canonical(serial) == _canonical(parallel)
    assert all(r.evaluations for r in serial)


def test_sharded_search_is_deterministic_across_workers(monkeypatch):
    import verify.core.schedule as schedule

    # Several shards per lemma (as in the standard profile), merged in shard order.
    monkeypatch.setitem(schedule.SHARD_EXAMPLES, "quick", 7)
    lemmas = [get("G.3")]
    assert len(plan(lemmas[0], "quick", 1)) > 1
    serial = run_lemmas(lemmas, profile="quick", seed=1, jobs=1)
    parallel = run_lemmas(lemmas, profile="quick", seed=1, jobs=2)
    assert _canonical(serial) == _canonical(parallel)


@pytest.mark.slow
def test_dask_local_cluster_matches_one_worker():
    pytest.importorskip("dask.distributed")
    lemmas = [get("C.16"), get("G.3")]
    serial = run_lemmas(lemmas, profile="quick", seed=7, jobs=1)
    on_dask = run_lemmas(lemmas, profile="quick", seed=7, jobs=2, scheduler="local")
    assert _canonical(serial) == _canonical(on_dask)
