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

from hypothesis import settings

PROFILE_VARIABLE = "DPSVERIFY_HYPOTHESIS_PROFILE"

# dev: a quick local loop; failing examples are kept in .hypothesis/ and replayed first.
settings.register_profile("dev", max_examples=50, deadline=None)
# ci: reproducible (same examples every run, no example database), the default count.
settings.register_profile(
    "ci", max_examples=100, deadline=None, derandomize=True, database=None, print_blob=True
)
# thorough: before a release or after touching the numerics.
settings.register_profile("thorough", max_examples=1000, deadline=None)


def _chosen_profile() -> str:
    explicit = os.environ.get(PROFILE_VARIABLE)
    if explicit:
        return explicit
    return "ci" if os.environ.get("CI", "").lower() in ("true", "1", "yes") else "dev"


settings.load_profile(_chosen_profile())


# --- one main-job run per test session, shared by the pytest-xdist workers -------------------

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def main_job_results(tmp_path_factory, worker_id) -> tuple[int, Path]:
    """(exit code, results.json) of ``verify run --no-html``, run once per session.

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
            code = main(["run", "--out", str(folder / "out"), "--no-html", "--jobs", "1"])
            done.write_text(json.dumps(code))
    return json.loads(done.read_text()), folder / "out" / "results.json"
