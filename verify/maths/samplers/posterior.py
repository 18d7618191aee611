r"""The hardness arena's samplers: published posterior samplers run on the scaled instance.

Setting (issue 14). The scaled instance :math:`\tilde g` of Definition 3.2 (``Instance`` with the
Goldreich f of ``verify.maths.oneway``), a signal :math:`\tilde x\sim\tilde g`, and the
measurement :math:`y = A\tilde x + N(0,\beta^2 I)` with :math:`A = [0\mid I_{d'}]` (the last d'
coordinates), all in scaled units. A sampler maps the rows of y (n, d') to one draw per row
(n, d + d'). Success of a draw: :math:`f(\mathrm{sign}\,x_{1:d})` equals the phases decoded
from y (Lemma B.2's decoder on the unscaled :math:`c\,y`).

Denoisers. Every diffusion sampler needs :math:`E[X\mid X_t = x]` on the VE path
:math:`X_t = X + \sigma_t Z`: Tweedie's formula :math:`x + \sigma_t^2 \nabla\log p_{\sigma_t}(x)`
turns a score into that denoiser (``ScoreDenoiser``, an ``azula.denoise.Denoiser``). Scores: the
exact one by enumerating seeds (``Instance.scaled_score``) and the Cor. 3.5 network
(``verify.maths.nets.instance_network.InstanceScoreFamily``); both are differentiable in torch,
as DPS, PiGDM and TDS need.

Samplers. From ``azula`` 0.11.1 (maintained implementations): DPS (Chung et al. 2023, azula's
step with the residual norm per row: ``RowwiseDPSSampler``), RePaint (Lugmayr et al. 2022) and
the twisted diffusion sampler TDS (Wu, Trippe et al. 2023, N particles per measurement). From this
module: PiGDM (Song et al. 2023) in its noisy form as a guided denoiser (``GuidedDenoiser``) run
by azula's ``DDPMSampler``, and annealed Langevin on the posterior score
:math:`\nabla\log p_\sigma(x) + A^\top(y - Ax)/(\beta^2+\sigma^2)` (azula has none).
References: the exact posterior sampler (``inversion.ExactPosteriorSampler``, enumerating seeds)
and rejection sampling (Algorithm 1, ``rejection.rejection_sample``).

The measurement noise. azula 0.11.1's ``DPSSampler``, ``PGDMSampler`` and ``RePaintSampler`` take
no measurement noise level at all: there is no argument to wire beta to. DPS: Chung et al.'s
practical Algorithm 1 has none either (its step :math:`\zeta'/\|y - A\hat x\|` on
:math:`\nabla\|y - A\hat x\|^2` replaces the likelihood weight :math:`1/\beta^2` of their
eq. 16); the one wiring defect was azula's norm over the whole batch (one norm for all rows,
coupling them), fixed by ``RowwiseDPSSampler``. Their eq. 16 form with weight :math:`1/\beta^2`
diverges here: on the instance (beta = 0.006 scaled) its guidance
:math:`\sigma_t^2/\beta^2` times the residual overshoots by a factor up to about 10^6 per step
(measured coordinates at 10^16 after 16 steps). So DPS ignores beta by design and is biased
even on a Gaussian (its measured bias is stated in the Gaussian test). PiGDM: azula's is the
noiseless form :math:`A^+y - A^+A\hat x`; the paper's noisy form (Song et al., eq. 8) replaces
:math:`p(y\mid x_t)` by :math:`N(y; A\hat x, (r_t^2 + \beta^2) I)` with
:math:`r_t^2 = v\sigma_t^2/(v + \sigma_t^2)`, v the data's per-coordinate variance. The guided
denoiser returns :math:`\hat x + \sigma_t^2\nabla_{x_t}\log\tilde p(y\mid x_t)` (Tweedie's
formula for the guided score, the vector-Jacobian product of :math:`\hat x` by autograd). On a
Gaussian prior N(0, vI) that likelihood is exact (the posterior covariance of X given x_t is
:math:`r_t^2 I`), so PiGDM samples the posterior up to discretisation.

RePaint is a noiseless inpainting method: it replaces the measured coordinates by y re-noised,
so its output's measured coordinates are :math:`y + \sigma_{\min}\varepsilon` whatever beta is
(azula's ``RePaintSampler`` has, like the method, no noise level); that is its known law, not a
wiring error. azula draws its noise from torch's global generator: every sampler here runs inside
``torch.random.fork_rng`` seeded from the caller's seed, so runs are deterministic per seed and
leave the global stream untouched.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from azula.denoise import Denoiser as AzulaDenoiser
from azula.denoise import DiracPosterior
from azula.guidance import DPSSampler, RePaintSampler, TDSSampler
from azula.noise import VESchedule
from azula.sample import DDPMSampler
from torch import Tensor
from torch.distributions import Normal

from verify.maths.instance import Instance
from verify.maths.samplers.inversion import ExactPosteriorSampler
from verify.maths.samplers.rejection import instance_sampler, rejection_sample

Score = Callable[[Tensor, float], Tensor]  # (x (n, D), sigma) -> grad log p_sigma(x)

SAMPLER_SOURCES = {
    "exact": "project",
    "rejection": "project",
    "dps": "project",
    "pgdm": "project",
    "repaint": "azula",
    "tds": "project",
    "langevin": "project",
}
HEURISTICS = ("dps", "pgdm", "repaint", "tds", "langevin")


@dataclass
class Counter:
    """Work done: score (denoiser) evaluations, counted per row."""

    evaluations: int = 0


class ScoreDenoiser(AzulaDenoiser):
    """Tweedie's denoiser E[X | X_t = x] = x + sigma_t^2 score(x, sigma_t) on a VE path."""

    def __init__(self, score: Score, schedule: VESchedule, counter: Counter | None = None):
        super().__init__()
        self.score = score
        self.schedule = schedule
        self.counter = counter if counter is not None else Counter()

    def forward(self, x_t: Tensor, t: Tensor, **kwargs) -> DiracPosterior:
        sigma = float(self.schedule.sigma(torch.as_tensor(t, dtype=torch.float64)).reshape(-1)[0])
        self.counter.evaluations += x_t.shape[0]
        return DiracPosterior(x_t + sigma**2 * self.score(x_t, sigma))


