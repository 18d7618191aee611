import numpy as np
import pytest

from verify.core.errors import DomainError
from verify.maths.circuits import Circuit, Gate, compile_circuit, evaluate_integer, random_circuit
from verify.maths.oneway import GoldreichFunction, all_seeds


@pytest.mark.parametrize("signs", [True, False])
def test_random_circuits_compile_exactly(signs):
    rng = np.random.default_rng(7)
    for _ in range(60):
        n = int(rng.integers(1, 7))
        c = random_circuit(rng, n, int(rng.integers(1, 25)), int(rng.integers(1, 4)))
        net = compile_circuit(c, signs=signs)
        bits = ((1 - all_seeds(n)) // 2).astype(np.int64)
        ref = c(bits)
        x = (1 - 2 * bits) if signs else bits
        want = ((1 - 2 * ref) if signs else ref) * 2**net.depth
        assert np.array_equal(evaluate_integer(net, x), want)
        assert [int(v) for v in net([int(t) for t in x[-1]])] == list(want[-1] // 2**net.depth)
        assert net.max_abs_parameter() <= 2


def test_goldreich_network_equals_f():
    f = GoldreichFunction(9, 7, seed=4)
    net = compile_circuit(f.to_circuit())
    s = all_seeds(9)
    assert np.array_equal(evaluate_integer(net, s) // 2**net.depth, f(s))
    torch_net = net.to_torch()
    import torch

    out = torch_net(torch.as_tensor(s, dtype=torch.float64)).detach().numpy()
    assert np.array_equal(out, f(s))


def test_malformed_circuits_raise():
    with pytest.raises(DomainError):
        Circuit(2, (Gate("AND", (0, 5)),), (2,))
    with pytest.raises(DomainError):
        Circuit(2, (Gate("XOR", (0, 1)),), (2,))
    with pytest.raises(DomainError):
        Circuit(2, (), ())
