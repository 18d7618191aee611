"""Figures of the C.4 construction (C.4, C.11): read recorded evaluations, redraw the worst."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from verify.core.errors import DomainError
from verify.core.plotting import pyplot, save
from verify.maths.score_approx import capped_approximation, law_from_params, smoothed


def capped_approximation_plots(lemma_id: str, constant: str):
    """Plot maker: the C.4 function against the score for the record with the largest
    error / delta, and error / delta against delta sigma^2 for every record."""

    def plots(records: list[dict[str, Any]], out_dir: Any) -> list[str]:
        plt = pyplot()

        found = []
        for record in records:
            for part in record.get("parts", []):
                if part.get("constant") == constant and part.get("empirical") is not None:
                    found.append((part["empirical"], record["params"]))
        if not found:
            return []
        worst_value, worst = max(found, key=lambda item: item[0])
        try:
            mixture, sigma = law_from_params(worst)
        except DomainError:
            return []
        f, _ = capped_approximation(mixture, sigma, Fraction(worst["delta"]))
        law = smoothed(mixture, sigma)
        sd = math.sqrt(float(law.variance))
        xs = np.linspace(float(min(law.atoms)) - 6 * sd, float(max(law.atoms)) + 6 * sd, 2000)
        fx = np.interp(
            xs, [float(t) for t in f.breakpoints], [float(v) for v in f.values_at_breakpoints()]
        )
        fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.0))
        left.plot(xs, law.score_np(xs), label="score s", lw=1.2)
        left.plot(xs, fx, "--", label=f"C.4 function ({f.pieces} pieces)", lw=1.0)
        left.set_xlabel("x")
        left.set_title(f"worst error/delta = {worst_value:.3g}")
        left.legend(fontsize=8)
        shares = []
        for value, params in found:
            s = float(params.get("sigma", 1.0))
            shares.append((float(params["delta"]) * s * s, value))
        right.scatter(*zip(*shares, strict=True), alpha=0.7)
        right.set_yscale("log")
        right.set_xlabel("delta sigma^2")
        right.set_ylabel("E(f - s)^2 / delta")
        right.set_title(f"{lemma_id}: certified error relative to delta")
        return [save(fig, out_dir, f"{lemma_id.replace('.', '_').lower()}_approximation.png")]

    return plots
