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


def _fresh(compute):
    """``compute()`` with the cell memo emptied before and after (a computation from scratch)."""
    from verify.maths import laws

    saved = dict(laws._MEMO)
    laws._MEMO.clear()
    try:
        return compute()
    finally:
        laws._MEMO.clear()
        laws._MEMO.update(saved)


def _same(a: arb, b: arb) -> bool:
    return a.mid() == b.mid() and a.rad() == b.rad()


def test_memoised_cell_pieces_give_the_fresh_enclosures():
    # H.2/H.5/H.8 share cell grids and score ranges, H.1/H.1.conj window grids: a memo hit must
    # return exactly what a fresh computation gives, whatever was computed before it.
    from verify.maths.laws import (
        AtomicLaw,
        posterior_variance_expectation,
        score_power_cells,
        window_sup_moment,
    )

    law = AtomicLaw([-2.4, 0.5, 2.4], [1, 2, 1])
    kappa = Fraction(1, 2)
    fresh_power = _fresh(lambda: score_power_cells(law, 1.0, [2, 4], cells_per_sigma=8))
    fresh_variance = _fresh(lambda: posterior_variance_expectation(law, 1.0, cells_per_sigma=8))
    fresh_window = _fresh(lambda: window_sup_moment(law, 1.0, [kappa], cells_per_sigma=16))
    # Warm the memo with other powers and an equal law built anew, then compare.
    score_power_cells(AtomicLaw([-2.4, 0.5, 2.4], [1, 2, 1]), 1.0, [2], cells_per_sigma=8)
    warm_power = score_power_cells(law, 1.0, [2, 4], cells_per_sigma=8)
    warm_variance = posterior_variance_expectation(law, 1.0, cells_per_sigma=8)
    window_sup_moment(law, 1.0, [kappa], cells_per_sigma=16)
    warm_window = window_sup_moment(law, 1.0, [kappa], cells_per_sigma=16)
    for k in (2, 4):
        assert _same(warm_power[k].total(), fresh_power[k].total())
        assert all(
            _same(a, b)
            for a, b in zip(warm_power[k].integrals, fresh_power[k].integrals, strict=True)
        )
    assert _same(warm_variance, fresh_variance)
    assert _same(warm_window[kappa], fresh_window[kappa])


def test_memo_keys_on_precision_and_exact_sigma():
    from verify.maths.laws import AtomicLaw, score_power_cells

    law = AtomicLaw([-1.0, 1.0], [1, 1])
    low = score_power_cells(law, 1.0, 2, cells_per_sigma=8).total()
    old = ctx.prec
    ctx.prec = 128
    try:
        high = score_power_cells(law, 1.0, 2, cells_per_sigma=8).total()
        fresh_high = _fresh(lambda: score_power_cells(law, 1.0, 2, cells_per_sigma=8).total())
    finally:
        ctx.prec = old
    assert _same(high, fresh_high)
    other = score_power_cells(law, 1.0 + 2.0**-40, 2, cells_per_sigma=8).total()
    assert not _same(other, low)
