"""verify arena: the posterior samplers people use, run on the hard instance (issue 14).

Writes ``OUT/arena.json`` (schema ``verify/core/schema/arena.schema.json``), its plots and
``OUT/arena.html``, and (re)writes ``OUT/index.html`` with a link to that page (from
``OUT/results.json`` when a ``verify run`` wrote one there). Deterministic per ``--seed``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from verify.cli.common import MAX_SEED, install_sigterm_handler, seed, staged_output

ARENA_PROFILES = ("quick", "standard")
ALPHA = 0.05  # Clopper-Pearson level of the success intervals (95 %)

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
    parser.add_argument("--no-html", action="store_true", help="skip the HTML page")


def run(args: argparse.Namespace) -> int:
    install_sigterm_handler()
    keep_results = args.out / "results.json"
    results_text = keep_results.read_text(encoding="utf-8") if keep_results.is_file() else None
    with staged_output(args.out) as staging:
        doc = arena_document(args.profile, args.seed)
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


def arena_document(profile: str, base_seed: int) -> dict[str, Any]:
    import torch

    from verify.maths.nets.instance_network import (
        InstanceScoreFamily,
        make_instance,
        sigma_grid,
    )
    from verify.maths.samplers.posterior import (
        HEURISTICS,
        SAMPLER_SOURCES,
        Budget,
        draw_setting,
        exact_draws,
        exact_score,
        instance_problem,
        rejection_draws,
        run_heuristic,
    )

    setting = SETTINGS[profile]
    started = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # identical floating point on every machine, no oversubscription
    by_name: dict[str, list[dict[str, Any]]] = {name: [] for name in SAMPLER_SOURCES}
    try:
        d, beta, trials = setting["d"], setting["beta"], setting["trials"]
        middle = setting["d_primes"][len(setting["d_primes"]) // 2]
        for point, d_prime in enumerate(setting["d_primes"]):
            instance = make_instance(d, d_prime)
            point_seed = base_seed * 1000 + point
            _, _, y = draw_setting(instance, beta, trials, point_seed)
            # the reference of every closeness at this point, drawn apart from the exact sampler's
            reference = exact_draws(instance, beta, y, point_seed + 3).x
            draws = exact_draws(instance, beta, y, point_seed + 1)
            by_name["exact"].append(
                _result(instance, beta, y, draws, {"enumerated": 2**d}, "-", reference)
            )
            rows = setting.get("rejection_trials", trials)
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
            by_name["rejection"].append({**row, "e1": e1_proposals_bound(d_prime, beta)})
            scores = {"exact": exact_score(instance)}
            if setting["network"]:
                family = InstanceScoreFamily(instance, sigma_grid(instance, 24), 1.0 / d)
                scores["network"] = family
            budgets = [{"steps": setting["steps"], "particles": setting["particles"]}]
            if d_prime == middle:
                budgets += [b for b in setting["compute"] if b != budgets[0]]
            for score_name, score in scores.items():
                problem = instance_problem(instance, beta, score)
                for budget_dict in budgets:
                    budget = Budget(steps=budget_dict["steps"], particles=budget_dict["particles"])
                    for index, name in enumerate(HEURISTICS):
                        if (
                            name != "tds"
                            and budget_dict is not budgets[0]
                            and name not in ("dps", "langevin")
                        ):
                            continue  # the compute sweep: DPS, Langevin and TDS only
                        draws = run_heuristic(name, problem, y, budget, point_seed + 10 + index)
                        by_name[name].append(
                            _result(
                                instance, beta, y, draws, budget.as_dict(), score_name, reference
                            )
                        )
        from verify.maths.samplers.posterior import bottleneck

        demo = bottleneck(
            make_instance(d, setting["bottleneck_d_prime"]),
            loss_draws=setting["loss_draws"],
            sample_draws=setting["sample_draws"],
            steps=setting["steps"] * 2,
            seed=base_seed,
        )
    finally:
        torch.set_num_threads(threads)
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
            {"name": name, "source": SAMPLER_SOURCES[name], "results": rows}
            for name, rows in by_name.items()
        ],
    }
