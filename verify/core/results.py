"""The results contract: one run of several lemmas as a JSON document (schema 1)."""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from verify.core.runner import (
    LemmaRun,
    empirical_constants,
    params_key,
    verdict_counts,
    worst_example,
)
from verify.core.verdict import ORDER

SCHEMA = 1
TIMING_KEYS = {"seconds", "examples_per_second", "started", "wall_seconds"}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    return {
        "python": platform.python_version(),
        "dpsverify": _version("dpsverify"),
        "python-flint": _version("python-flint"),
        "hypothesis": _version("hypothesis"),
        "mpmath": _version("mpmath"),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
    }


def lemma_verdict(counts: dict[str, int]) -> str:
    """The most severe verdict present (certified for a lemma with no example)."""
    present = [v for v in ORDER if counts.get(v.value, 0) > 0]
    return present[-1].value if present else "certified"


def lemma_json(run: LemmaRun) -> dict[str, Any]:
    lemma = run.lemma
    found = empirical_constants(run)
    counts = verdict_counts(run)
    constants = {}
    for c in lemma.constants:
        value = run.constants[c.name]
        constants[c.name] = {
            "value": str(value),
            "float": float(value),
            "stated": str(c.value),
            "overridden": value != c.value,
            "provenance": c.provenance,
            "sense": c.sense,
            "empirical": found[c.name]["empirical"],
            "worst_params": found[c.name]["params"],
        }
    primary = lemma.primary_constant
    examples = len(run.evaluations)
    return {
        "id": lemma.id,
        "title": lemma.title,
        "statement": lemma.statement,
        "domain": lemma.domain_text,
        "depends_on": list(lemma.depends_on),
        "constants": constants,
        "primary_constant": primary,
        "examples": examples,
        "verdict": lemma_verdict(counts),
        "verdicts": counts,
        "worst": worst_example(run),
        "empirical_constant": found[primary]["empirical"] if primary else None,
        "seconds": round(run.seconds, 3),
        "examples_per_second": round(examples / run.seconds, 3) if run.seconds > 0 else None,
        "plots": list(run.plots),
        "records": [e.to_json() for e in run.evaluations],
    }


def document(runs: list[LemmaRun], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "meta": {"versions": versions(), "platform": sys.platform, **meta},
        "lemmas": [lemma_json(run) for run in runs],
    }


def write(doc: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, sort_keys=False, default=str) + "\n")


def load(path: Path) -> dict[str, Any]:
    from verify.core.errors import UsageError

    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UsageError(f"no such results file: {path}") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read results file {path}: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or "lemmas" not in doc:
        raise UsageError(f"{path} is not a schema-{SCHEMA} results file")
    return doc


def baseline_form(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as a committed baseline: per-example records dropped (regress ignores them)."""
    lemmas = [{k: v for k, v in lemma.items() if k != "records"} for lemma in doc["lemmas"]]
    return {**doc, "lemmas": lemmas}


def without_timings(value: Any) -> Any:
    """The document with every timing field removed (for reproducibility comparisons)."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


__all__ = ["document", "lemma_json", "load", "params_key", "without_timings", "write"]
