"""Render a results document as Markdown (report.md)."""

from __future__ import annotations

import json
from typing import Any

from verify.core.results import side_text
from verify.core.verdict import ORDER

BADGE = {
    "certified": "CERTIFIED",
    "statistical": "STATISTICAL",
    "inconclusive": "INCONCLUSIVE",
    "refuted": "REFUTED",
    "error": "ERROR",
}


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[v.value]} {v.value}" for v in ORDER if counts.get(v.value))


def render(doc: dict[str, Any]) -> str:
    meta = doc["meta"]
    lines = [
        "# dpsverify report",
        "",
        f"Profile `{meta.get('profile')}`, seed `{meta.get('seed')}`, working precision "
        f"{meta.get('precision')} bits, wall time {_number(meta.get('wall_seconds'))} s.",
        "",
        "Verdicts: CERTIFIED (rigorous enclosures prove it), STATISTICAL (a sampled claim at the "
        "stated confidence), INCONCLUSIVE (enclosures overlap even at the highest precision), "
        "REFUTED, ERROR.",
        "",
        "| id | title | verdict | examples | worst ratio | empirical constant | stated | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for lemma in doc["lemmas"]:
        primary = lemma.get("primary_constant")
        stated = lemma["constants"][primary]["value"] if primary else "-"
        worst = lemma.get("worst") or {}
        lines.append(
            f"| {lemma['id']} | {lemma['title']} | {BADGE[lemma['verdict']]} | "
            f"{lemma['examples']} | {_number(worst.get('ratio'))} | "
            f"{_number(lemma.get('empirical_constant'))} | {stated} | "
            f"{_number(lemma.get('seconds'))} |"
        )
    for lemma in doc["lemmas"]:
        lines += _lemma_section(lemma)
    return "\n".join(lines) + "\n"


def _lemma_section(lemma: dict[str, Any]) -> list[str]:
    lines = [
        "",
        f"## {lemma['id']}: {lemma['title']}",
        "",
        f"$$ {lemma['statement']} $$",
        "",
        f"Domain: {lemma['domain']}.",
        "",
        f"Verdict **{BADGE[lemma['verdict']]}** over {lemma['examples']} examples "
        f"({_counts(lemma['verdicts']) or 'none'}); {_number(lemma.get('seconds'))} s, "
        f"{_number(lemma.get('examples_per_second'))} examples/s.",
        "",
        "| constant | value | stated | empirical | sense | provenance |",
        "|---|---|---|---|---|---|",
    ]
    for name, c in lemma["constants"].items():
        value = c["value"] + (" (set)" if c["overridden"] else "")
        lines.append(
            f"| `{name}` | {value} | {c['stated']} | {_number(c['empirical'])} | {c['sense']} | "
            f"{c['provenance']} |"
        )
    worst = lemma.get("worst")
    if worst:
        lines += [
            "",
            f"Worst example (part `{worst.get('part')}`, lhs/rhs = {_number(worst.get('ratio'))}): "
            f"`{json.dumps(worst['params'])}`",
        ]
    failures = [r for r in lemma.get("records", []) if r["verdict"] in ("refuted", "error")]
    if failures:
        lines += ["", "Failing examples:", ""]
        for record in failures[:10]:
            detail = record.get("error") or "; ".join(
                f"{p['name']}: lhs {side_text(p['lhs'])} > rhs {side_text(p['rhs'])}"
                for p in record["parts"]
                if p["verdict"] == "refuted"
            )
            first_line = detail.splitlines()[0] if detail else ""
            lines.append(f"- {record['verdict']}: `{json.dumps(record['params'])}`: {first_line}")
    for plot in lemma.get("plots", []):
        lines += ["", f"![{lemma['id']} plot]({plot})"]
    return lines
