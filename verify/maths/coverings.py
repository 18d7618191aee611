"""Explicit coverings of a Euclidean ball (Lemma H.10), in exact integer arithmetic.

Everything is on the integer lattice Z^m (unit = one lattice step), with integer radii
R (the ball B(0, R)) and r (the covering radius); the real statement is scale invariant, so
(R, r) stand for any pair with the same ratio.

Construction (a maximal separated set is a net): the candidates are the lattice points in
B(0, R); walk them in a seeded random order and keep a candidate when its squared distance to
every kept centre exceeds ``sep^2``. The kept centres are sep-separated, and every candidate lies
within ``sep`` of a kept centre (otherwise it would have been kept): a maximal sep-separated
subset of the candidates.

Verification (exact):
- count: the number N of centres (compare with (3R/r)^m exactly).
- covering: every lattice cube [k, k+1]^m that meets B(0, R) (exact test: the squared distance
  from 0 to the cube is at most R^2) must lie in one ball B(c, r). For a cube and a centre,
  max over the cube's corners of |corner - c|^2 = sum_i max((k_i - c_i)^2, (k_i + 1 - c_i)^2),
  and a ball contains a cube iff it contains its corners (convexity). Cubes that fail are split
  in halves (coordinates doubled) up to ``max_depth`` times, dropping pieces that miss the ball.
- the covering radius rho = sup_{x in B(0,R)} min_c |x - c| is enclosed: rho^2 >= max over
  candidates of their squared distance to the nearest centre (they are points of the ball), and
  rho^2 <= max over the final cubes of min_c (max-corner squared distance), which is <= r^2
  exactly when the covering is proved. An unresolved cube makes the upper end +inf.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

_CHUNK = 4096


@dataclass(frozen=True)
class Covering:
    dim: int
    big_radius: int
    radius: int
    threshold: int  # centres have pairwise squared distance > threshold
    centers: np.ndarray  # (N, m) int64
    candidates: int
    covering_radius_sq_lower: Fraction
    covering_radius_sq_upper: Fraction | None  # None: some cube was left unresolved
    cubes_checked: int
    unresolved: int

    @property
    def count(self) -> int:
        return int(self.centers.shape[0])


def lattice_points_in_ball(dim: int, big_radius: int) -> np.ndarray:
    """All points of Z^dim with |p|^2 <= big_radius^2, as an int64 array."""
    axis = np.arange(-big_radius, big_radius + 1, dtype=np.int64)
    grid = np.stack(np.meshgrid(*([axis] * dim), indexing="ij"), axis=-1).reshape(-1, dim)
    return grid[(grid * grid).sum(axis=1) <= big_radius * big_radius]


def greedy_separated(
    points: np.ndarray, big_radius: int, sep_sq: Fraction, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Maximal sep-separated subset of ``points`` (lattice points of B(0, R), random order),
    and each point's squared distance to its nearest kept centre (exact integers).

    Kept centres only change the nearest distance of points within ``sep`` of them (every
    point ends within sep of some centre), so each pick updates a dense block around it.
    """
    dim = points.shape[1]
    rng = np.random.default_rng(seed)
    order = rng.permutation(points.shape[0])
    pts = points[order]
    huge = np.iinfo(np.int64).max
    threshold = math.floor(sep_sq)  # |p - c|^2 > sep_sq <=> |p - c|^2 > floor(sep_sq)
    reach = math.isqrt(threshold)  # |p - c|^2 <= threshold implies each |p_i - c_i| <= reach
    # The grid of lattice points padded by ``reach`` on every side, as one flat array: every
    # update block lies inside it (no bounds test, no wrap-around), and the padding is never
    # read, so each point's value is the one an unpadded grid would hold.
    padded = 2 * big_radius + 1 + 2 * reach
    nearest_flat = np.full(padded**dim, huge, dtype=np.int64)
    strides = padded ** np.arange(dim - 1, -1, -1, dtype=np.int64)
    span = np.arange(-reach, reach + 1, dtype=np.int64)
    offsets = np.stack(np.meshgrid(*([span] * dim), indexing="ij"), axis=-1).reshape(-1, dim)
    offset_sq = (offsets * offsets).sum(axis=1)
    offset_flat = offsets @ strides
    point_flat = (pts + (big_radius + reach)) @ strides
    kept: list[int] = []
    for index, base in enumerate(point_flat.tolist()):
        if nearest_flat[base] <= threshold:
            continue
        kept.append(index)
        block = base + offset_flat
        nearest_flat[block] = np.minimum(nearest_flat[block], offset_sq)
    nearest = nearest_flat[point_flat]
    return pts[kept], nearest


