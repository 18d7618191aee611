"""The arena's samplers (verify.maths.samplers.posterior).

Gaussian check: prior N(0, I_3), y = x_3 + N(0, beta^2), beta = 0.5, y = 1. The posterior is
closed form: x_3 | y ~ N(y / (1 + beta^2), beta^2 / (1 + beta^2)), x_1, x_2 ~ N(0, 1). Each
sampler's draws are compared with it by the Kolmogorov distance against the
Dvoretzky-Kiefer-Wolfowitz-Massart radius sqrt(log(2/alpha) / 2n) (distribution-free, valid at
every n) at alpha = 1e-3, per coordinate.
"""

from __future__ import annotations

import itertools
import math
import sys

import pytest
import torch

from tests._groups import SCIPY_STATS_SYMPY

ALPHA = 1e-3
BETA = 0.5
Y = 1.0
MEAN = Y / (1 + BETA**2)
SD = math.sqrt(BETA**2 / (1 + BETA**2))

# Nearly every test here reads scipy.stats (kstest): the whole module joins the group.
pytestmark = SCIPY_STATS_SYMPY


def kstest(values, law: str):
    """scipy's Kolmogorov-Smirnov test, imported at first use (scipy.stats costs a worker
    0.6 s to import; tests/conftest.py)."""
    from scipy.stats import kstest as scipy_kstest

    return scipy_kstest(values, law)


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
    """In this process (a fresh interpreter cost ~2.5 CPU-s of imports): nothing of the
    project or of the suite imports torchvision, so had the samplers module or azula's
    samplers pulled it in, it would be in sys.modules after these imports, whatever ran
    before them in this worker."""
    from azula.guidance import DPSSampler, PGDMSampler, RePaintSampler, TDSSampler  # noqa: F401

    import verify.maths.samplers.posterior  # noqa: F401

    assert "torchvision" not in sys.modules, "torchvision was imported"


def schedule_sigmas(steps: int, sigma_min: float, sigma_max: float) -> list[float]:
    """azula's VE schedule on its uniform time grid, t from 1 to 0."""
    return [
        math.exp((1 - t) * math.log(sigma_min) + t * math.log(sigma_max))
        for t in (1 - i / steps for i in range(steps + 1))
    ]


def guided_ddpm_law(variance, steps: int, sigma_min=0.01, sigma_max=20.0, y=Y, v=1.0):
    """Mean and sd of a DDPM run (azula's step, VE) on one coordinate of the prior N(0, v),
    guided by the Gaussian likelihood N(y; x_hat, variance(sigma)) (``variance`` None: no
    guidance, a free coordinate). Derived by hand, independently of the sampler code: with
    j = v / (v + sigma_t^2) the denoiser is x_hat = j x_t, the guided one
    x_hat + sigma_t^2 j (y - x_hat) / variance = a x_t + b, and the step
    x_s = D + rho (x_t - D) + sigma_s sqrt(1 - rho) eps, rho = sigma_s^2 / sigma_t^2, is affine
    in x_t plus Gaussian noise: the law stays Gaussian and its two moments follow exactly."""
    sigmas = schedule_sigmas(steps, sigma_min, sigma_max)
    mean, var = 0.0, v + sigma_max**2
    for sigma_t, sigma_s in itertools.pairwise(sigmas):
        j = v / (v + sigma_t**2)
        a, b = j, 0.0
        if variance is not None:
            weight = sigma_t**2 * j / variance(sigma_t)
            a, b = j - weight * j, weight * y
        rho = sigma_s**2 / sigma_t**2
        slope = rho + (1 - rho) * a
        mean, var = slope * mean + (1 - rho) * b, slope**2 * var + sigma_s**2 * (1 - rho)
    return mean, math.sqrt(var)


def repaint_free_law(steps: int, iterations: int = 2, sigma_min=0.01, sigma_max=20.0, v=1.0):
    """sd of a free coordinate under azula's RePaint (DDIM, eta = 0, ``iterations`` per step,
    re-noising x_s to x_t between them) on the prior N(0, v); the mean is 0."""
    sigmas = schedule_sigmas(steps, sigma_min, sigma_max)
    var = v + sigma_max**2
    for sigma_t, sigma_s in itertools.pairwise(sigmas):
        j = v / (v + sigma_t**2)
        slope = j + sigma_s / sigma_t * (1 - j)
        for iteration in range(iterations):
            var = slope**2 * var
            if iteration < iterations - 1:
                var = var + sigma_t**2 - sigma_s**2
    return math.sqrt(var)


