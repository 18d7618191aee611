"""verify.report.draw_plots in several processes draws the same figures as one process."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from verify.core import registry
from verify.core.plotting import pyplot, save
from verify.report import draw_plots

IDS = ("X.1", "X.2", "X.3")


def _line_plot(records: list, out: Path) -> list[str]:
    """A small figure of the records' values, named by the lemma in the first record."""
    fig, ax = pyplot().subplots(figsize=(3, 2))
    ax.plot([r["value"] for r in records], marker="o")
    ax.set_title(records[0]["lemma"])
    return [save(fig, out, f"{records[0]['lemma']}.png", dpi=60)]


def _count_plot(records: list, out: Path) -> list[str]:
    fig, ax = pyplot().subplots(figsize=(3, 2))
    ax.bar([0], [len(records)])
    return [save(fig, out, "count.png", dpi=60)]


def _broken_plot(records: list, out: Path) -> list[str]:
    raise ValueError("no axes today")


@pytest.fixture
def plotted_lemmas(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Three registered stand-in lemmas with plot functions (forked workers inherit them), and a
    document of their records; X.3's plot function raises."""
    template = registry.get("H.3")
    for lemma_id in IDS:
        plots = _broken_plot if lemma_id == "X.3" else _line_plot
        stand_in = dataclasses.replace(template, id=lemma_id, plots=plots)
        monkeypatch.setitem(registry.all_lemmas(), lemma_id, stand_in)
    return {
        "lemmas": [
            {"id": lemma_id, "records": [{"lemma": lemma_id, "value": k * j} for j in range(4)]}
            for k, lemma_id in enumerate(IDS, start=1)
        ]
    }


def test_two_processes_draw_the_same_files(plotted_lemmas: dict, tmp_path: Path) -> None:
    one = draw_plots(plotted_lemmas, tmp_path / "one", jobs=1)
    two = draw_plots(plotted_lemmas, tmp_path / "two", jobs=2)
    assert [lemma["plots"] for lemma in one["lemmas"]] == [["X.1.png"], ["X.2.png"], []]
    assert [lemma["plots"] for lemma in two["lemmas"]] == [["X.1.png"], ["X.2.png"], []]
    for name in ("X.1.png", "X.2.png"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    assert (tmp_path / "one" / "X.1.png").read_bytes() != (
        tmp_path / "one" / "X.2.png"
    ).read_bytes()


def test_a_plot_that_raises_leaves_its_message(plotted_lemmas: dict, tmp_path: Path) -> None:
    drawn = {lemma["id"]: lemma for lemma in draw_plots(plotted_lemmas, tmp_path, jobs=2)["lemmas"]}
    assert drawn["X.3"]["plots"] == [] and drawn["X.3"]["plot_error"] == "ValueError: no axes today"
    assert all("plot_error" not in drawn[i] for i in ("X.1", "X.2"))
    assert plotted_lemmas["lemmas"][0].get("plots") is None, "the input document is not changed"


def test_no_plots_draws_none_and_the_reports_say_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.report.test_html import sample_results
    from verify.report import render

    doc = sample_results()  # C.16 and C.9 carry records; neither draws plots when registered
    monkeypatch.setitem(
        registry.all_lemmas(), "C.16", dataclasses.replace(registry.get("C.16"), plots=_count_plot)
    )
    render(doc, tmp_path / "skipped", plots=False)
    assert not list((tmp_path / "skipped").glob("*.png"))
    markdown = (tmp_path / "skipped" / "report.md").read_text(encoding="utf-8")
    assert markdown.count("Plots not drawn in this run") == 1
    assert "Plots not drawn" in (tmp_path / "skipped" / "lemma-C.16.html").read_text()
    assert "draws no plots" in (tmp_path / "skipped" / "lemma-C.9.html").read_text()
    render(doc, tmp_path / "drawn")
    assert [p.name for p in (tmp_path / "drawn").glob("*.png")] == ["count.png"]
    assert "Plots not drawn" not in (tmp_path / "drawn" / "report.md").read_text()
