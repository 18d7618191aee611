"""A worker killed from outside (the OOM killer, say) ends the run in one line, exit 1."""

from __future__ import annotations

import os
import signal

import pytest

from verify.core.errors import WorkerDied
from verify.core.schedule import Shard, _run_in_processes


def _killed_at_shard_two(shard: Shard) -> tuple[list, float]:
    if shard.index == 1:
        os.kill(os.getpid(), signal.SIGKILL)
    return [], 0.0


def _shard(index: int) -> Shard:
    return Shard("C.99", index, 1, index, index == 0)


def test_a_killed_worker_is_named_not_a_traceback():
    recorded = []
    with pytest.raises(WorkerDied, match=r"C\.99 \(shard 2\)"):
        _run_in_processes(
            [(_shard(i),) for i in range(3)],
            2,
            lambda task, outcome: recorded.append(task),
            function=_killed_at_shard_two,
        )


def test_the_cli_prints_one_line_and_exits_1(monkeypatch, tmp_path, capsys):
    from verify.cli import main

    def died(*args, **kwargs):
        raise WorkerDied("a worker process died (killed by the system) while running C.13")

    monkeypatch.setattr("verify.core.schedule.run_lemmas", died)
    assert main(["run", "C.13", "--out", str(tmp_path / "out"), "--no-html"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["verify: error: a worker process died (killed by the system) while running C.13"]
    assert not (tmp_path / "out").exists()
