r"""Float64 ReLU networks as lists of sparse affine layers, composed like ``relunet``'s exact ones,
and exported as one ``torch.nn.Module``.

A ``Layers`` is a list of ``(weight, bias)`` with ``weight`` a scipy CSR matrix (out x in) and
``bias`` a float64 vector; ReLU acts between consecutive layers, not after the last. The
combinators mirror ``verify.maths.nets.relunet`` (C.10):

- ``compose(outer, inner)``: outer(inner(x)), merging inner's last affine and outer's first;
- ``parallel(*nets)``: inputs and outputs side by side (shallower nets padded with the exact
  identity x = ReLU(x) - ReLU(-x));
- ``fan_out(*nets)``: one input read by all, outputs side by side;
- ``affine(W, b)``: a one-layer network.

``ReluModule`` holds the layers as sparse buffers (so ``state_dict()`` exports every weight) and
its forward pass is the network: sparse product, bias, ReLU. ``parameter_count`` and
``max_abs_parameter`` read the module's own tensors. Sparse, because the instance network's
comb layers are block-diagonal: d' coordinates x hundreds of knots would be mostly zeros dense.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache

import numpy as np
import scipy.sparse as sp

from verify.maths.nets.relunet import ReluNet

Layer = tuple[sp.csr_matrix, np.ndarray]
_DENSE_ENTRIES = 4_000_000  # layers up to this many entries are multiplied dense
# ... except large sparse ones (the comb read-outs, ~1% nonzero), multiplied as scipy CSR
_CSR_ENTRIES = 100_000
_CSR_DENSITY = 0.05
Layers = list[Layer]


def affine(weight, bias=None) -> Layers:
    w = sp.csr_matrix(weight, dtype=np.float64)
    b = np.zeros(w.shape[0]) if bias is None else np.asarray(bias, dtype=np.float64)
    return [(w, b)]


def from_relunet(net: ReluNet) -> Layers:
    """The exact network's layers rounded to float64 once (n / d: the correctly rounded
    quotient, what ``float`` of a Fraction computes, without its dispatch)."""
    return [
        affine(
            [[w.numerator / w.denominator for w in row] for row in layer.weight],
            [b.numerator / b.denominator for b in layer.bias],
        )[0]
        for layer in net.layers
    ]


def in_dim(net: Layers) -> int:
    return net[0][0].shape[1]


def out_dim(net: Layers) -> int:
    return net[-1][0].shape[0]


def identity(width: int, depth: int) -> Layers:
    """x = ReLU(x) - ReLU(-x) over ``depth`` affine layers."""
    return list(_identity_layers(width, depth))


@lru_cache(maxsize=256)
def _identity_layers(width: int, depth: int) -> tuple[Layer, ...]:
    """``identity``'s layers, built once per (width, depth): the instance networks pad with the
    same few identities hundreds of times, and scipy's constructors are most of a small
    network's build. Shared safely: no combinator here writes into a layer it is given."""
    eye = sp.identity(width, format="csr")
    if depth == 1:
        return tuple(affine(eye))
    split = affine(sp.vstack([eye, -eye]))
    middle = [affine(sp.identity(2 * width))[0] for _ in range(depth - 2)]
    return (*split, *middle, *affine(sp.hstack([eye, -eye])))


def compose(outer: Layers, inner: Layers) -> Layers:
    (w_in, b_in), (w_out, b_out) = inner[-1], outer[0]
    if w_in.shape[0] != w_out.shape[1]:
        raise ValueError("inner output width differs from outer input width")
    product = w_out @ w_in
    if type(product) is not sp.csr_matrix:  # (CSR times CSR is CSR already)
        product = sp.csr_matrix(product)
    merged = (product, w_out @ b_in + b_out)
    return [*inner[:-1], merged, *outer[1:]]


def chain(*nets: Layers) -> Layers:
    """nets[-1](...nets[1](nets[0](x)))."""
    result = nets[0]
    for net in nets[1:]:
        result = compose(net, result)
    return result


