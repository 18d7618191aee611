r"""The smoothed discretized Gaussian (the comb coordinates of the instance), certified.

A discretized Gaussian with period :math:`\epsilon` and phase :math:`\theta` puts mass
:math:`\phi(k\epsilon+\theta)/Z_\theta` on :math:`k\epsilon+\theta`. Smoothed by
:math:`N(0,\sigma^2)` it has two computations:

- direct: :math:`\psi_{\theta,\sigma}(x) = Z_\theta^{-1}\sum_k \phi(t_k)\,\phi_\sigma(x-t_k)`,
  :math:`t_k = k\epsilon+\theta`, summed around its peak with a rigorous geometric tail;
- closed form (Poisson summation): with :math:`v = 1+\sigma^2`, :math:`\tau^2 = \sigma^2/v`,
  :math:`\mu = x/v`, :math:`\psi_{\theta,\sigma}(x) =
  \phi_{\sqrt v}(x)\,\vartheta(\theta-\mu; q)/\vartheta(\theta; q_0)`,
  :math:`\vartheta(u;q) = 1 + 2\sum_{j\ge1} q^{j^2}\cos(2\pi j u/\epsilon)`,
  :math:`q = e^{-2\pi^2\tau^2/\epsilon^2}`, :math:`q_0 = e^{-2\pi^2/\epsilon^2}`.

:math:`\vartheta - 1` is computed by its own series when q <= 1/2 (so that tiny differences keep
their relative precision) and by arb's Jacobi theta (modular transformations) when q is near 1.
The value :math:`\psi` alone (``smoothed_comb_closed_form``) needs :math:`\vartheta` only to
2^-(prec+4) absolutely: one arb cosine and Chebyshev's recurrence for the terms, the terms of a
nome below 2^-(prec+6) enclosed without being computed; the deviations, derivatives and C.16's
margins keep the relative-precision series. Every function returns an ``arb`` enclosure at the
working precision; arguments may be floats, Fractions or arb balls (interval evaluation is
valid).
"""

from __future__ import annotations

import math
from bisect import bisect
from collections.abc import Callable
from functools import cache, lru_cache
from typing import NamedTuple

import flint
import numpy as np
from flint import acb, arb

from verify.core.numbers import (
    Real,
    gaussian_sum_tail,
    nonnegative_lower,
    nonnegative_part,
    normal_density,
    series_with_tail,
    to_arb,
)

_HALF = arb(1) / 2


def nome(sigma: Real, eps: Real) -> arb:
    """q = exp(-2 pi^2 tau^2 / eps^2) with tau^2 = sigma^2 / (1 + sigma^2)."""
    s, e = to_arb(sigma), to_arb(eps)
    s2 = s * s
    return (-_constants(flint.ctx.prec)[0] * s2 / ((1 + s2) * e * e)).exp()


def nome_unsmoothed(eps: Real) -> arb:
    """q0 = exp(-2 pi^2 / eps^2): the nome of the unsmoothed normaliser Z_theta."""
    e = to_arb(eps)
    return (-_constants(flint.ctx.prec)[0] / (e * e)).exp()


def _weighted_tail(q: arb, n: int) -> arb:
    """A bound of sum_{j >= n} j q^{j^2}: consecutive ratios are (1 + 1/j) q^{2j+1} <=
    2 q^{2n+1}, a geometric tail once that is below 1 (else no finite bound yet)."""
    ratio = 2 * q ** (2 * n + 1)
    return n * q ** (n * n) / (1 - ratio) if ratio < 1 else arb(0, math.inf)


class _SeriesPlan(NamedTuple):
    """What sum_{j>=1} q^{j^2} cos(j angle) needs of q alone: the powers q^{j^2} summed and the
    enclosure of the rest (see ``_gaussian_cosine_series``)."""

    powers: tuple[arb, ...]
    tail: arb  # arb(0, bound of the rest)


def _series_plan(q: arb) -> _SeriesPlan:
    """Powers are updated incrementally (q^{(j+1)^2} = q^{j^2} q^{2j+1}); after term J the rest is
    at most q^{(J+1)^2} / (1 - q^{2J+3}), and summing stops once that is below 2^-prec of the
    series' own size bound q / (1 - q^3), the tail staying inside the returned ball."""
    q_squared = q * q
    power, ratio = q, q * q_squared
    threshold = (q / (1 - ratio)) * _ulp(flint.ctx.prec)
    powers = [power]
    j = 1
    while True:
        power *= ratio
        ratio *= q_squared
        j += 1
        tail = power / (1 - ratio)
        if tail < threshold or j > 10_000:
            return _SeriesPlan(tuple(powers), arb(0, tail.upper()))
        powers.append(power)


def _planned_cosine_series(plan: _SeriesPlan, angle: arb | None) -> arb:
    """sum_{j>=1} q^{j^2} cos(j angle) from q's plan (all cosines 1 when ``angle`` is None)."""
    powers = plan.powers
    if angle is None:
        total = powers[0]
        for power in powers[1:]:
            total += power
        return total + plan.tail
    total = powers[0] * angle.cos()
    for j, power in enumerate(powers[1:], start=2):
        total += power * (j * angle).cos()
    return total + plan.tail


