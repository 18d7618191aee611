r"""Theorem C.21 and Corollary 3.5: a polynomial ReLU network per sigma approximates the score.

Statement checked ([open] in LEMMAS.md; explicit form stated here). For the instance of
Definition 3.1 with d' = d, f = Goldreich's local function, :math:`R = \sqrt{8\log(4d)}`,
eps = 1/2 (``verify.maths.nets.instance_network.default_parameters``), and every noise level
of the grid (unscaled :math:`\sigma_u` from eps/20 to 10R), the network :math:`N_\sigma` of
``verify.maths.nets.instance_network`` satisfies

.. math:: \sigma^2\,\mathbb E_{x\sim\tilde g_\sigma}\|N_\sigma(x) - \tilde S_\sigma(x)\|^2
          \le K\,d^{-1}, \qquad K = 1,

- **C.21** in unscaled coordinates (the network :math:`N^{u}` for :math:`g_{\sigma_u}`),
- **Cor.3.5** for the scaled law :math:`\tilde g` (Definition 3.2, covariance <= I): the same
  quantity, since :math:`\tilde S(\tilde x) = cS(c\tilde x)` and :math:`\tilde\sigma = \sigma_u/c`
  make :math:`\tilde\sigma^2\|\cdot\|^2` scale-free; it is computed on the scaled network's own
  output (the c's folded into its weights), so it checks the reparameterisation too,

with :math:`\sigma^2 E\|\cdot\|^2` the normalisation of Definition 1.1 (the score has size
1/sigma). Size: :math:`\#\mathrm{params}(N_\sigma) \le K_P\,d^2` with :math:`K_P = 300` and
:math:`\max|\mathrm{param}| \le K_W\,c\,(1+\sigma_u^{-2})(R+10\sqrt{1+\sigma_u^2})` with
:math:`K_W = 4`: polynomial in d once :math:`\sigma_{\min} = 1/\mathrm{poly}(d)`, as C.21 claims.
Where it comes from: the knots (biases) reach :math:`R + 10\sqrt v`, the slopes of the comb
scores are of order :math:`1/\sigma_u^2`, and c is folded into the first and last layers. The piece
count of a 1-D score grows like (target)^{-1/4} = d^{1/4}, so the count grows like d^{5/4}; the
measured exponents are in the plot and the benchmark.

Check (STATISTICAL). n points x ~ g~_sigma; the reference score is ``verify.maths.oracle``'s
ScoreOracle (Hamming-ball or Gaussian-mixture regime, each with a rigorous per-point error bound
e_i). With D_i = sigma^2 |N(x_i) - S_ref(x_i)|^2 the true per-point value lies in
[sigma^2 max(0, |.| - e_i)^2, sigma^2 (|.| + e_i)^2]. The per-point error is heavy-tailed
(median 1e-12, mean 0.015, sd 0.3 at d = 8, sigma_u = 0.059: rare points near the vertex
identifier's ramp or a comb midpoint dominate). The left side's lower end, which alone can
refute, is distribution-free (``verify.core.stats.nonnegative_mean_lower`` on the lower values:
Hoeffding on values clipped at levels fixed by the right side, and each level times the
Clopper-Pearson lower bound of the chance to exceed it), and a refutation is confirmed at 1e-6
on the same samples and on four times as many fresh ones (``redraw``). The upper end is still
the normal approximation at 0.999 on the upper values: no almost-sure or moment bound of the
per-point error is certified yet, so a pass is indicative; the part's note says so. The size
parts are exact facts of the network (certified); K = 10^-4 is REFUTED (tests).
"""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Choice, Domain, Integer, integer
from verify.core.numbers import ball, to_arb
from verify.core.plotting import pyplot, save
from verify.core.stats import nonnegative_mean_lower
from verify.maths.nets.instance_network import grid_network, score_error_samples

CONFIDENCE = 0.999
LEVELS = tuple(2**k for k in range(17))  # fixed levels, as multiples of the right side K/d
FRESH_SEED_OFFSET = 0x5EED_C21
GRID = 10
DIMENSIONS = (8, 16, 64, 256)

DOMAIN = Domain(
    d=Choice(DIMENSIONS, doc="d = d' (networks are built per d)"),
    sigma_index=Integer(0, GRID - 1, doc="index on the 10-point grid (unscaled eps/20 .. 10 R)"),
    samples=Integer(100, 100_000),
    seed=Integer(0, 2**63 - 1, search=(0, 2**31 - 1)),
)