def deepen(net: Layers, depth: int) -> Layers:
    if depth < len(net):
        raise ValueError("cannot make a network shallower")
    return net if depth == len(net) else compose(identity(out_dim(net), depth - len(net) + 1), net)


def _block_diag(blocks: Sequence[sp.csr_matrix]) -> sp.csr_matrix:
    """``sp.block_diag(blocks, format="csr")``: the same matrix (entries, their order, the
    canonical form), its CSR arrays concatenated directly instead of through COO (scipy's route
    costs ~1 ms a call, and the instance networks take hundreds)."""
    # a CSR block is read as it is (a csr_matrix of it would share its arrays anyway, and
    # scipy's constructor checks cost more than the concatenation)
    parts = [w if type(w) is sp.csr_matrix else sp.csr_matrix(w) for w in blocks]
    indptr, indices, data = [np.zeros(1, dtype=np.int64)], [], []
    rows = cols = stored = 0
    for w in parts:
        first, last = int(w.indptr[0]), int(w.indptr[-1])
        indptr.append(w.indptr[1:].astype(np.int64) - first + stored)
        indices.append(w.indices[first:last].astype(np.int64) + cols)
        data.append(w.data[first:last])
        rows, cols, stored = rows + w.shape[0], cols + w.shape[1], stored + last - first
    merged = sp.csr_matrix(
        (
            np.concatenate(data).astype(np.float64, copy=False),
            np.concatenate(indices),
            np.concatenate(indptr),
        ),
        shape=(rows, cols),
    )
    merged.sum_duplicates()  # sorted indices, as block_diag's COO-to-CSR conversion leaves them
    return merged


def _side_by_side(nets: Sequence[Layers], shared_input: bool) -> Layers:
    depth = max(len(n) for n in nets)
    padded = [deepen(n, depth) for n in nets]
    layers = []
    for level in range(depth):
        blocks = [n[level] for n in padded]
        if level == 0 and shared_input:
            weight = sp.vstack([w for w, _ in blocks], format="csr")
        else:
            weight = _block_diag([w for w, _ in blocks])
        layers.append((weight, np.concatenate([b for _, b in blocks])))
    return layers


def parallel(*nets: Layers) -> Layers:
    return _side_by_side(nets, shared_input=False)


def fan_out(*nets: Layers) -> Layers:
    if len({in_dim(n) for n in nets}) != 1:
        raise ValueError("fan_out needs networks of one input width")
    return _side_by_side(nets, shared_input=True)


def select(width: int, indices: Sequence[int], scale: float = 1.0) -> Layers:
    """x -> scale * x[indices] as a one-layer network."""
    rows = np.arange(len(indices))
    data = np.full(len(indices), scale)
    return affine(sp.csr_matrix((data, (rows, np.asarray(indices))), shape=(len(indices), width)))


def scale_io(net: Layers, c_in: float, c_out: float) -> Layers:
    """x -> c_out * net(c_in * x): the factors folded into the first and last layers."""
    layers = list(net)
    w, b = layers[0]
    layers[0] = (sp.csr_matrix(w * c_in), b)
    w, b = layers[-1]
    layers[-1] = (sp.csr_matrix(w * c_out), b * c_out)
    return layers


def _take_columns(h, columns):
    """h[:, columns] as a new tensor (numpy's take is several times faster than torch's
    indexing along the second axis of a row-major CPU tensor)."""
    import torch

    if h.device.type == "cpu" and not h.requires_grad:
        return torch.from_numpy(h.numpy().take(columns.numpy(), axis=1))
    return torch.index_select(h, 1, columns)


# Samples per block of ``_gather_then_csr``: a block's hidden layer (thousands of units x this
# many samples) stays within the CPU's cache.
_GATHER_BLOCK = 32


