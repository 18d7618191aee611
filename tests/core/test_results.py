"""results.json: the writer's output validates against the shipped JSON Schema, every kind of
bad file is refused with one line, writes are atomic, and recorded enclosures keep endpoints
beyond double range as outward-rounded decimal strings."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flint import arb

from tests.report.test_html import sample_results
from verify.core import results
from verify.core.contract import Part
from verify.core.errors import UsageError
from verify.core.numbers import precision
from verify.core.registry import get
from verify.core.runner import LemmaRun, _describe, _part_result, decimal_string, run_lemma

# One worker runs the module in a row, so the small C.9 run (the module fixture) is made once
# per session (interleaved with other modules, a module fixture is torn down and made again).
pytestmark = pytest.mark.xdist_group("results")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small_run() -> dict[str, Any]:
    """A real run of C.9 with a tiny search budget, as ``verify run`` would write it."""
    lemma = dataclasses.replace(get("C.9"), budget={"quick": 3})
    run = run_lemma(lemma, profile="quick", seed=0)
    return results.document([run], {"seed": 0, "profile": "quick", "precision": 64})


def validator(kind: str) -> Any:
    schema = results.schema(kind)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, registry=results._registry())


def test_schemas_are_draft_2020_12_and_shipped_as_package_data() -> None:
    for name in results.SCHEMA_FILES.values():
        schema = json.loads((ROOT / "verify/core/schema" / name).read_text())
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
    assert '"verify.core" = ["schema/*.json"]' in (ROOT / "pyproject.toml").read_text()


def test_written_results_validate_and_load(small_run: dict[str, Any], tmp_path: Path) -> None:
    assert small_run["lemmas"][0]["records"], "the run recorded no example"
    validator("results").validate(small_run)
    path = tmp_path / "out" / "results.json"
    results.write(small_run, path)
    loaded = results.load(path)
    assert loaded == json.loads(results.dumps(small_run))
    # Its baseline form is a valid baseline, and not a valid results file (no records).
    baseline = results.baseline_form(loaded)
    validator("baseline").validate(baseline)
    assert not validator("results").is_valid(baseline)
    # Every recorded side carries its decimal endpoints.
    for record in loaded["lemmas"][0]["records"]:
        for part in record["parts"]:
            for side in (part["lhs"], part["rhs"]):
                if side["mid"] is not None:
                    assert Fraction(side["lo_str"]) <= Fraction(side["hi_str"])


def test_committed_baseline_and_sample_validate() -> None:
    results.load(ROOT / "reports/baseline.json", "baseline")
    validator("results").validate(sample_results())


def _refused(tmp_path: Path, content: bytes, kind: str = "results") -> str:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(UsageError) as caught:
        results.load(path, kind)
    message = str(caught.value)
    assert "\n" not in message and message, message
    assert len(message) < 300, message
    return message


def _json(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def test_bad_files_are_one_line_errors(tmp_path: Path) -> None:
    assert "not UTF-8" in _refused(tmp_path, b"\xff\xfe\x00garbage\x80")
    assert "not JSON" in _refused(tmp_path, bytes(range(32)) * 4)  # binary, yet valid UTF-8
    assert "not UTF-8" in _refused(tmp_path, b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert "not JSON" in _refused(tmp_path, b'{"schema": 1, "lemmas": [')
    assert "not JSON" in _refused(tmp_path, b"[" * 100000)
    assert "expected array" in _refused(tmp_path, _json({"schema": 1, "meta": {}, "lemmas": "abc"}))
    assert "$.schema" in _refused(tmp_path, _json({**sample_results(), "schema": 2}))
    assert "$" in _refused(tmp_path, _json([1, 2]))
    with pytest.raises(UsageError, match="no such results file"):
        results.load(tmp_path / "missing.json")

    doc = sample_results()
    del doc["lemmas"][1]["verdicts"]
    message = _refused(tmp_path, _json(doc))
    assert "$.lemmas[1]" in message and "verdicts" in message

    doc = sample_results()
    doc["lemmas"][0]["constants"]["C_value"]["empirical"] = "big"
    message = _refused(tmp_path, _json(doc))
    assert "$.lemmas[0].constants.C_value.empirical" in message and "number" in message

    doc = sample_results()
    doc["lemmas"][2]["verdict"] = "fine"
    assert "$.lemmas[2].verdict" in _refused(tmp_path, _json(doc))

    doc = sample_results()
    doc["lemmas"][0]["records"][0]["parts"][0]["lhs"] = {"mid": 1.0}
    assert "$.lemmas[0].records[0].parts[0].lhs" in _refused(tmp_path, _json(doc))

    doc = sample_results()
    doc["meta"]["seed"] = "zero"
    assert "$.meta.seed" in _refused(tmp_path, _json(doc))

    message = _refused(tmp_path, _json({"profile": "quick"}), "mutation")
    assert "mutation document" in message and "$: missing required key" in message


def test_cli_prints_one_line_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from verify.cli import main

    bad = tmp_path / "results.json"
    bad.write_text(json.dumps({"schema": 1, "meta": {}, "lemmas": "abc"}))
    assert main(["report", "--results", str(bad), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("verify: error: ") and err.count("\n") == 1, err
    assert "$.lemmas" in err


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "results.json"
    results.write(sample_results(), path)
    before = path.read_bytes()
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def recording_replace(src: Any, dst: Any) -> None:
        replaced.append((str(src), str(dst)))
        assert Path(src).parent == Path(dst).parent  # same folder: a rename, never a copy
        assert path.read_bytes() == before  # the target is untouched until the rename
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    doc = sample_results()
    doc["meta"]["seed"] = 7
    results.write(doc, path)
    assert replaced and replaced[0][1] == str(path)
    assert results.load(path)["meta"]["seed"] == 7

    def failing_replace(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        results.write(sample_results(), path)
    assert results.load(path)["meta"]["seed"] == 7  # the old document survives a failed write
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.json"]  # no temporary left


def test_decimal_string_rounds_in_the_stated_direction() -> None:
    values = [Fraction(1, 3), Fraction(-2, 3), Fraction(10) ** -400 / 7, Fraction(2) ** 1400 / 3]
    for value in values:
        down, up = decimal_string(value, "down"), decimal_string(value, "up")
        assert Fraction(down) <= value <= Fraction(up)
        assert Fraction(up) - Fraction(down) <= abs(value) * Fraction(1, 10**15)
    assert decimal_string(Fraction(0), "up") == "0"


def _reference_decimal(value: Fraction, rounding: str, digits: int) -> tuple[int, int]:
    """(m, e) with m 10^e the rounding of ``value`` to ``digits`` significant digits, by
    Fraction arithmetic and a search for the exponent (slow, obviously right)."""
    exponent = 0
    while abs(value) >= Fraction(10) ** (exponent + 1):
        exponent += 1
    while abs(value) < Fraction(10) ** exponent:
        exponent -= 1
    scaled = value / Fraction(10) ** (exponent - digits + 1)
    if rounding == "down":
        mantissa = math.floor(scaled)
    elif rounding == "up":
        mantissa = math.ceil(scaled)
    else:
        mantissa = round(scaled)
    return mantissa, exponent - digits + 1


def test_decimal_string_is_the_exact_directed_rounding() -> None:
    # Around powers of ten (where the exponent guess from bit lengths is one off), dyadic and
    # non-dyadic, tiny and huge, both signs, carries to a new digit ("up" of 9...9.5).
    values = [Fraction(1), Fraction(10**17 - 1), Fraction(10**17), Fraction(2**60 - 1)]
    for e in (-330, -17, -1, 0, 1, 16, 17, 300):
        for delta in (0, 1, -1):
            for near in (Fraction(10) ** e, Fraction(10) ** e * (1 - Fraction(1, 10**20))):
                values.append(near + delta * Fraction(1, 2**1100))
    values += [Fraction(3, 2**1074), Fraction(2**1023 * 3), Fraction(99999999999999999, 10**40)]
    values += [Fraction(10**17 - 1, 10) + Fraction(1, 20), Fraction(7, 3) / 10**200]
    for value in values:
        for signed in (value, -value):
            for rounding in ("down", "up", "nearest"):
                for digits in (17, 5, 1):
                    mantissa, exponent = _reference_decimal(signed, rounding, digits)
                    text = decimal_string(signed, rounding, digits)
                    assert Fraction(text) == mantissa * Fraction(10) ** exponent, (signed, text)


def test_a_decimal_endpoint_that_does_not_bound_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import verify.core.runner as runner

    ball = arb(1) / 3
    honest = runner._decimal_text
    # The rounding turned the wrong way: each endpoint's check catches it.
    flipped = {"down": "up", "up": "down", "nearest": "nearest"}
    monkeypatch.setattr(
        runner, "_decimal_text", lambda n, d, rounding, *rest: honest(n, d, flipped[rounding])
    )
    for which in ("lower", "upper"):
        with pytest.raises(ArithmeticError, match="does not bound"):
            runner._decimal_endpoint(ball, which)


def test_enclosures_near_1e_minus_400_keep_value_and_order() -> None:
    with precision(64):
        lhs = arb(3) * arb(10) ** -400
        rhs = arb(2) * arb(10) ** -400
        for x in (lhs, rhs):
            side = _describe(x)
            assert side["mid"] == 0.0 and side["lo"] == 0.0  # the floats underflow ...
            # ... the decimal strings do not, and they bound the ball outward, exactly.
            lo, hi = Fraction(side["lo_str"]), Fraction(side["hi_str"])
            assert 0 < lo <= Fraction(*_exact(x.lower())) <= Fraction(*_exact(x.upper())) <= hi
            assert x.lower() >= arb(side["lo_str"]).lower()
        assert Fraction(_describe(lhs)["lo_str"]) > Fraction(_describe(rhs)["hi_str"])
        part = Part(name="tiny", lhs=lhs, rhs=rhs)
        result = _part_result(get("C.9"), part)
    assert result.verdict.value == "refuted"
    record = {"params": {}, "verdict": "refuted", "precision": 64, "error": None}
    record["parts"] = [result.to_json()]
    # The printed statement uses the decimal strings, never "lhs 0 > rhs 0".
    assert results.side_text(result.lhs) == "3e-400"
    assert results.side_text(result.rhs) == "2e-400"
    from verify.report import markdown

    doc = copy.deepcopy(sample_results())
    doc["lemmas"][1]["records"] = [record]
    text = markdown.render(doc)
    assert "tiny: lhs 3e-400 > rhs 2e-400" in text
    # The worst example also keeps its sides as decimals (here only lhs underflows, so the
    # float ratio exists and picks this part).
    from verify.core.runner import Evaluation, Verdict, worst_example

    with precision(64):
        small = _part_result(get("C.9"), Part(name="small", lhs=lhs, rhs=arb(10) ** -300))
    run = LemmaRun(get("C.9"), get("C.9").stated_constants())
    run.evaluations.append(Evaluation({}, [small], Verdict.CERTIFIED, 64))
    worst = worst_example(run)
    assert worst is not None and worst["part"] == "small" and worst["lhs"] == 0.0
    assert Fraction(worst["lhs_str"]) == Fraction(_describe(lhs)["mid_str"]) > 0
    validator("results").validate(
        {"schema": 1, "meta": {}, "lemmas": [{**doc["lemmas"][1], "worst": worst}]}
    )


def _exact(endpoint: arb) -> tuple[int, int]:
    man, exp = (int(v) for v in endpoint.mid().man_exp())
    return (man * 2**exp, 1) if exp >= 0 else (man, 2 ** (-exp))


def test_endpoints_too_large_to_expand_fall_back_to_safe_infinite_bounds() -> None:
    with precision(64):
        huge = arb(2) ** (2**22) * 3
        side = _describe(huge)
    assert side["lo_str"] == "-inf" and side["hi_str"] == "inf"  # true, if uninformative
    assert side["mid_str"] is not None and "e+" in side["mid_str"]
    # The schema's decimal pattern admits all three.
    pattern = results.schema("results")["$defs"]["decimal"]["pattern"]
    for text in (side["lo_str"], side["hi_str"], side["mid_str"]):
        assert re.match(pattern, text), text


def _corruptions(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The document, and copies with one field made wrong in each part of the schema that a
    reference reaches (a side, a decimal, a verdict, a record, a constant, the meta)."""
    lemma = doc["lemmas"][0]
    part = lemma["records"][0]["parts"][0]
    edits = [
        lambda d: None,
        lambda d: d["lemmas"][0]["records"][0]["parts"][0]["lhs"].update(mid="x"),
        lambda d: d["lemmas"][0]["records"][0]["parts"][0]["lhs"].update(lo_str="1e"),
        lambda d: d["lemmas"][0]["records"][0]["parts"][0].update(verdict="fine"),
        lambda d: d["lemmas"][0]["records"][0].pop("params"),
        lambda d: d["lemmas"][0].update(verdict=3),
        lambda d: d["lemmas"][0].pop("records"),
        lambda d: d["lemmas"][0]["constants"].update(bad=1),
        lambda d: d["meta"].update(seed="zero"),
        lambda d: d.update(lemmas="none"),
    ]
    assert part["lhs"]["mid"] is not None
    out = []
    for edit in edits:
        copied = copy.deepcopy(doc)
        edit(copied)
        out.append(copied)
    return out


@pytest.mark.parametrize("kind", ["results", "baseline"])
def test_inlined_schema_decides_as_the_referenced_one(small_run: dict[str, Any], kind) -> None:
    """results.validate checks against the schema with its $refs inlined (for speed): on valid
    and broken documents it finds the same errors, at the same paths, as the shipped schema."""
    doc = small_run if kind == "results" else results.baseline_form(small_run)
    plain = validator(kind)
    inlined = results._validator(kind)
    used = {k: v for k, v in results._inlined(kind).items() if k != "$defs"}
    assert "$ref" not in json.dumps(used)  # no reference left to look up
    for variant in _corruptions(small_run) if kind == "results" else [doc]:
        expected = sorted(e.json_path for e in plain.iter_errors(variant))
        assert sorted(e.json_path for e in inlined.iter_errors(variant)) == expected
        assert plain.is_valid(variant) == (not expected)
    assert sum(not plain.is_valid(v) for v in _corruptions(small_run)) >= 8
