r"""Lemma B.2: rounding an observed coordinate to the nearer comb recovers its phase bit.

Setting (Definition 3.1, unscaled units; Definition 3.2 divides every length, eps and beta alike,
by sqrt(R^2 + 1), which leaves the statement unchanged). A comb coordinate of the instance sits
on eps Z (bit +1, phase 0) or on eps Z + eps/2 (bit -1); it is observed as y = x + eta with
eta ~ N(0, beta^2). The decoder (``Instance.decode_phases``) returns +1 iff y mod eps lies in
[0, eps/4] or (3 eps/4, eps). It errs only when eta lands within eps/4 of the other comb, i.e.
eta mod eps in (eps/4, 3 eps/4), so [derived]

.. math::
    P_{\mathrm{err}} = 2\sum_{k\ge0}\Big[\bar\Phi\big(\tfrac{(k+1/4)\epsilon}{\beta}\big)
      - \bar\Phi\big(\tfrac{(k+3/4)\epsilon}{\beta}\big)\Big]
      \le C\,P(|N(0,\beta^2)|\ge\epsilon/4) = C\,\mathrm{erfc}\big(\epsilon/(4\sqrt2\beta)\big),

and for the d' coordinates together P(decoded != f(s)) = 1 - (1 - P_err)^{d'} <= C d'
erfc(eps/(4 sqrt 2 beta)) (union bound), with C = 1. The bound is approached (ratio -> 1) as
beta/eps -> 0, where the two sides differ by about 2 Phi_bar(3 eps/(4 beta)).

Check. P_err is an arb enclosure: the sum is cut at K terms with the tail bounded by
Phi_bar(a_K)/(1 - exp(-a_K eps/beta)), a_K = (K + 1/4) eps/beta (log Phi_bar is concave with
slope <= -a, so consecutive tail values shrink by exp(-a eps/beta) at least). The decoder itself
is run on samples of the instance's comb coordinates (``Instance.sample_comb``, seeded) and its
error count gets a Clopper-Pearson interval that must contain P_err (two STATISTICAL parts: a
wrong formula or a wrong decoder is refuted). The sampled rate is not compared with the bound
itself: the two are nearly equal for small beta/eps, so that comparison is rarely decisive.

Step (4) of the paper's proof also rounds the first d coordinates back to the seed: for
x_{1:d} ~ N(R s, I), P(sign(x_{1:d}) != s) = 1 - (1 - Phi_bar(R))^d <= C d Phi_bar(R) (part
``seed_rounding``: arb, its slack certified from below by Bonferroni since d = 1 is an
equality), and the rate on samples gets a Clopper-Pearson interval that must contain it. R and
d are optional (defaults 2 and d'), so the search draws are unchanged. Every STATISTICAL part
is re-drawn with 4x the samples from an independent seed before a refutation.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Constraint, Domain, Integer, Real
from verify.core.numbers import normal_upper_tail, to_arb
from verify.core.stats import clopper_pearson
from verify.maths.instance import (
    FRESH_SAMPLES_FACTOR,
    Instance,
    fresh_seed,
    phase_decoder_error_probability,
)
from verify.maths.oneway import ConstantFunction

DOMAIN = Domain(
    Constraint("beta <= 10 eps", lambda p: p["beta"] <= 10 * p["eps"]),
    optional=("seed", "R", "d"),
    eps=Real(0, 1, lo_open=True, hi_open=True, search=(0.01, 0.99), log=True),
    beta=Real(0, 10, lo_open=True, doc="the measurement noise"),
    d_out=Integer(1, 4096, search=(1, 64), doc="observed coordinates"),
    samples=Integer(100, 10**7),
    seed=Integer(0, 2**63 - 1, search=(0, 10**6)),
    R=Real(0, 40, lo_open=True, doc="vertex scale, for the seed rounding (default 2)"),
    d=Integer(1, 4096, doc="seed length, for the seed rounding (default d')"),
)
DEFAULT_R = 2.0
# The seed-rounding draws come from their own stream, apart from the decoder's.
ROUNDING_SEED_OFFSET = 0xB2_0004


def _rounding_errors(R: float, d: int, n: int, seed: int) -> int:
    """Rows of n draws x_{1:d} ~ N(R s, I), s uniform, where sign(x_{1:d}) != s (step (4))."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    s = 1 - 2 * torch.randint(0, 2, (n, d), generator=generator, dtype=torch.float64)
    head = R * s + torch.randn(n, d, generator=generator, dtype=torch.float64)
    return int((torch.where(head >= 0, 1.0, -1.0) != s).any(dim=1).sum())


