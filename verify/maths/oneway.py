"""Pluggable maps f: {±1}^d -> {±1}^{d'} for the lower-bound instance (Definition 3.1).

API (imported by ``verify.maths.instance`` and by other helpers):

- ``OneWayFunction``: the protocol. ``n_in`` (d), ``n_out`` (d'), ``name``, and a vectorised
  ``__call__(x)`` taking a numpy int8 array of shape (N, d) with entries ±1 and returning an int8
  array (N, d') of ±1. ``evaluate(f, x)`` wraps a call with shape/value checks (``DomainError``).
- ``GoldreichFunction(n_in, n_out, seed)``: Goldreich's local function. Output bit j is the
  predicate P5(b1..b5) = b1 xor b2 xor b3 xor (b4 and b5) of 5 distinct seed bits chosen by a
  fixed random hypergraph drawn from ``seed``. Bits and signs correspond by x = (-1)^b, i.e.
  b = (1 - x)/2 (so +1 is bit 0 / False, and xor is a product of signs).
  ``to_circuit()`` gives the same map as a boolean AND/OR/NOT circuit (``verify.maths.circuits``).
- ``ConstantFunction(n_in, n_out, value)``, ``ProjectionFunction(n_in, n_out)``
  (output j = x_{j mod d}): simple fs (for d < 5, and worst cases of the C.6/C.8 searches).
- ``make_function(spec)``: build one from a JSON-native dict such as
  ``{"kind": "goldreich", "d": 8, "d_out": 8, "seed": 3}``.
- ``all_seeds(d)``: the suite's one enumeration of {±1}^d (little-endian: s_i = -1 iff bit i of
  the row number is set); ``seed_index`` its inverse, ``all_seed_tuples`` a tuple form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from verify.core.errors import DomainError

if TYPE_CHECKING:
    from verify.maths.circuits import Circuit

GOLDREICH_ARITY = 5


@runtime_checkable
class OneWayFunction(Protocol):
    """f: {±1}^n_in -> {±1}^n_out, vectorised over the rows of an int8 array."""

    n_in: int
    n_out: int

    @property
    def name(self) -> str: ...

    def __call__(self, x: np.ndarray) -> np.ndarray: ...


def check_signs(x: np.ndarray, width: int, what: str) -> np.ndarray:
    """``x`` as an int8 (N, width) array of ±1, or a DomainError naming the defect."""
    arr = np.asarray(x)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != width:
        raise DomainError(f"{what} must have shape (N, {width}), got {np.asarray(x).shape}")
    if not np.all((arr == 1) | (arr == -1)):
        raise DomainError(f"{what} must have entries ±1")
    return arr.astype(np.int8, copy=False)


def evaluate(f: OneWayFunction, x: np.ndarray) -> np.ndarray:
    """f(x) with its input and output shapes checked (DomainError on a malformed f)."""
    seeds = check_signs(x, f.n_in, "seed array")
    out = np.asarray(f(seeds))
    if out.ndim != 2 or out.shape != (seeds.shape[0], f.n_out):
        raise DomainError(
            f"f {f.name} returned shape {out.shape}, expected ({seeds.shape[0]}, {f.n_out})"
        )
    if not np.all((out == 1) | (out == -1)):
        raise DomainError(f"f {f.name} returned entries other than ±1")
    return out.astype(np.int8, copy=False)


def _check_sizes(n_in: int, n_out: int) -> None:
    if int(n_in) != n_in or n_in < 1:
        raise DomainError(f"d (input length of f) must be a positive integer, got {n_in}")
    if int(n_out) != n_out or n_out < 1:
        raise DomainError(f"d' (output length of f) must be a positive integer, got {n_out}")


@dataclass(frozen=True)
class GoldreichFunction:
    """Goldreich's local function with predicate x1 xor x2 xor x3 xor (x4 and x5)."""

    n_in: int
    n_out: int
    seed: int = 0
    hypergraph: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_sizes(self.n_in, self.n_out)
        if self.n_in < GOLDREICH_ARITY:
            raise DomainError(f"Goldreich's function needs d >= {GOLDREICH_ARITY}, got {self.n_in}")
        rng = np.random.default_rng([0x601D, int(self.seed)])
        edges = np.stack(
            [rng.choice(self.n_in, size=GOLDREICH_ARITY, replace=False) for _ in range(self.n_out)]
        )
        object.__setattr__(self, "hypergraph", edges.astype(np.int64))

    @property
    def name(self) -> str:
        return f"goldreich(d={self.n_in}, d'={self.n_out}, seed={self.seed})"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.int8)
        picked = x[:, self.hypergraph]  # (N, n_out, 5), signs
        # xor of bits is the product of signs; (b4 and b5) has sign -1 iff both signs are -1.
        xor3 = picked[..., 0] * picked[..., 1] * picked[..., 2]
        and45 = np.where((picked[..., 3] == -1) & (picked[..., 4] == -1), -1, 1)
        return (xor3 * and45).astype(np.int8)

    def to_circuit(self) -> Circuit:
        from verify.maths.circuits import goldreich_circuit

        return goldreich_circuit(self.n_in, [tuple(int(i) for i in e) for e in self.hypergraph])