class RowwiseDPSSampler(DPSSampler):
    """azula's DPS step with the residual norm taken per row: x_s - zeta grad sum_i |y_i - A
    x_hat_i|, i.e. Chung et al.'s Algorithm 1 (step zeta' / |r_i| on grad |r_i|^2, zeta' =
    zeta / 2) for each measurement on its own. azula 0.11.1 takes one norm over the whole batch,
    which couples the rows (each row's step is divided by the norm of all residuals)."""

    @torch.no_grad()
    def step(self, x_t: Tensor, t: Tensor, s: Tensor, **kwargs) -> Tensor:
        alpha_s, sigma_s = self.denoiser.schedule(s)
        alpha_t, sigma_t = self.denoiser.schedule(t)
        tau = 1 - (alpha_t / alpha_s * sigma_s / sigma_t) ** 2
        eps = torch.randn_like(x_t)
        with torch.enable_grad():
            x_t = x_t.detach().requires_grad_()
            x_hat = self.denoiser(x_t, t, **kwargs).mean
        x_s = alpha_s * x_hat
        x_s = x_s + sigma_s * torch.sqrt(1 - tau) / sigma_t * (x_t - alpha_t * x_hat)
        x_s = x_s + sigma_s * torch.sqrt(tau) * eps
        with torch.enable_grad():
            norms = torch.linalg.vector_norm(self.y - self.A(x_hat), dim=-1).sum()
        grad = torch.autograd.grad(norms, x_t)[0]
        return x_s - self.zeta * grad


