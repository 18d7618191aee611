"""The verification report as a static, offline website: a blueprint graph and one page a lemma.

``write_html(results, out_dir)`` turns a ``results.json`` document (schema 1) into
``index.html`` (the paper's dependency graph as inline SVG, then a summary table) and
``lemma-<id>.html`` pages. Everything is inline: no script, no web font, no network; formulas are
MathML from ``verify.report.formulas`` (latex2mathml, the LaTeX source as a fallback), plots are
relative links to the PNGs drawn into the same folder (``verify.report.render``).

The graph reads like a Lean blueprint: the shape says what a statement is (lemma, theorem,
corollary, definition), the fill its *effective* status (the weakest over itself and every
statement its proof uses, ``verify.report.blueprint.effective_statuses``), the border its own
verdict (dashed grey when no module checks it). Every grey node's tooltip gives its reason.
"""

from __future__ import annotations

import html
import json
import math
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from verify.report.blueprint import (
    Effective,
    Graph,
    Placed,
    build_graph,
    effective_statuses,
    kind_of,
    layout,
    normalize_id,
    sort_key,
)
from verify.report.formulas import render
from verify.report.summary import (
    clean_params,
    estimate_text,
    slack,
    statistical_estimate,
    structure_summary,
    worst_inequality,
)

VERDICTS = ("certified", "statistical", "inconclusive", "refuted", "error")
PASSING = {"certified", "statistical"}
FILL = {
    "certified": "#8fd694",
    "statistical": "#a8cff0",
    "inconclusive": "#ffe082",
    "refuted": "#f28b82",
    "error": "#d7a6e0",
    "certified-given-conjecture": "#d4e8a0",
    None: "#eeeeee",
}
# Effective statuses as the fill shows them ("unchecked" is the grey of an unchecked node).
EFFECTIVE_FILL = {**FILL, "unchecked": FILL[None]}
BORDER = {
    "certified": "#1b5e20",
    "certified-given-conjecture": "#5f7f1b",
    "statistical": "#0d47a1",
    "inconclusive": "#b28704",
    "refuted": "#b71c1c",
    "error": "#6a1b9a",
}
MEANING = {
    "certified": "every example certified by rigorous enclosures",
    "statistical": "worst: holds at the stated confidence (sampling-based)",
    "inconclusive": "worst: enclosures overlap, neither proved nor refuted",
    "refuted": "a counterexample was found",
    "error": "a check crashed or returned nothing",
    "certified-given-conjecture": "certified, but resting on a conjecture checked by search",
    None: "not checked: no module for this statement",
}
NODE_WIDTH = 92.0
NODE_HEIGHT = 28.0

CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1500px; padding: 1.2em 2em 3em; color: #1d1d1f;
       line-height: 1.45; }
