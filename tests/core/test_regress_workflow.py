"""The regression workflow through the CLI: a planted regression makes ``verify regress`` fail.

Each test writes a baseline and a run's results (schema 1) and calls
``verify regress --baseline FILE --results FILE`` through ``verify.cli.main``, the function
``python -m verify`` calls, in this process (its exit status and its output); the README
workflow's first comparison is a real process, as a user or CI would run it. A run
that matches its baseline passes (exit 0); a worse verdict, a larger upper constant (smaller
lower constant) or fewer examples than the baseline fails with exit 1 and a diff that names the
lemma, what changed and both values. ``verify regress`` also reports an empirical constant that
moves down beyond ``--rtol`` (the search got weaker).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.report.test_html import sample_results

ROOT = Path(__file__).resolve().parents[2]


def verify_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``verify ARGS`` in this process, from the checkout's root: its exit status, stdout and
    stderr (a process costs ~0.5 CPU-s of imports; the process-level contracts, a traceback-free
    one-line error and the exit status of the interpreter, are test_cli_contract's)."""
    from verify.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


def verify_cli_process(*args: str) -> subprocess.CompletedProcess[str]:
    """``verify ARGS`` as a real process, as a user or CI would run it."""
    code = "import sys; from verify.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def regress(tmp_path: Path, baseline: dict[str, Any], results: dict[str, Any]):
    baseline_file = tmp_path / "baseline.json"
    results_file = tmp_path / "results.json"
    baseline_file.write_text(json.dumps(baseline), encoding="utf-8")
    results_file.write_text(json.dumps(results), encoding="utf-8")
    done = verify_cli("regress", "--baseline", str(baseline_file), "--results", str(results_file))
    return done, done.stdout + done.stderr


def clean_results() -> dict[str, Any]:
    """The sample results with every lemma passing, so that only planted changes regress."""
    results = sample_results()
    for lemma in results["lemmas"]:
        total = sum(lemma["verdicts"].values())
        lemma["verdicts"] = {k: 0 for k in lemma["verdicts"]}
        lemma["verdicts"]["certified"] = total
        lemma["verdict"] = "certified"
        for constant in lemma["constants"].values():
            constant["overridden"] = False
            constant["value"] = constant["stated"]
    return results


def lemma(results: dict[str, Any], lemma_id: str) -> dict[str, Any]:
    return next(entry for entry in results["lemmas"] if entry["id"] == lemma_id)


def test_identical_run_passes(tmp_path: Path) -> None:
    results = clean_results()
    done, output = regress(tmp_path, results, copy.deepcopy(results))
    assert done.returncode == 0, output


def test_worse_verdict_fails_with_a_readable_diff(tmp_path: Path) -> None:
    baseline = clean_results()
    results = copy.deepcopy(baseline)
    entry = lemma(results, "C.16")
    entry["verdict"] = "refuted"
    entry["verdicts"]["certified"] -= 1
    entry["verdicts"]["refuted"] = 1
    done, output = regress(tmp_path, baseline, results)
    assert done.returncode == 1, output
    assert "C.16" in output
    assert "refuted" in output and "certified" in output
    assert "Traceback" not in output


def test_larger_empirical_constant_fails(tmp_path: Path) -> None:
    baseline = clean_results()
    results = copy.deepcopy(baseline)
    # The baseline found C_value <= 0.55; this run finds 0.9 (stated 1, still passing):
    # the statement holds, but the constant got worse, which must be noticed.
    entry = lemma(results, "C.16")
    entry["constants"]["C_value"]["empirical"] = 0.9
    entry["empirical_constant"] = 0.9
    entry["worst"]["ratio"] = 0.9
    done, output = regress(tmp_path, baseline, results)
    assert done.returncode == 1, output
    assert "C.16" in output and "C_value" in output
    assert "0.9" in output and "0.55" in output


def test_smaller_lower_constant_fails(tmp_path: Path) -> None:
    baseline = clean_results()
    results = copy.deepcopy(baseline)
    lemma(results, "H.1")["constants"]["k_low"]["empirical"] = 0.15  # baseline found 0.3
    done, output = regress(tmp_path, baseline, results)
    assert done.returncode == 1, output
    assert "H.1" in output and "k_low" in output


