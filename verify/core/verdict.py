"""Verdicts: how an enclosure comparison becomes CERTIFIED, REFUTED, INCONCLUSIVE, ..."""

from __future__ import annotations

from enum import StrEnum

from verify.core.numbers import certainly_gt, certainly_le


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


def judge(lhs, rhs, kind: str = "certified", margin=None) -> Verdict:
    """Verdict of ``lhs <= rhs`` from enclosures (or confidence intervals when statistical).

    Only a separation of the two enclosures decides: overlap is INCONCLUSIVE, never a pass.
    ``margin``, when given, is a certified lower bound of ``rhs - lhs`` computed without
    cancellation (for statements that are nearly attained): it certifies when it is certainly
    >= 0 and the two sides alone do not decide. It never refutes.
    """
    passed = Verdict.CERTIFIED if kind == "certified" else Verdict.STATISTICAL
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
