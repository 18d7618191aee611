"""Hypothesis strategies over whole domains, extremes included (log-uniform scales, the edge
values themselves drawn with positive probability)."""

from __future__ import annotations

import math

from hypothesis import strategies as st


def log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    """lo * (hi/lo)^u, u uniform in [0, 1], with both ends drawn explicitly now and then."""
    log_lo, log_hi = math.log(lo), math.log(hi)
    inner = st.floats(0, 1).map(lambda u: math.exp(log_lo + u * (log_hi - log_lo)))
    return st.one_of(st.sampled_from([lo, hi]), inner, inner, inner)


def signed(lo: float, hi: float) -> st.SearchStrategy[float]:
    """A value in [-hi, hi] whose magnitude is log-uniform in [lo, hi] (or exactly 0)."""
    return st.one_of(
        st.just(0.0),
        st.tuples(st.sampled_from([-1.0, 1.0]), log_uniform(lo, hi)).map(lambda t: t[0] * t[1]),
    )
