r"""The orthant decomposition of the smoothed instance (Lemmas C.6 - C.8).

For x in the orthant of s = s(x): g_sigma(x) - 2^-d g_{s,sigma}(x) = 2^-d sum_{s' != s}
g_{s',sigma}(x), and the score's distance from its own vertex's score. This module gives

- ``instance_from_params``: the instance a lemma's parameter point names (f by ``kind``:
  goldreich / constant / projection, with ``f_seed`` / ``f_value``);
- ``POINT_DOMAIN``, ``instance_specs``, ``point_strategy``, ``f_fields``: the parameter points of
  C.6/C.7 (an instance and a point x) and their search, shared with C.8's domain;
- ``orthant_terms``: the enclosures C.6 and C.7 share at a point (the other seeds' density and
  gradient summed, the own vertex's Gaussian factor G(x), the bracket prod(1 + e_i) - 1);
- ``orthant_score_gap_bound`` (B_8 of C.8): d Phi_bar(R/sqrt v) 4R^2/v^2 + (1 - (1 -
  Phi_bar(R/sqrt v))^d) d' eps^2/(4 sigma^4), enclosed;
- ``score_gap_estimate``: C.8's left side, a confidence interval from samples of g_sigma;
- ``score_gap_sweep``: the float64 C.8 left side on a fixed grid, drawn with the recorded search
  points by ``plot_score_gap`` (the lemma's ``plots``).

C.8 at scale. At d = 64 (d' = 8, eps = 0.3, sigma = 0.5, Goldreich f seed 0, candidates = 8,
seed 7; run on 16 CPU cores in 5-10 s each) the intervals were: R/sqrt(v) = 2.8, n = 4e4
(candidates 10): [0.36, 1.97] vs B_8 = 4.54; R/sqrt(v) = 3.0, n = 6e4: [0.20, 1.27] vs
2.73; R/sqrt(v) = 3.3, n = 1e5: [0.058, 0.66] vs 1.17 (all STATISTICAL at 0.999). Reproduce with
``verify check C.8 d=64 d_out=8 R=3.3541 eps=0.3 sigma=0.5 f=goldreich f_seed=0 candidates=8
samples=60000 alpha=0.001 seed=7``. The quick profile stays at d <= 16: the Chernoff interval
needs n >> B/B_8 ~ 1/Phi_bar(R/sqrt v) samples, and at d = 64 every coordinate within about
v/R of a wall must be among the candidates for the enclosure to be tight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from flint import arb
from hypothesis import strategies as st

from verify.core.domain import Choice, Constraint, Domain, Integer, Real, Reals, finite_real
from verify.core.numbers import certified_max, normal_upper_tail, to_arb
from verify.core.plotting import pyplot, save
from verify.maths.instance import (
    FRESH_SAMPLES_FACTOR,
    Instance,
    beyond_bound,
    bounded_mean_interval,
    fresh_seed,
)
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


def instance_specs(max_d: int, search_d: tuple[int, int], search_d_out: tuple[int, int]):
    """The specs of an instance's parameters (f, d, d', R, eps, sigma) for a ``Domain``."""
    return {
        "d": Integer(1, max_d, search=search_d),
        "d_out": Integer(1, 64, search=search_d_out),
        "R": Real(0, math.inf, lo_open=True, hi_open=True),
        "eps": Real(0, 1, lo_open=True, hi_open=True),
        "sigma": Real(0, math.inf, lo_open=True, hi_open=True),
        "f": Choice(F_KINDS),
        "f_seed": Integer(0, 2**31 - 1, search=(0, 1000)),
        "f_value": Choice((1, -1)),
    }


POINT_DOMAIN = Domain(
    Constraint("x has d + d' entries", lambda p: len(p["x"]) == p["d"] + p["d_out"]),
    optional=("f", "f_seed", "f_value"),
    x=Reals(Real(-50, 50), 2, 72, doc="the point, d + d' coordinates"),
    **instance_specs(8, (1, 6), (1, 4)),
)


def f_fields(draw, d: int) -> dict[str, Any]:
    """Draw f's kind (Goldreich's only for d >= 5) and its seed or value."""
    kind = draw(st.sampled_from(F_KINDS if d >= 5 else F_KINDS[1:]))
    out: dict[str, Any] = {"f": kind}
    if kind == "goldreich":
        out["f_seed"] = draw(st.integers(0, 1000))
    if kind == "constant":
        out["f_value"] = draw(st.sampled_from([1, -1]))
    return out


@st.composite
def point_strategy(draw) -> dict[str, Any]:
    """C.6/C.7's search: a point near the vertices (|x_i| <= R + 4) whose comb coordinates sit on
    a tooth of either comb or anywhere in [-4, 4]."""
    d = draw(POINT_DOMAIN["d"].strategy())
    d_out = draw(POINT_DOMAIN["d_out"].strategy())
    R = draw(Real(0.25, 8.0, log=True).strategy())
    eps = draw(Real(0.02, 0.95, log=True).strategy())
    sigma = draw(Real(0.01, 3.0, log=True).strategy())
    head = [draw(st.sampled_from([1, -1])) * draw(st.floats(0.0, R + 4.0)) for _ in range(d)]
    # comb coordinates: on the phase-0 comb, on the phase-eps/2 comb, or anywhere
    tail = []
    for _ in range(d_out):
        k = draw(st.integers(-8, 8))
        where = draw(st.sampled_from(["zero", "half", "free"]))
        if where == "free":
            tail.append(draw(st.floats(-4.0, 4.0)))
        else:
            tail.append(k * eps + (eps / 2 if where == "half" else 0.0))
    params = {"d": d, "d_out": d_out, "R": R, "eps": eps, "sigma": sigma, "x": head + tail}
    params.update(f_fields(draw, d))
    return params


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


def comb_top(comb: dict[int, list[arb]], d_out: int) -> arb:
    """An enclosure of C.6's largest comb factor (``certified_max``: [max of the lower ends, max
    of the upper ends]); one ball picked by a float key could have the smaller lower end."""
    return certified_max([comb[b][j] for b in (1, -1) for j in range(d_out)])


@dataclass(frozen=True)
class ScoreGapEstimate:
    """C.8's left side from ``samples`` draws of g_sigma: a confidence interval [low, high] at
    level 1 - alpha for E|grad log g_sigma - u_{s(x)}|^2 (Hoeffding's Chernoff (KL) bound for
    variables in [0, B], distribution-free), the sample mean (of the upper ends), the a.s. bound
    B it rests on, and the samples certainly past B (``beyond``: evidence against the model,
    never clamped) with the largest lower end over B."""

    low: float
    high: float
    mean: float
    samples: int
    bound_max: float
    beyond: int = 0
    largest_over_bound: float = 0.0
    lower_values: Any = field(default=None, repr=False, compare=False)
    upper_values: Any = field(default=None, repr=False, compare=False)

    def interval(self, alpha: float) -> tuple[float, float]:
        """The same samples' interval at another level 1 - alpha."""
        return bounded_mean_interval(self.lower_values, self.upper_values, self.bound_max, alpha)


