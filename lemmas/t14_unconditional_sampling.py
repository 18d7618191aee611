r"""Theorem 1.4: the VE reverse SDE driven by the C.21 networks samples the instance.

Statement checked (the consequence a reader can watch; Theorem 1.4 / F.2 in measurable form).
Run the discretized VE reverse SDE (Definition F.1, ``verify.maths.samplers.sde``) on the scaled
instance
:math:`\tilde g` with the score networks :math:`N_\sigma` of Corollary 3.5 (``verify.
instance_network``) on a geometric grid of noise levels, and decode each output: seed
:math:`\hat s = \mathrm{sign}(x_{1:d})`, phases :math:`\hat b_j` = nearer comb of
:math:`c\,x_{d+j}` (Lemma B.2's decoder). A sample is *consistent* when
:math:`\hat b = f(\hat s)`: every exact sample of :math:`\tilde g_{\sigma_{\min}}` is, up to the
smoothing (probability about :math:`d'\,2\bar\Phi(\epsilon/4\sigma_{\min})`). Theorem 1.4 says
the output law is (tau, delta)-close to :math:`\tilde g`, so its inconsistency rate can exceed
that of exact samples by at most about delta:

.. math:: \Pr[\hat b \ne f(\hat s)]_{\text{SDE}} \le \Pr[\hat b \ne f(\hat s)]_{\text{exact}}
          + K\,\delta_0, \qquad \delta_0 = 0.05,\ K = 1.

Check (STATISTICAL): both rates as Clopper-Pearson intervals at confidence 0.999 (each side
alpha/2); the part holds when the SDE interval's top is below the exact interval's bottom plus
K delta_0. The note records per-coordinate Wasserstein-1 distances between SDE and exact samples
(sorted-sample W1 of each coordinate's marginal, averaged over coordinates, in scaled units),
the same distance between two independent exact samples (the sampling noise floor), and the time
per sample. ``score = "mixture"`` is the known-false variant (the Gaussian-mixture score of the
large-sigma regime at every level: the phases are never encoded), which must be REFUTED.
At its bound (``score = "planted"``; the SDE reads K ~ 0, where a too-small K cannot show): a
sampler moving each exact sample onto the other comb of its first phase with probability
0.6 delta_0 (``instance_sde.planted_instance_run``: (tau, 0.6 delta_0)-close by its coupling)
reads K ~0.47 on 8000 samples (K = 1 passes, top ~0.75 delta_0); a K below that is REFUTED.

Closeness (``closeness_lower``, STATISTICAL at 0.999): Theorem 1.4's claim itself, checked with
Def.1.2's checker one-sidedly: the distribution-free lower confidence bound of
delta_tau(SDE, exact) at tau = 0.25 (scaled units; split-sample half-space and Clopper-Pearson,
``verify.maths.samplers.instance_sde.closeness_part``) must not exceed delta_0. With no explicit
coupling of the SDE's output with the instance it can refute closeness, never prove it.

Domain: d = d' in {8, 16, 64, 256}; steps (grid size - 1) in [12, 80].
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, ModelMutant, Part
from verify.core.domain import Choice, Domain, Integer, integer
from verify.core.numbers import ball, to_arb
from verify.core.plotting import pyplot, save
from verify.core.stats import clopper_pearson
from verify.maths.nets.instance_network import WORK_FAMILY
from verify.maths.samplers.instance_sde import (
    SIGMA_MIN_UNSCALED,
    closeness_part,
    coordinate_w1,
    inconsistent,
    mixture_score,
    network_sde_run,
    planted_instance_run,
    score_family,
    sde_and_exact,
)

# The networks and the SDE import torch: loaded when a point is checked, not at listing.
if TYPE_CHECKING:
    import torch


ALPHA = 1e-3
DELTA0 = Fraction(1, 20)
PLANTED_BAD_FRACTION = 0.6 * float(DELTA0)  # the planted sampler's delta (module docstring)
CLOSENESS_TAU = 0.25  # scaled units: the (tau, delta0)-closeness checked with Def.1.2's checker
FRESH_FACTOR = 4  # a re-draw confirming a refutation has this many times the samples
FRESH_SEED_OFFSET = 1_000_003  # the re-draw's seed, apart from the check's own
DIMENSIONS = (8, 16, 64, 256)


DOMAIN = Domain(
    d=Choice(DIMENSIONS, doc="d = d' of the instance"),
    steps=Integer(12, 80, doc="reverse-SDE steps"),
    samples=Integer(50, 20_000),
    seed=Integer(0, 2**32 - 1, search=(0, 2**31 - 1)),
    score=Choice(("network", "mixture", "planted"), doc="C.21 networks, known-false, planted"),
)


def _validate(params: dict[str, Any]) -> None:
    integer(params, "d", 5, 256)  # an int, not an equal float: it sizes the networks


@st.composite
def _params(draw) -> dict[str, Any]:
    # The standard profile's search is the full-scale run: d = d' = 64 and 256.
    d = draw(st.sampled_from((64, 256)))
    # Theorem 1.4 needs poly many steps: at 40 steps the inconsistency (~4%) sits at the
    # tolerance (measured), from 60 on it is ~1%. A sample costs ~5.5x more at d = 256 than at
    # d = 64 (measured, 60 steps: 28 CPU-s per 200 samples against 25 per 1000), so d = 256 runs
    # 60 steps on 500 samples (~70 CPU-s, not up to 190): the Clopper-Pearson top (level
    # 1 - 5e-4) of a 1% rate is then ~3.6% instead of ~2.6%, still below K delta_0 = 5%.
    steps = draw(st.sampled_from((60, 80))) if d == 64 else 60
    return {
        "d": d,
        "steps": steps,
        "samples": 1000 if d == 64 else 500,
        "seed": draw(DOMAIN["seed"].strategy()),
        "score": "network",
    }


def run_sampler(d: int, steps: int, samples: int, seed: int, score_kind: str) -> dict[str, Any]:
    """Statistics of one run (JSON-native), with the samples themselves under "_run"."""
    from verify.maths.nets.instance_network import make_instance

    if score_kind == "network":
        run = network_sde_run(d, steps, samples, seed)
        switch = score_family(d, steps).sigma_switch
    elif score_kind == "planted":
        run, switch = planted_instance_run(d, samples, seed, PLANTED_BAD_FRACTION), math.nan
    else:  # the known-false variant needs no networks
        inst = make_instance(d)
        sigmas = np.geomspace(10 * float(inst.R), SIGMA_MIN_UNSCALED, steps + 1) / inst.scale
        run, switch = sde_and_exact(inst, mixture_score(inst), sigmas, samples, seed), math.nan
    inst, sde, exact, exact2 = run["instance"], run["sde"], run["exact"], run["exact2"]
    return {
        "sde_failures": int(inconsistent(inst, sde).sum()),
        "exact_failures": int(inconsistent(inst, exact).sum()),
        "w1_sde_exact": coordinate_w1(sde, exact),
        "w1_exact_exact": coordinate_w1(exact2, exact),
        "seconds_per_sample": run["seconds"] / samples,
        "sigma_min": run["sigma_min"],
        "sigma_switch_unscaled": switch,
        "_run": run,
    }


def _rate_difference(counts: dict[str, Any], n: int, alpha: float) -> Any:
    """sde_rate - exact_rate as the difference of two Clopper-Pearson intervals, each at level
    1 - alpha/2 (exact binomial tails, distribution-free; union bound: level 1 - alpha)."""
    sde_lo, sde_hi = clopper_pearson(counts["sde_failures"], n, alpha / 2)
    ex_lo, ex_hi = clopper_pearson(counts["exact_failures"], n, alpha / 2)
    return ball(sde_lo - ex_hi, sde_hi - ex_lo)


def _shifted_by_three_tau(sde: torch.Tensor) -> torch.Tensor:
    """The model mutant's output: the first coordinate moved by 3 tau."""
    moved = sde.clone()
    moved[:, 0] += 3 * CLOSENESS_TAU
    return moved


