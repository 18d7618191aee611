"""ReluModule's forward pass: the gather, CSR and dense routes compute the layered network."""

import numpy as np
import scipy.sparse as sp
import torch

from verify.maths.nets import layered


def _reference(layers: layered.Layers, x: np.ndarray) -> np.ndarray:
    h = x
    for k, (w, b) in enumerate(layers):
        h = h @ w.toarray().T + b
        if k < len(layers) - 1:
            h = np.maximum(h, 0.0)
    return h


def _comb_like(rng: np.random.Generator, inputs: int, hidden: int, outputs: int) -> layered.Layers:
    """A gather layer (each unit reads one input) and a ~1% dense read-out: the instance
    networks' comb block, large enough for the CSR route."""
    columns = rng.integers(0, inputs, hidden)
    gather = sp.csr_matrix(
        (rng.normal(size=hidden), (np.arange(hidden), columns)), shape=(hidden, inputs)
    )
    readout = sp.random(outputs, hidden, density=0.01, random_state=1, format="csr")
    return [
        (gather, rng.normal(size=hidden)),
        (readout, rng.normal(size=outputs)),
        *layered.affine(rng.normal(size=(3, outputs)), rng.normal(size=3)),
    ]


def test_the_csr_route_computes_the_network() -> None:
    rng = np.random.default_rng(0)
    layers = _comb_like(rng, 32, 4000, 185)
    module = layered.to_module(layers)
    kinds = [type(w) for w, _ in module._fast_layers()]
    assert kinds[0] is tuple and kinds[1] is sp.csr_matrix  # the routes under test
    x = rng.normal(size=(300, 32))
    got = module(torch.as_tensor(x)).numpy()
    assert np.allclose(got, _reference(layers, x), rtol=1e-12, atol=1e-12)


def test_the_transposed_gather_is_exact() -> None:
    """A read-out of unit weights, two terms in its first row and one in the others: every sum
    is one rounding in any order, so the transposed gather feeding the CSR product must give
    the reference's very numbers."""
    rng = np.random.default_rng(1)
    hidden, outputs = 2000, 100
    picks = rng.choice(hidden, outputs + 1, replace=False)
    rows = np.r_[np.arange(outputs), 0]
    readout = sp.csr_matrix((np.ones(outputs + 1), (rows, picks)), shape=(outputs, hidden))
    layers = [_comb_like(rng, 16, hidden, outputs)[0], (readout, np.zeros(outputs))]
    module = layered.to_module(layers)
    assert isinstance(module._fast_layers()[1][0], sp.csr_matrix)
    x = rng.normal(size=(50, 16))
    assert np.array_equal(module(torch.as_tensor(x)).numpy(), _reference(layers, x))


def test_gradients_take_the_torch_routes() -> None:
    rng = np.random.default_rng(2)
    layers = _comb_like(rng, 8, 2000, 60)
    module = layered.to_module(layers)
    x = torch.as_tensor(rng.normal(size=(20, 8))).requires_grad_()
    out = module(x)
    out.sum().backward()
    assert x.grad is not None
    assert np.allclose(out.detach().numpy(), _reference(layers, x.detach().numpy()), rtol=1e-12)


def test_the_sample_blocks_change_no_number(monkeypatch) -> None:
    """The gather and CSR product run a block of samples at a time: any block size (a last
    block of one sample included) gives the unblocked pass's very numbers."""
    rng = np.random.default_rng(3)
    module = layered.to_module(_comb_like(rng, 32, 4000, 185))
    x = torch.as_tensor(rng.normal(size=(65, 32)))
    monkeypatch.setattr(layered, "_GATHER_BLOCK", 10**6)
    whole = module(x)
    for block in (1, 7, 32, 64):
        monkeypatch.setattr(layered, "_GATHER_BLOCK", block)
        assert torch.equal(module(x), whole)


def test_the_module_reads_the_entries_scipy_coo_would() -> None:
    """A layer's buffer entries come straight off its CSR arrays: those of ``coo_matrix`` after
    ``eliminate_zeros``, stored zeros and duplicates included, in order."""
    rng = np.random.default_rng(5)
    dense = rng.normal(size=(40, 30)) * (rng.random((40, 30)) < 0.2)
    w = sp.csr_matrix(dense)
    w.data[::7] = 0.0  # stored zeros
    dup = sp.csr_matrix(
        (np.array([1.0, 2.0, 0.0, 3.0]), np.array([2, 2, 1, 0]), np.array([0, 2, 2, 4])),
        shape=(3, 4),
    )
    for matrix in (w, dup, sp.csr_matrix((5, 6))):
        coo = sp.coo_matrix(matrix)
        coo.eliminate_zeros()
        got = layered._nonzero_entries(matrix)
        for a, b in zip(got, (coo.row, coo.col, coo.data), strict=True):
            assert np.array_equal(a, b)