def _gaussian_cosine_series(q: arb, angle: arb | None) -> arb:
    """sum_{j>=1} q^{j^2} cos(j angle) (all cosines 1 when ``angle`` is None), 0 < q < 1/2."""
    return _planned_cosine_series(_series_plan(q), angle)


def theta_tail_T(q: Real) -> arb:
    """T(q) = 2 sum_{j>=1} q^{j^2}, enclosed (0 <= q < 1)."""
    q = to_arb(q)
    if q == 0:
        return arb(0)
    if q < _HALF:
        return 2 * _gaussian_cosine_series(q, None)
    # theta_3(0, tau) - 1 with nome q = exp(i pi tau), tau = i log(1/q) / pi.
    tau = acb(0, -q.log() / arb.pi())
    return acb(0).modular_theta(tau)[2].real - 1


def theta_weighted_sum(q: Real) -> arb:
    """S(q) = sum_{j>=1} j q^{j^2}, enclosed (0 <= q < 1): the derivative bound's series.

    Summed with a geometric tail bound while that needs few terms; for q near 1 (a = -log q
    small) the terms f(j) = j e^{-a j^2} form a unimodal sequence, so the sum lies within
    max f = e^{-1/2}/sqrt(2a) of the integral 1/(2a).
    """
    q = to_arb(q)
    if q == 0:
        return arb(0)
    a = -q.log()
    terms_needed = math.sqrt((flint.ctx.prec + 20) * math.log(2) / float(a.lower()))
    if terms_needed > 20_000:
        peak = (arb(-0.5).exp()) / (2 * a).sqrt()
        return 1 / (2 * a) + arb(0, 1) * peak

    # Past the peak 1/sqrt(2a) the terms j e^{-a j^2} decrease, so the tail from n is at most
    # its first term plus the integral from n: n q^{n^2} + q^{n^2} / (2a).
    peak_index = 1 / math.sqrt(2 * float(a.lower()))

    def tail(n: int) -> arb:
        if n < peak_index + 1:
            return arb(0, math.inf)
        return n * q ** (n * n) + q ** (n * n) / (2 * a)

    return series_with_tail(
        lambda j: j * q ** (j * j), tail, 1, max_terms=int(terms_needed + peak_index) + 50
    )


def _theta_minus_one(u_over_eps: arb, q: arb) -> arb:
    """vartheta(u; q) - 1 = 2 sum q^{j^2} cos(2 pi j u/eps)."""
    if q == 0:
        return arb(0)
    if q < _HALF:
        return 2 * _gaussian_cosine_series(q, _constants(flint.ctx.prec)[2] * u_over_eps)
    tau = acb(0, -q.log() / arb.pi())
    return acb(u_over_eps).modular_theta(tau)[2].real - 1


def _theta_derivative(u_over_eps: arb, q: arb) -> arb:
    """d/dz of vartheta at z = u/eps (so d/du = this / eps): -4 pi sum j q^{j^2} sin(2 pi j z)."""
    if q == 0:
        return arb(0)
    if q < _HALF:
        angle = 2 * arb.pi() * u_over_eps
        series = series_with_tail(
            lambda j: j * q ** (j * j) * (j * angle).sin(), lambda n: _weighted_tail(q, n), 1
        )
        return -4 * arb.pi() * series
    tau = acb(0, -q.log() / arb.pi())
    return acb(u_over_eps).modular_theta(tau, 1)[2].real


class _ClosedForm(NamedTuple):
    x: arb
    v: arb
    gauss: arb  # phi_{sqrt v}(x)
    numerator_minus_one: arb  # vartheta(theta - mu; q) - 1
    denominator_minus_one: arb  # vartheta(theta; q0) - 1

    @property
    def denominator(self) -> arb:
        return 1 + self.denominator_minus_one

    theta_slope: arb  # d vartheta(u; q) / du at u = theta - mu


@cache
def _ulp(prec: int) -> arb:
    return arb(2) ** (-prec)


@cache
def _constants(prec: int) -> tuple[arb, arb, arb]:
    """(2 pi^2, sqrt(2 pi), 2 pi) at a working precision (recomputed per precision, then
    reused)."""
    pi = arb.pi()
    return 2 * pi * pi, (2 * pi).sqrt(), 2 * pi


class _Parameters(NamedTuple):
    """The pieces of the closed form that do not depend on x (one evaluation per parameters)."""

    s: arb
    e: arb
    th: arb
    v: arb
    two_v: arb
    normaliser: arb  # sqrt(2 pi v)
    q: arb
    plan: _SeriesPlan | None  # for q < 1/2 (then vartheta - 1 is summed from it)
    denominator_minus_one: arb  # vartheta(theta; q0) - 1
    denominator: arb  # vartheta(theta; q0)
    two_pi: arb