def test_dropped_examples_fail(tmp_path: Path) -> None:
    baseline = clean_results()
    results = copy.deepcopy(baseline)
    entry = lemma(results, "C.16")
    entry["examples"] = 2
    entry["verdicts"]["certified"] = 2
    entry["records"] = entry["records"][:2]
    done, output = regress(tmp_path, baseline, results)
    assert done.returncode == 1, output
    assert "C.16" in output and "6" in output and "2" in output


def test_dropped_lemma_is_not_run_and_fails_with_require_all(tmp_path: Path) -> None:
    baseline = clean_results()
    results = copy.deepcopy(baseline)
    results["lemmas"] = [e for e in results["lemmas"] if e["id"] != "C.9"]
    # A run of some lemmas: the others are listed as not run, not as regressions ...
    done, output = regress(tmp_path, baseline, results)
    assert done.returncode == 0, output
    assert "not run (1, not compared): C.9" in output
    # ... and the strict check still fails on the missing lemma.
    done = verify_cli(
        "regress",
        "--baseline",
        str(tmp_path / "baseline.json"),
        "--results",
        str(tmp_path / "results.json"),
        "--require-all",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "C.9: in the baseline but not in this run" in output


def test_constant_moving_either_way_is_reported_and_within_tolerance_passes(
    tmp_path: Path,
) -> None:
    baseline = clean_results()
    results = copy.deepcopy(baseline)
    entry = lemma(results, "C.16")
    # A smaller empirical constant means the search got weaker: reported too.
    entry["constants"]["C_value"]["empirical"] = 0.5
    done, output = regress(tmp_path, baseline, results)
    assert done.returncode == 1 and "C_value" in output, output
    entry["constants"]["C_value"]["empirical"] = 0.55 * (1 + 1e-9)  # within --rtol
    done, output = regress(tmp_path, baseline, results)
    assert done.returncode == 0, output


def test_more_examples_and_fewer_failures_pass(tmp_path: Path) -> None:
    baseline = sample_results()  # C.9 has a refuted and an error example here
    results = copy.deepcopy(baseline)
    entry = lemma(results, "C.16")
    entry["examples"] = 12
    entry["verdicts"]["certified"] = 12
    c9 = lemma(results, "C.9")
    c9["verdicts"]["error"] = 0
    c9["verdicts"]["certified"] = 1
    c9["verdict"] = "refuted"
    done, output = regress(tmp_path, baseline, results)
    assert done.returncode == 0, output


def test_change_a_constant_run_compare_update(tmp_path: Path) -> None:
    """The README workflow end to end on a fast lemma: run, change a constant, compare, update."""
    from verify.cli import main
    from verify.core.registry import all_lemmas

    lemma_id = "H.9"
    if lemma_id not in all_lemmas():
        pytest.skip(f"{lemma_id} is not registered")
    first = all_lemmas()[lemma_id].constants[0]
    before, after = tmp_path / "before", tmp_path / "after"
    assert main(["run", lemma_id, "--out", str(before), "--no-html"]) == 0
    found = lemma(json.loads((before / "results.json").read_text()), lemma_id)
    empirical = found["constants"][first.name]["empirical"]
    # Tighten the constant below what the search finds: the run must refute it ...
    tighter = f"{lemma_id}.{first.name}={empirical / 2:.6g}"
    assert main(["run", lemma_id, "--set", tighter, "--out", str(after), "--no-html"]) == 1
    # ... and the comparison against the old baseline must say so.
    baseline_file = tmp_path / "baseline.json"
    baseline_file.write_text((before / "results.json").read_text())
    done = verify_cli_process(
        "regress", "--baseline", str(baseline_file), "--results", str(after / "results.json")
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert lemma_id in done.stdout and "refuted" in done.stdout
    # Accepting the change is one command: the new results become the baseline.
    baseline_file.write_text((after / "results.json").read_text())
    done = verify_cli(
        "regress", "--baseline", str(baseline_file), "--results", str(after / "results.json")
    )
    assert done.returncode == 0, done.stdout + done.stderr