def _check(
    params: dict[str, Any], constants: dict[str, Fraction], sampler_output: Any = None
) -> list[Part]:
    """``sampler_output`` maps the reverse-SDE samples to a planted wrong output (the model
    mutant) before the closeness part sees them."""
    output = sampler_output or (lambda sde: sde)
    n = params["samples"]
    out = run_sampler(params["d"], params["steps"], n, params["seed"], params["score"])
    # sde_rate <= exact_rate + K delta_0, i.e. sde_rate - exact_rate <= K delta_0: the left side
    # is the difference of the two Clopper-Pearson intervals (union bound: level 1 - ALPHA).
    unit = to_arb(DELTA0)
    bound = to_arb(constants["K"]) * unit

    def redraw(alpha: float, fresh: bool) -> tuple[Any, Any]:
        counts, total = out, n
        if fresh:  # an independent run (its own seed) with FRESH_FACTOR times the samples
            total = FRESH_FACTOR * n
            seed = params["seed"] + FRESH_SEED_OFFSET
            counts = run_sampler(params["d"], params["steps"], total, seed, params["score"])
        return _rate_difference(counts, total, alpha), bound

    run = out.pop("_run")

    def rerun(factor: int):
        seed = params["seed"] + FRESH_SEED_OFFSET
        fresh = run_sampler(params["d"], params["steps"], factor * n, seed, params["score"])
        return output(fresh["_run"]["sde"]).numpy(), fresh["_run"]["exact"].numpy()

    closeness = closeness_part(
        output(run["sde"]).numpy(), run["exact"].numpy(), CLOSENESS_TAU, float(DELTA0), ALPHA, rerun
    )
    return [
        closeness,
        Part(
            "inconsistency_rate",
            _rate_difference(out, n, ALPHA),
            bound,
            "K",
            unit,
            kind="statistical",
            confidence=1 - ALPHA,
            note=(
                f"{out['sde_failures']}/{n} reverse-SDE samples and {out['exact_failures']}/{n} "
                "exact samples have phases other than f(decoded seed)"
            ),
            # JSON has no NaN (sigma_switch of the mixture variant): None stands for it
            data={
                k: None if isinstance(v, float) and math.isnan(v) else v
                for k, v in {**out, "samples": n}.items()
            },
            redraw=redraw,
        ),
    ]


