r"""The ReLU gadgets of Lemmas C.13 and C.14, each defined once as an exact ReLU network.

- **vertex identifier** (C.13): :math:`\mathrm{clamp}_w(t) = \mathrm{ReLU}(t/w + 1)
  - \mathrm{ReLU}(t/w - 1) - 1`, equal to sign(t) when |t| >= w and bounded by 1 everywhere.
- **switch** (C.14): :math:`\mathrm{switch}(b, v) = \mathrm{ReLU}(v + Bb - B)
  - \mathrm{ReLU}(-v + Bb - B)`, equal to b v for b in {0, 1} and |v| <= B.

Each gadget is a ``ReluNet`` with ``Fraction`` weights: the exact evaluation is the network's own
``__call__``, the float64 torch evaluation is ``apply_torch`` on the same layers (weights rounded
to float64 once), and parameter counts and largest |parameter| are read from the network
(``ReluNet.parameter_count``, ``max_abs_parameter``), never counted by hand.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from verify.maths.nets.relunet import Affine, ReluNet, parallel

if TYPE_CHECKING:
    from torch import Tensor


def clamp_network(w: Fraction | float) -> ReluNet:
    """C.13 on one coordinate: t -> ReLU(t/w + 1) - ReLU(t/w - 1) - 1."""
    w = Fraction(w)
    one = Fraction(1)
    return ReluNet((Affine([[1 / w], [1 / w]], [one, -one]), Affine([[one, -one]], [-one])))


def vertex_identifier(d: int, w: Fraction | float) -> ReluNet:
    """C.13: clamp_w on each of d coordinates (block diagonal)."""
    return parallel(*[clamp_network(w) for _ in range(d)])


def switch_network(bound: Fraction | float) -> ReluNet:
    """C.14: inputs (b, v) -> ReLU(v + B b - B) - ReLU(-v + B b - B)."""
    B = Fraction(bound)
    one = Fraction(1)
    return ReluNet((Affine([[B, one], [B, -one]], [-B, -B]), Affine([[one, -one]], [0])))


def first_layer_parameters(net: ReluNet) -> int:
    """Nonzero weights and biases of the first affine layer (the units a gadget adds)."""
    layer = net.layers[0]
    return sum(1 for row in layer.weight for w in row if w != 0) + sum(
        1 for b in layer.bias if b != 0
    )


def output_weights(net: ReluNet) -> int:
    """Nonzero weights of the last affine layer (what a gadget adds to the layer it feeds)."""
    return sum(1 for row in net.layers[-1].weight for w in row if w != 0)


def apply_torch(net: ReluNet, *inputs: Tensor) -> Tensor:
    """``net`` (one output) applied entrywise in float64 torch: input i of the network reads
    ``inputs[i]`` (tensors of one shape), so a gadget acts on whole batches of coordinates."""
    import torch

    if len(inputs) != net.in_dim or net.out_dim != 1:
        raise ValueError("apply_torch needs one tensor per input and a one-output network")
    values = list(inputs)
    for index, layer in enumerate(net.layers):
        values = [
            sum(
                (float(w) * x for w, x in zip(row, values, strict=True) if w != 0),
                torch.full_like(inputs[0], float(b)),
            )
            for row, b in zip(layer.weight, layer.bias, strict=True)
        ]
        if index < net.depth - 1:
            values = [torch.relu(v) for v in values]
    return values[0]


def breakpoints_1d(net: ReluNet) -> list[Fraction]:
    """The breakpoints of a one-input, one-hidden-layer network: where a hidden unit's
    pre-activation a t + c crosses 0. Between and beyond them the network is linear in t."""
    if net.in_dim != 1 or net.depth != 2:
        raise ValueError("breakpoints_1d needs a one-input network with one hidden layer")
    first = net.layers[0]
    return sorted({-c / row[0] for row, c in zip(first.weight, first.bias, strict=True) if row[0]})


def proof_points_1d(net: ReluNet) -> list[Fraction]:
    """Every breakpoint and one point beyond each end (C.9's rule): a continuous piecewise-linear
    function of t is determined by its values there, so a claim linear in the network's value on
    each piece, checked at these points, holds on the whole line."""
    ts = breakpoints_1d(net) or [Fraction(0)]
    return [ts[0] - 1, *ts, ts[-1] + 1]


def cone_apex_and_rays(
    net: ReluNet, extra_lines: list[tuple[Fraction, Fraction, Fraction]] = ()
) -> tuple[tuple[Fraction, Fraction], list[tuple[Fraction, Fraction]]] | None:
    """For a two-input, one-hidden-layer network whose hidden units' lines a x + b y + c = 0
    (with ``extra_lines``) all pass through one point p: p and the directions of the rays from p
    along those lines. The plane is cut into cones with apex p on each of which the network is
    affine, so a function affine on the same cones is >= 0 everywhere iff it is >= 0 at p and
    does not decrease from p along any ray (every cone is pointed: at least two directions).
    None when the lines are not concurrent or all parallel."""
    if net.in_dim != 2 or net.depth != 2:
        raise ValueError("cone_apex_and_rays needs a two-input network with one hidden layer")
    first = net.layers[0]
    lines = [(row[0], row[1], c) for row, c in zip(first.weight, first.bias, strict=True)]
    lines = [line for line in [*lines, *extra_lines] if line[0] or line[1]]
    apex = None
    for (a1, b1, c1), (a2, b2, c2) in ((p, q) for p in lines for q in lines):
        det = a1 * b2 - a2 * b1
        if det:
            apex = ((b1 * c2 - b2 * c1) / det, (a2 * c1 - a1 * c2) / det)
            break
    if apex is None:  # fewer than two directions: some cone is a half-plane, not pointed
        return None
    if any(a * apex[0] + b * apex[1] + c != 0 for a, b, c in lines):
        return None
    rays = [r for a, b, _ in lines for r in ((-b, a), (b, -a))]
    return apex, rays
