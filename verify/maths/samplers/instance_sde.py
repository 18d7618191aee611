"""The reverse SDE on the hard instance's score networks, and exact samples to compare it with.

Shared by Def.1.3 and Thm.1.4 (no lemma imports another): ``score_family`` builds the C.21
networks on the geometric grid of noise levels; ``network_sde_run`` runs the sampler and draws
two independent exact samples of the instance at the final level, from one seeded generator
(reverse SDE first, then the exact samples: the order the runs have always used);
``planted_instance_run`` the same record for a planted (tau, delta)-close sampler that moves
a delta fraction of exact samples onto the other comb (Thm.1.4's check at its bound).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

    from verify.maths.nets.instance_network import InstanceScoreFamily

SIGMA_MIN_UNSCALED = 0.025  # eps / 20 for eps = 1/2


@lru_cache(maxsize=6)
def score_family(d: int, steps: int) -> InstanceScoreFamily:
    from verify.maths.nets.instance_network import InstanceScoreFamily, make_instance

    inst = make_instance(d)
    c = inst.scale
    sigmas = np.geomspace(10 * float(inst.R), SIGMA_MIN_UNSCALED, steps + 1) / c
    return InstanceScoreFamily(inst, sigmas, 1.0 / d)


def sde_and_exact(inst: Any, score: Any, sigmas: Any, samples: int, seed: int) -> dict[str, Any]:
    """Reverse-SDE samples on ``score`` and two exact samples of ``inst`` at the last level."""
    import torch

    from verify.maths.samplers.sde import reverse_sde_sample

    schedule = torch.as_tensor(sigmas, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed)
    result = reverse_sde_sample(score, samples, inst.dim, schedule, generator, batch=2000)
    sigma_min = float(schedule[-1])
    exact, _ = inst.sample_scaled(samples, generator, sigma=sigma_min)
    exact2, _ = inst.sample_scaled(samples, generator, sigma=sigma_min)
    return {
        "instance": inst,
        "sde": result.samples,
        "exact": exact,
        "exact2": exact2,
        "seconds": result.seconds,
        "sigma_min": sigma_min,
    }


def planted_instance_run(d: int, samples: int, seed: int, bad_fraction: float) -> dict[str, Any]:
    """``sde_and_exact``'s record for a planted sampler in place of the reverse SDE: exact
    samples of the instance at the last level, each moved with probability ``bad_fraction`` by
    eps/2 (unscaled) along its first phase coordinate, onto the other comb (its decoded phase
    flips). The pair (exact draw, moved draw) couples the sampler with the instance and differs
    with probability ``bad_fraction`` exactly: the sampler is (tau, bad_fraction)-close for every
    tau, and its inconsistency rate exceeds the instance's by about ``bad_fraction`` (all of it
    when the exact draws are consistent), at most by ``bad_fraction``."""
    import time

    import torch

    from verify.maths.nets.instance_network import make_instance

    inst = make_instance(d)
    sigma_min = SIGMA_MIN_UNSCALED / inst.scale
    generator = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    planted, _ = inst.sample_scaled(samples, generator, sigma=sigma_min)
    moved = torch.rand(samples, generator=generator, dtype=torch.float64) < bad_fraction
    planted[moved, inst.d] += float(inst.eps) / 2 / inst.scale
    seconds = time.perf_counter() - started
    exact, _ = inst.sample_scaled(samples, generator, sigma=sigma_min)
    exact2, _ = inst.sample_scaled(samples, generator, sigma=sigma_min)
    return {
        "instance": inst,
        "sde": planted,
        "exact": exact,
        "exact2": exact2,
        "seconds": seconds,
        "sigma_min": sigma_min,
    }


@lru_cache(maxsize=4)
def network_sde_run(d: int, steps: int, samples: int, seed: int) -> dict[str, Any]:
    """``sde_and_exact`` on the C.21 networks (cached: Def.1.3 and Thm.1.4 share a run)."""
    family = score_family(d, steps)
    return sde_and_exact(family.instance, family, family.sigmas, samples, seed)


def closeness_part(
    sde: Any,
    exact: Any,
    tau: float,
    delta: float,
    alpha: float,
    rerun: Any,
    name: str = "closeness_lower",
):
    """The sampler is (tau, delta)-close to the instance only if delta_tau(SDE, exact) <= delta:
    the distribution-free lower confidence bound of ``verify.maths.closeness.delta_lower_bound``
    (split-sample half-space, Clopper-Pearson, level 1 - alpha) must not exceed delta.

    One-sided by necessity: there is no explicit coupling of the SDE's output with the instance,
    so the check can refute closeness, never prove it (STATISTICAL means "not refuted"). The
    two-sample matching estimate is recorded as data only. ``rerun(factor)`` returns fresh
    independent (sde, exact) samples, ``factor`` times as many, for the re-draw."""
    from verify.core.contract import Part
    from verify.maths.closeness import delta_lower_bound

    def bound(p: Any, q: Any, level: float):
        return delta_lower_bound(np.asarray(p), np.asarray(q), tau, level)

    lower, info = bound(sde, exact, alpha)
    target = Fraction(delta)

    def redraw(level: float, fresh: bool):
        if fresh:
            return bound(*rerun(4), level)[0], target
        return bound(sde, exact, level)[0], target

    return Part(
        name,
        lower,
        target,
        kind="statistical",
        confidence=1 - alpha,
        note=(
            f"lower confidence bound of delta at tau={tau:g}: {float(lower):.4f} "
            f"(P(A)={info.get('p_a', 0):.4f}, Q(A^tau)={info.get('q_a_tau', 0):.4f})"
        ),
        data={"tau": tau, "delta": delta, "delta_lower": float(lower), **info},
        redraw=redraw,
    )


@lru_cache(maxsize=8)
def posterior_family(d: int, d_out: int, steps: int) -> InstanceScoreFamily:
    """The C.21 networks of ``make_instance(d, d_out)`` (Thm.1.7 end to end: m = d' <= d)."""
    from verify.maths.nets.instance_network import InstanceScoreFamily, make_instance

    inst = make_instance(d, d_out)
    sigmas = np.geomspace(10 * float(inst.R), SIGMA_MIN_UNSCALED, steps + 1) / inst.scale
    return InstanceScoreFamily(inst, sigmas, 1.0 / d)


@lru_cache(maxsize=8)
def sde_pool(d: int, d_out: int, steps: int, samples: int, seed: int) -> Any:
    """``samples`` reverse-SDE draws on ``posterior_family(d, d_out, steps)`` (scaled units)."""
    import torch

    from verify.maths.samplers.sde import reverse_sde_sample

    family = posterior_family(d, d_out, steps)
    schedule = torch.as_tensor(family.sigmas, dtype=torch.float64)
    generator = torch.Generator().manual_seed(seed)
    dim = family.instance.dim
    return reverse_sde_sample(family, samples, dim, schedule, generator, batch=2000).samples


def pool_sampler(pool: Any) -> Any:
    """An unconditional sampler handing out the rows of ``pool`` in order (label 0): Algorithm 1
    run for at most ``len(pool)`` rounds on it consumes each reverse-SDE draw once."""
    import torch

    position = [0]

    def draw(count: int, gen: Any) -> tuple[Any, Any]:
        rows = pool[position[0] : position[0] + count]
        position[0] += len(rows)
        return rows, torch.zeros(len(rows), dtype=torch.long)

    return draw


# --- Thm.1.4's measures of a sampler on the instance -------------------------------------------


def mixture_score(instance):
    """The known-false score: the hypercube Gaussian mixture's at every level (no phases)."""
    import torch

    c, R, d = instance.scale, float(instance.R), instance.d

    def score(x_scaled, sigma):
        x = c * x_scaled
        v = 1 + (c * sigma) ** 2
        head = (R * torch.tanh(R * x[:, :d] / v) - x[:, :d]) / v
        return c * torch.cat([head, -x[:, d:] / v], 1)

    return score


def inconsistent(instance, x_scaled: torch.Tensor) -> torch.Tensor:
    """Rows whose decoded phases differ from f(decoded seed)."""
    import torch

    x = x_scaled * instance.scale
    seeds = instance.decode_seed(x)
    phases = instance.decode_phases(x[:, instance.d :], float(instance.eps))
    return torch.as_tensor((instance.outputs(seeds) != phases).any(axis=1))


def coordinate_w1(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean over coordinates of the W1 distance between the two samples' marginals."""
    import torch

    sa, _ = torch.sort(a, dim=0)
    sb, _ = torch.sort(b, dim=0)
    return float((sa - sb).abs().mean())
