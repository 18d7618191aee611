"""Mutation testing of the checks: a constant set just past its empirical value must be refuted.

A check that cannot fail proves nothing. For every lemma and each of its named constants,
``mutate`` runs the lemma once (the given profile and seed), reads the empirical constant the
search found and the parameters where it was found, then sets the constant just past it —
below it for an "upper" constant (the statement needs c >= empirical), above it for a "lower"
one — and re-checks the lemma's fixed examples plus those worst parameters. The mutant is
*caught* when that re-check returns REFUTED at a point that the unmutated run did not refute.

The first step is 1e-3 relative (``STEPS``); a mutant that survives it is retried at 1e-2 and
1e-1, and finally just past the check's *reach*: the least extreme value of the constant that
the unmutated run's intervals already rule out, at the example that rules it out (for a
certified part just inside the empirical value; for a statistical part a confidence interval
away; for a one-sided check, whose empirical value is only an upper estimate, its lower end).
The step that caught each mutant is reported, and those caught only at a coarse step are listed
under ``coarse``. A constant that no part ever measured (no empirical value), or that no step
refutes, is a defect of its lemma's check, listed under ``defects``.

The mutation score is caught / total over all constants of the lemmas checked (``strict_score``
counts only those caught at the first step); ``verify mutate`` exits 0 only at a score of 100 %.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from verify.core.contract import Constant, Lemma, ModelMutant
from verify.core.registry import all_lemmas, get
from verify.core.runner import LemmaRun, empirical_constants, params_key, run_lemma
from verify.core.verdict import Verdict

STEPS: tuple[float, ...] = (1e-3, 1e-2, 1e-1)
# Beyond this relative distance a mutant says nothing about the constant any more.
MAX_STEP = 0.9

CAUGHT = "caught"
SURVIVED = "survived"
NOT_EXERCISED = "not exercised"
BASELINE_REFUTED = "baseline refuted"
CRASHED = "error"


@dataclass
class Mutant:
    lemma: str
    constant: str
    sense: str
    stated: str
    empirical: float | None
    worst_params: dict[str, Any] | None
    status: str = SURVIVED
    mutated: str | None = None
    mutated_float: float | None = None
    step: float | None = None
    refuted_params: dict[str, Any] | None = None
    refuted_at_worst: bool = False
    resolution: float | None = None
    seconds: float = 0.0
    detail: str = ""
    tries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def caught(self) -> bool:
        return self.status == CAUGHT


def mutated_value(empirical: float, sense: str, step: float) -> Fraction:
    """A value just past ``empirical`` on the side the statement forbids.

    Upper constants go below the empirical value, lower ones above it, by ``step`` relative
    (absolute when the empirical value is 0). The result is a short decimal, rounded well
    inside the step so it stays on the forbidden side.
    """
    if not math.isfinite(empirical):
        raise ValueError(f"empirical constant is not finite: {empirical}")
    shift = step * abs(empirical) if empirical != 0 else step
    value = empirical - shift if sense == "upper" else empirical + shift
    rounded = Fraction(f"{value:.9g}")
    # 9 significant digits move the value by <= 5e-9 relative, far inside any step >= 1e-6;
    # still, never round back across the empirical value.
    if (sense == "upper" and rounded >= Fraction(empirical)) or (
        sense == "lower" and rounded <= Fraction(empirical)
    ):
        rounded = Fraction(value)
    return rounded


def _refuted_keys(run: LemmaRun) -> dict[str, dict[str, Any]]:
    return {
        params_key(e.params): json.loads(params_key(e.params))
        for e in run.evaluations
        if e.verdict is Verdict.REFUTED
    }


def _fraction_text(value: Fraction) -> str:
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )


def refutation_threshold(base: LemmaRun, constant: Constant) -> tuple[float, dict[str, Any]] | None:
    """The least extreme value of the constant that the unmutated run's intervals already
    rule out, and the example that rules it out.

    At an example where the scaled side is ``c * unit`` (positive unit), the two sides'
    intervals separate once c' unit_hi < lhs_lo (upper constant: c' below
    ``lhs_lo * c / rhs_hi``) or c' unit_lo > rhs_hi (lower constant: c' above
    ``rhs_hi * c / lhs_lo``). Over all examples the best such value is the check's reach: for a
    certified part it sits just inside the empirical constant, for a statistical one a
    confidence interval's width away (at the refutation level, since a statistical refutation
    must hold there: the part's ``strict`` intervals). None when no example gives one.
    """
    used = float(base.constants[constant.name])
    if used <= 0:
        return None
    best: tuple[float, dict[str, Any]] | None = None
    for evaluation in base.evaluations:
        for part in evaluation.parts:
            if part.constant != constant.name:
                continue
            lhs, rhs = part.lhs, part.rhs
            if part.kind == "statistical" and part.strict is not None:
                lhs, rhs = part.strict["lhs"], part.strict["rhs"]
            lhs_lo, rhs_hi = lhs.get("lo"), rhs.get("hi")
            if lhs_lo is None or rhs_hi is None:
                continue
            if constant.sense == "upper":
                if rhs_hi <= 0:
                    continue
                value = lhs_lo * used / rhs_hi
                better = best is None or value > best[0]
            else:
                if lhs_lo <= 0:
                    continue
                value = rhs_hi * used / lhs_lo
                better = best is None or value < best[0]
            if math.isfinite(value) and better:
                best = (value, json.loads(params_key(evaluation.params)))
    return best


def _verdict_at(run: LemmaRun, params: dict[str, Any]) -> str | None:
    key = params_key(params)
    for evaluation in run.evaluations:
        if params_key(evaluation.params) == key:
            return evaluation.verdict.value
    return None


def mutate_constant(
    lemma: Lemma,
    constant: Constant,
    base: LemmaRun,
    *,
    profile: str,
    seed: int,
    steps: Sequence[float] = STEPS,
    search: bool = False,
) -> Mutant:
    """Mutate one constant of ``lemma`` past its empirical value in ``base`` and re-check."""
    found = empirical_constants(base)[constant.name]
    empirical, worst_params = found["empirical"], found["params"]
    mutant = Mutant(
        lemma=lemma.id,
        constant=constant.name,
        sense=constant.sense,
        stated=_fraction_text(constant.value),
        empirical=empirical,
        worst_params=worst_params,
    )
    if empirical is None or not math.isfinite(empirical):
        mutant.status = NOT_EXERCISED
        mutant.detail = (
            "no part reported an empirical value for this constant (no part names it with a "
            "finite unit), so the search never measured it"
        )
        return mutant
    base_refuted = _refuted_keys(base)
    if params_key(worst_params) in base_refuted:
        mutant.status = BASELINE_REFUTED
        mutant.detail = "the unmutated run already refutes the worst example"
        return mutant
    # Only the fixed examples and the worst point are re-checked unless a search is asked for:
    # the worst point is where a too-small constant must show.
    probe = lemma if search else replace(lemma, budget={profile: 0})
    started = time.perf_counter()
    attempts: list[tuple[float, Fraction, dict[str, Any]]] = [
        (step, mutated_value(empirical, constant.sense, step), worst_params) for step in steps
    ]
    # A statistical part cannot refute a change smaller than its confidence interval, and a
    # one-sided check (an upper estimate of the truth) only refutes past its lower end: one
    # last attempt goes just past the check's reach, at the example that gives it, so that a
    # check that does see its constant is caught and the report says how coarse it is.
    reach = refutation_threshold(base, constant)
    if reach is not None:
        threshold, reach_params = reach
        distance = empirical - threshold if constant.sense == "upper" else threshold - empirical
        mutant.resolution = distance / abs(empirical) if empirical != 0 else distance
        step = max(mutant.resolution * 1.001, mutant.resolution + 1e-9)
        if max(steps) < mutant.resolution and step < MAX_STEP:
            attempts.append((step, mutated_value(empirical, constant.sense, step), reach_params))
    for step, value, params in attempts:
        try:
            run = run_lemma(
                probe,
                profile=profile,
                seed=seed,
                constants={constant.name: value},
                extra_examples=[params],
            )
        except Exception as exc:  # a crashing re-run is reported, not raised: the harness goes on
            mutant.status = CRASHED
            mutant.detail = f"{type(exc).__name__}: {exc}"
            break
        new = {k: v for k, v in _refuted_keys(run).items() if k not in base_refuted}
        mutant.tries.append(
            {
                "step": step,
                "value": _fraction_text(value),
                "params": params,
                "verdict_there": _verdict_at(run, params),
                "refuted": len(new),
                "examples": len(run.evaluations),
            }
        )
        mutant.mutated = _fraction_text(value)
        mutant.mutated_float = float(value)
        if new:
            mutant.status = CAUGHT
            mutant.step = step
            key = params_key(worst_params)
            mutant.refuted_at_worst = key in new
            mutant.refuted_params = new[key] if key in new else next(iter(new.values()))
            break
    else:
        mutant.status = SURVIVED
        side = "small" if constant.sense == "upper" else "large"
        last = mutant.tries[-1] if mutant.tries else {}
        mutant.detail = (
            f"no REFUTED verdict with the constant up to {max(a[0] for a in attempts):g} "
            f"relative past its empirical value (verdict there: {last.get('verdict_there')}); "
        )
        if reach is None:
            mutant.detail += f"no example's intervals can show the constant too {side}"
        elif mutant.resolution is not None and mutant.resolution >= MAX_STEP:
            mutant.detail += (
                f"the check's reach is {reach[0]:.6g}: it can only refute a constant "
                f"{mutant.resolution:.3g} relative past the empirical value"
            )
        elif last.get("verdict_there") == Verdict.INCONCLUSIVE.value:
            mutant.detail += (
                "the compared side is only known within an interval that still contains the "
                "mutated bound (the empirical value is one end of it, e.g. an upper estimate)"
            )
        else:
            mutant.detail += f"the check cannot see this constant being too {side}"
    mutant.seconds = time.perf_counter() - started
    return mutant


def mutate_model(
    lemma: Lemma, model: ModelMutant, base: LemmaRun, *, profile: str, seed: int
) -> Mutant:
    """Run a planted wrong model at its examples; caught when some example is REFUTED that the
    unmutated run did not refute."""
    started = time.perf_counter()
    mutant = Mutant(
        lemma=lemma.id,
        constant=f"model: {model.name}",
        sense="model",
        stated="",
        empirical=None,
        worst_params=None,
    )
    wrong = replace(
        lemma,
        check=model.check,
        examples=list(model.examples) or list(lemma.examples),
        budget={profile: 0},
    )
    try:
        run = run_lemma(wrong, profile=profile, seed=seed)
    except Exception as exc:
        mutant.status = CRASHED
        mutant.detail = f"{type(exc).__name__}: {exc}"
        return mutant
    already = _refuted_keys(base)
    for evaluation in run.evaluations:
        if evaluation.verdict is Verdict.REFUTED and params_key(evaluation.params) not in already:
            mutant.status = CAUGHT
            mutant.refuted_params = json.loads(params_key(evaluation.params))
            break
    else:
        verdicts = sorted({e.verdict.value for e in run.evaluations})
        mutant.detail = f"the wrong model was not refuted (verdicts: {', '.join(verdicts)})"
    mutant.seconds = time.perf_counter() - started
    return mutant


def describe(mutant: Mutant) -> str:
    head = f"{mutant.lemma} {mutant.constant} ({mutant.sense})"
    if mutant.sense == "model":
        if mutant.status == CAUGHT:
            return f"{head}: REFUTED at {json.dumps(mutant.refuted_params)}: caught"
        return f"{head}: {mutant.status.upper()} - {mutant.detail}"
    if mutant.status in (NOT_EXERCISED, BASELINE_REFUTED, CRASHED):
        return f"{head}: {mutant.status.upper()} - {mutant.detail}"
    past = "below" if mutant.sense == "upper" else "above"
    text = (
        f"{head}: stated {mutant.stated}, empirical {mutant.empirical:.9g}, "
        f"set to {mutant.mutated_float:.9g}"
    )
    if mutant.status == CAUGHT:
        where = "at the worst example" if mutant.refuted_at_worst else "at another example"
        coarse = "" if mutant.step == STEPS[0] else f" (needed {mutant.step:g} {past})"
        return f"{text} -> REFUTED {where} {json.dumps(mutant.refuted_params)}: caught{coarse}"
    return f"{text} -> not refuted: SURVIVED - {mutant.detail}"


def _parallel_bases(
    lemmas: Sequence[Lemma],
    profile: str,
    seed: int,
    jobs: int,
    scheduler: str | None,
    log: Callable[[str], None],
) -> dict[str, LemmaRun]:
    """The unmutated runs in parallel (registered lemmas only: workers find them by id); {}
    on one worker, or when a run crashes, so that the serial loop reports the crash per lemma."""
    from verify.core.errors import UsageError
    from verify.core.registry import get
    from verify.core.schedule import run_lemmas

    if jobs <= 1 and scheduler is None:
        return {}
    try:  # each lemma's own module only, not every lemma module
        if any(get(lemma.id) is not lemma for lemma in lemmas):
            return {}
    except UsageError:  # an id the registry does not know
        return {}
    try:
        runs = run_lemmas(lemmas, profile=profile, seed=seed, jobs=jobs, scheduler=scheduler)
    except Exception as exc:
        log(f"a parallel unmutated run failed ({type(exc).__name__}); running them one by one")
        return {}
    return {run.lemma.id: run for run in runs}


def mutate(
    ids: Iterable[str] | None = None,
    profile: str = "quick",
    seed: int = 0,
    out: Path | str | None = None,
    *,
    steps: Sequence[float] = STEPS,
    search: bool = False,
    lemmas: Sequence[Lemma] | None = None,
    log: Callable[[str], None] = print,
    jobs: int = 1,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Run the mutation harness; returns (and writes to ``out/mutation.json``) the summary.

    ``ids`` selects registered lemmas (all when empty); ``lemmas`` passes Lemma objects
    directly instead (tests). ``search`` re-runs the full profile search for each mutant
    instead of only the fixed examples and the worst point. ``jobs`` and ``scheduler`` run the
    unmutated runs of registered lemmas as ``verify run`` does (``verify.core.schedule``), with
    the same results for every number of workers.
    """
    started = time.perf_counter()
    if lemmas is None:
        chosen = list(ids or [])
        lemmas = [get(i) for i in chosen] if chosen else list(all_lemmas().values())
    mutants: list[Mutant] = []
    lemma_seconds: dict[str, float] = {}
    bases = _parallel_bases(lemmas, profile, seed, jobs, scheduler, log)
    for lemma in lemmas:
        log(f"{lemma.id}: running {profile} profile, seed {seed}")
        try:
            base = bases.get(lemma.id) or run_lemma(lemma, profile=profile, seed=seed)
        except Exception as exc:
            for constant in lemma.constants:
                mutants.append(
                    Mutant(
                        lemma=lemma.id,
                        constant=constant.name,
                        sense=constant.sense,
                        stated=_fraction_text(constant.value),
                        empirical=None,
                        worst_params=None,
                        status=CRASHED,
                        detail=f"the unmutated run crashed: {type(exc).__name__}: {exc}",
                    )
                )
                log("  " + describe(mutants[-1]))
            continue
        lemma_seconds[lemma.id] = base.seconds
        if not lemma.constants:
            log(f"  {lemma.id} has no named constant: nothing to mutate")
        for constant in lemma.constants:
            mutant = mutate_constant(
                lemma, constant, base, profile=profile, seed=seed, steps=steps, search=search
            )
            mutants.append(mutant)
            log("  " + describe(mutant))
        for model in lemma.model_mutants:
            mutant = mutate_model(lemma, model, base, profile=profile, seed=seed)
            mutants.append(mutant)
            log("  " + describe(mutant))
    caught = sum(m.caught for m in mutants)
    total = len(mutants)
    defects = [f"{m.lemma}.{m.constant}: {m.status} - {m.detail}" for m in mutants if not m.caught]
    coarse = [
        f"{m.lemma}.{m.constant}: caught only {m.step:g} past the empirical value"
        + (f" (check resolution {m.resolution:.3g})" if m.resolution is not None else "")
        for m in mutants
        if m.caught and m.sense != "model" and m.step != steps[0]
    ]
    score = caught / total if total else 1.0
    # A model mutant has no step: caught at all is caught at once.
    strict = sum(m.caught and (m.sense == "model" or m.step == steps[0]) for m in mutants)
    summary = {
        "profile": profile,
        "seed": seed,
        "steps": list(steps),
        "search": search,
        "caught": caught,
        "total": total,
        "score": score,
        "strict_score": strict / total if total else 1.0,
        "defects": defects,
        "coarse": coarse,
        "lemma_seconds": lemma_seconds,
        "seconds": time.perf_counter() - started,
        "mutants": [asdict(m) for m in mutants],
    }
    log(f"mutation score: {caught}/{total} = {100 * score:.1f}%")
    for line in defects:
        log(f"  not caught: {line}")
    for line in coarse:
        log(f"  weak: {line}")
    if out is not None:
        from verify.core.results import atomic_write_text

        atomic_write_text(Path(out) / "mutation.json", json.dumps(summary, indent=2))
    return summary
