r"""Lemmas H.9 (Laurent-Massart), H.10 (covering a ball), H.11 (second moment under a
contraction): the concentration tools of the upper bound (Appendix E).

H.9 [derived, LM00]. For z ~ N(0, I_m) and t > 0,

.. math::
    P(|z|^2 - m \ge 2\sqrt{mt} + 2t) \le C\,e^{-t}, \qquad
    P(m - |z|^2 \ge 2\sqrt{mt}) \le C\,e^{-t}, \qquad C = 1.

Check: both probabilities are exact chi-square tails, Q(m/2, x/2) and P(m/2, x/2), enclosed in
arb (``verify.maths.chisquare``); the threshold x is an arb ball and the tails are monotone in x,
so a
ball threshold gives a rigorous enclosure. When m - 2 sqrt(mt) <= 0 the lower-tail event is
(almost surely) empty. The largest ratio (probability / e^{-t}) found is about 0.5 (t -> 0),
so C = 1 has slack; the search reports it.

H.10 [paper-shape, MRT18 Lemma 6.27]. For r <= R the ball B(0, R) in R^m is covered by at most
C (3R/r)^m balls of radius r, C = 1. Derivation: a maximal r-separated set in B(0, R) is an
r-net; the balls of radius r/2 around its points are disjoint and lie in B(0, R + r/2), so
N <= ((R + r/2)/(r/2))^m = (2R/r + 1)^m <= (3R/r)^m. Checked constructively for m <= 4 in
exact integer arithmetic (``verify.maths.coverings``): a maximal sep-separated set of lattice points
of B(0, R), sep between about r - sqrt(m)/2 and r - ceil(sqrt m) (lattice units; the proved
covering with the fewest centres is kept); the covering of the whole continuous ball by
radius-r balls is proved cube by cube, exactly. Parts:
  - ``covering_number``: the covering number N(R, r) enclosed in [(R/r)^m (volume), N_greedy]
    (upper end +inf if the covering proof is unresolved) against C (3R/r)^m;
  - ``covering_radius``: sup_{x in B(0,R)} dist(x, centres)^2 enclosed, against r^2;
  - ``separated``: min pairwise squared distance of the centres > sep^2 (integers);
  - ``maximal``: every lattice candidate lies within sep of a centre;
  - ``packing``: N_greedy <= (2R/sep + 1)^m, the packing count of a maximal separated set.
The covering number is an existence claim: a greedy set larger than C (3R/r)^m (possible, since
the lattice forces sep < r) leaves the part INCONCLUSIVE, never REFUTED; only the volume bound
(R/r)^m > C (3R/r)^m refutes. The empirical constant is N_greedy / (3R/r)^m when certified.

H.11 [derived]. If Cov(p) <= I and ||A|| <= 1 then E_{x~p}|A(x - E x)|^2 <= C m, C = 1:
E|A(x - mean)|^2 = tr(A Sigma A^T) <= ||A||^2 tr... more precisely tr(A Sigma A^T) <=
tr(A A^T) <= min(m, n) ||A||^2 <= m (Sigma <= I, then the singular values of A are <= 1).
Check in exact rational arithmetic: a discrete law with K atoms drawn in torch (floats are exact
dyadic rationals), its exact covariance Sigma scaled by a rational c^2 with I - c^2 Sigma
proved PSD (exact LDL^T), and A drawn in torch scaled by a rational a^2 with I - a^2 A^T A
proved PSD. The left side is the direct weighted sum over atoms; the trace formula is a second
exact computation (part ``direct_equals_trace``: |difference| <= 0, exact). The tight case
(Rademacher coordinates, Sigma = I exactly, A = [0 | I_m]) attains equality, which exact
rationals certify.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Any

import torch
from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import finite_real, integer
from verify.core.errors import DomainError
from verify.core.numbers import ball, lower, to_arb, upper
from verify.maths.chisquare import chi2_cdf, chi2_sf, gamma_p_series
from verify.maths.coverings import Covering, best_covering, min_pairwise_sq_lower

# ------------------------------------------------------------------------------------- H.9

H9_MAX_M = 10_000


def _h9_validate(params: dict[str, Any]) -> None:
    integer(params, "m", 1, H9_MAX_M)
    t = finite_real(params, "t")
    if not 0 < t <= 1e6:
        raise DomainError(f"H.9 needs 0 < t <= 1e6, got t={t}")


@st.composite
def _h9_params(draw) -> dict[str, Any]:
    m = draw(
        st.one_of(
            st.integers(1, 40),
            st.integers(41, H9_MAX_M),
            st.sampled_from([1, 2, 3, 100, 1000, H9_MAX_M]),
        )
    )
    t = math.exp(draw(st.floats(min_value=math.log(1e-6), max_value=math.log(2000.0))))
    return {"m": m, "t": t}


def _h9_check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    m = params["m"]
    t = to_arb(params["t"])
    root = 2 * (m * t).sqrt()
    unit = (-t).exp()
    upper_event = arb(m) + root + 2 * t
    upper_tail = chi2_sf(upper_event, m)
    lower_event = arb(m) - root
    if lower_event <= 0:
        lower_tail: arb = arb(0)  # P(|z|^2 <= 0) = 0
        note = "lower threshold <= 0: empty event"
    elif lower_event > 0:
        lower_tail = chi2_cdf(lower_event, m)
        note = ""
    else:  # the threshold ball straddles 0: the cdf is monotone, bound by its upper end
        lower_tail = ball(0, chi2_cdf(to_arb(lower_event.upper()), m))
        note = "lower threshold straddles 0"
    c_up = to_arb(constants["C_upper"])
    c_low = to_arb(constants["C_lower"])
    parts = [
        Part("upper_tail", upper_tail, c_up * unit, "C_upper", unit),
        Part("lower_tail", lower_tail, c_low * unit, "C_lower", unit, note=note),
    ]
    # Two computations: arb's Q(s, z) against 1 - (our positive series for P(s, z)), where the
    # series is short (z <= s + 60); they must overlap (gap 0), a gap refutes one of them.
    s_half, z_half = arb(m) / 2, upper_event / 2
    if z_half < s_half + 60:
        other = 1 - gamma_p_series(s_half, z_half)
        gap = _enclosure_gap(upper_tail, other)
        parts.append(
            Part(
                "upper_tail_two_ways",
                gap,
                Fraction(0),
                note=f"arb Q {upper_tail.str(6)}, 1 - series P {other.str(6)}",
            )
        )
    return parts


def _enclosure_gap(a: arb, b: arb) -> Fraction:
    """Distance between two enclosures: 0 when they overlap (the computations agree)."""
    return max(Fraction(0), lower(a) - upper(b), lower(b) - upper(a))


H9 = Lemma(
    id="H.9",
    title="Laurent-Massart chi-square tail bounds",
    statement=(
        r"z\sim N(0,I_m):\ P(|z|^2-m\ge 2\sqrt{mt}+2t)\le C_{up}e^{-t},\ "
        r"P(m-|z|^2\ge 2\sqrt{mt})\le C_{low}e^{-t}"
    ),
    domain=f"m integer in [1, {H9_MAX_M}], t in (0, 1e6]",
    constants=[
        Constant("C_upper", 1, "Laurent-Massart (2000), Lemma 1, upper tail"),
        Constant("C_lower", 1, "Laurent-Massart (2000), Lemma 1, lower tail"),
    ],
    params=_h9_params,
    check=_h9_check,
    validate=_h9_validate,
    examples=[
        {"m": 1, "t": 1e-6},
        {"m": 1, "t": 1.0},
        {"m": 2, "t": 50.0},
        {"m": 10, "t": 0.01},
        {"m": 1000, "t": 250.0},
        {"m": H9_MAX_M, "t": 1e-6},
        {"m": H9_MAX_M, "t": 1.0},
        {"m": H9_MAX_M, "t": 2000.0},
    ],
    budget={"quick": 30, "standard": 300, "thorough": 2000},
    depends_on=(),
)

# ------------------------------------------------------------------------------------ H.10

H10_MAX_CANDIDATES = 120_000


def _h10_validate(params: dict[str, Any]) -> None:
    m = integer(params, "m", 1, 4)
    r = integer(params, "r", 1)
    big = integer(params, "R", 1)
    if r > big:
        raise DomainError(f"H.10 needs r <= R, got r={r}, R={big}")
    if r - math.isqrt(m - 1) - 1 <= 0:
        raise DomainError(f"H.10 needs r > ceil(sqrt(m)) lattice steps, got r={r}, m={m}")
    if (2 * big + 1) ** m > H10_MAX_CANDIDATES * 2:
        raise DomainError(f"H.10: the lattice of B(0, {big}) in dimension {m} is too large")
    integer(params, "seed", 0)


@st.composite
def _h10_params(draw) -> dict[str, Any]:
    m = draw(st.integers(1, 4))
    lattice_max = int((H10_MAX_CANDIDATES ** (1 / m) - 1) / 2)
    r = draw(st.integers(math.isqrt(m - 1) + 3, min(12, lattice_max)))
    big_max = max(r, min(lattice_max, 12 * r, 400))
    big = draw(st.integers(r, big_max))
    return {"m": m, "R": big, "r": r, "seed": draw(st.integers(0, 2**16))}


@lru_cache(maxsize=64)
def _cover(m: int, big: int, r: int, seed: int) -> Covering:
    """Exact integer construction: independent of the working precision, so the runner's
    precision retries of an INCONCLUSIVE point reuse it."""
    return best_covering(m, big, r, seed=seed)


def _decisive(lo: Fraction, hi: Fraction | None, rhs: Fraction) -> Fraction | arb:
    """The quantity known to lie in [lo, hi] (hi None: unbounded), shown against ``rhs``: hi if
    hi <= rhs (certifies), lo if lo > rhs (refutes), else the interval (inconclusive)."""
    if hi is not None and hi <= rhs:
        return hi
    if lo > rhs:
        return lo
    return ball(lo, hi) if hi is not None else to_arb(lo) + arb(0, math.inf)


def _h10_check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    m, big, r = params["m"], params["R"], params["r"]
    cover = _cover(m, big, r, params["seed"])
    unit = Fraction(3 * big, r) ** m
    volume_bound = Fraction(big, r) ** m
    # N(R, r) lies in [(R/r)^m, N_greedy] (the latter once the covering is proved), and the
    # covering radius^2 in [lower, upper]. For the radius, exact endpoints keep equality cases
    # certifiable: we pass the endpoint that decides the comparison, or the whole interval.
    bound = constants["C"] * unit
    proved = cover.covering_radius_sq_upper is not None
    # The covering number as the interval it is known to lie in; the margin bound - N_greedy
    # (exact) certifies equality cases that the interval alone cannot.
    greedy = Fraction(cover.count) if proved else None
    if greedy is not None:
        number: Fraction | arb = ball(volume_bound, greedy)
        margin: Fraction | None = bound - greedy
    else:  # no proved covering: no upper end, so nothing can be certified
        number, margin = _decisive(volume_bound, None, bound), None
    radius_sq = _decisive(
        cover.covering_radius_sq_lower, cover.covering_radius_sq_upper, Fraction(r * r)
    )
    threshold = cover.threshold  # centres: squared distances >= threshold + 1
    note = (
        f"greedy N={cover.count}, N/(3R/r)^m={float(cover.count / unit):.4f}, "
        f"sep^2={threshold + 1}, r^2={r * r}, cubes={cover.cubes_checked}, "
        f"unresolved={cover.unresolved}"
    )
    separation = arb(threshold + 1).sqrt()
    parts = [
        Part("covering_number", number, bound, "C", unit, note=note, margin=margin),
        Part("covering_radius", radius_sq, Fraction(r * r)),
        Part("maximal", cover.covering_radius_sq_lower, Fraction(threshold)),
        Part("packing", Fraction(cover.count), (2 * big / separation + 1) ** m),
    ]
    reach = math.isqrt(threshold) + 1
    min_sq = min_pairwise_sq_lower(cover.centers, big, reach)
    if min_sq is not None:
        parts.append(Part("separated", Fraction(threshold + 1), Fraction(min_sq)))
    return parts


H10 = Lemma(
    id="H.10",
    title="Covering a ball by (3R/r)^m balls of radius r",
    statement=r"r\le R:\ B(0,R)\subset\mathbb{R}^m \text{ is covered by } "
    r"C\,(3R/r)^m \text{ balls of radius } r",
    domain="m in {1,2,3,4}; integer lattice radii 1 <= r <= R (scale invariant); a seed",
    constants=[
        Constant("C", 1, "packing: a maximal r-separated set has N <= (2R/r + 1)^m <= (3R/r)^m"),
    ],
    params=_h10_params,
    check=_h10_check,
    validate=_h10_validate,
    examples=[
        {"m": 1, "R": 40, "r": 3, "seed": 0},
        {"m": 2, "R": 12, "r": 12, "seed": 0},
        {"m": 2, "R": 40, "r": 8, "seed": 1},
        {"m": 3, "R": 12, "r": 4, "seed": 0},
        {"m": 4, "R": 8, "r": 4, "seed": 0},
        {"m": 4, "R": 6, "r": 6, "seed": 3},
    ],
    budget={"quick": 8, "standard": 80, "thorough": 400},
    depends_on=(),
)

# ------------------------------------------------------------------------------------ H.11


def _is_psd(matrix: list[list[Fraction]]) -> bool:
    """Exact test that a symmetric rational matrix is positive semidefinite (LDL^T)."""
    a = [row[:] for row in matrix]
    n = len(a)
    for k in range(n):
        pivot = a[k][k]
        if pivot < 0:
            return False
        if pivot == 0:
            if any(a[k][j] != 0 for j in range(k + 1, n)):
                return False
            continue
        for i in range(k + 1, n):
            factor = a[i][k] / pivot
            if factor == 0:
                continue
            for j in range(k + 1, n):
                a[i][j] -= factor * a[k][j]
    return True


def _exact(t: torch.Tensor) -> list[list[Fraction]]:
    return [[Fraction(float(v)) for v in row] for row in t.tolist()]


def _matmul(a: list[list[Fraction]], b: list[list[Fraction]]) -> list[list[Fraction]]:
    return [
        [
            sum((x * y for x, y in zip(row, col, strict=True)), Fraction(0))
            for col in zip(*b, strict=True)
        ]
        for row in a
    ]


def _transpose(a: list[list[Fraction]]) -> list[list[Fraction]]:
    return [list(col) for col in zip(*a, strict=True)]


def _identity_minus(scale: Fraction, s: list[list[Fraction]]) -> list[list[Fraction]]:
    n = len(s)
    return [[(1 if i == j else 0) - scale * s[i][j] for j in range(n)] for i in range(n)]


def _contraction_scale(gram: list[list[Fraction]], float_top: float) -> Fraction:
    """A rational s > 0 with I - s * gram PSD (exact), close to 1 / float_top."""
    if float_top <= 0:
        return Fraction(1)
    s = Fraction(1.0 / (float_top * (1 + 1e-12)))
    for _ in range(60):
        if _is_psd(_identity_minus(s, gram)):
            return s
        s *= Fraction(1023, 1024)
    raise RuntimeError("could not certify the contraction scale")


def _h11_validate(params: dict[str, Any]) -> None:
    n = integer(params, "n", 1, 6)
    integer(params, "m", 1, 6)
    integer(params, "atoms", 2, 24)
    integer(params, "seed", 0)
    if params.get("law") not in ("random", "rademacher"):
        raise DomainError("H.11 law must be 'random' or 'rademacher'")
    if params["law"] == "rademacher" and n > 4:
        raise DomainError("H.11 rademacher law needs n <= 4 (2^n atoms)")
    if params.get("matrix") not in ("random", "select"):
        raise DomainError("H.11 matrix must be 'random' or 'select'")
    if params["matrix"] == "select" and params["m"] > n:
        raise DomainError("H.11 select matrix needs m <= n")


@st.composite
def _h11_params(draw) -> dict[str, Any]:
    law = draw(st.sampled_from(["random", "rademacher"]))
    n = draw(st.integers(1, 4 if law == "rademacher" else 6))
    matrix = draw(st.sampled_from(["random", "select"]))
    m = draw(st.integers(1, n if matrix == "select" else 6))
    return {
        "n": n,
        "m": m,
        "atoms": draw(st.integers(2, 24)),
        "law": law,
        "matrix": matrix,
        "spread": draw(st.sampled_from([0.0, 0.5, 2.0])),
        "seed": draw(st.integers(0, 2**16)),
    }


def _h11_check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    n, m = params["n"], params["m"]
    gen = torch.Generator().manual_seed(params["seed"])
    if params["law"] == "rademacher":
        grid = torch.cartesian_prod(*([torch.tensor([-1.0, 1.0], dtype=torch.float64)] * n))
        points = grid.reshape(-1, n)
        weights = [Fraction(1, points.shape[0])] * points.shape[0]
    else:
        k = params["atoms"]
        # anisotropic atoms: a random linear image of standard normals, random integer weights
        mix = torch.randn(n, n, generator=gen, dtype=torch.float64)
        mix += float(params.get("spread", 0.0)) * torch.eye(n, dtype=torch.float64)
        points = torch.randn(k, n, generator=gen, dtype=torch.float64) @ mix
        raw = torch.randint(1, 10, (k,), generator=gen).tolist()
        weights = [Fraction(w, sum(raw)) for w in raw]
    atoms = _exact(points)
    mean = [
        sum((w * x[i] for w, x in zip(weights, atoms, strict=True)), Fraction(0)) for i in range(n)
    ]
    centred = [[x[i] - mean[i] for i in range(n)] for x in atoms]
    sigma = [
        [
            sum((w * x[i] * x[j] for w, x in zip(weights, centred, strict=True)), Fraction(0))
            for j in range(n)
        ]
        for i in range(n)
    ]
    if params["law"] == "rademacher":
        cov_scale = Fraction(1)  # Sigma = I exactly
    else:
        top = float(
            torch.linalg.eigvalsh(torch.tensor([[float(v) for v in row] for row in sigma])).max()
        )
        cov_scale = _contraction_scale(sigma, top)
    if params["matrix"] == "select":
        a_float = torch.cat(
            [torch.zeros(m, n - m, dtype=torch.float64), torch.eye(m, dtype=torch.float64)], 1
        )
        a = _exact(a_float)
        a_scale = Fraction(1)
    else:
        a_float = torch.randn(m, n, generator=gen, dtype=torch.float64)
        a = _exact(a_float)
        top = float(torch.linalg.matrix_norm(a_float, ord=2)) ** 2
        a_scale = _contraction_scale(_matmul(_transpose(a), a), top)
    # proofs of the hypotheses, exactly
    cov_ok = _is_psd(_identity_minus(cov_scale, sigma))
    norm_ok = _is_psd(_identity_minus(a_scale, _matmul(_transpose(a), a)))
    if not (cov_ok and norm_ok):
        raise RuntimeError("H.11 hypotheses could not be certified for the generated law")
    direct = Fraction(0)
    for w, x in zip(weights, centred, strict=True):
        ax = [sum((aij * xj for aij, xj in zip(row, x, strict=True)), Fraction(0)) for row in a]
        direct += w * sum((v * v for v in ax), Fraction(0))
    direct *= cov_scale * a_scale
    product = _matmul(_matmul(a, sigma), _transpose(a))
    trace = cov_scale * a_scale * sum((product[i][i] for i in range(m)), Fraction(0))
    unit = Fraction(m)
    c = constants["C"]
    return [
        Part(
            "second_moment", direct, c * unit, "C", unit, note=f"E|A(x-mu)|^2 = {float(direct):.6g}"
        ),
        Part("direct_equals_trace", abs(direct - trace), Fraction(0)),
        Part(
            "trace_le_frobenius",
            trace,
            a_scale * sum((v * v for row in a for v in row), Fraction(0)),
        ),
    ]


H11 = Lemma(
    id="H.11",
    title="Second moment of a contraction of a law with covariance at most I",
    statement=r"\mathrm{Cov}(p)\preceq I,\ \|A\|\le 1 \implies "
    r"\mathbb{E}_{x\sim p}|A(x-\mathbb{E}x)|^2 = \mathrm{tr}(A\Sigma A^T) \le C\,m",
    domain="discrete laws on R^n (n <= 6), A in R^{m x n} (m <= 6), hypotheses proved exactly",
    constants=[Constant("C", 1, "tr(A Sigma A^T) <= tr(A A^T) <= m ||A||^2")],
    params=_h11_params,
    check=_h11_check,
    validate=_h11_validate,
    examples=[
        {
            "n": 4,
            "m": 2,
            "atoms": 2,
            "law": "rademacher",
            "matrix": "select",
            "spread": 0.0,
            "seed": 0,
        },
        {
            "n": 3,
            "m": 3,
            "atoms": 2,
            "law": "rademacher",
            "matrix": "select",
            "spread": 0.0,
            "seed": 0,
        },
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
