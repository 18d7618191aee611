"""The results contract: one run of several lemmas as a JSON document (schema 1)."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import tempfile
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verify.core.errors import UsageError
from verify.core.verdict import ORDER

if TYPE_CHECKING:
    from verify.core.runner import LemmaRun

SCHEMA = 1
# The JSON Schemas (draft 2020-12) shipped in verify/core/schema/, by kind of document.
SCHEMA_FILES = {
    "results": "results.schema.json",
    "baseline": "baseline.schema.json",
    "mutation": "mutation.schema.json",
}
TIMING_KEYS = {"seconds", "examples_per_second", "started", "wall_seconds"}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def versions() -> dict[str, str | None]:
    return {
        "python": platform.python_version(),
        "dpsverify": _version("dpsverify"),
        "python-flint": _version("python-flint"),
        "hypothesis": _version("hypothesis"),
        "mpmath": _version("mpmath"),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
    }


def lemma_verdict(counts: dict[str, int]) -> str:
    """The most severe verdict present (certified for a lemma with no example)."""
    present = [v for v in ORDER if counts.get(v.value, 0) > 0]
    return present[-1].value if present else "certified"


def lemma_json(run: LemmaRun) -> dict[str, Any]:
    # The runner (and Hypothesis, through the lemma contract) only where runs are written:
    # verify report, regress and history read documents without them.
    from verify.core.runner import empirical_constants, verdict_counts, worst_example

    lemma = run.lemma
    found = empirical_constants(run)
    counts = verdict_counts(run)
    constants = {}
    for c in lemma.constants:
        value = run.constants[c.name]
        constants[c.name] = {
            "value": str(value),
            "float": float(value),
            "stated": str(c.value),
            "overridden": value != c.value,
            "provenance": c.provenance,
            "sense": c.sense,
            "empirical": found[c.name]["empirical"],
            "worst_params": found[c.name]["params"],
        }
    primary = lemma.primary_constant
    examples = len(run.evaluations)
    return {
        "id": lemma.id,
        "title": lemma.title,
        "statement": lemma.statement,
        "domain": lemma.domain_text,
        "depends_on": list(lemma.depends_on),
        "constants": constants,
        "primary_constant": primary,
        "examples": examples,
        "verdict": lemma_verdict(counts),
        "verdicts": counts,
        "worst": worst_example(run),
        "empirical_constant": found[primary]["empirical"] if primary else None,
        "seconds": round(run.seconds, 3),
        "examples_per_second": round(examples / run.seconds, 3) if run.seconds > 0 else None,
        "plots": list(run.plots),
        "records": [e.to_json() for e in run.evaluations],
    }


def document(runs: list[LemmaRun], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "meta": {"versions": versions(), "platform": sys.platform, **meta},
        "lemmas": [lemma_json(run) for run in runs],
    }


def atomic_write_text(path: Path | str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and ``os.replace``.

    A reader (or a crash half-way) never sees a truncated file: the target is either the old
    document or the new one.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=1, sort_keys=False, default=str) + "\n"


def write(doc: dict[str, Any], path: Path) -> None:
    atomic_write_text(path, dumps(doc))


@cache
def _registry() -> Any:
    from referencing import Registry, Resource

    folder = resources.files("verify.core") / "schema"
    found = [json.loads((folder / name).read_text("utf-8")) for name in SCHEMA_FILES.values()]
    return Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in found)


@cache
def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a document ``kind``: "results", "baseline" or "mutation"."""
    folder = resources.files("verify.core") / "schema"
    return json.loads((folder / SCHEMA_FILES[kind]).read_text("utf-8"))


