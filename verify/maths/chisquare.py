"""Certified central and non-central chi-square distribution functions (arb), float screens.

Central: for z ~ N(0, I_m), P(|z|^2 <= x) = P(m/2, x/2), the regularized lower incomplete gamma
function, and P(|z|^2 >= x) = Q(m/2, x/2).

- ``Q`` comes from arb's ``gamma_upper(regularized=1)`` (rigorous).
- ``P`` comes from our own series, because arb's ``gamma_lower`` loses all accuracy for large
  order at moderate precision (observed: m = 10^4 at 64 bits gives a ball of radius 10^1084):
  P(s, z) = g(s) sum_{k>=0} z^k / ((s+1)...(s+k)),  g(s) = z^s e^{-z} / Gamma(s+1).
  All terms are positive; once z < s + K + 1 the terms from index K on are bounded by a
  geometric series with ratio z / (s + K + 1), which is the certified tail.

Non-central: for mu in R^m, lambda = |mu|^2, |z + mu|^2 is a Poisson(lambda/2) mixture of
central chi-squares with m + 2j degrees of freedom:
  F(x; m, lambda) = sum_j e^{-lambda/2} (lambda/2)^j / j! * P(m/2 + j, x/2).
P(s, z) decreases in s, so the sum from J on is at most P(m/2 + J, x/2) * PoissonTail(J), and
PoissonTail(J) <= pois_J / (1 - (lambda/2) / (J + 1)) for J + 1 > lambda/2 (ratio bound).
P(m/2 + j, x/2) for j = J, J-1, ..., 0 comes from one series at the top and the stable downward
recurrence P(s, z) = P(s + 1, z) + g(s), g(s - 1) = g(s) s / z (only positive additions).
Every term of the mixture is nonnegative, so any partial sum is a rigorous lower bound too.
"""

from __future__ import annotations

import functools
import math
from typing import TYPE_CHECKING

import flint
import numpy as np
from flint import arb

from verify.core.numbers import Real, ball, normal_upper_tail, to_arb

if TYPE_CHECKING:
    import torch


def _g(s: arb, z: arb) -> arb:
    """z^s e^{-z} / Gamma(s + 1), for z > 0."""
    return (s * z.log() - z - (s + 1).lgamma()).exp()


def gamma_p(s: Real | float, z: Real | float) -> arb:
    """Regularized lower incomplete gamma P(s, z) for s > 0, z >= 0, enclosed."""
    s_a, z_a = to_arb(s), to_arb(z)
    if not s_a > 0:
        raise ValueError("gamma_p needs s > 0")
    if z_a == 0:
        return arb(0)
    if not z_a > 0:
        raise ValueError("gamma_p needs z >= 0")
    if z_a > s_a + 1:
        # The series would need ~z terms and suffer cancellation-free but long summation;
        # the complement is accurate here.
        return 1 - gamma_q(s_a, z_a)
    return _g(s_a, z_a) * _series(s_a, z_a)


def gamma_p_series(s: Real | float, z: Real | float) -> arb:
    """P(s, z) by the positive series alone (any z > 0; long when z >> s): a second
    computation, independent of arb's incomplete gamma, for cross-checks."""
    s_a, z_a = to_arb(s), to_arb(z)
    if not (s_a > 0 and z_a > 0):
        raise ValueError("gamma_p_series needs s > 0 and z > 0")
    return _g(s_a, z_a) * _series(s_a, z_a)


def _series(s: arb, z: arb) -> arb:
    """sum_{k>=0} z^k / ((s+1)...(s+k)) with a certified geometric tail (needs z < s + 1)."""
    total = arb(0)
    term = arb(1)
    k = 0
    eps = arb(2) ** (-(_bits() + 8))
    # The stopping test needs term.upper() <= eps total.lower() (1 - ratio).lower(), hence
    # mid(term) <= eps mid(total) (total >= 1); in doubles (each within 2^-52 of its midpoint)
    # term_f > 2 eps_f total_f rules it out, so the ball test runs only where it may pass: the
    # same stopping index, a fraction of the ball operations per term. (Above ~950 bits eps is
    # no normal double and the screen is off: every term takes the ball test.)
    twice_eps = 2 * float(eps) if _bits() <= 950 else math.inf
    while True:
        total += term
        k += 1
        term = term * z / (s + k)
        if float(term.mid()) > twice_eps * float(total.mid()):
            if k > 10_000_000:
                raise RuntimeError("incomplete gamma series did not converge")
            continue
        ratio = z / (s + k + 1)
        if ratio < 1 and term.upper() <= (eps * total).lower() * (1 - ratio).lower():
            # the remaining sum lies in [0, term / (1 - ratio)]
            return total + ball(0, term / (1 - ratio))
        if k > 10_000_000:
            raise RuntimeError("incomplete gamma series did not converge")