def _gather_then_csr(
    x: np.ndarray, gather: tuple, bias: np.ndarray, weight: sp.csr_matrix
) -> np.ndarray:
    """weight @ ReLU(x[:, columns] * weights + bias)^T (``gather`` = (columns, weights) tensors),
    transposed (outputs x samples), computed a block of samples at a time. Each entry is the
    unblocked one: the gather, scale, bias and ReLU act entry by entry, and scipy's CSR product
    sums each output's nonzero terms in column order for every sample column alike."""
    columns, weights = (t.numpy() for t in gather)
    x_t = np.ascontiguousarray(x.T)  # rows of x^T are copied whole by the gather
    samples = x_t.shape[1]
    out = np.empty((weight.shape[0], samples))
    scale, shift = weights[:, None], bias[:, None]
    for start in range(0, samples, _GATHER_BLOCK):
        hidden = x_t[:, start : start + _GATHER_BLOCK].take(columns, axis=0)
        hidden *= scale
        hidden += shift
        np.maximum(hidden, 0.0, out=hidden)  # the ReLU after the gather layer
        out[:, start : start + _GATHER_BLOCK] = weight @ hidden
    return out


def _nonzero_entries(w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, columns, values) of the nonzero entries of ``w``: ``sp.coo_matrix(w)`` after
    ``eliminate_zeros()``, read directly off a CSR matrix's arrays (the same entries in the same
    row-by-row order, without scipy's constructors)."""
    if type(w) is not sp.csr_matrix:
        coo = sp.coo_matrix(w)
        coo.eliminate_zeros()
        return coo.row, coo.col, coo.data
    stored = int(w.indptr[-1])
    row = np.repeat(np.arange(w.shape[0], dtype=w.indices.dtype), np.diff(w.indptr))
    col, data = w.indices[:stored], w.data[:stored]
    keep = data != 0
    return row[keep], col[keep], data[keep]