@dataclass(frozen=True)
class ConstantFunction:
    """f(x) = (value, ..., value): every seed carries the same phases."""

    n_in: int
    n_out: int
    value: int = 1

    def __post_init__(self) -> None:
        _check_sizes(self.n_in, self.n_out)
        if self.value not in (1, -1):
            raise DomainError(f"constant value must be ±1, got {self.value}")

    @property
    def name(self) -> str:
        return f"constant(d={self.n_in}, d'={self.n_out}, value={self.value})"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return np.full((np.asarray(x).shape[0], self.n_out), self.value, dtype=np.int8)


@dataclass(frozen=True)
class ProjectionFunction:
    """f(x)_j = x_{j mod d}: a seed's phases repeat its signs (not one-way; a test map)."""

    n_in: int
    n_out: int

    def __post_init__(self) -> None:
        _check_sizes(self.n_in, self.n_out)

    @property
    def name(self) -> str:
        return f"projection(d={self.n_in}, d'={self.n_out})"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.int8)
        return x[:, np.arange(self.n_out) % self.n_in].astype(np.int8)


def make_function(spec: dict[str, Any]) -> OneWayFunction:
    """Build f from a JSON-native spec: kind in {goldreich, constant, projection}, d, d_out."""
    kind = spec.get("kind", "goldreich")
    d, d_out = spec.get("d"), spec.get("d_out")
    if not isinstance(d, int) or not isinstance(d_out, int):
        raise DomainError(f"f spec needs integer d and d_out, got {spec}")
    if kind == "goldreich":
        return GoldreichFunction(d, d_out, int(spec.get("seed", 0)))
    if kind == "constant":
        return ConstantFunction(d, d_out, int(spec.get("value", 1)))
    if kind == "projection":
        return ProjectionFunction(d, d_out)
    raise DomainError(f"unknown f kind {kind!r} (goldreich, constant, projection)")


def all_seeds(d: int) -> np.ndarray:
    """Every s in {±1}^d as an int8 (2^d, d) array: the one seed ordering of the suite.

    Row r is the seed with s_i = -1 iff bit i of r is set (little-endian: coordinate 0 is the
    least significant bit), so row 0 is (+1, ..., +1) and ``seed_index`` inverts it.
    """
    if d > 20:
        raise DomainError(f"enumerating 2^{d} seeds is not supported (d <= 20)")
    rows = np.arange(2**d, dtype=np.int64)[:, None]
    bits = (rows >> np.arange(d, dtype=np.int64)[None, :]) & 1
    return (1 - 2 * bits).astype(np.int8)


def seed_index(seeds: np.ndarray) -> np.ndarray:
    """The row of each seed (rows of an (N, d) ±1 array) in ``all_seeds(d)``."""
    arr = np.asarray(seeds)
    bits = (arr == -1).astype(np.int64)
    return (bits << np.arange(arr.shape[-1], dtype=np.int64)).sum(-1)


def all_seed_tuples(d: int) -> list[tuple[int, ...]]:
    """``all_seeds(d)`` as a list of tuples of Python ints (for arb loops)."""
    return [tuple(int(b) for b in row) for row in all_seeds(d)]
