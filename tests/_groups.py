"""pytest-xdist groups that tests of several modules join (``--dist loadgroup``; their
reasons are in tests/conftest.py)."""

from __future__ import annotations

import pytest

# The tests that import sympy or scipy.stats (and scipy.integrate), inside the test: one worker
# runs them all and pays for those imports, not every worker while collecting.
SCIPY_STATS_SYMPY = pytest.mark.xdist_group("scipy_stats_sympy")
