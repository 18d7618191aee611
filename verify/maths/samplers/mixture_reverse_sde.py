r"""F.2 in one dimension: TV of the reverse SDE's Gaussian law to a Gaussian or a Gaussian-mixture
target, certified against an explicit bound in the number of steps and the score error.

Setting. The sampler of ``verify.maths.samplers.sde`` (Euler-Maruyama in u = sigma^2 on a
schedule sigma_0 > ... > sigma_K) run on a *linear* score -(x - mu)/(s^2 + sigma^2) + b_k: the
score of g = N(mu, s^2) at level sigma (plus a bias b_k), started at g_{sigma_0}. Its output is
exactly q = N(mu + m_K, v_K) (``gaussian_recursion``), whatever the target p the score stands
for. Two targets:

- p = g = N(mu, s^2) (the Gaussian case of F.2);
- p = sum_i w_i N(m_i, t_i^2), a 1-D mixture, with g its Gaussian fit (mu, s^2 the mean and
  variance of p). The linear score is then wrong: its error against p's score is certified.

Bound (derived; the algebra is re-derived with sympy in the tests). Write p_u, g_u for the laws
smoothed by N(0, u), w_K = s^2 + sigma_K^2. By the triangle inequality

.. math:: TV(q, p) \le TV(q, g_{u_K}) + TV(g_{u_K}, p_{u_K}) + TV(p_{u_K}, p).

(1) Discretization and bias. KL(N(mu + m, v) || N(mu, w)) = (m^2/w + f(v/w))/2 with
f(x) = x - 1 - log x <= (x - 1)^2 / (2 min(x, 1)) (for x >= 1: log x >= (x-1) - (x-1)^2/2; for
x < 1: -log x - (1 - x) = sum_{n>=2} (1-x)^n/n <= (1-x)^2/(2x)). With |m_K| <= B'_m and
|v_K - w_K| <= B'_v (the contracted bounds of ``gaussian_recursion``, O(1/steps)),
b = B'_v / w_K < 1, Pinsker gives

.. math:: TV(q, g_{u_K}) \le \tfrac12\sqrt{B'^2_m/w_K + b^2/(2(1-b))} =: T_{disc}.

(2) Score error. p_u and g_u both solve the heat equation d/du = (1/2) d^2/dx^2, so
d/du KL(p_u || g_u) = -(1/2) I(p_u || g_u), I = E_{p_u} |s_{p,u} - s_{g,u}|^2 (the score error
of the linear score along the forward marginals), and KL(p_u || g_u) -> 0 as u -> infinity
(convexity: KL <= sum_i w_i KL(N(m_i, t_i^2 + u) || N(mu, s^2 + u)) -> 0). Hence

.. math:: KL(p_{u_K} || g_{u_K}) = \tfrac12 \int_{u_K}^\infty I(p_u || g_u)\,du =: \tfrac12 E.

Because g matches p's mean and variance, integration by parts gives E_{p_u}[s_p s_g] =
1/(s^2 + u) = E_{p_u}[s_g^2], so I(p_u || g_u) = J(p_u) - 1/(s^2 + u), J the Fisher
information. I(p_u || g_u) does not increase with u: with a = s / sqrt(s^2 + u) (mu = 0),
Y = a X_u = a X_0 + sqrt(1 - a^2) s Z is the Ornstein-Uhlenbeck semigroup of stationary law
N(0, s^2) at time -log a (increasing in u), and a maps g_u to N(0, s^2); relative Fisher
information to the stationary law does not increase along OU (Bakry-Emery), and
I(p_u || g_u) = a^2 I(law(Y) || N(0, s^2)) with a^2 decreasing. So on a grid
U_0 > ... > U_L = u_K (``score_levels``)

.. math:: \int_{U_{l+1}}^{U_l} I\,du \le (U_l - U_{l+1})\,I(p_{U_{l+1}} || g_{U_{l+1}}),

with J certified by ``verify.maths.laws.score_moment`` (cells plus certified tails). Beyond U_0,
convexity of Fisher information (J(sum w_i f_i) <= sum w_i J(f_i)) gives
I <= sum_i w_i (1/(t_i^2 + u) - 1/(s^2 + u)), whose integral from U_0 is
sum_i w_i log((s^2 + U_0)/(t_i^2 + U_0)) exactly. Pinsker: TV(g_{u_K}, p_{u_K}) <= sqrt(E)/2.
For p = g, E = 0.

(3) Smoothing. TV(p_{u_K}, p) <= sum_i w_i TV(N(0, t_i^2 + u_K), N(0, t_i^2)) and, by Pinsker and
f(x) <= (x-1)^2/2 for x >= 1, each term is <= u_K / (2 sqrt 2 t_i^2).

So TV(q, p) <= C_tv (T_disc + sqrt(E)/2 + sum_i w_i u_K / (2 sqrt 2 t_i^2)), C_tv = 1.

Certified TV(q, p) (the left side). On cells [a, b] of a grid covering the bulk: where the
enclosure of q - p over the cell excludes 0 the cell contributes |Q([a, b]) - P([a, b])|
exactly (Gaussian CDFs, erfc in arb); elsewhere (the cells holding a crossing point) it
contributes a ball [|Q - P|([a, b]), (b - a) sup |q - p|]; outside the grid, [0, Q(out) + P(out)].
TV is half the sum. W2 in one dimension, certified both ways: W2^2 >= (mean gap)^2 + (sd gap)^2
(the Gaussian-moment lower bound) and W2^2 <= 2 int (x - x_0)^2 |q - p|(dx) (Villani, Optimal
Transport, Thm 6.15), bounded on the same cells. For the Gaussian pair, TV has a closed form
through the two crossing points of the densities (``gaussian_tv``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from flint import arb

from verify.core.contract import Part
from verify.core.numbers import ball, lower, normal_upper_tail, to_arb, upper
from verify.core.stats import clopper_pearson_gap
from verify.maths.samplers.gaussian_recursion import GaussianRun

# Named 1-D mixtures (exact rational means, stds, weights) the lemma's examples refer to.
MIXTURES: dict[str, tuple[tuple[Fraction, ...], tuple[Fraction, ...], tuple[Fraction, ...]]] = {
    "two_close": ((Fraction(-1, 2), Fraction(1, 2)), (Fraction(1), Fraction(1)), (1, 1)),
    "two_apart": ((Fraction(-3, 2), Fraction(3, 2)), (Fraction(1, 2), Fraction(1, 2)), (1, 1)),
    "three_skewed": (
        (Fraction(-1), Fraction(0), Fraction(2)),
        (Fraction(1, 2), Fraction(3, 4), Fraction(1)),
        (Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)),
    ),
}


@dataclass(frozen=True)
class Mixture1D:
    """sum_i w_i N(m_i, t_i^2) on R, exact rationals (t_i > 0, weights normalised)."""

    means: tuple[Fraction, ...]
    stds: tuple[Fraction, ...]
    weights: tuple[Fraction, ...]

    @classmethod
    def named(cls, name: str) -> Mixture1D:
        means, stds, weights = MIXTURES[name]
        total = sum(Fraction(w) for w in weights)
        return cls(
            tuple(Fraction(m) for m in means),
            tuple(Fraction(t) for t in stds),
            tuple(Fraction(w) / total for w in weights),
        )

    @classmethod
    def gaussian(cls, mu: float, s: float) -> Mixture1D:
        return cls((Fraction(mu),), (Fraction(s),), (Fraction(1),))

    @property
    def mean(self) -> Fraction:
        return sum((w * m for w, m in zip(self.weights, self.means, strict=True)), Fraction(0))

    @property
    def variance(self) -> Fraction:
        mu = self.mean
        return sum((w * (t * t + (m - mu) ** 2) for w, m, t in self.components()), Fraction(0))

    def components(self) -> list[tuple[Fraction, Fraction, Fraction]]:
        return list(zip(self.weights, self.means, self.stds, strict=True))

    def arb_components(self) -> list[tuple[arb, arb, arb, arb]]:
        """(w, m, t, t sqrt(2 pi)) per component as arb values at the working precision: what
        ``density`` and ``cdf`` convert, formed once by a caller that evaluates many points."""
        root = (2 * arb.pi()).sqrt()
        return [
            (to_arb(w), to_arb(m), to_arb(t), to_arb(t) * root) for w, m, t in self.components()
        ]

    def density(self, x: arb, parts: list[tuple[arb, arb, arb, arb]] | None = None) -> arb:
        """p(x) enclosed (x may be a ball: then over the ball); ``parts``: ``arb_components()``
        at the working precision (the same enclosures; formed here when not given)."""
        total = arb(0)
        for w, m, t, norm in self.arb_components() if parts is None else parts:
            z = (x - m) / t
            total += w * (-(z * z) / 2).exp() / norm
        return total

    def cdf(self, x: arb, parts: list[tuple[arb, arb, arb, arb]] | None = None) -> arb:
        """P(X <= x) enclosed; ``parts`` as in ``density``."""
        return sum(
            (
                w * normal_upper_tail(-(x - m) / t)
                for w, m, t, _ in (self.arb_components() if parts is None else parts)
            ),
            arb(0),
        )

    def laws_mixture(self):
        from verify.maths.laws import GaussianMixture

        return GaussianMixture(self.means, self.stds, self.weights)


def gaussian_tv(m1: arb, v1: arb, m2: arb, v2: arb) -> arb:
    """TV(N(m1, v1), N(m2, v2)) on R, closed form.

    log of the density ratio is a x^2 + b x + c with a = 1/(2 v2) - 1/(2 v1), b = m1/v1 - m2/v2,
    c = m2^2/(2 v2) - m1^2/(2 v1) - log(v1/v2)/2. Equal variances: one crossing point, TV =
    2 Phi(|m1 - m2| / (2 sqrt v)) - 1. Otherwise two roots r1 < r2 (discriminant
    b^2 - 4ac > 0 since the densities must cross twice), and the set where the narrower density
    is larger is (r1, r2): TV = |P1((r1, r2)) - P2((r1, r2))|. The roots are computed by the
    stable form (q = -(b + sign(b) sqrt(D))/2, roots q/a and c/q). A ball for a root is safe:
    the difference of masses over (r1, r2) is stationary at the true roots and arb encloses it
    over the balls.
    """
    if v1.rad() == 0 and v2.rad() == 0 and v1 == v2:  # the same exact variance
        return 2 * normal_upper_tail(-abs(m1 - m2) / (2 * v1.sqrt())) - 1
    a = 1 / (2 * v2) - 1 / (2 * v1)
    if not (a > 0 or a < 0):  # variances not resolved apart at this precision
        return arb(0.5, 0.5)
    b = m1 / v1 - m2 / v2
    c = m2 * m2 / (2 * v2) - m1 * m1 / (2 * v1) - (v1 / v2).log() / 2
    root_d = (b * b - 4 * a * c).sqrt()
    if b > 0 or b < 0:
        sign = 1 if b > 0 else -1
        q = -(b + sign * root_d) / 2
        roots = [q / a, c / q]
    else:
        roots = [(-b - root_d) / (2 * a), (-b + root_d) / (2 * a)]
    lo, hi = (roots[0], roots[1]) if roots[0] < roots[1] else (roots[1], roots[0])
    s1, s2 = v1.sqrt(), v2.sqrt()
    p1 = normal_upper_tail(-(hi - m1) / s1) - normal_upper_tail(-(lo - m1) / s1)
    p2 = normal_upper_tail(-(hi - m2) / s2) - normal_upper_tail(-(lo - m2) / s2)
    return abs(p1 - p2)


def discretization_tv_bound(run: GaussianRun) -> arb:
    """T_disc = sqrt(B'_m^2 / w_K + b^2 / (2 (1 - b))) / 2, b = B'_v / w_K (1 when b >= 1)."""
    w = run.target_variance
    b = run.contracted_variance_bound / w
    if not b < 1:
        return arb(1)
    return (run.contracted_mean_bound**2 / w + b * b / (2 * (1 - b))).sqrt() / 2


def smoothing_tv_bound(target: Mixture1D, sigma_min: arb) -> arb:
    """sum_i w_i u_K / (2 sqrt 2 t_i^2): TV(p_{u_K}, p) by Pinsker per component."""
    u = sigma_min * sigma_min
    return sum(
        (to_arb(w) * u / (2 * arb(2).sqrt() * to_arb(t * t)) for w, _, t in target.components()),
        arb(0),
    )


def score_levels(sigma_max: float, sigma_min: float, count: int) -> list[arb]:
    """U_0 > ... > U_L = sigma_min^2: a geometric grid of variances for the score integral."""
    top, bottom = to_arb(sigma_max) ** 2, to_arb(sigma_min) ** 2
    ratio = bottom / top
    return [top * ratio ** (arb(k) / count) for k in range(count)] + [bottom]


def score_error_integral(target: Mixture1D, levels: Sequence[arb], cells_per_sigma: int = 8):
    """E >= int_{U_L}^inf I(p_u || g_u) du, g the Gaussian fit (module docstring, (2)).

    Returns (E, per-level score errors I(p_U || g_U), tail term). E = 0 for one component."""
    if len(target.weights) == 1:
        return arb(0), [], arb(0)
    from verify.maths.laws import score_moment

    law = target.laws_mixture()
    s2 = to_arb(target.variance)
    errors = [
        score_moment(law, level.sqrt(), 2, cells_per_sigma=cells_per_sigma) - 1 / (s2 + level)
        for level in levels
    ]
    total = arb(0)
    for k in range(len(levels) - 1):
        # I >= 0 (Cramer-Rao: J(p_U) >= 1/(s^2 + U)): only the upper end of the enclosure counts
        error = arb(0, float(errors[k + 1].upper())) if not errors[k + 1] > 0 else errors[k + 1]
        total += (levels[k] - levels[k + 1]) * error
    top = levels[0]
    tail = sum(
        (to_arb(w) * ((s2 + top) / (to_arb(t * t) + top)).log() for w, _, t in target.components()),
        arb(0),
    )
    return total + tail, errors, tail


@dataclass(frozen=True)
class Distances:
    tv: arb
    w2_lower: arb
    w2_upper: arb


def distances(q_mean: arb, q_var: arb, target: Mixture1D, cells: int = 4000) -> Distances:
    """Certified TV(N(q_mean, q_var), p) and W2 bounds (module docstring), on ``cells`` equal
    cells over the bulk of both laws (12 standard deviations past every mean)."""
    sq = q_var.sqrt()
    spans = [(to_arb(m), to_arb(t)) for _, m, t in target.components()] + [(q_mean, sq)]
    lo = min(float((m - 12 * t).lower()) for m, t in spans)
    hi = max(float((m + 12 * t).upper()) for m, t in spans)
    # Loop invariants formed once (the same enclosures as per edge or cell): the grid's start
    # and width, the target's components as arb values, q's normaliser sd sqrt(2 pi).
    start, width = arb(lo), arb(hi) - arb(lo)
    edges = [start + width * arb(j) / cells for j in range(cells + 1)]
    x0 = to_arb(target.mean)
    parts = target.arb_components()
    q_norm = sq * (2 * arb.pi()).sqrt()
    q_cdf = [normal_upper_tail(-(e - q_mean) / sq) for e in edges]
    p_cdf = [target.cdf(e, parts) for e in edges]
    tv2, w2sq = arb(0), arb(0)  # 2 TV and int (x - x0)^2 |q - p|
    for j in range(cells):
        a, b = edges[j], edges[j + 1]
        mass = abs((q_cdf[j + 1] - q_cdf[j]) - (p_cdf[j + 1] - p_cdf[j]))
        cell = (a + b) / 2 + arb(0, float(((b - a) / 2).upper()))
        gap = gaussian_density(cell, q_mean, sq, q_norm) - target.density(cell, parts)
        reach = abs(cell - x0)
        far = reach.upper()
        if gap > 0 or gap < 0:
            tv2 += mass
            w2sq += arb(far) ** 2 * mass  # upper end only: (x - x0)^2 <= far^2 on the cell
        else:
            upper = (b - a) * abs(gap).upper()
            tv2 += ball(mass, upper)
            w2sq += arb(far) ** 2 * arb(0, float(arb(upper).upper()))
    outside = q_cdf[0] + (1 - q_cdf[-1]) + p_cdf[0] + (1 - p_cdf[-1])
    tv2 += arb(0, float(outside.upper()))
    w2sq += tail_second_moment(edges[0], edges[-1], x0, q_mean, sq, target)
    tv = tv2 / 2
    sd_gap = sq - to_arb(target.variance).sqrt()
    mean_gap = q_mean - x0
    lower_sq = mean_gap * mean_gap + sd_gap * sd_gap
    upper_w2 = (2 * w2sq).sqrt()
    return Distances(tv, lower_sq.sqrt(), upper_w2)


def gaussian_density(x: arb, mean: arb, sd: arb, norm: arb | None = None) -> arb:
    """phi_sd(x - mean) enclosed; ``norm``: sd sqrt(2 pi), when the caller formed it once for
    many points (the same ball)."""
    z = (x - mean) / sd
    return (-(z * z) / 2).exp() / (sd * (2 * arb.pi()).sqrt() if norm is None else norm)


def tail_second_moment(lo: arb, hi: arb, x0: arb, q_mean: arb, q_sd: arb, target: Mixture1D) -> arb:
    """A ball [0, upper] of int_{x < lo or x > hi} (x - x0)^2 (q + p)(dx).

    For N(m, t^2) and a >= 0 with a = hi - m: int_hi^inf (x - x0)^2 phi = t^2 [(a + t^2 ...)]
    bounded by E[(X - x0)^2; X > hi] <= sqrt(E (X - x0)^4) sqrt(P(X > hi)) (Cauchy-Schwarz),
    E (X - x0)^4 = d^4 + 6 d^2 t^2 + 3 t^4 with d = m - x0."""
    total = arb(0)
    laws = [(arb(1), q_mean, q_sd)] + [
        (to_arb(w), to_arb(m), to_arb(t)) for w, m, t in target.components()
    ]
    for w, m, t in laws:
        d = m - x0
        fourth = d**4 + 6 * d * d * t * t + 3 * t**4
        outside = normal_upper_tail(-(lo - m) / t) + normal_upper_tail(-(m - hi) / t)
        total += w * (fourth * outside).sqrt()
    return arb(0, float(total.upper()))


# --- F.2's parts: the real sampler in one coordinate, its event probabilities, its TV ---------


def float_schedule(sigma_max: float, sigma_min: float, steps: int) -> list[float]:
    """The sampler's geometric noise levels (``sde.geometric_schedule``) as floats."""
    import torch

    from verify.maths.samplers.sde import geometric_schedule

    sched = geometric_schedule(sigma_max, sigma_min, steps)
    return [float(v) for v in sched.to(torch.float64)]


def reverse_sde_samples_1d(score, mu: float, s: float, sigmas: Sequence[float], n: int, seed: int):
    """``n`` draws of the real sampler (``sde.reverse_sde_sample``) in one coordinate on the
    levels ``sigmas``, started at N(mu, s^2 + sigma_max^2), scoring with ``score(x, sigma)``."""
    import torch

    from verify.maths.samplers.sde import reverse_sde_sample

    schedule = torch.as_tensor(list(sigmas), dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed)
    out = reverse_sde_sample(score, n, 1, schedule, gen, prior_mean=mu, data_variance=s * s)
    return out.samples[:, 0].numpy()


def event_part(
    name: str, samples, threshold: float, run: GaussianRun, mu: float, resample, alpha: float
) -> Part:
    """STATISTICAL: the Clopper-Pearson interval (level 1 - ``alpha``) of P(x <= threshold) from
    ``samples`` meets the output law's exact probability Phi((t - mu - m_K)/sqrt(v_K)) (the gap
    is 0 when it does); ``resample()`` draws the independent re-draw of a refutation."""
    from verify.maths.closeness import normal_cdf

    exact = normal_cdf((to_arb(threshold) - to_arb(mu) - run.mean_error) / run.variance.sqrt())

    def gap_at(values, level: float) -> Fraction:
        count = int((values <= threshold).sum())
        return clopper_pearson_gap(count, len(values), level, lower(exact), upper(exact))

    def redraw(level: float, fresh: bool) -> tuple[Fraction, Fraction]:
        return gap_at(resample() if fresh else samples, level), Fraction(0)

    count = int((samples <= threshold).sum())
    return Part(
        name,
        gap_at(samples, alpha),
        Fraction(0),
        kind="statistical",
        confidence=1 - alpha,
        note=f"{count}/{len(samples)} below {threshold:.6g}; exact {exact.str(6)}",
        data={"count": count, "n": len(samples), "exact": float(exact.mid())},
        redraw=redraw,
    )


def tv_part(
    target: Mixture1D,
    sigmas: Sequence[float],
    run: GaussianRun,
    law: GaussianRun,
    c_tv: Fraction,
    score_level_count: int,
    data: dict,
) -> Part:
    """CERTIFIED: TV(``law``, p) <= C_tv (T_disc + sqrt(E)/2 + smoothing), the bound's terms
    those of ``run`` (the sampler the bound is about: ``law`` is ``run`` except in a planted
    model mutant) and ``data`` extended with E, its levels and the three terms (module
    docstring)."""
    mu, variance = to_arb(target.mean), to_arb(target.variance)
    disc = discretization_tv_bound(run)
    smooth = smoothing_tv_bound(target, to_arb(sigmas[-1]))
    data = dict(data)
    if len(target.weights) == 1:
        distance = gaussian_tv(mu + law.mean_error, law.variance, mu, variance)
        score_error = arb(0)
    else:
        levels = score_levels(sigmas[0], sigmas[-1], score_level_count)
        score_error, errors, tail = score_error_integral(target, levels)
        found = distances(mu + law.mean_error, law.variance, target)
        distance = found.tv
        data.update(
            {
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
    return Part("tv", distance, to_arb(c_tv) * unit, "C_tv", unit, note=note, data=data)
