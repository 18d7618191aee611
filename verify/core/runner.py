"""Run lemma checks: fixed examples first, then a Hypothesis search steered to the worst margin.

The search is adversarial: every checked inequality reports ``target(lhs / rhs)``, so
Hypothesis's targeted phase climbs toward the parameters where the statement is tightest.
A point whose certified parts come back INCONCLUSIVE is re-checked at doubled precision (up to
``MAX_PRECISION``) before the verdict is recorded.
"""

from __future__ import annotations

import json
import math
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings, target
from hypothesis import seed as hypothesis_seed

from verify.core.contract import Lemma, Part, examples_for, fixed_examples
from verify.core.errors import DomainError
from verify.core.numbers import (
    MAX_PRECISION,
    certainly_gt,
    is_finite,
    midpoint,
    precision,
    radius,
)
from verify.core.verdict import ORDER, Verdict, agreement_digits, judge, worst


def _json_default(value: Any) -> Any:
    if isinstance(value, Fraction):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def params_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=_json_default)


# Significant digits of the decimal endpoints recorded beside the floats: enough to
# round-trip a double, and decimal strings keep their exponent where a float would underflow.
DECIMAL_DIGITS = 17
# Beyond this binary exponent an endpoint is not converted exactly (the integers get huge);
# the recorded bound is then the trivially safe "-inf" / "inf".
_MAX_EXACT_EXPONENT = 1 << 20


def _describe(x) -> dict[str, Any]:
    """A recorded ball: float endpoints for plots, decimal strings that still bound it.

    ``lo_str <= lower endpoint`` and ``hi_str >= upper endpoint`` exactly (directed rounding of
    the exact dyadic or rational endpoint), so an enclosure near 1e-400, whose floats are 0,
    keeps its value and its order. ``mid_str`` is for display only (nearest rounding).
    """
    finite = is_finite(x)
    return {
        "mid": midpoint(x) if finite else None,
        "lo": _float_endpoint(x, "lower") if finite else None,
        "hi": _float_endpoint(x, "upper") if finite else None,
        "rad": radius(x) if finite else None,
        "lo_str": _decimal_endpoint(x, "lower") if finite else None,
        "hi_str": _decimal_endpoint(x, "upper") if finite else None,
        "mid_str": _decimal_midpoint(x) if finite else None,
    }


def _float_endpoint(x, which: str) -> float:
    """An endpoint for display (rounded to float): exact rationals and arb balls alike."""
    if isinstance(x, Fraction | int):
        return float(x)
    return float(getattr(x, which)())


def _exact_endpoint(x, which: str) -> tuple[int, int] | None:
    """The endpoint as an exact ratio (numerator, denominator > 0), not reduced (None if its
    exponent is too large to expand)."""
    if isinstance(x, Fraction | int):
        return x.numerator, x.denominator
    man, exp = (int(v) for v in getattr(x, which)().mid().man_exp())
    if abs(exp) > _MAX_EXACT_EXPONENT:
        return None
    return (man << exp, 1) if exp >= 0 else (man, 1 << -exp)


def _decimal_endpoint(x, which: str) -> str:
    """The ``which`` ("lower"/"upper") endpoint as a decimal string rounded outward."""
    exact = _exact_endpoint(x, which)
    if exact is None:
        return "-inf" if which == "lower" else "inf"
    numerator, denominator = exact
    text = _decimal_text(numerator, denominator, "down" if which == "lower" else "up")
    # The string stands for a bound: check, in integers, that it lies on the safe side of the
    # exact endpoint (text = m 10^e, and m 10^e <= n / d iff m 10^e d <= n, scaled by 10^-e).
    mantissa, exponent = _parse_decimal(text)
    if exponent >= 0:
        scaled, bound = mantissa * _ten_power(exponent) * denominator, numerator
    else:
        scaled, bound = mantissa * denominator, numerator * _ten_power(-exponent)
    if (scaled > bound) if which == "lower" else (scaled < bound):
        rational = Fraction(numerator, denominator)
        raise ArithmeticError(f"decimal {text} does not bound the {which} endpoint {rational}")
    return text


