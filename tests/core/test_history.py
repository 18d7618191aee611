"""verify history: constants across the committed baselines of a (temporary) git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from verify.cli import main

ROOT = Path(__file__).resolve().parents[2]
GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")


def small_baseline(empirical: float, stated: str = "2") -> dict[str, Any]:
    constant = {"value": stated, "stated": stated, "sense": "upper", "empirical": empirical}
    lemma = {"id": "C.9", "verdict": "certified", "constants": {"B_factor": constant}}
    other = {"id": "H.1", "verdict": "certified", "constants": {"K": {**constant, "value": "5"}}}
    other["constants"]["K"].update(stated="5", empirical=1.0 + empirical)
    return {"schema": 1, "meta": {"profile": "quick"}, "lemmas": [lemma, other]}


def git(repo: Path, *args: str) -> str:
    command = [GIT or "git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    """A git repository with two commits of reports/baseline.json (and one unrelated)."""
    root = tmp_path / "repo"
    (root / "reports").mkdir(parents=True)
    git(root, "init", "-q")
    hashes = []
    for empirical in (1.5, 1.75):
        (root / "reports" / "baseline.json").write_text(json.dumps(small_baseline(empirical)))
        git(root, "add", "reports/baseline.json")
        git(root, "commit", "-q", "-m", f"baseline {empirical}")
        hashes.append(git(root, "rev-parse", "--short=7", "HEAD").strip())
    (root / "notes.txt").write_text("unrelated\n")
    git(root, "add", "notes.txt")
    git(root, "commit", "-q", "-m", "unrelated")
    monkeypatch.chdir(root / "reports")  # any folder inside the checkout works
    return root, hashes


def test_table_per_lemma_and_constant(repo, capsys: pytest.CaptureFixture) -> None:
    _, (first, second) = repo
    assert main(["history", "C.9"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "C.9 B_factor"
    assert lines[1].split() == ["commit", "date", "stated", "empirical"]
    assert lines[2].split()[0] == first and lines[2].split()[2:] == ["2", "1.5"]
    assert lines[3].split()[0] == second and lines[3].split()[2:] == ["2", "1.75"]
    assert len(lines) == 4  # only the commits that changed the baseline; H.1 not asked for
    assert main(["history"]) == 0
    out = capsys.readouterr().out
    assert "C.9 B_factor" in out and "H.1 K" in out and "2.75" in out


def test_html_page_with_a_plot_per_constant(repo, tmp_path: Path, capsys) -> None:
    out = tmp_path / "page"
    assert main(["history", "--html", str(out)]) == 0
    page = (out / "history.html").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["history-C_9-B_factor.png", "history-H_1-K.png"]
    for name in pngs:
        assert f'src="{name}"' in page
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    assert repo[1][0] in page and "1.75" in page
    assert str(out / "history.html") in capsys.readouterr().out


def test_unknown_id_is_one_line(repo, capsys: pytest.CaptureFixture) -> None:
    assert main(["history", "Z.99"]) == 2
    err = capsys.readouterr().err
    assert err == "verify: error: no committed baseline has lemma Z.99\n"


def test_outside_a_checkout_or_without_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    monkeypatch.chdir(alone)
    assert main(["history"]) == 2
    assert (
        capsys.readouterr().err == "verify: error: verify history must run inside a git checkout\n"
    )
    monkeypatch.setenv("PATH", str(alone))  # no git on PATH
    assert main(["history"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("verify: error: ") and "git is not installed" in err
    assert err.count("\n") == 1


def test_checkout_without_committed_baseline(tmp_path: Path, monkeypatch, capsys) -> None:
    git(tmp_path, "init", "-q")
    monkeypatch.chdir(tmp_path)
    assert main(["history"]) == 2  # no commit at all: git's own reason, on one line
    err = capsys.readouterr().err
    assert err.startswith("verify: error: git log failed") and err.count("\n") == 1
    (tmp_path / "README").write_text("no baseline here\n")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "-q", "-m", "first")
    assert main(["history"]) == 2
    err = capsys.readouterr().err
    assert "reports/baseline.json has no committed version" in err and err.count("\n") == 1


@pytest.mark.parametrize("command", ["history", "regress"])
def test_closed_stdout_pipe_prints_no_traceback(tmp_path: Path, command: str) -> None:
    # Far more output than a pipe buffers (64 KiB), so the writer really meets the closed pipe:
    # 1000 ids of 88 characters are ~90 kB in regress's one 'not run' line (2000 ids of 44
    # characters were the same 90 kB for twice the documents to read and check; 6000 short
    # ids were 47 kB).
    lemmas = []
    for i in range(1000):
        entry = small_baseline(1.5)["lemmas"][0]
        entry["id"] = f"X.{i:086d}"
        entry.update(_full_entry(entry))
        lemmas.append(entry)
    run = {"schema": 1, "meta": {"profile": "quick"}, "lemmas": lemmas}
    baseline = tmp_path / "reports" / "baseline.json"
    baseline.parent.mkdir()
    baseline.write_text(json.dumps({**run, "lemmas": [_summary(e) for e in lemmas]}))
    run_file = tmp_path / "results.json"
    run_file.write_text(json.dumps({**run, "lemmas": lemmas[:1]}))  # 999 lemmas not run
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "reports/baseline.json")
    git(tmp_path, "commit", "-q", "-m", "big baseline")
    args = ["history"]
    if command == "regress":
        args = ["regress", "--baseline", str(baseline), "--results", str(run_file)]
    code = "import sys; from verify.cli import main; sys.exit(main())"
    shell = f"{sys.executable} -c '{code}' {' '.join(args)} | head -c 1 >/dev/null"
    done = subprocess.run(
        ["bash", "-c", f"{shell}; echo rc=${{PIPESTATUS[0]}} >&2"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": str(Path(GIT or "git").parent) + ":/usr/bin:/bin"},
        check=False,
        timeout=120,
    )
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert "rc=0" in done.stderr, done.stderr


def _full_entry(lemma: dict[str, Any]) -> dict[str, Any]:
    for constant in lemma["constants"].values():
        constant.update(float=float(constant["value"]), overridden=False, provenance="")
        constant["worst_params"] = None
    verdicts = {"certified": 3, "statistical": 0, "inconclusive": 0, "refuted": 0, "error": 0}
    return {
        "title": "t",
        "statement": "s",
        "domain": "d",
        "depends_on": [],
        "primary_constant": next(iter(lemma["constants"])),
        "examples": 3,
        "verdicts": verdicts,
        "worst": None,
        "empirical_constant": None,
        "records": [],
    }


def _summary(lemma: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in lemma.items() if k != "records"}
