"""The mutation harness: constants set just past their empirical value must come back REFUTED."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.mutate import (
    CAUGHT,
    NOT_EXERCISED,
    STEPS,
    SURVIVED,
    mutate,
    mutated_value,
)
from verify.core.numbers import ball
from verify.core.registry import all_lemmas


def _x_params():
    return st.fixed_dictionaries({"x": st.floats(0, 1, allow_nan=False)})


def _upper_check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    # x (2 - x) <= C, tight at x = 1 (a fixed example), so the empirical constant is 1.
    x = Fraction(params["x"])
    return [Part("bump", x * (2 - x), constants["C"], constant="C", unit=Fraction(1))]


def _lower_check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    # c <= 1 + x: a lower constant, empirical min (1 + x) = 1 at x = 0.
    x = Fraction(params["x"])
    return [Part("floor", constants["c"], 1 + x, constant="c", unit=Fraction(1))]


def _zero_check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    # 0 <= Z (1 + x): the empirical constant is exactly 0; a negative Z must be refuted.
    x = Fraction(params["x"])
    return [Part("zero", Fraction(0), constants["Z"] * (1 + x), constant="Z", unit=1 + x)]


def _deaf_check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    # A defective check: it names constant A but always uses the stated value, and constant B
    # is never measured by any part.
    x = Fraction(params["x"])
    return [Part("deaf", x, Fraction(1), constant="A", unit=Fraction(1))]


def _sampled(width: float):
    def check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
        # A sampled mean with a +-width confidence interval: a mutation smaller than about
        # the interval cannot be refuted at 99 % confidence.
        mean = float(Fraction(1, 2) + Fraction(params["x"]) / 4)
        lhs = ball(mean * (1 - width), mean * (1 + width))
        rhs = constants["M"] * Fraction(3, 4)
        return [
            Part(
                "mean",
                lhs,
                rhs,
                constant="M",
                unit=Fraction(3, 4),
                kind="statistical",
                confidence=0.99,
                # A toy without sampling noise: the same interval at any level and on any draw.
                redraw=lambda alpha, fresh: (lhs, rhs),
            )
        ]

    return check


def toy(lemma_id: str, check, constants: list[Constant], examples=({"x": 1.0},)) -> Lemma:
    return Lemma(
        id=lemma_id,
        title=f"toy {lemma_id}",
        statement="x \\le C",
        domain="x in [0, 1]",
        constants=constants,
        params=_x_params,
        check=check,
        examples=list(examples),
        budget={"quick": 5},
    )


UPPER = toy("T.1", _upper_check, [Constant("C", Fraction(2), "toy", "upper")])
LOWER = toy(
    "T.2", _lower_check, [Constant("c", Fraction(1, 2), "toy", "lower")], examples=({"x": 0.0},)
)
ZERO = toy("T.3", _zero_check, [Constant("Z", Fraction(1), "toy", "upper")])
DEAF = toy(
    "T.4",
    _deaf_check,
    [Constant("A", Fraction(1), "toy", "upper"), Constant("B", Fraction(1), "toy", "upper")],
)
SAMPLED = toy("T.5", _sampled(0.02), [Constant("M", Fraction(2), "toy", "upper")])
COARSE = toy("T.6", _sampled(0.2), [Constant("M", Fraction(2), "toy", "upper")])


def _quiet(_: str) -> None:
    pass


def test_mutated_value_is_just_past_the_empirical_constant() -> None:
    assert mutated_value(2.0, "upper", 1e-3) == Fraction("1.998")
    assert mutated_value(2.0, "lower", 1e-3) == Fraction("2.002")
    assert mutated_value(-2.0, "upper", 1e-3) == Fraction("-2.002")
    assert mutated_value(0.0, "upper", 1e-3) == Fraction("-0.001")
    assert mutated_value(0.0, "lower", 1e-3) == Fraction("0.001")
    tiny = 1.234567891234e-200
    assert mutated_value(tiny, "upper", 1e-3) < Fraction(tiny)
    with pytest.raises(ValueError):
        mutated_value(float("inf"), "upper", 1e-3)


def test_good_checks_are_caught_at_the_first_step(tmp_path: Path) -> None:
    lines: list[str] = []
    summary = mutate(
        profile="quick", seed=0, out=tmp_path, lemmas=[UPPER, LOWER, ZERO], log=lines.append
    )
    assert summary["caught"] == summary["total"] == 3
    assert summary["score"] == 1.0 and summary["defects"] == []
    by_constant = {m["constant"]: m for m in summary["mutants"]}
    assert by_constant["C"]["empirical"] == 1.0
    assert Fraction(by_constant["C"]["mutated"]) == Fraction("0.999")
    assert by_constant["c"]["empirical"] == 1.0
    assert Fraction(by_constant["c"]["mutated"]) == Fraction("1.001")
    assert Fraction(by_constant["Z"]["mutated"]) == Fraction("-0.001")
    for mutant in summary["mutants"]:
        assert mutant["status"] == CAUGHT and mutant["step"] == STEPS[0]
        assert mutant["refuted_at_worst"]
    assert any("mutation score: 3/3 = 100.0%" in line for line in lines)
    written = json.loads((tmp_path / "mutation.json").read_text())
    assert written["score"] == 1.0
    # What the harness writes is what the shipped schema describes (and it loads back).
    from verify.core import results

    assert results.load(tmp_path / "mutation.json", "mutation") == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mutation.json"]  # no temporary left


def test_a_check_that_ignores_its_constant_is_reported() -> None:
    lines: list[str] = []
    summary = mutate(profile="quick", seed=0, lemmas=[DEAF], log=lines.append)
    status = {m["constant"]: m["status"] for m in summary["mutants"]}
    assert status == {"A": SURVIVED, "B": NOT_EXERCISED}
    assert summary["score"] == 0.0
    assert any(d.startswith("T.4.A: survived") for d in summary["defects"])
    assert any(d.startswith("T.4.B: not exercised") for d in summary["defects"])
    assert any("SURVIVED" in line for line in lines)
    assert any("mutation score: 0/2 = 0.0%" in line for line in lines)


def test_wide_confidence_intervals_are_read_at_their_certain_end() -> None:
    # The empirical constant is the interval's lower end (what the check can refute with), so
    # even a +-20 % interval is caught at the first, smallest step.
    lines: list[str] = []
    summary = mutate(profile="quick", seed=0, lemmas=[SAMPLED, COARSE], log=lines.append)
    sampled, coarse = summary["mutants"]
    for mutant in (sampled, coarse):
        assert mutant["status"] == CAUGHT and mutant["step"] == 1e-3
        assert [t["refuted"] for t in mutant["tries"]] == [1]
    assert summary["score"] == 1.0 and summary["strict_score"] == 1.0
    assert summary["coarse"] == []


@pytest.mark.parametrize("lemma_id", ["C.16", "C.9", "H.9"])
def test_registered_lemma_constants_are_caught(lemma_id: str) -> None:
    lemmas = all_lemmas()
    if lemma_id not in lemmas:
        pytest.skip(f"{lemma_id} is not registered yet")
    small = dataclasses.replace(lemmas[lemma_id], budget={"quick": 4})
    summary = mutate(profile="quick", seed=0, lemmas=[small], log=_quiet)
    assert summary["total"] == len(small.constants)
    assert summary["defects"] == [], summary["defects"]


def test_model_mutants_must_be_refuted():
    from flint import arb

    from verify.core.contract import Lemma, ModelMutant, Part
    from verify.core.mutate import mutate

    def check(params, constants, *, bias=0):
        observed = arb(params["x"]) + bias
        return [Part("value", observed, arb(1))]

    lemma = Lemma(
        id="T.model",
        title="t",
        statement="x <= 1",
        domain="any",
        constants=[],
        params=lambda: None,
        check=check,
        examples=[{"x": 0.5}],
        budget={"quick": 0},
        model_mutants=[
            ModelMutant("value shifted by 2", lambda p, c: check(p, c, bias=2)),
            ModelMutant("harmless shift", lambda p, c: check(p, c, bias=0.1)),
        ],
    )
    summary = mutate(lemmas=[lemma], log=lambda line: None)
    by_name = {m["constant"]: m for m in summary["mutants"]}
    assert by_name["model: value shifted by 2"]["status"] == "caught"
    assert by_name["model: harmless shift"]["status"] == "survived"
    assert summary["caught"] == 1 and summary["total"] == 2
