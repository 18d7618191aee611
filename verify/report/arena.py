"""The arena page: ``arena.html`` and its plots, drawn from ``arena.json`` at report time.

Reads the arena document only (no sampler is run here): a table of success rates with their
Clopper-Pearson intervals, success against d' per sampler, success against compute, and
rejection sampling's proposals per draw against d' beside Lemma E.1's bound (``e1`` in each
rejection result).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from verify.core.plotting import pyplot, save


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _default_rows(sampler: dict[str, Any]) -> list[dict[str, Any]]:
    """The d' sweep: for each d', the result at the sampler's first (default) budget."""
    seen: dict[tuple[int, str], dict[str, Any]] = {}
    for row in sampler["results"]:
        seen.setdefault((row["d_prime"], row.get("score", "-")), row)
    return sorted(seen.values(), key=lambda r: (r.get("score", "-"), r["d_prime"]))


def plot_success_vs_d_prime(doc: dict[str, Any], out_dir: Path) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for sampler in doc["samplers"]:
        by_score: dict[str, list[dict[str, Any]]] = {}
        for row in _default_rows(sampler):
            by_score.setdefault(row.get("score", "-"), []).append(row)
        for score, rows in by_score.items():
            xs = [r["d_prime"] for r in rows]
            ps = [r["success"] for r in rows]
            err = [
                [r["success"] - r["interval"][0] for r in rows],
                [r["interval"][1] - r["success"] for r in rows],
            ]
            label = sampler["name"] + ("" if score in ("-", "exact") else f" ({score} score)")
            ax.errorbar(xs, ps, yerr=err, marker="o", capsize=3, label=label)
    primes = sorted({r["d_prime"] for s in doc["samplers"] for r in s["results"]})
    ax.plot(primes, [2.0**-p for p in primes], "k:", label="chance 2^-d'")
    ax.set_xlabel("d' (measurements)")
    ax.set_ylabel("success rate (95% Clopper-Pearson)")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    return save(fig, out_dir, "arena-success-vs-dprime.png")


def plot_success_vs_compute(doc: dict[str, Any], out_dir: Path) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for sampler in doc["samplers"]:
        rows = [r for r in sampler["results"] if r.get("score_evaluations")]
        counts: dict[int, int] = {}
        for r in rows:
            counts[r["d_prime"]] = counts.get(r["d_prime"], 0) + 1
        swept = [p for p, c in counts.items() if c > 1]
        if not swept:
            continue
        rows = sorted(
            (r for r in rows if r["d_prime"] == swept[0]), key=lambda r: r["score_evaluations"]
        )
        ax.errorbar(
            [r["score_evaluations"] / r["trials"] for r in rows],
            [r["success"] for r in rows],
            yerr=[
                [r["success"] - r["interval"][0] for r in rows],
                [r["interval"][1] - r["success"] for r in rows],
            ],
            marker="o",
            capsize=3,
            label=f"{sampler['name']} (d' = {swept[0]})",
        )
    ax.set_xscale("log")
    ax.set_xlabel("score evaluations per draw")
    ax.set_ylabel("success rate")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    return save(fig, out_dir, "arena-success-vs-compute.png")


def plot_rejection_cost(doc: dict[str, Any], out_dir: Path) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for sampler in doc["samplers"]:
        if sampler["name"] != "rejection":
            continue
        rows = _default_rows(sampler)
        ax.plot(
            [r["d_prime"] for r in rows],
            [r["score_evaluations"] / r["trials"] for r in rows],
            "o-",
            label="rejection: proposals per draw (measured)",
        )
        bounded = [r for r in rows if "e1" in r and r["e1"]["log10_proposals_bound"] < 300]
        if bounded:
            delta = bounded[0]["e1"]["delta"]
            ax.plot(
                [r["d_prime"] for r in bounded],
                [10.0 ** r["e1"]["log10_proposals_bound"] for r in bounded],
                "s--",
                label=f"Lemma E.1 bound on 1/a(y) (y outside a {3 * delta:g} event)",
            )
    ax.set_yscale("log")
    ax.set_xlabel("d'")
    ax.set_ylabel("proposals per draw")
    ax.legend(fontsize=7)
    return save(fig, out_dir, "arena-rejection-cost.png")


def _closeness_cell(closeness: dict[str, Any]) -> str:
    """The (tau, delta) estimate and its confidence interval (older documents: the value)."""
    cell = f"{closeness['value']:.3f}"
    if "delta_interval" in closeness:
        lo, hi = closeness["delta_interval"]
        cell += f" [{lo:.3f}, {hi:.3f}]"
    return cell


