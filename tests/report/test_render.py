"""verify.report.render: plots drawn at report time from the records of a saved results.json."""

from __future__ import annotations

import dataclasses
import types
from pathlib import Path

import pytest

from tests.report.test_html import sample_results
from verify.cli import main
from verify.core import registry, results
from verify.core.errors import UsageError
from verify.core.runner import run_lemma
from verify.report import render

# One worker runs the module in a row, so the B.4 run (the module fixture) is made once
# per session (interleaved with other modules, a module fixture is torn down and made again).
pytestmark = pytest.mark.xdist_group("render")

B4_POINT = {
    "d": 8,
    "d_out": 4,
    "R": 3.5,
    "eps": 1.0,
    "beta": 0.1,
    "tau": 0.0,
    "delta": 0.0,
    "sampler": "rejection",
    "f_seed": 0,
    "seed": 1,
    "trials": 50,
}


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real, small run of B.4 (a lemma with plots) saved as results.json and rendered."""
    small = dataclasses.replace(registry.get("B.4"), examples=[B4_POINT], budget={"quick": 0})
    run = run_lemma(small, profile="quick", seed=0)
    doc = results.document([run], {"seed": 0, "profile": "quick", "precision": 64})
    out = tmp_path_factory.mktemp("run")
    results.write(doc, out / "results.json")
    render(doc, out)
    return out / "results.json"


def test_render_draws_the_plots_of_a_run(saved_run: Path) -> None:
    out = saved_run.parent
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs, "render drew no plot"
    page = (out / "lemma-B.4.html").read_text(encoding="utf-8")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    for name in pngs:
        assert f'src="{name}"' in page
        assert f"]({name})" in markdown


def test_report_redraws_deleted_plots_from_the_records(saved_run: Path, tmp_path: Path) -> None:
    """Delete a saved run's PNGs; ``verify report`` draws them again from results.json."""
    drawn = {p.name: p.stat().st_size for p in saved_run.parent.glob("*.png")}
    for name in drawn:
        (saved_run.parent / name).unlink()
    out = tmp_path / "R2"
    assert main(["report", "--results", str(saved_run), "--out", str(out)]) == 0
    assert {p.name for p in out.glob("*.png")} == set(drawn)
    assert all((out / name).stat().st_size > 1000 for name in drawn)
    page = (out / "lemma-B.4.html").read_text(encoding="utf-8")
    assert all(f'src="{name}"' in page for name in drawn)
    assert (out / "report.md").exists() and (out / "index.html").exists()


def test_lemma_absent_from_the_registry_or_without_records_has_no_plots(tmp_path: Path) -> None:
    doc = sample_results()  # ids C.16, C.9, H.1, H.3 with hand-written records
    doc["lemmas"][0]["id"] = "X.99"  # not registered
    for lemma in doc["lemmas"][1:]:
        lemma["records"] = []
    render(doc, tmp_path)
    assert not list(tmp_path.glob("*.png"))
    assert "This lemma draws no plots" in (tmp_path / "lemma-X.99.html").read_text()
    assert doc["lemmas"][0]["plots"] == ["c16_ratio.png"], "render must not change its input"


def test_failing_plot_is_reported_and_verdicts_still_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(records: list[dict], out_dir: Path) -> list[str]:
        raise ValueError("no axes today")

    def planted(lemma_id: str):
        if lemma_id != "C.16":
            raise UsageError(f"unknown lemma id {lemma_id!r}")
        return types.SimpleNamespace(plots=broken)

    monkeypatch.setattr(registry, "get", planted)
    render(sample_results(), tmp_path, html=True)
    page = (tmp_path / "lemma-C.16.html").read_text(encoding="utf-8")
    assert 'id="plot-error"' in page and "ValueError: no axes today" in page
    assert "verdict-certified" in page
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "ValueError: no axes today" in markdown and "CERTIFIED" in markdown


def test_render_without_html_writes_only_markdown(tmp_path: Path) -> None:
    render(sample_results(), tmp_path, html=False)
    assert (tmp_path / "report.md").exists()
    assert not list(tmp_path.glob("*.html"))


def test_plots_of_one_lemma_load_that_lemma_only(tmp_path: Path) -> None:
    """A run of C.4 draws its figures without importing the other lemma modules (an unknown id
    draws nothing)."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from verify.report import draw_plots; "
        "doc = {'lemmas': [{'id': 'C.4', 'records': [{}]}, {'id': 'X.99', 'records': [{}]}]}; "
        "drawn = draw_plots(doc, Path(sys.argv[1]), draw=False); "
        "print([lemma.get('plots_skipped', False) for lemma in drawn['lemmas']], "
        "sorted(m for m in sys.modules if m.startswith('lemmas.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[True, False] ['lemmas.c04_c05_capped_products']", done.stderr
