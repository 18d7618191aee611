"""Smoothed scores, their derivatives and cell masses of 1-D mixtures (verify.maths.laws)
contain independent 50-digit mpmath values: atoms nearly coincident (gaps down to 1e-9 sigma),
weights down to 1e-12, atoms and Gaussian components mixed, |x| out to 60 sigma past the atoms
(the lemmas' spread limit is 100 sigma)."""

from __future__ import annotations

import itertools
from fractions import Fraction

import mpmath
from flint import arb
from hypothesis import example, given
from hypothesis import strategies as st

from tests.containment._draw import log_uniform
from tests.containment._profile import budget
from verify.core.numbers import contains, precision, to_arb
from verify.maths.laws import GaussianMixture

REACH = 60.0  # how far past the outermost atom x is drawn, in sigmas


@st.composite
def mixtures(draw):
    sigma = draw(log_uniform(0.1, 10.0))
    n = draw(st.integers(1, 4))
    gaps = draw(st.lists(log_uniform(1e-9, 10.0), min_size=n - 1, max_size=n - 1))
    start = draw(st.floats(-5, 5))
    means = [start]
    for gap in gaps:
        means.append(means[-1] + gap * sigma)
    stds = [
        draw(st.one_of(st.just(0.0), log_uniform(0.02, 3.0).map(lambda t: t * sigma)))
        for _ in range(n)
    ]
    if n == 1 and stds[0] == 0:
        stds[0] = sigma  # a single point mass is outside every score lemma's domain
    weights = draw(st.lists(log_uniform(1e-12, 1.0), min_size=n, max_size=n))
    return means, stds, weights, sigma


def _mp(value) -> mpmath.mpf:
    """An exact float or Fraction as an mpmath number (rationals divided at working precision)."""
    value = Fraction(value)
    return mpmath.mpf(value.numerator) / value.denominator


def _mp_derivatives(means, stds, weights, sigma, x):
    """(p, p', p'') of the smoothed mixture at x, term by term in mpmath at 80 digits (the
    score derivative p''/p - (p'/p)^2 cancels for nearly coincident atoms)."""
    total = sum(_mp(w) for w in weights)
    p = dp = ddp = mpmath.mpf(0)
    for m, t, w in zip(means, stds, weights, strict=True):
        v2 = mpmath.mpf(t) ** 2 + mpmath.mpf(sigma) ** 2
        z = (mpmath.mpf(x) - mpmath.mpf(m)) / v2
        weight = mpmath.mpf(w) / total * mpmath.npdf(mpmath.mpf(x), mpmath.mpf(m), mpmath.sqrt(v2))
        p += weight
        dp += -z * weight
        ddp += (z * z - 1 / v2) * weight
    return p, dp, ddp


@st.composite
def law_and_x(draw):
    means, stds, weights, sigma = draw(mixtures())
    lo, hi = min(means) - REACH * sigma, max(means) + REACH * sigma
    x = draw(st.one_of(st.sampled_from([lo, hi, means[0]]), st.floats(lo, hi)))
    return means, stds, weights, sigma, x


@budget(80)
@given(point=law_and_x(), bits=st.sampled_from([64, 128]))
def test_score_and_derivative(point, bits):
    means, stds, weights, sigma, x = point
    law = GaussianMixture(means, stds, weights)
    with precision(bits):
        score = law.score(x, sigma)
        derivative = law.score_derivative(x, sigma)
        direct = law.score_derivative(x, sigma, "direct")
    with mpmath.workdps(80):
        p, dp, ddp = _mp_derivatives(means, stds, weights, sigma, x)
        exact_score = dp / p
        exact_derivative = ddp / p - exact_score**2
    assert contains(score, exact_score), (point, bits, score, exact_score)
    assert contains(derivative, exact_derivative), (point, bits, derivative, exact_derivative)
    assert contains(direct, exact_derivative), (point, bits, direct, exact_derivative)


def _mp_mass(means, stds, weights, sigma, a, b):
    """P(a <= X <= b) under the smoothed mixture, each component by the normal CDF of whichever
    side keeps relative accuracy (mpmath at 80 digits)."""
    total = sum(_mp(w) for w in weights)
    mass = mpmath.mpf(0)
    for m, t, w in zip(means, stds, weights, strict=True):
        v = mpmath.sqrt(mpmath.mpf(t) ** 2 + mpmath.mpf(sigma) ** 2)
        za, zb = (_mp(a) - mpmath.mpf(m)) / v, (_mp(b) - mpmath.mpf(m)) / v
        if za >= 0:
            cell = mpmath.ncdf(-za) - mpmath.ncdf(-zb)
        elif zb <= 0:
            cell = mpmath.ncdf(zb) - mpmath.ncdf(za)
        else:
            cell = 1 - mpmath.ncdf(za) - mpmath.ncdf(-zb)
        mass += mpmath.mpf(w) / total * cell
    return mass


