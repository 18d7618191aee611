"""The report layer: reads a results document (results.json, schema 1) and writes the reports.

``render(doc, out)`` is the one entry point ``verify run`` and ``verify report`` share: it draws
every lemma's plots from the evaluations recorded in ``doc`` (so a saved results.json is enough
to redraw them), then writes ``report.md`` and the HTML site into ``out``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

__all__ = ["draw_plots", "render"]


def draw_plots(
    doc: dict[str, Any], out: Path, *, jobs: int = 1, draw: bool = True
) -> dict[str, Any]:
    """A copy of ``doc`` whose lemmas carry the plots drawn into ``out`` from their records.

    Each lemma's plot function is looked up by id in the registry. A lemma absent from the
    registry, without a plot function or without records gets no plots; a plot function that
    raises leaves its message in the lemma's ``plot_error`` (shown in the report), never an
    exception that would hide the verdicts. With ``jobs`` > 1 the lemmas' figures are drawn in
    that many processes (``schedule.run_units``); each depends on its own records alone, so the
    files are the same. With ``draw`` false nothing is drawn and each lemma that would have
    drawn plots is marked ``plots_skipped`` (the reports say they were not drawn rather than
    that there are none).
    """
    from verify.core.plotting import pyplot
    from verify.core.schedule import run_units

    drawn = copy.copy(doc)
    drawn["lemmas"] = []
    pending: list[tuple[int, str, list]] = []
    for entry in doc.get("lemmas") or []:
        lemma = dict(entry)
        lemma["plots"] = []
        lemma.pop("plot_error", None)
        records = lemma.get("records") or []
        if records:
            # The module of a lemma (torch with some) only where there is something to draw: a
            # baseline has no records, and its report imports no lemma module; a run of C.16
            # imports C.16's.
            declared = _registered(str(lemma.get("id")))
            if declared is not None and declared.plots is not None:
                pending.append((len(drawn["lemmas"]), str(lemma["id"]), records))
        drawn["lemmas"].append(lemma)
    if not draw:
        for index, _, _ in pending:
            drawn["lemmas"][index]["plots_skipped"] = True
    elif pending:
        out.mkdir(parents=True, exist_ok=True)
        pyplot()  # imported once here, not once per worker
        # The lemmas with the most records first: processes start the units in order.
        pending.sort(key=lambda unit: -len(unit[2]))
        outcomes = run_units(
            _draw_lemma_plots,
            [(lemma_id, records, out) for _, lemma_id, records in pending],
            jobs=jobs,
        )
        for (index, _, _), (plots, error) in zip(pending, outcomes, strict=True):
            drawn["lemmas"][index]["plots"] = plots
            if error is not None:
                drawn["lemmas"][index]["plot_error"] = error
    return drawn


def _registered(lemma_id: str) -> Any:
    """The registered lemma of that id (its module imported), or None when there is none."""
    from verify.core.errors import UsageError
    from verify.core.registry import get

    try:
        return get(lemma_id)
    except UsageError:
        return None


def _draw_lemma_plots(lemma_id: str, records: list, out: Path) -> tuple[list[str], str | None]:
    """(file names, None) of one lemma's figures, or ([], the message) when its plot function
    raises: a broken plot must not hide the verdicts."""
    from verify.core.registry import get

    declared = get(lemma_id)
    try:
        return [str(name) for name in declared.plots(records, out)], None
    except Exception as exc:
        return [], f"{type(exc).__name__}: {exc}"


def render(
    doc: dict[str, Any], out: Path, *, html: bool = True, jobs: int = 1, plots: bool = True
) -> None:
    """Draw the plots (in ``jobs`` processes; none when ``plots`` is false, and the pages say
    they were not drawn) and write ``report.md`` (and, unless ``html`` is false, the HTML
    site)."""
    from verify.report import markdown
    from verify.report.html import write_html

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    drawn = draw_plots(doc, out, jobs=jobs, draw=plots)
    (out / "report.md").write_text(markdown.render(drawn), encoding="utf-8")
    if html:
        write_html(drawn, out)
