"""``--out`` is replaced as a whole by run, report and arena: never the current folder or an
ancestor, never a non-empty folder that holds no earlier output of verify."""

from __future__ import annotations

import pytest

from verify.cli import main
from verify.cli.common import OUTPUT_MARKER


@pytest.mark.parametrize("out", [".", "..", "sub/..", "/"])
def test_current_folder_and_ancestors_are_refused(out, tmp_path, monkeypatch, capsys):
    (tmp_path / "sub").mkdir()
    (tmp_path / "keep.txt").write_text("mine")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "C.13", "--out", out, "--no-html"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("verify: error: --out")
    assert (tmp_path / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("command", ["run", "report", "arena"])
def test_a_folder_of_other_files_is_not_replaced(command, tmp_path, capsys):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    args = {
        "run": ["run", "C.13", "--no-html"],
        "report": ["report", "--results", str(tmp_path / "any.json")],
        "arena": ["arena"],
    }[command]
    assert main([*args, "--out", str(precious)]) == 2
    assert "holds no earlier output of verify" in capsys.readouterr().err
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_an_earlier_output_and_an_empty_folder_are_replaced(tmp_path):
    out = tmp_path / "out"
    out.mkdir()  # empty: fine
    assert main(["run", "C.13", "--out", str(out), "--no-html"]) == 0
    assert (out / OUTPUT_MARKER).exists() and (out / "results.json").exists()
    (out / "results.json").unlink()  # the marker alone marks it as ours
    assert main(["run", "C.13", "--out", str(out), "--no-html"]) == 0
    assert (out / "results.json").exists()
