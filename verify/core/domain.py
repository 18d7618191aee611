"""Parameter domains: validation of user-supplied points and search strategies.

The one vocabulary for argument checks (as Hypothesis's ``internal/validation.py``): every
lemma declares its ``Domain`` here once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from verify.core.errors import DomainError


def finite_real(params: dict[str, Any], name: str) -> float:
    """``params[name]`` as a finite float, or a ``DomainError`` naming the parameter."""
    if name not in params:
        raise DomainError(f"missing parameter {name!r}")
    value = params[name]
    if isinstance(value, bool) or not isinstance(value, int | float | Fraction | str):
        raise DomainError(f"parameter {name} must be a real number, got {value!r}")
    try:
        number = float(Fraction(value)) if isinstance(value, str) else float(value)
    except (ValueError, ZeroDivisionError):
        raise DomainError(f"parameter {name} must be a real number, got {value!r}") from None
    if not math.isfinite(number):
        raise DomainError(f"parameter {name} must be finite, got {value!r}")
    return number


def integer(params: dict[str, Any], name: str, lo: int | None = None, hi: int | None = None) -> int:
    """``params[name]`` as an int within [lo, hi], or a ``DomainError``."""
    if name not in params:
        raise DomainError(f"missing parameter {name!r}")
    value = params[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise DomainError(f"parameter {name} must be an integer, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise DomainError(f"parameter {name} must lie in [{lo}, {hi}], got {value}")
    return value


def log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Floats in [lo, hi] spread evenly in log scale (0 < lo < hi)."""
    return st.floats(min_value=math.log(lo), max_value=math.log(hi)).map(
        lambda t: min(hi, max(lo, math.exp(t)))
    )


# --- A lemma's domain, declared once -----------------------------------------------------------
#
# A ``Domain`` names each parameter with its kind and bounds, plus the constraints that tie
# parameters together. Validation of a user's point, the domain line of the reports, ``verify
# describe`` and the search strategy's bounds all come from this one declaration (a lemma whose
# search needs dependent draws builds its composite strategy from ``domain[name].strategy()``).


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class Real:
    """A real parameter in [lo, hi] (either end open); ``search`` narrows what the search draws
    (inside the domain, e.g. away from 0), ``log`` draws it log-uniformly."""

    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    search: tuple[float, float] | None = None
    log: bool = False
    doc: str = ""

    def check(self, name: str, params: dict[str, Any]) -> float:
        value = finite_real(params, name)
        below = value <= self.lo if self.lo_open else value < self.lo
        above = value >= self.hi if self.hi_open else value > self.hi
        if below or above:
            raise DomainError(f"parameter {name} must lie in {self.interval()}, got {value!r}")
        return value

    def interval(self) -> str:
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        return f"{left}{_fmt(self.lo)}, {_fmt(self.hi)}{right}"

    def text(self, name: str) -> str:
        return f"{name} in {self.interval()}"

    def strategy(self) -> st.SearchStrategy[float]:
        lo, hi = self.search if self.search is not None else (self.lo, self.hi)
        inner = log_uniform(lo, hi) if self.log else st.floats(min_value=lo, max_value=hi)
        # Filter only where the drawn range reaches an open end: a filter, even one that never
        # rejects, changes how Hypothesis explores, and so the search's draws for a seed.
        if self.contains(lo) and self.contains(hi):
            return inner
        return inner.filter(self.contains)

    def contains(self, value: float) -> bool:
        below = value <= self.lo if self.lo_open else value < self.lo
        above = value >= self.hi if self.hi_open else value > self.hi
        return not (below or above)


@dataclass(frozen=True)
class Integer:
    """An integer parameter in [lo, hi]; ``search`` narrows what the search draws."""

    lo: int
    hi: int
    search: tuple[int, int] | None = None
    doc: str = ""

    def check(self, name: str, params: dict[str, Any]) -> int:
        return integer(params, name, self.lo, self.hi)

    def text(self, name: str) -> str:
        return f"{name} in {{{self.lo}, ..., {self.hi}}}"

    def strategy(self) -> st.SearchStrategy[int]:
        lo, hi = self.search if self.search is not None else (self.lo, self.hi)
        return st.integers(min_value=lo, max_value=hi)