def _parse_decimal(text: str) -> tuple[int, int]:
    """(m, e) with ``text`` = m 10^e exactly, for the strings ``decimal_string`` writes."""
    digits, _, exponent = text.partition("e")
    whole, _, fraction = digits.partition(".")
    return int(whole + fraction), int(exponent or 0) - len(fraction)


def _decimal_midpoint(x) -> str:
    if isinstance(x, Fraction | int):
        return decimal_string(Fraction(x), "nearest")
    return x.mid().str(DECIMAL_DIGITS, radius=False)


@lru_cache(maxsize=4096)
def _ten_power(exponent: int) -> int:
    """10**exponent (exponent >= 0), kept: the same scales recur for every recorded ball."""
    return 10**exponent


# log10(2) as the nearest double: the guess floor((b - 1) log10 2) below may be off by one
# either way for it; the loop in _decimal_text corrects any guess.
_LOG10_2 = math.log10(2)


def decimal_string(value: Fraction, rounding: str, digits: int = DECIMAL_DIGITS) -> str:
    """``value`` to ``digits`` significant decimal digits, rounded "down", "up" or "nearest".

    Exact integer arithmetic: the result read back as a rational is <= ``value`` ("down") or
    >= ``value`` ("up"), which is what lets a recorded endpoint stand for a bound.
    """
    return _decimal_text(value.numerator, value.denominator, rounding, digits)


def _decimal_text(
    numerator: int, denominator: int, rounding: str, digits: int = DECIMAL_DIGITS
) -> str:
    """``decimal_string`` of numerator / denominator (denominator > 0, not necessarily reduced).

    The decimal exponent comes from one scaled division: with s = e - (digits - 1) for a guess
    e of floor(log10 |v|), q = floor(v / 10^s) has ``digits`` digits exactly when the guess is
    right, and floor(v / 10^(s+1)) = floor(q / 10) when it has one more; no comparison with a
    separate power of ten is needed. The guess floor((b - 1) log10 2), b the difference of the
    bit lengths, is the exponent or one below (|v| lies in (2^(b-1), 2^(b+1))); a wrong guess
    only costs another division (the loop), never a wrong result.
    """
    if numerator == 0:
        return "0"
    if rounding not in ("down", "up", "nearest"):
        raise ValueError(f"rounding must be down, up or nearest, got {rounding!r}")
    low, high = _ten_power(digits - 1), _ten_power(digits)
    bits = abs(numerator).bit_length() - denominator.bit_length()
    exponent = math.floor((bits - 1) * _LOG10_2) - (digits - 1)
    while True:
        # value / 10**exponent as num / den (den > 0), unreduced: a gcd of integers thousands
        # of digits long cost more than the rest of a C.16 run.
        num, den = numerator, denominator
        if exponent >= 0:
            den *= _ten_power(exponent)
        else:
            num *= _ten_power(-exponent)
        if den & (den - 1) == 0:  # a power of two (every dyadic endpoint): shifts divide
            shift = den.bit_length() - 1
            floor, remainder = num >> shift, num & (den - 1)
        else:
            floor, remainder = divmod(num, den)
        magnitude = -floor - (remainder != 0) if floor < 0 else floor  # floor(|value| / 10^s)
        if magnitude >= high * 10:
            exponent += 1
            continue
        if magnitude < low:
            exponent -= 1
            continue
        if magnitude >= high:  # one digit too many: one place further, in small integers
            floor, last = divmod(floor, 10)
            remainder += last * den
            den *= 10
            exponent += 1
        break
    if rounding == "down":
        mantissa = floor
    elif rounding == "up":
        mantissa = floor + (remainder != 0)
    else:
        # Half to even, as round(Fraction) does.
        twice = 2 * remainder
        mantissa = floor + (twice > den or (twice == den and floor % 2 == 1))
    sign = "-" if mantissa < 0 else ""
    text = str(abs(mantissa))
    # An "up" rounding to 10**digits gains a digit; the exponent below absorbs it.
    leading = exponent + len(text) - 1
    fraction = text[1:].rstrip("0")
    return f"{sign}{text[0]}{'.' + fraction if fraction else ''}e{leading}"


