r"""Theorem F.2 on Gaussian targets: the discretized VE reverse SDE with exact or biased linear
scores, its law computed exactly.

For p = N(mu, s^2 I_d) the sampler of ``verify.maths.samplers.sde`` (Euler-Maruyama in
u = sigma^2 on a geometric schedule of ``steps`` steps from sigma_max to sigma_min, started at
p_{sigma_max} = N(mu, (s^2 + sigma_max^2) I)) with the score -(x - mu)/(s^2 + sigma^2) + eps/sigma
(a score error of size eps/sigma per coordinate) outputs exactly N(mu + m_K, v_K I), by the
recursion derived in ``verify.maths.samplers.gaussian_recursion``. Parts:

- ``w2`` (CERTIFIED): W2(output, p) <= C sqrt(d) (sqrt(B_m^2 + B_v^2/w_K) + sqrt(w_K) - s),
  w_K = s^2 + sigma_min^2, with
  B_m = sum du_k eps/sigma_k (the score error), B_v = sum du_k^2/w_k (the discretization,
  O(log(sigma_max/sigma_min)/steps) sigma_max^2), C = 1 (derived in that module).
- ``variance_two_ways`` (AGREEMENT): v_K - w_K from the forward recursion against the unrolled
  sum of the variance-error recursion, evaluated from the last step back.
- ``median_event`` and ``sigma_event`` (STATISTICAL, level 1 - ALPHA each): the real sampler
  code run in one coordinate (the coordinates are independent and identically distributed):
  the Clopper-Pearson interval of P(x <= t) for t = mu + m_K and t = mu + m_K + sqrt(v_K)
  (thresholds rounded to floats; the exact probability Phi((t - mu - m_K)/sqrt(v_K)) of the
  rounded threshold is enclosed) must meet that probability. This ties the recursion to the
  sampler: a sampler with another score or schedule is refuted. A refutation is confirmed at
  1e-6 on the same samples and on an independent re-draw of four times as many.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from verify.core.contract import Agreement, Constant, Lemma, ModelMutant, Part
from verify.core.domain import Constraint, Domain, Integer, Real
from verify.core.numbers import lower, to_arb, upper
from verify.core.stats import clopper_pearson
from verify.maths.closeness import normal_cdf
from verify.maths.samplers.gaussian_recursion import (
    bias_schedule,
    gaussian_run,
    w2_bound,
    w2_to_target,
)

ALPHA = 0.01
FRESH_FACTOR = 4
FRESH_SEED_OFFSET = 1_000_003

DOMAIN = Domain(
    Constraint("sigma_min < sigma_max", lambda p: p["sigma_min"] < p["sigma_max"]),
    d=Integer(1, 4096),
    mu=Real(-5, 5),
    s=Real(0.05, 5),
    sigma_max=Real(0.5, 100),
    sigma_min=Real(1e-3, 1, search=(1e-3, 0.3), log=True),
    steps=Integer(2, 4000, search=(5, 1000)),
    eps=Real(0, 1, doc="score error: bias eps/sigma per coordinate"),
    samples=Integer(1000, 200_000, search=(2000, 8000)),
    seed=Integer(0, 2**32 - 1, search=(0, 2**16)),
)


def _schedule(params: dict[str, Any]) -> list[float]:
    import torch

    from verify.maths.samplers.sde import geometric_schedule

    sched = geometric_schedule(params["sigma_max"], params["sigma_min"], params["steps"])
    return [float(v) for v in sched.to(torch.float64)]


def _sampler_score(mu: float, s: float, eps: float):
    """The score the sampler runs on (tests replace it by a wrong one: the model mutant)."""
    return lambda x, sigma: -(x - mu) / (s * s + sigma * sigma) + eps / sigma


def _sample(params: dict[str, Any], n: int, seed: int, sampler_score: Any = None):
    import torch

    from verify.maths.samplers.sde import reverse_sde_sample

    mu, s = float(params["mu"]), float(params["s"])
    schedule = torch.as_tensor(_schedule(params), dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    # looked up at call time: the model mutants (and tests) plant a wrong score
    score = (sampler_score or _sampler_score)(mu, s, float(params["eps"]))
    out = reverse_sde_sample(score, n, 1, schedule, gen, prior_mean=mu, data_variance=s * s)
    return out.samples[:, 0].numpy()


def _event_part(name: str, samples, threshold: float, run, mu: float, resample) -> Part:
    exact = normal_cdf((to_arb(threshold) - to_arb(mu) - run.mean_error) / run.variance.sqrt())

    def gap_at(values, alpha: float) -> Fraction:
        lo, hi = clopper_pearson(int((values <= threshold).sum()), len(values), alpha)
        return max(Fraction(0), lower(exact) - hi, lo - upper(exact))

    def redraw(alpha: float, fresh: bool) -> tuple[Fraction, Fraction]:
        return gap_at(resample() if fresh else samples, alpha), Fraction(0)

    count = int((samples <= threshold).sum())
    return Part(
        name,
        gap_at(samples, ALPHA),
        Fraction(0),
        kind="statistical",
        confidence=1 - ALPHA,
        note=f"{count}/{len(samples)} below {threshold:.6g}; exact {exact.str(6)}",
        data={"count": count, "n": len(samples), "exact": float(exact.mid())},
        redraw=redraw,
    )


def _check(
    params: dict[str, Any],
    constants: dict[str, Fraction],
    sampler_score: Any = None,
    shift_sds: float = 0.0,
) -> list[Part]:
    """``sampler_score`` and ``shift_sds`` (output moved by that many target standard
    deviations) plant the model mutants' wrong samplers."""
    d, mu, s, eps = params["d"], float(params["mu"]), float(params["s"]), float(params["eps"])
    sigmas = _schedule(params)
    run = gaussian_run(sigmas, s, 0.0, s * s + sigmas[0] ** 2, bias_schedule(sigmas, eps))
    distance = w2_to_target(run, s, d)
    unit = w2_bound(run, s, d)
    parts = [
        Part("w2", distance, to_arb(constants["C"]) * unit, "C", unit),
        Agreement(
            "variance_two_ways",
            run.variance - run.target_variance,
            run.variance_error_unrolled,
            note="forward recursion against the unrolled error sum",
        ),
    ]
    n, seed = params["samples"], params["seed"]
    shift = shift_sds * float(params["s"])
    samples = _sample(params, n, seed, sampler_score) + shift

    def resample():
        return _sample(params, FRESH_FACTOR * n, seed + FRESH_SEED_OFFSET, sampler_score) + shift

    centre = float((to_arb(mu) + run.mean_error).mid())
    spread = float(run.variance.sqrt().mid())
    parts.append(_event_part("median_event", samples, centre, run, mu, resample))
    parts.append(_event_part("sigma_event", samples, centre + spread, run, mu, resample))
    return parts


