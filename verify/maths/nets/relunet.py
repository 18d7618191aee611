"""Exact feedforward ReLU networks with rational weights, their composition, and float64 export.

``ReluNet(layers)`` computes ``A_L(ReLU(A_{L-1}(... ReLU(A_1 x))))``: ReLU between affine layers,
none after the last. Weights are ``Fraction``s, so evaluation is exact and equalities between a
network and the function it should represent can be proved, not estimated.

``float_error_bound`` bounds the gap between a float64 evaluation (``to_torch``) and the exact
value rigorously: each affine layer y = W z + b with n inputs computed in floating point, from an
input z_hat with |z_hat - z| <= e componentwise, satisfies
|fl(W_fl z_hat + b_fl) - (W z + b)| <= |W| e + u |W| |z_hat| + u |b|
    + gamma_{n+1} (|W_fl| |z_hat| + |b_fl|),
with u = 2^-53 (conversion of the weights to float64), gamma_k = k u / (1 - k u) (a dot product
of n terms plus the bias, in any summation order, FMA or not), and ReLU is 1-Lipschitz.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property

UNIT_ROUNDOFF = Fraction(1, 2**53)

Matrix = tuple[tuple[Fraction, ...], ...]
Vector = tuple[Fraction, ...]


def _as_fraction(value) -> Fraction:
    # A Fraction is kept as it is (immutable): Fraction(Fraction) only copies, at some cost per
    # entry of networks with hundreds of thousands of weights.
    return value if type(value) is Fraction else Fraction(value)


def _frac_matrix(rows) -> Matrix:
    return tuple(tuple(map(_as_fraction, row)) for row in rows)


def _frac_vector(values) -> Vector:
    return tuple(map(_as_fraction, values))


@dataclass(frozen=True)
class Affine:
    """x -> weight @ x + bias, with ``weight`` given as out_dim rows of in_dim entries."""

    weight: Matrix
    bias: Vector

    def __post_init__(self) -> None:
        object.__setattr__(self, "weight", _frac_matrix(self.weight))
        object.__setattr__(self, "bias", _frac_vector(self.bias))
        if len(self.weight) != len(self.bias):
            raise ValueError("an affine layer needs one bias per output")
        widths = {len(row) for row in self.weight}
        if len(widths) > 1:
            raise ValueError("ragged weight matrix")

    @property
    def out_dim(self) -> int:
        return len(self.bias)

    @property
    def in_dim(self) -> int:
        return len(self.weight[0]) if self.weight else 0

    @cached_property
    def integer_rows(self) -> list[tuple[list[int], int]]:
        """Each weight row as (numerators over one common denominator, that denominator)."""
        return [_common_denominator(row) for row in self.weight]

    @cached_property
    def integer_form(self) -> tuple[list[list[int]], list[int], int]:
        """(W', b', D): weight == W' / D and bias == b' / D, one denominator for the layer."""
        rows = self.integer_rows
        denominator = math.lcm(*(d for _, d in rows), *(b.denominator for b in self.bias))
        weights = [[n * (denominator // d) for n in nums] for nums, d in rows]
        bias = [b.numerator * (denominator // b.denominator) for b in self.bias]
        return weights, bias, denominator

    @cached_property
    def abs_integer_form(self) -> tuple[list[list[int]], list[int], int]:
        """``integer_form`` of |weight| and |bias|."""
        weights, bias, denominator = self.integer_form
        return [[abs(n) for n in row] for row in weights], [abs(b) for b in bias], denominator

    def apply_integers(self, nums: Sequence[int], den: int) -> tuple[list[int], int]:
        """The layer at x = nums / den (den > 0), exactly: (y', den D) with y == y' / (den D)."""
        weights, bias, denominator = self.integer_form
        if any(len(row) != len(nums) for row in weights[:1]):
            raise ValueError("a dot product needs vectors of equal length")
        out = [
            sum(map(operator.mul, row, nums)) + b * den
            for row, b in zip(weights, bias, strict=True)
        ]
        return out, den * denominator

    def __call__(self, x: Sequence[Fraction]) -> list[Fraction]:
        # Exact, as a sum of Fractions would be, but one gcd per output instead of one per term.
        nums, den = self.apply_integers(*_common_denominator(x))
        return [Fraction(n, den) for n in nums]


def _reduced(nums: list[int], den: int) -> tuple[list[int], int]:
    """nums / den with the common factor of all of them divided out (the same rationals)."""
    common = math.gcd(den, *nums)
    if common == 1:
        return nums, den
    return [n // common for n in nums], den // common


def _common_denominator(values: Sequence[Fraction | int]) -> tuple[list[int], int]:
    """(n, d) with values[i] == n[i] / d exactly, d the lcm of the denominators."""
    if len(values) == 1:  # a one-entry row (a C.9 network's first layer): n / d itself
        value = values[0] if type(values[0]) is Fraction else Fraction(values[0])
        return [value.numerator], value.denominator
    fractions = [v if type(v) is Fraction else Fraction(v) for v in values]
    d = math.lcm(*(v.denominator for v in fractions)) if fractions else 1
    return [v.numerator * (d // v.denominator) for v in fractions], d


@dataclass(frozen=True)
class ReluNet:
    layers: tuple[Affine, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        if not self.layers:
            raise ValueError("a network needs at least one affine layer")
        for inner, outer in zip(self.layers, self.layers[1:], strict=False):
            if inner.out_dim != outer.in_dim:
                raise ValueError("layer widths do not chain")

    @property
    def depth(self) -> int:
        """Number of affine layers (hidden ReLU layers + 1)."""
        return len(self.layers)

    @property
    def in_dim(self) -> int:
        return self.layers[0].in_dim

    @property
    def out_dim(self) -> int:
        return self.layers[-1].out_dim

    def __call__(self, x: Sequence[Fraction | int]) -> list[Fraction]:
        values = [Fraction(v) for v in x]
        if len(values) != self.in_dim:
            raise ValueError(f"expected {self.in_dim} inputs, got {len(values)}")
        # Exact in integers over one positive denominator per layer (ReLU is then the sign of
        # the numerator); the same rationals as the layers' Fraction arithmetic.
        nums, den = _common_denominator(values)
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            nums, den = layer.apply_integers(nums, den)
            if index < last:
                nums = [n if n > 0 else 0 for n in nums]
            nums, den = _reduced(nums, den)
        return [Fraction(n, den) for n in nums]

    def parameters(self) -> list[Fraction]:
        out: list[Fraction] = []
        for layer in self.layers:
            for row in layer.weight:
                out.extend(row)
            out.extend(layer.bias)
        return out

    def parameter_count(self) -> int:
        """Nonzero weights and biases (a zero entry is an absent connection)."""
        # On the integer numerators of each row (the same zeros), not on Fractions.
        count = 0
        for layer in self.layers:
            for numerators, _ in layer.integer_rows:
                count += len(numerators) - numerators.count(0)
            count += sum(1 for b in layer.bias if b)
        return count

    def max_abs_parameter(self) -> Fraction:
        """The largest |weight| or |bias| (0 for a network without parameters)."""
        # Per row, the largest |numerator| over the row's common denominator: one Fraction per
        # row instead of one abs and one comparison of Fractions per weight.
        # The running maximum as an integer pair (p, q), q > 0, compared by cross-multiplying:
        # the same largest rational, without a Fraction and a Fraction comparison per row and
        # per bias.
        best_num, best_den = 0, 1
        for layer in self.layers:
            for numerators, denominator in layer.integer_rows:
                if numerators:
                    top = max(map(abs, numerators))
                    if top * best_den > best_num * denominator:
                        best_num, best_den = top, denominator
            for b in layer.bias:
                top, denominator = abs(b.numerator), b.denominator
                if top * best_den > best_num * denominator:
                    best_num, best_den = top, denominator
        return Fraction(best_num, best_den)

    def to_torch(self, dtype=None):
        """The same network as a ``torch.nn.Sequential`` (weights rounded to ``dtype``)."""
        import torch

        dtype = dtype or torch.float64
        modules: list[torch.nn.Module] = []
        for index, layer in enumerate(self.layers):
            linear = torch.nn.Linear(layer.in_dim, layer.out_dim, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(
                    torch.tensor([[float(w) for w in row] for row in layer.weight], dtype=dtype)
                )
                linear.bias.copy_(torch.tensor([float(b) for b in layer.bias], dtype=dtype))
            modules.append(linear)
            if index < len(self.layers) - 1:
                # In place: the input is always a Linear's fresh output (no copy of a wide
                # hidden layer; the same values).
                modules.append(torch.nn.ReLU(inplace=True))
        return torch.nn.Sequential(*modules)


def identity_net(width: int, depth: int) -> ReluNet:
    """Exact identity on R^width with ``depth`` affine layers (x = ReLU(x) - ReLU(-x))."""
    eye = [[Fraction(int(i == j)) for j in range(width)] for i in range(width)]
    zeros = [Fraction(0)] * width
    if depth == 1:
        return ReluNet((Affine(eye, zeros),))
    split = Affine([*eye, *[[-w for w in row] for row in eye]], zeros * 2)
    eye2 = [[Fraction(int(i == j)) for j in range(2 * width)] for i in range(2 * width)]
    middle = [Affine(eye2, zeros * 2) for _ in range(depth - 2)]
    merge = Affine([[*row, *[-w for w in row]] for row in eye], zeros)
    return ReluNet((split, *middle, merge))


def compose(outer: ReluNet, inner: ReluNet) -> ReluNet:
    """outer(inner(x)); inner's last affine layer and outer's first merge into one."""
    if inner.out_dim != outer.in_dim:
        raise ValueError("inner output width differs from outer input width")
    last, first = inner.layers[-1], outer.layers[0]
    weight = [
        [
            sum((a * last.weight[k][j] for k, a in enumerate(row)), Fraction(0))
            for j in range(last.in_dim)
        ]
        for row in first.weight
    ]
    bias = [
        sum((a * last.bias[k] for k, a in enumerate(row)), b)
        for row, b in zip(first.weight, first.bias, strict=True)
    ]
    return ReluNet((*inner.layers[:-1], Affine(weight, bias), *outer.layers[1:]))


def deepen(net: ReluNet, depth: int) -> ReluNet:
    """The same function with ``depth`` affine layers (identity layers appended)."""
    if depth < net.depth:
        raise ValueError("cannot make a network shallower")
    if depth == net.depth:
        return net
    return compose(identity_net(net.out_dim, depth - net.depth + 1), net)


def parallel(*nets: ReluNet) -> ReluNet:
    """Concatenation (Lemma C.10): inputs and outputs side by side, block-diagonal layers.

    Shallower networks are padded with exact identity layers, so the result is exact.
    """
    if not nets:
        raise ValueError("parallel() needs at least one network")
    depth = max(n.depth for n in nets)
    padded = [deepen(n, depth) for n in nets]
    layers = []
    for level in range(depth):
        blocks = [n.layers[level] for n in padded]
        total_in = sum(b.in_dim for b in blocks)
        rows: list[list[Fraction]] = []
        bias: list[Fraction] = []
        offset = 0
        for block in blocks:
            for row, b in zip(block.weight, block.bias, strict=True):
                full = [Fraction(0)] * total_in
                full[offset : offset + block.in_dim] = row
                rows.append(full)
                bias.append(b)
            offset += block.in_dim
        layers.append(Affine(rows, bias))
    return ReluNet(tuple(layers))


def gamma(k: int) -> Fraction:
    """gamma_k = k u / (1 - k u), the classical bound of k rounding errors."""
    return k * UNIT_ROUNDOFF / (1 - k * UNIT_ROUNDOFF)


@functools.lru_cache(maxsize=256)
def _rounding_coefficient(in_dim: int) -> tuple[int, int]:
    """u + gamma_{n+1} (1 + u) of a layer with n = ``in_dim`` inputs, as (numerator,
    denominator) in lowest terms: |W_fl| <= (1 + u)|W| and |b_fl| <= (1 + u)|b|, so the
    rounding term u (weighted + |b|) + gamma (1 + u) (weighted + |b|) is this coefficient times
    (weighted + |b|). A pure function of n (every evaluation point of a network shares it)."""
    coefficient = UNIT_ROUNDOFF + gamma(in_dim + 1) * (1 + UNIT_ROUNDOFF)
    return coefficient.numerator, coefficient.denominator


def float_error_bound(net: ReluNet, x: Sequence[float]) -> list[Fraction]:
    """Rigorous componentwise bound of |float64 evaluation of ``net`` at x - exact value at x.

    ``x`` are floats, taken exactly (the exact network is evaluated at the same floats).
    """
    return float_error_bound_and_value(net, x)[0]


def float_error_bound_and_value(
    net: ReluNet, x: Sequence[float]
) -> tuple[list[Fraction], list[Fraction]]:
    """(``float_error_bound(net, x)``, ``net(x)``): the bound propagates the exact value layer by
    layer (the same integers as ``ReluNet.__call__``), so both come from one pass."""
    # Exact in integers: the value x = nums / den, the error bound e = err / err_den and the
    # magnitude |x| + e >= |z_hat| over one positive denominator each (the same rationals as
    # the Fraction arithmetic of the bound; every vector reduced by its common factor).
    nums, den = _common_denominator([Fraction(v) for v in x])
    err, err_den = [0] * len(nums), 1
    last = len(net.layers) - 1
    for index, layer in enumerate(net.layers):
        cn, cd = _rounding_coefficient(layer.in_dim)
        magnitude = [abs(n) * err_den + e * den for n, e in zip(nums, err, strict=True)]
        magnitude_den = den * err_den
        weights, bias, denominator = layer.abs_integer_form
        if any(len(row) != len(nums) for row in weights[:1]):
            raise ValueError("a dot product needs vectors of equal length")
        # |W| e = P / (D err_den), |W| m = Q / (D magnitude_den), |b| = b' / D: the new error
        # P/(D err_den) + c (Q/(D magnitude_den) + b'/D) over D err_den cd magnitude_den.
        scale = cd * magnitude_den
        new_error = [
            sum(map(operator.mul, row, err)) * scale
            + cn * err_den * (sum(map(operator.mul, row, magnitude)) + b * magnitude_den)
            for row, b in zip(weights, bias, strict=True)
        ]
        err, err_den = _reduced(new_error, denominator * err_den * scale)
        nums, den = layer.apply_integers(nums, den)
        if index < last:
            nums = [n if n > 0 else 0 for n in nums]
        nums, den = _reduced(nums, den)
    return [Fraction(e, err_den) for e in err], [Fraction(n, den) for n in nums]