def _ratio(lhs, rhs) -> float | None:
    if not (is_finite(lhs) and is_finite(rhs)):
        return None
    denominator = midpoint(rhs)
    if denominator == 0:
        return None
    value = midpoint(lhs) / denominator
    return value if math.isfinite(value) else None


@dataclass
class PartResult:
    name: str
    kind: str
    verdict: Verdict
    lhs: dict[str, Any]
    rhs: dict[str, Any]
    ratio: float | None
    constant: str | None
    empirical: float | None
    confidence: float | None
    note: str
    data: dict[str, Any] = field(default_factory=dict)
    agreement: dict[str, Any] | None = None
    refutation: dict[str, Any] | None = None
    strict: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "verdict": self.verdict.value,
            "lhs": self.lhs,
            "rhs": self.rhs,
            "ratio": self.ratio,
            "constant": self.constant,
            "empirical": self.empirical,
            "confidence": self.confidence,
            "note": self.note,
            "data": self.data,
            **({"agreement": self.agreement} if self.agreement is not None else {}),
            **({"refutation": self.refutation} if self.refutation is not None else {}),
            **({"strict": self.strict} if self.strict is not None else {}),
        }


@dataclass
class Evaluation:
    params: dict[str, Any]
    parts: list[PartResult]
    verdict: Verdict
    precision: int
    error: str | None = None

    @property
    def ratio(self) -> float | None:
        ratios = [p.ratio for p in self.parts if p.ratio is not None]
        return max(ratios) if ratios else None

    def to_json(self) -> dict[str, Any]:
        return {
            "params": json.loads(params_key(self.params)),
            "verdict": self.verdict.value,
            "precision": self.precision,
            "error": self.error,
            "parts": [p.to_json() for p in self.parts],
        }


# A statistical REFUTED must be as trustworthy as a certified one. A run holds hundreds of
# statistical parts, each passing at its stated level (typically 99%), so at that level some
# would "refute" by chance on most seeds. A refutation therefore needs the evidence to survive
# a per-part level of 1e-6 (Bonferroni over up to 10^4 statistical parts keeps the run-wide
# chance of any false refutation under 1%), first on the part's own samples, then on an
# independent re-draw with more samples. Anything less is INCONCLUSIVE, with the intervals shown.
REFUTATION_ALPHA = 1e-6


def _confirm_refutation(part: Part) -> tuple[Verdict, dict[str, Any]]:
    """The verdict of a statistical part that separates the wrong way at its stated level."""
    record: dict[str, Any] = {"alpha": REFUTATION_ALPHA}
    if part.redraw is None:
        record["outcome"] = "not confirmed: the part offers no independent re-draw"
        return Verdict.INCONCLUSIVE, record
    same = part.redraw(REFUTATION_ALPHA, False)
    record["same_samples"] = {"lhs": _describe(same[0]), "rhs": _describe(same[1])}
    if not certainly_gt(*same):
        record["outcome"] = "not significant at the refutation level"
        return Verdict.INCONCLUSIVE, record
    fresh = part.redraw(REFUTATION_ALPHA, True)
    record["fresh_samples"] = {"lhs": _describe(fresh[0]), "rhs": _describe(fresh[1])}
    if not certainly_gt(*fresh):
        record["outcome"] = "not confirmed by an independent re-draw"
        return Verdict.INCONCLUSIVE, record
    record["outcome"] = "confirmed by an independent re-draw"
    return Verdict.REFUTED, record