def _converged(evaluate):
    """``evaluate()`` at 40 decimal digits, then 80, 160, ... until two results agree to 15
    digits; the later one (then right to some 55 digits). A cell much narrower than its
    distance to a component loses digits to cancellation in these closed forms (its mass as a
    difference of tails, its moments about its centre): with float edges 1e-62 apart, 80 digits
    gave a first moment of -2.5e-136 for a true 2e-239, so a reference at one fixed precision
    can be noise."""
    digits = 40
    with mpmath.workdps(digits):
        previous = evaluate()
    while digits < 5000:
        digits *= 2
        with mpmath.workdps(digits):
            value = evaluate()
        pairs = (
            zip(value, previous, strict=True) if isinstance(value, list) else [(value, previous)]
        )
        if all(abs(v - p) <= abs(v) * mpmath.mpf(10) ** -15 for v, p in pairs):
            return value
        previous = value
    raise AssertionError("the mpmath reference did not converge")


@st.composite
def law_and_edges(draw):
    means, stds, weights, sigma = draw(mixtures())
    lo, hi = min(means) - REACH * sigma, max(means) + REACH * sigma
    edges = draw(st.lists(st.floats(lo, hi), min_size=2, max_size=6, unique=True))
    return means, stds, weights, sigma, sorted(edges)


@budget(50)
@given(point=law_and_edges(), bits=st.sampled_from([64, 128]))
def test_cell_masses(point, bits):
    means, stds, weights, sigma, edges = point
    law = GaussianMixture(means, stds, weights)
    with precision(bits):
        masses = law.cell_masses([to_arb(e) for e in edges], sigma)
    exact = [
        _converged(lambda a=a, b=b: _mp_mass(means, stds, weights, sigma, a, b))
        for a, b in itertools.pairwise(edges)
    ]
    for j, (mass, value) in enumerate(zip(masses, exact, strict=True)):
        assert contains(mass, value), (point, bits, j, mass, value)


@st.composite
def law_and_grid(draw):
    means, stds, weights, sigma = draw(mixtures())
    lo = min(means) - REACH * sigma
    start = Fraction(draw(st.floats(lo, max(means))))
    h = Fraction(draw(log_uniform(1e-3, 2.0)) * sigma)
    cells = draw(st.integers(1, 30))
    return means, stds, weights, sigma, start, h, cells


def _assert_uniform_cell_masses_contain_mpmath(point, bits: int, digits: int, stride: int):
    """Every ``stride``-th cell mass of ``uniform_cell_masses`` contains mpmath's value."""
    means, stds, weights, sigma, start, h, cells = point
    law = GaussianMixture(means, stds, weights)
    with precision(bits):
        masses = law.uniform_cell_masses(start, h, cells, sigma)
    with mpmath.workdps(digits):
        for j in range(0, cells, stride):
            a, b = start + j * h, start + (j + 1) * h
            value = _mp_mass(means, stds, weights, sigma, a, b)
            assert contains(masses[j], value), (point, bits, j, masses[j], value)


@budget(40)
@given(point=law_and_grid(), bits=st.sampled_from([64, 128]))
def test_uniform_cell_masses(point, bits):
    _assert_uniform_cell_masses_contain_mpmath(point, bits, digits=80, stride=1)


@st.composite
def law_and_long_grid(draw):
    """Grids of hundreds of cells across the atoms (past the recurrence's re-anchoring every
    256 lattice points, through the cells around each mean and into the far cells)."""
    means, stds, weights, sigma = draw(mixtures())
    h = Fraction(draw(log_uniform(0.01, 0.2)) * sigma)
    cells = draw(st.integers(200, 700))
    start = Fraction(min(means)) - draw(st.integers(0, cells)) * h
    return means, stds, weights, sigma, start, h, cells


@budget(6)
@given(point=law_and_long_grid(), bits=st.sampled_from([64, 128]))
def test_uniform_cell_masses_long_grid(point, bits):
    _assert_uniform_cell_masses_contain_mpmath(point, bits, digits=40, stride=7)


@st.composite
def atoms_and_cell(draw):
    means, _, weights, sigma = draw(mixtures())
    if len(set(means)) == 1:
        means = [*means, means[0] + sigma]
        weights = [*weights, 1.0]
    centre = draw(st.floats(min(means) - 10 * sigma, max(means) + 10 * sigma))
    half = draw(log_uniform(1e-3, 1.0)) * sigma
    return means, weights, sigma, centre, half


