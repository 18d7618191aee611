r"""Definition 1.5: a posterior sampler is one whose output law given y is (tau, delta)-close to
p(x | y) with probability >= 1 - delta over y.

The paper uses one symbol delta for the outer probability (over y) and the inner closeness; we
check it with the same delta. The sampler is Algorithm 1 (rejection) on the exact unconditional
sampler of the scaled hard instance at small d, y = A x + N(0, beta^2 I), A selecting the d'
comb coordinates. The exact posterior over the 2^d seeds is enumerated
(``rejection.instance_seed_terms``).

Inner closeness by the labels. The unconditional sampler is exact, so an output of Algorithm 1
with seed s has exactly the law of x given (s, y); the posterior has the same conditional law.
Coupling the two laws seed by seed (maximal coupling of the seed laws, identical x given equal
seeds) gives delta_tau(out_y, p(.|y)) <= TV(seed law of the outputs, seed posterior), for every
tau >= 0. We therefore check the sufficient condition TV_y <= delta, which implies Definition 1.5.

Statistics (``posterior_probability``, STATISTICAL at level 1 - ALPHA, distribution-free):
for each of Y i.i.d. measurements y_i the TV of the outputs' seed labels gets the confidence
interval of ``verify.core.stats.tv_deviation`` (expectation bound plus McDiarmid) at level
1 - ALPHA/(4Y), so with probability >= 1 - ALPHA/2 all Y intervals hold (Bonferroni). A y whose
interval lies below delta is good, one whose interval lies above is bad. The indicators
[TV_{y_i} <= delta] are i.i.d. Bernoulli(p_good); on the event that all intervals hold,
k_good <= sum of indicators <= Y - k_bad, so the Clopper-Pearson lower bound from k_good and upper
bound from Y - k_bad (each at ALPHA/4) bracket p_good with probability >= 1 - ALPHA. The part
compares 1 - delta with that interval. A refutation is confirmed at 1e-6 on the same outputs and
on twice as many fresh measurements.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb

from verify.core.contract import Lemma, ModelMutant, Part
from verify.core.domain import Domain, Integer, Real
from verify.core.numbers import ball, lower, upper
from verify.core.stats import clopper_pearson_lower, clopper_pearson_upper, tv_deviation
from verify.maths.samplers.rejection import (
    instance_acceptance,
    instance_measurement,
    instance_sampler,
    instance_seed_terms,
    rejection_sample,
)

ALPHA = 0.01
FRESH_FACTOR = 2
FRESH_SEED_OFFSET = 1_000_003
MAX_ROUNDS = 400_000

DOMAIN = Domain(
    d=Integer(2, 5, search=(2, 4), doc="seed length (2^d seeds enumerated)"),
    d_out=Integer(1, 3, search=(1, 2)),
    R=Real(0.5, 4),
    eps=Real(0.1, 0.9),
    beta=Real(0.01, 1, search=(0.02, 0.05)),
    delta=Real(0.1, 0.5, search=(0.2, 0.3)),
    outputs=Integer(500, 20_000, search=(1000, 1500)),
    y_samples=Integer(10, 200, search=(30, 40)),
    seed=Integer(0, 2**32 - 1, search=(0, 2**16)),
)


def _instance(params: dict[str, Any]):
    from verify.maths.instance import Instance
    from verify.maths.oneway import make_function

    d, d_out = params["d"], params["d_out"]
    f = make_function({"kind": "projection", "d": d, "d_out": d_out, "seed": params["seed"] % 7})
    return Instance(f, float(params["R"]), float(params["eps"]))


def _measured_y(y: Any, inst: Any, gen: Any) -> Any:
    """The y Algorithm 1 is run with (tests replace it by a wrong y: the model mutant)."""
    return y


def _wrong_y(y: Any, inst: Any, gen: Any) -> Any:
    """The model mutant's y: moved by eps/2 (unscaled), which selects the other comb phase."""
    return y + float(inst.eps) / (2 * inst.scale)