def _relu_module_class():
    import torch

    class ReluModule(torch.nn.Module):
        """A ReLU network of sparse float64 affine layers (buffers ``weight{k}``, ``bias{k}``)."""

        def __init__(self, layers: Layers) -> None:
            super().__init__()
            self.depth = len(layers)
            for k, (w, b) in enumerate(layers):
                row, col, data = _nonzero_entries(w)
                # torch's own invariant check costs ~10 ms a tensor (most of a small network's
                # build); scipy's COO is valid by construction, and the bounds are checked here.
                if data.size and not (
                    0 <= row.min() <= row.max() < w.shape[0]
                    and 0 <= col.min() <= col.max() < w.shape[1]
                ):
                    raise ValueError("sparse layer index out of range")
                index = torch.as_tensor(np.vstack([row, col]), dtype=torch.int64)
                values = torch.as_tensor(data, dtype=torch.float64)
                # A canonical CSR (sorted, no duplicates) reads out row-major and unique: the
                # coalesced order already, so coalesce's sort is skipped (the same tensor).
                canonical = type(w) is sp.csr_matrix and bool(w.has_canonical_format)
                weight = torch.sparse_coo_tensor(
                    index, values, w.shape, check_invariants=False, is_coalesced=canonical or None
                )
                if not canonical:
                    weight = weight.coalesce()
                self.register_buffer(f"weight{k}", weight)
                self.register_buffer(f"bias{k}", torch.as_tensor(b, dtype=torch.float64))

        def layers(self):
            return [
                (getattr(self, f"weight{k}"), getattr(self, f"bias{k}")) for k in range(self.depth)
            ]

        def _fast_layers(self):
            """The weights as the forward pass multiplies them: a layer whose every row has one
            nonzero weight as (column, weight) pairs (a gather: the instance networks' first
            layer, where each unit reads one coordinate), dense when the layer is small (torch's
            COO product is slower than a dense one of a few million entries), the COO weight
            otherwise. Cached, not a buffer: the state_dict holds the COO weights only."""
            cached = self.__dict__.get("_fast")
            if cached is None:
                cached = []
                for w, b in self.layers():
                    rows, cols = w.shape
                    row_index, col_index = w.indices()
                    values = w.values()
                    if w._nnz() == rows and bool((row_index == torch.arange(rows)).all()):
                        # coalesced: one entry per row, in row order
                        fast = (col_index.clone(), values.clone())
                    elif (
                        rows * cols >= _CSR_ENTRIES
                        and w._nnz() <= _CSR_DENSITY * rows * cols
                        and rows * cols <= _DENSE_ENTRIES
                    ):
                        fast = sp.csr_matrix(
                            (values.numpy(), (row_index.numpy(), col_index.numpy())),
                            shape=(rows, cols),
                        )
                    else:
                        fast = w.to_dense() if rows * cols <= _DENSE_ENTRIES else w
                    cached.append((fast, b))
                self.__dict__["_fast"] = cached
            return cached

        def forward(self, x):
            h = x
            layers = self._fast_layers()
            plain = x.device.type == "cpu" and not x.requires_grad
            applied = -1  # the last layer applied (a gather applies the CSR layer after it too)
            for k, (w, b) in enumerate(layers):
                if k <= applied:
                    continue
                applied = k
                feeds_csr = k + 1 < len(layers) and isinstance(layers[k + 1][0], sp.csr_matrix)
                if isinstance(w, tuple) and plain and feeds_csr:
                    # The gather, its ReLU and the next (CSR) product, a block of samples at a
                    # time: the same numbers as below (each sample's column is computed alone),
                    # with the wide hidden layer kept in cache instead of materialized whole.
                    w_next, b_next = layers[k + 1]
                    out = _gather_then_csr(h.numpy(), w, b.numpy(), w_next)
                    out += b_next.numpy()[:, None]
                    h = torch.from_numpy(np.ascontiguousarray(out.T))
                    applied = k + 1
                elif isinstance(w, tuple):
                    # One nonzero per row: the dense product's sum is that one product (the
                    # other terms are exact zeros), so h[:, j] * w is the same number.
                    columns, weights = w
                    h = _take_columns(h, columns).mul_(weights).add_(b)
                elif isinstance(w, sp.csr_matrix) and plain:
                    # Sparse product: each output sums its few nonzero terms in column order
                    # (the dense product summed them, among exact zeros, in BLAS's blocking:
                    # the same terms, rounded in another order).
                    h_t = np.ascontiguousarray(h.numpy().T)
                    out = w @ h_t
                    out += b.numpy()[:, None]
                    h = torch.from_numpy(np.ascontiguousarray(out.T))
                elif isinstance(w, sp.csr_matrix):
                    h = h @ torch.as_tensor(w.toarray()).T + b
                elif w.layout == torch.strided:
                    h = h @ w.T
                    h += b  # in place: the same sum, one tensor fewer
                else:
                    h = torch.sparse.mm(w, h.T).T + b
                if applied < self.depth - 1:
                    h = torch.relu_(h) if h.is_contiguous() else torch.relu(h)
            return h

        def parameter_count(self) -> int:
            """Nonzero weights and biases, read from the module's tensors."""
            return sum(int((w.values() != 0).sum()) + int((b != 0).sum()) for w, b in self.layers())

        def max_abs_parameter(self) -> float:
            return max(
                max(
                    float(w.values().abs().max()) if w._nnz() else 0.0,
                    float(b.abs().max()),
                )
                for w, b in self.layers()
            )

    return ReluModule


_MODULE_CLASS = None


def to_module(layers: Layers):
    """The network as a ``ReluModule`` (a ``torch.nn.Module``); torch loads on first use."""
    global _MODULE_CLASS
    if _MODULE_CLASS is None:
        _MODULE_CLASS = _relu_module_class()
    return _MODULE_CLASS(layers)


def from_fraction_affine(weight: Sequence[Sequence[Fraction]], bias: Sequence[Fraction]) -> Layers:
    return affine([[float(w) for w in row] for row in weight], [float(b) for b in bias])