class GroupedTDSSampler(TDSSampler):
    """azula's TDS step with the resampling done within each measurement's own ``particles``
    (consecutive rows), so that all measurements run as one batch. TDS (Wu et al. 2023)
    resamples among the particles of one measurement; azula 0.11.1 resamples over the whole
    batch, so it could only run one measurement per call (a Python loop of small torch steps, 7
    s for 100 measurements x 8 particles x 64 steps, against under 1 s batched). The step is
    azula's otherwise: the twisted proposal, and the weights log q(x_s | x_t) - log q_y(x_s |
    x_t) - log p~(y | x_hat_t) carried to the next step."""

    def __init__(self, denoiser, twist: Callable, particles: int, **kwargs):
        super().__init__(denoiser, twist=twist, **kwargs)
        self.particles = particles

    @torch.no_grad()
    def step(self, x_t: Tensor, t: Tensor, s: Tensor, carry: dict, **kwargs) -> Tensor:
        alpha_s, sigma_s = self.denoiser.schedule(s)
        alpha_t, sigma_t = self.denoiser.schedule(t)
        with torch.enable_grad():
            x_t = x_t.detach().requires_grad_()
            x_hat = self.denoiser(x_t, t, **kwargs).mean
            log_p_y = self.twist(x_hat, sigma_t / alpha_t)
            score_y = torch.autograd.grad(log_p_y.sum(), x_t)[0]
        log_p_y = log_p_y.reshape(log_p_y.shape[0], -1).sum(dim=1)
        log_w = log_p_y + carry["log_w"] if "log_w" in carry else log_p_y
        # one multinomial draw per measurement, among its own particles (the rows of a group)
        groups = log_w.reshape(-1, self.particles)
        picked = torch.multinomial(torch.softmax(groups, dim=1), self.particles, replacement=True)
        offsets = torch.arange(groups.shape[0]).unsqueeze(1) * self.particles
        k = (picked + offsets).reshape(-1)
        x_t, x_hat, log_p_y, score_y = x_t[k], x_hat[k], log_p_y[k], score_y[k]
        tau = (alpha_t / alpha_s * sigma_s / sigma_t) ** 2

        def ddpm(x: Tensor) -> Normal:
            eps = (x_t - alpha_t * x) / sigma_t
            loc = alpha_s * x + sigma_s * torch.sqrt(tau) * eps
            return Normal(loc=loc, scale=sigma_s * torch.sqrt(1 - tau), validate_args=False)

        q_s = ddpm(x_hat)
        q_s_y = ddpm(x_hat + sigma_t**2 / alpha_t * score_y)
        x_s = q_s_y.sample()
        log_q_xs = q_s.log_prob(x_s).reshape(x_s.shape[0], -1).sum(dim=1)
        log_q_xs_y = q_s_y.log_prob(x_s).reshape(x_s.shape[0], -1).sum(dim=1)
        carry["log_w"] = log_q_xs - log_q_xs_y - log_p_y
        return x_s


class GuidedDenoiser(AzulaDenoiser):
    """Tweedie's denoiser of a guided score: E[X | x_t] + sigma_t^2 grad_{x_t} log p~(y | x_t),
    with p~(y | x_t) = N(y; A E[X | x_t], variance(sigma_t) I) (PiGDM: r_t^2 + beta^2).
    The gradient is J^T A^T (y - A x_hat) / variance, J = d x_hat / d x_t."""

    def __init__(
        self,
        base: ScoreDenoiser,
        problem: Problem,
        y: Tensor,
        variance: Callable[[float], float],
    ):
        super().__init__()
        self.base = base
        self.schedule = base.schedule
        self.problem = problem
        self.y = y
        self.variance = variance

    def forward(self, x_t: Tensor, t: Tensor, **kwargs) -> DiracPosterior:
        sigma = float(self.schedule.sigma(torch.as_tensor(t, dtype=torch.float64)).reshape(-1)[0])
        with torch.enable_grad():
            x_t = x_t.detach().requires_grad_()
            x_hat = self.base(x_t, t).mean
            residual = self.problem.embed(self.y - self.problem.measure(x_hat.detach()))
            # J^T w as the gradient of the scalar <x_hat, w> (w held fixed): the same backward
            # pass, bit for bit (its first step multiplies w by ones), without grad_outputs,
            # whose check in torch imports sympy (~0.6 s) on first use.
            weights = residual / self.variance(sigma)
            (pulled,) = torch.autograd.grad((x_hat * weights).sum(), x_t)
        return DiracPosterior(x_hat.detach() + sigma**2 * pulled)