def _seed_rounding_parts(params: dict[str, Any], c: arb, n: int, seed: int) -> list[Part]:
    """Step (4) of B.2's proof: rounding x_{1:d} ~ N(R s, I) to signs recovers s except with
    probability 1 - (1 - Phi_bar(R))^d <= C d Phi_bar(R) (union bound; the slack certified from
    below by Bonferroni, an equality at d = 1), and the rate on samples (Clopper-Pearson)."""
    R, d = float(params.get("R", DEFAULT_R)), int(params.get("d", params["d_out"]))
    p = normal_upper_tail(to_arb(R))
    exact = -((d * (-p).log1p()).expm1())
    unit = d * p
    margin = (c - 1) * unit + arb(d * (d - 1) // 2) * p * p * (1 - (d - 2) * p / 3)
    own_seed = (seed + ROUNDING_SEED_OFFSET) % 2**63
    errors = _rounding_errors(R, d, n, own_seed)

    def interval(level: float, fresh: bool) -> tuple[arb, arb]:
        count, trials = errors, n
        if fresh:
            trials = FRESH_SAMPLES_FACTOR * n
            count = _rounding_errors(R, d, trials, fresh_seed(own_seed))
        lo, hi = clopper_pearson(count, trials, level)
        return to_arb(lo), to_arb(hi)

    lo, hi = interval(1e-3, False)
    data = {"rounding_errors": errors, "draws": n, "R": R, "d": d}
    return [
        Part("seed_rounding", exact, c * unit, "C", unit, margin=margin, data=data),
        Part(
            "seed_rounding_rate_above_interval_low",
            lo,
            exact,
            kind="statistical",
            confidence=1 - 1e-3,
            redraw=lambda level, fresh: (interval(level, fresh)[0], exact),
        ),
        Part(
            "seed_rounding_rate_below_interval_high",
            exact,
            hi,
            kind="statistical",
            confidence=1 - 1e-3,
            redraw=lambda level, fresh: (exact, interval(level, fresh)[1]),
        ),
    ]


@st.composite
def _params(draw) -> dict[str, Any]:
    eps = draw(DOMAIN["eps"].strategy())
    return {
        "eps": eps,
        "beta": eps * draw(Real(1 / 40, 2.0, log=True).strategy()),
        "d_out": draw(DOMAIN["d_out"].strategy()),
        "samples": 10000,
        "seed": draw(DOMAIN["seed"].strategy()),
    }


def _decoding_errors(eps: float, beta: float, n: int, seed: int) -> int:
    """Decoder errors on ``n`` noisy comb samples of uniform phase bits (generator ``seed``)."""
    import torch

    inst = Instance(ConstantFunction(1, 1), R=1.0, eps=eps)
    generator = torch.Generator().manual_seed(seed)
    bits = (1 - 2 * torch.randint(0, 2, (n,), generator=generator)).to(torch.int8)
    x = inst.sample_comb(bits, generator)
    y = x + beta * torch.randn(n, generator=generator, dtype=torch.float64)
    return int(np.sum(Instance.decode_phases(y, eps) != bits.numpy()))


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    eps, beta, d_out = float(params["eps"]), float(params["beta"]), int(params["d_out"])
    c = to_arb(constants["C"])
    p_err = phase_decoder_error_probability(eps, beta)
    unit = 2 * normal_upper_tail(to_arb(eps) / (4 * to_arb(beta)))  # P(|N(0, beta^2)| >= eps/4)
    vector = 1 - (1 - p_err) ** d_out
    parts = [
        Part("per_coordinate", p_err, c * unit, "C", unit),
        Part("all_coordinates", vector, c * d_out * unit, "C", d_out * unit),
    ]
    # the decoder on samples of the instance's comb coordinates
    n, seed = int(params["samples"]), int(params.get("seed", 0))
    errors = _decoding_errors(eps, beta, n, seed)
    alpha = 1e-3

    def intervals(level: float, count: int, trials: int) -> tuple[arb, arb]:
        lo, hi = clopper_pearson(count, trials, level)
        return to_arb(lo), to_arb(hi)

    def redraw_low(level: float, fresh: bool) -> tuple[arb, arb]:
        if not fresh:
            return intervals(level, errors, n)[0], p_err
        m = FRESH_SAMPLES_FACTOR * n
        return intervals(level, _decoding_errors(eps, beta, m, fresh_seed(seed)), m)[0], p_err

    def redraw_high(level: float, fresh: bool) -> tuple[arb, arb]:
        if not fresh:
            return p_err, intervals(level, errors, n)[1]
        m = FRESH_SAMPLES_FACTOR * n
        return p_err, intervals(level, _decoding_errors(eps, beta, m, fresh_seed(seed)), m)[1]

    lo, hi = intervals(alpha, errors, n)
    note = f"{errors} errors in {n} decodings"
    data = {"errors": errors, "decodings": n}
    parts += [
        Part(
            "exact_rate_above_interval_low",
            lo,
            p_err,
            kind="statistical",
            confidence=1 - alpha,
            note=note,
            data=data,
            redraw=redraw_low,
        ),
        Part(
            "exact_rate_below_interval_high",
            p_err,
            hi,
            kind="statistical",
            confidence=1 - alpha,
            note=note,
            data=data,
            redraw=redraw_high,
        ),
    ]
    parts += _seed_rounding_parts(params, c, n, seed)
    return parts


B2 = Lemma(
    id="B.2",
    title="The nearer-comb decoder recovers each phase bit unless |eta| >= eps/4",
    statement=(
        r"P(\mathrm{dec}(x+\eta)\ne b) = 2\sum_{k\ge0}\big[\bar\Phi((k+\tfrac14)\epsilon/\beta)"
        r"-\bar\Phi((k+\tfrac34)\epsilon/\beta)\big]\le C\,P(|N(0,\beta^2)|\ge\epsilon/4),"
        r"\quad P(\mathrm{dec}(y)\ne f(s))\le C\,d'\,P(|N(0,\beta^2)|\ge\epsilon/4),"
        r"\quad P(\mathrm{sign}(x_{1:d})\ne s)\le C\,d\,\bar\Phi(R)"
    ),
    domain=DOMAIN,
    constants=[Constant("C", 1, "error event inside {|eta| >= eps/4}; union over d' coords")],
    params=_params,
    check=_check,
    examples=[
        {"eps": 0.5, "beta": 0.05, "d_out": 8, "samples": 20000, "seed": 0},
        {"eps": 0.3, "beta": 0.3 / 40, "d_out": 1, "samples": 20000, "seed": 1},
        {"eps": 0.2, "beta": 0.2, "d_out": 64, "samples": 20000, "seed": 2},
    ],
    budget={"quick": 10, "standard": 150, "thorough": 800},
    depends_on=("B.1",),
)
