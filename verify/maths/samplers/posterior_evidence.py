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
"""

from __future__ import annotations

import math
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


def acceptance_quantile_part(
    acceptances: list[arb],
    m: int,
    beta: float,
    delta: float,
    moment: arb,
    c_acc: Fraction,
    sweep: bool = False,
) -> Part:
    """The 3 delta-quantile of a(y) against C_acc delta (r/3R)^m exp(-rho^2/2beta^2)."""
    b, d = to_arb(beta), to_arb(delta)
    big_r = (moment / d).sqrt()
    r = to_arb(e1_best_r(beta, m, delta, float(big_r.mid())))
    if not r <= big_r:
        r = big_r
    rho = e1_radius(r, b, m, d)
    unit = e1_bound(r, big_r, m, d) * (-(rho * rho) / (2 * b * b)).exp()
    lo, hi = quantile_confidence_interval(acceptances, 3 * delta, ALPHA)
    lo_arb = to_arb(lo) if lo is not None else arb(0)
    quantile = ball(lo_arb, hi) if hi is not None else lo_arb + arb(0, math.inf)
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
        to_arb(c_acc) * unit,
        quantile,
        "C_acc",
        unit,
        kind="statistical",
        confidence=1 - ALPHA,
        note=note,
        data=data,
    )


def tv_part(
    labels: np.ndarray, exact: list[arb], tau: float, c_tv: Fraction, note: str = ""
) -> Part:
    """TV(law of the labels, exact posterior) <= C_tv tau, with a confidence interval."""
    n = len(labels)
    cells = len(exact)
    counts = np.bincount(labels, minlength=cells)
    tv = arb(0)
    for k in range(cells):
        tv += abs(arb(int(counts[k])) / n - exact[k])
    tv = tv / 2
    radius = tv_deviation(n, cells, ALPHA)
    lo = max(Fraction(0), lower(tv) - radius)
    interval = ball(lo, upper(tv) + radius)
    unit = to_arb(tau)
    return Part(
        "posterior_tv",
        interval,
        to_arb(c_tv) * unit,
        "C_tv",
        unit,
        kind="statistical",
        confidence=1 - ALPHA,
        note=f"{n} outputs, TV_hat={float(tv.mid()):.4f} +- {float(radius):.4f}; {note}",
        data={"outputs": n, "cells": cells, "tv_hat": float(tv.mid()), "radius": float(radius)},
    )


def acceptance_rate_part(
    accepted: int, rounds: int, exact: arb, slack: arb, m: int, beta: float
) -> Part:
    """The Clopper-Pearson interval of the per-round acceptance must meet [a - L, a + L].

    Left side: the gap between the two intervals (0 when they meet); right side 0. The part is
    STATISTICAL when they meet and REFUTED when they are separated (at level 1 - ALPHA).
    """
    lo, hi = clopper_pearson(accepted, rounds, ALPHA)
    gap = max(Fraction(0), lower(exact - slack) - hi, lo - upper(exact + slack))
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
    )


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
    fig.tight_layout()
    return [save(fig, out_dir, f"{name.replace('.', '_')}_log_acceptance.png", dpi=120)]
