"""verify arena: the posterior samplers people use, run on the hard instance (issue 14).

Writes ``OUT/arena.json`` (schema ``verify/core/schema/arena.schema.json``), its plots and
``OUT/arena.html``, and (re)writes ``OUT/index.html`` with a link to that page (from
``OUT/results.json`` when a ``verify run`` wrote one there).

Runs as ``verify run`` does (``verify.core.schedule``): one unit per (d', sampler) cell and one
for the bottleneck demo (``plan_units``), each seeded from ``--seed``, its d' index and its
sampler alone, run on ``--jobs`` processes or a Dask cluster (``--scheduler``) and merged in d'
order: deterministic per ``--seed`` and ``--trials``, the same for every ``--jobs`` and
scheduler (apart from the fields named "seconds").
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path
from typing import Any

from verify.cli.common import (
    MAX_SEED,
    add_parallel_options,
    install_sigterm_handler,
    seed,
    staged_output,
)
from verify.core.errors import UsageError

ARENA_PROFILES = ("quick", "standard")
ALPHA = 0.05  # Clopper-Pearson level of the success intervals (95 %)
MAX_TRIALS = 10_000  # measurements per d': beyond, the exact sampler's (trials, 2^d) table grows

# Per profile: seed length d, the d' swept, trials per point, the scaled measurement noise,
# the budget of the d' sweep and the compute sweep (at the middle d').
SETTINGS: dict[str, dict[str, Any]] = {
    "quick": {
        "d": 6,
        "d_primes": (1, 2, 3),
        "trials": 24,
        "beta": 0.006,
        "steps": 16,
        "particles": 4,
        "compute": ({"steps": 8, "particles": 2}, {"steps": 32, "particles": 4}),
        "network": False,
        "max_proposals": 400_000,
        "bottleneck_d_prime": 3,
        "loss_draws": 1000,
        "sample_draws": 100,
    },
    "standard": {
        "d": 8,
        "d_primes": (1, 2, 3, 4, 6, 8, 10, 12),
        "trials": 64,
        "beta": 0.006,
        "steps": 32,
        "particles": 8,
        "compute": (
            {"steps": 16, "particles": 4},
            {"steps": 32, "particles": 8},
            {"steps": 128, "particles": 32},
        ),
        "network": True,
        # rejection on the first 16 measurements, at most 1e6 proposals each (about 1.4 s at
        # the measured 7e5 proposals/s): its cost grows about 4x per d', so from d' = 6 on most
        # rows hit the cap (counted as failures, the cap recorded); E.1's bound is plotted beside
        "max_proposals": 1_000_000,
        "rejection_trials": 16,
        "bottleneck_d_prime": 6,
        "loss_draws": 10000,
        "sample_draws": 500,
    },
}


def add_parser(sub) -> None:
    parser = sub.add_parser("arena", help="run posterior samplers on the hard instance")
    parser.add_argument(
        "--profile",
        choices=ARENA_PROFILES,
        default="quick",
        help="quick (CI, under a minute) or standard (d = 8, d' to 12; default: quick)",
    )
    parser.add_argument(
        "--seed", type=seed, default=0, help=f"an integer in [0, {MAX_SEED}] (default: 0)"
    )
    parser.add_argument("--out", type=Path, default=Path("reports/arena"), help="output folder")
    parser.add_argument(
        "--trials",
        type=trials_per_point,
        default=None,
        metavar="N",
        help=f"measurements per d', an integer in [1, {MAX_TRIALS}] (default: the profile's; "
        "rejection keeps its own cap)",
    )
    parser.add_argument("--no-html", action="store_true", help="skip the HTML page")
    add_parallel_options(parser, "the arena's (d', sampler) cells")


def trials_per_point(text: str) -> int:
    """``--trials``: an integer in [1, MAX_TRIALS] (UsageError otherwise)."""
    message = f"--trials must be an integer in [1, {MAX_TRIALS}], not {text!r}"
    try:
        value = int(text)
    except ValueError:
        raise UsageError(message) from None
    if not 1 <= value <= MAX_TRIALS:
        raise UsageError(message)
    return value


def run(args: argparse.Namespace) -> int:
    from verify.core.schedule import default_jobs

    install_sigterm_handler()
    jobs = args.jobs if args.jobs is not None else default_jobs()
    keep_results = args.out / "results.json"
    results_text = keep_results.read_text(encoding="utf-8") if keep_results.is_file() else None
    with staged_output(args.out) as staging:
        doc = arena_document(
            args.profile, args.seed, trials=args.trials, jobs=jobs, scheduler=args.scheduler
        )
        (staging / "arena.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        if results_text is not None:
            (staging / "results.json").write_text(results_text, encoding="utf-8")
        if not args.no_html:
            from verify.report.arena import write_arena_html
            from verify.report.html import write_html

            write_arena_html(doc, staging)
            results = json.loads(results_text) if results_text else {"meta": {}, "lemmas": []}
            write_html(results, staging)
    print(f"wrote {args.out / 'arena.json'}")
    return 0


def _result(
    instance,
    beta: float,
    y,
    draws,
    budget: dict,
    score: str,
    reference,
    alpha: float = ALPHA,
) -> dict[str, Any]:
    """One row of arena.json; ``reference`` (n, D) is an independent exact posterior draw for the
    same measurements (the closeness is measured against it)."""
    from verify.core.stats import clopper_pearson
    from verify.maths.samplers.posterior import (
        closeness_to_posterior,
        posterior_seed_mass,
        successes,
    )

    ok = successes(instance, draws.x, y)
    k, n = int(ok.sum()), int(ok.numel())
    lo, hi = clopper_pearson(k, n, alpha)
    mass = posterior_seed_mass(instance, beta, draws.x, y)
    return {
        "d": instance.d,
        "d_prime": instance.d_out,
        "beta": beta,
        "score": score,
        "budget": budget,
        "trials": n,
        "successes": k,
        "success": k / n,
        "interval": [float(lo), float(hi)],
        "alpha": alpha,
        "closeness": {
            **closeness_to_posterior(instance, y, draws.x, reference, alpha),
            "failed_draws": int((~draws.x.isfinite().all(1)).sum()),
        },
        # mean exact posterior mass of the returned seed (exact sampler: E sum_s p(s | y)^2)
        "posterior_mass": float(mass.mean()),
        "score_evaluations": draws.evaluations,
        "seconds": round(draws.seconds, 4),
        **({"extra": draws.extra} if draws.extra else {}),
    }


E1_DELTA = 0.01  # E.1's failure probability: its bound holds for y outside a 3 delta event


def e1_proposals_bound(d_prime: int, beta: float, delta: float = E1_DELTA) -> dict[str, Any]:
    """Lemma E.1's bound on rejection sampling's expected proposals per draw, 1 / a(y), on the
    arena's measurements (m = d', scaled units), for y outside an event of probability 3 delta.

    a(y) = E_x' exp(-|A x' - y|^2 / (2 beta^2)) >= P(|A x' - y| <= rho) exp(-rho^2 / (2 beta^2))
    and E.1 bounds the ball probability by delta (r / 3R_delta)^m, R_delta = sqrt(M / delta).
    M = d' bounds E|A x~|^2 (each scaled comb coordinate has second moment at most 1; about
    0.035 measured), r is ``e1_best_r``. Computed in arb (``verify.maths.samplers.rejection``'s
    e1_radius and e1_bound, the formulas Lemma E.1's module checks); stored as log10 of the
    bound's upper end."""
    from flint import arb

    from verify.maths.samplers.rejection import e1_best_r, e1_bound, e1_radius

    moment = float(d_prime)
    big_r_float = (moment / delta) ** 0.5
    r_float = e1_best_r(beta, d_prime, delta, big_r_float)
    beta_arb, delta_arb = arb(beta), arb(delta)
    big_r = (arb(moment) / delta_arb).sqrt()
    r = arb(r_float)
    rho = e1_radius(r, beta_arb, d_prime, delta_arb)
    log_bound = rho**2 / (2 * beta_arb**2) - e1_bound(r, big_r, d_prime, delta_arb).log()
    log10 = log_bound / arb(10).log()
    return {
        "delta": delta,
        "second_moment": moment,
        "r": r_float,
        "log10_proposals_bound": float(log10.upper()),
    }


# The order units are started in (processes take them as listed): TDS's particles and
# rejection's proposals cost most, then the bottleneck demo, then the rest.
_FIRST = ("tds", "rejection", "bottleneck")


def plan_units(setting: dict[str, Any], base_seed: int) -> list[tuple]:
    """The arena's independent units, a function of the setting and the seed alone: one per
    (d', sampler) cell and one for the bottleneck demo, longest first. A cell's seeds come from
    the run seed, its d' index and its sampler (``arena_unit``), never from the worker that runs
    it, so the document is the same for every ``--jobs`` and scheduler."""
    from verify.maths.samplers.posterior import SAMPLER_SOURCES

    cells = [
        (setting, base_seed, point, name)
        for point in range(len(setting["d_primes"]))
        for name in SAMPLER_SOURCES
    ]
    units = [*cells, (setting, base_seed, None, "bottleneck")]

    def rank(unit: tuple) -> tuple[int, int]:
        name, point = unit[3], unit[2]
        first = _FIRST.index(name) if name in _FIRST else len(_FIRST)
        return first, -(point or 0)

    return sorted(units, key=rank)


def arena_unit(
    setting: dict[str, Any], base_seed: int, point: int | None, name: str
) -> list[dict[str, Any]]:
    """One unit of the arena: the rows of sampler ``name`` at the ``point``-th d' (several for
    the compute sweep, one per score and budget), or the bottleneck demo (``point`` None).

    Seeds: the point's measurements from base_seed * 1000 + point, the reference posterior draw
    from that + 3, the exact sampler + 1, rejection + 2, the i-th heuristic + 10 + i; the demo
    from base_seed. The point's measurements and reference are drawn again in every cell (from
    the same seeds: the same tensors), so the cells share nothing at run time."""
    from verify.maths.nets.instance_network import make_instance
    from verify.maths.samplers.posterior import (
        HEURISTICS,
        Budget,
        bottleneck,
        draw_setting,
        exact_draws,
        exact_score,
        instance_problem,
        rejection_draws,
        run_heuristic,
    )

    d, beta, trials = setting["d"], setting["beta"], setting["trials"]
    if point is None:
        return [
            bottleneck(
                make_instance(d, setting["bottleneck_d_prime"]),
                loss_draws=setting["loss_draws"],
                sample_draws=setting["sample_draws"],
                steps=setting["steps"] * 2,
                seed=base_seed,
            )
        ]
    d_prime = setting["d_primes"][point]
    instance = make_instance(d, d_prime)
    point_seed = base_seed * 1000 + point
    _, _, y = draw_setting(instance, beta, trials, point_seed)
    # the reference of every closeness at this point, drawn apart from the exact sampler's
    reference = exact_draws(instance, beta, y, point_seed + 3).x
    if name == "exact":
        draws = exact_draws(instance, beta, y, point_seed + 1)
        return [_result(instance, beta, y, draws, {"enumerated": 2**d}, "-", reference)]
    if name == "rejection":
        rows = min(setting.get("rejection_trials", trials), trials)
        draws = rejection_draws(
            instance, beta, y[:rows], point_seed + 2, max_proposals=setting["max_proposals"]
        )
        row = _result(
            instance,
            beta,
            y[:rows],
            draws,
            {"max_proposals": setting["max_proposals"]},
            "-",
            reference[:rows],
        )
        return [{**row, "e1": e1_proposals_bound(d_prime, beta)}]
    index = HEURISTICS.index(name)
    scores = {"exact": exact_score(instance)}
    if setting["network"]:
        scores["network"] = _network_score(d, d_prime)
    budgets = [{"steps": setting["steps"], "particles": setting["particles"]}]
    middle = setting["d_primes"][len(setting["d_primes"]) // 2]
    if d_prime == middle and name in ("dps", "langevin", "tds"):
        # the compute sweep: DPS, Langevin and TDS only
        budgets += [b for b in setting["compute"] if b != budgets[0]]
    out = []
    for score_name, score in scores.items():
        problem = instance_problem(instance, beta, score)
        for budget_dict in budgets:
            budget = Budget(steps=budget_dict["steps"], particles=budget_dict["particles"])
            draws = run_heuristic(name, problem, y, budget, point_seed + 10 + index)
            out.append(_result(instance, beta, y, draws, budget.as_dict(), score_name, reference))
    return out


@functools.lru_cache(maxsize=16)
def _network_score(d: int, d_prime: int):
    """The Cor. 3.5 networks at (d, d'), built once per process (five cells use them). The
    units come sampler by sampler over every d' (``plan_units``), so the cache holds every d'
    of a profile: with two places, the standard profile's 8 d' rebuilt them for every sampler
    (40 builds of 0.2-0.5 s instead of 8)."""
    from verify.maths.nets.instance_network import InstanceScoreFamily, make_instance, sigma_grid

    instance = make_instance(d, d_prime)
    return InstanceScoreFamily(instance, sigma_grid(instance, 24), 1.0 / d)


def arena_setting(profile: str, trials: int | None = None) -> dict[str, Any]:
    """The profile's setting, with ``trials`` measurements per d' when given."""
    setting = dict(SETTINGS[profile])
    if trials is not None:
        setting["trials"] = trials
    return setting


def arena_document(
    profile: str,
    base_seed: int,
    *,
    trials: int | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """The arena document: ``plan_units`` run by ``verify.core.schedule.run_units`` on ``jobs``
    processes (or a Dask cluster at ``scheduler``), merged in d' order per sampler. The same for
    every ``jobs`` and scheduler, apart from the fields named "seconds"."""
    import torch

    from verify.core.schedule import run_units
    from verify.maths.samplers.posterior import SAMPLER_SOURCES

    setting = arena_setting(profile, trials)
    started = time.perf_counter()
    threads = torch.get_num_threads()
    units = plan_units(setting, base_seed)
    try:
        outcomes = run_units(arena_unit, units, jobs=jobs, scheduler=scheduler)
    finally:
        torch.set_num_threads(threads)  # a unit run here sets one thread, as in a worker
    by_unit = {(unit[2], unit[3]): rows for unit, rows in zip(units, outcomes, strict=True)}
    (demo,) = by_unit[(None, "bottleneck")]
    return {
        "bottleneck": demo,
        "schema": 1,
        "meta": {
            "profile": profile,
            "seed": base_seed,
            "d": setting["d"],
            "beta": setting["beta"],
            "beta_units": "scaled (Definition 3.2); unscaled beta = beta * sqrt(R^2 + 1)",
            "alpha": ALPHA,
            "chance": "2^-d' when f's outputs are balanced",
            "wall_seconds": round(time.perf_counter() - started, 3),
        },
        "samplers": [
            {
                "name": name,
                "source": source,
                "results": [
                    row
                    for point in range(len(setting["d_primes"]))
                    for row in by_unit[(point, name)]
                ],
            }
            for name, source in SAMPLER_SOURCES.items()
        ],
    }
