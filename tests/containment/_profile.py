"""Example budgets of the containment tests: a few hundred points in the default run, 10^4 or
more under the Hypothesis ``thorough`` profile (``DPSVERIFY_HYPOTHESIS_PROFILE=thorough``, which
tests/conftest.py loads, or ``--hypothesis-profile thorough``)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

THOROUGH_EXAMPLES = 10_000


def thorough() -> bool:
    name = os.environ.get("DPSVERIFY_HYPOTHESIS_PROFILE") or settings.get_current_profile_name()
    return name == "thorough"


def budget(default: int, *, thorough_examples: int = THOROUGH_EXAMPLES) -> settings:
    """Settings for one containment test: ``default`` examples normally, ``thorough_examples``
    under the thorough profile. No deadline (arb at small sigma is legitimately slow) and no
    shrinking-time health checks: a containment failure is reported with its point."""
    return settings(
        max_examples=thorough_examples if thorough() else default,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