def _shorten(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def _expected(error: Any) -> str:
    """What the schema wanted at the failing place, in a few words."""
    kind, wanted, value = error.validator, error.validator_value, error.instance
    if kind == "type":
        names = wanted if isinstance(wanted, str) else " or ".join(wanted)
        return f"expected {names}, got {_json_type(value)} {_shorten(value)}"
    if kind == "required":
        missing = [k for k in wanted if isinstance(value, dict) and k not in value]
        return f"missing required key {missing[0]!r}" if missing else error.message
    if kind == "enum":
        return f"expected one of {', '.join(map(json.dumps, wanted))}, got {_shorten(value)}"
    if kind == "const":
        return f"expected {json.dumps(wanted)}, got {_shorten(value)}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "minLength", "pattern"):
        return f"expected {kind} {_shorten(wanted)}, got {_shorten(value)}"
    return " ".join(error.message.split())[:200]


def _inlined(kind: str) -> dict[str, Any]:
    """``schema(kind)`` with each ``$ref`` (within a file or to another of SCHEMA_FILES)
    replaced by the definition it names, recursively: the same constraints, but jsonschema no
    longer looks a reference up at every instance it checks (about 40% of validating a quick
    run's results.json, which has tens of thousands of referenced balls). A reference with
    sibling keywords becomes ``allOf`` of the definition beside them; a reference met again
    inside its own definition (recursion) is kept as it is, and ``$defs`` and ``$id`` stay, so
    the registry still resolves it."""
    by_id = {schema(other)["$id"]: schema(other) for other in SCHEMA_FILES}

    def target(ref: str, base: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        uri, _, pointer = ref.partition("#")
        document = by_id[uri] if uri else base
        node: Any = document
        for token in filter(None, pointer.split("/")):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node, document

    def inline(node: Any, base: dict[str, Any], seen: frozenset) -> Any:
        if isinstance(node, list):
            return [inline(value, base, seen) for value in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        key = (base["$id"], ref)
        if isinstance(ref, str) and key not in seen:
            found, document = target(ref, base)
            body = inline(found, document, seen | {key})
            rest = {k: inline(v, base, seen) for k, v in node.items() if k != "$ref"}
            return {"allOf": [body], **rest} if rest else body
        return {k: v if k == "$defs" else inline(v, base, seen) for k, v in node.items()}

    return inline(schema(kind), schema(kind), frozenset())


@cache
def _validator(kind: str) -> Any:
    import jsonschema

    inlined = _inlined(kind)
    validator_class = jsonschema.validators.validator_for(inlined)
    return validator_class(inlined, registry=_registry())


def validate(doc: Any, kind: str = "results") -> None:
    """Raise a one-line ``UsageError`` naming the JSON path and what was expected."""
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator(kind).iter_errors(doc))
    if error is not None:
        raise UsageError(f"{error.json_path}: {_expected(error)}")


def load(path: Path | str, kind: str = "results") -> dict[str, Any]:
    """Read and validate a document of ``kind``; every defect is one ``UsageError`` line."""
    what = "mutation file" if kind == "mutation" else f"{kind} file"
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such {what}: {path}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {path} is not UTF-8 text (byte {exc.start})") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{what} {path} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise UsageError(f"{what} {path} is not JSON: nested too deeply") from None
    try:
        validate(doc, kind)
    except UsageError as exc:
        raise UsageError(
            f"{path} is not a valid {kind} document (schema {SCHEMA}): {exc}"
        ) from None
    return doc


def lemma_seconds(path: Path | str, profile: str) -> dict[str, float]:
    """Each lemma's ``seconds`` in the results or baseline document at ``path`` when it was run
    with ``profile``; empty when the file is missing, unreadable, of another profile or not such
    a document. An estimate for ordering work (``schedule.costliest_first``), so it is read
    without schema validation and any defect just gives no estimate."""
    try:
        doc = json.loads(Path(path).read_text("utf-8"))
        if doc["meta"]["profile"] != profile:
            return {}
        found = {}
        for lemma in doc["lemmas"]:
            seconds = lemma.get("seconds")
            if isinstance(lemma.get("id"), str) and type(seconds) in (int, float):
                found[lemma["id"]] = float(seconds)
        return found
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def side_text(side: dict[str, Any] | None, digits: int = 6) -> str:
    """A recorded side's value for prose: the float midpoint, or the decimal string whenever the
    float underflowed to 0 or overflowed to inf (so "lhs X > rhs Y" is never 0 > 0)."""
    if not side:
        return "-"
    mid, text = side.get("mid"), side.get("mid_str")
    usable = isinstance(mid, int | float) and math.isfinite(mid) and mid != 0
    if usable or not text:
        return "-" if mid is None else f"{mid:.{digits}g}"
    from fractions import Fraction

    from verify.core.runner import decimal_string

    value = Fraction(text)
    return "0" if value == 0 else decimal_string(value, "nearest", digits)


def baseline_form(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as a committed baseline: per-example records dropped (regress ignores them)."""
    lemmas = [{k: v for k, v in lemma.items() if k != "records"} for lemma in doc["lemmas"]]
    return {**doc, "lemmas": lemmas}


def is_timing_key(key: str) -> bool:
    """A wall-clock field: the named ones, and any key that measures seconds (a part's
    ``seconds_per_inversion``)."""
    return key in TIMING_KEYS or "seconds" in key


def without_timings(value: Any) -> Any:
    """The document with every timing field removed (for reproducibility comparisons)."""
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if not is_timing_key(k)}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


__all__ = [
    "atomic_write_text",
    "document",
    "lemma_json",
    "lemma_seconds",
    "load",
    "side_text",
    "validate",
    "without_timings",
    "write",
]