def _cube_max_corner_sq(lows: np.ndarray, side: int, centers: np.ndarray) -> np.ndarray:
    """(cubes, centres) matrix of max_corner |corner - c|^2 for cubes [low, low + side]^m.

    Coordinates are in units where the cube side is ``side`` and centres are pre-scaled.
    """
    a = lows[:, None, :] - centers[None, :, :]
    b = a + side
    return np.maximum(a * a, b * b).sum(axis=2)


def _cube_min_dist_sq(lows: np.ndarray, side: int) -> np.ndarray:
    """Squared distance from the origin to each cube [low, low + side]^m."""
    hi = lows + side
    nearest = np.where(lows > 0, lows, np.where(hi < 0, hi, 0))
    return (nearest * nearest).sum(axis=1)


def _best_per_unit_cube(centers: np.ndarray, dim: int, big_radius: int, radius: int) -> np.ndarray:
    """Dense array over unit cubes [k, k+1]^m, k_i in [-R-1, R]: min over centres c with
    |k_i - c_i| <= r + 1 of the max-corner squared distance (huge where no such centre).

    A centre farther than r + 1 in some coordinate cannot contain the cube in B(c, r), so
    restricting to the block around each centre loses no covering cube.
    """
    size = 2 * big_radius + 2
    huge = np.iinfo(np.int64).max
    span = np.arange(-radius - 1, radius + 1, dtype=np.int64)
    offsets = np.stack(np.meshgrid(*([span] * dim), indexing="ij"), axis=-1).reshape(-1, dim)
    # with a = k - c, the cube's corner offsets are a and a + 1 per coordinate
    corner_sq = np.maximum(offsets * offsets, (offsets + 1) * (offsets + 1)).sum(axis=1)
    useful = corner_sq <= radius * radius
    offsets, corner_sq = offsets[useful], corner_sq[useful]
    # As in ``greedy_separated``: the grid padded by r + 1 on every side, one flat array, so
    # every centre's block lies inside it (no bounds test); the padding is never read, so the
    # interior holds the minima an unpadded grid would (a minimum is order-free).
    centers = np.asarray(centers, dtype=np.int64).reshape(-1, dim)
    beyond = int(np.abs(centers).max()) - big_radius if centers.size else 0
    pad = radius + 1 + max(0, beyond)  # centres outside B(0, R)'s box widen the padding
    padded = size + 2 * pad
    strides = padded ** np.arange(dim - 1, -1, -1, dtype=np.int64)
    best_flat = np.full(padded**dim, huge, dtype=np.int64)
    offset_flat = offsets @ strides
    for base in ((centers + big_radius + 1 + pad) @ strides).tolist():
        block = base + offset_flat
        best_flat[block] = np.minimum(best_flat[block], corner_sq)
    interior = (slice(pad, pad + size),) * dim
    return np.ascontiguousarray(best_flat.reshape((padded,) * dim)[interior])


def verify_covering(
    centers: np.ndarray, dim: int, big_radius: int, radius: int, max_depth: int = 3
) -> tuple[Fraction | None, int, int]:
    """(upper bound of covering radius^2 or None, cubes checked, cubes unresolved)."""
    axis = np.arange(-big_radius - 1, big_radius + 1, dtype=np.int64)
    lows = np.stack(np.meshgrid(*([axis] * dim), indexing="ij"), axis=-1).reshape(-1, dim)
    lows = lows[_cube_min_dist_sq(lows, 1) <= big_radius * big_radius]
    dense = _best_per_unit_cube(centers, dim, big_radius, radius)
    best = dense[tuple((lows + big_radius + 1).T)]
    covered = best <= radius * radius
    checked = int(lows.shape[0])
    worst = Fraction(int(best[covered].max())) if covered.any() else Fraction(0)
    lows = lows[~covered]
    scale = 1  # cubes have side 1 in units of 1/scale
    unresolved = 0
    depth = 0
    offsets = np.array(list(itertools.product((0, 1), repeat=dim)), dtype=np.int64)
    while lows.shape[0]:
        if depth == max_depth:
            unresolved = int(lows.shape[0])
            break
        # split each failing cube into 2^m halves, in units of 1/(2 scale)
        lows = (2 * lows[:, None, :] + offsets[None, :, :]).reshape(-1, dim)
        scale *= 2
        depth += 1
        lows = lows[_cube_min_dist_sq(lows, 1) <= (big_radius * scale) ** 2]
        checked += int(lows.shape[0])
        failing = []
        for start in range(0, lows.shape[0], _CHUNK):
            chunk = lows[start : start + _CHUNK]
            best = _cube_max_corner_sq(chunk, 1, centers * scale).min(axis=1)
            ok = best <= (radius * scale) ** 2
            if ok.any():
                worst = max(worst, Fraction(int(best[ok].max()), scale * scale))
            failing.append(chunk[~ok])
        lows = np.concatenate(failing)
    return (None if unresolved else worst), checked, unresolved