def _validate(params: dict[str, Any]) -> None:
    integer(params, "d")  # an int, not 16.0: the networks are cached per integer d


@st.composite
def _params(draw) -> dict[str, Any]:
    return {
        "d": draw(DOMAIN["d"].strategy()),
        "sigma_index": draw(DOMAIN["sigma_index"].strategy()),
        "samples": 1000,
        "seed": draw(DOMAIN["seed"].strategy()),
    }


def _score_error_interval(
    net, params: dict[str, Any], scaled: bool, rhs: Fraction, alpha: float, fresh: bool
) -> tuple[np.ndarray, np.ndarray, str, Any]:
    """The left side's interval at level 1 - alpha: its lower end distribution-free
    (``nonnegative_mean_lower`` on the per-point lower values, levels fixed by the right side;
    Hoeffding on clipped values and Clopper-Pearson on exceedances), its upper end the
    normal approximation (not distribution-free: no almost-sure bound of the error is known).
    ``fresh``: an independent draw (another seed) with four times the samples."""
    samples, seed = params["samples"], params["seed"]
    if fresh:
        samples, seed = 4 * samples, seed + FRESH_SEED_OFFSET
    lower, upper, regime = score_error_samples(net, samples, seed, scaled)
    caps = [rhs * k for k in LEVELS]
    lo = nonnegative_mean_lower(lower.tolist(), caps, alpha)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    hi = max(float(upper.mean()) + z * float(upper.std(ddof=1)) / math.sqrt(upper.size), float(lo))
    return lower, upper, regime, ball(lo, hi)


def _make_check(scaled: bool):
    def check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
        d = params["d"]
        net = grid_network(d, params["sigma_index"], GRID)
        rhs = constants["K"] * Fraction(1, d)
        found = _score_error_interval(net, params, scaled, rhs, 1 - CONFIDENCE, False)
        _, upper, regime, interval = found
        mean = float(upper.mean())

        def redraw(alpha: float, fresh: bool):
            return _score_error_interval(net, params, scaled, rhs, alpha, fresh)[3], to_arb(rhs)

        size = net.size()
        unit = Fraction(1, d)
        data = {
            "sigma": net.sigma,
            "sigma_unscaled": net.sigma_unscaled,
            "network_regime": net.regime,
            "oracle_regime": regime,
            "mean": mean,
            "parameters": size.parameters,
            "max_abs_parameter": size.max_abs_parameter,
            "depth": size.depth,
            "pieces": size.pieces,
        }
        size_unit = Fraction(d * d)
        inst = net.instance
        su, v = net.sigma_unscaled, 1 + net.sigma_unscaled**2
        weight_unit = inst.scale * (1 + su**-2) * (float(inst.R) + 10 * math.sqrt(v))
        return [
            Part(
                "score_error",
                interval,
                to_arb(constants["K"]) * to_arb(unit),
                "K",
                unit,
                kind="statistical",
                confidence=CONFIDENCE,
                note=(
                    "lower end distribution-free (Hoeffding on clipped values, Clopper-"
                    "Pearson on exceedances); upper end a normal approximation: no "
                    "almost-sure bound of the per-point error"
                ),
                data=data,
                redraw=redraw,
            ),
            Part(
                "parameter_count",
                Fraction(size.parameters),
                constants["K_P"] * size_unit,
                "K_P",
                size_unit,
            ),
            Part(
                "max_abs_parameter",
                to_arb(size.max_abs_parameter),
                to_arb(constants["K_W"]) * to_arb(weight_unit),
                "K_W",
                to_arb(weight_unit),
                note="largest |weight| or |bias| (float64 value of the network's parameter)",
            ),
        ]

    return check


def _rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for record in records:
        for part in record.get("parts", []):
            if part.get("name") == "score_error" and part.get("data"):
                lhs = part["lhs"]
                rows.append({**record["params"], **part["data"], "lo": lhs["lo"], "hi": lhs["hi"]})
    return rows


def fit_exponent(ds: list[float], values: list[float]) -> float | None:
    """Least-squares slope of log(value) against log(d)."""
    if len(set(ds)) < 2:
        return None
    slope, _ = np.polyfit(np.log(ds), np.log(values), 1)
    return float(slope)


