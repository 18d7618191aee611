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
- ``tv`` (CERTIFIED, d = 1): the exact TV between the output's Gaussian law and p (closed form
  through the two crossing points of the densities) against C_tv (T_disc + u_K/(2 sqrt 2 s^2)),
  T_disc the Pinsker bound of the discretization (``verify.maths.samplers.mixture_reverse_sde``).

Gaussian-mixture targets (``mixture`` names a 1-D mixture p of ``mixture_reverse_sde.MIXTURES``;
d = 1, mu and s are then p's mean and standard deviation, not parameters): the sampler runs on
the *linear* score of p's Gaussian fit g (plus the bias eps/sigma), so its output is still
exactly Gaussian by the recursion. ``tv`` (CERTIFIED): TV(output, p), certified on cells with
exact cell masses, against C_tv (T_disc + sqrt(E)/2 + smoothing), E the certified integral of
the score error E_{p_u}|s_g - s_p|^2 du along the forward marginals (derivation in that
module: heat-flow identity for KL, monotone score error, Pinsker); the same
``variance_two_ways`` and event parts. W2 is certified both ways (moment lower bound, Villani's
TV-moment upper bound) and recorded as data: F.2 gives no W2 bound for a non-log-concave p.
The records carry E, T_disc and the smoothing term for the bound's shape in steps and score
error.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from flint import arb

from verify.core.contract import Agreement, Constant, Lemma, ModelMutant, Part
from verify.core.domain import Choice, Constraint, Domain, Integer, Real
from verify.core.numbers import lower, to_arb, upper
from verify.core.stats import clopper_pearson
from verify.maths.closeness import normal_cdf
from verify.maths.samplers.gaussian_recursion import (
    bias_schedule,
    gaussian_run,
    w2_bound,
    w2_to_target,
)
from verify.maths.samplers.mixture_reverse_sde import (
    MIXTURES,
    Mixture1D,
    discretization_tv_bound,
    distances,
    gaussian_tv,
    score_error_integral,
    score_levels,
    smoothing_tv_bound,
)

ALPHA = 0.01
FRESH_FACTOR = 4
FRESH_SEED_OFFSET = 1_000_003

SCORE_LEVELS = 16  # levels of the score-error integral (geometric, sigma_max^2 to sigma_min^2)

DOMAIN = Domain(
    Constraint("sigma_min < sigma_max", lambda p: p["sigma_min"] < p["sigma_max"]),
    optional=("mu", "s", "mixture"),
    d=Integer(1, 4096),
    mu=Real(-5, 5),
    s=Real(0.05, 5),
    sigma_max=Real(0.5, 100),
    sigma_min=Real(1e-3, 1, search=(1e-3, 0.3), log=True),
    steps=Integer(2, 4000, search=(5, 1000)),
    eps=Real(0, 1, doc="score error: bias eps/sigma per coordinate"),
    samples=Integer(1000, 200_000, search=(2000, 8000)),
    seed=Integer(0, 2**32 - 1, search=(0, 2**16)),
    mixture=Choice(tuple(MIXTURES), doc="a 1-D Gaussian-mixture target (then d = 1, no mu, s)"),
)
# The search draws Gaussian targets only, exactly as before the mixture targets were added.
_SEARCHED = ("d", "mu", "s", "sigma_max", "sigma_min", "steps", "eps", "samples", "seed")


def _search():
    from hypothesis import strategies as st

    strategy = st.fixed_dictionaries({name: DOMAIN[name].strategy() for name in _SEARCHED})
    return strategy.filter(lambda p: all(c.holds(p) for c in DOMAIN.constraints))


def _validate(params: dict[str, Any]) -> None:
    from verify.core.errors import DomainError

    if "mixture" in params:
        if params["d"] != 1 or "mu" in params or "s" in params:
            raise DomainError("a mixture target is one-dimensional (d = 1) and fixes mu and s")
    elif "mu" not in params or "s" not in params:
        raise DomainError("a Gaussian target needs mu and s")


def _mu_s(params: dict[str, Any]) -> tuple[float, float]:
    """The mean and standard deviation of the target (of its Gaussian fit for a mixture)."""
    if "mixture" in params:
        target = _target(params)
        return float(target.mean), float(target.variance) ** 0.5
    return float(params["mu"]), float(params["s"])


def _target(params: dict[str, Any]) -> Mixture1D:
    if "mixture" in params:
        return Mixture1D.named(params["mixture"])
    return Mixture1D.gaussian(float(params["mu"]), float(params["s"]))


def _schedule(params: dict[str, Any]) -> list[float]:
    import torch

    from verify.maths.samplers.sde import geometric_schedule

    sched = geometric_schedule(params["sigma_max"], params["sigma_min"], params["steps"])
    return [float(v) for v in sched.to(torch.float64)]


def _sampler_score(mu: float, s: float, eps: float):
    """The score the sampler runs on (tests replace it by a wrong one: the model mutant)."""
    return lambda x, sigma: -(x - mu) / (s * s + sigma * sigma) + eps / sigma


def _sample(params: dict[str, Any], n: int, seed: int, sampler_score: Any = None):
    """The real sampler in one coordinate, on the linear score of the target's Gaussian fit
    (the target itself when it is Gaussian)."""
    import torch

    from verify.maths.samplers.sde import reverse_sde_sample

    mu, s = _mu_s(params)
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


def _tv_part(params, run, target: Mixture1D, constants, fit_scale: float) -> Part:
    """TV(output, p) against C_tv (T_disc + sqrt(E)/2 + smoothing) (module docstring).
    ``fit_scale`` != 1 plants the model mutant: the law whose TV is taken comes from a sampler
    on the linear score of N(mu, (fit_scale s)^2), while the bound is the right model's."""
    sigmas = _schedule(params)
    mu, variance = to_arb(target.mean), to_arb(target.variance)
    law = run
    if fit_scale != 1.0:
        wrong = variance * fit_scale**2
        law = gaussian_run(
            sigmas, wrong.sqrt(), 0.0, wrong + to_arb(sigmas[0]) ** 2, _biases(params)
        )
    sigma_min = to_arb(sigmas[-1])
    disc = discretization_tv_bound(run)
    smooth = smoothing_tv_bound(target, sigma_min)
    data: dict[str, Any] = {"steps": params["steps"], "eps": params["eps"]}
    if len(target.weights) == 1:
        distance = gaussian_tv(mu + law.mean_error, law.variance, mu, variance)
        score_error = arb(0)
    else:
        levels = score_levels(sigmas[0], sigmas[-1], SCORE_LEVELS)
        score_error, errors, tail = score_error_integral(target, levels)
        found = distances(mu + law.mean_error, law.variance, target)
        distance = found.tv
        data.update(
            {
                "mixture": params["mixture"],
                "score_error_levels": [float(u.mid()) for u in levels],
                "score_error_at_levels": [float(e.upper()) for e in errors],
                "score_error_tail": float(tail.upper()),
                "w2_lower": float(found.w2_lower.lower()),
                "w2_upper": float(found.w2_upper.upper()),
            }
        )
    # the upper end of E's enclosure is itself a valid bound of E (and >= 0)
    score_term = arb(score_error.upper()).sqrt() / 2
    unit = disc + score_term + smooth
    data.update(
        {
            "tv_discretization": float(disc.upper()),
            "score_error_integral": float(score_error.upper()),
            "tv_score": float(score_term.upper()),
            "tv_smoothing": float(smooth.upper()),
        }
    )
    note = (
        f"TV {distance.str(5)} against T_disc {disc.str(3)} + sqrt(E)/2 {score_term.str(3)}"
        f" + smoothing {smooth.str(3)}"
    )
    return Part(
        "tv", distance, to_arb(constants["C_tv"]) * unit, "C_tv", unit, note=note, data=data
    )


def _biases(params: dict[str, Any]):
    return bias_schedule(_schedule(params), float(params["eps"]))


def _check(
    params: dict[str, Any],
    constants: dict[str, Fraction],
    sampler_score: Any = None,
    shift_sds: float = 0.0,
    fit_scale: float = 1.0,
) -> list[Part]:
    """``sampler_score`` and ``shift_sds`` (output moved by that many target standard
    deviations) plant the model mutants' wrong samplers; ``fit_scale`` the law of a sampler on
    the wrong linear score, whose TV is taken against the right bound."""
    target = _target(params)
    d, eps = params["d"], float(params["eps"])
    mu, s = _mu_s(params)
    sigmas = _schedule(params)
    if "mixture" in params:
        variance = to_arb(target.variance)
        run = gaussian_run(
            sigmas, variance.sqrt(), 0.0, variance + to_arb(sigmas[0]) ** 2, _biases(params)
        )
        parts = [
            _tv_part(params, run, target, constants, fit_scale),
            Agreement(
                "variance_two_ways",
                run.variance - run.target_variance,
                run.variance_error_unrolled,
                note="forward recursion against the unrolled error sum",
            ),
        ]
        return parts + _event_parts(params, run, mu, sampler_score, shift_sds)
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
    if d == 1:
        parts.append(_tv_part(params, run, target, constants, fit_scale))
    return parts + _event_parts(params, run, mu, sampler_score, shift_sds)


def _event_parts(params, run, mu: float, sampler_score: Any, shift_sds: float) -> list[Part]:
    n, seed = params["samples"], params["seed"]
    shift = shift_sds * _mu_s(params)[1]
    parts: list[Part] = []
    samples = _sample(params, n, seed, sampler_score) + shift

    def resample():
        return _sample(params, FRESH_FACTOR * n, seed + FRESH_SEED_OFFSET, sampler_score) + shift

    centre = float((to_arb(mu) + run.mean_error).mid())
    spread = float(run.variance.sqrt().mid())
    parts.append(_event_part("median_event", samples, centre, run, mu, resample))
    parts.append(_event_part("sigma_event", samples, centre + spread, run, mu, resample))
    return parts


_GAUSSIAN_1D = {
    "d": 1,
    "mu": 0.25,
    "s": 0.5,
    "sigma_max": 20.0,
    "sigma_min": 0.02,
    "steps": 100,
    "eps": 0.0,
    "samples": 4000,
    "seed": 2,
}


def _mixture(name: str, steps: int, eps: float) -> dict[str, Any]:
    return {
        "d": 1,
        "mixture": name,
        "sigma_max": 20.0,
        "sigma_min": 0.05,
        "steps": steps,
        "eps": eps,
        "samples": 4000,
        "seed": 3,
    }


F2 = Lemma(
    id="F.2",
    title=(
        "Reverse-SDE sampling of Gaussian and Gaussian-mixture targets: W2 and TV from steps "
        "and score error"
    ),
    statement=(
        r"W_2(\mathrm{law}(x_K), p)\le C\sqrt d\Big(\sqrt{B_m^2+B_v^2/w_K}+\sqrt{w_K}-s\Big),\ "
        r"B_m=\sum_k du_k\,\epsilon/\sigma_k,\ B_v=\sum_k du_k^2/w_k;\quad "
        r"\mathrm{TV}(\mathrm{law}(x_K), p)\le C_{tv}\Big(T_{disc}+\tfrac12\sqrt{E}"
        r"+\sum_i w_i\frac{u_K}{2\sqrt2\,t_i^2}\Big)\ (d = 1;\ p=\sum_i w_i N(\mu_i, t_i^2))"
    ),
    domain=DOMAIN,
    constants=[
        Constant("C", 1, "exact Gaussian recursion (gaussian_recursion docstring)"),
        Constant("C_tv", 1, "triangle + Pinsker + heat-flow KL (mixture_reverse_sde docstring)"),
    ],
    params=_search,
    validate=_validate,
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
        # d = 1: the exact TV beside W2; a Gaussian-mixture target on its fit's linear score
        _GAUSSIAN_1D,
        _mixture("three_skewed", 100, 0.0),
    ],
    profile_examples={
        "standard": [
            *(_mixture(name, steps, 0.0) for name in MIXTURES for steps in (25, 200)),
            _mixture("two_apart", 200, 0.1),
            {**_GAUSSIAN_1D, "steps": 25, "eps": 0.1},
        ]
    },
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
        ModelMutant(
            "TV taken on the law of a sampler scoring the fit N(mu, 4 s^2) (mixture target)",
            lambda params, constants: _check(params, constants, fit_scale=2.0),
            examples=[_mixture("three_skewed", 100, 0.0)],
        ),
    ],
)
