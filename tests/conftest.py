"""Hypothesis settings profiles for the tests' own ``@given`` tests.

``DPSVERIFY_HYPOTHESIS_PROFILE`` picks one of ``dev``, ``ci``, ``thorough``; unset, it is ``ci``
when ``CI=true`` and ``dev`` otherwise. A test's own ``@settings(...)`` still wins for what it
names (several set ``max_examples``).

The engine's lemma searches (``verify.core.runner``) build their own settings object, which
names every setting that decides its draws (examples, database, derandomize, phases, health
checks), so the profile chosen here cannot change a search's results for a seed. Profiles
therefore set only those settings, never ones the runner leaves to the default (such as
``backend`` or ``stateful_step_count``).
"""

from __future__ import annotations

import os
import sys

# One torch (OpenMP) thread per process, set before anything imports torch: pytest-xdist already
# runs one worker per core, and two workers' thread pools on two cores spin against each other
# (a network-SDE test took 40 CPU-s instead of 4.7 under load). Subprocesses, the --jobs pools
# and the Dask workers of the tests inherit it. An explicit OMP_NUM_THREADS is kept.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# Keep pytest's cache of rewritten test modules (and the bytecode of the modules they import),
# even where PYTHONDONTWRITEBYTECODE is set (this machine, CI): pytest writes the rewritten code
# of a test module to __pycache__ only when sys.dont_write_bytecode is false, so with the
# variable set every xdist worker re-parsed and re-rewrote every test module on every run
# (collection ~10 s instead of ~6 s per worker). Set here, before pytest imports any test
# module; subprocesses keep the variable but read what is cached. __pycache__/ is git-ignored.
sys.dont_write_bytecode = False

PROFILE_VARIABLE = "DPSVERIFY_HYPOTHESIS_PROFILE"


def _chosen_profile() -> str:
    explicit = os.environ.get(PROFILE_VARIABLE)
    if explicit:
        return explicit
    return "ci" if os.environ.get("CI", "").lower() in ("true", "1", "yes") else "dev"


def _load_hypothesis_profile() -> None:
    from hypothesis import settings

    # dev: a quick local loop; failing examples are kept in .hypothesis/ and replayed first.
    settings.register_profile("dev", max_examples=50, deadline=None)
    # ci: reproducible (same examples every run, no example database), the default count.
    settings.register_profile(
        "ci", max_examples=100, deadline=None, derandomize=True, database=None, print_blob=True
    )
    # thorough: before a release or after touching the numerics.
    settings.register_profile("thorough", max_examples=1000, deadline=None)
    settings.load_profile(_chosen_profile())


import gc  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


def _is_xdist_controller(config) -> bool:
    return not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") != "no"


def _end_the_worker_now() -> None:
    """Leave an xdist worker without the interpreter's finalisation: with torch, scipy, sympy
    and a thousand tests' objects loaded that took 1.5-2.5 s, on the critical path (the
    controller joins each worker's process before it reports). Run first of the worker's
    ``pytest_unconfigure`` hooks, after ``workerfinished`` (its results) went to the controller
    and the session's fixtures were torn down; so it also skips pytest's two full collections
    (0.1-0.2 s each) looking for unraisable exceptions at the end: what they found reached
    the report only while another worker was still running (the controller stops reading
    once the last worker has finished). A worker that still has child processes ends the
    usual way."""
    if multiprocessing.active_children():
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # The controller of an xdist run runs no test: it starts the workers without first paying
    # for Hypothesis's import (~0.9 s); each worker (and a run without xdist) loads the profile
    # here, before any test module (and its @settings) is imported.
    if not _is_xdist_controller(config):
        _load_hypothesis_profile()


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config):
    if hasattr(config, "workerinput"):
        _end_the_worker_now()


TESTS = Path(__file__).resolve().parent


def _test_modules_in_collection_order(directory: Path) -> list[Path]:
    """The test modules under ``directory`` in the order pytest collects them (each folder's
    entries by name, packages entered where they fall)."""
    found = []
    for entry in sorted(directory.iterdir(), key=lambda path: path.name):
        if entry.is_dir() and (entry / "__init__.py").is_file():
            found += _test_modules_in_collection_order(entry)
        elif entry.name.startswith("test_") and entry.suffix == ".py":
            found.append(entry)
    return found


def _is_whole_suite_run(config) -> bool:
    """Whether this run collects all of tests/ (no arguments, ``tests`` or its path)."""
    return [Path(arg).resolve() for arg in config.args] == [TESTS]