def _part_result(lemma: Lemma, part: Part) -> PartResult:
    verdict = judge(part.lhs, part.rhs, part.kind, part.margin, part.tolerance)
    refutation = None
    if part.kind == "statistical" and verdict is Verdict.REFUTED:
        verdict, refutation = _confirm_refutation(part)
    strict = None
    if part.kind == "statistical" and part.constant is not None and part.redraw is not None:
        # The same samples' intervals at the refutation level: how far the check's evidence
        # reaches when it has to refute (what `verify mutate` sets a constant past).
        same = part.redraw(REFUTATION_ALPHA, False)
        strict = {"alpha": REFUTATION_ALPHA, "lhs": _describe(same[0]), "rhs": _describe(same[1])}
    agreement = None
    if part.kind == "agreement":
        agreement = {
            "a": _describe(part.lhs),
            "b": _describe(part.rhs),
            "digits": agreement_digits(part.lhs, part.rhs),
        }
    empirical = None
    if part.constant is not None and part.unit is not None and is_finite(part.unit):
        # The certain end of the compared side: what the check can refute a constant with.
        # An "upper" constant must exceed lhs/unit, and the enclosure (or confidence interval)
        # of lhs only guarantees its lower end; a "lower" one must stay below rhs/unit.
        sense = lemma.constant(part.constant).sense
        unit = midpoint(part.unit)
        scaled = part.lhs if sense == "upper" else part.rhs
        if unit != 0 and is_finite(scaled):
            end = _float_endpoint(scaled, "lower" if sense == "upper" else "upper")
            value = end / unit
            empirical = value if math.isfinite(value) else None
    return PartResult(
        name=part.name,
        kind=part.kind,
        verdict=verdict,
        lhs=_describe(part.lhs),
        rhs=_describe(part.rhs),
        ratio=None if part.kind == "agreement" else _ratio(part.lhs, part.rhs),
        constant=part.constant,
        empirical=empirical,
        confidence=part.confidence,
        note=part.note,
        data=part.data,
        agreement=agreement,
        refutation=refutation,
        strict=strict,
    )


def evaluate(
    lemma: Lemma,
    params: dict[str, Any],
    constants: dict[str, Fraction],
    bits: int,
    *,
    user_input: bool = False,
) -> Evaluation:
    """Check ``lemma`` at one parameter point.

    A crash of the check is an ERROR verdict. A ``DomainError`` is raised to the caller when the
    point came from the user (``verify check``), and is an ERROR verdict when the lemma's own
    strategy produced it (a bug in the lemma module).
    """
    prec = bits
    while True:
        try:
            with precision(prec):
                lemma.validate_point(params)
                parts = [_part_result(lemma, p) for p in lemma.check(params, constants)]
        except DomainError:
            if user_input:
                raise
            return Evaluation(params, [], Verdict.ERROR, prec, error=traceback.format_exc(limit=3))
        except Exception as exc:  # a crashing check is an ERROR verdict, not a crash of the run
            message = f"{type(exc).__name__}: {exc}"
            detail = traceback.format_exc(limit=3)
            return Evaluation(params, [], Verdict.ERROR, prec, error=f"{message}\n{detail}")
        verdict = worst(p.verdict for p in parts) if parts else Verdict.ERROR
        retry = any(
            p.verdict is Verdict.INCONCLUSIVE and p.kind in ("certified", "agreement")
            for p in parts
        )
        if not retry or prec * 2 > MAX_PRECISION:
            error = None if parts else "the check returned no inequality"
            return Evaluation(params, parts, verdict, prec, error=error)
        prec *= 2


@dataclass
class LemmaRun:
    lemma: Lemma
    constants: dict[str, Fraction]
    evaluations: list[Evaluation] = field(default_factory=list)
    seconds: float = 0.0
    plots: list[str] = field(default_factory=list)


