"""H.6, H.7: certified on the domain, refuted below the empirical constants, exact cases."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest
from flint import arb

from lemmas.h06_h07_exponential_moments import EXAMPLES, H6, H7
from verify.core.errors import DomainError
from verify.core.numbers import to_arb
from verify.core.runner import empirical_constants, evaluate, run_lemma, verdict_counts
from verify.maths.laws import GaussianMixture, score_exponential_cells

NEAR_POINT = EXAMPLES[0]


def _only(lemma, examples, budget: int = 0):
    return dataclasses.replace(lemma, examples=examples, budget={"quick": budget})


def test_h6_near_point_mass_approaches_equality_and_is_refuted_below_it() -> None:
    example = {**NEAR_POINT, "t": 2}
    stated = run_lemma(_only(H6, [example]), profile="quick", seed=0)
    assert verdict_counts(stated)["certified"] == 1
    empirical = empirical_constants(stated)["C6"]["empirical"]
    assert 0.999 < empirical < 1
    tightened = run_lemma(
        _only(H6, [example]), profile="quick", seed=0, constants={"C6": Fraction(999, 1000)}
    )
    assert verdict_counts(tightened)["refuted"] == 1


def test_h7_refuted_below_its_empirical_constant() -> None:
    example = {**EXAMPLES[1], "t": 1.5}
    stated = run_lemma(_only(H7, [example]), profile="quick", seed=0)
    assert verdict_counts(stated)["certified"] == 1
    empirical = empirical_constants(stated)["C7"]["empirical"]
    assert 0.7 < empirical < 1
    tightened = run_lemma(
        _only(H7, [example]), profile="quick", seed=0, constants={"C7": Fraction(7, 10)}
    )
    assert verdict_counts(tightened)["refuted"] == 1


@pytest.mark.parametrize("lemma", [H6, H7])
def test_examples_and_search_run_clean(lemma) -> None:
    run = run_lemma(dataclasses.replace(lemma, budget={"quick": 3}), profile="quick", seed=3)
    assert verdict_counts(run)["certified"] == len(run.evaluations) == len(lemma.examples) + 3


@pytest.mark.parametrize("t", [-2, -0.5, 0.25, 1, 2])
def test_single_gaussian_component_exact_exponential_moment(t) -> None:
    # N(0, tau^2) smoothed: s(x) = -x / v^2, x ~ N(0, v^2), v^2 = tau^2 + sigma^2, so
    # E e^{lambda s} = e^{lambda^2 / (2 v^2)} exactly: an independent closed form.
    tau, sigma = Fraction(3, 4), Fraction(1, 2)
    law = GaussianMixture([0], [tau], [1])
    lam = arb(t) * to_arb(sigma)
    found = score_exponential_cells(law, sigma, lam).total()
    v2 = to_arb(tau) ** 2 + to_arb(sigma) ** 2
    exact = (lam * lam / (2 * v2)).exp()
    assert found.overlaps(exact)
    assert found.rad() < 1e-4 * exact


@pytest.mark.parametrize(
    ("lemma", "params"),
    [
        (H6, {**NEAR_POINT, "t": 0}),
        (H6, {**NEAR_POINT, "t": 3}),
        (H7, {**NEAR_POINT, "t": 0.1}),
        (H7, {"sigma": 1.0, "means": [0.0, 1.0], "stds": [4.0, 0.0], "weights": [1, 1], "t": 1}),
        (H6, {"sigma": 1.0, "means": [0.0], "stds": [0.0], "weights": [1.0], "t": 1}),
    ],
)
def test_domain_errors(lemma, params) -> None:
    with pytest.raises(DomainError):
        evaluate(lemma, params, lemma.stated_constants(), 64, user_input=True)


@pytest.mark.parametrize(
    ("means", "weights", "sigma", "t", "absolute"),
    [
        ([-1.5, 0.25], [1, 3], 0.5, 1.75, False),
        ([-1.5, 0.25], [1, 3], 0.5, -1.25, False),
        ([0.0, 2.0, 2.5], [2, 1, 1], 1.0, 2.5, True),
    ],
)
def test_exponential_moment_contains_an_independent_50_digit_value(
    means, weights, sigma, t, absolute
) -> None:
    # Issue 16's containment rule: the enclosure must contain an mpmath quadrature at 50 digits.
    import mpmath

    mp = mpmath.mp.clone()
    mp.dps = 50
    total = sum(weights)
    w = [mp.mpf(x) / total for x in weights]
    a = [mp.mpf(m) for m in means]
    s2 = mp.mpf(sigma) ** 2
    lam = mp.mpf(t) * sigma

    def integrand(x):
        dens = [wi * mp.exp(-((x - ai) ** 2) / (2 * s2)) for wi, ai in zip(w, a, strict=True)]
        p = mp.fsum(dens)
        score = mp.fsum(d * (ai - x) for d, ai in zip(dens, a, strict=True)) / (p * s2)
        power = lam * (abs(score) if absolute else score)
        return mp.exp(power) * p / mp.sqrt(2 * mp.pi * s2)

    cuts = [min(means) - 12 * sigma, *sorted(means), max(means) + 12 * sigma]
    reference = mp.quad(integrand, [-mp.inf, *cuts, mp.inf])
    law = GaussianMixture(means, [0] * len(means), weights)
    found = score_exponential_cells(
        law, Fraction(sigma), to_arb(Fraction(t) * Fraction(sigma)), absolute=absolute
    ).total()
    exact = arb(mpmath.nstr(reference, 40))
    assert found.overlaps(exact), (found.str(10), mpmath.nstr(reference, 20))
    assert found.rad() < 1e-3 * abs(exact)
