"""Figures of C.21 / Cor.3.5, drawn at report time from the recorded evaluations: the
score-network error against sigma (with the target d^-gamma) and the network's size against d."""

from __future__ import annotations

from typing import Any

from verify.core.plotting import pyplot, save
from verify.maths.nets.instance_network import fit_exponent, score_error_rows


def score_error_plots(lemma_id: str):
    def plots(records: list[dict[str, Any]], out_dir: Any) -> list[str]:
        plt = pyplot()

        rows = score_error_rows(records)
        if not rows:
            return []
        stem = lemma_id.replace(".", "_").lower()
        names = []
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        for d, gamma in sorted({(r["d"], r["gamma"]) for r in rows}):
            sel = [r for r in rows if (r["d"], r["gamma"]) == (d, gamma)]
            sel.sort(key=lambda r: r["sigma"])
            xs = [r["sigma"] for r in sel]
            ax.errorbar(
                xs,
                [max(r["mean"], 1e-16) for r in sel],
                # the bar reaches the mean's certified upper end where there is one (large sigma)
                yerr=[[0] * len(sel), [max(0.0, (r["hi"] or r["mean"]) - r["mean"]) for r in sel]],
                marker="o",
                label=f"d = d' = {d}, gamma = {gamma}",
            )
            ax.axhline(d**-gamma, ls="--", lw=0.8, color=ax.lines[-1].get_color())
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("sigma (scaled instance)")
        ax.set_ylabel("sigma^2 E|N - S|^2 (dashed: target d^-gamma)")
        ax.set_title(f"{lemma_id}: score-network error vs sigma")
        ax.legend(fontsize=8)
        names.append(save(fig, out_dir, f"{stem}_score_error_vs_sigma.png"))

        # One series per gamma: the largest size over the sigmas drawn, against d.
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
        for gamma in sorted({r["gamma"] for r in rows}):
            sizes: dict[int, tuple[int, float]] = {}
            for r in rows:
                if r["gamma"] == gamma:
                    old = sizes.get(r["d"], (0, 0.0))
                    sizes[r["d"]] = (
                        max(old[0], r["parameters"]),
                        max(old[1], r["max_abs_parameter"]),
                    )
            ds = sorted(sizes)
            for ax, k, what in ((axes[0], 0, "parameters"), (axes[1], 1, "max |param|")):
                values = [sizes[d][k] for d in ds]
                slope = fit_exponent(ds, values)
                label = f"gamma = {gamma}" + (f" (exp {slope:.2f})" if slope else "")
                ax.plot(ds, values, "o-", label=label)
                ax.set_ylabel(what)
        for ax in axes:
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("d = d'")
            ax.legend(fontsize=7)
        fig.suptitle(f"{lemma_id}: largest network size against d, per gamma")
        names.append(save(fig, out_dir, f"{stem}_size_vs_d.png"))
        return names

    return plots
