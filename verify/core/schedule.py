"""Run many lemmas, and search shards within a lemma, on one core, several, or a Dask cluster.

A lemma's work is cut into *shards* by the profile alone, never by the number of workers:
shard 0 checks the fixed examples (``contract.fixed_examples``: ``examples`` and the
profile's ``profile_examples``) and runs the first search, shard k > 0 runs a further
independent search of its own size with a seed derived from the run seed, the lemma id and k.
The shards are merged in shard order, so the same ``--seed`` and ``--profile`` give the same
results for every ``--jobs`` and scheduler: a worker only decides *when* a shard runs.

Workers start the costliest shards first (longest processing time first, the classic list
schedule): a shard's cost is its lemma's seconds in an earlier run (``estimated_seconds``,
shared among its shards by example count) where one is known, else its example count. The
estimate decides only the order, never a result. The first shards of lemmas that share
memoised work (one work family, ``Lemma.family``: by default the lemmas of one module) run one
after another in one process, as one batch, so that the shared work is done once.

Each shard runs with one torch thread, so that no floating-point reduction depends on how many
threads a worker happens to have.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from verify.core.errors import SchedulerUnreachable, WorkerDied

if TYPE_CHECKING:
    from verify.core.contract import Lemma
    from verify.core.runner import Evaluation, LemmaRun

# Examples per search shard; None keeps the whole search in one shard (the quick profile, so
# the committed quick baseline is the single search it always was).
SHARD_EXAMPLES: dict[str, int | None] = {"quick": None, "standard": 50, "thorough": 100}

# How long to wait for a remote Dask scheduler to answer before one error line.
CONNECT_TIMEOUT = "10s"


@dataclass(frozen=True)
class Shard:
    lemma_id: str
    index: int
    examples: int
    seed: int
    with_fixed_examples: bool


def shard_seed(seed: int, lemma_id: str, index: int) -> int:
    """Shard 0 keeps the run seed; later shards get a seed from (seed, lemma id, index) only."""
    if index == 0:
        return seed
    digest = hashlib.sha256(f"{seed}:{lemma_id}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def plan(lemma: Lemma, profile: str, seed: int) -> list[Shard]:
    """The shards of one lemma's run: a function of the lemma, profile and seed alone."""
    # The contract and the runner (Hypothesis with them) where lemmas run, not where a report
    # draws its figures in processes (run_units) or a command reads --jobs.
    from verify.core.contract import examples_for

    budget = examples_for(lemma, profile)
    size = SHARD_EXAMPLES.get(profile)
    if size is None or budget <= size:
        sizes = [budget]
    else:
        full, rest = divmod(budget, size)
        sizes = [size] * full + ([rest] if rest else [])
    return [
        Shard(lemma.id, k, n, shard_seed(seed, lemma.id, k), with_fixed_examples=k == 0)
        for k, n in enumerate(sizes)
    ]


def run_shard(
    shard: Shard, profile: str, constants: dict[str, Fraction], bits: int
) -> tuple[list[Evaluation], float]:
    """Run one shard in this process (the unit of work a worker or a Dask task executes)."""
    import dataclasses

    from verify.core.contract import fixed_examples
    from verify.core.registry import get
    from verify.core.runner import run_lemma

    _one_torch_thread()
    lemma = get(shard.lemma_id)
    only = dataclasses.replace(
        lemma,
        budget={profile: shard.examples},
        examples=fixed_examples(lemma, profile) if shard.with_fixed_examples else (),
        profile_examples={},
    )
    started = time.perf_counter()
    run = run_lemma(only, profile=profile, seed=shard.seed, constants=constants, bits=bits)
    return run.evaluations, time.perf_counter() - started


def _one_torch_thread() -> None:
    """One torch thread in this process (workers already fill the cores), without importing
    torch for a lemma that never uses it (the import is seconds): a torch loaded later reads
    OMP_NUM_THREADS as it starts; a loaded one is told directly (``_loaded_torch``)."""
    torch = _loaded_torch()
    if torch is None:
        os.environ["OMP_NUM_THREADS"] = "1"
    else:
        torch.set_num_threads(1)


def _loaded_torch() -> Any:
    """torch if this process has loaded it, else None: not imported, or only the stand-in of
    a deferred import (``verify.cli.common.defer_torch``), which has no ``set_num_threads`` of
    its own until torch is loaded."""
    torch = sys.modules.get("torch")
    return torch if torch is not None and "set_num_threads" in vars(torch) else None


