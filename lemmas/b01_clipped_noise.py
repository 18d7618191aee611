r"""Definition B.1: the clipped normal noise of the reduction, and what is checkable about it.

Setting (reconstructed; LEMMAS.md section 5 records that Definition B.1's noise is a clipped
normal and that B.4 moves to Gaussian noise by a total-variation step). The clipped normal
:math:`N_c(0,\beta^2)` is :math:`N(0,\beta^2)` conditioned on :math:`[-c, c]`; the reduction
measures each of the d' comb coordinates with independent clipped noise, c <= eps/4.

Facts checked [derived]:

- **mass**: :math:`m = P(|N(0,\beta^2)|\le c) = 1-2\bar\Phi(c/\beta) = \mathrm{erf}(c/(\beta
  \sqrt2))`, two computations (``Agreement``).
- **TV step** (B.3 to B.4): conditioning P on A gives :math:`TV(P(\cdot|A), P) = 1 - P(A)`, so
  :math:`TV(N_c(0,\beta^2)^{\otimes d'}, N(0,\beta^2 I_{d'})) = 1-m^{d'} \le C_{TV}\,2d'\bar
  \Phi(c/\beta)`, :math:`C_{TV}=1` (union bound; an equality at d' = 1). Both sides in arb;
  the bound's slack is certified from below by Bonferroni,
  :math:`(1-p)^{n}\ge 1-np+\binom n2p^2-\binom n3p^3` with :math:`p = 2\bar\Phi(c/\beta)`, which
  gives the part's ``margin`` :math:`(C_{TV}-1)np+\binom n2p^2(1-(n-2)p/3)` without cancellation.
- **decoding** (B.2 under clipped noise): with c <= eps/4 the nearer-comb decoder never errs
  (its error set is eta mod eps in (eps/4, 3eps/4), outside [-c, c] up to the endpoints, a null
  set). Checked on samples only (the count of errors must be 0): the part says so.
- **sampler**: the inversion sampler (``verify.maths.instance.sample_clipped_normal``) stays in
  [-c, c] (a draw past it is counted, never clamped) and its law matches: the event
  :math:`|\eta|\le c/2` has probability :math:`(1-2\bar\Phi(c/(2\beta)))/m`, which must lie in the
  Clopper-Pearson interval (exact binomial tails, level 1 - 1e-3; re-drawn with 4x the samples
  from an independent seed before a refutation).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Agreement, Constant, Lemma, Part
from verify.core.domain import Constraint, Domain, Integer, Real
from verify.core.numbers import normal_upper_tail, to_arb
from verify.core.stats import clopper_pearson
from verify.maths.instance import (
    FRESH_SAMPLES_FACTOR,
    Instance,
    clipped_normal_mass,
    clipped_normal_tv,
    fresh_seed,
    sample_clipped_normal,
)
from verify.maths.oneway import ConstantFunction

ALPHA = 1e-3

DOMAIN = Domain(
    Constraint("clip <= eps / 4 (the decoder's margin)", lambda p: p["clip"] <= p["eps"] / 4),
    Constraint(
        "clip / beta <= 30 (the TV slack stays resolvable)", lambda p: p["clip"] <= 30 * p["beta"]
    ),
    optional=("seed",),
    eps=Real(0, 1, lo_open=True, hi_open=True, search=(0.01, 0.99), log=True),
    beta=Real(0, 10, lo_open=True, doc="the measurement noise's scale"),
    clip=Real(0, 0.25, lo_open=True, doc="the clipping radius c"),
    d_out=Integer(1, 4096, search=(1, 64), doc="measured comb coordinates"),
    samples=Integer(100, 10**7),
    seed=Integer(0, 2**63 - 1, search=(0, 10**6)),
)


@st.composite
def _params(draw) -> dict[str, Any]:
    eps = draw(DOMAIN["eps"].strategy())
    clip = eps / 4 * draw(Real(0.05, 1.0).strategy())
    return {
        "eps": eps,
        "beta": clip / draw(Real(0.05, 5.0, log=True).strategy()),
        "clip": clip,
        "d_out": draw(DOMAIN["d_out"].strategy()),
        "samples": 10000,
        "seed": draw(DOMAIN["seed"].strategy()),
    }


def _draw(params: dict[str, Any], n: int, seed: int) -> tuple[int, int, int]:
    """(draws past the clip, draws with |eta| <= c/2, decoding errors) of n clipped draws added
    to comb points of uniform phase bits (generator ``seed``)."""
    import torch

    eps, beta, clip = float(params["eps"]), float(params["beta"]), float(params["clip"])
    generator = torch.Generator().manual_seed(seed)
    eta = sample_clipped_normal(n, beta, clip, generator)
    bits = (1 - 2 * torch.randint(0, 2, (n,), generator=generator)).to(torch.int8)
    x = Instance(ConstantFunction(1, 1), R=1.0, eps=eps).sample_comb(bits, generator)
    errors = int(np.sum(Instance.decode_phases(x + eta, eps) != bits.numpy()))
    beyond = int((eta.abs() > clip * (1 + 1e-12)).sum())
    return beyond, int((eta.abs() <= clip / 2).sum()), errors


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    beta, clip, n_out = to_arb(params["beta"]), to_arb(params["clip"]), int(params["d_out"])
    tail = normal_upper_tail(clip / beta)
    mass = clipped_normal_mass(clip, beta)
    parts = [Agreement("mass_two_ways", mass, (clip / (beta * arb(2).sqrt())).erf())]
    c_tv = to_arb(constants["C_TV"])
    p, unit = 2 * tail, 2 * n_out * tail
    pairs = arb(n_out * (n_out - 1) // 2)
    margin = (c_tv - 1) * unit + pairs * p * p * (1 - (n_out - 2) * p / 3)
    tv = clipped_normal_tv(clip, beta, n_out)
    parts.append(Part("tv_to_gaussian", tv, c_tv * unit, "C_TV", unit, margin=margin))

    n, seed = int(params["samples"]), int(params.get("seed", 0))
    beyond, inner, errors = _draw(params, n, seed)
    data = {"samples": n, "beyond_clip": beyond, "inner": inner, "decoding_errors": errors}
    parts.append(Part("samples_within_clip", Fraction(beyond), Fraction(0), data=data))
    note = "checked on the samples only: the count of decoding errors under clipped noise"
    parts.append(Part("decoder_exact_under_clipping", Fraction(errors), Fraction(0), note=note))

    exact = (1 - 2 * normal_upper_tail(clip / (2 * beta))) / mass

    def interval(level: float, fresh: bool) -> tuple[arb, arb]:
        count, trials = inner, n
        if fresh:
            trials = FRESH_SAMPLES_FACTOR * n
            count = _draw(params, trials, fresh_seed(seed))[1]
        lo, hi = clopper_pearson(count, trials, level)
        return to_arb(lo), to_arb(hi)

    lo, hi = interval(ALPHA, False)
    parts += [
        Part(
            "inner_rate_above_interval_low",
            lo,
            exact,
            kind="statistical",
            confidence=1 - ALPHA,
            redraw=lambda level, fresh: (interval(level, fresh)[0], exact),
        ),
        Part(
            "inner_rate_below_interval_high",
            exact,
            hi,
            kind="statistical",
            confidence=1 - ALPHA,
            redraw=lambda level, fresh: (exact, interval(level, fresh)[1]),
        ),
    ]
    return parts


B1 = Lemma(
    id="B.1",
    title="The clipped normal noise: its mass, its TV distance to Gaussian noise, its decoding",
    statement=(
        r"N_c(0,\beta^2)=N(0,\beta^2)\,|\,[-c,c];\ "
        r"TV(N_c(0,\beta^2)^{\otimes d'},N(0,\beta^2I))=1-(1-2\bar\Phi(c/\beta))^{d'}"
        r"\le C_{TV}\,2d'\bar\Phi(c/\beta);\ c\le\epsilon/4\Rightarrow\mathrm{dec}(x+\eta)=b"
    ),
    domain=DOMAIN,
    constants=[Constant("C_TV", 1, "TV(P(.|A), P) = 1 - P(A) and the union bound over d'")],
    params=_params,
    check=_check,
    examples=[
        {"eps": 0.5, "beta": 0.05, "clip": 0.125, "d_out": 8, "samples": 20000, "seed": 0},
        {"eps": 0.3, "beta": 0.3, "clip": 0.075, "d_out": 1, "samples": 20000, "seed": 1},
        {"eps": 0.2, "beta": 0.01, "clip": 0.05, "d_out": 64, "samples": 20000, "seed": 2},
    ],
    budget={"quick": 10, "standard": 150, "thorough": 800},
    depends_on=(),
)
