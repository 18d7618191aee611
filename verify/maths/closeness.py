r"""(tau, delta)-closeness (Definitions 1.2, 1.3, 1.5): exact on finite supports, bounded on
samples.

Two laws P, Q are (tau, delta)-close when some coupling (X, Y) has P(|X - Y| > tau) <= delta.
The least such delta is

.. math:: \delta_\tau(P, Q) = \inf_{\pi \in \Pi(P, Q)} \pi(|X - Y| > \tau)
          = \sup_A \big(P(A) - Q(A^\tau)\big)

(Strassen's theorem; A^tau is the closed tau-neighbourhood of A, A closed).

Finite supports (``finite_delta``). On atoms p_i at x_i and q_j at y_j the infimum is a
transport problem with 0/1 cost, i.e. 1 - (maximum flow) in the network source -> x_i
(capacity p_i) -> y_j (unbounded, only when |x_i - y_j| <= tau) -> sink (capacity q_j). We run
Edmonds-Karp on exact ``Fraction`` capacities: exact for any rational weights, and the supports
here are small (tens of atoms). scipy's ``maximum_flow`` takes int32 capacities only, so it
would need a common denominator that overflows int32 for the weights we use; an exact augmenting
path search in rationals is a few lines and has no such limit. Distances are compared exactly:
|x - y|^2 <= tau^2 on the rationals the float coordinates are.

Closed forms (``gaussian_shift_delta``). For P = N(0, 1), Q = N(a, 1), a > 0 and tau < a,

.. math:: \delta_\tau = 2\Phi\big((a - \tau)/2\big) - 1,

and 0 for tau >= a (couple Y = X + a). Proof. Upper bound: Y' = Y - tau ~ N(a - tau, 1); the
maximal (total-variation) coupling of X and Y' has X = Y' except with probability
TV(N(0,1), N(a - tau, 1)) = 2 Phi((a - tau)/2) - 1, and X = Y' gives |X - Y| = tau. Lower bound:
the likelihood ratio q/p is increasing (monotone likelihood ratio), so the optimal A is a half
line A = (-inf, t], A^tau = (-inf, t + tau]; P(A) - Q(A^tau) = Phi(t) - Phi(t + tau - a) is
largest at t = (a - tau)/2, where it equals 2 Phi((a - tau)/2) - 1. Both bounds meet.

On samples. A two-sample matching (``matching_fraction``) is an estimate only: a matching of
the empirical laws is no coupling of the population laws, so it bounds nothing by itself. The
confidence statements are one-sided and distribution-free:

- lower bound (``delta_lower_bound``): split each sample in halves. On the first halves choose a
  half-space A = {<x, u> <= t} (u the direction between the first-half means, t maximising the
  empirical P(A) - Q(A^tau)); A^tau = {<x, u>/|u| <= t + tau} exactly. A is then fixed, and on
  the second halves Clopper-Pearson gives, each at level 1 - alpha/2, a lower bound of P(A) and
  an upper bound of Q(A^tau); by Strassen delta_tau >= P(A) - Q(A^tau), so with probability
  >= 1 - alpha (union bound) delta_tau >= lo_P - hi_Q.
- upper bound (``coupling_upper_bound``): i.i.d. pairs (X_i, Y_i) drawn from an explicit
  coupling (the sampler and the exact law driven by shared randomness) give
  delta_tau <= pi(|X - Y| > tau), whose Clopper-Pearson upper end holds at level 1 - alpha.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from flint import arb

from verify.core.stats import clopper_pearson_lower, clopper_pearson_upper

Point = Sequence[float | Fraction]


def _within(x: Point, y: Point, tau: Fraction) -> bool:
    """|x - y| <= tau, decided exactly on the rationals the coordinates are."""
    return sum((Fraction(a) - Fraction(b)) ** 2 for a, b in zip(x, y, strict=True)) <= tau * tau


def finite_delta(
    p_atoms: Sequence[Point],
    p_weights: Sequence[Fraction],
    q_atoms: Sequence[Point],
    q_weights: Sequence[Fraction],
    tau: float | Fraction,
) -> Fraction:
    """The least delta with P, Q (tau, delta)-close, exactly: 1 - max flow (Strassen)."""
    tau = Fraction(tau)
    p_w = [Fraction(w) for w in p_weights]
    q_w = [Fraction(w) for w in q_weights]
    if sum(p_w) != 1 or sum(q_w) != 1:
        raise ValueError("weights must sum to 1 exactly")
    n_p, n_q = len(p_w), len(q_w)
    source, sink = n_p + n_q, n_p + n_q + 1
    residual: dict[int, dict[int, Fraction | None]] = {v: {} for v in range(n_p + n_q + 2)}

    def add(u: int, v: int, capacity: Fraction | None) -> None:  # None: unbounded
        residual[u][v] = capacity
        residual[v].setdefault(u, Fraction(0))

    for i, w in enumerate(p_w):
        add(source, i, w)
    for j, w in enumerate(q_w):
        add(n_p + j, sink, w)
    for i, x in enumerate(p_atoms):
        for j, y in enumerate(q_atoms):
            if _within(x, y, tau):
                add(i, n_p + j, None)
    flow = Fraction(0)
    while True:  # Edmonds-Karp: shortest augmenting paths, exact in rationals
        parent = {source: source}
        queue = deque([source])
        while queue and sink not in parent:
            u = queue.popleft()
            for v, cap in residual[u].items():
                if v not in parent and (cap is None or cap > 0):
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return 1 - flow
        path, v = [], sink
        while v != source:
            path.append((parent[v], v))
            v = parent[v]
        push = min(c for u, v in path if (c := residual[u][v]) is not None)
        for u, v in path:
            if residual[u][v] is not None:
                residual[u][v] -= push
            if residual[v][u] is not None:
                residual[v][u] += push
        flow += push


def normal_cdf(z: arb) -> arb:
    return (1 + (z / arb(2).sqrt()).erf()) / 2


def gaussian_shift_delta(a: arb, tau: arb) -> arb:
    """delta_tau(N(0, 1), N(a, 1)) = 2 Phi((|a| - tau)/2) - 1 for tau < |a|, else 0."""
    gap = abs(a) - tau
    if gap <= 0:
        return arb(0)
    if not gap > 0:
        raise ValueError("tau and |a| are not separated at this precision")
    return 2 * normal_cdf(gap / 2) - 1


def delta_lower_bound(
    p_samples: np.ndarray, q_samples: np.ndarray, tau: float, alpha: float
) -> tuple[Fraction, dict[str, float]]:
    """A lower confidence bound (level 1 - alpha) of delta_tau(P, Q) from i.i.d. samples of
    each law (rows are points), by a half-space chosen on the first halves (module docstring).
    """
    p = np.asarray(p_samples, dtype=float).reshape(len(p_samples), -1)
    q = np.asarray(q_samples, dtype=float).reshape(len(q_samples), -1)
    p1, p2 = p[: len(p) // 2], p[len(p) // 2 :]
    q1, q2 = q[: len(q) // 2], q[len(q) // 2 :]
    direction = q1.mean(axis=0) - p1.mean(axis=0)
    norm = float(np.linalg.norm(direction))
    if norm == 0:
        return Fraction(0), {"t": 0.0}
    u = direction / norm
    proj_p1, proj_q1 = np.sort(p1 @ u), np.sort(q1 @ u)
    candidates = proj_p1
    gains = np.searchsorted(proj_p1, candidates, side="right") / len(p1) - np.searchsorted(
        proj_q1, candidates + tau, side="right"
    ) / len(q1)
    t = float(candidates[int(np.argmax(gains))])
    # A is fixed now; the second halves are independent of it
    in_a = int(np.count_nonzero(p2 @ u <= t))
    in_a_tau = int(np.count_nonzero(q2 @ u <= t + tau))
    p_lo = clopper_pearson_lower(in_a, len(p2), alpha / 2)
    q_hi = clopper_pearson_upper(in_a_tau, len(q2), alpha / 2)
    return max(Fraction(0), p_lo - q_hi), {
        "t": t,
        "p_a": in_a / len(p2),
        "q_a_tau": in_a_tau / len(q2),
    }


def coupling_upper_bound(
    x: np.ndarray, y: np.ndarray, tau: float, alpha: float
) -> tuple[Fraction, int]:
    """An upper confidence bound (level 1 - alpha) of delta_tau from i.i.d. coupled pairs
    (x_i, y_i): Clopper-Pearson on the event |x - y| > tau. Returns (bound, far count)."""
    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    far = int(np.count_nonzero(np.linalg.norm(x - y, axis=1) > tau))
    return clopper_pearson_upper(far, len(x), alpha), far


def matching_fraction(x: np.ndarray, y: np.ndarray, tau: float) -> float:
    """1 - (largest matching of the two samples along pairs within tau) / n: a point estimate of
    delta_tau (no confidence statement: see the module docstring)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching
    from scipy.spatial import cKDTree

    x = np.asarray(x, dtype=float).reshape(len(x), -1)
    y = np.asarray(y, dtype=float).reshape(len(y), -1)
    pairs = cKDTree(x).query_ball_tree(cKDTree(y), tau)
    rows = [i for i, js in enumerate(pairs) for _ in js]
    cols = [j for js in pairs for j in js]
    graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(x), len(y)))
    matched = int(np.count_nonzero(maximum_bipartite_matching(graph, perm_type="column") >= 0))
    return 1 - matched / len(x)