@dataclass(frozen=True)
class Problem:
    """A linear inverse problem y = x[:, measured] + N(0, beta^2 I) with a prior given by its
    smoothed scores; ``dim`` coordinates, the last ``d_out`` measured."""

    score: Score
    dim: int
    d_out: int
    beta: float
    sigma_max: float
    sigma_min: float = 1e-2
    prior_var: float = 1.0  # per-coordinate variance the initial draw of x_T uses

    def measure(self, x: Tensor) -> Tensor:
        return x[:, self.dim - self.d_out :]

    def embed(self, y: Tensor) -> Tensor:
        """A^+ y: y placed in the measured coordinates, zeros elsewhere."""
        head = torch.zeros(y.shape[0], self.dim - self.d_out, dtype=y.dtype)
        return torch.cat([head, y], 1)


@dataclass(frozen=True)
class Budget:
    steps: int = 64
    particles: int = 1  # TDS only
    langevin_steps: int = 4  # Langevin steps per noise level
    zeta: float = 1.0  # DPS step length (azula's zeta: zeta' = zeta / 2 of Chung et al.)

    def as_dict(self) -> dict[str, int | float]:
        return {
            "steps": self.steps,
            "particles": self.particles,
            "langevin_steps": self.langevin_steps,
        }


@dataclass
class Draws:
    x: Tensor
    evaluations: int
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)


def _schedule(problem: Problem) -> VESchedule:
    return VESchedule(sigma_min=problem.sigma_min, sigma_max=problem.sigma_max)


def _common(problem: Problem, budget: Budget) -> dict:
    return {"steps": budget.steps, "silent": True, "dtype": torch.float64}


def run_heuristic(name: str, problem: Problem, y: Tensor, budget: Budget, seed: int) -> Draws:
    """One draw per row of y by the named diffusion sampler, deterministic per seed."""
    counter = Counter()
    denoiser = ScoreDenoiser(problem.score, _schedule(problem), counter)
    n = y.shape[0]
    started = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if name == "tds":
            x = _tds(problem, denoiser, y, budget)
        elif name == "langevin":
            x = _annealed_langevin(problem, denoiser, y, budget)
        else:
            sampler = _azula_sampler(name, problem, denoiser, y, budget)
            x_t = sampler.init((n, problem.dim), var=problem.prior_var, dtype=torch.float64)
            x = sampler(x_t)
    return Draws(x.detach(), counter.evaluations, time.perf_counter() - started)


def likelihood_variance(name: str, problem: Problem) -> Callable[[float], float]:
    """The variance of the Gaussian likelihood p~(y | x_t) a guided sampler uses at level sigma:
    PiGDM r^2 + beta^2 with r^2 = v sigma^2 / (v + sigma^2) (Song et al.; v =
    ``problem.prior_var``)."""
    beta2, v = problem.beta**2, problem.prior_var
    if name == "pgdm":
        return lambda sigma: v * sigma**2 / (v + sigma**2) + beta2
    raise ValueError(f"no guided likelihood for {name!r}")