def _parameters_uncached(sigma: Real, eps: Real, theta: Real, prec: int) -> _Parameters:
    s, e, th = to_arb(sigma), to_arb(eps), to_arb(theta)
    v = 1 + s * s
    q = nome(s, e)
    denominator_minus_one = _theta_minus_one(th / e, nome_unsmoothed(e))
    return _Parameters(
        s=s,
        e=e,
        th=th,
        v=v,
        two_v=2 * v,
        normaliser=v.sqrt() * _constants(prec)[1],
        q=q,
        plan=_series_plan(q) if q != 0 and q < _HALF else None,
        denominator_minus_one=denominator_minus_one,
        denominator=1 + denominator_minus_one,
        two_pi=_constants(prec)[2],
    )


_parameters_cached = lru_cache(maxsize=1024)(_parameters_uncached)


def _parameters(sigma: Real, eps: Real, theta: Real) -> _Parameters:
    """The x-free pieces; remembered for hashable exact inputs (floats, Fractions, ints): a
    lemma or a density plot evaluates many x at the same (sigma, eps, theta). The same balls
    either way: the cache only skips recomputing them at the same precision."""
    prec = flint.ctx.prec
    if type(sigma) is arb or type(eps) is arb or type(theta) is arb:
        return _parameters_uncached(sigma, eps, theta, prec)
    return _parameters_cached(sigma, eps, theta, prec)


def _gauss_and_numerator(x: arb, p: _Parameters) -> tuple[arb, arb, arb]:
    """(phi_{sqrt v}(x), vartheta(theta - x/v; q) - 1, (theta - x/v)/eps) for one x."""
    u_over_eps = (p.th - x / p.v) / p.e
    if p.plan is not None:  # _theta_minus_one's own series, its q-only part done once
        numerator_minus_one = 2 * _planned_cosine_series(p.plan, p.two_pi * u_over_eps)
    else:
        numerator_minus_one = _theta_minus_one(u_over_eps, p.q)
    return (-(x * x) / p.two_v).exp() / p.normaliser, numerator_minus_one, u_over_eps


def _closed_form(x: Real, sigma: Real, eps: Real, theta: Real, slope: bool = False) -> _ClosedForm:
    p = _parameters(sigma, eps, theta)
    x = to_arb(x)
    gauss, numerator_minus_one, u_over_eps = _gauss_and_numerator(x, p)
    return _ClosedForm(
        x=x,
        v=p.v,
        gauss=gauss,
        numerator_minus_one=numerator_minus_one,
        denominator_minus_one=p.denominator_minus_one,
        theta_slope=_theta_derivative(u_over_eps, p.q) / p.e if slope else arb(0),
    )


class _Precision(NamedTuple):
    """Constants of the value path at one working precision (built once per precision)."""

    two_pi: arb
    minus_half: arb
    half: arb
    negligible_log: arb  # (prec + 6) log 2: a nome below exp(-this) is under 2^-(prec+6)
    terms_logs: tuple[arb, ...]  # (prec + 8) log 2 / (J+1)^2, J = 1, 2, ... down below log 2 / 2
    minus_negligible_log: arb
    minus_terms_log: tuple[arb, arb]  # -terms_logs[0], -terms_logs[1]
    one: arb
    log_two: arb
    negligible_plan: tuple  # _ThetaPlan of a nome below 2^-(prec+6)
    one_within: arb  # 1 + [-2^-(prec+4), 2^-(prec+4)]
    half_one_within: arb  # one_within / 2
    # The normaliser sqrt(2 pi v) vartheta(theta; q0) is sqrt(v) times a constant factor, times
    # vartheta(theta; q0)/2 when q0 has terms. Each pair: (factor with q0 negligible, factor with
    # q0's terms), for a numerator plan with no term (one_within folded in: psi is the Gaussian
    # over the normaliser), a halved plan (vartheta/2: 2 q^{j^2} halved, one_within/2) and a
    # plain plan.
    no_term_factors: tuple[arb, arb]
    halved_factors: tuple[arb, arb]
    plain_factors: tuple[arb, arb]
    # Float screens of the branches (see ``_screens``): bisecting a float log of a nome in
    # these bounds gives an even index 2k for a certain case k, odd where arb must decide.
    q_screen: tuple[float, ...]  # k: no term, one, two, a plan (or arb's Jacobi theta)
    q0_screen: tuple[float, ...]  # k: negligible, one term, a plan (or arb's Jacobi theta)


def _terms_logs(prec: int) -> tuple[arb, ...]:
    whole = (prec + 8) * arb(2).log()
    logs, n = [], 2
    while not logs or logs[-1] > arb(2).log() / 2:
        logs.append(whole / (n * n))
        n += 1
    return tuple(logs)


# One _Precision per working precision, read by a plain dict lookup on the hot path.
_PRECISIONS: dict[int, _Precision] = {}