def _bits() -> int:
    import flint

    return int(flint.ctx.prec)


def gamma_q(s: Real | float, z: Real | float) -> arb:
    """Regularized upper incomplete gamma Q(s, z) = 1 - P(s, z), enclosed (arb)."""
    s_a, z_a = to_arb(s), to_arb(z)
    if not s_a > 0:
        raise ValueError("gamma_q needs s > 0")
    if z_a == 0:
        return arb(1)
    if not z_a > 0:
        raise ValueError("gamma_q needs z >= 0")
    if z_a < s_a:
        return 1 - gamma_p(s_a, z_a)
    return z_a.gamma_upper(s_a, regularized=1)


def chi2_cdf(x: Real | float, m: int) -> arb:
    """P(|z|^2 <= x), z ~ N(0, I_m); 0 for x <= 0."""
    x_a = to_arb(x)
    if m < 1:
        raise ValueError("degrees of freedom must be >= 1")
    if x_a <= 0:
        return arb(0)
    if not x_a > 0:
        raise ValueError("chi2_cdf: x straddles 0")
    return gamma_p(arb(m) / 2, x_a / 2)


def chi2_sf(x: Real | float, m: int) -> arb:
    """P(|z|^2 >= x), z ~ N(0, I_m); 1 for x <= 0."""
    x_a = to_arb(x)
    if m < 1:
        raise ValueError("degrees of freedom must be >= 1")
    if x_a <= 0:
        return arb(1)
    if not x_a > 0:
        raise ValueError("chi2_sf: x straddles 0")
    return gamma_q(arb(m) / 2, x_a / 2)


def _poisson_terms(mu: arb, count: int) -> list[arb]:
    terms = [(-mu).exp()]
    for j in range(1, count):
        terms.append(terms[-1] * mu / j)
    return terms


WINDOW_FROM = 200  # Poisson means above this sum a window of indices around the mode


def _log_gamma_p_estimate(s: np.ndarray, z: float) -> np.ndarray:
    """Float estimate of log P(s, z) (for choosing windows only, never for enclosures)."""
    import torch

    with np.errstate(divide="ignore"):
        direct = np.log(torch.special.gammainc(torch.as_tensor(s), torch.tensor(z)).numpy())
    log_g = s * math.log(z) - z - torch.lgamma(torch.as_tensor(s + 1)).numpy()
    series = log_g - np.log1p(-np.minimum(z / (s + 1), 1 - 1e-12))
    return np.where(np.isfinite(direct), direct, np.minimum(series, 0.0))


def poisson_window(x: float, m: int, mu: float, margin: float = 46.0) -> tuple[int, int]:
    """Indices [j_lo, j_hi) of the Poisson mixture whose omitted parts, bounded as in
    ``_ncx2_parts``, are below e^-margin times the largest term (float estimate; the enclosure
    stays rigorous whatever the window, only its width depends on it)."""
    import torch

    full = default_terms(2 * mu)
    if mu <= WINDOW_FROM and full <= 800:
        return 0, full
    z = x / 2
    j = np.arange(full + 1, dtype=np.float64)
    log_pois = -mu + j * math.log(max(mu, 1e-300)) - torch.lgamma(torch.as_tensor(j + 1)).numpy()
    log_p = _log_gamma_p_estimate(m / 2 + j, z)
    log_term = log_pois + log_p
    top = float(log_term.max())
    # right: pois_J P(s0 + J) / (1 - mu/(J+1)) small
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_tail = log_pois - np.log(np.clip(1 - mu / (j + 1), 1e-300, None))
    log_tail_mass = np.where(j + 1 > mu, np.minimum(ratio_tail, 0.0), 0.0)
    ok_right = np.nonzero(log_p + log_tail_mass <= top - margin)[0]
    j_hi = int(ok_right[0]) if ok_right.size else full
    # left: (sum_{j < J} pois_j) P(s0, z) small
    left_mass = np.logaddexp.accumulate(log_pois)  # log sum_{i <= j} pois_i
    ok_left = np.nonzero(left_mass + log_p[0] <= top - margin)[0]
    j_lo = int(ok_left[-1]) + 1 if ok_left.size else 0
    j_lo = min(j_lo, max(0, j_hi - 1))
    return j_lo, max(j_hi, j_lo + 1)


