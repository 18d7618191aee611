r"""Scores of Gaussian mixtures: the one definition, in arb and in any array namespace.

Two algorithms, kept because they cross-check each other (``tests/maths/test_mixture.py``):

- ``gaussian_mixture_score``: the general product law whose every coordinate is the 1-D
  mixture sum_k w_k N(m_k, s_k^2). Smoothed by N(0, sigma^2) it is sum_k w_k N(m_k, s_k^2 +
  sigma^2), whose score is the posterior-weighted mean of (m_k - x) / (s_k^2 + sigma^2)
  (log-sum-exp over the components).
- ``vertex_mixture_score`` / ``vertex_mixture_score_arb``: the mixture of C.17 - C.20,
  h = 2^-d sum_s N((R s, 0), I) on R^{d+d'} (the instance with its combs replaced by Gaussians).
  Smoothed, h_sigma = 2^-d sum_s N((R s, 0), v I), v = 1 + sigma^2, a product law: each vertex
  coordinate is (N(R, v) + N(-R, v)) / 2, with score (-t + R tanh(R t / v)) / v (the two-component
  posterior mean in closed form), each comb coordinate N(0, v), with score -t / v.

The vectorised forms take numpy arrays or torch tensors (``namespace`` picks the module: both
spell tanh, exp, log, sqrt, concatenate, sum and max alike), and never import torch themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from flint import arb

from verify.core.numbers import Real, to_arb


def namespace(array: Any) -> Any:
    """The array module of ``array``: torch for a tensor, numpy otherwise."""
    if type(array).__module__.startswith("torch"):
        import torch

        return torch
    return np


def vertex_mixture_score(points: Any, d: int, R: float, sigma: float) -> Any:
    """grad log h_sigma for a batch (N, d + d') of points, in the points' namespace and dtype."""
    xp = namespace(points)
    v = 1.0 + sigma * sigma
    x, y = points[:, :d], points[:, d:]
    return xp.concatenate(((-x + R * xp.tanh(R * x / v)) / v, -y / v), axis=1)


def vertex_mixture_score_arb(
    x: Sequence[Real], y: Sequence[Real], R: Real, sigma: Real
) -> list[arb]:
    """grad log h_sigma at (x, y), enclosed: the same closed form in ball arithmetic."""
    R_, s_ = to_arb(R), to_arb(sigma)
    v = 1 + s_ * s_
    xs = [to_arb(t) for t in x]
    return [(-t + R_ * (R_ * t / v).tanh()) / v for t in xs] + [-to_arb(t) / v for t in y]


def gaussian_mixture_score(means: Any, stds: Any, weights: Any) -> Callable[[Any, float], Any]:
    """Exact smoothed score of a 1-D Gaussian mixture applied coordinatewise (a product law):
    ``score(x, sigma)`` for x of any shape, in the namespace of ``means`` (float64)."""
    xp = namespace(means)
    if xp is np:
        means, stds, weights = (np.asarray(t, dtype=np.float64) for t in (means, stds, weights))
    else:
        means, stds, weights = (t.to(xp.float64) for t in (means, stds, weights))
    log_weights = xp.log(weights)

    def score(x: Any, sigma: float) -> Any:
        var = stds**2 + sigma**2
        diff = means - x[..., None]
        log_w = log_weights - 0.5 * xp.log(var) - diff**2 / (2 * var)
        if xp is np:
            top = log_w.max(axis=-1, keepdims=True)
        else:
            top = log_w.max(dim=-1, keepdim=True).values
        post = xp.exp(log_w - top)
        post = post / post.sum(-1)[..., None]
        return (post * diff / var).sum(-1)

    return score
