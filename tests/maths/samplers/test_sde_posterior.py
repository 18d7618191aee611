"""sde_posterior.code_acceptance: a(y) over the distinct codes f(s) equals the 2^d seed sum."""

import torch

from verify.maths.samplers.instance_sde import posterior_family
from verify.maths.samplers.rejection import instance_acceptance, instance_seed_terms
from verify.maths.samplers.sde_posterior import code_acceptance, code_counts


def test_code_counts_partition_the_seeds():
    inst = posterior_family(16, 8, 30).instance
    codes, counts = code_counts(inst)
    assert sum(counts) == 2**16 and len(codes) <= 2**8 and codes.shape[1] == 8


def test_code_acceptance_encloses_the_seed_sum():
    for d, m, beta in ((6, 2, 0.15), (5, 3, 0.05), (8, 1, 0.3)):
        inst = posterior_family(d, m, 30).instance
        gen = torch.Generator().manual_seed(d)
        x, _ = inst.sample_scaled(4, gen)
        for y in inst.measure(x, beta, gen).tolist():
            seeds = instance_acceptance(inst, instance_seed_terms(inst, y, beta), beta)
            codes = code_acceptance(inst, y, beta)
            assert seeds.overlaps(codes)
            assert codes.rad() < 1e-10 * abs(codes.mid())
