import pytest
import torch
from flint import arb

from verify.core.numbers import to_arb
from verify.maths.instance import Instance
from verify.maths.nets.small_sigma import (
    SmallSigmaNetwork,
    _Lattice,
    _lattice_tail,
    one_dimensional_error_enclosure,
    one_dimensional_error_upper,
)
from verify.maths.oneway import GoldreichFunction

# (d', R, eps, sigma, w): a lattice narrower than sigma, one far wider, and between.
NETS = [(3, 3.0, 0.3, 0.2, 0.45), (1, 1.5, 0.1, 0.05, 0.075), (2, 2.0, 0.9, 0.05, 0.5)]


def _net(d_out, R, eps, sigma, w):
    return SmallSigmaNetwork(Instance(GoldreichFunction(5, d_out, 0), R, eps), sigma, w)


@pytest.mark.parametrize("point", NETS)
def test_e1_upper_bound_contains_the_quadrature_and_beats_minkowski(point):
    net = _net(*point)
    upper = one_dimensional_error_upper(net)
    quadrature = net.one_dimensional_error()
    assert upper > to_arb(quadrature)
    minkowski = (to_arb(net.V) + 1 / to_arb(net.sigma)) ** 2
    assert upper < minkowski / 10  # tight enough to narrow the right side of C.15
    enclosure = one_dimensional_error_enclosure(net)
    assert enclosure.lower() <= 0 and enclosure.upper() >= upper.upper() * (1 - 1e-9)


@pytest.mark.parametrize("point", NETS)
def test_lattice_score_encloses_the_float_comb_score(point):
    net = _net(*point)
    inst = net.inst
    t = torch.linspace(-3.0, 3.0, 13, dtype=torch.float64)
    _, slope = inst.comb_terms(t, net.sigma)
    for index, b in enumerate((1, -1)):
        lattice = _Lattice(float(inst.eps), inst.theta(b), net.sigma)
        for x, y in zip(t.tolist(), slope[:, index].tolist(), strict=True):
            exact = lattice.score_at(to_arb(x))
            assert abs(exact - to_arb(y)) < 1e-9 * (1 + abs(y))


def test_lattice_tail_needs_a_far_cut_and_bounds_the_sum():
    tau, eps = arb("0.3"), arb("0.1")
    with pytest.raises(ValueError):
        _lattice_tail(tau, arb(0), tau, eps)
    D = 3 * tau
    direct = sum(
        (
            (1 + x) ** 3 * (-(x * x) / (2 * tau * tau)).exp()
            for x in (D + eps * j for j in range(400))
        ),
        arb(0),
    )
    assert direct < _lattice_tail(D, arb(0), tau, eps)


def test_lattice_atoms_are_formed_once_per_precision_with_the_same_balls() -> None:
    # score_at keeps the atoms eps k + theta by index (it asks for the same ones at
    # neighbouring points): the very balls of a fresh computation, re-formed at a new precision.
    from verify.core.numbers import precision

    lattice = _Lattice(0.3, 0.1, 0.25)
    for bits in (53, 200, 53):
        with precision(bits):
            t = to_arb(0.37)
            score = lattice.score_at(t)
            table = lattice.atom_table()
            assert len(table) > 5
            for k, atom in table.items():
                fresh = to_arb(0.3) * k + to_arb(0.1)
                assert atom.mid() == fresh.mid() and atom.rad() == fresh.rad()
                assert atom.mid() == lattice.atom(k).mid()
            again = lattice.score_at(t)
            assert score.mid() == again.mid() and score.rad() == again.rad()