def _precision(prec: int) -> _Precision:
    c = _PRECISIONS.get(prec)
    if c is not None:
        return c
    pi = arb.pi()
    sqrt_two_pi = (2 * pi).sqrt()
    one_within = 1 + arb(0, (arb(2) ** -(prec + 4)).upper())
    negligible_log = (prec + 6) * arb(2).log()
    terms_logs = _terms_logs(prec)
    with_q0 = 2 * sqrt_two_pi  # times vartheta(theta; q0)/2
    c = _PRECISIONS[prec] = _Precision(
        two_pi=2 * pi,
        minus_half=-_HALF,
        half=arb(1) / 2,
        negligible_log=negligible_log,
        terms_logs=terms_logs,
        minus_negligible_log=-negligible_log,
        minus_terms_log=(-terms_logs[0], -terms_logs[1]),
        one=arb(1),
        log_two=arb(2).log(),
        negligible_plan=((), one_within, None),
        one_within=one_within,
        half_one_within=one_within / 2,
        no_term_factors=(sqrt_two_pi * one_within / one_within, with_q0 / one_within),
        halved_factors=(sqrt_two_pi * one_within / 2, with_q0 / 2),
        plain_factors=(sqrt_two_pi * one_within, with_q0),
        q_screen=_screens(prec, (-negligible_log, -terms_logs[0], -terms_logs[1])),
        q0_screen=_screens(prec, (-negligible_log, -terms_logs[0])),
    )
    return c


# A float log of a nome computed from float inputs is within 2^-50 of its value relatively
# (a few roundings of 2^-53 each); the screens leave 2^-30 either side of each bound, far
# beyond that and beyond the width of the arb balls the bounds are compared with at 40 bits or
# more, so a decided screen agrees with the arb comparisons it replaces.
_SCREEN_MARGIN = 2.0**-30


def _screens(prec: int, bounds: tuple[arb, ...]) -> tuple[float, ...]:
    """Increasing floats around each (negative) bound: below b (1 + m) the value is certainly
    below b, above b (1 - m) certainly above; none at low precisions (every case undecided)."""
    if prec < 40:
        return (-math.inf,)
    screen: list[float] = []
    for bound in bounds:
        value = float(bound.mid())
        screen += [value * (1 + _SCREEN_MARGIN), value * (1 - _SCREEN_MARGIN)]
    return tuple(screen)


# vartheta(u; q) = 1 + 2 sum_{j>=1} q^{j^2} cos(2 pi j u/eps) as the value path needs it (to
# 2^-(prec+4) absolutely, as it is added to 1), planned from the nome alone: a plain tuple
# (doubled_powers, one_plus_rest, q) on this hot path. ``doubled_powers`` are 2 q^{j^2} for
# j = 1..J and ``one_plus_rest`` is 1 + [-r, r] with r bounding the rest; no powers when
# q < 2^-(prec+6) (then r bounds the whole series); ``q`` is set, the rest unused, when q < 1/2
# is not certain (arb's Jacobi theta then).
_ThetaPlan = tuple[tuple[arb, ...], arb, arb | None]


def _theta_plan(log_nome: arb, c: _Precision) -> _ThetaPlan:
    """The plan of q = exp(-log_nome). J is the first number of terms whose rest is certainly
    within one_within's ball: log_nome > (prec+8) log 2 / (J+1)^2 (``c.terms_logs``) makes
    q^{(J+1)^2} < 2^-(prec+8), and the rest 2 sum_{j>J} q^{j^2} <= 2 q^{(J+1)^2} / (1 -
    q^{2J+3}) <= 4 q^{(J+1)^2} < 2^-(prec+6) (q < 1/2, so q^{2J+3} <= 1/32). Below
    2^-(prec+6), 2 sum q^{j^2} <= 2q (1 + 2q^3) < 2^-(prec+4): no term at all."""
    if log_nome > c.negligible_log:
        return c.negligible_plan
    if not log_nome > c.log_two:  # q < 1/2 not certain: arb's Jacobi theta
        return (), c.one_within, (-log_nome).exp()
    doubled_power = (c.log_two - log_nome).exp()  # 2q
    if log_nome > c.terms_logs[0]:
        return (doubled_power,), c.one_within, None
    q = doubled_power * _HALF
    q_squared = q * q
    ratio = q * q_squared  # q^{2j+1}: 2 q^{(j+1)^2} = 2 q^{j^2} q^{2j+1}
    doubled = [doubled_power]
    for terms_log in c.terms_logs[1:]:
        doubled_power *= ratio
        ratio *= q_squared
        doubled.append(doubled_power)
        if log_nome > terms_log:
            return tuple(doubled), c.one_within, None
    raise AssertionError("unreachable: the last terms_log is below log 2 / 2")


def _theta_value(plan: _ThetaPlan, angle: arb) -> arb:
    """vartheta at 2 pi u/eps = ``angle`` from a plan with ``q`` unset.

    One arb cosine: cos(j a) follows by Chebyshev's recurrence T_{j+1} = 2 cos(a) T_j - T_{j-1}
    (an error in T_j is multiplied by 2 q^{j^2}, within the absolute precision needed)."""
    powers, one_plus_rest, _ = plan
    if not powers:
        return one_plus_rest
    cos_a = angle.cos()
    total = powers[0] * cos_a + one_plus_rest
    if len(powers) > 1:
        two_cos = cos_a + cos_a
        previous, current = _ONE, cos_a  # T_{j-1}, T_j
        for power in powers[1:]:
            previous, current = current, two_cos * current - previous
            total += power * current
    return total


