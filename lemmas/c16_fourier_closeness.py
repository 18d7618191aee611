r"""Lemma C.16 (Fourier closeness): a smoothed discretized Gaussian is close to a Gaussian.

Statement checked (LEMMAS.md, [derived]). Let :math:`v = 1+\sigma^2`, :math:`\tau^2 =
\sigma^2/v`, :math:`q = e^{-2\pi^2\tau^2/\epsilon^2}`, :math:`q_0 = e^{-2\pi^2/\epsilon^2}`,
:math:`T(q) = 2\sum_{j\ge1} q^{j^2}`, :math:`S(q) = \sum_{j\ge1} j q^{j^2}` and
:math:`\rho = (T(q)+T(q_0))/(1-T(q_0))`. For every phase :math:`\theta` and every x,

.. math::
    |\psi_{\theta,\sigma}(x) - \phi_{\sqrt v}(x)| \le C\,\phi_{\sqrt v}(x)\,\rho,
    \qquad
    |\psi'_{\theta,\sigma}(x) - \phi'_{\sqrt v}(x)| \le C\Big(|\phi'_{\sqrt v}(x)|\,\rho
      + \phi_{\sqrt v}(x)\,\frac{4\pi S(q)}{\epsilon v\,(1-T(q_0))}\Big),

and uniformly (with :math:`\sup\phi_{\sqrt v} = (2\pi v)^{-1/2}`,
:math:`\sup|\phi'_{\sqrt v}| = (v\sqrt{2\pi e})^{-1}`)
:math:`\sup_x|\psi-\phi_{\sqrt v}| \le C\rho/\sqrt{2\pi v}` and
:math:`\sup_x|\psi'-\phi'_{\sqrt v}| \le C(\rho/(v\sqrt{2\pi e}) + 4\pi S(q)/(\epsilon v
\sqrt{2\pi v}(1-T(q_0))))`, with the stated prefactor C = 1.

Derivation. Poisson summation gives :math:`\psi_{\theta,\sigma}(x) = \phi_{\sqrt v}(x)\,
\vartheta(\theta-x/v;q)/\vartheta(\theta;q_0)` with :math:`\vartheta(u;q) = 1 + 2\sum_j q^{j^2}
\cos(2\pi j u/\epsilon)`; hence :math:`\vartheta \in [1-T, 1+T]`, so
:math:`|\vartheta(\cdot;q)/\vartheta(\cdot;q_0) - 1| \le (T(q)+T(q_0))/(1-T(q_0))`, and
:math:`|\partial_u\vartheta| \le 4\pi S(q)/\epsilon` gives the derivative bound. The value
bound is attained in the limit :math:`\theta - x/v \in \epsilon\mathbb{Z}`, :math:`T(q_0)\to0`,
so the empirical prefactor approaches 1 from below: C = 1 cannot be lowered.

Margins. The value bound is attained up to a factor 1 - O(q_0/q) where
:math:`\theta - x/v \in \epsilon\mathbb{Z}`, and q_0/q = e^{-2\pi^2/(v\epsilon^2)} is beyond
any working precision for small eps. So each part also carries a margin (rhs - lhs) written as a
sum of nonnegative terms. With N = theta(theta - x/v; q) - 1, E = theta(theta; q_0) - 1,
D = 1 + E, s = sign(N - E): multiplying the value bound by D(1 - T_0) > 0 gives
:math:`M_v(s) = (T+T_0)(T_0+E) + (T - sN + T_0 + sE)(1 - T_0) \ge 0`, where
T - sN = 4\sum q^{j^2}\{\sin^2,\cos^2\}(\pi j z) and T_0 + sE likewise are summed term by
term. For the derivative, with Y the deviation's numerator, r = sign(Y), s' = r sign(phi'),
N_u the u-derivative of theta and W = 4 pi S(q)/eps:
:math:`M_d = |\phi'| M_v(s') + (\phi/v)[W(E+T_0) + (1-T_0)(W + rN_u)]`, with
W + rN_u = (4\pi/\epsilon)\sum j q^{j^2}(\sin a_j - r\cos a_j)^2. The uniform forms add
(sup phi - phi) and (sup |phi'| - |phi'|) terms, and a constant C adds (C - 1) x unit. The margin
is used only where the two sides' enclosures overlap and the sign s (or r) is certain.

Check. Both sides are arb enclosures; the deviations are computed without cancellation
(:math:`\vartheta - 1` by its own series when q <= 1/2, by arb's Jacobi theta otherwise). The
closed form is cross-checked against the direct comb sum (certified tail) wherever that sum needs
at most ``DIRECT_SUM_MAX_TERMS`` terms per side: the part ``closed_form_vs_direct_sum`` is an
``Agreement`` of the two enclosures, certified only when both are finite, each is narrower than
2^-20 of its magnitude (at least 6 digits) and they overlap; refuted when they provably differ;
otherwise inconclusive and retried at doubled precision. At small sigma the closed form at 64
bits can be a ball around 0 (or NaN) next to a direct sum of 1e-164959499: no longer a pass.
The cross-check is made only where the closed form can resolve the value at the largest retry
precision (its theta quotient loses about eps^2/(8 tau^2 ln 2) bits to cancellation; at most
``CLOSED_FORM_MAX_BITS``) and the direct sum is short; the choice depends on the point only.

Domain: eps in (0, 1], sigma in (0, 2], theta in [0, eps), x in [-8, 8]. The search draws eps
and sigma log-uniformly from [1e-4, 1] and [1e-6, 2] (every positive value is accepted by
``verify check``); theta as a fraction of eps.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Agreement, Constant, Lemma, Part
from verify.core.domain import Constraint, Domain, Real
from verify.core.numbers import nonnegative_lower, normal_density, to_arb
from verify.maths.comb import (
    closeness_margins,
    direct_terms_needed,
    smoothed_comb_closed_form,
    smoothed_comb_derivative_deviation,
    smoothed_comb_deviation,
    smoothed_comb_direct,
)

DIRECT_SUM_MAX_TERMS = 600
CLOSED_FORM_MAX_BITS = 768


DOMAIN = Domain(
    Constraint("theta < eps", lambda p: p["theta"] < p["eps"]),
    eps=Real(0, 1, lo_open=True, search=(1e-4, 1.0), log=True),
    sigma=Real(0, 2, lo_open=True, search=(1e-6, 2.0), log=True),
    theta=Real(0, 1, hi_open=True, doc="the comb's phase, in [0, eps)"),
    x=Real(-8, 8),
)


@st.composite
def _params(draw) -> dict[str, Any]:
    eps = draw(DOMAIN["eps"].strategy())
    phase = draw(st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
    return {
        "eps": eps,
        "sigma": draw(DOMAIN["sigma"].strategy()),
        "theta": min(phase * eps, math.nextafter(eps, 0.0)),
        "x": draw(DOMAIN["x"].strategy()),
    }


def _cross_check_applies(sigma: float, eps: float) -> bool:
    """Whether the closed form can be cross-checked at this point, decided by the point alone.

    The direct sum must need at most ``DIRECT_SUM_MAX_TERMS`` terms a side (at 64 bits), and the
    theta quotient's smallest value, about exp(-eps^2/(8 tau^2)), must be resolvable from 1 by
    the largest retry precision: at most ``CLOSED_FORM_MAX_BITS`` bits of cancellation. Deciding
    by the point, not the working precision, keeps an inconclusive cross-check in the retries.
    """
    tau_sq = sigma * sigma / (1 + sigma * sigma)
    cancellation_bits = eps * eps / (8 * tau_sq * math.log(2))
    terms = direct_terms_needed(sigma, eps, 64)
    return terms <= DIRECT_SUM_MAX_TERMS and cancellation_bits <= CLOSED_FORM_MAX_BITS


def _sign(x: arb) -> int | None:
    if x > 0:
        return 1
    if x < 0:
        return -1
    return None


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    x, sigma, eps, theta = (to_arb(params[k]) for k in ("x", "sigma", "eps", "theta"))
    c = to_arb(constants["prefactor"])
    v = 1 + sigma * sigma
    m = closeness_margins(x, sigma, eps, theta)
    one_minus_t0 = 1 - m.t_q0
    rho = (m.t_q + m.t_q0) / one_minus_t0
    slope_term = m.w / (v * one_minus_t0)
    gauss = normal_density(x, v.sqrt())
    gauss_prime = abs(x) / v * gauss
    sup_gauss = 1 / (2 * arb.pi() * v).sqrt()
    sup_gauss_prime = 1 / (v * (2 * arb.pi() * arb(1).exp()).sqrt())

    value_dev = smoothed_comb_deviation(x, sigma, eps, theta)
    slope_dev = smoothed_comb_derivative_deviation(x, sigma, eps, theta)
    units = {
        "value": gauss * rho,
        "derivative": gauss_prime * rho + gauss * slope_term,
        "value_uniform": sup_gauss * rho,
        "derivative_uniform": sup_gauss_prime * rho + sup_gauss * slope_term,
    }
    # Lower bounds of the margins (module docstring): sums of nonnegative terms, each taken at
    # its lower endpoint, divided by the upper end of D (1 - T0) > 0.
    lo = nonnegative_lower
    scale = ((one_minus_t0 + m.e_plus_t0) * one_minus_t0).upper()
    value_sign, slope_sign = _sign(value_dev), _sign(slope_dev)
    base: dict[str, arb | None] = {"value": None, "derivative": None}
    if value_sign is not None:
        base["value"] = lo(gauss) * m.value_lower(value_sign) / scale
    if slope_sign is not None:
        mixed = slope_sign * (-1 if x > 0 else 1)
        base["derivative"] = (
            lo(gauss_prime) * m.value_lower(mixed)
            + lo(gauss) / v.upper() * m.slope_lower(slope_sign)
        ) / scale
    widening = {
        "value": arb(0),
        "derivative": arb(0),
        "value_uniform": lo(sup_gauss - gauss) * lo(rho),
        "derivative_uniform": lo(sup_gauss_prime - gauss_prime) * lo(rho)
        + lo(sup_gauss - gauss) * lo(slope_term),
    }
    lhs = {"value": abs(value_dev), "derivative": abs(slope_dev)}
    parts = []
    for name, unit in units.items():
        kind = name.removesuffix("_uniform")
        margin = None
        if base[kind] is not None:
            margin = ((c - 1) * unit).lower() + widening[name] + base[kind]
        parts.append(Part(name, lhs[kind], c * unit, "prefactor", unit, margin=margin))
    if _cross_check_applies(params["sigma"], params["eps"]):
        closed = smoothed_comb_closed_form(x, sigma, eps, theta)
        direct = smoothed_comb_direct(x, sigma, eps, theta)
        note = "the Poisson closed form against the direct comb sum with its certified tail"
        parts.append(Agreement("closed_form_vs_direct_sum", closed, direct, note=note))
    return parts


C16 = Lemma(
    id="C.16",
    title="Fourier closeness of the smoothed discretized Gaussian",
    statement=(
        r"|\psi_{\theta,\sigma}(x)-\phi_{\sqrt v}(x)| \le C\,\phi_{\sqrt v}(x)"
        r"\frac{T(q)+T(q_0)}{1-T(q_0)},\quad "
        r"|\psi'_{\theta,\sigma}(x)-\phi'_{\sqrt v}(x)| \le C\Big(|\phi'_{\sqrt v}(x)|"
        r"\frac{T(q)+T(q_0)}{1-T(q_0)} + \phi_{\sqrt v}(x)\frac{4\pi\sum_j j q^{j^2}}"
        r"{\epsilon v (1-T(q_0))}\Big),\ v=1+\sigma^2,\ q=e^{-2\pi^2\sigma^2/(v\epsilon^2)},"
        r"\ q_0=e^{-2\pi^2/\epsilon^2},\ T(q)=2\sum_{j\ge1}q^{j^2}"
    ),
    domain=DOMAIN,
    constants=[
        Constant(
            "prefactor",
            1,
            "Poisson summation: the theta quotient lies within (T(q)+T(q0))/(1-T(q0)) of 1",
        )
    ],
    params=_params,
    check=_check,
    examples=[
        {"eps": 1.0, "sigma": 1.0, "theta": 0.0, "x": 0.0},
        {"eps": 0.5, "sigma": 0.5, "theta": 0.25, "x": 1.0},
        {"eps": 1.0, "sigma": 0.3, "theta": 0.5, "x": -2.0},
        {"eps": 0.05, "sigma": 1e-6, "theta": 0.01, "x": 0.01},
    ],
    budget={"quick": 40, "standard": 300, "thorough": 2000},
    depends_on=(),
)
