"""Full-scale figures for issue 6: C.21 network size and error, Thm.1.4 sampling, inversion cost.

Usage: ``python benchmarks/bench_full_scale.py --out DIR [--quick] [--parts size,error,sde,rej]``

Writes ``DIR/full_scale.json`` and PNG plots:
- size: parameter count and largest |parameter| of the C.21 networks against d = d' (the largest
  over the sigma grid), with least-squares exponents;
- error: sigma^2 E|N - S|^2 against sigma at d in {16, 64, 256} (reference: verify.maths.oracle),
  mean and the 0.999 normal-approximation upper end;
- sde: the reverse SDE on the networks at d = 64 and 256: fraction of samples whose decoded
  phases equal f(decoded seed), per-coordinate W1 to exact samples, seconds per sample;
- rej: rejection-sampling inversion (Algorithm 1 inside the B.4 reduction): unconditional draws and
  seconds per inversion against d', with the exponential growth rate fitted.

Measured (2026-11-23, the shared 2-core CI-like machine under load; d = d', R = sqrt(8 log 4d),
eps = 1/2, f = Goldreich, 1000 samples per point):
- size (max over the 10-point sigma grid): d = 8, 16, 32, 64, 128, 256 -> parameters 7980,
  20852, 48620, 133356, 324308, 929648 (fitted exponent 1.36); largest |parameter| 3.4e4 ..
  4.7e4 (exponent 0.10: it is c / sigma_min^2 at the fixed sigma_min = eps/20); depth 11.
- error: sigma^2 E|N - S|^2 <= 0.0089 (d = 16, target 1/16), <= 0.0016 (d = 64, target 1/64),
  <= 0.00039 (d = 256, target 1/256) at every grid sigma (0.999 normal-approximation upper ends).
- sde: decoded phases = f(decoded seed) for 96.2% / 98.9% of samples at d = 64 (40 / 60 steps),
  95.7% / 99.6% at d = 256; exact samples 100%; mean per-coordinate W1 to exact samples 0.027
  (d = 64, 60 steps) against 0.022 between two exact samples; the mixture score (no phases)
  gives 0% (tests). Sampling ~0.01-0.02 s per sample including the network builds.
- rej (d = 8, beta = 0.3, eps = 2): draws per inversion 10, 104, 556, 1643, 19995, 110457 for
  d' = 1..6: x6.1 per measured coordinate.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from lemmas.c21_instance_network import GRID, fit_exponent
from lemmas.t14_unconditional_sampling import run_sampler
from verify.maths.instance import Instance
from verify.maths.nets.instance_network import grid_network, score_error_samples
from verify.maths.oneway import GoldreichFunction
from verify.maths.samplers.inversion import (
    RejectionSampler,
    inversion_failures,
)


def size_vs_d(dims: list[int]) -> dict:
    rows = []
    for d in dims:
        started = time.perf_counter()
        sizes = [grid_network(d, i, GRID).size() for i in range(GRID)]
        rows.append(
            {
                "d": d,
                "parameters": max(s.parameters for s in sizes),
                "max_abs_parameter": max(s.max_abs_parameter for s in sizes),
                "depth": max(s.depth for s in sizes),
                "build_seconds": time.perf_counter() - started,
            }
        )
        print("size", rows[-1], flush=True)
    ds = [r["d"] for r in rows]
    return {
        "rows": rows,
        "parameter_exponent": fit_exponent(ds, [r["parameters"] for r in rows]),
        "weight_exponent": fit_exponent(ds, [r["max_abs_parameter"] for r in rows]),
    }


def error_vs_sigma(dims: list[int], samples: int) -> list[dict]:
    rows = []
    z = 3.2905267314919255
    for d in dims:
        for i in range(GRID):
            net = grid_network(d, i, GRID)
            _lower, upper, regime = score_error_samples(net, samples, 7, True)
            rows.append(
                {
                    "d": d,
                    "sigma": net.sigma,
                    "network_regime": net.regime,
                    "oracle_regime": regime,
                    "mean": float(upper.mean()),
                    "upper_0999": float(upper.mean()) + z * float(upper.std()) / math.sqrt(samples),
                    "median": float(np.median(upper)),
                    "target": 1 / d,
                }
            )
            print("error", rows[-1], flush=True)
    return rows


def sde_runs(dims: list[int], steps: list[int], samples: int) -> list[dict]:
    rows = []
    for d in dims:
        for k in steps:
            started = time.perf_counter()
            out = run_sampler(d, k, samples, 11, "network")
            broken = run_sampler(d, k, samples, 11, "mixture")
            rows.append(
                {
                    "d": d,
                    "steps": k,
                    "samples": samples,
                    **out,
                    "agreement_sde": 1 - out["sde_failures"] / samples,
                    "agreement_exact": 1 - out["exact_failures"] / samples,
                    "agreement_mixture_score": 1 - broken["sde_failures"] / samples,
                    "wall_seconds": time.perf_counter() - started,
                }
            )
            print("sde", rows[-1], flush=True)
    return rows


def rejection_cost(d_outs: list[int], trials: int) -> dict:
    rows = []
    generator = torch.Generator().manual_seed(5)
    beta, eps, R, d = 0.3, 2.0, 4.0, 8
    for d_out in d_outs:
        inst = Instance(GoldreichFunction(d, d_out, 0), R, eps, eps_max=4.0)
        sampler = RejectionSampler(inst, beta, max_draws=50_000_000, chunk=1 << 18)
        failures = inversion_failures(inst, beta, sampler, trials, generator)
        rows.append(
            {
                "d_out": d_out,
                "draws_per_inversion": sampler.stats.draws / trials,
                "seconds_per_inversion": sampler.stats.seconds / trials,
                "failure_rate": failures / trials,
                "gave_up": sampler.stats.gave_up,
            }
        )
        print("rej", rows[-1], flush=True)
    xs = [r["d_out"] for r in rows]
    slope, _ = np.polyfit(xs, np.log([r["draws_per_inversion"] for r in rows]), 1)
    return {
        "rows": rows,
        "beta": beta,
        "eps": eps,
        "R": R,
        "d": d,
        "growth_per_d_out": math.exp(slope),
    }


def plot_all(results: dict, out: Path) -> None:
    if "size" in results:
        rows = results["size"]["rows"]
        fig, ax = plt.subplots(figsize=(6, 4.2))
        ds = [r["d"] for r in rows]
        ax.plot(
            ds,
            [r["parameters"] for r in rows],
            "o-",
            label=f"parameters (exp {results['size']['parameter_exponent']:.2f})",
        )
        ax.plot(
            ds,
            [r["max_abs_parameter"] for r in rows],
            "s-",
            label=f"max |param| (exp {results['size']['weight_exponent']:.2f})",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("d = d'")
        ax.set_title("C.21 network size (max over the sigma grid)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "c21_size_vs_d.png", dpi=110)
        plt.close(fig)
    if "error" in results:
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        for d in sorted({r["d"] for r in results["error"]}):
            sel = [r for r in results["error"] if r["d"] == d]
            line = ax.plot(
                [r["sigma"] for r in sel],
                [max(r["mean"], 1e-18) for r in sel],
                "o-",
                label=f"d = d' = {d}",
            )[0]
            ax.plot(
                [r["sigma"] for r in sel],
                [r["upper_0999"] for r in sel],
                ":",
                color=line.get_color(),
            )
            ax.axhline(1 / d, ls="--", lw=0.8, color=line.get_color())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sigma (scaled)")
        ax.set_ylabel("sigma^2 E|N - S|^2 (dotted: 0.999 upper; dashed: 1/d)")
        ax.set_title("Cor.3.5: score error of the C.21 networks")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "cor35_error_vs_sigma.png", dpi=110)
        plt.close(fig)
    if "sde" in results:
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        for d in sorted({r["d"] for r in results["sde"]}):
            sel = [r for r in results["sde"] if r["d"] == d]
            ax.plot(
                [r["steps"] for r in sel],
                [r["agreement_sde"] for r in sel],
                "o-",
                label=f"reverse SDE, d = {d}",
            )
            ax.plot([r["steps"] for r in sel], [r["agreement_exact"] for r in sel], "k:")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("reverse-SDE steps")
        ax.set_ylabel("fraction with decoded phases = f(decoded seed)")
        ax.set_title("Thm.1.4: sampler agreement (dotted: exact samples)")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / "thm14_agreement.png", dpi=110)
        plt.close(fig)
    if "rej" in results:
        rows = results["rej"]["rows"]
        fig, ax = plt.subplots(figsize=(6, 4.2))
        ax.plot(
            [r["d_out"] for r in rows],
            [r["draws_per_inversion"] for r in rows],
            "o-",
            label=f"draws (x{results['rej']['growth_per_d_out']:.1f} per coordinate)",
        )
        ax.plot(
            [r["d_out"] for r in rows],
            [r["seconds_per_inversion"] for r in rows],
            "s-",
            label="seconds",
        )
        ax.set_yscale("log")
        ax.set_xlabel("d' (measured coordinates)")
        ax.set_title("B.4 with rejection sampling: cost per inversion")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "b04_rejection_cost.png", dpi=110)
        plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="benchmarks/out")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--parts", default="size,error,sde,rej")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parts = set(args.parts.split(","))
    results: dict = {}
    if "size" in parts:
        results["size"] = size_vs_d([8, 16, 32] if args.quick else [8, 16, 32, 64, 128, 256])
    if "error" in parts:
        results["error"] = error_vs_sigma([16] if args.quick else [16, 64, 256], 1000)
    if "sde" in parts:
        results["sde"] = sde_runs([16] if args.quick else [64, 256], [40, 60], 1000)
    if "rej" in parts:
        results["rej"] = rejection_cost([1, 2, 3] if args.quick else [1, 2, 3, 4, 5, 6], 40)
    (out / "full_scale.json").write_text(json.dumps(results, indent=1))
    plot_all(results, out)


if __name__ == "__main__":
    main()
