"""Verdicts: how an enclosure comparison becomes CERTIFIED, REFUTED, INCONCLUSIVE, ..."""

from __future__ import annotations

from enum import StrEnum

from verify.numbers import certainly_gt, certainly_le


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


def judge(lhs, rhs, kind: str = "certified") -> Verdict:
    """Verdict of ``lhs <= rhs`` from enclosures (or confidence intervals when statistical).

    Only a separation of the two enclosures decides: overlap is INCONCLUSIVE, never a pass.
    """
    if certainly_le(lhs, rhs):
        return Verdict.CERTIFIED if kind == "certified" else Verdict.STATISTICAL
    if certainly_gt(lhs, rhs):
        return Verdict.REFUTED
    return Verdict.INCONCLUSIVE


def worst(verdicts) -> Verdict:
    """The most severe verdict of a collection (CERTIFIED for an empty one)."""
    return max(verdicts, key=lambda v: v.severity, default=Verdict.CERTIFIED)
