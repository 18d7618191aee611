"""verify.maths.nets.gadgets: the C.13/C.14 gadgets, exact and float64 from one network."""

from __future__ import annotations

from fractions import Fraction

import torch

from verify.maths.nets import gadgets


def test_clamp_is_the_sign_off_the_margin_and_counts_its_parameters():
    net = gadgets.clamp_network(Fraction(1, 2))
    assert [net([t])[0] for t in (-2, Fraction(-1, 2), 0, Fraction(1, 2), 2)] == [-1, -1, 0, 1, 1]
    assert net.parameter_count() == 7 and gadgets.first_layer_parameters(net) == 4


def test_switch_selects_and_counts_its_parameters():
    net = gadgets.switch_network(3)
    assert net([1, Fraction(5, 2)])[0] == Fraction(5, 2) and net([0, Fraction(5, 2)])[0] == 0
    assert net.parameter_count() == 8
    assert gadgets.first_layer_parameters(net) == 6 and gadgets.output_weights(net) == 2


def test_torch_evaluation_is_the_exact_network_to_rounding():
    clamp, switch = gadgets.clamp_network(0.3), gadgets.switch_network(2.5)
    t = torch.linspace(-2, 2, 81, dtype=torch.float64)
    b = torch.linspace(-1, 2, 81, dtype=torch.float64)
    got_clamp = gadgets.apply_torch(clamp, t).tolist()
    got_switch = gadgets.apply_torch(switch, b, t).tolist()
    for i, x in enumerate(t.tolist()):
        assert abs(got_clamp[i] - float(clamp([Fraction(x)])[0])) <= 1e-12
        exact = switch([Fraction(b[i].item()), Fraction(x)])[0]
        assert abs(got_switch[i] - float(exact)) <= 1e-12


def test_a_wrong_gadget_is_detected():
    # clamp with the wrong sign on the second unit is not the sign function
    net = gadgets.clamp_network(1)
    assert net([Fraction(1, 2)])[0] != 1  # inside the margin: not yet saturated


def test_proof_points_and_cones_are_read_from_the_network():
    from fractions import Fraction

    from verify.maths.nets.gadgets import (
        breakpoints_1d,
        clamp_network,
        cone_apex_and_rays,
        proof_points_1d,
        switch_network,
    )

    w = Fraction(1, 3)
    assert breakpoints_1d(clamp_network(w)) == [-w, w]
    assert proof_points_1d(clamp_network(w)) == [-w - 1, -w, w, w + 1]
    apex, rays = cone_apex_and_rays(switch_network(Fraction(5)), [(0, Fraction(1), 0)])
    assert apex == (1, 0)
    assert len(rays) == 6
    # one hidden line only: the cones are half-planes, not pointed; no proof offered
    from verify.maths.nets.relunet import Affine, ReluNet

    lonely = ReluNet((Affine([[Fraction(1), Fraction(1)]], [0]), Affine([[Fraction(1)]], [0])))
    assert cone_apex_and_rays(lonely) is None


def test_parameter_count_and_largest_parameter_match_their_definitions() -> None:
    # Both are read from integer numerators over each row's common denominator: the same
    # numbers as counting and maximising over the Fractions themselves.
    import random
    from fractions import Fraction
    from itertools import pairwise

    from verify.maths.nets.relunet import Affine, ReluNet

    rng = random.Random(7)

    def entry() -> Fraction:
        return rng.choice([Fraction(0), Fraction(rng.randint(-50, 50), rng.randint(1, 12))])

    for _ in range(20):
        widths = [rng.randint(1, 5) for _ in range(rng.randint(2, 4))]
        layers = [
            Affine([[entry() for _ in range(n_in)] for _ in range(n_out)], [entry()] * n_out)
            for n_in, n_out in pairwise(widths)
        ]
        net = ReluNet(tuple(layers))
        params = net.parameters()
        assert net.parameter_count() == sum(1 for p in params if p != 0)
        assert net.max_abs_parameter() == max((abs(p) for p in params), default=Fraction(0))
    empty = ReluNet((Affine([[Fraction(0)]], [Fraction(0)]),))
    assert empty.parameter_count() == 0
    assert empty.max_abs_parameter() == 0
