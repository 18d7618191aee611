"""verify.maths.mixture: the vertex mixture's closed-form score against the general mixture
score (two algorithms cross-checking each other), in numpy, torch and arb."""

from __future__ import annotations

import numpy as np
import torch
from flint import arb

from verify.core.numbers import precision
from verify.maths.mixture import (
    gaussian_mixture_score,
    vertex_mixture_score,
    vertex_mixture_score_arb,
)

R, SIGMA, D = 2.5, 0.7, 3


def _points(n: int = 50) -> np.ndarray:
    return np.random.default_rng(0).normal(scale=3.0, size=(n, D + 2))


def test_closed_form_matches_general_mixture_score():
    # vertex coordinates: (N(R, 1) + N(-R, 1)) / 2; comb coordinates: N(0, 1)
    points = _points()
    vertex = gaussian_mixture_score(np.array([R, -R]), np.ones(2), np.full(2, 0.5))
    comb = gaussian_mixture_score(np.zeros(1), np.ones(1), np.ones(1))
    general = np.concatenate((vertex(points[:, :D], SIGMA), comb(points[:, D:], SIGMA)), axis=1)
    assert np.allclose(vertex_mixture_score(points, D, R, SIGMA), general, rtol=1e-12, atol=1e-13)


def test_numpy_torch_and_arb_forms_agree():
    points = _points(5)
    in_numpy = vertex_mixture_score(points, D, R, SIGMA)
    in_torch = vertex_mixture_score(torch.as_tensor(points), D, R, SIGMA)
    assert isinstance(in_torch, torch.Tensor)
    assert np.allclose(in_torch.numpy(), in_numpy, rtol=1e-15, atol=1e-15)
    with precision(128):
        for row, floats in zip(points, in_numpy, strict=True):
            enclosed = vertex_mixture_score_arb(list(row[:D]), list(row[D:]), R, SIGMA)
            for ball, value in zip(enclosed, floats, strict=True):
                assert abs(ball - arb(float(value))) < 1e-13


def test_general_score_in_torch_matches_numpy():
    means, stds, weights = [-2.0, 0.5, 3.0], [0.3, 1.0, 0.6], [0.2, 0.5, 0.3]
    x = np.linspace(-5, 5, 41)
    in_numpy = gaussian_mixture_score(np.array(means), np.array(stds), np.array(weights))(x, 0.4)
    score = gaussian_mixture_score(
        *(torch.tensor(t, dtype=torch.float64) for t in (means, stds, weights))
    )
    assert np.allclose(score(torch.as_tensor(x), 0.4).numpy(), in_numpy, rtol=1e-13)


def test_wrong_radius_is_detected():
    # the cross-check can fail: a closed form with the wrong vertex scale disagrees
    points = _points()
    vertex = gaussian_mixture_score(np.array([R, -R]), np.ones(2), np.full(2, 0.5))
    wrong = vertex_mixture_score(points, D, R * 1.1, SIGMA)[:, :D]
    assert not np.allclose(wrong, vertex(points[:, :D], SIGMA), rtol=1e-6)
