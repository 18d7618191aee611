"""verify report: bad --out refused first, a baseline renders, the output is swapped in whole."""

import json
from pathlib import Path

from verify.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_report_refuses_a_file_as_out_before_reading(tmp_path, capsys):
    target = tmp_path / "afile"
    target.write_text("x")
    assert main(["report", "--results", str(tmp_path / "missing.json"), "--out", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "exists and is not a directory" in err[0]


def test_report_renders_a_records_free_baseline(tmp_path, capsys):
    baseline = json.loads((ROOT / "reports" / "baseline.json").read_text())
    small = {**baseline, "lemmas": [e for e in baseline["lemmas"] if e["id"] in ("C.9", "C.16")]}
    for entry in small["lemmas"]:
        entry.pop("records", None)
    source = tmp_path / "baseline.json"
    source.write_text(json.dumps(small))
    out = tmp_path / "out"
    assert main(["report", "--results", str(source), "--out", str(out)]) == 0
    assert (out / "index.html").exists() and (out / "report.md").exists()
    assert "C.16" in (out / "report.md").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
