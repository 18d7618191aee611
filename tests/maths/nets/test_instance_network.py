"""verify.maths.nets.instance_network: the C.21 building blocks and the assembled network."""

from __future__ import annotations

import math

import numpy as np
import torch

from verify.maths.nets.instance_network import (
    InstanceScoreNetwork,
    fit_pwl,
    make_instance,
    switch_point,
)
from verify.maths.nets.pwl import PiecewiseLinear


def test_interpolation_equals_relu_form():
    knots = torch.tensor([-2.0, -0.5, 0.0, 1.0, 3.0], dtype=torch.float64)
    values = torch.tensor([1.0, -2.0, 0.5, 0.25, 4.0], dtype=torch.float64)
    f = PiecewiseLinear.from_samples(knots.tolist(), values.tolist(), -0.3, 2.0)
    t = torch.linspace(-6, 7, 1001, dtype=torch.float64)
    assert torch.allclose(f.torch(t), f.torch_relu_form(t), atol=1e-12)
    assert torch.equal(f.torch(knots), values)


def test_exact_and_float_arithmetic_are_one_function():
    # One definition, two arithmetics: the float64 form agrees with the exact value to rounding.
    from fractions import Fraction

    f = PiecewiseLinear.from_samples(
        [-2.0, -0.5, 0.0, 1.0, 3.0], [1.0, -2.0, 0.5, 0.25, 4.0], -0.3, 2.0
    )
    points = [Fraction(k, 8) for k in range(-60, 60, 7)]
    exact = [f(x) for x in points]
    floats = f.torch(torch.tensor([float(x) for x in points], dtype=torch.float64)).tolist()
    assert all(abs(y - float(e)) <= 1e-12 for y, e in zip(floats, exact, strict=True))