_ONE = arb(1)

# The x-free pieces of psi(x) = phi_{sqrt v}(x) vartheta(theta - x/v; q) / vartheta(theta; q0)
# for one (sigma, eps, theta) at one precision, a flat tuple on this hot path: (v, theta,
# 2 pi/eps, the normaliser, kind, first, second, rest). The normaliser is sqrt(2 pi v)
# vartheta(theta; q0) with the numerator's scale (see ``_Precision``'s factors). ``kind`` says
# how vartheta(theta - x/v; q) is formed from the cosine C of 2 pi (theta - x/v)/eps:
# _NO_TERM (one_within is in the normaliser), _ONE_TERM (first C + rest), _TWO_TERMS (Horner:
# C (C second + first) + rest), _PLANNED (``first`` is a _ThetaPlan for _theta_value) and
# _JACOBI (``first`` is q, for arb's Jacobi theta). theta may stay a float: arb's arithmetic
# converts a float exactly.
_ValueParameters = tuple[
    arb, arb | float | int, arb | None, arb, int, object, arb | None, arb | None
]
_NO_TERM, _ONE_TERM, _TWO_TERMS, _PLANNED, _JACOBI = range(5)


def _value_parameters(sigma: Real, eps: Real, theta: Real, prec: int) -> _ValueParameters:
    """The x-free pieces, their common cases first (q0 below 2^-(prec+6) or one term, q small
    enough for one or two terms): a lemma's search draws new parameters at every point, and
    each arb operation costs here about a hundredth of mpmath's whole evaluation. Floats and
    ints enter arb arithmetic as they are (converted exactly, no ball built for them); sigma
    once, as it is squared; logs of nomes are kept negated, for exp; the one- and two-term plans
    are halved (one operation less for 2q), with the 1/2 in the normaliser's factor.

    The case of each nome is screened in floats (a comparison of balls costs as much as an
    operation): only a case the screen leaves open is decided by comparing the balls, as
    before, so the same balls come out either way."""
    c = _PRECISIONS.get(prec) or _precision(prec)
    one = c.one
    q_case = q0_case = 1  # undecided
    if type(sigma) is float:
        if type(eps) is float:
            sigma_squared, eps_squared = sigma * sigma, eps * eps
            # normal squares (no overflow, no underflow): the float logs keep their accuracy
            if 1e-300 < sigma_squared < 1e300 and 1e-300 < eps_squared < 1e300:
                log_q0_float = _MINUS_TWO_PI_SQUARED / eps_squared
                log_q_float = log_q0_float * (sigma_squared / (1.0 + sigma_squared))
                q_case = bisect(c.q_screen, log_q_float)
                q0_case = bisect(c.q0_screen, log_q0_float)
        s = one * sigma
    else:
        s = to_arb(sigma)
    if type(eps) is not float:
        eps = to_arb(eps)
    if type(theta) is not float:
        theta = to_arb(theta)
    s2 = s * s
    v = s2 + one
    if q_case == 0 and q0_case == 0:  # no term in either nome: no angle, no log needed
        return v, theta, None, v.sqrt() * c.no_term_factors[0], _NO_TERM, None, None, None
    angle_scale = c.two_pi / eps
    log_q0 = angle_scale * angle_scale * c.minus_half  # -2 pi^2/eps^2
    log_q = log_q0 * s2 / v
    if q_case & 1:
        if log_q < c.minus_negligible_log:
            q_case = 0
        elif log_q < c.minus_terms_log[0]:
            q_case = 2
        elif log_q < c.minus_terms_log[1]:
            q_case = 4
        else:
            q_case = 6
    first = second = rest = None
    if q_case == 2:  # vartheta/2 = 1/2 + q cos a +- 2^-(prec+5)
        kind, factors = _ONE_TERM, c.halved_factors
        first, rest = log_q.exp(), c.half_one_within
    elif q_case == 4:
        # vartheta/2 = 1/2 + q C + q^4 (2C^2 - 1) +- 2^-(prec+5) = C (q + 2q^4 C) + (1/2 - q^4
        # +- 2^-(prec+5)) with C = cos a: powers (q, 2q^4) in Horner form (the rest bound is
        # _theta_plan's for two terms)
        kind, factors = _TWO_TERMS, c.halved_factors
        first = log_q.exp()
        q_squared = first * first
        q4 = q_squared * q_squared
        second, rest = q4 + q4, c.half_one_within - q4
    elif q_case == 0:
        kind, factors = _NO_TERM, c.no_term_factors
    else:
        plan, factors = _theta_plan(-log_q, c), c.plain_factors
        if plan[2] is None:
            kind, first = _PLANNED, plan
        else:
            kind, first = _JACOBI, plan[2]
    if q0_case & 1:
        if log_q0 < c.minus_negligible_log:
            q0_case = 0
        elif log_q0 < c.minus_terms_log[0]:
            q0_case = 2
        else:
            q0_case = 4
    if q0_case == 0:
        normaliser = v.sqrt() * factors[0]
    else:
        if q0_case == 2:  # vartheta(theta; q0)/2 = 1/2 + q0 cos(2 pi theta/eps) +- 2^-(prec+5)
            half_denominator = log_q0.exp() * (angle_scale * theta).cos() + c.half_one_within
        else:
            plan0 = _theta_plan(-log_q0, c)
            if plan0[2] is None:
                half_denominator = _theta_value(plan0, angle_scale * theta) * c.half
            else:
                half_denominator = (1 + _theta_minus_one(one * theta / eps, plan0[2])) * c.half
        normaliser = v.sqrt() * factors[1] * half_denominator
    return v, theta, angle_scale, normaliser, kind, first, second, rest


