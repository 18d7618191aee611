import math
from fractions import Fraction

import pytest
from flint import arb

from verify.core.runner import REFUTATION_ALPHA
from verify.core.verdict import Verdict, agreement_digits, judge, judge_agreement, worst


def test_separated_enclosures_decide():
    assert judge(arb(1), arb(2)) is Verdict.CERTIFIED
    assert judge(arb(2), arb(1)) is Verdict.REFUTED
    assert judge(arb(1), arb(1, 0.1)) is Verdict.INCONCLUSIVE
    assert judge(arb(1), arb(2), "statistical") is Verdict.STATISTICAL
    assert judge(arb(3), arb(2), "statistical") is Verdict.REFUTED


def test_exact_equality_certifies_and_margin_only_certifies():
    assert judge(Fraction(0), Fraction(0)) is Verdict.CERTIFIED
    assert judge(Fraction(1, 3), Fraction(1, 4)) is Verdict.REFUTED
    overlapping = (arb(1, 1e-10), arb(1, 1e-10))
    assert judge(*overlapping, margin=arb("1e-300")) is Verdict.CERTIFIED
    # A margin cannot refute: a negative lower bound of rhs - lhs proves nothing.
    assert judge(*overlapping, margin=arb(-1)) is Verdict.INCONCLUSIVE


def test_worst_orders_by_severity():
    assert worst([Verdict.CERTIFIED, Verdict.STATISTICAL]) is Verdict.STATISTICAL
    assert worst([Verdict.REFUTED, Verdict.INCONCLUSIVE]) is Verdict.REFUTED
    assert worst([Verdict.ERROR, Verdict.REFUTED]) is Verdict.ERROR
    assert worst([]) is Verdict.CERTIFIED


NAN = arb("nan")
UNBOUNDED = arb(0, float("inf"))


@pytest.mark.parametrize("kind", ["certified", "statistical", "agreement"])
@pytest.mark.parametrize("bad", [NAN, UNBOUNDED, arb(1, float("inf"))])
def test_a_non_finite_side_is_never_a_pass(kind, bad):
    # Planted NaN or unbounded enclosures in each part kind: never CERTIFIED/STATISTICAL,
    # whatever the margin says.
    passes = {Verdict.CERTIFIED, Verdict.STATISTICAL}
    assert judge(bad, arb(1), kind, margin=arb(1)) not in passes
    assert judge(arb(1), bad, kind, margin=arb(1)) not in passes
    assert judge(bad, bad, kind, margin=arb(1)) not in passes


def test_agreement_needs_two_narrow_finite_overlapping_enclosures():
    assert judge_agreement(arb(1), arb(1)) is Verdict.CERTIFIED
    assert judge_agreement(Fraction(1, 3), Fraction(1, 3)) is Verdict.CERTIFIED
    assert judge_agreement(arb(0), Fraction(0)) is Verdict.CERTIFIED
    assert judge_agreement(arb(1, 1e-9), arb(1, 1e-9)) is Verdict.CERTIFIED
    # The audit's case: a ball around 0 far wider than the other value overlaps it.
    assert judge_agreement(arb(0, 4e-20), arb("1e-400")) is Verdict.INCONCLUSIVE
    # Overlapping but too wide for 2^-20: undecided, retried at higher precision.
    assert judge_agreement(arb(1, 1e-3), arb(1, 1e-3)) is Verdict.INCONCLUSIVE
    assert judge_agreement(arb(1, 1e-3), arb(1, 1e-3), Fraction(1, 100)) is Verdict.CERTIFIED
    assert judge_agreement(NAN, arb(1)) is Verdict.INCONCLUSIVE
    assert judge_agreement(arb(1), arb(2)) is Verdict.REFUTED
    assert judge_agreement(arb(2), arb(1)) is Verdict.REFUTED


def test_agreement_digits():
    assert agreement_digits(arb(1, 1e-9), arb(1, 1e-12)) == 8
    assert agreement_digits(arb(0, 1), arb(1)) == 0
    assert agreement_digits(Fraction(1), arb(1)) == 99


def test_agreement_part_through_the_runner_records_both_balls():
    from verify.core.contract import Agreement, Lemma
    from verify.core.runner import evaluate

    def check(params, constants):
        b = arb(1) if params["same"] else arb(1) + arb("1e-3")
        return [Agreement("two_ways", arb(1), b, note="closed form vs sum")]

    lemma = Lemma(
        id="T.agree",
        title="t",
        statement="a = b",
        domain="any",
        constants=[],
        params=lambda: None,
        check=check,
    )
    good = evaluate(lemma, {"same": True}, {}, 64)
    assert good.verdict is Verdict.CERTIFIED
    record = good.parts[0].to_json()
    assert record["kind"] == "agreement"
    assert set(record["agreement"]) == {"a", "b", "digits"}
    assert record["agreement"]["digits"] >= 6
    bad = evaluate(lemma, {"same": False}, {}, 64)
    assert bad.verdict is Verdict.REFUTED


def _statistical_lemma(observed, strict, fresh):
    from verify.core.contract import Lemma, Part

    def check(params, constants):
        def redraw(alpha, is_fresh):
            assert alpha == REFUTATION_ALPHA
            return fresh if is_fresh else strict

        return [
            Part(
                "rate",
                *observed,
                kind="statistical",
                confidence=0.99,
                redraw=redraw if params["redraw"] else None,
            )
        ]

    return Lemma(
        id="T.stat",
        title="t",
        statement="p <= c",
        domain="any",
        constants=[],
        params=lambda: None,
        check=check,
    )


