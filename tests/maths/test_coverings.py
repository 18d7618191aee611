"""Exact coverings of a ball: separation, maximality, the covering itself, the count."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verify.maths.coverings import (
    best_covering,
    greedy_covering,
    min_pairwise_sq_lower,
    verify_covering,
)


@pytest.mark.parametrize(("m", "big", "r"), [(1, 20, 3), (2, 12, 4), (3, 8, 6), (4, 4, 4)])
def test_greedy_covering_is_separated_maximal_and_covers(m: int, big: int, r: int) -> None:
    cover = greedy_covering(m, big, r, seed=3)
    centers = cover.centers
    sep_sq = cover.threshold
    diff = centers[:, None, :] - centers[None, :, :]
    d2 = (diff * diff).sum(axis=2) + np.eye(len(centers), dtype=np.int64) * 10**9
    assert d2.min() > sep_sq  # separated (brute force): squared distances > threshold
    assert min_pairwise_sq_lower(centers, big, math.isqrt(sep_sq) + 1) == d2.min() or (
        d2.min() > (math.isqrt(sep_sq) + 2) ** 2
    )
    assert cover.covering_radius_sq_lower <= sep_sq  # maximal among lattice points
    assert cover.covering_radius_sq_upper is not None
    assert cover.covering_radius_sq_upper <= r * r
    # float spot check of the covering on random points of the ball
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(2000, m))
    pts *= big * rng.random((2000, 1)) ** (1 / m) / np.linalg.norm(pts, axis=1, keepdims=True)
    nearest = np.sqrt(((pts[:, None, :] - centers[None, :, :]) ** 2).sum(-1)).min(1)
    assert nearest.max() <= r + 1e-9
    assert cover.count <= (3 * big / r) ** m


def test_too_few_centres_are_not_a_cover() -> None:
    # one centre at the origin cannot cover B(0, 10) with radius 3
    upper, _, unresolved = verify_covering(np.zeros((1, 2), dtype=np.int64), 2, 10, 3)
    assert upper is None and unresolved > 0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        greedy_covering(2, 5, 2)  # separation r - 2 = 0


def test_best_covering_is_proved_and_no_larger() -> None:
    default = greedy_covering(3, 6, 3, seed=1)
    best = best_covering(3, 6, 3, seed=1)
    assert best.covering_radius_sq_upper is not None and best.covering_radius_sq_upper <= 9
    assert best.count <= default.count
    assert best.threshold >= default.threshold


def test_best_per_unit_cube_matches_a_direct_minimum() -> None:
    """The padded flat-grid form of ``_best_per_unit_cube`` against the direct definition,
    centres outside the ball included."""
    import numpy as np

    from verify.maths.coverings import _best_per_unit_cube

    rng = np.random.default_rng(0)
    for dim, big, r in [(1, 9, 2), (2, 6, 2), (3, 4, 2)]:
        centers = rng.integers(-big - 2, big + 3, size=(7, dim))
        got = _best_per_unit_cube(centers, dim, big, r)
        size = 2 * big + 2
        want = np.full((size,) * dim, np.iinfo(np.int64).max, dtype=np.int64)
        for index in np.ndindex(*want.shape):
            k = np.array(index) - big - 1
            for c in centers:
                a = k - c
                corner = int(np.maximum(a * a, (a + 1) * (a + 1)).sum())
                if np.all(np.abs(a) <= r + 1) and corner <= r * r:
                    want[index] = min(want[index], corner)
        assert np.array_equal(got, want)
