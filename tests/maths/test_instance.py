import math

import numpy as np
import pytest
import torch

from verify.core.errors import DomainError
from verify.core.numbers import lower, upper
from verify.maths.comb import smoothed_comb_derivative_np, smoothed_comb_direct, smoothed_comb_np
from verify.maths.instance import Instance, comb_sup_bound
from verify.maths.oneway import ConstantFunction, GoldreichFunction


@pytest.fixture(scope="module")
def inst():
    return Instance(GoldreichFunction(5, 3, 1), R=2.0, eps=0.3)


@pytest.mark.parametrize("sigma", [0.03, 0.2, 1.0, 4.0])
def test_torch_comb_terms_match_closed_form(inst, sigma):
    t = torch.linspace(-5, 5, 81, dtype=torch.float64)
    log_psi, slope = inst.comb_terms(t, sigma)
    for index, b in enumerate((1, -1)):
        ref = smoothed_comb_np(t.numpy(), sigma, 0.3, inst.theta(b))
        dref = smoothed_comb_derivative_np(t.numpy(), sigma, 0.3, inst.theta(b))
        # the float64 theta screen loses ~1e-11 relative in deep troughs at small sigma
        assert np.allclose(np.exp(log_psi[:, index].numpy()), ref, rtol=1e-8, atol=0)
        assert np.allclose(slope[:, index].numpy(), dref / ref, rtol=1e-6, atol=1e-7)
        for i in (0, 3, 40):
            exact = smoothed_comb_direct(float(t[i]), sigma, 0.3, inst.theta_exact(b))
            value = math.exp(float(log_psi[i, index]))
            assert abs(value / float(exact.mid()) - 1) < 1e-12


def test_score_is_gradient_of_log_density_and_matches_arb(inst):
    g = torch.Generator().manual_seed(1)
    x, _ = inst.sample(6, g, sigma=0.4)
    xr = x.clone().requires_grad_(True)
    inst.log_density(xr, 0.4).sum().backward()
    score = inst.score(x, 0.4)
    assert torch.allclose(xr.grad, score, atol=1e-10)
    point = [float(c) for c in x[0]]
    certified = inst.score_arb(point, 0.4)
    for c, s in zip(certified, score[0], strict=True):
        assert float(lower(c)) - 1e-9 <= float(s) <= float(upper(c)) + 1e-9
    log_g = math.log(float(inst.density_arb(point, 0.4).mid()))
    assert abs(log_g - float(inst.log_density(x[:1], 0.4)[0])) < 1e-10


def test_scaled_score_is_chain_rule(inst):
    x = torch.randn(4, inst.dim, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    xr = x.clone().requires_grad_(True)
    c = inst.scale
    (inst.log_density(xr * c, 0.5 * c)).sum().backward()
    assert torch.allclose(inst.scaled_score(x, 0.5), xr.grad, atol=1e-10)


def test_samplers_are_reproducible_and_have_right_moments(inst):
    x1, s1 = inst.sample(4000, torch.Generator().manual_seed(5))
    x2, s2 = inst.sample(4000, torch.Generator().manual_seed(5))
    assert torch.equal(x1, x2) and np.array_equal(s1, s2)
    # comb coordinates lie on their phase's lattice
    phases = inst.outputs(s1)
    r = np.mod(x1[:, inst.d :].numpy(), 0.3)
    on_zero = np.minimum(r, 0.3 - r) < 1e-9
    assert np.array_equal(on_zero, phases == 1)
    assert np.array_equal(inst.decode_phases(x1[:, inst.d :], 0.3), phases)
    head = x1[:, : inst.d].numpy() - 2.0 * s1
    assert abs(head.mean()) < 0.05 and abs(head.var() - 1) < 0.05
    xs, _ = inst.sample_scaled(4000, torch.Generator().manual_seed(5))
    assert float(xs.var(0).max()) <= 1.05
    y = inst.measure(xs, 0.1, torch.Generator().manual_seed(6))
    assert y.shape == (4000, inst.d_out)


def test_comb_sup_bound_is_attained_nearly():
    from verify.maths.comb import smoothed_comb_closed_form

    for sigma in (0.05, 0.3, 2.0):
        m = comb_sup_bound(sigma, 0.3)
        at_zero = smoothed_comb_closed_form(0, sigma, 0.3, 0)
        assert lower(m) >= upper(at_zero) * (1 - 1e-12)
        assert upper(m) <= lower(at_zero) * (1 + 1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"R": 0.0, "eps": 0.3},
        {"R": -1.0, "eps": 0.3},
        {"R": 1.0, "eps": 1.0},
        {"R": 1.0, "eps": 0.0},
        {"R": float("nan"), "eps": 0.3},
    ],
)
def test_bad_parameters_raise_one_line_domain_error(kwargs):
    with pytest.raises(DomainError) as info:
        Instance(ConstantFunction(3, 2), **kwargs)
    assert "\n" not in str(info.value)


def test_wrong_f_output_length_is_a_domain_error():
    class Liar:
        n_in, n_out, name = 3, 2, "liar"

        def __call__(self, x):
            return np.ones((x.shape[0], 3), dtype=np.int8)

    with pytest.raises(DomainError, match="output length"):
        Instance(Liar(), R=1.0, eps=0.3)

    class Empty:
        n_in, n_out, name = 3, 0, "empty"

        def __call__(self, x):
            return np.ones((x.shape[0], 0), dtype=np.int8)

    with pytest.raises(DomainError, match="d'"):
        Instance(Empty(), R=1.0, eps=0.3)


def test_wider_comb_only_with_eps_max():
    # Definition 3.1 takes eps < 1; B.4's rejection timing widens the comb through eps_max
    with pytest.raises(DomainError):
        Instance(ConstantFunction(3, 2), R=1.0, eps=2.0)
    assert Instance(ConstantFunction(3, 2), R=1.0, eps=2.0, eps_max=4.0).eps == 2.0


@pytest.mark.parametrize("b", [1, -1])
def test_the_two_comb_samplers_draw_the_same_law(b):
    # multinomial (sample_comb) and inverse CDF (sample_comb_by_inverse_cdf): same comb points,
    # same masses; compared through the mass of each tooth near the centre
    inst = Instance(ConstantFunction(3, 2), R=1.0, eps=0.5)
    n = 40_000
    gen = torch.Generator().manual_seed(4)
    by_multinomial = inst.sample_comb(torch.full((n,), b, dtype=torch.int8), gen)
    by_inverse_cdf = inst.sample_comb_by_inverse_cdf(torch.full((n,), float(b)), gen)
    teeth, log_mass = inst.comb_table(b)
    for t, mass in zip(teeth.tolist(), log_mass.exp().tolist(), strict=True):
        if mass < 0.01:
            continue
        for draws in (by_multinomial, by_inverse_cdf):
            rate = float((draws - t).abs().lt(1e-9).to(torch.float64).mean())
            assert abs(rate - mass) < 5 * math.sqrt(mass / n)
