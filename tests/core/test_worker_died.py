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


def test_a_signal_swallowed_during_a_fork_is_raised_by_the_wait_loop():
    # Forking runs at-fork callbacks that swallow an exception raised in them ("Exception
    # ignored in: _releaseLock"): a Ctrl-C landing there was lost and the run went on (a flaky
    # interrupt test in CI). The handlers remember the signal; the wait loop raises it.
    from concurrent.futures import Future

    from verify.core.schedule import _completed, _remember_signals, _restore_signals

    # Python's own Ctrl-C handler, as in a terminal: pytest started from a background job of a
    # non-interactive shell inherits SIGINT ignored, and an ignored signal is left alone.
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        state = _remember_signals()
        try:
            assert signal.SIGINT in state["previous"]
            state["seen"].append(signal.SIGINT)  # as if the handler ran inside a fork callback
            with pytest.raises(KeyboardInterrupt):
                next(_completed({Future(): None}, state))
        finally:
            _restore_signals(state)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, inherited)


def test_an_ignored_sigint_is_left_ignored():
    from verify.core.schedule import _remember_signals, _restore_signals

    inherited = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        state = _remember_signals()
        assert signal.SIGINT not in state["previous"]
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        _restore_signals(state)
    finally:
        signal.signal(signal.SIGINT, inherited)