def _azula_sampler(name: str, problem: Problem, denoiser, y: Tensor, budget: Budget):
    if name == "dps":
        return RowwiseDPSSampler(
            denoiser, y=y, A=problem.measure, zeta=budget.zeta, **_common(problem, budget)
        )
    if name == "pgdm":
        guided = GuidedDenoiser(denoiser, problem, y, likelihood_variance(name, problem))
        return DDPMSampler(guided, **_common(problem, budget))
    if name == "repaint":
        mask = torch.zeros(y.shape[0], problem.dim, dtype=torch.bool)
        mask[:, problem.dim - problem.d_out :] = True
        return RePaintSampler(
            denoiser, y=problem.embed(y), mask=mask, iterations=2, **_common(problem, budget)
        )
    raise ValueError(f"unknown azula sampler {name!r}")


def _tds(problem: Problem, denoiser, y: Tensor, budget: Budget) -> Tensor:
    """TDS with ``budget.particles`` particles per measurement, all measurements in one batch
    (``GroupedTDSSampler``); the twist is the Gaussian likelihood of y at the denoised particle
    with variance beta^2 + sigma_t^2. One draw per measurement: its first particle."""
    particles = budget.particles
    y_rows = y.repeat_interleave(particles, dim=0)  # each measurement's y for its particles

    def twist(x_hat: Tensor, sigma: Tensor) -> Tensor:
        var = problem.beta**2 + sigma**2
        return -((y_rows - problem.measure(x_hat)) ** 2) / (2 * var)

    sampler = GroupedTDSSampler(denoiser, twist, particles, **_common(problem, budget))
    x_t = sampler.init(
        (y.shape[0] * particles, problem.dim), var=problem.prior_var, dtype=torch.float64
    )
    return sampler(x_t)[::particles]


def _annealed_langevin(problem: Problem, denoiser: ScoreDenoiser, y: Tensor, budget: Budget):
    """Annealed Langevin (Song & Ermon 2019) on the posterior score at each noise level:
    prior score + A^T (y - A x) / (beta^2 + sigma^2), step a tenth of the least variance."""
    sigmas = torch.exp(
        torch.linspace(
            math.log(problem.sigma_max),
            math.log(problem.sigma_min),
            budget.steps,
            dtype=torch.float64,
        )
    )
    x = math.sqrt(problem.prior_var + problem.sigma_max**2) * torch.randn(
        y.shape[0], problem.dim, dtype=torch.float64
    )
    for sigma in sigmas.tolist():
        # A tenth of the smallest posterior variance at this level (prior var + sigma^2 on the
        # free coordinates, combined with beta^2 + sigma^2 on the measured ones).
        prior = problem.prior_var + sigma**2
        step = 0.1 / (1 / prior + 1 / (problem.beta**2 + sigma**2))
        for _ in range(budget.langevin_steps):
            denoiser.counter.evaluations += x.shape[0]
            score = problem.score(x, sigma)
            score = score + problem.embed(y - problem.measure(x)) / (problem.beta**2 + sigma**2)
            x = x + step * score + math.sqrt(2 * step) * torch.randn_like(x)
    return x


# --- the instance -------------------------------------------------------------------------------


def instance_problem(instance: Instance, beta: float, score: Score) -> Problem:
    """The arena's problem on the scaled instance: sigma_max 10 (the scaled signal has norm about
    sqrt(d + d'), coordinates of variance at most 1)."""
    return Problem(
        score=score,
        dim=instance.dim,
        d_out=instance.d_out,
        beta=beta,
        sigma_max=10.0,
        sigma_min=0.01,
    )


def exact_score(instance: Instance) -> Score:
    return lambda x, sigma: instance.scaled_score(x, sigma)


def draw_setting(
    instance: Instance, beta: float, n: int, seed: int
) -> tuple[Tensor, Tensor, Tensor]:
    """n signals x~ ~ g~, their seeds and measurements y = A x~ + N(0, beta^2 I) (scaled)."""
    gen = torch.Generator().manual_seed(seed)
    x, seeds = instance.sample_scaled(n, gen)
    y = instance.measure(x, beta, gen)
    return x, torch.as_tensor(seeds, dtype=torch.float64), y


