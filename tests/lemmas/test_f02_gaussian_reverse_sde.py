"""F.2 on Gaussian targets: the exact recursion, its bound, and the sampler it describes."""

from __future__ import annotations

from fractions import Fraction

import pytest

import lemmas.f02_gaussian_reverse_sde as f02
from tests._groups import SCIPY_STATS_SYMPY
from verify.core.errors import DomainError
from verify.core.runner import evaluate, params_key
from verify.core.verdict import Verdict

POINT = dict(f02.F2.examples[1])


def _parts(point, constants=None):
    result = evaluate(f02.F2, point, constants or f02.F2.stated_constants(), 64)
    return {p.name: p for p in result.parts}


def _stated_parts(point, main_job_records) -> dict[str, dict]:
    """The main job's parts (quick profile, seed 0; tests/conftest.py) of a fixed example at the
    stated constants, by name: that evaluation is not made a second time here (the mixture
    example costs ~3 s). A test that reads them runs after the main job, in its process, where
    the laws' exact-key cell tables of the mixture example are already built."""
    (record,) = (
        r
        for r in main_job_records["F.2"]["records"]
        if params_key(r["params"]) == params_key(point)
    )
    return {p["name"]: p for p in record["parts"]}


def test_examples_pass(main_job_records) -> None:
    for point in f02.F2.examples:
        parts = _stated_parts(point, main_job_records)
        if "mixture" not in point:
            assert parts["w2"]["verdict"] == Verdict.CERTIFIED.value
        assert parts["variance_two_ways"]["verdict"] == Verdict.CERTIFIED.value
        assert parts["median_event"]["verdict"] == Verdict.STATISTICAL.value
        assert parts["sigma_event"]["verdict"] == Verdict.STATISTICAL.value
        if point["d"] == 1:  # the TV part, Gaussian (closed form) or mixture (cells)
            assert parts["tv"]["verdict"] == Verdict.CERTIFIED.value
    kinds = [("mixture" in p, p["d"]) for p in f02.F2.examples]
    assert (True, 1) in kinds and (False, 1) in kinds


def test_mixture_records_carry_the_bound_terms(main_job_records) -> None:
    point = next(p for p in f02.F2.examples if "mixture" in p)
    data = _stated_parts(point, main_job_records)["tv"]["data"]
    assert data["score_error_integral"] > 0 and data["tv_discretization"] > 0
    assert data["w2_lower"] <= data["w2_upper"]
    assert len(data["score_error_at_levels"]) == f02.SCORE_LEVELS + 1


@pytest.mark.parametrize("kind", ["gaussian", "mixture"])
def test_tightened_tv_constant_is_refuted(kind: str, main_job_records) -> None:
    point = next(
        p for p in f02.F2.examples if p["d"] == 1 and ("mixture" in p) == (kind != "gaussian")
    )
    empirical = _stated_parts(point, main_job_records)["tv"]["empirical"]
    tight = {**f02.F2.stated_constants(), "C_tv": Fraction(empirical) * Fraction(9, 10)}
    assert _parts(point, tight)["tv"].verdict is Verdict.REFUTED


@pytest.mark.usefixtures("main_job_memos")
def test_tv_on_the_wrong_law_is_refuted() -> None:
    import dataclasses

    mutant = next(m for m in f02.F2.model_mutants if "TV taken" in m.name)
    lemma = dataclasses.replace(f02.F2, check=mutant.check)
    evaluation = evaluate(lemma, mutant.examples[0], f02.F2.stated_constants(), 64)
    assert {p.name: p for p in evaluation.parts}["tv"].verdict is Verdict.REFUTED


def test_mixture_domain() -> None:
    point = next(p for p in f02.F2.examples if "mixture" in p)
    with pytest.raises(DomainError):
        f02.F2.validate_point({**point, "d": 2})
    with pytest.raises(DomainError):
        f02.F2.validate_point({**point, "mu": 0.0})
    gaussian = {k: v for k, v in POINT.items() if k != "s"}
    with pytest.raises(DomainError):
        f02.F2.validate_point(gaussian)


def test_tightened_constant_is_refuted(main_job_records) -> None:
    empirical = _stated_parts(POINT, main_job_records)["w2"]["empirical"]
    tight = {"C": Fraction(empirical) / 2}
    assert _parts(POINT, tight)["w2"].verdict is Verdict.REFUTED


def test_sampler_with_wrong_score_is_refuted(monkeypatch: pytest.MonkeyPatch) -> None:
    # the model mutant: the sampler scores N(mu, (2 s)^2) while the recursion describes N(mu, s^2)
    right = f02._sampler_score
    monkeypatch.setattr(f02, "_sampler_score", lambda mu, s, eps: right(mu, 2 * s, eps))
    part = _parts(POINT)["sigma_event"]
    assert part.verdict is Verdict.REFUTED
    assert part.refutation["outcome"] == "confirmed by an independent re-draw"


@SCIPY_STATS_SYMPY
def test_variance_error_recursion_by_sympy() -> None:
    import sympy as sp

    v, w, du = sp.symbols("v w du", positive=True)
    a = 1 - du / w
    v_next = a**2 * v + du
    w_next = w - du
    # e_{k+1} = a_k^2 e_k + du_k^2 / w_k
    assert sp.simplify((v_next - w_next) - (a**2 * (v - w) + du**2 / w)) == 0
    # (sqrt v - sqrt w)^2 = (v - w)^2 / (sqrt v + sqrt w)^2
    gap = (sp.sqrt(v) - sp.sqrt(w)) ** 2 - (v - w) ** 2 / (sp.sqrt(v) + sp.sqrt(w)) ** 2
    assert sp.simplify(gap) == 0


def test_domain() -> None:
    with pytest.raises(DomainError):
        f02.F2.validate_point({**POINT, "sigma_min": 20.0})


@pytest.mark.usefixtures("main_job_memos")
def test_model_mutants_are_caught() -> None:
    """Every model mutant is refuted at one d = 64 example (the TV mutant at its own mixture
    example): each of the first two is refuted at every fixed example, so one separates them;
    the unmutated lemma at the other examples is test_examples_pass's."""
    from tests.lemmas.model_mutants import assert_all_caught

    assert_all_caught(f02.F2, [f02.F2.examples[1]])
