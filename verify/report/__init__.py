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


def draw_plots(doc: dict[str, Any], out: Path) -> dict[str, Any]:
    """A copy of ``doc`` whose lemmas carry the plots drawn into ``out`` from their records.

    Each lemma's plot function is looked up by id in the registry. A lemma absent from the
    registry, without a plot function or without records gets no plots; a plot function that
    raises leaves its message in the lemma's ``plot_error`` (shown in the report), never an
    exception that would hide the verdicts.
    """
    from verify.core.registry import all_lemmas

    drawn = copy.copy(doc)
    drawn["lemmas"] = []
    registered = all_lemmas()
    for entry in doc.get("lemmas") or []:
        lemma = dict(entry)
        lemma["plots"] = []
        lemma.pop("plot_error", None)
        declared = registered.get(str(lemma.get("id")))
        records = lemma.get("records") or []
        if declared is not None and declared.plots is not None and records:
            out.mkdir(parents=True, exist_ok=True)
            try:
                lemma["plots"] = [str(name) for name in declared.plots(records, out)]
            except Exception as exc:  # a broken plot must not hide the verdicts
                lemma["plot_error"] = f"{type(exc).__name__}: {exc}"
        drawn["lemmas"].append(lemma)
    return drawn


def render(doc: dict[str, Any], out: Path, *, html: bool = True) -> None:
    """Draw the plots and write ``report.md`` (and, unless ``html`` is false, the HTML site)."""
    from verify.report import markdown
    from verify.report.html import write_html

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    drawn = draw_plots(doc, out)
    (out / "report.md").write_text(markdown.render(drawn), encoding="utf-8")
    if html:
        write_html(drawn, out)
