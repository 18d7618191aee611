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

from verify.core.contract import Agreement, Constant, Lemma, ModelMutant, Part
from verify.core.domain import Choice, Constraint, Domain, Integer, Real
from verify.core.numbers import to_arb
from verify.maths.samplers.gaussian_recursion import (
    bias_schedule,
    gaussian_run,
    w2_bound,
    w2_to_target,
)
from verify.maths.samplers.mixture_reverse_sde import (
    MIXTURES,
    Mixture1D,
    event_part,
    float_schedule,
    reverse_sde_samples_1d,
    tv_part,
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
    return float_schedule(params["sigma_max"], params["sigma_min"], params["steps"])


def _sampler_score(mu: float, s: float, eps: float):
    """The score the sampler runs on (tests replace it by a wrong one: the model mutant)."""
    return lambda x, sigma: -(x - mu) / (s * s + sigma * sigma) + eps / sigma


def _sample(params: dict[str, Any], n: int, seed: int, sampler_score: Any = None):
    """The real sampler in one coordinate, on the linear score of the target's Gaussian fit
    (the target itself when it is Gaussian)."""
    mu, s = _mu_s(params)
    # looked up at call time: the model mutants (and tests) plant a wrong score
    score = (sampler_score or _sampler_score)(mu, s, float(params["eps"]))
    return reverse_sde_samples_1d(score, mu, s, _schedule(params), n, seed)


def _tv_part(params, run, target: Mixture1D, constants, fit_scale: float) -> Part:
    """``fit_scale`` != 1 plants the model mutant: the law whose TV is taken comes from a
    sampler on the linear score of N(mu, (fit_scale s)^2), while the bound is the right one's."""
    sigmas = _schedule(params)
    law = run
    if fit_scale != 1.0:
        wrong = to_arb(target.variance) * fit_scale**2
        law = gaussian_run(
            sigmas, wrong.sqrt(), 0.0, wrong + to_arb(sigmas[0]) ** 2, _biases(params)
        )
    data = {"steps": params["steps"], "eps": params["eps"]}
    if "mixture" in params:
        data["mixture"] = params["mixture"]
    return tv_part(target, sigmas, run, law, constants["C_tv"], SCORE_LEVELS, data)


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
            _variance_two_ways(run),
        ]
        return parts + _event_parts(params, run, mu, sampler_score, shift_sds)
    run = gaussian_run(sigmas, s, 0.0, s * s + sigmas[0] ** 2, bias_schedule(sigmas, eps))
    distance = w2_to_target(run, s, d)
    unit = w2_bound(run, s, d)
    parts = [
        Part("w2", distance, to_arb(constants["C"]) * unit, "C", unit),
        _variance_two_ways(run),
    ]
    if d == 1:
        parts.append(_tv_part(params, run, target, constants, fit_scale))
    return parts + _event_parts(params, run, mu, sampler_score, shift_sds)


def _variance_two_ways(run) -> Agreement:
    return Agreement(
        "variance_two_ways",
        run.variance - run.target_variance,
        run.variance_error_unrolled,
        note="forward recursion against the unrolled error sum",
    )


def _event_parts(params, run, mu: float, sampler_score: Any, shift_sds: float) -> list[Part]:
    n, seed = params["samples"], params["seed"]
    shift = shift_sds * _mu_s(params)[1]
    parts: list[Part] = []
    samples = _sample(params, n, seed, sampler_score) + shift

    def resample():
        return _sample(params, FRESH_FACTOR * n, seed + FRESH_SEED_OFFSET, sampler_score) + shift

    centre = float((to_arb(mu) + run.mean_error).mid())
    spread = float(run.variance.sqrt().mid())
    parts.append(event_part("median_event", samples, centre, run, mu, resample, ALPHA))
    parts.append(event_part("sigma_event", samples, centre + spread, run, mu, resample, ALPHA))
    return parts


def _gaussian(*values: float) -> dict[str, Any]:
    """A Gaussian target's example: the values of ``_SEARCHED``, in its order."""
    return dict(zip(_SEARCHED, values, strict=True))


_GAUSSIAN_1D = _gaussian(1, 0.25, 0.5, 20.0, 0.02, 100, 0.0, 4000, 2)


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
        _gaussian(4, 0.5, 1.0, 20.0, 0.01, 200, 0.0, 4000, 0),
        _gaussian(64, -1.0, 0.3, 10.0, 0.05, 40, 0.2, 4000, 1),
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