def merge(lemma: Lemma, constants: dict[str, Fraction], parts: Sequence[tuple]) -> LemmaRun:
    """One LemmaRun from its shards' evaluations, in shard order, later duplicates dropped."""
    from verify.core.runner import LemmaRun, params_key

    values = lemma.stated_constants()
    values.update(constants)
    run = LemmaRun(lemma, values)
    seen: set[str] = set()
    for evaluations, seconds in parts:
        run.seconds += seconds
        for evaluation in evaluations:
            key = params_key(evaluation.params)
            if key not in seen:
                seen.add(key)
                run.evaluations.append(evaluation)
    return run


Progress = Callable[[str, int, int, float], None]


def run_lemmas(
    lemmas: Sequence[Lemma],
    *,
    profile: str = "quick",
    seed: int = 0,
    overrides: dict[str, dict[str, Fraction]] | None = None,
    bits: int = 64,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Progress | None = None,
    estimated_seconds: Mapping[str, float] | None = None,
    while_waiting: Callable[[], Any] | None = None,
) -> list[LemmaRun]:
    """Run ``lemmas`` (registered ones, found again by id in the workers) and return their runs
    in the given order. ``progress(lemma_id, shards_done, shards_total, elapsed)`` is called as
    each lemma completes a shard. ``estimated_seconds`` (lemma id to seconds, e.g. from an
    earlier run) orders the shards of a parallel run, costliest first; one process runs them in
    the given order (lemmas that share exact-key memos run next to each other there).
    ``while_waiting()`` runs in this process, in a thread, while worker processes compute (the
    caller's own preparation, e.g. imports its next step needs); it must not fork. It has
    finished when this returns. In a one-process run it runs after the lemmas."""
    overrides = overrides or {}
    shards = {lemma.id: plan(lemma, profile, seed) for lemma in lemmas}
    tasks = [
        (s, profile, overrides.get(s.lemma_id, {}), bits) for ss in shards.values() for s in ss
    ]
    results: dict[tuple[str, int], tuple] = {}
    done: dict[str, int] = {lemma.id: 0 for lemma in lemmas}
    started = time.perf_counter()

    def record(task: tuple, outcome: tuple) -> None:
        shard = task[0]
        results[(shard.lemma_id, shard.index)] = outcome
        done[shard.lemma_id] += 1
        if progress is not None:
            progress(
                shard.lemma_id,
                done[shard.lemma_id],
                len(shards[shard.lemma_id]),
                time.perf_counter() - started,
            )

    def record_batch(batch: tuple, outcomes: list) -> None:
        for task, outcome in zip(batch, outcomes, strict=True):
            record(task, outcome)

    if scheduler is None and (jobs <= 1 or len(tasks) <= 1):
        for task in tasks:
            record(task, run_shard(*task))
        if while_waiting is not None:
            while_waiting()
    else:
        family = {lemma.id: lemma.family() for lemma in lemmas}
        batches = costliest_first(by_family(tasks, family), shards, estimated_seconds or {})
        if scheduler is not None:
            _run_on_dask(batches, scheduler, jobs, record_batch, function=run_shards)
            if while_waiting is not None:
                while_waiting()
        else:
            _run_in_processes(
                batches, jobs, record_batch, function=run_shards, while_waiting=while_waiting
            )
    return [
        merge(
            lemma,
            overrides.get(lemma.id, {}),
            [results[(lemma.id, s.index)] for s in shards[lemma.id]],
        )
        for lemma in lemmas
    ]


def run_shards(*tasks: tuple) -> list[tuple[list[Evaluation], float]]:
    """Run shards one after another in this process (a batch of ``by_family``)."""
    return [run_shard(*task) for task in tasks]


def by_family(tasks: Sequence[tuple], family: Mapping[str, str]) -> list[tuple]:
    """``tasks`` (shard first) as batches to run one after another in one process: the first
    shards of the lemmas of one work family (``Lemma.family``: lemmas that share memoised work)
    form one batch, in the given order, placed where the family's first shard was; every other
    shard is a batch of its own, so the further search shards of a standard or thorough run
    still spread over the workers.

    Run apart, lemmas sharing a memo each pay for it (H.5 and H.8, Def.1.3 and Thm.1.4: the
    second costs a tenth as much after the first, in one process). Only where a shard runs
    changes, never its result."""
    batches: list[list[tuple]] = []
    first_shards: dict[str, list[tuple]] = {}
    for task in tasks:
        shard = task[0]
        key = family.get(shard.lemma_id, shard.lemma_id)
        if shard.index == 0 and key in first_shards:
            first_shards[key].append(task)
            continue
        batches.append([task])
        if shard.index == 0:
            first_shards[key] = batches[-1]
    return [tuple(batch) for batch in batches]


