"""Product laws p = p_1 x ... x p_d of one-dimensional smoothed laws (C.5, C.12): the joint
score computed from the joint mixture over all atom tuples (without the product structure),
a sampler, and the coarse coordinatewise interpolant C.5 checks by Monte Carlo.

The coordinate laws are ``SmoothedAtoms`` sharing one sigma (``score_approx.product_laws``).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
from flint import arb

from verify.core.numbers import to_arb
from verify.maths.score_approx import TAIL_SDS, SmoothedAtoms, grid_interpolant


def joint_scores_arb(laws: list[SmoothedAtoms], x: list[Fraction]) -> list[arb]:
    """Score of the joint mixture over all atom tuples at x, enclosed, coordinate by
    coordinate (the second computation against the product form s(x)_i = s_i(x_i))."""
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


def joint_scores_np(laws: list[SmoothedAtoms], x: np.ndarray) -> np.ndarray:
    """Float screen of ``joint_scores_arb`` at each row of x (n, d)."""
    tuples = list(itertools.product(*[range(len(law.atoms)) for law in laws]))
    logits = np.zeros((x.shape[0], len(tuples)))
    means = np.zeros((len(tuples), len(laws)))
    for k, idx in enumerate(tuples):
        for i, (law, j) in enumerate(zip(laws, idx, strict=True)):
            a = float(law.atoms[j])
            logits[:, k] += math.log(float(law.weights[j])) - (x[:, i] - a) ** 2 / (
                2 * float(law.variance)
            )
            means[k, i] = a
    logits -= logits.max(axis=1, keepdims=True)
    r = np.exp(logits)
    r /= r.sum(axis=1, keepdims=True)
    v = np.array([float(law.variance) for law in laws])
    return (r @ means - x) / v


def sample_product(laws: list[SmoothedAtoms], n: int, seed: int) -> np.ndarray:
    """n draws (n, d) of the smoothed product law, seeded."""
    rng = np.random.default_rng(seed)
    cols = []
    for law in laws:
        w = np.array([float(t) for t in law.weights])
        a = np.array([float(t) for t in law.atoms])
        j = rng.choice(len(a), size=n, p=w / w.sum())
        cols.append(a[j] + math.sqrt(float(law.variance)) * rng.standard_normal(n))
    return np.stack(cols, axis=1)


def coarse_approximation(law: SmoothedAtoms):
    """s_hat_i for C.5: (PiecewiseLinear, anchor, step), the interpolant on mu + (sigma/2) Z of
    the score rounded to multiples of 1/16, constant beyond the core. The rounding spreads the
    error over the bulk of the law, which keeps the Monte Carlo interval narrow (any
    coordinatewise s_hat obeys C.5)."""
    step = law.sigma / 2
    reach = law.spread + TAIL_SDS * Fraction(math.ceil(math.sqrt(float(law.variance))))
    steps = math.ceil(reach / step)
    # Offset by step/3 so that a Gaussian's linear score is not met exactly on the grid.
    anchor = law.mean + step / 3
    return grid_interpolant(law, anchor, step, steps, Fraction(10**6), 16), anchor, step
