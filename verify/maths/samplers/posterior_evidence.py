"""The evidence that Algorithm 1 posterior-samples in (sqrt(m)/beta)^{O(m)} rounds (E.2 and
Thm.1.7): the three parts both checks build from a run of ``rejection.rejection_sample``, and
the acceptance-versus-m figure both draw.

- ``acceptance_quantile_part``: the 3 delta-quantile of a(y) over y (order-statistic confidence
  interval on certified a(y_i)) against the E.1 bound C_acc delta (r/3R)^m exp(-rho^2/2beta^2),
  R = sqrt(M/delta), r chosen by ``e1_best_r``;
- ``tv_part``: TV(law of the outputs' labels, exact label posterior) against C_tv tau, with the
  distribution-free radius of ``verify.core.stats.tv_deviation``;
- ``acceptance_rate_part``: the Clopper-Pearson interval of the per-round acceptance must meet
  [a(y) - L, a(y) + L].
Every part is statistical at level 1 - ALPHA; its plotted values travel in ``Part.data``.
Each bound is distribution-free and exact at its level: order statistics of i.i.d. draws against
Binomial tails (``quantile_confidence_interval``), the
expectation bound plus McDiarmid for the TV of an empirical law (``tv_deviation``),
Clopper-Pearson for the acceptance rate.

Each part carries a ``redraw(alpha, fresh)`` (``Part.redraw``): the same bound at level
1 - alpha, on the part's own draws or on an independent re-draw of ``FRESH_FACTOR`` times as
many, from a caller-supplied function that draws with a generator of its own. The engine asks
for it only to confirm a refutation at ``verify.core.runner.REFUTATION_ALPHA``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb

from verify.core.contract import Part
from verify.core.numbers import ball, lower, to_arb, upper
from verify.core.plotting import pyplot, save
from verify.core.stats import clopper_pearson, quantile_confidence_interval, tv_deviation
from verify.maths.samplers.rejection import e1_best_r, e1_bound, e1_radius

ALPHA = 0.01
MIN_TV_OUTPUTS = 1500  # below this the TV confidence radius exceeds the tolerances used
BATCH = 200_000  # rounds of Algorithm 1 per torch batch
FRESH_FACTOR = 4  # an independent re-draw confirming a refutation has this many times the draws

Redraw = Callable[[float, bool], tuple[Any, Any]]


def rounds_for(want: int, acceptance: float, max_rounds: int) -> int:
    """Rounds expected to give about 1.3 ``want`` outputs at per-round ``acceptance``."""
    return min(max_rounds, math.ceil(1.3 * want / max(acceptance, 1e-300)) + 1000)


def median_index(acceptances: list[arb]) -> int:
    """The index of the median acceptance (the y at which Algorithm 1 is run)."""
    order = sorted(range(len(acceptances)), key=lambda i: float(acceptances[i].mid()))
    return order[len(order) // 2]


def _log10(value: arb) -> float:
    if not value > 0:
        return -math.inf
    return float(value.log().mid()) / math.log(10)


def _json_float(value: float) -> float | None:
    """A float for ``Part.data`` (JSON has no infinities: None stands for them)."""
    return value if math.isfinite(value) else None


def e1_acceptance_unit(m: int, beta: float, delta: float, moment: arb) -> arb:
    """delta (r/3R)^m exp(-rho^2/2beta^2), R = sqrt(M/delta), r = ``e1_best_r`` (at most R):
    the explicit E.1 lower bound of a(y) with probability >= 1 - 3 delta over y."""
    b, d = to_arb(beta), to_arb(delta)
    big_r = (moment / d).sqrt()
    r = to_arb(e1_best_r(beta, m, delta, float(big_r.mid())))
    if not r <= big_r:
        r = big_r
    rho = e1_radius(r, b, m, d)
    return e1_bound(r, big_r, m, d) * (-(rho * rho) / (2 * b * b)).exp()


def acceptance_quantile_part(
    acceptances: list[arb],
    m: int,
    beta: float,
    delta: float,
    moment: arb,
    c_acc: Fraction,
    sweep: bool = False,
    resample: Callable[[int], list[arb]] | None = None,
) -> Part:
    """The 3 delta-quantile of a(y) against C_acc delta (r/3R)^m exp(-rho^2/2beta^2).

    The quantile's interval is the order-statistic (Binomial) one, valid for any law of a(y).
    ``resample(n)``, when given, returns n fresh certified a(y_i) (independent draws of y): it
    makes the part's re-draw for a refutation.
    """
    unit = e1_acceptance_unit(m, beta, delta, moment)
    quantile, lo_arb, hi = quantile_ball(acceptances, 3 * delta, ALPHA)
    bound = to_arb(c_acc) * unit

    def redraw(alpha: float, fresh: bool) -> tuple[arb, arb]:
        values = acceptances
        if fresh:
            if resample is None:
                raise ValueError("no re-draw was supplied")
            values = resample(FRESH_FACTOR * len(acceptances))
        return bound, quantile_ball(values, 3 * delta, alpha)[0]

    hi_log = _log10(to_arb(hi)) if hi is not None else math.inf
    median = sorted(acceptances, key=lambda v: float(v.mid()))[len(acceptances) // 2]
    data = {
        "m": m,
        "beta": beta,
        "sweep": sweep,
        "log10_bound": _json_float(_log10(unit)),
        "log10_quantile_lo": _json_float(_log10(lo_arb)),
        "log10_quantile_hi": _json_float(hi_log),
        "log10_median": _json_float(_log10(median)),
    }
    note = (
        f"3delta-quantile of a(y) over {len(acceptances)} measurements, m = {m}, "
        f"beta = {beta:g}, against the E.1 bound"
    )
    return Part(
        "acceptance_quantile",
        bound,
        quantile,
        "C_acc",
        unit,
        kind="statistical",
        confidence=1 - ALPHA,
        note=note,
        data=data,
        redraw=redraw if resample is not None else None,
    )


def quantile_ball(values: list[arb], q: float, alpha: float) -> tuple[arb, arb, Fraction | None]:
    """The order-statistic (Binomial, distribution-free) interval of the q-quantile at level
    1 - alpha as a ball (upper end +inf when too few draws), with its lower end as a ball and
    its upper end (None for +inf)."""
    lo, hi = quantile_confidence_interval(values, q, alpha)
    lo_arb = to_arb(lo) if lo is not None else arb(0)
    interval = ball(lo_arb, hi) if hi is not None else lo_arb + arb(0, math.inf)
    return interval, lo_arb, hi


def _tv_interval(labels: np.ndarray, exact: list[arb], alpha: float) -> tuple[arb, arb, Fraction]:
    """The empirical TV (enclosed), and its confidence interval at level 1 - alpha: the radius
    is the expectation bound plus McDiarmid of ``tv_deviation`` (distribution-free)."""
    n = len(labels)
    cells = len(exact)
    counts = np.bincount(labels, minlength=cells)
    tv = arb(0)
    for k in range(cells):
        tv += abs(arb(int(counts[k])) / n - exact[k])
    tv = tv / 2
    radius = tv_deviation(n, cells, alpha)
    lo = max(Fraction(0), lower(tv) - radius)
    return tv, ball(lo, upper(tv) + radius), radius


def tv_part(
    labels: np.ndarray,
    exact: list[arb],
    tau: float,
    c_tv: Fraction,
    note: str = "",
    relabel: Callable[[int], np.ndarray] | None = None,
) -> Part:
    """TV(law of the labels, exact posterior) <= C_tv tau, with a confidence interval.

    ``relabel(n)``, when given, returns the labels of n fresh independent outputs of the same
    sampler: it makes the part's re-draw for a refutation.
    """
    n = len(labels)
    cells = len(exact)
    tv, interval, radius = _tv_interval(labels, exact, ALPHA)
    unit = to_arb(tau)
    bound = to_arb(c_tv) * unit

    def redraw(alpha: float, fresh: bool) -> tuple[arb, arb]:
        drawn = labels
        if fresh:
            if relabel is None:
                raise ValueError("no re-draw was supplied")
            drawn = relabel(FRESH_FACTOR * n)
        return _tv_interval(drawn, exact, alpha)[1], bound

    return Part(
        "posterior_tv",
        interval,
        bound,
        "C_tv",
        unit,
        kind="statistical",
        confidence=1 - ALPHA,
        note=f"{n} outputs, TV_hat={float(tv.mid()):.4f} +- {float(radius):.4f}; {note}",
        data={"outputs": n, "cells": cells, "tv_hat": float(tv.mid()), "radius": float(radius)},
        redraw=redraw if relabel is not None else None,
    )


def _rate_gap(accepted: int, rounds: int, exact: arb, slack: arb, alpha: float):
    """Clopper-Pearson interval (lo, hi) at level 1 - alpha of the per-round acceptance, and its
    exact distance to [a - L, a + L] (0 when they meet)."""
    lo, hi = clopper_pearson(accepted, rounds, alpha)
    gap = max(Fraction(0), lower(exact - slack) - hi, lo - upper(exact + slack))
    return lo, hi, gap


def acceptance_rate_part(
    accepted: int,
    rounds: int,
    exact: arb,
    slack: arb,
    m: int,
    beta: float,
    rerun: Callable[[int], int] | None = None,
) -> Part:
    """The Clopper-Pearson interval of the per-round acceptance must meet [a - L, a + L].

    Left side: the exact gap between the two intervals (0 when they meet); right side 0. The
    part is STATISTICAL when they meet, and separated at level 1 - ALPHA it is a candidate
    refutation, which the engine confirms at its refutation level with ``redraw``.
    ``rerun(rounds)``, when given, runs that many fresh independent rounds of Algorithm 1 at
    the same y and returns the number accepted.
    """
    lo, hi, gap = _rate_gap(accepted, rounds, exact, slack, ALPHA)

    def redraw(alpha: float, fresh: bool) -> tuple[Fraction, Fraction]:
        count, total = accepted, rounds
        if fresh:
            if rerun is None:
                raise ValueError("no re-draw was supplied")
            total = FRESH_FACTOR * rounds
            count = rerun(total)
        return _rate_gap(count, total, exact, slack, alpha)[2], Fraction(0)

    rate = accepted / rounds
    note = (
        f"{accepted}/{rounds} accepted, CP [{float(lo):.5g}, {float(hi):.5g}]; "
        f"exact a(y) = {exact.str(6)}, slack {slack.str(3)}"
    )
    data = {
        "m": m,
        "beta": beta,
        "accepted": accepted,
        "rounds": rounds,
        "log10_mc_rate": _json_float(math.log10(rate) if rate > 0 else -math.inf),
    }
    return Part(
        "acceptance_rate",
        gap,
        Fraction(0),
        kind="statistical",
        confidence=1 - ALPHA,
        note=note,
        data=data,
        redraw=redraw if rerun is not None else None,
    )


def algorithm1_parts(
    algorithm1: Callable[[int, Any], Any],
    a_star: arb,
    slack: arb,
    *,
    m: int,
    beta: float,
    outputs: int,
    max_rounds: int,
    gen: Any,
    fresh_gen: Any,
    exact_labels: Callable[[], list[arb]],
    tau: float,
    c_tv: Fraction,
    note: str,
) -> list[Part]:
    """Algorithm 1 run at y* (``algorithm1(rounds, generator)``, a rejection run) for about
    ``outputs`` acceptances: its acceptance rate against a(y*) (``acceptance_rate_part``,
    ``slack`` its allowance) and, from ``MIN_TV_OUTPUTS`` outputs, the TV of its labels to
    ``exact_labels()`` against C_tv tau (``tv_part``). Re-draws confirming a refutation use
    ``fresh_gen``. No part when fewer acceptances than 1.3 ``outputs`` are expected within
    ``max_rounds``."""
    acceptance = float(a_star.mid())
    if acceptance * max_rounds < 1.3 * outputs:
        return []
    rounds = rounds_for(outputs, acceptance, max_rounds)
    run = algorithm1(rounds, gen)

    def rerun(count: int) -> int:
        return algorithm1(count, fresh_gen).accepted

    def relabel(count: int):
        fresh_rounds = rounds_for(count, acceptance, FRESH_FACTOR * max_rounds)
        return algorithm1(fresh_rounds, fresh_gen).labels.numpy()

    parts = [acceptance_rate_part(run.accepted, rounds, a_star, slack, m=m, beta=beta, rerun=rerun)]
    if run.accepted >= MIN_TV_OUTPUTS:
        labels = run.labels.numpy()
        parts.append(tv_part(labels, exact_labels(), tau, c_tv, note=note, relabel=relabel))
    return parts


def _rows(records: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The ``data`` of every recorded part called ``name`` (None entries dropped)."""
    rows = []
    for record in records:
        for part in record.get("parts", []):
            if part.get("name") == name and part.get("data"):
                rows.append({k: v for k, v in part["data"].items() if v is not None})
    return rows


