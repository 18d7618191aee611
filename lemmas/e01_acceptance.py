r"""Lemma E.1 (the acceptance bound of rejection sampling), explicit form.

Statement checked (LEMMAS.md, [derived form]). Let p be a law on R^m with E|x|^2 <= M,
x ~ p, y = x + eta, eta ~ N(0, beta^2 I_m). For delta in (0, 1) and 0 < r <= R_delta =
sqrt(M / delta), with probability at least 1 - 3 delta over (x, y),

.. math::
    P_{x'\sim p}\Big(|x' - y| \le 2r + \beta\sqrt{m + 2\sqrt{m\log(1/\delta)}
      + 2\log(1/\delta)}\Big) \;\ge\; C\,\delta\,\Big(\frac{r}{3R_\delta}\Big)^m,\qquad C = 1.

Derivation. Markov: P(|x| > R_delta) <= delta. Cover B(0, R_delta) by N <= (3R_delta/r)^m
balls of radius r (H.10); the cells of mass < delta/N carry total mass < delta. H.9 with
t = log(1/delta): P(|eta| > beta sqrt(m + 2 sqrt(mt) + 2t)) <= delta. Outside these three
events x lies in a cell C of mass >= delta/N; C has diameter <= 2r and |y - x| = |eta|, so the
ball B(y, 2r + |eta|) contains C, and its mass is >= delta/N >= delta (r/(3R_delta))^m.

Check, on isotropic Gaussian mixtures in R^m (m <= 32), with M = E|x|^2 exactly:
- ``inner_quantile`` (STATISTICAL): the statement says the 3 delta-quantile xi of the inner
  probability g(y) = P(|x' - y| <= rho) over (x, y) is >= the bound (xi >= b implies
  P(g < b) <= 3 delta). We draw n pairs (x, y), enclose every g(y_i) in arb (non-central
  chi-square with certified truncation), and form a distribution-free confidence interval for
  xi from order statistics (``quantile_confidence_interval``, level 1 - alpha).
  The part is STATISTICAL when the lower confidence end clears the bound; when the upper end is
  below it the engine confirms the refutation at level 1 - 1e-6 on the same draws and on an
  independent re-draw of 4n pairs (``Part.redraw``), else the point is INCONCLUSIVE. Its
  empirical constant is (interval midpoint) / (delta (r/3R)^m): how loose
  the bound is.
- ``markov_step`` (CERTIFIED): P(|x| > R_delta) <= delta, the exact mixture tail.
- ``noise_step`` (CERTIFIED): P(|eta| > beta sqrt(m + 2 sqrt(mL) + 2L)) <= delta (H.9).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Constraint, Domain, Integer, Real
from verify.core.numbers import to_arb
from verify.maths.chisquare import chi2_sf
from verify.maths.samplers.posterior_evidence import quantile_ball
from verify.maths.samplers.rejection import GaussianMixture, e1_bound, e1_radius

ALPHA = 0.01  # the confidence level of the statistical part is 1 - ALPHA
FRESH_FACTOR = 4  # a re-draw confirming a refutation has this many times the measurements
FRESH_SEED_OFFSET = 1_000_003  # the re-draw's generator, apart from the check's own
MAX_M = 32


DOMAIN = Domain(
    Constraint("std_lo <= std_hi", lambda p: p["std_lo"] <= p["std_hi"]),
    m=Integer(1, MAX_M, doc="dimension (A = I)"),
    components=Integer(1, 4),
    spread=Real(0, 10, doc="the component means are N(0, spread^2 I)"),
    std_lo=Real(1e-2, 3),
    std_hi=Real(1e-2, 6),
    beta=Real(1e-3, 10),
    delta=Real(1e-3, 0.33),
    r_frac=Real(1e-6, 1, doc="r = r_frac R_delta"),
    samples=Integer(20, 5000, doc="measurements y drawn for the quantile"),
    seed=Integer(0, 2**32 - 1, search=(0, 2**16)),
)


@st.composite
def _params(draw) -> dict[str, Any]:
    # stds at least beta/5 keep the non-central parameters (~ m (1 + beta^2/s^2)) moderate,
    # which bounds the series length; ``verify check`` accepts any point of the domain.
    beta = draw(st.sampled_from([0.05, 0.1, 0.3, 1.0, 3.0]))
    std_lo = draw(st.sampled_from([0.05, 0.2, 0.5, 1.0, 3.0]).filter(lambda s: s >= beta / 5))
    return {
        "m": draw(st.one_of(st.integers(1, 8), st.integers(9, MAX_M))),
        "components": draw(DOMAIN["components"].strategy()),
        "spread": draw(st.sampled_from([0.0, 0.5, 1.0, 3.0])),
        "std_lo": std_lo,
        "std_hi": std_lo * draw(st.sampled_from([1.0, 2.0])),
        "beta": beta,
        "delta": draw(st.sampled_from([0.02, 0.05, 0.1, 0.2])),
        "r_frac": draw(st.sampled_from([1.0, 0.5, 0.1, 0.01])),
        "samples": 120,
        "seed": draw(DOMAIN["seed"].strategy()),
    }


def mixture_from(params: dict[str, Any]) -> GaussianMixture:
    return GaussianMixture.random(
        params["m"],
        params["components"],
        float(params["spread"]),
        (float(params["std_lo"]), float(params["std_hi"])),
        params["seed"],
    )


def _tail_beyond(mixture: GaussianMixture, radius: arb) -> arb:
    """P_{x~p}(|x| > radius), enclosed."""
    return 1 - mixture.ball_probability_arb([0.0] * mixture.dim, radius)


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    import torch

    m = params["m"]
    mixture = mixture_from(params)
    beta, delta = to_arb(params["beta"]), to_arb(params["delta"])
    moment = mixture.second_moment_arb()
    big_r = (moment / delta).sqrt()
    r = to_arb(params["r_frac"]) * big_r
    rho = e1_radius(r, beta, m, delta)
    unit = e1_bound(r, big_r, m, delta)
    bound = to_arb(constants["C"]) * unit

    gen = torch.Generator().manual_seed(params["seed"] + 1)
    x, _ = mixture.sample(params["samples"], gen)
    y = x + float(params["beta"]) * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    inner = [mixture.ball_probability_arb(row, rho) for row in y.tolist()]
    q = 3 * float(params["delta"])
    quantile, lo_arb, hi = quantile_ball(inner, q, ALPHA)
    # re-draws confirming a refutation use a generator of their own: independent of the above
    fresh_gen = torch.Generator().manual_seed(params["seed"] + FRESH_SEED_OFFSET)

    def redraw(alpha: float, fresh: bool) -> tuple[arb, arb]:
        values = inner
        if fresh:
            xs, _ = mixture.sample(FRESH_FACTOR * len(inner), fresh_gen)
            noise = torch.randn(xs.shape, generator=fresh_gen, dtype=xs.dtype)
            ys = xs + float(params["beta"]) * noise
            values = [mixture.ball_probability_arb(row, rho) for row in ys.tolist()]
        return bound, quantile_ball(values, q, alpha)[0]

    screen = sum(1 for g in inner if g >= bound) / len(inner)
    note = (
        f"3delta-quantile of P(|x'-y|<=rho) in [{float(lo_arb):.4g}, "
        f"{float(hi) if hi is not None else math.inf:.4g}], bound {float(bound.mid()):.4g}, "
        f"fraction certainly above bound {screen:.3f}, rho={float(rho.mid()):.4g}"
    )
    data = {"fraction_above_bound": screen, "rho": float(rho.mid())}
    parts = [
        Part(
            "inner_quantile",
            bound,
            quantile,
            "C",
            unit,
            kind="statistical",
            confidence=1 - ALPHA,
            note=note,
            data=data,
            redraw=redraw,
        )
    ]
    parts.append(Part("markov_step", _tail_beyond(mixture, big_r), delta))
    log_inv = (1 / delta).log()
    threshold = m + 2 * (m * log_inv).sqrt() + 2 * log_inv
    parts.append(Part("noise_step", chi2_sf(threshold, m), delta))
    return parts


E1 = Lemma(
    id="E.1",
    title="Acceptance bound: a measurement ball holds mass delta (r/3R_delta)^m",
    statement=(
        r"\Pr_{x,y}\Big[\Pr_{x'\sim p}\big(|x'-y|\le 2r+\beta\sqrt{m+2\sqrt{m\log\frac1\delta}"
        r"+2\log\frac1\delta}\big)\ge C\,\delta\,(r/3R_\delta)^m\Big]\ge 1-3\delta,\ "
        r"R_\delta=\sqrt{M/\delta},\ 0<r\le R_\delta"
    ),
    domain=DOMAIN,
    constants=[
        Constant(
            "C",
            1,
            "covering (H.10) + Markov + H.9; lower-sense: the bound scales the smaller side",
            sense="lower",
        )
    ],
    params=_params,
    check=_check,
    examples=[
        {
            "m": 1,
            "components": 2,
            "spread": 3.0,
            "std_lo": 0.05,
            "std_hi": 0.1,
            "beta": 0.05,
            "delta": 0.1,
            "r_frac": 1.0,
            "samples": 200,
            "seed": 0,
        },
        {
            "m": 8,
            "components": 3,
            "spread": 1.0,
            "std_lo": 0.2,
            "std_hi": 0.4,
            "beta": 0.3,
            "delta": 0.05,
            "r_frac": 0.1,
            "samples": 200,
            "seed": 1,
        },
        {
            "m": MAX_M,
            "components": 2,
            "spread": 0.5,
            "std_lo": 0.5,
            "std_hi": 1.0,
            "beta": 0.1,
            "delta": 0.1,
            "r_frac": 0.01,
            "samples": 120,
            "seed": 2,
        },
    ],
    budget={"quick": 6, "standard": 60, "thorough": 300},
    depends_on=("H.9", "H.10"),
)
