r"""Lemmas H.9 (Laurent-Massart) and H.10 (covering a ball): concentration tools of the upper
bound (Appendix E).

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

H.11 is in ``lemmas.h11_contraction_moment``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from typing import Any

from flint import arb, ctx
from hypothesis import strategies as st

from verify.core.contract import Agreement, Constant, Lemma, Part
from verify.core.domain import Constraint, Domain, Integer, Real
from verify.core.numbers import ball, precision, to_arb
from verify.maths.chisquare import chi2_cdf, chi2_sf, gamma_p_series
from verify.maths.coverings import Covering, best_covering, min_pairwise_sq_lower

# ------------------------------------------------------------------------------------- H.9

H9_MAX_M = 10_000


H9_DOMAIN = Domain(
    m=Integer(1, H9_MAX_M, doc="dimension of z"),
    t=Real(0, 1e6, lo_open=True, doc="the deviation, drawn log-uniformly in [1e-6, 2000]"),
)


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
    # series is short (z <= s + 60). 1 - P loses about log2(1/Q) bits to cancellation, so the
    # series runs with that many extra bits: both sides then carry the working precision.
    s_half, z_half = arb(m) / 2, upper_event / 2
    if z_half < s_half + 60:
        lost = _bits_lost(upper_tail)
        with precision(ctx.prec + lost):
            other = 1 - gamma_p_series(s_half, z_half)
        parts.append(
            Agreement(
                "upper_tail_two_ways",
                upper_tail,
                other,
                note=f"arb Q {upper_tail.str(6)}, 1 - series P {other.str(6)}, +{lost} bits",
            )
        )
    return parts


def _bits_lost(tail: arb) -> int:
    """About log2(1/tail) + 16: the bits that 1 - P(s, z) loses when Q(s, z) = tail is small."""
    if not (tail.is_finite() and tail > 0):
        return 64
    return max(0, int(-float(tail.mid().log()) / math.log(2))) + 16


H9 = Lemma(
    id="H.9",
    title="Laurent-Massart chi-square tail bounds",
    statement=(
        r"z\sim N(0,I_m):\ P(|z|^2-m\ge 2\sqrt{mt}+2t)\le C_{up}e^{-t},\ "
        r"P(m-|z|^2\ge 2\sqrt{mt})\le C_{low}e^{-t}"
    ),
    domain=H9_DOMAIN,
    constants=[
        Constant("C_upper", 1, "Laurent-Massart (2000), Lemma 1, upper tail"),
        Constant("C_lower", 1, "Laurent-Massart (2000), Lemma 1, lower tail"),
    ],
    params=_h9_params,
    check=_h9_check,
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


H10_DOMAIN = Domain(
    Constraint("r <= R", lambda p: p["r"] <= p["R"]),
    Constraint(
        "r > ceil(sqrt(m)) lattice steps", lambda p: p["r"] - math.isqrt(p["m"] - 1) - 1 > 0
    ),
    Constraint(
        f"(2R + 1)^m <= {2 * H10_MAX_CANDIDATES} lattice points",
        lambda p: (2 * p["R"] + 1) ** p["m"] <= H10_MAX_CANDIDATES * 2,
    ),
    m=Integer(1, 4, doc="dimension"),
    R=Integer(1, H10_MAX_CANDIDATES, doc="radius of the covered ball, in lattice steps"),
    r=Integer(1, H10_MAX_CANDIDATES, doc="radius of the covering balls, in lattice steps"),
    seed=Integer(0, 2**32 - 1, search=(0, 2**16)),
)


@st.composite
def _h10_params(draw) -> dict[str, Any]:
    m = draw(H10_DOMAIN["m"].strategy())
    lattice_max = int((H10_MAX_CANDIDATES ** (1 / m) - 1) / 2)
    r = draw(st.integers(math.isqrt(m - 1) + 3, min(12, lattice_max)))
    big_max = max(r, min(lattice_max, 12 * r, 400))
    big = draw(st.integers(r, big_max))
    return {"m": m, "R": big, "r": r, "seed": draw(H10_DOMAIN["seed"].strategy())}


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
    domain=H10_DOMAIN,
    constants=[
        Constant("C", 1, "packing: a maximal r-separated set has N <= (2R/r + 1)^m <= (3R/r)^m"),
    ],
    params=_h10_params,
    check=_h10_check,
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
