r"""Lemma C.10: running ReLU networks side by side (concatenation).

Statement checked ([derived], explicit form of ``verify.maths.nets.relunet.parallel``). Let
:math:`N_1, \dots, N_m` be ReLU networks, :math:`N_i: \mathbb R^{a_i} \to \mathbb R^{b_i}`, of
depths :math:`D_i` (affine layers), :math:`P_i` nonzero parameters and largest parameter
:math:`B_i`; :math:`D = \max_i D_i`. The network :math:`N = \mathrm{parallel}(N_1, \dots, N_m)`
computes :math:`N(x_1, \dots, x_m) = (N_1(x_1), \dots, N_m(x_m))` exactly, and

.. math::
    \sum_i P_i \le P(N) \le C_{10}\sum_i \big(P_i + [D_i < D]\,(P^{last}_i + 2 b_i (D - D_i))\big),
    \qquad \max_i B_i \le B(N) \le \max(\max_i B_i, [\exists i: D_i < D]),

:math:`C_{10} = 1`, with :math:`P^{last}_i` the nonzero parameters of the last layer of
:math:`N_i`. When all depths agree this is the paper's statement: the counts add and the bound
is the max. Derivation: a shallower network is padded by composing it with the exact identity
:math:`x = \mathrm{ReLU}(x) - \mathrm{ReLU}(-x)` over :math:`D - D_i` extra layers; the merged
layer holds :math:`\pm` copies of the old last layer (twice its parameters) and each further
identity layer 2 b_i ones; the weights added are :math:`\pm1` and copies of old ones.

Check (all exact rationals): the parameter count and the largest parameter against both sides;
``function_everywhere``, a proof for all inputs: every layer is block-diagonal with the padded
networks as blocks, each padded network is its network with the last layer split into [L; -L],
copy layers and a final [I, -I] (checked entry by entry), and the scalar identities
relu(t) - relu(-t) = t, relu(relu(t)) = relu(t) (piecewise linear with breakpoint 0: checked at
-1, 0, 1); a spot check at 3 random exact points (``function_at_points``, sampled only); and,
when the depths agree, the block-diagonal structure against the unpadded networks. Networks
are generated from a seed: depths 1..3, widths 1..3, weights p/q with |p| <= 9, q in 1..4, a
third of them zero.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, Part
from verify.core.domain import Domain, Integer
from verify.core.errors import DomainError
from verify.maths.nets.relunet import Affine, ReluNet, deepen, parallel
from verify.maths.nets.score_networks import is_block_concatenation

MAX_NETS = 5


def random_net(rng: random.Random, depth: int, widths: list[int]) -> ReluNet:
    """A network with the given layer widths (widths[0] inputs, widths[-1] outputs)."""

    def weight() -> Fraction:
        if rng.random() < 1 / 3:
            return Fraction(0)
        return Fraction(rng.randint(-9, 9), rng.randint(1, 4))

    layers = []
    for k in range(depth):
        rows, cols = widths[k + 1], widths[k]
        layers.append(
            Affine(
                [[weight() for _ in range(cols)] for _ in range(rows)],
                [weight() for _ in range(rows)],
            )
        )
    return ReluNet(tuple(layers))


@dataclass(frozen=True)
class NetworkShapes:
    """A list of 1..``max_nets`` networks, each given by its 2..5 layer widths in 1..4 (the
    search draws 1..3 networks' depths and widths from 1..3, often all of one depth)."""

    max_nets: int
    doc: str = ""

    def check(self, name: str, params: dict[str, Any]) -> list[list[int]]:
        specs = params.get(name)
        if not isinstance(specs, list) or not 1 <= len(specs) <= self.max_nets:
            raise DomainError(f"C.10 needs a list {name!r} of 1..{self.max_nets} network specs")
        for spec in specs:
            if not isinstance(spec, list) or not 2 <= len(spec) <= 5:
                raise DomainError("a network spec is a list of 2..5 layer widths")
            if any(not isinstance(w, int) or isinstance(w, bool) or not 1 <= w <= 4 for w in spec):
                raise DomainError("layer widths must be integers in 1..4")
        return specs

    def text(self, name: str) -> str:
        return f"{name}: 1 to {self.max_nets} networks, depths 1..4, widths 1..4"

    def strategy(self) -> st.SearchStrategy[list[list[int]]]:
        @st.composite
        def shapes(draw) -> list[list[int]]:
            count = draw(st.integers(1, self.max_nets))
            same_depth = draw(st.booleans())
            depth = draw(st.integers(1, 3))
            nets = []
            for _ in range(count):
                d = depth if same_depth else draw(st.integers(1, 3))
                nets.append([draw(st.integers(1, 3)) for _ in range(d + 1)])
            return nets

        return shapes()


DOMAIN = Domain(
    optional=("seed",),
    nets=NetworkShapes(MAX_NETS),  # type: ignore[arg-type]  # a Spec by its methods
    seed=Integer(0, 2**63 - 1, search=(0, 2**20), doc="seed of the random rational weights"),
)


def nets_from_params(params: dict[str, Any]) -> list[ReluNet]:
    DOMAIN.validate(params)
    rng = random.Random(params.get("seed", 0))
    return [random_net(rng, len(spec) - 1, spec) for spec in params["nets"]]


def _check(params: dict[str, Any], constants: dict[str, Fraction]) -> list[Part]:
    nets = nets_from_params(params)
    big = parallel(*nets)
    depth = max(n.depth for n in nets)
    padded = any(n.depth < depth for n in nets)
    counts = [n.parameter_count() for n in nets]
    padding = 0
    for n in nets:
        if n.depth < depth:
            last = n.layers[-1]
            nnz_last = sum(1 for row in last.weight for w in row if w != 0)
            nnz_last += sum(1 for b in last.bias if b != 0)
            padding += nnz_last + 2 * n.out_dim * (depth - n.depth)
    unit = Fraction(sum(counts) + padding)
    count = Fraction(big.parameter_count())
    largest = max(n.max_abs_parameter() for n in nets)
    top = max(largest, Fraction(1)) if padded else largest
    # the function, exactly, at random rational points
    rng = random.Random(int(params.get("seed", 0)) + 1)
    mismatch = Fraction(0)
    for _ in range(3):
        xs = [
            [Fraction(rng.randint(-40, 40), rng.randint(1, 8)) for _ in range(n.in_dim)]
            for n in nets
        ]
        got = big([x for block in xs for x in block])
        want = [y for n, x in zip(nets, xs, strict=True) for y in n(x)]
        mismatch = max([mismatch, *(abs(a - b) for a, b in zip(got, want, strict=True))])
    everywhere = Fraction(0) if _proved_everywhere(big, nets) else Fraction(1)
    parts = [
        Part(
            "count_upper",
            count,
            Fraction(constants["C10"]) * unit,
            "C10",
            unit,
            note=f"depths {[n.depth for n in nets]}",
        ),
        Part("count_lower", Fraction(sum(counts)), count),
        Part("bound_upper", big.max_abs_parameter(), top),
        Part("bound_lower", largest, big.max_abs_parameter()),
        Part(
            "function_everywhere",
            everywhere,
            Fraction(0),
            note="proved for all inputs: block structure, padding structure, scalar identities",
        ),
        Part("function_at_points", mismatch, Fraction(0), note="spot check at 3 exact points"),
    ]
    if not padded:
        structure = Fraction(0) if is_block_concatenation(big, nets) else Fraction(1)
        parts.append(Part("block_diagonal", structure, Fraction(0)))
    return parts


def _scalar_identities_hold() -> bool:
    """relu(t) - relu(-t) = t and relu(relu(t)) = relu(t) for every real t: both sides are
    piecewise linear with the one breakpoint 0, so agreement at -1, 0, 1 proves them."""
    relu = lambda t: max(t, Fraction(0))  # noqa: E731
    points = (Fraction(-1), Fraction(0), Fraction(1))
    return all(relu(t) - relu(-t) == t and relu(relu(t)) == relu(t) for t in points)


def _rows(matrix) -> list[list[Fraction]]:
    return [list(row) for row in matrix]


def _pads_exactly(padded: ReluNet, net: ReluNet) -> bool:
    """``padded`` is ``net`` followed by identity layers, layer by layer: net's hidden layers;
    its last layer L as [L; -L]; then layers copying (relu(y), relu(-y)); then [I, -I]. With the
    scalar identities this proves padded(x) = net(x) for every x."""
    k = padded.depth - net.depth
    if k == 0:
        return padded.layers == net.layers
    if k < 0 or padded.layers[: net.depth - 1] != net.layers[:-1]:
        return False
    last, b = net.layers[-1], net.out_dim
    split = padded.layers[net.depth - 1]
    if _rows(split.weight) != [*_rows(last.weight), *[[-w for w in row] for row in last.weight]]:
        return False
    if list(split.bias) != [*last.bias, *(-c for c in last.bias)]:
        return False
    eye2 = [[Fraction(int(i == j)) for j in range(2 * b)] for i in range(2 * b)]
    for layer in padded.layers[net.depth : -1]:
        if _rows(layer.weight) != eye2 or any(layer.bias):
            return False
    merge = padded.layers[-1]
    want = [
        [Fraction(int(j == i)) - Fraction(int(j == i + b)) for j in range(2 * b)] for i in range(b)
    ]
    return _rows(merge.weight) == want and not any(merge.bias)


def _proved_everywhere(big: ReluNet, nets: list[ReluNet]) -> bool:
    """parallel(nets)(x) = (N_i(x_i))_i for every x: ``big`` is block-diagonal with blocks of
    one depth, and each block is its network followed by exact identity padding."""
    depth = big.depth
    padded = [deepen(n, depth) for n in nets]
    return (
        is_block_concatenation(big, padded)
        and all(_pads_exactly(p, n) for p, n in zip(padded, nets, strict=True))
        and _scalar_identities_hold()
    )


@st.composite
def _params(draw) -> dict[str, Any]:
    return {"nets": draw(DOMAIN["nets"].strategy()), "seed": draw(DOMAIN["seed"].strategy())}


C10 = Lemma(
    id="C.10",
    title="Concatenation of ReLU networks: parameter counts add, bounds take the max",
    statement=(
        r"\sum_i P_i\le P(\mathrm{parallel}(N_1..N_m))\le C_{10}\sum_i\big(P_i+[D_i<D]"
        r"(P_i^{last}+2b_i(D-D_i))\big),\ \max_i B_i\le B(N)\le\max(\max_i B_i,[\exists i:"
        r"D_i<D]),\ N(x)=(N_i(x_i))_i,\ C_{10}=1"
    ),
    domain=DOMAIN,
    constants=[
        Constant("C10", 1, "block-diagonal layers; identity padding x = relu(x) - relu(-x)")
    ],
    params=_params,
    check=_check,
    examples=[
        {"nets": [[1, 3, 1], [1, 2, 1], [2, 2, 2]], "seed": 0},
        {"nets": [[1, 3, 1], [2, 1], [1, 2, 3, 1]], "seed": 1},
    ],
    budget={"quick": 20, "standard": 200, "thorough": 1000},
    depends_on=(),
)
