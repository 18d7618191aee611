"""ReluNet's integer evaluation and float_error_bound against plain Fraction arithmetic."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verify.maths.nets.relunet import (
    UNIT_ROUNDOFF,
    Affine,
    ReluNet,
    float_error_bound,
    float_error_bound_and_value,
    gamma,
)

FRACTIONS = st.builds(
    Fraction, st.integers(-60, 60), st.sampled_from([1, 2, 3, 7, 8, 64, 1000, 2**30])
)


@st.composite
def nets_and_inputs(draw):
    dims = draw(st.lists(st.integers(1, 4), min_size=2, max_size=5))
    layers = []
    for n_in, n_out in pairwise(dims):
        weight = [[draw(FRACTIONS) for _ in range(n_in)] for _ in range(n_out)]
        layers.append(Affine(weight, [draw(FRACTIONS) for _ in range(n_out)]))
    x = [draw(st.floats(-100, 100, allow_nan=False)) for _ in range(dims[0])]
    return ReluNet(tuple(layers)), x


def _reference_call(net: ReluNet, x: list[Fraction]) -> list[Fraction]:
    values = list(x)
    for index, layer in enumerate(net.layers):
        values = [
            sum((w * v for w, v in zip(row, values, strict=True)), b)
            for row, b in zip(layer.weight, layer.bias, strict=True)
        ]
        if index < len(net.layers) - 1:
            values = [max(v, Fraction(0)) for v in values]
    return values


def _reference_error(net: ReluNet, x: list[float]) -> list[Fraction]:
    """The module docstring's recursion, term by term in Fractions."""
    exact = [Fraction(v) for v in x]
    error = [Fraction(0)] * len(exact)
    for index, layer in enumerate(net.layers):
        g = gamma(layer.in_dim + 1)
        magnitude = [abs(v) + e for v, e in zip(exact, error, strict=True)]
        new_error = []
        for row, b in zip(layer.weight, layer.bias, strict=True):
            propagated = sum((abs(w) * e for w, e in zip(row, error, strict=True)), Fraction(0))
            weighted = sum((abs(w) * m for w, m in zip(row, magnitude, strict=True)), Fraction(0))
            rounding = (UNIT_ROUNDOFF + g * (1 + UNIT_ROUNDOFF)) * (weighted + abs(b))
            new_error.append(propagated + rounding)
        exact = [
            sum((w * v for w, v in zip(row, exact, strict=True)), b)
            for row, b in zip(layer.weight, layer.bias, strict=True)
        ]
        if index < len(net.layers) - 1:
            exact = [max(v, Fraction(0)) for v in exact]
        error = new_error
    return error


@settings(max_examples=60, deadline=None)
@given(case=nets_and_inputs())
def test_integer_evaluation_is_the_fraction_evaluation(case):
    net, x = case
    exact = [Fraction(v) for v in x]
    assert net(exact) == _reference_call(net, exact)
    assert float_error_bound(net, x) == _reference_error(net, x)
    assert float_error_bound_and_value(net, x) == (_reference_error(net, x), net(exact))


def test_wrong_input_length_is_rejected():
    net = ReluNet((Affine([[Fraction(1), Fraction(2)]], [Fraction(0)]),))
    with pytest.raises(ValueError):
        net([Fraction(1)])
    with pytest.raises(ValueError):
        float_error_bound(net, [1.0])


@settings(max_examples=60, deadline=None)
@given(nets_and_inputs())
def test_parameter_count_and_largest_parameter_are_the_fraction_forms(case) -> None:
    # Both read the integer rows (and compare the largest entry by cross-multiplying): the
    # same numbers as counting and maximising the Fraction parameters themselves.
    net, _ = case
    parameters = net.parameters()
    assert net.parameter_count() == sum(1 for p in parameters if p != 0)
    largest = net.max_abs_parameter()
    assert largest == max([Fraction(0), *(abs(p) for p in parameters)])
    assert type(largest) is Fraction


def test_largest_parameter_of_a_zero_network_is_zero() -> None:
    net = ReluNet((Affine([[0, 0]], [0]),))
    assert net.max_abs_parameter() == 0
    assert net.parameter_count() == 0