def successes(instance: Instance, x: Tensor, y: Tensor) -> Tensor:
    """Rowwise: f(sign x_{1:d}) equals the phases decoded from y (NaN rows fail)."""
    ok = torch.isfinite(x).all(1)
    signs = torch.where(torch.nan_to_num(x[:, : instance.d]) >= 0, 1.0, -1.0)
    codes = instance.outputs_torch(signs)
    decoded = torch.as_tensor(
        instance.decode_phases(y * instance.scale, float(instance.eps)), dtype=torch.float64
    )
    return ok & (codes == decoded).all(1)


def exact_draws(instance: Instance, beta: float, y: Tensor, seed: int) -> Draws:
    """The exact posterior sampler (enumerating seeds) in scaled units."""
    c = instance.scale
    sampler = ExactPosteriorSampler(instance, beta * c)
    started = time.perf_counter()
    x = sampler(y * c, torch.Generator().manual_seed(seed)) / c
    return Draws(x, y.shape[0] * 2**instance.d, time.perf_counter() - started)


def rejection_draws(
    instance: Instance, beta: float, y: Tensor, seed: int, max_proposals: int = 2_000_000
) -> Draws:
    """Algorithm 1 (``rejection_sample``) per measurement: draws of x~ ~ g~ until one is
    accepted; rows with no acceptance within ``max_proposals`` come back NaN."""
    gen = torch.Generator().manual_seed(seed)
    draw = instance_sampler(instance)
    rows, proposals = [], 0
    started = time.perf_counter()
    for i in range(y.shape[0]):
        result = rejection_sample(
            draw,
            y[i : i + 1],
            beta,
            lambda x: x[:, instance.d :],
            gen,
            want=1,
            max_proposals=max_proposals,
            batch=4096,
        )
        proposals += result.proposals
        if result.accepted:
            rows.append(result.samples[:1])
        else:
            rows.append(torch.full((1, instance.dim), math.nan, dtype=torch.float64))
    return Draws(
        torch.cat(rows),
        proposals,
        time.perf_counter() - started,
        {"proposals_per_draw": proposals / max(1, y.shape[0])},
    )


def posterior_seed_mass(instance: Instance, beta: float, x: Tensor, y: Tensor) -> Tensor:
    """Rowwise exact posterior probability p(s | y) of the seed sign(x_{1:d}) (0 for NaN rows):
    its mean is the closeness measure (for the exact sampler, E sum_s p(s|y)^2)."""
    c = instance.scale
    sampler = ExactPosteriorSampler(instance, beta * c)
    post = torch.softmax(sampler.seed_log_posterior(y * c), 1)  # (n, 2^d), all_seeds order
    signs = torch.where(torch.nan_to_num(x[:, : instance.d]) >= 0, 1.0, -1.0)
    bits = (signs < 0).to(torch.int64)
    seeds = sampler.seeds
    keys = ((seeds < 0).to(torch.int64) * (1 << torch.arange(instance.d))).sum(1)
    position = torch.empty(2**instance.d, dtype=torch.int64)
    position[keys] = torch.arange(2**instance.d)
    idx = position[(bits * (1 << torch.arange(instance.d))).sum(1)]
    mass = post.gather(1, idx[:, None]).squeeze(1)
    return torch.where(torch.isfinite(x).all(1), mass, torch.zeros_like(mass))


