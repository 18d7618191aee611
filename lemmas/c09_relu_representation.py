r"""Lemma C.9 (ReLU representation of a continuous piecewise-linear function).

Statement checked (LEMMAS.md, [derived]). A continuous piecewise-linear f with k pieces,
breakpoints :math:`t_1<\dots<t_{k-1}` and slopes :math:`a_0,\dots,a_{k-1}` equals

.. math::
    f(x) = f(t_1) + a_0\,(\mathrm{ReLU}(x-t_1) - \mathrm{ReLU}(t_1-x))
           + \sum_{i=1}^{k-1} (a_i - a_{i-1})\,\mathrm{ReLU}(x-t_i),

a one-hidden-layer network with (the two ReLU(x - t_1) terms merged) k hidden units and
``parameter_count <= C_size (k + 1)`` nonzero parameters, C_size = 3 (3k + 1 for k >= 2; 5 for
k = 1), each bounded by ``C_weight * B`` with C_weight = 2, where B >= 1/2 bounds every slope,
breakpoint and value at a breakpoint (|a_i - a_{i-1}| <= 2B; weights are +-1 <= 2B).
Its float64 torch evaluation differs from the exact value by at most ``C_round`` times the
rigorous rounding bound of ``verify.maths.nets.relunet.float_error_bound`` (C_round = 1).

Checks, all exact (rational arithmetic, no enclosure width at all):
- ``equality``: the network and f agree at every breakpoint and one point beyond each end. Both
  are continuous piecewise linear with breakpoints in {t_i}, so this is a proof of equality on
  the whole line (left side: the largest disagreement, right side: 0).
- ``size``: parameter count against C_size (k + 1); ``weights``: largest |parameter| against
  C_weight B.
- ``float64``: at float inputs (every breakpoint rounded to float64, the midpoints, and the ends
  +-1), |torch float64 output - exact output at the same float| against C_round times the bound.

Parameters: k in [1, 24] pieces with rational breakpoints, slopes and value f(t_1) (strings
"p/q"; denominators up to 12 so that float64 rounding really happens), |.| <= 16.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import pairwise
from typing import Any

from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Constraint, Domain, Real, Reals
from verify.maths.nets.pwl import PiecewiseLinear, relu_network
from verify.maths.nets.relunet import float_error_bound_and_value

MAX_PIECES = 64


RATIONAL = Real(-math.inf, math.inf, lo_open=True, hi_open=True, doc='a rational, e.g. "-7/3"')


def _increasing(params: dict[str, Any]) -> bool:
    ts = [Fraction(t) for t in params["breakpoints"]]
    return all(a < b for a, b in pairwise(ts))


DOMAIN = Domain(
    Constraint(
        "k slopes and k - 1 breakpoints",
        lambda p: len(p["slopes"]) == len(p["breakpoints"]) + 1,
    ),
    Constraint("breakpoints strictly increasing", _increasing),
    breakpoints=Reals(RATIONAL, 0, MAX_PIECES - 1, doc="t_1 < ... < t_{k-1}"),
    slopes=Reals(RATIONAL, 1, MAX_PIECES, doc="a_0, ..., a_{k-1}"),
    value=RATIONAL,
)


def _function(params: dict[str, Any]) -> PiecewiseLinear:
    """The function of a point of the domain (rationals taken exactly)."""
    return PiecewiseLinear(
        tuple(Fraction(t) for t in params["breakpoints"]),
        tuple(Fraction(a) for a in params["slopes"]),
        Fraction(params["value"]),
    )


RATIONAL_BOUND = 16
MAX_DENOMINATOR = 12

# ``st.fractions(-16, 16, max_denominator=12)`` drawn the same way (a denominator, then a
# numerator in bounds, then limit_denominator), with its twelve per-denominator strategies built
# once: ``st.fractions`` builds and validates a fresh one on every draw, which cost seconds.
_BY_DENOMINATOR = {
    denominator: st.builds(
        Fraction,
        st.integers(-RATIONAL_BOUND * denominator, RATIONAL_BOUND * denominator),
        st.just(denominator),
    )
    for denominator in range(1, MAX_DENOMINATOR + 1)
}


def _with_denominator(denominator: int) -> st.SearchStrategy[Fraction]:
    return _BY_DENOMINATOR[denominator]


_rational = (
    st.integers(1, MAX_DENOMINATOR)
    .flatmap(_with_denominator)
    .map(lambda f: f.limit_denominator(MAX_DENOMINATOR))
)


@st.composite
def _params(draw) -> dict[str, Any]:
    k = draw(st.integers(min_value=1, max_value=24))
    breakpoints = sorted(draw(st.sets(_rational, min_size=k - 1, max_size=k - 1)))
    slopes = draw(st.lists(_rational, min_size=k, max_size=k))
    return {
        "breakpoints": [str(t) for t in breakpoints],
        "slopes": [str(a) for a in slopes],
        "value": str(draw(_rational)),
    }


def _float_inputs(f: PiecewiseLinear) -> list[float]:
    points = [float(t) for t in f.witness_points()]
    points += [float((a + b) / 2) for a, b in pairwise(f.breakpoints)]
    return points


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    import torch

    f = _function(params)
    net = relu_network(f)
    k = f.pieces
    disagreement = max(abs(net([x])[0] - f(x)) for x in f.witness_points())

    size_unit = Fraction(k + 1)
    weight_unit = f.bound()
    parts = [
        Part("equality", disagreement, Fraction(0), note="exact, at breakpoints and beyond"),
        Part(
            "size",
            Fraction(net.parameter_count()),
            constants["size_factor"] * size_unit,
            "size_factor",
            size_unit,
            note=f"k={k}, parameters={net.parameter_count()}",
        ),
        Part(
            "weights",
            net.max_abs_parameter(),
            constants["weight_factor"] * weight_unit,
            "weight_factor",
            weight_unit,
            note=f"B={weight_unit}",
        ),
    ]
    inputs = _float_inputs(f)
    module = net.to_torch(torch.float64)
    with torch.no_grad():
        outputs = module(torch.tensor([[x] for x in inputs], dtype=torch.float64))[:, 0].tolist()
    worst: tuple[Fraction, Fraction] | None = None
    for x, y in zip(inputs, outputs, strict=True):
        # The exact value net([Fraction(x)]) comes with the bound (one pass, the same value).
        bounds, values = float_error_bound_and_value(net, [x])
        error = abs(Fraction(y) - values[0])
        bound = bounds[0]
        if worst is None or error * worst[1] > worst[0] * bound:
            worst = (error, bound)
    assert worst is not None
    error, bound = worst
    parts.append(
        Part(
            "float64",
            error,
            constants["rounding_factor"] * bound,
            "rounding_factor",
            bound,
            note="largest |torch - exact| relative to the gamma_n bound",
        )
    )
    return parts


C09 = Lemma(
    id="C.9",
    title="ReLU representation of continuous piecewise-linear functions",
    statement=(
        r"f(x) = f(t_1) + a_0\big(\mathrm{ReLU}(x-t_1)-\mathrm{ReLU}(t_1-x)\big)"
        r" + \sum_{i=1}^{k-1}(a_i-a_{i-1})\,\mathrm{ReLU}(x-t_i),\quad"
        r" \#\mathrm{params} \le C_{size}(k+1),\ \max|\mathrm{param}| \le C_{weight} B,\ "
        r"|\mathrm{net}_{f64}(x)-\mathrm{net}(x)| \le C_{round}\,\gamma\text{-bound}"
    ),
    domain=DOMAIN,
    constants=[
        Constant("size_factor", 3, "3k + 1 parameters for k >= 2 and 5 for k = 1, <= 3(k + 1)"),
        Constant("weight_factor", 2, "outer weights a_i - a_{i-1} are bounded by 2B"),
        Constant("rounding_factor", 1, "gamma_{n+1} analysis of float64 affine layers"),
    ],
    params=_params,
    check=_check,
    examples=[
        {"breakpoints": [], "slopes": ["3/2"], "value": "-1/3"},
        {"breakpoints": ["-1", "1/3", "2"], "slopes": ["2", "-2", "1/7", "-2"], "value": "1/3"},
        {"breakpoints": ["0"], "slopes": ["16", "-16"], "value": "0"},
    ],
    budget={"quick": 40, "standard": 300, "thorough": 2000},
    depends_on=(),
)
