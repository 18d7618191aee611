"""The README's main job against the committed baseline, and the suite's own coverage rules."""

import json
import re
import sys
from pathlib import Path

import pytest

from verify.cli import main
from verify.core.registry import all_lemmas

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "reports" / "baseline.json"


@pytest.fixture(scope="module")
def quick_run(main_job_results):
    # The session's one main-job run (tests/conftest.py), shared by the xdist workers.
    return main_job_results


@pytest.mark.slow  # the whole main job: every registered lemma
def test_main_job_passes_and_matches_the_baseline(quick_run):
    code, results = quick_run
    assert code == 0
    doc = json.loads(results.read_text())
    assert {lemma["id"] for lemma in doc["lemmas"]} == set(all_lemmas())
    for lemma in doc["lemmas"]:
        if lemma["id"] in ("C.16", "C.9"):
            assert lemma["verdicts"]["certified"] == lemma["examples"] > 0
    assert main(["regress", "--baseline", str(BASELINE), "--results", str(results)]) == 0


def test_baseline_covers_every_registered_lemma():
    baseline = json.loads(BASELINE.read_text())
    assert {lemma["id"] for lemma in baseline["lemmas"]} == set(all_lemmas())


def _names_of(lemma) -> list[str]:
    """How a test can name a lemma: its id as a string, or module-level variable from import."""
    module = sys.modules[lemma.check.__module__]
    short = module.__name__.rsplit(".", 1)[-1]
    names = [f'"{lemma.id}"', f"'{lemma.id}'"]
    for variable, value in vars(module).items():
        if value is lemma:
            names.append(
                rf"(from lemmas\.{short} import[^\n]*\b{variable}\b|{short}\.{variable}\b)"
            )
    return names


def _unalias(source: str) -> str:
    """``import lemmas.m as alias`` then ``alias.X``: spell the uses as ``m.X``."""
    for module, alias in re.findall(r"import lemmas\.(\w+) as (\w+)", source):
        source = re.sub(rf"\b{alias}\.", f"{module}.", source)
    return source


def test_every_lemma_has_a_refutation_test():
    # A check that cannot fail is a defect: each id must appear in a test that expects REFUTED.
    sources = [_unalias(p.read_text()) for p in (ROOT / "tests").rglob("test_*.py")]
    refuting = [s for s in sources if re.search(r"refuted|REFUTED", s)]
    missing = []
    for lemma_id, lemma in all_lemmas().items():
        patterns = _names_of(lemma)
        found = any(
            (p in s) if p.startswith(("'", '"')) else re.search(p, s, re.S)
            for s in refuting
            for p in patterns
        )
        if not found:
            missing.append(lemma_id)
    assert not missing, f"no refutation test names {missing}"


def test_every_certified_part_rests_on_enclosures():
    # Soundness guard: lemma modules must not build verdicts from plain floats' comparisons.
    for path in (ROOT / "lemmas").glob("*.py"):
        text = path.read_text()
        assert "Verdict.CERTIFIED" not in text, f"{path.name} sets a verdict by hand"