def _labels_per_y(
    params: dict[str, Any], count: int, gen: Any, measured_y: Any = None
) -> list[tuple[np.ndarray, list]]:
    """For ``count`` fresh measurements y: the seed labels of Algorithm 1's outputs at y and
    the exact seed posterior at y (``measured_y``: a planted wrong y, the model mutant)."""
    measured_y = measured_y or _measured_y  # looked up at call time (tests plant one)
    inst = _instance(params)
    beta = float(params["beta"])
    x, _ = inst.sample_scaled(count, gen)
    ys = inst.measure(x, beta, gen)
    runs = []
    for y in ys:
        terms = instance_seed_terms(inst, y.tolist(), beta)
        total = sum(terms, arb(0))
        accept = float(instance_acceptance(inst, terms, beta).mid())
        rounds = min(MAX_ROUNDS, int(1.3 * params["outputs"] / max(accept, 1e-12)) + 1000)
        run = rejection_sample(
            instance_sampler(inst),
            measured_y(y, inst, gen),
            beta,
            instance_measurement(inst),
            gen,
            want=params["outputs"],
            max_proposals=rounds,
            batch=rounds,
        )
        runs.append((run.labels.numpy(), [t / total for t in terms]))
    return runs


def _interval(runs: list[tuple[np.ndarray, list]], delta: float, alpha: float):
    """(interval of p_good as a ball, k_good, k_bad) at level 1 - alpha (module docstring)."""
    y_count = len(runs)
    good = bad = 0
    for labels, exact in runs:
        if len(labels) == 0:
            continue  # no output within the rounds: undecided
        counts = np.bincount(labels, minlength=len(exact))
        tv = (
            sum(
                (abs(arb(int(c)) / len(labels) - p) for c, p in zip(counts, exact, strict=True)),
                arb(0),
            )
            / 2
        )
        radius = tv_deviation(len(labels), len(exact), alpha / (4 * y_count))
        if upper(tv) + radius <= Fraction(delta):
            good += 1
        elif lower(tv) - radius > Fraction(delta):
            bad += 1
    lo = clopper_pearson_lower(good, y_count, alpha / 4)
    hi = clopper_pearson_upper(y_count - bad, y_count, alpha / 4)
    return ball(lo, hi), good, bad


def _check(
    params: dict[str, Any], constants: dict[str, Fraction], measured_y: Any = None
) -> list[Part]:
    import torch

    delta = float(params["delta"])
    y_count = params["y_samples"]
    runs = _labels_per_y(
        params, y_count, torch.Generator().manual_seed(params["seed"] + 5), measured_y
    )
    interval, good, bad = _interval(runs, delta, ALPHA)
    target = 1 - Fraction(delta)

    def redraw(alpha: float, fresh: bool) -> tuple[Any, Any]:
        if not fresh:
            return target, _interval(runs, delta, alpha)[0]
        gen = torch.Generator().manual_seed(params["seed"] + FRESH_SEED_OFFSET)
        fresh_runs = _labels_per_y(params, FRESH_FACTOR * y_count, gen, measured_y)
        return target, _interval(fresh_runs, delta, alpha)[0]

    return [
        Part(
            "posterior_probability",
            target,
            interval,
            kind="statistical",
            confidence=1 - ALPHA,
            note=(
                f"{good}/{y_count} measurements certainly TV-close at delta={delta:g}, "
                f"{bad} certainly not"
            ),
            data={"good": good, "bad": bad, "y_samples": y_count, "delta": delta},
            redraw=redraw,
        )
    ]


DEF15 = Lemma(
    id="Def.1.5",
    title="Posterior sampler: Algorithm 1 on an exact sampler is (tau, delta)-close given y",
    statement=(
        r"\Pr_y\big[\exists\,\pi\in\Pi(q_y, p(\cdot|y)):\ \pi(|X-X'|>\tau)\le\delta\big]"
        r"\ge 1-\delta"
    ),
    domain=DOMAIN,
    constants=[],
    check=_check,
    examples=[
        {
            "d": 2,
            "d_out": 1,
            "R": 2.0,
            "eps": 0.5,
            "beta": 0.03,
            "delta": 0.25,
            "outputs": 1200,
            "y_samples": 30,
            "seed": 0,
        }
    ],
    budget={"quick": 0, "standard": 6, "thorough": 30},
    depends_on=("Def.1.2",),
    model_mutants=[
        ModelMutant(
            "posterior of the wrong y",
            lambda params, constants: _check(params, constants, _wrong_y),
        )
    ],
)