# -2 pi^2 in floats, for the screens only
_MINUS_TWO_PI_SQUARED = -2 * math.pi**2


# Remembered x-free pieces, one dict per precision keyed on the exact inputs (floats, Fractions,
# ints, exact balls; a ball with a radius cannot be hashed and is not remembered), emptied when
# full, as a miss must cost little when every point is new.
_VALUE_PARAMETERS: dict[int, dict[tuple, _ValueParameters]] = {}
_VALUE_PARAMETERS_SIZE = 4096


def _value_parameters_cache_clear() -> None:
    for remembered in _VALUE_PARAMETERS.values():
        remembered.clear()


_ValueFunction = Callable[[Real, Real, Real, Real], arb]
_VALUE_FUNCTIONS: dict[int, _ValueFunction] = {}


def _value_function(prec: int) -> _ValueFunction:
    """psi's evaluator at one precision: its constants and its cache bound once as closure
    variables, so that a point costs its ball operations and little Python besides (each
    attribute or global lookup, call and tuple weighs here against a hundredth of mpmath's
    whole evaluation)."""
    c = _PRECISIONS.get(prec) or _precision(prec)
    minus_half = c.minus_half
    two_pi = _constants(prec)[2]
    remembered = _VALUE_PARAMETERS.setdefault(prec, {})
    recall = remembered.get
    size = _VALUE_PARAMETERS_SIZE
    parameters = _value_parameters

    def value(x: Real, sigma: Real, eps: Real, theta: Real) -> arb:
        key = (sigma, eps, theta)
        try:
            p = recall(key)
        except ValueError:  # a ball with a radius among the inputs: nothing remembered
            p = parameters(sigma, eps, theta, prec)
        else:
            if p is None:
                p = parameters(sigma, eps, theta, prec)
                if len(remembered) >= size:
                    remembered.clear()
                remembered[key] = p
        v, theta, angle_scale, normaliser, kind, first, second, rest = p
        # -x/2 as a float is exact unless it is subnormal
        if type(x) is float and not -1e-300 < x < 1e-300:
            minus_half_x = x * -0.5
        else:
            x = to_arb(x)
            minus_half_x = x * minus_half
        x_over_v = x / v
        gauss = (x_over_v * minus_half_x).exp()
        if kind == _ONE_TERM:
            numerator = first * ((theta - x_over_v) * angle_scale).cos() + rest
        elif kind == _TWO_TERMS:  # Horner form, see _value_parameters
            cos_a = ((theta - x_over_v) * angle_scale).cos()
            numerator = cos_a * (cos_a * second + first) + rest
        elif kind == _NO_TERM:  # one_within is in the normaliser
            return gauss / normaliser
        elif kind == _PLANNED:
            numerator = _theta_value(first, (theta - x_over_v) * angle_scale)
        else:
            u_over_eps = (theta - x_over_v) * angle_scale / two_pi
            numerator = 1 + _theta_minus_one(u_over_eps, first)
        return gauss * numerator / normaliser

    _VALUE_FUNCTIONS[prec] = value
    return value


def smoothed_comb_closed_form(x: Real, sigma: Real, eps: Real, theta: Real) -> arb:
    """psi_{theta,sigma}(x) by the theta-function closed form.

    The x-free part is remembered for hashable exact inputs (floats, Fractions, ints): a lemma
    or a density plot evaluates many x at the same (sigma, eps, theta). A lemma's search draws
    new parameters at every point, so a miss is kept cheap too (see ``_value_parameters`` and
    ``_value_function``): each arb operation costs about as much as a hundredth of mpmath's
    whole evaluation here, so the operations are counted."""
    prec = _CONTEXT.prec
    value = _VALUE_FUNCTIONS.get(prec) or _value_function(prec)
    return value(x, sigma, eps, theta)


_CONTEXT = flint.ctx


def smoothed_comb_deviation(x: Real, sigma: Real, eps: Real, theta: Real) -> arb:
    """psi_{theta,sigma}(x) - phi_{sqrt v}(x), computed without cancellation."""
    c = _closed_form(x, sigma, eps, theta)
    return c.gauss * (c.numerator_minus_one - c.denominator_minus_one) / c.denominator


def smoothed_comb_derivative(x: Real, sigma: Real, eps: Real, theta: Real) -> arb:
    """psi'_{theta,sigma}(x) (derivative in x) by the closed form."""
    c = _closed_form(x, sigma, eps, theta, slope=True)
    gauss_prime = -c.x / c.v * c.gauss
    numerator = gauss_prime * (1 + c.numerator_minus_one) - c.gauss * c.theta_slope / c.v
    return numerator / c.denominator


