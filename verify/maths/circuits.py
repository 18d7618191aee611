r"""Boolean circuits (AND/OR/NOT) and their compilation to exact ReLU networks (Lemma G.3).

A ``Circuit`` has ``n_inputs`` input wires (ids 0..n-1), then one wire per gate in order
(gate k is wire n + k); a gate reads earlier wires only. ``outputs`` lists output wire ids.
``circuit(bits)`` evaluates on {0,1} (vectorised over rows of an int array).

Compilation (G.3, on {0,1}): AND(a, b) = ReLU(a + b - 1), OR(a, b) = 1 - ReLU(1 - a - b),
NOT(a) = 1 - a. Every wire value is kept as an affine form ``c + w * z`` of one neuron z of some
layer (or of one network input), so NOT costs no neuron and the "1 - ReLU" of OR is folded into
the consumers. A gate of neuron depth L (1 + the largest depth among its inputs; NOT keeps its
input's depth) is a neuron of hidden layer L; a wire needed at a later layer is carried by a
neuron ReLU(wire), exact because wire values lie in {0,1}.

``compile_circuit(c, signs=True)`` takes network inputs x in {±1}^n with bit = (1 - x)/2 and
returns outputs 1 - 2 * bit in {±1}^m (the sign convention of ``verify.maths.oneway``);
``signs=False`` uses {0,1} on both ends.

Size (exact, by construction): each AND/OR neuron has 2 weights and at most 1 bias, each carry
neuron 1 weight and at most 1 bias, each output 1 weight and 1 bias, so
``parameter_count <= 3 G + 2 C + 2 m`` with G gates of type AND/OR and C carries, and
C <= (n + G) * D for depth D: O(S) for constant depth. Every parameter has |p| <= 2 (weights are
±1, ±1/2 or ±2; biases are sums of at most two of 0, ±1/2, ±1).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from verify.core.errors import DomainError
from verify.maths.nets.relunet import Affine, ReluNet

GATES = ("AND", "OR", "NOT")


@dataclass(frozen=True)
class Gate:
    op: str
    inputs: tuple[int, ...]


@dataclass(frozen=True)
class Circuit:
    n_inputs: int
    gates: tuple[Gate, ...]
    outputs: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.n_inputs < 1:
            raise DomainError(f"a circuit needs at least one input, got {self.n_inputs}")
        if not self.outputs:
            raise DomainError("a circuit needs at least one output")
        for k, gate in enumerate(self.gates):
            arity = 1 if gate.op == "NOT" else 2
            if gate.op not in GATES or len(gate.inputs) != arity:
                raise DomainError(f"gate {k}: {gate.op} with {len(gate.inputs)} inputs")
            if any(not 0 <= w < self.n_inputs + k for w in gate.inputs):
                raise DomainError(f"gate {k} reads a wire that is not yet defined")
        if any(not 0 <= w < self.wires for w in self.outputs):
            raise DomainError("an output names a wire that does not exist")

    @property
    def wires(self) -> int:
        return self.n_inputs + len(self.gates)

    @property
    def size(self) -> int:
        """S: the number of gates."""
        return len(self.gates)

    def depths(self) -> list[int]:
        """Neuron depth of every wire (inputs 0; AND/OR 1 + max of inputs; NOT its input's)."""
        depth = [0] * self.n_inputs
        for gate in self.gates:
            base = max(depth[w] for w in gate.inputs)
            depth.append(base if gate.op == "NOT" else base + 1)
        return depth

    def __call__(self, bits: np.ndarray) -> np.ndarray:
        bits = np.asarray(bits, dtype=np.int64)
        if bits.ndim == 1:
            bits = bits[None, :]
        if bits.shape[1] != self.n_inputs or not np.all((bits == 0) | (bits == 1)):
            raise DomainError(f"circuit inputs must be {{0,1}} rows of length {self.n_inputs}")
        values = [bits[:, i] for i in range(self.n_inputs)]
        for gate in self.gates:
            a = values[gate.inputs[0]]
            if gate.op == "NOT":
                values.append(1 - a)
            elif gate.op == "AND":
                values.append(a & values[gate.inputs[1]])
            else:
                values.append(a | values[gate.inputs[1]])
        return np.stack([values[w] for w in self.outputs], 1)


class _Builder:
    """Accumulates gates; xor and the Goldreich predicate are written with AND/OR/NOT."""

    def __init__(self, n_inputs: int) -> None:
        self.n_inputs = n_inputs
        self.gates: list[Gate] = []

    def _add(self, op: str, *inputs: int) -> int:
        self.gates.append(Gate(op, tuple(inputs)))
        return self.n_inputs + len(self.gates) - 1

    def and_(self, a: int, b: int) -> int:
        return self._add("AND", a, b)

    def or_(self, a: int, b: int) -> int:
        return self._add("OR", a, b)

    def not_(self, a: int) -> int:
        return self._add("NOT", a)

    def xor(self, a: int, b: int) -> int:
        # a xor b = (a OR b) AND NOT(a AND b)
        return self.and_(self.or_(a, b), self.not_(self.and_(a, b)))

    def build(self, outputs: list[int]) -> Circuit:
        return Circuit(self.n_inputs, tuple(self.gates), tuple(outputs))


def goldreich_circuit(n_inputs: int, hypergraph: list[tuple[int, ...]]) -> Circuit:
    """Bits of Goldreich's function: b1 xor b2 xor b3 xor (b4 and b5) per hyperedge."""
    builder = _Builder(n_inputs)
    outputs = []
    for edge in hypergraph:
        if len(edge) != 5:
            raise DomainError(f"a Goldreich hyperedge has 5 vertices, got {len(edge)}")
        i1, i2, i3, i4, i5 = edge
        outputs.append(builder.xor(builder.xor(builder.xor(i1, i2), i3), builder.and_(i4, i5)))
    return builder.build(outputs)


def random_circuit(
    rng: np.random.Generator, n_inputs: int, n_gates: int, n_outputs: int
) -> Circuit:
    """A random circuit: each gate picks an op and earlier wires (biased to recent ones)."""
    gates: list[Gate] = []
    for k in range(n_gates):
        wires = n_inputs + k
        op = GATES[int(rng.integers(0, 3))]
        arity = 1 if op == "NOT" else 2
        picks = tuple(int(max(0, wires - 1 - rng.geometric(0.3) + 1)) for _ in range(arity))
        picks = tuple(min(p, wires - 1) for p in picks)
        gates.append(Gate(op, picks))
    total = n_inputs + n_gates
    outputs = tuple(int(w) for w in rng.choice(total, size=n_outputs, replace=True))
    return Circuit(n_inputs, tuple(gates), outputs)


@dataclass
class _Form:
    """A wire value as constant + weight * (neuron `index` of layer `layer`); layer 0 = input."""

    layer: int
    index: int
    weight: Fraction
    constant: Fraction


SparseRow = dict[int, Fraction]


@dataclass(frozen=True)
class SparseAffine:
    """x -> W x + b with W stored as one {column: exact entry} dict per row (G.3's layers have at
    most two entries a row, so a dense d x (d + 10 d') layer would be almost all zeros)."""

    rows: tuple[SparseRow, ...]
    bias: tuple[Fraction, ...]
    in_dim: int

    @property
    def out_dim(self) -> int:
        return len(self.bias)

    def dense(self) -> Affine:
        weight = [[Fraction(0)] * self.in_dim for _ in self.rows]
        for dense_row, row in zip(weight, self.rows, strict=True):
            for column, value in row.items():
                dense_row[column] = value
        return Affine(weight, list(self.bias))


def _add_neuron(
    rows: list[SparseRow],
    bias: list[Fraction],
    terms: list[tuple[_Form, int]],
    constant: Fraction,
) -> int:
    """Append the neuron ReLU(sum coef * form + constant) to a layer; return its index."""
    row: SparseRow = {}
    b = constant
    for form, coef in terms:
        row[form.index] = row.get(form.index, Fraction(0)) + coef * form.weight
        b += coef * form.constant
    rows.append(row)
    bias.append(b)
    return len(rows) - 1


def compile_circuit(circuit: Circuit, *, signs: bool = True) -> ReluNet:
    """The G.3 network of ``circuit`` (see the module docstring for the conventions), with dense
    exact layers (``compile_circuit_sparse`` holds the same layers row by row)."""
    return ReluNet(tuple(layer.dense() for layer in compile_circuit_sparse(circuit, signs=signs)))


def compile_circuit_sparse(circuit: Circuit, *, signs: bool = True) -> tuple[SparseAffine, ...]:
    """The layers of ``compile_circuit(circuit, signs=signs)``, exact, stored per row: time and
    memory O(parameters) instead of O(width^2) a layer (d = 1024 in well under a second)."""
    n = circuit.n_inputs
    depth_of = circuit.depths()
    depth = max([depth_of[w] for w in circuit.outputs] + [0])
    last_use = [-1] * circuit.wires  # deepest layer whose neurons read the wire
    for k, gate in enumerate(circuit.gates):
        reader = depth_of[n + k] if gate.op != "NOT" else -1
        for w in gate.inputs:
            last_use[w] = max(last_use[w], reader)
    # NOT gates are forms, not neurons: their readers are the readers of their inputs' values.
    for k in reversed(range(len(circuit.gates))):
        gate = circuit.gates[k]
        if gate.op == "NOT":
            w = gate.inputs[0]
            last_use[w] = max(last_use[w], last_use[n + k])
    for w in circuit.outputs:
        last_use[w] = max(last_use[w], depth + 1)

    half = Fraction(1, 2)
    forms: list[_Form | None] = [None] * circuit.wires
    for i in range(n):
        # bit = (1 - x)/2 for sign inputs, or bit = x
        forms[i] = _Form(0, i, -half, half) if signs else _Form(0, i, Fraction(1), Fraction(0))
    # current[w]: the wire's form over the newest layer built so far
    current: dict[int, _Form] = {i: forms[i] for i in range(n)}  # type: ignore[misc]
    layers: list[SparseAffine] = []
    width_prev = n
    by_depth: dict[int, list[int]] = {}
    for k in range(len(circuit.gates)):
        by_depth.setdefault(depth_of[n + k], []).append(k)

    def settle_nots(level: int) -> None:
        for k in by_depth.get(level, []):
            gate = circuit.gates[k]
            if gate.op == "NOT" and gate.inputs[0] in current:
                a = current[gate.inputs[0]]
                current[n + k] = _Form(a.layer, a.index, -a.weight, 1 - a.constant)

    settle_nots(0)
    for level in range(1, depth + 1):
        rows: list[SparseRow] = []
        bias: list[Fraction] = []
        new: dict[int, _Form] = {}

        for k in by_depth.get(level, []):
            gate = circuit.gates[k]
            if gate.op == "NOT":
                continue
            a, b = current[gate.inputs[0]], current[gate.inputs[1]]
            if gate.op == "AND":  # ReLU(a + b - 1)
                z = _add_neuron(rows, bias, [(a, 1), (b, 1)], Fraction(-1))
                new[n + k] = _Form(level, z, Fraction(1), Fraction(0))
            else:  # 1 - ReLU(1 - a - b)
                z = _add_neuron(rows, bias, [(a, -1), (b, -1)], Fraction(1))
                new[n + k] = _Form(level, z, Fraction(-1), Fraction(1))
        for w, form in current.items():
            if last_use[w] > level and w not in new:
                # carry: ReLU(wire) = wire on {0,1}
                z = _add_neuron(rows, bias, [(form, 1)], Fraction(0))
                new[w] = _Form(level, z, Fraction(1), Fraction(0))
        layers.append(SparseAffine(tuple(rows), tuple(bias), width_prev))
        width_prev = len(rows)
        current = new
        settle_nots(level)
        # NOT gates of this level whose input was carried or produced now have forms.

    rows, bias = [], []
    for w in circuit.outputs:
        form = current[w]
        if signs:  # output 1 - 2 * bit
            rows.append({form.index: -2 * form.weight})
            bias.append(1 - 2 * form.constant)
        else:
            rows.append({form.index: form.weight})
            bias.append(form.constant)
    layers.append(SparseAffine(tuple(rows), tuple(bias), width_prev))
    return tuple(layers)


def sparse_float_layers(layers: tuple[SparseAffine, ...]) -> list[tuple[Any, np.ndarray]]:
    """The layers as (scipy CSR float64 weight, float64 bias), for ``verify.maths.nets.layered``.
    Exact: every distinct weight and bias (a handful: +-1, +-1/2, +-2 and small sums) is checked
    to be a float64 value exactly, so the float network is the exact one."""
    import scipy.sparse as sp

    distinct = {v for layer in layers for row in layer.rows for v in row.values()}
    distinct |= {b for layer in layers for b in layer.bias}
    inexact = [v for v in distinct if Fraction(float(v)) != v]
    if inexact:
        raise ValueError(f"weights not exact in float64: {inexact[:3]}")
    out = []
    for layer in layers:
        row_ids = [i for i, row in enumerate(layer.rows) for _ in row]
        columns = [c for row in layer.rows for c in row]
        values = [float(v) for row in layer.rows for v in row.values()]
        weight = sp.csr_matrix(
            (values, (row_ids, columns)), shape=(layer.out_dim, layer.in_dim), dtype=np.float64
        )
        out.append((weight, np.array([float(b) for b in layer.bias], dtype=np.float64)))
    return out


def carry_count(circuit: Circuit, net: ReluNet) -> int:
    """C: hidden neurons that are not AND/OR gates (the carries of the construction)."""
    hidden = sum(layer.out_dim for layer in net.layers[:-1])
    return hidden - sum(1 for g in circuit.gates if g.op != "NOT")


def _doubled_int64(rows: list[list[int]], size: int) -> np.ndarray:
    """2 x the integers of ``rows``, flattened, as int64 (exact: refused past 2^61)."""
    try:
        flat = np.fromiter((n for row in rows for n in row), dtype=np.int64, count=size)
    except OverflowError:
        flat = None
    if flat is None or (size and not -(2**61) < int(flat.min()) <= int(flat.max()) < 2**61):
        raise OverflowError("integer evaluation would overflow")
    return 2 * flat


def evaluate_integer(net: ReluNet, x: np.ndarray) -> np.ndarray:
    """Exact evaluation on integer inputs for networks whose parameters are half-integers.

    With Z_l = 2^l z_l, Z_l = ReLU((2 W_l) Z_{l-1} + 2^{l-1} (2 b_l)) has integer weights, so the
    batch runs in int64; the magnitude bound sum |2W| |Z| + |2^l b| is checked < 2^62 first, so
    no step overflows. Returns the int64 array 2^L * outputs (exact; L = number of layers).
    """
    z = np.asarray(x, dtype=np.int64)
    for index, layer in enumerate(net.layers, start=1):
        # The layer's integer form (W', b', D), weight = W'/D and bias = b'/D (cached on the
        # layer): 2 W = 2 W'/D and 2 b 2^(index-1) = b' 2^index / D, integers exactly when D
        # divides the numerators; integer arithmetic instead of a Fraction per entry.
        numerators, bias_numerators, denominator = layer.integer_form
        w2 = _doubled_int64(numerators, layer.out_dim * layer.in_dim)
        b2 = [b << index for b in bias_numerators]
        if bool((w2 % denominator).any()) or any(b % denominator for b in b2):
            raise DomainError("evaluate_integer needs half-integer weights and biases")
        w_int = (w2 // denominator).reshape(layer.out_dim, layer.in_dim)
        b_int = np.array([b // denominator for b in b2], dtype=np.int64)
        bound = np.abs(w_int).astype(float) @ np.abs(z.T).astype(float) + np.abs(b_int)[:, None]
        if bound.size and float(bound.max()) >= 2.0**62:
            raise OverflowError("integer evaluation would overflow")
        z = z @ w_int.T + b_int
        if index < len(net.layers):
            z = np.maximum(z, 0)
    return z  # = 2^L * outputs, exactly
