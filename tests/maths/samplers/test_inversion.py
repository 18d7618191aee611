"""verify.maths.samplers.inversion: samplers agree, the reduction decodes, the decoder and bound
behave."""

from __future__ import annotations

import math

import torch

from verify.core.stats import tv_deviation
from verify.maths.instance import Instance
from verify.maths.oneway import GoldreichFunction, all_seeds
from verify.maths.samplers.inversion import (
    ExactPosteriorSampler,
    ReductionWork,
    RejectionSampler,
    decode_phases,
    failure_bound,
    inversion_failures,
    invert,
    invert_rebuilding_prefixes,
    overhead_exponent,
    reduction_overhead,
    synthetic_measurement,
)


def _instance(d=6, d_out=2, R=3.0, eps=2.0):
    return Instance(GoldreichFunction(d, d_out, 0), R, eps, eps_max=4.0)


def test_rejection_and_exact_posteriors_agree_on_the_seed_law():
    # Two computations of p(s | y): rejection sampling (Algorithm 1) and seed enumeration.
    inst = _instance()
    beta = 0.4
    gen = torch.Generator().manual_seed(0)
    y = torch.tensor([[0.3, -1.1]], dtype=torch.float64)
    exact = ExactPosteriorSampler(inst, beta)
    probs = torch.softmax(exact.seed_log_posterior(y), 1)[0]
    n = 3000
    draws = RejectionSampler(inst, beta)(y.repeat(n, 1), gen)
    codes = inst.outputs_torch(torch.where(draws[:, : inst.d] >= 0, 1.0, -1.0))
    # Compare the law of f(s) (4 cells): the heads' signs are noisy, the codes are what matter.
    cells = ((codes > 0).to(torch.int64) * torch.tensor([1, 2])).sum(1)
    seeds = torch.as_tensor(all_seeds(inst.d), dtype=torch.float64)
    exact_codes = ((inst.outputs_torch(seeds) > 0).to(torch.int64) * torch.tensor([1, 2])).sum(1)
    p_cell = torch.zeros(4, dtype=torch.float64).index_add_(0, exact_codes, probs)
    # Sign flips of the head (prob Phi_bar(3) per coordinate) also move mass: allow for them.
    flips = inst.d * 0.5 * math.erfc(3.0 / math.sqrt(2))
    empirical = torch.bincount(cells, minlength=4).to(torch.float64) / n
    tv = 0.5 * float((empirical - p_cell).abs().sum())
    assert tv <= float(tv_deviation(n, 4, 1e-4)) + flips


def test_synthetic_measurement_phases_decode():
    inst = _instance(eps=1.0)
    gen = torch.Generator().manual_seed(1)
    y_star = torch.tensor([[1.0, -1.0]] * 2000, dtype=torch.float64)
    y = synthetic_measurement(inst, y_star, 0.02, gen)
    assert torch.equal(decode_phases(y, 1.0), y_star)


def test_unconditional_sampler_fails_to_invert():
    # Known-false sampler: ignores y. Its failure rate is far above the lemma's bound.
    inst = _instance(8, 6, 4.0, 1.0)
    gen = torch.Generator().manual_seed(2)

    def ignore(y, generator):
        return inst.sample_by_inverse_cdf(y.shape[0], generator)[0]

    failures = inversion_failures(inst, 0.05, ignore, 500, gen)
    assert failures / 500 > 0.5 > 10 * failure_bound(8, 6, 4.0, 1.0, 0.05)


def test_exact_sampler_inverts_with_small_noise():
    inst = _instance(8, 6, 5.0, 1.0)
    gen = torch.Generator().manual_seed(3)
    exact = ExactPosteriorSampler(inst, 0.03)
    assert inversion_failures(inst, 0.03, exact, 500, gen) <= 2


def test_rejection_sampler_gives_up_at_its_cap_with_nan_rows():
    # A measurement far from every comb point: acceptance ~ exp(-50^2 / 0.32), so every row
    # exhausts its cap of 10 draws and comes back NaN, counted in stats.
    inst = _instance()
    sampler = RejectionSampler(inst, 0.4, max_draws=10, chunk=8)
    y = torch.full((3, 2), 50.0, dtype=torch.float64)
    out = sampler(y, torch.Generator().manual_seed(4))
    assert out.shape == (3, inst.d + inst.d_out) and bool(torch.isnan(out).all())
    assert sampler.stats.gave_up == 3 and sampler.stats.draws >= 3 * 10


def test_reduction_work_is_counted_without_touching_the_draws():
    inst = _instance(d=6, d_out=3)
    y_star = inst.outputs_torch(torch.ones(5, 6, dtype=torch.float64))
    sampler = ExactPosteriorSampler(inst, 0.3)
    for scaled, per_output in ((False, 4), (True, 5)):
        run = sampler if not scaled else (lambda y, g: sampler(y * inst.scale, g) / inst.scale)
        work = ReductionWork()
        counted = invert(
            inst, y_star, 0.3, run, torch.Generator().manual_seed(3), scaled=scaled, work=work
        )
        plain = invert(inst, y_star, 0.3, run, torch.Generator().manual_seed(3), scaled=scaled)
        assert torch.equal(counted, plain)  # counting draws nothing
        assert work.steps == 5 * (per_output * 3 + 6) and work.sampler_calls == 1


def test_overhead_is_linear_and_a_quadratic_reduction_is_not():
    points = reduction_overhead(3.0, 1.0, 0.2, sizes=(8, 16, 64), rows=2)
    assert all(p.steps == 4 * p.d_out + p.d for p in points)
    exponent = overhead_exponent(points)
    assert 0.9 < float(exponent.mid()) < 1.0 and float(exponent.rad()) < 1e-6
    slow = reduction_overhead(
        3.0, 1.0, 0.2, sizes=(8, 16, 64), rows=2, reduction=invert_rebuilding_prefixes
    )
    assert all(p.steps == 2 * p.d_out * (p.d_out + 1) + p.d for p in slow)
    assert float(overhead_exponent(slow).mid()) > 1.5