def test_fit_pwl_meets_its_tolerance():
    target = np.tanh
    density = lambda t: np.exp(-(t**2) / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    for tol in (1e-3, 1e-6):
        f, err = fit_pwl(target, density, -8, 8, tol)
        grid = np.linspace(-8, 8, 20001)
        true = float(
            ((f.torch(torch.as_tensor(grid)).numpy() - target(grid)) ** 2 * density(grid)).sum()
        )
        assert err <= tol and true * (grid[1] - grid[0]) <= 2 * tol


def test_small_sigma_network_is_the_vertex_score_on_vertex_points():
    inst = make_instance(8)
    su = 0.1
    switch = switch_point(inst, 1 / 8, np.geomspace(0.02, 50, 200))
    net = InstanceScoreNetwork(inst, su / inst.scale, 1 / 8, switch)
    assert net.regime == "small"
    gen = torch.Generator().manual_seed(0)
    x, seeds = inst.sample(400, gen, sigma=su)
    keep = (x[:, : inst.d].abs() >= net.width).all(1)
    exact = inst.seed_score(x[keep], su, seeds[keep.numpy()])
    out = net.unscaled(x[keep])
    # Head coordinates are exact; comb coordinates carry the small interpolation error.
    assert torch.allclose(out[:, : inst.d], exact[:, : inst.d], atol=1e-9)
    mean_sq = float((su**2 * ((out - exact) ** 2).sum(1)).mean())
    assert mean_sq <= 1 / 8
    # The scaled network is the reparameterisation c N(c x).
    assert torch.allclose(net(x[keep] / inst.scale), inst.scale * out, atol=1e-9)


def test_large_sigma_network_and_sizes():
    inst = make_instance(8)
    switch = switch_point(inst, 1 / 8, np.geomspace(0.02, 50, 200))
    net = InstanceScoreNetwork(inst, 3.0 / inst.scale, 1 / 8, switch)
    assert net.regime == "large"
    size = net.size()
    assert size.parameters > 0 and size.max_abs_parameter > 0
    small = InstanceScoreNetwork(inst, 0.05 / inst.scale, 1 / 8, switch).size()
    assert small.parameters > size.parameters and small.depth > size.depth


def test_small_sigma_network_agrees_with_the_c15_network():
    # Two constructions of the small-sigma score network (this module's adaptive one and the
    # C.15 module's uniform-grid one) approximate the same vertex score: they must agree.
    from verify.maths.nets.small_sigma import SmallSigmaNetwork

    inst = make_instance(8)
    su = 0.1
    switch = switch_point(inst, 1 / 8, np.geomspace(0.02, 50, 200))
    ours = InstanceScoreNetwork(inst, su / inst.scale, 1 / 8, switch)
    theirs = SmallSigmaNetwork(inst, su, ours.width)
    gen = torch.Generator().manual_seed(4)
    x, _ = inst.sample(300, gen, sigma=su)
    a, b = ours.unscaled(x), theirs(x)
    assert torch.allclose(a[:, : inst.d], b[:, : inst.d], atol=1e-9)
    assert float((su**2 * ((a - b) ** 2).sum(1)).mean()) <= 1e-2


def test_the_network_is_one_relu_module_evaluated_by_its_forward_pass():
    # one torch nn.Module of sparse ReLU layers per sigma: forward pass = the network, its
    # state_dict carries every weight, its size is read from its own tensors; it agrees with the
    # blocks evaluated one by one (gadgets, G.3 network, 1-D interpolation forms) to rounding.
    import torch

    from verify.maths.nets import gadgets
    from verify.maths.nets.instance_network import grid_network

    for index in (2, 6):
        net = grid_network(8, index, 10)
        module = net.module(scaled=True)
        assert isinstance(module, torch.nn.Module)
        state = module.state_dict()
        assert len(state) == 2 * module.depth
        count = sum(
            int((t.coalesce().values() if t.is_sparse else t).ne(0).sum()) for t in state.values()
        )
        assert net.size().parameters == count == module.parameter_count()
        inst = net.instance
        x, _ = inst.sample_scaled(500, torch.Generator().manual_seed(1), sigma=net.sigma)
        c, d = inst.scale, inst.d
        head, tail = (c * x)[:, :d], (c * x)[:, d:]
        R, v = float(inst.R), net.v
        if net.regime == "large":
            blocks = torch.cat([net.head_pwl.torch(head), -tail / v], 1)
        else:
            clamp = gadgets.apply_torch(net.clamp, head)
            bits = (1 + net.f_torch(clamp)) / 2
            bits = torch.relu(bits) - torch.relu(bits - 1)
            plus, minus = net.comb_pwl[1].torch(tail), net.comb_pwl[-1].torch(tail)
            chosen = gadgets.apply_torch(net.switch, bits, plus)
            chosen = chosen + gadgets.apply_torch(net.switch, 1 - bits, minus)
            blocks = torch.cat([(R * clamp - head) / v, chosen], 1)
        assert torch.allclose(module(x), c * blocks, rtol=0, atol=1e-9)


def test_mean_sample_size_makes_the_range_term_decide():
    from verify.maths.nets.instance_network import (
        MEAN_SAMPLE_CAP,
        large_regime_error_terms,
        mean_sample_size,
        target_network,
    )

    small = target_network(8, 1.0, 0.08)
    assert small.regime == "small" and mean_sample_size(small, 1000, 1 / 8, 1e-3) == 1000
    large = target_network(8, 0.5, 0.3)
    bound = large_regime_error_terms(large)[0]
    n = mean_sample_size(large, 100, large.target, 1e-3)
    assert 100 < n <= MEAN_SAMPLE_CAP
    assert 7 * bound * math.log(2 / 1e-3) / (3 * (n - 1)) <= large.target / 2
    assert mean_sample_size(large, 5000, large.target, 1e-3) == 5000  # never fewer than asked
    hopeless = target_network(8, 2.0, 0.35)  # M ~ 5 against a target of 1/64
    assert hopeless.regime == "large"
    assert mean_sample_size(hopeless, 1000, 1e-6, 1e-3) == 1000  # no affordable n decides