def default_terms(noncentrality: float) -> int:
    """Number of Poisson terms that leaves a tail far below double precision."""
    half = max(float(noncentrality), 0.0) / 2
    return math.ceil(half + 14 * math.sqrt(half + 1) + 30)


def ncx2_cdf(x: Real | float, m: int, noncentrality: Real | float, terms: int | None = None) -> arb:
    """P(|z + mu|^2 <= x) with |mu|^2 = noncentrality, z ~ N(0, I_m): enclosure with tail."""
    total, tail = _ncx2_parts(x, m, noncentrality, terms)
    return total + ball(0, tail) if tail != 0 else total


def ncx2_cdf_lower(
    x: Real | float, m: int, noncentrality: Real | float, terms: int | None = None
) -> arb:
    """A rigorous lower bound (the partial sum, no tail) of P(|z + mu|^2 <= x)."""
    return _ncx2_parts(x, m, noncentrality, terms)[0]


def _ncx2_parts(
    x: Real | float, m: int, noncentrality: Real | float, terms: int | None
) -> tuple[arb, arb]:
    """(partial sum over a window of Poisson indices, rigorous bound of the rest).

    The window is [j_lo, j_hi), j_hi = ``terms`` (default ``default_terms``) and j_lo = 0 for
    lambda/2 <= WINDOW_FROM, else lambda/2 - 9 sqrt(lambda/2). Right of the window:
    sum_{j >= J} pois_j P(s0 + j) <= P(s0 + J) pois_J / (1 - mu/(J+1)). Left of it
    (pois_{j-1}/pois_j = j/mu <= j_lo/mu): sum_{j < j_lo} pois_j P(s0 + j)
    <= P(s0, z) pois_{j_lo} (j_lo/mu) / (1 - j_lo/mu), as P(s0 + j, z) <= P(s0, z).
    """
    if m < 1:
        raise ValueError("degrees of freedom must be >= 1")
    x_a, lam = to_arb(x), to_arb(noncentrality)
    if not lam >= 0:
        raise ValueError("noncentrality must be >= 0")
    if x_a <= 0:
        return arb(0), arb(0)
    if not x_a > 0:
        raise ValueError("ncx2_cdf: x straddles 0")
    if lam == 0:
        return chi2_cdf(x_a, m), arb(0)
    mu = lam / 2
    if terms is not None:
        j_lo, j_hi = 0, terms
    else:
        j_lo, j_hi = poisson_window(float(x_a.mid()), m, float(mu.mid()))
    values, at_s0 = _gamma_p_ladder(x_a, m, j_lo, j_hi)
    p_top = values[-1]
    # Poisson weights on [j_lo, j_hi], each taken into the sum as it is formed
    weight = (-mu + j_lo * mu.log() - arb(j_lo + 1).lgamma()).exp() if j_lo else (-mu).exp()
    first_weight = weight
    total = arb(0)
    # weight_{j+1} = weight_j mu / (j + 1), the divisors as ready-made exact balls: the same
    # operations and roundings as dividing by the int, without converting it every step.
    divisors = _exact_integers(j_hi + 1)[j_lo + 1 : j_hi + 1]
    for value, divisor in zip(values[:-1], divisors, strict=True):
        total += weight * value
        weight = weight * mu / divisor
    ratio = mu / (j_hi + 1)
    # the Poisson tail mass is at most 1, and at most pois_J / (1 - ratio) when ratio < 1
    tail = p_top
    if ratio < 1:
        mass = weight / (1 - ratio)  # pois_J
        if mass < 1:
            tail = mass * p_top
    if j_lo:
        left_ratio = arb(j_lo) / mu
        left_mass = first_weight * left_ratio / (1 - left_ratio) if left_ratio < 1 else arb(1)
        tail += left_mass * at_s0
    return total, tail


# ``_gamma_p_ladder``'s results by (x, m, window, precision): the acceptance lemmas evaluate the
# non-central CDF at a few dozen radii for hundreds of noncentralities, and the ladder depends on
# the radius and the window only. Bounded: cleared when full.
_LADDERS: dict[tuple, tuple[tuple[arb, ...], arb | None]] = {}
_LADDERS_MAX = 4096


_INTEGERS: list[arb] = []