def plot_acceptance(records: list[dict[str, Any]], out_dir: Any, name: str) -> list[str]:
    """log10 acceptance (3 delta-quantile interval and median of a(y)) and the E.1 bound vs m."""
    rows = [
        r
        for r in _rows(records, "acceptance_quantile")
        if {"log10_bound", "log10_median"} <= set(r)
    ]
    if not rows:
        return []
    mc_rows = _rows(records, "acceptance_rate")
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, beta in enumerate(sorted({row["beta"] for row in rows})):
        color = colors[i % len(colors)]
        sub = sorted((row for row in rows if row["beta"] == beta), key=lambda row: row["m"])
        # lines through the sweep (one mixture family across m), markers for searched points
        line = [row for row in sub if row.get("sweep")] or sub
        ms, line_ms = [row["m"] for row in sub], [row["m"] for row in line]
        ax.plot(line_ms, [row["log10_bound"] for row in line], "--", color=color, lw=1)
        ax.plot(line_ms, [row["log10_median"] for row in line], "-", color=color, lw=1)
        ax.plot(
            ms,
            [row["log10_bound"] for row in sub],
            "x",
            color=color,
            label=f"E.1 bound, beta={beta:g}",
        )
        ax.plot(
            ms,
            [row["log10_median"] for row in sub],
            "o",
            color=color,
            ms=4,
            label=f"median a(y), beta={beta:g}",
        )
        low = [row for row in sub if "log10_quantile_lo" in row]
        ax.scatter(
            [row["m"] for row in low],
            [row["log10_quantile_lo"] for row in low],
            color=color,
            marker="v",
            s=14,
        )
        mc = [row for row in mc_rows if row.get("beta") == beta and "log10_mc_rate" in row]
        if mc:
            ax.scatter(
                [row["m"] for row in mc],
                [row["log10_mc_rate"] for row in mc],
                color=color,
                marker="s",
                facecolors="none",
                s=30,
            )
    ax.plot([], [], "kv", ms=4, label="3delta-quantile lower conf. end")
    ax.plot([], [], "ks", mfc="none", label="Algorithm 1 measured rate (at y*)")
    ax.set_xlabel("m (measurements)")
    ax.set_ylabel("log10 acceptance per round")
    ax.set_title(f"{name}: acceptance of Algorithm 1 vs the E.1 bound")
    ax.legend(fontsize=6, ncol=2)
    return [save(fig, out_dir, f"{name.replace('.', '_')}_log_acceptance.png", dpi=120)]