def smoothed_comb_derivative_deviation(x: Real, sigma: Real, eps: Real, theta: Real) -> arb:
    """psi'_{theta,sigma}(x) - phi'_{sqrt v}(x), computed without cancellation."""
    c = _closed_form(x, sigma, eps, theta, slope=True)
    gauss_prime = -c.x / c.v * c.gauss
    deviation = c.numerator_minus_one - c.denominator_minus_one
    return (gauss_prime * deviation - c.gauss * c.theta_slope / c.v) / c.denominator


def _cosine_gap(z: arb, q: arb, sign: int) -> arb:
    """T(q) - sign * (vartheta(z eps; q) - 1) = 4 sum q^{j^2} (sin^2 or cos^2)(pi j z) >= 0.

    Computed term by term without cancellation when q <= 1/2; as a difference (then intersected
    with [0, inf), which it provably lies in) when q is near 1, where nothing is exponentially
    small.
    """
    if q == 0:
        return arb(0)
    if q < _HALF:
        trig = (lambda t: t.sin()) if sign > 0 else (lambda t: t.cos())
        series = series_with_tail(
            lambda j: q ** (j * j) * trig(j * arb.pi() * z) ** 2,
            lambda n: gaussian_sum_tail(q, n),
            1,
        )
        return 4 * nonnegative_part(series)
    return nonnegative_part(theta_tail_T(q) - sign * _theta_minus_one(z, q))


def _sine_gap(z: arb, q: arb, eps: arb, sign: int) -> arb:
    """W + sign * d vartheta/du = (4 pi/eps) sum j q^{j^2} (1 - sign sin(2 pi j z)) >= 0.

    W = 4 pi S(q) / eps; 1 -+ sin(2a) = (sin a -+ cos a)^2 keeps every term nonnegative.
    """
    if q == 0:
        return arb(0)
    if q < _HALF:

        def term(j: int) -> arb:
            a = j * arb.pi() * z
            return j * q ** (j * j) * (a.sin() - sign * a.cos()) ** 2

        # (sin a -+ cos a)^2 <= 2: twice the weighted tail
        series = series_with_tail(term, lambda n: 2 * _weighted_tail(q, n), 1)
        return 4 * arb.pi() / eps * nonnegative_part(series)
    slope = _theta_derivative(z, q) / eps
    return nonnegative_part(4 * arb.pi() * theta_weighted_sum(q) / eps + sign * slope)


class ClosenessMargins(NamedTuple):
    """Cancellation-free pieces for Lemma C.16's margins (see lemmas/c16_fourier_closeness.py).

    With N = vartheta(theta - x/v; q) - 1, E = vartheta(theta; q0) - 1, N_u its u-derivative,
    W = 4 pi S(q) / eps: ``value_lower(s)`` bounds (T + T0)(T0 + E) + (T - sN + T0 + sE)(1 - T0) and
    ``slope_lower(r)`` bounds W (E + T0) + (1 - T0)(W + r N_u), both sums of nonnegative terms.
    """

    t_q: arb
    t_q0: arb
    e_plus_t0: arb
    gaps_value: dict[int, arb]
    gaps_slope: dict[int, arb]
    w: arb

    def value_lower(self, s: int) -> arb:
        """A lower bound of M_v(s) (each nonnegative term at its lower endpoint)."""
        lo = nonnegative_lower
        return lo(self.t_q + self.t_q0) * lo(self.e_plus_t0) + lo(self.gaps_value[s]) * lo(
            1 - self.t_q0
        )

    def slope_lower(self, r: int) -> arb:
        """A lower bound of W (E + T0) + (1 - T0)(W + r N_u)."""
        lo = nonnegative_lower
        return lo(self.w) * lo(self.e_plus_t0) + lo(1 - self.t_q0) * lo(self.gaps_slope[r])


def closeness_margins(x: Real, sigma: Real, eps: Real, theta: Real) -> ClosenessMargins:
    x, s, e, th = (to_arb(a) for a in (x, sigma, eps, theta))
    v = 1 + s * s
    q, q0 = nome(s, e), nome_unsmoothed(e)
    z, z0 = (th - x / v) / e, th / e
    t_q, t_q0 = theta_tail_T(q), theta_tail_T(q0)
    gaps_value = {sign: _cosine_gap(z, q, sign) + _cosine_gap(z0, q0, -sign) for sign in (1, -1)}
    return ClosenessMargins(
        t_q=t_q,
        t_q0=t_q0,
        e_plus_t0=_cosine_gap(z0, q0, -1),
        gaps_value=gaps_value,
        gaps_slope={sign: _sine_gap(z, q, e, sign) for sign in (1, -1)},
        w=4 * arb.pi() * theta_weighted_sum(q) / e,
    )