def _make_plots(lemma_id: str):
    def plots(records: list[dict[str, Any]], out_dir: Any) -> list[str]:
        plt = pyplot()

        rows = _rows(records)
        if not rows:
            return []
        stem = lemma_id.replace(".", "_").lower()
        names = []
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        for d in sorted({r["d"] for r in rows}):
            sel = sorted((r for r in rows if r["d"] == d), key=lambda r: r["sigma"])
            xs = [r["sigma"] for r in sel]
            ax.errorbar(
                xs,
                [max(r["mean"], 1e-16) for r in sel],
                yerr=[[0] * len(sel), [max(0.0, r["hi"] - r["mean"]) for r in sel]],
                marker="o",
                label=f"d = d' = {d}",
            )
            ax.axhline(1 / d, ls="--", lw=0.8, color=ax.lines[-1].get_color())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sigma (scaled instance)")
        ax.set_ylabel("sigma^2 E|N - S|^2 (dashed: target 1/d)")
        ax.set_title(f"{lemma_id}: score-network error vs sigma")
        ax.legend(fontsize=8)
        names.append(save(fig, out_dir, f"{stem}_score_error_vs_sigma.png"))

        # One series per grid sigma (sizes depend on sigma); the benchmark reports the maximum
        # over the whole grid against d.
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
        for index in sorted({r["sigma_index"] for r in rows}):
            sizes: dict[int, tuple[int, float]] = {}
            for r in rows:
                if r["sigma_index"] == index:
                    sizes[r["d"]] = (r["parameters"], r["max_abs_parameter"])
            ds = sorted(sizes)
            for ax, k, what in ((axes[0], 0, "parameters"), (axes[1], 1, "max |param|")):
                values = [sizes[d][k] for d in ds]
                slope = fit_exponent(ds, values)
                label = f"grid sigma #{index}" + (f" (exp {slope:.2f})" if slope else "")
                ax.plot(ds, values, "o-", label=label)
                ax.set_ylabel(what)
        for ax in axes:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("d = d'")
            ax.legend(fontsize=7)
        fig.suptitle(f"{lemma_id}: network size against d at each grid sigma")
        names.append(save(fig, out_dir, f"{stem}_size_vs_d.png"))
        return names

    return plots


_CONSTANTS = [
    Constant("K", 1, "target of the construction: sigma^2 E|N - S|^2 <= 1/d"),
    Constant("K_P", 300, "parameter count <= K_P d^2 (construction: ~d^{5/4} comb pieces)"),
    Constant(
        "K_W",
        4,
        "largest |parameter| <= K_W c (1 + sigma_u^-2)(R + 10 sqrt(v)): knots, slopes, switch",
    ),
]
_EXAMPLES = [
    {"d": 16, "sigma_index": 1, "samples": 1000, "seed": 0},
    {"d": 16, "sigma_index": 5, "samples": 1000, "seed": 0},
]

C21 = Lemma(
    id="C.21",
    title="ReLU score network for the lower-bound instance, one per sigma (unscaled)",
    statement=(
        r"\sigma^2\,\mathbb E_{x\sim g_\sigma}\|N_\sigma(x)-\nabla\log g_\sigma(x)\|^2"
        r" \le K d^{-1},"
        r"\ \#\mathrm{params}(N_\sigma)\le K_P d^2,\ \max|\mathrm{param}|\le K_W c(1+\sigma_u^{-2})"
        r"(R+10\sqrt{1+\sigma_u^2})"
    ),
    domain=DOMAIN,
    constants=_CONSTANTS,
    params=_params,
    check=_make_check(scaled=False),
    validate=_validate,
    examples=_EXAMPLES,
    budget={"quick": 0, "standard": 20, "thorough": 60},
    plots=_make_plots("C.21"),
    depends_on=("C.15", "C.20"),
)

COR35 = Lemma(
    id="Cor.3.5",
    title="The scaled lower-bound distribution is well-modeled",
    statement=(
        r"\tilde\sigma^2\,\mathbb E_{x\sim\tilde g_{\tilde\sigma}}\|\tilde N_{\tilde\sigma}(x)"
        r"-\nabla\log\tilde g_{\tilde\sigma}(x)\|^2 \le K d^{-1},"
        r"\ \#\mathrm{params}\le K_P d^2,\ \max|\mathrm{param}|\le K_W c(1+\sigma_u^{-2})"
        r"(R+10\sqrt{1+\sigma_u^2})"
    ),
    domain=DOMAIN,
    constants=_CONSTANTS,
    params=_params,
    check=_make_check(scaled=True),
    validate=_validate,
    examples=_EXAMPLES,
    budget={"quick": 0, "standard": 20, "thorough": 60},
    plots=_make_plots("Cor.3.5"),
    depends_on=("C.21",),
)