def closeness_to_posterior(
    instance: Instance, y: Tensor, x_sampler: Tensor, x_exact: Tensor, alpha: float
) -> dict:
    """(tau, delta)-closeness (Def. 1.2) of the sampler to the exact posterior, at
    tau = eps / (4c) (below the distance from an inconsistent point to g~'s support).

    Laws compared: P, the joint law of (y, sampler's draw given y), and Q, that of (y, exact
    posterior draw given y), y ~ the model, with the cost |x - x'| when y = y' and infinity
    otherwise (a coupling keeps y: the posterior sampler's setting). If the sampler is a
    (tau, delta)-posterior sampler (Def. 1.5: close given y with probability >= 1 - delta over
    y), then delta_tau(P, Q) <= 2 delta: a lower bound L refutes every delta < L/2.

    Lower bound (Strassen, as ``verify.maths.closeness.delta_lower_bound`` but with a set fixed in
    advance): A = {(y, x): f(sign x_{1:d}) differs from the phases decoded from y}, the failure
    event. Its tau-neighbourhood (y fixed) lies in A union {min_{j<=d} |x_j| <= tau}, since
    moving x by at most tau keeps the signs of coordinates farther than tau from 0. So
    delta_tau >= P(A) - Q(A^tau) >= lo_P - hi_Q, Clopper-Pearson at alpha/2 each on the
    sampler's failures and on the exact draws' (failure or near-boundary) events: level
    1 - alpha. Upper bound: row i of both draws answers the same y_i, independently given y_i: a
    coupling, so Clopper-Pearson on |x - x*| > tau (``coupling_upper_bound``) at 1 - alpha; loose
    wherever the posterior has several seeds. A failed draw (NaN row) fails and is far. Value:
    the plug-in P(A) - Q(A^tau) of the lower bound (0 when negative)."""
    from verify.core.stats import clopper_pearson_lower, clopper_pearson_upper
    from verify.maths.closeness import coupling_upper_bound

    tau = float(instance.eps) / (4 * instance.scale)
    n = int(y.shape[0])
    failed = int((~successes(instance, x_sampler, y)).sum())
    exact_ok = successes(instance, x_exact, y)
    near = x_exact[:, : instance.d].abs().min(1).values <= tau
    exact_in_neighbourhood = int((~exact_ok | near).sum())
    lower = clopper_pearson_lower(failed, n, alpha / 2) - clopper_pearson_upper(
        exact_in_neighbourhood, n, alpha / 2
    )
    far_value = 1e6  # a NaN row is far from everything (nan compares False otherwise)
    upper, far = coupling_upper_bound(
        torch.nan_to_num(x_sampler, nan=far_value).numpy(),
        torch.nan_to_num(x_exact, nan=far_value).numpy(),
        tau,
        alpha,
    )
    return {
        "metric": "delta at tau of (y, draw) against (y, exact posterior draw), Def. 1.2",
        "value": max(0.0, (failed - exact_in_neighbourhood) / n),
        "tau": tau,
        "delta_interval": [float(max(lower, 0)), float(upper)],
        "alpha": alpha,
        "failures": failed,
        "exact_in_neighbourhood": exact_in_neighbourhood,
        "far_pairs": far,
    }


# --- computational bottlenecks: a score with nearly the true loss that samples wrongly -----------


def phase_blind_score(instance: Instance, sigma_cut: float, clamp: float) -> Score:
    """The exact scaled score, except below the scaled noise level ``sigma_cut``, where each comb
    coordinate's score is that of the phase-agnostic comb (1/2 psi_+ + 1/2 psi_-): the phase
    information is removed. The change per coordinate is clamped to +-clamp / sigma, so
    sigma^2 |s_blind - s| ^ 2 <= d' clamp^2 almost surely (the bound the loss interval uses)."""
    c = instance.scale
    d = instance.d

    def score(x: Tensor, sigma: float) -> Tensor:
        exact = instance.scaled_score(x, sigma)
        if sigma >= sigma_cut:
            return exact
        log_comb, slope = instance.comb_terms(x[:, d:] * c, sigma * c)
        blind_tail = c * (torch.softmax(log_comb, -1) * slope).sum(-1)
        change = (blind_tail - exact[:, d:]).clamp(-clamp / sigma, clamp / sigma)
        return torch.cat([exact[:, :d], exact[:, d:] + change], 1)

    return score