@pytest.hookimpl(tryfirst=True)
def pytest_collection(session):
    """On a first run (a fresh clone, new test code) each xdist worker rewrites the assertions
    of every test module it imports and writes them to ``__pycache__``, and both workers import
    them all, in the same order: the same rewriting twice, ~2 CPU-s each. The second worker
    imports the modules last to first before collecting, so the two meet in the middle and
    each reads the other half from the cache. Only for a whole-suite run in pytest's default
    import mode, where collection imports these very modules under these names; a module that
    fails to import is left for collection to report."""
    if os.environ.get("PYTEST_XDIST_WORKER") != "gw1":
        return
    config = session.config
    if config.getoption("importmode") != "prepend":
        return
    if not _is_whole_suite_run(config):
        return
    # --ignore keeps modules from being imported at all; --lf collects the failed ones only
    if config.getoption("ignore") or config.getoption("ignore_glob"):
        return
    if getattr(config.option, "lf", False):
        return
    import importlib

    root = TESTS.parent
    for path in reversed(_test_modules_in_collection_order(TESTS)):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        try:
            importlib.import_module(name)
        except KeyboardInterrupt:
            raise
        except BaseException:  # an error, or a module-level skip (pytest's outcomes)
            sys.modules.pop(name, None)


_COLLECTED_MODULES = pytest.StashKey[dict]()


def pytest_itemcollected(item):
    # Before any reordering or deselection: the order in which pytest collected the modules.
    item.config.stash.setdefault(_COLLECTED_MODULES, {})[item.path] = None


@pytest.fixture
def modules_in_collection_order(pytestconfig) -> list[Path]:
    """The test modules this process collected, in the order it collected them."""
    return list(pytestconfig.stash.get(_COLLECTED_MODULES, {}))


# Modules that collecting the tests must not load (the group "scipy_stats_sympy" below).
LOADED_BY_THEIR_TESTS = ("sympy", "scipy.stats", "scipy.integrate")
_LOADED_AT_COLLECTION = pytest.StashKey[list]()


@pytest.fixture
def loaded_at_collection(pytestconfig) -> list[str]:
    """Those of LOADED_BY_THEIR_TESTS that were loaded when this process's collection ended."""
    return pytestconfig.stash[_LOADED_AT_COLLECTION]


def pytest_collection_finish(session):
    session.config.stash[_LOADED_AT_COLLECTION] = [
        name for name in LOADED_BY_THEIR_TESTS if name in sys.modules
    ]
    # What is loaded by now (torch, scipy, Hypothesis, a thousand collected tests) lives for
    # the whole session: frozen, the cyclic collector's full passes no longer walk it. The
    # tests then allocate balls, Fractions and tensors by the million, nearly all short-lived:
    # a young generation of 10,000 objects instead of 700 lets them die before a pass. Cyclic
    # collection took 3-4 s of each worker's run with the defaults, ~1.6 s with both.
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


# --- one main-job run per test session, shared by the pytest-xdist workers -------------------


@pytest.fixture(scope="session")
def main_job_results(tmp_path_factory, worker_id) -> tuple[int, Path]:
    """(exit code, results.json) of ``verify run --no-html --no-plots``, run once per session
    (the figures are drawn by tests/report from records of their own).

    Under pytest-xdist every worker has its own session: the first to take the lock runs the
    main job into the run's shared base temp folder and records its exit code; the others wait
    on the lock and read the same files. ``--jobs 1``: the workers already use the cores.
    """
    from filelock import FileLock

    from verify.cli import main

    base = tmp_path_factory.getbasetemp()
    # An xdist worker's base is <run>/popen-gwN: <run> is the same for every worker of one run.
    shared = base if worker_id == "master" else base.parent
    folder = shared / "main-job"
    done = folder / "exit-code.json"
    with FileLock(str(shared / "main-job.lock")):
        if not done.exists():
            code = main(
                ["run", "--out", str(folder / "out"), "--no-html", "--no-plots", "--jobs", "1"]
            )
            done.write_text(json.dumps(code))
    return json.loads(done.read_text()), folder / "out" / "results.json"


@pytest.fixture(scope="session")
def main_job_records(main_job_results) -> dict[str, dict]:
    """The main job's record of each lemma (quick profile, seed 0), by id: what a test that
    would re-run a lemma's quick search reads instead (it still fails when the record does)."""
    _, results = main_job_results
    return {lemma["id"]: lemma for lemma in json.loads(results.read_text())["lemmas"]}


@pytest.fixture(scope="session")
def main_job_memos(main_job_results) -> None:
    """For a test that evaluates a main-job lemma again at other constants or with a mutant:
    it runs after the main job, in the main job's process (the main-job group below), where the
    exact-key memos of that lemma's examples (the laws' cell tables, the instance networks) are
    already built, so it pays for what differs only. The memos return the same enclosures
    whether built then or now."""


