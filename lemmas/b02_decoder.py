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
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import torch
from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import finite_real, integer, log_uniform
from verify.core.errors import DomainError
from verify.core.numbers import to_arb
from verify.core.stats import clopper_pearson
from verify.maths.instance import Instance
from verify.maths.oneway import ConstantFunction


def gaussian_upper_tail(z: arb) -> arb:
    return (z / arb(2).sqrt()).erfc() / 2


def decoder_error_probability(eps: float, beta: float) -> arb:
    """P_err, enclosed: 2 sum_k [Phi_bar((k+1/4) eps/beta) - Phi_bar((k+3/4) eps/beta)]."""
    ratio = to_arb(eps) / to_arb(beta)
    total = arb(0)
    k = 0
    while True:
        a = (k + arb(1) / 4) * ratio
        total += gaussian_upper_tail(a) - gaussian_upper_tail(a + ratio / 2)
        k += 1
        a_next = (k + arb(1) / 4) * ratio
        tail = gaussian_upper_tail(a_next) / (1 - (-a_next * ratio).exp())
        if tail < total * arb(2) ** -80 or k > 10_000:
            return 2 * (total + arb(0, tail.upper()))


def _validate(params: dict[str, Any]) -> None:
    eps = finite_real(params, "eps")
    beta = finite_real(params, "beta")
    d_out = integer(params, "d_out", 0, 4096)
    if d_out == 0:
        raise DomainError("B.2 needs d' >= 1 observed coordinates, got d' = 0")
    if not 0 < eps < 1:
        raise DomainError(f"B.2 needs 0 < eps < 1, got eps={eps}")
    if not 0 < beta <= 10 * eps:
        raise DomainError(f"B.2 needs 0 < beta <= 10 eps, got beta={beta}, eps={eps}")
    integer(params, "samples", 100, 10**7)


@st.composite
def _params(draw) -> dict[str, Any]:
    eps = draw(log_uniform(0.01, 0.99))
    return {
        "eps": eps,
        "beta": eps * draw(log_uniform(1 / 40, 2.0)),
        "d_out": draw(st.integers(1, 64)),
        "samples": 10000,
        "seed": draw(st.integers(0, 10**6)),
    }


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    eps, beta, d_out = float(params["eps"]), float(params["beta"]), int(params["d_out"])
    c = to_arb(constants["C"])
    p_err = decoder_error_probability(eps, beta)
    unit = (to_arb(eps) / (4 * to_arb(beta) * arb(2).sqrt())).erfc()
    vector = 1 - (1 - p_err) ** d_out
    parts = [
        Part("per_coordinate", p_err, c * unit, "C", unit),
        Part("all_coordinates", vector, c * d_out * unit, "C", d_out * unit),
    ]
    # the decoder on samples of the instance's comb coordinates
    inst = Instance(ConstantFunction(1, 1), R=1.0, eps=eps)
    generator = torch.Generator().manual_seed(int(params.get("seed", 0)))
    n = int(params["samples"])
    bits = (1 - 2 * torch.randint(0, 2, (n,), generator=generator)).to(torch.int8)
    x = inst.sample_comb(bits, generator)
    y = x + beta * torch.randn(n, generator=generator, dtype=torch.float64)
    errors = int(np.sum(Instance.decode_phases(y, eps) != bits.numpy()))
    alpha = 1e-3
    lo, hi = clopper_pearson(errors, n, alpha)
    note = f"{errors} errors in {n} decodings"
    parts += [
        Part(
            "exact_rate_above_interval_low",
            to_arb(lo),
            p_err,
            kind="statistical",
            confidence=1 - alpha,
            note=note,
        ),
        Part(
            "exact_rate_below_interval_high",
            p_err,
            to_arb(hi),
            kind="statistical",
            confidence=1 - alpha,
            note=note,
        ),
    ]
    return parts


B2 = Lemma(
    id="B.2",
    title="The nearer-comb decoder recovers each phase bit unless |eta| >= eps/4",
    statement=(
        r"P(\mathrm{dec}(x+\eta)\ne b) = 2\sum_{k\ge0}\big[\bar\Phi((k+\tfrac14)\epsilon/\beta)"
        r"-\bar\Phi((k+\tfrac34)\epsilon/\beta)\big]\le C\,P(|N(0,\beta^2)|\ge\epsilon/4),"
        r"\quad P(\mathrm{dec}(y)\ne f(s))\le C\,d'\,P(|N(0,\beta^2)|\ge\epsilon/4)"
    ),
    domain="0 < eps < 1, 0 < beta <= 10 eps, 1 <= d' <= 4096, samples >= 100",
    constants=[Constant("C", 1, "error event inside {|eta| >= eps/4}; union over d' coords")],
    params=_params,
    check=_check,
    validate=_validate,
    examples=[
        {"eps": 0.5, "beta": 0.05, "d_out": 8, "samples": 20000, "seed": 0},
        {"eps": 0.3, "beta": 0.3 / 40, "d_out": 1, "samples": 20000, "seed": 1},
        {"eps": 0.2, "beta": 0.2, "d_out": 64, "samples": 20000, "seed": 2},
    ],
    budget={"quick": 10, "standard": 150, "thorough": 800},
    depends_on=("B.1",),
)
