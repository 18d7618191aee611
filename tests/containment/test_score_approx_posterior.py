"""The posterior enclosures of ``verify.maths.score_approx`` (point and cell paths) contain
independent 60-digit mpmath values of the posterior cumulants and the density."""

from __future__ import annotations

from fractions import Fraction

import mpmath
from hypothesis import given
from hypothesis import strategies as st

from tests.containment._profile import budget
from verify.core.numbers import contains, precision, to_arb
from verify.maths.laws import FiniteMixture
from verify.maths.score_approx import cell_data, posterior_cumulants, smoothed

PRECISIONS = st.sampled_from([53, 64, 128])


@st.composite
def laws(draw):
    """A smoothed law (1..6 atoms on sigma/4 Z, integer weights, std 0 or sigma/2) and a point
    within the law's core."""
    sigma = draw(st.sampled_from([Fraction(1, 4), Fraction(1), Fraction(2)]))
    ks = sorted(set(draw(st.lists(st.integers(-40, 40), min_size=1, max_size=6))))
    weights = [Fraction(draw(st.integers(1, 32))) for _ in ks]
    total = sum(weights)
    std = draw(st.sampled_from([Fraction(0), sigma / 2]))
    law = FiniteMixture([k * sigma / 4 for k in ks], [std] * len(ks), [w / total for w in weights])
    x = Fraction(draw(st.integers(-120, 120)), 8) * sigma + Fraction(draw(st.integers(0, 63)), 640)
    return smoothed(law, sigma), x


def _exact_cumulants(law, x: mpmath.mpf) -> list[mpmath.mpf]:
    v = mpmath.mpf(law.variance.numerator) / law.variance.denominator
    atoms = [mpmath.mpf(a.numerator) / a.denominator for a in law.atoms]
    logits = [
        mpmath.log(mpmath.mpf(w.numerator) / w.denominator) + (x * a - a * a / 2) / v
        for w, a in zip(law.weights, atoms, strict=True)
    ]
    top = max(logits)
    e = [mpmath.exp(t - top) for t in logits]
    total = mpmath.fsum(e)
    m1 = mpmath.fsum(ej * a for ej, a in zip(e, atoms, strict=True)) / total
    central = [
        mpmath.fsum(ej * (a - m1) ** k for ej, a in zip(e, atoms, strict=True)) / total
        for k in (2, 3, 4)
    ]
    mu2, mu3, mu4 = central
    return [m1, mu2, mu3, mu4 - 3 * mu2 * mu2]


def _exact_density(law, x: mpmath.mpf) -> mpmath.mpf:
    v = mpmath.mpf(law.variance.numerator) / law.variance.denominator
    return mpmath.fsum(
        mpmath.mpf(w.numerator)
        / w.denominator
        * mpmath.npdf(x, mpmath.mpf(a.numerator) / a.denominator, mpmath.sqrt(v))
        for w, a in zip(law.weights, law.atoms, strict=True)
    )


@budget(60)
@given(case=laws(), bits=PRECISIONS)
def test_point_cumulants_and_moments(case, bits):
    law, x = case
    with precision(bits):
        point = posterior_cumulants(law, to_arb(x), 4)
        mean, var = law.posterior_moments(x)
    with mpmath.workdps(60):
        exact = _exact_cumulants(law, mpmath.mpf(x.numerator) / x.denominator)
        for k, (enclosure, value) in enumerate(zip(point, exact, strict=True)):
            assert contains(enclosure, value), (k, law, x, bits, enclosure, value)
        assert contains(mean, exact[0]) and contains(var, exact[1]), (law, x, bits)


@budget(40)
@given(case=laws(), width=st.sampled_from([Fraction(1, 64), Fraction(1, 8)]), bits=PRECISIONS)
def test_cell_cumulants_and_density(case, width, bits):
    law, x = case
    lo, hi = x, x + width * law.sigma
    with precision(bits):
        cell = to_arb(lo).union(to_arb(hi))
        enclosures = posterior_cumulants(law, cell, 4)
        density = law.density(cell)
    with mpmath.workdps(60):
        for step in range(5):
            t = lo + (hi - lo) * Fraction(step, 4)
            point = mpmath.mpf(t.numerator) / t.denominator
            exact = _exact_cumulants(law, point)
            for k, (enclosure, value) in enumerate(zip(enclosures, exact, strict=True)):
                assert contains(enclosure, value), (k, law, t, bits, enclosure, value)
            assert contains(density, _exact_density(law, point)), (law, t, bits)


@budget(20)
@given(
    case=laws(),
    h=st.sampled_from([Fraction(1, 16), Fraction(1, 7)]),
    bits=PRECISIONS,
)
def test_cell_data_loops(case, h, bits):
    # cell_data writes the posterior moments, the CDF, the cumulants and the density out in its
    # loops (point nodes when h is dyadic, balls when h = 1/7): every entry still contains the
    # 60-digit values (at the node, the cell centre, and points across the cell).
    law, x = case
    lo = x - 3 * h * law.sigma
    step = h * law.sigma
    with precision(bits):
        data = cell_data(law, lo, lo + 6 * step, step)
        v = law.variance
        with mpmath.workdps(60):
            vm = mpmath.mpf(v.numerator) / v.denominator
            sd = mpmath.sqrt(vm)
            for i in range(data.cells + 1):
                u = data.nodes[i]
                um = mpmath.mpf(u.numerator) / u.denominator
                exact = _exact_cumulants(law, um)
                assert contains(data.mean_at[i], exact[0]), (law, u, bits)
                assert contains(data.derivative_at[i], exact[1] / vm**2 - 1 / vm), (law, u)
                cdf = mpmath.fsum(
                    mpmath.mpf(w.numerator) / w.denominator * mpmath.ncdf((um - am) / sd)
                    for w, am in (
                        (w, mpmath.mpf(a.numerator) / a.denominator)
                        for w, a in zip(law.weights, law.atoms, strict=True)
                    )
                )
                assert contains(data.cdf_at[i], cdf), (law, u, bits)
            for i in range(data.cells):
                c = data.centre(i)
                cm = mpmath.mpf(c.numerator) / c.denominator
                exact = _exact_cumulants(law, cm)
                assert contains(data.score_mid[i], (exact[0] - cm) / vm), (law, c, bits)
                assert contains(data.derivative_mid[i], exact[1] / vm**2 - 1 / vm)
                assert contains(data.second_mid[i], exact[2] / vm**3)
                for part in range(5):
                    t = data.nodes[i] + (data.nodes[i + 1] - data.nodes[i]) * Fraction(part, 4)
                    tm = mpmath.mpf(t.numerator) / t.denominator
                    exact = _exact_cumulants(law, tm)
                    assert contains(data.second_on[i], exact[2] / vm**3), (law, t, bits)
                    assert contains(data.third_on[i], exact[3] / vm**4), (law, t, bits)
                    assert contains(data.density_on[i], _exact_density(law, tm)), (law, t)
