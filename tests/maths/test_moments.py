"""Exact second moments under contractions (H.11): PSD tests, scales, the two computations."""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch

from verify.maths.moments import (
    contraction_moment,
    contraction_scale,
    is_psd,
    matmul,
    rademacher_law,
    random_law,
    random_matrix,
    selection_matrix,
    top_eigenvalue,
    transpose,
)


def test_is_psd_exact() -> None:
    half = Fraction(1, 2)
    assert is_psd([[Fraction(1), half], [half, Fraction(1)]])
    assert is_psd([[Fraction(1), Fraction(1)], [Fraction(1), Fraction(1)]])  # singular
    assert not is_psd([[Fraction(1), Fraction(2)], [Fraction(2), Fraction(1)]])
    assert not is_psd([[Fraction(0), Fraction(1)], [Fraction(1), Fraction(1)]])


def test_rademacher_select_is_the_equality_case() -> None:
    law = rademacher_law(3)
    assert law.covariance() == [[Fraction(int(i == j)) for j in range(3)] for i in range(3)]
    moment = contraction_moment(law, selection_matrix(2, 3), Fraction(1), Fraction(1))
    assert moment.direct == moment.trace == moment.frobenius == 2


def test_random_law_and_matrix_scales_are_proved() -> None:
    gen = torch.Generator().manual_seed(0)
    law = random_law(3, 7, 0.5, gen)
    assert sum(law.weights) == 1
    sigma = law.covariance()
    cov_scale = contraction_scale(sigma, top_eigenvalue(sigma))
    a, norm_sq = random_matrix(2, 3, gen)
    a_scale = contraction_scale(matmul(transpose(a), a), norm_sq)
    moment = contraction_moment(law, a, cov_scale, a_scale)
    assert moment.direct == moment.trace <= moment.frobenius <= 2
    with pytest.raises(RuntimeError):  # a scale too large leaves I - c^2 Sigma indefinite
        contraction_moment(law, a, 2 * cov_scale, a_scale)
