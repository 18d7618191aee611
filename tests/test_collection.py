"""What collecting the tests loads (tests/conftest.py records it when collection ends)."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_collecting_leaves_sympy_and_scipy_stats_to_the_tests_that_use_them(
    loaded_at_collection: list[str],
) -> None:
    # Imported at the top of a test module (or of a module it imports), they cost every
    # pytest-xdist worker ~1.3 CPU-s: import them inside the tests that use them and mark those
    # with tests._groups.SCIPY_STATS_SYMPY.
    assert loaded_at_collection == []


def test_the_planned_import_order_is_pytests_collection_order(
    request, modules_in_collection_order: list[Path]
) -> None:
    # tests/conftest.py's pytest_collection has the second xdist worker import the test modules
    # last to first in a whole-suite run, so that on a first run the two workers share the
    # assertion rewriting: that needs the order it computes to be the order pytest collects.
    from tests.conftest import TESTS, _is_whole_suite_run, _test_modules_in_collection_order

    if not _is_whole_suite_run(request.config):
        pytest.skip("pytest collects in the order of its arguments: run the whole suite")
    planned = _test_modules_in_collection_order(TESTS)
    # a module without a test item (none here) would be missing from what was collected
    collected = modules_in_collection_order
    assert collected == [path for path in planned if path in set(collected)]
    assert len(collected) == len(planned)
