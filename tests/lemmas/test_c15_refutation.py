from fractions import Fraction

from verify.core.registry import get
from verify.core.runner import evaluate
from verify.core.verdict import Verdict


def test_c15_at_half_its_empirical_value_is_refuted():
    # The right side is narrow (e1^2 certified small), and the lower end of the left side is
    # positive (levels below the right side): C15 is refutable just below its empirical value.
    lemma = get("C.15")
    point = {**lemma.examples[0], "samples": 1500}
    good = evaluate(lemma, point, lemma.stated_constants(), 64)
    assert good.verdict is Verdict.STATISTICAL
    part = good.parts[0]
    empirical = part.empirical
    assert empirical is not None and empirical > 0
    assert part.data["e1_squared_upper"] < 1e-2 * part.rhs["lo"]
    bad = evaluate(lemma, point, {"C15": Fraction(empirical) / 2}, 64)
    assert bad.verdict is Verdict.REFUTED
    assert bad.parts[0].refutation["outcome"] == "confirmed by an independent re-draw"