def _mass_cell(row: dict[str, Any]) -> str:
    mass = row.get("posterior_mass")
    return "-" if mass is None else f"{mass:.3f}"


def arena_html(doc: dict[str, Any], plots: list[str]) -> str:
    meta = doc.get("meta", {})
    rows = []
    for sampler in doc["samplers"]:
        for r in sampler["results"]:
            budget = ", ".join(f"{k} {v}" for k, v in (r.get("budget") or {}).items())
            rows.append(
                "<tr>"
                f"<td>{_esc(sampler['name'])}</td><td>{_esc(sampler['source'])}</td>"
                f"<td>{_esc(r.get('score', '-'))}</td>"
                f"<td>{r['d']}</td><td>{r['d_prime']}</td><td>{_esc(budget)}</td>"
                f"<td>{r['successes']}/{r['trials']} = {r['success']:.3f}</td>"
                f"<td>[{r['interval'][0]:.3f}, {r['interval'][1]:.3f}]</td>"
                f"<td>{_closeness_cell(r['closeness'])}</td>"
                f"<td>{_mass_cell(r)}</td>"
                f"<td>{r['score_evaluations']}</td><td>{r['seconds']:.2f}</td>"
                "</tr>"
            )
    figures = "".join(
        f'<figure><a href="{_esc(p)}"><img src="{_esc(p)}" alt="{_esc(p)}"></a></figure>'
        for p in plots
    )
    bottleneck = doc.get("bottleneck")
    bottleneck_html = ""
    if bottleneck:
        gap = bottleneck["loss_gap"]
        bottleneck_html = (
            "<h2>Computational bottlenecks</h2><p>A score network equal to the exact one except "
            f"below sigma = {bottleneck['sigma_cut']} (scaled), where the comb coordinates' "
            "phase information is removed. Denoising score-matching loss gap L(blind) - L(true) "
            f"= {gap['estimate']:.4f}, interval [{gap['interval'][0]:.4f}, "
            f"{gap['interval'][1]:.4f}] (Hoeffding-Chernoff, level {1 - gap['alpha']:.2f}, "
            f"{gap['draws']} draws). Reverse-SDE samples consistent with the instance "
            "(phases read off the comb coordinates equal f(sign x<sub>1:d</sub>)): true score "
            f"{bottleneck['true']['consistent']}/{bottleneck['true']['draws']}, phase-blind "
            f"{bottleneck['phase_blind']['consistent']}/{bottleneck['phase_blind']['draws']}; "
            f"at tau = {bottleneck['tau']:.4f} the phase-blind sampler needs delta &ge; "
            f"{bottleneck['phase_blind']['delta_at_least']:.3f}.</p>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>The hardness arena</title></head><body>"
        '<p><a href="index.html">← blueprint and summary</a></p>'
        "<h1>The hardness arena</h1>"
        f"<p>Profile {_esc(meta.get('profile'))}, seed {_esc(meta.get('seed'))}, "
        f"d = {_esc(meta.get('d'))}, beta = {_esc(meta.get('beta'))} "
        f"({_esc(meta.get('beta_units'))}). Success: f(sign x<sub>1:d</sub>) equals the phases "
        "decoded from y; intervals are two-sided Clopper-Pearson at 95 %. Closeness: delta at "
        "tau = eps/(4c) between the joint laws of (y, draw) and (y, exact posterior draw) "
        "(Def. 1.2): the largest tau-matching of the two samples, and an interval whose ends "
        "hold each at 95 % (half-space lower bound, shared-y coupling upper bound); a "
        "(tau, delta)-posterior sampler (Def. 1.5) has joint delta at most 2 delta.</p>"
        f"{figures}"
        "<table><tr><th>sampler</th><th>source</th><th>score</th><th>d</th><th>d'</th>"
        "<th>budget</th><th>success</th><th>interval</th><th>delta at tau (estimate, interval)</th>"
        "<th>posterior mass</th>"
        "<th>evaluations</th><th>seconds</th></tr>"
        + "".join(rows)
        + f"</table>{bottleneck_html}</body></html>\n"
    )


def write_arena_html(doc: dict[str, Any], out_dir: Path) -> Path:
    """Draw the plots from the document and write ``out_dir/arena.html``."""
    out_dir = Path(out_dir)
    plots = [
        plot_success_vs_d_prime(doc, out_dir),
        plot_success_vs_compute(doc, out_dir),
        plot_rejection_cost(doc, out_dir),
    ]
    page = out_dir / "arena.html"
    page.write_text(arena_html(doc, plots), encoding="utf-8")
    return page
