"""What the summary tables say about a lemma, computed from its recorded evaluations.

Shared by report.md and the HTML index. A lemma's parts are of two sorts: inequalities, where
lhs/rhs says how tight the bound is, and exact-structure comparisons (both sides exact
integers, such as a network's depth against its stated depth, or an agreement gap with no
constant compared against 0), where a ratio says nothing and only "holds or not" is shown.
"""

from __future__ import annotations

import math
from typing import Any

PASSING = {"certified", "statistical"}


def clean_float(value: float) -> float:
    """``value`` without the noise of computation: 28.799999999999997 -> 28.8 (12 digits)."""
    if not math.isfinite(value):
        return value
    return float(f"{value:.12g}")


def clean_params(params: Any) -> Any:
    """Parameters (JSON-native) with every float cleaned of computation noise."""
    if isinstance(params, float):
        return clean_float(params)
    if isinstance(params, dict):
        return {k: clean_params(v) for k, v in params.items()}
    if isinstance(params, list | tuple):
        return [clean_params(v) for v in params]
    return params


def _exact_integer(side: dict[str, Any] | None) -> bool:
    if not side or side.get("mid") is None:
        return False
    mid, lo, hi = side.get("mid"), side.get("lo"), side.get("hi")
    return (side.get("rad") in (0, 0.0, None) and lo == hi == mid) and float(mid).is_integer()


def is_structural(part: dict[str, Any]) -> bool:
    """True for a part comparing exact structure rather than bounding a quantity."""
    lhs, rhs = part.get("lhs"), part.get("rhs")
    if _exact_integer(lhs) and _exact_integer(rhs):
        return True
    return part.get("constant") is None and _exact_integer(rhs) and rhs.get("mid") == 0


def _parts(lemma: dict[str, Any]):
    for record in lemma.get("records") or []:
        for part in record.get("parts") or []:
            yield record, part


def worst_inequality(lemma: dict[str, Any]) -> dict[str, Any] | None:
    """The inequality part with the largest finite lhs/rhs over all records.

    Without records (an older or hand-made results document) the recorded ``worst`` is used.
    """
    if not lemma.get("records"):
        return lemma.get("worst") or None
    best: dict[str, Any] | None = None
    for record, part in _parts(lemma):
        ratio = part.get("ratio")
        if is_structural(part) or not isinstance(ratio, int | float) or not math.isfinite(ratio):
            continue
        if best is None or ratio > best["ratio"]:
            best = {
                "ratio": ratio,
                "part": part.get("name"),
                "params": record.get("params"),
                "verdict": part.get("verdict"),
                "lhs": (part.get("lhs") or {}).get("mid"),
                "rhs": (part.get("rhs") or {}).get("mid"),
            }
    return best


def structure_summary(lemma: dict[str, Any]) -> str:
    """``"n/n hold"`` over the exact-structure parts, or ``"-"`` when there are none."""
    verdicts = [part.get("verdict") for _, part in _parts(lemma) if is_structural(part)]
    if not verdicts:
        return "-"
    held = sum(1 for v in verdicts if v in PASSING)
    return f"{held}/{len(verdicts)} hold"


def primary(lemma: dict[str, Any]) -> tuple[str | None, dict[str, Any] | None]:
    constants = lemma.get("constants") or {}
    name = lemma.get("primary_constant")
    if name not in constants:
        name = next(iter(constants), None)
    return name, constants.get(name) if name is not None else None


def slack(lemma: dict[str, Any]) -> float | None:
    """How far the constant used is from the empirical one, as a factor that is at least 1
    when the statement holds: stated / empirical for an upper constant, empirical / stated for
    a lower one."""
    _, info = primary(lemma)
    if info is None:
        return None
    value, empirical = info.get("float"), info.get("empirical")
    if not isinstance(value, int | float) or not isinstance(empirical, int | float):
        return None
    if info.get("sense", "upper") == "upper":
        return value / empirical if empirical > 0 else None
    return empirical / value if value > 0 else None


def statistical_estimate(lemma: dict[str, Any]) -> dict[str, float] | None:
    """For a constant whose empirical value comes from a sampled (statistical) part: the point
    estimate and the confidence interval, on the constant's scale.

    The recorded empirical value is the interval's certain end (lhs.lo for an upper constant,
    rhs.hi for a lower one) divided by the part's unit; the same scale maps mid, lo and hi.
    """
    name, info = primary(lemma)
    if info is None or info.get("empirical") is None:
        return None
    empirical = info["empirical"]
    upper = info.get("sense", "upper") == "upper"
    for _, part in _parts(lemma):
        if part.get("constant") != name or part.get("empirical") != empirical:
            continue
        if part.get("kind") != "statistical":
            return None
        side = part.get("lhs" if upper else "rhs") or {}
        end = side.get("lo" if upper else "hi")
        if not all(isinstance(side.get(k), int | float) for k in ("mid", "lo", "hi")):
            return None
        if not end:
            return None
        scale = empirical / end
        return {
            "mid": side["mid"] * scale,
            "lo": side["lo"] * scale,
            "hi": side["hi"] * scale,
            "confidence": part.get("confidence"),
        }
    return None


def short(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = f"{value:.{digits}g}"
    return "−" + text[1:] if text.startswith("-") else text


def estimate_text(estimate: dict[str, float]) -> str:
    """``est 0.012 [−4e-10, 0.03] (99%)``."""
    confidence = estimate.get("confidence")
    level = f" ({100 * confidence:g}%)" if isinstance(confidence, int | float) else ""
    return (
        f"est {short(estimate['mid'], 3)} [{short(estimate['lo'], 3)}, "
        f"{short(estimate['hi'], 3)}]{level}"
    )
