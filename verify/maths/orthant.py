r"""The orthant decomposition of the smoothed instance (Lemmas C.6 - C.8).

For x in the orthant of s = s(x): g_sigma(x) - 2^-d g_{s,sigma}(x) = 2^-d sum_{s' != s}
g_{s',sigma}(x), and the score's distance from its own vertex's score. This module gives

- ``instance_from_params``: the instance a lemma's parameter point names (f by ``kind``:
  goldreich / constant / projection, with ``f_seed`` / ``f_value``);
- ``orthant_terms``: the enclosures C.6 and C.7 share at a point (the other seeds' density and
  gradient summed, the own vertex's Gaussian factor G(x), the bracket prod(1 + e_i) - 1);
- ``orthant_score_gap_bound`` (B_8 of C.8): d Phi_bar(R/sqrt v) 4R^2/v^2 + (1 - (1 -
  Phi_bar(R/sqrt v))^d) d' eps^2/(4 sigma^4), enclosed;
- ``score_gap_sweep``: the float64 C.8 left side on a fixed grid, drawn with the recorded search
  points by ``plot_score_gap`` (the lemma's ``plots``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from flint import arb

from verify.core.domain import finite_real
from verify.core.numbers import normal_upper_tail, to_arb
from verify.core.plotting import pyplot, save
from verify.maths.instance import Instance
from verify.maths.oneway import make_function

F_KINDS = ("goldreich", "constant", "projection")


def instance_from_params(params: dict[str, Any]) -> Instance:
    """The instance of a parameter point (``DomainError`` if f, R or eps is malformed)."""
    spec = {
        "kind": params.get("f", "goldreich"),
        "d": params.get("d"),
        "d_out": params.get("d_out"),
        "seed": params.get("f_seed", 0),
        "value": params.get("f_value", 1),
    }
    return Instance(make_function(spec), finite_real(params, "R"), finite_real(params, "eps"))


@dataclass(frozen=True)
class OrthantTerms:
    """Enclosures at a point x: ``factors`` (``Instance.factors_arb``), ``own`` = s(x), the other
    seeds' summed density ``others_value`` and gradient ``others_grad``, the own vertex's Gaussian
    factor ``gauss`` = prod_i phi_{sqrt v}(|x_i| - R), ``bracket`` = prod_i (1 + e_i) - 1, v, x."""

    factors: dict[str, dict[int, list[arb]]]
    own: np.ndarray
    others_value: arb
    others_grad: list[arb]
    gauss: arb
    bracket: arb
    v: arb
    xs: list[arb]


def orthant_terms(inst: Instance, x: list[float], sigma: float) -> OrthantTerms:
    """The enclosures shared by C.6 and C.7 at the point x (all 2^d seeds summed)."""
    factors = inst.factors_arb(x, sigma)
    seeds = inst.seeds()
    outs = inst.outputs(seeds)
    own = inst.vertex(np.asarray([x]))[0]
    others_value = arb(0)
    others_grad = [arb(0)] * inst.dim
    for s, fs in zip(seeds, outs, strict=True):
        if np.array_equal(s, own):
            continue
        value, grad = inst.seed_terms_arb(factors, s, fs)
        others_value += value
        others_grad = [a + b for a, b in zip(others_grad, grad, strict=True)]
    s_arb = to_arb(sigma)
    v = 1 + s_arb * s_arb
    R = to_arb(inst.R)
    xs = [to_arb(c) for c in x]
    gauss = arb(1)
    bracket_prod = arb(1)
    for i in range(inst.d):
        gauss *= factors["head"][1][i] if own[i] == 1 else factors["head"][-1][i]
        bracket_prod *= 1 + (-2 * R * abs(xs[i]) / v).exp()
    return OrthantTerms(factors, own, others_value, others_grad, gauss, bracket_prod - 1, v, xs)


def orthant_score_gap_bound(inst: Instance, sigma: float) -> arb:
    """B_8 = d Phi_bar_R 4R^2/v^2 + (1 - (1 - Phi_bar_R)^d) d' eps^2/(4 sigma^4), Phi_bar_R =
    Phi_bar(R/sqrt v): the C.8 bound of E|grad log g_sigma - grad log g_{s(x),sigma}|^2."""
    s = to_arb(sigma)
    v = 1 + s * s
    R = to_arb(inst.R)
    tail = normal_upper_tail(R / v.sqrt())
    flip_any = 1 - (1 - tail) ** inst.d
    eps = to_arb(inst.eps)
    return inst.d * tail * 4 * R * R / (v * v) + flip_any * inst.d_out * eps * eps / (4 * s**4)


def score_gap_sweep() -> list[tuple[float, float, float, float]]:
    """(sigma, R/sqrt(v), mean of the C.8 left side, B_8) on a fixed grid: d = d' = 4, the
    projection f, eps = 0.3, 1000 samples per point (seeded), for the decay plot."""
    import torch

    rows = []
    for sigma in (0.1, 0.3, 1.0):
        v = 1 + sigma * sigma
        for z in np.linspace(0.25, 3.0, 5):
            params = {"d": 4, "d_out": 4, "f": "projection", "R": float(z) * math.sqrt(v)}
            inst = instance_from_params(dict(params, eps=0.3))
            generator = torch.Generator().manual_seed(11)
            x, _ = inst.sample(1000, generator, sigma=sigma)
            _, upper = inst.score_gap_squared(x, sigma)
            bound = float(orthant_score_gap_bound(inst, sigma).mid())
            rows.append((sigma, float(z), float(upper.mean()), bound))
    return rows


def plot_score_gap(records: list[dict[str, Any]], out_dir: Any) -> list[str]:
    """C.8's figure: the fixed-grid sweep (left side and B_8 against R/sqrt v, one series per
    sigma) and the recorded search points' upper confidence end over B_8."""
    plt = pyplot()

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    sweep = np.array(score_gap_sweep())
    for index, sigma in enumerate(sorted(set(sweep[:, 0]))):
        rows = sweep[sweep[:, 0] == sigma]
        color = f"C{index}"
        left.plot(
            rows[:, 1],
            np.maximum(rows[:, 2], 1e-300),
            "o-",
            color=color,
            label=f"LHS, sigma={sigma:g}",
        )
        left.plot(rows[:, 1], rows[:, 3], "--", color=color, label=f"B8, sigma={sigma:g}")
    left.set_yscale("log")
    left.set_xlabel("R / sqrt(1 + sigma^2)")
    left.set_ylabel("E |grad log g_sigma - grad log g_{s(x),sigma}|^2")
    left.set_title("C.8 sweep: d = d' = 4, eps = 0.3 (1000 samples)")
    left.legend(fontsize=7)
    found = []
    for record in records:
        params = record.get("params", {})
        for part in record.get("parts", []):
            if part.get("name") == "score_gap" and part["lhs"]["mid"] is not None:
                v = 1 + float(params["sigma"]) ** 2
                found.append(
                    (
                        float(params["R"]) / math.sqrt(v),
                        float(params["sigma"]),
                        part["lhs"]["hi"] / part["rhs"]["mid"],
                    )
                )
    if found:
        data = np.array(found)
        points = right.scatter(data[:, 0], data[:, 2], c=np.log10(data[:, 1]), cmap="viridis")
        fig.colorbar(points, ax=right, label="log10 sigma")
    right.axhline(1.0, color="crimson", lw=0.8)
    right.set_xlabel("R / sqrt(1 + sigma^2)")
    right.set_ylabel("upper confidence end of LHS / B8")
    right.set_title("C.8 search points (must stay below 1)")
    return [save(fig, out_dir, "c08_score_gap_vs_R.png")]
