r"""Lemma H.11 [derived] (second moment under a contraction).

If Cov(p) <= I and ||A|| <= 1 then E_{x~p}|A(x - E x)|^2 <= C m, C = 1:
E|A(x - mean)|^2 = tr(A Sigma A^T) <= tr(A A^T) (Sigma <= I) <= min(m, n) ||A||^2 <= m (the
singular values of A are <= 1).

Check in exact rational arithmetic (``verify.maths.moments``): a discrete law with K atoms drawn
in torch (floats are exact dyadic rationals), its exact covariance Sigma scaled by a rational c^2
with I - c^2 Sigma proved PSD (exact LDL^T), and A drawn in torch scaled by a rational a^2 with
I - a^2 A^T A proved PSD. The left side is the direct weighted sum over atoms; the trace
formula is a second exact computation (part ``direct_equals_trace``: |difference| <= 0, exact).
The tight case (Rademacher coordinates, Sigma = I exactly, A = [0 | I_m]) attains equality,
which exact rationals certify.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from verify.core.contract import Agreement, Constant, Lemma, Part
from verify.core.domain import Choice, Constraint, Domain, Integer, Real
from verify.maths.moments import (
    Matrix,
    contraction_moment,
    contraction_scale,
    matmul,
    rademacher_law,
    random_law,
    random_matrix,
    selection_matrix,
    top_eigenvalue,
    transpose,
)

DOMAIN = Domain(
    Constraint(
        "n <= 4 for the rademacher law (2^n atoms)",
        lambda p: p["law"] != "rademacher" or p["n"] <= 4,
    ),
    Constraint(
        "m <= n for the select matrix", lambda p: p["matrix"] != "select" or p["m"] <= p["n"]
    ),
    optional=("spread",),
    n=Integer(1, 6, doc="dimension of the law"),
    m=Integer(1, 6, doc="rows of A"),
    atoms=Integer(2, 24, doc="atoms of the random law"),
    law=Choice(("random", "rademacher")),
    matrix=Choice(("random", "select"), doc="A Gaussian, or [0 | I_m]"),
    spread=Real(-10, 10, doc="adds spread * I to the random law's mixing matrix"),
    seed=Integer(0, 2**32 - 1, search=(0, 2**16)),
)


@st.composite
def _params(draw) -> dict[str, Any]:
    law = draw(DOMAIN["law"].strategy())
    n = draw(st.integers(1, 4 if law == "rademacher" else 6))
    matrix = draw(DOMAIN["matrix"].strategy())
    m = draw(st.integers(1, n if matrix == "select" else 6))
    return {
        "n": n,
        "m": m,
        "atoms": draw(DOMAIN["atoms"].strategy()),
        "law": law,
        "matrix": matrix,
        "spread": draw(st.sampled_from([0.0, 0.5, 2.0])),
        "seed": draw(DOMAIN["seed"].strategy()),
    }


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    import torch

    n, m = params["n"], params["m"]
    gen = torch.Generator().manual_seed(params["seed"])
    if params["law"] == "rademacher":
        law = rademacher_law(n)
        cov_scale = Fraction(1)  # Sigma = I exactly
    else:
        law = random_law(n, params["atoms"], float(params.get("spread", 0.0)), gen)
        sigma = law.covariance()
        cov_scale = contraction_scale(sigma, top_eigenvalue(sigma))
    a: Matrix
    if params["matrix"] == "select":
        a, a_scale = selection_matrix(m, n), Fraction(1)
    else:
        a, norm_sq = random_matrix(m, n, gen)
        a_scale = contraction_scale(matmul(transpose(a), a), norm_sq)
    moment = contraction_moment(law, a, cov_scale, a_scale)
    unit = Fraction(m)
    note = f"E|A(x-mu)|^2 = {float(moment.direct):.6g}"
    return [
        Part("second_moment", moment.direct, constants["C"] * unit, "C", unit, note=note),
        Agreement("direct_equals_trace", moment.direct, moment.trace, note="exact rationals"),
        Part("trace_le_frobenius", moment.trace, moment.frobenius),
    ]


_RADEMACHER = {"atoms": 2, "law": "rademacher", "matrix": "select", "spread": 0.0, "seed": 0}

H11 = Lemma(
    id="H.11",
    title="Second moment of a contraction of a law with covariance at most I",
    statement=r"\mathrm{Cov}(p)\preceq I,\ \|A\|\le 1 \implies "
    r"\mathbb{E}_{x\sim p}|A(x-\mathbb{E}x)|^2 = \mathrm{tr}(A\Sigma A^T) \le C\,m",
    domain=DOMAIN,
    constants=[Constant("C", 1, "tr(A Sigma A^T) <= tr(A A^T) <= m ||A||^2")],
    params=_params,
    check=_check,
    examples=[
        {**_RADEMACHER, "n": 4, "m": 2},
        {**_RADEMACHER, "n": 3, "m": 3},
        {
            "n": 6,
            "m": 6,
            "atoms": 24,
            "law": "random",
            "matrix": "random",
            "spread": 0.0,
            "seed": 1,
        },
        {"n": 2, "m": 5, "atoms": 3, "law": "random", "matrix": "random", "spread": 2.0, "seed": 2},
    ],
    budget={"quick": 15, "standard": 150, "thorough": 1000},
    depends_on=(),
)
