"""Product laws p = p_1 x ... x p_d of one-dimensional smoothed laws (C.5, C.12): the joint
score computed from the joint mixture over all atom tuples (without the product structure),
a sampler, and the coarse coordinatewise interpolant C.5 checks by Monte Carlo.

The coordinate laws are ``FiniteMixture`` with one component width each, smoothed at one shared
sigma (``score_approx.product_laws``); each function takes ``(laws, sigma)``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import arb

from verify.core.numbers import to_arb
from verify.maths.laws import FiniteMixture
from verify.maths.score_approx import TAIL_SDS, grid_interpolant, smoothed


def joint_scores_arb(
    mixtures: list[FiniteMixture], sigma: Fraction, x: list[Fraction]
) -> list[arb]:
    """Score of the joint mixture over all atom tuples at x, enclosed, coordinate by
    coordinate (the second computation against the product form s(x)_i = s_i(x_i))."""
    laws = [smoothed(m, sigma) for m in mixtures]
    tuples = list(itertools.product(*[range(len(law.atoms)) for law in laws]))
    logits = []
    for idx in tuples:
        value = arb(0)
        for law, j, xi in zip(laws, idx, x, strict=True):
            a = to_arb(law.atoms[j])
            value += to_arb(law.weights[j]).log() - (to_arb(xi) - a) ** 2 / (
                2 * to_arb(law.variance)
            )
        logits.append(value)
    top = max(logits, key=lambda t: float(t.mid()))
    e = [(t - top).exp() for t in logits]
    total = sum(e, arb(0))
    scores = []
    for i, law in enumerate(laws):
        mean = sum(
            (ej * to_arb(law.atoms[idx[i]]) for ej, idx in zip(e, tuples, strict=True)), arb(0)
        )
        scores.append((mean / total - to_arb(x[i])) / to_arb(law.variance))
    return scores


def joint_scores_np(mixtures: list[FiniteMixture], sigma: Fraction, x: np.ndarray) -> np.ndarray:
    """Float screen of ``joint_scores_arb`` at each row of x (n, d)."""
    laws = [smoothed(m, sigma) for m in mixtures]
    tuples = list(itertools.product(*[range(len(law.atoms)) for law in laws]))
    logits = np.zeros((x.shape[0], len(tuples)))
    means = np.array(
        [[float(law.atoms[j]) for law, j in zip(laws, idx, strict=True)] for idx in tuples]
    ).reshape(len(tuples), len(laws))
    # Per coordinate, the terms log w_j - (x_i - a_j)^2 / (2 v) of its atoms (n, k_i), then
    # added to every tuple's column in coordinate order: per entry the same float operations,
    # in the same order, as a loop over tuples and coordinates.
    for i, law in enumerate(laws):
        a = np.array([float(t) for t in law.atoms])
        log_w = np.array([math.log(float(w)) for w in law.weights])
        terms = log_w[None, :] - (x[:, i, None] - a[None, :]) ** 2 / (2 * float(law.variance))
        logits += terms[:, [idx[i] for idx in tuples]]
    logits -= logits.max(axis=1, keepdims=True)
    r = np.exp(logits)
    r /= r.sum(axis=1, keepdims=True)
    v = np.array([float(law.variance) for law in laws])
    return (r @ means - x) / v


def sample_product(mixtures: list[FiniteMixture], sigma: Fraction, n: int, seed: int) -> np.ndarray:
    """n draws (n, d) of the smoothed product law, seeded."""
    laws = [smoothed(m, sigma) for m in mixtures]
    rng = np.random.default_rng(seed)
    cols = []
    for law in laws:
        w = np.array([float(t) for t in law.weights])
        a = np.array([float(t) for t in law.atoms])
        j = rng.choice(len(a), size=n, p=w / w.sum())
        cols.append(a[j] + math.sqrt(float(law.variance)) * rng.standard_normal(n))
    return np.stack(cols, axis=1)


def coarse_approximation(mixture: FiniteMixture, sigma: Fraction):
    """s_hat_i for C.5: (PiecewiseLinear, anchor, step), the interpolant on mu + (sigma/2) Z of
    the score rounded to multiples of 1/16, constant beyond the core. The rounding spreads the
    error over the bulk of the law, which keeps the Monte Carlo interval narrow (any
    coordinatewise s_hat obeys C.5)."""
    law = smoothed(mixture, sigma)
    step = law.sigma / 2
    reach = law.spread + TAIL_SDS * Fraction(math.ceil(math.sqrt(float(law.variance))))
    steps = math.ceil(reach / step)
    # Offset by step/3 so that a Gaussian's linear score is not met exactly on the grid.
    anchor = law.mean + step / 3
    f = grid_interpolant(mixture, sigma, anchor, step, steps, Fraction(10**6), 16)
    return f, anchor, step


# ---------------------------------------------------------------------------------------------
# C.5's Monte Carlo, distribution-free: an almost-sure bound on a box and a certified remainder.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoxedError:
    """For s_hat = (f_1, ..., f_d): the box prod [lo_i, hi_i] (each coordinate's core), a
    certified bound ``bound`` >= |s_hat - s|^2 on it, and ``outside`` >= E[|s_hat - s|^2; x
    outside the box] (certified)."""

    lo: list[Fraction]
    hi: list[Fraction]
    bound: arb
    outside: arb


def boxed_error(
    mixtures, sigma: Fraction, functions, anchors, steps, errors: list[arb], subcells: int = 8
):
    r"""``BoxedError`` of coordinatewise interpolants f_i (grid ``anchors[i] + steps[i] Z``).

    On the core of coordinate i, cells of width step/subcells: f is linear between its exact
    end values and s lies in ``CellData.score_on`` (monotone posterior mean), so
    :math:`\sup|f_i - s_i| \le \max(f_{\max} - s_{\min}, s_{\max} - f_{\min})`; the box bound is
    the sum of their squares. Outside: :math:`1\{x \notin box\} \le \sum_i 1\{x_i \notin I_i\}`;
    by independence :math:`E[e_j^2; x_i \notin I_i] = E e_j^2\,P_i` (j != i) and
    :math:`E[e_i^2; x_i \notin I_i] \le 2B_i^2 P_i + 2E[s_i^2; x_i \notin I_i]` (``B_i`` =
    max |f_i|, tail of s^2 from ``score_approx._tail_score_square``)."""
    laws = [smoothed(m, sigma) for m in mixtures]
    from verify.maths.score_approx import _tail_score_square, cell_data

    los, his, sups, outside = [], [], [], arb(0)
    total = sum(errors, arb(0))
    for law, f, anchor, step, error in zip(laws, functions, anchors, steps, errors, strict=True):
        lo, hi = law.core(step, anchor)
        data = cell_data(law, lo, hi, step / subcells)
        worst = arb(0)
        for i in range(data.cells):
            f0, f1 = to_arb(f(data.nodes[i])), to_arb(f(data.nodes[i + 1]))
            s = data.score_on(i)
            f_lo, f_hi = f0.min(f1), f0.max(f1)
            worst = worst.max((f_hi - s.lower()).abs_upper()).max((s.upper() - f_lo).abs_upper())
        sups.append(worst)
        prob = law.lower_tail_mass(lo) + law.upper_tail_mass(hi)
        b = to_arb(max(abs(v) for v in f.values_at_breakpoints()))
        own = 2 * b * b * prob + 2 * _tail_score_square(law, lo, hi)
        outside += own + prob * (total - error)
        los.append(lo)
        his.append(hi)
    bound = sum((w * w for w in sups), arb(0))
    return BoxedError(los, his, arb(bound.upper()), arb(outside.upper()))


def empirical_bernstein_interval(
    values: np.ndarray, bound: float, alpha: float
) -> tuple[Fraction, Fraction]:
    r"""Two-sided 1 - alpha interval for the mean of i.i.d. values in [0, bound]: the empirical
    Bernstein bound (Maurer and Pontil 2009, Theorem 4) on each side at alpha/2,
    :math:`\bar Y \pm (\sqrt{2 V_n \ln(4/\alpha)/n} + 7 b \ln(4/\alpha)/(3(n-1)))`, V_n the
    unbiased sample variance. Valid at every n (no asymptotics). The float mean and variance
    are widened by a relative 1e-9 (their rounding is far below that)."""
    n = len(values)
    log_term = math.log(4 / alpha)
    mean = math.fsum(values.tolist()) / n
    var = float(np.var(values, ddof=1)) * (1 + 1e-9)
    half = (math.sqrt(2 * var * log_term / n) + 7 * bound * log_term / (3 * (n - 1))) * (1 + 1e-9)
    slack = abs(mean) * 1e-9
    return Fraction(mean - half - slack), Fraction(mean + half + slack)


def boxed_squared_errors(laws, sigma, functions, x: np.ndarray, box) -> np.ndarray:
    """|s_hat(x) - s_joint(x)|^2 per sample, 0 outside the box (that part is ``box.outside``)."""
    joint = joint_scores_np(laws, sigma, x)
    approx = np.stack(
        [
            np.interp(
                x[:, i],
                [float(t) for t in f.breakpoints],
                [float(v) for v in f.values_at_breakpoints()],
            )
            for i, f in enumerate(functions)
        ],
        axis=1,
    )
    inside = np.all((x >= [float(t) for t in box.lo]) & (x <= [float(t) for t in box.hi]), axis=1)
    return np.where(inside, ((approx - joint) ** 2).sum(axis=1), 0.0)
