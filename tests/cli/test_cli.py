"""The CLI contract: exit codes, one clear error line, JSON schema, reproducibility."""

import json
import subprocess
import sys

import pytest

from verify.cli import main
from verify.core.results import without_timings


def _run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "verify.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def _assert_one_line(stderr: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("verify: error:"), stderr
    assert "Traceback" not in stderr


@pytest.fixture
def in_process(tmp_path, monkeypatch, capsys):
    """``verify ARGS`` through ``main`` in this process: (exit code, stdout, stderr).

    The same function ``python -m verify.cli`` calls, without a Python start and a package
    import per case; an exception escaping ``main`` (a traceback) fails the test. The working
    folder is a fresh one, so a run that wrongly went ahead writes nothing into the checkout.
    """
    monkeypatch.chdir(tmp_path)

    def call(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return call


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--set", "C.16.nope=1"],
        ["run", "X.99"],
        ["run", "--profile", "fast"],
        ["run", "--seed", "-3"],
        ["run", "--set", "C.16.prefactor=nan"],
        ["run", "--set", "C.16prefactor"],
        ["check", "C.16", "eps=0.5", "sigma=0", "theta=0", "x=1"],
        ["check", "C.16", "eps=2", "sigma=1", "theta=0", "x=1"],
        ["check", "C.16", "eps=0.5", "sigma=NaN", "theta=0", "x=1"],
        ["regress", "--baseline", "no-such-file.json", "--results", "no-such-file.json"],
        [],
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, in_process):
    code, _, err = in_process(*args)
    assert code == 2, err
    _assert_one_line(err)


@pytest.mark.parametrize("args", [[], ["run", "--profile", "fast"]])
def test_bad_input_through_python_dash_m_verify_cli(args):
    """The real process: ``python -m verify.cli`` exits 2 with the one line and nothing else
    (the cases above call the same ``main`` in this process)."""
    result = _run(*args)
    assert result.returncode == 2, result.stderr
    _assert_one_line(result.stderr)


def test_list_is_id_tab_title(in_process):
    code, out, _ = in_process("list")
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    ids = [row[0] for row in rows]
    assert all(len(row) == 2 and row[1] for row in rows)
    assert {"C.9", "C.16"} <= set(ids)
    assert len(ids) == len(set(ids))


def test_run_writes_schema_and_is_reproducible(tmp_path, capsys):
    """Two fast, all-certified lemmas (C.10: lists of networks; H.9: real parameters): what is
    checked is the written file and its reproducibility, not how long a lemma searches."""
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        assert main(["run", "C.10", "H.9", "--seed", "7", "--out", str(out), "--no-html"]) == 0
        outs.append(json.loads((out / "results.json").read_text()))
        assert (out / "report.md").read_text().startswith("# dpsverify report")
    doc = outs[0]
    assert doc["schema"] == 1
    assert {"versions", "seed", "profile", "precision"} <= set(doc["meta"])
    for lemma in doc["lemmas"]:
        assert {
            "id",
            "title",
            "statement",
            "constants",
            "examples",
            "verdicts",
            "worst",
            "empirical_constant",
            "seconds",
        } <= set(lemma)
        assert set(lemma["verdicts"]) == {
            "certified",
            "statistical",
            "inconclusive",
            "refuted",
            "error",
        }
        assert {"params", "lhs", "rhs", "ratio"} <= set(lemma["worst"])
        assert lemma["verdicts"]["certified"] == lemma["examples"] > 0
    assert without_timings(outs[0]) == without_timings(outs[1])


def test_check_one_point(capsys):
    assert main(["check", "C.16", "eps=0.5", "sigma=1", "theta=0.1", "x=0.3"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["verdict"] == "certified"
    assert (
        main(
            ["check", "C.16", "eps=0.5", "sigma=1", "theta=0", "x=0", "--set", "C.16.prefactor=1/2"]
        )
        == 1
    )
