"""Compare a run against a baseline: what got worse, in words a reader can act on.

A run may check only some lemmas (one changed constant re-checks one lemma): the lemmas it does
not contain are *not run*, listed but not regressions, unless the comparison is strict
(``require_all``). A run made with another profile, seed or precision than the baseline is not
comparable (``meta_mismatches``). ``merge`` folds a partial run into the baseline without
shrinking it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from verify.core.verdict import SEVERITY, Verdict

DEFAULT_RTOL = 1e-3
# The run settings that must agree for two documents to be comparable.
COMPARABLE_META = ("profile", "seed", "precision")


def _severity(name: str) -> int:
    return SEVERITY[Verdict(name)]


def _moved(old: float | None, new: float | None, rtol: float) -> bool:
    if old is None or new is None:
        return (old is None) != (new is None)
    if not (math.isfinite(old) and math.isfinite(new)):
        return old != new
    return abs(new - old) > rtol * max(abs(old), abs(new), 1e-300)


def meta_mismatches(baseline: dict[str, Any], results: dict[str, Any]) -> list[str]:
    """One line per comparable meta field that differs: ``profile: baseline "quick", run ...``."""
    old, new = baseline.get("meta", {}), results.get("meta", {})
    return [
        f"{key}: baseline {json.dumps(old.get(key))}, run {json.dumps(new.get(key))}"
        for key in COMPARABLE_META
        if old.get(key) != new.get(key)
    ]


def not_run(baseline: dict[str, Any], results: dict[str, Any]) -> list[str]:
    """Ids of the baseline's lemmas that the run does not contain, in baseline order."""
    found = {lemma["id"] for lemma in results["lemmas"]}
    return [lemma["id"] for lemma in baseline["lemmas"] if lemma["id"] not in found]


def compare(
    baseline: dict[str, Any],
    results: dict[str, Any],
    rtol: float = DEFAULT_RTOL,
    *,
    require_all: bool = True,
) -> list[str]:
    """Lines describing each regression of ``results`` against ``baseline`` (empty: none).

    A regression is: a lemma verdict that worsens (e.g. certified -> inconclusive); a verdict
    count of refuted/error/inconclusive that grows; fewer examples than the baseline; an
    empirical constant that moves by more than ``rtol`` (relative) in either direction, since an
    upward move means the statement got tighter and a downward move means the search got
    weaker; and, when ``require_all``, a baseline lemma missing from the run (otherwise such a
    lemma is only "not run", see ``not_run``).
    """
    found = {lemma["id"]: lemma for lemma in results["lemmas"]}
    problems: list[str] = []
    for old in baseline["lemmas"]:
        lemma_id = old["id"]
        new = found.get(lemma_id)
        if new is None:
            if require_all:
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


def _summary_form(lemma: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in lemma.items() if k != "records"}


def _constants_change(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    words = []
    for name, constant in new["constants"].items():
        before = (old or {}).get("constants", {}).get(name)
        value = constant.get("value")
        if before is None:
            words.append(f"{name} = {value}, empirical {constant['empirical']}")
            continue
        parts = []
        if before.get("value") != value:
            parts.append(f"value {before.get('value')} -> {value}")
        if before.get("empirical") != constant["empirical"]:
            parts.append(f"empirical {before.get('empirical')} -> {constant['empirical']}")
        words.append(f"{name} " + (", ".join(parts) if parts else "unchanged"))
    return words


def merge(
    baseline: dict[str, Any], results: dict[str, Any], order: Sequence[str] = ()
) -> tuple[dict[str, Any], list[str]]:
    """The baseline with the run's lemmas folded in, and one line per lemma saying what changed.

    Lemmas of the baseline keep their place (replaced where the run has them, untouched
    otherwise); lemmas new to the baseline are appended in ``order`` (the registry's), then in
    run order for ids ``order`` does not know. The baseline never shrinks. Records are dropped.
    """
    fresh = {lemma["id"]: _summary_form(lemma) for lemma in results["lemmas"]}
    kept_ids = [lemma["id"] for lemma in baseline["lemmas"]]
    changes: list[str] = []
    merged = []
    for old in baseline["lemmas"]:
        new = fresh.get(old["id"])
        if new is None:
            merged.append(old)
            continue
        merged.append(new)
        verdict = (
            f"verdict {old['verdict']} -> {new['verdict']}"
            if old["verdict"] != new["verdict"]
            else f"verdict {new['verdict']} (unchanged)"
        )
        changes.append(
            "; ".join([f"{old['id']}: replaced: {verdict}", *_constants_change(old, new)])
        )
    rank = {lemma_id: i for i, lemma_id in enumerate(order)}
    run_order = {lemma_id: i for i, lemma_id in enumerate(fresh)}
    added = sorted(
        (lemma_id for lemma_id in fresh if lemma_id not in kept_ids),
        key=lambda i: (i not in rank, rank.get(i, 0), run_order[i]),
    )
    for lemma_id in added:
        new = fresh[lemma_id]
        merged.append(new)
        changes.append(
            "; ".join(
                [f"{lemma_id}: added: verdict {new['verdict']}", *_constants_change(None, new)]
            )
        )
    old_meta, new_meta = baseline.get("meta", {}), results.get("meta", {})
    overrides = {
        k: v for k, v in old_meta.get("overrides", {}).items() if k not in fresh
    } | new_meta.get("overrides", {})
    meta = {
        **old_meta,
        **new_meta,
        "ids": [lemma["id"] for lemma in merged],
        "overrides": overrides,
    }
    return {**baseline, "schema": results.get("schema", 1), "meta": meta, "lemmas": merged}, changes
