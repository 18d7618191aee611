"""The score oracle against exact enumeration (float and certified), its tails, its refusals."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch

from verify.core.errors import DomainError
from verify.core.numbers import precision, upper
from verify.maths.instance import Instance
from verify.maths.large_sigma import norm_enclosure
from verify.maths.oneway import GoldreichFunction, ProjectionFunction
from verify.maths.oracle import ScoreOracle, _log_tails

ENUMERATION_FLOAT_SLACK = 1e-9  # float64 error of Instance.score at these sizes


class TableFunction:
    """A random table f (no known locality: exercises the generic far-seed bound)."""

    def __init__(self, n_in: int, n_out: int, seed: int) -> None:
        self.n_in, self.n_out = n_in, n_out
        rng = np.random.default_rng(seed)
        self.table = rng.choice(np.array([1, -1], dtype=np.int8), size=(2**n_in, n_out))

    @property
    def name(self) -> str:
        return "table"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        index = ((np.asarray(x) == -1).astype(np.int64) << np.arange(self.n_in)).sum(1)
        return self.table[index]


def _instance(kind: str, d: int, R: float, eps: float) -> Instance:
    if kind == "goldreich":
        return Instance(GoldreichFunction(d, d, seed=2), R, eps)
    if kind == "projection":
        return Instance(ProjectionFunction(d, d + 2), R, eps)
    return Instance(TableFunction(d, d, seed=5), R, eps)


@pytest.mark.parametrize(
    ("kind", "d", "R", "eps", "sigma", "tol"),
    [
        ("goldreich", 8, 3.0, 0.2, 0.05, 1e-3),  # small regime, sigma < eps
        ("goldreich", 10, 2.5, 0.3, 0.5, 1e-3),  # large regime
        ("goldreich", 8, 3.0, 0.2, 0.12, 1e-4),  # between: small regime with several seeds
        ("projection", 6, 3.0, 0.25, 0.08, 1e-3),
        ("table", 7, 3.5, 0.2, 0.06, 1e-3),
    ],
)
def test_agrees_with_enumeration_within_bound(kind, d, R, eps, sigma, tol):
    instance = _instance(kind, d, R, eps)
    x, _ = instance.sample(300, torch.Generator().manual_seed(1), sigma=sigma)
    result = ScoreOracle(instance).score(x, sigma, tol)
    exact = instance.score(x, sigma)
    error = (result.score - exact).norm(dim=1)
    assert bool((error <= result.error_bound + ENUMERATION_FLOAT_SLACK).all())
    assert result.max_error <= tol


@pytest.mark.parametrize("regime", ["small", "large"])
def test_forced_regimes_agree_with_enumeration(regime):
    instance = _instance("goldreich", 8, 3.0, 0.2)
    x, _ = instance.sample(200, torch.Generator().manual_seed(2), sigma=0.3)
    result = ScoreOracle(instance).score(x, 0.3, 1e-3, regime=regime)
    assert result.regime == regime
    error = (result.score - instance.score(x, 0.3)).norm(dim=1)
    assert bool((error <= result.error_bound + ENUMERATION_FLOAT_SLACK).all())


def test_agrees_with_certified_score():
    instance = Instance(GoldreichFunction(5, 3, seed=1), 3.0, 0.25)
    sigma = 0.07
    x, _ = instance.sample(4, torch.Generator().manual_seed(3), sigma=sigma)
    result = ScoreOracle(instance).score(x, sigma, 1e-3)
    with precision(128):
        for index, row in enumerate(x.tolist()):
            exact = instance.score_arb(row, sigma)
            oracle = result.score[index].tolist()
            gap = norm_enclosure([c - o for c, o in zip(exact, oracle, strict=True)])
            assert upper(gap) <= result.error_bound[index].item()


def test_tails_bound_brute_force_sums():
    rng = np.random.default_rng(0)
    d, top, max_k = 7, 3, 3
    log_r = torch.as_tensor(-rng.uniform(0.0, 4.0, size=(3, d)), dtype=torch.float64)
    log_r = torch.sort(log_r, dim=1, descending=True).values
    tail, tail_sqrt = _log_tails(log_r, top, max_k)
    r = log_r.exp().numpy()
    for n, u, k in itertools.product(range(3), range(top + 1), range(max_k + 1)):
        total = total_sqrt = 0.0
        for size in range(d + 1):
            for subset in itertools.combinations(range(d), size):
                if len([i for i in subset if i >= u]) > k:
                    weight = float(np.prod(r[n, list(subset)]))
                    total += weight
                    total_sqrt += math.sqrt(size) * weight
        assert total <= math.exp(float(tail[n, u, k])) * (1 + 1e-12)
        assert total_sqrt <= math.exp(float(tail_sqrt[n, u, k])) * (1 + 1e-12)


def test_large_d_runs_without_enumeration():
    instance = Instance(GoldreichFunction(40, 40, seed=0), 4.0, 0.1)
    oracle = ScoreOracle(instance)
    x, _ = instance.sample(64, torch.Generator().manual_seed(4), sigma=0.03)
    small = oracle.score(x, 0.03, 1e-3)
    assert small.regime == "small" and small.max_error <= 1e-3
    y, _ = instance.sample(64, torch.Generator().manual_seed(5), sigma=0.5)
    assert oracle.score(y, 0.5, 1e-6).regime == "large"


@pytest.mark.parametrize(
    ("sigma", "tol", "shape"),
    [
        (0.0, 1e-3, None),
        (-1.0, 1e-3, None),
        (math.nan, 1e-3, None),
        (0.1, 0.0, None),
        (0.1, math.inf, None),
        (0.1, 1e-30, None),  # below the rounding allowance
        (0.1, 1e-3, (5, 3)),  # wrong width
    ],
)
def test_bad_parameters_raise_domain_error(sigma, tol, shape):
    instance = _instance("goldreich", 8, 3.0, 0.2)
    x = torch.zeros(shape) if shape else instance.sample(5, torch.Generator(), sigma=0.1)[0]
    with pytest.raises(DomainError):
        ScoreOracle(instance).score(x, sigma, tol)


def test_refuses_where_neither_regime_reaches_tol():
    instance = _instance("goldreich", 8, 3.0, 0.2)
    oracle = ScoreOracle(instance, seed_cap=16)
    # many signs at the origin are ambiguous, and sigma is far below eps
    x = torch.zeros((3, instance.dim), dtype=torch.float64)
    with pytest.raises(DomainError, match="neither regime"):
        oracle.score(x, 0.03, 1e-6)
    with pytest.raises(DomainError, match="large-sigma bound"):
        oracle.score(x, 0.03, 1e-6, regime="large")
    with pytest.raises(DomainError):
        oracle.score(torch.full((2, instance.dim), math.nan), 0.5, 1e-3)
    with pytest.raises(DomainError):
        oracle.score(x, 0.5, 1e-3, regime="medium")


def test_large_regime_threshold():
    instance = Instance(GoldreichFunction(16, 16, seed=0), 4.0, 0.1)
    oracle = ScoreOracle(instance)
    sigma = oracle.large_regime_threshold(1e-4)
    assert oracle.large_bound(sigma) <= 1e-4 < oracle.large_bound(sigma * 0.99)
    x, _ = instance.sample(8, torch.Generator().manual_seed(6), sigma=sigma)
    assert oracle.score(x, sigma, 1e-4).regime == "large"


def test_large_sigma_bound_beyond_float_range_is_inf():
    # d' = 256 at small sigma: the certified bound is astronomically large, read as vacuous.
    from verify.maths.oracle import large_sigma_bound

    assert large_sigma_bound(256, 4.0, 0.01, 0.5) == float("inf")
    assert large_sigma_bound(4, 4.0, 1.0, 0.5) < 1e-10
