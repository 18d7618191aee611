"""E.2 and Thm.1.7: Algorithm 1 posterior-samples; acceptance >= the E.1 bound; refutations."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from flint import arb

from tests._groups import SCIPY_STATS_SYMPY
from verify.core.errors import DomainError
from verify.core.registry import get
from verify.core.runner import empirical_constants, evaluate, run_lemma
from verify.core.verdict import Verdict
from verify.maths.samplers.posterior_evidence import tv_part

E2_POINT = {
    "n": 3,
    "m": 2,
    "components": 3,
    "spread": 1.0,
    "std_lo": 0.5,
    "std_hi": 0.75,
    "beta": 0.5,
    "delta": 0.1,
    "tau": 0.15,
    "perturbation": "none",
    "gamma_frac": 0.0,
    "outputs": 2000,
    "y_samples": 100,
    "seed": 0,
}
THM_POINT = {
    "d": 3,
    "d_out": 2,
    "R": 2.0,
    "eps": 0.5,
    "beta": 0.1,
    "delta": 0.1,
    "tau": 0.25,
    "outputs": 2000,
    "y_samples": 40,
    "seed": 0,
}


def _run(lemma_id: str, examples, constants=None):
    lemma = dataclasses.replace(get(lemma_id), examples=examples, budget={"quick": 0})
    return run_lemma(lemma, profile="quick", seed=0, constants=constants or {})


def _part_verdicts(run) -> dict[str, Verdict]:
    return {p.name: p.verdict for e in run.evaluations for p in e.parts}


def test_e2_exact_sampler_passes(tmp_path: Path) -> None:
    run = _run("E.2", [E2_POINT, {**E2_POINT, "n": 12, "m": 12, "outputs": 100}])
    verdicts = _part_verdicts(run)
    assert verdicts["posterior_tv"] is Verdict.STATISTICAL
    assert verdicts["acceptance_rate"] is Verdict.STATISTICAL
    assert verdicts["acceptance_quantile"] is Verdict.STATISTICAL
    files = get("E.2").plots([e.to_json() for e in run.evaluations], tmp_path)
    assert files and (tmp_path / files[0]).stat().st_size > 1000


def test_e2_adversarial_sampler_within_hypothesis_passes() -> None:
    point = {**E2_POINT, "perturbation": "adversarial", "gamma_frac": 0.5, "tau": 0.3}
    assert _part_verdicts(_run("E.2", [point]))["posterior_tv"] is Verdict.STATISTICAL


def test_e2_dropping_the_hypothesis_is_refuted() -> None:
    # a sampler error 200 times the allowed one, pulling component 0 toward y
    point = {**E2_POINT, "perturbation": "adversarial", "gamma_frac": 200.0}
    assert _part_verdicts(_run("E.2", [point]))["posterior_tv"] is Verdict.REFUTED


def test_e2_saturating_sampler_reads_c_tv_above_zero_and_a_smaller_one_is_refuted() -> None:
    # the adversarial sampler at the largest allowed gamma: label TV ~0.15 tau, so the check
    # sees C_tv well above 0 (the mutation harness needs it) and refutes C_tv = 1/10 below it
    point = next(e for e in get("E.2").examples if e.get("gamma_frac") == 1.0)
    run = _run("E.2", [point])
    assert _part_verdicts(run)["posterior_tv"] is Verdict.STATISTICAL
    assert empirical_constants(run)["C_tv"]["empirical"] > 0.12
    tightened = _run("E.2", [point], {"C_tv": Fraction(1, 10)})
    assert _part_verdicts(tightened)["posterior_tv"] is Verdict.REFUTED


def test_e2_inflated_acceptance_constant_is_refuted() -> None:
    run = _run("E.2", [{**E2_POINT, "outputs": 100}], {"C_acc": Fraction(10**40)})
    assert _part_verdicts(run)["acceptance_quantile"] is Verdict.REFUTED


def test_thm17_instance_passes_and_refutes() -> None:
    verdicts = _part_verdicts(_run("Thm.1.7", [THM_POINT]))
    assert set(verdicts.values()) == {Verdict.STATISTICAL}
    run = _run("Thm.1.7", [{**THM_POINT, "outputs": 100}], {"C_acc": Fraction(10**40)})
    assert _part_verdicts(run)["acceptance_quantile"] is Verdict.REFUTED


def test_tv_part_refutes_a_wrong_posterior() -> None:
    labels = np.zeros(4000, dtype=np.int64)  # everything in cell 0
    part = tv_part(labels, [arb(0.25)] * 4, 0.25, Fraction(1))  # true TV 0.75
    from verify.core.verdict import judge

    assert judge(part.lhs, part.rhs, part.kind) is Verdict.REFUTED


def test_domains() -> None:
    with pytest.raises(DomainError):
        evaluate(
            get("E.2"), {**E2_POINT, "m": 4}, get("E.2").stated_constants(), 64, user_input=True
        )
    with pytest.raises(DomainError):
        lemma = get("Thm.1.7")
        evaluate(lemma, {**THM_POINT, "eps": 1.5}, lemma.stated_constants(), 64, user_input=True)


@SCIPY_STATS_SYMPY
def test_e2_docstring_algebra_by_sympy() -> None:
    import sympy as sp

    t, beta = sp.symbols("t beta", positive=True)
    pi = sp.exp(-(t**2) / (2 * beta**2))
    slope = sp.diff(pi, t)
    # the steepest point of the acceptance is |Ax - y| = beta: the Lipschitz constant
    (t_star,) = sp.solve(sp.diff(slope, t), t)
    assert sp.simplify(t_star - beta) == 0
    assert sp.simplify(-slope.subs(t, t_star) - 1 / (beta * sp.sqrt(sp.E))) == 0
    # (a): with L = gamma/(beta sqrt e) and 2L/(a - L) = tau, gamma = tau a beta sqrt(e)/(2 + tau)
    tau, a, gamma = sp.symbols("tau a gamma", positive=True)
    lip = gamma / (beta * sp.sqrt(sp.E))
    (solved,) = sp.solve(sp.Eq(2 * lip / (a - lip), tau), gamma)
    assert sp.simplify(solved - tau * a * beta * sp.sqrt(sp.E) / (2 + tau)) == 0
    # (a'): per-round bad probability over the stopping probability a(y)
    delta = sp.symbols("delta", positive=True)
    delta_out = (delta + tau / (beta * sp.sqrt(sp.E))) / a
    assert sp.simplify(delta_out * a - delta - tau * sp.exp(-sp.Rational(1, 2)) / beta) == 0


@pytest.mark.parametrize("lemma_id", ["E.2", "Thm.1.7"])
def test_model_mutants_are_caught(lemma_id: str) -> None:
    from tests.lemmas.model_mutants import assert_all_caught

    lemma = get(lemma_id)
    assert_all_caught(lemma, [m.examples[0] for m in lemma.model_mutants])


def test_e2_paper_form_planted_sampler() -> None:
    # a (tau, delta)-close sampler with delta polynomially small: the paper's delta' holds
    lemma = get("E.2")
    point = next(e for e in lemma.examples if "paper_tau" in e)
    result = evaluate(lemma, point, lemma.stated_constants(), 64)
    parts = {p.name: p for p in result.parts}
    assert parts["paper_coupling"].verdict is Verdict.STATISTICAL
    assert parts["paper_closeness"].verdict is Verdict.STATISTICAL
    data = parts["paper_coupling"].data
    assert data["bad_stops"] / data["stops"] < data["delta_prime"]


def test_mutation_catches_c_tv_at_the_saturating_example() -> None:
    # the house rule "a check that cannot fail is a defect": C_tv set just past its empirical
    # value must come back REFUTED (verify mutate), which needs the saturating example
    from verify.core.mutate import mutate

    point = next(e for e in get("E.2").examples if e.get("gamma_frac") == 1.0)
    small = dataclasses.replace(get("E.2"), examples=[point], budget={"quick": 0})
    small = dataclasses.replace(small, model_mutants=[])
    summary = mutate(profile="quick", seed=0, lemmas=[small], log=lambda *a, **k: None)
    caught = {m["constant"]: m["status"] for m in summary["mutants"]}
    assert caught["C_tv"] == "caught", summary["defects"]