def _plots(records: list[dict[str, Any]], out_dir: Any) -> list[str]:
    plt = pyplot()

    rows = []
    for record in records:
        for part in record.get("parts", []):
            if part.get("name") == "inconsistency_rate":
                rows.append({**record["params"], **(part.get("data") or {})})
    rows = [r for r in rows if r.get("score") == "network" and "sde_failures" in r]
    if not rows:
        return []
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    ds = sorted({r["d"] for r in rows})
    for d in ds:
        sel = sorted((r for r in rows if r["d"] == d), key=lambda r: r["steps"])
        steps = [r["steps"] for r in sel]
        axes[0].plot(
            steps, [1 - r["sde_failures"] / r["samples"] for r in sel], "o-", label=f"SDE d={d}"
        )
        axes[0].plot(steps, [1 - r["exact_failures"] / r["samples"] for r in sel], "k:", alpha=0.5)
        axes[1].plot(steps, [r["w1_sde_exact"] for r in sel], "o-", label=f"SDE vs exact d={d}")
        axes[1].plot(steps, [r["w1_exact_exact"] for r in sel], "k:", alpha=0.5)
    axes[0].set_xlabel("reverse-SDE steps")
    axes[0].set_ylabel("fraction with phases = f(seed) (dotted: exact)")
    axes[0].set_ylim(-0.02, 1.02)
    axes[0].legend(fontsize=8)
    axes[1].set_xlabel("reverse-SDE steps")
    axes[1].set_ylabel("mean per-coordinate W1 (dotted: exact vs exact)")
    axes[1].legend(fontsize=8)
    fig.suptitle("Thm.1.4: reverse SDE on the C.21 networks vs exact samples of g~")
    return [save(fig, out_dir, "thm_1_4_sampler_agreement.png")]


_FIXED = {"d": 16, "steps": 60, "samples": 1000, "seed": 0}
_MUTANT_POINT = {"d": 8, "steps": 60, "samples": 600, "seed": 0}

T14 = Lemma(
    id="Thm.1.4",
    title="Unconditional sampling by the reverse SDE on the instance's score networks",
    statement=(
        r"\Pr_{\mathrm{SDE}}[\hat b\ne f(\hat s)] \le \Pr_{x\sim\tilde g_{\sigma_{\min}}}"
        r"[\hat b\ne f(\hat s)] + K\delta_0,\ \delta_0 = 1/20"
    ),
    domain=DOMAIN,
    constants=[Constant("K", 1, "tolerance delta_0 = 1/20 of the (tau, delta)-closeness")],
    params=_params,
    check=_check,
    validate=_validate,
    examples=[{**_FIXED, "score": "network"}, {**_FIXED, "samples": 8000, "score": "planted"}],
    budget={"quick": 0, "standard": 3, "thorough": 7},
    plots=_plots,
    depends_on=("F.2", "Cor.3.5", "Def.1.1", "Def.1.3"),
    work_family=WORK_FAMILY,
    model_mutants=[
        ModelMutant(
            "sampler shifted by 3 tau",
            lambda params, constants: _check(params, constants, _shifted_by_three_tau),
            # at d = 8: at d = 16 the split-sample half-space of 1000 draws is too noisy for
            # the refutation level 1e-6 (INCONCLUSIVE, measured)
            examples=[{**_MUTANT_POINT, "score": "network"}],
        ),
        ModelMutant(
            "score of the wrong law (the Gaussian mixture's at every level)",
            _check,
            examples=[{**_MUTANT_POINT, "score": "mixture"}],
        ),
    ],
)
