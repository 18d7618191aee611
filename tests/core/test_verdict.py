from fractions import Fraction

from flint import arb

from verify.core.verdict import Verdict, judge, worst


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