@pytest.mark.parametrize(
    ("strict", "fresh", "expected", "outcome"),
    [
        # A 3-sigma fluctuation: refuted at 99%, not at 1e-6.
        ((arb("0.08", 0.004), arb("0.078")), None, Verdict.INCONCLUSIVE, "not significant"),
        # Significant on its own samples, not confirmed by a fresh draw.
        (
            (arb("0.2", 0.01), arb("0.078")),
            (arb("0.078", 0.01), arb("0.078")),
            Verdict.INCONCLUSIVE,
            "not confirmed",
        ),
        # A planted wrong model: significant and confirmed.
        (
            (arb("0.2", 0.01), arb("0.078")),
            (arb("0.2", 0.005), arb("0.078")),
            Verdict.REFUTED,
            "confirmed",
        ),
    ],
)
def test_statistical_refutation_needs_the_strict_level_and_a_fresh_draw(
    strict, fresh, expected, outcome
):
    from verify.core.runner import evaluate

    lemma = _statistical_lemma((arb("0.082", 0.002), arb("0.078")), strict, fresh)
    result = evaluate(lemma, {"redraw": True}, {}, 64)
    assert result.verdict is expected
    record = result.parts[0].to_json()["refutation"]
    assert record["alpha"] == REFUTATION_ALPHA
    assert record["outcome"].startswith(outcome)


def test_statistical_pass_never_calls_redraw():
    from verify.core.runner import evaluate

    lemma = _statistical_lemma((arb("0.07", 0.002), arb("0.078")), None, None)
    result = evaluate(lemma, {"redraw": True}, {}, 64)
    assert result.verdict is Verdict.STATISTICAL
    assert "refutation" not in result.parts[0].to_json()


def test_judge_passes_the_stated_agreement_tolerance_on():
    wide = (arb(1, 1e-3), arb(1, 1e-3))
    assert judge(*wide, "agreement") is Verdict.INCONCLUSIVE
    assert judge(*wide, "agreement", tolerance=Fraction(1, 100)) is Verdict.CERTIFIED
    assert judge(arb(1, 1e-9), arb(1, 1e-9), "agreement") is Verdict.CERTIFIED
    assert judge(arb(1), arb(2), "agreement", tolerance=Fraction(1, 100)) is Verdict.REFUTED


def test_relative_width_and_narrow_enough_at_their_boundaries():
    from verify.core.verdict import narrow_enough, relative_width

    assert relative_width(arb(0)) == 0.0
    assert relative_width(arb(5)) == 0.0
    assert relative_width(Fraction(1, 3)) == 0.0
    # [9, 11]: radius 1 over the smallest magnitude 9.
    assert relative_width(arb(10, 1)) == pytest.approx(1 / 9, rel=1e-8)
    assert relative_width(arb(-10, 1)) == pytest.approx(1 / 9, rel=1e-8)
    assert relative_width(arb(0, 1)) == math.inf
    assert relative_width(arb("nan")) == math.inf
    assert narrow_enough(arb(0), Fraction(0))
    assert narrow_enough(Fraction(1, 3), Fraction(0))
    assert not narrow_enough(arb("nan"), Fraction(1))
    assert not narrow_enough(arb(0, math.inf), Fraction(1))
    assert not narrow_enough(arb(0, 1), Fraction(10))
    # [9, 11] with tolerance 1/10: 1 > 0.9 (measured against the smallest magnitude, 9).
    assert not narrow_enough(arb(10, 1), Fraction(1, 10))
    assert narrow_enough(arb(10, 1), Fraction(1, 2))


def test_agreement_digits_of_a_wide_ball_is_zero():
    # Relative width 1/3: not even one digit.
    assert agreement_digits(arb(2, 0.5), arb(2)) == 0
    assert agreement_digits(arb(1, 0.01), arb(1)) == 1
    assert agreement_digits(arb("nan"), arb(1)) == 0


@pytest.mark.parametrize("kind", ["certified", "statistical", "agreement"])
@pytest.mark.parametrize("bad", ["nan", "inf", "unbounded"])
def test_a_planted_non_finite_part_is_never_a_pass_through_the_runner(kind, bad):
    """End to end: the runner retries an undecided part up to MAX_PRECISION, and a part whose
    side stays NaN / infinite / unbounded at every precision still never passes."""
    from verify.core.contract import Agreement, Lemma, Part
    from verify.core.runner import evaluate

    def planted():
        return {"nan": arb("nan"), "inf": arb("inf"), "unbounded": arb(0, math.inf)}[bad]

    def check(params, constants):
        if kind == "agreement":
            return [Agreement("two_ways", planted(), arb(1))]
        extra = {"confidence": 0.99} if kind == "statistical" else {}
        return [Part("bound", planted(), arb(1), kind=kind, margin=arb(1), **extra)]

    lemma = Lemma(
        id="T.planted",
        title="t",
        statement="a <= b",
        domain="any",
        constants=[],
        params=lambda: None,
        check=check,
    )
    result = evaluate(lemma, {}, {}, 64)
    assert result.verdict not in {Verdict.CERTIFIED, Verdict.STATISTICAL}
    assert result.parts and all(
        p.verdict not in {Verdict.CERTIFIED, Verdict.STATISTICAL} for p in result.parts
    )


def test_a_statistical_part_without_redraw_cannot_refute():
    from verify.core.runner import evaluate

    lemma = _statistical_lemma((arb("0.2", 0.002), arb("0.078")), None, None)
    result = evaluate(lemma, {"redraw": False}, {}, 64)
    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.parts[0].to_json()["refutation"]["outcome"].startswith("not confirmed")
