"""The lemma contract: what a module in ``lemmas/`` declares, and what its check returns.

A lemma module defines one or more module-level ``Lemma`` objects (any name; the registry finds
every ``Lemma`` instance in every module of the ``lemmas`` package). A lemma is declarative:

- ``id``, ``title``, ``statement`` (LaTeX), ``domain``: a ``verify.core.domain.Domain``, the one
  declaration from which validation, the reports' domain line, ``verify describe`` and the
  search strategy's bounds come (a plain string is still accepted while lemmas move over);
- ``constants``: the named explicit constants of the statement, each with its stated value, a
  one-line provenance, and a ``sense`` saying on which side it sits (see ``Constant``);
- ``params``: a zero-argument callable returning a Hypothesis strategy of parameter dicts
  (JSON-native values: int, float, str, lists and dicts of them); optional with a ``Domain``,
  whose ``strategy`` it defaults to;
- ``check(params, constants) -> list[Part]``: one ``Part`` per inequality checked at that
  parameter point, with enclosures of both sides. ``constants`` maps each constant's name to its
  value for this run (the stated value, or the one given with ``--set``), as ``Fraction``.
- optional ``examples`` (parameter dicts always checked first, like ``@example``, in every
  profile), ``profile_examples`` (profile name -> parameter dicts checked after ``examples`` in
  that profile and every later one of ``PROFILES``: "standard" ones also run in "thorough", so
  a costly sweep need not slow the quick profile; ``fixed_examples`` lists them),
  ``budget`` (examples per profile), ``validate`` (extra checks beyond the ``Domain``: raise
  ``DomainError`` for a point outside the domain) and ``plots`` (a function of the recorded
  evaluations as they stand in results.json, called at report time to draw figures).

Every inequality is put in the form ``lhs <= rhs``. A constant either multiplies the right side
(``rhs = c * unit``: an upper-bound constant, sense "upper"; the empirical constant of an example
is lhs/unit and the lemma needs c >= the largest one found) or the left side (``lhs = c * unit``:
sense "lower"; the empirical constant is rhs/unit and the lemma needs c <= the smallest found).
The empirical constant is read at the certain end of the compared side (the lower end of lhs's
enclosure or confidence interval, the upper end of rhs's): it is the value past which the
check's own evidence refutes the constant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal

from verify.core.domain import Domain
from verify.core.numbers import Real

Sense = Literal["upper", "lower"]
Kind = Literal["certified", "statistical", "agreement"]
Params = dict[str, Any]


@dataclass(frozen=True)
class Constant:
    """A named explicit constant of a statement.

    ``value`` is the stated value (exact); ``provenance`` one line saying where it comes from.
    ``sense`` is "upper" when the constant multiplies the larger side of ``lhs <= rhs`` (so the
    statement survives any larger value) and "lower" when it multiplies the smaller side.
    """

    name: str
    value: Fraction
    provenance: str
    sense: Sense = "upper"

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", Fraction(self.value))


@dataclass
class Part:
    """One inequality ``lhs <= rhs`` checked at one parameter point.

    ``lhs`` and ``rhs`` are enclosures (``arb`` balls) or exact rationals. For ``kind ==
    "statistical"`` they are instead the two ends' confidence intervals (as balls) at level
    ``confidence``; the verdict is then STATISTICAL when the intervals separate the right way.
    ``constant`` names the constant that scales one side, ``unit`` is that side without it;
    the engine derives the example's empirical constant from them. ``margin``, optional, is a
    certified lower bound of ``rhs - lhs`` (an enclosure of a number <= rhs - lhs), computed
    without cancellation, for statements attained up to an exponentially small gap that no
    working precision resolves from the two sides separately. It can only certify, not refute.
    ``kind == "agreement"`` (build it with ``Agreement``): ``lhs`` and ``rhs`` are two
    computations of one number, judged by ``verify.core.verdict.judge_agreement`` with
    ``tolerance``.
    ``redraw`` (statistical parts): ``redraw(alpha, fresh)`` returns the (lhs, rhs) confidence
    intervals at level 1 - alpha, from the part's own samples (``fresh=False``) or from an
    independent re-draw with more samples (``fresh=True``). The engine calls it only when the
    part looks REFUTED at its stated level, to hold a statistical refutation to the run-wide
    standard of ``verify.core.runner.REFUTATION_ALPHA``; a statistical part without it can pass but
    never refute.
    ``data`` carries the part's structured values (JSON-native: numbers, strings, lists, dicts),
    recorded in results.json for reports and plots; ``note`` is prose for a reader, never parsed.
    """

    name: str
    lhs: Real
    rhs: Real
    constant: str | None = None
    unit: Real | None = None
    kind: Kind = "certified"
    confidence: float | None = None
    note: str = ""
    margin: Real | None = None
    data: dict[str, Any] = field(default_factory=dict)
    tolerance: Fraction | None = None
    redraw: Callable[[float, bool], tuple[Real, Real]] | None = None


def Agreement(
    name: str,
    a: Real,
    b: Real,
    *,
    tolerance: Fraction | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> Part:
    """A part saying that two independent computations ``a`` and ``b`` of one number agree.

    The engine certifies it only when both enclosures are finite, each is narrower than
    ``tolerance`` (default 2^-20) of its magnitude, and they overlap; provably apart is REFUTED;
    anything else is INCONCLUSIVE and retried at higher precision. A part that states a looser
    tolerance says why in ``note``.
    """
    return Part(
        name,
        a,
        b,
        kind="agreement",
        note=note,
        data=dict(data or {}),
        tolerance=None if tolerance is None else Fraction(tolerance),
    )


@dataclass(frozen=True)
class ModelMutant:
    """A planted wrong model for ``verify mutate``: the lemma's check with a wrong sampler, law
    or measurement (e.g. "sampler shifted by 3 tau", "rejection with the wrong beta"). The
    harness runs it at ``examples`` (the lemma's fixed examples when empty) and counts it caught
    only when some example comes back REFUTED: a check must fail by its model, not only by a
    constant."""

    name: str
    check: Callable[[Params, dict[str, Fraction]], list[Part]]
    examples: Sequence[Params] = ()


@dataclass
class Lemma:
    id: str
    title: str
    statement: str
    domain: Domain | str
    constants: Sequence[Constant]
    check: Callable[[Params, dict[str, Fraction]], list[Part]]
    params: Callable[[], Any] | None = None
    examples: Sequence[Params] = ()
    profile_examples: dict[str, Sequence[Params]] = field(default_factory=dict)
    budget: dict[str, int] = field(default_factory=dict)
    validate: Callable[[Params], None] | None = None
    plots: Callable[[list[dict[str, Any]], Any], list[str]] | None = None
    depends_on: Sequence[str] = ()
    primary: str | None = None
    model_mutants: Sequence[ModelMutant] = ()
    # Lemmas of one work family share memoised work (exact-key caches of the maths layer): a
    # parallel run starts their first shards one after another in one process, so the work is
    # done once, as in a one-process run. None: the module that defines ``check``. Only where
    # work runs changes, never a result.
    work_family: str | None = None

    def __post_init__(self) -> None:
        if self.params is None:
            if not isinstance(self.domain, Domain):
                raise TypeError(f"lemma {self.id}: give params= or declare a Domain")
            self.params = self.domain.strategy
        unknown = set(self.profile_examples) - set(PROFILES)
        if unknown:
            raise ValueError(f"lemma {self.id}: profile_examples for unknown {sorted(unknown)}")

    def family(self) -> str:
        """The work family (``work_family``, else the module defining ``check``)."""
        return self.work_family or getattr(self.check, "__module__", None) or self.id

    @property
    def domain_text(self) -> str:
        return self.domain.text() if isinstance(self.domain, Domain) else self.domain

    def validate_point(self, params: Params) -> None:
        """Raise ``DomainError`` unless ``params`` lies in the declared domain."""
        if isinstance(self.domain, Domain):
            self.domain.validate(params)
        if self.validate is not None:
            self.validate(params)

    def constant(self, name: str) -> Constant:
        for c in self.constants:
            if c.name == name:
                return c
        raise KeyError(name)

    def stated_constants(self) -> dict[str, Fraction]:
        return {c.name: c.value for c in self.constants}

    @property
    def primary_constant(self) -> str | None:
        if self.primary is not None:
            return self.primary
        return self.constants[0].name if self.constants else None


DEFAULT_BUDGET = {"quick": 25, "standard": 200, "thorough": 1000}
PROFILES = tuple(DEFAULT_BUDGET)


def examples_for(lemma: Lemma, profile: str) -> int:
    return lemma.budget.get(profile, DEFAULT_BUDGET[profile])


def fixed_examples(lemma: Lemma, profile: str) -> list[Params]:
    """The examples ``profile`` checks before its search: ``lemma.examples``, then the
    ``profile_examples`` of every profile up to and including ``profile``, in ``PROFILES``
    order (a function of the lemma and the profile alone)."""
    upto = PROFILES[: PROFILES.index(profile) + 1]
    return [*lemma.examples, *(p for name in upto for p in lemma.profile_examples.get(name, ()))]
