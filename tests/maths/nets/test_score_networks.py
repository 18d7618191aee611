"""verify.maths.nets.score_networks: sweep evaluation, exact equality decision, block structure."""

from __future__ import annotations

import random
from fractions import Fraction

from verify.maths.laws import FiniteMixture
from verify.maths.nets.pwl import PiecewiseLinear, relu_network
from verify.maths.nets.relunet import Affine, ReluNet, parallel
from verify.maths.nets.score_networks import (
    is_block_concatenation,
    network_equals_function,
    product_score_network,
    pwl_values,
    score_network,
    shallow_values,
)

F = Fraction


def _random_shallow(rng: random.Random, width: int) -> ReluNet:
    def w() -> Fraction:
        return F(rng.randint(-5, 5), rng.randint(1, 3))

    hidden = Affine([[w()] for _ in range(width)], [w() for _ in range(width)])
    return ReluNet((hidden, Affine([[w() for _ in range(width)]], [w()])))


def test_shallow_values_match_direct_evaluation() -> None:
    rng = random.Random(3)
    for _ in range(30):
        net = _random_shallow(rng, rng.randint(1, 8))
        points = [F(rng.randint(-30, 30), rng.randint(1, 4)) for _ in range(12)]
        # include every kink, where the sweep's tie handling matters
        points += [
            -b / w
            for (w,), b in zip(net.layers[0].weight, net.layers[0].bias, strict=True)
            if w != 0
        ]
        assert shallow_values(net, points) == [net([x])[0] for x in points]


def test_pwl_values_match_call() -> None:
    f = PiecewiseLinear.from_points([F(-1), F(0), F(2)], [F(3), F(-1), F(5, 2)], F(1), F(-2))
    points = [F(-3), F(-1), F(-1, 2), F(0), F(1), F(2), F(7)]
    assert pwl_values(f, points) == [f(x) for x in points]


def test_network_equality_is_decided_both_ways() -> None:
    f = PiecewiseLinear.from_points([F(-1), F(0), F(2)], [F(3), F(-1), F(5, 2)], F(0), F(0))
    net = relu_network(f)
    assert network_equals_function(net, f)
    hidden, out = net.layers
    bumped = ReluNet((hidden, Affine([list(out.weight[0])], [out.bias[0] + F(1, 1000)])))
    assert not network_equals_function(bumped, f)
    # an extra kink off f's breakpoints with a zero-sum effect at the witnesses is still caught
    extra = Affine([*hidden.weight, [F(1)]], [*hidden.bias, F(-1, 2)])
    outer = Affine([[*out.weight[0], F(1)]], [out.bias[0]])
    assert not network_equals_function(ReluNet((extra, outer)), f)


def test_network_equality_reads_the_end_slopes_and_single_breakpoints() -> None:
    # network_equals_function reads f at the witness points from f.witness_values(): the outer
    # witnesses must still see a different slope beyond either end, with one breakpoint too.
    for xs, ys in (([F(-1), F(0), F(2)], [F(3), F(-1), F(5, 2)]), ([F(1, 3)], [F(-2)])):
        f = PiecewiseLinear.from_points(xs, ys, F(1, 2), F(-3))
        assert network_equals_function(relu_network(f), f)
        for left, right in ((F(0), F(-3)), (F(1, 2), F(0))):
            other = PiecewiseLinear.from_points(xs, ys, left, right)
            assert not network_equals_function(relu_network(other), f)
            assert not network_equals_function(relu_network(f), other)


def test_witness_values_are_f_at_the_witness_points() -> None:
    rng = random.Random(5)
    for count in range(5):
        xs = sorted({F(rng.randint(-40, 40), rng.randint(1, 7)) for _ in range(count)})
        ys = [F(rng.randint(-9, 9), rng.randint(1, 5)) for _ in xs]
        slopes = (F(rng.randint(-6, 6), 3), F(rng.randint(-6, 6), 5))
        f = (
            PiecewiseLinear.from_points(xs, ys, *slopes)
            if xs
            else PiecewiseLinear((), (slopes[0],), ys[0] if ys else F(2, 3))
        )
        points = f.witness_points()
        assert f.witness_values() == [f(x) for x in points] == pwl_values(f, points)


def test_score_network_and_product() -> None:
    law = FiniteMixture([F(-2), F(2)], [0, 0], [F(1, 2), F(1, 2)])
    sn = score_network(law, F(1), F(3, 4))
    assert network_equals_function(sn.net, sn.function)
    assert sn.net.parameter_count() <= sn.parameter_bound
    assert sn.net.max_abs_parameter() <= sn.weight_bound
    other = FiniteMixture([F(0)], [F(1, 2)], [F(1)])  # variance 1 + 1/4 = 5/4
    product = product_score_network([law, other], F(1), F(3, 2))
    nets = [c.net for c in product.coordinates]
    assert is_block_concatenation(product.net, nets)
    assert not is_block_concatenation(product.net, nets[::-1])
    assert product.net.parameter_count() == sum(n.parameter_count() for n in nets)
    x = [F(1, 3), F(-5, 7)]
    assert product.net(x) == [nets[0]([x[0]])[0], nets[1]([x[1]])[0]]


def test_block_check_rejects_a_cross_term() -> None:
    a = relu_network(PiecewiseLinear.from_points([F(0), F(1)], [F(0), F(1)], F(0), F(0)))
    b = relu_network(PiecewiseLinear.from_points([F(0), F(2)], [F(1), F(0)], F(0), F(0)))
    big = parallel(a, b)
    first = big.layers[0]
    rows = [list(r) for r in first.weight]
    rows[0][1] = F(1, 5)
    tampered = ReluNet((Affine(rows, first.bias), *big.layers[1:]))
    assert is_block_concatenation(big, [a, b])
    assert not is_block_concatenation(tampered, [a, b])


def test_from_points_slopes_are_the_exact_chords() -> None:
    # from_points forms each chord slope from the integers of its ends: the very rationals of
    # (y1 - y0) / (x1 - x0), for Fractions, ints and negative or unreduced values alike.
    rng = random.Random(5)
    xs = sorted({F(rng.randint(-40, 40), rng.randint(1, 6)) for _ in range(25)})
    ys = [F(rng.randint(-9, 9), rng.randint(1, 5)) for _ in xs]
    mixed_xs = [int(x) if x.denominator == 1 else x for x in xs]
    for f in (
        PiecewiseLinear.from_points(xs, ys, F(1, 3), -2),
        PiecewiseLinear.from_points(mixed_xs, ys, F(1, 3), -2),
    ):
        segments = zip(xs, xs[1:], ys, ys[1:], strict=False)
        chords = [(y1 - y0) / (x1 - x0) for x0, x1, y0, y1 in segments]
        assert f.slopes == (F(1, 3), *chords, F(-2))
        assert all(type(t) is F for t in (*f.breakpoints, *f.slopes))
        assert f.values_at_breakpoints() == ys
        assert [f(x) for x in xs] == ys
