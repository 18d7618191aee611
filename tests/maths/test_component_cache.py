"""The mixture's per-sigma component cache is keyed on exact endpoints (issue 16, item 4)."""

from __future__ import annotations

from fractions import Fraction

from flint import arb, ctx

from verify.maths.laws import FiniteMixture


def test_sigmas_printing_alike_get_their_own_components():
    # at 256 bits these two sigmas print alike to 30 digits: a printed key handed one the
    # other's components
    law = FiniteMixture([Fraction(0), Fraction(1)], [Fraction(1, 2), Fraction(1, 3)], [1, 1])
    old = ctx.prec
    ctx.prec = 256
    try:
        first = arb(1) / 3
        second = first + arb(2) ** -200
        assert first.mid().str(30) == second.mid().str(30)
        a = law._components(first)
        b = law._components(second)
        assert not a[0][2].overlaps(b[0][2])
    finally:
        ctx.prec = old
