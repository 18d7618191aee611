r"""The discretized VE reverse SDE (``verify.maths.samplers.sde``) on a Gaussian target, exactly.

Target p = N(mu, s^2 I_d). The VE forward marginal at level sigma is N(mu, w I), w = s^2 + sigma^2,
whose score is linear: s_sigma(x) = -(x - mu)/w. The sampler's Euler-Maruyama step from level
sigma_k to sigma_{k+1} (du_k = sigma_k^2 - sigma_{k+1}^2) with a score perturbed by a constant
bias b_k per coordinate,

.. math:: x_{k+1} = x_k + du_k\,(-(x_k-\mu)/w_k + b_k) + \sqrt{du_k}\,z_k,

maps N(mu + m_k, v_k I) to N(mu + m_{k+1}, v_{k+1} I) with a_k = 1 - du_k / w_k and

.. math:: m_{k+1} = a_k m_k + du_k b_k, \qquad v_{k+1} = a_k^2 v_k + du_k.

Variance error. With w_{k+1} = w_k - du_k and a_k^2 w_k = w_k - 2 du_k + du_k^2/w_k,
e_k = v_k - w_k obeys e_{k+1} = a_k^2 e_k + du_k^2 / w_k, so

.. math:: e_K = \Big(\prod_k a_k^2\Big) e_0 + \sum_k \frac{du_k^2}{w_k}\prod_{j>k} a_j^2
          \le |e_0| + \sum_k du_k^2 / w_k

(0 <= a_k <= 1 when du_k <= w_k, which holds since du_k <= sigma_k^2 <= w_k). Mean error:
|m_K| <= |m_0| + sum_k du_k |b_k|.

W2 between N(mu + m, v I) and N(mu, w I) is sqrt(d (m^2 + (sqrt v - sqrt w)^2)), and
(sqrt v - sqrt w)^2 = (v - w)^2 / (sqrt v + sqrt w)^2 <= (v - w)^2 / w. Hence the bound F.2 is
checked against (score error eps: b_k = eps / sigma_k, i.e. E|s_hat - s|^2 = d eps^2/sigma^2):

.. math:: W_2(\mathrm{law}(x_K), p) \le \sqrt d\,\Big(\sqrt{B_m^2 + B_v^2 / w_K}
          + \sqrt{s^2 + \sigma_K^2} - s\Big),
    \quad B_m = |m_0| + \sum_k du_k |b_k|,\ B_v = |e_0| + \sum_k du_k^2/w_k,

the last term being W2(p_{sigma_K}, p) = sqrt(d)(sqrt(s^2 + sigma_K^2) - s) <= sqrt(d) sigma_K
(the triangle inequality through p_{sigma_K}).
Contracted form (the TV bound of ``mixture_reverse_sde`` uses it): w_k - du_k = w_{k+1}, so
a_k = w_{k+1}/w_k and prod_{j>k} a_j = w_K / w_{k+1}; unrolled,

.. math:: e_K = (w_K/w_0)^2 e_0 + w_K^2 \sum_k \frac{du_k^2}{w_k w_{k+1}^2},\qquad
          |m_K| \le (w_K/w_0)|m_0| + w_K \sum_k \frac{du_k |b_k|}{w_{k+1}} =: B'_m,

and |e_K| <= (w_K/w_0)^2 |e_0| + w_K^2 sum_k du_k^2/(w_k w_{k+1}^2) =: B'_v (every term >= 0:
on a geometric schedule of ratio r, B'_v / w_K = O((1 - r^2)^2 / r^4 * #{k: sigma_k >~ s}) =
O(1/steps), without the sigma_0^2 / w_K of B_v).
On a geometric schedule with ratio r, du_k^2/w_k <= sigma_k^2 (1 - r^2)^2, so B_v <= |e_0| +
(1 - r^2) sigma_0^2 = O(log(sigma_0/sigma_K)/K) sigma_0^2: the number of steps enters through r.
Everything here is exact arb arithmetic on the schedule's float values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flint import arb

from verify.core.numbers import to_arb


@dataclass(frozen=True)
class GaussianRun:
    mean_error: arb  # m_K
    variance: arb  # v_K
    target_variance: arb  # w_K = s^2 + sigma_K^2
    variance_error_unrolled: arb  # e_K by the unrolled sum (an independent computation)
    mean_bound: arb  # B_m
    variance_bound: arb  # B_v
    contracted_mean_bound: arb  # B'_m
    contracted_variance_bound: arb  # B'_v


def bias_schedule(sigmas: Sequence[float], eps: float) -> list[arb]:
    """The score bias b_k = eps / sigma_k of a score error of relative size eps."""
    return [to_arb(eps) / to_arb(sigma) for sigma in sigmas[:-1]]


def gaussian_run(
    sigmas: Sequence[float], s: float | arb, start_mean_error: float, start_variance, biases
) -> GaussianRun:
    """The exact mean/variance recursion of the reverse SDE on N(mu, s^2 I) (module docstring),
    started at N(mu + m_0, v_0 I). ``s`` and ``start_variance`` may be arb enclosures (a
    mixture's fitted standard deviation)."""
    s2 = to_arb(s) ** 2
    m, v = to_arb(start_mean_error), to_arb(start_variance)
    w = s2 + to_arb(sigmas[0]) ** 2
    e0 = v - w
    factors, increments = [], []
    mean_bound, variance_bound = abs(m), abs(e0)
    w_final = s2 + to_arb(sigmas[-1]) ** 2
    m0, w0 = abs(m), w
    contracted_mean, contracted_variance = arb(0), arb(0)
    for k in range(len(sigmas) - 1):
        hi, lo = to_arb(sigmas[k]), to_arb(sigmas[k + 1])
        du = hi * hi - lo * lo
        w = s2 + hi * hi
        a = 1 - du / w
        m = a * m + du * biases[k]
        v = a * a * v + du
        factors.append(a * a)
        increments.append(du * du / w)
        mean_bound += du * abs(biases[k])
        variance_bound += du * du / w
        w_next = s2 + lo * lo
        contracted_mean += du * abs(biases[k]) / w_next
        contracted_variance += du * du / (w * w_next * w_next)
    # the unrolled sum, term by term from the end: an independent order of evaluation
    tail, total = arb(1), arb(0)
    for factor, increment in zip(reversed(factors), reversed(increments), strict=True):
        total += increment * tail
        tail *= factor
    total += tail * e0
    contracted_mean = w_final / w0 * m0 + w_final * contracted_mean
    contracted_variance = (w_final / w0) ** 2 * abs(e0) + w_final**2 * contracted_variance
    return GaussianRun(
        m, v, w_final, total, mean_bound, variance_bound, contracted_mean, contracted_variance
    )


def w2_to_target(run: GaussianRun, s: float, d: int) -> arb:
    """W2(N(mu + m_K, v_K I), N(mu, s^2 I)) in R^d, enclosed."""
    gap = run.variance.sqrt() - to_arb(s)
    return (d * (run.mean_error**2 + gap * gap)).sqrt()


def w2_bound(run: GaussianRun, s: float, d: int) -> arb:
    """sqrt(d) (sqrt(B_m^2 + B_v^2 / w_K) + sqrt(w_K) - s): the explicit F.2 bound (module
    docstring)."""
    inner = run.mean_bound**2 + run.variance_bound**2 / run.target_variance
    return arb(d).sqrt() * (inner.sqrt() + run.target_variance.sqrt() - to_arb(s))