F2 = Lemma(
    id="F.2",
    title="Reverse-SDE sampling of a Gaussian: W2 to the target from steps and score error",
    statement=(
        r"W_2(\mathrm{law}(x_K), p)\le C\sqrt d\Big(\sqrt{B_m^2+B_v^2/w_K}+\sqrt{w_K}-s\Big),\ "
        r"B_m=\sum_k du_k\,\epsilon/\sigma_k,\ B_v=\sum_k du_k^2/w_k"
    ),
    domain=DOMAIN,
    constants=[Constant("C", 1, "exact Gaussian recursion (gaussian_recursion docstring)")],
    check=_check,
    examples=[
        {
            "d": 4,
            "mu": 0.5,
            "s": 1.0,
            "sigma_max": 20.0,
            "sigma_min": 0.01,
            "steps": 200,
            "eps": 0.0,
            "samples": 4000,
            "seed": 0,
        },
        {
            "d": 64,
            "mu": -1.0,
            "s": 0.3,
            "sigma_max": 10.0,
            "sigma_min": 0.05,
            "steps": 40,
            "eps": 0.2,
            "samples": 4000,
            "seed": 1,
        },
    ],
    budget={"quick": 4, "standard": 60, "thorough": 300},
    depends_on=(),
    model_mutants=[
        ModelMutant(
            "sampler scoring the wrong law N(mu, 4 s^2)",
            lambda params, constants: _check(
                params, constants, lambda mu, s, eps: _sampler_score(mu, 2 * s, eps)
            ),
        ),
        ModelMutant(
            "sampler shifted by 3 s",
            lambda params, constants: _check(params, constants, shift_sds=3.0),
        ),
    ],
)
