r"""Definition 1.2: (tau, delta)-closeness, checked by ``verify.maths.closeness`` on closed forms.

P and Q are (tau, delta)-close when a coupling (X, Y) has P(|X - Y| > tau) <= delta; the least
such delta is delta_tau(P, Q) = sup_A P(A) - Q(A^tau) (Strassen). The checker must reproduce:

- ``shift_exact`` (CERTIFIED, exact rationals): a law on ``atoms`` atoms against itself shifted
  by a, at tau = a: delta = 0 (the max flow carries all the mass).
- ``perturbation_exact`` (AGREEMENT, exact rationals): the atoms (spacing 4 tau) moved by at
  most tau, except a chosen subset S moved by 2 tau: delta = P(S) exactly (a moved atom is more
  than tau from every atom of the other law, the others are matched in place).
- ``gaussian_lower`` (STATISTICAL): the distribution-free lower confidence bound of delta_tau
  (split-sample half-space and Clopper-Pearson) from samples of N(0, 1) and N(a, 1) must not
  exceed the closed form 2 Phi((a - tau)/2) - 1 (proved in ``verify.maths.closeness``);
- ``gaussian_upper`` (STATISTICAL): the closed form must not exceed the Clopper-Pearson upper
  bound of pi(|X - Y| > tau) on samples of the explicit coupling of the proof.
Both statistical parts are at level 1 - ALPHA, and a refutation is confirmed at 1e-6 on the same
samples and on an independent re-draw with four times the samples (``Part.redraw``).
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from verify.core.contract import Agreement, Lemma, ModelMutant, Part
from verify.core.domain import Domain, Integer, Real
from verify.core.numbers import to_arb
from verify.core.stats import clopper_pearson_upper
from verify.maths.closeness import (
    delta_lower_bound,
    finite_delta,
    gaussian_shift_coupling,
    gaussian_shift_delta,
)

ALPHA = 0.01
FRESH_FACTOR = 4
FRESH_SEED_OFFSET = 1_000_003

DOMAIN = Domain(
    a=Real(0, 4, lo_open=True, search=(0.05, 4.0), doc="the shift of the Gaussian"),
    tau=Real(0, 4, search=(0.0, 3.0)),
    atoms=Integer(1, 24, search=(1, 12), doc="atoms of the finite-support law"),
    samples=Integer(1000, 200_000, search=(4000, 20_000)),
    seed=Integer(0, 2**32 - 1, search=(0, 2**16)),
)


def _finite_law(atoms: int, seed: int) -> tuple[list[tuple[float]], list[Fraction]]:
    """``atoms`` atoms at 0, 1, 2, ... with random positive rational weights summing to 1."""
    rng = np.random.default_rng(seed)
    raw = [int(k) for k in rng.integers(1, 20, size=atoms)]
    return [(float(k),) for k in range(atoms)], [Fraction(k, sum(raw)) for k in raw]


def _q_sampler(a: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """Samples of Q = N(a, 1) (tests replace it by a wrong law: the model mutant)."""
    return a + rng.standard_normal(n)


def _gaussian_parts(
    a: float,
    tau: float,
    n: int,
    seed: int,
    q_sampler: Callable[[float, int, np.random.Generator], np.ndarray] | None = None,
    closed_form: Callable[[Any, Any], Any] | None = None,
) -> list[Part]:
    # hooks looked up at call time: the model mutants (and tests) plant wrong ones
    q_sampler = q_sampler or _q_sampler
    closed = (closed_form or gaussian_shift_delta)(to_arb(a), to_arb(tau))

    def lower_at(alpha: float, count: int, rng: np.random.Generator) -> tuple[Fraction, dict]:
        return delta_lower_bound(rng.standard_normal(count), q_sampler(a, count, rng), tau, alpha)

    def upper_at(alpha: float, count: int, rng: np.random.Generator) -> tuple[Fraction, int]:
        _, _, apart = gaussian_shift_coupling(a, tau, count, rng)
        far = int(apart.sum())
        return clopper_pearson_upper(far, count, alpha), far

    lo, info = lower_at(ALPHA, n, np.random.default_rng(seed))
    hi, far = upper_at(ALPHA, n, np.random.default_rng(seed + 1))

    def redraw_lower(alpha: float, fresh: bool) -> tuple[Any, Any]:
        if fresh:
            rng = np.random.default_rng(seed + FRESH_SEED_OFFSET)
            return lower_at(alpha, FRESH_FACTOR * n, rng)[0], closed
        return lower_at(alpha, n, np.random.default_rng(seed))[0], closed

    def redraw_upper(alpha: float, fresh: bool) -> tuple[Any, Any]:
        if fresh:
            rng = np.random.default_rng(seed + 1 + FRESH_SEED_OFFSET)
            return closed, upper_at(alpha, FRESH_FACTOR * n, rng)[0]
        return closed, clopper_pearson_upper(far, n, alpha)

    note = f"closed form {closed.str(6)}"
    return [
        Part(
            "gaussian_lower",
            lo,
            closed,
            kind="statistical",
            confidence=1 - ALPHA,
            note=f"split half-space at t={info['t']:.4g}; {note}",
            data={"lower": float(lo), "closed": float(closed.mid()), "n": n},
            redraw=redraw_lower,
        ),
        Part(
            "gaussian_upper",
            closed,
            hi,
            kind="statistical",
            confidence=1 - ALPHA,
            note=f"{far}/{n} coupled pairs apart; {note}",
            data={"upper": float(hi), "closed": float(closed.mid()), "n": n},
            redraw=redraw_upper,
        ),
    ]


def _check(
    params: dict[str, Any], constants: dict[str, Fraction], **wrong_model: Any
) -> list[Part]:
    a, tau, atoms, seed = float(params["a"]), float(params["tau"]), params["atoms"], params["seed"]
    points, weights = _finite_law(atoms, seed)
    # exact rationals: x + a in floats could round past distance a
    shifted = [(Fraction(x) + Fraction(a),) for (x,) in points]
    shift_delta = finite_delta(points, weights, shifted, weights, Fraction(a))
    # perturbation: spacing 4 tau' (tau' = 1/4 so atoms at integers), moves of at most tau' in
    # place, and 2 tau' for the atoms in S (every other index)
    tau_unit = Fraction(1, 4)
    moved = [
        (x + (2 * float(tau_unit) if k % 2 == 0 else float(tau_unit) * (k % 3) / 2),)
        for k, (x,) in enumerate(points)
    ]
    s_mass = sum((w for k, w in enumerate(weights) if k % 2 == 0), Fraction(0))
    perturbed_delta = finite_delta(points, weights, moved, weights, tau_unit)
    parts = [
        Part("shift_exact", shift_delta, Fraction(0), note=f"{atoms} atoms shifted by a={a:g}"),
        Agreement(
            "perturbation_exact",
            perturbed_delta,
            s_mass,
            note="max flow against the mass of the atoms moved by 2 tau (exact rationals)",
        ),
    ]
    return parts + _gaussian_parts(a, tau, params["samples"], seed, **wrong_model)


def _shifted_by_three_tau(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    """Model mutant: Q's sampler draws N(a + 3 tau, 1) while the closed form is for N(a, 1)."""
    shift = 3 * float(params["tau"])

    def shifted(a: float, n: int, rng: np.random.Generator) -> np.ndarray:
        return a + shift + rng.standard_normal(n)

    return _check(params, constants, q_sampler=shifted)


