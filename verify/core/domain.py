"""Parameter domains: validation of user-supplied points and search strategies."""

from __future__ import annotations

import math
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
