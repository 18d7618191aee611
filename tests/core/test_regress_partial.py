"""Regression for one changed constant: a run of one lemma is compared on that lemma only, the
others are "not run"; runs with other settings are refused; ``--update`` merges the run into
the baseline without touching the other lemmas."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from verify.cli import main
from verify.core.regress import merge

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "reports" / "baseline.json"

# One worker runs the module, so the one-lemma run (the module fixture) is made once per
# session.
pytestmark = pytest.mark.xdist_group("regress_partial")

# A fast lemma (0.05 s; C.9 took 0.9) whose baseline entry is certified with a primary
# constant: what is tested is the comparison of one lemma, not the lemma.
LEMMA = "C.13"


@pytest.fixture(scope="module")
def one_lemma_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``verify run C.13 --out X`` with the baseline's settings (quick profile, seed 0)."""
    out = tmp_path_factory.mktemp("one-lemma")
    assert main(["run", LEMMA, "--out", str(out), "--no-html"]) == 0
    return out / "results.json"


def cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_one_lemma_run_regresses_clean_and_lists_the_others(
    one_lemma_results: Path, capsys: pytest.CaptureFixture
) -> None:
    code, out, err = cli(
        capsys, "regress", "--baseline", str(BASELINE), "--results", str(one_lemma_results)
    )
    assert code == 0, out + err
    assert "no regression" in out and "1 lemma(s) compared" in out
    others = [e["id"] for e in json.loads(BASELINE.read_text())["lemmas"] if e["id"] != LEMMA]
    line = next(line for line in out.splitlines() if line.startswith("not run"))
    assert line == f"not run ({len(others)}, not compared): {', '.join(others)}"
    # The strict check restores the old rule: every baseline lemma must be in the run.
    code, out, _ = cli(
        capsys,
        "regress",
        "--baseline",
        str(BASELINE),
        "--results",
        str(one_lemma_results),
        "--require-all",
    )
    assert code == 1
    assert "C.16: in the baseline but not in this run" in out
    assert f"{LEMMA}:" not in out


@pytest.mark.parametrize(
    ("field", "value"), [("profile", "standard"), ("seed", 3), ("precision", 128)]
)
def test_other_settings_are_refused_unless_allowed(
    one_lemma_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture, field: str, value: Any
) -> None:
    doc = json.loads(one_lemma_results.read_text())
    doc["meta"][field] = value
    other = tmp_path / "results.json"
    other.write_text(json.dumps(doc))
    args = ("regress", "--baseline", str(BASELINE), "--results", str(other))
    code, out, err = cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("verify: error: ") and err.count("\n") == 1, err
    assert f"{field}: baseline" in err and json.dumps(value) in err
    code, out, err = cli(capsys, *args, "--allow-mismatch")
    assert code == 0, out + err
    assert "settings differ" in out
    # --update is refused too: a baseline must not mix settings by accident.
    copy_of = tmp_path / "baseline.json"
    shutil.copy(BASELINE, copy_of)
    code, _, err = cli(
        capsys, "regress", "--baseline", str(copy_of), "--results", str(other), "--update"
    )
    assert code == 2 and err.count("\n") == 1
    assert copy_of.read_bytes() == BASELINE.read_bytes()


def test_update_merges_one_lemma_and_keeps_the_others(
    one_lemma_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    baseline_file = tmp_path / "baseline.json"
    shutil.copy(BASELINE, baseline_file)
    before = json.loads(BASELINE.read_text())
    run = json.loads(one_lemma_results.read_text())
    # Plant a changed constant so that the update has something to say.
    entry = run["lemmas"][0]
    name = entry["primary_constant"]
    entry["constants"][name]["empirical"] = 0.5
    entry["verdict"] = "statistical"
    changed = tmp_path / "results.json"
    changed.write_text(json.dumps(run))
    code, out, err = cli(
        capsys,
        "regress",
        "--baseline",
        str(baseline_file),
        "--results",
        str(changed),
        "--update",
    )
    assert code == 0, out + err
    old_entry = next(e for e in before["lemmas"] if e["id"] == LEMMA)
    old_empirical = old_entry["constants"][name]["empirical"]
    assert f"{LEMMA}: replaced: verdict {old_entry['verdict']} -> statistical" in out
    assert f"{name} empirical {old_empirical} -> 0.5" in out
    assert f"kept {len(before['lemmas']) - 1} lemma(s) not in this run unchanged" in out
    after = json.loads(baseline_file.read_text())
    assert [e["id"] for e in after["lemmas"]] == [e["id"] for e in before["lemmas"]]
    for old, new in zip(before["lemmas"], after["lemmas"], strict=True):
        if old["id"] == LEMMA:
            assert "records" not in new
            assert new["constants"][name]["empirical"] == 0.5
        else:
            assert new == old  # every other lemma kept exactly, as JSON values
    assert after["meta"]["ids"] == before["meta"]["ids"]
    # The updated baseline is a valid baseline, and the run now regresses clean against it.
    code, out, _ = cli(
        capsys, "regress", "--baseline", str(baseline_file), "--results", str(changed)
    )
    assert code == 0, out


def test_merge_appends_new_ids_in_registry_order_and_never_shrinks() -> None:
    def entry(lemma_id: str, verdict: str = "certified") -> dict[str, Any]:
        return {"id": lemma_id, "verdict": verdict, "constants": {}, "records": []}

    baseline = {"schema": 1, "meta": {"overrides": {"C.2": {"k": "3"}}}, "lemmas": []}
    baseline["lemmas"] = [
        {"id": i, "verdict": "certified", "constants": {}} for i in ("C.9", "B.2")
    ]
    run = {"schema": 1, "meta": {"overrides": {}}, "lemmas": []}
    run["lemmas"] = [entry("X.1"), entry("H.1"), entry("C.1"), entry("B.2", "refuted")]
    merged, changes = merge(copy.deepcopy(baseline), run, order=["B.2", "C.1", "C.9", "H.1"])
    assert [e["id"] for e in merged["lemmas"]] == ["C.9", "B.2", "C.1", "H.1", "X.1"]
    assert merged["lemmas"][0] == baseline["lemmas"][0]
    assert merged["lemmas"][1]["verdict"] == "refuted" and "records" not in merged["lemmas"][1]
    assert merged["meta"]["ids"] == ["C.9", "B.2", "C.1", "H.1", "X.1"]
    assert merged["meta"]["overrides"] == {"C.2": {"k": "3"}}
    assert changes[0] == "B.2: replaced: verdict certified -> refuted"
    assert changes[1:] == [
        "C.1: added: verdict certified",
        "H.1: added: verdict certified",
        "X.1: added: verdict certified",
    ]


def test_update_creates_a_missing_baseline(
    one_lemma_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    baseline_file = tmp_path / "new" / "baseline.json"
    args = ("regress", "--baseline", str(baseline_file), "--results", str(one_lemma_results))
    code, out, _ = cli(capsys, *args, "--update")
    assert code == 0 and f"{LEMMA}: added" in out
    from verify.core import results

    written = results.load(baseline_file, "baseline")
    assert [e["id"] for e in written["lemmas"]] == [LEMMA]
    assert cli(capsys, *args)[0] == 0
