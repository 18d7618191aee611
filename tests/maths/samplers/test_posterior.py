"""The arena's samplers (verify.maths.samplers.posterior).

Gaussian check: prior N(0, I_3), y = x_3 + N(0, beta^2), beta = 0.5, y = 1. The posterior is
closed form: x_3 | y ~ N(y / (1 + beta^2), beta^2 / (1 + beta^2)), x_1, x_2 ~ N(0, 1). Each
sampler's draws are compared with it by the Kolmogorov distance against the
Dvoretzky-Kiefer-Wolfowitz-Massart radius sqrt(log(2/alpha) / 2n) (distribution-free, valid at
every n) at alpha = 1e-3, per coordinate.
"""

from __future__ import annotations

import math
import subprocess
import sys

import pytest
import torch
from scipy.stats import kstest

ALPHA = 1e-3
BETA = 0.5
Y = 1.0
MEAN = Y / (1 + BETA**2)
SD = math.sqrt(BETA**2 / (1 + BETA**2))


def dkw_radius(n: int, alpha: float = ALPHA) -> float:
    return math.sqrt(math.log(2 / alpha) / (2 * n))


def gaussian_problem():
    from verify.maths.samplers.posterior import Problem

    return Problem(
        score=lambda x, sigma: -x / (1 + sigma * sigma),
        dim=3,
        d_out=1,
        beta=BETA,
        sigma_max=20.0,
        sigma_min=0.01,
    )


def assert_gaussian_posterior(x: torch.Tensor) -> None:
    n = x.shape[0]
    radius = dkw_radius(n)
    measured = kstest(((x[:, 2] - MEAN) / SD).numpy(), "norm").statistic
    free = kstest(x[:, 0].numpy(), "norm").statistic
    assert measured <= radius, f"measured coordinate: Kolmogorov {measured:.3f} > {radius:.3f}"
    assert free <= radius, f"free coordinate: Kolmogorov {free:.3f} > {radius:.3f}"


def test_azula_samplers_import_and_torchvision_stays_out():
    code = (
        "import sys\n"
        "import verify.maths.samplers.posterior as p\n"
        "from azula.guidance import DPSSampler, PGDMSampler, RePaintSampler, TDSSampler\n"
        "assert 'torchvision' not in sys.modules, 'torchvision was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# DPS, PiGDM and RePaint as azula implements them are not posterior samplers at beta = 0.5: they
# collapse the measured coordinate onto y (Kolmogorov distance about 0.6 to 0.67 on 400 draws,
# standard deviation below 0.06 against 0.45). Kept as strict xfails: the day one of them passes,
# the test says so.
NOT_POSTERIOR = {
    "dps": "azula's DPS concentrates x_3 at y (ignores beta)",
    "pgdm": "azula's PiGDM is the noiseless form: x_3 = y",
    "repaint": "RePaint replaces x_3 by y re-noised: ignores beta",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=NOT_POSTERIOR[n]))
        if n in NOT_POSTERIOR
        else n
        for n in ("dps", "pgdm", "repaint", "tds", "langevin")
    ],
)
def test_heuristic_on_gaussian_posterior(name):
    from verify.maths.samplers.posterior import Budget, run_heuristic

    n = 100 if name == "tds" else 400
    budget = Budget(steps=64, particles=8 if name == "tds" else 1)
    y = torch.full((n, 1), Y, dtype=torch.float64)
    draws = run_heuristic(name, gaussian_problem(), y, budget, seed=0)
    assert draws.evaluations > 0
    assert_gaussian_posterior(draws.x)


def test_rejection_sample_on_gaussian_posterior():
    from verify.maths.samplers.rejection import rejection_sample

    def prior(count, gen):
        return torch.randn(count, 3, generator=gen, dtype=torch.float64), torch.zeros(count)

    result = rejection_sample(
        prior,
        torch.tensor([[Y]], dtype=torch.float64),
        BETA,
        lambda x: x[:, 2:],
        torch.Generator().manual_seed(0),
        want=400,
        max_proposals=100_000,
    )
    assert result.samples.shape[0] == 400
    assert_gaussian_posterior(result.samples)


def test_a_planted_wrong_posterior_is_caught():
    # The check can fail: prior draws (no conditioning) are far from the posterior.
    x = torch.randn(400, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    with pytest.raises(AssertionError):
        assert_gaussian_posterior(x)


def test_heuristics_are_deterministic_per_seed_and_leave_the_global_stream():
    from verify.maths.samplers.posterior import Budget, run_heuristic

    y = torch.full((8, 1), Y, dtype=torch.float64)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = run_heuristic("dps", gaussian_problem(), y, Budget(steps=8), seed=5).x
    after = torch.rand(1)
    b = run_heuristic("dps", gaussian_problem(), y, Budget(steps=8), seed=5).x
    assert torch.equal(a, b)
    assert torch.equal(before, after)


def test_exact_sampler_succeeds_on_the_instance():
    from verify.maths.nets.instance_network import make_instance
    from verify.maths.samplers.posterior import draw_setting, exact_draws, successes

    inst = make_instance(6, 3)
    _, _, y = draw_setting(inst, 0.006, 200, seed=0)
    ok = successes(inst, exact_draws(inst, 0.006, y, seed=1).x, y)
    assert float(ok.float().mean()) >= 0.95