def consistent(instance: Instance, x: Tensor) -> Tensor:
    """Rowwise: the phases read off x's own comb coordinates equal f(sign x_{1:d}). Every point of
    g~'s support is consistent; an inconsistent point is at distance >= eps / (4c) from it."""
    signs = torch.where(x[:, : instance.d] >= 0, 1.0, -1.0)
    phases = torch.as_tensor(
        instance.decode_phases(x[:, instance.d :] * instance.scale, float(instance.eps)),
        dtype=torch.float64,
    )
    return (instance.outputs_torch(signs) == phases).all(1)


def bottleneck(
    instance: Instance,
    sigma_cut: float = 0.05,
    clamp: float = 1.0,
    loss_draws: int = 4000,
    sample_draws: int = 200,
    steps: int = 64,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict:
    """The denoising score-matching gap L(s_blind) - L(s) and the two samplers' consistency.

    Loss: L(s) = E |sigma s(x + sigma z, sigma) + z|^2 with sigma log-uniform on
    [0.01, 10] (the samplers' path); as s is the true score, L(s') - L(s) = E sigma^2 |s' - s|^2
    (the cross term has mean zero), a [0, d' clamp^2] variable: its interval is Hoeffding's
    Chernoff (KL) bound (``bounded_mean_interval``). Samples: the reverse DDPM (azula) with each
    score; consistency rates with Clopper-Pearson intervals. (tau, delta): with
    tau < eps / (4c), a sampler of g~ is (tau, delta)-close only if delta >= P(inconsistent)."""
    from azula.sample import DDPMSampler

    from verify.core.stats import clopper_pearson
    from verify.maths.instance import bounded_mean_interval

    gen = torch.Generator().manual_seed(seed)
    blind = phase_blind_score(instance, sigma_cut, clamp)
    true = exact_score(instance)
    x0, _ = instance.sample_scaled(loss_draws, gen)
    u = torch.rand(loss_draws, generator=gen, dtype=torch.float64)
    sigmas = torch.exp(math.log(0.01) + u * (math.log(10.0) - math.log(0.01)))
    noisy = x0 + sigmas[:, None] * torch.randn(x0.shape, generator=gen, dtype=torch.float64)
    gaps = []
    for i in range(loss_draws):  # one noise level per draw: the scores take a scalar sigma
        s = float(sigmas[i])
        if s >= sigma_cut:
            gaps.append(0.0)
            continue
        xi = noisy[i : i + 1]
        gaps.append(float(s**2 * ((blind(xi, s) - true(xi, s)) ** 2).sum()))
    bound = instance.d_out * clamp**2
    lo, hi = bounded_mean_interval(gaps, gaps, bound, alpha)
    out: dict = {
        "sigma_cut": sigma_cut,
        "clamp": clamp,
        "loss_gap": {
            "estimate": float(sum(gaps) / loss_draws),
            "interval": [lo, hi],
            "bound": bound,
            "draws": loss_draws,
            "alpha": alpha,
        },
        "tau": float(instance.eps) / (4 * instance.scale),
    }
    problem = instance_problem(instance, 1.0, true)
    for name, score in (("true", true), ("phase_blind", blind)):
        denoiser = ScoreDenoiser(score, _schedule(problem))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            sampler = DDPMSampler(denoiser, steps=steps, silent=True, dtype=torch.float64)
            x = sampler(sampler.init((sample_draws, instance.dim), dtype=torch.float64))
        k = int(consistent(instance, x).sum())
        p_lo, p_hi = clopper_pearson(k, sample_draws, alpha)
        out[name] = {
            "consistent": k,
            "draws": sample_draws,
            "interval": [float(p_lo), float(p_hi)],
            "delta_at_least": float(1 - p_hi),
        }
    return out