def score_gap_estimate(
    inst: Instance, sigma: float, samples: int, seed: int, alpha: float, candidates: int | None
) -> ScoreGapEstimate:
    """Sample x ~ g_sigma (torch generator seeded with ``seed``), enclose each point's gap
    (``Instance.score_gap_squared``: every seed, or the flips of ``candidates`` coordinates near
    the walls plus a bound of the rest) and bound the mean (``bounded_mean_interval``)."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    x, _ = inst.sample(samples, generator, sigma=sigma)
    lower, upper = inst.score_gap_squared(x, sigma, candidates=candidates)
    bound = inst.gap_bound_max(sigma)
    lo_values, hi_values = lower.numpy(), upper.numpy()
    low, high = bounded_mean_interval(lo_values, hi_values, bound, alpha)
    beyond, largest = beyond_bound(lo_values, bound)
    return ScoreGapEstimate(
        low,
        high,
        float(upper.mean()),
        x.shape[0],
        bound,
        beyond,
        largest,
        lo_values,
        hi_values,
    )


def score_gap_fresh(
    inst: Instance, sigma: float, samples: int, seed: int, alpha: float, candidates: int | None
) -> ScoreGapEstimate:
    """The re-draw of ``score_gap_estimate``: 4x the samples from an independent seed."""
    return score_gap_estimate(
        inst, sigma, FRESH_SAMPLES_FACTOR * samples, fresh_seed(seed), alpha, candidates
    )


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
