"""Verdicts: how an enclosure comparison becomes CERTIFIED, REFUTED, INCONCLUSIVE, ..."""

from __future__ import annotations

import math
from enum import StrEnum
from fractions import Fraction

from verify.core.numbers import certainly_gt, certainly_le, is_finite, to_arb


class Verdict(StrEnum):
    CERTIFIED = "certified"
    STATISTICAL = "statistical"
    INCONCLUSIVE = "inconclusive"
    REFUTED = "refuted"
    ERROR = "error"

    @property
    def severity(self) -> int:
        return SEVERITY[self]


SEVERITY = {
    Verdict.CERTIFIED: 0,
    Verdict.STATISTICAL: 1,
    Verdict.INCONCLUSIVE: 2,
    Verdict.REFUTED: 3,
    Verdict.ERROR: 4,
}
ORDER = tuple(SEVERITY)


def judge(lhs, rhs, kind: str = "certified", margin=None, tolerance=None) -> Verdict:
    """Verdict of ``lhs <= rhs`` from enclosures (or confidence intervals when statistical).

    Only a separation of the two enclosures decides: overlap is INCONCLUSIVE, never a pass.
    ``margin``, when given, is a certified lower bound of ``rhs - lhs`` computed without
    cancellation (for statements that are nearly attained): it certifies when it is certainly
    >= 0 and the two sides alone do not decide. It never refutes.
    """
    if kind == "agreement":
        return judge_agreement(lhs, rhs, tolerance or DEFAULT_AGREEMENT_TOLERANCE)
    passed = Verdict.CERTIFIED if kind == "certified" else Verdict.STATISTICAL
    if not (is_finite(lhs) and is_finite(rhs)):
        # A NaN or unbounded side carries no information: never a pass, whatever the margin.
        return Verdict.INCONCLUSIVE
    if certainly_le(lhs, rhs):
        return passed
    if certainly_gt(lhs, rhs):
        return Verdict.REFUTED
    if margin is not None and certainly_le(0, margin):
        return passed
    return Verdict.INCONCLUSIVE


def worst(verdicts) -> Verdict:
    """The most severe verdict of a collection (CERTIFIED for an empty one)."""
    return max(verdicts, key=lambda v: v.severity, default=Verdict.CERTIFIED)


DEFAULT_AGREEMENT_TOLERANCE = Fraction(1, 2**20)


def relative_width(x) -> float:
    """rad(x) / min|x| over the ball, as a float for display and the tolerance test's screen:
    0 for an exact value, inf for a ball that contains 0 (unless it is exactly 0) or is not
    finite."""
    if isinstance(x, Fraction | int):
        return 0.0
    if not x.is_finite():
        return math.inf
    if x.rad() == 0:
        return 0.0
    low = abs(x).lower()
    if not low > 0:
        return math.inf
    return float((x.rad() / low).upper())


def narrow_enough(x, tolerance: Fraction) -> bool:
    """Certified test rad(x) <= tolerance * min|x| (exact zero and exact rationals pass)."""
    if isinstance(x, Fraction | int):
        return True
    if not x.is_finite():
        return False
    if x.rad() == 0:
        return True
    low = abs(x).lower()
    return bool(low > 0 and x.rad() <= to_arb(tolerance) * low)


def judge_agreement(a, b, tolerance: Fraction = DEFAULT_AGREEMENT_TOLERANCE) -> Verdict:
    """Two computations of one number agree: CERTIFIED only when both enclosures are finite,
    each narrower than ``tolerance`` of its magnitude, and they overlap; REFUTED when they are
    provably apart; otherwise INCONCLUSIVE (the runner retries it at higher precision).

    Overlap alone proves nothing: NaN overlaps everything, and a ball around 0 far wider than
    the other value overlaps it while saying nothing about it.
    """
    if not (is_finite(a) and is_finite(b)):
        return Verdict.INCONCLUSIVE
    if certainly_gt(a, b) or certainly_gt(b, a):
        return Verdict.REFUTED
    if narrow_enough(a, tolerance) and narrow_enough(b, tolerance):
        return Verdict.CERTIFIED
    return Verdict.INCONCLUSIVE


def agreement_digits(a, b) -> int:
    """Decimal digits to which both enclosures are known (0 when either is uninformative)."""
    width = max(relative_width(a), relative_width(b))
    if width == 0:
        return 99
    if not math.isfinite(width) or width >= 1:
        return 0
    return max(0, math.floor(-math.log10(width)))