def _gaussian_lattice_sum(center: arb, spacing: arb, offset: arb, s: arb, terms: int):
    """Enclose sum_k phi_s(k*spacing + offset - center) by the 2*terms+1 terms nearest the peak.

    The terms beyond decay at least geometrically: from distance a > 0 on, consecutive ratios
    are at most exp(-a*spacing/s^2), so each side's tail is <= phi_s(a)/(1 - exp(-a*spacing/s^2)).
    """
    k0 = math.floor(float(((center - offset) / spacing).mid()))
    total = arb(0)
    for k in range(k0 - terms, k0 + terms + 2):
        total += normal_density(k * spacing + offset - center, s)
    right = (k0 + terms + 2) * spacing + offset - center
    left = center - ((k0 - terms - 1) * spacing + offset)
    for a in (right, left):
        if not a > 0:
            return total + arb(0, math.inf)
        ratio = (-a * spacing / (s * s)).exp()
        total += arb(0, (normal_density(a, s) / (1 - ratio)).upper())
    return total


def direct_terms_needed(sigma: Real, eps: Real, bits: int) -> int:
    """Terms on each side of the peak that make the direct sum's tail below 2^-bits."""
    tau = math.sqrt(float(sigma) ** 2 / (1 + float(sigma) ** 2))
    width = max(tau, 1.0)
    return math.ceil(width * math.sqrt(2 * (bits + 10) * math.log(2)) / float(eps)) + 2


def smoothed_comb_direct(
    x: Real, sigma: Real, eps: Real, theta: Real, *, max_terms: int = 4000
) -> arb:
    """psi_{theta,sigma}(x) as the comb sum itself, truncated with a rigorous tail bound.

    Uses phi(t) phi_sigma(x - t) = phi_{sqrt v}(x) phi_tau(t - x/v) for the numerator's terms.
    ``max_terms`` caps the work; the result stays an enclosure, only wider.
    """
    import flint

    x, s, e, th = (to_arb(a) for a in (x, sigma, eps, theta))
    v = 1 + s * s
    tau = (s * s / v).sqrt()
    terms = min(direct_terms_needed(float(s.mid()), float(e.mid()), flint.ctx.prec), max_terms)
    numerator = _gaussian_lattice_sum(x / v, e, th, tau, terms)
    normaliser = _gaussian_lattice_sum(arb(0), e, th, arb(1), terms)
    return normal_density(x, v.sqrt()) * numerator / normaliser


# --- float64 screens (numpy, vectorised) -------------------------------------------------------


def screen_terms(sigma: float, eps: float, cap: int = 4000) -> int:
    """Theta terms for a float64 screen: until q^{j^2} < 1e-18 (capped; a screen, not a bound)."""
    tau2 = sigma * sigma / (1.0 + sigma * sigma)
    rate = 2 * math.pi**2 * tau2 / eps**2
    return int(min(cap, math.ceil(math.sqrt(42.0 / max(rate, 1e-300))) + 1))


class _Screen(NamedTuple):
    gauss: np.ndarray  # phi_{sqrt v}(x)
    v: float
    numerator: np.ndarray  # vartheta(theta - x/v; q)
    numerator_slope: np.ndarray  # d vartheta / du at u = theta - x/v
    denominator: float  # vartheta(theta; q0)


def _screen(x, sigma: float, eps: float, theta: float, terms: int | None) -> _Screen:
    """The closed form's pieces in float64 with ``terms`` theta terms (a screen, not a bound)."""
    terms = terms or screen_terms(sigma, eps)
    x = np.asarray(x, dtype=np.float64)
    v = 1.0 + sigma * sigma
    j = np.arange(1, terms + 1, dtype=np.float64)
    q_pow = np.exp(-2 * math.pi**2 * (sigma * sigma / v) / eps**2 * j**2)
    q0_pow = np.exp(-2 * math.pi**2 / eps**2 * j**2)
    angle = 2 * math.pi * np.multiply.outer(theta - x / v, j) / eps
    return _Screen(
        gauss=np.exp(-x * x / (2 * v)) / math.sqrt(2 * math.pi * v),
        v=v,
        numerator=1 + 2 * np.sum(q_pow * np.cos(angle), axis=-1),
        numerator_slope=-2 * np.sum(q_pow * (2 * math.pi * j / eps) * np.sin(angle), axis=-1),
        denominator=1 + 2 * float(np.sum(q0_pow * np.cos(2 * math.pi * j * theta / eps))),
    )


def smoothed_comb_np(
    x, sigma: float, eps: float, theta: float, terms: int | None = None
) -> np.ndarray:
    """psi_{theta,sigma}(x) in float64 by the closed form (a screen)."""
    c = _screen(x, sigma, eps, theta, terms)
    return c.gauss * c.numerator / c.denominator


def smoothed_comb_derivative_np(
    x, sigma: float, eps: float, theta: float, terms: int | None = None
) -> np.ndarray:
    """psi'_{theta,sigma}(x) in float64 (a screen)."""
    c = _screen(x, sigma, eps, theta, terms)
    x = np.asarray(x, dtype=np.float64)
    slope = -x / c.v * c.gauss * c.numerator - c.gauss * c.numerator_slope / c.v
    return slope / c.denominator