h1 { font-size: 1.5em; margin: 0.3em 0; } h2 { font-size: 1.2em; margin-top: 1.6em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
a { color: #0b57d0; } a:visited { color: #6a3fb5; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.92em; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.55em; text-align: left;
         vertical-align: top; }
th { background: #f3f3f3; } .small { font-size: 0.85em; } .nowrap { white-space: nowrap; }
#summary { width: 100%; } #summary td:nth-child(2) { min-width: 12em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
            font-size: 0.9em; }
pre { background: #f7f7f7; padding: 0.5em; overflow-x: auto; white-space: pre-wrap; }
.badge { display: inline-block; padding: 0.05em 0.5em; border-radius: 0.7em;
         border: 1px solid #888; font-size: 0.85em; white-space: nowrap; }
.statement { background: #fbfbf8; border-left: 4px solid #8c8c8c; padding: 0.6em 1em;
             margin: 0.6em 0; overflow-x: auto; }
.statement math[display="block"] { margin: 0.4em 0; }
math { font-size: 1.1em; }
.muted { color: #6b6b6b; } .warn { color: #a11; font-weight: 600; }
.graph { overflow-x: auto; border: 1px solid #ddd; background: #fff; }
.graph svg { max-width: 100%; height: auto; display: block; }
.scroll { overflow-x: auto; }
.legend td { border: none; padding: 0.15em 0.6em 0.15em 0; }
.bar { display: flex; height: 0.9em; width: 22em; border: 1px solid #aaa; }
.bar span { display: block; height: 100%; }
figure { display: inline-block; margin: 0.5em 1em 0.5em 0; }
figure img { max-width: 640px; border: 1px solid #ddd; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.1em 1em; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; }
"""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def page_name(lemma_id: str) -> str:
    """File name of a lemma's page (ids keep their dots; anything unusual becomes ``_``)."""
    return "lemma-" + re.sub(r"[^A-Za-z0-9._-]", "_", lemma_id) + ".html"


def _number(value: Any, digits: int = 6) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.{digits}g}"
    return _esc(value)


def _seconds(value: Any) -> str:
    if not isinstance(value, int | float):
        return "—"
    return f"{value:.2f} s" if value < 120 else f"{value / 60:.1f} min"


def _json_inline(value: Any) -> str:
    if value is None:
        return "—"
    return f"<code>{_esc(json.dumps(clean_params(value), sort_keys=True))}</code>"


def _badge(verdict: str | None, text: str | None = None) -> str:
    label = text if text is not None else (verdict or "not checked")
    return (
        f'<span class="badge verdict-{_esc(verdict or "none")}" '
        f'style="background:{FILL.get(verdict, FILL[None])}" '
        f'title="{_esc(MEANING.get(verdict, ""))}"'
        f">{_esc(label)}</span>"
    )


def _prose_or_math(text: str) -> str:
    if "$" in text or "\\(" in text or "\\[" in text:
        return render(text)
    return _esc(text)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


# -- the graph ------------------------------------------------------------------------------


def _lemma_index(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {normalize_id(str(lemma["id"])): lemma for lemma in results.get("lemmas", [])}


# (the lemmas by id, the proof graph, the effective statuses) of one results document: what the
# index, the graph and every lemma page read, formed once per site by ``write_html``.
_Site = tuple[dict[str, dict[str, Any]], Graph, dict[str, Effective]]


def _site(results: dict[str, Any]) -> _Site:
    lemmas = _lemma_index(results)
    graph = results_graph(results)
    return lemmas, graph, effective_statuses(graph, lemmas)


def results_graph(results: dict[str, Any]) -> Graph:
    """The proof graph from results.json alone: each lemma's recorded ``depends_on`` and the
    package's data file of statements without a module."""
    return build_graph(
        {
            lemma_id: lemma.get("depends_on") or []
            for lemma_id, lemma in _lemma_index(results).items()
        }
    )


def _shape(kind: str, x: float, y: float, fill: str, stroke: str, width: float, dash: str) -> str:
    w, h = NODE_WIDTH, NODE_HEIGHT
    left, top = x - w / 2, y - h / 2
    style = f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}'
    if kind == "definition":
        return f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" {style}/>'
    if kind == "corollary":
        inset = 10
        points = [
            (left + inset, top),
            (left + w - inset, top),
            (left + w, y),
            (left + w - inset, top + h),
            (left + inset, top + h),
            (left, y),
        ]
        text = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        return f'<polygon points="{text}" {style}/>'
    if kind == "theorem":
        outer = f'<rect x="{left:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" {style}/>'
        inner = (
            f'<rect x="{left + 3:.1f}" y="{top + 3:.1f}" width="{w - 6:.1f}" height="{h - 6:.1f}"'
            f' fill="none" stroke="{stroke}" stroke-width="1"{dash}/>'
        )
        return outer + inner
    return (
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{w:.1f}" height="{h:.1f}" rx="6" ry="6" '
        f"{style}/>"
    )


def _edge(source: Placed, target: Placed, checked: bool) -> str:
    x1, y1 = source.x + NODE_WIDTH / 2, source.y
    x2, y2 = target.x - NODE_WIDTH / 2 - 2, target.y
    bend = max(24.0, (x2 - x1) / 2)
    colour = "#7a7a7a" if checked else "#c4c4c4"
    return (
        f'<path class="edge" data-from="{_esc(source.id)}" data-to="{_esc(target.id)}" '
        f'd="M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} '
        f'{x2:.1f},{y2:.1f}" fill="none" stroke="{colour}" stroke-width="1.2" '
        'marker-end="url(#arrow)"/>'
    )


def graph_svg(results: dict[str, Any], site: _Site | None = None) -> str:
    """The blueprint graph as inline SVG: each checked node links to its page (``site``:
    ``_site(results)``, formed here when not given)."""
    lemmas, graph, effective = site or _site(results)
    placed, width, height = layout(graph)
    parts = [
        f'<svg id="blueprint" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="Proof dependency graph" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="system-ui, sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#7a7a7a"/></marker></defs>',
    ]
    for source, target in graph.edges:
        parts.append(_edge(placed[source], placed[target], source in lemmas))
    for node in graph.nodes:
        where = placed[node]
        lemma = lemmas.get(node)
        verdict = lemma.get("verdict") if lemma is not None else None
        checked = lemma is not None
        kind = kind_of(node)
        state = effective[node]
        fill = EFFECTIVE_FILL.get(state.status, FILL[None])
        if not checked:
            stroke, stroke_width, dash = "#a0a0a0", 1.2, ' stroke-dasharray="4 3"'
        else:
            stroke, stroke_width, dash = BORDER.get(state.own or "", "#333333"), 2.5, ""
        status = verdict if checked else "not checked"
        title = f"{node} ({kind})"
        if checked:
            counts = lemma.get("verdicts") or {}
            summary = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts.get(v))
            title += f": {lemma.get('title', '')}\n{status}" + (f" ({summary})" if summary else "")
        else:
            title += ": not checked"
        title += f"\neffective: {state.status}" + (f" ({state.reason})" if state.reason else "")
        label_colour = "#1d1d1f" if checked else "#8a8a8a"
        node_svg = (
            f'<g class="node {kind} {"checked" if checked else "unchecked"}" '
            f'data-id="{_esc(node)}" data-verdict="{_esc(status)}" data-kind="{kind}" '
            f'data-effective="{_esc(state.status)}" data-reason="{_esc(state.reason)}">'
            f"<title>{_esc(title)}</title>"
            f"{_shape(kind, where.x, where.y, fill, stroke, stroke_width, dash)}"
            f'<text x="{where.x:.1f}" y="{where.y + 4.5:.1f}" text-anchor="middle" '
            f'font-size="13" fill="{label_colour}">{_esc(node)}</text></g>'
        )
        if checked:
            node_svg = f'<a href="{_esc(page_name(node))}">{node_svg}</a>'
        parts.append(node_svg)
    parts.append("</svg>")
    return "".join(parts)


def _legend() -> str:
    swatch = (
        '<svg width="26" height="14"><rect x="1" y="1" width="24" height="12" rx="3" '
        'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/></svg>'
    )
    rows = []
    for verdict in ("certified", "certified-given-conjecture", *VERDICTS[1:], None):
        dash = ' stroke-dasharray="4 3"' if verdict is None else ""
        stroke = BORDER.get(verdict or "", "#a0a0a0")
        icon = swatch.format(fill=FILL[verdict], stroke=stroke, width=2, dash=dash)
        rows.append(
            f"<tr><td>{icon}</td><td><b>{_esc(verdict or 'not checked')}</b></td>"
            f"<td>{_esc(MEANING[verdict])}</td></tr>"
        )
    shapes = (
        "Shape: rounded box = lemma, double box = theorem, hexagon = corollary, "
        "ellipse = definition. Fill: the effective status, the weakest over the statement and "
        "every statement its proof uses (certified, certified given a conjecture, statistical, "
        "inconclusive, not checked, refuted, error); a grey fill means it or something it rests "
        "on is not checked, and its tooltip says why. Border: the statement's own verdict. "
        "Arrows point from a statement to the statements whose proofs use it. Theorems 1.8 and "
        "1.9, Lemma 3.4 and B.5 are complexity claims: the report checks the numbers they rest "
        "on (parameter schedules, failure bounds, measured overheads), never the claims of "
        "polynomial time themselves, which are not numerical."
    )
    return f'<table class="legend">{"".join(rows)}</table><p class="muted">{shapes}</p>'


def status_counts(
    results: dict[str, Any], site: _Site | None = None
) -> tuple[dict[str, int], dict[str, int]]:
    """(own, effective) counts of the graph's nodes by status, "unchecked" for no module
    (``site``: ``_site(results)``, formed here when not given)."""
    lemmas, graph, effective = site or _site(results)
    own: dict[str, int] = {}
    eff: dict[str, int] = {}
    for node in graph.nodes:
        verdict = str(lemmas[node].get("verdict")) if node in lemmas else "unchecked"
        own[verdict] = own.get(verdict, 0) + 1
        eff[effective[node].status] = eff.get(effective[node].status, 0) + 1
    return own, eff


# -- the index -----------------------------------------------------------------------------


def _count_text(counts: dict[str, int]) -> str:
    order = ("certified", "certified-given-conjecture", *VERDICTS[1:], "unchecked")
    return ", ".join(f"{counts[k]} {k}" for k in order if counts.get(k)) or "none"


def _constant_summary(lemma: dict[str, Any]) -> tuple[str, str, str]:
    """(name, empirical, stated) of the lemma's primary constant, formatted."""
    constants = lemma.get("constants") or {}
    name = lemma.get("primary_constant")
    if name not in constants:
        name = next(iter(constants), None)
    if name is None:
        return "—", "—", "—"
    info = constants[name]
    empirical = info.get("empirical")
    if empirical is None and isinstance(lemma.get("empirical_constant"), int | float):
        empirical = lemma["empirical_constant"]
    stated = info.get("float")
    if stated is None:
        stated = info.get("value")
    flag = " (overridden)" if info.get("overridden") else ""
    estimate = statistical_estimate(lemma)
    shown = _esc(estimate_text(estimate)) if estimate is not None else _number(empirical)
    return _esc(name) + flag, shown, _number(stated)


def _slack_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}×"


def _counts_cells(counts: dict[str, int]) -> str:
    return "".join(f'<td class="num">{int(counts.get(v, 0))}</td>' for v in VERDICTS)


def _examples(lemma: dict[str, Any]) -> int:
    examples = lemma.get("examples")
    if isinstance(examples, int):
        return examples
    return sum(int(v) for v in (lemma.get("verdicts") or {}).values())


def _meta_block(meta: dict[str, Any]) -> str:
    rows = []
    timing = ("seconds", "wall_seconds")
    for key in ("profile", "seed", "precision", "started", *timing):
        if key in meta:
            value = _seconds(meta[key]) if key in timing else _esc(meta[key])
            rows.append(f"<dt>{_esc(key)}</dt><dd>{value}</dd>")
    versions = meta.get("versions") or {}
    if versions:
        text = ", ".join(f"{_esc(k)} {_esc(v)}" for k, v in sorted(versions.items()))
        rows.append(f"<dt>versions</dt><dd>{text}</dd>")
    for key, value in sorted(meta.items()):
        if key in ("profile", "seed", "precision", "started", "versions", *timing):
            continue
        shown = _esc(value) if isinstance(value, str | int | float) else _json_inline(value)
        rows.append(f"<dt>{_esc(key)}</dt><dd>{shown}</dd>")
    return f'<dl class="meta">{"".join(rows)}</dl>'


def index_html(results: dict[str, Any], site: _Site | None = None) -> str:
    site = site or _site(results)
    by_id, graph, _ = site
    meta = results.get("meta") or {}
    lemmas = results.get("lemmas") or []
    total_seconds = meta.get("wall_seconds", meta.get("seconds"))
    if not isinstance(total_seconds, int | float):
        total_seconds = sum(float(lemma.get("seconds") or 0) for lemma in lemmas)
    overall: dict[str, int] = {v: 0 for v in VERDICTS}
    for lemma in lemmas:
        for verdict, count in (lemma.get("verdicts") or {}).items():
            overall[verdict] = overall.get(verdict, 0) + int(count)
    worst_verdict = None
    for verdict in reversed(VERDICTS):
        if any(lemma.get("verdict") == verdict for lemma in lemmas):
            worst_verdict = verdict
            break
    rows = []
    for lemma in sorted(lemmas, key=lambda entry: sort_key(normalize_id(str(entry["id"])))):
        lemma_id = normalize_id(str(lemma["id"]))
        worst = worst_inequality(lemma) or {}
        name, empirical, stated = _constant_summary(lemma)
        counts = lemma.get("verdicts") or {}
        count_text = ", ".join(f"{int(counts[v])} {v}" for v in VERDICTS if counts.get(v))
        rows.append(
            "<tr>"
            f'<td><a href="{_esc(page_name(lemma_id))}">{_esc(lemma_id)}</a></td>'
            f"<td>{_esc(lemma.get('title', ''))}</td>"
            f"<td>{_badge(lemma.get('verdict'))}</td>"
            f'<td class="num">{_examples(lemma)}'
            f'<br><span class="muted small">{_esc(count_text)}</span></td>'
            f'<td class="num">{_number(worst.get("ratio"))}</td>'
            f"<td>{name}</td>"
            f'<td class="num">{empirical}</td><td class="num">{stated}</td>'
            f'<td class="num">{_slack_text(slack(lemma))}</td>'
            f'<td class="num">{_esc(structure_summary(lemma).replace("-", "—"))}</td>'
            f'<td class="num"><span class="nowrap">{_seconds(lemma.get("seconds"))}</span>'
            f'<br><span class="muted small">{_number(lemma.get("examples_per_second"), 4)}/s'
            "</span></td>"
            "</tr>"
        )
    header = (
        "<tr><th>id</th><th>title</th><th>verdict</th><th>examples</th>"
        "<th>worst lhs/rhs</th><th>constant</th><th>empirical</th><th>stated</th>"
        "<th>slack</th><th>exact checks</th><th>time</th></tr>"
    )
    checked = sum(1 for node in graph.nodes if node in by_id)
    own_counts, effective_counts = status_counts(results, site)
    overridden = [
        f"{lemma['id']}.{name} = {info.get('value')} (stated {info.get('stated')})"
        for lemma in lemmas
        for name, info in (lemma.get("constants") or {}).items()
        if info.get("overridden")
    ]
    override_note = (
        '<p class="warn" id="overrides">Constants overridden with --set (this run does not '
        f"check the stated values): {_esc('; '.join(overridden))}</p>"
        if overridden
        else ""
    )
    overall_text = ", ".join(f"{count} {v}" for v, count in overall.items() if count)
    body = (
        "<h1>dpsverify: verification report</h1>"
        '<p class="muted">Numerical verification of the statements of <i>Diffusion Posterior '
        "Sampling is Computationally Intractable</i> (Gupta, Jalal, Parulekar, Price, Xun, "
        "ICML 2024). Verdicts are numerical: certified means rigorous interval enclosures "
        "separate the two sides at every example checked, not a formal proof for all "
        "parameters.</p>"
        f"<p>Overall: {_badge(worst_verdict)} over {len(lemmas)} checked statements "
        f"({overall_text or 'no examples'}); total wall time "
        f'<b id="total-seconds">{_seconds(total_seconds)}</b>.</p>'
        f"{override_note}"
        f"{_meta_block(meta)}"
        "<h2>Blueprint: proof dependencies</h2>"
        f"<p>{checked} of {len(graph.nodes)} statements in the graph are checked. "
        "Click a node for its page.</p>"
        f'<p id="status-counts">Own verdicts: {_esc(_count_text(own_counts))}. '
        f"Effective (weakest over each statement and its ancestors): "
        f"{_esc(_count_text(effective_counts))}.</p>"
        f'<div class="graph">{graph_svg(results, site)}</div>'
        f"{_legend()}"
        "<h2>Summary</h2>"
        f'<div class="scroll"><table id="summary">{header}{"".join(rows)}</table></div>'
        '<p class="muted">empirical: the extreme value of the primary constant that the search '
        "found (lhs / unit for an upper constant, rhs / unit for a lower one); for a sampled "
        "constant, its estimate and confidence interval. The statement needs stated ≥ "
        "empirical for an upper constant and stated ≤ empirical for a lower one; slack is "
        "stated / empirical (empirical / stated for a lower constant), at least 1 when it "
        "holds. worst lhs/rhs covers the inequality parts only; parts comparing exact "
        "structure (both sides exact integers, or an agreement gap against 0) are the exact "
        "checks.</p>"
    )
    return _page("dpsverify report", body)


# -- lemma pages ------------------------------------------------------------------------------


def _verdict_bar(counts: dict[str, int]) -> str:
    total = sum(int(counts.get(v, 0)) for v in VERDICTS)
    if total == 0:
        return '<span class="muted">no examples</span>'
    spans = "".join(
        f'<span style="width:{100 * int(counts.get(v, 0)) / total:.2f}%;background:{FILL[v]}" '
        f'title="{int(counts.get(v, 0))} {v}"></span>'
        for v in VERDICTS
        if counts.get(v)
    )
    return f'<div class="bar">{spans}</div>'


def _constants_table(lemma: dict[str, Any]) -> str:
    constants = lemma.get("constants") or {}
    if not constants:
        return '<p class="muted">This statement has no named constant.</p>'
    rows = []
    for name, info in constants.items():
        sense = info.get("sense", "upper")
        empirical = info.get("empirical")
        value = info.get("float")
        need = "needs value ≥ empirical" if sense == "upper" else "needs value ≤ empirical"
        slack = "—"
        if isinstance(empirical, int | float) and isinstance(value, int | float):
            if sense == "upper" and empirical > 0:
                slack = f"{value / empirical:.4g}×"
            elif sense == "lower" and value > 0:
                slack = f"{empirical / value:.4g}×"
        overridden = (
            '<span class="warn">overridden with --set</span>' if info.get("overridden") else "no"
        )
        stated = info.get("stated", info.get("value"))
        rows.append(
            "<tr>"
            f"<td><b>{_esc(name)}</b></td>"
            f'<td class="num">{_esc(info.get("value", "—"))}<br>'
            f'<span class="muted">{_number(value)}</span></td>'
            f'<td class="num">{_esc(stated if stated is not None else "—")}</td>'
            f"<td>{overridden}</td>"
            f'<td>{_esc(sense)}<br><span class="muted">{need}</span></td>'
            f'<td class="num">{_number(empirical)}</td><td class="num">{slack}</td>'
            f"<td>{_json_inline(info.get('worst_params'))}</td>"
            f"<td>{_prose_or_math(str(info.get('provenance', '')))}</td>"
            "</tr>"
        )
    header = (
        "<tr><th>constant</th><th>value used</th><th>stated</th><th>overridden</th>"
        "<th>sense</th><th>empirical</th><th>slack</th><th>worst parameters</th>"
        "<th>provenance</th></tr>"
    )
    return f'<div class="scroll"><table id="constants">{header}{"".join(rows)}</table></div>'


def _ball(side: dict[str, Any] | None) -> str:
    if not side:
        return "—"
    lo, hi, mid = side.get("lo"), side.get("hi"), side.get("mid")
    if lo is None or hi is None:
        return _number(mid)
    return f'{_number(mid)}<br><span class="muted">[{_number(lo, 10)}, {_number(hi, 10)}]</span>'


def _record_rows(records: list[dict[str, Any]], limit: int) -> tuple[str, int]:
    """Rows for the records worth reading: every failing one, then the tightest passes."""

    def tightness(record: dict[str, Any]) -> float:
        ratios = [p.get("ratio") for p in record.get("parts") or []]
        ratios = [r for r in ratios if isinstance(r, int | float) and math.isfinite(r)]
        return max(ratios, default=-math.inf)

    failing = [r for r in records if r.get("verdict") not in PASSING]
    passing = sorted(
        (r for r in records if r.get("verdict") in PASSING), key=tightness, reverse=True
    )
    chosen = (failing + passing)[:limit]
    rows = []
    for record in chosen:
        parts = record.get("parts") or []
        span = max(1, len(parts))
        first = (
            f'<td rowspan="{span}">{_json_inline(record.get("params"))}'
            + (f"<pre>{_esc(record['error'])}</pre>" if record.get("error") else "")
            + f'</td><td rowspan="{span}">{_badge(record.get("verdict"))}'
            f'<br><span class="muted">{_esc(record.get("precision", ""))} bits</span></td>'
        )
        if not parts:
            rows.append(f'<tr>{first}<td colspan="7" class="muted">no parts</td></tr>')
            continue
        for index, part in enumerate(parts):
            confidence = part.get("confidence")
            kind = _esc(part.get("kind", ""))
            if confidence is not None:
                kind += f" ({_number(confidence)})"
            rows.append(
                "<tr>"
                + (first if index == 0 else "")
                + f"<td>{_esc(part.get('name', ''))}</td><td>{kind}</td>"
                f"<td>{_badge(part.get('verdict'))}</td>"
                f'<td class="num">{_ball(part.get("lhs"))}</td>'
                f'<td class="num">{_ball(part.get("rhs"))}</td>'
                f'<td class="num">{_number(part.get("ratio"))}</td>'
                f'<td class="num">{_number(part.get("empirical"))}'
                + (
                    f'<br><span class="muted">{_esc(part.get("constant"))}</span>'
                    if part.get("constant")
                    else ""
                )
                + "</td>"
                "</tr>"
            )
    return "".join(rows), len(records) - len(chosen)


def _dependency_list(ids: Iterable[str], lemmas: dict[str, dict[str, Any]]) -> str:
    items = []
    for dep in sorted(set(ids), key=sort_key):
        lemma = lemmas.get(dep)
        if lemma is None:
            items.append(f"<li>{_esc(dep)} {_badge(None)}</li>")
        else:
            items.append(
                f'<li><a href="{_esc(page_name(dep))}">{_esc(dep)}</a> '
                f"{_esc(lemma.get('title', ''))} {_badge(lemma.get('verdict'))}</li>"
            )
    return f"<ul>{''.join(items)}</ul>" if items else '<p class="muted">none</p>'


def lemma_html(
    lemma: dict[str, Any],
    results: dict[str, Any],
    record_limit: int = 40,
    site: _Site | None = None,
) -> str:
    """One lemma's page. ``site`` is (the lemmas by id, the proof graph, the effective
    statuses) of ``results``, formed here when not given (``write_html`` forms them once for
    all the pages)."""
    lemmas, graph, effective = site or _site(results)
    lemma_id = normalize_id(str(lemma["id"]))
    counts = lemma.get("verdicts") or {}
    worst = worst_inequality(lemma)
    count_table = (
        '<table id="verdicts"><tr>'
        + "".join(f"<th>{v}</th>" for v in VERDICTS)
        + "<th>examples</th></tr><tr>"
        + _counts_cells(counts)
        + f'<td class="num">{_examples(lemma)}</td></tr></table>'
    )
    if worst:
        worst_block = (
            '<table id="worst">'
            f"<tr><th>parameters</th><td>{_json_inline(worst.get('params'))}</td></tr>"
            f"<tr><th>part</th><td>{_esc(worst.get('part') or '—')}</td></tr>"
            f'<tr><th>lhs</th><td class="num">{_number(worst.get("lhs"), 12)}</td></tr>'
            f'<tr><th>rhs</th><td class="num">{_number(worst.get("rhs"), 12)}</td></tr>'
            f'<tr><th>lhs / rhs</th><td class="num">{_number(worst.get("ratio"), 12)}</td></tr>'
            f"<tr><th>verdict</th><td>{_badge(worst.get('verdict'))}</td></tr></table>"
        )
    else:
        worst_block = '<p class="muted">no example was evaluated</p>'
    empirical = lemma.get("empirical_constant")
    primary = lemma.get("primary_constant")
    if isinstance(empirical, dict):
        empirical_text = ", ".join(f"{_esc(k)} = {_number(v)}" for k, v in empirical.items())
    else:
        empirical_text = f"{_esc(primary or 'constant')} = {_number(empirical)}"
    plots = lemma.get("plots") or []
    plot_block = (
        "".join(
            f'<figure><a href="{_esc(p)}"><img src="{_esc(p)}" alt="{_esc(p)}"></a>'
            f"<figcaption>{_esc(p)}</figcaption></figure>"
            for p in plots
        )
        if plots
        else '<p class="muted">Plots not drawn in this run (verify run --no-plots).</p>'
        if lemma.get("plots_skipped")
        else '<p class="muted">This lemma draws no plots.</p>'
    )
    if lemma.get("plot_error"):
        plot_block = (
            f'<p class="warn" id="plot-error">Drawing the plots failed: '
            f"{_esc(lemma['plot_error'])}</p>" + (plot_block if plots else "")
        )
    records = lemma.get("records") or []
    record_rows, omitted = _record_rows(records, record_limit)
    record_block = (
        '<div class="scroll"><table id="records"><tr><th>parameters</th><th>verdict</th>'
        "<th>part</th><th>kind</th>"
        "<th>part verdict</th><th>lhs</th><th>rhs</th><th>lhs / rhs</th><th>empirical</th></tr>"
        f"{record_rows}</table></div>"
        + (
            f'<p class="muted">{omitted} further passing examples are in results.json.</p>'
            if omitted
            else ""
        )
        if records
        else '<p class="muted">no records</p>'
    )
    declared = [normalize_id(str(d)) for d in lemma.get("depends_on") or []]
    depends = set(graph.predecessors(lemma_id)) | set(declared)
    meta = results.get("meta") or {}
    state = effective.get(lemma_id)
    effective_line = (
        f'<p id="effective">Effective status (weakest over this statement and every statement '
        f"its proof uses): <b>{_esc(state.status)}</b>"
        + (f" ({_esc(state.reason)})" if state.reason else "")
        + "</p>"
        if state is not None
        else ""
    )
    body = (
        f'<p><a href="index.html">← blueprint and summary</a></p>'
        f"<h1>{_esc(lemma_id)}: {_esc(lemma.get('title', ''))} {_badge(lemma.get('verdict'))}</h1>"
        f'<p class="muted">{_esc(kind_of(lemma_id))}; profile {_esc(meta.get("profile", "?"))}, '
        f"seed {_esc(meta.get('seed', '?'))}</p>"
        f"{effective_line}"
        "<h2>Statement</h2>"
        f'<div class="statement" id="statement"><p>{render(str(lemma.get("statement", "")))}'
        "</p></div>"
        "<details><summary>LaTeX source</summary>"
        f"<pre>{_esc(lemma.get('statement', ''))}</pre></details>"
        "<h2>Parameter domain</h2>"
        f'<p id="domain">{_prose_or_math(str(lemma.get("domain", "")))}</p>'
        "<h2>Constants</h2>"
        f"{_constants_table(lemma)}"
        f"<p>Empirical constant{'s' if isinstance(empirical, dict) else ''}: "
        f'<span id="empirical">{empirical_text}</span></p>'
        "<h2>Verdicts</h2>"
        f"{_verdict_bar(counts)}{count_table}"
        f'<p>Time: <b id="seconds">{_seconds(lemma.get("seconds"))}</b> for '
        f"{_examples(lemma)} examples "
        f'(<span id="rate">{_number(lemma.get("examples_per_second"), 4)}</span> examples/s).</p>'
        "<h2>Worst example</h2>"
        f"{worst_block}"
        "<h2>Plots</h2>"
        f"{plot_block}"
        "<h2>Depends on</h2>"
        f'<div id="depends">{_dependency_list(depends, lemmas)}</div>'
        "<h2>Used by</h2>"
        f'<div id="used-by">{_dependency_list(graph.successors(lemma_id), lemmas)}</div>'
        "<h2>Examples</h2>"
        f"{record_block}"
    )
    return _page(f"{lemma_id}: {lemma.get('title', '')}", body)


def write_html(results: dict[str, Any], out_dir: Path, plots_dir: Path | None = None) -> Path:
    """Write ``index.html`` and one ``lemma-<id>.html`` per lemma into ``out_dir``.

    Returns the path of ``index.html``. Plot paths in the results are relative to the folder
    of ``results.json``; pass that folder as ``plots_dir`` when it is not ``out_dir`` (``verify
    report --results FILE --out DIR``) and the plots are copied next to the pages, so the
    report folder stands on its own.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if plots_dir is not None and Path(plots_dir).resolve() != out_dir.resolve():
        _copy_plots(results, Path(plots_dir), out_dir)
    site = _site(results)
    for lemma in results.get("lemmas") or []:
        path = out_dir / page_name(normalize_id(str(lemma["id"])))
        path.write_text(lemma_html(lemma, results, site=site), encoding="utf-8")
    index = out_dir / "index.html"
    page = index_html(results, site)
    if (out_dir / "arena.html").is_file():  # written by ``verify arena`` into this folder
        page = page.replace(
            "</h1>",
            '</h1><p><a href="arena.html">The hardness arena</a>: posterior samplers '
            "on the hard instance, with plots.</p>",
            1,
        )
    index.write_text(page, encoding="utf-8")
    return index


def _copy_plots(results: dict[str, Any], source: Path, target: Path) -> None:
    for lemma in results.get("lemmas") or []:
        for relative in lemma.get("plots") or []:
            origin = source / relative
            # Only plain relative paths inside the results folder are copied.
            if Path(relative).is_absolute() or ".." in Path(relative).parts:
                continue
            if origin.is_file():
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(origin, destination)