# Tests measured above ~5 s on 2 cores, the CLI subprocess tests and the browser tests (a run of
# several lemmas, a CLI subprocess, headless Chromium, an arena,
# a cluster): `-m "not slow"` leaves them out of the quick loop; the
# README's test command (and CI) runs them all. Node ids, a parametrised family by its prefix.
# The tests that read the main job's records are marked below, whatever their file.
SLOW_TESTS = (
    "tests/cli/test_arena.py::",
    "tests/cli/test_cli.py::test_bad_input_through_python_dash_m_verify_cli",
    "tests/cli/test_cli_contract.py::test_bad_out_subprocess_is_one_line",
    "tests/cli/test_cli_contract.py::test_closed_pipe_is_quiet",
    "tests/cli/test_cli_contract.py::test_version_and_python_dash_m",
    "tests/cli/test_cli_contract.py::test_help_does_not_import_heavy_modules",
    "tests/report/test_browser.py::",
    "tests/cli/test_cli_contract.py::test_interrupt_leaves_previous_output",
    "tests/lemmas/test_c11_c12_score_networks.py::test_certified_then_refuted_below_the_empirical_error",
    "tests/lemmas/test_c11_c12_score_networks.py::test_records_reach_the_papers_regime",
    "tests/maths/samplers/test_posterior.py::test_heuristic_on_gaussian_posterior",
    "tests/core/test_history.py::test_closed_stdout_pipe_prints_no_traceback",
    "tests/core/test_schedule.py::test_one_and_two_workers_give_identical_results",
    "tests/lemmas/test_c01_c05_piecewise_scores.py::test_c4_in_the_papers_regime_certified_and_refuted",
    "tests/lemmas/test_def13_unconditional_sampler.py::",
    "tests/core/test_regress_partial.py::",
    "tests/lemmas/test_f02_gaussian_reverse_sde.py::test_model_mutants_are_caught",
    "tests/core/test_schedule.py::test_mutate_base_runs_in_parallel_give_the_same_summary",
    "tests/lemmas/test_t14_unconditional_sampling.py::",
    "tests/lemmas/test_e02_posterior_rejection.py::test_model_mutants_are_caught",
    "tests/lemmas/test_e02_posterior_rejection.py::test_mutation_catches_c_tv_at_the_saturating_example",
    "tests/lemmas/test_g04_goldreich_network.py::test_every_constant_is_caught_by_mutation",
    "tests/lemmas/test_c16_fourier_closeness.py::test_prefactor_below_empirical_is_refuted",
    "tests/lemmas/test_c21_instance_network.py::test_tightened_constants_are_refuted",
    "tests/lemmas/test_c21_instance_network.py::test_quick_examples_pass_without_inconclusive",
)


# pytest-xdist (``--dist loadgroup --no-loadscope-reorder``) hands the workers the tests in the
# order below, one unit at a time: the main job's group first, so one worker starts the session's
# longest task at once while the other takes everything else; then the other groups (an
# expensive module fixture paid once) and the slow tests, so no long test is left for the end.
MAIN_JOB_GROUP = "main_job"
# The tests that import sympy or scipy.stats (with scipy.integrate; parameter_schedule's
# reduction_overhead reads scipy.stats.theilslopes) form the group "scipy_stats_sympy"
# (tests._groups.SCIPY_STATS_SYMPY), and import them inside the test: imported at the top of
# two test modules, they cost every worker 1.3 CPU-s while collecting, and tests of both
# workers used them; now one worker pays. tests/test_collection.py checks that collecting
# loads none of them.


def _group_names(item) -> set[str]:
    return {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }


def _schedule_rank(item) -> int:
    groups = _group_names(item)
    if MAIN_JOB_GROUP in groups:
        return 0
    return 1 if groups or item.get_closest_marker("slow") else 2


def _name_the_group(item, groups: set[str]) -> None:
    """``NODEID@GROUP``, the node id that ``--dist loadgroup`` reads the group from.

    pytest-xdist 3.8 writes it to ``item._nodeid``, which pytest 9.2's ``item.nodeid`` no
    longer reads (it is ``str(item._id)``): every test was then a unit of its own and no
    ``xdist_group`` held. Done here when xdist's own renaming did not take.
    """
    from _pytest.nodeid import NodeId

    suffix = "@" + "_".join(sorted(groups))
    if not item.nodeid.endswith(suffix):
        item._id = NodeId.parse(item.nodeid + suffix)


@pytest.hookimpl(wrapper=True)  # the markers before pytest-xdist's hook, the node ids after it
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.nodeid.startswith(SLOW_TESTS):
            item.add_marker(pytest.mark.slow)
        # A test that reads the main job's records runs on the worker that runs the main job,
        # after it, instead of another worker waiting on the lock. Slow too: it needs the
        # whole main job.
        if "main_job_results" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(MAIN_JOB_GROUP))
            item.add_marker(pytest.mark.slow)
    items.sort(key=_schedule_rank)  # stable: collection order within each rank
    result = yield
    if getattr(config.option, "loadgroup", False):  # on pytest-xdist workers, --dist loadgroup
        for item in items:
            groups = _group_names(item)
            if groups:
                _name_the_group(item, groups)
    return result
