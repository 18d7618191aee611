r"""Theorem 1.7: rejection sampling (Algorithm 1) posterior-samples the hard instance in
(sqrt(m)/beta)^{O(m)} rounds.

Statement checked (explicit form derived in ``lemmas.e02_posterior_rejection``, E.2, applied to
the hard instance). With an exact unconditional sampler Algorithm 1 returns the posterior
exactly, and with probability >= 1 - 3 delta over y the per-round acceptance satisfies

.. math:: a(y) \ge C_{acc}\,\delta\,(r/3R_\delta)^{m} e^{-\rho^2/2\beta^2},
    \qquad m = d',\ R_\delta = \sqrt{m/\delta},

rho = 2r + beta sqrt(m + 2 sqrt(mL') + 2L'), L' = log 1/delta (Lemma E.1 applied to the law of
A x~ with M = E|A x~|^2 <= d' by H.11: the comb coordinates have mean 0 and variance
<= 1 + eps^2/4 <= c^2).

Check. The scaled instance (``verify.maths.instance``, Definitions 3.1-3.2) at small d: the
exact posterior over the 2^d seeds, with y's comb coordinates scored by the smoothed comb
psi_{b, beta c}(c y_j) (c = sqrt(R^2+1)), enclosed with ``comb_arb``
(``rejection.instance_seed_terms``); a(y) in closed form (``rejection.instance_acceptance``).
Parts (``verify.maths.samplers.posterior_evidence``): the 3 delta-quantile of a(y) against the
bound, the Clopper-Pearson interval of Algorithm 1's measured acceptance at the median y against
a(y), and the TV between the law of the returned seeds and the exact seed posterior against
C_tv tau, all at level 1 - ALPHA.

End to end (``sampler = "reverse_sde"``; ``verify.maths.samplers.sde_posterior``): the
unconditional sampler is the reverse SDE on the C.21 networks of ``make_instance(d, m)`` (the
instance of Thm.1.4, so R and eps are the networks'), Algorithm 1 on top, one round per
reverse-SDE draw: ``sde_posterior_closeness`` (lower confidence bound of delta_tau against the
exact posterior, by enumeration of the 2^d seeds' Algorithm 1 on exact samples, <= delta) and
``sde_draws`` (draws per output <= 1/(C_acc B_m), the explicit E.1 bound; plotted against m).
Its records name the sampler. Quick examples: d = 6, m = 1, 2; the standard profile adds
d = 16, m = 1..8 at beta = 0.3 (``profile_examples``), a(y) summed over the 2^{d'} distinct
codes f(s) with their seed counts (``sde_posterior.code_acceptance``) instead of 2^d seed terms.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

from flint import arb
from hypothesis import strategies as st

from verify.core.contract import Constant, Lemma, ModelMutant, Part
from verify.core.domain import Choice, Domain, Integer, Real
from verify.core.errors import DomainError
from verify.maths.instance import Instance
from verify.maths.nets.instance_network import WORK_FAMILY, default_parameters
from verify.maths.oneway import make_function
from verify.maths.samplers.instance_sde import posterior_family
from verify.maths.samplers.posterior_evidence import (
    ALPHA,
    BATCH,
    acceptance_quantile_part,
    algorithm1_parts,
    e1_acceptance_unit,
    median_index,
    plot_acceptance,
)
from verify.maths.samplers.rejection import (
    instance_measurement,
    instance_sampler,
    instance_seed_terms,
    rejection_sample,
)
from verify.maths.samplers.sde_posterior import (
    code_acceptance,
    code_counts,
    plot_draws,
    sde_posterior_parts,
)

MAX_ROUNDS = 1_500_000
FRESH_SEED_OFFSET = 1_000_003  # the re-draw's generator, apart from the check's own
# a re-draw of the reverse SDE doubles its draws (each costs a network pass per step)
SDE_SETTINGS = {"alpha": ALPHA, "fresh_factor": 2, "fresh_offset": FRESH_SEED_OFFSET}

DOMAIN = Domain(
    optional=("sampler", "steps", "pool"),
    d=Integer(1, 16, search=(2, 5), doc="seed length (2^d seeds enumerated)"),
    d_out=Integer(1, 8, search=(1, 3), doc="measurements m = d'"),
    R=Real(0.5, 10),
    eps=Real(0.05, 0.99),
    beta=Real(0.01, 2),
    delta=Real(0.01, 0.2),
    tau=Real(1e-3, 1, doc="TV tolerance"),
    outputs=Integer(100, 100_000),
    y_samples=Integer(20, 2000),
    seed=Integer(0, 2**32 - 1, search=(0, 2**16)),
    sampler=Choice(("exact", "reverse_sde"), doc="the unconditional sampler Algorithm 1 runs on"),
    steps=Integer(20, 80, doc="reverse-SDE steps"),
    pool=Integer(500, 50_000, doc="reverse-SDE draws (rounds of Algorithm 1)"),
)


def _validate(params: dict[str, Any]) -> None:
    if params.get("sampler", "exact") == "reverse_sde":
        if "steps" not in params or "pool" not in params:
            raise DomainError("the reverse-SDE sampler needs steps and pool")
        net = default_parameters(params["d"])  # the networks are built for this instance
        if float(params["R"]) != net["R"] or float(params["eps"]) != net["eps"]:
            raise DomainError(f"the reverse-SDE sampler's instance has R={net['R']!r}, eps=0.5")


@st.composite
def _params(draw) -> dict[str, Any]:
    return {
        "d": draw(DOMAIN["d"].strategy()),
        "d_out": draw(DOMAIN["d_out"].strategy()),
        "R": draw(st.sampled_from([1.0, 2.0, 3.0])),
        "eps": draw(st.sampled_from([0.25, 0.5])),
        "beta": draw(st.sampled_from([0.05, 0.1, 0.2])),
        "delta": draw(st.sampled_from([0.05, 0.1, 0.2])),
        "tau": 0.25,
        "outputs": 2000,
        "y_samples": 60,
        "seed": draw(DOMAIN["seed"].strategy()),
    }


def _instance(params: dict[str, Any]):
    d, d_out = params["d"], params["d_out"]
    if params.get("sampler", "exact") == "reverse_sde":
        return posterior_family(d, d_out, params["steps"]).instance
    kind = "goldreich" if d >= 5 else "projection"
    f = make_function({"kind": kind, "d": d, "d_out": d_out, "seed": params["seed"] % 7})
    return Instance(f, float(params["R"]), float(params["eps"]))


def _check(
    params: dict[str, Any],
    constants: dict[str, Fraction],
    beta_factor: float = 1.0,
    wrong_y: bool = False,
    sde_shift: float = 0.0,
) -> list[Part]:
    """``beta_factor`` (Algorithm 1 run with that times beta) and ``wrong_y`` (run at y moved by
    eps/2 unscaled: the other comb phase) plant the model mutants; a(y) and the posterior stay
    those of the true y and beta; ``sde_shift`` moves the reverse-SDE draws by that many tau."""
    import torch

    inst = _instance(params)
    beta, delta, tau = float(params["beta"]), float(params["delta"]), float(params["tau"])
    d_out = inst.d_out
    gen = torch.Generator().manual_seed(params["seed"] + 11)
    x, _ = inst.sample_scaled(params["y_samples"], gen)
    ys = inst.measure(x, beta, gen)
    codes = code_counts(inst)  # a(y) sums over the distinct codes f(s): 2^d' terms, not 2^d
    acceptances = [code_acceptance(inst, row, beta, codes) for row in ys.tolist()]
    # re-draws confirming a refutation use a generator of their own: independent of the above
    fresh_gen = torch.Generator().manual_seed(params["seed"] + FRESH_SEED_OFFSET)

    def resample(count: int) -> list[arb]:
        xs, _ = inst.sample_scaled(count, fresh_gen)
        rows = inst.measure(xs, beta, fresh_gen).tolist()
        return [code_acceptance(inst, r, beta, codes) for r in rows]

    # M = E|A x~|^2 <= d' (H.11: covariance <= I after scaling, comb coordinates of mean 0)
    parts = [
        acceptance_quantile_part(
            acceptances,
            d_out,
            beta,
            delta,
            arb(d_out),
            constants["C_acc"],
            sweep=True,
            resample=resample,
        )
    ]
    pick = median_index(acceptances)
    y_star, a_star = ys[pick], acceptances[pick]
    if params.get("sampler", "exact") == "reverse_sde":  # Thm.1.7 end to end
        unit = e1_acceptance_unit(d_out, beta, delta, arb(d_out))
        c_acc = constants["C_acc"]
        parts += sde_posterior_parts(params, y_star, unit, c_acc, shift=sde_shift, **SDE_SETTINGS)
        return parts

    def algorithm1(count: int, g):
        return rejection_sample(
            instance_sampler(inst),
            y_star + float(inst.eps) / (2 * inst.scale) if wrong_y else y_star,
            beta_factor * beta,
            instance_measurement(inst),
            g,
            max_proposals=count,
            batch=BATCH,
        )

    def exact_labels() -> list[arb]:
        terms = instance_seed_terms(inst, y_star.tolist(), beta)  # per seed: the TV's cells
        total = sum(terms, arb(0))
        return [t / total for t in terms]

    return parts + algorithm1_parts(
        algorithm1,
        a_star,
        arb(0),
        m=d_out,
        beta=beta,
        outputs=params["outputs"],
        max_rounds=MAX_ROUNDS,
        gen=gen,
        fresh_gen=fresh_gen,
        exact_labels=exact_labels,
        tau=tau,
        c_tv=constants["C_tv"],
        note=f"d={inst.d} d'={d_out} R={params['R']} eps={params['eps']}, 2^d seed cells",
    )


def _plots(records: list[dict[str, Any]], out_dir: Any) -> list[str]:
    return plot_acceptance(records, out_dir, "Thm.1.7") + plot_draws(records, out_dir)


_BASE = dict(R=2.0, eps=0.5, delta=0.1, tau=0.25, outputs=2000, y_samples=60, seed=0)

_SDE = {
    **_BASE,
    **default_parameters(6),
    "d": 6,
    "beta": 0.15,
    "sampler": "reverse_sde",
    "steps": 30,
    "pool": 1000,
    "y_samples": 20,
}

# Standard profile: d = 16 (65536 seeds enumerated), m = d' = 1..8. beta = 0.3 keeps the
# per-round acceptance near 0.6^m at the median y (about 50 draws per output at m = 8); the
# pool is sized for about 400 accepted draws (>= 100 at every m, the closeness part's minimum).
_SWEEP_BETA = 0.3


def _sweep(m: int) -> dict[str, Any]:
    return {
        **_SDE,
        **default_parameters(16),
        "d": 16,
        "d_out": m,
        "beta": _SWEEP_BETA,
        "pool": 100 * math.ceil(4 / 0.6**m),
    }


THM17 = Lemma(
    id="Thm.1.7",
    title="Upper bound: rejection sampling posterior-samples the hard instance in "
    "(sqrt(m)/beta)^{O(m)} rounds",
    statement=(
        r"\mathrm{TV}(q_y, \tilde g(\cdot|y)) \le C_{tv}\tau,\quad \Pr_y\Big[a(y)\ge C_{acc}\,"
        r"\delta\Big(\frac{r}{3R_\delta}\Big)^{m} e^{-\rho^2/2\beta^2}\Big]\ge 1-3\delta,"
        r"\ m=d',\ R_\delta=\sqrt{m/\delta}"
    ),
    domain=DOMAIN,
    constants=[
        Constant("C_tv", 1, "exact sampler: Algorithm 1 returns the posterior exactly", "upper"),
        Constant("C_acc", 1, "E.1 on the law of A x~ with M = d' (H.11)", "lower"),
    ],
    params=_params,
    check=_check,
    examples=[
        {**_BASE, "d": 3, "d_out": 2, "beta": 0.1},
        {**_BASE, "d": 5, "d_out": 3, "beta": 0.2, "seed": 1},
        # end to end: Algorithm 1 on the reverse SDE of the networks (quick: small m)
        *({**_SDE, "d_out": m} for m in (1, 2)),
    ],
    profile_examples={"standard": [_sweep(m) for m in range(1, 9)]},
    validate=_validate,
    budget={"quick": 3, "standard": 40, "thorough": 200},
    depends_on=("E.2", "Thm.1.4"),
    work_family=WORK_FAMILY,
    plots=_plots,
    model_mutants=[
        ModelMutant(
            "rejection with the wrong beta (1.5 beta)",
            lambda params, constants: _check(params, constants, beta_factor=1.5),
            examples=[{**_BASE, "d": 3, "d_out": 2, "beta": 0.1}],
        ),
        ModelMutant(
            "posterior of the wrong y (the other comb phase)",
            lambda params, constants: _check(params, constants, wrong_y=True),
            # beta small against the comb period: the phases are visible in y
            examples=[{**_BASE, "d": 2, "d_out": 1, "beta": 0.03}],
        ),
        ModelMutant(
            "reverse-SDE sampler shifted by 3 tau",
            lambda params, constants: _check(params, constants, sde_shift=3.0),
            examples=[{**_SDE, "d_out": 1, "pool": 3000}],
        ),
    ],
)
