"""Second moments of discrete laws under contractions, in exact rational arithmetic (H.11).

A discrete law with finitely many atoms drawn in torch (every float64 is an exact dyadic
rational, so the law is known exactly once its atoms are read as ``Fraction``s), its exact mean
and covariance Sigma, and a measurement matrix A. The hypotheses Cov <= I and ||A|| <= 1 are
made true by rational scales c^2, a^2 with I - c^2 Sigma and I - a^2 A^T A proved positive
semidefinite by an exact LDL^T (``is_psd``); then E|A(x - E x)|^2 is computed twice: as the
weighted sum over atoms and as tr(A Sigma A^T).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

Matrix = list[list[Fraction]]


def is_psd(matrix: Matrix) -> bool:
    """Exact test that a symmetric rational matrix is positive semidefinite (LDL^T)."""
    a = [row[:] for row in matrix]
    n = len(a)
    for k in range(n):
        pivot = a[k][k]
        if pivot < 0:
            return False
        if pivot == 0:
            if any(a[k][j] != 0 for j in range(k + 1, n)):
                return False
            continue
        for i in range(k + 1, n):
            factor = a[i][k] / pivot
            if factor == 0:
                continue
            for j in range(k + 1, n):
                a[i][j] -= factor * a[k][j]
    return True


def exact(t: torch.Tensor) -> Matrix:
    """A float64 matrix as the rationals its entries are."""
    return [[Fraction(float(v)) for v in row] for row in t.tolist()]


def matmul(a: Matrix, b: Matrix) -> Matrix:
    return [
        [
            sum((x * y for x, y in zip(row, col, strict=True)), Fraction(0))
            for col in zip(*b, strict=True)
        ]
        for row in a
    ]


def transpose(a: Matrix) -> Matrix:
    return [list(col) for col in zip(*a, strict=True)]


def identity_minus(scale: Fraction, s: Matrix) -> Matrix:
    """I - scale * s."""
    n = len(s)
    return [[(1 if i == j else 0) - scale * s[i][j] for j in range(n)] for i in range(n)]


def contraction_scale(gram: Matrix, float_top: float) -> Fraction:
    """A rational s > 0 with I - s * gram PSD (proved exactly), close to 1 / float_top (a float
    estimate of gram's top eigenvalue)."""
    if float_top <= 0:
        return Fraction(1)
    s = Fraction(1.0 / (float_top * (1 + 1e-12)))
    for _ in range(60):
        if is_psd(identity_minus(s, gram)):
            return s
        s *= Fraction(1023, 1024)
    raise RuntimeError("could not certify the contraction scale")


def top_eigenvalue(matrix: Matrix) -> float:
    """Float estimate of the largest eigenvalue of a symmetric matrix (chooses scales only)."""
    import torch

    return float(
        torch.linalg.eigvalsh(torch.tensor([[float(v) for v in row] for row in matrix])).max()
    )


@dataclass(frozen=True)
class DiscreteLaw:
    """sum_i weights[i] delta_{atoms[i]} on Q^n, exactly."""

    weights: list[Fraction]
    atoms: Matrix

    @property
    def dim(self) -> int:
        return len(self.atoms[0])

    def mean(self) -> list[Fraction]:
        return [
            sum((w * x[i] for w, x in zip(self.weights, self.atoms, strict=True)), Fraction(0))
            for i in range(self.dim)
        ]

    def centred(self) -> Matrix:
        mean = self.mean()
        return [[x[i] - mean[i] for i in range(self.dim)] for x in self.atoms]

    def covariance(self) -> Matrix:
        centred, n = self.centred(), self.dim
        return [
            [
                sum(
                    (w * x[i] * x[j] for w, x in zip(self.weights, centred, strict=True)),
                    Fraction(0),
                )
                for j in range(n)
            ]
            for i in range(n)
        ]


def rademacher_law(n: int) -> DiscreteLaw:
    """Uniform on {-1, 1}^n: covariance exactly I."""
    import torch

    grid = torch.cartesian_prod(*([torch.tensor([-1.0, 1.0], dtype=torch.float64)] * n))
    points = grid.reshape(-1, n)
    return DiscreteLaw([Fraction(1, points.shape[0])] * points.shape[0], exact(points))


def random_law(n: int, atoms: int, spread: float, gen: torch.Generator) -> DiscreteLaw:
    """Anisotropic atoms (a random linear image of standard normals, plus spread * I) with random
    integer weights. Draws from ``gen``: the n x n mixing matrix, the atoms, the weights."""
    import torch

    mix = torch.randn(n, n, generator=gen, dtype=torch.float64)
    mix += spread * torch.eye(n, dtype=torch.float64)
    points = torch.randn(atoms, n, generator=gen, dtype=torch.float64) @ mix
    raw = torch.randint(1, 10, (atoms,), generator=gen).tolist()
    return DiscreteLaw([Fraction(w, sum(raw)) for w in raw], exact(points))


def selection_matrix(m: int, n: int) -> Matrix:
    """A = [0 | I_m] (m <= n), ||A|| = 1."""
    return [[Fraction(int(j == n - m + i)) for j in range(n)] for i in range(m)]


def random_matrix(m: int, n: int, gen: torch.Generator) -> tuple[Matrix, float]:
    """A Gaussian m x n matrix, exactly, and a float estimate of ||A||^2."""
    import torch

    a_float = torch.randn(m, n, generator=gen, dtype=torch.float64)
    return exact(a_float), float(torch.linalg.matrix_norm(a_float, ord=2)) ** 2


@dataclass(frozen=True)
class ContractionMoment:
    """E|a A(c (x - E x))|^2 two ways, for the scales c^2 = ``cov_scale``, a^2 = ``a_scale``."""

    direct: Fraction  # the weighted sum over atoms
    trace: Fraction  # tr(A Sigma A^T), scaled
    frobenius: Fraction  # a^2 |A|_F^2 (= tr(A A^T), scaled), the next step of the proof
    cov_scale: Fraction
    a_scale: Fraction


def contraction_moment(
    law: DiscreteLaw, a: Matrix, cov_scale: Fraction, a_scale: Fraction
) -> ContractionMoment:
    """The second moment after proving the hypotheses I - c^2 Sigma >= 0, I - a^2 A^T A >= 0."""
    sigma = law.covariance()
    gram = matmul(transpose(a), a)
    if not (is_psd(identity_minus(cov_scale, sigma)) and is_psd(identity_minus(a_scale, gram))):
        raise RuntimeError("H.11 hypotheses could not be certified for the generated law")
    direct = Fraction(0)
    for w, x in zip(law.weights, law.centred(), strict=True):
        ax = [sum((aij * xj for aij, xj in zip(row, x, strict=True)), Fraction(0)) for row in a]
        direct += w * sum((v * v for v in ax), Fraction(0))
    product = matmul(matmul(a, sigma), transpose(a))
    scale = cov_scale * a_scale
    return ContractionMoment(
        direct=direct * scale,
        trace=scale * sum((product[i][i] for i in range(len(a))), Fraction(0)),
        frobenius=a_scale * sum((v * v for row in a for v in row), Fraction(0)),
        cov_scale=cov_scale,
        a_scale=a_scale,
    )
