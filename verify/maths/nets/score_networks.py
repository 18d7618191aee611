r"""ReLU networks for smoothed scores: one dimension (Lemma C.11) and product laws (Lemma C.12).

C.11: the network is the C.9 network (``verify.maths.nets.pwl.relu_network``) of the C.4 function
(``verify.maths.score_approx.capped_approximation``). Its exact equality with the C.4 function is
checked at every breakpoint and one point beyond each end (a proof for continuous
piecewise-linear functions with those breakpoints; see ``verify.maths.nets.pwl``). Evaluating a
k-unit network at k points naively costs k^2 exact operations, so ``shallow_values`` evaluates a
one-hidden-layer network on sorted inputs by a sweep: unit j contributes
u_j (w_j x + b_j) exactly where w_j x + b_j > 0, an interval of x that starts or ends at
-b_j / w_j; the sweep keeps the running sum of the active units' slopes and intercepts.

C.12: the product-law network is ``verify.maths.nets.relunet.parallel`` of the coordinates' C.11
networks
with the error budget delta/d each (C.5: the errors add). ``is_block_concatenation`` checks
exactly that each layer of the parallel network is the block-diagonal matrix of the coordinate
networks' layers (and the biases their concatenation) — a structural proof that output i is
coordinate network i applied to input i.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from verify.maths.laws import FiniteMixture
from verify.maths.nets.pwl import PiecewiseLinear, relu_network
from verify.maths.nets.relunet import ReluNet, parallel
from verify.maths.score_approx import CappedParameters, capped_approximation


def shallow_values(net: ReluNet, points: Sequence[Fraction]) -> list[Fraction]:
    """Exact outputs of a 1-input, 1-output, one-hidden-layer network at ``points`` (any order).

    Same numbers as ``net([x])[0]`` for each x (tests compare the two), in O((n + k) log k).
    """
    if net.depth != 2 or net.in_dim != 1 or net.out_dim != 1:
        raise ValueError("shallow_values needs a 1 -> 1 network with one hidden layer")
    hidden, out = net.layers
    u = out.weight[0]
    c = out.bias[0]
    # events: (x, kind, slope, intercept): a unit with w > 0 switches on after -b/w; with w < 0
    # it is on before -b/w; with w = 0 it is constant relu(b).
    base_slope, base_icpt = Fraction(0), Fraction(c)
    on_after: list[tuple[Fraction, Fraction, Fraction]] = []
    off_after: list[tuple[Fraction, Fraction, Fraction]] = []
    for (w,), b, uj in zip(hidden.weight, hidden.bias, u, strict=True):
        if uj == 0:
            continue
        if w == 0:
            base_icpt += uj * max(b, Fraction(0))
            continue
        root = -b / w
        if w > 0:
            on_after.append((root, uj * w, uj * b))
        else:
            # active for x < root: count it from the start and remove it after root
            base_slope += uj * w
            base_icpt += uj * b
            off_after.append((root, uj * w, uj * b))
    on_after.sort(key=lambda e: e[0])
    off_after.sort(key=lambda e: e[0])
    # The running sums in integers over one common denominator D (the lcm of every slope and
    # intercept term's): slope * x + icpt = (S x_num + I x_den) / (D x_den), one reduced
    # Fraction per point instead of a Fraction operation per term (the same rationals).
    terms = [base_slope, base_icpt]
    for _, unit_slope, unit_icpt in on_after + off_after:
        terms += (unit_slope, unit_icpt)
    common = math.lcm(*(q.denominator for q in terms))

    def scaled(q: Fraction) -> int:
        return q.numerator * (common // q.denominator)

    on_steps = [(root, scaled(a), scaled(b)) for root, a, b in on_after]
    off_steps = [(root, scaled(a), scaled(b)) for root, a, b in off_after]
    order = sorted(range(len(points)), key=lambda i: points[i])
    results: list[Fraction] = [Fraction(0)] * len(points)
    slope, icpt = scaled(base_slope), scaled(base_icpt)
    i_on = i_off = 0
    for idx in order:
        x = Fraction(points[idx])
        # unit with w > 0 is active iff x > root (at x = root it contributes 0 either way)
        while i_on < len(on_steps) and on_steps[i_on][0] < x:
            slope += on_steps[i_on][1]
            icpt += on_steps[i_on][2]
            i_on += 1
        # unit with w < 0 is active iff x < root
        while i_off < len(off_steps) and off_steps[i_off][0] <= x:
            slope -= off_steps[i_off][1]
            icpt -= off_steps[i_off][2]
            i_off += 1
        results[idx] = Fraction(slope * x.numerator + icpt * x.denominator, common * x.denominator)
    return results


def pwl_values(f: PiecewiseLinear, points: Sequence[Fraction]) -> list[Fraction]:
    """Exact values of ``f`` at ``points`` (values at breakpoints computed once)."""
    if not f.breakpoints:
        return [f.value_at_first + f.slopes[0] * Fraction(x) for x in points]
    values = f.values_at_breakpoints()
    t = f.breakpoints
    out = []
    for x in points:
        x = Fraction(x)
        piece = bisect_left(t, x)
        if piece < len(t) and t[piece] == x:
            out.append(values[piece])
        elif piece == 0:
            out.append(values[0] + f.slopes[0] * (x - t[0]))
        else:
            out.append(values[piece - 1] + f.slopes[piece] * (x - t[piece - 1]))
    return out


def network_equals_function(net: ReluNet, f: PiecewiseLinear) -> bool:
    """Exact equality on the whole line, decided at ``f.witness_points()``.

    Valid because a one-hidden-layer network is continuous piecewise linear with kinks only at
    its units' roots -b_j/w_j; the check also requires every such root to be a breakpoint of f
    (or a unit with zero outer weight), so both functions' breakpoints lie in f's.
    """
    hidden, out = net.layers
    kinks = set(f.breakpoints)
    for (w,), b, uj in zip(hidden.weight, hidden.bias, out.weight[0], strict=True):
        if w != 0 and uj != 0 and (-b / w) not in kinks:
            return False
    return shallow_values(net, f.witness_points()) == f.witness_values()


@dataclass
class ScoreNetwork:
    """The C.11 network of one smoothed law, with its C.4 function and parameters."""

    law: FiniteMixture
    sigma: Fraction
    delta: Fraction
    function: PiecewiseLinear
    params: CappedParameters
    net: ReluNet

    @property
    def weight_bound(self) -> Fraction:
        """max(1, |breakpoints|, 2 * slope bound, value bound): the C.9 network's parameters are
        +-1, breakpoints, slope jumps (<= 2 * slope bound) and f(t_1)."""
        p = self.params
        return max(Fraction(1), p.breakpoint_bound, 2 * p.slope_bound, p.cap)

    @property
    def parameter_bound(self) -> Fraction:
        """3 * pieces + 1 with the C.4 piece bound (C.9 uses at most 3k + 1 parameters)."""
        return 3 * self.params.pieces_bound + 1


def score_network(law: FiniteMixture, sigma: Fraction, delta: Fraction) -> ScoreNetwork:
    f, params = capped_approximation(law, Fraction(sigma), Fraction(delta))
    return ScoreNetwork(law, Fraction(sigma), Fraction(delta), f, params, relu_network(f))


def is_block_concatenation(big: ReluNet, nets: Sequence[ReluNet]) -> bool:
    """Exact structural check: every layer of ``big`` is block-diagonal with the layers of
    ``nets`` (all of the same depth) on the diagonal, zeros elsewhere, biases concatenated."""
    if any(n.depth != big.depth for n in nets):
        return False
    for level, layer in enumerate(big.layers):
        blocks = [n.layers[level] for n in nets]
        if layer.out_dim != sum(b.out_dim for b in blocks):
            return False
        if layer.in_dim != sum(b.in_dim for b in blocks):
            return False
        row0 = col0 = 0
        for block in blocks:
            for r in range(block.out_dim):
                row = layer.weight[row0 + r]
                if layer.bias[row0 + r] != block.bias[r]:
                    return False
                for col, w in enumerate(row):
                    inside = col0 <= col < col0 + block.in_dim
                    expected = block.weight[r][col - col0] if inside else 0
                    if w != expected:
                        return False
            row0 += block.out_dim
            col0 += block.in_dim
    return True


@dataclass
class ProductScoreNetwork:
    """The C.12 network: coordinate networks with budget delta/d each, run in parallel."""

    coordinates: list[ScoreNetwork]
    net: ReluNet

    @property
    def parameter_bound(self) -> Fraction:
        return sum((c.parameter_bound for c in self.coordinates), Fraction(0))

    @property
    def weight_bound(self) -> Fraction:
        return max(c.weight_bound for c in self.coordinates)


def product_score_network(
    laws: Sequence[FiniteMixture], sigma: Fraction, delta: Fraction
) -> ProductScoreNetwork:
    share = Fraction(delta) / len(laws)
    coordinates = [score_network(law, sigma, share) for law in laws]
    return ProductScoreNetwork(coordinates, parallel(*[c.net for c in coordinates]))
