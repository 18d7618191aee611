"""Thm.1.7 end to end: Algorithm 1 on the reverse SDE of the instance's score networks.

The unconditional sampler is the discretized VE reverse SDE on the C.21 networks of
``make_instance(d, m)`` (``instance_sde.posterior_family``); Algorithm 1
(``rejection.rejection_sample``) runs one round per reverse-SDE draw at the measurement y (A
selects the last m = d' coordinates). Two parts, each STATISTICAL at level 1 - alpha with a
re-draw (the engine's level on the same draws, then ``fresh_factor`` times the draws afresh):

- ``sde_posterior_closeness`` (one-sided): the distribution-free lower confidence bound of
  delta_tau(outputs, p(. | y)) (``verify.maths.closeness.delta_lower_bound``: split-sample
  half-space and Clopper-Pearson) from the accepted reverse-SDE draws and exact posterior
  samples (Algorithm 1 on the exact sampler, exact by E.2 (a)) must not exceed delta. With no
  explicit coupling of the network sampler it refutes posterior closeness, never proves it.
- ``sde_draws``: the unconditional draws per output, rounds/accepted, as the inverse of the
  Clopper-Pearson interval of the per-round acceptance, must not exceed 1/(C_acc B_m),
  B_m = delta (r/3R)^m exp(-rho^2/2beta^2) the explicit E.1 bound (``e1_acceptance_unit``), i.e.
  (sqrt(m)/beta)^{O(m)} draws.

The records name the sampler (``SAMPLER``) and carry log10 of the draws and of the bound for the
plot of log(draws) against m (``plot_draws``).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from flint import arb

from verify.core.contract import Part
from verify.core.numbers import ball, to_arb
from verify.core.plotting import pyplot, save
from verify.core.stats import clopper_pearson
from verify.maths.closeness import delta_lower_bound
from verify.maths.oneway import all_seeds
from verify.maths.samplers.instance_sde import pool_sampler, posterior_family, sde_pool
from verify.maths.samplers.posterior_evidence import rounds_for
from verify.maths.samplers.rejection import (
    instance_measurement,
    instance_sampler,
    rejection_sample,
)

SAMPLER = "reverse SDE on the C.21 score networks (Thm.1.4), Algorithm 1 on top"
MIN_CLOSENESS_OUTPUTS = 100  # fewer accepted draws: the closeness part is not formed


def code_counts(inst: Any) -> tuple[Any, list[int]]:
    """The distinct comb codes f(s) over the 2^d seeds (rows, +-1) and how many seeds have each.

    The posterior weight of a seed given y depends on the seed only through f(s), so the 2^d
    seed terms of ``rejection.instance_seed_terms`` collapse to at most 2^{d'} code terms times
    exact integer counts: d = 16 is 65536 seeds but at most 256 codes at d' = 8."""
    import numpy as np

    codes, counts = np.unique(inst.outputs(all_seeds(inst.d)), axis=0, return_counts=True)
    return codes, [int(c) for c in counts]


def code_acceptance(inst: Any, y: list[float], beta: float, codes: Any = None) -> arb:
    """a(y) = (2 pi beta^2)^{d'/2} c^{d'} 2^-d sum_s prod_j psi_{f(s)_j, beta c}(c y_j), enclosed,
    summed over the distinct codes with their seed counts (``code_counts``, or ``codes`` as it
    returns them): the same number as ``rejection.instance_acceptance`` without enumerating
    2^d seed terms in arb."""
    rows, counts = code_counts(inst) if codes is None else codes
    c = to_arb(inst.scale)
    sigma = to_arb(beta) * c
    combs = {b: [inst.comb_arb(c * to_arb(v), sigma, b) for v in y] for b in (1, -1)}
    total = arb(0)
    for code, count in zip(rows.tolist(), counts, strict=True):
        value = arb(count)
        for j, b in enumerate(code):
            value *= combs[int(b)][j]
        total += value
    b = to_arb(beta)
    mean = total / arb(2) ** inst.d
    return (2 * arb.pi() * b * b) ** (arb(inst.d_out) / 2) * c**inst.d_out * mean


def sde_posterior_parts(
    params: dict[str, Any],
    y: Any,
    unit: arb,
    c_acc: Fraction,
    *,
    alpha: float,
    fresh_factor: int,
    fresh_offset: int,
    shift: float = 0.0,
) -> list[Part]:
    """The two parts at the measurement y (module docstring); ``unit`` is B_m. ``shift`` moves
    every reverse-SDE draw by that many tau along the first axis (the model mutant)."""
    import torch

    d, m, steps = params["d"], params["d_out"], params["steps"]
    beta, tau, delta = float(params["beta"]), float(params["tau"]), float(params["delta"])
    inst = posterior_family(d, m, steps).instance
    measure = instance_measurement(inst)

    def run(factor: int, seed: int) -> tuple[Any, Any]:
        pool = sde_pool(d, m, steps, factor * params["pool"], seed)
        if shift:
            pool = pool.clone()
            pool[:, 0] += shift * tau
        gen = torch.Generator().manual_seed(seed + 17)
        sampled = pool_sampler(pool)
        q = rejection_sample(sampled, y, beta, measure, gen, max_proposals=len(pool))
        want = max(q.accepted, MIN_CLOSENESS_OUTPUTS)
        cap = rounds_for(want, q.accepted / len(pool) or 1e-3, 10**7)
        exact = instance_sampler(inst)
        p = rejection_sample(exact, y, beta, measure, gen, want=want, max_proposals=cap)
        return q, p

    def draws(result: Any, level: float) -> Any:
        lo, hi = clopper_pearson(result.accepted, result.proposals, level)
        return ball(1 / hi, 1 / lo) if lo > 0 else ball(1 / hi, Fraction(10**30))

    q, p = run(1, params["seed"])
    bound = 1 / (to_arb(c_acc) * unit)
    common = {"sampler": SAMPLER, "m": m, "d": d, "beta": beta, "pool": params["pool"]}

    def redraw_draws(level: float, fresh: bool) -> tuple[Any, Any]:
        result = run(fresh_factor, params["seed"] + fresh_offset)[0] if fresh else q
        return draws(result, level), bound

    per_output = q.proposals / q.accepted if q.accepted else math.inf
    parts = [
        Part(
            "sde_draws",
            draws(q, alpha),
            bound,
            kind="statistical",
            confidence=1 - alpha,
            note=f"{q.accepted}/{q.proposals} reverse-SDE draws accepted; bound {bound.str(5)}",
            data={
                **common,
                "accepted": q.accepted,
                "draws": q.proposals,
                "log10_draws_per_output": math.log10(per_output) if q.accepted else None,
                "log10_bound": float(bound.log().mid()) / math.log(10),
            },
            redraw=redraw_draws,
        )
    ]
    if q.accepted < MIN_CLOSENESS_OUTPUTS:
        return parts
    lower, info = delta_lower_bound(q.samples.numpy(), p.samples.numpy(), tau, alpha)
    # the half-space's own gap on the second halves, beside its confidence bound (reader only)
    info["delta_point"] = info.get("p_a", 0.0) - info.get("q_a_tau", 0.0)

    def redraw_closeness(level: float, fresh: bool) -> tuple[Any, Any]:
        pair = run(fresh_factor, params["seed"] + fresh_offset) if fresh else (q, p)
        samples = (pair[0].samples.numpy(), pair[1].samples.numpy())
        return delta_lower_bound(*samples, tau, level)[0], Fraction(delta)

    parts.append(
        Part(
            "sde_posterior_closeness",
            lower,
            Fraction(delta),
            kind="statistical",
            confidence=1 - alpha,
            note=f"lower confidence bound of delta_tau at tau={tau:g}: {float(lower):.4f}",
            data={**common, "tau": tau, "delta": delta, "delta_lower": float(lower), **info},
            redraw=redraw_closeness,
        )
    )
    return parts


def plot_draws(records: list[dict[str, Any]], out_dir: Any) -> list[str]:
    """log10(draws per output) of the reverse-SDE runs against m, with the E.1 bound."""
    rows = [
        part["data"]
        for record in records
        for part in record.get("parts", [])
        if part.get("name") == "sde_draws" and part.get("data")
    ]
    rows = sorted((r for r in rows if r.get("log10_draws_per_output") is not None), key=str)
    if not rows:
        return []
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    # one curve per (d, beta): the quick examples (small d) and the standard sweep (d = 16)
    for d, beta in sorted({(r["d"], r["beta"]) for r in rows}):
        sel = sorted((r for r in rows if (r["d"], r["beta"]) == (d, beta)), key=lambda r: r["m"])
        ms = [r["m"] for r in sel]
        label = f"d={d}, beta={beta:g}"
        measured = [r["log10_draws_per_output"] for r in sel]
        (line,) = ax.plot(ms, measured, "o-", label=f"measured, {label}")
        bounds = [r["log10_bound"] for r in sel]
        ax.plot(ms, bounds, "--", color=line.get_color(), alpha=0.6, label=f"bound, {label}")
    ax.set_xlabel("m = d'")
    ax.set_ylabel("log10(unconditional draws per output)")
    ax.legend(fontsize=8)
    ax.set_title("Thm.1.7: Algorithm 1 on the reverse SDE, draws against m")
    return [save(fig, out_dir, "thm_1_7_draws_vs_m.png")]