@dataclass(frozen=True)
class Choice:
    """A parameter taking one of a few JSON values (strings or numbers)."""

    values: tuple[Any, ...]
    doc: str = ""

    def check(self, name: str, params: dict[str, Any]) -> Any:
        if name not in params:
            raise DomainError(f"missing parameter {name!r}")
        value = params[name]
        if value not in self.values or isinstance(value, bool) != any(
            isinstance(v, bool) for v in self.values if v == value
        ):
            choices = ", ".join(repr(v) for v in self.values)
            raise DomainError(f"parameter {name} must be one of {choices}, got {value!r}")
        return value

    def text(self, name: str) -> str:
        return f"{name} in {{{', '.join(str(v) for v in self.values)}}}"

    def strategy(self) -> st.SearchStrategy[Any]:
        return st.sampled_from(self.values)


@dataclass(frozen=True)
class Reals:
    """A list of reals, each in ``element``'s interval, of length in [min_size, max_size]."""

    element: Real
    min_size: int
    max_size: int
    doc: str = ""

    def check(self, name: str, params: dict[str, Any]) -> list[float]:
        if name not in params:
            raise DomainError(f"missing parameter {name!r}")
        value = params[name]
        if not isinstance(value, list | tuple):
            raise DomainError(f"parameter {name} must be a list of reals, got {value!r}")
        if not self.min_size <= len(value) <= self.max_size:
            raise DomainError(
                f"parameter {name} must have {self.min_size} to {self.max_size} entries, "
                f"got {len(value)}"
            )
        return [
            self.element.check(f"{name}[{i}]", {f"{name}[{i}]": v}) for i, v in enumerate(value)
        ]

    def text(self, name: str) -> str:
        return f"{name}: {self.min_size} to {self.max_size} reals in {self.element.interval()}"

    def strategy(self) -> st.SearchStrategy[list[float]]:
        return st.lists(self.element.strategy(), min_size=self.min_size, max_size=self.max_size)


Spec = Real | Integer | Choice | Reals

# A positive real with no upper bound (a scale, a level, a length); the search bounds come from
# the lemma's own strategy or constraints.
POSITIVE_REAL = Real(0, math.inf, lo_open=True, hi_open=True)


@dataclass(frozen=True)
class Constraint:
    """A condition tying parameters together, with the words the reports show for it."""

    text: str
    holds: Callable[[dict[str, Any]], bool]


class Domain:
    """The parameters of a lemma: ``Domain(Constraint(...), ..., eps=Real(0, 1, lo_open=True))``.

    ``optional`` names parameters that may be left out (their spec is checked when present).
    Unknown parameters are refused: a misspelt name must not silently fall back to a default.
    """

    def __init__(
        self, *constraints: Constraint, optional: Sequence[str] = (), **specs: Spec
    ) -> None:
        self.specs: dict[str, Spec] = dict(specs)
        self.constraints: tuple[Constraint, ...] = constraints
        self.optional: frozenset[str] = frozenset(optional)
        unknown = self.optional - set(self.specs)
        if unknown:
            raise ValueError(f"optional parameters without a spec: {sorted(unknown)}")

    def __getitem__(self, name: str) -> Spec:
        return self.specs[name]

    def names(self) -> list[str]:
        return list(self.specs)

    def validate(self, params: dict[str, Any]) -> None:
        """Raise ``DomainError`` (one line) unless ``params`` lies in the domain."""
        if not isinstance(params, dict):
            raise DomainError(f"parameters must be a mapping, got {type(params).__name__}")
        unknown = [name for name in params if name not in self.specs]
        if unknown:
            raise DomainError(
                f"unknown parameter {unknown[0]!r} (parameters: {', '.join(self.specs)})"
            )
        for name, spec in self.specs.items():
            if name in self.optional and name not in params:
                continue
            spec.check(name, params)
        for constraint in self.constraints:
            if not constraint.holds(params):
                raise DomainError(f"the point must satisfy {constraint.text}")

    def text(self) -> str:
        """The domain in words, as the reports print it."""
        pieces = [spec.text(name) for name, spec in self.specs.items()]
        pieces += [c.text for c in self.constraints]
        return "; ".join(pieces)

    def strategy(self) -> st.SearchStrategy[dict[str, Any]]:
        """Independent draws of every parameter, filtered by the constraints."""
        strategy = st.fixed_dictionaries({n: s.strategy() for n, s in self.specs.items()})
        if self.constraints:
            strategy = strategy.filter(lambda p: all(c.holds(p) for c in self.constraints))
        return strategy