def assert_gaussian_law(sample: torch.Tensor, mean: float, sd: float, what: str) -> None:
    radius = dkw_radius(sample.shape[0])
    distance = kstest(((sample - mean) / sd).numpy(), "norm").statistic
    assert distance <= radius, f"{what}: Kolmogorov {distance:.3f} > {radius:.3f}"


def pgdm_variance(sigma: float) -> float:
    return sigma**2 / (1 + sigma**2) + BETA**2


# Every sampler is held to the Gaussian posterior (its closed form) or, where the published method
# is biased even on a Gaussian, to that method's own law there (derived above) with the bias
# stated and measured (test_dps_ignores_beta, test_repaint_ignores_beta).
@pytest.mark.parametrize("name", ["pgdm", "tds", "langevin"])
def test_heuristic_on_gaussian_posterior(name):
    from verify.maths.samplers.posterior import Budget, run_heuristic

    # TDS is exact only as its particles grow: with 8, its bias reaches the DKW radius at 400
    # draws (Kolmogorov 0.102 against 0.097 measured) and stays inside it at 100
    n = 100 if name == "tds" else 400
    budget = Budget(steps=64, particles=8 if name == "tds" else 1)
    y = torch.full((n, 1), Y, dtype=torch.float64)
    draws = run_heuristic(name, gaussian_problem(), y, budget, seed=0)
    assert draws.evaluations > 0
    assert_gaussian_posterior(draws.x)


def _tds_draws(y: torch.Tensor, particles: int, group: int, seed: int = 0) -> torch.Tensor:
    """``_tds``'s run with resampling among ``group`` consecutive rows: ``particles`` is the
    right group (one measurement's particles); ``len(y) * particles`` is azula 0.11.1's own
    resampling over the whole batch."""
    from verify.maths.samplers.posterior import (
        Budget,
        GroupedTDSSampler,
        ScoreDenoiser,
        _common,
        _schedule,
    )

    problem = gaussian_problem()
    denoiser = ScoreDenoiser(problem.score, _schedule(problem))
    y_rows = y.repeat_interleave(particles, dim=0)

    def twist(x_hat, sigma):
        return -((y_rows - problem.measure(x_hat)) ** 2) / (2 * (BETA**2 + sigma**2))

    budget = Budget(steps=64, particles=particles)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        sampler = GroupedTDSSampler(denoiser, twist, group, **_common(problem, budget))
        x_t = sampler.init((y_rows.shape[0], 3), var=1.0, dtype=torch.float64)
        return sampler(x_t)[::particles]


def _measurements_apart(n: int) -> torch.Tensor:
    """y = +1 and -1 on alternate rows: posteriors apart (means +-0.8, sd 0.45)."""
    return torch.tensor([[Y if i % 2 == 0 else -Y] for i in range(n)], dtype=torch.float64)


def _worst_kolmogorov(x: torch.Tensor, y: torch.Tensor) -> float:
    distances = []
    for sign in (1.0, -1.0):
        rows = x[(y[:, 0] * sign) > 0]
        z = (rows[:, 2] - sign * MEAN) / SD
        distances.append(kstest(z.numpy(), "norm").statistic / dkw_radius(rows.shape[0]))
    return max(distances)  # in units of the DKW radius: above 1 is refuted


def test_tds_resamples_within_each_measurement_and_whole_batch_resampling_is_caught():
    # TDS resamples among one measurement's particles; run as one batch, the groups keep the
    # measurements apart. Resampling over the whole batch (azula's own step, the reason the
    # arena ran one measurement per call) hands rows the particles of other measurements:
    # measured 0.3-0.75 radii grouped, 3.1-3.5 over the whole batch (seeds 0-2).
    y = _measurements_apart(100)
    assert _worst_kolmogorov(_tds_draws(y, 8, group=8), y) <= 1
    assert _worst_kolmogorov(_tds_draws(y, 8, group=8 * 100), y) > 1