def _mp_atomic_kappa4(means, weights, sigma, x):
    """Fourth cumulant of Y | X = x for atoms (mpmath): m4 - 3 m2^2 of the central moments."""
    logs = [
        mpmath.log(_mp(w)) - (mpmath.mpf(x) - _mp(m)) ** 2 / (2 * mpmath.mpf(sigma) ** 2)
        for m, w in zip(means, weights, strict=True)
    ]
    top = max(logs)
    e = [mpmath.exp(v - top) for v in logs]
    r = [ei / sum(e) for ei in e]
    mean = sum(ri * _mp(m) for ri, m in zip(r, means, strict=True))
    m2 = sum(ri * (_mp(m) - mean) ** 2 for ri, m in zip(r, means, strict=True))
    m4 = sum(ri * (_mp(m) - mean) ** 4 for ri, m in zip(r, means, strict=True))
    return m4 - 3 * m2**2


@budget(30)
@given(point=atoms_and_cell(), bits=st.sampled_from([64, 128]))
def test_atomic_kappa4_over_a_cell(point, bits):
    from verify.maths.laws import AtomicLaw, _atomic_kappa4_over

    means, weights, sigma, centre, half = point
    law = AtomicLaw(means, weights)
    with precision(bits):
        s = to_arb(sigma)
        kit = law._atomic_cell_kit(s)
        kappa4 = _atomic_kappa4_over(kit, to_arb(centre) - law._center_arb(), to_arb(half), s)
    with mpmath.workdps(60):
        for fraction in (-1, -0.5, 0, 0.25, 1):
            x = mpmath.mpf(centre) + fraction * mpmath.mpf(half)
            value = _mp_atomic_kappa4(means, weights, sigma, x)
            assert contains(kappa4, value), (point, bits, fraction, kappa4, value)


def _mp_posterior_variance(means, stds, weights, sigma, y):
    """Var(Y | X = y) as sum r_i (tau_i^2 + (mu_i - mean)^2) (no cancellation), mpmath."""
    s2 = mpmath.mpf(sigma) ** 2
    rs, mus, taus2 = [], [], []
    for m, t, w in zip(means, stds, weights, strict=True):
        t2 = mpmath.mpf(t) ** 2
        v2 = t2 + s2
        rs.append(_mp(w) * mpmath.npdf(y, mpmath.mpf(m), mpmath.sqrt(v2)))
        mus.append((s2 * mpmath.mpf(m) + t2 * y) / v2)
        taus2.append(t2 * s2 / v2)
    total = sum(rs)
    # mu_j - mean as sum_i r_i (mu_j - mu_i) / total: mu_j - mean itself cancels when one
    # component holds all but e^-600 of the weight (80 digits keep no trace of the rest).
    devs = [sum(r * (mu_j - mu) for r, mu in zip(rs, mus, strict=True)) / total for mu_j in mus]
    return sum(r * (tau2 + dev**2) for r, dev, tau2 in zip(rs, devs, taus2, strict=True)) / total


@st.composite
def law_and_ball(draw):
    means, stds, weights, sigma, x = draw(law_and_x())
    half = draw(log_uniform(1e-4, 0.5)) * sigma
    return means, stds, weights, sigma, x, half


@budget(40)
@given(point=law_and_ball(), bits=st.sampled_from([64, 128]))
def test_tilted_posterior_over_a_ball(point, bits):
    """The posterior summaries over a ball x = c +- half (exponential tilting) contain the
    exact ones at points of the ball, ends included."""
    from verify.core.numbers import ball

    means, stds, weights, sigma, x, half = point
    law = GaussianMixture(means, stds, weights)
    with precision(bits):
        s = to_arb(sigma)
        over = law._tilted_posterior(ball(x - half, x + half), s)
    with mpmath.workdps(80):
        for fraction in (-1, -0.3, 0, 0.6, 1):
            y = mpmath.mpf(x) + fraction * mpmath.mpf(half)
            p, dp, ddp = _mp_derivatives(means, stds, weights, sigma, y)
            s2 = mpmath.mpf(sigma) ** 2
            first, second = dp / p, ddp / p
            mean = y + s2 * first - _mp(law.center)  # summaries are centred at it
            variance = _mp_posterior_variance(means, stds, weights, sigma, y)
            where = (point, bits, fraction)
            assert contains(over.direct_first, first), (*where, over.direct_first, first)
            assert contains(over.direct_second, second), (*where, over.direct_second, second)
            assert contains(over.variance, variance), (*where, over.variance, variance)
            assert contains(over.log_density, mpmath.log(p)), (*where, over.log_density)
            assert contains(over.mean, mean), (*where, over.mean, mean)


