"""Render a results document as Markdown (report.md)."""

from __future__ import annotations

import json
from typing import Any

from verify.core.results import side_text
from verify.core.verdict import ORDER
from verify.report.summary import (
    clean_params,
    estimate_text,
    primary,
    short,
    slack,
    statistical_estimate,
    structure_summary,
    worst_inequality,
)

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


def cell(value: Any) -> str:
    """Text safe inside a Markdown table cell: ``|`` escaped, one line."""
    return " ".join(str(value).split()).replace("|", "\\|")


def params_text(params: Any) -> str:
    """Parameters as JSON, floats without the noise of computation (28.8, not 28.799...97)."""
    return json.dumps(clean_params(params))


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[v.value]} {v.value}" for v in ORDER if counts.get(v.value))


def empirical_text(lemma: dict[str, Any]) -> str:
    """The primary constant's empirical value; for a sampled one, its estimate and interval."""
    estimate = statistical_estimate(lemma)
    if estimate is not None:
        return estimate_text(estimate)
    return _number(lemma.get("empirical_constant"))


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
        "| id | title | verdict | examples | worst lhs/rhs | empirical constant | stated | "
        "slack | exact checks | s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for lemma in doc["lemmas"]:
        _, info = primary(lemma)
        stated = info["value"] if info is not None else "-"
        worst = worst_inequality(lemma) or {}
        row = [
            lemma["id"],
            lemma["title"],
            BADGE[lemma["verdict"]],
            lemma["examples"],
            _number(worst.get("ratio")),
            empirical_text(lemma),
            stated,
            short(slack(lemma)),
            structure_summary(lemma),
            _number(lemma.get("seconds")),
        ]
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    lines += [
        "",
        "worst lhs/rhs: over the inequality parts only; parts comparing exact structure (both "
        "sides exact integers, or an agreement gap against 0) are counted under exact checks. "
        "slack: stated over empirical constant (empirical over stated for a lower constant); "
        "at least 1 when the statement holds. A sampled constant shows its estimate and "
        "confidence interval.",
    ]
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
        row = [f"`{name}`", value, c["stated"], _number(c["empirical"]), c["sense"]]
        row.append(c["provenance"])
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    worst = worst_inequality(lemma)
    if worst:
        lines += [
            "",
            f"Worst example (part `{worst.get('part')}`, lhs/rhs = {_number(worst.get('ratio'))}): "
            f"`{params_text(worst['params'])}`",
        ]
    structure = structure_summary(lemma)
    if structure != "-":
        lines += ["", f"Exact-structure checks: {structure}."]
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
            lines.append(f"- {record['verdict']}: `{params_text(record['params'])}`: {first_line}")
    if lemma.get("plot_error"):
        lines += ["", f"Drawing the plots failed: {lemma['plot_error']}"]
    if lemma.get("plots_skipped"):
        lines += ["", "Plots not drawn in this run (`verify run --no-plots`)."]
    for plot in lemma.get("plots", []):
        lines += ["", f"![{lemma['id']} plot]({plot})"]
    return lines
