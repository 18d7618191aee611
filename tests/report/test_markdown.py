"""report.md: readable tables (escaped pipes, estimates with intervals, exact checks apart)."""

from __future__ import annotations

from typing import Any

from tests.report.test_html import sample_results
from verify.report import markdown
from verify.report.summary import clean_float, is_structural, worst_inequality


def _side(mid: float, lo: float, hi: float) -> dict[str, float]:
    return {"mid": mid, "lo": lo, "hi": hi, "rad": (hi - lo) / 2}


def _exact(value: int) -> dict[str, float]:
    return {"mid": float(value), "lo": float(value), "hi": float(value), "rad": 0.0}


def _part(name: str, lhs: dict, rhs: dict, **extra: Any) -> dict[str, Any]:
    ratio = lhs["mid"] / rhs["mid"] if rhs["mid"] else None
    return {
        "name": name,
        "kind": "certified",
        "verdict": "certified",
        "lhs": lhs,
        "rhs": rhs,
        "ratio": ratio,
        "constant": None,
        "empirical": None,
        "confidence": None,
        "note": "",
        "data": {},
        **extra,
    }


def _row(text: str, lemma_id: str) -> list[str]:
    line = next(line for line in text.splitlines() if line.startswith(f"| {lemma_id} |"))
    cells = [c.strip() for c in line.strip().strip("|").replace("\\|", "\x00").split("|")]
    return [c.replace("\x00", "\\|") for c in cells]


def test_pipes_in_cells_are_escaped() -> None:
    doc = sample_results()
    doc["lemmas"][0]["title"] = "P(|N(0, b^2)| >= e/4) bound"
    doc["lemmas"][0]["constants"]["C_value"]["provenance"] = "from |x| <= 1"
    text = markdown.render(doc)
    header = next(line for line in text.splitlines() if line.startswith("| id |"))
    columns = header.count("|")
    row = next(line for line in text.splitlines() if line.startswith("| C.16 |"))
    assert row.count("|") - row.count("\\|") == columns
    assert "P(\\|N(0, b^2)\\| >= e/4) bound" in row
    provenance = next(line for line in text.splitlines() if line.startswith("| `C_value` |"))
    assert "from \\|x\\| <= 1" in provenance


def test_statistical_constant_shows_estimate_and_interval() -> None:
    doc = sample_results()
    h3 = doc["lemmas"][3]
    h3["constants"] = {
        "C": {
            "value": "1",
            "float": 1.0,
            "stated": "1",
            "provenance": "sampled",
            "sense": "upper",
            "overridden": False,
            "empirical": -4e-10,
            "worst_params": {"n": 3},
        }
    }
    h3["primary_constant"] = "C"
    h3["empirical_constant"] = -4e-10
    part = _part(
        "rate",
        _side(0.012, -4e-10, 0.03),
        _side(1.0, 1.0, 1.0),
        kind="statistical",
        verdict="statistical",
        constant="C",
        empirical=-4e-10,
        confidence=0.99,
    )
    h3["records"] = [{"params": {"n": 3}, "verdict": "statistical", "parts": [part]}]
    row = _row(markdown.render(doc), "H.3")
    assert "est 0.012 [−4e-10, 0.03] (99%)" in row


def test_worst_ratio_covers_inequalities_and_exact_checks_are_apart() -> None:
    doc = sample_results()
    c16 = doc["lemmas"][0]
    depth = _part("depth 2 <= 2", _exact(2), _exact(2))
    gap = _part("agreement gap", _side(0.0, 0.0, 0.0), _exact(0))
    assert is_structural(depth) and is_structural(gap)
    assert not is_structural(c16["records"][0]["parts"][0])
    for record in c16["records"]:
        record["parts"] += [depth, gap]
    assert worst_inequality(c16)["ratio"] == 0.55  # depth's ratio 1 is not an inequality's
    header = _row(markdown.render(doc), "id")
    row = _row(markdown.render(doc), "C.16")
    assert row[header.index("worst lhs/rhs")] == "0.55"
    assert row[header.index("exact checks")] == "12/12 hold"
    assert row[header.index("slack")] == "1.818"  # stated 1 over empirical 0.55


def test_parameters_print_without_float_noise() -> None:
    assert clean_float(28.799999999999997) == 28.8 and repr(clean_float(0.1 + 0.2)) == "0.3"
    doc = sample_results()
    c16 = doc["lemmas"][0]
    for record in c16["records"]:
        record["params"]["sigma"] = 28.799999999999997
    text = markdown.render(doc)
    assert "28.799999999999997" not in text and '"sigma": 28.8' in text
