"""H.1 (proved constants) and H.1.conj (the sharp conjecture): certified on their examples,
refuted below the empirical constant, scale/shift invariant."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from lemmas.h01_score_smoothness import H1, H1_CONJ, PROVED, proved_form
from verify.core.errors import DomainError
from verify.core.numbers import to_arb
from verify.core.runner import empirical_constants, evaluate, run_lemma, verdict_counts

TWO_ATOMS = {"sigma": 1.0, "atoms": [-2.4, 2.4], "weights": [1.0, 1.0]}


def _only(examples, budget: int = 0, lemma=H1_CONJ):
    return dataclasses.replace(lemma, examples=examples, budget={"quick": budget})


def test_two_atoms_reach_the_acceptance_value_and_are_certified() -> None:
    run = run_lemma(_only([TWO_ATOMS]), profile="quick", seed=0)
    assert verdict_counts(run)["certified"] == 1
    found = empirical_constants(run)
    assert found["K_half"]["empirical"] >= 2.0
    assert found["K_quarter"]["empirical"] == pytest.approx(1.54, abs=0.02)
    assert found["K_one"]["empirical"] == pytest.approx(3.61, abs=0.05)
    for name, info in found.items():
        assert info["empirical"] < float(H1_CONJ.constant(name).value)


@pytest.mark.parametrize(
    ("name", "value"), [("K_quarter", "1.4"), ("K_half", "1.9"), ("K_one", "3.3")]
)
def test_each_constant_is_refuted_below_the_empirical_value(name: str, value: str) -> None:
    run = run_lemma(_only([TWO_ATOMS]), profile="quick", seed=0, constants={name: Fraction(value)})
    assert verdict_counts(run)["refuted"] == 1
    refuted = [p.name for p in run.evaluations[0].parts if p.verdict.value == "refuted"]
    assert refuted == [f"kappa={dict(K_quarter='1/4', K_half='1/2', K_one='1')[name]}"]


def _scaled_lhs(params) -> list[float]:
    evaluation = evaluate(H1_CONJ, params, H1_CONJ.stated_constants(), 64)
    return [p.empirical for p in evaluation.parts]


def test_scale_invariance_of_sigma4_lhs() -> None:
    base = {"sigma": 1.0, "atoms": [-1.5, 0.25, 3.0], "weights": [1.0, 2.0, 1.0]}
    scaled = {"sigma": 0.25, "atoms": [-0.375, 0.0625, 0.75], "weights": [1.0, 2.0, 1.0]}
    for a, b in zip(_scaled_lhs(base), _scaled_lhs(scaled), strict=True):
        assert a == pytest.approx(b, rel=1e-9)


def test_translation_invariance() -> None:
    base = {"sigma": 1.0, "atoms": [-1.5, 0.25, 3.0], "weights": [1.0, 2.0, 1.0]}
    moved = {"sigma": 1.0, "atoms": [998.5, 1000.25, 1003.0], "weights": [1.0, 2.0, 1.0]}
    for a, b in zip(_scaled_lhs(base), _scaled_lhs(moved), strict=True):
        assert a == pytest.approx(b, rel=1e-6)


@pytest.mark.parametrize("lemma", [H1, H1_CONJ])
def test_search_runs_clean(lemma, main_job_records) -> None:
    """The main job's record (its quick search, seed 0; tests/conftest.py), not a second run of
    a search: every example, the searched ones included, is certified."""
    record = main_job_records[lemma.id]
    assert record["verdicts"]["certified"] == record["examples"] > len(lemma.examples)


@pytest.mark.parametrize(
    "params",
    [
        {"sigma": 0.0, "atoms": [0.0], "weights": [1.0]},
        {"sigma": float("nan"), "atoms": [0.0], "weights": [1.0]},
        {"sigma": 1.0, "atoms": [0.0, 1.0], "weights": [1.0]},
        {"sigma": 1.0, "atoms": [0.0], "weights": [-1.0]},
        {"sigma": 1.0, "atoms": [], "weights": []},
        {"sigma": 1.0, "atoms": [0.0, 500.0], "weights": [1.0, 1.0]},
    ],
)
def test_domain_errors(params) -> None:
    with pytest.raises(DomainError):
        H1.validate_point(params)


def test_plot_is_written(tmp_path) -> None:
    run = run_lemma(_only([TWO_ATOMS]), profile="quick", seed=0)
    names = H1_CONJ.plots([e.to_json() for e in run.evaluations], tmp_path)
    assert names == ["h_1_window_sup.png"]
    assert (tmp_path / names[0]).stat().st_size > 1000


@pytest.mark.parametrize("sigma", [1e-100, 1e100])
def test_extreme_sigma_stays_finite(sigma: float) -> None:
    params = {"sigma": sigma, "atoms": [-2.4 * sigma, 2.4 * sigma], "weights": [1.0, 1.0]}
    evaluation = evaluate(H1_CONJ, params, H1_CONJ.stated_constants(), 64)
    assert evaluation.verdict.value == "certified"
    # The certified enclosure holds the value (about 2.0155); its lower end, the empirical
    # constant, is certainly above the acceptance value 2.0.
    kappa_half = evaluation.parts[1]
    assert 2.0 <= kappa_half.empirical <= 2.0155 <= kappa_half.lhs["hi"]


def test_proved_constants_are_the_certified_form_rounded_up() -> None:
    """Issue 12 item 4: H.1's constants are the provable form, its Gaussian integrals certified
    in arb (84.48, 1240.01, 2925603.6), and H.1 holds on the examples with them."""
    run = run_lemma(_only([TWO_ATOMS], lemma=H1), profile="quick", seed=0)
    assert verdict_counts(run)["certified"] == 1
    forms = [p for p in run.evaluations[0].parts if p.name.startswith("proved_form")]
    assert len(forms) == 3 and all(p.verdict.value == "certified" for p in forms)
    for name, kappa in zip(PROVED, (Fraction(1, 4), Fraction(1, 2), Fraction(1)), strict=True):
        form = proved_form(kappa)
        assert form < to_arb(PROVED[name]) < form * to_arb(Fraction(1002, 1000))
        assert H1.constant(name).value == PROVED[name]


def test_proved_constant_below_its_form_is_refuted() -> None:
    """A stated constant below the certified form is refuted by its proved_form part."""
    run = run_lemma(
        _only([TWO_ATOMS], lemma=H1), profile="quick", seed=0, constants={"K_half": Fraction(1240)}
    )
    refuted = [p.name for p in run.evaluations[0].parts if p.verdict.value == "refuted"]
    assert refuted == ["proved_form_kappa=1/2"]


def test_the_conjecture_is_its_own_lemma_and_the_c_lemmas_name_it() -> None:
    from lemmas.c01_interpolation import C1
    from lemmas.c02_c03_tails import C3
    from lemmas.c04_c05_capped_products import C4

    assert H1_CONJ.id == "H.1.conj" and "conjecture" in H1_CONJ.title
    assert [c.value for c in H1_CONJ.constants] == [3, 4, 8]
    for lemma in (C1, C3, C4):
        assert "H.1.conj" in lemma.depends_on and "H.1" not in lemma.depends_on
    assert "H.1.conj" in C1.constant("K").provenance
