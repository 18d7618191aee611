"""Compare a run against a baseline: what got worse, in words a reader can act on."""

from __future__ import annotations

import math
from typing import Any

from verify.core.verdict import SEVERITY, Verdict

DEFAULT_RTOL = 1e-3


def _severity(name: str) -> int:
    return SEVERITY[Verdict(name)]


def _moved(old: float | None, new: float | None, rtol: float) -> bool:
    if old is None or new is None:
        return (old is None) != (new is None)
    if not (math.isfinite(old) and math.isfinite(new)):
        return old != new
    return abs(new - old) > rtol * max(abs(old), abs(new), 1e-300)


def compare(
    baseline: dict[str, Any], results: dict[str, Any], rtol: float = DEFAULT_RTOL
) -> list[str]:
    """Lines describing each regression of ``results`` against ``baseline`` (empty: none).

    A regression is: a baseline lemma missing from the run; a lemma verdict that worsens (e.g.
    certified -> inconclusive); a verdict count of refuted/error/inconclusive that grows; fewer
    examples than the baseline; an empirical constant that moves by more than ``rtol``
    (relative) in either direction, since an upward move means the statement got tighter and a
    downward move means the search got weaker.
    """
    found = {lemma["id"]: lemma for lemma in results["lemmas"]}
    problems: list[str] = []
    for old in baseline["lemmas"]:
        lemma_id = old["id"]
        new = found.get(lemma_id)
        if new is None:
            problems.append(f"{lemma_id}: in the baseline but not in this run")
            continue
        if _severity(new["verdict"]) > _severity(old["verdict"]):
            problems.append(f"{lemma_id}: verdict worsened: {old['verdict']} -> {new['verdict']}")
        for bad in ("error", "refuted", "inconclusive"):
            before, after = old["verdicts"].get(bad, 0), new["verdicts"].get(bad, 0)
            if after > before:
                problems.append(f"{lemma_id}: {bad} examples grew: {before} -> {after}")
        if new["examples"] < old["examples"]:
            problems.append(f"{lemma_id}: examples dropped: {old['examples']} -> {new['examples']}")
        for name, old_c in old["constants"].items():
            new_c = new["constants"].get(name)
            if new_c is None:
                problems.append(f"{lemma_id}: constant {name} disappeared")
                continue
            if _moved(old_c["empirical"], new_c["empirical"], rtol):
                problems.append(
                    f"{lemma_id}: empirical constant {name} moved: {old_c['empirical']} -> "
                    f"{new_c['empirical']} (stated {new_c['value']}, tolerance {rtol:g})"
                )
    return problems
