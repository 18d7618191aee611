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
    # Two fast lemmas (0.1 and 0.07 s): what is compared is the merge, not the search.
    lemmas = [get("H.9"), get("G.2")]
    serial = run_lemmas(lemmas, profile="quick", seed=7, jobs=1)
    parallel = run_lemmas(lemmas, profile="quick", seed=7, jobs=2)
    assert [r.lemma.id for r in parallel] == ["H.9", "G.2"]
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


def _results_without_timings(path) -> str:
    from verify.core.results import without_timings

    return json.dumps(without_timings(json.loads(path.read_text())), sort_keys=True)


@pytest.mark.slow
def test_verify_run_same_results_for_every_jobs_and_a_local_cluster(tmp_path):
    """Acceptance of issue 13: --jobs 1, --jobs 2 and --scheduler local write one results.json.

    The one Dask LocalCluster of the suite: ``verify run --scheduler local`` is
    ``run_lemmas(..., scheduler="local")`` against the one-worker run, on fast lemmas (a
    cluster's cost is its start, not the lemmas)."""
    pytest.importorskip("dask.distributed")
    from verify.cli import main

    ids = ["H.9", "G.2", "C.13"]
    texts = {}
    for name, extra in {
        "one": ["--jobs", "1"],
        "two": ["--jobs", "2"],
        "dask": ["--scheduler", "local", "--jobs", "2"],
    }.items():
        out = tmp_path / name
        # --no-plots: results.json does not depend on the figures, only the run's cost does
        args = ["run", *ids, "--seed", "7", "--out", str(out), "--no-html", "--no-plots"]
        assert main([*args, *extra]) == 0
        texts[name] = _results_without_timings(out / "results.json")
    assert texts["one"] == texts["two"] == texts["dask"]
    assert [lemma["id"] for lemma in json.loads(texts["one"])["lemmas"]] == ids


def test_mutate_base_runs_in_parallel_give_the_same_summary():
    from verify.core.mutate import mutate
    from verify.core.results import without_timings

    # Two cheap lemmas of a constant each (G.3's two constants cost 0.7 CPU-s a call): two
    # base runs and two mutants to spread over the workers.
    summaries = [
        mutate(["G.2", "C.13"], profile="quick", seed=3, jobs=jobs, log=lambda line: None)
        for jobs in (1, 2)
    ]
    for summary in summaries:
        del summary["lemma_seconds"]  # timings per lemma
    texts = [json.dumps(without_timings(s), sort_keys=True, default=str) for s in summaries]
    assert texts[0] == texts[1]
    assert summaries[0]["total"] > 0


_SHARD_WITH_TORCH_DEFERRED = """
import os, sys
from verify.cli.common import defer_torch
defer_torch()
from verify.core.registry import get
from verify.core.schedule import plan, run_shard
run_shard(plan(get("H.9"), "quick", 0)[0], "quick", {}, 64)
print("set_num_threads" in vars(sys.modules["torch"]), os.environ.get("OMP_NUM_THREADS"))
"""


def test_a_shard_without_torch_leaves_a_deferred_torch_unloaded():
    """A lemma without torch (H.9) leaves ``python -m verify``'s deferred torch unloaded (its
    import is seconds), with OMP_NUM_THREADS=1 for a torch that a later lemma loads."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", _SHARD_WITH_TORCH_DEFERRED],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert done.stdout.split() == ["False", "1"], done.stderr


def test_a_shard_sets_a_loaded_torch_to_one_thread():
    import torch

    from verify.core.schedule import _one_torch_thread

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        _one_torch_thread()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


# --- the head start: the first task runs while a deferred torch is loaded ----------------------

_HEAD_START_WITH_TORCH_DEFERRED = """
import json, os, sys
sys.path.insert(0, sys.argv[1])  # a stand-in torch.py, loaded in a moment instead of seconds
from verify.cli.common import defer_torch
defer_torch()
from verify.core.schedule import _run_in_processes, run_unit

def torch_loaded_here(tag):
    return [tag, "set_num_threads" in vars(sys.modules["torch"]), os.getpid()]

got = {}
_run_in_processes(
    [(i, torch_loaded_here, (i,)) for i in range(3)],
    2,
    lambda task, outcome: got.__setitem__(task[0], outcome),
    function=run_unit,
)
print(json.dumps([got[i] for i in range(3)]))
"""


def test_the_first_task_runs_while_a_deferred_torch_is_loaded(tmp_path):
    """With torch deferred (the ``verify`` command), the first task runs in a process forked
    before this one loads torch; the pool, forked after, runs the others with torch loaded."""
    import os
    import subprocess
    import sys

    (tmp_path / "torch.py").write_text(
        "__version__ = 'stand-in'\n\ndef set_num_threads(count):\n    pass\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-c", _HEAD_START_WITH_TORCH_DEFERRED, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    (first, first_loaded, first_pid), *others = json.loads(done.stdout)
    assert (first, first_loaded) == (0, False), done.stderr
    assert [(tag, loaded) for tag, loaded, _ in others] == [(1, True), (2, True)]
    assert first_pid not in {pid for _, _, pid in others} | {os.getpid()}


def _head_start(function, *args):
    import multiprocessing

    from verify.core.schedule import _HeadStart

    return _HeadStart(multiprocessing.get_context("fork"), function, args)


def _raise_value_error(text):
    raise ValueError(text)


def _raise_unpicklable():
    error = RuntimeError("carries a lambda")
    error.payload = lambda: None
    raise error


def _killed():
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_head_start_returns_the_outcome_or_the_exception():
    head = _head_start(pow, 2, 10)
    try:
        assert head.collect().result(timeout=60) == 1024
    finally:
        head.stop()
    head = _head_start(_raise_value_error, "no such thing")
    try:
        error = head.collect().exception(timeout=60)
    finally:
        head.stop()
    assert isinstance(error, ValueError) and str(error) == "no such thing"
    head = _head_start(_raise_unpicklable)
    try:
        error = head.collect().exception(timeout=60)
    finally:
        head.stop()
    assert isinstance(error, RuntimeError) and "RuntimeError: carries a lambda" in str(error)


def test_a_head_start_killed_from_outside_is_a_worker_died_naming_its_task():
    from verify.core.errors import WorkerDied

    head = _head_start(_killed)
    head.task = (plan(get("H.9"), "quick", 0)[0],)
    try:
        error = head.collect().exception(timeout=60)
    finally:
        head.stop()
    assert isinstance(error, WorkerDied) and "H.9 (shard 1)" in str(error)
