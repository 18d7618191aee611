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
