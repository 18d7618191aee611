"""What collecting the tests loads (tests/conftest.py records it when collection ends)."""

from __future__ import annotations


def test_collecting_leaves_sympy_and_scipy_stats_to_the_tests_that_use_them(
    loaded_at_collection: list[str],
) -> None:
    # Imported at the top of a test module (or of a module it imports), they cost every
    # pytest-xdist worker ~1.3 CPU-s: import them inside the tests that use them and mark those
    # with tests._groups.SCIPY_STATS_SYMPY.
    assert loaded_at_collection == []
