r"""Piecewise-linear approximation of a one-dimensional smoothed score (Lemmas C.1-C.4), certified.

Laws. One type: ``verify.maths.laws.FiniteMixture`` with one component width t (atoms: t = 0),
passed with sigma as ``(law, sigma)``; inside, ``smoothed(law, sigma)`` is its smoothed form
:math:`p_\sigma = \sum_j w_j N(a_j, v)`, :math:`v = \sigma^2 + t^2`, with rational atoms, weights
and variance. With :math:`v = \sigma^2` it is an atomic law smoothed at level :math:`\sigma`; with
:math:`v = \sigma^2 + \tau^2` it is the equal-width Gaussian mixture
:math:`\sum_j w_j N(a_j, \tau^2)` smoothed at :math:`\sigma` (the same score function as the atomic
law smoothed at :math:`\sqrt v`; the lemmas' bounds are still stated with :math:`\sigma`).
Tweedie in one dimension: with :math:`Y` the atom given :math:`X = x`,
:math:`s(x) = (E[Y|x] - x)/v` and :math:`s'(x) = \mathrm{Var}(Y|x)/v^2 - 1/v`. The posterior mean
:math:`m(x) = E[Y|x]` is nondecreasing (:math:`m' = \mathrm{Var}(Y|x)/v \ge 0`), so on a cell
:math:`[u_0, u_1]` the score lies in :math:`[(m(u_0) - u_1)/v, (m(u_1) - u_0)/v]`: point
evaluations at the cell ends enclose it, without the dependency blow-up of interval evaluation.

Expectations over the whole line. The line is cut at a core :math:`[lo, hi]` (every atom at
least ``TAIL_SDS`` standard deviations inside); the core is split into cells of width ``h``; a
cell's mass is enclosed exactly by the normal CDF (``erfc`` in arb); the integrand is enclosed on
the cell (interval evaluation, or the monotone trick above, or a first-order centred form), and the
tails carry a rigorous bound from Gaussian tail moments:
:math:`\int_u^\infty \phi = \bar\Phi(u)`, :math:`\int_u^\infty z\phi = \phi(u)`,
:math:`\int_u^\infty z^2\phi = u\phi(u) + \bar\Phi(u)`.

Floats (numpy) only build the approximations (their node values are then exact rationals) and
screen; every certified number goes through arb.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import repeat
from operator import mul, sub
from typing import Any

import flint
import numpy as np
from flint import arb

from verify.core.numbers import (
    ball,
    certified_max,
    certified_min,
    normal_upper_tail,
    normal_upper_tail_float,
    precision,
    to_arb,
)
from verify.maths.laws import FiniteMixture

TAIL_SDS = 9  # core half-width beyond the extreme atoms, in standard deviations of a component


_ROOT_TWO_PI: dict[int, arb] = {}


def _root_two_pi() -> arb:
    """sqrt(2 pi) at the working precision (cached: the same ball a fresh computation gives)."""
    prec = flint.ctx.prec
    found = _ROOT_TWO_PI.get(prec)
    if found is None:
        found = _ROOT_TWO_PI[prec] = (2 * arb.pi()).sqrt()
    return found


def standard_normal_density(u: arb) -> arb:
    return exp_range(-square_range(u) / 2) / _root_two_pi()


def _ipow(x: arb, k: int) -> arb:
    """x^k by repeated products (python-flint's ``**`` of a ball around 0 can return nan)."""
    out = arb(1)
    for _ in range(k):
        out = out * x
    return out


_UNIT_BALL = arb(0, 1)


def _ball_of_arbs(lo: arb, hi: arb) -> arb:
    """``ball(lo, hi)`` for two arb endpoints: the same operations, without the conversions
    (a hot path)."""
    return (lo + hi) / 2 + _UNIT_BALL * ((hi - lo) / 2)


def exp_range(x: arb) -> arb:
    """exp over a ball from its endpoints (arb's exp of a wide ball may dip below zero)."""
    lo = x.lower().exp().lower()
    hi = x.upper().exp().upper()
    return (lo + hi) / 2 + _UNIT_BALL * ((hi - lo) / 2)  # _ball_of_arbs(lo, hi), inlined


def _exp_positive(t: arb) -> arb:
    """exp of a narrow ball (a point's logit: radius from rounding only): arb's own exp, an
    enclosure that stays above zero unless the radius is large; ``exp_range`` otherwise."""
    y = t.exp()
    return y if y > 0 else exp_range(t)


def square_range(x: arb) -> arb:
    """Enclosure of {t^2 : t in x} that never dips below zero (arb's x*x may)."""
    lo, hi = x.lower(), x.upper()
    lo_sq, hi_sq = lo * lo, hi * hi
    top = lo_sq.max(hi_sq).upper()
    if lo > 0 or hi < 0:
        # ball(bottom.lower(), top.upper()) on arbs: the same operations, no conversions.
        bottom = lo_sq.min(hi_sq).lower()
        return (bottom + top) / 2 + _UNIT_BALL * ((top - bottom) / 2)
    return top / 2 + _UNIT_BALL * (top / 2)  # ball(0, top): (0 + t) and (t - 0) are exact


def possibly_ge(a: arb, b: arb) -> bool:
    """a >= b is possible: True unless a < b is certain (an undecided comparison counts as
    true; use it where the answer adds a term to an upper bound)."""
    return not (a < b)


def hull(values: Sequence[arb]) -> arb:
    """The smallest ball containing every ball of ``values`` (certified extremes of the ends)."""
    return ball(certified_min(values).lower(), certified_max(values).upper())


def smoothed(law: FiniteMixture, sigma: Fraction) -> _Smoothed:
    """``law`` smoothed at sigma, as the algorithms below use it (cached per sigma): needs one
    component width t for all components (v = sigma^2 + t^2, exact; no square roots)."""
    sigma = Fraction(sigma)
    cache = law.__dict__.setdefault("_smoothed_cache", {})
    if sigma not in cache:
        if len(set(law.stds)) != 1:
            raise ValueError("the C.1-C.4 algorithms need one common component width")
        variance = sigma**2 + law.stds[0] ** 2
        cache[sigma] = _Smoothed(law.means, law.weights, sigma, variance)
    return cache[sigma]


def second_moment(law: FiniteMixture, sigma: Fraction) -> Fraction:
    r""":math:`m_2 = E_{x \sim p_\sigma}(x - \mu)^2`, exact."""
    return smoothed(law, sigma).second_moment


@dataclass(frozen=True)
class _Smoothed:
    r""":math:`p_\sigma = \sum_j w_j N(a_j, v)`; ``sigma`` is the smoothing level of the lemmas.
    Built only by ``smoothed(law, sigma)``: a view of a ``FiniteMixture`` at one sigma.

    ``variance`` is v = sigma^2 + tau^2 >= sigma^2 (tau = 0 for an atomic law).
    """

    atoms: tuple[Fraction, ...]
    weights: tuple[Fraction, ...]
    sigma: Fraction
    variance: Fraction

    def __post_init__(self) -> None:
        object.__setattr__(self, "atoms", tuple(Fraction(a) for a in self.atoms))
        object.__setattr__(self, "weights", tuple(Fraction(w) for w in self.weights))
        object.__setattr__(self, "sigma", Fraction(self.sigma))
        object.__setattr__(self, "variance", Fraction(self.variance))
        if not self.atoms or len(self.atoms) != len(self.weights):
            raise ValueError("need one weight per atom, at least one atom")
        if any(w <= 0 for w in self.weights) or sum(self.weights) != 1:
            raise ValueError("weights must be positive and sum to 1")
        if self.sigma <= 0 or self.variance < self.sigma**2:
            raise ValueError("need sigma > 0 and variance >= sigma^2")

    # -- exact moments -------------------------------------------------------------------
    @property
    def mean(self) -> Fraction:
        return sum((w * a for w, a in zip(self.weights, self.atoms, strict=True)), Fraction(0))

    @property
    def atom_variance(self) -> Fraction:
        mu = self.mean
        return sum(
            (w * (a - mu) ** 2 for w, a in zip(self.weights, self.atoms, strict=True)),
            Fraction(0),
        )

    @property
    def second_moment(self) -> Fraction:
        r""":math:`m_2 = E_{x \sim p_\sigma}(x - \mu)^2 = \mathrm{Var}(p) + \sigma^2`, exact."""
        return self.atom_variance + self.variance

    @property
    def spread(self) -> Fraction:
        return max(self.atoms) - min(self.atoms)

    def derivative_bound(self) -> arb:
        """sup |s'| <= max(1/v, D^2/(4 v^2) - 1/v): Var(Y|x) <= D^2/4 for Y in an interval of
        length D (Popoviciu)."""
        v = to_arb(self.variance)
        d = to_arb(self.spread)
        return (1 / v).max(d * d / (4 * v * v) - 1 / v)

    def arbs(self) -> tuple[list[arb], list[arb], list[arb], arb, arb]:
        """(atoms, weights, log weights, v, sqrt v) as arb at the working precision (cached)."""
        import flint

        cache = self.__dict__.setdefault("_arb_cache", {})
        prec = flint.ctx.prec
        if prec not in cache:
            atoms = [to_arb(a) for a in self.atoms]
            weights = [to_arb(w) for w in self.weights]
            v = to_arb(self.variance)
            cache[prec] = (atoms, weights, [w.log() for w in weights], v, v.sqrt())
        return cache[prec]

    def float_atoms(self) -> tuple[float, ...]:
        """The atoms as floats (cached; the same floats as ``float(a)`` each time)."""
        cached = self.__dict__.get("_float_atoms")
        if cached is None:
            cached = tuple(float(a) for a in self.atoms)
            self.__dict__["_float_atoms"] = cached
        return cached

    def cumulant_bounds(self) -> tuple[arb, arb, arb]:
        """A-priori balls of kappa_2, kappa_3, kappa_4 for a law on an interval of length D
        (see ``posterior_cumulants``), cached per working precision."""
        import flint

        cache = self.__dict__.setdefault("_cumulant_bounds", {})
        prec = flint.ctx.prec
        if prec not in cache:
            d = to_arb(self.spread)
            d2 = d * d
            cache[prec] = (
                ball(0, d2 / 4),
                ball(-d2 * d / 4, d2 * d / 4),
                ball(-d2 * d2 / 4, d2 * d2 / 4),
            )
        return cache[prec]

    # -- float screen ----------------------------------------------------------------------
    def _posterior_np(self, x: np.ndarray) -> np.ndarray:
        a = np.array([float(t) for t in self.atoms])
        logw = np.log(np.array([float(w) for w in self.weights]))
        v = float(self.variance)
        logits = logw[None, :] + (np.outer(x, a) - a[None, :] ** 2 / 2) / v
        logits -= logits.max(axis=1, keepdims=True)
        r = np.exp(logits)
        return r / r.sum(axis=1, keepdims=True)

    def score_np(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        a = np.array([float(t) for t in self.atoms])
        r = self._posterior_np(x.ravel())
        return ((r @ a - x.ravel()) / float(self.variance)).reshape(x.shape)

    def score_derivative_np(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        a = np.array([float(t) for t in self.atoms])
        r = self._posterior_np(x.ravel())
        m = r @ a
        var = r @ (a**2) - m**2
        var = np.maximum(var, 0.0)
        v = float(self.variance)
        return (var / v**2 - 1 / v).reshape(x.shape)

    def density_np(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        a = np.array([float(t) for t in self.atoms])
        w = np.array([float(t) for t in self.weights])
        v = float(self.variance)
        z = (x.ravel()[:, None] - a[None, :]) ** 2 / (2 * v)
        return (np.exp(-z) @ w / math.sqrt(2 * math.pi * v)).reshape(x.shape)

    # -- certified -------------------------------------------------------------------------
    def _kernel(self) -> tuple:
        """(atoms, log w_j - a_j^2/(2v), v, a_j/v, float atoms) at the working precision: the
        per-law parts of every posterior evaluation, hoisted out of the point loops."""
        prec = flint.ctx.prec
        cached = self.__dict__.get("_kernel_cache")
        if cached is None or cached[0] != prec:
            atoms, _, logw, v, _ = self.arbs()
            # logit_j(x) = log w_j + (x a_j - a_j^2/2)/v = base_j + x slope_j
            bases = [lw - aa * aa / 2 / v for lw, aa in zip(logw, atoms, strict=True)]
            slopes = [aa / v for aa in atoms]
            cached = (prec, (atoms, bases, v, slopes, self.float_atoms()))
            self.__dict__["_kernel_cache"] = cached
        return cached[1]

    def _unnormalised_posterior(self, x: arb) -> list[arb]:
        """Posterior weights up to a common factor, centred so that the dependency is small."""
        atoms, bases, v, slopes, float_atoms = self._kernel()
        centre = x.mid()
        point = x.is_exact()  # a point: rho = 0 exactly, and t + rho d / v is t itself
        shifted, offsets = self._posterior_frame(
            centre, atoms, bases, v, slopes, float_atoms, offsets=not point
        )
        if point:
            return [_exp_positive(t) for t in shifted]
        rho = x - centre
        out = []
        for t, dv in zip(shifted, offsets, strict=True):
            t = t + rho * dv
            # exp_range(t) as the union of the balls at the (exact) ends: the same range.
            out.append(t.lower().exp().lower().union(t.upper().exp().upper()))
        return out

    def _posterior_frame(
        self,
        centre: arb,
        atoms: list[arb],
        bases: list[arb],
        v: arb,
        slopes: list[arb],
        float_atoms: tuple[float, ...],
        *,
        offsets: bool = True,
    ) -> tuple[list[arb], list[arb] | None]:
        """(logit_j - top, (a_j - m_centre) / v) at a point ``centre``; the offsets, which only a
        ball's weights need, are None unless ``offsets``. The last frame is kept (a cell and its
        centre point often share their midpoint; its offsets once some caller asked for them),
        recomputed on any other centre or precision, so every value is the one a fresh
        computation gives."""
        prec = flint.ctx.prec
        last = self.__dict__.get("_last_frame")
        if last is not None and last[0] == prec and last[1] == centre:
            shifted, kept = last[2]
            if kept is not None or not offsets:
                return shifted, kept
        else:
            logits = [b + centre * k for b, k in zip(bases, slopes, strict=True)]
            top = max(logits, key=float)
            # x = centre + rho: logit_j = base_j + rho a_j / v; subtract rho * m_c / v from all.
            shifted, kept = [t - top for t in logits], None
        if offsets:
            weights = [math.exp(float(t)) for t in shifted]
            m_float = sum(w * a for w, a in zip(weights, float_atoms, strict=True)) / sum(weights)
            m_centre = arb(m_float)
            kept = [(aa - m_centre) / v for aa in atoms]
        self.__dict__["_last_frame"] = (prec, centre, (shifted, kept))
        return shifted, kept

    def posterior_moments(self, x: Fraction | arb) -> tuple[arb, arb]:
        """(E[Y|x], Var(Y|x)) enclosed; x may be a ball."""
        x = to_arb(x)
        atoms, _, _, _, float_atoms = self._kernel()
        e = self._unnormalised_posterior(x)
        total = sum(e, arb(0))
        mids = [float(ej) for ej in e]
        centre = arb(sum(m * a for m, a in zip(mids, float_atoms, strict=True)) / sum(mids))
        first = arb(0)
        second = arb(0)
        for ej, aa in zip(e, atoms, strict=True):
            d = aa - centre
            ed = ej * d
            first += ed
            second += ed * d
        first = first / total
        second = second / total
        var = second - first * first
        return centre + first, var.nonnegative_part()

    def posterior_mean(self, x: Fraction | arb) -> arb:
        return self.posterior_moments(x)[0]

    def score(self, x: Fraction | arb) -> arb:
        """s(x) = (E[Y|x] - x)/v; on a ball use ``score_on_cell`` for a tighter enclosure."""
        x = to_arb(x)
        return (self.posterior_mean(x) - x) / to_arb(self.variance)

    def score_derivative(self, x: Fraction | arb) -> arb:
        v = to_arb(self.variance)
        _, var = self.posterior_moments(x)
        s1 = var / (v * v) - 1 / v
        bound = self.derivative_bound()
        return s1.intersection(ball(-1 / v, bound))

    def density(self, x: Fraction | arb) -> arb:
        x = to_arb(x)
        atoms, weights, _, _, sd = self.arbs()
        root_two_pi = _root_two_pi()
        total = arb(0)
        for w, a in zip(weights, atoms, strict=True):
            # w * standard_normal_density((x - a) / sd) / sd, inlined (a hot path on cells):
            # the same operations in the same order.
            total += w * (exp_range(-square_range((x - a) / sd) / 2) / root_two_pi) / sd
        return total

    def upper_tail_mass(self, u: Fraction | arb) -> arb:
        """P(X >= u), enclosed."""
        atoms, weights, _, _, sd = self.arbs()
        ua = to_arb(u)
        return sum(
            (w * normal_upper_tail((ua - a) / sd) for w, a in zip(weights, atoms, strict=True)),
            arb(0),
        )

    def lower_tail_mass(self, u: Fraction | arb) -> arb:
        """P(X <= u), enclosed."""
        atoms, weights, _, _, sd = self.arbs()
        ua = to_arb(u)
        return sum(
            (w * normal_upper_tail((a - ua) / sd) for w, a in zip(weights, atoms, strict=True)),
            arb(0),
        )

    def tail_moment(self, u: Fraction, centre: Fraction, power: int, *, upper: bool) -> arb:
        r""":math:`\int_{x \ge u} (x - c)^k p_\sigma(x) dx` (``upper``) or the mirror
        :math:`\int_{x \le u} (c - x)^k p_\sigma(x) dx`, for k in {0, 1, 2}, enclosed exactly."""
        sd = to_arb(self.variance).sqrt()
        total = arb(0)
        for w, a in zip(self.weights, self.atoms, strict=True):
            # Standardise: x = a + sd z on the upper side, x = a - sd z on the lower side.
            z0 = (to_arb(u) - to_arb(a)) / sd if upper else (to_arb(a) - to_arb(u)) / sd
            shift = to_arb(a - centre) if upper else to_arb(centre - a)
            m0 = normal_upper_tail(z0)
            m1 = standard_normal_density(z0)
            m2 = z0 * m1 + m0
            if power == 0:
                value = m0
            elif power == 1:
                value = sd * m1 + shift * m0
            elif power == 2:
                value = sd * sd * m2 + 2 * sd * shift * m1 + shift * shift * m0
            else:
                raise ValueError("power must be 0, 1 or 2")
            total += to_arb(w) * value
        return total

    def core(self, step: Fraction, anchor: Fraction = Fraction(0)) -> tuple[Fraction, Fraction]:
        """A core interval [lo, hi] on the lattice anchor + step Z, TAIL_SDS sds past the atoms."""
        reach = Fraction(math.ceil(TAIL_SDS * math.sqrt(float(self.variance)) * 64), 64)
        lo = min(self.atoms) - reach
        hi = max(self.atoms) + reach
        k_lo = math.floor((lo - anchor) / step)
        k_hi = math.ceil((hi - anchor) / step)
        return anchor + k_lo * step, anchor + k_hi * step


def posterior_cumulants(law: _Smoothed, x: arb, order: int) -> list[arb]:
    r"""[E[Y|x], kappa_2, ..., kappa_order] (order <= 4) of the posterior of the atom given x,
    enclosed (x may be a ball); intersected with the a-priori bounds for a law on an interval
    of length D: :math:`\kappa_2 \in [0, D^2/4]`, :math:`|\kappa_3| \le D^3/4`,
    :math:`|\kappa_4| \le D^4/4` (:math:`\mu_4 \le D^2\mu_2`, :math:`3\mu_2^2 \le 3D^4/16`).

    Derivatives of the score: :math:`s^{(n)} = \kappa_{n+1}/v^{n+1}` for n >= 2,
    :math:`s' = \kappa_2/v^2 - 1/v` (each x-derivative of a posterior cumulant is the next
    cumulant over v)."""
    atoms, _, _, _, float_atoms = law._kernel()
    e = law._unnormalised_posterior(x)
    # Sums start from their first term (0 + t is exact in arb); plain loops rather than slices
    # and generators (a hot path: the same operations in the same order).
    total = e[0]
    for ej in e[1:]:
        total = total + ej
    mids = [float(ej) for ej in e]
    centre = arb(sum([m * a for m, a in zip(mids, float_atoms, strict=True)]) / sum(mids))
    diffs = [aa - centre for aa in atoms]
    raw = []
    # e_j d_j^k as running products (e_j d_j^(k-1)) d_j: one product per atom and order.
    terms = e
    for _ in range(order):
        terms = [t * d for t, d in zip(terms, diffs, strict=True)]
        acc = terms[0]
        for t in terms[1:]:
            acc = acc + t
        raw.append(acc / total)
    m1 = raw[0]
    bound2, bound3, bound4 = law.cumulant_bounds()
    out = [centre + m1]
    if order >= 2:
        k2 = raw[1] - m1 * m1
        out.append(k2.intersection(bound2))
    if order >= 3:
        k3 = raw[2] - 3 * raw[1] * m1 + 2 * m1 * m1 * m1
        out.append(k3.intersection(bound3))
    if order >= 4:
        m1sq = m1 * m1
        k4 = raw[3] - 4 * raw[2] * m1 - 3 * raw[1] * raw[1] + 12 * raw[1] * m1sq - 6 * m1sq * m1sq
        out.append(k4.intersection(bound4))
    return out


def score_second_derivative_bound(law: _Smoothed, x: arb) -> arb:
    r""":math:`s''(x) = \kappa_3(Y|x)/v^3`, enclosed on a ball."""
    v = law.arbs()[3]
    return posterior_cumulants(law, x, 3)[2] / (v * v * v)


@dataclass
class CellData:
    """Enclosures on the cells [u_i, u_{i+1}] of the lattice u_i = lo + i h, i = 0..n.

    Point data at the nodes and centres are tight balls; ``second_on``, ``third_on`` and
    ``density_on`` are interval evaluations over the cell, used only in remainder terms or as a
    relative factor. The per-cell Taylor data (``score_mid`` .. ``density_on``, two thirds of
    the cost) are computed on first use, at the working precision of the build: C.2, C.3 and
    the product bounds read the node data only.
    """

    law: _Smoothed
    nodes: list[Fraction]
    mean_at: list[arb]  # E[Y | u_i]
    derivative_at: list[arb]  # s'(u_i)
    cdf_at: list[arb]  # P(X <= u_i)
    prec: int  # the working precision of every enclosure
    _cell_lists: tuple[list[arb], ...] | None = field(default=None, repr=False)

    def _cells(self) -> tuple[list[arb], ...]:
        if self._cell_lists is None:
            with precision(self.prec):
                self._cell_lists = _cell_taylor_data(self.law, self.nodes)
        return self._cell_lists

    @property
    def score_mid(self) -> list[arb]:  # s(c_i), c_i the cell centre
        return self._cells()[0]

    @property
    def derivative_mid(self) -> list[arb]:  # s'(c_i)
        return self._cells()[1]

    @property
    def second_mid(self) -> list[arb]:  # s''(c_i)
        return self._cells()[2]

    @property
    def second_on(self) -> list[arb]:  # s'' over the cell
        return self._cells()[3]

    @property
    def third_on(self) -> list[arb]:  # s''' over the cell
        return self._cells()[4]

    @property
    def density_on(self) -> list[arb]:  # p over the cell
        return self._cells()[5]

    @property
    def h(self) -> Fraction:
        return self.nodes[1] - self.nodes[0]

    @property
    def cells(self) -> int:
        return len(self.nodes) - 1

    def centre(self, i: int) -> Fraction:
        return (self.nodes[i] + self.nodes[i + 1]) / 2

    def mass(self, i: int) -> arb:
        return (self.cdf_at[i + 1] - self.cdf_at[i]).nonnegative_part()

    def score_on(self, i: int) -> arb:
        """s on cell i through the monotone posterior mean (see the module docstring)."""
        v = to_arb(self.law.variance)
        lo = (self.mean_at[i] - to_arb(self.nodes[i + 1])) / v
        hi = (self.mean_at[i + 1] - to_arb(self.nodes[i])) / v
        return ball(lo.lower(), hi.upper())

    def scores_on(self) -> list[arb]:
        """``[score_on(i) for i in range(cells)]`` with v and each node's ball formed once: the
        same operations on the same balls."""
        v = to_arb(self.law.variance)
        node_arbs = [to_arb(u) for u in self.nodes]
        mean_at = self.mean_at
        out = []
        for i in range(self.cells):
            lo = (mean_at[i] - node_arbs[i + 1]) / v
            hi = (mean_at[i + 1] - node_arbs[i]) / v
            out.append(ball(lo.lower(), hi.upper()))
        return out

    def derivative_on(self, i: int) -> arb:
        """s' on cell i: the mean-value form s'(c) + s''(cell) [-r, r] intersected with the
        second-order form s'(c) + s''(c) [-r, r] + s^(3)(cell) [-r^2/2, r^2/2]."""
        r = to_arb(self.h / 2)
        first = self.derivative_mid[i] + self.second_on[i] * ball(-r, r)
        second = (
            self.derivative_mid[i]
            + self.second_mid[i] * ball(-r, r)
            + self.third_on[i] * ball(-r * r / 2, r * r / 2)
        )
        return first.intersection(second)

    def derivatives_on(self) -> list[arb]:
        """``[derivative_on(i) for i in range(cells)]``, the half-width balls formed once: the
        same operations on the same balls."""
        r = to_arb(self.h / 2)
        around = ball(-r, r)
        around_sq = ball(-r * r / 2, r * r / 2)
        derivative_mid, second_mid = self.derivative_mid, self.second_mid
        second_on, third_on = self.second_on, self.third_on
        out = []
        for i in range(self.cells):
            first = derivative_mid[i] + second_on[i] * around
            second = derivative_mid[i] + second_mid[i] * around + third_on[i] * around_sq
            out.append(first.intersection(second))
        return out


# C.1-C.5, C.11 and C.12 build the same lattices for the same laws (the fixed examples and
# search draws overlap): ``cell_data`` keeps the last ones, keyed on exact values (the law's
# rationals, the lattice, the working precision), and hands out the very object it built
# (read-only by convention: no caller mutates a CellData).
_CELL_DATA: OrderedDict[tuple, CellData] = OrderedDict()
_CELL_DATA_SIZE = 48


def cell_data(law: _Smoothed, lo: Fraction, hi: Fraction, h: Fraction) -> CellData:
    """``CellData`` of the lattice lo + i h, i = 0..(hi - lo) / h (memoised, see above)."""
    import flint

    key = (law.atoms, law.weights, law.sigma, law.variance, lo, hi, h, flint.ctx.prec)
    found = _CELL_DATA.get(key)
    if found is None:
        found = _CELL_DATA[key] = _cell_data(law, lo, hi, h)
        if len(_CELL_DATA) > _CELL_DATA_SIZE:
            _CELL_DATA.popitem(last=False)
    else:
        _CELL_DATA.move_to_end(key)
    return found


def _cell_data(law: _Smoothed, lo: Fraction, hi: Fraction, h: Fraction) -> CellData:
    import flint

    n = round((hi - lo) / h)
    if lo + n * h != hi:
        raise ValueError("core must be a whole number of cells")
    # lo + i h as one reduced Fraction from integers (the same rationals as the Fraction sums).
    lo_num, lo_den, h_num, h_den = lo.numerator, lo.denominator, h.numerator, h.denominator
    nodes_den = lo_den * h_den
    nodes = [Fraction(lo_num * h_den + i * h_num * lo_den, nodes_den) for i in range(n + 1)]
    node_arbs = [to_arb(u) for u in nodes]  # each node converted once (the same enclosures)
    v = to_arb(law.variance)
    means, derivs, cdf = [], [], []
    v2, inv_v = v * v, 1 / v  # loop invariants (the same balls each time)
    # law.posterior_moments(u) and law.lower_tail_mass(u) written out (a hot path): the same
    # arb operations in the same order, the per-law parts looked up once; normal_upper_tail's
    # sqrt 2 formed once (the same ball at this precision).
    atoms, bases, kernel_v, slopes, float_atoms = law._kernel()
    _, weights, _, _, sd = law.arbs()
    frame = law._posterior_frame
    root_two = arb(2).sqrt()
    zero = arb(0)
    tail_terms = list(zip(weights, atoms, strict=True))
    for u in node_arbs:
        centre = u.mid()
        point = u.is_exact()
        shifted, offsets = frame(
            centre, atoms, bases, kernel_v, slopes, float_atoms, offsets=not point
        )
        if point:  # only the frame's logit_j - top: the offsets are for balls
            e = []
            for t in shifted:
                y = t.exp()  # _exp_positive(t)
                e.append(y if y > 0 else exp_range(t))
        else:
            rho = u - centre
            e = []
            for t, dv in zip(shifted, offsets, strict=True):
                t = t + rho * dv
                e.append(t.lower().exp().lower().union(t.upper().exp().upper()))
        # Sums from zero through ``sum`` (left to right, the loops' operations); the first and
        # second moments' accumulations are independent, so their order between them is free.
        total = sum(e, zero)
        mids = [float(ej) for ej in e]
        mean_centre = arb(sum(m * a for m, a in zip(mids, float_atoms, strict=True)) / sum(mids))
        diffs = list(map(sub, atoms, repeat(mean_centre)))
        weighted = list(map(mul, e, diffs))
        first = sum(weighted, zero) / total
        second = sum(map(mul, weighted, diffs), zero) / total
        var = second - first * first
        means.append(mean_centre + first)
        derivs.append(var.nonnegative_part() / v2 - inv_v)
        mass = sum([w * (((a - u) / sd / root_two).erfc() / 2) for w, a in tail_terms], zero)
        cdf.append(mass)
    return CellData(law, nodes, means, derivs, cdf, flint.ctx.prec)


def _cell_taylor_data(law: _Smoothed, nodes: list[Fraction]) -> tuple[list[arb], ...]:
    """(score_mid, derivative_mid, second_mid, second_on, third_on, density_on) of the cells
    between consecutive ``nodes``.

    Per cell: ``posterior_cumulants(law, c, 3)`` at the centre c, ``posterior_cumulants(law,
    cell, 4)`` and ``law.density(cell)`` on the cell, written out in one loop (the hot path of
    C.1, C.4, C.11 and C.12): the same arb operations in the same order, so the same balls,
    without the per-call lookups (the kernel, the frame, the a-priori bounds, the inner
    functions); the cell's unused E[Y|cell] and kappa_2 are not formed. Products and sums over
    the atoms go through ``map`` and ``sum`` (C loops calling the same arb operations: ``sum``
    adds left to right from its start, as the written loops did)."""
    node_arbs = [to_arb(u) for u in nodes]
    v = to_arb(law.variance)
    score_mid, deriv_mid, second_mid, second, third, dens = [], [], [], [], [], []
    v2 = v * v
    v3, v4, inv_v = v2 * v, v2 * v2, 1 / v  # loop invariants (the same balls each time)
    atoms, bases, kernel_v, slopes, float_atoms = law._kernel()
    bound2, bound3, bound4 = law.cumulant_bounds()
    _, weights, _, _, sd = law.arbs()
    root_two_pi = _root_two_pi()
    unit = _UNIT_BALL
    frame = law._posterior_frame
    density_terms = list(zip(weights, atoms, strict=True))
    # Cell centres (u_i + u_{i+1}) / 2 = (2 lo + (2i + 1) h) / 2 in integers over one
    # denominator, reduced, so each is the very enclosure to_arb gives the Fraction.
    step = nodes[1] - nodes[0] if len(nodes) > 1 else Fraction(0)
    first = nodes[0]
    denominator = 2 * first.denominator * step.denominator
    twice_first = 2 * first.numerator * step.denominator
    step_unit = step.numerator * first.denominator
    gcd = math.gcd

    def raw_moments(x: arb, count: int) -> tuple[arb, list[arb]]:
        """(m, [E_r (Y - m)^k for k = 1..count]) at x, m the float mean: the weights as
        _unnormalised_posterior forms them and the sums as posterior_cumulants does."""
        centre = x.mid()
        point = x.is_exact()
        shifted, offsets = frame(
            centre, atoms, bases, kernel_v, slopes, float_atoms, offsets=not point
        )
        if point:
            e = []
            for t in shifted:
                y = t.exp()  # _exp_positive(t)
                e.append(y if y > 0 else exp_range(t))
        else:
            rho = x - centre
            e = []
            for t, dv in zip(shifted, offsets, strict=True):
                t = t + rho * dv
                e.append(t.lower().exp().lower().union(t.upper().exp().upper()))
        total = sum(e[1:], e[0])
        mids = [float(ej) for ej in e]
        mean_centre = arb(sum([m * a for m, a in zip(mids, float_atoms, strict=True)]) / sum(mids))
        diffs = list(map(sub, atoms, repeat(mean_centre)))
        terms, raws = e, []
        for _ in range(count):
            terms = list(map(mul, terms, diffs))
            raws.append(sum(terms[1:], terms[0]) / total)
        return mean_centre, raws

    for i in range(len(nodes) - 1):
        numerator = twice_first + (2 * i + 1) * step_unit
        common = gcd(numerator, denominator)
        c = arb(numerator // common) / arb(denominator // common)

        # -- posterior_cumulants(law, c, 3): the raw moments about the float mean at c.
        mean_centre, (raw1, raw2, raw3) = raw_moments(c, 3)
        k2 = (raw2 - raw1 * raw1).intersection(bound2)
        k3 = (raw3 - 3 * raw2 * raw1 + 2 * raw1 * raw1 * raw1).intersection(bound3)
        score_mid.append((mean_centre + raw1 - c) / v)
        deriv_mid.append(k2 / v2 - inv_v)
        second_mid.append(k3 / v3)

        # -- posterior_cumulants(law, cell, 4), kappa_3 and kappa_4 only.
        lo, hi = node_arbs[i], node_arbs[i + 1]
        cell = (lo + hi) / 2 + unit * ((hi - lo) / 2)  # _ball_of_arbs(lo, hi)
        _, (raw1, raw2, raw3, raw4) = raw_moments(cell, 4)
        k3_on = (raw3 - 3 * raw2 * raw1 + 2 * raw1 * raw1 * raw1).intersection(bound3)
        m1sq = raw1 * raw1
        k4_on = raw4 - 4 * raw3 * raw1 - 3 * raw2 * raw2 + 12 * raw2 * m1sq - 6 * m1sq * m1sq
        second.append(k3_on / v3)
        third.append(k4_on.intersection(bound4) / v4)

        # -- law.density(cell), square_range and exp_range written out.
        density = arb(0)
        for w, a in density_terms:
            z = (cell - a) / sd
            z_lo, z_hi = z.lower(), z.upper()
            lo_sq, hi_sq = z_lo * z_lo, z_hi * z_hi
            top = lo_sq.max(hi_sq).upper()
            if z_lo > 0 or z_hi < 0:
                bottom = lo_sq.min(hi_sq).lower()
                sq = (bottom + top) / 2 + unit * ((top - bottom) / 2)
            else:
                sq = top / 2 + unit * (top / 2)
            y = -sq / 2
            y_lo = y.lower().exp().lower()
            y_hi = y.upper().exp().upper()
            density += w * (((y_lo + y_hi) / 2 + unit * ((y_hi - y_lo) / 2)) / root_two_pi) / sd
        dens.append(density)
    return score_mid, deriv_mid, second_mid, second, third, dens


_HALF_WIDTH_CONSTANTS: dict[tuple[Fraction, int], tuple[arb, arb, arb, arb]] = {}


def _half_width_constants(r: Fraction) -> tuple[arb, arb, arb, arb]:
    """(2r, 2r^3/3, 2r^5/5, sqrt(r^7/126)) as ``quadratic_error_integral`` forms them (the same
    operations in the same order), per half width and working precision: every cell of a
    lattice shares them."""
    import flint

    key = (r, flint.ctx.prec)
    found = _HALF_WIDTH_CONSTANTS.get(key)
    if found is None:
        if len(_HALF_WIDTH_CONSTANTS) > 64:
            _HALF_WIDTH_CONSTANTS.clear()
        ra = to_arb(r)
        r3 = ra * ra * ra
        found = (2 * ra, 2 * r3 / 3, 2 * r3 * ra * ra / 5, (r3 * r3 * ra / 126).sqrt())
        _HALF_WIDTH_CONSTANTS[key] = found
    return found


def quadratic_error_integral(
    alpha: arb, beta: arb, kappa: arb, third: arb, r: Fraction, density: arb
) -> arb:
    r"""Enclose :math:`\int_{-r}^{r} e(c+t)^2 p(c+t)\,dt` where
    :math:`e(c+t) = \alpha + \beta t + \kappa t^2 + \rho(t)`,
    :math:`|\rho(t)| \le G|t|^3/6`, G = sup|``third``|, and p ranges in ``density``.

    Minkowski in :math:`L^2(dt)`: :math:`\|q\| \pm \|\rho\|` with
    :math:`\int q^2 = 2r\alpha^2 + \tfrac{2r^3}{3}(\beta^2 + 2\alpha\kappa)
    + \tfrac{2r^5}{5}\kappa^2` and :math:`\int G^2 t^6/36 = G^2 r^7/126`.
    """
    two_r, two_r3_by_3, two_r5_by_5, root_r7_by_126 = _half_width_constants(r)
    main = two_r * alpha * alpha + two_r3_by_3 * (beta * beta + 2 * alpha * kappa)
    main += two_r5_by_5 * kappa * kappa
    main_lo = main.lower() if main.lower() > 0 else arb(0)
    root_lo, root_hi = main_lo.sqrt(), main.upper().sqrt()
    rest = third.abs_upper() * root_r7_by_126
    hi = (root_hi + rest) * (root_hi + rest)
    lo_root = root_lo - rest
    lo = lo_root * lo_root if lo_root > 0 else arb(0)
    dens_lo = density.lower() if density.lower() > 0 else arb(0)
    return ball((lo * dens_lo).lower(), (hi * density.upper()).upper())


def sliding_max_upper(values: Sequence[arb], radius: int) -> list[arb]:
    """For each i, an upper bound of the values[i - radius .. i + radius] (clipped at the ends)."""
    uppers = [v.upper() for v in values]
    out = []
    for i in range(len(values)):
        best = uppers[max(0, i - radius)]
        for w in uppers[max(0, i - radius) : i + radius + 1]:
            if w > best:
                best = w
        out.append(best)
    return out


# ---------------------------------------------------------------------------------------------
# C.1: linear interpolation of the score on the grid eps Z
# ---------------------------------------------------------------------------------------------


@dataclass
class InterpolationError:
    """Certified sides of Lemma C.1 for one law and grid width eps."""

    error: arb  # E[(s_hat - s)^2]
    window_sup: arb  # E[sup_{|c| <= eps} s'(x + c)^2]
    cells: int


def piecewise_linear_error(
    data: CellData,
    node_value: Callable[[int], arb],
    grid_step: int,
) -> arb:
    r"""Enclose :math:`\int_{core} (f - s)^2 p` for f linear between lattice nodes
    ``0, grid_step, 2 grid_step, ...`` with values ``node_value(k)`` at node k * grid_step.

    On a cell with centre c and half-width r inside grid interval I (Taylor to second order
    with Lagrange remainder): :math:`f - s = \alpha + \beta t + \kappa t^2 + \rho(t)`,
    :math:`\alpha = f(c) - s(c)`, :math:`\beta = a_I - s'(c)`, :math:`\kappa = -s''(c)/2`,
    :math:`|\rho(t)| \le \sup_{cell}|s'''|\,|t|^3/6`.
    """
    h = data.h
    n = data.cells
    total = arb(0)
    cache: dict[int, arb] = {}

    def value(k: int) -> arb:
        if k not in cache:
            cache[k] = node_value(k)
        return cache[k]

    step = to_arb(h * grid_step)
    half = h / 2
    # The cell centre's offset from its grid node, (j + 1/2) h for the j-th cell of the grid
    # interval (nodes are lo + i h exactly): the same rational, so the same enclosure, as
    # centre(i) - nodes[k * grid_step]; and one slope per grid interval.
    offsets = [to_arb(data.centre(j) - data.nodes[0]) for j in range(min(grid_step, n))]
    slopes: dict[int, arb] = {}
    score_mid, derivative_mid, second_mid = data.score_mid, data.derivative_mid, data.second_mid
    third_on, density_on = data.third_on, data.density_on
    # quadratic_error_integral(alpha, beta, kappa, third_on[i], half, density_on[i]) written
    # out below (a hot path): the same operations in the same order.
    two_r, two_r3_by_3, two_r5_by_5, root_r7_by_126 = _half_width_constants(half)
    zero = arb(0)
    for i in range(n):
        k = i // grid_step
        left = value(k)
        slope = slopes.get(k)
        if slope is None:
            slope = slopes[k] = (value(k + 1) - left) / step
        f_centre = left + slope * offsets[i - k * grid_step]
        alpha = f_centre - score_mid[i]
        beta = slope - derivative_mid[i]
        kappa = -second_mid[i] / 2
        main = two_r * alpha * alpha + two_r3_by_3 * (beta * beta + 2 * alpha * kappa)
        main += two_r5_by_5 * kappa * kappa
        main_lo = main.lower()  # formed once (a pure function of main: the same ball)
        if not main_lo > 0:
            main_lo = zero
        root_lo, root_hi = main_lo.sqrt(), main.upper().sqrt()
        rest = third_on[i].abs_upper() * root_r7_by_126
        hi = (root_hi + rest) * (root_hi + rest)
        lo_root = root_lo - rest
        lo = lo_root * lo_root if lo_root > 0 else zero
        density = density_on[i]
        dens_lo = density.lower()
        if not dens_lo > 0:
            dens_lo = zero
        product_lo, product_hi = (lo * dens_lo).lower(), (hi * density.upper()).upper()
        # ball(product_lo, product_hi) on arbs: the same operations, without the conversions.
        total += (product_lo + product_hi) / 2 + _UNIT_BALL * ((product_hi - product_lo) / 2)
    return total


def interpolation_error(
    mixture: FiniteMixture, sigma: Fraction, eps: Fraction, subcells: int
) -> InterpolationError:
    r"""Enclose :math:`E(\hat s - s)^2` and :math:`E\sup_{|c|\le\epsilon} s'(x+c)^2`.

    Grid :math:`x_i = i\epsilon`; cells of width :math:`h = \epsilon/M`. The error integral uses
    ``piecewise_linear_error``. The window sup on a cell J is at most the largest :math:`s'^2`
    over the 2M+1 cells around J, and at least :math:`\max s'(t)^2` over the lattice nodes t in
    :math:`[u_1-\epsilon, u_0+\epsilon]` (a window inside every point's window). Outside the core,
    :math:`(\hat s - s)^2 \le \epsilon^2 \sup|s'|^2` (mean value theorem on the grid interval)
    and the window sup lies in :math:`[0, \sup|s'|^2]`, times the tail mass.
    """
    law = smoothed(mixture, sigma)
    m = subcells
    h = eps / m
    lo, hi = law.core(eps)
    data = cell_data(law, lo, hi, h)
    n = data.cells
    base = round(lo / eps)
    error = piecewise_linear_error(data, lambda k: law.score((base + k) * eps), m)
    # The lower ends of the nodes' s'^2 (exact points) taken once: the window maxima below are
    # sliding_max_lower's, the same points.
    node_sq_lower = [square_range(d).lower() for d in data.derivative_at]
    cell_sq_upper = sliding_max_upper([square_range(d) for d in data.derivatives_on()], m)
    window_lo = arb(0)
    window_hi = arb(0)
    for i in range(n):
        mass = data.mass(i)
        start = max(0, i + 1 - m)
        lower_sup = node_sq_lower[start]
        for w in node_sq_lower[start : min(n, i + m) + 1]:
            if w > lower_sup:
                lower_sup = w
        window_lo += mass.lower() * lower_sup
        window_hi += mass.upper() * cell_sq_upper[i]
    sup_sq = _ipow(law.derivative_bound(), 2)
    tail = law.lower_tail_mass(lo) + law.upper_tail_mass(hi)
    error += ball(0, (to_arb(eps) ** 2 * sup_sq * tail).upper())
    # Beyond the core, and for the M cells at each core end whose windows leave the core.
    edge = sum((data.mass(i) for i in [*range(min(m, n)), *range(max(0, n - m), n)]), arb(0))
    window_hi += (sup_sq * (tail + edge)).upper()
    return InterpolationError(error, ball(window_lo.lower(), window_hi.upper()), n)


# ---------------------------------------------------------------------------------------------
# C.2: far from the mean; C.3: where the score is large
# ---------------------------------------------------------------------------------------------


def _lattice(law: _Smoothed, anchor: Fraction, step: Fraction) -> CellData:
    lo, hi = law.core(step, anchor)
    return cell_data(law, lo, hi, step)


def _tail_score_square(law: _Smoothed, lo: Fraction, hi: Fraction) -> arb:
    r"""Upper bound of :math:`E[s^2; x \le lo] + E[s^2; x \ge hi]` for lo <= min atom, hi >= max
    atom: there :math:`|s(x)| \le |x - a_{far}|/v` because E[Y|x] lies in [a_min, a_max]."""
    v = to_arb(law.variance)
    upper_side = law.tail_moment(hi, min(law.atoms), 2, upper=True)
    lower_side = law.tail_moment(lo, max(law.atoms), 2, upper=False)
    return (upper_side + lower_side) / (v * v)


@dataclass
class FarFromMean:
    """Certified quantities of Lemma C.2 at distance t from the mean mu."""

    probability: arb  # P(|x - mu| >= t)
    score_square: arb  # E[s^2 ; |x - mu| >= t]
    worst_bounded: arb  # E[(|s| + L)^2 ; |x - mu| >= t] = sup over |g| <= L of E[(g - s)^2; ...]


def far_from_mean(
    mixture: FiniteMixture, sigma: Fraction, t: Fraction, cap: Fraction, cells: int
) -> FarFromMean:
    """Cells of width dividing 2t, anchored at mu - t, so that |x - mu| >= t is a union of cells
    inside the core; beyond max(core end, mu + t) (and below min(core start, mu - t)) the
    Gaussian tail moments bound the rest."""
    law = smoothed(mixture, sigma)
    mu = law.mean
    step = 2 * t / max(1, math.ceil(2 * t * cells / math.sqrt(float(law.variance))))
    data = _lattice(law, mu - t, step)
    lo, hi = data.nodes[0], data.nodes[-1]
    prob = law.lower_tail_mass(mu - t) + law.upper_tail_mass(mu + t)
    sq = arb(0)
    worst = arb(0)
    cap_a = to_arb(cap)
    scores = data.scores_on()
    for i in range(data.cells):
        if mu - t < data.nodes[i + 1] and data.nodes[i] < mu + t:
            continue
        score = scores[i]
        mass = data.mass(i)
        sq += square_range(score) * mass
        root = ball(score.abs_lower(), score.abs_upper())
        worst += square_range(root + cap_a) * mass
    tail_lo, tail_hi = min(lo, mu - t), max(hi, mu + t)
    tail_sq = _tail_score_square(law, tail_lo, tail_hi)
    tail_mass = law.lower_tail_mass(tail_lo) + law.upper_tail_mass(tail_hi)
    sq += ball(0, tail_sq.upper())
    # (|s| + L)^2 <= 2 s^2 + 2 L^2
    worst += ball(0, (2 * tail_sq + 2 * cap_a * cap_a * tail_mass).upper())
    return FarFromMean(prob, sq, worst)


@dataclass
class LargeScore:
    """Certified quantities of Lemma C.3 for a window eps and a level L."""

    window_probability: arb  # P(sup_{|c|<=eps} |s(x+c)| >= L)
    window_score_square: arb  # E[s^2 ; sup_{|c|<=eps} |s(x+c)| >= L]
    excess_square: arb  # E[(|s| - L)_+^2]
    level_score_square: arb  # E[s^2 ; |s| > L]


def large_score(
    mixture: FiniteMixture, sigma: Fraction, eps: Fraction, level: Fraction, subcells: int
) -> LargeScore:
    r"""Cells of width eps/M on the lattice eps Z. A cell J = [u_0, u_1] lies in the window event
    B for certain when a lattice node in :math:`[u_1 - \epsilon, u_0 + \epsilon]` has
    :math:`|s| \ge L` for certain, and possibly when some cell within eps of J has
    :math:`\sup |s| \ge L`. Beyond the core everything counts as possibly in B, with
    :math:`s^2 \le (x - a_{far})^2/v^2`."""
    law = smoothed(mixture, sigma)
    m = subcells
    data = _lattice(law, Fraction(0), eps / m)
    n = data.cells
    v = to_arb(law.variance)
    lev = to_arb(level)
    node_abs = [abs((data.mean_at[j] - to_arb(data.nodes[j])) / v) for j in range(n + 1)]
    cell_score = data.scores_on()
    cell_abs_upper = [s.abs_upper() for s in cell_score]
    cell_abs_lower = [s.abs_lower() for s in cell_score]
    # Upper bounds: an undecided comparison (lev is a ball when L is not dyadic) counts as
    # "possibly true"; lower bounds (``node_certain``, ``bottom`` below) need it decided. Each
    # comparison is made once per node or cell; the windows below take ``any`` over them.
    node_certain = [a.lower() >= lev for a in node_abs]
    cell_possible = [possibly_ge(u, lev) for u in cell_abs_upper]
    prob_lo, prob_hi = arb(0), arb(0)
    sq_lo, sq_hi = arb(0), arb(0)
    exc_lo, exc_hi = arb(0), arb(0)
    lev_lo, lev_hi = arb(0), arb(0)
    zero = arb(0)
    for i in range(n):
        mass = data.mass(i)
        sq = square_range(cell_score[i])
        mass_sq = mass * sq
        certain = any(node_certain[max(0, i + 1 - m) : min(n, i + m) + 1])
        possible = any(cell_possible[max(0, i - m) : i + m + 1]) or i < m or i >= n - m
        if certain:
            prob_lo += mass.lower()
            sq_lo += mass_sq.lower()
        if possible:
            prob_hi += mass.upper()
            sq_hi += mass_sq.upper()
        # (|s| - L)_+ on the cell, from the range of |s|.
        top = cell_abs_upper[i] - lev
        bottom = cell_abs_lower[i] - lev
        if possibly_ge(top, zero):
            top_up = top.upper()  # (|s| - L)_+ <= max(top, 0) <= top.upper()
            exc_hi += (mass * top_up * top_up).upper()
            lev_hi += mass_sq.upper()
        if bottom > 0:
            exc_lo += (mass * bottom * bottom).lower()
            lev_lo += mass_sq.lower()
    lo, hi = data.nodes[0], data.nodes[-1]
    tail_mass = (law.lower_tail_mass(lo) + law.upper_tail_mass(hi)).upper()
    tail_sq = _tail_score_square(law, lo, hi).upper()
    prob_hi += tail_mass
    sq_hi += tail_sq
    exc_hi += tail_sq
    lev_hi += tail_sq
    return LargeScore(
        ball(prob_lo, prob_hi),
        ball(sq_lo, sq_hi),
        ball(exc_lo, exc_hi),
        ball(lev_lo, lev_hi),
    )


def normal_tail_quantile_below(delta: arb) -> arb:
    r"""A point t >= 0 with :math:`2\bar\Phi(t) \ge \delta` (so t is at most the true
    :math:`\bar\Phi^{-1}(\delta/2)`), found by bisection in floats and checked in arb."""
    target = float(delta.mid())
    lo, hi = 0.0, 40.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if 2 * normal_upper_tail_float(mid) >= target:
            lo = mid
        else:
            hi = mid
    t = Fraction(lo)
    decrement = Fraction(1, 2**50)
    while t > 0 and not (2 * normal_upper_tail(to_arb(t)) >= delta):
        t = max(Fraction(0), t - decrement)
        decrement *= 2
    return to_arb(t)


def h2_tail_bound(delta: arb) -> arb:
    r"""Upper bound of the H.2 factor :math:`\delta + 2t\phi(t)`,
    :math:`t = \bar\Phi^{-1}(\delta/2)` (:math:`= E[Z^2; |Z| \ge t]`, a decreasing function
    of t; so a t below the quantile gives an upper bound:
    :math:`2\bar\Phi(t_-) + 2 t_- \phi(t_-)`)."""
    if not delta < 1:
        return arb(1)
    t = normal_tail_quantile_below(delta)
    value = 2 * normal_upper_tail(t) + 2 * t * standard_normal_density(t)
    return value if value < 1 else arb(1)


# ---------------------------------------------------------------------------------------------
# C.4: the capped, clipped piecewise-linear approximation
# ---------------------------------------------------------------------------------------------

# H.1.conj (the conjectured sharp constant; H.1 proves only 84.5) used by the C.3/C.4
# derivations: E sup_{|c| <= sigma/4} s'(x+c)^2 <= K / sigma^4.
# Search over atomic laws (this module's screen, and H.1's own check) finds about 2.1 (a comb of
# equal atoms about 4.75 sigma apart); K = 3 leaves a margin.
H1_KAPPA = Fraction(1, 4)
H1_K = Fraction(3)
# That comb (atoms 4.75 sigma apart, sigma = 1): the law the C.1-C.4 examples start from.
H1_COMB = {
    "sigma": 1.0,
    "means": [-9.5, -4.75, 0.0, 4.75, 9.5],
    "weights": [1.0, 1.0, 1.0, 1.0, 1.0],
    "stds": [0.0] * 5,
}
VALUE_DENOMINATOR = 2**20  # node values are rounded to this grid before clipping


def _sqrt_ceil(value: Fraction, denominator: int) -> Fraction:
    """The least multiple of 1/denominator whose square is >= value."""
    guess = Fraction(math.ceil(math.sqrt(float(value)) * denominator), denominator)
    while guess * guess < value:
        guess += Fraction(1, denominator)
    while guess > 0 and (guess - Fraction(1, denominator)) ** 2 >= value:
        guess -= Fraction(1, denominator)
    return guess


def _dyadic_floor_sqrt(value: Fraction) -> Fraction:
    """A power of two 2^-j (or 2^j) whose square is <= value, within a factor 2 of sqrt(value)."""
    out = Fraction(1)
    while out * out > value:
        out /= 2
    while (2 * out) * (2 * out) <= value:
        out *= 2
    return out


@dataclass(frozen=True)
class CappedParameters:
    r"""The explicit parameter choice of the C.4 construction (``lemmas/c04_c05_capped_products``).

    With :math:`a = \sqrt{\delta/2}`: grid width :math:`\epsilon \le \min(\sigma/4,
    \sigma^2 a/(2\sqrt K))` (a power of two times nothing else), cap
    :math:`L \ge 4\sqrt3/(\sigma^2 a)`, half-width :math:`T \ge 8\sqrt3\,\sqrt{m_2}/(\sigma^2 a^2)
    = 16\sqrt{3 m_2}/(\sigma^2\delta)`, N = ceil(T/eps) grid steps each side of the mean.
    """

    eps: Fraction
    cap: Fraction
    half_width: Fraction
    steps: int
    centre: Fraction

    @property
    def pieces_bound(self) -> Fraction:
        return 2 * self.half_width / self.eps + 4

    @property
    def slope_bound(self) -> Fraction:
        return 2 * self.cap / self.eps

    @property
    def breakpoint_bound(self) -> Fraction:
        return abs(self.centre) + self.half_width + self.eps


def capped_parameters(
    sigma: Fraction, delta: Fraction, mean: Fraction, second_moment: Fraction
) -> CappedParameters:
    sigma, delta = Fraction(sigma), Fraction(delta)
    if not (0 < delta * sigma**2 < 1):
        raise ValueError("need 0 < delta sigma^2 < 1 (delta >= 1/sigma^2 is met by f = 0)")
    # eps^2 <= sigma^4 a^2 / (4K) = sigma^4 delta / (8K), and eps <= sigma/4.
    eps = min(_dyadic_floor_sqrt(sigma**4 * delta / (8 * H1_K)), _dyadic_floor_sqrt(sigma**2 / 16))
    # L^2 >= 48 / (sigma^4 a^2) = 96 / (sigma^4 delta)
    cap = _sqrt_ceil(96 / (sigma**4 * delta), 64)
    # T^2 >= 768 m2 / (sigma^4 delta^2)
    half = _sqrt_ceil(768 * second_moment / (sigma**4 * delta**2), 64)
    steps = math.ceil(half / eps)
    return CappedParameters(eps, cap, half, steps, Fraction(mean))


def grid_interpolant(
    mixture: FiniteMixture,
    sigma: Fraction,
    centre: Fraction,
    step: Fraction,
    steps: int,
    cap: Fraction,
    denominator: int = VALUE_DENOMINATOR,
):
    """Interpolate clip(round(s(x_i)), -cap, cap) on x_i = centre + i step, |i| <= steps,
    constant beyond; values rounded to multiples of 1/denominator. Node values come from the
    float score: the rounding only changes which rational function is built, whose properties
    and error are then checked exactly or certified.

    Fast form of the same function (pieces grow like delta^-3/2): s(x) = (E[a | x] - x) / v
    with E[a | x] between the extreme atoms, so for x >= max a + v (cap + 1) the score is below
    -cap - 1 and the node value is -cap whatever the float rounding (mirror on the left); those
    nodes are not evaluated. The float score of the others is vectorised and rounded in
    integers (round half to even, as ``round``), and interior nodes where f is collinear with
    its neighbours (constant runs at the cap, exact linear stretches) are dropped: the same
    function with fewer, merged pieces; both end nodes x_{+-steps} stay breakpoints.
    """
    from verify.maths.nets.pwl import PiecewiseLinear

    law = smoothed(mixture, sigma)
    n = steps
    reach = law.variance * (cap + 1)
    first = max(-n, min(n, math.floor((min(law.atoms) - reach - centre) / step)))
    last = max(first, min(n, math.ceil((max(law.atoms) + reach - centre) / step)))
    middle = range(first, last + 1)
    # float(centre + i step) in integers: a ratio of ints is correctly rounded like Fraction's
    # float (reduced or not), and integer arithmetic is far cheaper than Fraction's.
    centre, step = Fraction(centre), Fraction(step)
    denominator_x = centre.denominator * step.denominator
    base = centre.numerator * step.denominator
    increment = step.numerator * centre.denominator
    floats = np.array([(base + i * increment) / denominator_x for i in middle])
    raw = law.score_np(floats)
    cap_units = cap * denominator
    if cap_units.denominator != 1:
        raise ValueError("cap must be a multiple of 1/denominator")
    top = int(cap_units)
    units = np.clip(np.rint(raw * denominator), -top, top).astype(np.int64)
    index = np.arange(first, last + 1, dtype=np.int64)
    if first > -n:
        index = np.concatenate(([-n], index))
        units = np.concatenate(([top], units))
    if last < n:
        index = np.concatenate((index, [n]))
        units = np.concatenate((units, [-top]))
    # Keep a node unless it lies on the segment of its neighbours (exact integer test).
    keep = np.ones(len(index), dtype=bool)
    if len(index) > 2:
        left = (units[1:-1] - units[:-2]) * (index[2:] - index[1:-1])
        right = (units[2:] - units[1:-1]) * (index[1:-1] - index[:-2])
        keep[1:-1] = left != right
    # Fraction sums here, not one Fraction from the integers above: the centre's denominator can
    # be large, and Fraction's addition reduces by the gcd of the denominators (far cheaper).
    xs = [centre + int(i) * step for i in index[keep]]
    ys = [Fraction(int(u), denominator) for u in units[keep]]
    return PiecewiseLinear.from_points(xs, ys, Fraction(0), Fraction(0))


def capped_approximation(mixture: FiniteMixture, sigma: Fraction, delta: Fraction):
    """The C.4 function (see ``CappedParameters``): (PiecewiseLinear, CappedParameters)."""
    law = smoothed(mixture, sigma)
    params = capped_parameters(law.sigma, delta, law.mean, law.second_moment)
    f = grid_interpolant(mixture, sigma, params.centre, params.eps, params.steps, params.cap)
    return f, params


def pwl_error(
    mixture: FiniteMixture,
    sigma: Fraction,
    f,
    grid_anchor: Fraction,
    grid_step: Fraction,
    subcells: int,
    value_bound: Fraction,
) -> arb:
    r"""Certified :math:`E_{x\sim p_\sigma}(f(x) - s(x))^2` for a continuous piecewise-linear
    f whose breakpoints lie on ``grid_anchor + grid_step Z`` and with :math:`|f| \le`
    ``value_bound``. Core cells of width grid_step/M; beyond the core
    :math:`(f - s)^2 \le 2B^2 + 2 s^2` with the tail bound of ``_tail_score_square``."""
    law = smoothed(mixture, sigma)
    # The grid index (t - anchor) / step of each breakpoint, in integers: with t = p/q,
    # anchor = A/B, step = S/T it is (p B - A q) T / (q B S), an integer iff the division is
    # exact (the same test and the same integers as the Fraction expressions, without one
    # Fraction per breakpoint and operation).
    grid_anchor, grid_step = Fraction(grid_anchor), Fraction(grid_step)
    anchor_num, anchor_den = grid_anchor.numerator, grid_anchor.denominator
    step_num, step_den = grid_step.numerator, grid_step.denominator
    grid_indices = []
    for t in f.breakpoints:
        p, q = t.numerator, t.denominator
        index, rest = divmod(
            (p * anchor_den - anchor_num * q) * step_den, q * anchor_den * step_num
        )
        if rest:
            raise ValueError("pwl_error needs every breakpoint of f on the grid")
        grid_indices.append(index)
    # The core must start on the grid: piecewise_linear_error takes blocks of ``subcells``
    # cells from the first node as the grid intervals on which f is linear.
    lo, hi = law.core(grid_step, grid_anchor)
    data = cell_data(law, lo, hi, grid_step / subcells)
    first = data.nodes[0]
    # Grid points x = first + k grid_step: breakpoints are a subset (integer k_i), so f(x) is
    # exactly f(t_i) + a (k - k_i) grid_step on the piece of slope a that holds x, with t_i its
    # left end (t_1 on the first piece): the same rational as f(x), from integers and one
    # Fraction per piece instead of rational grid points, comparisons and a search among them.
    # (t_i - first) / step = k_i - k_first, k_first = (first - anchor) / step: an integer
    # whenever the breakpoints' indices are (the core starts on the grid).
    if grid_indices:
        first_index = (first - grid_anchor) / grid_step
        if first_index.denominator != 1:
            raise ValueError("the core must start on the grid of the breakpoints")
        knots = [k - first_index.numerator for k in grid_indices]
    else:
        knots = []
    at_knots = f.values_at_breakpoints()

    # f(t_i) = p_i / q_i and the rise r / s = a grid_step (f's change per grid step on each
    # piece), reduced, in integers: f(x) = (p_i s + r (k - k_i) q_i) / (q_i s), reduced, is the
    # very Fraction (so the very enclosure) of the Fraction expression.
    at_pairs = [(y.numerator, y.denominator) for y in at_knots]
    rise_pairs = []
    for a in f.slopes:
        rise_num, rise_den = a.numerator * step_num, a.denominator * step_den
        common = math.gcd(rise_num, rise_den)
        rise_pairs.append((rise_num // common, rise_den // common))

    def value(k: int) -> arb:
        piece = bisect_right(knots, k)
        anchor = max(piece - 1, 0)
        p, q = at_pairs[anchor]
        r, s = rise_pairs[piece]
        numerator, denominator = p * s + r * (k - knots[anchor]) * q, q * s
        common = math.gcd(numerator, denominator)
        return arb(numerator // common) / arb(denominator // common)

    error = piecewise_linear_error(data, value, subcells)
    lo, hi = data.nodes[0], data.nodes[-1]
    tail_mass = law.lower_tail_mass(lo) + law.upper_tail_mass(hi)
    b = to_arb(value_bound)
    tail = 2 * b * b * tail_mass + 2 * _tail_score_square(law, lo, hi)
    return error + ball(0, tail.upper())


# ---------------------------------------------------------------------------------------------
# Parameters of a law (JSON-native) and the search strategy shared by C.1-C.5, C.11, C.12
# ---------------------------------------------------------------------------------------------

MAX_ATOMS = 8
MAX_SPREAD_SIGMAS = 40


def _real(value: Any, name: str) -> Fraction:
    from verify.core.errors import DomainError

    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise DomainError(f"{name} must be a real number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise DomainError(f"{name} must be finite, got {value!r}")
    try:
        number = Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise DomainError(f"{name} must be a real number, got {value!r}") from None
    return number


def law_from_params(params: dict[str, Any], sigma: Any = None) -> tuple[FiniteMixture, Fraction]:
    """``{"sigma", "means", "stds", "weights"}`` -> (``FiniteMixture``, sigma), exact (weights
    normalised exactly; "stds" optional, all equal: one component width, 0 for atoms)."""
    from verify.core.errors import DomainError

    if sigma is None and "sigma" not in params:
        raise DomainError("missing parameter 'sigma'")
    sigma = _real(params["sigma"] if sigma is None else sigma, "sigma")
    if not Fraction(1, 10**6) <= sigma <= 10**6:
        raise DomainError(f"sigma must lie in [1e-6, 1e6], got {float(sigma)}")
    means, weights = params.get("means"), params.get("weights")
    if not isinstance(means, list) or not isinstance(weights, list):
        raise DomainError("a law needs lists 'means' and 'weights'")
    if not 1 <= len(means) <= MAX_ATOMS or len(weights) != len(means):
        raise DomainError(f"a law needs 1..{MAX_ATOMS} means and one weight per mean")
    stds = params.get("stds", [0] * len(means))
    if not isinstance(stds, list) or len(stds) != len(means):
        raise DomainError("'stds' must be a list with one std per mean")
    xs = [_real(a, "mean") for a in means]
    ws = [_real(w, "weight") for w in weights]
    ts = [_real(t, "std") for t in stds]
    if any(w <= 0 for w in ws):
        raise DomainError("weights must be positive")
    if len(set(ts)) != 1 or not 0 <= ts[0] <= 10 * sigma:
        raise DomainError("stds must be equal (one component width) and in [0, 10 sigma]")
    if any(abs(a) > 10**6 * sigma for a in xs):
        raise DomainError("means must lie within 1e6 sigma of 0")
    if max(xs) - min(xs) > MAX_SPREAD_SIGMAS * sigma:
        raise DomainError(f"means spread more than {MAX_SPREAD_SIGMAS} sigma (cost limit)")
    return FiniteMixture(xs, ts, ws), sigma


def law_strategy(sigma=None):
    """Hypothesis strategy of law parameter dicts: 1..6 atoms on the lattice sigma/4 Z within
    +-10 sigma (with a comb option, the H.1 worst case: equal gaps 4..5.5 sigma), integer
    weights 1..32 (or equal), one std in {0, sigma/2, sigma}. Pass ``sigma`` (a strategy) to
    share one sigma between coordinates."""
    from hypothesis import strategies as st

    sigmas = st.sampled_from([0.25, 0.5, 1.0, 2.0]) if sigma is None else sigma

    @st.composite
    def build(draw):
        s = draw(sigmas)
        count = draw(st.integers(1, 6))
        if draw(st.booleans()):
            gap = draw(st.integers(16, 22)) / 4
            ks = [round(i * gap * 4) for i in range(count)]
            ks = [k - ks[-1] // 2 for k in ks]
        else:
            ks = sorted(set(draw(st.lists(st.integers(-40, 40), min_size=count, max_size=count))))
        if draw(st.booleans()):
            weights = [1.0] * len(ks)
        else:
            weights = [float(draw(st.integers(1, 32))) for _ in ks]
        # The draw of the former tau2 ratio {0, 0, 1/4, 1}: the std is exactly sqrt(ratio) s.
        std_ratio = {0.0: 0.0, 0.25: 0.5, 1.0: 1.0}[draw(st.sampled_from([0.0, 0.0, 0.25, 1.0]))]
        return {
            "sigma": s,
            "means": [k * s / 4 for k in ks],
            "weights": weights,
            "stds": [std_ratio * s] * len(ks),
        }

    return build()


# ---------------------------------------------------------------------------------------------
# The law parameters as a declared domain (C.1-C.5, C.11, C.12): specs and constraints that a
# lemma's ``Domain`` spreads into its own declaration, and the spec of a product law's "coords".
# ---------------------------------------------------------------------------------------------


def _num(value: Any) -> Fraction:
    """A parameter value that passed its spec's check, as an exact rational."""
    return Fraction(value)


def law_specs() -> dict[str, Any]:
    """The specs of the parameters ``law_from_params`` reads ("stds" optional, default 0)."""
    from verify.core.domain import Real, Reals

    return {
        "sigma": Real(1e-6, 1e6, doc="the smoothing level"),
        "means": Reals(
            Real(-math.inf, math.inf, lo_open=True, hi_open=True), 1, MAX_ATOMS, doc="the means a_j"
        ),
        "weights": Reals(
            Real(0, math.inf, lo_open=True, hi_open=True),
            1,
            MAX_ATOMS,
            doc="normalised",
        ),
        "stds": Reals(
            Real(0, math.inf, hi_open=True), 1, MAX_ATOMS, doc="one common std (0: atoms)"
        ),
    }


def _atoms_within(params: dict[str, Any], sigma: Any) -> bool:
    atoms = [_num(a) for a in params["means"]]
    return all(abs(a) <= 10**6 * sigma for a in atoms) and max(atoms) - min(
        atoms
    ) <= MAX_SPREAD_SIGMAS * _num(sigma)


def law_constraints(sigma_of=lambda p: p["sigma"]) -> tuple[Any, ...]:
    """The constraints tying a law's parameters together (``sigma_of`` reads its sigma)."""
    from verify.core.domain import Constraint

    return (
        Constraint(
            "one weight and one std per mean",
            lambda p: len(p["means"]) == len(p["weights"]) == len(p.get("stds", p["means"])),
        ),
        Constraint(
            "one common std, at most 10 sigma",
            lambda p: (
                len({_num(t) for t in p.get("stds", [0])}) == 1
                and _num(p.get("stds", [0])[0]) <= 10 * _num(sigma_of(p))
            ),
        ),
        Constraint(
            f"|a_j| <= 1e6 sigma, means spread at most {MAX_SPREAD_SIGMAS} sigma (cost limit)",
            lambda p: _atoms_within(p, _num(sigma_of(p))),
        ),
    )


def law_domain(*constraints: Any, optional: tuple[str, ...] = (), **specs: Any) -> Any:
    """A lemma's ``Domain``: a law's parameters (``law_specs``, "stds" optional) with their
    constraints, plus the lemma's own parameters and constraints."""
    from verify.core.domain import Domain

    return Domain(
        *law_constraints(), *constraints, optional=("stds", *optional), **law_specs(), **specs
    )


def law_params_with(draw_extra: Callable[[Any, float], dict[str, Any]]) -> Callable[[], Any]:
    """The search of a law lemma: a law from ``law_strategy`` (atoms on the lattice sigma/4 Z,
    points the law domain accepts; not the domain's independent draws), then the lemma's own
    parameters, drawn by ``draw_extra(draw, sigma)`` in that order."""
    from hypothesis import strategies as st

    @st.composite
    def build(draw):
        law = draw(law_strategy())
        law.update(draw_extra(draw, law["sigma"]))
        return law

    return build


@dataclass(frozen=True)
class CoordinateLaws:
    """Domain spec of "coords": a list of 1..``max_size`` coordinate laws {"means", "weights",
    "stds"} sharing the point's "sigma" (the product laws of C.5 and C.12). Duck-types the
    ``verify.core.domain`` specs (check, text); the lemmas draw their own product laws."""

    max_size: int = 4
    doc: str = ""

    def check(self, name: str, params: dict[str, Any]) -> tuple[list[FiniteMixture], Fraction]:
        from verify.core.domain import Domain
        from verify.core.errors import DomainError

        coords = params.get(name)
        if not isinstance(coords, list) or not 1 <= len(coords) <= self.max_size:
            raise DomainError(f"{name} must be a list of 1..{self.max_size} coordinate laws")
        specs = {k: v for k, v in law_specs().items() if k != "sigma"}
        sigma = params.get("sigma")
        domain = Domain(*law_constraints(lambda p: sigma), optional=("stds",), **specs)
        for i, coord in enumerate(coords):
            if not isinstance(coord, dict):
                raise DomainError(f"{name}[{i}] must be a dict with means, weights, stds")
            domain.validate(coord)
        return product_laws(params)

    def text(self, name: str) -> str:
        return f"{name}: 1 to {self.max_size} laws {{means, weights, stds}} sharing sigma"

    def strategy(self) -> Any:
        raise NotImplementedError("product laws are drawn by the lemma's own strategy")


def product_laws(params: dict[str, Any]) -> tuple[list[FiniteMixture], Fraction]:
    """(coordinate laws, sigma) of {"sigma", "coords": [{"means", "weights", "stds"}, ...]}."""
    from verify.core.errors import DomainError

    coords = params.get("coords")
    if not isinstance(coords, list) or not 1 <= len(coords) <= 4:
        raise DomainError("a product law needs a list 'coords' of 1..4 coordinate laws")
    if not all(isinstance(c, dict) for c in coords):
        raise DomainError("each coordinate law is a dict with means, weights, stds")
    found = [law_from_params(c, params.get("sigma")) for c in coords]
    return [law for law, _ in found], found[0][1]


def window_sup_by_grid_maxima(law: FiniteMixture, sigma: Fraction, eps: Fraction) -> arb:
    """E sup_{|c| <= eps} s'(x + c)^2 by ``verify.maths.laws.window_sup_moment``: a second
    algorithm (grid-point sliding maxima with second-order cell bounds) for the quantity that
    ``interpolation_error`` computes with Taylor-model cells; C.1 cross-checks the two (both
    are kept on purpose). The same ``FiniteMixture`` goes to both: no conversion."""
    from verify.maths.laws import window_sup_moment

    return window_sup_moment(law, sigma, [eps / sigma])[eps / sigma]


# Cells per sigma of the C.1-C.3 certified integrals (cells no wider than sigma/16).
CELLS_PER_SIGMA = 16


def ratio_to_sigma(params: dict[str, Any], name: str) -> Fraction:
    """``params[name] / params["sigma"]``, exact (the scale-free form of a lemma's parameter)."""
    return Fraction(params[name]) / Fraction(params["sigma"])


def subcells(eps: Fraction, sigma: Fraction) -> int:
    """Sub-cells per grid step of width eps, so that cells are no wider than sigma/16."""
    return max(2, math.ceil(CELLS_PER_SIGMA * eps / sigma))


# The paper's regime for the capped constructions (C.4, C.11, C.12): delta sigma^2 down to 1/1024.
MIN_DELTA_SIGMA2 = Fraction(1, 1024)


def delta_sigma2_in_range(params: dict[str, Any], share: int = 1) -> bool:
    """1/1024 <= delta sigma^2 / share < 1 (share: the coordinates splitting delta, C.12)."""
    value = Fraction(params["delta"]) * Fraction(params["sigma"]) ** 2 / share
    return MIN_DELTA_SIGMA2 <= value < 1