@contextmanager
def _no_local_constants() -> Iterator[None]:
    """Keep Hypothesis from mixing literals of the loaded modules into generated values.

    Hypothesis draws a share of its values from constants found in every *local* module in
    sys.modules, so the search would depend on which modules happen to be imported (a pytest
    session, an editable install) and the same seed would not give the same results. The pool
    is set empty for the search (private API; hypothesis is pinned in pyproject.toml).
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a future Hypothesis without the feature
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    if original is None or not hasattr(providers, "Constants"):  # pragma: no cover
        yield
        return
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()


def _search_settings(count: int) -> settings:
    return settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.generate, Phase.target],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )


def run_lemma(
    lemma: Lemma,
    *,
    profile: str = "quick",
    seed: int = 0,
    constants: dict[str, Fraction] | None = None,
    bits: int = 64,
    extra_examples: Sequence[dict[str, Any]] = (),
    progress: Callable[[LemmaRun], None] | None = None,
) -> LemmaRun:
    """Check ``fixed_examples(lemma, profile)``, then ``extra_examples``, then
    ``examples_for(profile)`` searched."""
    values = lemma.stated_constants()
    values.update(constants or {})
    run = LemmaRun(lemma, values)
    seen: set[str] = set()
    started = time.perf_counter()

    def check(params: dict[str, Any]) -> Evaluation | None:
        key = params_key(params)
        if key in seen:
            return None
        seen.add(key)
        evaluation = evaluate(lemma, params, values, bits)
        run.evaluations.append(evaluation)
        if progress is not None:
            progress(run)
        return evaluation

    for params in [*fixed_examples(lemma, profile), *extra_examples]:
        check(dict(params))

    budget = examples_for(lemma, profile)
    if budget > 0:

        @hypothesis_seed(seed)
        @_search_settings(budget)
        @given(lemma.params())
        def search(params: dict[str, Any]) -> None:
            evaluation = check(params)
            if evaluation is None:
                return
            for part in evaluation.parts:
                if part.ratio is not None:
                    target(_bounded(part.ratio), label=part.name)

        with _no_local_constants():
            search()
    run.seconds = time.perf_counter() - started
    return run


def _bounded(ratio: float) -> float:
    return max(-1e300, min(1e300, ratio))


def verdict_counts(run: LemmaRun) -> dict[str, int]:
    counts = {v.value: 0 for v in ORDER}
    for evaluation in run.evaluations:
        counts[evaluation.verdict.value] += 1
    return counts


def empirical_constants(run: LemmaRun) -> dict[str, dict[str, Any]]:
    """Per constant: the extreme empirical value found (max for "upper", min for "lower")."""
    found: dict[str, dict[str, Any]] = {}
    for constant in run.lemma.constants:
        pick = max if constant.sense == "upper" else min
        best: tuple[float, Evaluation] | None = None
        for evaluation in run.evaluations:
            for part in evaluation.parts:
                if part.constant != constant.name or part.empirical is None:
                    continue
                if best is None or pick(best[0], part.empirical) != best[0]:
                    best = (part.empirical, evaluation)
        found[constant.name] = {
            "empirical": None if best is None else best[0],
            "params": None if best is None else json.loads(params_key(best[1].params)),
        }
    return found


def worst_example(run: LemmaRun) -> dict[str, Any] | None:
    """The example with the largest lhs/rhs, or failing that the most severe verdict."""
    best: tuple[float, Evaluation, PartResult] | None = None
    for evaluation in run.evaluations:
        for part in evaluation.parts:
            if part.ratio is not None and (best is None or part.ratio > best[0]):
                best = (part.ratio, evaluation, part)
    if best is None:
        if not run.evaluations:
            return None
        evaluation = max(run.evaluations, key=lambda e: e.verdict.severity)
        return {
            "params": json.loads(params_key(evaluation.params)),
            "part": None,
            "lhs": None,
            "rhs": None,
            "lhs_str": None,
            "rhs_str": None,
            "ratio": None,
            "verdict": evaluation.verdict.value,
        }
    ratio, evaluation, part = best
    return {
        "params": json.loads(params_key(evaluation.params)),
        "part": part.name,
        "lhs": part.lhs["mid"],
        "rhs": part.rhs["mid"],
        # Decimal midpoints: the floats above are 0 or inf for sides beyond double range.
        "lhs_str": part.lhs["mid_str"],
        "rhs_str": part.rhs["mid_str"],
        "ratio": ratio,
        "verdict": part.verdict.value,
    }