def costliest_first(
    batches: list[tuple], shards: Mapping[str, list[Shard]], estimated_seconds: Mapping[str, float]
) -> list[tuple]:
    """``batches`` (tuples of tasks, shard first; ``by_family``) sorted by their tasks' summed
    estimated cost, largest first, ties in the given order.

    A lemma with an estimate shares it among its shards by example count; a lemma without one
    is costed at its example count in the unit of the known lemmas' median seconds per example
    (1 s per example when none is known), so the two kinds of estimate sort together."""
    cost = _task_cost(shards, estimated_seconds)
    return sorted(batches, key=lambda batch: sum(cost(task) for task in batch), reverse=True)


def _task_cost(
    shards: Mapping[str, list[Shard]], estimated_seconds: Mapping[str, float]
) -> Callable[[tuple], float]:
    """A task's estimated cost in seconds (see ``costliest_first``)."""

    def examples(lemma_id: str) -> int:
        return max(1, sum(s.examples for s in shards[lemma_id]))

    rates = sorted(
        seconds / examples(lemma_id)
        for lemma_id, seconds in estimated_seconds.items()
        if lemma_id in shards and math.isfinite(seconds) and seconds >= 0
    )
    per_example = rates[len(rates) // 2] if rates else 1.0

    def cost(task: tuple) -> float:
        shard = task[0]
        known = estimated_seconds.get(shard.lemma_id)
        if known is None or not math.isfinite(known) or known < 0:
            return shard.examples * per_example
        return known * max(1, shard.examples) / examples(shard.lemma_id)

    return cost


def _quiet_worker() -> None:
    """A worker leaves Ctrl-C and SIGTERM to the parent, which stops the workers itself."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_in_processes(
    tasks: list[tuple],
    jobs: int,
    record: Callable,
    function: Callable = run_shard,
    while_waiting: Callable[[], Any] | None = None,
) -> None:
    import multiprocessing
    import threading

    # fork: the parent has imported the lemmas already, so a worker starts at once; the
    # parent has run no torch operation yet, so no thread pool is copied half-started.
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    # A torch whose import was deferred (the ``verify`` command) is loaded once here, not once
    # per worker. The import takes seconds on one core: the first task starts beside it, in a
    # process forked before it (``_HeadStart``), and the pool takes the others.
    head: _HeadStart | None = None
    missed = _remember_signals()
    try:
        if _torch_pending() and context.get_start_method() == "fork" and jobs > 1 and tasks:
            head = _HeadStart(context, function, tasks[0])
            tasks = tasks[1:]
        getattr(sys.modules.get("torch"), "__version__", None)
        # The caller lists the costliest first (``costliest_first``): processes start them in
        # order.
        pool = ProcessPoolExecutor(
            max_workers=max(1, min(jobs, len(tasks))),
            mp_context=context,
            initializer=_quiet_worker,
        )
    except BaseException:
        # Interrupted while torch loads: the head start's process holds this command's
        # output pipes, and nothing it would return is used.
        if head is not None:
            head.stop()
        _restore_signals(missed)
        raise
    from concurrent.futures.process import BrokenProcessPool

    futures = {}
    helper: threading.Thread | None = None
    raised: list[BaseException] = []
    try:
        futures = {pool.submit(function, *task): task for task in tasks}
        # With fork, the pool has started every worker at the first submit: no fork happens
        # while a thread runs (a fork then could copy a lock the thread holds).
        if head is not None:
            futures[head.collect()] = head.task
        if while_waiting is not None:
            helper = threading.Thread(
                target=_catching(while_waiting, raised), name="while-waiting", daemon=True
            )
            helper.start()
        for future in _completed(futures, missed):
            try:
                outcome = future.result()
            except BrokenProcessPool:
                # A worker was killed from outside (the system, e.g. for memory): name the
                # work that was not finished, in one line, rather than the pool's traceback.
                unfinished = sorted(
                    {_task_name(t) for f, t in futures.items() if not f.done() or f is future}
                )
                raise _worker_died(unfinished) from None
            record(futures[future], outcome)
    except BaseException:
        # Interrupted (Ctrl-C, SIGTERM) or a shard failed: stop now rather than wait for the
        # running shards; nothing they would return is used.
        workers = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.kill()
        if head is not None:
            head.stop()
        raise
    finally:
        _restore_signals(missed)
    pool.shutdown()
    if head is not None:
        head.stop()
    if helper is not None:
        helper.join()
    if raised:
        raise raised[0]


def _torch_pending() -> bool:
    """Whether this process holds a deferred torch (``verify.cli.common.defer_torch``) that is
    not loaded yet."""
    return "torch" in sys.modules and _loaded_torch() is None


def _worker_died(unfinished: Sequence[str]) -> WorkerDied:
    """A worker killed from outside (the system, e.g. for memory), in one line naming the work
    it did not finish."""
    return WorkerDied(
        "a worker process died (killed by the system, e.g. for memory) while "
        f"running {', '.join(unfinished)}"
    )


class _HeadStart:
    """One task run in a process forked at once, while this process goes on (loading torch,
    then starting the pool for the other tasks): the core that the import would leave idle
    computes instead.

    The process is forked before this run starts its pool or any thread (the pool's manager,
    the reader below, ``while_waiting``). It runs the task as a pool worker would
    (``_quiet_worker``: signals are the parent's business) and sends back the outcome, or the
    exception, through a pipe; ``collect`` turns that into a future, read by a thread started
    after the pool's workers are forked. A task that needs torch imports it in that process:
    only the order of work changes, never a result."""

    def __init__(self, context: Any, function: Callable, task: tuple) -> None:
        self.task = task
        receiving, sending = context.Pipe(duplex=False)
        self._receiving = receiving
        self._process = context.Process(target=_head_start_main, args=(sending, function, task))
        self._process.start()
        sending.close()  # the child holds the sending end: its exit ends the pipe
        self._reader: Any = None

    def collect(self) -> Any:
        """A future of the task's outcome (its exception; ``WorkerDied`` if the process ended
        without an answer, killed from outside)."""
        import threading
        from concurrent.futures import Future

        future: Future = Future()

        def read() -> None:
            try:
                kind, value = self._receiving.recv()
            except (EOFError, OSError):
                future.set_exception(_worker_died([_task_name(self.task)]))
                return
            if kind == "outcome":
                future.set_result(value)
            else:
                future.set_exception(value)

        self._reader = threading.Thread(target=read, name="head-start", daemon=True)
        self._reader.start()
        return future

    def stop(self) -> None:
        """End the process (at once if it is still running) and the reading thread."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        if self._reader is not None:
            self._reader.join()
        self._receiving.close()


def _head_start_main(sending: Any, function: Callable, task: tuple) -> None:
    _quiet_worker()
    try:
        answer: tuple[str, Any] = ("outcome", function(*task))
    except BaseException as exc:
        answer = ("exception", exc)
    try:
        sending.send(answer)
    except Exception as exc:  # an exception that cannot be pickled: its type and message
        failure = answer[1] if answer[0] == "exception" else exc
        sending.send(("exception", RuntimeError(f"{type(failure).__name__}: {failure}")))
    sending.close()


def _catching(function: Callable[[], Any], raised: list[BaseException]) -> Callable[[], None]:
    """``function`` for a thread: its exception is kept in ``raised`` (re-raised by the caller
    after the join) rather than printed by the thread machinery and lost."""

    def run() -> None:
        try:
            function()
        except BaseException as exc:  # re-raised in the main thread
            raised.append(exc)

    return run


def _remember_signals() -> dict:
    """Wrap the SIGINT/SIGTERM handlers so that a signal is also remembered. Forking a worker
    runs at-fork callbacks (logging's lock release) that swallow an exception raised in them: a
    Ctrl-C landing there would be printed as 'Exception ignored' and lost, and the run would go
    on. The wait loop (``_completed``) re-raises a remembered signal."""
    import signal
    import threading

    state: dict = {"seen": [], "previous": {}}
    if threading.current_thread() is not threading.main_thread():
        return state
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue

        def remember(number, frame, previous=previous):
            state["seen"].append(number)
            previous(number, frame)

        state["previous"][signum] = previous
        signal.signal(signum, remember)
    return state


def _restore_signals(state: dict) -> None:
    import signal

    for signum, previous in state["previous"].items():
        signal.signal(signum, previous)


def _completed(futures: dict, state: dict):
    """``as_completed``, waking every 0.2 s to re-raise a signal that a fork swallowed."""
    from concurrent.futures import FIRST_COMPLETED, wait

    pending = set(futures)
    while pending:
        if state["seen"]:
            signum = state["seen"][-1]
            state["previous"][signum](signum, None)  # raises KeyboardInterrupt / Terminated
        done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
        yield from done


def _task_name(task: tuple) -> str:
    if task and isinstance(task[0], tuple):  # a batch of tasks (``by_family``)
        return ", ".join(_task_name(t) for t in task)
    unit = task[0]
    lemma_id = getattr(unit, "lemma_id", None)
    return f"{lemma_id} (shard {unit.index + 1})" if lemma_id is not None else str(unit)


def _run_on_dask(
    tasks: list[tuple], address: str, jobs: int, record: Callable, function: Callable = run_shard
) -> None:
    import logging

    import dask
    from dask.distributed import Client, LocalCluster
    from dask.distributed import as_completed as dask_completed

    # The nanny's shutdown chatter ("still alive after 4 s, killing") is not the user's business.
    logging.getLogger("distributed").setLevel(logging.ERROR)

    # A local cluster's nannies fork their workers, as --jobs does, where Dask's default spawns
    # a fresh interpreter that imports distributed, the lemmas and torch again: 2-3 CPU-s per
    # worker, most of a small run. This process has imported the lemmas and run no torch
    # operation yet (``_run_in_processes``); how a worker starts cannot change what it
    # computes. Only where fork exists; set for the whole run, so that a nanny restarting a
    # worker starts it the same way.
    method = "fork" if address == "local" and os.name == "posix" else None
    start = {"distributed.worker.multiprocessing-method": method} if method else {}
    with dask.config.set(start):
        cluster = None
        if address == "local":
            # A torch whose import was deferred is loaded once here, not once per forked worker.
            getattr(sys.modules.get("torch"), "__version__", None)
            cluster = LocalCluster(
                n_workers=max(1, jobs),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
        else:
            try:
                client = Client(address, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError) as exc:
                raise SchedulerUnreachable(
                    f"no Dask scheduler answers at {address}: {exc}"
                ) from None
        try:
            futures = {}
            for task in tasks:
                future = client.submit(function, *task, pure=False)
                futures[future.key] = (future, task)
            for future in dask_completed([f for f, _ in futures.values()]):
                record(futures[future.key][1], future.result())
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def run_unit(index: int, function: Callable, args: tuple) -> Any:
    """Run one independent unit, ``function(*args)``, with one torch thread (what a worker or a
    Dask task executes for ``run_units``; ``index`` only names the unit)."""
    _one_torch_thread()
    return function(*args)


def run_units(
    function: Callable,
    units: Sequence[tuple],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> list:
    """``[function(*args) for args in units]``, the units run on ``jobs`` processes or a Dask
    cluster as ``run_lemmas`` runs shards, the results returned in unit order.

    For work other than a lemma's search (``verify arena``): ``function`` must be importable
    by name (a module-level function) and each unit's result a function of its ``args`` alone
    -- its seed derived from the run seed and the unit's index, never from the worker -- so the
    list is the same for every ``jobs`` and scheduler. List the longest units first: processes
    start them in the given order. ``progress(units_done, units_total, elapsed)`` is called as
    each unit completes."""
    tasks = [(index, function, tuple(args)) for index, args in enumerate(units)]
    results: dict[int, Any] = {}
    started = time.perf_counter()

    def record(task: tuple, outcome: Any) -> None:
        results[task[0]] = outcome
        if progress is not None:
            progress(len(results), len(tasks), time.perf_counter() - started)

    if scheduler is not None:
        _run_on_dask(tasks, scheduler, jobs, record, function=run_unit)
    elif jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            record(task, run_unit(*task))
    else:
        _run_in_processes(tasks, jobs, record, function=run_unit)
    return [results[index] for index in range(len(tasks))]


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


__all__ = [
    "SHARD_EXAMPLES",
    "Shard",
    "by_family",
    "costliest_first",
    "default_jobs",
    "merge",
    "plan",
    "run_lemmas",
    "run_shard",
    "run_shards",
    "run_unit",
    "run_units",
    "shard_seed",
]