def gaussian_shift_coupling(
    a: float, tau: float, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n i.i.d. pairs (X, Y) of the coupling in the proof above: X ~ N(0, 1), Y' the maximal
    coupling of N(a - tau, 1) with X (a >= tau >= 0), Y = Y' + tau ~ N(a, 1). Returns (x, y,
    apart): a pair not ``apart`` has Y' = X, so Y - X = tau in real arithmetic, and
    {|X - Y| > tau} is contained in {apart} whatever float rounding does to y - x."""
    if tau >= a:  # Y = X + a is within tau
        x = rng.standard_normal(n)
        return x, x + a, np.zeros(n, dtype=bool)
    shifted = a - tau
    x = rng.standard_normal(n)
    keep = rng.random(n) < np.minimum(1.0, np.exp(-((x - shifted) ** 2) / 2 + x**2 / 2))
    y_prime = np.where(keep, x, np.nan)
    todo = np.flatnonzero(~keep)
    while todo.size:  # the residual (q - p)^+, normalised, by rejection from q
        cand = shifted + rng.standard_normal(todo.size)
        ratio = np.exp(-(cand**2) / 2 + (cand - shifted) ** 2 / 2)  # p/q at cand
        accept = rng.random(todo.size) < np.maximum(0.0, 1 - ratio)
        y_prime[todo[accept]] = cand[accept]
        todo = todo[~accept]
    return x, y_prime + tau, ~keep