def test_pgdm_follows_its_own_gaussian_law():
    from verify.maths.samplers.posterior import Budget, run_heuristic

    y = torch.full((400, 1), Y, dtype=torch.float64)
    x = run_heuristic("pgdm", gaussian_problem(), y, Budget(steps=64), seed=0).x
    assert_gaussian_law(x[:, 2], *guided_ddpm_law(pgdm_variance, 64), "measured coordinate")
    assert_gaussian_law(x[:, 0], *guided_ddpm_law(None, 64), "free coordinate")


def test_pgdm_is_exact_on_a_gaussian_in_the_small_step_limit():
    # PiGDM's likelihood variance r^2 + beta^2 is exact for N(0, I): its mean is the posterior's
    # at every step count, its sd tends to the posterior's as the steps shrink.
    for steps in (64, 256, 4096):
        mean, _ = guided_ddpm_law(pgdm_variance, steps)
        assert mean == pytest.approx(MEAN, abs=1e-3)
    _, sd = guided_ddpm_law(pgdm_variance, 4096)
    assert sd == pytest.approx(SD, rel=2e-3)


def test_dps_ignores_beta():
    # DPS's practical step (Chung et al., Algorithm 1; azula's form, zeta = 1) has no beta: its
    # measured coordinate is centred on y, not on the posterior mean y / (1 + beta^2). Measured
    # (400 draws, 64 steps): mean 0.976, sd 0.565, against the posterior's 0.8 and 0.447. Stated
    # distribution-free: the empirical CDF at y is within the DKW radius of 1/2 (y is a median;
    # the posterior's CDF there is Phi(0.2 / 0.447) = 0.673), and the closed-form check fails.
    from verify.maths.samplers.posterior import Budget, run_heuristic

    y = torch.full((400, 1), Y, dtype=torch.float64)
    x = run_heuristic("dps", gaussian_problem(), y, Budget(steps=64), seed=0).x
    below_y = float((x[:, 2] <= Y).double().mean())
    assert abs(below_y - 0.5) <= dkw_radius(400)
    assert_gaussian_law(x[:, 0], *guided_ddpm_law(None, 64), "dps free coordinate")
    with pytest.raises(AssertionError, match="measured coordinate"):
        assert_gaussian_posterior(x)


def test_repaint_ignores_beta():
    # RePaint is a noiseless inpainting method: its measured coordinate ends at y + sigma_min eps
    # (its own law, whatever beta), the free ones follow its DDIM-with-resampling recursion.
    from verify.maths.samplers.posterior import Budget, run_heuristic

    y = torch.full((400, 1), Y, dtype=torch.float64)
    problem = gaussian_problem()
    x = run_heuristic("repaint", problem, y, Budget(steps=64), seed=0).x
    assert_gaussian_law(x[:, 2], Y, problem.sigma_min, "repaint measured coordinate")
    assert_gaussian_law(x[:, 0], 0.0, repaint_free_law(64), "repaint free coordinate")
    with pytest.raises(AssertionError, match="measured coordinate"):
        assert_gaussian_posterior(x)


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


def test_closeness_separates_a_wrong_sampler_from_the_exact_one():
    from verify.maths.nets.instance_network import make_instance
    from verify.maths.samplers.posterior import (
        closeness_to_posterior,
        draw_setting,
        exact_draws,
    )

    inst = make_instance(6, 3)
    _, _, y = draw_setting(inst, 0.006, 200, seed=0)
    reference = exact_draws(inst, 0.006, y, seed=2).x
    exact = closeness_to_posterior(inst, y, exact_draws(inst, 0.006, y, seed=1).x, reference, 0.05)
    assert exact["delta_interval"][0] == 0.0
    assert exact["value"] <= 0.05
    # planted wrong posterior: every sign of the seed coordinates flipped (f's output changes
    # for most seeds), the measured coordinates kept
    wrong = exact_draws(inst, 0.006, y, seed=1).x.clone()
    wrong[:, : inst.d] = -wrong[:, : inst.d]
    far = closeness_to_posterior(inst, y, wrong, reference, 0.05)
    assert far["delta_interval"][0] >= 0.5
    assert far["delta_interval"][0] <= far["value"] <= far["delta_interval"][1]
    # a failed draw (NaN row) counts as failed and far
    failed = closeness_to_posterior(inst, y, torch.full_like(reference, math.nan), reference, 0.05)
    assert failed["failures"] == 200 and failed["far_pairs"] == 200