def _switch_block(switch: Layers) -> Layers:
    """(bit, h+, h-) -> switch(bit, h+) + switch(1 - bit, h-) (C.14 twice)."""
    first = chain(select(3, [0, 1]), switch)
    flipped = chain(affine([[-1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [1.0, 0.0]), switch)
    return chain(fan_out(first, flipped), affine([[1.0, 1.0]]))


# Stages of ``small_sigma_layers`` that do not depend on sigma, built once per key and shared by
# every small-sigma network (no combinator writes into a layer it is given). A stage keyed by
# a network's id holds that network, so the id cannot be reused while the entry lives.
_SHARED_STAGES: dict[tuple, object] = {}


def _shared(key: tuple, build):
    stage = _SHARED_STAGES.get(key)
    if stage is None:
        if len(_SHARED_STAGES) >= 64:
            _SHARED_STAGES.clear()
        stage = _SHARED_STAGES[key] = build()
    return stage


def _clamps_and_head(clamp: ReluNet, d: int) -> Layers:
    """x -> (clamp(x_i))_i, x (C.13's vertex identifier beside the head)."""
    return fan_out(parallel(*[from_relunet(clamp)] * d), identity(d, 1))


def _phase_stage(f_layers: Layers, d: int, d_out: int) -> Layers:
    """(clamp, head, h+, h-) -> (F(clamp), clamp, head, h+, h-)."""
    return parallel(fan_out(f_layers, identity(d, 1)), identity(d, 1), identity(2 * d_out, 1))


def _clip_stage(d: int, d_out: int) -> Layers:
    """(phase, rest) -> (clip_[0,1]((1 + phase)/2), rest)."""
    clip = [*affine([[0.5], [0.5]], [0.5, -0.5]), *affine([[1.0, -1.0]])]
    return parallel(parallel(*[clip] * d_out), identity(2 * d + 2 * d_out, 1))


def small_sigma_layers(
    clamp: ReluNet,
    f_net: ReluNet | Layers,
    h_plus: ReluNet,
    h_minus: ReluNet,
    switch: ReluNet,
    d: int,
    d_out: int,
    R: float,
    v: float,
) -> Layers:
    """The C.13-C.15 network in unscaled coordinates as one layered ReLU network:
    x = (head, tail) -> ((R clamp(head) - head)/v, switch(bit_j, h+(t_j)) + switch(1-bit_j,
    h-(t_j))), bit = clip_[0,1]((1 + F(clamp(head)))/2), F the G.3 network of f (exact, or
    already as float64 layers)."""
    plus, minus = from_relunet(h_plus), from_relunet(h_minus)
    stage_a = parallel(
        _shared(("clamps", clamp, d), lambda: _clamps_and_head(clamp, d)),
        fan_out(parallel(*[plus] * d_out), parallel(*[minus] * d_out)),
    )  # -> clamp (d), head (d), h+ (d'), h- (d')
    if isinstance(f_net, ReluNet):
        stage_b = _phase_stage(from_relunet(f_net), d, d_out)
    else:  # float layers (the cached G.3 network): the stage is shared by every sigma
        stage_b = _shared(
            ("phases", id(f_net), d, d_out), lambda: (f_net, _phase_stage(f_net, d, d_out))
        )[1]
    # -> phase (d'), clamp, head, h+, h-
    stage_c = _shared(("clips", d, d_out), lambda: _clip_stage(d, d_out))
    # -> bit (d'), clamp, head, h+, h-
    width = 2 * d + 3 * d_out
    eye = sp.identity(d, format="csr")
    head_out = chain(
        select(width, list(range(d_out, d_out + 2 * d))),
        affine(sp.hstack([eye * (R / v), -eye / v])),
    )
    order = [k for j in range(d_out) for k in (j, d_out + 2 * d + j, 2 * d_out + 2 * d + j)]
    block = _switch_block(from_relunet(switch))
    chosen = chain(select(width, order), parallel(*[block] * d_out))
    return chain(stage_a, stage_b, stage_c, fan_out(head_out, chosen))


def large_sigma_layers(head: ReluNet | Layers, d: int, d_out: int, v: float) -> Layers:
    """The C.19 network in unscaled coordinates: (h(x_i))_i, (-y_j/v)_j (h exact, or already
    as float64 layers)."""
    head_layers = from_relunet(head) if isinstance(head, ReluNet) else head
    return parallel(parallel(*[head_layers] * d), affine(-sp.identity(d_out) / v))