def greedy_covering(
    dim: int, big_radius: int, radius: int, threshold: int | None = None, seed: int = 0
) -> Covering:
    """Maximal separated set of lattice points in B(0, R), and its exact covering check.

    Centres keep squared distances > ``threshold`` (integers: >= threshold + 1), so they are
    sqrt(threshold + 1)-separated and every candidate is within sqrt(threshold) of a centre.
    The default threshold (r - ceil(sqrt m))^2 makes the covering provable: a cube with a
    corner p in the ball has p within sep of a centre c, and every point of the cube within
    sqrt(m) of p (boundary cubes are checked the same way, or split).
    """
    if dim < 1 or big_radius < 1 or radius < 1:
        raise ValueError("need dim, R, r >= 1")
    if threshold is None:
        threshold = (radius - math.isqrt(dim - 1) - 1) ** 2
    if threshold <= 0:
        raise ValueError("separation must be positive (r too small for the lattice)")
    points = lattice_points_in_ball(dim, big_radius)
    centers, nearest = greedy_separated(points, big_radius, Fraction(threshold), seed)
    lower_sq = Fraction(int(nearest.max()))
    upper_sq, checked, unresolved = verify_covering(centers, dim, big_radius, radius)
    return Covering(
        dim=dim,
        big_radius=big_radius,
        radius=radius,
        threshold=threshold,
        centers=centers,
        candidates=int(points.shape[0]),
        covering_radius_sq_lower=lower_sq,
        covering_radius_sq_upper=upper_sq,
        cubes_checked=checked,
        unresolved=unresolved,
    )


def separation_thresholds(dim: int, radius: int) -> list[int]:
    """Squared-separation thresholds to try, largest first: about (r - sqrt(m)/2)^2 (the
    covering radius of a maximal set is at most sep + sqrt(m)/2, so this is the largest that
    can work), the provable (r - ceil(sqrt m))^2, and one in between."""
    half = math.sqrt(dim) / 2
    safe = radius - math.isqrt(dim - 1) - 1
    tries = [
        math.floor((radius - half) ** 2),
        math.floor((radius - (half + safe) / 2) ** 2) if safe > 0 else 0,
        safe * safe if safe > 0 else 0,
    ]
    out: list[int] = []
    for t in tries:
        if t > 0 and t not in out:
            out.append(t)
    return sorted(out, reverse=True)


def best_covering(dim: int, big_radius: int, radius: int, seed: int = 0) -> Covering:
    """The proved covering with the fewest centres among ``separation_thresholds`` (an
    existence search: any proved covering is a valid witness). Falls back to the last try."""
    best: Covering | None = None
    last: Covering | None = None
    for threshold in separation_thresholds(dim, radius):
        cover = greedy_covering(dim, big_radius, radius, threshold, seed)
        last = cover
        if cover.covering_radius_sq_upper is not None and (
            best is None or cover.count < best.count
        ):
            best = cover
    if best is not None:
        return best
    if last is None:
        raise ValueError("r too small for the lattice (no positive separation)")
    return last


def min_pairwise_sq_lower(centers: np.ndarray, big_radius: int, reach: int) -> int | None:
    """A lower bound of the minimum squared distance between distinct centres (lattice points
    of B(0, R)), exact when some pair differs by at most ``reach`` in every coordinate.

    Pairs inside the box are measured exactly; a pair outside it differs by >= reach + 1 in
    some coordinate, so its squared distance is >= (reach + 1)^2. None for fewer than 2 centres.
    """
    if centers.shape[0] < 2:
        return None
    dim = centers.shape[1]
    size = 2 * big_radius + 1
    owner = np.full((size,) * dim, -1, dtype=np.int64)
    shifted = centers + big_radius
    owner[tuple(shifted.T)] = np.arange(centers.shape[0])
    span = np.arange(-reach, reach + 1, dtype=np.int64)
    offsets = np.stack(np.meshgrid(*([span] * dim), indexing="ij"), axis=-1).reshape(-1, dim)
    offsets = offsets[(offsets != 0).any(axis=1)]
    offset_sq = (offsets * offsets).sum(axis=1)
    best = (reach + 1) ** 2
    for c in shifted:
        cells = c + offsets
        inside = ((cells >= 0) & (cells < size)).all(axis=1)
        hit = owner[tuple(cells[inside].T)] >= 0
        if hit.any():
            best = min(best, int(offset_sq[inside][hit].min()))
    return best