def _tv_on_the_wrong_law(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    """Model mutant: the closed form taken at tau = 0 (the TV of the two laws, not delta_tau)."""
    return _check(params, constants, closed_form=lambda a, tau: gaussian_shift_delta(a, 0 * tau))


_EXAMPLE = {"a": 2.0, "tau": 0.5, "atoms": 6, "samples": 20_000, "seed": 0}

DEF12 = Lemma(
    id="Def.1.2",
    title="(tau, delta)-closeness: the checker on its closed-form cases",
    statement=(
        r"\delta_\tau(P,Q)=\inf_{\pi\in\Pi(P,Q)}\pi(|X-Y|>\tau)=\sup_A P(A)-Q(A^\tau),\ "
        r"\delta_\tau(N(0,1),N(a,1))=(2\Phi(\tfrac{a-\tau}{2})-1)_+"
    ),
    domain=DOMAIN,
    constants=[],
    check=_check,
    examples=[
        _EXAMPLE,
        {"a": 0.5, "tau": 1.0, "atoms": 1, "samples": 4000, "seed": 1},
        {"a": 1.0, "tau": 0.0, "atoms": 12, "samples": 8000, "seed": 2},
    ],
    budget={"quick": 4, "standard": 40, "thorough": 200},
    depends_on=(),
    model_mutants=[
        ModelMutant("sampler shifted by 3 tau", _shifted_by_three_tau, examples=[_EXAMPLE]),
        ModelMutant("TV computed on the wrong law", _tv_on_the_wrong_law, examples=[_EXAMPLE]),
    ],
)