def _exact_integers(count: int) -> list[arb]:
    """[arb(0), ..., arb(count - 1)], exact balls (no precision involved), kept and grown."""
    while len(_INTEGERS) < count:
        _INTEGERS.append(arb(len(_INTEGERS)))
    return _INTEGERS


@functools.lru_cache(maxsize=64)
def _half_integers_of(m: int, count: int) -> tuple[arb, ...]:
    return tuple(arb(m + 2 * j) / 2 for j in range(count))


def _half_integers(m: int, count: int) -> tuple[arb, ...]:
    """(m/2 + j for j < count) as exact balls (a halved integer: exact at any precision), for
    counts rounded up to a power of two so that a few lengths serve every window."""
    return _half_integers_of(m, 1 << max(count - 1, 1).bit_length())


def _gamma_p_ladder(x: arb, m: int, j_lo: int, j_hi: int) -> tuple[tuple[arb, ...], arb | None]:
    """(P(m/2 + j, x/2) for j = j_lo..j_hi, P(m/2, x/2) when j_lo > 0 else None), enclosed:
    the top one from the series (or complement), the others by the downward recurrence
    P(s, z) = P(s + 1, z) + g(s), g(s - 1) = g(s) s / z. Cached by the exact ball x (midpoint
    and radius), m, the window and the working precision, which fix every operation."""
    key = (x.mid().man_exp(), x.rad().man_exp(), m, j_lo, j_hi, flint.ctx.prec)
    cached = _LADDERS.get(key)
    if cached is not None:
        return cached
    z = x / 2
    s0 = arb(m) / 2
    values = [arb(0)] * (j_hi - j_lo + 1)
    values[-1] = gamma_p(s0 + j_hi, z)
    g = _g(s0 + j_hi - 1, z) if j_hi >= 1 else arb(0)
    orders = _half_integers(m, j_hi)  # s0 + j = (m + 2 j) / 2, exact: the same balls as s0 + j
    for j in range(j_hi - 1, j_lo - 1, -1):
        values[j - j_lo] = values[j - j_lo + 1] + g
        g = g * orders[j] / z  # g(s0 + j - 1) = g(s0 + j) (s0 + j) / z
    result = (tuple(values), gamma_p(s0, z) if j_lo else None)
    if len(_LADDERS) >= _LADDERS_MAX:
        _LADDERS.clear()
    _LADDERS[key] = result
    return result


def ncx2_cdf_upper_far(x: Real | float, m: int, noncentrality: Real | float) -> arb:
    """A cheap rigorous upper bound of P(|z + mu|^2 <= x) when |mu| > sqrt(x): the event
    forces the coordinate of z along mu below sqrt(x) - |mu|, so it is at most
    Phi_bar(|mu| - sqrt x) (``normal_upper_tail``). Returns 1 otherwise."""
    gap = to_arb(noncentrality).sqrt() - to_arb(x).sqrt()
    if not gap > 0:
        return arb(1)
    return normal_upper_tail(gap)


# ----------------------------------------------------------------------------- float screens


def ncx2_cdf_torch(
    x: torch.Tensor, m: int, noncentrality: torch.Tensor, terms: int | None = None
) -> torch.Tensor:
    """Float64 screen of the non-central chi-square CDF, batched over x and noncentrality."""
    import torch

    x = torch.as_tensor(x, dtype=torch.float64)
    lam = torch.as_tensor(noncentrality, dtype=torch.float64)
    x, lam = torch.broadcast_tensors(x, lam)
    count = terms if terms is not None else default_terms(float(lam.max()) if lam.numel() else 0)
    j = torch.arange(count, dtype=torch.float64)
    shape = (*x.shape, 1)
    half = (lam / 2).reshape(shape)
    log_w = -half + j * torch.log(half.clamp_min(1e-300)) - torch.lgamma(j + 1)
    log_w = torch.where(half > 0, log_w, torch.where(j == 0, 0.0, -math.inf))
    p = torch.special.gammainc(m / 2 + j, (x.reshape(shape) / 2).clamp_min(0))
    return (torch.exp(log_w) * p).sum(-1)


def chi2_sf_np(x: np.ndarray, m: int) -> np.ndarray:
    """Float64 screen of P(chi^2_m >= x)."""
    import torch

    xt = torch.as_tensor(np.asarray(x, dtype=np.float64))
    return torch.special.gammaincc(torch.full_like(xt, m / 2), xt.clamp_min(0) / 2).numpy()