def test_uniform_cell_masses_over_a_sigma_ball_contain_those_at_its_points():
    """With sigma a wide ball, the float screens (far cells, cells that may hold z = 0) must
    allow for the balls' radii: each mass encloses the masses at points of the ball (the screens
    without that slack missed 9 of these 216 cells)."""
    law = GaussianMixture([0], [0], [1])
    for rad in (0.3, 0.6, 0.9):
        for start in (Fraction(-3), Fraction(-1, 2), Fraction(-13, 4)):
            over_ball = law.uniform_cell_masses(start, Fraction(1, 3), 24, arb(1.5, rad))
            for sigma in (1.5 - rad, 1.5, 1.5 + rad):
                at_point = law.uniform_cell_masses(start, Fraction(1, 3), 24, arb(sigma))
                for j, (mass, inner) in enumerate(zip(over_ball, at_point, strict=True)):
                    assert mass.contains(inner), (rad, start, sigma, j, mass, inner)


def _mp_cell_moments(means, stds, weights, sigma, a, b):
    """[int_a^b (x - c)^power p_sigma(x) dx for power 0, 1, 2], c = (a + b) / 2, at the working
    precision: per component (u = x - m, e = c - m) the exact Gaussian integrals of 1, u, u^2
    (mpmath's ncdf and npdf; the cell's mass by ``_mp_mass``'s one-sided tails) expanded in
    (u - e)^power."""
    total = sum(_mp(w) for w in weights)
    values = [mpmath.mpf(0)] * 3
    for m, t, w in zip(means, stds, weights, strict=True):
        v = mpmath.sqrt(mpmath.mpf(t) ** 2 + mpmath.mpf(sigma) ** 2)
        big_a, big_b = _mp(a) - mpmath.mpf(m), _mp(b) - mpmath.mpf(m)
        e = (big_a + big_b) / 2
        mass = _mp_mass([m], [t], [1], sigma, a, b)
        dens_a, dens_b = mpmath.npdf(big_a, 0, v), mpmath.npdf(big_b, 0, v)
        first = v * v * (dens_a - dens_b)
        second = v * v * (big_a * dens_a - big_b * dens_b) + v * v * mass
        terms = [mass, first - e * mass, second - 2 * e * first + e * e * mass]
        values = [value + _mp(w) / total * term for value, term in zip(values, terms, strict=True)]
    return values


@budget(30)
@given(point=law_and_edges(), bits=st.sampled_from([64, 128]))
@example(  # found by the dev profile: 80 digits left the reference's M1 and M2 noise
    point=(
        [5.0, 5.0000000001, 5.0000000002],
        [0.0, 0.0, 0.30000000000000004],
        [1e-12, 1e-12, 1e-12],
        0.1,
        [0.0, 2.786224023459576e-62],
    ),
    bits=64,
)
def test_cell_moments(point, bits):
    # _cell_moments screens the edges near each component in floats (cells far out on one side
    # get [0, bound] balls): the cells of unequal widths out to 60 sigma past the atoms, M0, M1,
    # M2 each contain the quadrature.
    from verify.maths.laws import _cell_moments

    means, stds, weights, sigma, edges = point
    law = GaussianMixture(means, stds, weights)
    with precision(bits):
        moments = _cell_moments(law, to_arb(sigma), [to_arb(e) for e in edges])
    for j, (a, b) in enumerate(itertools.pairwise(edges)):
        values = _converged(lambda a=a, b=b: _mp_cell_moments(means, stds, weights, sigma, a, b))
        for power, (enclosures, value) in enumerate(zip(moments, values, strict=True)):
            assert contains(enclosures[j], value), (point, bits, power, j, enclosures[j])


def test_cell_moments_of_a_ball_sigma_hold_every_sigma_of_the_ball():
    # A cell 13-14 midpoint sigmas out, sigma = 2 +- r: at sigma's upper end the cell is only
    # about 11 sigmas out, where the far-cell bound (density below phi(12)) does not hold. The
    # cell must be treated as near, and its mass at each end of the ball contained.
    from verify.maths.laws import _cell_moments

    law = GaussianMixture([0.0], [0.0], [1.0])
    for radius, a, b in [(0.5, 27, 28), (0.25, 26, 27), (0.05, 26, 27)]:
        (mass,), _, _ = _cell_moments(law, arb(2, radius), [arb(a), arb(b)])
        with mpmath.workdps(60):
            for s in (2 - radius, 2, 2 + radius):
                exact = mpmath.ncdf(-a / mpmath.mpf(s)) - mpmath.ncdf(-b / mpmath.mpf(s))
                assert contains(mass, exact), (radius, s, mass, exact)
