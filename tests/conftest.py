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
