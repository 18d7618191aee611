"""schedule.run_lemmas(while_waiting=...): the caller's preparation runs in the parent while
the workers compute, has finished when run_lemmas returns, and its exception is not lost."""

from __future__ import annotations

import threading

import pytest

from verify.core.registry import get
from verify.core.results import lemma_json, without_timings
from verify.core.schedule import run_lemmas


def _lemmas():
    # Two of the cheapest lemmas (0.1 and 0.07 s; G.3 took 0.3): the preparation is what is
    # tested, beside any work.
    return [get("H.9"), get("G.2")]


@pytest.mark.parametrize("jobs", [1, 2])
def test_preparation_runs_once_and_is_done_when_the_run_returns(jobs: int) -> None:
    calls: list[str] = []

    def prepare() -> None:
        calls.append(threading.current_thread().name)

    runs = run_lemmas(_lemmas(), profile="quick", seed=3, jobs=jobs, while_waiting=prepare)
    assert len(calls) == 1
    # beside the workers in a parallel run; after the lemmas, in this thread, in one process
    expected = "while-waiting" if jobs > 1 else threading.current_thread().name
    assert calls == [expected]
    plain = run_lemmas(_lemmas(), profile="quick", seed=3, jobs=jobs)
    assert [without_timings(lemma_json(r)) for r in runs] == [
        without_timings(lemma_json(r)) for r in plain
    ]


def test_an_exception_in_the_preparation_is_raised_after_the_run() -> None:
    def prepare() -> None:
        raise ImportError("no such module")

    with pytest.raises(ImportError, match="no such module"):
        run_lemmas(_lemmas(), profile="quick", seed=3, jobs=2, while_waiting=prepare)
